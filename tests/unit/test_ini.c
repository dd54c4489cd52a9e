/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* worker/ini.c: the INI-style reader of .nspawn files and profiles. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../worker/ini.h"

struct collect {
	char out[8192];
	size_t len;
	int fail_at; /* return -EPERM at this item (1-based), 0 = never */
	int n;
};

static int record(void *ud, const struct ini_item *it)
{
	struct collect *c = ud;
	c->n++;
	int w = snprintf(c->out + c->len, sizeof c->out - c->len, "%s%s|%s|%.60s|%u\n",
			 it->directive ? "@" : "", it->section ? it->section : "-", it->key,
			 it->value, it->line);
	cr_assert(w > 0 && (size_t)w < sizeof c->out - c->len);
	c->len += (size_t)w;
	return c->n == c->fail_at ? -EPERM : 0;
}

static int parse_n(const char *text, size_t len, unsigned flags, struct collect *c)
{
	memset(c, 0, sizeof *c);
	return ini_parse(text, len, "test.nspawn", flags, record, c);
}

static int parse(const char *text, struct collect *c)
{
	return parse_n(text, strlen(text), 0, c);
}

#define EXPECT_ITEMS(text, want)                                                   \
	do {                                                                       \
		struct collect c_;                                                 \
		cr_assert_eq(parse(text, &c_), 0, "refused: %s", text);            \
		cr_expect_str_eq(c_.out, want);                                    \
	} while (0)

Test(ini, sections_keys_and_comments)
{
	EXPECT_ITEMS("# a comment\n"
		     "; another\n"
		     "\n"
		     "[Exec]\n"
		     "Boot=yes\n"
		     "  Capability = CAP_NET_ADMIN  CAP_SYS_TIME \t\n"
		     "[Files]\n"
		     "Bind=/a:/b\n"
		     "Key=\n"
		     "Eq=a=b=c\n",
		     "Exec|Boot|yes|5\n"
		     "Exec|Capability|CAP_NET_ADMIN  CAP_SYS_TIME|6\n"
		     "Files|Bind|/a:/b|8\n"
		     "Files|Key||9\n"
		     "Files|Eq|a=b=c|10\n");
}

Test(ini, assignment_before_any_section_has_no_section)
{
	EXPECT_ITEMS("Boot=yes\n[Exec]\nBoot=no\n", "-|Boot|yes|1\nExec|Boot|no|3\n");
}

Test(ini, crlf_and_cr_line_ends)
{
	EXPECT_ITEMS("[Exec]\r\nBoot=yes\r\n\r\nUser=a\rHostname=h", "Exec|Boot|yes|2\n"
								  "Exec|User|a|4\n"
								  "Exec|Hostname|h|5\n");
}

Test(ini, continuation_joins_with_a_space)
{
	EXPECT_ITEMS("[Exec]\n"
		     "Parameters=a \\\n"
		     "  b\\\n"
		     "# a comment inside is skipped, as systemd does\n"
		     "c\n"
		     "Next=1\n",
		     "Exec|Parameters|a    b c|2\n"
		     "Exec|Next|1|6\n");
}

Test(ini, escaped_backslash_does_not_continue)
{
	EXPECT_ITEMS("[E]\nA=x\\\\\nB=y\n", "E|A|x\\\\|2\nE|B|y|3\n");
}

Test(ini, continuation_at_end_of_file)
{
	EXPECT_ITEMS("[E]\nA=x \\", "E|A|x|2\n");
}

Test(ini, duplicate_keys_are_all_reported_in_order)
{
	EXPECT_ITEMS("[Exec]\nBoot=yes\nBoot=no\n", "Exec|Boot|yes|2\nExec|Boot|no|3\n");
}

Test(ini, byte_order_mark_is_skipped)
{
	EXPECT_ITEMS("\xef\xbb\xbf[Exec]\nBoot=1\n", "Exec|Boot|1|2\n");
}

Test(ini, directives_only_when_allowed)
{
	struct collect c;
	const char *t = "@include  base \n[Exec]\nBoot=1\n";
	cr_assert_eq(parse_n(t, strlen(t), INI_DIRECTIVES, &c), 0);
	cr_expect_str_eq(c.out, "@-|include|base|1\nExec|Boot|1|3\n");
	cr_expect_eq(parse(t, &c), -EINVAL, "'@' lines are not .nspawn syntax");
	cr_expect_eq(parse_n("@\n", 2, INI_DIRECTIVES, &c), -EINVAL);
}

Test(ini, empty_input)
{
	EXPECT_ITEMS("", "");
	EXPECT_ITEMS("\n\n   \n# only comments\n", "");
}

Test(ini, syntax_errors)
{
	struct collect c;
	static const char *const bad[] = {
		"[Exec\nBoot=1\n",   /* unterminated header */
		"[]\n",              /* empty section name */
		"[Exec]\nBoot\n",    /* no '=' */
		"[Exec]\n=yes\n",    /* no key */
		"[Exec]\n  = yes\n", /* blank key */
		"[Exec]\nUser=\xff\n",           /* invalid UTF-8 */
		"[Exec]\nUser=\xc0\xaf\n",       /* overlong '/' */
		"[Exec]\nUser=\xed\xa0\x80\n",   /* surrogate */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_expect_eq(parse(bad[i], &c), -EINVAL, "accepted: %s", bad[i]);
	EXPECT_ITEMS("[Exec]\nUser=\xc3\xa9l\xc3\xa8ve\n", "Exec|User|\xc3\xa9l\xc3\xa8ve|2\n");
}

Test(ini, nul_byte_is_refused)
{
	struct collect c;
	static const char t[] = "[Exec]\nBoot=yes\0\nCapability=all\n";
	cr_expect_eq(parse_n(t, sizeof t - 1, 0, &c), -EINVAL);
	cr_expect_eq(c.n, 0, "nothing is applied from a file with a NUL");
}

Test(ini, long_lines)
{
	struct collect c;
	size_t n = INI_LINE_MAX + 16;
	char *t = malloc(n + 1);
	cr_assert(t);
	memcpy(t, "[E]\nA=", 6);
	memset(t + 6, 'x', n - 6);
	t[n] = '\0';
	cr_expect_eq(parse(t, &c), -EINVAL);
	/* Exactly at the limit is fine. */
	t[4 + INI_LINE_MAX] = '\0';
	cr_expect_eq(parse(t, &c), 0);
	cr_expect_eq(c.n, 1);
	/* The limit counts continued lines together. */
	size_t half = INI_LINE_MAX / 2 + 8;
	char *u = malloc(2 * half + 16);
	cr_assert(u);
	size_t k = 0;
	k += (size_t)sprintf(u, "[E]\nA=");
	memset(u + k, 'y', half);
	k += half;
	u[k++] = '\\';
	u[k++] = '\n';
	memset(u + k, 'z', half);
	k += half;
	u[k] = '\0';
	cr_expect_eq(parse(u, &c), -EINVAL);
	free(t);
	free(u);
}

Test(ini, file_size_limit)
{
	struct collect c;
	size_t n = INI_FILE_MAX + 1;
	char *t = malloc(n);
	cr_assert(t);
	memset(t, '\n', n);
	cr_expect_eq(parse_n(t, n, 0, &c), -EINVAL);
	cr_expect_eq(parse_n(t, n - 1, 0, &c), 0);
	free(t);
}

Test(ini, handler_error_stops_parsing)
{
	struct collect c;
	memset(&c, 0, sizeof c);
	c.fail_at = 2;
	const char *t = "[E]\nA=1\nB=2\nC=3\n";
	cr_expect_eq(ini_parse(t, strlen(t), "x", 0, record, &c), -EPERM);
	cr_expect_eq(c.n, 2);
}

Test(ini, not_nul_terminated_input)
{
	struct collect c;
	char t[] = {'[', 'E', ']', '\n', 'A', '=', '1'};
	cr_expect_eq(parse_n(t, sizeof t, 0, &c), 0);
	cr_expect_str_eq(c.out, "E|A|1|2\n");
}

static void words(const char *in, const char *want)
{
	char w[64], got[256] = "";
	const char *p = in;
	int r;
	while ((r = ini_next_word(&p, w, sizeof w)) > 0) {
		strcat(got, "<");
		strcat(got, w);
		strcat(got, ">");
	}
	cr_expect_eq(r, 0, "word split of [%s] failed: %d", in, r);
	cr_expect_str_eq(got, want, "split of [%s]", in);
}

Test(ini, words_quotes_and_escapes)
{
	words("", "");
	words("   ", "");
	words("a b\tc", "<a><b><c>");
	words("  \"a b\"  'c d' ", "<a b><c d>");
	words("x\"y z\"w", "<xy zw>");
	words("a\\ b", "<a b>");
	words("a\\qb", "<aqb>");
	words("\"\"", "<>");
	words("'a\\'b'", "<a'b>");
	words("\\x41\\t\\s", "<A\t >");
	words("FOO=\"bar baz\" X=1", "<FOO=bar baz><X=1>");
}

Test(ini, words_errors)
{
	char w[8];
	static const char *const bad[] = {"\"open", "'open", "a\\", "\\x0", "\\x00", "\\xzz"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *p = bad[i];
		cr_expect_eq(ini_next_word(&p, w, sizeof w), -EINVAL, "accepted [%s]", bad[i]);
	}
	const char *p = "0123456789";
	cr_expect_eq(ini_next_word(&p, w, sizeof w), -E2BIG);
}

Test(ini, booleans)
{
	static const char *const yes[] = {"1", "yes", "Y", "true", "T", "on", "ON", "Yes"};
	static const char *const no[] = {"0", "no", "N", "false", "f", "off", "OFF"};
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
		cr_expect_eq(ini_parse_bool(yes[i]), 1, "%s", yes[i]);
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
		cr_expect_eq(ini_parse_bool(no[i]), 0, "%s", no[i]);
	cr_expect_eq(ini_parse_bool(""), -EINVAL);
	cr_expect_eq(ini_parse_bool("2"), -EINVAL);
	cr_expect_eq(ini_parse_bool("yess"), -EINVAL);
}
