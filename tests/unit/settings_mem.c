/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The in-memory settings files shared by the settings-file tests
 * (settings_mem.h), and the `settings_files` suite that resets them.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../worker/options.h"
#include "settings_mem.h"

struct memfile {
	enum hutch_settings_file where;
	const char *name;
	const char *text;
	int err;    /* returned instead of the text when set */
	size_t len; /* 0: strlen(text) */
};

static struct memfile files[16];
static size_t nfiles;
unsigned reads[HUTCH_SETTINGS_MAX];

void add_len(enum hutch_settings_file where, const char *name, const char *text, size_t len)
{
	cr_assert_lt(nfiles, 16);
	files[nfiles++] = (struct memfile){where, name, text, 0, len};
}

void add(enum hutch_settings_file where, const char *name, const char *text)
{
	add_len(where, name, text, 0);
}

void add_error(enum hutch_settings_file where, const char *name, int err)
{
	files[nfiles++] = (struct memfile){where, name, NULL, err, 0};
}

static int mem_read(void *ctx, enum hutch_settings_file where, const char *name, char **buf,
		    size_t *len)
{
	cr_assert(where > 0 && where < HUTCH_SETTINGS_MAX);
	reads[where]++;
	for (size_t i = 0; i < nfiles; i++) {
		if (files[i].where != where || strcmp(files[i].name, name))
			continue;
		if (files[i].err)
			return files[i].err;
		*len = files[i].len ? files[i].len : strlen(files[i].text);
		*buf = malloc(*len + 1);
		cr_assert(*buf);
		memcpy(*buf, files[i].text, *len);
		(*buf)[*len] = '\0';
		return 0;
	}
	return -ENOENT;
}

const struct settings_reader reader = {.read = mem_read};
struct settings s;

void reset(void)
{
	nfiles = 0;
	memset(reads, 0, sizeof reads);
}

TestSuite(settings_files, .init = reset);

int load_args(const struct hutch_grant *g, const char *const *args)
{
	static char *argv[32];
	int argc = 0;
	argv[argc++] = "hutch";
	argv[argc++] = "-D";
	argv[argc++] = "/srv/machines/box";
	for (; *args; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	cr_assert_eq(cli_parse(argc, argv, &s), CLI_RUN);
	int r = g ? settings_policy_profile(&s, g) : 0;
	if (r == 0)
		r = settings_load(&s, argc, argv, &reader);
	if (r == 0)
		r = settings_load_beside_root(&s, argc, argv, &reader);
	return r < 0 ? r : 0;
}

bool has_env(const char *assignment)
{
	for (unsigned i = 0; i < s.n_env; i++)
		if (!strcmp(s.env[i], assignment))
			return true;
	return false;
}
