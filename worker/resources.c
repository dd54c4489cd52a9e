/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Resource settings, parsed with systemd's names, units and meanings. */
#include "resources.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../common/util.h"
#include "options.h"

#define BIT(k) (1u << (k))

int resources_parse_size(const char *s, uint64_t *out)
{
	static const struct { char c; unsigned shift; } units[] = {
		{'K', 10}, {'M', 20}, {'G', 30}, {'T', 40}, {'P', 50}, {'E', 60}, {'B', 0},
	};
	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	char *end;
	errno = 0;
	unsigned long long whole = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	uint64_t frac = 0, scale = 1; /* fraction digits, as frac/scale */
	if (*end == '.') {
		for (end++; isdigit((unsigned char)*end); end++)
			if (scale < 1000000000ull) {
				frac = frac * 10 + (uint64_t)(*end - '0');
				scale *= 10;
			}
	}
	unsigned shift = 0;
	if (*end) {
		size_t i;
		for (i = 0; i < ARRAY_SIZE(units) && units[i].c != *end; i++)
			;
		if (i == ARRAY_SIZE(units) || end[1])
			return -EINVAL;
		shift = units[i].shift;
	}
	if (shift && whole > (UINT64_MAX >> shift))
		return -ERANGE;
	uint64_t v = (uint64_t)whole << shift;
	uint64_t f = shift ? (uint64_t)((__uint128_t)frac * ((uint64_t)1 << shift) / scale) : 0;
	if (v + f < v)
		return -ERANGE;
	*out = v + f;
	return 0;
}

/* "N%" or "N.NN%" as parts per ten thousand. */
static int parse_permyriad(const char *s, uint64_t *out)
{
	size_t n = strlen(s);
	if (n < 2 || s[n - 1] != '%' || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	char *end;
	unsigned long long whole = strtoull(s, &end, 10);
	uint64_t frac = 0;
	int digits = 0;
	if (*end == '.')
		for (end++; isdigit((unsigned char)*end) && digits < 2; end++, digits++)
			frac = frac * 10 + (uint64_t)(*end - '0');
	if (*end != '%' || end[1] || whole > 100000000ull)
		return -EINVAL;
	*out = whole * 100 + frac * (digits == 1 ? 10 : 1);
	return 0;
}

/* systemd's system_tasks_max(): min(pid_max, threads-max) - 1. */
static uint64_t system_tasks_max(void)
{
	static const char *const files[] = {"/proc/sys/kernel/pid_max", "/proc/sys/kernel/threads-max"};
	uint64_t m = UINT64_MAX;
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		char buf[32] = "";
		int fd = open(files[i], O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
		if (fd >= 0)
			close(fd);
		unsigned long long v = n > 0 ? strtoull(buf, NULL, 10) : 0;
		if (v > 1 && v - 1 < m)
			m = v - 1;
	}
	return m == UINT64_MAX ? 4194303 : m;
}

int resources_parse_cpus(const char *s, uint64_t mask[HUTCH_CPUS_MAX / 64])
{
	memset(mask, 0, HUTCH_CPUS_MAX / 8);
	bool any = false;
	while (*s) {
		if (*s == ',' || isspace((unsigned char)*s)) {
			s++;
			continue;
		}
		char *end;
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		unsigned long a = strtoul(s, &end, 10), b = a;
		if (*end == '-') {
			if (!isdigit((unsigned char)end[1]))
				return -EINVAL;
			b = strtoul(end + 1, &end, 10);
		}
		if (a > b || b >= HUTCH_CPUS_MAX || (*end && *end != ',' && !isspace((unsigned char)*end)))
			return -EINVAL;
		for (unsigned long c = a; c <= b; c++)
			mask[c / 64] |= 1ull << (c % 64);
		any = true;
		s = end;
	}
	return any ? 0 : -EINVAL;
}

/* "/dev/PATH", "char-NAME" or "block-NAME" (NAME from /proc/devices). */
static int parse_device(const char *spec, struct hutch_device_rule *d)
{
	if (!strncmp(spec, "/dev/", 5)) {
		struct stat st;
		if (stat(spec, &st) < 0 || !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
			return -ENODEV;
		d->type = S_ISCHR(st.st_mode) ? 'c' : 'b';
		d->major = major(st.st_rdev);
		d->minor = minor(st.st_rdev);
		return 0;
	}
	bool chr = !strncmp(spec, "char-", 5), blk = !strncmp(spec, "block-", 6);
	if (!chr && !blk)
		return -EINVAL;
	const char *name = spec + (chr ? 5 : 6);
	char *text = NULL;
	size_t len;
	int fd = open("/proc/devices", O_RDONLY | O_CLOEXEC);
	int r = fd < 0 ? -errno : read_fd_bounded(fd, 65536, &text, &len);
	if (fd >= 0)
		close(fd);
	if (r < 0)
		return r;
	r = -ENODEV;
	bool in_block = false;
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		unsigned maj;
		char n[64];
		if (!strcmp(l, "Block devices:"))
			in_block = true;
		else if (in_block == blk && sscanf(l, " %u %63s", &maj, n) == 2 && !strcmp(n, name)) {
			*d = (struct hutch_device_rule){.type = chr ? 'c' : 'b', .major = maj,
							.minor = HUTCH_DEV_ANY};
			r = 0;
			break;
		}
	}
	free(text);
	return r;
}

static int property_device(const char *v, struct resources *r, const char *shown)
{
	if (!*v) { /* systemd: the empty assignment resets the list */
		r->n_user_devices = 0;
		memset(r->user_devices, 0, sizeof r->user_devices);
		return 0;
	}
	char spec[256];
	size_t n = strcspn(v, " \t");
	if (n >= sizeof spec)
		return option_invalid(shown, "device name too long");
	memcpy(spec, v, n);
	spec[n] = '\0';
	const char *acc = v + n + strspn(v + n, " \t");
	struct hutch_device_rule d = {0};
	for (const char *a = *acc ? acc : "rwm"; *a; a++) {
		uint8_t bit = *a == 'r' ? HUTCH_DEV_READ : *a == 'w' ? HUTCH_DEV_WRITE : *a == 'm' ? HUTCH_DEV_MKNOD : 0;
		if (!bit)
			return option_invalid(shown, "access must be made of r, w and m");
		d.access |= bit;
	}
	int e = parse_device(spec, &d);
	if (e < 0)
		return option_invalid(shown, "expected a device node under /dev, char-NAME or "
					     "block-NAME (see /proc/devices)");
	if (r->n_user_devices >= RESOURCES_MAX_USER_DEVICES)
		return option_invalid(shown, "too many devices");
	r->user_devices[r->n_user_devices++] = d;
	return 0;
}

static uint64_t physical_memory(void)
{
	return (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* Value of a limit in its unit; "infinity" -> HUTCH_LIMIT_INFINITY. */
static int limit_value(enum hutch_limit k, const char *v, uint64_t *out)
{
	uint64_t pm;
	if (!strcmp(v, "infinity") && k != HUTCH_LIMIT_CPU_WEIGHT && k != HUTCH_LIMIT_IO_WEIGHT) {
		*out = HUTCH_LIMIT_INFINITY;
		return 0;
	}
	switch (k) {
	case HUTCH_LIMIT_MEMORY_MAX:
	case HUTCH_LIMIT_MEMORY_HIGH:
		if (parse_permyriad(v, &pm) == 0) {
			*out = (uint64_t)((__uint128_t)physical_memory() * pm / 10000);
			return pm <= 10000 ? 0 : -ERANGE;
		}
		return resources_parse_size(v, out);
	case HUTCH_LIMIT_MEMORY_SWAP_MAX:
		return resources_parse_size(v, out);
	case HUTCH_LIMIT_TASKS_MAX:
		if (parse_permyriad(v, &pm) == 0) {
			*out = system_tasks_max() * pm / 10000;
			return pm <= 10000 && *out > 0 ? 0 : -ERANGE;
		}
		return parse_uint(v, UINT64_MAX - 1, (unsigned long *)out) < 0 || *out == 0 ? -ERANGE : 0;
	case HUTCH_LIMIT_CPU_QUOTA: /* percent of one CPU -> usec per second */
		if (parse_permyriad(v, &pm) < 0 || pm == 0 || pm > 100ull * 100 * HUTCH_CPUS_MAX)
			return -ERANGE;
		*out = pm * 100;
		return 0;
	case HUTCH_LIMIT_CPU_WEIGHT:
	case HUTCH_LIMIT_IO_WEIGHT:
		return parse_uint(v, 10000, (unsigned long *)out) < 0 || *out == 0 ? -ERANGE : 0;
	case HUTCH_LIMIT_ALLOWED_CPUS:
	case HUTCH_LIMIT_MAX:
		break;
	}
	return -EINVAL;
}

int opt_property(struct settings *s, const char *assignment)
{
	static const struct { const char *name; enum hutch_limit k; const char *hint; } props[] = {
		{"MemoryMax", HUTCH_LIMIT_MEMORY_MAX, "expected bytes (K, M, G, T suffixes), N% or infinity"},
		{"MemoryHigh", HUTCH_LIMIT_MEMORY_HIGH, "expected bytes (K, M, G, T suffixes), N% or infinity"},
		{"MemorySwapMax", HUTCH_LIMIT_MEMORY_SWAP_MAX, "expected bytes (K, M, G, T suffixes) or infinity"},
		{"TasksMax", HUTCH_LIMIT_TASKS_MAX, "expected a positive number, N% or infinity"},
		{"CPUQuota", HUTCH_LIMIT_CPU_QUOTA, "expected a percentage above 0%, like 20% or 150%"},
		{"CPUWeight", HUTCH_LIMIT_CPU_WEIGHT, "expected 1...10000"},
		{"IOWeight", HUTCH_LIMIT_IO_WEIGHT, "expected 1...10000"},
		{"AllowedCPUs", HUTCH_LIMIT_ALLOWED_CPUS, "expected CPU numbers and ranges, like 0-3,6"},
	};
	struct resources *r = &s->res;
	const char *eq = strchr(assignment, '=');
	if (!eq)
		return option_invalid(assignment, "expected NAME=VALUE");
	size_t n = (size_t)(eq - assignment);
	const char *v = eq + 1;
	if (n == 11 && !strncmp(assignment, "DeviceAllow", n))
		return property_device(v, r, assignment);
	for (size_t i = 0; i < ARRAY_SIZE(props); i++) {
		if (strlen(props[i].name) != n || strncmp(assignment, props[i].name, n))
			continue;
		enum hutch_limit k = props[i].k;
		r->cg.set &= ~BIT(k);
		r->cg.value[k] = 0;
		if (k == HUTCH_LIMIT_ALLOWED_CPUS)
			memset(r->cg.cpus, 0, sizeof r->cg.cpus);
		if (k == HUTCH_LIMIT_TASKS_MAX)
			r->tasks_max_given = true;
		if (!*v) /* systemd: the empty assignment resets */
			return 0;
		int e = k == HUTCH_LIMIT_ALLOWED_CPUS ? resources_parse_cpus(v, r->cg.cpus)
						      : limit_value(k, v, &r->cg.value[k]);
		if (e < 0)
			return option_invalid(assignment, props[i].hint);
		r->cg.set |= BIT(k);
		return 0;
	}
	return option_invalid(assignment, "supported: MemoryMax, MemoryHigh, MemorySwapMax, "
					  "TasksMax, CPUQuota, CPUWeight, IOWeight, AllowedCPUs, "
					  "DeviceAllow");
}

/* systemd's slice names: "a-b-c.slice" lives at a.slice/a-b.slice/a-b-c.slice. */
int opt_slice(struct settings *s, const char *v)
{
	size_t n = strlen(v);
	if (n < 7 || n > 48 || strcmp(v + n - 6, ".slice") || v[0] == '-' || v[n - 7] == '-' ||
	    strstr(v, "--") ||
	    strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:.-") < n)
		return option_invalid(v, "expected a slice unit name like machine.slice or tenant-a.slice");
	char path[HUTCH_SLICE_MAX] = "";
	size_t len = 0;
	for (size_t i = 0; i < n - 6; i++) {
		if (v[i] != '-')
			continue;
		/* snprintf returns what it would have written: stop before overrunning. */
		int w = snprintf(path + len, sizeof path - len, "%.*s.slice/", (int)i, v);
		if (w < 0 || (size_t)w >= sizeof path - len)
			return option_invalid(v, "nested too deeply");
		len += (size_t)w;
	}
	if (len + n >= sizeof path)
		return option_invalid(v, "nested too deeply");
	strcpy(path + len, v);
	strcpy(s->res.slice, path);
	return 0;
}

static const char *const rlimit_names[HUTCH_RLIMIT_MAX] = {
	[RLIMIT_CPU] = "CPU",         [RLIMIT_FSIZE] = "FSIZE",   [RLIMIT_DATA] = "DATA",
	[RLIMIT_STACK] = "STACK",     [RLIMIT_CORE] = "CORE",     [RLIMIT_RSS] = "RSS",
	[RLIMIT_NPROC] = "NPROC",     [RLIMIT_NOFILE] = "NOFILE", [RLIMIT_MEMLOCK] = "MEMLOCK",
	[RLIMIT_AS] = "AS",           [RLIMIT_LOCKS] = "LOCKS",   [RLIMIT_SIGPENDING] = "SIGPENDING",
	[RLIMIT_MSGQUEUE] = "MSGQUEUE", [RLIMIT_NICE] = "NICE",   [RLIMIT_RTPRIO] = "RTPRIO",
	[RLIMIT_RTTIME] = "RTTIME",
};

/* "SOFT[:HARD]", numbers or infinity; `shown` is what the user wrote. */
static int set_rlimit(struct resources *r, int which, const char *v, const char *shown)
{
	const char *hint = "expected SOFT[:HARD] with numbers or infinity, like RLIMIT_NOFILE=1024:4096";
	char parts[2][32];
	const char *colon = strchr(v, ':');
	size_t sn = colon ? (size_t)(colon - v) : strlen(v);
	if (sn >= sizeof parts[0] || (colon && strlen(colon + 1) >= sizeof parts[1]))
		return option_invalid(shown, hint);
	snprintf(parts[0], sizeof parts[0], "%.*s", (int)sn, v);
	snprintf(parts[1], sizeof parts[1], "%s", colon ? colon + 1 : parts[0]);
	uint64_t lim[2];
	for (int i = 0; i < 2; i++) {
		unsigned long x;
		if (!strcmp(parts[i], "infinity"))
			lim[i] = UINT64_MAX;
		else if (parse_uint(parts[i], UINT64_MAX - 1, &x) == 0)
			lim[i] = x;
		else
			return option_invalid(shown, hint);
	}
	if (lim[0] > lim[1])
		return option_invalid(shown, "the soft limit is above the hard limit");
	r->proc.rlimit_set |= BIT(which);
	r->proc.rlimits[which] = (struct hutch_rlimit){lim[0], lim[1]};
	return 0;
}

/* Command line only: its origin is set here, per limit, so a file's
 * LimitNOFILE= yields to --rlimit=RLIMIT_NOFILE= but not to another limit. */
int opt_rlimit(struct settings *s, const char *value)
{
	const char *eq = strchr(value, '=');
	const char *name = !strncmp(value, "RLIMIT_", 7) ? value + 7 : value;
	for (int i = 0; eq && i < HUTCH_RLIMIT_MAX; i++)
		if (rlimit_names[i] && strlen(rlimit_names[i]) == (size_t)(eq - name) &&
		    !strncmp(name, rlimit_names[i], (size_t)(eq - name))) {
			s->res.origin_rlimit[i] = ORIGIN_CMDLINE;
			return set_rlimit(&s->res, i, eq + 1, value);
		}
	return option_invalid(value, "expected RLIMIT_NAME=SOFT[:HARD], like RLIMIT_NOFILE=1024:4096");
}

#define RESOURCES_DEFINE_LIMIT(N)                                   \
	int opt_limit_##N(struct settings *s, const char *v)        \
	{                                                           \
		return set_rlimit(&s->res, RLIMIT_##N, v, v);       \
	}
RESOURCES_LIMIT_KEYS(RESOURCES_DEFINE_LIMIT)

int opt_oom_score_adjust(struct settings *s, const char *value)
{
	char *end;
	errno = 0;
	long v = strtol(value, &end, 10);
	if (!*value || *end || errno || v < -1000 || v > 1000)
		return option_invalid(value, "expected an integer from -1000 to 1000");
	s->res.proc.set |= HUTCH_PROC_OOM_SCORE;
	s->res.proc.oom_score_adj = (int32_t)v;
	return 0;
}

int opt_cpu_affinity(struct settings *s, const char *value)
{
	if (resources_parse_cpus(value, s->res.proc.cpus) < 0)
		return option_invalid(value, "expected CPU numbers and ranges, like 0-3,6");
	s->res.proc.set |= HUTCH_PROC_AFFINITY;
	return 0;
}

int opt_personality(struct settings *s, const char *value)
{
	/* nspawn: only x86 and x86-64, meaningful on an x86-64 host. */
	if (!strcmp(value, "x86"))
		s->res.proc.personality = PER_LINUX32;
	else if (!strcmp(value, "x86-64"))
		s->res.proc.personality = PER_LINUX;
	else
		return option_invalid(value, "expected x86 or x86-64");
	s->res.proc.set |= HUTCH_PROC_PERSONALITY;
	return 0;
}

bool resources_have_process(const struct resources *r)
{
	return r->proc.set || r->proc.rlimit_set;
}

int opt_keep_unit(struct settings *s, const char *v)
{
	(void)v;
	s->res.keep_unit = true;
	return 0;
}

/* A --keep-unit failure; `what` is "--keep-unit" and the step or hierarchy. */
void resources_keep_unit_error(const char *what, int r)
{
	const char *step = what[11] ? what + 12 : "";
	errno = -r;
	if (!strcmp(step, "busy") && r == -EADDRINUSE)
		log_error("--keep-unit: another hutch --keep-unit container runs in the cgroup hutch "
			  "runs in; give each container its own unit");
	else if (!strcmp(step, "busy"))
		log_error("--keep-unit: the cgroup hutch runs in holds processes other than hutch's, "
			  "so it cannot enable controllers for the container: %m");
	else if (!strcmp(step, "stale"))
		log_error("--keep-unit: cannot remove a stale payload/ or supervisor/ cgroup in the "
			  "cgroup hutch runs in: %m");
	else if (!strcmp(step, "supervisor") || !strcmp(step, "payload"))
		log_error("--keep-unit: cannot set up %s/ in the cgroup hutch runs in: %m", step);
	else if (r == -ENOENT || r == -EXDEV)
		log_error("--keep-unit: cannot find the cgroup hutch runs in on the %s hierarchy", step);
	else
		log_error("--keep-unit: %s cgroup: %m", step[0] ? step : "finding hutch's own");
}

int resources_finish(struct resources *r)
{
	/* What every container gets (nspawn's list); DeviceAllow= adds to it. */
	static const struct hutch_device_rule std[] = {
		{'c', HUTCH_DEV_ACCESS_ALL, {0}, 1, 3},   /* null */
		{'c', HUTCH_DEV_ACCESS_ALL, {0}, 1, 5},   /* zero */
		{'c', HUTCH_DEV_ACCESS_ALL, {0}, 1, 7},   /* full */
		{'c', HUTCH_DEV_ACCESS_ALL, {0}, 1, 8},   /* random */
		{'c', HUTCH_DEV_ACCESS_ALL, {0}, 1, 9},   /* urandom */
		{'c', HUTCH_DEV_ACCESS_ALL, {0}, 5, 0},   /* tty */
		{'c', HUTCH_DEV_READ | HUTCH_DEV_WRITE, {0}, 5, 2}, /* ptmx */
		{'c', HUTCH_DEV_READ | HUTCH_DEV_WRITE, {0}, 136, HUTCH_DEV_ANY}, /* pts, console */
	};
	_Static_assert(ARRAY_SIZE(std) + RESOURCES_MAX_USER_DEVICES <= HUTCH_MAX_DEVICES, "devices");
	if (r->keep_unit && r->slice[0]) {
		log_error("--keep-unit and --slice=%s cannot be used together: with --keep-unit the "
			  "container's cgroup is inside the one hutch runs in",
			  strrchr(r->slice, '/') ? strrchr(r->slice, '/') + 1 : r->slice);
		return -EINVAL;
	}
	strcpy(r->cg.slice, r->slice[0] ? r->slice : "machine.slice");
	if (!r->tasks_max_given) { /* nspawn's default */
		r->cg.set |= BIT(HUTCH_LIMIT_TASKS_MAX);
		r->cg.value[HUTCH_LIMIT_TASKS_MAX] = RESOURCES_DEFAULT_TASKS_MAX;
	}
	r->cg.ndevices = 0;
	for (size_t i = 0; i < ARRAY_SIZE(std); i++)
		r->cg.devices[r->cg.ndevices++] = std[i];
	for (uint32_t i = 0; i < r->n_user_devices; i++)
		r->cg.devices[r->cg.ndevices++] = r->user_devices[i];
	return 0;
}

uint64_t resources_oom_kills(const char *text, size_t len)
{
	for (size_t i = 0; i + 9 <= len; i++)
		if ((i == 0 || text[i - 1] == '\n') && !strncmp(text + i, "oom_kill ", 9))
			return strtoull(text + i + 9, NULL, 10);
	return 0;
}
