/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* worker/files.c: --set-credential= value unescaping and option parsing. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../worker/files.h"
#include "../../worker/settings.h"

static void unesc(const char *in, const char *want, size_t want_len)
{
	char *out = NULL;
	size_t len = 0;
	cr_assert_eq(files_unescape(in, &out, &len), 0, "'%s' refused", in);
	cr_assert_eq(len, want_len, "'%s': %zu bytes, expected %zu", in, len, want_len);
	cr_assert(!memcmp(out, want, len), "'%s' unescaped wrongly", in);
	cr_assert_eq(out[len], '\0');
	free(out);
}

Test(files_unescape, valid)
{
	unesc("plain", "plain", 5);
	unesc("", "", 0);
	unesc("a\\tb\\nc", "a\tb\nc", 5);
	unesc("\\a\\b\\f\\r\\v\\\\\\\"\\'\\s", "\a\b\f\r\v\\\"' ", 9);
	unesc("\\x41\\x7a", "Az", 2);
	unesc("\\101\\060", "A0", 2);
	unesc("\\x00mid\\000", "\0mid\0", 5); /* NULs are allowed */
	unesc("\\u00e9", "\xc3\xa9", 2);
	unesc("\\u20ac", "\xe2\x82\xac", 3);
	unesc("\\U0001F600", "\xf0\x9f\x98\x80", 4);
}

Test(files_unescape, invalid)
{
	static const char *const bad[] = {
		"\\", "\\q", "\\x", "\\x4", "\\xg0", "\\1", "\\18", "\\400", "\\u12", "\\u0000",
		"\\ud800", "\\U00110000", "\\Uffffffff",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *out = NULL;
		size_t len;
		cr_assert_lt(files_unescape(bad[i], &out, &len), 0, "'%s' accepted", bad[i]);
		cr_assert_null(out);
	}
}

Test(files_unescape, options)
{
	static struct settings s;
	memset(&s, 0, sizeof s);
	cr_assert_eq(files_opt_resolv_conf(&s, "bind-uplink"), 0);
	cr_assert_eq(s.files.resolv_conf, FILES_BIND);
	cr_assert_eq(s.files.resolv_source, HUTCH_FILE_HOST_RESOLV_UPLINK);
	cr_assert_eq(files_opt_resolv_conf(&s, "replace-stub"), 0);
	cr_assert_eq(s.files.resolv_conf, FILES_REPLACE);
	cr_assert_eq(s.files.resolv_source, HUTCH_FILE_HOST_RESOLV_STUB);
	cr_assert_eq(files_opt_resolv_conf(&s, "off"), 0);
	cr_assert_eq(s.files.resolv_conf, FILES_OFF);
	cr_assert_lt(files_opt_resolv_conf(&s, "copy"), 0);
	cr_assert_lt(files_opt_resolv_conf(&s, "bind-hosts"), 0);
	cr_assert_eq(files_opt_timezone(&s, "symlink"), 0);
	cr_assert_eq(s.files.timezone, FILES_SYMLINK);
	cr_assert_lt(files_opt_timezone(&s, "replace"), 0);
	cr_assert_eq(files_opt_set_credential(&s, "k:v\\x00w"), 0);
	cr_assert_eq(s.files.n_creds, 1);
	cr_assert_eq(s.files.creds[0].len, 3);
	cr_assert_eq(files_opt_set_credential(&s, "empty:"), 0);
	cr_assert_eq(s.files.creds[1].len, 0);
	cr_assert_lt(files_opt_set_credential(&s, "k:again"), 0);
	cr_assert_eq(files_opt_load_credential(&s, "f:/etc/hostname"), 0);
	cr_assert_str_eq(s.files.creds[2].path, "/etc/hostname");
	cr_assert_lt(files_opt_load_credential(&s, "g:"), 0);
	cr_assert_eq(s.files.n_creds, 3);
}

#include "../../worker/userdb.h"

Test(files_unescape, userdb_find_group)
{
	static const char grp[] = "root:x:0:\nbad line\nwheel:x:10:alice\n#c:x:11:\nstaff:x:50:\n";
	char name[USERDB_NAME_MAX + 1];
	cr_assert_eq(userdb_find_group(grp, sizeof grp - 1, NULL, 50, name), 0);
	cr_assert_str_eq(name, "staff");
	cr_assert_eq(userdb_find_group(grp, sizeof grp - 1, "wheel", 0, NULL), 0);
	cr_assert_eq(userdb_find_group(grp, sizeof grp - 1, NULL, 11, name), -ENOENT);
	cr_assert_eq(userdb_find_group(grp, sizeof grp - 1, "nope", 0, NULL), -ENOENT);
	cr_assert_eq(userdb_find_group(grp, sizeof grp - 1, "a/b", 0, NULL), -EINVAL);
	cr_assert(userdb_name_valid("alice"));
	cr_assert(!userdb_name_valid("123"));
	cr_assert(!userdb_name_valid(".."));
}

/* common/host_files.c: the one table of host files, settings dirs and /etc entries. */
#include "../../common/host_files.h"
#include "../../common/proto.h"

Test(host_files, ids_outside_the_tables_have_no_path)
{
	for (uint32_t w = HUTCH_FILE_HOST_FIRST; w < HUTCH_FILE_MAX; w++) {
		const char *p = hutch_host_file(w);
		cr_assert(p && p[0] == '/', "host file %u has no absolute path", w);
	}
	cr_assert_str_eq(hutch_host_file(HUTCH_FILE_HOST_RESOLV_STUB),
			 "/run/systemd/resolve/stub-resolv.conf");
	cr_assert_str_eq(hutch_host_file(HUTCH_FILE_HOST_GROUP), "/etc/group");
	/* Files inside the root are not host files, whatever their path. */
	for (uint32_t w = 0; w < HUTCH_FILE_HOST_FIRST; w++)
		cr_assert_null(hutch_host_file(w), "root file %u has a host path", w);
	cr_assert_null(hutch_host_file(HUTCH_FILE_MAX));
	cr_assert_null(hutch_host_file(UINT32_MAX));

	cr_assert_str_eq(hutch_etc_name(HUTCH_ETC_LOCALTIME), "localtime");
	cr_assert_str_eq(hutch_etc_path(HUTCH_ETC_RESOLV_CONF), "/etc/resolv.conf");
	for (uint32_t t = HUTCH_ETC_RESOLV_CONF; t < HUTCH_ETC_MAX; t++) {
		char want[64];
		snprintf(want, sizeof want, "/etc/%s", hutch_etc_name(t));
		cr_assert_str_eq(hutch_etc_path(t), want);
	}
	static const uint32_t bad[] = {0, HUTCH_ETC_MAX, UINT32_MAX};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_assert(!hutch_etc_name(bad[i]) && !hutch_etc_path(bad[i]), "/etc id %u", bad[i]);

	cr_assert_str_eq(hutch_settings_dir(HUTCH_SETTINGS_USR_PROFILE), "/usr/share/hutch/profiles");
	cr_assert_str_eq(hutch_settings_suffix(HUTCH_SETTINGS_USR_PROFILE), "profile");
	cr_assert_str_eq(hutch_settings_suffix(HUTCH_SETTINGS_BESIDE_ROOT), "nspawn");
	cr_assert_null(hutch_settings_dir(HUTCH_SETTINGS_BESIDE_ROOT), "beside the root is no fixed dir");
	for (uint32_t w = 1; w < HUTCH_SETTINGS_MAX; w++)
		cr_assert(w == HUTCH_SETTINGS_BESIDE_ROOT || hutch_settings_dir(w)[0] == '/');
	cr_assert(!hutch_settings_dir(0) && !hutch_settings_dir(HUTCH_SETTINGS_MAX));
}
