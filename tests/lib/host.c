/* Host-side checks of the test harness (see harness.h): leftovers and processes. */
#include "harness.h"
#include "harness_internal.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

/* ---- host snapshots ------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_add(char ***list, size_t *n, const char *s)
{
	char **nl = realloc(*list, (*n + 1) * sizeof(**list));
	cr_assert(nl != NULL, "out of memory");
	nl[(*n)++] = xstrdup(s);
	*list = nl;
}

static void list_free(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

static void snap_mounts(struct host_snapshot *s)
{
	char *mi = read_file_str("/proc/self/mountinfo");
	cr_assert(mi != NULL, "cannot read /proc/self/mountinfo");
	for (char *line = strtok(mi, "\n"); line; line = strtok(NULL, "\n")) {
		/* id parent major:minor root MOUNTPOINT ... */
		char *f = line;
		for (int i = 0; i < 4 && f; i++) {
			f = strchr(f, ' ');
			if (f)
				f++;
		}
		if (!f)
			continue;
		char *end = strchr(f, ' ');
		if (end)
			*end = '\0';
		/* bpffs, which the first start mounts if the host has none (as
		 * systemd does at boot) and leaves there on purpose. */
		if (!strcmp(f, "/sys/fs/bpf"))
			continue;
		list_add(&s->mounts, &s->n_mounts, f);
	}
	free(mi);
}

static void snap_glob(char ***list, size_t *n, const char *pattern, bool dirs_only)
{
	glob_t g;
	if (glob(pattern, dirs_only ? GLOB_ONLYDIR : 0, NULL, &g) != 0)
		return;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct stat st;
		if (strstr(g.gl_pathv[i], BOOT_MACHINE_PREFIX))
			continue; /* boot tests run beside the leak checks */
		if (dirs_only && (lstat(g.gl_pathv[i], &st) != 0 || !S_ISDIR(st.st_mode)))
			continue;
		list_add(list, n, g.gl_pathv[i]);
	}
	globfree(&g);
}

static void snap_fill(struct host_snapshot *s)
{
	memset(s, 0, sizeof(*s));
	snap_mounts(s);
	/* machine.slice of a unified layout, of the hybrid "unified" mount, and
	 * of each v1 controller. */
	snap_glob(&s->cgroups, &s->n_cgroups, "/sys/fs/cgroup/machine.slice/hutch-*", true);
	snap_glob(&s->cgroups, &s->n_cgroups, "/sys/fs/cgroup/*/machine.slice/hutch-*", true);
	/* machine name locks go with their cgroups */
	snap_glob(&s->cgroups, &s->n_cgroups, "/run/hutch/machines/*", false);
	snap_glob(&s->tmp, &s->n_tmp, "/tmp/hutch*", false);
	/* qsort(NULL, 0, ...) is undefined behaviour (UBSan says so). */
	if (s->n_mounts)
		qsort(s->mounts, s->n_mounts, sizeof(char *), cmp_str);
	if (s->n_cgroups)
		qsort(s->cgroups, s->n_cgroups, sizeof(char *), cmp_str);
	if (s->n_tmp)
		qsort(s->tmp, s->n_tmp, sizeof(char *), cmp_str);
}

void host_snapshot_take(struct host_snapshot *s)
{
	lock_take(LOCK_EX);
	snap_fill(s);
}

void host_snapshot_free(struct host_snapshot *s)
{
	list_free(s->mounts, s->n_mounts);
	list_free(s->cgroups, s->n_cgroups);
	list_free(s->tmp, s->n_tmp);
	memset(s, 0, sizeof(*s));
}

/* Appends "what: +x -y" differences of two sorted lists to msg. */
static bool list_diff(char **msg, size_t *mlen, const char *what, char **a, size_t na,
		      char **b, size_t nb)
{
	bool same = true;
	size_t i = 0, j = 0;
	while (i < na || j < nb) {
		int c = i >= na ? 1 : j >= nb ? -1 : strcmp(a[i], b[j]);
		if (c == 0) {
			i++;
			j++;
			continue;
		}
		same = false;
		const char *item = c < 0 ? a[i++] : b[j++];
		char line[PATH_MAX + 64];
		snprintf(line, sizeof(line), " %s %s: %s;", c < 0 ? "vanished" : "leaked", what, item);
		buf_append(msg, mlen, line, strlen(line));
	}
	return same;
}

void host_snapshot_assert_same(const struct host_snapshot *before)
{
	long long deadline = now_ms() + 2000;
	for (;;) {
		struct host_snapshot now;
		snap_fill(&now);
		char *msg = calloc(1, 1);
		size_t mlen = 0;
		bool same = list_diff(&msg, &mlen, "mount", before->mounts, before->n_mounts,
				      now.mounts, now.n_mounts);
		same &= list_diff(&msg, &mlen, "cgroup", before->cgroups, before->n_cgroups,
				  now.cgroups, now.n_cgroups);
		same &= list_diff(&msg, &mlen, "tmp entry", before->tmp, before->n_tmp, now.tmp,
				  now.n_tmp);
		host_snapshot_free(&now);
		if (same || now_ms() >= deadline) {
			cr_assert(same, "host state changed:%s", msg);
			free(msg);
			return;
		}
		free(msg);
		usleep(100000);
	}
}

/* ---- processes ------------------------------------------------------------ */

static bool same_pidns(pid_t a, pid_t b)
{
	char pa[64], pb[64], la[64] = "", lb[64] = "";
	snprintf(pa, sizeof(pa), "/proc/%d/ns/pid", (int)a);
	snprintf(pb, sizeof(pb), "/proc/%d/ns/pid", (int)b);
	ssize_t na = readlink(pa, la, sizeof(la) - 1);
	ssize_t nb = readlink(pb, lb, sizeof(lb) - 1);
	return na > 0 && nb > 0 && strcmp(la, lb) == 0;
}

size_t find_children(pid_t parent, pid_t *out, size_t max)
{
	DIR *d = opendir("/proc");
	if (!d)
		return 0;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < max) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		char path[64];
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		char *st = read_file_str(path);
		if (!st)
			continue;
		char *rp = strrchr(st, ')');
		char state;
		int ppid = -1;
		if (rp && sscanf(rp + 1, " %c %d", &state, &ppid) == 2 && ppid == parent)
			out[n++] = (pid_t)pid;
		free(st);
	}
	closedir(d);
	return n;
}

pid_t find_child_with_uid_not(pid_t parent, uid_t uid)
{
	pid_t kids[256], found = 0;
	size_t n = find_children(parent, kids, 256);
	for (size_t i = 0; i < n; i++) {
		char *u = proc_status_field(kids[i], "Uid");
		if (!u)
			continue;
		unsigned long ruid = strtoul(u, NULL, 10);
		free(u);
		if (ruid == uid)
			continue;
		if (same_pidns(kids[i], parent))
			return kids[i];
		if (!found)
			found = kids[i];
	}
	return found;
}
