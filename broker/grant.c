/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The admin policy, privileged half: open the policy directory and files
 * (root-owned, not group/world-writable, regular), hand them to an
 * unprivileged parser process, take back a fixed-size grant and check its
 * shape; then check requests against it. No text is parsed here.
 */
#include "broker.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/util.h"

static bool root_only(const struct stat *st)
{
	return st->st_uid == 0 && !(st->st_mode & (S_IWGRP | S_IWOTH));
}

static int open_checked(int dfd, const char *name, char *why, size_t n, const char *shown)
{
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat st;
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && root_only(&st))
		return fd;
	closep(&fd);
	snprintf(why, n, "%s is not a regular file owned by root and writable only by it", shown);
	return -EPERM;
}

static void close_inputs(struct hutch_policy_input *in)
{
	for (unsigned i = 0; i < in->n; i++)
		closep(&in->fds[i]);
	closep(&in->passwd_fd);
	closep(&in->group_fd);
	in->n = 0;
	in->passwd_fd = in->group_fd = -1;
}

/* 1: no policy directory; 0: `in` filled; -errno: refused, *why says why. */
static int open_inputs(struct hutch_policy_input *in, char *why, size_t n)
{
	_cleanup_close_ int dfd = open(hutch_policy_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;
	if (dfd < 0 && errno == ENOENT)
		return 1;
	if (dfd < 0 || fstat(dfd, &st) < 0 || !root_only(&st)) {
		snprintf(why, n, "%s must be a directory owned by root and writable only by it",
			 hutch_policy_dir);
		return -EPERM;
	}
	DIR *d = opendir_dup(dfd);
	if (!d) {
		snprintf(why, n, "cannot read %s: %m", hutch_policy_dir);
		return -errno;
	}
	int r = 0;
	for (struct dirent *e; r == 0 && (e = readdir(d));) {
		size_t len = strlen(e->d_name);
		if (e->d_name[0] == '.' || len <= 7 || strcmp(e->d_name + len - 7, ".policy"))
			continue;
		char *shown = in->names[in->n];
		if (in->n >= HUTCH_POLICY_MAX_FILES ||
		    (size_t)snprintf(shown, HUTCH_GRANT_PATH_MAX, "%s/%s", hutch_policy_dir,
				     e->d_name) >= HUTCH_GRANT_PATH_MAX) {
			snprintf(why, n, "%s: more than %d policy files or a name too long",
				 hutch_policy_dir, HUTCH_POLICY_MAX_FILES);
			r = -E2BIG;
		} else if ((r = open_checked(dfd, e->d_name, why, n, shown)) >= 0) {
			in->fds[in->n++] = r;
			r = 0;
		}
	}
	closedir(d);
	return r;
}

/* The host's user database, for user: and group: matches (optional). */
static void open_userdb(struct hutch_policy_input *in)
{
	char ignored[8];
	in->passwd_fd = open_checked(AT_FDCWD, hutch_host_passwd, ignored, sizeof ignored, "");
	in->group_fd = open_checked(AT_FDCWD, hutch_host_group, ignored, sizeof ignored, "");
}

int grant_compile(hutch_policy_fn parse, const char *report_user, uint32_t worker_uid,
		  struct hutch_grant *g)
{
	struct hutch_policy_input in = {.passwd_fd = -1, .group_fd = -1, .report_user = report_user,
					.worker_uid = worker_uid};
	char why[HUTCH_GRANT_TEXT_MAX];
	int r = open_inputs(&in, why, sizeof why);
	if (r == 1 && !report_user) {
		hutch_grant_init_all(g); /* no policy installed */
		return 0;
	}
	if (r < 0) {
		close_inputs(&in);
		hutch_grant_init_deny(g, why);
		if (report_user)
			log_error("%s", why);
		return report_user ? r : 0;
	}
	open_userdb(&in);
	int p[2] = {-1, -1};
	pid_t pid = pipe2(p, O_CLOEXEC) < 0 ? -1 : fork();
	if (pid == 0) {
		close(p[0]);
		_exit(parse(p[1], &in));
	}
	close_inputs(&in);
	closep(&p[1]);
	ssize_t n = -1;
	int status = -1;
	if (pid > 0) {
		n = report_user ? 0 : read_full(p[0], g, sizeof *g);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	closep(&p[0]);
	bool ok = pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	if (report_user)
		return ok ? 0 : -EINVAL;
	const char *bad = NULL;
	if (!ok || n != (ssize_t)sizeof *g || hutch_grant_check(g, &bad) < 0)
		hutch_grant_init_deny(g, "the policy parser failed; see hutch --check-policy");
	return 0;
}

/*
 * Is the object behind `fd` one of the granted paths (with flags `need`)
 * or below one? By identity, not by name: walk up through ".." from the
 * fd comparing device and inode with each granted path, so no "..", symlink
 * or bind-mount spelling of a path can pass for another. `fd` must be a
 * directory (a file's parent directory for a file). The granted paths are
 * resolved without symlinks: a tenant who owns a directory on the way
 * cannot swap a component for a symlink to "/" and widen the grant.
 */
static bool granted_stat(const char *path, struct stat *st)
{
	_cleanup_close_ int fd = openat2_fd(AT_FDCWD, path, O_PATH, RESOLVE_NO_SYMLINKS);
	return fd >= 0 && fstat(fd, st) == 0;
}

int grant_path_ok(const struct hutch_grant_path *list, uint32_t n, uint32_t need, int fd)
{
	struct stat want[HUTCH_GRANT_PATHS], st, up_st;
	bool have[HUTCH_GRANT_PATHS];
	for (uint32_t i = 0; i < n && i < HUTCH_GRANT_PATHS; i++)
		have[i] = (list[i].flags & need) == need && granted_stat(list[i].path, &want[i]);
	_cleanup_close_ int cur = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	for (int depth = 0; cur >= 0 && depth < 4096 && fstat(cur, &st) == 0; depth++) {
		for (uint32_t i = 0; i < n && i < HUTCH_GRANT_PATHS; i++)
			if (have[i] && want[i].st_dev == st.st_dev && want[i].st_ino == st.st_ino)
				return 0;
		int up = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (up < 0 || fstat(up, &up_st) < 0 ||
		    (up_st.st_dev == st.st_dev && up_st.st_ino == st.st_ino)) {
			closep(&up);
			break; /* the top */
		}
		close(cur);
		cur = up;
	}
	return -EACCES;
}

int grant_root_ok(const struct hutch_grant *g, int fd)
{
	if (g->kind == HUTCH_GRANT_ALL)
		return 0;
	return g->kind == HUTCH_GRANT_RULE ? grant_path_ok(g->roots, g->n_roots, 0, fd) : -EACCES;
}

static bool within(const struct hutch_cgroup *l, enum hutch_limit k, uint64_t ceiling)
{
	return !ceiling || ((l->set & (1u << k)) && l->value[k] <= ceiling);
}

/* CREATE: network, "no user namespace", and the CGROUP limits sent before
 * it (none sent: none set, so any ceiling refuses). The uid range is
 * checked by userns_prepare once it is known. */
int grant_create_ok(const struct hutch_grant *g, const struct hutch_create *c,
		    const struct hutch_cgroup *l)
{
	if (g->kind == HUTCH_GRANT_ALL)
		return 0;
	if (g->kind != HUTCH_GRANT_RULE ||
	    (!(c->flags & HUTCH_CREATE_PRIVATE_NETWORK) && !(g->flags & HUTCH_GRANT_NET_HOST)) ||
	    (c->userns == HUTCH_USERNS_NO && !(g->flags & HUTCH_GRANT_USERNS_NO)) ||
	    !within(l, HUTCH_LIMIT_MEMORY_MAX, g->memory_max) ||
	    !within(l, HUTCH_LIMIT_TASKS_MAX, g->tasks_max) ||
	    !within(l, HUTCH_LIMIT_CPU_QUOTA, (uint64_t)g->cpu_quota * 10000) ||
	    /* DeviceAllow=, --slice= and --keep-unit are for unrestricted
	     * callers (one who can write to the cgroup it runs in could move
	     * the payload out of its limited cgroup, see policy/README.md) */
	    !cgroup_devices_standard(l) || strcmp(l->slice, "machine.slice") ||
	    (c->flags & HUTCH_CREATE_KEEP_UNIT))
		return -EACCES;
	/* --bind-user=: a tenant may map (and bind the home of) only itself. */
	for (uint32_t i = 0; i < c->n_bind_users; i++)
		if (c->bind_users[i].host_uid != g->caller_uid ||
		    c->bind_users[i].host_gid != g->caller_gid)
			return -EACCES;
	return 0;
}

/* EXEC: bounding and ambient sets within the ceiling. */
/*
 * LABEL. The grant's SELinuxRange is text from the parser, which the broker
 * does not parse: a restricted caller whose rule names one gets only the
 * automatic MCS labels (formatted here, compared whole) and no relabel;
 * with no range ("any") it may give its own labels, but never relabel a tree.
 */
int grant_label_ok(const struct hutch_grant *g, const struct hutch_label *l)
{
	char exec[HUTCH_LABEL_MAX], apifs[HUTCH_LABEL_MAX];
	if (g->kind == HUTCH_GRANT_ALL)
		return 0;
	if (g->kind != HUTCH_GRANT_RULE || l->tree[0])
		return -EACCES;
	if (!g->selinux_range[0])
		return 0;
	snprintf(exec, sizeof exec, "system_u:system_r:hutch_container_t:s0:c%u,c%u", l->cat[0],
		 l->cat[1]);
	snprintf(apifs, sizeof apifs, "system_u:object_r:hutch_container_file_t:s0:c%u,c%u",
		 l->cat[0], l->cat[1]);
	return l->reserve && !strcmp(l->exec, exec) && !strcmp(l->apifs, apifs) ? 0 : -EACCES;
}

/* grant_label_ok runs only on a LABEL that comes: a worker that sends none
 * must not leave the payload in hutch's own domain with its whole range. */
int grant_label_given(const struct hutch_grant *g, const struct hutch_label *l, bool reserved,
		      bool expected)
{
	if (g->kind == HUTCH_GRANT_ALL || !expected)
		return 0;
	if (g->kind != HUTCH_GRANT_RULE)
		return -EACCES;
	return !g->selinux_range[0] || (l->exec[0] && l->reserve && reserved) ? 0 : -EACCES;
}

int grant_exec_ok(const struct hutch_grant *g, const struct hutch_exec *e)
{
	if (g->kind == HUTCH_GRANT_ALL)
		return 0;
	if (g->kind != HUTCH_GRANT_RULE || ((e->cap_bounding | e->cap_ambient) & ~g->cap_max))
		return -EACCES;
	return 0;
}

/* The directory of `path` (absolute: the decoder checked) if it is one of
 * `list` or below one; *base points at the last component. */
static int granted_dir_of(const struct hutch_grant_path *list, uint32_t n, const char *path,
			  int *dfd, const char **base)
{
	char dir[HUTCH_PATH_MAX];
	const char *name = path_split(path, dir, sizeof dir);
	if (!name || name == path)
		return -EACCES;
	/* No magic link: see handle_open_root. */
	_cleanup_close_ int fd = openat2_fd(AT_FDCWD, dir, O_PATH | O_DIRECTORY,
					    RESOLVE_NO_MAGICLINKS);
	if (fd < 0)
		return fd;
	int r = grant_path_ok(list, n, 0, fd);
	if (r < 0)
		return r;
	*dfd = steal_fd(fd);
	*base = name;
	return 0;
}

/*
 * OPEN_HOST_FILE (--load-credential=): a caller the policy restricts may
 * read only files in a directory at or below a Bind=/BindReadOnly= path,
 * opened beneath that checked directory fd without symlinks.
 */
int grant_open_host_file(const struct hutch_grant *g, const char *path, int *out)
{
	if (g->kind == HUTCH_GRANT_ALL)
		return files_open_regular(AT_FDCWD, path, RESOLVE_NO_MAGICLINKS, O_RDONLY | O_NONBLOCK,
					  out);
	_cleanup_close_ int dfd = -1;
	const char *base;
	int r = g->kind == HUTCH_GRANT_RULE ? granted_dir_of(g->binds, g->n_binds, path, &dfd, &base)
					    : -EACCES;
	return r < 0 ? r
		     : files_open_regular(dfd, base, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS,
					  O_RDONLY | O_NONBLOCK, out);
}

/* OPEN_IMAGE: the image the broker opened must be, by identity, a file in
 * a directory at or below an Image= path. */
int grant_image_ok(const struct hutch_grant *g, const char *path, int image_fd)
{
	if (g->kind == HUTCH_GRANT_ALL)
		return 0;
	_cleanup_close_ int dfd = -1, fd = -1;
	const char *base;
	struct stat a, b;
	int r = g->kind == HUTCH_GRANT_RULE
			? granted_dir_of(g->images, g->n_images, path, &dfd, &base) : -EACCES;
	if (r == 0 && (fd = openat2_fd(dfd, base, O_PATH, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)) < 0)
		r = -EACCES;
	if (r == 0 && (fstat(fd, &a) < 0 || fstat(image_fd, &b) < 0 || a.st_dev != b.st_dev ||
		       a.st_ino != b.st_ino))
		r = -EACCES;
	return r;
}
