/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Everything the user asked for, in one place. Each value remembers where it
 * came from, so precedence and trust (command line vs. .nspawn files, later)
 * are decided in one place, not at every use.
 */
#ifndef HUTCH_WORKER_SETTINGS_H
#define HUTCH_WORKER_SETTINGS_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/proto.h"
#include "files.h"
#include "resources.h"
#include "fsroot.h"
#include "sources.h"
#include "selinux.h"
#include "mountopts.h"

enum origin {
	ORIGIN_DEFAULT = 0,
	ORIGIN_CMDLINE,
	ORIGIN_TRUSTED_FILE,   /* /etc/systemd/nspawn, /run/systemd/nspawn */
	ORIGIN_UNTRUSTED_FILE, /* next to the image: never privileged settings */
	ORIGIN_PROFILE,        /* --profile=: admin-installed, trusted; below the command line */
};

enum console_mode {
	CONSOLE_INTERACTIVE = 1,
	CONSOLE_READ_ONLY,
	CONSOLE_PASSIVE,
	CONSOLE_PIPE,
	CONSOLE_AUTOPIPE,
};

enum start_mode {
	START_PID1 = 0, /* the command is PID 1 */
	START_PID2,     /* --as-pid2: stub init + command */
	START_BOOT,     /* --boot: search for init */
};

#define SETTINGS_MAX_ENV 256
#define SETTINGS_MAX_SYSCALL_FILTER 64

struct settings {
	char directory[HUTCH_PATH_MAX];
	char machine[HUTCH_NAME_MAX + 1];
	char hostname[HUTCH_NAME_MAX + 1];
	char user[257];
	char chdir[HUTCH_PATH_MAX];
	uint8_t uuid[16];
	int kill_signal;
	enum start_mode start_mode;
	enum console_mode console;
	bool quiet;
	char *env[SETTINGS_MAX_ENV]; /* "NAME=VALUE", pointers into argv or a settings file kept for the run */
	unsigned n_env;
	char **command; /* NULL-terminated, points into argv; may be empty */
	uint64_t cap_bounding, cap_ambient; /* bit per capability */
	bool private_network;
	uint32_t userns;    /* enum hutch_userns */
	uint32_t ownership; /* enum hutch_ownership */
	uint32_t uid_base, uid_count;
	bool no_new_privs;
	bool check_policy; /* --check-policy: -u names the host user to show */
	uint64_t cap_add, cap_drop; /* --capability=, --drop-capability= (worker/caps.c) */
	/* --system-call-filter= values in order, pointing into argv (worker/seccomp.c) */
	const char *syscall_filter[SETTINGS_MAX_SYSCALL_FILTER];
	unsigned n_syscall_filter;
	struct files_settings files; /* worker/files.c */
	struct fsroot_settings fsroot; /* -x, --template, -i (worker/fsroot.c) */
	struct selinux_settings selinux; /* -Z, -L (worker/selinux.c) */

	struct resources res; /* cgroup limits, devices, rlimits (worker/resources.c) */
	/* --bind, --tmpfs, --overlay, --inaccessible, --read-only, --volatile
	 * (worker/mountopts.c), with their own origin slots */
	struct mount_settings mounts;

	struct settings_sources sources; /* --settings=, --profile= (sources.h) */

	/* Where each value came from (enum origin). */
	struct {
		uint8_t directory, machine, hostname, user, chdir, uuid, kill_signal,
			start_mode, console, quiet, env, capabilities, no_new_privs, userns,
			ownership, private_network;
		uint8_t syscall_filter, command;
		struct fsroot_origin fsroot;
	} origin;
};

enum cli_result {
	CLI_RUN = 0,  /* start a container */
	CLI_EXIT_OK,  /* --help / --version printed */
	CLI_ERROR,    /* message printed, exit 1 */
};

/* Parse argv into `s` through option_table (options.h). Prints
 * help/version/errors itself. */
enum cli_result cli_parse(int argc, char **argv, struct settings *s);
void settings_clear(struct settings *s);
void cli_help(void);
/* nspawn's default machine name: the path's last component without `suffix`. */
void machine_name_from_path(const char *path, const char *suffix, char out[HUTCH_NAME_MAX + 1]);
/* cli_parse() without the reset: apply argv to `s` again (settings_load). */
enum cli_result cli_apply(int argc, char **argv, struct settings *s);
/* The root directory and machine name, as settings_finish() fills them. */
int settings_names(struct settings *s);
/* Fill what the command line left open: console, machine name, uuid, ... */
int settings_finish(struct settings *s, bool stdin_tty, bool stdout_tty);

extern const uint64_t default_capabilities;

int parse_signal(const char *s);
int parse_private_users(const char *v, struct settings *s);
int parse_ownership(const char *v, uint32_t *out);
int parse_uuid(const char *s, uint8_t out[16]);
void format_uuid(const uint8_t u[16], char out[37]);

#endif
