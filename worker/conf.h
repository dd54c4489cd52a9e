/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A parsed .nspawn file or profile: its assignments in order, each with the
 * place it came from, kept for the whole run (settings point into them).
 * Shared by settings_files.c and profile.c.
 */
#ifndef HUTCH_WORKER_CONF_H
#define HUTCH_WORKER_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "settings.h"

struct conf_item {
	char *section, *key, *value; /* section NULL outside any section */
	char *where;                 /* "PATH:LINE" */
};

struct conf {
	struct conf_item *items;
	size_t n, cap;
	char **words; /* OPT_WORDS values split off items, owned here too */
	size_t n_words, cap_words;
};

/* Append a copy of an assignment. Returns 0 or -ENOMEM. */
int conf_add(struct conf *c, const char *section, const char *key, const char *value,
	     const char *path, unsigned line);
void conf_free(struct conf *c);

enum conf_kind {
	CONF_NSPAWN,  /* unknown keys warn (as systemd), listed in one line */
	CONF_PROFILE, /* hutch's own format: an unknown key is an error */
};

/*
 * Apply every item through option_apply() with `origin`. `path` names the
 * file in the one-line warnings (unknown keys; privileged keys an untrusted
 * file may not set). Returns 0 or -errno after an error naming file, line
 * and key.
 */
int conf_apply(struct conf *c, enum conf_kind kind, const char *path,
	       struct settings *s, enum origin origin);

/* The row a profile or .nspawn item names, or NULL: [Exec], [Files] and
 * [Network] keys, and in profiles [Options] with long option names for
 * settings that have no .nspawn key. */
const struct option_def *conf_row(enum conf_kind kind, const char *section, const char *key);

/* Read profile NAME and its @include'd profiles into `out`, in order.
 * `path` receives the profile's own path. Returns 0 or -errno after an
 * error. (profile.c) */
int profile_read(const char *name, const struct settings_reader *rd, struct conf *out,
		 char *path, size_t size);

/* One-line error for a settings file that exists but cannot be used. */
int settings_read_error(const char *path, int err);

#endif
