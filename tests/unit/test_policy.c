/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * worker/policy.c: the admin policy parser and rule matching. The parser is
 * strict: every error names file, line and (where there is one) the key,
 * and makes the policy invalid.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../worker/policy.h"

static struct policy *pol;
static char err[POLICY_ERR_MAX];

static void policy_setup(void)
{
	pol = calloc(1, sizeof *pol);
	cr_assert_not_null(pol);
	err[0] = '\0';
}

static void policy_teardown(void)
{
	free(pol);
}

TestSuite(policy, .init = policy_setup, .fini = policy_teardown);

static int parse_n(const char *text, size_t len)
{
	err[0] = '\0';
	return policy_parse(pol, "t.policy", text, len, err, sizeof err);
}
/* One file on its own. */
static int parse(const char *text)
{
	pol->n = 0;
	return parse_n(text, strlen(text));
}
/* Another file of the same policy. */
static int parse_more(const char *text)
{
	return parse_n(text, strlen(text));
}

#define OK(text) cr_assert_eq(parse(text), 0, "refused: %s", err)
/* Refused, and the message contains `needle` (file:line, key). */
#define BAD(text, needle)                                                           \
	do {                                                                        \
		cr_assert_eq(parse(text), -EINVAL, "accepted: %s", text);           \
		cr_assert(strstr(err, needle), "message '%s' lacks '%s'", err, needle); \
	} while (0)

#define HDR "hutch-policy 1\n"

static const char group_db[] = "root:x:0:\nbuilders:x:5000:alice,carol\nci:x:6000:\n";

static void grant_for(uint32_t uid, uint32_t gid, const char *name, struct hutch_grant *g,
		      int *shadowed)
{
	char passwd[256];
	snprintf(passwd, sizeof passwd, "root:x:0:0::/root:/bin/sh\n%s:x:%u:%u::/:/bin/sh\n", name,
		 uid, gid);
	struct policy_caller c;
	policy_caller_fill(&c, uid, gid, passwd, strlen(passwd), group_db, strlen(group_db));
	policy_grant(pol, &c, group_db, strlen(group_db), g, shadowed);
	const char *why = NULL;
	cr_assert_eq(hutch_grant_check(g, &why), 0, "grant fails its shape check: %s", why);
}

Test(policy, full_rule)
{
	OK(HDR "# builders\n"
	       "[Rule builders]\n"
	       "Match = group:builders uid:1000-1999\n"
	       "Directory=/srv/build\n"
	       "Directory=/srv/roots\n"
	       "Image=/srv/images\n"
	       "Bind=/srv/cache\n"
	       "BindReadOnly=/srv/src\n"
	       "PrivateUsersPool=1048576:1048576\n"
	       "AllowPrivateUsersNo=no\n"
	       "Capability=CAP_CHOWN, net_bind_service 7\n"
	       "Network=host\n"
	       "Profile=build strict\n"
	       "MandatoryProfile=build\n"
	       "MemoryMax=4G\n"
	       "TasksMax=512\n"
	       "CPUQuota=200%\n"
	       "SELinuxRange=s0-s0:c0.c255\n");
	cr_assert_eq(pol->n, 1);
	struct hutch_grant g;
	int shadowed;
	grant_for(1500, 1500, "bob", &g, &shadowed);
	cr_assert_eq(g.kind, HUTCH_GRANT_RULE);
	cr_assert_eq(shadowed, -1);
	cr_assert_str_eq(g.rule, "builders");
	cr_assert_str_eq(g.source, "t.policy:3");
	cr_assert_eq(g.n_roots, 2);
	cr_assert_str_eq(g.roots[1].path, "/srv/roots");
	cr_assert_str_eq(g.images[0].path, "/srv/images");
	cr_assert_eq(g.n_binds, 2);
	cr_assert_eq(g.binds[0].flags, HUTCH_GRANT_PATH_RW);
	cr_assert_eq(g.binds[1].flags, 0);
	cr_assert_eq(g.uid_min, 1048576);
	cr_assert_eq(g.uid_max, 2097152);
	cr_assert_eq(g.flags, HUTCH_GRANT_NET_HOST | HUTCH_GRANT_UID_POOL); /* its pool is named */
	cr_assert_eq(g.cap_max, (1ull << CAP_CHOWN) | (1ull << CAP_NET_BIND_SERVICE) |
				      (1ull << CAP_SETUID));
	cr_assert_eq(g.n_profiles, 2);
	cr_assert_str_eq(g.mandatory_profile, "build");
	cr_assert_eq(g.memory_max, 4ull << 30);
	cr_assert_eq(g.tasks_max, 512);
	cr_assert_eq(g.cpu_quota, 200);
	cr_assert_str_eq(g.selinux_range, "s0-s0:c0.c255");
	cr_assert_eq(g.caller_uid, 1500);
}

Test(policy, defaults_are_narrow)
{
	OK(HDR "[Rule r]\nMatch=all\n");
	struct hutch_grant g;
	grant_for(1000, 1000, "u", &g, NULL);
	cr_assert_eq(g.kind, HUTCH_GRANT_RULE);
	cr_assert_eq(g.n_roots, 0, "no Directory= means no root directory");
	cr_assert_eq(g.flags, 0, "no host network, no --private-users=no");
	cr_assert_eq(g.cap_max, default_capabilities);
	cr_assert_eq(g.uid_min, 524288);
	cr_assert_eq(g.memory_max, 0);
}

Test(policy, matching)
{
	OK(HDR "[Rule by-group]\nMatch=group:builders\n"
	       "[Rule by-gid]\nMatch=gid:6000\n"
	       "[Rule by-user]\nMatch=user:dave\n"
	       "[Rule by-uid]\nMatch=uid:2000-2999 uid:42\n");
	struct hutch_grant g;
	grant_for(1001, 1001, "alice", &g, NULL); /* member of builders in /etc/group */
	cr_assert_str_eq(g.rule, "by-group");
	grant_for(1002, 6000, "eve", &g, NULL); /* primary gid 6000 */
	cr_assert_str_eq(g.rule, "by-gid");
	grant_for(1003, 1003, "dave", &g, NULL);
	cr_assert_str_eq(g.rule, "by-user");
	grant_for(42, 42, "x", &g, NULL);
	cr_assert_str_eq(g.rule, "by-uid");
	grant_for(2999, 7, "y", &g, NULL);
	cr_assert_str_eq(g.rule, "by-uid");
	grant_for(3000, 3000, "z", &g, NULL);
	cr_assert_eq(g.kind, HUTCH_GRANT_DENY);
	cr_assert(strstr(g.reason, "uid 3000"), "%s", g.reason);
}

/* Root is not a tenant: no matching rule means everything; a rule that
 * names root explicitly does apply. */
Test(policy, root)
{
	OK(HDR "[Rule users]\nMatch=uid:1000-60000\n");
	struct hutch_grant g;
	grant_for(0, 0, "root", &g, NULL);
	cr_assert_eq(g.kind, HUTCH_GRANT_ALL);
	OK(HDR "[Rule root-too]\nMatch=uid:0\n");
	grant_for(0, 0, "root", &g, NULL);
	cr_assert_eq(g.kind, HUTCH_GRANT_RULE);
}

/* Two rules for the same caller: the first wins, the second is reported. */
Test(policy, conflicting_rules_first_wins)
{
	OK(HDR "[Rule wide]\nMatch=all\nNetwork=host\n");
	cr_assert_eq(parse_more(HDR "[Rule narrow]\nMatch=uid:1000\nNetwork=private\n"), 0, "%s", err);
	struct hutch_grant g;
	int shadowed;
	grant_for(1000, 1000, "u", &g, &shadowed);
	cr_assert_str_eq(g.rule, "wide");
	cr_assert_eq(shadowed, 1);
}

Test(policy, crlf_comments_blank_and_empty)
{
	OK(HDR "\r\n; comment\r\n  # indented comment\r\n[Rule r]\r\nMatch=uid:5\r\n"
	       "Directory=/srv/x\r\n");
	cr_assert_str_eq(pol->rules[0].g.roots[0].path, "/srv/x");
	OK("");
	OK("# only comments\n\n");
	OK(HDR); /* no rules */
	cr_assert_eq(pol->n, 0);
}

Test(policy, header)
{
	BAD("[Rule r]\nMatch=all\n", "t.policy:1: first line must be 'hutch-policy 1'");
	BAD("hutch-policy 2\n", "t.policy:1:");
	BAD("# c\nhutch-policy\n", "t.policy:2:");
}

Test(policy, nul_byte)
{
	static const char t[] = HDR "[Rule r]\nMatch=all\nDirectory=/srv\0/x\n";
	cr_assert_eq(parse_n(t, sizeof t - 1), -EINVAL);
	cr_assert(strstr(err, "t.policy:4: NUL byte"), "%s", err);
}

Test(policy, long_line)
{
	size_t n = 5000;
	char *t = malloc(n + 64);
	int k = sprintf(t, HDR "[Rule r]\nMatch=all\nDirectory=/");
	memset(t + k, 'a', n);
	strcpy(t + k + n, "\n");
	cr_assert_eq(parse(t), -EINVAL);
	cr_assert(strstr(err, "t.policy:4: line longer than 4096 bytes"), "%s", err);
	/* 4096 is fine as far as length goes (the path itself is then too long). */
	k = sprintf(t, HDR "[Rule r]\nMatch=all\n# ");
	memset(t + k, 'a', 4096 - 2);
	strcpy(t + k + 4096 - 2, "\n");
	OK(t);
	free(t);
}

Test(policy, duplicate_and_unknown_keys)
{
	BAD(HDR "[Rule r]\nMatch=all\nNetwork=host\nNetwork=private\n",
	    "t.policy:5: key 'Network': given twice");
	BAD(HDR "[Rule r]\nMatch=all\nNetwrk=host\n", "t.policy:4: unknown key 'Netwrk'");
	BAD(HDR "[Rule r]\nMatch=all\nnetwork=host\n", "unknown key 'network'");
	BAD(HDR "Match=all\n", "t.policy:2: key 'Match' outside");
	BAD(HDR "[Rule r]\nMatch=all\nDirectory\n", "t.policy:4: expected KEY=VALUE");
	BAD(HDR "[Rule r]\nMatch=all\nDirectory=\n", "key 'Directory': empty value");
	/* Repeatable keys accumulate. */
	OK(HDR "[Rule r]\nMatch=uid:1\nMatch=uid:2\nProfile=a\nProfile=b\n");
	cr_assert_eq(pol->rules[0].n_match, 2);
	cr_assert_eq(pol->rules[0].g.n_profiles, 2);
}

Test(policy, sections_and_rules)
{
	BAD(HDR "[Exec]\n", "t.policy:2: unknown section '[Exec]'");
	BAD(HDR "[Rule r\n", "without ']'");
	BAD(HDR "[Rule .bad]\nMatch=all\n", "rule name");
	BAD(HDR "[Rule r]\nDirectory=/x\n[Rule s]\nMatch=all\n", "t.policy:2: rule 'r' has no Match=");
	BAD(HDR "[Rule r]\nDirectory=/x\n\n\n", "t.policy:2: rule 'r' has no Match=");
	OK(HDR "[Rule dup]\nMatch=all\n");
	cr_assert_eq(parse_more(HDR "[Rule dup]\nMatch=all\n"), -EINVAL);
	cr_assert(strstr(err, "rule 'dup' defined twice (first at t.policy:2)"), "%s", err);
}

Test(policy, paths)
{
	const char *bad[] = {"srv", "/srv/", "/srv//x", "/srv/./x", "/srv/../etc", "/srv/..",
			     "/srv/.", "/s rv", "/srv\x01"};
	char t[256];
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(t, sizeof t, HDR "[Rule r%zu]\nMatch=all\nDirectory=%s\n", i, bad[i]);
		BAD(t, "t.policy:4: key 'Directory'");
	}
	OK(HDR "[Rule root]\nMatch=all\nDirectory=/\nBind=/srv/a..b\n");
	BAD(HDR "[Rule c]\nMatch=all\nBind=/srv\nBindReadOnly=/srv\n", "key 'BindReadOnly'");
}

Test(policy, values)
{
	BAD(HDR "[Rule a]\nMatch=uid:x\n", "key 'Match'");
	BAD(HDR "[Rule b]\nMatch=uid:5-3\n", "key 'Match'");
	BAD(HDR "[Rule c]\nMatch=wheel\n", "key 'Match'");
	BAD(HDR "[Rule d]\nMatch=all\nPrivateUsersPool=1000:65536\n", "multiples of 65536");
	BAD(HDR "[Rule e]\nMatch=all\nPrivateUsersPool=0:65536\n", "must lie within");
	BAD(HDR "[Rule f]\nMatch=all\nPrivateUsersPool=1048576\n", "BASE:COUNT");
	BAD(HDR "[Rule g]\nMatch=all\nCapability=CAP_FLY\n", "unknown capability 'CAP_FLY'");
	BAD(HDR "[Rule h]\nMatch=all\nNetwork=bridge\n", "expected private or host");
	BAD(HDR "[Rule i]\nMatch=all\nMemoryMax=lots\n", "key 'MemoryMax'");
	BAD(HDR "[Rule j]\nMatch=all\nMemoryMax=99999999999T\n", "key 'MemoryMax'");
	BAD(HDR "[Rule k]\nMatch=all\nCPUQuota=200\n", "percentage");
	BAD(HDR "[Rule l]\nMatch=all\nTasksMax=-1\n", "key 'TasksMax'");
	BAD(HDR "[Rule m]\nMatch=all\nSELinuxRange=system_u:object_r\n", "MCS range");
	BAD(HDR "[Rule n]\nMatch=all\nAllowPrivateUsersNo=maybe\n", "yes or no");
	BAD(HDR "[Rule o]\nMatch=all\nProfile=a\nMandatoryProfile=b\n", "not among Profile=");
	BAD(HDR "[Rule p]\nMatch=all\nProfile=../etc\n", "profile name");
	OK(HDR "[Rule q]\nMatch=all\nMemoryMax=infinity\nTasksMax=infinity\nCapability=none\n"
	       "AllowPrivateUsersNo=yes\nMandatoryProfile=strict\n");
	cr_assert_eq(pol->rules[0].g.cap_max, 0);
	cr_assert_eq(pol->rules[0].g.flags, HUTCH_GRANT_USERNS_NO);
	OK(HDR "[Rule s]\nMatch=all\nCapability=all\n");
	cr_assert_eq(pol->rules[0].g.cap_max & (1ull << CAP_AUDIT_WRITE), 0,
		     "CAP_AUDIT_* is never granted");
	cr_assert_neq(pol->rules[0].g.cap_max & (1ull << CAP_SYS_ADMIN), 0);
}

Test(policy, limits)
{
	char *t = malloc(64 * 40 + 64);
	int k = sprintf(t, HDR "[Rule r]\nMatch=all\n");
	for (int i = 0; i < HUTCH_GRANT_PATHS + 1; i++)
		k += sprintf(t + k, "Directory=/srv/%d\n", i);
	BAD(t, "more than 16 paths");
	free(t);
}

/* The errors of a whole policy reach the grant: invalid means deny. */
Test(policy, print_grant)
{
	OK(HDR "[Rule r]\nMatch=all\nDirectory=/srv\nBind=/data\n");
	struct hutch_grant g;
	grant_for(1000, 1000, "u", &g, NULL);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	policy_print_grant(f, &g);
	fclose(f);
	cr_assert(strstr(buf, "rule 'r' (t.policy:2)"), "%s", buf);
	cr_assert(strstr(buf, "/srv and below"), "%s", buf);
	cr_assert(strstr(buf, "/data and below, read-write"), "%s", buf);
	cr_assert(strstr(buf, "private only"), "%s", buf);
	free(buf);
}

/* The examples shipped in policy/ (and shown in policy/README.md) parse,
 * and give the grants the README describes. */
static void parse_example(const char *name)
{
	char path[256];
	snprintf(path, sizeof path, "policy/%s", name);
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "%s: %m (tests run from the repository root)", path);
	static char text[65536];
	size_t n = fread(text, 1, sizeof text, f);
	fclose(f);
	cr_assert_eq(policy_parse(pol, path, text, n, err, sizeof err), 0, "%s", err);
}

Test(policy, shipped_examples)
{
	parse_example("build-host.policy");
	struct hutch_grant g;
	int shadowed;
	/* carol is in "builders" only (group_db above). */
	grant_for(1005, 1005, "carol", &g, &shadowed);
	cr_assert_str_eq(g.rule, "builders");
	cr_assert_eq(g.flags, HUTCH_GRANT_NET_HOST | HUTCH_GRANT_UID_POOL); /* its pool is named */
	cr_assert_str_eq(g.mandatory_profile, "build");
	cr_assert_eq(g.binds[0].flags, 0, "the mirror is read-only");
	grant_for(1006, 1006, "mallory", &g, NULL);
	cr_assert_eq(g.kind, HUTCH_GRANT_DENY);

	pol->n = 0;
	parse_example("ci-runner.policy");
	grant_for(998, 998, "gitlab-runner", &g, NULL);
	cr_assert_str_eq(g.rule, "ci-jobs");
	cr_assert_eq(g.flags & ~HUTCH_GRANT_UID_POOL, 0, "CI jobs: no host network");
	cr_assert_eq(g.n_binds, 0);
	cr_assert_eq(g.memory_max, 2ull << 30);

	pol->n = 0;
	parse_example("selinux-system.policy");
	cr_assert_str_eq(pol->rules[0].g.selinux_range, "s0-s0:c0.c255");
	cr_assert_eq(pol->rules[0].g.cap_max, default_capabilities);
}

/*
 * The worker's refusal messages and checks read the grant the worker was
 * started with, whether or not policy_apply() has run yet (it used to keep
 * the grant in a static set by policy_apply(), and a refusal reported
 * before it dereferenced NULL: exit 139 when OPEN_ROOT came first). Each
 * criterion test runs in a fresh process, so nothing here was applied.
 */
static char *stderr_of(void (*fn)(const struct hutch_grant *), const struct hutch_grant *g)
{
	char *buf = NULL;
	size_t len = 0;
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	FILE *f = open_memstream(&buf, &len);
	int p[2];
	cr_assert_eq(pipe(p), 0);
	dup2(p[1], STDERR_FILENO);
	close(p[1]);
	fn(g);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	char chunk[4096];
	ssize_t n;
	while ((n = read(p[0], chunk, sizeof chunk)) > 0)
		fwrite(chunk, 1, (size_t)n, f);
	close(p[0]);
	fclose(f);
	return buf;
}

static void refuse_root(const struct hutch_grant *g)
{
	policy_refused(g, "root directory", "/usr");
}

Test(policy, refusal_before_apply)
{
	OK(HDR "[Rule r]\nMatch=all\nDirectory=/srv\n");
	struct hutch_grant g;
	grant_for(1000, 1000, "u", &g, NULL);
	cr_assert(policy_restricts(&g));
	char *msg = stderr_of(refuse_root, &g);
	cr_assert(strstr(msg, "policy rule 'r' (t.policy:2) does not allow root directory /usr; "
			      "allowed: /srv and below"), "%s", msg);
	free(msg);
	cr_assert_not(policy_allows_bind_user(&g, 4242, 4242));
	cr_assert(policy_allows_bind_user(&g, 1000, 1000));
	/* Root's grant restricts nothing; a denial's message names its reason. */
	hutch_grant_init_all(&g);
	cr_assert_not(policy_restricts(&g));
	cr_assert(policy_allows_bind_user(&g, 4242, 4242));
	hutch_grant_init_deny(&g, "no policy rule matches uid 7 (x)");
	cr_assert(policy_restricts(&g));
	msg = stderr_of(refuse_root, &g);
	cr_assert(strstr(msg, "no policy rule matches uid 7 (x)"), "%s", msg);
	free(msg);
}
