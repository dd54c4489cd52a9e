/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * worker/settings_files.c, profile.c, conf.c: where .nspawn files are found,
 * what an untrusted one may set, precedence against the command line and
 * profiles, --settings= modes, profile headers and includes. Files come
 * from memory through the settings_reader the broker stands behind in hutch.
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

#define CAP_CHOWN 0
#define CAP_NET_ADMIN 12
#define CAP_SYS_ADMIN 21
#define CAP_SYS_TIME 25

struct memfile {
	enum hutch_settings_file where;
	const char *name;
	const char *text;
	int err;    /* returned instead of the text when set */
	size_t len; /* 0: strlen(text) */
};

static struct memfile files[16];
static size_t nfiles;
static unsigned reads[HUTCH_SETTINGS_MAX];

static void add(enum hutch_settings_file where, const char *name, const char *text)
{
	cr_assert_lt(nfiles, 16);
	files[nfiles++] = (struct memfile){where, name, text, 0, 0};
}

static void add_error(enum hutch_settings_file where, const char *name, int err)
{
	files[nfiles++] = (struct memfile){where, name, NULL, err, 0};
}

static int mem_read(void *ctx, enum hutch_settings_file where, const char *name, char **buf,
		    size_t *len)
{
	cr_assert(where > 0 && where < HUTCH_SETTINGS_MAX);
	reads[where]++;
	for (size_t i = 0; i < nfiles; i++) {
		if (files[i].where != where || strcmp(files[i].name, name))
			continue;
		if (files[i].err)
			return files[i].err;
		*len = files[i].len ? files[i].len : strlen(files[i].text);
		*buf = malloc(*len + 1);
		cr_assert(*buf);
		memcpy(*buf, files[i].text, *len);
		(*buf)[*len] = '\0';
		return 0;
	}
	return -ENOENT;
}

static const struct settings_reader reader = {.read = mem_read};
static struct settings s;

static void reset(void)
{
	nfiles = 0;
	memset(reads, 0, sizeof reads);
}

TestSuite(settings_files, .init = reset);

/* hutch -D /srv/machines/box ARGS... then settings_load(). */
static int load_with(const char *const *args)
{
	static char *argv[32];
	int argc = 0;
	argv[argc++] = "hutch";
	argv[argc++] = "-D";
	argv[argc++] = "/srv/machines/box";
	for (; *args; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	cr_assert_eq(cli_parse(argc, argv, &s), CLI_RUN);
	int r = settings_load(&s, argc, argv, &reader);
	if (r == 0)
		r = settings_load_beside_root(&s, argc, argv, &reader);
	return r < 0 ? r : 0;
}
#define LOAD(...) load_with((const char *const[]){__VA_ARGS__, NULL})

/* The same under a policy rule's grant. */
static int load_granted(const struct hutch_grant *g, const char *const *args)
{
	static char *argv[32];
	int argc = 0;
	argv[argc++] = "hutch";
	argv[argc++] = "-D";
	argv[argc++] = "/srv/machines/box";
	for (; *args; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	cr_assert_eq(cli_parse(argc, argv, &s), CLI_RUN);
	int r = settings_policy_profile(&s, g);
	if (r == 0)
		r = settings_load(&s, argc, argv, &reader);
	if (r == 0)
		r = settings_load_beside_root(&s, argc, argv, &reader);
	return r < 0 ? r : 0;
}
#define LOAD_GRANTED(g, ...) load_granted((g), (const char *const[]){__VA_ARGS__, NULL})

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

static bool has_env(const char *assignment)
{
	for (unsigned i = 0; i < s.n_env; i++)
		if (!strcmp(s.env[i], assignment))
			return true;
	return false;
}

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
	files[nfiles++] = (struct memfile){HUTCH_SETTINGS_ETC_PROFILE, "p", text, 0,
					   sizeof text - 1};
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
