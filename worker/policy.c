/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The policy parser (grammar: policy/README.md). Strict where nspawn's
 * .nspawn parser is lenient: the admin's file decides what tenants may do,
 * so an unknown key, a repeated single-valued key, a NUL byte or an
 * over-long line is an error that invalidates the whole policy (every
 * non-root caller is then refused) rather than something skipped.
 */
#include "policy.h"

#include <ctype.h>
#include <errno.h>
#include <linux/capability.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>

#include "../common/util.h"
#include "caps.h"
#include "userdb.h"

#define RANGE 65536u
#define POOL_MIN 524288u     /* nspawn's pick window */
#define POOL_END 1878982656u
#define HEADER "hutch-policy 1"

struct ctx {
	struct policy *p;
	const char *file;
	unsigned line;
	const char *key;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3))) static int fail(struct ctx *x, const char *fmt, ...)
{
	char msg[POLICY_ERR_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (x->key)
		snprintf(x->err, x->errlen, "%s:%u: key '%s': %s", x->file, x->line, x->key, msg);
	else
		snprintf(x->err, x->errlen, "%s:%u: %s", x->file, x->line, msg);
	return -EINVAL;
}

static struct policy_rule *cur(struct ctx *x)
{
	return &x->p->rules[x->p->n - 1];
}

/* Absolute, normalised (no "//", ".", "..", trailing '/'), printable. */
static int check_path(struct ctx *x, const char *v)
{
	size_t n = strlen(v);
	if (v[0] != '/')
		return fail(x, "'%s' is not an absolute path", v);
	if (n >= HUTCH_GRANT_PATH_MAX)
		return fail(x, "path longer than %d bytes", HUTCH_GRANT_PATH_MAX - 1);
	for (size_t i = 0; i < n; i++)
		if (!isprint((unsigned char)v[i]) || v[i] == ' ')
			return fail(x, "path '%s' contains a space or control character", v);
	if (strstr(v, "//") || strstr(v, "/./") || strstr(v, "/../") ||
	    (n > 1 && v[n - 1] == '/') || (n >= 2 && !strcmp(v + n - 2, "/.")) ||
	    (n >= 3 && !strcmp(v + n - 3, "/..")))
		return fail(x, "path '%s' is not normalised (no //, ., .. or trailing /)", v);
	return 0;
}

static int add_path(struct ctx *x, struct hutch_grant_path *list, uint32_t *n, const char *v,
		    uint32_t flags)
{
	int r = check_path(x, v);
	if (r < 0)
		return r;
	for (uint32_t i = 0; i < *n; i++)
		if (!strcmp(list[i].path, v)) {
			if (list[i].flags != flags)
				return fail(x, "'%s' is also given with %s", v,
					    flags ? "BindReadOnly=" : "Bind=");
			return 0;
		}
	if (*n >= HUTCH_GRANT_PATHS)
		return fail(x, "more than %d paths", HUTCH_GRANT_PATHS);
	strcpy(list[*n].path, v);
	list[(*n)++].flags = flags;
	return 0;
}

static int key_directory(struct ctx *x, const char *v)
{
	return add_path(x, cur(x)->g.roots, &cur(x)->g.n_roots, v, 0);
}

static int key_image(struct ctx *x, const char *v)
{
	return add_path(x, cur(x)->g.images, &cur(x)->g.n_images, v, 0);
}

static int key_bind(struct ctx *x, const char *v)
{
	return add_path(x, cur(x)->g.binds, &cur(x)->g.n_binds, v, HUTCH_GRANT_PATH_RW);
}

static int key_bind_ro(struct ctx *x, const char *v)
{
	return add_path(x, cur(x)->g.binds, &cur(x)->g.n_binds, v, 0);
}

static int parse_id_range(const char *v, uint32_t *lo, uint32_t *hi)
{
	char a[16], b[16];
	const char *dash = strchr(v, '-');
	size_t la = dash ? (size_t)(dash - v) : strlen(v);
	if (la == 0 || la >= sizeof a || (dash && strlen(dash + 1) >= sizeof b))
		return -EINVAL;
	memcpy(a, v, la);
	a[la] = '\0';
	snprintf(b, sizeof b, "%s", dash ? dash + 1 : a);
	unsigned long l, h;
	if (parse_uint(a, UINT32_MAX - 1, &l) < 0 || parse_uint(b, UINT32_MAX - 1, &h) < 0 || l > h)
		return -EINVAL;
	*lo = (uint32_t)l;
	*hi = (uint32_t)h;
	return 0;
}

/* "all", "uid:N[-M]", "gid:N[-M]", "user:NAME", "group:NAME", space-separated. */
static int key_match(struct ctx *x, const char *v)
{
	struct policy_rule *r = cur(x);
	char buf[POLICY_LINE_MAX + 1];
	snprintf(buf, sizeof buf, "%s", v);
	for (char *save = NULL, *t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (r->n_match >= POLICY_MAX_MATCH)
			return fail(x, "more than %d terms", POLICY_MAX_MATCH);
		struct policy_match *m = &r->match[r->n_match];
		memset(m, 0, sizeof *m);
		if (!strcmp(t, "all")) {
			m->kind = MATCH_ALL;
		} else if (!strncmp(t, "uid:", 4) || !strncmp(t, "gid:", 4)) {
			m->kind = t[0] == 'u' ? MATCH_UID : MATCH_GID;
			if (parse_id_range(t + 4, &m->lo, &m->hi) < 0)
				return fail(x, "'%s': expected uid:N, uid:N-M, gid:N or gid:N-M", t);
		} else if (!strncmp(t, "user:", 5) || !strncmp(t, "group:", 6)) {
			m->kind = t[0] == 'u' ? MATCH_USER : MATCH_GROUP;
			const char *name = strchr(t, ':') + 1;
			if (!*name || strlen(name) > 256 || strchr(name, ':') || strchr(name, ','))
				return fail(x, "'%s': bad user or group name", t);
			strcpy(m->name, name);
		} else {
			return fail(x, "'%s': expected all, uid:, gid:, user: or group:", t);
		}
		r->n_match++;
	}
	return r->n_match ? 0 : fail(x, "empty value");
}

/* BASE:COUNT, both multiples of 65536, inside nspawn's pick window. */
static int key_pool(struct ctx *x, const char *v)
{
	const char *colon = strchr(v, ':');
	char a[16];
	unsigned long base, count;
	if (!colon || (size_t)(colon - v) >= sizeof a)
		return fail(x, "'%s': expected BASE:COUNT", v);
	memcpy(a, v, (size_t)(colon - v));
	a[colon - v] = '\0';
	if (parse_uint(a, UINT32_MAX, &base) < 0 || parse_uint(colon + 1, UINT32_MAX, &count) < 0)
		return fail(x, "'%s': expected BASE:COUNT", v);
	if (base % RANGE || count % RANGE || count == 0)
		return fail(x, "'%s': BASE and COUNT must be non-zero multiples of 65536", v);
	if (base < POOL_MIN || base + count > POOL_END)
		return fail(x, "'%s': must lie within %u..%u", v, POOL_MIN, POOL_END - 1);
	cur(x)->g.uid_min = (uint32_t)base;
	cur(x)->g.uid_max = (uint32_t)(base + count);
	cur(x)->g.flags |= HUTCH_GRANT_UID_POOL;
	return 0;
}

static int parse_bool(const char *v)
{
	static const char *const yes[] = {"yes", "true", "1", "on"};
	static const char *const no[] = {"no", "false", "0", "off"};
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(v, yes[i]))
			return 1;
		if (!strcasecmp(v, no[i]))
			return 0;
	}
	return -1;
}

static int key_userns_no(struct ctx *x, const char *v)
{
	int b = parse_bool(v);
	if (b < 0)
		return fail(x, "'%s': expected yes or no", v);
	if (b)
		cur(x)->g.flags |= HUTCH_GRANT_USERNS_NO;
	return 0;
}

static int key_network(struct ctx *x, const char *v)
{
	if (!strcmp(v, "host"))
		cur(x)->g.flags |= HUTCH_GRANT_NET_HOST;
	else if (strcmp(v, "private"))
		return fail(x, "'%s': expected private or host", v);
	cur(x)->has_network = true;
	return 0;
}

/* Names (CAP_ optional, any case) separated by spaces or commas; "all"; "none". */
static int key_capability(struct ctx *x, const char *v)
{
	char buf[POLICY_LINE_MAX + 1];
	uint64_t mask = 0;
	snprintf(buf, sizeof buf, "%s", v);
	for (char *save = NULL, *t = strtok_r(buf, " ,\t", &save); t; t = strtok_r(NULL, " ,\t", &save)) {
		if (!strcasecmp(t, "all")) {
			mask |= ~CAPS_AUDIT & ((CAP_LAST_CAP >= 63) ? ~0ull : (1ull << (CAP_LAST_CAP + 1)) - 1);
			continue;
		}
		if (!strcasecmp(t, "none"))
			continue;
		int cap = caps_from_name(t);
		if (cap < 0)
			return fail(x, "unknown capability '%s'", t);
		mask |= 1ull << cap;
	}
	cur(x)->g.cap_max = mask & ~CAPS_AUDIT;
	return 0;
}

static int key_profile(struct ctx *x, const char *v)
{
	struct hutch_grant *g = &cur(x)->g;
	char buf[POLICY_LINE_MAX + 1];
	snprintf(buf, sizeof buf, "%s", v);
	for (char *save = NULL, *t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (!name_is_valid(t))
			return fail(x, "'%s' is not a valid profile name", t);
		if (g->n_profiles >= HUTCH_GRANT_PROFILES)
			return fail(x, "more than %d profiles", HUTCH_GRANT_PROFILES);
		strcpy(g->profiles[g->n_profiles++], t);
	}
	return 0;
}

static int key_mandatory(struct ctx *x, const char *v)
{
	if (!name_is_valid(v))
		return fail(x, "'%s' is not a valid profile name", v);
	strcpy(cur(x)->g.mandatory_profile, v);
	return 0;
}

/* systemd's size syntax: bytes, or K/M/G/T (1024-based); "infinity". */
static int key_memory(struct ctx *x, const char *v)
{
	if (!strcmp(v, "infinity"))
		return 0;
	char num[24];
	size_t n = strlen(v);
	unsigned shift = 0;
	const char *units = "KMGT";
	const char *u = n ? strchr(units, v[n - 1]) : NULL;
	if (u && *u) {
		shift = 10 * (unsigned)(u - units + 1);
		n--;
	}
	unsigned long val;
	if (n == 0 || n >= sizeof num)
		return fail(x, "'%s': expected bytes with an optional K, M, G or T", v);
	memcpy(num, v, n);
	num[n] = '\0';
	if (parse_uint(num, UINT64_MAX >> shift, &val) < 0 || val == 0)
		return fail(x, "'%s': expected bytes with an optional K, M, G or T", v);
	cur(x)->g.memory_max = (uint64_t)val << shift;
	return 0;
}

static int key_tasks(struct ctx *x, const char *v)
{
	unsigned long val;
	if (!strcmp(v, "infinity"))
		return 0;
	if (parse_uint(v, UINT32_MAX, &val) < 0 || val == 0)
		return fail(x, "'%s': expected a positive number or infinity", v);
	cur(x)->g.tasks_max = val;
	return 0;
}

static int key_cpu(struct ctx *x, const char *v)
{
	char num[16];
	size_t n = strlen(v);
	unsigned long val;
	if (n < 2 || n > sizeof num || v[n - 1] != '%')
		return fail(x, "'%s': expected a percentage such as 200%%", v);
	memcpy(num, v, n - 1);
	num[n - 1] = '\0';
	if (parse_uint(num, 1000000, &val) < 0 || val == 0)
		return fail(x, "'%s': expected a percentage such as 200%%", v);
	cur(x)->g.cpu_quota = (uint32_t)val;
	return 0;
}

/* An MLS/MCS range such as s0-s0:c0.c1023; the SELinux code checks meaning. */
static int key_selinux(struct ctx *x, const char *v)
{
	if (strlen(v) >= HUTCH_GRANT_TEXT_MAX || strspn(v, "sc0123456789:.,-") != strlen(v) ||
	    v[0] != 's')
		return fail(x, "'%s' is not an MCS range such as s0-s0:c0.c1023", v);
	strcpy(cur(x)->g.selinux_range, v);
	return 0;
}

static const struct key {
	const char *name;
	int (*parse)(struct ctx *x, const char *v);
	bool repeatable;
} keys[] = {
	{"Match", key_match, true},
	{"Directory", key_directory, true},
	{"Image", key_image, true},
	{"Bind", key_bind, true},
	{"BindReadOnly", key_bind_ro, true},
	{"PrivateUsersPool", key_pool, false},
	{"AllowPrivateUsersNo", key_userns_no, false},
	{"Capability", key_capability, false},
	{"Network", key_network, false},
	{"Profile", key_profile, true},
	{"MandatoryProfile", key_mandatory, false},
	{"MemoryMax", key_memory, false},
	{"TasksMax", key_tasks, false},
	{"CPUQuota", key_cpu, false},
	{"SELinuxRange", key_selinux, false},
};

static int do_key(struct ctx *x, char *line)
{
	char *eq = strchr(line, '=');
	if (!eq)
		return fail(x, "expected KEY=VALUE");
	char *k = line, *v = eq + 1;
	char *e = eq;
	while (e > k && isspace((unsigned char)e[-1]))
		e--;
	*e = '\0';
	v += strspn(v, " \t");
	if (!x->p->n)
		return fail(x, "key '%s' outside a [Rule NAME] section", k);
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		if (strcmp(keys[i].name, k))
			continue;
		x->key = keys[i].name;
		if (!keys[i].repeatable && (cur(x)->seen & (1u << i)))
			return fail(x, "given twice in this rule");
		cur(x)->seen |= 1u << i;
		if (!*v)
			return fail(x, "empty value");
		return keys[i].parse(x, v);
	}
	x->key = NULL;
	return fail(x, "unknown key '%.64s'", k);
}

/* A rule is complete when its section ends: Match= is required. */
static int finish_rule(struct ctx *x)
{
	if (!x->p->n)
		return 0;
	struct policy_rule *r = cur(x);
	unsigned here = x->line;
	x->key = NULL;
	x->line = r->line; /* errors point at the rule's header */
	if (!r->n_match)
		return fail(x, "rule '%s' has no Match= key", r->g.rule);
	if (r->g.mandatory_profile[0] && r->g.n_profiles) {
		bool listed = false;
		for (uint32_t i = 0; i < r->g.n_profiles; i++)
			listed |= !strcmp(r->g.profiles[i], r->g.mandatory_profile);
		if (!listed)
			return fail(x, "rule '%s': MandatoryProfile=%s is not among Profile=", r->g.rule,
				    r->g.mandatory_profile);
	}
	x->line = here;
	return 0;
}

static int do_section(struct ctx *x, char *line, size_t n)
{
	if (line[n - 1] != ']')
		return fail(x, "section header without ']'");
	line[n - 1] = '\0';
	if (strncmp(line + 1, "Rule ", 5))
		return fail(x, "unknown section '[%.64s]': expected [Rule NAME]", line + 1);
	const char *name = line + 6;
	if (!name_is_valid(name))
		return fail(x, "rule name '%.64s' is not valid ([A-Za-z0-9._-], 1-64)", name);
	for (unsigned i = 0; i < x->p->n; i++)
		if (!strcmp(x->p->rules[i].g.rule, name))
			return fail(x, "rule '%s' defined twice (first at %s)", name,
				    x->p->rules[i].g.source);
	if (x->p->n >= POLICY_MAX_RULES)
		return fail(x, "more than %d rules", POLICY_MAX_RULES);
	struct policy_rule *r = &x->p->rules[x->p->n++];
	memset(r, 0, sizeof *r);
	r->g.magic = HUTCH_GRANT_MAGIC;
	r->g.version = HUTCH_GRANT_VERSION;
	r->g.size = sizeof r->g;
	r->g.kind = HUTCH_GRANT_RULE;
	/* Unset keys: nspawn's pick window, hutch's default capabilities,
	 * private network only, no ceilings. */
	r->g.uid_min = POOL_MIN;
	r->g.uid_max = POOL_END / RANGE * RANGE;
	r->g.cap_max = default_capabilities;
	strcpy(r->g.rule, name);
	r->line = x->line;
	snprintf(r->g.source, sizeof r->g.source, "%s:%u", x->file, x->line);
	return 0;
}

int policy_parse(struct policy *p, const char *file, const char *buf, size_t len, char *err,
		 size_t errlen)
{
	struct ctx x = {.p = p, .file = file, .err = err, .errlen = errlen};
	unsigned first_rule = p->n;
	bool header = false;
	int r = 0;
	static char line[POLICY_LINE_MAX + 2];
	for (size_t off = 0; off < len && r == 0;) {
		x.line++;
		x.key = NULL;
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (buf + off)) : len - off;
		if (n > POLICY_LINE_MAX)
			return fail(&x, "line longer than %d bytes", POLICY_LINE_MAX);
		if (memchr(buf + off, '\0', n))
			return fail(&x, "NUL byte in line");
		memcpy(line, buf + off, n);
		off += n + (nl ? 1 : 0);
		while (n && isspace((unsigned char)line[n - 1])) /* also the \r of CRLF */
			n--;
		line[n] = '\0';
		char *s = line + strspn(line, " \t");
		n = strlen(s);
		if (!n || s[0] == '#' || s[0] == ';')
			continue;
		if (!header) {
			if (strcmp(s, HEADER))
				return fail(&x, "first line must be '" HEADER "'");
			header = true;
		} else if (s[0] == '[') {
			if ((r = p->n > first_rule ? finish_rule(&x) : 0) == 0)
				r = do_section(&x, s, n);
		} else {
			r = do_key(&x, s);
		}
	}
	if (r == 0 && p->n > first_rule)
		r = finish_rule(&x);
	return r;
}
