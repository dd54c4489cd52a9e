/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * --keep-unit, as systemd-nspawn's: the container's cgroup is made inside
 * the cgroup hutch itself runs in (a service's own unit, a delegated
 * subtree) instead of SLICE/hutch-NAME.scope.
 *
 * Finding that cgroup takes no text and no path from the worker (which
 * could name another tenant's cgroup): a short-lived child enters a new
 * cgroup namespace, whose root is then the broker's own cgroup in every
 * hierarchy, and mounts each hierarchy there with fsopen/fsmount. The root
 * of each detached mount is hutch's own cgroup directory; everything after
 * is relative to it. Each mount must be on the host's hierarchy (same
 * superblock as /sys/fs/cgroup/...), else the start fails.
 *
 * The layout is nspawn's: UNIT/payload holds the container in every
 * hierarchy. On v2 a cgroup that enables controllers for its children may
 * hold no process, so hutch's own processes (monitor and worker) first move
 * to UNIT/supervisor, then the controllers the limits need are enabled in
 * UNIT. The end undoes all of it, so UNIT is left as it was found. A flock
 * on UNIT keeps a second hutch --keep-unit out of the same unit.
 */
#include "broker.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/util.h"

/* Mount options naming each hierarchy. cpu shares one with cpuacct on most
 * hosts, is alone on some: both are tried, the superblock decides. */
static const struct {
	int h;
	const char *opt[2];
} candidates[] = {
	{CG_MEMORY, {"memory"}},   {CG_PIDS, {"pids"}},       {CG_CPU, {"cpu", "cpuacct"}},
	{CG_CPU, {"cpu"}},         {CG_BLKIO, {"blkio"}},     {CG_DEVICES, {"devices"}},
	{CG_CPUSET, {"cpuset"}},   {CG_V2, {NULL}},
};

/* v2 controllers the limits use, and a file each has in a child cgroup
 * exactly when its parent enables it. */
static const struct {
	const char *enable, *disable, *file;
} unit_ctrls[] = {
	{"+memory", "-memory", "memory.max"}, {"+pids", "-pids", "pids.max"},
	{"+cpu", "-cpu", "cpu.weight"},       {"+io", "-io", "io.stat"},
	{"+cpuset", "-cpuset", "cpuset.cpus"},
};

/* For the worker's message: which hierarchy a failure is about. */
static const char *const unit_what[CG_HIER] = {
	[CG_MEMORY] = "--keep-unit memory", [CG_PIDS] = "--keep-unit pids",
	[CG_CPU] = "--keep-unit cpu",       [CG_BLKIO] = "--keep-unit blkio",
	[CG_DEVICES] = "--keep-unit devices", [CG_CPUSET] = "--keep-unit cpuset",
	[CG_V2] = "--keep-unit cgroup2",
};

/* In the child, in its new cgroup namespace: the root of a fresh mount of
 * candidate c's hierarchy, opened for reading, or -errno. */
static int mount_own(size_t c)
{
	int h = candidates[c].h;
	_cleanup_close_ int fs = fsopen(h == CG_V2 ? "cgroup2" : "cgroup", FSOPEN_CLOEXEC);
	if (fs < 0)
		return -errno;
	for (int i = 0; i < 2 && candidates[c].opt[i]; i++)
		if (fsconfig(fs, FSCONFIG_SET_FLAG, candidates[c].opt[i], NULL, 0) < 0)
			return -errno;
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;
	_cleanup_close_ int mnt =
		fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (mnt < 0)
		return -errno;
	int fd = openat(mnt, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* Hutch's own directory in each wanted hierarchy into out[] (-1: not
 * found). The child shares our fd table and replaces a /dev/null slot per
 * hierarchy with what it found; its exit status says which; the broker
 * keeps its own cgroup namespace. */
static int own_dirs(const bool want[CG_HIER], int out[CG_HIER])
{
	for (int h = 0; h < CG_HIER; h++)
		if ((out[h] = want[h] ? open("/dev/null", O_RDONLY | O_CLOEXEC) : -1) < 0 && want[h])
			return -errno;
	pid_t pid = (pid_t)syscall(SYS_clone, CLONE_FILES | SIGCHLD, 0, NULL, NULL, 0);
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		unsigned found = 0;
		if (unshare(CLONE_NEWCGROUP) < 0)
			_exit(0);
		for (size_t c = 0; c < ARRAY_SIZE(candidates); c++) {
			int h = candidates[c].h, fd;
			if (!want[h] || (found & (1u << h)) || (fd = mount_own(c)) < 0)
				continue;
			if (dup3(fd, out[h], O_CLOEXEC) >= 0)
				found |= 1u << h;
			close(fd);
		}
		_exit((int)found);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	unsigned found = WIFEXITED(status) ? (unsigned)WEXITSTATUS(status) : 0;
	for (int h = 0; h < CG_HIER; h++)
		if (!(found & (1u << h)))
			closep(&out[h]);
	return 0;
}

/* pid (0: ourselves) into dir's cgroup.procs. */
static int move(int dir, pid_t pid)
{
	char buf[16];
	int n = snprintf(buf, sizeof buf, "%d", (int)pid);
	_cleanup_close_ int fd = openat(dir, "cgroup.procs", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return write(fd, buf, (size_t)n) == n ? 0 : -errno;
}

static int put_str(int dir, const char *file, const char *s)
{
	_cleanup_close_ int fd = openat(dir, file, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return write(fd, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : -errno;
}

/* v2: monitor and worker to UNIT/supervisor, the controllers on in UNIT
 * (remembering which were off), the container's UNIT/payload. */
static int enter_supervisor(struct cgroup *cg, const char **what)
{
	int unit = cg->unit_fd[CG_V2];
	*what = "--keep-unit supervisor";
	if (mkdirat(unit, "supervisor", 0755) < 0)
		return -errno;
	cg->supervised = true;
	_cleanup_close_ int sup = openat(unit, "supervisor", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sup < 0)
		return -errno;
	int r = move(sup, 0);
	if (r < 0 || (cg->worker > 0 && (r = move(sup, cg->worker)) < 0 && r != -ESRCH))
		return r;
	for (size_t i = 0; cgroup_layout() == CG_UNIFIED && i < ARRAY_SIZE(unit_ctrls); i++) {
		if (faccessat(sup, unit_ctrls[i].file, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			continue; /* on already */
		r = put_str(unit, "cgroup.subtree_control", unit_ctrls[i].enable);
		if (r == -EBUSY) { /* a process other than hutch's in UNIT */
			*what = "--keep-unit busy";
			return r;
		}
		if (r == 0) /* else not delegated to UNIT: the limits it serves fail */
			cg->enabled |= 1u << i;
	}
	*what = "--keep-unit payload";
	if (mkdirat(unit, "payload", 0755) < 0)
		return -errno;
	cg->made[CG_V2] = true;
	cg->fd[CG_V2] = openat(unit, "payload", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return cg->fd[CG_V2] < 0 ? -errno : 0;
}

/* Which hierarchies, hutch's own cgroup in each (checked to be the host's
 * hierarchy), the lock, and stale payload/supervisor of a killed hutch. */
static int find_unit(struct cgroup *cg, unsigned need, int same[CG_HIER], const char **what)
{
	bool want[CG_HIER] = {false};
	dev_t dev[CG_HIER] = {0};
	for (int h = 0; h < CG_HIER; h++) {
		char buf[64];
		struct stat st;
		const char *path = cgroup_root_path(h, buf, sizeof buf, true);
		same[h] = -1;
		if (!path || stat(path, &st) < 0)
			continue;
		dev[h] = st.st_dev;
		for (int k = 0; k < h; k++)
			if (want[k] && dev[k] == st.st_dev)
				same[h] = k; /* co-mounted controllers: one directory */
		want[h] = same[h] < 0 && (h == CG_V2 || (need & (1u << h)));
	}
	int r = own_dirs(want, cg->unit_fd), lock = -1;
	*what = "--keep-unit";
	if (r < 0)
		return r;
	for (int h = CG_HIER - 1; h >= 0; h--) {
		struct stat st;
		if (!want[h])
			continue;
		*what = unit_what[h];
		if (cg->unit_fd[h] < 0)
			return -ENOENT;
		if (fstat(cg->unit_fd[h], &st) < 0 || st.st_dev != dev[h])
			return -EXDEV;
		if (lock < 0)
			lock = h; /* v2 if there is one */
	}
	*what = "--keep-unit busy";
	if (lock < 0)
		return -EOPNOTSUPP;
	/* A root-only lock file named after the unit's directory: a flock on
	 * the cgroupfs directory itself, which anyone may open, could be taken
	 * by any user first. */
	struct stat st;
	if (fstat(cg->unit_fd[lock], &st) < 0)
		return -errno;
	snprintf(cg->unit_lock_name, sizeof cg->unit_lock_name, "%llu-%llu",
		 (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
	if ((cg->unit_lock = lock_name("units", cg->unit_lock_name, false)) < 0)
		return cg->unit_lock;
	*what = "--keep-unit stale";
	for (int h = 0; h < CG_HIER; h++)
		if (cg->unit_fd[h] >= 0 &&
		    ((r = cgroup_remove_tree(cg->unit_fd[h], "payload", 0, false)) < 0 ||
		     (h == CG_V2 && (r = cgroup_remove_tree(cg->unit_fd[h], "supervisor", 0, false)) < 0)))
			return r;
	return 0;
}

int cgroup_create_in_unit(const char *machine, unsigned need, pid_t worker, struct cgroup *cg,
			  const char **what)
{
	int same[CG_HIER];
	*what = "cgroup";
	int r = cgroup_lock_machine(machine, cg);
	if (r < 0)
		return r;
	cg->keep_unit = true;
	cg->worker = worker;
	snprintf(cg->scope, sizeof cg->scope, "payload");
	if ((r = find_unit(cg, need, same, what)) < 0)
		return r;
	for (int h = 0; h < CG_V2; h++) {
		if (same[h] >= 0 && cg->fd[same[h]] >= 0) {
			cg->fd[h] = fcntl(cg->fd[same[h]], F_DUPFD_CLOEXEC, 3);
			continue;
		}
		*what = unit_what[h];
		if (cg->unit_fd[h] >= 0 &&
		    (cg->fd[h] = cgroup_make_dir(cg->unit_fd[h], "payload", h, &cg->made[h])) < 0)
			return cg->fd[h];
	}
	if (cg->unit_fd[CG_V2] >= 0 && (r = enter_supervisor(cg, what)) < 0)
		return r;
	*what = "cgroup";
	return cgroup_open_events(cg);
}

/* v2: the controllers off again, monitor and worker back, supervisor gone. */
static int leave_supervisor(struct cgroup *cg)
{
	int unit = cg->unit_fd[CG_V2], r = 0;
	for (size_t i = 0; i < ARRAY_SIZE(unit_ctrls); i++)
		if (cg->enabled & (1u << i) && (r = put_str(unit, "cgroup.subtree_control", unit_ctrls[i].disable)) < 0)
			return r;
	cg->enabled = 0;
	if ((r = move(unit, 0)) < 0 || (cg->worker > 0 && (r = move(unit, cg->worker)) < 0 && r != -ESRCH))
		return r;
	cg->supervised = false;
	return cgroup_remove_tree(unit, "supervisor", 0, true);
}

void cgroup_unit_remove(struct cgroup *cg)
{
	for (int h = 0; h < CG_HIER; h++) {
		if (cg->unit_fd[h] < 0)
			continue;
		int r = cg->made[h] ? cgroup_remove_tree(cg->unit_fd[h], "payload", 0, true) : 0;
		const char *step = "remove its payload cgroup";
		if (r == 0 && h == CG_V2 && cg->supervised && (r = leave_supervisor(cg)) < 0)
			step = "leave its supervisor cgroup";
		if (r < 0) {
			errno = -r;
			log_error("--keep-unit: cannot %s in hutch's own %s cgroup: %m", step,
				  h == CG_V2 ? "cgroup2" : cgroup_v1_names[h]);
		}
		cg->made[h] = false;
	}
	for (int h = 0; h < CG_HIER; h++)
		closep(&cg->unit_fd[h]);
	if (cg->unit_lock >= 0)
		unlock_name(cg->unit_lock, "units", cg->unit_lock_name);
	cg->unit_lock = -1;
}
