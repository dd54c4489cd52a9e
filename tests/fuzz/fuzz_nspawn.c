/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for .nspawn files: the input, after one selector byte,
 * is the file. The selector puts it in a trusted place or next to the root
 * (untrusted) and picks --settings= and a few command-line options; then
 * settings_load() and settings_finish() run as in hutch. Beyond "no crash",
 * traps when an untrusted file got a privileged setting through, or what
 * was accepted is not something the broker takes.
 */
#include <stddef.h>
#include <stdint.h>
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

/* Errors print one line each: keep them off the terminal (see fuzz_cli.c). */
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

static const uint8_t *file_data;
static size_t file_size;
static enum hutch_settings_file file_where;

static int fuzz_read(void *ctx, enum hutch_settings_file where, const char *name, char **buf,
		     size_t *len)
{
	CHECK(name_is_valid(name));
	if (where != file_where)
		return -ENOENT;
	*buf = malloc(file_size + 1);
	if (!*buf)
		return -ENOMEM;
	memcpy(*buf, file_data, file_size);
	(*buf)[file_size] = '\0';
	*len = file_size;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t sel = data[0];
	file_data = data + 1;
	file_size = size - 1;
	file_where = sel & 1 ? HUTCH_SETTINGS_BESIDE_ROOT : HUTCH_SETTINGS_ETC_NSPAWN;
	static const char *const modes[] = {"--settings=yes", "--settings=override",
					    "--settings=trusted", "--settings=no"};
	char *argv[8] = {(char *)"hutch", (char *)"-D", (char *)"/srv/box",
			 (char *)modes[(sel >> 1) & 3]};
	int argc = 4;
	if (sel & 8)
		argv[argc++] = (char *)"--hostname=cli";
	if (sel & 16)
		argv[argc++] = (char *)"--capability=CAP_NET_ADMIN";
	argv[argc] = NULL;

	static struct settings s;
	struct settings_reader rd = {.read = fuzz_read};
	if (cli_parse(argc, argv, &s) != CLI_RUN || settings_load(&s, argc, argv, &rd) < 0 ||
	    settings_load_beside_root(&s, argc, argv, &rd) < 0)
		return 0;
	bool untrusted = file_where == HUTCH_SETTINGS_BESIDE_ROOT && (sel >> 1 & 3) != 2;
	if (untrusted && s.sources.nspawn_path[0]) {
		CHECK(!s.sources.nspawn_trusted);
		CHECK((s.cap_add & ~(sel & 16 ? 1ull << 12 : 0)) == 0);
		CHECK(s.cap_ambient == 0);
		CHECK(s.origin.userns == ORIGIN_DEFAULT && s.origin.ownership == ORIGIN_DEFAULT);
		CHECK(!s.private_network);
	}
	if (sel & 8 && (sel >> 1 & 3) != 1)
		CHECK(!strcmp(s.hostname, "cli"));
	if (settings_finish(&s, false, false) == 0) {
		CHECK(name_is_valid(s.machine) && name_is_valid(s.hostname));
		CHECK((s.cap_ambient & ~s.cap_bounding) == 0);
		CHECK(((s.cap_bounding | s.cap_ambient) & CAPS_AUDIT) == 0);
		CHECK(s.n_env <= SETTINGS_MAX_ENV);
		CHECK(s.n_syscall_filter <= SETTINGS_MAX_SYSCALL_FILTER);
	}
	return 0;
}
