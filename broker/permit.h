/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The permit table (OpenSSH mon_table style): which request is allowed in
 * which phase, how often, and in what order the API file systems come.
 * Everything "when" lives here; everything "what shape" lives in proto.c.
 */
#ifndef HUTCH_BROKER_PERMIT_H
#define HUTCH_BROKER_PERMIT_H

#include <stdint.h>

#include "../common/proto.h"

enum broker_phase {
	PHASE_PREPARE = 1 << 0, /* monitor: root and files, before namespaces */
	PHASE_SETUP = 1 << 1,   /* container init: mounts, console */
	PHASE_PIVOTED = 1 << 2, /* container init: root switched, only EXEC left */
	PHASE_DONE = 1 << 3,    /* after EXEC: nothing at all */
};

struct permit_state {
	enum broker_phase phase;
	uint32_t count[HUTCH_MSG_TYPE_MAX];
	uint32_t api_done; /* bit per enum hutch_api_fs */
	uint32_t user_mounts; /* MOUNT_BIND/TMPFS/OVERLAY/INACCESSIBLE so far */
};

void permit_init(struct permit_state *s);
/* 0 if `m` may be executed now; -EPERM and a static reason otherwise. */
int permit_check(const struct permit_state *s, const struct hutch_msg *m, const char **why);
/* Record that `m` was executed: counts, API fs done, phase transitions. */
void permit_commit(struct permit_state *s, const struct hutch_msg *m);

#endif
