/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The admin policy language (policy/README.md): *.policy files in
 * /etc/hutch/policy.d, parsed by an unprivileged process into the caller's
 * grant (common/grant.h) before any user input is read.
 */
#ifndef HUTCH_WORKER_POLICY_H
#define HUTCH_WORKER_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "../common/grant.h"
#include "settings.h"

#define POLICY_LINE_MAX 4096      /* bytes per line, without the '\n' */
#define POLICY_FILE_MAX (1u << 20)
#define POLICY_MAX_RULES 64
#define POLICY_MAX_MATCH 16       /* Match= terms per rule */
#define POLICY_ERR_MAX 512

enum policy_match_kind { MATCH_ALL = 1, MATCH_UID, MATCH_GID, MATCH_USER, MATCH_GROUP };

struct policy_match {
	enum policy_match_kind kind;
	uint32_t lo, hi;  /* MATCH_UID / MATCH_GID: inclusive range */
	char name[257];   /* MATCH_USER / MATCH_GROUP */
};

struct policy_rule {
	struct policy_match match[POLICY_MAX_MATCH];
	unsigned n_match;
	uint32_t seen;        /* bit per single-valued key already given */
	unsigned line;        /* of its [Rule NAME] header */
	bool has_network;
	struct hutch_grant g; /* kind RULE, filled key by key */
};

struct policy {
	struct policy_rule rules[POLICY_MAX_RULES];
	unsigned n;
};

/* Who is asking: decided by the parser process (policy_caller_from_env). */
struct policy_caller {
	uint32_t uid, gid;
	char user[257];   /* from the host's passwd, or the uid in digits */
	gid_t groups[64]; /* primary first, then /etc/group memberships */
	int ngroups;
};

/*
 * Parse one file's text (buf[0..len), may hold NULs) into `p`, appending its
 * rules. `file` names it in messages. On error returns -EINVAL and writes
 * "FILE:LINE: key 'K': what" (or without the key) into err; rules of this
 * file parsed so far stay in `p` but the caller must treat the whole policy
 * as invalid.
 */
int policy_parse(struct policy *p, const char *file, const char *buf, size_t len, char *err,
		 size_t errlen);

/*
 * The caller's grant: the first rule (in file-name order, then file order)
 * whose Match= names the caller. No match: root gets HUTCH_GRANT_ALL (root is
 * not a tenant), anyone else HUTCH_GRANT_DENY. *shadowed (may be NULL) gets
 * the index of a second matching rule, or -1.
 */
void policy_grant(const struct policy *p, const struct policy_caller *c, const char *group_db,
		  size_t group_len, struct hutch_grant *g, int *shadowed);

/* Fill caller from uid/gid and the host's passwd and group text. */
void policy_caller_fill(struct policy_caller *c, uint32_t uid, uint32_t gid, const char *passwd,
			size_t plen, const char *group, size_t glen);

/* Human-readable grant (hutch --check-policy). */
void policy_print_grant(FILE *f, const struct hutch_grant *g);

/* --check-policy (a row of worker/options.c): -u then names the host user. */
int policy_option_check(struct settings *s, const char *value);

/* The parser process's entry point (a hutch_policy_fn, worker/policy_run.c). */
int policy_main(int out_fd, struct hutch_policy_input *in);

/*
 * Worker side, after the command line is parsed: narrow defaults to the
 * grant (capabilities, private network) and refuse, with one line naming
 * the policy rule, what the user asked for explicitly beyond it. The
 * broker enforces the same grant regardless.
 */
int policy_apply(struct settings *s, const struct hutch_grant *g);
/*
 * The rest read the grant they are given (the worker's, from its first
 * instruction), never state left by policy_apply(): a refusal may be
 * reported at any point, before or after it.
 */
/* One line: "policy rule 'R' (FILE:LINE) does not allow WHAT VALUE; allowed: ..." */
void policy_refused(const struct hutch_grant *g, const char *what, const char *value);
/* Does the grant restrict this caller (a rule or a denial)? (for messages) */
bool policy_restricts(const struct hutch_grant *g);
/* --bind-user= (worker/binduser.c): a restricted caller binds only itself;
 * false after logging the refusal. */
bool policy_allows_bind_user(const struct hutch_grant *g, uint32_t uid, uint32_t gid);

#endif
