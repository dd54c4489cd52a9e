/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Files the container gets from the host: fixed host files opened for the
 * worker (--resolv-conf=, --timezone=, --bind-user=) or a caller-named one
 * (--load-credential=), /etc/resolv.conf and /etc/localtime written, bound,
 * linked or removed in the image, and the credentials file system. The
 * worker decides what; content comes as a sealed memfd, so it cannot change
 * between the size check and the copy. Nothing here follows a symlink in the
 * image: /etc is resolved with RESOLVE_IN_ROOT|RESOLVE_NO_SYMLINKS and its
 * entries are opened O_NOFOLLOW (a hostile /etc/resolv.conf -> /etc/shadow
 * is refused, or replaced by rename with REPLACE).
 */
#include "broker.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <linux/magic.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "../common/host_files.h"
#include "../common/util.h"

/*
 * A regular file, reopened with `flags`: looked up O_PATH first and checked,
 * so a FIFO or device is never opened (opening some has effects).
 */
int files_open_regular(int dirfd, const char *path, uint64_t resolve_flags, int flags, int *out)
{
	_cleanup_close_ int path_fd = openat2_fd(dirfd, path, O_PATH, resolve_flags);
	struct stat st;
	if (path_fd < 0)
		return path_fd;
	if (fstat(path_fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EBADFD;
	char proc_path[64];
	snprintf(proc_path, sizeof proc_path, "/proc/self/fd/%d", path_fd);
	int fd = open(proc_path, flags | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	*out = fd;
	return 0;
}

/* A fixed host file; for LOCALTIME_LINK a memfd holding the link text. */
int files_open_host(uint32_t which, int *out)
{
	const char *path = hutch_host_file(which);
	if (!path)
		return -EINVAL;
	if (which != HUTCH_FILE_HOST_LOCALTIME_LINK)
		return files_open_regular(AT_FDCWD, path, 0, O_RDONLY | O_NONBLOCK, out);
	char link[HUTCH_LINK_MAX];
	ssize_t n = readlink(path, link, sizeof link);
	if (n < 0)
		return -errno;
	if ((size_t)n >= sizeof link)
		return -ENAMETOOLONG;
	_cleanup_close_ int fd = memfd_create("localtime-link", MFD_CLOEXEC);
	if (fd < 0 || pwrite(fd, link, (size_t)n, 0) != n)
		return -errno;
	*out = steal_fd(fd);
	return 0;
}

/* Content fds must be sealed memfds (only those take seals) of bounded size. */
static int sealed_size(int fd, size_t max, size_t *size)
{
	const int need = F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW;
	int seals = fcntl(fd, F_GET_SEALS);
	struct stat st;
	if (seals < 0 || (seals & need) != need || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return -EBADF;
	if ((uint64_t)st.st_size > max)
		return -EFBIG;
	*size = (size_t)st.st_size;
	return 0;
}

static int copy_in(int out, int in, size_t size)
{
	off_t off = 0;
	while ((size_t)off < size) {
		ssize_t n = sendfile(out, in, &off, size - (size_t)off);
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
	}
	return 0;
}

/*
 * What we create in the image belongs to the container's root. Through an
 * idmapped root host uid 0 has no mapping at all, so create as that uid
 * (which also drops our file capabilities: the image's own modes apply).
 */
static void as_container_root(bool on)
{
	as_fsid(on ? mounts_owner() : 0);
}

static int open_etc(int root)
{
	return resolve(root, "etc", O_RDONLY | O_DIRECTORY);
}

/* Without REPLACE: an existing entry must be a regular file, then truncated
 * (a symlink fails with ELOOP under RESOLVE_NO_SYMLINKS). */
static int open_for_copy(int etc, const char *name)
{
	int fd = -1;
	int r = files_open_regular(etc, name, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS,
				   O_WRONLY | O_TRUNC, &fd);
	if (r == -ENOENT &&
	    (r = fd = openat(etc, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644)) < 0)
		r = -errno;
	return r == -EBADFD ? -EINVAL : r < 0 ? r : fd;
}

static int write_etc(int etc, const char *name, int content, size_t size, bool replace)
{
	char tmp[32];
	snprintf(tmp, sizeof tmp, ".#%s.hutch", name);
	if (replace)
		(void)unlinkat(etc, tmp, 0); /* a leftover, or planted: never followed */
	_cleanup_close_ int fd =
		replace ? openat(etc, tmp, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644)
			: open_for_copy(etc, name);
	if (fd < 0)
		return replace ? -errno : fd;
	int r = copy_in(fd, content, size);
	if (r == 0 && fchmod(fd, 0644) < 0)
		r = -errno;
	if (r == 0 && replace && renameat(etc, tmp, etc, name) < 0)
		r = -errno;
	if (r < 0 && replace)
		(void)unlinkat(etc, tmp, 0);
	return r;
}

int files_write(int root, const struct hutch_write_file *w, int content, const char **what)
{
	const char *name = hutch_etc_name(w->target);
	*what = name ? hutch_etc_path(w->target) : "/etc";
	if (!name)
		return -EINVAL;
	size_t size;
	int r = sealed_size(content, HUTCH_WRITE_FILE_MAX, &size);
	_cleanup_close_ int etc = open_etc(root);
	if (r < 0 || etc < 0)
		return r < 0 ? r : etc;
	as_container_root(true);
	r = write_etc(etc, name, content, size, w->flags & HUTCH_WRITE_REPLACE);
	as_container_root(false);
	return r;
}

static int link_zone(int root, int etc, const char *name, const char *link)
{
	/* The zone must exist in the image (symlinks within it are fine here:
	 * this only looks, and RESOLVE_IN_ROOT keeps it inside). */
	_cleanup_close_ int zone = -1;
	int r = files_open_regular(root, link + strlen("../"), RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
				   O_RDONLY | O_NONBLOCK, &zone);
	if (r < 0)
		return r == -EBADFD ? -ENOENT : r;
	char old[HUTCH_LINK_MAX];
	ssize_t n = readlinkat(etc, name, old, sizeof old - 1);
	if (n >= 0) {
		old[n] = '\0';
		if (!strcmp(old, link) || !strcmp(old, link + strlen(".."))) /* already so */
			return 0;
	}
	if (unlinkat(etc, name, 0) < 0 && errno != ENOENT)
		return -errno;
	return symlinkat(link, etc, name) < 0 ? -errno : 0;
}

int files_op(int root, const struct hutch_file_op *f, const char **what)
{
	const char *name = hutch_etc_name(f->target);
	*what = name ? hutch_etc_path(f->target) : "/etc";
	if (!name)
		return -EINVAL;
	_cleanup_close_ int etc = open_etc(root);
	if (etc < 0)
		return etc;
	int r = 0;
	as_container_root(true);
	switch ((enum hutch_file_op_kind)f->op) {
	case HUTCH_FILE_OP_BIND: {
		const char *source = hutch_host_file(f->source);
		int fd = -1;
		/* An empty file to bind over, created as the container's. */
		if (!source)
			r = -EINVAL;
		else if ((fd = openat(etc, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
				      0644)) < 0 && errno != EEXIST)
			r = -errno;
		closep(&fd);
		as_container_root(false);
		char target[32];
		snprintf(target, sizeof target, "etc/%s", name);
		if (r == 0)
			r = bind_host(root, source, target,
				      MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
					      MOUNT_ATTR_NOEXEC);
		break;
	}
	case HUTCH_FILE_OP_SYMLINK:
		r = link_zone(root, etc, name, f->link);
		break;
	case HUTCH_FILE_OP_UNLINK:
		r = unlinkat(etc, name, 0) < 0 && errno != ENOENT ? -errno : 0;
		break;
	case HUTCH_FILE_OP_MAX:
		r = -EINVAL;
		break;
	}
	as_container_root(false);
	return r;
}

/*
 * Credentials: collected on a detached ramfs (never swapped, as nspawn),
 * which the container cannot see until it is complete and read-only.
 */
int credential_add(struct credentials *c, const struct hutch_credential *cr, int content,
		   const char **what)
{
	*what = "/run/host/credentials";
	size_t size;
	int r = sealed_size(content, HUTCH_CREDENTIAL_SIZE_MAX, &size);
	if (r < 0)
		return r;
	if (c->total + size > HUTCH_CREDENTIALS_TOTAL_MAX)
		return -EFBIG;
	if (c->mnt < 0) {
		_cleanup_close_ int fsfd = fsopen("ramfs", FSOPEN_CLOEXEC);
		if (fsfd < 0 || fsconfig(fsfd, FSCONFIG_SET_STRING, "mode", "0700", 0) < 0 ||
		    fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
			return -errno;
		c->mnt = fsmount(fsfd, FSMOUNT_CLOEXEC,
				 MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
		if (c->mnt < 0)
			return (c->mnt = -1), -errno;
	}
	_cleanup_close_ int fd =
		openat(c->mnt, cr->id, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0400);
	if (fd < 0)
		return -errno;
	if ((r = copy_in(fd, content, size)) < 0)
		return r;
	if (fchown(fd, mounts_owner(), mounts_owner()) < 0)
		return -errno;
	c->total += size;
	return 0;
}

/* Seal (dir 0500, superblock and mount read-only) and mount it. */
int credentials_attach(struct credentials *c, int root, const char **what)
{
	if (c->mnt < 0)
		return 0;
	*what = "/run/host/credentials";
	_cleanup_close_ int dir = openat(c->mnt, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0 || fchmod(dir, 0500) < 0 || fchown(dir, mounts_owner(), mounts_owner()) < 0)
		return -errno;
	_cleanup_close_ int fsfd = fspick(c->mnt, "", FSPICK_EMPTY_PATH | FSPICK_CLOEXEC);
	if (fsfd < 0 || fsconfig(fsfd, FSCONFIG_SET_FLAG, "ro", NULL, 0) < 0 ||
	    fsconfig(fsfd, FSCONFIG_CMD_RECONFIGURE, NULL, NULL, 0) < 0)
		return -errno;
	struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY};
	if (mount_setattr(c->mnt, "", AT_EMPTY_PATH, &a, sizeof a) < 0)
		return -errno;
	int r = attach(c->mnt, root, "run/host/credentials", true);
	closep(&c->mnt);
	c->mnt = -1;
	return r;
}

/* /run/host/incoming (Container Interface): an empty, read-only directory of
 * the container's root, mode 0600 as nspawn makes it. hutch has no
 * machinectl to propagate mounts into it, so no host directory backs it. */
int run_host_incoming(int root)
{
	_cleanup_close_ int host = resolve(root, "run/host", O_RDONLY | O_DIRECTORY);
	if (host < 0)
		return host;
	if (mkdirat(host, "incoming", 0600) < 0)
		return -errno;
	_cleanup_close_ int dir = openat(host, "incoming", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir < 0 || fchown(dir, mounts_owner(), mounts_owner()) < 0)
		return -errno;
	return rebind_self(root, "run/host/incoming",
			   MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
}

/* --bind-user=: a directory under /run/host, made if missing, as an fd. */
static int run_host_dir(int root, const char *name)
{
	_cleanup_close_ int host = resolve(root, "run/host", O_RDONLY | O_DIRECTORY);
	if (host < 0)
		return host;
	if (mkdirat(host, name, 0755) < 0 && errno != EEXIST)
		return -errno;
	int fd = openat(host, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* NAME.user (or .group) with the record, and ID.user a symlink to it. */
int userdb_record(int root, const struct hutch_userdb_record *u, int content, const char **what)
{
	*what = "/run/host/userdb";
	size_t size;
	int r = sealed_size(content, HUTCH_USERDB_RECORD_MAX, &size);
	_cleanup_close_ int dir = r < 0 ? -1 : run_host_dir(root, "userdb");
	if (r < 0 || dir < 0)
		return r < 0 ? r : dir;
	const char *ext = u->kind == HUTCH_USERDB_USER ? "user" : "group";
	char file[HUTCH_USERDB_NAME_MAX + 8], link[32];
	snprintf(file, sizeof file, "%s.%s", u->name, ext);
	snprintf(link, sizeof link, "%u.%s", u->id, ext);
	_cleanup_close_ int fd =
		openat(dir, file, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if ((r = copy_in(fd, content, size)) < 0)
		return r;
	if (symlinkat(file, dir, link) < 0)
		return -errno;
	return 0;
}

/* The user's home at /run/host/home/NAME: only a directory that user owns,
 * found as that user would find it (its fsuid/fsgid, so no search right of
 * root's; no magic link), and on no kernel file system. */
int bind_user_home(int root, const struct hutch_bind_user_home *h, uint32_t host_uid,
		   uint32_t host_gid, const char **what)
{
	*what = "/run/host/home";
	setfsgid(host_gid);
	setfsuid(host_uid);
	_cleanup_close_ int home = openat2_fd(AT_FDCWD, h->path, O_PATH | O_DIRECTORY,
					      RESOLVE_NO_MAGICLINKS);
	as_fsid(0);
	if (home < 0)
		return home;
	struct stat st;
	struct statfs sf;
	if (fstat(home, &st) < 0 || fstatfs(home, &sf) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != host_uid || sf.f_type == PROC_SUPER_MAGIC ||
	    sf.f_type == SYSFS_MAGIC)
		return -EPERM;
	_cleanup_close_ int tree = open_tree(home, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
						      AT_EMPTY_PATH);
	if (tree < 0)
		return -errno;
	struct mount_attr a = {.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV};
	if (mount_setattr(tree, "", AT_EMPTY_PATH, &a, sizeof a) < 0)
		return -errno;
	_cleanup_close_ int dir = run_host_dir(root, "home");
	if (dir < 0)
		return dir;
	char target[HUTCH_USERDB_NAME_MAX + 16];
	snprintf(target, sizeof target, "run/host/home/%s", h->name);
	return attach(tree, root, target, true);
}
