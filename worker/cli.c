/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Command line, with systemd-nspawn's option names and meanings. */
#include "settings.h"

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
#include "seccomp.h"
#include "syscall_groups.h"

enum {
	ARG_VERSION = 0x100,
	ARG_CHDIR,
	ARG_HOSTNAME,
	ARG_UUID,
	ARG_KILL_SIGNAL,
	ARG_CONSOLE,
	ARG_REGISTER,
	ARG_CAPABILITY,
	ARG_DROP_CAPABILITY,
	ARG_AMBIENT_CAPABILITY,
	ARG_NO_NEW_PRIVILEGES,
	ARG_SYSTEM_CALL_FILTER,
	ARG_LIST_SYSCALL_GROUPS,
	ARG_PRIVATE_USERS,
	ARG_PRIVATE_USERS_OWNERSHIP,
	ARG_PRIVATE_NETWORK,
};

static const struct option options[] = {
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, ARG_VERSION},
	{"directory", required_argument, NULL, 'D'},
	{"boot", no_argument, NULL, 'b'},
	{"as-pid2", no_argument, NULL, 'a'},
	{"chdir", required_argument, NULL, ARG_CHDIR},
	{"setenv", required_argument, NULL, 'E'},
	{"user", required_argument, NULL, 'u'},
	{"machine", required_argument, NULL, 'M'},
	{"hostname", required_argument, NULL, ARG_HOSTNAME},
	{"uuid", required_argument, NULL, ARG_UUID},
	{"kill-signal", required_argument, NULL, ARG_KILL_SIGNAL},
	{"quiet", no_argument, NULL, 'q'},
	{"console", required_argument, NULL, ARG_CONSOLE},
	{"pipe", no_argument, NULL, 'P'},
	{"register", required_argument, NULL, ARG_REGISTER},
	{"capability", required_argument, NULL, ARG_CAPABILITY},
	{"drop-capability", required_argument, NULL, ARG_DROP_CAPABILITY},
	{"ambient-capability", required_argument, NULL, ARG_AMBIENT_CAPABILITY},
	{"no-new-privileges", required_argument, NULL, ARG_NO_NEW_PRIVILEGES},
	{"system-call-filter", required_argument, NULL, ARG_SYSTEM_CALL_FILTER},
	{"list-syscall-groups", no_argument, NULL, ARG_LIST_SYSCALL_GROUPS},
	{"private-users", optional_argument, NULL, ARG_PRIVATE_USERS},
	{"private-users-ownership", required_argument, NULL, ARG_PRIVATE_USERS_OWNERSHIP},
	{"private-network", no_argument, NULL, ARG_PRIVATE_NETWORK},
	{0},
};

static void help(void)
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
	       "                            User namespace for the container (default: pick)\n"
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
	       "Registration:\n"
	       "     --register=no          Accepted for compatibility; hutch has no machined\n"
	       "\n"
	       "See hutch(1) for details.\n");
}

static int bad(const char *opt, const char *value, const char *hint)
{
	log_error("invalid %s value '%s'%s%s", opt, value, hint ? ": " : "", hint ? hint : "");
	return -EINVAL;
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
			return bad("--private-users", v, "expected pick, yes, no, identity or BASE[:COUNT]");
		memcpy(base, v, n);
		base[n] = '\0';
		if (parse_uint(base, UINT32_MAX - 1, &b) < 0 ||
		    (colon && (parse_uint(colon + 1, UINT32_MAX, &c) < 0 || c == 0)) ||
		    b + c > UINT32_MAX)
			return bad("--private-users", v, "expected pick, yes, no, identity or BASE[:COUNT]");
		s->userns = HUTCH_USERNS_FIXED;
		s->uid_base = (uint32_t)b;
		s->uid_count = (uint32_t)c;
	}
	s->origin.userns = ORIGIN_CMDLINE;
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
	return bad("--private-users-ownership", v, "expected auto, map, chown or off");
}

static int copy_value(char *dst, size_t size, const char *opt, const char *value)
{
	if (strlen(value) >= size)
		return bad(opt, value, "too long");
	strcpy(dst, value);
	return 0;
}

static bool env_assignment_valid(const char *s)
{
	const char *eq = strchr(s, '=');
	if (!eq || eq == s)
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t')
			return false;
	for (const char *p = s; p < eq; p++)
		if (!(isalnum((unsigned char)*p) || *p == '_'))
			return false;
	return !isdigit((unsigned char)s[0]);
}

static int parse_console(const char *v, enum console_mode *out)
{
	static const char *const names[] = {
		[CONSOLE_INTERACTIVE] = "interactive", [CONSOLE_READ_ONLY] = "read-only",
		[CONSOLE_PASSIVE] = "passive",         [CONSOLE_PIPE] = "pipe",
		[CONSOLE_AUTOPIPE] = "autopipe",
	};
	for (size_t i = 1; i < ARRAY_SIZE(names); i++)
		if (strcmp(v, names[i]) == 0) {
			*out = (enum console_mode)i;
			return 0;
		}
	return bad("--console", v, "expected interactive, read-only, passive, pipe or autopipe");
}

static int parse_one(int c, const char *arg, struct settings *s)
{
	int r;
	switch (c) {
	case 'D':
		s->origin.directory = ORIGIN_CMDLINE;
		if (!*arg)
			return bad("--directory", arg, "empty path");
		return copy_value(s->directory, sizeof s->directory, "--directory", arg);
	case 'b':
	case 'a':
		if (s->origin.start_mode && s->start_mode != (c == 'b' ? START_BOOT : START_PID2)) {
			log_error("--boot and --as-pid2 may not be combined");
			return -EINVAL;
		}
		s->start_mode = c == 'b' ? START_BOOT : START_PID2;
		s->origin.start_mode = ORIGIN_CMDLINE;
		return 0;
	case ARG_CHDIR:
		if (arg[0] != '/')
			return bad("--chdir", arg, "must be an absolute path");
		s->origin.chdir = ORIGIN_CMDLINE;
		return copy_value(s->chdir, sizeof s->chdir, "--chdir", arg);
	case 'E':
		if (!env_assignment_valid(arg))
			return bad("--setenv", arg, "expected NAME=VALUE");
		if (s->n_env >= SETTINGS_MAX_ENV)
			return bad("--setenv", arg, "too many variables");
		s->env[s->n_env++] = (char *)arg;
		s->origin.env = ORIGIN_CMDLINE;
		return 0;
	case 'u':
		if (!*arg || strpbrk(arg, ":/\n"))
			return bad("--user", arg, "not a user name or UID");
		s->origin.user = ORIGIN_CMDLINE;
		return copy_value(s->user, sizeof s->user, "--user", arg);
	case 'M':
		if (!name_is_valid(arg))
			return bad("--machine", arg, "use letters, digits, '.', '_' and '-', at most 64");
		s->origin.machine = ORIGIN_CMDLINE;
		return copy_value(s->machine, sizeof s->machine, "--machine", arg);
	case ARG_HOSTNAME:
		if (!name_is_valid(arg))
			return bad("--hostname", arg, "use letters, digits, '.', '_' and '-', at most 64");
		s->origin.hostname = ORIGIN_CMDLINE;
		return copy_value(s->hostname, sizeof s->hostname, "--hostname", arg);
	case ARG_UUID:
		if (parse_uuid(arg, s->uuid) < 0)
			return bad("--uuid", arg, "expected 32 hex digits, optionally as 8-4-4-4-12");
		s->origin.uuid = ORIGIN_CMDLINE;
		return 0;
	case ARG_KILL_SIGNAL:
		r = parse_signal(arg);
		if (r < 0)
			return bad("--kill-signal", arg, "expected a signal name like SIGTERM or RTMIN+3");
		if (r == SIGSTOP)
			return bad("--kill-signal", arg, "SIGSTOP cannot stop a container");
		s->kill_signal = r;
		s->origin.kill_signal = ORIGIN_CMDLINE;
		return 0;
	case 'q':
		s->quiet = true;
		s->origin.quiet = ORIGIN_CMDLINE;
		return 0;
	case ARG_CONSOLE:
		s->origin.console = ORIGIN_CMDLINE;
		return parse_console(arg, &s->console);
	case 'P':
		s->origin.console = ORIGIN_CMDLINE;
		s->console = CONSOLE_PIPE;
		return 0;
	case ARG_REGISTER:
		if (!strcmp(arg, "no") || !strcmp(arg, "false") || !strcmp(arg, "0") ||
		    !strcmp(arg, "off"))
			return 0;
		return bad("--register", arg,
			   "hutch does not register with systemd-machined; use --register=no");
	case ARG_CAPABILITY:
		return caps_option(CAPS_OPT_ADD, arg, s);
	case ARG_DROP_CAPABILITY:
		return caps_option(CAPS_OPT_DROP, arg, s);
	case ARG_AMBIENT_CAPABILITY:
		return caps_option(CAPS_OPT_AMBIENT, arg, s);
	case ARG_NO_NEW_PRIVILEGES:
		return caps_parse_no_new_privs(arg, s);
	case ARG_SYSTEM_CALL_FILTER:
		return syscall_filter_option(arg, s);
	case 'U':
		return parse_private_users("pick", s);
	case ARG_PRIVATE_USERS:
		return parse_private_users(arg, s);
	case ARG_PRIVATE_NETWORK:
		s->private_network = true;
		s->origin.private_network = ORIGIN_CMDLINE;
		return 0;
	case ARG_PRIVATE_USERS_OWNERSHIP:
		s->origin.ownership = ORIGIN_CMDLINE;
		return parse_ownership(arg, &s->ownership);
	default:
		return -EINVAL;
	}
}

enum cli_result cli_parse(int argc, char **argv, struct settings *s)
{
	memset(s, 0, sizeof *s);
	opterr = 0; /* our own one-line errors */
	optind = 0;
	int c;
	while ((c = getopt_long(argc, argv, "+hD:bau:E:M:qPU", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			help();
			return CLI_EXIT_OK;
		case ARG_VERSION:
			printf("hutch %s\n", HUTCH_VERSION);
			return CLI_EXIT_OK;
		case ARG_LIST_SYSCALL_GROUPS:
			syscall_groups_print(stdout);
			return CLI_EXIT_OK;
		case '?':
			if (optopt)
				log_error("option '-%c' is unknown or needs a value; see hutch --help", optopt);
			else
				log_error("unrecognized option '%s'; see hutch --help", argv[optind - 1]);
			return CLI_ERROR;
		default:
			if (parse_one(c, optarg, s) < 0)
				return CLI_ERROR;
		}
	}
	s->command = argv + optind;
	return CLI_RUN;
}

/* The last path component, cleaned into a valid machine name. */
static void machine_from_directory(const char *dir, char out[HUTCH_NAME_MAX + 1])
{
	size_t len = strlen(dir);
	while (len > 1 && dir[len - 1] == '/')
		len--;
	size_t start = len;
	while (start > 0 && dir[start - 1] != '/')
		start--;
	size_t n = 0;
	for (size_t i = start; i < len && n < HUTCH_NAME_MAX; i++) {
		char ch = dir[i];
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

/* systemd-nspawn's default capability set, less CAP_AUDIT_* (DESIGN.md §4)
 * and CAP_MKNOD (no device cgroup yet to make it harmless). */
#define CAP(n) (1ull << (n))
const uint64_t default_capabilities =
	CAP(0) /* CHOWN */ | CAP(1) /* DAC_OVERRIDE */ | CAP(2) /* DAC_READ_SEARCH */ |
	CAP(3) /* FOWNER */ | CAP(4) /* FSETID */ | CAP(5) /* KILL */ | CAP(6) /* SETGID */ |
	CAP(7) /* SETUID */ | CAP(8) /* SETPCAP */ | CAP(9) /* LINUX_IMMUTABLE */ |
	CAP(10) /* NET_BIND_SERVICE */ | CAP(11) /* NET_BROADCAST */ | CAP(13) /* NET_RAW */ |
	CAP(15) /* IPC_OWNER */ | CAP(18) /* SYS_CHROOT */ | CAP(19) /* SYS_PTRACE */ |
	CAP(21) /* SYS_ADMIN */ | CAP(22) /* SYS_BOOT */ | CAP(23) /* SYS_NICE */ |
	CAP(24) /* SYS_RESOURCE */ | CAP(26) /* SYS_TTY_CONFIG */ | CAP(28) /* LEASE */ |
	CAP(31) /* SETFCAP */;

int settings_finish(struct settings *s, bool stdin_tty, bool stdout_tty)
{
	if (caps_finish(s) < 0) /* bounding set: default + --capability= - --drop-capability= */
		return -EINVAL;
	if (!s->origin.userns)
		s->userns = HUTCH_USERNS_PICK; /* DESIGN.md §4: user namespaces on */
	if (!s->directory[0]) {
		if (s->machine[0])
			snprintf(s->directory, sizeof s->directory, "/var/lib/machines/%s", s->machine);
		else if (!getcwd(s->directory, sizeof s->directory)) {
			log_error("cannot determine the current directory: %m; use -D");
			return -errno;
		}
	}
	if (s->directory[0] != '/') {
		char cwd[HUTCH_PATH_MAX], abs[HUTCH_PATH_MAX];
		if (!getcwd(cwd, sizeof cwd) ||
		    (size_t)snprintf(abs, sizeof abs, "%s/%s", cwd, s->directory) >= sizeof abs) {
			log_error("cannot make --directory '%s' absolute", s->directory);
			return -EINVAL;
		}
		strcpy(s->directory, abs);
	}
	if (!s->machine[0])
		machine_from_directory(s->directory, s->machine);
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
