/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Where settings come from besides the command line: .nspawn files
 * (systemd.nspawn(5)) and named profiles. The loaders live in
 * settings_files.c and profile.c; this header is included by settings.h.
 */
#ifndef HUTCH_WORKER_SOURCES_H
#define HUTCH_WORKER_SOURCES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/proto.h"

/* --settings= */
enum settings_mode {
	SETTINGS_YES = 0,   /* search; the command line wins; next to the image = untrusted */
	SETTINGS_NO,        /* no .nspawn file at all */
	SETTINGS_OVERRIDE,  /* the file wins over the command line */
	SETTINGS_TRUSTED,   /* every file is trusted, wherever it was found */
};

struct settings_sources {
	uint8_t mode;                            /* enum settings_mode */
	char profile[HUTCH_NAME_MAX + 1];        /* --profile=, "" for none */
	char show_profile[HUTCH_NAME_MAX + 1];   /* --show-profile= */
	char nspawn_path[HUTCH_PATH_MAX];        /* the .nspawn file used, "" if none */
	bool nspawn_trusted;
	bool profile_mandatory; /* imposed by the admin policy: above the command line */
};

/*
 * How the loaders get a file's bytes: through the broker in hutch (the
 * worker cannot open files), from memory in tests and fuzzers. Returns 0
 * with a malloc'ed buffer (NUL-terminated, *len without the NUL), -ENOENT
 * when there is no such file, another -errno when it cannot be read.
 */
struct settings_reader {
	int (*read)(void *ctx, enum hutch_settings_file where, const char *name, char **buf,
		    size_t *len);
	/* Optional: ask for these files at once (one round trip), then read()
	 * them in order; forget() drops what was asked for and not read. */
	void (*prefetch)(void *ctx, const enum hutch_settings_file *where, size_t n,
			 const char *name);
	void (*forget)(void *ctx);
	void *ctx;
};

/* The path of a location for messages: the broker builds its own.
 * `directory` is the root directory (for HUTCH_SETTINGS_BESIDE_ROOT). */
void settings_file_path(enum hutch_settings_file where, const char *name, const char *directory,
			char *out, size_t size);

struct settings;

/* Parse functions of --settings=, --profile=, --show-profile= (options.c rows). */
int opt_settings(struct settings *s, const char *value);
int opt_profile(struct settings *s, const char *value);
int opt_show_profile(struct settings *s, const char *value);
/* [Exec] Parameters=, one word per call; NULL: the command line's arguments
 * after the options (cli_apply() hands them over with settings_positional()). */
int opt_parameters(struct settings *s, const char *value);
void settings_positional(char **argv);

/*
 * After cli_parse(): read the --profile= profile and a trusted .nspawn file
 * (as --settings= says) and apply every source in precedence order: the
 * command line, then the profile, then the file (with --settings=override
 * the file first). A source of lower precedence never changes a setting a
 * higher one set, except OPT_ALWAYS rows (options.c decides, in
 * option_apply()). When the command line is not the first source, `s` is
 * rebuilt and argv re-applied. The profile is the one named in
 * s->sources.profile: a policy that picks or imposes a profile sets that
 * name before calling this.
 * Returns 0 or -errno after a one-line error naming file, line and key.
 */
int settings_load(struct settings *s, int argc, char **argv, const struct settings_reader *rd);

/*
 * After the root is open (the broker finds the place from it): when no
 * trusted file was found, NAME.nspawn next to the root directory or image,
 * untrusted unless --settings=trusted, applied below the rest (or, with
 * override, on top: rebuilt as above). It cannot change how the root was
 * opened: it may not set Ephemeral= or any other privileged row.
 * Returns 1 if a file was applied (settings_finish() is then due again),
 * 0 if there was none, or -errno after an error.
 */
/* Will settings_load_beside_root() look for a .nspawn file? (To ask early.) */
bool settings_beside_root_wanted(void);
int settings_load_beside_root(struct settings *s, int argc, char **argv,
			      const struct settings_reader *rd);

/*
 * The admin policy's profiles (common/grant.h), before settings_load(): a
 * rule's mandatory profile is the one applied, above the command line (a
 * different --profile= is refused); if the rule lists profiles,
 * --profile= must be one of them. One-line error and -EPERM otherwise.
 */
struct hutch_grant;
int settings_policy_profile(struct settings *s, const struct hutch_grant *g);

/* hutch --show-profile=NAME: the profile with its includes resolved, as a
 * profile (each line says where it came from), and what it makes of
 * hutch's defaults. Returns 0 or -errno after an error. */
int profile_show(const char *name, const struct settings_reader *rd);

#endif
