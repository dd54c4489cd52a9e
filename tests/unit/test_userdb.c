/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* worker/userdb.c: container passwd/group parsing for -u/--user. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../worker/userdb.h"

static const char debian_passwd[] =
	"root:x:0:0:root:/root:/bin/bash\n"
	"daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
	"bin:x:2:2:bin:/bin:/usr/sbin/nologin\n"
	"sys:x:3:3:sys:/dev:/usr/sbin/nologin\n"
	"www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n"
	"nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
	"_apt:x:42:65534::/nonexistent:/usr/sbin/nologin\n"
	"systemd-network:x:998:998:systemd Network Management:/:/usr/sbin/nologin\n"
	"alice:x:1000:1000:Alice Example,,,:/home/alice:/bin/bash\n";

static const char debian_group[] =
	"root:x:0:\n"
	"daemon:x:1:\n"
	"adm:x:4:alice\n"
	"tty:x:5:\n"
	"sudo:x:27:alice\n"
	"audio:x:29:pulse,alice\n"
	"users:x:100:\n"
	"nogroup:x:65534:\n"
	"systemd-journal:x:999:\n"
	"alice:x:1000:\n"
	"bob:x:1001:\n";

static int find(const char *text, const char *spec, struct userdb_user *u)
{
	return userdb_find_user(text, strlen(text), spec, u);
}

static int groups(const char *text, const char *user, gid_t primary, gid_t *out, size_t max)
{
	return userdb_groups(text, strlen(text), user, primary, out, max);
}

/* "name:x:uid:gid::home:/bin/sh\n" with a gecos of `gecos_len` 'G's. */
static char *line_with_gecos(const char *name, unsigned id, size_t gecos_len)
{
	char *s = malloc(gecos_len + 512);
	int n;

	cr_assert_not_null(s);
	n = sprintf(s, "%s:x:%u:%u:", name, id, id);
	memset(s + n, 'G', gecos_len);
	strcpy(s + n + gecos_len, ":/home/big:/bin/sh\n");
	return s;
}

Test(userdb, debian_passwd_by_name)
{
	struct userdb_user u;

	cr_assert_eq(find(debian_passwd, "root", &u), 0);
	cr_assert_eq(u.uid, 0);
	cr_assert_eq(u.gid, 0);
	cr_assert_str_eq(u.name, "root");
	cr_assert_str_eq(u.home, "/root");
	cr_assert_str_eq(u.shell, "/bin/bash");

	cr_assert_eq(find(debian_passwd, "alice", &u), 0);
	cr_assert_eq(u.uid, 1000);
	cr_assert_eq(u.gid, 1000);
	cr_assert_str_eq(u.home, "/home/alice");

	cr_assert_eq(find(debian_passwd, "_apt", &u), 0);
	cr_assert_eq(u.uid, 42);
	cr_assert_eq(u.gid, 65534);

	cr_assert_eq(find(debian_passwd, "www-data", &u), 0);
	cr_assert_eq(u.uid, 33);
	cr_assert_str_eq(u.shell, "/usr/sbin/nologin");
}

Test(userdb, numeric_spec_found)
{
	struct userdb_user u;

	cr_assert_eq(find(debian_passwd, "0", &u), 0);
	cr_assert_str_eq(u.name, "root");
	cr_assert_eq(find(debian_passwd, "65534", &u), 0);
	cr_assert_str_eq(u.name, "nobody");
	cr_assert_str_eq(u.home, "/nonexistent");
	cr_assert_eq(find(debian_passwd, "1000", &u), 0);
	cr_assert_str_eq(u.name, "alice");
	/* Leading zeros are still decimal (as glibc and nspawn read them). */
	cr_assert_eq(find(debian_passwd, "01000", &u), 0);
	cr_assert_str_eq(u.name, "alice");
}

Test(userdb, numeric_spec_not_found)
{
	struct userdb_user u;

	cr_assert_eq(find(debian_passwd, "4242", &u), 0);
	cr_assert_eq(u.uid, 4242);
	cr_assert_eq(u.gid, 4242);
	cr_assert_str_eq(u.name, "4242");
	cr_assert_str_eq(u.home, "/");
	cr_assert_str_eq(u.shell, "/bin/sh");

	cr_assert_eq(find("", "4294967294", &u), 0);
	cr_assert_eq(u.uid, 4294967294u);
	cr_assert_str_eq(u.name, "4294967294");
	cr_assert_eq(userdb_find_user(NULL, 0, "7", &u), 0);
	cr_assert_eq(u.uid, 7);
}

Test(userdb, name_not_found)
{
	struct userdb_user u;

	cr_assert_eq(find(debian_passwd, "mallory", &u), -ENOENT);
	cr_assert_eq(find(debian_passwd, "roo", &u), -ENOENT);
	cr_assert_eq(find(debian_passwd, "rootx", &u), -ENOENT);
	cr_assert_eq(find(debian_passwd, "Root", &u), -ENOENT);
	cr_assert_eq(find("", "root", &u), -ENOENT);
	cr_assert_eq(userdb_find_user(NULL, 0, "root", &u), -ENOENT);
}

Test(userdb, bad_specs)
{
	struct userdb_user u;
	char big[300];

	cr_assert_eq(find(debian_passwd, "", &u), -EINVAL);
	cr_assert_eq(find(debian_passwd, "root:x", &u), -EINVAL);
	cr_assert_eq(find(debian_passwd, "root\n", &u), -EINVAL);
	cr_assert_eq(find(debian_passwd, "../root", &u), -EINVAL);
	cr_assert_eq(find(debian_passwd, "/root", &u), -EINVAL);
	cr_assert_eq(find(debian_passwd, " root", &u), -EINVAL);
	cr_assert_eq(find(debian_passwd, "-root", &u), -EINVAL);
	cr_assert_eq(find(debian_passwd, "+root", &u), -EINVAL);
	cr_assert_eq(find(debian_passwd, "a,b", &u), -EINVAL);
	cr_assert_eq(find(debian_passwd, "..", &u), -EINVAL);
	cr_assert_eq(find(debian_passwd, "-1", &u), -EINVAL);
	cr_assert_eq(find(debian_passwd, " 1", &u), -EINVAL);
	cr_assert_eq(find(debian_passwd, "1 ", &u), -EINVAL);
	/* Not all digits, so a name (never parsed as hex): looked up, not found. */
	cr_assert_eq(find(debian_passwd, "0x10", &u), -ENOENT);
	cr_assert_eq(find(debian_passwd, "4294967295", &u), -EINVAL);
	cr_assert_eq(find(debian_passwd, "99999999999", &u), -EINVAL);
	cr_assert_eq(userdb_find_user(debian_passwd, 10, NULL, &u), -EINVAL);
	cr_assert_eq(userdb_find_user(debian_passwd, 10, "root", NULL), -EINVAL);
	cr_assert_eq(userdb_find_user(NULL, 10, "root", &u), -EINVAL);

	/* 256 is the longest name; 257 and more are refused unread. */
	memset(big, 'a', sizeof(big));
	big[256] = '\0';
	cr_assert_eq(find(debian_passwd, big, &u), -ENOENT);
	big[256] = 'a';
	big[257] = '\0';
	cr_assert_eq(find(debian_passwd, big, &u), -EINVAL);
	memset(big, '0', sizeof(big));
	big[299] = '\0';
	cr_assert_eq(find(debian_passwd, big, &u), -EINVAL);
}

Test(userdb, out_untouched_on_failure)
{
	struct userdb_user u;

	memset(&u, 0xa5, sizeof(u));
	cr_assert_eq(find(debian_passwd, "mallory", &u), -ENOENT);
	cr_assert_eq(u.uid, (uid_t)0xa5a5a5a5);
	cr_assert_eq((unsigned char)u.name[0], 0xa5);
}

Test(userdb, duplicates_first_wins)
{
	static const char pw[] = "alice:x:1000:1000::/home/a:/bin/sh\n"
				 "alice:x:0:0::/root:/bin/sh\n"
				 "other:x:1000:1000::/home/o:/bin/sh\n";
	struct userdb_user u;

	cr_assert_eq(find(pw, "alice", &u), 0);
	cr_assert_eq(u.uid, 1000);
	cr_assert_str_eq(u.home, "/home/a");
	cr_assert_eq(find(pw, "1000", &u), 0);
	cr_assert_str_eq(u.name, "alice");
}

Test(userdb, malformed_first_match_skipped)
{
	/* A broken line for a name does not hide a valid later one. */
	static const char pw[] = "alice:x:1000:1000::/home/a\n"
				 "alice:x:-1:1000::/home/a:/bin/sh\n"
				 "alice:x:1001:1001::/home/b:/bin/sh\n";
	struct userdb_user u;

	cr_assert_eq(find(pw, "alice", &u), 0);
	cr_assert_eq(u.uid, 1001);
}

Test(userdb, crlf_lines)
{
	static const char pw[] = "root:x:0:0:root:/root:/bin/bash\r\n"
				 "alice:x:1000:1000::/home/alice:/bin/zsh\r\n"
				 "bob:x:1001:1001::/home/bob:\r\n";
	struct userdb_user u;

	cr_assert_eq(find(pw, "root", &u), 0);
	cr_assert_str_eq(u.shell, "/bin/bash");
	cr_assert_eq(find(pw, "alice", &u), 0);
	cr_assert_str_eq(u.shell, "/bin/zsh");
	cr_assert_eq(find(pw, "bob", &u), 0);
	cr_assert_str_eq(u.shell, "/bin/sh");
	/* Only one trailing CR is a line ending; a CR inside is a control char. */
	cr_assert_eq(find("carol:x:5:5::/h:/bin/sh\r\r\n", "carol", &u), -ENOENT);
	cr_assert_eq(find("carol:x:5:5::/h\r:/bin/sh\n", "carol", &u), -ENOENT);
}

Test(userdb, embedded_nul_bytes)
{
	/* NUL inside a line kills that line only; the next line still parses.
	 * The text is not NUL-terminated where C strings would stop. */
	static const char pw[] = "root:x:0:0:root:/root:/bin/bash\0evil\n"
				 "\0\n"
				 "alice\0:x:1:1::/:/bin/sh\n"
				 "alice:x:1000:1000::/home/alice:/bin/bash\n"
				 "root:x:5:5::/:/bin/sh\n";
	struct userdb_user u;

	cr_assert_eq(userdb_find_user(pw, sizeof(pw) - 1, "alice", &u), 0);
	cr_assert_eq(u.uid, 1000);
	cr_assert_eq(userdb_find_user(pw, sizeof(pw) - 1, "root", &u), 0);
	cr_assert_eq(u.uid, 5);
	cr_assert_eq(userdb_find_user(pw, sizeof(pw) - 1, "0", &u), 0);
	cr_assert_str_eq(u.name, "0"); /* synthesized: the uid-0 line was skipped */
}

Test(userdb, no_trailing_newline)
{
	static const char pw[] = "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash";
	struct userdb_user u;

	cr_assert_eq(find(pw, "alice", &u), 0);
	cr_assert_str_eq(u.shell, "/bin/bash");
	/* Length bounds the text, not a NUL: cut the last field short. */
	cr_assert_eq(userdb_find_user(pw, sizeof(pw) - 1 - 5, "alice", &u), 0);
	cr_assert_str_eq(u.shell, "/bin");
	/* Cut into the uid: 'alice:x:10' */
	cr_assert_eq(userdb_find_user(pw, 32 + 10, "alice", &u), -ENOENT);
}

Test(userdb, comments_and_blank_lines)
{
	static const char pw[] = "# alice:x:0:0::/:/bin/sh\n\n\r\n#\n"
				 "alice:x:1000:1000::/home/alice:/bin/bash\n";
	struct userdb_user u;

	cr_assert_eq(find(pw, "alice", &u), 0);
	cr_assert_eq(u.uid, 1000);
	cr_assert_eq(find(pw, "#", &u), -ENOENT);
}

Test(userdb, very_long_lines_skipped)
{
	char *over = line_with_gecos("big", 1, 70000);
	char *edge, *text;
	struct userdb_user u;
	size_t prefix = strlen("big:x:1:1:") + strlen(":/home/big:/bin/sh");

	text = malloc(strlen(over) + 64);
	cr_assert_not_null(text);
	strcpy(text, over);
	strcat(text, "big:x:2:2::/h:/bin/sh\n");
	cr_assert_eq(find(text, "big", &u), 0);
	cr_assert_eq(u.uid, 2);
	cr_assert_eq(find(over, "big", &u), -ENOENT);
	/* Exactly USERDB_LINE_MAX bytes (without '\n') is fine, one more is not. */
	edge = line_with_gecos("big", 1, USERDB_LINE_MAX - prefix);
	cr_assert_eq(strlen(edge), USERDB_LINE_MAX + 1);
	cr_assert_eq(find(edge, "big", &u), 0);
	cr_assert_eq(u.uid, 1);
	free(edge);
	edge = line_with_gecos("big", 1, USERDB_LINE_MAX - prefix + 1);
	cr_assert_eq(find(edge, "big", &u), -ENOENT);
	/* ... also as the last line without a newline. */
	edge[strlen(edge) - 1] = '\0';
	cr_assert_eq(find(edge, "big", &u), -ENOENT);
	free(edge);
	free(text);
	free(over);
}

Test(userdb, overlong_fields_skipped)
{
	char name[300], *home, *text;
	struct userdb_user u;

	memset(name, 'n', sizeof(name));
	name[257] = '\0';
	text = malloc(9000);
	cr_assert_not_null(text);
	sprintf(text, "%s:x:7:7::/:/bin/sh\n", name);
	cr_assert_eq(find(text, "7", &u), 0);
	cr_assert_str_eq(u.name, "7"); /* the 257-byte name line was skipped */
	name[256] = '\0';
	sprintf(text, "%s:x:7:7::/:/bin/sh\n", name);
	cr_assert_eq(find(text, "7", &u), 0);
	cr_assert_str_eq(u.name, name);

	home = malloc(4097);
	cr_assert_not_null(home);
	memset(home, 'h', 4096);
	home[0] = '/';
	home[4096] = '\0'; /* 4096 bytes: no room for the NUL */
	sprintf(text, "alice:x:1:1::%s:/bin/sh\n", home);
	cr_assert_eq(find(text, "alice", &u), -ENOENT);
	sprintf(text, "alice:x:1:1::/:%s\n", home);
	cr_assert_eq(find(text, "alice", &u), -ENOENT);
	home[4095] = '\0'; /* 4095 bytes fit */
	sprintf(text, "alice:x:1:1::%s:%s\n", home, home);
	cr_assert_eq(find(text, "alice", &u), 0);
	cr_assert_str_eq(u.home, home);
	cr_assert_str_eq(u.shell, home);
	free(home);
	free(text);
}

Test(userdb, out_of_range_ids_rejected)
{
	static const char pw[] = "a:x:4294967295:1::/:/bin/sh\n"
				 "a:x:1:4294967295::/:/bin/sh\n"
				 "a:x:99999999999:1::/:/bin/sh\n"
				 "a:x:1:99999999999::/:/bin/sh\n"
				 "a:x:18446744073709551617:1::/:/bin/sh\n"
				 "a:x:4294967294:4294967294::/:/bin/sh\n";
	struct userdb_user u;

	cr_assert_eq(find(pw, "a", &u), 0);
	cr_assert_eq(u.uid, 4294967294u);
	cr_assert_eq(u.gid, 4294967294u);
	/* 4294967295 mod 2^32 must not alias anything. */
	cr_assert_eq(find("a:x:4294967296:0::/:/bin/sh\n", "0", &u), 0);
	cr_assert_str_eq(u.name, "0");
}

Test(userdb, non_decimal_ids_rejected)
{
	static const char *bad[] = { "-1", "-0", "+1", "0x10", " 1", "1 ", "1\t", "", "1e3",
				     "１", "1.0", "0b1" };
	struct userdb_user u;
	char line[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "a:x:%s:1::/:/bin/sh\n", bad[i]);
		cr_assert_eq(find(line, "a", &u), -ENOENT, "uid '%s' accepted", bad[i]);
		snprintf(line, sizeof(line), "a:x:1:%s::/:/bin/sh\n", bad[i]);
		cr_assert_eq(find(line, "a", &u), -ENOENT, "gid '%s' accepted", bad[i]);
	}
	cr_assert_eq(find("a:x:010:1::/:/bin/sh\n", "a", &u), 0);
	cr_assert_eq(u.uid, 10); /* decimal, never octal */
}

Test(userdb, wrong_field_count_skipped)
{
	static const char pw[] = "a:x:1:1::/\n"
				 "a:x:2:2::/:/bin/sh:extra\n"
				 "a\n"
				 "a:x:3:3::/:/bin/sh\n";
	struct userdb_user u;

	cr_assert_eq(find(pw, "a", &u), 0);
	cr_assert_eq(u.uid, 3);
}

Test(userdb, invalid_names_skipped)
{
	static const char pw[] = "1000:x:5:5::/:/bin/sh\n"
				 "-o:x:6:6::/:/bin/sh\n"
				 "+:x:7:7::/:/bin/sh\n"
				 "a b:x:8:8::/:/bin/sh\n"
				 "caf\xc3\xa9:x:9:9::/:/bin/sh\n"
				 ":x:10:10::/:/bin/sh\n";
	struct userdb_user u;

	for (unsigned id = 5; id <= 10; id++) {
		char spec[8];
		snprintf(spec, sizeof(spec), "%u", id);
		cr_assert_eq(find(pw, spec, &u), 0);
		cr_assert_str_eq(u.name, spec, "line for uid %u not skipped", id);
	}
	cr_assert_eq(find(pw, "1000", &u), 0);
	cr_assert_eq(u.uid, 1000); /* the spec is an id, never the numeric name */
}

Test(userdb, empty_home_and_shell_defaults)
{
	struct userdb_user u;

	cr_assert_eq(find("a:x:1:2:::\n", "a", &u), 0);
	cr_assert_eq(u.uid, 1);
	cr_assert_eq(u.gid, 2);
	cr_assert_str_eq(u.home, "/");
	cr_assert_str_eq(u.shell, "/bin/sh");
	cr_assert_eq(find("a:x:1:2::/srv:\n", "a", &u), 0);
	cr_assert_str_eq(u.home, "/srv");
	cr_assert_str_eq(u.shell, "/bin/sh");
	/* Relative paths are not guessed at. */
	cr_assert_eq(find("a:x:1:2::home:/bin/sh\n", "a", &u), -ENOENT);
	cr_assert_eq(find("a:x:1:2::/:bash\n", "a", &u), -ENOENT);
	cr_assert_eq(find("a:x:1:2::/h\x1b[0m:/bin/sh\n", "a", &u), -ENOENT);
}

Test(userdb, groups_membership)
{
	gid_t g[USERDB_MAX_GROUPS];
	int n = groups(debian_group, "alice", 1000, g, USERDB_MAX_GROUPS);

	cr_assert_eq(n, 4);
	cr_assert_eq(g[0], 1000);
	cr_assert_eq(g[1], 4);
	cr_assert_eq(g[2], 27);
	cr_assert_eq(g[3], 29);

	cr_assert_eq(groups(debian_group, "bob", 1001, g, USERDB_MAX_GROUPS), 1);
	cr_assert_eq(g[0], 1001);
	cr_assert_eq(groups(debian_group, "pulse", 65534, g, USERDB_MAX_GROUPS), 2);
	cr_assert_eq(g[1], 29);
	cr_assert_eq(groups(debian_group, "ali", 1000, g, USERDB_MAX_GROUPS), 1);
	cr_assert_eq(groups("", "alice", 5, g, 1), 1);
	cr_assert_eq(userdb_groups(NULL, 0, "alice", 5, g, 1), 1);
	cr_assert_eq(g[0], 5);
}

Test(userdb, groups_primary_first_and_dedupe)
{
	static const char gr[] = "wheel:x:10:alice\n"
				 "alice:x:1000:alice\n"
				 "wheel2:x:10:alice\n"
				 "dup:x:20:alice,alice\n"
				 "wheel:x:30:alice\n";
	gid_t g[8];

	cr_assert_eq(groups(gr, "alice", 1000, g, 8), 4);
	cr_assert_eq(g[0], 1000);
	cr_assert_eq(g[1], 10);
	cr_assert_eq(g[2], 20);
	cr_assert_eq(g[3], 30);
}

Test(userdb, groups_too_many)
{
	char *gr = malloc(70 * 64);
	gid_t g[USERDB_MAX_GROUPS];
	size_t off = 0;

	cr_assert_not_null(gr);
	gr[0] = '\0';
	/* 63 supplementary + primary = 64: fits exactly. */
	for (unsigned i = 1; i <= 63; i++)
		off += sprintf(gr + off, "g%u:x:%u:alice\n", i, 100 + i);
	cr_assert_eq(groups(gr, "alice", 1000, g, USERDB_MAX_GROUPS), 64);
	cr_assert_eq(g[63], 163);
	/* Listing the primary again still fits. */
	off += sprintf(gr + off, "again:x:1000:alice\n");
	cr_assert_eq(groups(gr, "alice", 1000, g, USERDB_MAX_GROUPS), 64);
	off += sprintf(gr + off, "g64:x:164:alice\n");
	cr_assert_eq(groups(gr, "alice", 1000, g, USERDB_MAX_GROUPS), -E2BIG);
	cr_assert_eq(groups(gr, "alice", 1000, g, 2), -E2BIG);
	cr_assert_eq(groups(gr, "bob", 1000, g, 1), 1);
	cr_assert_eq(groups(gr, "bob", 1000, g, 0), -E2BIG);
	free(gr);
}

Test(userdb, groups_member_list_edge_cases)
{
	static const char gr[] = "a:x:1:,,alice,,\n"
				 "b:x:2:,\n"
				 "c:x:3:alice,\n"
				 "d:x:4:,alice\n"
				 "e:x:5:alice \n"
				 "f:x:6: alice\n"
				 "g:x:7:alicex,xalice\n"
				 "h:x:8:bob,alice\r\n"
				 "i:x:9:alice:\n"
				 "j:x:-1:alice\n"
				 "k:x:4294967295:alice\n"
				 "l:x:0x1:alice\n"
				 "-m:x:12:alice\n"
				 "n:x:13\n";
	gid_t g[16];

	cr_assert_eq(groups(gr, "alice", 100, g, 16), 5);
	cr_assert_eq(g[0], 100);
	cr_assert_eq(g[1], 1);
	cr_assert_eq(g[2], 3);
	cr_assert_eq(g[3], 4);
	cr_assert_eq(g[4], 8);
}

Test(userdb, groups_nul_and_long_lines)
{
	static const char gr[] = "a:x:1:alice\0\n"
				 "b:x:2:bob,alice\n";
	char *big = malloc(USERDB_LINE_MAX + 64);
	gid_t g[4];
	int n;

	cr_assert_eq(userdb_groups(gr, sizeof(gr) - 1, "alice", 9, g, 4), 2);
	cr_assert_eq(g[1], 2);

	cr_assert_not_null(big);
	n = sprintf(big, "big:x:3:");
	memset(big + n, ',', USERDB_LINE_MAX);
	strcpy(big + n + USERDB_LINE_MAX - strlen("alice"), "alice\nb:x:2:alice");
	cr_assert_eq(groups(big, "alice", 9, g, 4), 2);
	cr_assert_eq(g[1], 2);
	free(big);
}

Test(userdb, groups_bad_arguments)
{
	gid_t g[4];

	cr_assert_eq(groups(debian_group, "", 1, g, 4), -EINVAL);
	cr_assert_eq(groups(debian_group, "a:b", 1, g, 4), -EINVAL);
	cr_assert_eq(groups(debian_group, "a,b", 1, g, 4), -EINVAL);
	cr_assert_eq(groups(debian_group, "a\nb", 1, g, 4), -EINVAL);
	cr_assert_eq(groups(debian_group, "a/b", 1, g, 4), -EINVAL);
	cr_assert_eq(groups(debian_group, "alice", (gid_t)-1, g, 4), -EINVAL);
	cr_assert_eq(userdb_groups(debian_group, 4, NULL, 1, g, 4), -EINVAL);
	cr_assert_eq(userdb_groups(debian_group, 4, "alice", 1, NULL, 4), -EINVAL);
	cr_assert_eq(userdb_groups(NULL, 4, "alice", 1, g, 4), -EINVAL);
}

Test(userdb, groups_raw_id_user)
{
	/* The synthesized name of a raw uid never matches a member list. */
	static const char gr[] = "g:x:5:4242\nh:x:6:alice\n";
	struct userdb_user u;
	gid_t g[4];

	cr_assert_eq(find(debian_passwd, "4242", &u), 0);
	cr_assert_eq(groups(gr, u.name, u.gid, g, 4), 1);
	cr_assert_eq(g[0], 4242);
}

Test(userdb, find_then_groups_debian)
{
	struct userdb_user u;
	gid_t g[USERDB_MAX_GROUPS];

	cr_assert_eq(find(debian_passwd, "1000", &u), 0);
	cr_assert_eq(groups(debian_group, u.name, u.gid, g, USERDB_MAX_GROUPS), 4);
	cr_assert_eq(find(debian_passwd, "root", &u), 0);
	cr_assert_eq(groups(debian_group, u.name, u.gid, g, USERDB_MAX_GROUPS), 1);
	cr_assert_eq(g[0], 0);
}
