/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SELinux in the worker: -Z/--selinux-context= and -L/--selinux-apifs-context=
 * (checked here, sent typed in one LABEL request), automatic MCS categories
 * when the policy knows hutch's container type and SELinux enforces, and the
 * worker's own domain. Everything that needs the host's SELinux state is
 * read in selinux_probe(), before the worker drops its privileges.
 */
#ifndef HUTCH_WORKER_SELINUX_H
#define HUTCH_WORKER_SELINUX_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/proto.h"

/* hutch's policy module (selinux/hutch.te); svirt_* are aliases of these. */
#define SELINUX_BROKER_TYPE "hutch_t"
#define SELINUX_WORKER_TYPE "hutch_worker_t"
#define SELINUX_CONTAINER_PROCESS "system_u:system_r:hutch_container_t"
#define SELINUX_CONTAINER_FILE "system_u:object_r:hutch_container_file_t"

struct selinux_settings {
	char context[HUTCH_LABEL_MAX];       /* -Z, "" = none */
	char apifs_context[HUTCH_LABEL_MAX]; /* -L, "" = none */
	char relabel[HUTCH_LABEL_MAX];       /* --selinux-relabel, "" = no */
	uint8_t origin;                      /* enum origin of both */
};

struct settings;
int opt_selinux_context(struct settings *s, const char *v);
int opt_selinux_apifs_context(struct settings *s, const char *v);
/* --selinux-relabel[=SECLABEL]: default -L's label, else the module's file type at s0. */
int opt_selinux_relabel(struct settings *s, const char *v);

/* user:role:type[:level], level = sens[:cats][-sens[:cats]], cats = cN or
 * cN.cM (N < M <= 1023) joined by commas. 0 or -EINVAL. */
int selinux_context_check(const char *ctx);

/* The host's state; call while still privileged. Enters the worker's own
 * domain when running in the broker's (the module is installed). */
int selinux_probe(void);

/*
 * Pick a category pair X < Y in c0..c1023 from `rnd` (uniform over the
 * 523776 pairs), then ask `try` to reserve it; in-use pairs (-EADDRINUSE)
 * are skipped, up to `attempts` picks. Returns 0 with the pair in cat[],
 * or -EADDRINUSE/try's error. rnd(ctx) returns 32 random bits.
 */
void selinux_pair_from(uint32_t r, uint16_t cat[2]);
int selinux_pick_pair(uint32_t (*rnd)(void *), int (*try)(void *, const uint16_t cat[2]),
		      void *ctx, unsigned attempts, uint16_t cat[2]);

/*
 * The LABEL request for these settings: -Z/-L as given, or, with neither,
 * automatic MCS labels when SELinux enforces and hutch's container type is
 * known. `send` delivers one LABEL and returns the broker's answer.
 * Returns 0 (nothing to send is fine) or -1 after logging.
 */
int selinux_setup(const struct selinux_settings *s, int (*send)(void *, const struct hutch_label *),
		  void *ctx);

#endif
