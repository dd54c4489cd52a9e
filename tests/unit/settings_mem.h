/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared by the settings-file tests (test_settings_files.c,
 * test_settings_profiles.c): .nspawn files and profiles served from memory
 * through the settings_reader the broker stands behind in hutch, the
 * settings they load into, and `hutch -D /srv/machines/box ARGS...`.
 * settings_mem.c defines them and the `settings_files` suite.
 */
#ifndef HUTCH_TESTS_UNIT_SETTINGS_MEM_H
#define HUTCH_TESTS_UNIT_SETTINGS_MEM_H

#include <stdbool.h>
#include <stddef.h>

#include "../../common/grant.h"
#include "../../worker/settings.h"

#define CAP_CHOWN 0
#define CAP_NET_ADMIN 12
#define CAP_SYS_ADMIN 21
#define CAP_SYS_TIME 25

extern struct settings s;                      /* what the last load produced */
extern const struct settings_reader reader;    /* serves the files added below */
extern unsigned reads[HUTCH_SETTINGS_MAX];     /* lookups per place since reset() */

/* Forget every file and count. The suite's .init; a test may call it again. */
void reset(void);
/* Serve `text` as the file `name` at `where`. */
void add(enum hutch_settings_file where, const char *name, const char *text);
/* The same with the first `len` bytes of `text` (0: strlen), NULs and all. */
void add_len(enum hutch_settings_file where, const char *name, const char *text, size_t len);
/* Make reading the file `name` at `where` fail with `err`. */
void add_error(enum hutch_settings_file where, const char *name, int err);

/* hutch -D /srv/machines/box ARGS... then, under the policy grant `g` when
 * not NULL, settings_load() and settings_load_beside_root(). */
int load_args(const struct hutch_grant *g, const char *const *args);
#define LOAD(...) load_args(NULL, (const char *const[]){__VA_ARGS__, NULL})
#define LOAD_GRANTED(g, ...) load_args((g), (const char *const[]){__VA_ARGS__, NULL})

/* Whether the loaded environment has `assignment` ("A=1"). */
bool has_env(const char *assignment);

#endif
