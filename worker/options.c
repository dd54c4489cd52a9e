/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The option table (see options.h) and the parse functions of the basic
 * options. Options owned by a subsystem keep their parser next to it
 * (caps.c, seccomp.c, ...); only their row lives here.
 */
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

#include "../common/util.h"
#include "caps.h"
#include "policy.h"
#include "seccomp.h"
#include "syscall_groups.h"

/* ---- applying a value: precedence and trust, decided here only ---------- */

static const struct option_def *current;
static const char *current_where;

int option_invalid(const char *value, const char *hint)
{
	const char *sep = hint ? ": " : "", *h = hint ? hint : "";
	if (!current)
		log_error("invalid value '%s'%s%s", value, sep, h);
	else if (current_where)
		log_error("%s: invalid %s= value '%s'%s%s", current_where, current->key, value, sep, h);
	else
		log_error("invalid --%s value '%s'%s%s", current->name ? current->name : "?", value,
			  sep, h);
	return -EINVAL;
}

/*
 * Precedence, higher wins: the command line, then a profile (chosen on the
 * command line, so below it), then the .nspawn file, as nspawn puts files
 * below the command line; --settings=override puts the file on top.
 */
static int rank(const struct settings *s, unsigned origin)
{
	switch ((enum origin)origin) {
	case ORIGIN_DEFAULT:
		return 0;
	case ORIGIN_TRUSTED_FILE:
	case ORIGIN_UNTRUSTED_FILE:
		return s->sources.mode == SETTINGS_OVERRIDE ? 4 : 1;
	case ORIGIN_PROFILE: /* the policy's mandatory one is above everything */
		return s->sources.profile_mandatory ? 5 : 2;
	case ORIGIN_CMDLINE:
		return 3;
	}
	return 0;
}

int option_apply(const struct option_def *d, struct settings *s, const char *value,
		 enum origin origin, const char *where)
{
	uint8_t *slot = d->origin ? (uint8_t *)s + d->origin : NULL;
	if (origin == ORIGIN_UNTRUSTED_FILE && (d->flags & OPT_PRIVILEGED))
		return OPTION_IGNORED;
	/* A source never changes what a higher one set, except for what only
	 * takes away (OPT_ALWAYS). settings_load() applies sources from the
	 * highest down, so lists never mix two sources either. */
	if (slot && rank(s, origin) < rank(s, *slot) && !(d->flags & OPT_ALWAYS))
		return OPTION_IGNORED;
	current = d;
	current_where = where;
	int r = d->parse(s, value);
	current = NULL;
	current_where = NULL;
	if (r < 0 || r == OPTION_EXIT)
		return r;
	if (slot && rank(s, origin) > rank(s, *slot))
		*slot = (uint8_t)origin;
	return 0;
}

int parse_boolean(const char *v)
{
	static const char *const yes[] = {"yes", "true", "on", "1", "y", "t"};
	static const char *const no[] = {"no", "false", "off", "0", "n", "f"};
	if (!v)
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return 1;
		if (strcasecmp(v, no[i]) == 0)
			return 0;
	}
	return -EINVAL;
}

const struct option_def *option_by_key(const char *section, const char *key)
{
	for (size_t i = 0; i < option_table_len; i++) {
		const struct option_def *d = &option_table[i];
		if (d->key && !strcmp(d->key, key) && !strcmp(d->section, section))
			return d;
	}
	return NULL;
}

const struct option_def *option_by_name(const char *name)
{
	for (size_t i = 0; i < option_table_len; i++)
		if (option_table[i].name && !strcmp(option_table[i].name, name))
			return &option_table[i];
	return NULL;
}

/* ---- the basic options --------------------------------------------------- */

static int copy_value(char *dst, size_t size, const char *value)
{
	if (strlen(value) >= size)
		return option_invalid(value, "too long");
	strcpy(dst, value);
	return 0;
}

static int opt_directory(struct settings *s, const char *v)
{
	if (!*v)
		return option_invalid(v, "empty path");
	return copy_value(s->directory, sizeof s->directory, v);
}

static int set_start_mode(struct settings *s, const char *v, enum start_mode mode)
{
	int b = parse_boolean(v);
	if (b < 0)
		return option_invalid(v, "expected yes or no");
	if (!b) {
		if (s->start_mode == mode)
			s->start_mode = START_PID1;
		return 0;
	}
	if (s->origin.start_mode && s->start_mode != START_PID1 && s->start_mode != mode) {
		log_error("--boot and --as-pid2 may not be combined");
		return -EINVAL;
	}
	s->start_mode = mode;
	return 0;
}

static int opt_boot(struct settings *s, const char *v)
{
	return set_start_mode(s, v, START_BOOT);
}

static int opt_as_pid2(struct settings *s, const char *v)
{
	return set_start_mode(s, v, START_PID2);
}

static int opt_chdir(struct settings *s, const char *v)
{
	if (v[0] != '/')
		return option_invalid(v, "must be an absolute path");
	return copy_value(s->chdir, sizeof s->chdir, v);
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

static int opt_setenv(struct settings *s, const char *v)
{
	if (!env_assignment_valid(v))
		return option_invalid(v, "expected NAME=VALUE");
	if (s->n_env >= SETTINGS_MAX_ENV)
		return option_invalid(v, "too many variables");
	s->env[s->n_env++] = (char *)v;
	return 0;
}

static int opt_user(struct settings *s, const char *v)
{
	if (!*v || strpbrk(v, ":/\n"))
		return option_invalid(v, "not a user name or UID");
	return copy_value(s->user, sizeof s->user, v);
}

static int opt_machine(struct settings *s, const char *v)
{
	if (!name_is_valid(v))
		return option_invalid(v, "use letters, digits, '.', '_' and '-', at most 64");
	return copy_value(s->machine, sizeof s->machine, v);
}

static int opt_hostname(struct settings *s, const char *v)
{
	if (!name_is_valid(v))
		return option_invalid(v, "use letters, digits, '.', '_' and '-', at most 64");
	return copy_value(s->hostname, sizeof s->hostname, v);
}

static int opt_uuid(struct settings *s, const char *v)
{
	if (parse_uuid(v, s->uuid) < 0)
		return option_invalid(v, "expected 32 hex digits, optionally as 8-4-4-4-12");
	return 0;
}

static int opt_kill_signal(struct settings *s, const char *v)
{
	int sig = parse_signal(v);
	if (sig < 0)
		return option_invalid(v, "expected a signal name like SIGTERM or RTMIN+3");
	if (sig == SIGSTOP)
		return option_invalid(v, "SIGSTOP cannot stop a container");
	s->kill_signal = sig;
	return 0;
}

static int opt_quiet(struct settings *s, const char *v)
{
	int b = parse_boolean(v);
	if (b < 0)
		return option_invalid(v, "expected yes or no");
	s->quiet = b;
	return 0;
}

static int opt_console(struct settings *s, const char *v)
{
	static const char *const names[] = {
		[CONSOLE_INTERACTIVE] = "interactive", [CONSOLE_READ_ONLY] = "read-only",
		[CONSOLE_PASSIVE] = "passive",         [CONSOLE_PIPE] = "pipe",
		[CONSOLE_AUTOPIPE] = "autopipe",
	};
	for (size_t i = 1; i < ARRAY_SIZE(names); i++)
		if (strcmp(v, names[i]) == 0) {
			s->console = (enum console_mode)i;
			return 0;
		}
	return option_invalid(v, "expected interactive, read-only, passive, pipe or autopipe");
}

static int opt_pipe(struct settings *s, const char *v)
{
	s->console = CONSOLE_PIPE;
	return 0;
}

static int opt_register(struct settings *s, const char *v)
{
	if (parse_boolean(v) == 0)
		return 0;
	return option_invalid(v, "hutch does not register with systemd-machined; use --register=no");
}

static int opt_private_users(struct settings *s, const char *v)
{
	return parse_private_users(v, s);
}

static int opt_userns_pick(struct settings *s, const char *v)
{
	return parse_private_users("pick", s);
}

static int opt_ownership(struct settings *s, const char *v)
{
	return parse_ownership(v, &s->ownership);
}

static int opt_private_network(struct settings *s, const char *v)
{
	int b = parse_boolean(v);
	if (b < 0)
		return option_invalid(v, "expected yes or no");
	s->private_network = b;
	return 0;
}

static int opt_capability(struct settings *s, const char *v)
{
	return caps_option(CAPS_OPT_ADD, v, s);
}

static int opt_drop_capability(struct settings *s, const char *v)
{
	return caps_option(CAPS_OPT_DROP, v, s);
}

static int opt_ambient_capability(struct settings *s, const char *v)
{
	return caps_option(CAPS_OPT_AMBIENT, v, s);
}

static int opt_no_new_privs(struct settings *s, const char *v)
{
	return caps_parse_no_new_privs(v, s);
}

static int opt_syscall_filter(struct settings *s, const char *v)
{
	return syscall_filter_option(v, s);
}

/* Actions: the command line stops after printing. */
static int opt_help(struct settings *s, const char *v)
{
	cli_help();
	return OPTION_EXIT;
}

static int opt_version(struct settings *s, const char *v)
{
	printf("hutch %s\n", HUTCH_VERSION);
	return OPTION_EXIT;
}

static int opt_list_syscall_groups(struct settings *s, const char *v)
{
	syscall_groups_print(stdout);
	return OPTION_EXIT;
}

/* ---- the table ------------------------------------------------------------ */

#define O(field) offsetof(struct settings, origin.field)
#define OF(field) offsetof(struct settings, files.origin.field)
#define OS offsetof(struct settings, selinux.origin)
#define NO no_argument
#define REQ required_argument
#define OPT optional_argument
#define PRIV OPT_PRIVILEGED
#define R(field) offsetof(struct settings, res.field)
#define LIMIT_ROW(N) {NULL, 0, REQ, "Exec", "Limit" #N, PRIV, R(origin_rlimit[RLIMIT_##N]), opt_limit_##N},
#define MOUNTS offsetof(struct settings, mounts.origin_mounts)

const struct option_def option_table[] = {
	/* name, short, arg, section, key, flags, origin slot, parse */
	{"help", 'h', NO, NULL, NULL, 0, 0, opt_help},
	{"version", 0, NO, NULL, NULL, 0, 0, opt_version},
	{"quiet", 'q', NO, NULL, NULL, 0, O(quiet), opt_quiet},
	/* Image */
	{"directory", 'D', REQ, NULL, NULL, 0, O(directory), opt_directory},
	{"template", 0, REQ, NULL, NULL, 0, O(fsroot.template_dir), opt_template},
	{"ephemeral", 'x', NO, "Exec", "Ephemeral", PRIV, O(fsroot.ephemeral), opt_ephemeral},
	{"image", 'i', REQ, NULL, NULL, 0, O(fsroot.image), opt_image},
	/* Execution */
	{"boot", 'b', NO, "Exec", "Boot", 0, O(start_mode), opt_boot},
	{"as-pid2", 'a', NO, "Exec", "ProcessTwo", 0, O(start_mode), opt_as_pid2},
	{"chdir", 0, REQ, "Exec", "WorkingDirectory", 0, O(chdir), opt_chdir},
	/* The arguments after the options; in files [Exec] Parameters= (settings_files.c) */
	{NULL, 0, REQ, "Exec", "Parameters", OPT_WORDS, O(command), opt_parameters},
	{"setenv", 'E', REQ, "Exec", "Environment", OPT_WORDS, O(env), opt_setenv},
	{"user", 'u', REQ, "Exec", "User", 0, O(user), opt_user},
	{"kill-signal", 0, REQ, "Exec", "KillSignal", 0, O(kill_signal), opt_kill_signal},
	/* User namespacing */
	{"private-users", 0, OPT, "Exec", "PrivateUsers", PRIV, O(userns), opt_private_users},
	{NULL, 'U', NO, NULL, NULL, 0, O(userns), opt_userns_pick},
	{"private-users-ownership", 0, REQ, "Files", "PrivateUsersOwnership", PRIV, O(ownership),
	 opt_ownership},
	/* Security */
	{"capability", 0, REQ, "Exec", "Capability", PRIV | OPT_WORDS, O(capabilities),
	 opt_capability},
	{"drop-capability", 0, REQ, "Exec", "DropCapability", OPT_ALWAYS | OPT_WORDS,
	 O(capabilities), opt_drop_capability},
	{"ambient-capability", 0, REQ, "Exec", "AmbientCapability", PRIV | OPT_WORDS,
	 O(capabilities), opt_ambient_capability},
	{"no-new-privileges", 0, REQ, "Exec", "NoNewPrivileges", 0, O(no_new_privs),
	 opt_no_new_privs},
	{"system-call-filter", 0, REQ, "Exec", "SystemCallFilter", 0, O(syscall_filter),
	 opt_syscall_filter},
	{"list-syscall-groups", 0, NO, NULL, NULL, 0, 0, opt_list_syscall_groups},
	/* Files from the host (worker/files.c) */
	{"resolv-conf", 0, REQ, "Exec", "ResolvConf", 0, OF(resolv_conf), files_opt_resolv_conf},
	{"timezone", 0, REQ, "Exec", "Timezone", 0, OF(timezone), files_opt_timezone},
	{"set-credential", 0, REQ, "Exec", "SetCredential", PRIV, OF(credentials),
	 files_opt_set_credential},
	{"load-credential", 0, REQ, "Exec", "LoadCredential", PRIV, OF(credentials),
	 files_opt_load_credential},
	{"bind-user", 0, REQ, "Files", "BindUser", PRIV, OF(bind_user), files_opt_bind_user},
	/* Resources (worker/resources.c); nspawn trusts no file with these. */
	{"slice", 'S', REQ, NULL, NULL, 0, R(origin_slice), opt_slice},
	{"keep-unit", 0, NO, NULL, NULL, 0, R(origin_keep_unit), opt_keep_unit},
	{"property", 0, REQ, NULL, NULL, 0, R(origin_property), opt_property},
	{"rlimit", 0, REQ, NULL, NULL, 0, 0, opt_rlimit},
	RESOURCES_LIMIT_KEYS(LIMIT_ROW)
	{"oom-score-adjust", 0, REQ, "Exec", "OOMScoreAdjust", PRIV, R(origin_oom), opt_oom_score_adjust},
	{"cpu-affinity", 0, REQ, "Exec", "CPUAffinity", PRIV, R(origin_affinity), opt_cpu_affinity},
	{"personality", 0, REQ, "Exec", "Personality", 0, R(origin_personality), opt_personality},
	{"check-policy", 0, NO, NULL, NULL, 0, 0, policy_option_check},
	/* SELinux (worker/selinux.c); no .nspawn keys in systemd.nspawn(5) */
	{"selinux-context", 'Z', REQ, NULL, NULL, PRIV, OS, opt_selinux_context},
	{"selinux-apifs-context", 'L', REQ, NULL, NULL, PRIV, OS, opt_selinux_apifs_context},
	{"selinux-relabel", 0, OPT, NULL, NULL, PRIV, OS, opt_selinux_relabel},
	/* Mounts (worker/mountopts.c); binds and the like share one origin slot, as
	 * nspawn's custom mounts do */
	{"read-only", 0, NO, "Files", "ReadOnly", 0, offsetof(struct settings, mounts.origin_read_only),
	 opt_read_only},
	{"volatile", 0, OPT, "Files", "Volatile", 0, offsetof(struct settings, mounts.origin_volatile),
	 opt_volatile},
	{"bind", 0, REQ, "Files", "Bind", PRIV, MOUNTS, opt_bind},
	{"bind-ro", 0, REQ, "Files", "BindReadOnly", PRIV, MOUNTS, opt_bind_ro},
	{"tmpfs", 0, REQ, "Files", "TemporaryFileSystem", PRIV, MOUNTS, opt_tmpfs},
	{"inaccessible", 0, REQ, "Files", "Inaccessible", PRIV, MOUNTS, opt_inaccessible},
	{"overlay", 0, REQ, "Files", "Overlay", PRIV, MOUNTS, opt_overlay},
	{"overlay-ro", 0, REQ, "Files", "OverlayReadOnly", PRIV, MOUNTS, opt_overlay_ro},
	/* Networking */
	{"private-network", 0, NO, "Network", "Private", PRIV, O(private_network),
	 opt_private_network},
	/* System identity */
	{"machine", 'M', REQ, NULL, NULL, 0, O(machine), opt_machine},
	{"hostname", 0, REQ, "Exec", "Hostname", 0, O(hostname), opt_hostname},
	{"uuid", 0, REQ, "Exec", "MachineID", 0, O(uuid), opt_uuid},
	/* Input/output */
	{"console", 0, REQ, NULL, NULL, 0, O(console), opt_console},
	{"pipe", 'P', NO, NULL, NULL, 0, O(console), opt_pipe},
	/* Settings files and profiles (worker/settings_files.c, profile.c) */
	{"settings", 0, REQ, NULL, NULL, 0, 0, opt_settings},
	{"profile", 0, REQ, NULL, NULL, 0, 0, opt_profile},
	{"show-profile", 0, REQ, NULL, NULL, 0, 0, opt_show_profile},
	/* Registration */
	{"register", 0, REQ, NULL, NULL, 0, 0, opt_register},
};
const size_t option_table_len = ARRAY_SIZE(option_table);
