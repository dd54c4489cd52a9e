/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The grant: what the admin policy (/etc/hutch/policy.d/NAME.policy) lets this
 * caller do, compiled by an unprivileged parser process before any user
 * input is read, and held by the broker, which checks every request
 * against it (DESIGN.md §2). Fixed size, versioned, no pointers: it crosses
 * a pipe from the parser and the broker validates its shape before use.
 *
 * An all-zero grant denies everything, so anything that fails on the way
 * (a broken policy file, a crashed parser) fails closed.
 */
#ifndef HUTCH_GRANT_H
#define HUTCH_GRANT_H

#include <stdint.h>

#define HUTCH_GRANT_MAGIC 0x746e7267u /* "grnt" */
#define HUTCH_GRANT_VERSION 1u

#define HUTCH_GRANT_PATHS 16        /* root dirs, images, bind sources: each */
#define HUTCH_GRANT_PATH_MAX 256    /* with the NUL */
#define HUTCH_GRANT_PROFILES 8
#define HUTCH_GRANT_NAME_MAX 65     /* rule and profile names, with the NUL */
#define HUTCH_GRANT_TEXT_MAX 256    /* reason, rule source, label range */

enum hutch_grant_kind {
	HUTCH_GRANT_DENY = 0, /* nothing at all; `reason` says why */
	HUTCH_GRANT_ALL,      /* no policy installed, or root matched no rule */
	HUTCH_GRANT_RULE,     /* the fields below, from rule `rule` */
	HUTCH_GRANT_KIND_MAX
};

#define HUTCH_GRANT_NET_HOST (1u << 0)  /* may share the host's network */
#define HUTCH_GRANT_USERNS_NO (1u << 1) /* may run without a user namespace */
#define HUTCH_GRANT_FLAGS_ALL (HUTCH_GRANT_NET_HOST | HUTCH_GRANT_USERNS_NO)
/* The rule names its pool (PrivateUsersPool=): the admin chose those ids,
 * perhaps a tenant's own /etc/subuid block, so a pick there does not avoid
 * delegated ids. Not a permission: not in FLAGS_ALL. */
#define HUTCH_GRANT_UID_POOL (1u << 2)
#define HUTCH_GRANT_FLAGS_KNOWN (HUTCH_GRANT_FLAGS_ALL | HUTCH_GRANT_UID_POOL)

#define HUTCH_GRANT_PATH_RW (1u << 0) /* bind sources: may be bound read-write */

struct hutch_grant_path {
	char path[HUTCH_GRANT_PATH_MAX]; /* absolute, normalised; it and below */
	uint32_t flags;
};

struct hutch_grant {
	uint32_t magic, version, size; /* HUTCH_GRANT_MAGIC, _VERSION, sizeof */
	uint32_t kind;                 /* enum hutch_grant_kind */
	uint32_t flags;                /* HUTCH_GRANT_NET_HOST, ... */
	uint32_t caller_uid, caller_gid;
	/* Container uid ranges must lie in [uid_min, uid_max) (65536-aligned). */
	uint32_t uid_min, uid_max;
	uint32_t n_roots, n_images, n_binds, n_profiles;
	uint64_t cap_max;    /* bounding and ambient sets must be subsets */
	uint64_t memory_max; /* bytes; 0 = no ceiling */
	uint64_t tasks_max;  /* 0 = no ceiling */
	uint32_t cpu_quota;  /* percent of one CPU; 0 = no ceiling */
	uint32_t reserved;   /* 0 */
	struct hutch_grant_path roots[HUTCH_GRANT_PATHS];
	struct hutch_grant_path images[HUTCH_GRANT_PATHS];
	struct hutch_grant_path binds[HUTCH_GRANT_PATHS];
	char profiles[HUTCH_GRANT_PROFILES][HUTCH_GRANT_NAME_MAX]; /* none: any */
	char mandatory_profile[HUTCH_GRANT_NAME_MAX];              /* "": none */
	char selinux_range[HUTCH_GRANT_TEXT_MAX];                  /* "": any */
	char rule[HUTCH_GRANT_NAME_MAX];
	char source[HUTCH_GRANT_TEXT_MAX]; /* "FILE:LINE" of the rule */
	char reason[HUTCH_GRANT_TEXT_MAX]; /* DENY: why, for the error message */
};

/* A grant for "no policy": everything hutch itself allows. */
void hutch_grant_init_all(struct hutch_grant *g);
/* A grant that denies everything, with a reason (truncated to fit). */
void hutch_grant_init_deny(struct hutch_grant *g, const char *reason);

/*
 * Shape check, done by the broker on what the parser sent: magic, version,
 * size, enums, flags, counts, every string terminated and zero-padded,
 * paths absolute, the uid pool ordered. 0 or -EBADMSG with *why set.
 */
int hutch_grant_check(const struct hutch_grant *g, const char **why);

/* May the caller pick profile NAME with --profile=? ALL: yes, DENY: no; a
 * rule: if it names profiles, only those and its mandatory one. (The worker
 * asks; the broker opens any installed profile, included ones too: reading
 * an admin's file grants nothing, the grant's ceilings hold whatever a
 * profile says.) */
int hutch_grant_profile_ok(const struct hutch_grant *g, const char *name);

/* Is `uid_base`..+count inside the grant's pool? (ALL: yes, DENY: no) */
int hutch_grant_uid_range_ok(const struct hutch_grant *g, uint32_t base, uint32_t count);

/*
 * What the policy parser process gets from the monitor (in memory, across
 * fork: never on the wire). The monitor opened and checked every fd.
 */
#define HUTCH_POLICY_MAX_FILES 32
struct hutch_policy_input {
	int fds[HUTCH_POLICY_MAX_FILES];   /* *.policy, regular, root-owned, not g/o-writable */
	char names[HUTCH_POLICY_MAX_FILES][HUTCH_GRANT_PATH_MAX]; /* full paths, for messages */
	unsigned n;
	int passwd_fd, group_fd; /* the host's, -1 if missing (group rules then match nothing) */
	const char *report_user; /* NULL: compile the caller's grant; else print a report */
	uint32_t worker_uid;     /* the parser drops to it (the invocation's worker uid) */
};
/* The parser (worker/policy_main.c): writes one struct hutch_grant to out_fd
 * (grant mode) or prints the report; returns the exit status. */
typedef int (*hutch_policy_fn)(int out_fd, struct hutch_policy_input *in);

#endif
