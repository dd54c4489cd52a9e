/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The container's user database, as nspawn's -u/--user sees it: /etc/passwd
 * and /etc/group of the *image*, read by the unprivileged worker. The text is
 * hostile (the image author wrote it), so parsing is strict and bounded:
 * anything malformed is skipped, never guessed at, and never fatal.
 *
 * A line is skipped when it is longer than USERDB_LINE_MAX bytes, contains a
 * NUL byte, has the wrong number of ':' fields, has an id that is not plain
 * decimal digits or is >= 4294967295, has a name that is not a valid user or
 * group name, or has a field that does not fit the arrays below. '#' comment
 * lines and blank lines are skipped; a trailing "\r" is stripped (CRLF).
 *
 * Valid names: 1..256 bytes of printable ASCII (0x21..0x7e) without ':' ','
 * '/', not starting with '-' or '+' (option / NIS-compat syntax), not "." or
 * "..", not all digits (those are ids). Home and shell, when not empty, are
 * absolute and free of control characters.
 */
#ifndef HUTCH_WORKER_USERDB_H
#define HUTCH_WORKER_USERDB_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define USERDB_MAX_GROUPS 64
#define USERDB_LINE_MAX 65536 /* bytes per line, without the '\n' */
#define USERDB_NAME_MAX 256

struct userdb_user {
	uid_t uid;
	gid_t gid;
	char name[USERDB_NAME_MAX + 1];
	char home[4096];
	char shell[4096];
};

/*
 * Look `spec` up in the passwd text buf[0..len) (not necessarily
 * NUL-terminated, may contain NULs). `spec` is a user name, or a decimal uid
 * (all digits). A numeric spec that matches no line still succeeds with
 * uid = gid = that number, name = the number, home "/", shell "/bin/sh"
 * (what nspawn and su do for raw ids). First valid match wins. Empty home
 * becomes "/", empty shell "/bin/sh".
 * Returns 0; -ENOENT when a name is not found; -EINVAL for a bad spec (empty,
 * longer than 256, not a valid name, or a number >= 4294967295). `out` is
 * written only on success.
 */
int userdb_find_user(const char *buf, size_t len, const char *spec, struct userdb_user *out);

/*
 * Groups of `user` from group text (name:passwd:gid:members): `primary`
 * first, then the gid of every valid group line whose comma-separated member
 * list names `user`, in file order, without duplicates. A `user` that is all
 * digits (a raw id, see above) has no memberships. Returns the count (>= 1);
 * -E2BIG when more than `max` distinct gids would be needed (also max == 0);
 * -EINVAL when `user` is neither a valid name nor all digits, or when
 * primary == (gid_t)-1.
 */
int userdb_groups(const char *buf, size_t len, const char *user, gid_t primary, gid_t *out,
		  size_t max);

/*
 * A group line by name (when `name` is not NULL) or else by gid; its name is
 * copied to `out` (if not NULL). Returns 0, -ENOENT, or -EINVAL for a bad name.
 */
int userdb_find_group(const char *buf, size_t len, const char *name, gid_t gid,
		      char out[USERDB_NAME_MAX + 1]);

/* A valid user or group name, as described above. */
bool userdb_name_valid(const char *s);

#endif
