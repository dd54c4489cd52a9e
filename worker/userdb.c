/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Strict parser for the container's passwd/group text (see userdb.h). The
 * buffer is never modified and never assumed NUL-terminated: every field is
 * a (pointer, length) span into it, checked before anything is copied out.
 */
#include "userdb.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define PASSWD_FIELDS 7
#define GROUP_FIELDS 4

struct span {
	const char *p;
	size_t n;
};

/*
 * Next line worth parsing from buf[*pos..len), with a trailing '\r' cut off.
 * Over-long lines, lines holding a NUL (C string code downstream would see a
 * different line than we checked), comments and blank lines are passed over.
 */
static bool next_line(const char *buf, size_t len, size_t *pos, struct span *line)
{
	while (*pos < len) {
		const char *start = buf + *pos;
		const char *nl = memchr(start, '\n', len - *pos);
		size_t n = nl ? (size_t)(nl - start) : len - *pos;

		*pos += n + (nl ? 1 : 0);
		if (n > USERDB_LINE_MAX || memchr(start, '\0', n))
			continue;
		if (n > 0 && start[n - 1] == '\r')
			n--;
		if (n == 0 || start[0] == '#')
			continue;
		*line = (struct span){ start, n };
		return true;
	}
	return false;
}

/* Split on ':' into exactly `want` fields; any other count is malformed. */
static bool split_fields(struct span line, struct span *f, size_t want)
{
	size_t k = 0, start = 0;

	for (size_t i = 0; i <= line.n; i++) {
		if (i < line.n && line.p[i] != ':')
			continue;
		if (k == want)
			return false;
		f[k++] = (struct span){ line.p + start, i - start };
		start = i + 1;
	}
	return k == want;
}

static bool all_digits(const char *p, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

/*
 * Plain decimal only: no sign, space or 0x (strtoul would accept the first
 * two and silently wrap "-1"). 4294967295 is (uid_t)-1, "no id" to the kernel.
 */
static bool parse_id(const char *p, size_t n, uint32_t *out)
{
	uint64_t v = 0;

	if (!all_digits(p, n))
		return false;
	for (size_t i = 0; i < n; i++) {
		v = v * 10 + (uint64_t)(p[i] - '0');
		if (v >= UINT32_MAX)
			return false; /* also stops before v*10 could overflow */
	}
	*out = (uint32_t)v;
	return true;
}

/* See userdb.h: printable ASCII, no separators, not mistakable for an id,
 * an option or a NIS-compat entry. */
static bool valid_name(const char *p, size_t n)
{
	if (n == 0 || n > USERDB_NAME_MAX || p[0] == '-' || p[0] == '+')
		return false;
	if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
		return false;
	if (all_digits(p, n))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c < 0x21 || c > 0x7e || c == ':' || c == ',' || c == '/')
			return false;
	}
	return true;
}

/* Empty (caller supplies the default) or absolute, no control characters,
 * and short enough to fit `cap` bytes with its NUL. */
static bool valid_path(struct span s, size_t cap)
{
	if (s.n >= cap)
		return false;
	if (s.n == 0)
		return true;
	if (s.p[0] != '/')
		return false;
	for (size_t i = 0; i < s.n; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if (c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

static void copy_field(char *dst, struct span s, const char *dflt)
{
	if (s.n == 0) {
		strcpy(dst, dflt);
		return;
	}
	memcpy(dst, s.p, s.n);
	dst[s.n] = '\0';
}

/* Parse one passwd line completely; false if any part is malformed. */
static bool parse_passwd(struct span line, struct span *f, uint32_t *uid, uint32_t *gid)
{
	return split_fields(line, f, PASSWD_FIELDS) && valid_name(f[0].p, f[0].n) &&
	       parse_id(f[2].p, f[2].n, uid) && parse_id(f[3].p, f[3].n, gid) &&
	       valid_path(f[5], sizeof(((struct userdb_user *)0)->home)) &&
	       valid_path(f[6], sizeof(((struct userdb_user *)0)->shell));
}

int userdb_find_user(const char *buf, size_t len, const char *spec, struct userdb_user *out)
{
	struct span line, f[PASSWD_FIELDS];
	uint32_t want = 0, uid, gid;
	size_t pos = 0, sl;
	bool numeric;

	if (!spec || !out || (!buf && len))
		return -EINVAL;
	/* Bounded: spec comes from the command line, and a too-long one is
	 * rejected without reading all of it. */
	sl = strnlen(spec, USERDB_NAME_MAX + 1);
	numeric = all_digits(spec, sl);
	if (numeric ? sl > USERDB_NAME_MAX || !parse_id(spec, sl, &want) : !valid_name(spec, sl))
		return -EINVAL;

	while (next_line(buf, len, &pos, &line)) {
		if (!parse_passwd(line, f, &uid, &gid))
			continue;
		if (numeric ? uid != want : f[0].n != sl || memcmp(f[0].p, spec, sl) != 0)
			continue;
		out->uid = uid;
		out->gid = gid;
		copy_field(out->name, f[0], "");
		copy_field(out->home, f[5], "/");
		copy_field(out->shell, f[6], "/bin/sh");
		return 0;
	}
	if (!numeric)
		return -ENOENT;

	/* A raw id the image does not know: nspawn runs it anyway, as su does. */
	out->uid = want;
	out->gid = want;
	snprintf(out->name, sizeof(out->name), "%" PRIu32, want);
	strcpy(out->home, "/");
	strcpy(out->shell, "/bin/sh");
	return 0;
}

/* Does the comma-separated member list name `user`? Empty elements (",,")
 * are simply not names; no trimming, so "alice " is not "alice". */
static bool is_member(struct span members, const char *user, size_t ul)
{
	size_t start = 0;

	for (size_t i = 0; i <= members.n; i++) {
		if (i < members.n && members.p[i] != ',')
			continue;
		if (i - start == ul && memcmp(members.p + start, user, ul) == 0)
			return true;
		start = i + 1;
	}
	return false;
}

int userdb_groups(const char *buf, size_t len, const char *user, gid_t primary, gid_t *out,
		  size_t max)
{
	struct span line, f[GROUP_FIELDS];
	size_t pos = 0, n = 0, ul;
	uint32_t gid;

	if (!user || !out || (!buf && len) || primary == (gid_t)-1)
		return -EINVAL;
	ul = strnlen(user, USERDB_NAME_MAX + 1);
	if (ul > USERDB_NAME_MAX || !(all_digits(user, ul) || valid_name(user, ul)))
		return -EINVAL;
	/* The count is returned as an int; setgroups() takes far fewer anyway. */
	if (max > INT_MAX)
		max = INT_MAX;
	if (max == 0)
		return -E2BIG;
	out[n++] = primary;
	if (all_digits(user, ul))
		return (int)n; /* a raw id has no name for a member list to name */

	while (next_line(buf, len, &pos, &line)) {
		bool dup = false;

		if (!split_fields(line, f, GROUP_FIELDS) || !valid_name(f[0].p, f[0].n) ||
		    !parse_id(f[2].p, f[2].n, &gid) || !is_member(f[3], user, ul))
			continue;
		for (size_t i = 0; i < n && !dup; i++)
			dup = out[i] == gid;
		if (dup)
			continue;
		if (n == max)
			return -E2BIG;
		out[n++] = gid;
	}
	return (int)n;
}

int userdb_find_group(const char *buf, size_t len, const char *name, gid_t gid,
		      char out[USERDB_NAME_MAX + 1])
{
	struct span line, f[GROUP_FIELDS];
	size_t pos = 0, nl = name ? strnlen(name, USERDB_NAME_MAX + 1) : 0;
	uint32_t g;

	if ((!buf && len) || (name && !valid_name(name, nl)))
		return -EINVAL;
	while (next_line(buf, len, &pos, &line)) {
		if (!split_fields(line, f, GROUP_FIELDS) || !valid_name(f[0].p, f[0].n) ||
		    !parse_id(f[2].p, f[2].n, &g))
			continue;
		if (name ? f[0].n != nl || memcmp(f[0].p, name, nl) != 0 : g != gid)
			continue;
		if (out)
			copy_field(out, f[0], "");
		return 0;
	}
	return -ENOENT;
}

bool userdb_name_valid(const char *s)
{
	return valid_name(s, strnlen(s, USERDB_NAME_MAX + 1));
}
