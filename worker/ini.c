/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The INI-style reader of .nspawn files and profiles (see ini.h). */
#include "ini.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/util.h"

#define WHITESPACE " \t\n\r"

struct reader {
	const char *p, *end, *path;
	unsigned flags;
	unsigned lineno;
	char *section; /* the current [Section], heap */
};

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
static bool utf8_valid(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		size_t k = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
				     : (c & 0xf8) == 0xf0 ? 4 : 0;
		if (k == 0 || i + k > n)
			return false;
		uint32_t cp = k == 1 ? c : c & (0x7f >> k);
		for (size_t j = 1; j < k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
		if (cp < min[k] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k;
	}
	return true;
}

static int syntax(const struct reader *r, unsigned line, const char *what, const char *text)
{
	log_error("%s:%u: %s%s%.80s%s", r->path, line, what, text ? " '" : "", text ? text : "",
		  text ? (strlen(text) > 80 ? "...'" : "'") : "");
	return -EINVAL;
}

/* One physical line; CRLF and a lone CR end a line as LF does. */
static bool next_line(struct reader *r, const char **start, size_t *n)
{
	if (r->p >= r->end)
		return false;
	const char *q = r->p;
	while (q < r->end && *q != '\n' && *q != '\r')
		q++;
	*start = r->p;
	*n = (size_t)(q - r->p);
	if (q < r->end && *q == '\r' && q + 1 < r->end && q[1] == '\n')
		q++;
	r->p = q < r->end ? q + 1 : q;
	r->lineno++;
	return true;
}

static char *strip(char *s)
{
	s += strspn(s, WHITESPACE);
	size_t n = strlen(s);
	while (n > 0 && strchr(WHITESPACE, s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* A logical line, already stripped, continuations joined. */
static int parse_line(struct reader *r, char *l, unsigned line, ini_handler h, void *ud)
{
	struct ini_item it = {.section = r->section, .line = line};
	if (!l[0])
		return 0;
	if (!utf8_valid((const unsigned char *)l, strlen(l)))
		return syntax(r, line, "invalid UTF-8", NULL);
	if (l[0] == '[') {
		size_t k = strlen(l);
		if (k < 3 || l[k - 1] != ']')
			return syntax(r, line, "invalid section header", l);
		l[k - 1] = '\0';
		char *name = strdup(l + 1);
		if (!name)
			return -ENOMEM;
		free(r->section);
		r->section = name;
		return 0;
	}
	if (l[0] == '@' && (r->flags & INI_DIRECTIVES)) {
		size_t k = strcspn(l + 1, WHITESPACE);
		if (k == 0)
			return syntax(r, line, "directive without a name", l);
		it.directive = true;
		it.value = strip(l + 1 + k);
		l[1 + k] = '\0';
		it.key = l + 1;
		return h(ud, &it);
	}
	char *eq = strchr(l, '=');
	if (!eq)
		return syntax(r, line, "missing '=' in", l);
	*eq = '\0';
	it.key = strip(l);
	it.value = strip(eq + 1);
	if (!it.key[0])
		return syntax(r, line, "missing key name before '='", NULL);
	return h(ud, &it);
}

/* Ends in a backslash that is not itself escaped (after trailing blanks). */
static bool continues(char *buf, size_t *len)
{
	size_t e = *len;
	while (e > 0 && strchr(WHITESPACE, buf[e - 1]))
		e--;
	bool escaped = false;
	for (size_t i = 0; i < e; i++)
		escaped = escaped ? false : buf[i] == '\\';
	if (!escaped)
		return false;
	buf[e - 1] = ' '; /* systemd joins with a space */
	*len = e;
	return true;
}

static int parse_all(struct reader *r, char *logical, ini_handler h, void *ud)
{
	size_t len = 0;
	unsigned first = 0;
	const char *s;
	size_t n;
	while (next_line(r, &s, &n)) {
		size_t lead = 0;
		while (lead < n && strchr(" \t", s[lead]))
			lead++;
		if (lead < n && (s[lead] == '#' || s[lead] == ';'))
			continue; /* comments, even inside a continuation (as systemd) */
		if (len == 0)
			first = r->lineno;
		if (len + n > INI_LINE_MAX)
			return syntax(r, first, "line too long (the limit is 64 KiB)", NULL);
		memcpy(logical + len, s, n);
		len += n;
		logical[len] = '\0';
		if (continues(logical, &len) && r->p < r->end)
			continue;
		logical[len] = '\0';
		int ret = parse_line(r, strip(logical), first, h, ud);
		if (ret < 0)
			return ret;
		len = 0;
	}
	return 0;
}

int ini_parse(const char *buf, size_t len, const char *path, unsigned flags, ini_handler h,
	      void *userdata)
{
	struct reader r = {.p = buf, .end = buf + len, .path = path, .flags = flags};
	const char *nul = memchr(buf, '\0', len);
	if (nul) {
		unsigned line = 1;
		for (const char *q = buf; q < nul; q++)
			line += *q == '\n' || (*q == '\r' && q[1] != '\n');
		return syntax(&r, line, "contains a NUL byte", NULL);
	}
	if (len > INI_FILE_MAX)
		return syntax(&r, 1, "file too large (the limit is 1 MiB)", NULL);
	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
		r.p += 3; /* a UTF-8 byte order mark, as systemd skips it */
	char *logical = malloc(INI_LINE_MAX + 1);
	if (!logical)
		return -ENOMEM;
	int ret = parse_all(&r, logical, h, userdata);
	free(logical);
	free(r.section);
	return ret;
}

static int unescape(const char **p, char *c)
{
	const char *s = *p;
	static const char from[] = "\\\"'abfnrtvs", to[] = "\\\"'\a\b\f\n\r\t\v ";
	const char *k = *s ? strchr(from, *s) : NULL;
	if (k) {
		*c = to[k - from];
		*p = s + 1;
		return 0;
	}
	if (*s == 'x') {
		static const char hex[] = "0123456789abcdef";
		const char *hi = s[1] ? strchr(hex, s[1] | 0x20) : NULL;
		const char *lo = hi && s[2] ? strchr(hex, s[2] | 0x20) : NULL;
		if (!lo || (hi == hex && lo == hex))
			return -EINVAL;
		*c = (char)((hi - hex) << 4 | (lo - hex));
		*p = s + 3;
		return 0;
	}
	if (!*s)
		return -EINVAL; /* a backslash at the very end */
	*c = *s; /* any other character stands for itself: "\ " is a space */
	*p = s + 1;
	return 0;
}

int ini_next_word(const char **p, char *out, size_t size)
{
	const char *s = *p + strspn(*p, WHITESPACE);
	if (!*s) {
		*p = s;
		return 0;
	}
	size_t n = 0;
	char quote = 0;
	while (*s && (quote || !strchr(WHITESPACE, *s))) {
		char c = *s++;
		if (!quote && (c == '"' || c == '\'')) {
			quote = c;
			continue;
		}
		if (quote && c == quote) {
			quote = 0;
			continue;
		}
		if (c == '\\' && unescape(&s, &c) < 0)
			return -EINVAL;
		if (n + 1 >= size)
			return -E2BIG;
		out[n++] = c;
	}
	if (quote)
		return -EINVAL;
	out[n] = '\0';
	*p = s;
	return 1;
}

int ini_parse_bool(const char *v)
{
	static const char *const yes[] = {"1", "yes", "y", "true", "t", "on"};
	static const char *const no[] = {"0", "no", "n", "false", "f", "off"};
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(v, yes[i]))
			return 1;
		if (!strcasecmp(v, no[i]))
			return 0;
	}
	return -EINVAL;
}
