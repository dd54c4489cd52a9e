/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Capability options: name parsing, the final sets, and the command line. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../worker/caps.h"
#include "../../worker/drop.h"
#include "../../worker/settings.h"

#define BIT(c) (1ull << (c))
#define ALL_CAPS ((1ull << (CAP_LAST_CAP + 1)) - 1)

static uint64_t parse_ok(enum caps_option opt, const char *list)
{
	uint64_t m = 0xdeadbeef;
	int r = caps_parse(opt, list, &m);
	cr_assert_eq(r, 0, "caps_parse(\"%s\") = %d", list, r);
	return m;
}

Test(caps, names_in_every_spelling)
{
	const char *spellings[] = {"CAP_NET_ADMIN", "net_admin", "Cap_Net_Admin", "NET_ADMIN",
				   "12", " cap_net_admin ", "cap_net_admin,"};
	for (size_t i = 0; i < sizeof spellings / sizeof *spellings; i++)
		cr_expect_eq(parse_ok(CAPS_OPT_ADD, spellings[i]), BIT(CAP_NET_ADMIN), "%s",
			     spellings[i]);
	cr_expect_eq(parse_ok(CAPS_OPT_ADD, "CAP_CHOWN,CAP_KILL, sys_time"),
		     BIT(CAP_CHOWN) | BIT(CAP_KILL) | BIT(CAP_SYS_TIME));
	cr_expect_eq(parse_ok(CAPS_OPT_DROP, "CAP_SYS_ADMIN"), BIT(CAP_SYS_ADMIN));
	cr_expect_eq(parse_ok(CAPS_OPT_ADD, ""), 0);
	cr_expect_eq(parse_ok(CAPS_OPT_ADD, ",,"), 0);
	cr_expect_eq(parse_ok(CAPS_OPT_ADD, "CAP_CHECKPOINT_RESTORE"), BIT(CAP_CHECKPOINT_RESTORE));
}

Test(caps, all)
{
	cr_expect_eq(parse_ok(CAPS_OPT_ADD, "all"), ALL_CAPS & ~CAPS_AUDIT);
	cr_expect_eq(parse_ok(CAPS_OPT_ADD, "ALL"), ALL_CAPS & ~CAPS_AUDIT);
	cr_expect_eq(parse_ok(CAPS_OPT_DROP, "all"), ALL_CAPS);
	cr_redirect_stderr();
	uint64_t m;
	cr_expect_eq(caps_parse(CAPS_OPT_AMBIENT, "all", &m), -EINVAL);
}

Test(caps, unknown_names_fail_with_one_line)
{
	cr_redirect_stderr();
	static const char *const bad[] = {"CAP_FOO", "cap_", "41", "999", "-1", "net admin",
					  "CAP_NET_ADMIN,nope"};
	uint64_t m;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		cr_expect_eq(caps_parse(CAPS_OPT_ADD, bad[i], &m), -EINVAL, "'%s' accepted", bad[i]);
	char longname[200];
	memset(longname, 'A', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	cr_expect_eq(caps_parse(CAPS_OPT_DROP, longname, &m), -EINVAL);
	fflush(stderr);
	cr_expect_stderr_eq_str(
		"hutch: unknown capability 'CAP_FOO' in --capability\n"
		"hutch: unknown capability 'cap_' in --capability\n"
		"hutch: unknown capability '41' in --capability\n"
		"hutch: unknown capability '999' in --capability\n"
		"hutch: unknown capability '-1' in --capability\n"
		"hutch: unknown capability 'net admin' in --capability\n"
		"hutch: unknown capability 'nope' in --capability\n"
		"hutch: unknown capability 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA...' in --drop-capability\n");
}

Test(caps, audit_is_never_granted)
{
	cr_redirect_stderr();
	cr_expect_eq(parse_ok(CAPS_OPT_ADD, "CAP_AUDIT_WRITE,CAP_NET_ADMIN"), BIT(CAP_NET_ADMIN));
	cr_expect_eq(parse_ok(CAPS_OPT_AMBIENT, "audit_read"), 0);
	cr_expect_eq(parse_ok(CAPS_OPT_DROP, "CAP_AUDIT_CONTROL"), BIT(CAP_AUDIT_CONTROL));
	fflush(stderr);
	cr_expect_stderr_eq_str(
		"hutch: warning: CAP_AUDIT_WRITE is never granted to a hutch container; ignoring it\n"
		"hutch: warning: CAP_AUDIT_READ is never granted to a hutch container; ignoring it\n");
}

static int finish(struct settings *s)
{
	return caps_finish(s);
}

Test(caps, final_sets)
{
	struct settings s = {0};
	cr_assert_eq(finish(&s), 0);
	cr_expect_eq(s.cap_bounding, default_capabilities);
	cr_expect_eq(s.cap_bounding & CAPS_AUDIT, 0);
	/* nspawn's set has CAP_MKNOD; the device fence makes it harmless
	 * (tests/integration/test_cgroups.c, devices_*). */
	cr_expect(s.cap_bounding & BIT(CAP_MKNOD));

	s = (struct settings){.cap_add = BIT(CAP_NET_ADMIN), .cap_drop = BIT(CAP_SYS_ADMIN)};
	cr_assert_eq(finish(&s), 0);
	cr_expect_eq(s.cap_bounding,
		     (default_capabilities | BIT(CAP_NET_ADMIN)) & ~BIT(CAP_SYS_ADMIN));

	/* nspawn: an ambient capability is granted in the bounding set too. */
	s = (struct settings){.cap_ambient = BIT(CAP_SYS_TIME)};
	cr_assert_eq(finish(&s), 0);
	cr_expect(s.cap_bounding & BIT(CAP_SYS_TIME));
	cr_expect_eq(s.cap_ambient, BIT(CAP_SYS_TIME));

	/* Dropping wins over adding, whatever the order on the command line. */
	s = (struct settings){.cap_add = ALL_CAPS, .cap_drop = BIT(CAP_SYS_ADMIN) | BIT(CAP_NET_RAW)};
	cr_assert_eq(finish(&s), 0);
	cr_expect_eq(s.cap_bounding, ALL_CAPS & ~CAPS_AUDIT & ~BIT(CAP_SYS_ADMIN) & ~BIT(CAP_NET_RAW));

	s = (struct settings){.cap_drop = ALL_CAPS};
	cr_assert_eq(finish(&s), 0);
	cr_expect_eq(s.cap_bounding, 0);
}

Test(caps, ambient_and_drop_conflict)
{
	cr_redirect_stderr();
	struct settings s = {.cap_ambient = BIT(CAP_NET_ADMIN), .cap_drop = BIT(CAP_NET_ADMIN)};
	cr_expect_eq(finish(&s), -EINVAL);
	fflush(stderr);
	cr_expect_stderr_eq_str(
		"hutch: CAP_NET_ADMIN is in --ambient-capability but dropped by --drop-capability\n");
}

Test(caps, no_new_privileges)
{
	struct settings s = {0};
	static const char *const yes[] = {"yes", "true", "1", "on", "YES"};
	static const char *const no[] = {"no", "false", "0", "off", "No"};
	for (size_t i = 0; i < 5; i++) {
		cr_expect_eq(caps_parse_no_new_privs(yes[i], &s), 0);
		cr_expect(s.no_new_privs, "%s", yes[i]);
		cr_expect_eq(caps_parse_no_new_privs(no[i], &s), 0);
		cr_expect(!s.no_new_privs, "%s", no[i]);
	}
	cr_redirect_stderr();
	cr_expect_eq(caps_parse_no_new_privs("maybe", &s), -EINVAL);
	cr_expect_eq(caps_parse_no_new_privs("", &s), -EINVAL);
}

static enum cli_result parse(struct settings *s, char **argv)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	enum cli_result r = cli_parse(argc, argv, s);
	if (r == CLI_RUN)
		cr_assert_eq(settings_finish(s, false, false), 0);
	return r;
}

Test(caps, command_line)
{
	static struct settings s;
	char *argv[] = {"hutch", "--capability=CAP_NET_ADMIN", "--capability=sys_time",
			"--drop-capability=CAP_SYS_ADMIN", "--ambient-capability=CAP_NET_RAW",
			"--no-new-privileges=yes", "-D", "/nonexistent", "true", NULL};
	cr_assert_eq(parse(&s, argv), CLI_RUN);
	uint64_t want = (default_capabilities | BIT(CAP_NET_ADMIN) | BIT(CAP_SYS_TIME)) &
			~BIT(CAP_SYS_ADMIN);
	cr_expect_eq(s.cap_bounding, want, "bounding %#llx, expected %#llx",
		     (unsigned long long)s.cap_bounding, (unsigned long long)want);
	cr_expect_eq(s.cap_ambient, BIT(CAP_NET_RAW));
	cr_expect(s.no_new_privs);

	char *plain[] = {"hutch", "-D", "/nonexistent", NULL};
	cr_assert_eq(parse(&s, plain), CLI_RUN);
	cr_expect_eq(s.cap_bounding, default_capabilities);
	cr_expect_eq(s.cap_ambient, 0);
	cr_expect(!s.no_new_privs);
}

Test(caps, command_line_errors)
{
	cr_redirect_stderr();
	static struct settings s;
	char *bad_cap[] = {"hutch", "--capability=CAP_NOPE", NULL};
	cr_expect_eq(parse(&s, bad_cap), CLI_ERROR);
	char *bad_nnp[] = {"hutch", "--no-new-privileges=perhaps", NULL};
	cr_expect_eq(parse(&s, bad_nnp), CLI_ERROR);
	char *no_value[] = {"hutch", "--drop-capability", NULL};
	cr_expect_eq(parse(&s, no_value), CLI_ERROR);
	char *conflict[] = {"hutch", "--ambient-capability=CAP_KILL", "--drop-capability=kill",
			    "-D", "/nonexistent", NULL};
	cr_assert_eq(cli_parse(5, conflict, &s), CLI_RUN);
	cr_expect_lt(settings_finish(&s, false, false), 0);
}

/* libcap-ng's name table works inside the worker's sandbox (no open(2)). */
Test(caps, parse_inside_the_worker_sandbox, .timeout = 20)
{
	if (geteuid() != 0)
		cr_skip_test("needs root: the worker drop changes uid");
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int sv[2];
		uint64_t m = 0;
		if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0 || worker_drop_privileges(sv[1], HUTCH_WORKER_UID) < 0)
			_exit(2);
		if (caps_parse(CAPS_OPT_ADD, "CAP_NET_ADMIN,sys_time", &m) < 0 ||
		    m != (BIT(CAP_NET_ADMIN) | BIT(CAP_SYS_TIME)))
			_exit(3);
		_exit(strcmp(caps_name(CAP_SYS_ADMIN), "CAP_SYS_ADMIN") ? 4 : 0);
	}
	int ws;
	cr_assert_eq(waitpid(pid, &ws, 0), pid);
	cr_assert(WIFEXITED(ws), "child died (signal %d)", WTERMSIG(ws));
	cr_assert_eq(WEXITSTATUS(ws), 0, "child exit %d", WEXITSTATUS(ws));
}
