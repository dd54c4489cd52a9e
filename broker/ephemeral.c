/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * -x/--ephemeral: the container runs on a copy that goes away with it.
 *  - btrfs subvolume: a snapshot next to the root, ".#NAME.hutch-ephemeral-
 *    RANDOM", flock'ed by a small reaper process that deletes it once the
 *    monitor is gone (normal exit, SIGTERM, even SIGKILL of hutch). A
 *    snapshot whose lock nobody holds is a leftover (the reaper was killed
 *    too, or the host crashed): the next --ephemeral start removes it.
 *  - anything else: an overlay with the root as its lower layer and a
 *    tmpfs upper layer, made in the container's mount namespace. Nothing
 *    is written to disk, so nothing is left to clean.
 */
#include "broker.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/btrfs.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/util.h"

#define SNAP_TAG ".hutch-ephemeral-"
#define SUBVOL_ROOT_INO 256 /* BTRFS_FIRST_FREE_OBJECTID */

bool btrfs_is_subvolume(int fd)
{
	struct statfs sfs;
	struct stat st;
	return fstatfs(fd, &sfs) == 0 && sfs.f_type == BTRFS_SUPER_MAGIC && fstat(fd, &st) == 0 &&
	       st.st_ino == SUBVOL_ROOT_INO && S_ISDIR(st.st_mode);
}

int btrfs_snapshot(int src_fd, int parent, const char *name)
{
	_cleanup_close_ int src = openat(src_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct btrfs_ioctl_vol_args_v2 args = {.fd = src};
	if (src < 0)
		return -errno;
	if (strlen(name) >= sizeof args.name)
		return -ENAMETOOLONG;
	strcpy(args.name, name);
	return ioctl(parent, BTRFS_IOC_SNAP_CREATE_V2, &args) < 0 ? -errno : 0;
}

int btrfs_destroy(int parent, int fd)
{
	if (!btrfs_is_subvolume(fd))
		return -EINVAL;
	struct btrfs_ioctl_ino_lookup_args id = {.objectid = SUBVOL_ROOT_INO};
	if (ioctl(fd, BTRFS_IOC_INO_LOOKUP, &id) < 0)
		return -errno;
	struct btrfs_ioctl_vol_args_v2 args = {.flags = BTRFS_SUBVOL_SPEC_BY_ID,
					       .subvolid = id.treeid};
	return ioctl(parent, BTRFS_IOC_SNAP_DESTROY_V2, &args) < 0 ? -errno : 0;
}

static int destroy_entry(int parent, const char *name, int fd)
{
	return btrfs_destroy(parent, fd);
}

/* Split "/a/b/c" into an open parent directory ("/a/b" in dir) and "c". */
int open_parent(const char *path, int *parent, char name[256], char dir[HUTCH_PATH_MAX])
{
	snprintf(dir, HUTCH_PATH_MAX, "%s", path);
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		dir[--n] = '\0';
	char *slash = strrchr(dir, '/');
	if (!slash || strlen(slash + 1) > 255 || !strcmp(slash + 1, "..") ||
	    !strcmp(slash + 1, ".") || !slash[1])
		return -EINVAL;
	strcpy(name, slash + 1);
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	*parent = openat2_fd(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY, RESOLVE_NO_MAGICLINKS);
	return *parent < 0 ? *parent : 0;
}

/* Entries of `parent` named `prefix` + 16 hex digits whose lock nobody
 * holds: left by a hutch that was killed (its reaper or copy child too). */
void sweep_stale(int parent, const char *prefix, int (*drop)(int parent, const char *name, int fd))
{
	DIR *d = opendir_dup(parent);
	if (!d)
		return;
	size_t n = strlen(prefix);
	for (struct dirent *de; (de = readdir(d));) {
		const char *tail = de->d_name + n;
		if (strncmp(de->d_name, prefix, n) || strlen(tail) != 16 ||
		    strspn(tail, "0123456789abcdef") != 16)
			continue;
		_cleanup_close_ int s = openat(parent, de->d_name,
					       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (s >= 0 && flock(s, LOCK_EX | LOCK_NB) == 0)
			(void)drop(parent, de->d_name, s);
	}
	closedir(d);
}

/*
 * The reaper: holds the snapshot's lock and waits for the monitor's end of
 * a pipe to close, then deletes the snapshot. A subvolume that is still a
 * mount point in a dying container's namespace is busy for a moment.
 */
static _Noreturn void reaper(int parent, int snap, int wait_fd, const char *name)
{
	prctl(PR_SET_NAME, "hutch-reaper");
	if (dup2(parent, 3) < 0 || dup2(snap, 4) < 0 || dup2(wait_fd, 5) < 0)
		_exit(1);
	close_range(6, ~0U, 0);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0)
		dup2(null, 0), dup2(null, 1), close(null);
	char b;
	while (read(5, &b, 1) < 0 && errno == EINTR)
		;
	for (int i = 0; i < 200; i++) {
		int r = btrfs_destroy(3, 4);
		if (r != -EBUSY)
			_exit(r == 0 || r == -ENOENT ? 0 : 1);
		usleep(50 * 1000);
	}
	_exit(1);
}

int ephemeral_snapshot(int root_fd, const char *path, struct ephemeral *e, const char **what)
{
	*what = "snapshot";
	if (!btrfs_is_subvolume(root_fd))
		return -EOPNOTSUPP;
	char base[256], name[300], dir[HUTCH_PATH_MAX];
	_cleanup_close_ int parent = -1;
	int r = open_parent(path, &parent, base, dir);
	if (r < 0)
		return r;
	/* The path must still name the subvolume we checked. */
	struct stat a, b;
	if (fstat(root_fd, &a) < 0 || fstatat(parent, base, &b, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		return -ESTALE;
	snprintf(name, sizeof name, ".#%s" SNAP_TAG, base);
	sweep_stale(parent, name, destroy_entry);
	uint64_t rnd;
	if (getrandom(&rnd, sizeof rnd, 0) != sizeof rnd)
		return -EIO;
	if ((size_t)snprintf(name, sizeof name, ".#%s" SNAP_TAG "%016llx", base,
			     (unsigned long long)rnd) > 255)
		return -ENAMETOOLONG;
	if ((size_t)snprintf(e->path, sizeof e->path, "%s%s%s", dir, dir[1] ? "/" : "", name) >=
	    sizeof e->path)
		return -ENAMETOOLONG;
	if ((r = btrfs_snapshot(root_fd, parent, name)) < 0)
		return r;
	int pipefd[2] = {-1, -1};
	_cleanup_close_ int snap = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (snap < 0 || flock(snap, LOCK_EX | LOCK_NB) < 0 || pipe2(pipefd, O_CLOEXEC) < 0) {
		r = -errno;
		if (snap >= 0)
			btrfs_destroy(parent, snap);
		return r;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(pipefd[1]);
		reaper(parent, snap, pipefd[0], name);
	}
	close(pipefd[0]);
	if (pid < 0) {
		r = -errno;
		close(pipefd[1]);
		btrfs_destroy(parent, snap);
		return r;
	}
	e->reaper = pid;
	e->reaper_pipe = pipefd[1];
	e->fd = steal_fd(snap);
	return 0;
}

void ephemeral_release(struct ephemeral *e)
{
	if (e->reaper <= 0)
		return;
	closep(&e->reaper_pipe);
	e->reaper_pipe = -1;
	siginfo_t si;
	while (waitid(P_PID, (id_t)e->reaper, &si, WEXITED) < 0 && errno == EINTR)
		;
	e->reaper = 0;
}

/*
 * In the container's mount namespace: `lower` (a detached tree) under a
 * fresh tmpfs. The layers are named by /proc/self/fd paths, so nothing is
 * resolved by a name the container could influence. The upper root takes
 * the lower root's owner and mode, so "/" looks the same as without -x.
 */
int overlay_on_tmpfs(int lower, int *out)
{
	_cleanup_close_ int fsfd = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fsfd < 0)
		return -errno;
	if (fsconfig(fsfd, FSCONFIG_SET_STRING, "mode", "0755", 0) < 0 ||
	    fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;
	_cleanup_close_ int tmp = fsmount(fsfd, FSMOUNT_CLOEXEC, MOUNT_ATTR_NODEV);
	struct stat st;
	if (tmp < 0 || fstat(lower, &st) < 0)
		return -errno;
	if (mkdirat(tmp, "upper", 0755) < 0 || mkdirat(tmp, "work", 0700) < 0)
		return -errno;
	_cleanup_close_ int upper = openat(tmp, "upper", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int work = openat(tmp, "work", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (upper < 0 || work < 0 || fchown(upper, st.st_uid, st.st_gid) < 0 ||
	    fchmod(upper, st.st_mode & 07777) < 0)
		return -errno;
	_cleanup_close_ int ovl = fsopen("overlay", FSOPEN_CLOEXEC);
	if (ovl < 0)
		return -errno;
	const struct {
		const char *key;
		int fd;
	} layers[] = {{"lowerdir", lower}, {"upperdir", upper}, {"workdir", work}};
	for (size_t i = 0; i < ARRAY_SIZE(layers); i++) {
		char p[64];
		snprintf(p, sizeof p, "/proc/self/fd/%d", layers[i].fd);
		if (fsconfig(ovl, FSCONFIG_SET_STRING, layers[i].key, p, 0) < 0)
			return -errno;
	}
	if (fsconfig(ovl, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;
	*out = fsmount(ovl, FSMOUNT_CLOEXEC, 0);
	return *out < 0 ? -errno : 0;
}
