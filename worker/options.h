/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One table of every setting: its command-line option, its .nspawn key, and
 * whether an untrusted file may set it. The command line, .nspawn files and
 * profiles all go through option_apply(), the one place where precedence and
 * trust are decided (DESIGN.md §5).
 */
#ifndef HUTCH_WORKER_OPTIONS_H
#define HUTCH_WORKER_OPTIONS_H

#include <stddef.h>

#include "settings.h"

enum option_flags {
	/* Never taken from an untrusted file next to the image (systemd
	 * CVE-2026-40226): capabilities, user namespace, binds, network, ... */
	OPT_PRIVILEGED = 1 << 0,
	/* A file's value applies even when the command line set the same slot
	 * (DropCapability= can only take away). */
	OPT_ALWAYS = 1 << 1,
	/* In a .nspawn file or profile the value is a whitespace-separated list
	 * (quotes and escapes as systemd's): each word is applied as one value
	 * (Capability=A B, Environment="X=1 2" Y=3). */
	OPT_WORDS = 1 << 2,
};

/* parse() result for --help and friends: stop, exit 0. */
#define OPTION_EXIT 1
/* option_apply() result when the value was not taken (precedence or trust). */
#define OPTION_IGNORED 2

struct option_def {
	const char *name;    /* long option without "--", or NULL (file-only key) */
	int short_name;      /* or 0 */
	int has_arg;         /* getopt's no_argument/required_argument/optional_argument */
	const char *section; /* .nspawn section ("Exec", "Files", "Network"), or NULL */
	const char *key;     /* .nspawn key, or NULL (command line only) */
	unsigned flags;      /* enum option_flags */
	/* offsetof(struct settings, origin.X): the slot precedence is decided on;
	 * 0 for actions (--help) and settings without one. */
	size_t origin;
	/* Takes "yes" for a flag given on the command line, "yes"/"no"/... from
	 * a file, NULL for an omitted optional argument. Logs via option_invalid(). */
	int (*parse)(struct settings *s, const char *value);
};

extern const struct option_def option_table[];
extern const size_t option_table_len;

/* The row for a .nspawn/profile key (case-sensitive, as systemd), or NULL. */
const struct option_def *option_by_key(const char *section, const char *key);
/* The row for a long option name, or NULL. */
const struct option_def *option_by_name(const char *name);

/*
 * Apply one value from `origin`. `where` names the place for errors
 * ("FILE:LINE", NULL for the command line). Returns 0 if taken,
 * OPTION_IGNORED if precedence or trust said no, OPTION_EXIT for actions,
 * or -errno after logging a one-line error.
 */
int option_apply(const struct option_def *d, struct settings *s, const char *value,
		 enum origin origin, const char *where);

/* For parse functions: log "invalid --NAME value 'V': HINT" (or the file's
 * "FILE:LINE: invalid Key= value ..."), return -EINVAL. */
int option_invalid(const char *value, const char *hint);

/* "yes"/"true"/"on"/"1" → 1, "no"/"false"/"off"/"0" → 0, else -EINVAL. */
int parse_boolean(const char *v);

#endif
