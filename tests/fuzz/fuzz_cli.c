/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for the worker's command line: the input, split on NUL
 * bytes, is argv after "hutch". Runs cli_parse() and settings_finish(), and
 * compiles the seccomp filter when --system-call-filter= was given. Beyond
 * "no crash", traps when a promise of the parsers is broken: what they
 * accept is what the broker and the filter compiler can take.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/util.h"
#include "../../worker/caps.h"
#include "../../worker/seccomp.h"
#include "../../worker/settings.h"
#include "../../worker/files.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                        \
	do {                               \
		if (!(cond))               \
			__builtin_trap();  \
	} while (0)

#define MAX_ARGS 128

/*
 * The parsers print one line per error and --help/--list-syscall-groups
 * print pages: at fuzzing speed that is a flood. libFuzzer's
 * -close_fd_mask=3 sends the target's stdout and stderr to /dev/null and
 * keeps its own reports (and the sanitizers') on a duplicate of stderr.
 * Flags are parsed after this hook, so adding it here is enough.
 */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char *args[MAX_ARGS + 2];
	int n = *argc < MAX_ARGS ? *argc : MAX_ARGS;
	for (int i = 0; i < n; i++)
		args[i] = (*argv)[i];
	args[n++] = (char *)"-close_fd_mask=3";
	args[n] = NULL;
	*argc = n;
	*argv = args;
	return 0;
}

static void check_settings(const struct settings *s)
{
	/* The root: an absolute directory, or (-i) an absolute image and no directory. */
	if (s->fsroot.image[0])
		CHECK(s->fsroot.image[0] == '/' && !s->directory[0]);
	else
		CHECK(s->directory[0] == '/');
	CHECK(!s->fsroot.template_dir[0] || s->fsroot.template_dir[0] == '/');
	/* Given or derived from -D, the names must be ones the broker takes. */
	CHECK(name_is_valid(s->machine));
	CHECK(name_is_valid(s->hostname));
	CHECK((s->cap_ambient & ~s->cap_bounding) == 0);
	CHECK(((s->cap_bounding | s->cap_ambient) & CAPS_AUDIT) == 0);
	CHECK(s->n_syscall_filter <= SETTINGS_MAX_SYSCALL_FILTER);
	CHECK(s->n_env <= SETTINGS_MAX_ENV);
}

/* Every accepted --system-call-filter= list compiles and fits the record. */
static void check_filter(const struct settings *s)
{
	static struct hutch_seccomp f;
	if (s->n_syscall_filter == 0)
		return;
	CHECK(syscall_filter_compile(s->syscall_filter, s->n_syscall_filter, s->cap_bounding,
				     &f) == 0);
	CHECK(f.ninsns >= 1 && f.ninsns <= HUTCH_BPF_MAX_INSNS);
	static const struct hutch_bpf_insn zero;
	for (size_t i = f.ninsns; i < HUTCH_BPF_MAX_INSNS; i++)
		CHECK(memcmp(&f.insns[i], &zero, sizeof zero) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	char *argv[MAX_ARGS + 2] = {(char *)"hutch"};
	int argc = 1;
	for (size_t off = 0; off < size && argc < MAX_ARGS + 1;) {
		argv[argc++] = buf + off;
		off += strlen(buf + off) + 1;
	}
	argv[argc] = NULL;

	static struct settings s; /* large: not on the stack */
	if (cli_parse(argc, argv, &s) == CLI_RUN && settings_finish(&s, false, false) == 0) {
		check_settings(&s);
		check_filter(&s);
	}
	files_settings_free(&s.files);
	mountopts_free(&s.mounts); /* cli_parse starts from zero: no leak between runs */
	free(buf);
	return 0;
}
