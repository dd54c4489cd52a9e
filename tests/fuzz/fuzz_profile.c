/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for profiles: the input, split on NUL bytes, is up to
 * four profiles "p", "a", "b", "c" (in /etc/hutch/profiles); "p" is loaded
 * with --profile=p, so includes, loops and depth are all reachable. Beyond
 * "no crash", traps when a profile that loads cannot be shown, or when what
 * it shows does not load to the same settings.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/util.h"
#include "../../worker/caps.h"
#include "../../worker/settings.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                        \
	do {                               \
		if (!(cond))               \
			__builtin_trap();  \
	} while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char *args[130];
	int n = *argc < 128 ? *argc : 128;
	for (int i = 0; i < n; i++)
		args[i] = (*argv)[i];
	args[n++] = (char *)"-close_fd_mask=3";
	args[n] = NULL;
	*argc = n;
	*argv = args;
	return 0;
}

static const char *const names[] = {"p", "a", "b", "c"};
static const char *texts[4];
static size_t lens[4];

static int fuzz_read(void *ctx, enum hutch_settings_file where, const char *name, char **buf,
		     size_t *len)
{
	CHECK(name_is_valid(name));
	CHECK(where == HUTCH_SETTINGS_ETC_PROFILE || where == HUTCH_SETTINGS_USR_PROFILE);
	for (size_t i = 0; i < 4; i++) {
		if (where != HUTCH_SETTINGS_ETC_PROFILE || strcmp(name, names[i]) || !texts[i])
			continue;
		*buf = malloc(lens[i] + 1);
		if (!*buf)
			return -ENOMEM;
		memcpy(*buf, texts[i], lens[i]);
		(*buf)[lens[i]] = '\0';
		*len = lens[i];
		return 0;
	}
	return -ENOENT;
}

static int load(struct settings *s, struct settings_reader *rd)
{
	char *argv[] = {(char *)"hutch", (char *)"-D", (char *)"/srv/box", (char *)"--profile=p",
			(char *)"--settings=no", NULL};
	if (cli_parse(5, argv, s) != CLI_RUN)
		return -1;
	return settings_load(s, 5, argv, rd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	memset(texts, 0, sizeof texts);
	const char *p = (const char *)data, *end = p + size;
	for (size_t i = 0; i < 4 && p <= end; i++) {
		const char *nul = memchr(p, '\0', (size_t)(end - p));
		texts[i] = p;
		lens[i] = nul ? (size_t)(nul - p) : (size_t)(end - p);
		if (!nul)
			break;
		p = nul + 1;
	}
	static struct settings s, again;
	struct settings_reader rd = {.read = fuzz_read};
	if (load(&s, &rd) < 0)
		return 0;
	CHECK(s.sources.nspawn_path[0] == '\0');
	/* What loads can be shown, and what is shown loads the same. */
	char *out = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&out, &len);
	CHECK(mem);
	FILE *saved = stdout;
	stdout = mem;
	int r = profile_show("p", &rd);
	stdout = saved;
	fclose(mem);
	CHECK(r == 0);
	texts[0] = out;
	lens[0] = len;
	texts[1] = texts[2] = texts[3] = NULL;
	if (load(&again, &rd) == 0) {
		CHECK(!strcmp(s.hostname, again.hostname) && !strcmp(s.user, again.user));
		CHECK(s.cap_add == again.cap_add && s.cap_drop == again.cap_drop);
		CHECK(s.cap_ambient == again.cap_ambient && s.n_env == again.n_env);
		CHECK(s.private_network == again.private_network && s.userns == again.userns);
		CHECK(s.no_new_privs == again.no_new_privs && s.start_mode == again.start_mode);
	}
	free(out);
	return 0;
}
