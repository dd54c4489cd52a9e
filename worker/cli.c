/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Command line, with systemd-nspawn's option names and meanings. */
#include "settings.h"
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "../common/util.h"
#include "caps.h"
#include "files.h"

void cli_help(void)
{
	printf("hutch [OPTIONS...] [COMMAND [ARGS...]]\n"
	       "\n"
	       "Spawn a command or OS in a privilege-separated namespace container.\n"
	       "Options have systemd-nspawn's names and meanings.\n"
	       "\n"
	       "  -h --help                 Show this help\n"
	       "     --version              Print version string\n"
	       "  -q --quiet                Do not show status information\n"
	       "\n"
	       "Image:\n"
	       "  -D --directory=PATH       Root directory for the container\n"
	       "     --template=PATH        Initialize root directory from template directory,\n"
	       "                            if missing\n"
	       "  -x --ephemeral            Run container with snapshot of root directory, and\n"
	       "                            remove it after exit\n"
	       "  -i --image=PATH           Root file system disk image for the container\n"
	       "     --read-only            Mount the root directory read-only\n"
	       "     --volatile[=MODE]      Run the system in volatile mode (yes, state,\n"
	       "                            overlay, no)\n"
	       "\n"
	       "Mounts (at most 128 in all; no symlink is followed in any path):\n"
	       "     --bind=[+]SOURCE[:TARGET[:OPTIONS]]\n"
	       "                            Bind mount a file or directory from the host into\n"
	       "                            the container (OPTIONS: rbind, norbind, idmap,\n"
	       "                            noidmap; \"+\": SOURCE inside the container root)\n"
	       "     --bind-ro=[+]SOURCE[:TARGET[:OPTIONS]]\n"
	       "                            Similar, but creates a read-only bind mount\n"
	       "     --inaccessible=PATH    Over-mount file node with inaccessible node to mask\n"
	       "                            it\n"
	       "     --tmpfs=PATH[:OPTIONS] Mount an empty tmpfs to the specified directory\n"
	       "                            (OPTIONS: mode=, size=, nr_inodes=, uid=, gid=, ro,\n"
	       "                            noexec)\n"
	       "     --overlay=PATH[:PATH...]:PATH\n"
	       "                            Create an overlay mount from the host to the\n"
	       "                            container (left-most path lowest, the one before\n"
	       "                            the last writable, the last the mount point)\n"
	       "     --overlay-ro=PATH[:PATH...]:PATH\n"
	       "                            Similar, but creates a read-only overlay mount\n"
	       "\n"
	       "Execution:\n"
	       "  -a --as-pid2              Maintain a stub init as PID 1, run COMMAND as PID 2\n"
	       "  -b --boot                 Boot up full system (i.e. invoke init)\n"
	       "     --chdir=PATH           Set working directory in the container\n"
	       "  -E --setenv=NAME=VALUE    Pass an environment variable to PID 1\n"
	       "  -u --user=USER            Run the command under the specified user or UID\n"
	       "     --kill-signal=SIGNAL   Signal sent to PID 1 when hutch gets SIGTERM\n"
	       "                            (default: SIGRTMIN+3 with --boot, else SIGKILL)\n"
	       "\n"
	       "User namespacing:\n"
	       "     --private-users=pick|yes|no|identity|UIDBASE[:NUIDS]\n"
	       "                            User namespace for the container (default: pick;\n"
	       "                            pick avoids ids /etc/subuid, /etc/subgid delegate)\n"
	       "  -U                        Equivalent to --private-users=pick\n"
	       "     --private-users-ownership=auto|map|chown|off\n"
	       "                            How files get the container's ids (default: auto)\n"
	       "\n"
	       "Security:\n"
	       "     --capability=CAPS      Add capabilities to the default bounding set\n"
	       "                            (comma-separated names, or all)\n"
	       "     --drop-capability=CAPS Remove capabilities from the bounding set\n"
	       "     --ambient-capability=CAPS\n"
	       "                            Give the payload these as ambient capabilities\n"
	       "     --no-new-privileges=BOOL\n"
	       "                            Run the payload with PR_SET_NO_NEW_PRIVS\n"
	       "     --system-call-filter=[~]LIST\n"
	       "                            Allow (with ~: deny) these system calls and @groups\n"
	       "     --list-syscall-groups  Show the system call groups and exit\n"
	       "     --check-policy [--user=NAME|UID]\n"
	       "                            Validate /etc/hutch/policy.d and show the grant\n"
	       "                            for the caller (or that host user), then exit\n"
	       "  -Z --selinux-context=SECLABEL\n"
	       "                            Set the SELinux security context to be used by\n"
	       "                            processes in the container\n"
	       "  -L --selinux-apifs-context=SECLABEL\n"
	       "                            Set the SELinux security context to be used by\n"
	       "                            API/tmpfs file systems in the container\n"
	       "     --selinux-relabel[=SECLABEL]\n"
	       "                            Label the container's tree once (default: -L's\n"
	       "                            label, else hutch_container_file_t:s0)\n"
	       "\n"
	       "Integration:\n"
	       "     --resolv-conf=MODE     How /etc/resolv.conf is set up: off, auto, delete,\n"
	       "                            copy-, replace- or bind- + host, static, uplink, stub\n"
	       "     --timezone=MODE        How /etc/localtime is set up: off, copy, bind,\n"
	       "                            symlink, delete or auto\n"
	       "     --bind-user=NAME       Bind user from host to container\n"
	       "\n"
	       "Credentials:\n"
	       "     --set-credential=ID:VALUE\n"
	       "                            Pass a credential with literal value to container\n"
	       "     --load-credential=ID:PATH\n"
	       "                            Load credential to pass to container from file\n"
	       "\n"
	       "Resources:\n"
	       "  -S --slice=SLICE          Place the container in this slice (default:\n"
	       "                            machine.slice)\n"
	       "     --keep-unit            Make the container's cgroup inside the one hutch\n"
	       "                            runs in (a service's own unit) instead of\n"
	       "                            SLICE/hutch-NAME.scope\n"
	       "     --property=NAME=VALUE  Set a resource limit: MemoryMax=, MemoryHigh=,\n"
	       "                            MemorySwapMax=, TasksMax= (default 16384),\n"
	       "                            CPUQuota=, CPUWeight=, IOWeight=, AllowedCPUs=,\n"
	       "                            DeviceAllow=\n"
	       "     --rlimit=NAME=SOFT[:HARD]\n"
	       "                            Set a resource limit for the payload\n"
	       "     --oom-score-adjust=VALUE\n"
	       "                            Adjust the OOM score value for the payload\n"
	       "     --cpu-affinity=CPUS    Adjust the CPU affinity of the container\n"
	       "     --personality=ARCH     Pick personality for this container (x86, x86-64)\n"
	       "\n"
	       "Networking:\n"
	       "     --private-network      Disconnect networking of the container from the host\n"
	       "                            (loopback only; adds CAP_NET_ADMIN)\n"
	       "\n"
	       "System identity:\n"
	       "  -M --machine=NAME         Set the machine name for the container\n"
	       "     --hostname=NAME        Override the hostname (default: machine name)\n"
	       "     --uuid=UUID            Set a specific machine UUID for the container\n"
	       "\n"
	       "Input/output:\n"
	       "     --console=MODE         interactive, read-only, passive, pipe or autopipe\n"
	       "  -P --pipe                 Equivalent to --console=pipe\n"
	       "\n"
	       "Settings files and profiles:\n"
	       "     --settings=yes|no|override|trusted\n"
	       "                            Read NAME.nspawn from /etc/hutch/nspawn, /etc/systemd/\n"
	       "                            nspawn, /run/systemd/nspawn, else beside the image\n"
	       "                            (untrusted); override: the file beats the command line\n"
	       "     --profile=NAME         Apply profile NAME from /etc/hutch/profiles or\n"
	       "                            /usr/share/hutch/profiles (strict, build, ci, system)\n"
	       "     --show-profile=NAME    Print a profile with its includes resolved and exit\n"
	       "\n"
	       "Registration:\n"
	       "     --register=no          Accepted for compatibility; hutch has no machined\n"
	       "\n"
	       "See hutch(1) for details.\n");
}

int parse_signal(const char *s)
{
	const char *n = strncmp(s, "SIG", 3) == 0 ? s + 3 : s;
	unsigned long v;
	if (parse_uint(n, 64, &v) == 0)
		return v >= 1 && v <= 64 ? (int)v : -EINVAL;
	if (strncmp(n, "RTMIN", 5) == 0 || strncmp(n, "RTMAX", 5) == 0) {
		bool min = n[4] == 'N';
		int base = min ? SIGRTMIN : SIGRTMAX;
		if (!n[5])
			return base;
		if (n[5] != (min ? '+' : '-') || parse_uint(n + 6, 64, &v) < 0)
			return -EINVAL;
		int sig = min ? base + (int)v : base - (int)v;
		return sig >= SIGRTMIN && sig <= SIGRTMAX ? sig : -EINVAL;
	}
	for (int sig = 1; sig < SIGRTMIN; sig++) {
		const char *abbrev = sigabbrev_np(sig);
		if (abbrev && strcmp(abbrev, n) == 0)
			return sig;
	}
	return -EINVAL;
}

int parse_uuid(const char *s, uint8_t out[16])
{
	size_t len = strlen(s), j = 0;
	if (len != 32 && len != 36)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (len == 36 && (i == 8 || i == 13 || i == 18 || i == 23)) {
			if (s[i] != '-')
				return -EINVAL;
			continue;
		}
		if (!isxdigit((unsigned char)s[i]))
			return -EINVAL;
		int v = isdigit((unsigned char)s[i]) ? s[i] - '0' : (tolower(s[i]) - 'a' + 10);
		if (j % 2 == 0)
			out[j / 2] = (uint8_t)(v << 4);
		else
			out[j / 2] |= (uint8_t)v;
		j++;
	}
	if (j != 32)
		return -EINVAL;
	static const uint8_t zero[16];
	return memcmp(out, zero, 16) ? 0 : -EINVAL;
}

void format_uuid(const uint8_t u[16], char out[37])
{
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0],
		 u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
		 u[13], u[14], u[15]);
}

int parse_private_users(const char *v, struct settings *s)
{
	s->uid_base = s->uid_count = 0;
	if (!v || !strcmp(v, "pick"))
		s->userns = HUTCH_USERNS_PICK;
	else if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1"))
		s->userns = HUTCH_USERNS_FROM_ROOT;
	else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0"))
		s->userns = HUTCH_USERNS_NO;
	else if (!strcmp(v, "identity")) {
		s->userns = HUTCH_USERNS_FIXED;
		s->uid_count = 65536;
	} else {
		char base[16];
		const char *colon = strchr(v, ':');
		size_t n = colon ? (size_t)(colon - v) : strlen(v);
		unsigned long b, c = 65536;
		if (n == 0 || n >= sizeof base)
			return option_invalid(v, "expected pick, yes, no, identity or BASE[:COUNT]");
		memcpy(base, v, n);
		base[n] = '\0';
		if (parse_uint(base, UINT32_MAX - 1, &b) < 0 ||
		    (colon && (parse_uint(colon + 1, UINT32_MAX, &c) < 0 || c == 0)) ||
		    b + c > UINT32_MAX)
			return option_invalid(v, "expected pick, yes, no, identity or BASE[:COUNT]");
		s->userns = HUTCH_USERNS_FIXED;
		s->uid_base = (uint32_t)b;
		s->uid_count = (uint32_t)c;
	}
	return 0;
}

int parse_ownership(const char *v, uint32_t *out)
{
	static const char *const names[] = {
		[HUTCH_OWNERSHIP_AUTO] = "auto", [HUTCH_OWNERSHIP_OFF] = "off",
		[HUTCH_OWNERSHIP_CHOWN] = "chown", [HUTCH_OWNERSHIP_MAP] = "map",
	};
	for (uint32_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(v, names[i])) {
			*out = i;
			return 0;
		}
	return option_invalid(v, "expected auto, map, chown or off");
}

/* getopt's table and short-option string, built from option_table. */
static struct option long_options[64];
static char short_options[64] = "+";

static void build_getopt_tables(void)
{
	size_t n = 0, k = 1;
	for (size_t i = 0; i < option_table_len; i++) {
		const struct option_def *d = &option_table[i];
		int val = d->short_name ? d->short_name : 0x100 + (int)i;
		if (d->name && n + 1 < ARRAY_SIZE(long_options))
			long_options[n++] = (struct option){d->name, d->has_arg, NULL, val};
		if (d->short_name && k + 3 < sizeof short_options) {
			short_options[k++] = (char)d->short_name;
			if (d->has_arg == required_argument)
				short_options[k++] = ':';
		}
	}
	long_options[n] = (struct option){0};
	short_options[k] = '\0';
}

static const struct option_def *row_for(int c)
{
	if (c >= 0x100 && (size_t)(c - 0x100) < option_table_len)
		return &option_table[c - 0x100];
	for (size_t i = 0; i < option_table_len; i++)
		if (option_table[i].short_name == c)
			return &option_table[i];
	return NULL;
}

/* Back to nothing set, freeing what a previous parse allocated (parsed
 * mounts, credentials), so a second parse leaks nothing. */
void settings_clear(struct settings *s)
{
	mountopts_free(&s->mounts);
	files_settings_free(&s->files);
	memset(s, 0, sizeof *s);
}

enum cli_result cli_parse(int argc, char **argv, struct settings *s)
{
	settings_clear(s);
	return cli_apply(argc, argv, s);
}

enum cli_result cli_apply(int argc, char **argv, struct settings *s)
{
	if (!long_options[0].name)
		build_getopt_tables();
	opterr = 0; /* our own one-line errors */
	optind = 0;
	int c;
	while ((c = getopt_long(argc, argv, short_options, long_options, NULL)) >= 0) {
		const struct option_def *d = c == '?' ? NULL : row_for(c);
		if (!d) {
			if (optopt)
				log_error("option '-%c' is unknown or needs a value; see hutch --help", optopt);
			else
				log_error("unrecognized option '%s'; see hutch --help", argv[optind - 1]);
			return CLI_ERROR;
		}
		/* A flag on the command line means "yes" (files say yes or no). */
		const char *value = d->has_arg == no_argument ? "yes" : optarg;
		int r = option_apply(d, s, value, ORIGIN_CMDLINE, NULL);
		if (r < 0)
			return CLI_ERROR;
		if (r == OPTION_EXIT)
			return CLI_EXIT_OK;
	}
	/* The arguments after the options are the Parameters= slot: decided by
	 * option_apply() like any other (a file may have set it, --settings=override). */
	if (argv[optind]) {
		settings_positional(argv + optind);
		if (option_apply(option_by_key("Exec", "Parameters"), s, NULL, ORIGIN_CMDLINE,
				 NULL) < 0)
			return CLI_ERROR;
	} else if (!s->command) {
		s->command = argv + optind; /* none: a shell, or init without arguments */
	}
	return CLI_RUN;
}

/* The last path component (without `suffix`, if it ends so), cleaned into a
 * valid machine name: nspawn's default name for -D and -i. */
void machine_name_from_path(const char *path, const char *suffix, char out[HUTCH_NAME_MAX + 1])
{
	size_t len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	size_t start = len;
	while (start > 0 && path[start - 1] != '/')
		start--;
	size_t slen = suffix ? strlen(suffix) : 0;
	if (slen && len - start > slen && !strncmp(path + len - slen, suffix, slen))
		len -= slen;
	size_t n = 0;
	for (size_t i = start; i < len && n < HUTCH_NAME_MAX; i++) {
		char ch = path[i];
		bool ok = isalnum((unsigned char)ch) || ch == '.' || ch == '_' || ch == '-';
		/* A name must not start with '.' or '-', nor with what becomes '-'. */
		if (n == 0 && (!ok || ch == '.' || ch == '-'))
			continue;
		out[n++] = ok ? ch : '-';
	}
	out[n] = '\0';
	if (n == 0)
		strcpy(out, "container");
}

/* systemd-nspawn's default capability set, less CAP_AUDIT_* (DESIGN.md §4).
 * CAP_MKNOD is in it, as in nspawn: the device program and the v1 devices
 * controller refuse every node not on the container's list (mknod and open),
 * and in a user namespace the kernel refuses device mknod anyway. */
#define CAP(n) (1ull << (n))
const uint64_t default_capabilities =
	CAP(0) /* CHOWN */ | CAP(1) /* DAC_OVERRIDE */ | CAP(2) /* DAC_READ_SEARCH */ |
	CAP(3) /* FOWNER */ | CAP(4) /* FSETID */ | CAP(5) /* KILL */ | CAP(6) /* SETGID */ |
	CAP(7) /* SETUID */ | CAP(8) /* SETPCAP */ | CAP(9) /* LINUX_IMMUTABLE */ |
	CAP(10) /* NET_BIND_SERVICE */ | CAP(11) /* NET_BROADCAST */ | CAP(13) /* NET_RAW */ |
	CAP(15) /* IPC_OWNER */ | CAP(18) /* SYS_CHROOT */ | CAP(19) /* SYS_PTRACE */ |
	CAP(21) /* SYS_ADMIN */ | CAP(22) /* SYS_BOOT */ | CAP(23) /* SYS_NICE */ |
	CAP(24) /* SYS_RESOURCE */ | CAP(26) /* SYS_TTY_CONFIG */ | CAP(27) /* MKNOD */ |
	CAP(28) /* LEASE */ |
	CAP(31) /* SETFCAP */;

int settings_names(struct settings *s)
{
	if (fsroot_finish(s) < 0) /* checks, and the machine name from -i */
		return -EINVAL;
	if (!s->directory[0] && !s->fsroot.image[0]) {
		if (s->machine[0])
			snprintf(s->directory, sizeof s->directory, "/var/lib/machines/%s", s->machine);
		else if (!getcwd(s->directory, sizeof s->directory)) {
			log_error("cannot determine the current directory: %m; use -D");
			return -errno;
		}
	}
	if (s->directory[0] && s->directory[0] != '/') {
		char cwd[HUTCH_PATH_MAX], abs[HUTCH_PATH_MAX];
		if (!getcwd(cwd, sizeof cwd) ||
		    (size_t)snprintf(abs, sizeof abs, "%s/%s", cwd, s->directory) >= sizeof abs) {
			log_error("cannot make --directory '%s' absolute", s->directory);
			return -EINVAL;
		}
		strcpy(s->directory, abs);
	}
	if (!s->machine[0])
		machine_name_from_path(s->directory, NULL, s->machine);
	return 0;
}

int settings_finish(struct settings *s, bool stdin_tty, bool stdout_tty)
{
	if (caps_finish(s) < 0) /* bounding set: default + --capability= - --drop-capability= */
		return -EINVAL;
	if (resources_finish(&s->res) < 0)
		return -EINVAL;
	if (!s->origin.userns)
		s->userns = HUTCH_USERNS_PICK; /* DESIGN.md §4: user namespaces on */
	int r = settings_names(s);
	if (r < 0)
		return r;
	if (!s->hostname[0])
		strcpy(s->hostname, s->machine);
	if (!s->origin.uuid) {
		if (getrandom(s->uuid, sizeof s->uuid, 0) != sizeof s->uuid)
			return -EIO;
		s->uuid[6] = (s->uuid[6] & 0x0f) | 0x40; /* version 4 */
		s->uuid[8] = (s->uuid[8] & 0x3f) | 0x80;
	}
	if (!s->kill_signal)
		s->kill_signal = s->start_mode == START_BOOT ? SIGRTMIN + 3 : SIGKILL;
	if (!s->console)
		s->console = stdin_tty && stdout_tty ? CONSOLE_INTERACTIVE : CONSOLE_READ_ONLY;
	else if (s->console == CONSOLE_AUTOPIPE)
		s->console = stdin_tty && stdout_tty ? CONSOLE_INTERACTIVE : CONSOLE_PIPE;
	log_quiet = s->quiet;
	return 0;
}
