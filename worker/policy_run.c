/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The policy parser process and what the worker does with its grant.
 *
 * policy_main runs in a child the monitor forks before the worker exists.
 * It reads the fds the monitor opened (policy files, the host's passwd and
 * group) while still root, then drops exactly as the worker does
 * (worker/drop.c) before it parses a byte, decides who the caller is, and
 * writes the caller's grant to the monitor. It never sees the command line.
 */
#include "policy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/util.h"
#include "caps.h"
#include "drop.h"
#include "userdb.h"

#define DB_MAX (4u << 20)

/* gid of group `name` in group text; strict: name:pw:gid:members lines only. */
static bool group_gid(const char *db, size_t len, const char *name, gid_t *out)
{
	size_t nl = strlen(name);
	for (size_t off = 0; off < len;) {
		const char *line = db + off;
		const char *end = memchr(line, '\n', len - off);
		size_t n = end ? (size_t)(end - line) : len - off;
		off += n + 1;
		if (n <= nl + 1 || memcmp(line, name, nl) || line[nl] != ':' || memchr(line, '\0', n))
			continue;
		const char *pw_end = memchr(line + nl + 1, ':', n - nl - 1);
		if (!pw_end)
			continue;
		char num[16];
		size_t k = strcspn(pw_end + 1, ":\n");
		if (k == 0 || k >= sizeof num || (size_t)(pw_end + 1 + k - line) >= n)
			continue;
		memcpy(num, pw_end + 1, k);
		num[k] = '\0';
		unsigned long v;
		if (parse_uint(num, UINT32_MAX - 1, &v) == 0) {
			*out = (gid_t)v;
			return true;
		}
	}
	return false;
}

void policy_caller_fill(struct policy_caller *c, uint32_t uid, uint32_t gid, const char *passwd,
			size_t plen, const char *group, size_t glen)
{
	static struct userdb_user u;
	char spec[16];
	memset(c, 0, sizeof *c);
	c->uid = uid;
	c->gid = gid;
	snprintf(spec, sizeof spec, "%u", uid);
	if (userdb_find_user(passwd ? passwd : "", passwd ? plen : 0, spec, &u) == 0)
		snprintf(c->user, sizeof c->user, "%s", u.name);
	else
		snprintf(c->user, sizeof c->user, "%s", spec);
	c->ngroups = userdb_groups(group ? group : "", group ? glen : 0, c->user, gid, c->groups,
				   ARRAY_SIZE(c->groups));
	if (c->ngroups < 1) { /* too many groups: the primary one still counts */
		c->groups[0] = gid;
		c->ngroups = 1;
	}
}

static bool term_matches(const struct policy_match *m, const struct policy_caller *c,
			 const char *gdb, size_t glen)
{
	gid_t want;
	switch (m->kind) {
	case MATCH_ALL:
		return true;
	case MATCH_UID:
		return c->uid >= m->lo && c->uid <= m->hi;
	case MATCH_USER:
		return !strcmp(m->name, c->user);
	case MATCH_GID:
	case MATCH_GROUP:
		if (m->kind == MATCH_GROUP && !group_gid(gdb ? gdb : "", gdb ? glen : 0, m->name, &want))
			return false;
		for (int i = 0; i < c->ngroups; i++)
			if (m->kind == MATCH_GROUP ? c->groups[i] == want
						   : c->groups[i] >= m->lo && c->groups[i] <= m->hi)
				return true;
		return false;
	}
	return false;
}

static bool rule_matches(const struct policy_rule *r, const struct policy_caller *c,
			 const char *gdb, size_t glen)
{
	for (unsigned i = 0; i < r->n_match; i++)
		if (term_matches(&r->match[i], c, gdb, glen))
			return true;
	return false;
}

void policy_grant(const struct policy *p, const struct policy_caller *c, const char *group_db,
		  size_t group_len, struct hutch_grant *g, int *shadowed)
{
	int first = -1, second = -1;
	for (unsigned i = 0; i < p->n && second < 0; i++)
		if (rule_matches(&p->rules[i], c, group_db, group_len))
			*(first < 0 ? &first : &second) = (int)i;
	if (shadowed)
		*shadowed = second;
	if (first >= 0) {
		*g = p->rules[first].g;
	} else if (c->uid == 0) {
		hutch_grant_init_all(g); /* root is not a tenant */
	} else {
		char why[HUTCH_GRANT_TEXT_MAX];
		snprintf(why, sizeof why, "no policy rule matches uid %u (%.64s)", c->uid, c->user);
		hutch_grant_init_deny(g, why);
	}
	g->caller_uid = c->uid;
	g->caller_gid = c->gid;
}

static void print_paths(FILE *f, const char *key, const struct hutch_grant_path *p, uint32_t n,
			bool binds)
{
	if (!n)
		fprintf(f, "%-18s (none)\n", key);
	for (uint32_t i = 0; i < n; i++)
		fprintf(f, "%-18s %s and below%s\n", key, p[i].path,
			binds ? (p[i].flags & HUTCH_GRANT_PATH_RW ? ", read-write" : ", read-only")
			      : "");
}

static void print_limit(FILE *f, const char *key, uint64_t v, const char *unit)
{
	if (v)
		fprintf(f, "%-18s %llu%s\n", key, (unsigned long long)v, unit);
	else
		fprintf(f, "%-18s no ceiling\n", key);
}

void policy_print_grant(FILE *f, const struct hutch_grant *g)
{
	fprintf(f, "%-18s uid %u, gid %u\n", "Caller:", g->caller_uid, g->caller_gid);
	if (g->kind == HUTCH_GRANT_ALL) {
		fprintf(f, "%-18s everything (no policy rule applies: no policy installed, or root)\n",
			"Grant:");
		return;
	}
	if (g->kind != HUTCH_GRANT_RULE) {
		fprintf(f, "%-18s nothing: %s\n", "Grant:", g->reason);
		return;
	}
	fprintf(f, "%-18s rule '%s' (%s)\n", "Grant:", g->rule, g->source);
	print_paths(f, "Directory:", g->roots, g->n_roots, false);
	print_paths(f, "Image:", g->images, g->n_images, false);
	print_paths(f, "Bind:", g->binds, g->n_binds, true);
	fprintf(f, "%-18s %u:%u (uids %u..%u%s)\n", "PrivateUsersPool:", g->uid_min,
		g->uid_max - g->uid_min, g->uid_min, g->uid_max - 1,
		g->flags & HUTCH_GRANT_UID_POOL ? "; named: pick may use ids /etc/subuid delegates"
						: "; pick avoids ids /etc/subuid delegates");
	fprintf(f, "%-18s %s\n", "PrivateUsers=no:",
		g->flags & HUTCH_GRANT_USERNS_NO ? "allowed" : "not allowed");
	fprintf(f, "%-18s %s\n", "Network:",
		g->flags & HUTCH_GRANT_NET_HOST ? "host or private" : "private only");
	fprintf(f, "%-18s", "Capability:");
	for (unsigned cap = 0; cap < 64; cap++)
		if (g->cap_max & (1ull << cap))
			fprintf(f, " %s", caps_name(cap));
	fprintf(f, "%s\n", g->cap_max ? "" : " (none)");
	fprintf(f, "%-18s", "Profile:");
	for (uint32_t i = 0; i < g->n_profiles; i++)
		fprintf(f, " %s", g->profiles[i]);
	fprintf(f, "%s\n", g->n_profiles ? "" : " any");
	fprintf(f, "%-18s %s\n", "MandatoryProfile:",
		g->mandatory_profile[0] ? g->mandatory_profile : "(none)");
	print_limit(f, "MemoryMax:", g->memory_max, " bytes");
	print_limit(f, "TasksMax:", g->tasks_max, "");
	print_limit(f, "CPUQuota:", g->cpu_quota, "%");
	fprintf(f, "%-18s %s\n", "SELinuxRange:", g->selinux_range[0] ? g->selinux_range : "any");
}

/* The caller: SUDO_UID/SUDO_GID when root runs us and sudo set them (root
 * claiming to be someone else only restricts itself), else the real ids. */
static int caller_ids(uint32_t *uid, uint32_t *gid)
{
	*uid = (uint32_t)getuid();
	*gid = (uint32_t)getgid();
	const char *su = getenv("SUDO_UID"), *sg = getenv("SUDO_GID");
	if (*uid != 0 || !su)
		return 0;
	unsigned long u, g;
	if (!sg || parse_uint(su, UINT32_MAX - 1, &u) < 0 || parse_uint(sg, UINT32_MAX - 1, &g) < 0)
		return -EINVAL;
	*uid = (uint32_t)u;
	*gid = (uint32_t)g;
	return 0;
}

struct inputs {
	char *text[HUTCH_POLICY_MAX_FILES];
	size_t len[HUTCH_POLICY_MAX_FILES];
	int err[HUTCH_POLICY_MAX_FILES];
	unsigned order[HUTCH_POLICY_MAX_FILES];
	char *passwd, *group;
	size_t plen, glen;
};

static struct hutch_policy_input *sort_input;
static int by_name(const void *a, const void *b)
{
	return strcmp(sort_input->names[*(const unsigned *)a], sort_input->names[*(const unsigned *)b]);
}

/* Reading is not parsing: done as root, before the drop, then fds closed. */
static void read_inputs(struct hutch_policy_input *in, struct inputs *d)
{
	for (unsigned i = 0; i < in->n; i++) {
		d->err[i] = read_fd_bounded(in->fds[i], POLICY_FILE_MAX, &d->text[i], &d->len[i]);
		closep(&in->fds[i]);
		d->order[i] = i;
	}
	if (in->passwd_fd >= 0 && read_fd_bounded(in->passwd_fd, DB_MAX, &d->passwd, &d->plen) < 0)
		d->passwd = NULL;
	if (in->group_fd >= 0 && read_fd_bounded(in->group_fd, DB_MAX, &d->group, &d->glen) < 0)
		d->group = NULL;
	closep(&in->passwd_fd);
	closep(&in->group_fd);
	sort_input = in;
	qsort(d->order, in->n, sizeof d->order[0], by_name);
}

/* Parse every file; report mode prints each error, else only the first is kept. */
static int parse_all(struct hutch_policy_input *in, struct inputs *d, struct policy *p,
		     char *first, size_t firstlen)
{
	char err[POLICY_ERR_MAX];
	int bad = 0;
	for (unsigned k = 0; k < in->n; k++) {
		unsigned i = d->order[k];
		int r = d->err[i];
		if (r < 0)
			snprintf(err, sizeof err, "%s: cannot read: %s", in->names[i],
				 r == -EFBIG ? "larger than 1 MiB" : strerror(-r));
		else
			r = policy_parse(p, in->names[i], d->text[i], d->len[i], err, sizeof err);
		if (r < 0 && !bad++)
			snprintf(first, firstlen, "%s", err);
		if (r < 0 && in->report_user)
			log_error("%s", err);
	}
	return bad;
}

static int report(struct hutch_policy_input *in, struct inputs *d, struct policy *p, int bad,
		  uint32_t uid, uint32_t gid)
{
	static struct userdb_user u;
	printf("%-18s %u%s\n", "Policy files:", in->n, in->n ? "" : " (none installed)");
	for (unsigned k = 0; k < in->n; k++)
		printf("%-18s %s\n", "", in->names[d->order[k]]);
	if (in->report_user[0]) {
		int r = userdb_find_user(d->passwd ? d->passwd : "", d->plen, in->report_user, &u);
		if (r < 0) {
			log_error("--user=%s: %s", in->report_user,
				  r == -ENOENT ? "no such user in the host's /etc/passwd"
					       : "not a user name or uid");
			return 1;
		}
		uid = u.uid;
		gid = u.gid;
	}
	struct policy_caller c;
	policy_caller_fill(&c, uid, gid, d->passwd, d->plen, d->group, d->glen);
	struct hutch_grant g;
	int shadowed = -1;
	if (bad) {
		printf("Policy:            INVALID (%d file%s with errors, shown above): every "
		       "non-root caller is refused until it is fixed\n", bad, bad == 1 ? "" : "s");
		hutch_grant_init_deny(&g, "the policy has errors");
		g.caller_uid = uid;
		g.caller_gid = gid;
	} else {
		policy_grant(p, &c, d->group, d->glen, &g, &shadowed);
	}
	printf("%-18s %s, groups", "User:", c.user);
	for (int i = 0; i < c.ngroups; i++)
		printf("%s%u", i ? "," : " ", (unsigned)c.groups[i]);
	printf("\n");
	policy_print_grant(stdout, &g);
	if (shadowed >= 0)
		printf("Also matches:      rule '%s' (%s), ignored: the first matching rule wins\n",
		       p->rules[shadowed].g.rule, p->rules[shadowed].g.source);
	return bad ? 1 : 0;
}

int policy_main(int out_fd, struct hutch_policy_input *in)
{
	static struct inputs d;
	read_inputs(in, &d);
	uint32_t uid, gid;
	int ids = caller_ids(&uid, &gid); /* before the drop changes them */
	int r = worker_drop_privileges(out_fd, in->worker_uid);
	if (r < 0) {
		errno = -r;
		log_error("policy parser: cannot drop privileges: %m");
		return 1;
	}
	struct policy *p = calloc(1, sizeof *p);
	if (!p)
		return 1;
	char first[POLICY_ERR_MAX] = "";
	int bad = parse_all(in, &d, p, first, sizeof first);
	if (ids < 0) {
		log_error("SUDO_UID/SUDO_GID are not valid ids");
		return 1; /* the monitor then denies everything */
	}
	if (in->report_user) {
		r = report(in, &d, p, bad, uid, gid);
		fflush(stdout);
		return r;
	}

	struct hutch_grant g;
	if (bad) {
		char why[HUTCH_GRANT_TEXT_MAX];
		snprintf(why, sizeof why, "the policy has errors (%.200s); see hutch --check-policy",
			 first);
		hutch_grant_init_deny(&g, why);
		g.caller_uid = uid;
		g.caller_gid = gid;
	} else {
		struct policy_caller c;
		policy_caller_fill(&c, uid, gid, d.passwd, d.plen, d.group, d.glen);
		policy_grant(p, &c, d.group, d.glen, &g, NULL);
	}
	return write_full(out_fd, &g, sizeof g) < 0;
}

static void log_refusal(const struct hutch_grant *g, const char *what)
{
	log_error("policy rule '%s' (%s) %s", g->rule, g->source, what);
}

void policy_refused(const struct hutch_grant *g, const char *what, const char *value)
{
	if (g->kind != HUTCH_GRANT_RULE) { /* the broker refused for the grant's own reason */
		log_error("the admin policy does not allow %s %s: %s", what, value,
			  g->kind == HUTCH_GRANT_ALL ? "refused by the broker" : g->reason);
		return;
	}
	bool image = !strcmp(what, "image");
	const struct hutch_grant_path *list = image ? g->images : g->roots;
	uint32_t n = image ? g->n_images : g->n_roots;
	static char allowed[HUTCH_GRANT_PATHS * (HUTCH_GRANT_PATH_MAX + 2) + 1];
	allowed[0] = '\0';
	for (uint32_t i = 0; i < n && i < HUTCH_GRANT_PATHS; i++)
		snprintf(allowed + strlen(allowed), sizeof allowed - strlen(allowed), "%s%.255s",
			 i ? ", " : "", list[i].path);
	if (!strcmp(what, "--template="))
		log_error("policy rule '%s' (%s) does not allow --template=%s: populating a new root "
			  "is only for callers the policy does not restrict", g->rule, g->source, value);
	else
		log_error("policy rule '%s' (%s) does not allow %s %s; allowed: %s%s", g->rule,
			  g->source, what, value, n ? allowed : "none", n ? " and below" : "");
}

bool policy_restricts(const struct hutch_grant *g)
{
	return g->kind != HUTCH_GRANT_ALL;
}

bool policy_allows_bind_user(const struct hutch_grant *g, uint32_t uid, uint32_t gid)
{
	if (!policy_restricts(g))
		return true;
	if (g->kind == HUTCH_GRANT_RULE && g->caller_uid == uid && g->caller_gid == gid)
		return true;
	if (g->kind == HUTCH_GRANT_RULE)
		log_refusal(g, "allows --bind-user= only for the caller's own user and group");
	else
		log_error("the admin policy does not allow --bind-user=: %s", g->reason);
	return false;
}

int policy_apply(struct settings *s, const struct hutch_grant *g)
{
	char msg[256];
	if (g->kind == HUTCH_GRANT_ALL)
		return 0;
	if (g->kind != HUTCH_GRANT_RULE) {
		log_error("the admin policy does not let uid %u start containers: %s", g->caller_uid,
			  g->reason);
		return -EPERM;
	}
	if (s->res.keep_unit) {
		log_refusal(g, "does not allow --keep-unit (for unrestricted callers only)");
		return -EPERM;
	}
	if (s->userns == HUTCH_USERNS_NO && !(g->flags & HUTCH_GRANT_USERNS_NO)) {
		log_refusal(g, "does not allow --private-users=no");
		return -EPERM;
	}
	if (s->userns == HUTCH_USERNS_FIXED &&
	    !hutch_grant_uid_range_ok(g, s->uid_base, s->uid_count)) {
		snprintf(msg, sizeof msg,
			 "allows uid ranges only within %u..%u; --private-users=%u:%u is outside",
			 g->uid_min, g->uid_max - 1, s->uid_base, s->uid_count);
		log_refusal(g, msg);
		return -EPERM;
	}
	uint64_t asked = s->cap_add | s->cap_ambient;
	if (asked & ~g->cap_max) {
		snprintf(msg, sizeof msg, "does not allow capability %s",
			 caps_name((unsigned)__builtin_ctzll(asked & ~g->cap_max)));
		log_refusal(g, msg);
		return -EPERM;
	}
	static const struct {
		enum hutch_limit k;
		const char *name;
	} limits[] = {{HUTCH_LIMIT_MEMORY_MAX, "MemoryMax"},
		      {HUTCH_LIMIT_TASKS_MAX, "TasksMax"},
		      {HUTCH_LIMIT_CPU_QUOTA, "CPUQuota"}};
	const uint64_t ceiling[] = {g->memory_max, g->tasks_max, (uint64_t)g->cpu_quota * 10000};
	struct hutch_cgroup *cg = &s->res.cg;
	for (size_t i = 0; i < ARRAY_SIZE(limits); i++) {
		uint32_t bit = 1u << limits[i].k;
		/* TasksMax= has nspawn's default when not given: that one bends. */
		bool given = (cg->set & bit) &&
			     (limits[i].k != HUTCH_LIMIT_TASKS_MAX || s->res.tasks_max_given);
		if (!ceiling[i] || ((cg->set & bit) && cg->value[limits[i].k] <= ceiling[i]))
			continue;
		if (given) {
			snprintf(msg, sizeof msg, "allows %s= up to %llu%s", limits[i].name,
				 (unsigned long long)(i == 2 ? ceiling[i] / 10000 : ceiling[i]),
				 i == 0 ? " bytes" : i == 2 ? "%" : "");
			log_refusal(g, msg);
			return -EPERM;
		}
		cg->set |= bit;
		cg->value[limits[i].k] = ceiling[i];
	}
	/* Defaults bend to the grant: no host network means a private one
	 * (with CAP_NET_ADMIN, as nspawn gives it), and the default capability
	 * set shrinks to the ceiling. */
	if (!s->private_network && !(g->flags & HUTCH_GRANT_NET_HOST)) {
		s->private_network = true;
		s->cap_bounding |= (1ull << 12) & ~s->cap_drop;
		log_info("Private network: policy rule '%s' does not allow the host's.", g->rule);
	}
	s->cap_bounding &= g->cap_max;
	s->cap_ambient &= g->cap_max;
	return 0;
}

int policy_option_check(struct settings *s, const char *value)
{
	s->check_policy = true;
	return 0;
}
