/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * --bind, --bind-ro, --tmpfs, --overlay, --overlay-ro, --inaccessible,
 * --read-only, --volatile: parsed here (nspawn's syntax), turned into typed
 * broker requests in worker/main.c.
 */
#ifndef HUTCH_WORKER_MOUNTOPTS_H
#define HUTCH_WORKER_MOUNTOPTS_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/proto.h"

enum user_mount_kind {
	USER_MOUNT_BIND = 1,
	USER_MOUNT_TMPFS,
	USER_MOUNT_OVERLAY,
	USER_MOUNT_INACCESSIBLE,
};

struct user_mount {
	enum user_mount_kind kind;
	const char *option; /* "--bind", ... for messages */
	char *value;        /* the text as given, for messages */
	char *target;       /* canonical container path: the sort key */
	union {
		struct hutch_mount_bind *bind;
		struct hutch_mount_tmpfs *tmpfs;
		struct hutch_mount_overlay *overlay;
		struct hutch_inaccessible *inaccessible;
	} req;
};

struct mount_settings {
	struct user_mount *mounts; /* in the order given; sorted by mountopts_sort */
	unsigned n;
	bool read_only;
	uint32_t volatile_mode; /* enum hutch_volatile */
	uint8_t origin_read_only, origin_volatile, origin_mounts;
};

/* The option table's parse functions (worker/options.c rows). */
struct settings;
int opt_read_only(struct settings *s, const char *value);
int opt_volatile(struct settings *s, const char *value);
int opt_bind(struct settings *s, const char *value);
int opt_bind_ro(struct settings *s, const char *value);
int opt_tmpfs(struct settings *s, const char *value);
int opt_overlay(struct settings *s, const char *value);
int opt_overlay_ro(struct settings *s, const char *value);
int opt_inaccessible(struct settings *s, const char *value);

/* Each returns 0, or -EINVAL after printing one line naming the value. */
int mountopt_bind(struct mount_settings *m, const char *value, bool read_only);
int mountopt_tmpfs(struct mount_settings *m, const char *value);
int mountopt_overlay(struct mount_settings *m, const char *value, bool read_only);
int mountopt_inaccessible(struct mount_settings *m, const char *value);
/* --volatile[=MODE]: NULL = yes; a boolean, "state" or "overlay". */
int mountopt_volatile(struct mount_settings *m, const char *value);

/* Checks that need every option (idmap needs a user namespace), then
 * nspawn's order: parents before children, by target path. */
int mountopts_finish(struct mount_settings *m, bool userns);
void mountopts_free(struct mount_settings *m);

/* nspawn's unescaping split on ':' (exposed for the unit tests). Returns
 * the number of fields (<= max), the unsplit rest in *rest (or NULL), or
 * -EINVAL for a trailing lone backslash. Fields are malloc'ed. */
int mountopt_split(const char *s, char **fields, int max, const char **rest);
/* Canonical absolute path in place: "//" and a trailing "/" collapsed;
 * -EINVAL for a relative path or a "." or ".." component. */
int mountopt_canonical_path(char *p);

#endif
