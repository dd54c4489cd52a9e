/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The INI-style reader shared by .nspawn files and profiles, with systemd's
 * config-parser syntax: [Section] headers, Key=Value (both stripped), '#'
 * and ';' comment lines (also inside a continuation), a trailing backslash
 * continuing a line (replaced by a space), LF, CRLF or CR line ends.
 *
 * Stricter than systemd, because these files decide a container's privileges:
 * a NUL byte, invalid UTF-8, a line over INI_LINE_MAX, a broken section
 * header or a line without '=' is an error naming file and line, never a
 * line silently skipped. Unknown sections and keys are the caller's to judge.
 */
#ifndef HUTCH_WORKER_INI_H
#define HUTCH_WORKER_INI_H

#include <stdbool.h>
#include <stddef.h>

#define INI_FILE_MAX (1u << 20) /* the broker refuses larger files too */
#define INI_LINE_MAX (64u << 10) /* a logical line, continuations joined */

struct ini_item {
	const char *section; /* NULL before the first [Section] */
	const char *key;     /* for a directive: its name without '@' */
	const char *value;   /* stripped; "" for "Key=" (systemd's reset) */
	unsigned line;       /* the line the assignment starts on */
	bool directive;      /* an "@name value" line (INI_DIRECTIVES) */
};

/* Returns 0 to go on, <0 to stop: ini_parse returns it. It logs its own
 * error (with ini_where() for the location). */
typedef int (*ini_handler)(void *userdata, const struct ini_item *item);

#define INI_DIRECTIVES (1u << 0) /* accept "@name value" lines (profiles) */

/* Parse buf[0..len) (need not be NUL-terminated). `path` names the file in
 * messages. Returns 0, a handler's <0, or -EINVAL after logging
 * "PATH:LINE: what is wrong". */
int ini_parse(const char *buf, size_t len, const char *path, unsigned flags, ini_handler h,
	      void *userdata);

/*
 * The next whitespace-separated word of *p, as systemd's
 * extract_first_word(EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE): "double" and
 * 'single' quotes group, backslash escapes \\ \" \' \a \b \f \n \r \t \v
 * \s (space) and \xNN (not \x00). Returns 1 with the word in out (advances
 * *p), 0 at the end, -EINVAL on an unbalanced quote or a bad escape,
 * -E2BIG if the word does not fit `size`.
 */
int ini_next_word(const char **p, char *out, size_t size);

/* systemd's parse_boolean: 1/yes/y/true/t/on, 0/no/n/false/f/off, any case.
 * Returns 1, 0 or -EINVAL. */
int ini_parse_bool(const char *v);

#endif
