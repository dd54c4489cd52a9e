/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The container's cgroup: SLICE/hutch-NAME.scope under the root of every
 * hierarchy hutch uses, made before the container exists and removed after
 * it is gone. The layout is detected once, by file system magic:
 *  - unified: cgroup2 at /sys/fs/cgroup; controllers enabled down to the slice;
 *  - hybrid: v1 controllers at /sys/fs/cgroup/<name>, cgroup2 without them at
 *    /sys/fs/cgroup/unified (the tree the container's systemd manages);
 *  - legacy: v1 only (limits and the devices controller, no cgroup2 inside;
 *    make check-cgroup1 runs the cgroup tests on it in a VM).
 * A lock on /run/hutch/machines/NAME, held while the container lives, makes
 * machine names unique among running containers and tells a start which
 * hutch-*.scope directories are stale (left by a hutch that was SIGKILLed).
 */
#include "broker.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "../common/util.h"

const char *const cgroup_v1_names[CG_V2] = {
	[CG_MEMORY] = "memory", [CG_PIDS] = "pids",       [CG_CPU] = "cpu",
	[CG_BLKIO] = "blkio",   [CG_DEVICES] = "devices", [CG_CPUSET] = "cpuset",
};

enum cg_layout cgroup_layout(void)
{
	static int layout = -1;
	struct statfs sf;
	if (layout >= 0)
		return (enum cg_layout)layout;
	if (statfs("/sys/fs/cgroup", &sf) < 0)
		layout = CG_NONE;
	else if (sf.f_type == CGROUP2_SUPER_MAGIC)
		layout = CG_UNIFIED;
	else if (statfs("/sys/fs/cgroup/unified", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)
		layout = CG_HYBRID;
	else
		layout = CG_LEGACY;
	return (enum cg_layout)layout;
}

/* Root of hierarchy h on this host, NULL if there is none (`check`: v1
 * roots are checked by magic; removal runs where statfs is not allowed). */
const char *cgroup_root_path(int h, char *buf, size_t n, bool check)
{
	enum cg_layout l = cgroup_layout();
	struct statfs sf;
	if (h == CG_V2)
		return l == CG_UNIFIED ? "/sys/fs/cgroup" : l == CG_HYBRID ? "/sys/fs/cgroup/unified" : NULL;
	if (l != CG_HYBRID && l != CG_LEGACY)
		return NULL;
	snprintf(buf, n, "/sys/fs/cgroup/%s", cgroup_v1_names[h]);
	return !check || (statfs(buf, &sf) == 0 && sf.f_type == CGROUP_SUPER_MAGIC) ? buf : NULL;
}

/* Depth-first rmdir; cgroupfs only lets empty leaves go. A dying cgroup may
 * stay busy for a moment after its last task: `patient` waits up to 2 s. */
int cgroup_remove_tree(int parent, const char *name, int depth, bool patient)
{
	if (depth > 64)
		return -ELOOP;
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_type == DT_DIR && strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			cgroup_remove_tree(dirfd(d), de->d_name, depth + 1, patient);
	closedir(d);
	for (int i = 0; i < (patient ? 200 : 1); i++) {
		if (unlinkat(parent, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -errno;
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	}
	return -EBUSY;
}

/* A v1 cpuset starts with no cpus and mems, and takes no task that way. */
static void cpuset_inherit(int parent, int dir)
{
	static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		char buf[4096];
		_cleanup_close_ int in = openat(parent, files[i], O_RDONLY | O_CLOEXEC);
		_cleanup_close_ int out = openat(dir, files[i], O_WRONLY | O_CLOEXEC);
		ssize_t n = in >= 0 ? read(in, buf, sizeof buf) : -1;
		if (out >= 0 && n > 0)
			(void)!write(out, buf, (size_t)n);
	}
}

/* mkdir and open one level; on pure v2 the parent hands its controllers down. */
int cgroup_make_dir(int parent, const char *name, int h, bool *made)
{
	if (h == CG_V2 && cgroup_layout() == CG_UNIFIED) {
		static const char *const ctrls[] = {"+memory", "+pids", "+cpu", "+io", "+cpuset"};
		_cleanup_close_ int sc = openat(parent, "cgroup.subtree_control", O_WRONLY | O_CLOEXEC);
		for (size_t i = 0; sc >= 0 && i < ARRAY_SIZE(ctrls); i++)
			(void)!write(sc, ctrls[i], strlen(ctrls[i])); /* absent ones fail: fine */
	}
	*made = mkdirat(parent, name, 0755) == 0;
	if (!*made && errno != EEXIST)
		return -errno;
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (*made && h == CG_CPUSET)
		cpuset_inherit(parent, fd);
	return fd;
}

/* The slice directory (nested slices one level each) in hierarchy h. */
static int open_slice(int root, const char *slice, int h)
{
	char buf[HUTCH_SLICE_MAX];
	snprintf(buf, sizeof buf, "%s", slice);
	int fd = fcntl(root, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	for (char *save = NULL, *c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		bool made;
		int next = cgroup_make_dir(fd, c, h, &made);
		close(fd);
		if (next < 0)
			return next;
		fd = next;
	}
	return fd;
}

/* Is there a task in this cgroup or below (one byte of cgroup.procs)? */
static bool tree_busy(int parent, const char *name, int depth)
{
	char c;
	_cleanup_close_ int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int procs = fd >= 0 ? openat(fd, "cgroup.procs", O_RDONLY | O_CLOEXEC) : -1;
	if (procs >= 0 && read(procs, &c, 1) == 1)
		return true;
	if (fd < 0 || depth > 64)
		return depth > 64;
	int dup = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	DIR *d = dup >= 0 ? fdopendir(dup) : NULL;
	if (!d) {
		closep(&dup);
		return false;
	}
	bool busy = false;
	struct dirent *de;
	while (!busy && (de = readdir(d)))
		if (de->d_type == DT_DIR && strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			busy = tree_busy(dirfd(d), de->d_name, depth + 1);
	closedir(d);
	return busy;
}

/* Remove hutch-*.scope directories whose machine lock nobody holds (our
 * own name's is ours, and left alone: it is the running container's). */
static void sweep(int slice_fd, const char *ours)
{
	DIR *d = opendir_dup(slice_fd);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		char name[HUTCH_NAME_MAX + 1];
		size_t len = strlen(de->d_name);
		if (de->d_type != DT_DIR || len < 13 || len - 12 > HUTCH_NAME_MAX ||
		    strncmp(de->d_name, "hutch-", 6) || strcmp(de->d_name + len - 6, ".scope"))
			continue;
		snprintf(name, sizeof name, "%.*s", (int)(len - 12), de->d_name + 6);
		if (!name_is_valid(name))
			continue;
		if (!strcmp(name, ours))
			continue;
		int lock = lock_name("machines", name, false);
		/* A free name is stale unless a task sits anywhere below: that may
		 * be the unit a --keep-unit hutch runs in, whatever its name. (The
		 * lock first: running containers are skipped without a walk.) */
		if (lock >= 0 && !tree_busy(dirfd(d), de->d_name, 0))
			cgroup_remove_tree(dirfd(d), de->d_name, 0, false);
		if (lock >= 0)
			unlock_name(lock, "machines", name);
	}
	closedir(d);
}

void cgroup_init(struct cgroup *cg, const char *machine)
{
	*cg = (struct cgroup){.lock_fd = -1, .events_fd = -1, .unit_lock = -1};
	for (int h = 0; h < CG_HIER; h++)
		cg->fd[h] = cg->unit_fd[h] = -1;
	for (int i = 0; i < CG_EXTRA_MAX; i++)
		cg->xfd[i] = -1;
	snprintf(cg->machine, sizeof cg->machine, "%s", machine);
}

/* The machine name's lock, and a struct with no directories yet. */
int cgroup_lock_machine(const char *machine, struct cgroup *cg)
{
	cgroup_init(cg, machine);
	/* Wait a moment for the name: another start's sweep may hold a stale
	 * name's lock briefly, and a short container of that name may be ending. */
	for (int i = 0; i < 50 && (cg->lock_fd = lock_name("machines", machine, false)) == -EADDRINUSE; i++)
		nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
	return cg->lock_fd < 0 ? cg->lock_fd : 0;
}

/* Is this directory entry of /sys/fs/cgroup a v1 hierarchy that none of
 * devs[0..n) is? Its root, open, if so; else -1. */
static int other_v1_root(DIR *d, const struct dirent *de, const dev_t *devs, size_t n, dev_t *dev)
{
	struct statfs sf;
	struct stat st;
	if (de->d_type != DT_DIR || de->d_name[0] == '.')
		return -1;
	int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && (fstatfs(fd, &sf) < 0 || sf.f_type != CGROUP_SUPER_MAGIC || fstat(fd, &st) < 0)) {
		close(fd);
		return -1;
	}
	if (fd < 0)
		return -1;
	for (size_t k = 0; k < n; k++)
		if (devs[k] == st.st_dev) {
			close(fd);
			return -1;
		}
	*dev = st.st_dev;
	return fd;
}

/* The v1 hierarchies no setting uses beyond the known controllers (freezer,
 * net_cls, perf_event, hugetlb, name=systemd, ...): SLICE/SCOPE in each too.
 * Otherwise the container init stays where hutch's caller is in them, often
 * a hierarchy's root, and a payload with the host's CAP_SYS_ADMIN (no user
 * namespace) could mount one there and write its release_agent. */
int cgroup_create_extra(struct cgroup *cg, const char *slice)
{
	enum cg_layout l = cgroup_layout();
	if (l != CG_HYBRID && l != CG_LEGACY)
		return 0;
	snprintf(cg->xslice, sizeof cg->xslice, "%s", slice);
	snprintf(cg->xscope, sizeof cg->xscope, "hutch-%s.scope", cg->machine);
	dev_t devs[CG_HIER + CG_EXTRA_MAX + 1]; /* + the one looked at */
	size_t ndev = 0, n = 0;
	for (int h = 0; h < CG_HIER; h++) {
		char buf[64];
		struct stat st;
		const char *path = cgroup_root_path(h, buf, sizeof buf, true);
		if (path && stat(path, &st) == 0)
			devs[ndev++] = st.st_dev;
	}
	DIR *d = opendir("/sys/fs/cgroup");
	if (!d)
		return -errno;
	int r = 0;
	struct dirent *de;
	while (r == 0 && (de = readdir(d))) {
		_cleanup_close_ int root = other_v1_root(d, de, devs, ndev, &devs[ndev]);
		if (root < 0)
			continue;
		if (n == CG_EXTRA_MAX || strlen(de->d_name) >= sizeof cg->xname[0]) {
			r = -E2BIG;
			break;
		}
		ndev++;
		memcpy(cg->xname[n], de->d_name, strlen(de->d_name) + 1); /* length checked */
		_cleanup_close_ int sfd = open_slice(root, cg->xslice, -1);
		if (sfd < 0) {
			r = sfd;
			break;
		}
		/* We hold the name: a scope of it is a dead container's (patient: it
		 * may still be dying), or busy, and then refused below. */
		cgroup_remove_tree(sfd, cg->xscope, 0, true);
		cg->xfd[n] = cgroup_make_dir(sfd, cg->xscope, -1, &cg->xmade[n]);
		r = cg->xfd[n] == -EEXIST || (cg->xfd[n] >= 0 && !cg->xmade[n]) ? -EADDRINUSE
		    : cg->xfd[n] < 0 ? cg->xfd[n] : 0;
		n++;
	}
	closedir(d);
	return r;
}

int cgroup_create(const char *machine, const char *slice, unsigned need, struct cgroup *cg)
{
	int r = cgroup_lock_machine(machine, cg);
	if (r < 0)
		return r;
	snprintf(cg->slice, sizeof cg->slice, "%s", slice);
	snprintf(cg->scope, sizeof cg->scope, "hutch-%s.scope", machine);
	dev_t seen[CG_HIER];
	for (int h = 0; h < CG_HIER; h++) {
		/* Only the v1 hierarchies the settings use: joining each costs the
		 * container init an RCU grace period. */
		if (h != CG_V2 && !(need & (1u << h)))
			continue;
		char buf[64];
		struct stat st;
		const char *path = cgroup_root_path(h, buf, sizeof buf, true);
		_cleanup_close_ int root = path ? open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
		if (root < 0 || fstat(root, &st) < 0)
			continue;
		seen[h] = st.st_dev;
		int same = -1; /* co-mounted controllers (cpu,cpuacct): one directory */
		for (int k = 0; k < h; k++)
			if (cg->fd[k] >= 0 && seen[k] == st.st_dev)
				same = k;
		if (same >= 0) {
			cg->fd[h] = fcntl(cg->fd[same], F_DUPFD_CLOEXEC, 3);
			continue;
		}
		_cleanup_close_ int sfd = open_slice(root, slice, h);
		if (sfd < 0)
			return sfd;
		/* Other dead containers' scopes are swept once ours runs
		 * (cgroup_sweep_stale); one of our name, which we hold, goes now. */
		cgroup_remove_tree(sfd, cg->scope, 0, true);
		if ((cg->fd[h] = cgroup_make_dir(sfd, cg->scope, h, &cg->made[h])) < 0)
			return cg->fd[h] == -EEXIST ? -EADDRINUSE : cg->fd[h];
		if (!cg->made[h])
			return -EADDRINUSE; /* still there: processes in it */
	}
	return cgroup_open_events(cg);
}

/* Sweep SLICE in the hierarchy mounted at `name` under `dir`, unless it is
 * one seen already (co-mounted controllers: one hierarchy, two names). */
static void sweep_hierarchy(int dir, const char *name, dev_t *seen, size_t *n, size_t max,
			    const char *slice, const char *ours)
{
	struct statfs sf;
	struct stat st;
	_cleanup_close_ int root = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (root < 0 || fstatfs(root, &sf) < 0 || fstat(root, &st) < 0 ||
	    (sf.f_type != CGROUP_SUPER_MAGIC && sf.f_type != CGROUP2_SUPER_MAGIC))
		return;
	for (size_t k = 0; k < *n; k++)
		if (seen[k] == st.st_dev)
			return;
	if (*n == max)
		return;
	seen[(*n)++] = st.st_dev;
	_cleanup_close_ int sfd = openat(root, slice, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sfd >= 0)
		sweep(sfd, ours);
}

/* Scopes of dead containers (hutch SIGKILLed) in SLICE of every hierarchy:
 * run by the monitor once the container init exists, beside its set-up and
 * not before it. A name is stale only if its lock is free and no task sits
 * in its tree. */
void cgroup_sweep_stale(const char *slice, const char *ours)
{
	DIR *d = opendir("/sys/fs/cgroup");
	if (!d)
		return;
	dev_t seen[64];
	size_t n = 0;
	/* Pure v2: /sys/fs/cgroup itself; else its subdirectories (unified, v1). */
	sweep_hierarchy(dirfd(d), ".", seen, &n, ARRAY_SIZE(seen), slice, ours);
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_type == DT_DIR && de->d_name[0] != '.')
			sweep_hierarchy(dirfd(d), de->d_name, seen, &n, ARRAY_SIZE(seen), slice, ours);
	closedir(d);
}

/* The OOM counter file the worker reads after the container ends. */
int cgroup_open_events(struct cgroup *cg)
{
	if (cg->fd[CG_V2] >= 0 && cgroup_layout() == CG_UNIFIED)
		cg->events_fd = openat(cg->fd[CG_V2], "memory.events", O_RDONLY | O_CLOEXEC);
	else if (cg->fd[CG_MEMORY] >= 0)
		cg->events_fd = openat(cg->fd[CG_MEMORY], "memory.oom_control", O_RDONLY | O_CLOEXEC);
	if (cg->events_fd < 0)
		cg->events_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return cg->events_fd < 0 ? -errno : 0;
}

/* In the container init, first thing: CLONE_INTO_CGROUP covers v2 only.
 * "tasks" moves just this thread, which is all of us here (single-threaded,
 * before any fork); "cgroup.procs" would take the kernel's threadgroup
 * rwsem for writing, which waits out an RCU grace period (8-16 ms). */
static int join(int dir)
{
	_cleanup_close_ int fd = dir >= 0 ? openat(dir, "tasks", O_WRONLY | O_CLOEXEC) : -1;
	return dir < 0 ? 0 : fd < 0 || write(fd, "0", 1) != 1 ? -errno : 0;
}

int cgroup_join_v1(const struct cgroup *cg)
{
	int r = 0;
	for (int h = 0; h < CG_V2 && r == 0; h++)
		r = join(cg->fd[h]);
	for (int i = 0; i < CG_EXTRA_MAX && r == 0; i++)
		r = join(cg->xfd[i]);
	return r;
}

/* The files a delegated cgroup's owner needs (systemd's list for v2). */
int cgroup_delegate(struct cgroup *cg, uint32_t uid)
{
	/* Bounds first (these files stay root's): a tree deeper than
	 * cgroup_remove_tree goes, or without end, would outlive the container. */
	static const char *const bounds[][2] = {{"cgroup.max.depth", "32"},
						{"cgroup.max.descendants", "16384"}};
	for (size_t i = 0; i < ARRAY_SIZE(bounds); i++) {
		_cleanup_close_ int fd = openat(cg->fd[CG_V2], bounds[i][0], O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, bounds[i][1], strlen(bounds[i][1])) < 0)
			return -errno;
	}
	static const char *const files[] = {"", "cgroup.procs", "cgroup.threads",
					    "cgroup.subtree_control"};
	for (size_t i = 0; i < ARRAY_SIZE(files); i++)
		if (fchownat(cg->fd[CG_V2], files[i], uid, uid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0 &&
		    errno != ENOENT)
			return -errno;
	return 0;
}

void cgroup_close(struct cgroup *cg)
{
	for (int h = 0; h < CG_HIER; h++)
		closep(&cg->fd[h]);
	for (int i = 0; i < CG_EXTRA_MAX; i++) {
		closep(&cg->xfd[i]);
		cg->xfd[i] = -1;
	}
	closep(&cg->events_fd);
	for (int h = 0; h < CG_HIER; h++)
		cg->fd[h] = -1;
	cg->events_fd = -1;
}

void cgroup_close_unit(struct cgroup *cg)
{
	cgroup_close(cg);
	for (int h = 0; h < CG_HIER; h++)
		closep(&cg->unit_fd[h]);
	closep(&cg->unit_lock); /* (the monitor's copy holds the lock) */
	cg->unit_lock = -1;
}

/* SLICE/SCOPE below the hierarchy root at path. */
static void remove_scope(const char *path, const char *slice, const char *scope)
{
	_cleanup_close_ int root = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int sfd = root >= 0 ? openat(root, slice, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	int r = sfd >= 0 ? cgroup_remove_tree(sfd, scope, 0, true) : 0;
	if (r < 0) {
		errno = -r;
		log_error("cannot remove cgroup %s/%s/%s: %m", path, slice, scope);
	}
}

void cgroup_remove(struct cgroup *cg)
{
	cgroup_close(cg);
	if (cg->keep_unit)
		cgroup_unit_remove(cg);
	for (int h = 0; h < CG_HIER; h++) {
		char buf[64];
		const char *path = cg->made[h] ? cgroup_root_path(h, buf, sizeof buf, false) : NULL;
		if (path)
			remove_scope(path, cg->slice, cg->scope);
		cg->made[h] = false;
	}
	for (int i = 0; i < CG_EXTRA_MAX; i++) {
		char path[64];
		snprintf(path, sizeof path, "/sys/fs/cgroup/%s", cg->xname[i]);
		if (cg->xmade[i])
			remove_scope(path, cg->xslice, cg->xscope);
		cg->xmade[i] = false;
	}
	if (cg->lock_fd >= 0)
		unlock_name(cg->lock_fd, "machines", cg->machine);
	cg->lock_fd = -1;
}
