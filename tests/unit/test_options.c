/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The option table: its shape, and precedence and trust in option_apply(). */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "../../worker/options.h"
#include "../../worker/settings.h"

Test(options, table_is_consistent)
{
	for (size_t i = 0; i < option_table_len; i++) {
		const struct option_def *a = &option_table[i];
		cr_expect(a->parse, "row %zu has no parse function", i);
		cr_expect(a->name || a->short_name || a->key, "row %zu is unreachable", i);
		cr_expect(!a->key == !a->section, "row %zu: key and section go together", i);
		if (a->key) /* file values arrive as "yes"/"no" for flags, or text */
			cr_expect(a->origin, "%s= has no origin slot to decide precedence on", a->key);
		for (size_t j = i + 1; j < option_table_len; j++) {
			const struct option_def *b = &option_table[j];
			cr_expect(!(a->name && b->name && !strcmp(a->name, b->name)), "--%s twice",
				  a->name);
			cr_expect(!(a->short_name && a->short_name == b->short_name), "-%c twice",
				  a->short_name);
			cr_expect(!(a->key && b->key && !strcmp(a->key, b->key) &&
				    !strcmp(a->section, b->section)),
				  "%s= twice", a->key);
		}
	}
}

Test(options, nspawn_privileged_keys_are_marked)
{
	/* systemd.nspawn(5): what an untrusted file may never set. */
	const char *privileged[][2] = {
		{"Exec", "Capability"},	    {"Exec", "AmbientCapability"},
		{"Exec", "PrivateUsers"},   {"Files", "PrivateUsersOwnership"},
		{"Network", "Private"},
	};
	for (size_t i = 0; i < sizeof privileged / sizeof *privileged; i++) {
		const struct option_def *d = option_by_key(privileged[i][0], privileged[i][1]);
		cr_assert(d, "%s= missing", privileged[i][1]);
		cr_expect(d->flags & OPT_PRIVILEGED, "%s= not privileged", privileged[i][1]);
	}
	const struct option_def *drop = option_by_key("Exec", "DropCapability");
	cr_assert(drop);
	cr_expect(!(drop->flags & OPT_PRIVILEGED) && (drop->flags & OPT_ALWAYS));
}

static int apply(struct settings *s, const char *section, const char *key, const char *value,
		 enum origin origin)
{
	const struct option_def *d = option_by_key(section, key);
	cr_assert(d, "%s= not in the table", key);
	return option_apply(d, s, value, origin, "test.nspawn:1");
}

Test(options, command_line_beats_files)
{
	static struct settings s;
	char *argv[] = {"hutch", "--hostname=cli", "--private-network", NULL};
	cr_assert_eq(cli_parse(3, argv, &s), CLI_RUN);
	cr_expect_eq(apply(&s, "Exec", "Hostname", "file", ORIGIN_TRUSTED_FILE), OPTION_IGNORED);
	cr_expect_str_eq(s.hostname, "cli");
	cr_expect_eq(s.origin.hostname, ORIGIN_CMDLINE);
	cr_expect_eq(apply(&s, "Network", "Private", "no", ORIGIN_TRUSTED_FILE), OPTION_IGNORED);
	cr_expect(s.private_network);
	/* What the command line left open, a trusted file may set. */
	cr_expect_eq(apply(&s, "Exec", "KillSignal", "SIGTERM", ORIGIN_TRUSTED_FILE), 0);
	cr_expect_eq(s.origin.kill_signal, ORIGIN_TRUSTED_FILE);
}

Test(options, untrusted_file_cannot_grant)
{
	static struct settings s;
	char *argv[] = {"hutch", NULL};
	cr_assert_eq(cli_parse(1, argv, &s), CLI_RUN);
	cr_expect_eq(apply(&s, "Exec", "Capability", "all", ORIGIN_UNTRUSTED_FILE), OPTION_IGNORED);
	cr_expect_eq(s.cap_add, 0);
	cr_expect_eq(apply(&s, "Exec", "PrivateUsers", "no", ORIGIN_UNTRUSTED_FILE), OPTION_IGNORED);
	cr_expect_eq(s.origin.userns, ORIGIN_DEFAULT);
	cr_expect_eq(apply(&s, "Network", "Private", "yes", ORIGIN_UNTRUSTED_FILE), OPTION_IGNORED);
	/* The same from a trusted file is taken. */
	cr_expect_eq(apply(&s, "Exec", "Capability", "CAP_NET_ADMIN", ORIGIN_TRUSTED_FILE), 0);
	cr_expect_eq(s.cap_add, 1ull << 12);
	/* Harmless settings are taken from untrusted files. */
	cr_expect_eq(apply(&s, "Exec", "Hostname", "img", ORIGIN_UNTRUSTED_FILE), 0);
	cr_expect_str_eq(s.hostname, "img");
}

Test(options, drop_capability_always_applies)
{
	static struct settings s;
	char *argv[] = {"hutch", "--capability=CAP_NET_ADMIN", NULL};
	cr_assert_eq(cli_parse(2, argv, &s), CLI_RUN);
	cr_expect_eq(apply(&s, "Exec", "DropCapability", "CAP_SYS_ADMIN", ORIGIN_UNTRUSTED_FILE), 0);
	cr_expect_eq(s.cap_drop, 1ull << 21);
	cr_expect_eq(s.origin.capabilities, ORIGIN_CMDLINE);
}

Test(options, file_flags_take_yes_and_no)
{
	static struct settings s;
	char *argv[] = {"hutch", NULL};
	cr_assert_eq(cli_parse(1, argv, &s), CLI_RUN);
	cr_expect_eq(apply(&s, "Exec", "Boot", "yes", ORIGIN_TRUSTED_FILE), 0);
	cr_expect_eq(s.start_mode, START_BOOT);
	cr_expect_eq(apply(&s, "Exec", "Boot", "off", ORIGIN_TRUSTED_FILE), 0);
	cr_expect_eq(s.start_mode, START_PID1);
}

Test(options, file_errors_name_file_line_and_key, .init = cr_redirect_stderr)
{
	static struct settings s;
	char *argv[] = {"hutch", NULL};
	cr_assert_eq(cli_parse(1, argv, &s), CLI_RUN);
	cr_expect_lt(apply(&s, "Exec", "Boot", "maybe", ORIGIN_TRUSTED_FILE), 0);
	fflush(stderr);
	cr_expect_stderr_eq_str("hutch: test.nspawn:1: invalid Boot= value 'maybe': expected yes or no\n");
}

Test(options, command_line_errors_name_the_option, .init = cr_redirect_stderr)
{
	static struct settings s;
	char *argv[] = {"hutch", "--kill-signal=SIGNOPE", NULL};
	cr_expect_eq(cli_parse(2, argv, &s), CLI_ERROR);
	fflush(stderr);
	cr_expect_stderr_eq_str("hutch: invalid --kill-signal value 'SIGNOPE': expected a signal "
				"name like SIGTERM or RTMIN+3\n");
}
