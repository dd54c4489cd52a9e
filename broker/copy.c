/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * --template=DIR: populate a missing root. Made under a temporary name
 * next to the root (".#NAME.hutch-template-RANDOM", mode 0700 until done)
 * and renamed into place only when complete, so a failure or a concurrent
 * start never sees half a tree; a failed copy is removed.
 *  - a btrfs subvolume template: a snapshot (instant);
 *  - else a copy, in a forked child that keeps only the capabilities a
 *    copy needs (no CAP_SYS_ADMIN: trusted.* xattrs are not copied). It
 *    preserves owners, modes, timestamps, xattrs (ACLs are the
 *    system.posix_acl_* xattrs, copied raw), hard links, device nodes,
 *    FIFOs and sockets; never follows a symlink (every lookup is relative
 *    to an fd, O_NOFOLLOW / AT_SYMLINK_NOFOLLOW); never crosses a mount
 *    point; depth is bounded. Progress goes to the worker as PROGRESS.
 */
#include "broker.h"

#include <cap-ng.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/btrfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/file.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/vfs.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "../common/util.h"

#define MAX_DEPTH 256
#define MAX_LINKS (1u << 20)

struct link {
	ino_t ino;
	char *path; /* relative to the destination root */
};

struct copy {
	int dst_root;
	dev_t dev;
	int sock;
	struct hutch_progress progress;
	struct timespec last;
	struct link *links;
	size_t nlinks, cap;
	char path[HUTCH_PATH_MAX]; /* of the entry being copied, relative */
};

static void report(struct copy *c, bool force)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long ms = (now.tv_sec - c->last.tv_sec) * 1000 + (now.tv_nsec - c->last.tv_nsec) / 1000000;
	if (!force && ms < 200)
		return;
	c->last = now;
	(void)hutch_send(c->sock, HUTCH_MSG_PROGRESS, &c->progress, NULL, 0);
}

/* Extended attributes: fd-based when we hold a real fd, else by name under
 * a directory fd without following the final symlink. */
struct node {
	int dir;
	const char *name;
	int fd; /* -1: use dir + name */
	char proc[320]; /* "/proc/self/fd/N/" + a name */
};

static void node_init(struct node *n, int dir, const char *name, int fd)
{
	n->dir = dir, n->name = name, n->fd = fd;
	snprintf(n->proc, sizeof n->proc, "/proc/self/fd/%d/%s", dir, name);
}

static int copy_xattrs(const struct node *s, const struct node *d)
{
	char names[65536], value[65536];
	ssize_t len = s->fd >= 0 ? flistxattr(s->fd, names, sizeof names)
				 : llistxattr(s->proc, names, sizeof names);
	if (len < 0)
		return errno == ENOTSUP || errno == ENODATA ? 0 : -errno;
	for (char *k = names; k < names + len; k += strlen(k) + 1) {
		if (!strncmp(k, "trusted.", 8))
			continue; /* would need CAP_SYS_ADMIN */
		ssize_t v = s->fd >= 0 ? fgetxattr(s->fd, k, value, sizeof value)
				       : lgetxattr(s->proc, k, value, sizeof value);
		if (v < 0)
			return -errno;
		int r = d->fd >= 0 ? fsetxattr(d->fd, k, value, (size_t)v, 0)
				   : lsetxattr(d->proc, k, value, (size_t)v, 0);
		if (r < 0)
			return -errno;
	}
	return 0;
}

/* Owner, then mode (chown clears setuid), xattrs (chown clears
 * security.capability), times last. */
static int copy_meta(const struct node *s, const struct node *d, const struct stat *st)
{
	struct timespec ts[2] = {st->st_atim, st->st_mtim};
	bool lnk = S_ISLNK(st->st_mode);
	if (d->fd >= 0 ? fchown(d->fd, st->st_uid, st->st_gid)
		       : fchownat(d->dir, d->name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW))
		return -errno;
	if (!lnk && (d->fd >= 0 ? fchmod(d->fd, st->st_mode & 07777)
				: fchmodat(d->dir, d->name, st->st_mode & 07777, 0)))
		return -errno;
	int r = copy_xattrs(s, d);
	if (r < 0)
		return r;
	if (d->fd >= 0 ? futimens(d->fd, ts) : utimensat(d->dir, d->name, ts, AT_SYMLINK_NOFOLLOW))
		return -errno;
	return 0;
}

/* [from, to) of in to the same place in out. */
static int copy_extent(struct copy *c, int in, int out, off_t from, off_t to)
{
	loff_t a = from, b = from;
	while (a < to) {
		ssize_t n = copy_file_range(in, &a, out, &b, (size_t)(to - a), 0);
		if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == EOPNOTSUPP))
			break;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0; /* the file shrank */
		c->progress.bytes += (uint64_t)n;
	}
	char buf[65536];
	while (a < to) { /* file systems copy_file_range does not serve */
		size_t want = (size_t)(to - a) < sizeof buf ? (size_t)(to - a) : sizeof buf;
		ssize_t n = pread(in, buf, want, a);
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		for (ssize_t done = 0; done < n;) {
			ssize_t w = pwrite(out, buf + done, (size_t)(n - done), a + done);
			if (w < 0)
				return -errno;
			done += w;
		}
		a += n;
		c->progress.bytes += (uint64_t)n;
	}
	return 0;
}

/* The data extents only: a hole stays a hole (a sparse terabyte in a
 * template must not fill the disk); then the size. */
static int copy_data(struct copy *c, int in, int out)
{
	struct stat st;
	if (fstat(in, &st) < 0)
		return -errno;
	for (off_t pos = 0; pos < st.st_size;) {
		off_t data = lseek(in, pos, SEEK_DATA);
		if (data < 0 && errno == ENXIO)
			break; /* only a hole is left */
		off_t hole = data < 0 ? st.st_size : lseek(in, data, SEEK_HOLE);
		if (data < 0)
			data = pos; /* no SEEK_DATA here: all of it is data */
		if (hole < 0 || hole > st.st_size)
			hole = st.st_size;
		int r = copy_extent(c, in, out, data, hole);
		if (r < 0)
			return r;
		pos = hole > data ? hole : st.st_size;
	}
	return ftruncate(out, st.st_size) < 0 ? -errno : 0;
}

static int copy_dir(struct copy *c, int sdir, int ddir, int depth);

/* Hard links: the second name of an inode becomes a link to the first copy. */
static int hard_link(struct copy *c, int ddir, const char *name, const struct stat *st, bool *done)
{
	*done = false;
	for (size_t i = 0; i < c->nlinks; i++)
		if (c->links[i].ino == st->st_ino) {
			*done = true;
			return linkat(c->dst_root, c->links[i].path, ddir, name, 0) < 0 ? -errno : 0;
		}
	if (c->nlinks >= MAX_LINKS)
		return -E2BIG;
	if (c->nlinks == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		struct link *l = realloc(c->links, cap * sizeof *l);
		if (!l)
			return -ENOMEM;
		c->links = l, c->cap = cap;
	}
	char *p = strdup(c->path);
	if (!p)
		return -ENOMEM;
	c->links[c->nlinks++] = (struct link){st->st_ino, p};
	return 0;
}

static int copy_special(int sdir, int ddir, const char *name, const struct stat *st)
{
	if (S_ISLNK(st->st_mode)) {
		char target[HUTCH_PATH_MAX];
		ssize_t n = readlinkat(sdir, name, target, sizeof target);
		if (n < 0)
			return -errno;
		if ((size_t)n >= sizeof target)
			return -ENAMETOOLONG;
		target[n] = '\0';
		return symlinkat(target, ddir, name) < 0 ? -errno : 0;
	}
	return mknodat(ddir, name, (st->st_mode & S_IFMT) | 0600, st->st_rdev) < 0 ? -errno : 0;
}

static int copy_entry(struct copy *c, int sdir, int ddir, const char *name, int depth)
{
	struct stat st;
	if (fstatat(sdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (st.st_dev != c->dev)
		return 0; /* a mount point in the template: not part of it */
	if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
		bool done;
		int r = hard_link(c, ddir, name, &st, &done);
		if (r < 0 || done)
			return r;
	}
	_cleanup_close_ int s = -1, d = -1;
	struct node sn, dn;
	if (S_ISDIR(st.st_mode)) {
		if (mkdirat(ddir, name, 0700) < 0)
			return -errno;
		s = openat(sdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		d = openat(ddir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (s < 0 || d < 0)
			return -errno;
		int r = copy_dir(c, s, d, depth + 1);
		if (r < 0)
			return r;
	} else if (S_ISREG(st.st_mode)) {
		/* Checked before it is opened: a device swapped in under the
		 * name since the stat is never opened (opening one can act). */
		_cleanup_close_ int path_fd = openat(sdir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		struct stat now;
		if (path_fd < 0 || fstat(path_fd, &now) < 0)
			return -errno;
		if (now.st_ino != st.st_ino || now.st_dev != st.st_dev || !S_ISREG(now.st_mode))
			return -ESTALE; /* swapped under us */
		char proc[32];
		snprintf(proc, sizeof proc, "/proc/self/fd/%d", path_fd);
		s = open(proc, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
		d = openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (s < 0 || d < 0)
			return -errno;
		int r = copy_data(c, s, d);
		if (r < 0)
			return r;
	} else {
		int r = copy_special(sdir, ddir, name, &st);
		if (r < 0)
			return r;
	}
	node_init(&sn, sdir, name, s);
	node_init(&dn, ddir, name, d);
	c->progress.files++;
	report(c, false);
	return copy_meta(&sn, &dn, &st);
}

static int copy_dir(struct copy *c, int sdir, int ddir, int depth)
{
	if (depth > MAX_DEPTH)
		return -ELOOP;
	DIR *dir = opendir_dup(sdir);
	if (!dir)
		return -errno;
	int r = 0;
	size_t plen = strlen(c->path);
	for (struct dirent *de; r == 0 && (de = readdir(dir));) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if ((size_t)snprintf(c->path + plen, sizeof c->path - plen, "%s%s", plen ? "/" : "",
				     de->d_name) >= sizeof c->path - plen) {
			r = -ENAMETOOLONG;
			break;
		}
		r = copy_entry(c, dirfd(dir), ddir, de->d_name, depth);
		c->path[plen] = '\0';
	}
	closedir(dir);
	return r;
}

/* Only what copying needs: read anything, create and own anything. */
static int drop_to_copy_caps(void)
{
	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_updatev(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_CHOWN, CAP_DAC_OVERRIDE,
			  CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID, CAP_MKNOD, CAP_SETFCAP, -1) < 0 ||
	    capng_apply(CAPNG_SELECT_BOTH) < 0)
		return -EPERM;
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? -errno : 0;
}

static _Noreturn void copy_child(int src, int dst, int sock)
{
	struct stat st = {0};
	struct copy c = {.dst_root = dst, .sock = sock};
	/* hutch killed: stop; the next start sweeps the unlocked remains. */
	int r = prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 ? -errno : drop_to_copy_caps();
	if (r == 0 && fstat(src, &st) < 0)
		r = -errno;
	c.dev = st.st_dev;
	clock_gettime(CLOCK_MONOTONIC, &c.last);
	if (r == 0)
		r = copy_dir(&c, src, dst, 0);
	struct node sn, dn;
	node_init(&sn, src, "", src);
	node_init(&dn, dst, "", dst);
	if (r == 0)
		r = copy_meta(&sn, &dn, &st);
	report(&c, true);
	_exit(r < 0 ? (-r & 0xff) : 0);
}

/* rm -rf without following anything or leaving the file system of the top
 * directory (`dev`, 0: take it from `name`). */
static int remove_tree(int dfd, const char *name, int depth, dev_t dev)
{
	if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if ((errno != EISDIR && errno != EPERM) || depth > MAX_DEPTH + 1)
		return -errno;
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd >= 0 && fstat(fd, &st) == 0 && dev && st.st_dev != dev) {
		close(fd);
		return -EXDEV; /* a mount point (or nested subvolume): not ours */
	}
	DIR *dir = fd < 0 ? NULL : fdopendir(fd);
	if (!dir) {
		closep(&fd);
		return -errno;
	}
	for (struct dirent *de; (de = readdir(dir));)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			(void)remove_tree(dirfd(dir), de->d_name, depth + 1, st.st_dev);
	closedir(dir);
	return unlinkat(dfd, name, AT_REMOVEDIR) < 0 ? -errno : 0;
}

/* Open and lock what we made under the temporary name, until it is renamed:
 * an unlocked one is a killed start's, swept by the next. */
static int lock_tmp(int parent, const char *name, int *lock)
{
	*lock = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return *lock < 0 || flock(*lock, LOCK_EX) < 0 ? -errno : 0;
}

static int copy_tree(int src, int parent, const char *name, int sock, int *dst)
{
	/* On btrfs the new root is a subvolume, so it can be snapshotted later. */
	struct btrfs_ioctl_vol_args args = {0};
	struct statfs sfs;
	strcpy(args.name, name);
	if (fstatfs(parent, &sfs) < 0 || sfs.f_type != BTRFS_SUPER_MAGIC ||
	    ioctl(parent, BTRFS_IOC_SUBVOL_CREATE, &args) < 0)
		if (mkdirat(parent, name, 0700) < 0)
			return -errno;
	if (lock_tmp(parent, name, dst) < 0 || fchmod(*dst, 0700) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		copy_child(src, *dst, sock);
	int ws;
	while (waitpid(pid, &ws, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0)
		return 0;
	return WIFEXITED(ws) ? -WEXITSTATUS(ws) : -EINTR;
}

static int discard(int parent, const char *name, int fd)
{
	if (fd >= 0 && btrfs_is_subvolume(fd) && btrfs_destroy(parent, fd) == 0)
		return 0;
	return remove_tree(parent, name, 0, 0);
}

/* Our own temporary: through the fd we hold (locked) when there is one. */
static void discard_ours(int parent, const char *name, int fd)
{
	_cleanup_close_ int own =
		fd >= 0 ? -1 : openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	discard(parent, name, fd >= 0 ? fd : own);
}

int template_populate(const char *path, const char *template_path, int sock)
{
	char base[256], tmp[300], dir[HUTCH_PATH_MAX];
	_cleanup_close_ int parent = -1, lock = -1;
	int r = open_parent(path, &parent, base, dir);
	if (r < 0)
		return r;
	_cleanup_close_ int src = open(template_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st, host_root;
	if (src < 0 || fstat(src, &st) < 0 || stat("/", &host_root) < 0)
		return -errno;
	if (st.st_dev == host_root.st_dev && st.st_ino == host_root.st_ino)
		return -EBUSY; /* a copy of the whole host: no */
	snprintf(tmp, sizeof tmp, ".#%s.hutch-template-", base);
	sweep_stale(parent, tmp, discard);
	uint64_t rnd;
	if (getrandom(&rnd, sizeof rnd, 0) != sizeof rnd)
		return -EIO;
	if ((size_t)snprintf(tmp, sizeof tmp, ".#%s.hutch-template-%016llx", base,
			     (unsigned long long)rnd) > 255)
		return -ENAMETOOLONG;
	if (btrfs_is_subvolume(src) && btrfs_snapshot(src, parent, tmp) == 0)
		r = lock_tmp(parent, tmp, &lock);
	else
		r = copy_tree(src, parent, tmp, sock, &lock);
	if (r < 0) {
		discard_ours(parent, tmp, lock);
		return r;
	}
	if (renameat2(parent, tmp, parent, base, RENAME_NOREPLACE) < 0) {
		r = errno == EEXIST ? 0 : -errno; /* another start made it first: use theirs */
		discard_ours(parent, tmp, lock);
		return r;
	}
	return 0;
}
