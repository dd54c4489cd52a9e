/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * worker/profile.c and settings_files.c: where --profile= sits between the
 * command line and the .nspawn files, profile headers and includes, the
 * shipped profiles, --show-profile, and the admin policy's mandatory and
 * allowed profiles. In-memory files and the suite: settings_mem.h.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/grant.h"
#include "../../worker/caps.h"
#include "../../worker/conf.h"
#include "../../worker/options.h"
#include "../../worker/settings.h"
#include "settings_mem.h"

/* ---- profiles -------------------------------------------------------------- */

#define HDR "# hutch-profile 1\n"

Test(settings_files, profile_sits_between_command_line_and_file)
{
	add(HUTCH_SETTINGS_ETC_PROFILE, "p", HDR "[Exec]\nHostname=profile\nUser=bin\n");
	add(HUTCH_SETTINGS_ETC_NSPAWN, "box",
	    "[Exec]\nHostname=file\nUser=daemon\nKillSignal=SIGTERM\n");
	cr_assert_eq(LOAD("--profile=p", "--user=root"), 0);
	cr_expect_str_eq(s.user, "root", "the command line beats the profile");
	cr_expect_str_eq(s.hostname, "profile", "the profile beats the file");
	cr_expect_eq(s.origin.hostname, ORIGIN_PROFILE);
	cr_expect_eq(s.kill_signal, 15, "the file fills what is left");
	/* With override, the file beats both. */
	cr_assert_eq(LOAD("--profile=p", "--user=root", "--settings=override"), 0);
	cr_expect_str_eq(s.user, "daemon");
	cr_expect_str_eq(s.hostname, "file");
}

Test(settings_files, profile_search_order)
{
	add(HUTCH_SETTINGS_USR_PROFILE, "p", HDR "[Exec]\nHostname=usr\n");
	cr_assert_eq(LOAD("--profile=p"), 0);
	cr_expect_str_eq(s.hostname, "usr");
	add(HUTCH_SETTINGS_ETC_PROFILE, "p", HDR "[Exec]\nHostname=etc\n");
	cr_assert_eq(LOAD("--profile=p"), 0);
	cr_expect_str_eq(s.hostname, "etc");
}

Test(settings_files, profile_is_trusted)
{
	add(HUTCH_SETTINGS_USR_PROFILE, "p",
	    HDR "[Exec]\nCapability=CAP_SYS_TIME\nPrivateUsers=no\n[Network]\nPrivate=yes\n");
	cr_assert_eq(LOAD("--profile=p"), 0);
	cr_expect_eq(s.cap_add, 1ull << CAP_SYS_TIME);
	cr_expect_eq(s.userns, HUTCH_USERNS_NO);
	cr_expect(s.private_network);
}

Test(settings_files, profile_drop_capability_beats_command_line)
{
	add(HUTCH_SETTINGS_USR_PROFILE, "p", HDR "[Exec]\nDropCapability=CAP_SYS_ADMIN\n");
	cr_assert_eq(LOAD("--profile=p", "--capability=CAP_SYS_ADMIN,CAP_SYS_TIME"), 0);
	cr_assert_eq(caps_finish(&s), 0);
	cr_expect_eq(s.cap_bounding & (1ull << CAP_SYS_ADMIN), 0);
	cr_expect_neq(s.cap_bounding & (1ull << CAP_SYS_TIME), 0);
}

Test(settings_files, profile_include_is_a_base)
{
	add(HUTCH_SETTINGS_USR_PROFILE, "base",
	    HDR "[Exec]\nHostname=base\nCapability=CAP_SYS_TIME\nUser=bin\n");
	add(HUTCH_SETTINGS_ETC_PROFILE, "top",
	    HDR "# a comment\n\n@include base\n[Exec]\nHostname=top\nCapability=CAP_NET_ADMIN\n");
	cr_assert_eq(LOAD("--profile=top"), 0);
	cr_expect_str_eq(s.hostname, "top");
	cr_expect_str_eq(s.user, "bin");
	cr_expect_eq(s.cap_add, (1ull << CAP_SYS_TIME) | (1ull << CAP_NET_ADMIN));
}

Test(settings_files, profile_options_section)
{
	add(HUTCH_SETTINGS_ETC_PROFILE, "p", HDR "[Options]\nconsole=pipe\nquiet=yes\n");
	cr_assert_eq(LOAD("--profile=p"), 0);
	cr_expect_eq(s.console, CONSOLE_PIPE);
	cr_expect(s.quiet);
}

static void expect_profile_error(const char *text, const char *message)
{
	reset();
	add(HUTCH_SETTINGS_ETC_PROFILE, "p", text);
	add(HUTCH_SETTINGS_ETC_PROFILE, "q", HDR "@include r\n");
	add(HUTCH_SETTINGS_ETC_PROFILE, "r", HDR "[Exec]\nUser=bin\n");
	add(HUTCH_SETTINGS_ETC_PROFILE, "loop", HDR "@include p\n");
	cr_redirect_stderr();
	cr_expect_lt(LOAD("--profile=p"), 0, "accepted:\n%s", text);
	fflush(stderr);
	cr_expect_stderr_eq_str(message);
}

Test(settings_files, profile_header)
{
	expect_profile_error("[Exec]\nUser=bin\n",
			     "hutch: /etc/hutch/profiles/p.profile:1: not a hutch profile: the "
			     "first line must be '# hutch-profile 1'\n");
}

Test(settings_files, profile_header_empty_file)
{
	expect_profile_error("", "hutch: /etc/hutch/profiles/p.profile:1: not a hutch profile: "
				 "the first line must be '# hutch-profile 1'\n");
}

Test(settings_files, profile_version)
{
	expect_profile_error("# hutch-profile 2\n[Exec]\nUser=bin\n",
			     "hutch: /etc/hutch/profiles/p.profile:1: profile format version '2' "
			     "is not supported; this hutch reads version 1\n");
}

Test(settings_files, profile_header_crlf_is_fine)
{
	add(HUTCH_SETTINGS_ETC_PROFILE, "p", "# hutch-profile 1 \r\n[Exec]\r\nUser=bin\r\n");
	cr_assert_eq(LOAD("--profile=p"), 0);
	cr_expect_str_eq(s.user, "bin");
}

Test(settings_files, profile_unknown_key_is_an_error)
{
	expect_profile_error(HDR "[Exec]\nUser=bin\nUsr=typo\n",
			     "hutch: /etc/hutch/profiles/p.profile:4: unknown key 'Usr' in "
			     "section [Exec]; see hutch(1), PROFILES\n");
}

/* Options with a .nspawn key are said with it; the container's name is not
 * a profile's; actions are not settings. */
Test(settings_files, profile_options_section_no_keyed_rows)
{
	expect_profile_error(HDR "[Options]\nhostname=x\n",
			     "hutch: /etc/hutch/profiles/p.profile:3: unknown key 'hostname' in "
			     "section [Options]; see hutch(1), PROFILES\n");
}

Test(settings_files, profile_options_section_no_names)
{
	expect_profile_error(HDR "[Options]\ndirectory=/\n",
			     "hutch: /etc/hutch/profiles/p.profile:3: unknown key 'directory' in "
			     "section [Options]; see hutch(1), PROFILES\n");
}

Test(settings_files, profile_options_section_no_actions)
{
	expect_profile_error(HDR "[Options]\nhelp=yes\n",
			     "hutch: /etc/hutch/profiles/p.profile:3: unknown key 'help' in "
			     "section [Options]; see hutch(1), PROFILES\n");
}

Test(settings_files, profile_self_include)
{
	expect_profile_error(HDR "@include p\n", "hutch: /etc/hutch/profiles/p.profile:2: "
						  "include loop: 'p' includes 'p'\n");
}

Test(settings_files, profile_include_loop)
{
	expect_profile_error(HDR "@include loop\n", "hutch: /etc/hutch/profiles/loop.profile:2: "
						     "include loop: 'loop' includes 'p'\n");
}

Test(settings_files, profile_include_depth)
{
	expect_profile_error(HDR "@include q\n",
			     "hutch: /etc/hutch/profiles/q.profile:2: 'q' is itself included by "
			     "'p': profiles include only one level deep\n");
}

Test(settings_files, profile_include_after_section)
{
	expect_profile_error(HDR "[Exec]\nUser=bin\n@include r\n",
			     "hutch: /etc/hutch/profiles/p.profile:4: @include must come before "
			     "the first [Section]\n");
}

Test(settings_files, profile_include_bad_name)
{
	expect_profile_error(HDR "@include ../etc/shadow\n",
			     "hutch: /etc/hutch/profiles/p.profile:2: @include needs a profile "
			     "name, not '../etc/shadow'\n");
}

Test(settings_files, profile_include_missing)
{
	expect_profile_error(HDR "@include nothere\n",
			     "hutch: /etc/hutch/profiles/p.profile: @include nothere: no such "
			     "profile in /etc/hutch/profiles/ or /usr/share/hutch/profiles/\n");
}

Test(settings_files, profile_too_many_includes)
{
	expect_profile_error(HDR "@include r\n@include r\n@include r\n@include r\n@include r\n",
			     "hutch: /etc/hutch/profiles/p.profile:6: more than 4 @include "
			     "lines\n");
}

Test(settings_files, profile_unknown_directive)
{
	expect_profile_error(HDR "@import r\n", "hutch: /etc/hutch/profiles/p.profile:2: unknown "
						 "directive '@import' (profiles know @include)\n");
}

Test(settings_files, profile_not_found, .init = cr_redirect_stderr)
{
	cr_expect_eq(LOAD("--profile=nope"), -ENOENT);
	fflush(stderr);
	cr_expect_stderr_eq_str("hutch: profile 'nope' not found in /etc/hutch/profiles/ or "
				"/usr/share/hutch/profiles/\n");
}

Test(settings_files, profile_name_is_checked, .init = cr_redirect_stderr)
{
	char *argv[] = {"hutch", "--profile=../x", NULL};
	cr_expect_eq(cli_parse(2, argv, &s), CLI_ERROR);
	char *argv2[] = {"hutch", "--settings=maybe", NULL};
	cr_expect_eq(cli_parse(2, argv2, &s), CLI_ERROR);
}

Test(settings_files, profile_with_nul_is_refused, .init = cr_redirect_stderr)
{
	static const char text[] = HDR "[Exec]\nUser=bin\0\nCapability=all\n";
	add_len(HUTCH_SETTINGS_ETC_PROFILE, "p", text, sizeof text - 1);
	cr_expect_lt(LOAD("--profile=p"), 0);
	cr_expect_eq(s.cap_add, 0);
	fflush(stderr);
	cr_expect_stderr_eq_str("hutch: /etc/hutch/profiles/p.profile:3: contains a NUL byte\n");
}

/* ---- the shipped profiles --------------------------------------------------- */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	cr_assert(f, "cannot open %s (tests run from the repository root)", path);
	static char buf[65536];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strdup(buf);
}

static void load_shipped(const char *name)
{
	static const char *const all[] = {"strict", "build", "ci", "system"};
	for (size_t i = 0; i < 4; i++) {
		char path[64];
		snprintf(path, sizeof path, "profiles/%s.profile", all[i]);
		add(HUTCH_SETTINGS_USR_PROFILE, all[i], slurp(path));
	}
	char opt[64];
	snprintf(opt, sizeof opt, "--profile=%s", name);
	cr_assert_eq(LOAD(opt), 0, "profiles/%s.profile does not load", name);
	cr_assert_eq(caps_finish(&s), 0);
}

Test(settings_files, shipped_strict)
{
	load_shipped("strict");
	cr_expect(s.no_new_privs);
	cr_expect(s.private_network);
	cr_expect_eq(s.start_mode, START_PID2);
	cr_expect_eq(s.cap_bounding, 0xebull, "CHOWN DAC_OVERRIDE FOWNER KILL SETGID SETUID");
	cr_expect(s.mounts.read_only, "ReadOnly=yes");
	cr_expect_geq(s.n_syscall_filter, 1);
}

Test(settings_files, shipped_build)
{
	load_shipped("build");
	cr_expect(s.no_new_privs);
	cr_expect(!s.private_network, "network stays (--private-network to cut it)");
	cr_expect_eq(s.cap_bounding & (1ull << CAP_SYS_ADMIN), 0);
	cr_expect_neq(s.cap_bounding & (1ull << CAP_CHOWN), 0);
}

Test(settings_files, shipped_ci_includes_build)
{
	load_shipped("ci");
	cr_expect(s.no_new_privs);
	cr_expect_eq(s.cap_bounding & (1ull << CAP_SYS_ADMIN), 0);
	cr_expect_eq(s.kill_signal, 9);
	cr_expect(s.fsroot.ephemeral);
	cr_expect(s.res.cg.set & (1u << HUTCH_LIMIT_MEMORY_MAX));
	cr_expect_eq(s.res.cg.value[HUTCH_LIMIT_MEMORY_MAX], 4ull << 30);
	cr_expect(s.res.cg.set & (1u << HUTCH_LIMIT_TASKS_MAX));
}

Test(settings_files, shipped_system)
{
	load_shipped("system");
	cr_expect_eq(s.start_mode, START_BOOT);
	cr_expect(!s.no_new_privs);
	cr_expect_eq(s.cap_bounding, default_capabilities);
	cr_expect_eq(s.n_syscall_filter, 0, "nspawn's default filter");
}

/* --show-profile prints a profile that loads to the same settings. */
Test(settings_files, show_profile_round_trips)
{
	add(HUTCH_SETTINGS_USR_PROFILE, "base",
	    HDR "[Exec]\nHostname=base\nCapability=CAP_SYS_TIME\n");
	add(HUTCH_SETTINGS_ETC_PROFILE, "top",
	    HDR "@include base\n[Exec]\nEnvironment=\"A=b c\" D=e\nDropCapability=CAP_CHOWN\n"
		"[Network]\nPrivate=yes\n[Exec]\nUser=bin\n[Options]\nconsole=pipe\n");
	cr_assert_eq(LOAD("--profile=top"), 0);
	struct settings want = s;

	char *out = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&out, &len);
	cr_assert(mem);
	FILE *saved = stdout;
	stdout = mem;
	int r = profile_show("top", &reader);
	stdout = saved;
	fclose(mem);
	cr_assert_eq(r, 0);
	cr_expect(strstr(out, "#   no_new_privs:            no\n"), "%s", out);
	cr_expect(strstr(out, "#   private network:         yes\n"), "%s", out);

	reset();
	add(HUTCH_SETTINGS_ETC_PROFILE, "shown", out);
	cr_assert_eq(LOAD("--profile=shown"), 0, "--show-profile output does not load:\n%s", out);
	cr_expect_str_eq(s.hostname, want.hostname);
	cr_expect_str_eq(s.user, want.user);
	cr_expect_eq(s.cap_add, want.cap_add);
	cr_expect_eq(s.cap_drop, want.cap_drop);
	cr_expect_eq(s.private_network, want.private_network);
	cr_expect_eq(s.console, want.console);
	cr_expect_eq(s.n_env, want.n_env);
	cr_expect(has_env("A=b c") && has_env("D=e"));
	free(out);
}

/* ---- the admin policy's profiles (common/grant.h) ----------------------------- */

static struct hutch_grant grant;

static void rule_grant(const char *mandatory, const char *allowed)
{
	memset(&grant, 0, sizeof grant);
	grant.kind = HUTCH_GRANT_RULE;
	strcpy(grant.rule, "tenants");
	strcpy(grant.mandatory_profile, mandatory);
	if (allowed) {
		strcpy(grant.profiles[0], allowed);
		grant.n_profiles = 1;
	}
}

Test(settings_files, policy_mandatory_profile_is_above_the_command_line)
{
	add(HUTCH_SETTINGS_ETC_PROFILE, "locked",
	    HDR "[Exec]\nHostname=locked\nNoNewPrivileges=yes\n");
	add(HUTCH_SETTINGS_ETC_NSPAWN, "box", "[Exec]\nHostname=file\nUser=daemon\n");
	rule_grant("locked", NULL);
	cr_assert_eq(LOAD_GRANTED(&grant, "--hostname=cli", "--no-new-privileges=no", "-E", "A=1"),
		     0);
	cr_expect_str_eq(s.sources.profile, "locked");
	cr_expect_str_eq(s.hostname, "locked");
	cr_expect(s.no_new_privs);
	/* The rest of the command line, and the file below it, still apply. */
	cr_expect(has_env("A=1"));
	cr_expect_str_eq(s.user, "daemon");
	/* Even with --settings=override. */
	cr_assert_eq(LOAD_GRANTED(&grant, "--settings=override", "--hostname=cli"), 0);
	cr_expect_str_eq(s.hostname, "locked");
	cr_expect_str_eq(s.user, "daemon");
}

Test(settings_files, policy_mandatory_profile_refuses_another, .init = cr_redirect_stderr)
{
	add(HUTCH_SETTINGS_ETC_PROFILE, "locked", HDR "[Exec]\nHostname=locked\n");
	rule_grant("locked", NULL);
	cr_expect_eq(LOAD_GRANTED(&grant, "--profile=system"), -EPERM);
	cr_expect_eq(reads[HUTCH_SETTINGS_ETC_PROFILE], 0);
	fflush(stderr);
	cr_expect_stderr_eq_str("hutch: the admin policy (rule 'tenants') runs this caller under "
				"profile 'locked'; --profile=system is not allowed\n");
}

Test(settings_files, policy_allowed_profiles, .init = cr_redirect_stderr)
{
	add(HUTCH_SETTINGS_ETC_PROFILE, "build", HDR "@include base\n[Exec]\nHostname=build\n");
	add(HUTCH_SETTINGS_ETC_PROFILE, "base", HDR "[Exec]\nUser=bin\n");
	rule_grant("", "build");
	cr_assert_eq(LOAD_GRANTED(&grant, "--profile=build", "--hostname=cli"), 0);
	cr_expect_str_eq(s.hostname, "cli", "an allowed profile is below the command line");
	cr_expect_str_eq(s.user, "bin", "what it includes need not be listed");
	cr_assert_eq(LOAD_GRANTED(&grant, "-q"), 0, "no profile at all is fine");
	cr_expect_eq(LOAD_GRANTED(&grant, "--profile=system"), -EPERM);
	fflush(stderr);
	cr_expect_stderr_eq_str(
		"hutch: the admin policy (rule 'tenants') does not allow --profile=system\n");
}

Test(settings_files, policy_profile_check)
{
	hutch_grant_init_all(&grant);
	cr_expect(hutch_grant_profile_ok(&grant, "anything"));
	hutch_grant_init_deny(&grant, "no");
	cr_expect(!hutch_grant_profile_ok(&grant, "strict"));
	rule_grant("", NULL);
	cr_expect(hutch_grant_profile_ok(&grant, "anything"), "a rule without a list: any");
	rule_grant("ci", "build");
	cr_expect(hutch_grant_profile_ok(&grant, "ci"));
	cr_expect(hutch_grant_profile_ok(&grant, "build"));
	cr_expect(!hutch_grant_profile_ok(&grant, "system"));
	rule_grant("ci", NULL);
	cr_expect(!hutch_grant_profile_ok(&grant, "build"));
}

