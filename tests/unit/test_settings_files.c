/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * worker/settings_files.c, profile.c, conf.c: where .nspawn files are found,
 * what an untrusted one may set, precedence against the command line and
 * profiles, --settings= modes, [Exec] Parameters=. Files come from memory
 * through the settings_reader the broker stands behind in hutch
 * (settings_mem.h); profiles are tested in test_settings_profiles.c.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../worker/caps.h"
#include "../../worker/conf.h"
#include "../../worker/options.h"
#include "../../worker/settings.h"
#include "settings_mem.h"

static const char privileged_file[] = "[Exec]\n"
				      "Capability=all\n"
				      "AmbientCapability=CAP_SYS_ADMIN\n"
				      "PrivateUsers=no\n"
				      "DropCapability=CAP_CHOWN\n"
				      "Hostname=fromfile\n"
				      "[Files]\n"
				      "PrivateUsersOwnership=off\n"
				      "[Network]\n"
				      "Private=yes\n";

static void expect_privileged_ignored(void)
{
	cr_expect_eq(s.cap_add, 0, "Capability= from an untrusted file");
	cr_expect_eq(s.cap_ambient, 0, "AmbientCapability= from an untrusted file");
	cr_expect_eq(s.origin.userns, ORIGIN_DEFAULT, "PrivateUsers= from an untrusted file");
	cr_expect_eq(s.origin.ownership, ORIGIN_DEFAULT);
	cr_expect(!s.private_network, "Private= from an untrusted file");
	/* What takes away, and what is harmless, still applies. */
	cr_expect_eq(s.cap_drop, 1ull << CAP_CHOWN);
	cr_expect_str_eq(s.hostname, "fromfile");
}

Test(settings_files, beside_root_is_untrusted, .init = cr_redirect_stderr)
{
	reset();
	add(HUTCH_SETTINGS_BESIDE_ROOT, "box", privileged_file);
	cr_assert_eq(LOAD("-q"), 0);
	cr_expect_str_eq(s.sources.nspawn_path, "/srv/machines/box.nspawn");
	cr_expect(!s.sources.nspawn_trusted);
	expect_privileged_ignored();
	cr_expect_eq(s.origin.hostname, ORIGIN_UNTRUSTED_FILE);
	/* One line lists what was ignored, naming the file. */
	fflush(stderr);
	cr_expect_stderr_eq_str(
		"hutch: /srv/machines/box.nspawn: ignoring privileged settings from a file next "
		"to the image, which is not trusted: [Exec] Capability=, [Exec] "
		"AmbientCapability=, [Exec] PrivateUsers=, [Files] PrivateUsersOwnership=, "
		"[Network] Private= (put the file in /etc/systemd/nspawn/, or use "
		"--settings=trusted)\n");
}

Test(settings_files, admin_directories_are_trusted)
{
	static const enum hutch_settings_file trusted[] = {HUTCH_SETTINGS_HUTCH_NSPAWN,
							   HUTCH_SETTINGS_ETC_NSPAWN,
							   HUTCH_SETTINGS_RUN_NSPAWN};
	for (size_t i = 0; i < 3; i++) {
		reset();
		add(trusted[i], "box", privileged_file);
		cr_assert_eq(LOAD("-q"), 0);
		cr_expect(s.sources.nspawn_trusted);
		cr_expect_eq(s.cap_add & (1ull << CAP_SYS_TIME), 1ull << CAP_SYS_TIME);
		cr_expect_eq(s.cap_ambient, 1ull << CAP_SYS_ADMIN);
		cr_expect_eq(s.userns, HUTCH_USERNS_NO);
		cr_expect_eq(s.ownership, HUTCH_OWNERSHIP_OFF);
		cr_expect(s.private_network);
		cr_expect_eq(s.origin.capabilities, ORIGIN_TRUSTED_FILE);
	}
}

Test(settings_files, first_found_wins_in_nspawn_order)
{
	add(HUTCH_SETTINGS_BESIDE_ROOT, "box", "[Exec]\nHostname=beside\n");
	add(HUTCH_SETTINGS_RUN_NSPAWN, "box", "[Exec]\nHostname=run\n");
	add(HUTCH_SETTINGS_ETC_NSPAWN, "box", "[Exec]\nHostname=etc\nUser=daemon\n");
	cr_assert_eq(LOAD("-q"), 0);
	cr_expect_str_eq(s.hostname, "etc");
	cr_expect_str_eq(s.sources.nspawn_path, "/etc/systemd/nspawn/box.nspawn");
	/* Only one file is read: settings never merge across places. */
	cr_expect_eq(reads[HUTCH_SETTINGS_RUN_NSPAWN], 0);
	cr_expect_eq(reads[HUTCH_SETTINGS_BESIDE_ROOT], 0);
	add(HUTCH_SETTINGS_HUTCH_NSPAWN, "box", "[Exec]\nHostname=hutch\n");
	cr_assert_eq(LOAD("-q"), 0);
	cr_expect_str_eq(s.hostname, "hutch");
	cr_expect_str_eq(s.user, "");
}

Test(settings_files, named_after_the_machine)
{
	add(HUTCH_SETTINGS_ETC_NSPAWN, "web", "[Exec]\nHostname=web-file\n");
	add(HUTCH_SETTINGS_ETC_NSPAWN, "box", "[Exec]\nHostname=box-file\n");
	cr_assert_eq(LOAD("-M", "web"), 0);
	cr_expect_str_eq(s.hostname, "web-file");
	cr_assert_eq(LOAD("-q"), 0);
	cr_expect_str_eq(s.hostname, "box-file");
}

Test(settings_files, settings_no_reads_nothing)
{
	add(HUTCH_SETTINGS_ETC_NSPAWN, "box", "[Exec]\nHostname=etc\n");
	cr_assert_eq(LOAD("--settings=no"), 0);
	cr_expect_str_eq(s.hostname, "");
	for (unsigned w = 1; w < HUTCH_SETTINGS_MAX; w++)
		cr_expect_eq(reads[w], 0, "location %u read with --settings=no", w);
	cr_assert_eq(LOAD("--settings=false"), 0);
	cr_expect_str_eq(s.hostname, "");
}

Test(settings_files, settings_trusted_trusts_beside_root)
{
	add(HUTCH_SETTINGS_BESIDE_ROOT, "box", privileged_file);
	cr_assert_eq(LOAD("--settings=trusted"), 0);
	cr_expect(s.sources.nspawn_trusted);
	cr_expect(s.private_network);
	cr_expect_eq(s.userns, HUTCH_USERNS_NO);
}

Test(settings_files, command_line_beats_file)
{
	add(HUTCH_SETTINGS_ETC_NSPAWN, "box",
	    "[Exec]\nHostname=file\nEnvironment=B=2 C=3\nKillSignal=SIGTERM\n"
	    "Capability=CAP_SYS_TIME\nDropCapability=CAP_CHOWN\n");
	cr_assert_eq(LOAD("--hostname=cli", "-E", "A=1", "--capability=CAP_NET_ADMIN"), 0);
	cr_expect_str_eq(s.hostname, "cli");
	/* A list set on the command line is not mixed with the file's. */
	cr_expect_eq(s.n_env, 1);
	cr_expect(has_env("A=1"));
	cr_expect_eq(s.cap_add, 1ull << CAP_NET_ADMIN);
	/* DropCapability= always applies; what the command line left open is the file's. */
	cr_expect_eq(s.cap_drop, 1ull << CAP_CHOWN);
	cr_expect_eq(s.kill_signal, 15);
}

Test(settings_files, override_puts_the_file_on_top)
{
	add(HUTCH_SETTINGS_ETC_NSPAWN, "box", "[Exec]\nHostname=file\nEnvironment=B=2 C=3\n");
	cr_assert_eq(LOAD("--settings=override", "--hostname=cli", "-E", "A=1", "--user=bin"), 0);
	cr_expect_str_eq(s.hostname, "file");
	cr_expect_eq(s.n_env, 2, "the file's list replaces the command line's");
	cr_expect(has_env("B=2") && has_env("C=3"));
	/* The rest of the command line still applies. */
	cr_expect_str_eq(s.user, "bin");
	cr_expect_str_eq(s.directory, "/srv/machines/box");
	cr_expect_eq(s.sources.mode, SETTINGS_OVERRIDE);
}

Test(settings_files, override_still_distrusts_beside_root, .init = cr_redirect_stderr)
{
	add(HUTCH_SETTINGS_BESIDE_ROOT, "box", privileged_file);
	cr_assert_eq(LOAD("--settings=override"), 0);
	expect_privileged_ignored();
}

Test(settings_files, words_quotes_and_duplicates)
{
	add(HUTCH_SETTINGS_ETC_NSPAWN, "box",
	    "[Exec]\n"
	    "Environment=\"GREETING=hello world\" X=1\n"
	    "Environment=Y='a b'\n"
	    "Hostname=first\n"
	    "Hostname=second\n"
	    "Capability=CAP_NET_ADMIN\n"
	    "Capability=CAP_SYS_TIME\n");
	cr_assert_eq(LOAD("-q"), 0);
	cr_expect(has_env("GREETING=hello world"));
	cr_expect(has_env("X=1"));
	cr_expect(has_env("Y=a b"));
	cr_expect_str_eq(s.hostname, "second", "the last assignment wins");
	cr_expect_eq(s.cap_add, (1ull << CAP_NET_ADMIN) | (1ull << CAP_SYS_TIME),
		     "lists accumulate");
}

Test(settings_files, unknown_keys_warn_in_one_line, .init = cr_redirect_stderr)
{
	add(HUTCH_SETTINGS_ETC_NSPAWN, "box",
	    "[Exec]\nFoo=1\nHostname=h\nFoo=2\nX-Vendor=ok\n[Network]\nVirtualEthernet=yes\n"
	    "[X-Section]\nAnything=1\n[Bogus]\nKey=1\n");
	cr_assert_eq(LOAD("-q"), 0);
	cr_expect_str_eq(s.hostname, "h");
	fflush(stderr);
	cr_expect_stderr_eq_str("hutch: /etc/systemd/nspawn/box.nspawn: ignoring settings hutch "
				"does not know: [Exec] Foo=, [Network] VirtualEthernet=, [Bogus] "
				"Key=\n");
}

Test(settings_files, value_error_names_file_line_and_key, .init = cr_redirect_stderr)
{
	add(HUTCH_SETTINGS_ETC_NSPAWN, "box", "[Exec]\nHostname=h\n\nBoot=maybe\n");
	cr_expect_lt(LOAD("-q"), 0);
	fflush(stderr);
	cr_expect_stderr_eq_str("hutch: /etc/systemd/nspawn/box.nspawn:4: invalid Boot= value "
				"'maybe': expected yes or no\n");
}

Test(settings_files, syntax_error_names_file_and_line, .init = cr_redirect_stderr)
{
	add(HUTCH_SETTINGS_ETC_NSPAWN, "box", "[Exec]\r\nHostname=h\r\nCapability\r\n");
	cr_expect_lt(LOAD("-q"), 0);
	fflush(stderr);
	cr_expect_stderr_eq_str(
		"hutch: /etc/systemd/nspawn/box.nspawn:3: missing '=' in 'Capability'\n");
}

Test(settings_files, bad_words_are_an_error, .init = cr_redirect_stderr)
{
	add(HUTCH_SETTINGS_ETC_NSPAWN, "box", "[Exec]\nEnvironment=\"A=1\n");
	cr_expect_lt(LOAD("-q"), 0);
	add(HUTCH_SETTINGS_RUN_NSPAWN, "other", "[Exec]\nCapability=CAP_NOPE\n");
	cr_expect_lt(LOAD("-M", "other"), 0);
}

Test(settings_files, unreadable_file_is_an_error, .init = cr_redirect_stderr)
{
	add_error(HUTCH_SETTINGS_BESIDE_ROOT, "box", -ELOOP);
	cr_expect_eq(LOAD("-q"), -ELOOP);
	fflush(stderr);
	cr_expect_stderr_eq_str(
		"hutch: /srv/machines/box.nspawn is a symbolic link; refusing to read it\n");
}

Test(settings_files, paths_for_messages)
{
	char p[256];
	settings_file_path(HUTCH_SETTINGS_BESIDE_ROOT, "m", "/srv/machines/box/", p, sizeof p);
	cr_expect_str_eq(p, "/srv/machines/m.nspawn");
	settings_file_path(HUTCH_SETTINGS_BESIDE_ROOT, "m", "/box", p, sizeof p);
	cr_expect_str_eq(p, "/m.nspawn");
	settings_file_path(HUTCH_SETTINGS_RUN_NSPAWN, "m", NULL, p, sizeof p);
	cr_expect_str_eq(p, "/run/systemd/nspawn/m.nspawn");
	settings_file_path(HUTCH_SETTINGS_USR_PROFILE, "strict", NULL, p, sizeof p);
	cr_expect_str_eq(p, "/usr/share/hutch/profiles/strict.profile");
}

Test(settings_files, privileged_nspawn_keys_are_marked)
{
	/* systemd.nspawn(5) and CVE-2026-40226: whatever of these hutch has,
	 * an untrusted file must not set. */
	static const char *const privileged[][2] = {
		{"Exec", "Capability"},	       {"Exec", "AmbientCapability"},
		{"Exec", "PrivateUsers"},      {"Exec", "PivotRoot"},
		{"Exec", "Ephemeral"},	       {"Files", "Bind"},
		{"Files", "BindReadOnly"},     {"Files", "BindUser"},
		{"Files", "TemporaryFileSystem"}, {"Files", "Inaccessible"},
		{"Files", "Overlay"},	       {"Files", "OverlayReadOnly"},
		{"Files", "PrivateUsersOwnership"}, {"Files", "PrivateUsersChown"},
	};
	for (size_t i = 0; i < sizeof privileged / sizeof *privileged; i++) {
		const struct option_def *d = option_by_key(privileged[i][0], privileged[i][1]);
		if (d)
			cr_expect(d->flags & OPT_PRIVILEGED, "%s= is not OPT_PRIVILEGED",
				  privileged[i][1]);
	}
	/* Every network setting is. */
	for (size_t i = 0; i < option_table_len; i++) {
		const struct option_def *d = &option_table[i];
		if (d->section && !strcmp(d->section, "Network"))
			cr_expect(d->flags & OPT_PRIVILEGED, "[Network] %s= is not OPT_PRIVILEGED",
				  d->key);
	}
}

/* ---- [Exec] Parameters= and the command line's arguments ------------------- */

static void expect_command(const char *const *want)
{
	size_t i = 0;
	cr_assert(s.command, "no command");
	for (; want[i]; i++) {
		cr_assert(s.command[i], "command ends before '%s'", want[i]);
		cr_expect_str_eq(s.command[i], want[i]);
	}
	cr_expect_null(s.command[i], "more words than expected: '%s'", s.command[i]);
}
#define EXPECT_COMMAND(...) expect_command((const char *const[]){__VA_ARGS__, NULL})

Test(settings_files, parameters_from_a_file)
{
	add(HUTCH_SETTINGS_ETC_NSPAWN, "box",
	    "[Exec]\nParameters=/bin/sh -c 'echo \"hi there\"'\nParameters=extra\n");
	cr_assert_eq(LOAD("-q"), 0);
	EXPECT_COMMAND("/bin/sh", "-c", "echo \"hi there\"", "extra");
	cr_expect_eq(s.origin.command, ORIGIN_TRUSTED_FILE);
}

Test(settings_files, parameters_command_line_wins_unless_override)
{
	add(HUTCH_SETTINGS_ETC_NSPAWN, "box", "[Exec]\nParameters=/bin/from-file arg\n");
	cr_assert_eq(LOAD("-q", "/bin/cli", "x"), 0);
	EXPECT_COMMAND("/bin/cli", "x");
	cr_expect_eq(s.origin.command, ORIGIN_CMDLINE);
	cr_assert_eq(LOAD("--settings=override", "/bin/cli", "x"), 0);
	EXPECT_COMMAND("/bin/from-file", "arg");
	cr_assert_eq(LOAD("--settings=no", "/bin/cli"), 0);
	EXPECT_COMMAND("/bin/cli");
}

Test(settings_files, no_parameters_anywhere)
{
	cr_assert_eq(LOAD("-q"), 0);
	cr_assert(s.command);
	cr_expect_null(s.command[0]);
}
