/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nspawn -U's one-time ownership shift, for file systems that cannot take
 * an idmapped mount: every id in [from, from+count) becomes the same offset
 * in [to, ...). Never follows symlinks, never leaves the root's file system,
 * and puts back the setuid/setgid bits that chown(2) clears. The same walk
 * gives every file one SELinux label for --selinux-relabel.
 */
#include "broker.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../common/util.h"

struct shift {
	uint32_t from, to, count;
	dev_t dev;
	unsigned long files;
	bool progress;
	const char *label; /* relabel with this instead (from = count = 0) */
};

/* setxattr through /proc/self/fd of an O_PATH fd: reaches a symlink itself. */
static int relabel_one(int dfd, const char *name, const char *label)
{
	_cleanup_close_ int fd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	char path[32];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	if (fd < 0 || setxattr(path, "security.selinux", label, strlen(label) + 1, 0) < 0)
		return -errno;
	return 0;
}

static int walk_tree(int root_fd, uint32_t from, uint32_t to, uint32_t count, const char *label,
		     bool progress);

static uint32_t shifted(const struct shift *s, uint32_t id)
{
	return id - s->from < s->count ? id - s->from + s->to : id;
}

static int shift_one(struct shift *s, int dfd, const char *name, const struct stat *st)
{
	if (s->label) {
		int r = relabel_one(dfd, *name ? name : ".", s->label);
		if (r < 0)
			return r;
	}
	uid_t uid = shifted(s, st->st_uid);
	gid_t gid = shifted(s, st->st_gid);
	if (uid != st->st_uid || gid != st->st_gid) {
		if (fchownat(dfd, name, uid, gid, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) < 0)
			return -errno;
		if (!S_ISLNK(st->st_mode) && (st->st_mode & (S_ISUID | S_ISGID)) &&
		    fchmodat(dfd, name, st->st_mode & 07777, 0) < 0)
			return -errno;
	}
	if (s->progress && ++s->files % 10000 == 0)
		fprintf(stderr, "\rhutch: %s: %lu files", s->label ? "relabelling" : "shifting file ownership", s->files);
	return 0;
}

static int shift_dir(struct shift *s, int dfd, int depth)
{
	if (depth > 256)
		return -ELOOP;
	DIR *d = opendir_dup(dfd);
	if (!d)
		return -errno;
	int r = 0;
	struct dirent *de;
	while (r == 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = -errno;
			break;
		}
		if (st.st_dev != s->dev)
			continue; /* a mount point inside the tree: not ours to change */
		r = shift_one(s, dirfd(d), de->d_name, &st);
		if (r == 0 && S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(d), de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			r = sub < 0 ? -errno : shift_dir(s, sub, depth + 1);
			closep(&sub);
		}
	}
	closedir(d);
	return r;
}

int chown_tree(int root_fd, uint32_t from, uint32_t to, uint32_t count, bool progress)
{
	return walk_tree(root_fd, from, to, count, NULL, progress);
}

/* Once: a root that carries the label already is left alone. */
int relabel_tree(int root_fd, const char *label, bool progress)
{
	char path[32], now[HUTCH_LABEL_MAX];
	snprintf(path, sizeof path, "/proc/self/fd/%d", root_fd);
	ssize_t n = getxattr(path, "security.selinux", now, sizeof now - 1);
	if (n > 0 && (now[n - 1] = 0, !strcmp(now, label)))
		return 0;
	return walk_tree(root_fd, 0, 0, 0, label, progress);
}

static int walk_tree(int root_fd, uint32_t from, uint32_t to, uint32_t count, const char *label,
		     bool progress)
{
	_cleanup_close_ int dfd = openat(root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;
	if (dfd < 0 || fstat(dfd, &st) < 0)
		return -errno;
	struct shift s = {.from = from, .to = to, .count = count, .dev = st.st_dev,
			  .progress = progress && isatty(STDERR_FILENO), .label = label};
	int r = shift_one(&s, dfd, "", &st);
	if (r == 0)
		r = shift_dir(&s, dfd, 0);
	if (s.progress && s.files >= 10000)
		fprintf(stderr, "\rhutch: %s: %lu files\n", label ? "relabelled" : "shifted file ownership", s.files);
	return r;
}
