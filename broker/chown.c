/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nspawn -U's one-time ownership shift, for file systems that cannot take
 * an idmapped mount: every id in [from, from+count) becomes the same offset
 * in [to, ...) -- owners, the ACL_USER/ACL_GROUP entries of POSIX ACLs and
 * the root id of v3 file capabilities. Never follows symlinks, never leaves
 * the root's file system, and puts back the setuid/setgid bits and the
 * file capabilities that chown(2) clears.
 *
 * Restartable, like nspawn's (which marks the root with a "busy" owner and
 * patches each directory after its contents): a first pass over the
 * directories alone refuses a tree deeper than the walk goes before anything
 * changes; then the root gets a journal xattr naming the shift, every
 * directory is shifted after its contents and the root last, and the journal
 * is removed. A shift that fails or is killed leaves the root at its old
 * owner with the journal; the next start reads it, takes the same target
 * range and finishes the walk, which leaves ids already moved alone (they
 * are outside [from, from+count): overlapping ranges are refused).
 *
 * A file with a name outside the tree (a hard link) is never changed: the
 * first pass counts the names of every such file (links.c), and nothing is
 * changed unless all were found inside.
 *
 * The same walk gives every file one SELinux label for --selinux-relabel.
 */
#include "broker.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../common/util.h"

#define MAX_DEPTH 256
#define XATTR_MAX 65536
#define JOURNAL_XATTR "trusted.hutch.chown"
#define JOURNAL_MAGIC 0x31484348u /* "HCH1" */

struct shift {
	uint32_t from, to, count;
	dev_t dev;
	unsigned long files;
	int progress; /* the worker's socket for PROGRESS, -1: none */
	bool no_xattr;
	bool dry;           /* the first pass: nothing changed, hard links counted */
	struct link_table *links;
	const char *label;  /* relabel with this instead (from = count = 0) */
	unsigned char *buf; /* an xattr list or ACL value, XATTR_MAX bytes */
};

struct fdpath {
	int fd;
	char path[32];
};

/* An O_PATH fd of dfd/name and its /proc/self/fd path: xattr calls through
 * it reach the file itself (a symlink is not followed, a FIFO not opened). */
static int fdpath_open(struct fdpath *p, int dfd, const char *name)
{
	p->fd = openat(dfd, *name ? name : ".", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (p->fd < 0)
		return -errno;
	snprintf(p->path, sizeof p->path, "/proc/self/fd/%d", p->fd);
	return 0;
}

/* A file's /proc/self/fd/N path for the xattr calls: `follow` for the
 * magic link of an fd (it lands on the file itself). */
struct xpath {
	bool follow;
	char path[300];
};

static ssize_t xget(const struct xpath *x, const char *name, void *v, size_t len)
{
	return x->follow ? getxattr(x->path, name, v, len) : lgetxattr(x->path, name, v, len);
}

static int xset(const struct xpath *x, const char *name, const void *v, size_t len)
{
	int r = x->follow ? setxattr(x->path, name, v, len, 0) : lsetxattr(x->path, name, v, len, 0);
	return r < 0 ? -errno : 0;
}

enum { HAS_ACL = 1, HAS_DEFAULT_ACL = 2, HAS_CAP = 4 };

/* Which of the xattrs that carry ids the file has: one listxattr call. */
static int xattr_kinds(struct shift *s, const struct xpath *x)
{
	if (s->no_xattr)
		return 0;
	ssize_t n = x->follow ? listxattr(x->path, (char *)s->buf, XATTR_MAX)
			      : llistxattr(x->path, (char *)s->buf, XATTR_MAX);
	if (n < 0) {
		s->no_xattr = errno == EOPNOTSUPP;
		return s->no_xattr ? 0 : -errno;
	}
	int kinds = 0;
	for (const char *p = (const char *)s->buf, *end = p + n; p < end; p += strlen(p) + 1) {
		kinds |= !strcmp(p, "system.posix_acl_access")	? HAS_ACL
			 : !strcmp(p, "system.posix_acl_default") ? HAS_DEFAULT_ACL
			 : !strcmp(p, "security.capability")	? HAS_CAP
								: 0;
	}
	return kinds;
}

static int walk_tree(int root_fd, struct shift *s);

static uint32_t shifted(const struct shift *s, uint32_t id)
{
	return id - s->from < s->count ? id - s->from + s->to : id;
}

static int shift_acl(struct shift *s, const struct xpath *x, const char *name)
{
	ssize_t n = xget(x, name, s->buf, XATTR_MAX);
	if (n < 0)
		return errno == ENODATA ? 0 : -errno;
	int r = acl_xattr_shift(s->buf, (size_t)n, s->from, s->to, s->count);
	return r <= 0 ? r : xset(x, name, s->buf, (size_t)n);
}

/* Owner (the capability is read first: chown clears it), mode, capability;
 * all through p, the file itself (never a name another could swap). */
static int shift_owner(struct shift *s, const struct fdpath *p, const struct xpath *x,
		       const struct stat *st, bool cap_too)
{
	uid_t uid = shifted(s, st->st_uid);
	gid_t gid = shifted(s, st->st_gid);
	if (uid == st->st_uid && gid == st->st_gid)
		return 0;
	unsigned char cap[64];
	ssize_t caplen = -1;
	if (cap_too && (caplen = xget(x, "security.capability", cap, sizeof cap)) < 0 &&
	    errno != ENODATA)
		return -errno;
	if (fchownat(p->fd, "", uid, gid, AT_EMPTY_PATH) < 0)
		return -errno;
	/* (/proc/self/fd/N reaches the file; only non-directories get here.) */
	if ((st->st_mode & (S_ISUID | S_ISGID)) && S_ISREG(st->st_mode) &&
	    chmod(p->path, st->st_mode & 07777) < 0)
		return -errno;
	if (caplen < 0)
		return 0;
	int r = cap_xattr_shift(cap, (size_t)caplen, s->from, s->to, s->count);
	return r < 0 ? r : xset(x, "security.capability", cap, (size_t)caplen);
}

/* Every 10000 files, and the total at the end: the worker words it. */
static void report(const struct shift *s, bool done)
{
	struct hutch_progress p = {
		.files = s->files,
		.what = s->label ? (done ? HUTCH_PROGRESS_RELABELLED : HUTCH_PROGRESS_RELABELLING)
				 : (done ? HUTCH_PROGRESS_SHIFTED : HUTCH_PROGRESS_SHIFTING),
	};
	if (s->progress >= 0)
		(void)hutch_send(s->progress, HUTCH_MSG_PROGRESS, &p, NULL, 0);
}

/* dfd/name, opened O_PATH and checked to be the file `st` describes: every
 * change goes to it, so a name swapped in since the stat changes nothing.
 * (The tree's owner may rename entries while the walk runs.) */
static int shift_one(struct shift *s, int dfd, const char *name, const struct stat *st)
{
	struct fdpath p;
	struct stat now;
	int r = fdpath_open(&p, dfd, name);
	if (r < 0)
		return r;
	if (fstat(p.fd, &now) < 0)
		r = -errno;
	else if (now.st_dev != st->st_dev || now.st_ino != st->st_ino ||
		 (now.st_mode & S_IFMT) != (st->st_mode & S_IFMT))
		r = -EAGAIN; /* replaced during the walk: a later start finishes it */
	/* Linked again since the first pass: maybe to a file outside. */
	else if (!S_ISDIR(now.st_mode) && now.st_nlink > 1 && !links_known(s->links, &now))
		r = -EXDEV;
	else if (s->label) {
		/* (The magic link of an O_PATH fd lands on the file itself, a
		 * symlink too: it is not followed further.) */
		if (setxattr(p.path, "security.selinux", s->label, strlen(s->label) + 1, 0) < 0)
			r = -errno;
	} else if (S_ISLNK(now.st_mode)) {
		r = shift_owner(s, &p, NULL, &now, false);
	} else {
		struct xpath x = {.follow = true};
		snprintf(x.path, sizeof x.path, "%s", p.path);
		int kinds = xattr_kinds(s, &x);
		r = kinds < 0 ? kinds
			      : shift_owner(s, &p, &x, &now, S_ISREG(now.st_mode) && (kinds & HAS_CAP));
		if (r == 0 && (kinds & HAS_ACL))
			r = shift_acl(s, &x, "system.posix_acl_access");
		if (r == 0 && (kinds & HAS_DEFAULT_ACL))
			r = shift_acl(s, &x, "system.posix_acl_default");
	}
	closep(&p.fd);
	if (r == 0 && ++s->files % 10000 == 0)
		report(s, false);
	return r;
}

static int open_subdir(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* Each directory after its contents: a directory's owner says it is done.
 * A dry pass enters exactly the directories the real one will and changes
 * nothing, so a tree too deep, or with a hard link out of it, is refused
 * before anything is touched. */
static int shift_dir(struct shift *s, int dfd, int depth)
{
	if (depth > MAX_DEPTH)
		return -ELOOP;
	DIR *d = opendir_dup(dfd);
	if (!d)
		return -errno;
	rewinddir(d); /* the fd's offset is shared with dfd: the root is read twice */
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
		if (S_ISDIR(st.st_mode)) {
			_cleanup_close_ int sub = open_subdir(dirfd(d), de->d_name);
			r = sub < 0 ? sub : shift_dir(s, sub, depth + 1);
		} else if (s->dry && st.st_nlink > 1) {
			r = links_add(s->links, &st);
		}
		if (r == 0 && !s->dry)
			r = shift_one(s, dirfd(d), de->d_name, &st);
	}
	closedir(d);
	return r;
}

/* The first pass; -ELOOP when too deep, -EXDEV when a file in the tree
 * has a name outside it. */
static int first_pass(int dfd, dev_t dev, struct link_table *links, const char **what)
{
	struct shift dry = {.dry = true, .dev = dev, .links = links};
	int r = shift_dir(&dry, dfd, 0);
	if (r == 0 && !links_all_inside(links))
		r = -EXDEV;
	if (r == -ELOOP)
		*what = "file ownership (a directory deeper than 256 levels; nothing was changed)";
	else if (r == -EXDEV)
		*what = "hard link out of the tree";
	else if (r == -E2BIG)
		*what = "too many hard-linked files";
	return r;
}

struct journal_disk {
	uint32_t magic, from, to, count;
};

int chown_journal_read(int root_fd, struct chown_journal *j)
{
	struct fdpath p;
	int r = fdpath_open(&p, root_fd, "");
	if (r < 0)
		return r;
	struct journal_disk d;
	ssize_t n = getxattr(p.path, JOURNAL_XATTR, &d, sizeof d);
	r = n < 0 ? (errno == ENODATA || errno == EOPNOTSUPP ? 0 : -errno)
	    : n != sizeof d || d.magic != JOURNAL_MAGIC || !d.count ? -EBADMSG : 1;
	closep(&p.fd);
	if (r == 1)
		*j = (struct chown_journal){.from = d.from, .to = d.to, .count = d.count};
	return r;
}

/* Written before the first change (a file system without trusted xattrs
 * still gets the ordered walk, only no memory of the target range). */
static int journal_write(int dfd, const struct chown_journal *j)
{
	struct journal_disk d = {JOURNAL_MAGIC, j->from, j->to, j->count};
	if (fsetxattr(dfd, JOURNAL_XATTR, &d, sizeof d, 0) < 0 && errno != EOPNOTSUPP)
		return -errno;
	return 0;
}

static bool ranges_overlap(const struct chown_journal *j)
{
	uint64_t a = j->from, b = j->to, n = j->count;
	return a != b && a < b + n && b < a + n;
}

int chown_tree(int root_fd, const struct chown_journal *j, int progress, const char **what)
{
	if (ranges_overlap(j)) {
		/* An id in both could be either shifted or not: no safe resume. */
		*what = "file ownership (the tree's id range and the container's overlap)";
		return -EDOM;
	}
	struct link_table links = {0};
	struct shift s = {.from = j->from, .to = j->to, .count = j->count, .progress = progress,
			  .links = &links};
	_cleanup_close_ int dfd = openat(root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;
	if (dfd < 0 || fstat(dfd, &st) < 0)
		return -errno;
	int r = first_pass(dfd, st.st_dev, &links, what);
	if (r == 0 && (r = journal_write(dfd, j)) == 0 && (r = walk_tree(dfd, &s)) == 0 &&
	    fremovexattr(dfd, JOURNAL_XATTR) < 0 && errno != ENODATA && errno != EOPNOTSUPP)
		r = -errno;
	if (r == -EXDEV)
		*what = "hard link out of the tree";
	links_free(&links);
	return r;
}

/* Once: a root that carries the label already is left alone (it is labelled
 * last, so an interrupted relabel is done again). */
int relabel_tree(int root_fd, const char *label, int progress)
{
	char path[32], now[HUTCH_LABEL_MAX];
	snprintf(path, sizeof path, "/proc/self/fd/%d", root_fd);
	ssize_t n = getxattr(path, "security.selinux", now, sizeof now - 1);
	if (n > 0 && (now[n - 1] = 0, !strcmp(now, label)))
		return 0;
	struct link_table links = {0};
	struct shift s = {.label = label, .progress = progress, .links = &links};
	_cleanup_close_ int dfd = openat(root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;
	if (dfd < 0 || fstat(dfd, &st) < 0)
		return -errno;
	const char *what;
	int r = first_pass(dfd, st.st_dev, &links, &what);
	if (r == 0)
		r = walk_tree(dfd, &s);
	links_free(&links);
	return r;
}

/* The contents, then the root itself. */
static int walk_tree(int dfd, struct shift *s)
{
	struct stat st;
	if (fstat(dfd, &st) < 0)
		return -errno;
	s->dev = st.st_dev;
	s->buf = s->label ? NULL : malloc(XATTR_MAX);
	if (!s->label && !s->buf)
		return -ENOMEM;
	int r = shift_dir(s, dfd, 0);
	if (r == 0)
		r = shift_one(s, dfd, "", &st);
	free(s->buf);
	if (s->files >= 10000)
		report(s, true);
	return r;
}
