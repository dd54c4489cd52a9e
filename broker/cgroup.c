/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The container's own cgroup in the v2 hierarchy: /sys/fs/cgroup on pure v2
 * hosts, /sys/fs/cgroup/unified on hybrid ones. Pure v1 hosts run the
 * container in hutch's cgroup (best effort; limits are a later layer).
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

static const char *v2_root(void)
{
	static const char *const candidates[] = {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"};
	for (size_t i = 0; i < ARRAY_SIZE(candidates); i++) {
		struct statfs sf;
		if (statfs(candidates[i], &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)
			return candidates[i];
	}
	return NULL;
}

/* Depth-first rmdir; cgroupfs only lets empty leaves go. */
static int remove_tree(int parent, const char *name, int depth)
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
			remove_tree(dirfd(d), de->d_name, depth + 1);
	closedir(d);
	/* A dying cgroup may stay busy for a moment after its last task. */
	for (int i = 0; i < 200; i++) {
		if (unlinkat(parent, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -errno;
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	return -EBUSY;
}

int cgroup_create(const char *machine, struct cgroup *cg)
{
	cg->fd = -1;
	cg->path[0] = '\0';
	const char *root = v2_root();
	if (!root)
		return -ENOENT;
	char slice[128];
	snprintf(slice, sizeof slice, "%s/machine.slice", root);
	if (mkdir(slice, 0755) < 0 && errno != EEXIST)
		return -errno;
	snprintf(cg->path, sizeof cg->path, "%s/hutch-%s.scope", slice, machine);
	if (mkdir(cg->path, 0755) < 0) {
		if (errno != EEXIST)
			return -errno;
		/* Left over by a hutch that was SIGKILLed: remove it if it is empty,
		 * otherwise that machine is running. */
		_cleanup_close_ int sfd = open(slice, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (sfd < 0)
			return -errno;
		if (remove_tree(sfd, strrchr(cg->path, '/') + 1, 0) < 0)
			return -EADDRINUSE;
		if (mkdir(cg->path, 0755) < 0)
			return errno == EEXIST ? -EADDRINUSE : -errno;
	}
	cg->fd = open(cg->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg->fd < 0) {
		int r = -errno;
		rmdir(cg->path);
		return r;
	}
	return 0;
}

/* The files a delegated cgroup's owner needs (systemd's list for v2). */
int cgroup_delegate(struct cgroup *cg, uint32_t uid)
{
	static const char *const files[] = {"", "cgroup.procs", "cgroup.threads",
					    "cgroup.subtree_control"};
	for (size_t i = 0; i < ARRAY_SIZE(files); i++)
		if (fchownat(cg->fd, files[i], uid, uid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0 &&
		    errno != ENOENT)
			return -errno;
	return 0;
}

void cgroup_remove(struct cgroup *cg)
{
	if (!cg->path[0])
		return;
	if (cg->fd >= 0)
		close(cg->fd);
	cg->fd = -1;
	char parent[sizeof cg->path];
	snprintf(parent, sizeof parent, "%s", cg->path);
	char *slash = strrchr(parent, '/');
	*slash = '\0';
	int pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd >= 0) {
		int r = remove_tree(pfd, slash + 1, 0);
		if (r < 0) {
			errno = -r;
			log_error("cannot remove cgroup %s: %m", cg->path);
		}
		close(pfd);
	}
	cg->path[0] = '\0';
}
