/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * User-requested mounts (--bind, --tmpfs, --overlay, --inaccessible) and the
 * root's mode (--read-only, --volatile=). The worker parsed the text; here
 * every path is opened by fd without following a symlink anywhere: host
 * sources with openat2(RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS),
 * container paths with RESOLVE_IN_ROOT on top. Missing mount points are
 * created one component at a time with openat/mkdirat on fds, as the
 * container's root user, never by re-walking a path. Nothing is mounted on
 * procfs, sysfs or cgroupfs (runc CVE-2019-19921/CVE-2025-52565 family).
 */
#include "broker.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../common/util.h"

#define RESOLVE_HOST (RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS)
#define CLONE_FLAGS (OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH)
#define MOVE_FLAGS (MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH)

static int inaccessible_dir = -1; /* /run/host/inaccessible, set up with /run */

/* An O_PATH fd must not name a symlink (O_NOFOLLOW returns the link itself). */
static int check_kind(int fd, bool want_dir)
{
	struct stat st;
	int r = fstat(fd, &st) < 0 ? -errno
		: S_ISLNK(st.st_mode) ? -ELOOP
		: want_dir && !S_ISDIR(st.st_mode) ? -ENOTDIR : 0;
	if (r < 0)
		close(fd);
	return r < 0 ? r : fd;
}

/* root < 0: a host path; else a path inside the container root. */
static int open_safe(int root, const char *path, int flags)
{
	int fd = openat2_fd(root >= 0 ? root : AT_FDCWD, path, (flags & ~O_DIRECTORY) | O_NOFOLLOW,
			    RESOLVE_HOST | (root >= 0 ? RESOLVE_IN_ROOT : 0));
	return fd < 0 ? fd : check_kind(fd, flags & O_DIRECTORY);
}

static uint32_t owner_of(const struct container_args *a)
{
	return a->userns.fd >= 0 ? a->userns.base : 0;
}

/* Kernel API file systems are never a mount target (or a place to mkdir). */
static int fs_allowed(int fd)
{
	struct statfs sf;
	if (fstatfs(fd, &sf) < 0)
		return -errno;
	if (sf.f_type == PROC_SUPER_MAGIC || sf.f_type == SYSFS_MAGIC ||
	    sf.f_type == CGROUP2_SUPER_MAGIC || sf.f_type == CGROUP_SUPER_MAGIC)
		return -EPERM;
	return 0;
}

/* Create `name` in dir (O_PATH fd) as the container's root, then open it. */
static int create_in(int dir, const char *name, bool is_dir, uint32_t owner)
{
	int r = fs_allowed(dir);
	/* fsuid = the container's root: its permissions, its ownership. */
	if (r < 0 || (r = create_entry(dir, name, is_dir, owner)) < 0)
		return r;
	int fd = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/*
 * The mount point `path` (canonical, absolute) inside the root, created with
 * its parents when missing. Each component is opened O_NOFOLLOW from its
 * parent's fd: a symlink anywhere is ELOOP, a non-directory parent ENOTDIR.
 */
static int make_target(int root, const char *path, bool is_dir, uint32_t owner)
{
	int fd = fcntl(root, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	for (const char *p = path + 1; *p;) {
		const char *end = strchrnul(p, '/');
		char name[256];
		if ((size_t)(end - p) >= sizeof name) {
			close(fd);
			return -ENAMETOOLONG;
		}
		memcpy(name, p, (size_t)(end - p));
		name[end - p] = '\0';
		bool last = !*end;
		/* Nothing below /proc, /sys or a cgroup fs, even where a mask's
		 * mount (a /dev/null bind) sits on the last component. */
		int r = fs_allowed(fd);
		if (r < 0) {
			close(fd);
			return r;
		}
		int next = openat(fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT)
			next = create_in(fd, name, !last || is_dir, owner);
		else if (next < 0)
			next = -errno;
		close(fd);
		if (next < 0 || (fd = check_kind(next, !last || is_dir)) < 0)
			return next < 0 ? next : fd;
		p = last ? end : end + 1;
	}
	int r = fs_allowed(fd);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

static int attach_at(int tree, int root, const char *target, bool is_dir, uint32_t owner)
{
	_cleanup_close_ int tfd = make_target(root, target, is_dir, owner);
	if (tfd < 0)
		return tfd;
	return move_mount(tree, "", tfd, "", MOVE_FLAGS) < 0 ? -errno : 0;
}

static int set_attrs(int tree, uint64_t attrs, bool recursive)
{
	struct mount_attr a = {.attr_set = attrs};
	return mount_setattr(tree, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &a,
			     sizeof a) < 0 ? -errno : 0;
}

static bool restricted(const struct container_args *a)
{
	return a->grant && a->grant->kind != HUTCH_GRANT_ALL;
}

/* Host paths only where the admin policy's Bind=/BindReadOnly= allow
 * (by identity: `dir` is a directory fd, the source or its parent). */
static int grant_ok(const struct container_args *a, int dir, bool rw)
{
	const struct hutch_grant *g = a->grant;
	if (!g || g->kind == HUTCH_GRANT_ALL)
		return 0;
	if (g->kind != HUTCH_GRANT_RULE)
		return -EACCES;
	return grant_path_ok(g->binds, g->n_binds, rw ? HUTCH_GRANT_PATH_RW : 0, dir);
}

/* A host source: its parent directory opened without symlinks, the last
 * component beneath it, and the grant checked on the directory it is or is in. */
static int open_host_source(const struct container_args *a, const char *path, bool rw)
{
	char parent[HUTCH_PATH_MAX];
	const char *name = path_split(path, parent, sizeof parent);
	if (!name)
		return -ENAMETOOLONG;
	_cleanup_close_ int dir = open_safe(-1, parent, O_PATH | O_DIRECTORY);
	if (dir < 0)
		return dir;
	int fd = openat(dir, name[0] ? name : ".", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if ((fd = check_kind(fd, false)) < 0)
		return fd;
	struct stat st;
	int r = fstat(fd, &st) < 0 ? -errno : grant_ok(a, S_ISDIR(st.st_mode) ? fd : dir, rw);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

static int do_bind(const struct container_args *a, int root, const struct hutch_mount_bind *b,
		   const char **what)
{
	bool rec = b->flags & HUTCH_BIND_RECURSIVE;
	*what = "source";
	_cleanup_close_ int src = b->flags & HUTCH_BIND_SOURCE_IN_ROOT
					  ? open_safe(root, b->source, O_PATH)
					  : open_host_source(a, b->source, !(b->flags & HUTCH_BIND_RO));
	if (src < 0)
		return src;
	/* A kernel file system of the container is no source: a non-recursive
	 * clone of its /proc would drop the masks and read-only submounts. (The
	 * host's own /proc bound on purpose is root's choice, as in nspawn.) */
	int r = (b->flags & HUTCH_BIND_SOURCE_IN_ROOT) || restricted(a) ? fs_allowed(src) : 0;
	if (r < 0)
		return r;
	struct stat st;
	if (fstat(src, &st) < 0)
		return -errno;
	_cleanup_close_ int tree = open_tree(src, "", CLONE_FLAGS | (rec ? AT_RECURSIVE : 0));
	if (tree < 0)
		return -errno;
	if (b->flags & HUTCH_BIND_IDMAP) {
		*what = "idmap";
		if (a->userns.fd < 0)
			return -EINVAL;
		/* The container's root would write there as the source's on-disk
		 * owner: host root for root's files, setuid bits included. */
		if (restricted(a))
			return -EACCES;
		struct mount_attr m = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)a->userns.fd};
		if (mount_setattr(tree, "", AT_EMPTY_PATH | (rec ? AT_RECURSIVE : 0), &m, sizeof m) < 0)
			return -errno;
	}
	*what = "source";
	if ((r = set_attrs(tree, MOUNT_ATTR_NOSUID | (b->flags & HUTCH_BIND_RO ? MOUNT_ATTR_RDONLY : 0),
			   rec)) < 0)
		return r;
	*what = "target";
	return attach_at(tree, root, b->target, S_ISDIR(st.st_mode), owner_of(a));
}

/* A number for fsconfig: octal (mode), or decimal with a suffix ("%"). */
static int tmpfs_config(int fsfd, const char *key, const char *suffix, unsigned long long v)
{
	char buf[32];
	if (suffix)
		snprintf(buf, sizeof buf, "%llu%s", v, suffix);
	else
		snprintf(buf, sizeof buf, "0%llo", v);
	return fsconfig(fsfd, FSCONFIG_SET_STRING, key, buf, 0) < 0 ? -errno : 0;
}

/* A detached tmpfs owned by the container's root (or as asked). */
static int make_tmpfs(const struct container_args *a, const struct hutch_mount_tmpfs *t)
{
	uint32_t owner = owner_of(a), count = a->userns.fd >= 0 ? a->userns.count : UINT32_MAX;
	if (((t->flags & HUTCH_TMPFS_UID) && t->uid >= count) ||
	    ((t->flags & HUTCH_TMPFS_GID) && t->gid >= count))
		return -ERANGE;
	_cleanup_close_ int fsfd = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fsfd < 0)
		return -errno;
	int r = tmpfs_config(fsfd, "uid", "", owner + (t->flags & HUTCH_TMPFS_UID ? t->uid : 0));
	if (!r)
		r = tmpfs_config(fsfd, "gid", "", owner + (t->flags & HUTCH_TMPFS_GID ? t->gid : 0));
	if (!r && (t->flags & HUTCH_TMPFS_MODE))
		r = tmpfs_config(fsfd, "mode", NULL, t->mode);
	if (!r && (t->flags & HUTCH_TMPFS_SIZE))
		r = tmpfs_config(fsfd, "size", "", t->size);
	if (!r && (t->flags & HUTCH_TMPFS_SIZE_PERCENT))
		r = tmpfs_config(fsfd, "size", "%", t->size);
	if (!r && (t->flags & HUTCH_TMPFS_NR_INODES))
		r = tmpfs_config(fsfd, "nr_inodes", "", t->nr_inodes);
	if (r < 0)
		return r;
	if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;
	unsigned attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
			 (t->flags & HUTCH_TMPFS_RO ? MOUNT_ATTR_RDONLY : 0) |
			 (t->flags & HUTCH_TMPFS_NOEXEC ? MOUNT_ATTR_NOEXEC : 0);
	int mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, attrs);
	return mfd < 0 ? -errno : mfd;
}

static int do_tmpfs(const struct container_args *a, int root, const struct hutch_mount_tmpfs *t,
		    const char **what)
{
	*what = "tmpfs";
	_cleanup_close_ int mfd = make_tmpfs(a, t);
	if (mfd < 0)
		return mfd;
	*what = "target";
	return attach_at(mfd, root, t->target, true, owner_of(a));
}

/*
 * The Container Interface's inaccessible nodes, made by the monitor before
 * the container exists: on a detached tmpfs, outside the container's cgroup
 * (whose device program would refuse mknod of the chr/blk nodes). Mode 0,
 * owned by host root (unmapped in a user namespace), then read-only: the
 * container cannot change them. Returns the mount's fd.
 */
int binds_make_nodes(void)
{
	static const struct hutch_mount_tmpfs small = {.flags = HUTCH_TMPFS_MODE | HUTCH_TMPFS_SIZE,
						       .mode = 0755, .size = 4096};
	static const struct container_args host_owned = {.userns.fd = -1};
	_cleanup_close_ int mfd = make_tmpfs(&host_owned, &small);
	if (mfd < 0)
		return mfd;
	_cleanup_close_ int real = openat(mfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (real < 0)
		return -errno;
	static const struct { const char *name; mode_t mode; } nodes[] = {
		{"reg", S_IFREG}, {"chr", S_IFCHR}, {"blk", S_IFBLK},
		{"fifo", S_IFIFO}, {"sock", S_IFSOCK},
	};
	if (mkdirat(real, "dir", 0) < 0 || fchmodat(real, "dir", 0, 0) < 0)
		return -errno;
	for (size_t i = 0; i < ARRAY_SIZE(nodes); i++)
		if (mknodat(real, nodes[i].name, nodes[i].mode, makedev(0, 0)) < 0)
			return -errno;
	int r = set_attrs(mfd, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
				       MOUNT_ATTR_NOEXEC, false);
	return r < 0 ? r : steal_fd(mfd);
}

/* Called once /run is mounted: the nodes go to /run/host/inaccessible. */
int binds_run_host(const struct container_args *a, int root)
{
	_cleanup_close_ int dir = make_target(root, "/run/host/inaccessible", true, 0);
	if (dir < 0)
		return dir;
	if (move_mount(a->inaccessible_fd, "", dir, "", MOVE_FLAGS) < 0)
		return -errno;
	inaccessible_dir = a->inaccessible_fd; /* now the attached mount's root */
	return 0;
}

static int do_inaccessible(int root, const struct hutch_inaccessible *t, const char **what)
{
	*what = "target";
	_cleanup_close_ int tfd = open_safe(root, t->target, O_PATH);
	if (tfd < 0)
		return tfd;
	/* As for other targets: nothing on or below /proc, /sys, cgroups. */
	char parent[HUTCH_PATH_MAX];
	if (!path_split(t->target, parent, sizeof parent))
		return -ENAMETOOLONG;
	_cleanup_close_ int pfd = open_safe(root, parent[0] ? parent : "/", O_PATH | O_DIRECTORY);
	if (pfd < 0)
		return pfd;
	int r = fs_allowed(tfd);
	if (r == 0)
		r = fs_allowed(pfd);
	if (r < 0)
		return r;
	struct stat st;
	if (fstat(tfd, &st) < 0)
		return -errno;
	const char *node = S_ISDIR(st.st_mode) ? "dir" : S_ISREG(st.st_mode) ? "reg"
			   : S_ISCHR(st.st_mode) ? "chr" : S_ISBLK(st.st_mode) ? "blk"
			   : S_ISFIFO(st.st_mode) ? "fifo" : S_ISSOCK(st.st_mode) ? "sock" : NULL;
	if (!node)
		return -ELOOP;
	*what = "/run/host/inaccessible";
	_cleanup_close_ int tree = open_tree(inaccessible_dir, node, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree < 0)
		return -errno;
	r = set_attrs(tree, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
				  MOUNT_ATTR_NOEXEC, false);
	if (r < 0)
		return r;
	*what = "target";
	return move_mount(tree, "", tfd, "", MOVE_FLAGS) < 0 ? -errno : 0;
}

/* Remove an overlay work directory: its few levels of kernel scratch dirs. */
static void remove_tree_at(int dir, const char *name, int depth)
{
	int fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		closep(&fd);
		unlinkat(dir, name, 0);
		return;
	}
	for (struct dirent *e; depth > 0 && (e = readdir(d));)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			remove_tree_at(fd, e->d_name, depth - 1);
	closedir(d);
	unlinkat(dir, name, AT_REMOVEDIR);
}

/*
 * The monitor removes the work directories once the container is gone: the
 * container init hands it the parent's fd and the name as it creates one.
 */
static int remember_workdir(int sock, int parent, const char *name)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl = {0};
	struct iovec iov = {.iov_base = (void *)name, .iov_len = strlen(name) + 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			    .msg_controllen = sizeof ctl.buf};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	*c = (struct cmsghdr){.cmsg_len = CMSG_LEN(sizeof(int)), .cmsg_level = SOL_SOCKET,
			      .cmsg_type = SCM_RIGHTS};
	memcpy(CMSG_DATA(c), &parent, sizeof parent);
	return sendmsg(sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 ? -errno : 0;
}

void binds_cleanup(int sock)
{
	char name[HUTCH_COMPONENT_MAX + 1];
	for (;;) {
		union {
			char buf[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} ctl;
		struct iovec iov = {.iov_base = name, .iov_len = sizeof name};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
				    .msg_controllen = sizeof ctl.buf};
		ssize_t n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL;
		if (n <= 0)
			return;
		if (!c || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int)))
			continue;
		int fd;
		memcpy(&fd, CMSG_DATA(c), sizeof fd);
		name[sizeof name - 1] = '\0';
		if (memchr(name, '\0', (size_t)n) && hutch_check_component(name, sizeof name) == 0)
			remove_tree_at(fd, name, 3);
		close(fd);
	}
}

/* "lowerdir" etc. as /proc/self/fd/N: the kernel takes the very dirs we opened. */
static int overlay_fd_option(int fsfd, const char *key, const int *fds, uint32_t n)
{
	char opt[HUTCH_OVERLAY_MAX_LOWER * 24];
	size_t off = 0;
	for (uint32_t i = 0; i < n; i++)
		off += (size_t)snprintf(opt + off, sizeof opt - off, "%s/proc/self/fd/%d",
					i ? ":" : "", fds[i]);
	return fsconfig(fsfd, FSCONFIG_SET_STRING, key, opt, 0) < 0 ? -errno : 0;
}

static int overlay_mount(const struct hutch_mount_overlay *o, const int *lower, int upper,
			 int work)
{
	_cleanup_close_ int fsfd = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fsfd < 0)
		return -errno;
	int r = overlay_fd_option(fsfd, "lowerdir", lower, o->nlower);
	if (!r && upper >= 0)
		r = overlay_fd_option(fsfd, "upperdir", &upper, 1);
	if (!r && work >= 0)
		r = overlay_fd_option(fsfd, "workdir", &work, 1);
	if (r < 0)
		return r;
	if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;
	int mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
					   (o->flags & HUTCH_OVERLAY_RO ? MOUNT_ATTR_RDONLY : 0));
	return mfd < 0 ? -errno : mfd;
}

/* The upper layer and a fresh work directory beside it (nspawn's ".#NAME<random>"). */
static int overlay_upper(const struct container_args *a, int root, const struct hutch_mount_overlay *o,
			 int *upper, int *work, const char **what)
{
	bool in_root = o->flags & HUTCH_OVERLAY_UPPER_IN_ROOT;
	uint32_t owner = in_root ? owner_of(a) : 0;
	*what = "upper";
	_cleanup_close_ int parent = open_safe(in_root ? root : -1, o->upper_dir, O_PATH | O_DIRECTORY);
	if (parent < 0)
		return parent;
	int fd = openat(parent, o->upper_name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if ((fd = check_kind(fd, true)) < 0)
		return fd;
	*upper = fd;
	int r = in_root || restricted(a) ? fs_allowed(fd) : 0;
	/* The work directory is made beside it, in its parent: granted too. */
	if (r == 0 && !in_root)
		r = grant_ok(a, fd, true);
	if (r == 0 && !in_root)
		r = grant_ok(a, parent, true);
	if (r < 0)
		return r;
	*what = "workdir";
	_cleanup_close_ int real = openat(parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (real < 0)
		return -errno;
	as_fsid(owner);
	r = mkdirat(real, o->work_name, 0700) < 0 ? -errno : 0;
	as_fsid(0);
	if (r < 0)
		return r;
	if ((r = remember_workdir(a->cleanup_sock, real, o->work_name)) < 0) {
		unlinkat(real, o->work_name, AT_REMOVEDIR);
		return r;
	}
	*work = openat(real, o->work_name, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
	return *work < 0 ? -errno : 0;
}

static int binds_overlay(const struct container_args *a, int root,
			 const struct hutch_mount_overlay *o, const char **what)
{
	int lower[HUTCH_OVERLAY_MAX_LOWER];
	int r = 0, upper = -1, work = -1, mfd = -1;
	uint32_t n = 0;
	*what = "lower";
	for (; r == 0 && n < o->nlower; n++) {
		bool in_root = o->lower_in_root & (1u << n);
		lower[n] = open_safe(in_root ? root : -1, o->lower[n], O_PATH | O_DIRECTORY);
		r = lower[n] < 0 ? lower[n] : in_root || restricted(a) ? fs_allowed(lower[n]) : 0;
		if (r == 0 && !in_root)
			r = grant_ok(a, lower[n], false);
	}
	if (r == 0 && !(o->flags & HUTCH_OVERLAY_RO))
		r = overlay_upper(a, root, o, &upper, &work, what);
	if (r == 0) {
		*what = "overlay";
		r = mfd = overlay_mount(o, lower, upper, work);
	}
	if (r >= 0) {
		*what = "target";
		r = attach_at(mfd, root, o->target, true, owner_of(a));
	}
	for (uint32_t i = 0; i < n; i++)
		closep(&lower[i]);
	closep(&upper);
	closep(&work);
	closep(&mfd);
	return r;
}

static const struct hutch_mount_tmpfs volatile_tmpfs = {.flags = HUTCH_TMPFS_MODE, .mode = 0755};

/* Put a fresh tmpfs on top of the root; it becomes the root. */
static int stack_tmpfs(const struct container_args *a, int *root)
{
	int mfd = make_tmpfs(a, &volatile_tmpfs);
	if (mfd < 0)
		return mfd;
	if (move_mount(mfd, "", *root, "", MOVE_FLAGS) < 0) {
		int r = -errno;
		close(mfd);
		return r;
	}
	close(*root);
	*root = mfd;
	return 0;
}

/* --volatile=yes: tmpfs root, the tree's /usr read-only in it, and the
 * usr-merge symlinks nspawn's base file system would create. */
static int volatile_yes(const struct container_args *a, int *root, const char **what)
{
	*what = "/usr";
	_cleanup_close_ int usr = open_safe(*root, "usr", O_PATH | O_DIRECTORY);
	if (usr < 0)
		return usr;
	_cleanup_close_ int tree = open_tree(usr, "", CLONE_FLAGS | AT_RECURSIVE);
	if (tree < 0)
		return -errno;
	int r = set_attrs(tree, MOUNT_ATTR_RDONLY, true); /* the OS's own /usr: setuid works */
	*what = "tmpfs";
	if (r == 0)
		r = stack_tmpfs(a, root);
	*what = "/usr";
	if (r == 0)
		r = attach_at(tree, *root, "/usr", true, owner_of(a));
	static const char *const merged[] = {"bin", "sbin", "lib", "lib64", "lib32", "libx32"};
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(merged); i++) {
		char target[16];
		snprintf(target, sizeof target, "usr/%s", merged[i]);
		if (faccessat(usr, merged[i], F_OK, AT_SYMLINK_NOFOLLOW) == 0 &&
		    symlinkat(target, *root, merged[i]) < 0)
			r = -errno;
	}
	return r;
}

/* --volatile=overlay: a tmpfs upper layer over the tree, nothing on disk. */
static int volatile_overlay(const struct container_args *a, int *root, const char **what)
{
	*what = "tmpfs";
	_cleanup_close_ int lower = fcntl(*root, F_DUPFD_CLOEXEC, 3);
	if (lower < 0)
		return -errno;
	int r = stack_tmpfs(a, root);
	if (r < 0)
		return r;
	_cleanup_close_ int upper = make_target(*root, "/upper", true, owner_of(a));
	_cleanup_close_ int work = make_target(*root, "/work", true, 0);
	if (upper < 0 || work < 0)
		return upper < 0 ? upper : work;
	*what = "overlay";
	char opt[96];
	_cleanup_close_ int fsfd = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fsfd < 0)
		return -errno;
	snprintf(opt, sizeof opt, "/proc/self/fd/%d", lower);
	if (fsconfig(fsfd, FSCONFIG_SET_STRING, "lowerdir", opt, 0) < 0)
		return -errno;
	snprintf(opt, sizeof opt, "/proc/self/fd/%d", upper);
	if (fsconfig(fsfd, FSCONFIG_SET_STRING, "upperdir", opt, 0) < 0)
		return -errno;
	snprintf(opt, sizeof opt, "/proc/self/fd/%d", work);
	if (fsconfig(fsfd, FSCONFIG_SET_STRING, "workdir", opt, 0) < 0 ||
	    fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;
	int mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, 0);
	if (mfd < 0)
		return -errno;
	if (move_mount(mfd, "", *root, "", MOVE_FLAGS) < 0) {
		r = -errno;
		close(mfd);
		return r;
	}
	close(*root);
	*root = mfd;
	return 0;
}

static int do_root_mode(const struct container_args *a, int *root, const struct hutch_root_mode *m,
			const char **what)
{
	*what = "/";
	switch ((enum hutch_volatile)m->volatile_mode) {
	case HUTCH_VOLATILE_NO:
		return m->read_only ? set_attrs(*root, MOUNT_ATTR_RDONLY, true) : 0;
	case HUTCH_VOLATILE_YES:
		return volatile_yes(a, root, what);
	case HUTCH_VOLATILE_STATE: {
		*what = "/var";
		_cleanup_close_ int var = make_target(*root, "/var", true, owner_of(a));
		if (var < 0)
			return var;
		int r = set_attrs(*root, MOUNT_ATTR_RDONLY, true);
		_cleanup_close_ int mfd = r < 0 ? r : make_tmpfs(a, &volatile_tmpfs);
		if (mfd < 0)
			return mfd;
		return move_mount(mfd, "", var, "", MOVE_FLAGS) < 0 ? -errno : 0;
	}
	case HUTCH_VOLATILE_OVERLAY:
		return volatile_overlay(a, root, what);
	case HUTCH_VOLATILE_MAX:
		break;
	}
	return -EINVAL;
}

int binds_handle(const struct container_args *a, int *root, const struct hutch_msg *m,
		 const char **what)
{
	switch (m->hdr.type) {
	case HUTCH_MSG_ROOT_MODE:
		return do_root_mode(a, root, &m->u.root_mode, what);
	case HUTCH_MSG_MOUNT_BIND:
		return do_bind(a, *root, &m->u.mount_bind, what);
	case HUTCH_MSG_MOUNT_TMPFS:
		return do_tmpfs(a, *root, &m->u.mount_tmpfs, what);
	case HUTCH_MSG_MOUNT_OVERLAY:
		return binds_overlay(a, *root, &m->u.mount_overlay, what);
	case HUTCH_MSG_INACCESSIBLE:
		return do_inaccessible(*root, &m->u.inaccessible, what);
	default:
		return -EINVAL;
	}
}
