/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Mounts inside the container's mount namespace, with the new mount API only.
 * Every target is resolved from the container root with openat2(
 * RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS) and opened
 * O_NOFOLLOW: a symlink where /proc, /dev, /dev/console or any other mount
 * target must be fails with ELOOP (runc CVE-2019-19921, CVE-2025-31133,
 * CVE-2025-52565). Host sources are opened by path on the host side only for
 * fixed, trusted paths (/dev/null, /etc/os-release).
 */
#include "broker.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../common/util.h"

#define RESOLVE_STRICT (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS)
#define TTY_GID 5 /* nspawn's devpts gid= */

static uint32_t owner; /* host uid of the container's root (0 without userns) */
static char owner_str[16] = "0", tty_gid_str[16] = "5";
static const char *apifs_context = ""; /* -L, checked by the decoder */

void mounts_set_context(const char *context)
{
	apifs_context = context;
}

/* context= on an API file system (tmpfs, devpts) when -L or MCS asks. */
static int set_context(int fsfd)
{
	return apifs_context[0] && fsconfig(fsfd, FSCONFIG_SET_STRING, "context", apifs_context,
					    0) < 0 ? -errno : 0;
}

void mounts_set_owner(uint32_t uid)
{
	owner = uid;
	snprintf(owner_str, sizeof owner_str, "%u", uid);
	snprintf(tty_gid_str, sizeof tty_gid_str, "%u", uid + TTY_GID);
}

uint32_t mounts_owner(void)
{
	return owner;
}

void as_fsid(uint32_t id)
{
	setfsgid(id);
	setfsuid(id);
}

int openat2_fd(int dirfd, const char *path, int flags, uint64_t resolve_flags)
{
	struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC), .resolve = resolve_flags};
	int fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
	return fd < 0 ? -errno : fd;
}

int resolve(int root, const char *path, int flags)
{
	return openat2_fd(root, path, flags | O_NOFOLLOW, RESOLVE_STRICT);
}

int create_entry(int dir, const char *name, bool is_dir, uint32_t uid)
{
	/* O_PATH fds cannot create; reopen the directory as a real one. */
	_cleanup_close_ int real = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (real < 0)
		return -errno;
	as_fsid(uid);
	int fd = is_dir ? mkdirat(real, name, 0755)
			: openat(real, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
	int r = fd < 0 && errno != EEXIST ? -errno : 0;
	as_fsid(0);
	if (!is_dir && fd >= 0)
		close(fd);
	return r;
}

/*
 * Open a mount target inside the root, creating it (as a directory, or an
 * empty file) when missing. The result must be of the wanted kind: a symlink
 * or device where a directory must be is refused.
 */
static int open_target(int root, const char *path, bool dir)
{
	int fd = resolve(root, path, O_PATH);
	if (fd == -ENOENT) {
		char parent[HUTCH_PATH_MAX];
		const char *name = path_split(path, parent, sizeof parent);
		if (!name)
			return -ENAMETOOLONG;
		_cleanup_close_ int pfd = resolve(root, parent, O_PATH | O_DIRECTORY);
		if (pfd < 0)
			return pfd;
		int r = create_entry(pfd, name, dir, 0);
		if (r < 0)
			return r;
		fd = resolve(root, path, O_PATH);
	}
	if (fd < 0)
		return fd;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	if (S_ISLNK(st.st_mode) || (dir && !S_ISDIR(st.st_mode)) ||
	    (!dir && !S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode))) {
		close(fd);
		return S_ISLNK(st.st_mode) ? -ELOOP : dir ? -ENOTDIR : -EINVAL;
	}
	return fd;
}

int attach(int tree, int root, const char *target, bool dir)
{
	_cleanup_close_ int tfd = open_target(root, target, dir);
	if (tfd < 0)
		return tfd;
	if (move_mount(tree, "", tfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return -errno;
	return 0;
}

/* fsopen + options + fsmount + move_mount: a fresh kernel file system. */
static int mount_fresh(int root, const char *target, const char *fstype,
		       const char *const *opts, unsigned attrs, bool apifs)
{
	_cleanup_close_ int fsfd = fsopen(fstype, FSOPEN_CLOEXEC);
	if (fsfd < 0)
		return -errno;
	if (apifs && set_context(fsfd) < 0)
		return -errno;
	for (size_t i = 0; opts && opts[i]; i += 2)
		if (fsconfig(fsfd, FSCONFIG_SET_STRING, opts[i], opts[i + 1], 0) < 0)
			return -errno;
	/* A tmpfs belongs to the container's root, so it can write there. */
	if (!strcmp(fstype, "tmpfs") &&
	    (fsconfig(fsfd, FSCONFIG_SET_STRING, "uid", owner_str, 0) < 0 ||
	     fsconfig(fsfd, FSCONFIG_SET_STRING, "gid", owner_str, 0) < 0))
		return -errno;
	if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;
	_cleanup_close_ int mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, attrs);
	if (mfd < 0)
		return -errno;
	return attach(mfd, root, target, true);
}

/* Bind a trusted host path (absolute, host side) onto a target in the root. */
int bind_host(int root, const char *host_path, const char *target, unsigned attrs)
{
	_cleanup_close_ int tree = open_tree(AT_FDCWD, host_path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree < 0)
		return -errno;
	if (attrs) {
		struct mount_attr a = {.attr_set = attrs};
		if (mount_setattr(tree, "", AT_EMPTY_PATH, &a, sizeof a) < 0)
			return -errno;
	}
	struct stat st;
	if (fstat(tree, &st) < 0)
		return -errno;
	return attach(tree, root, target, S_ISDIR(st.st_mode));
}

/* Re-bind a path inside the root onto itself with extra attributes (read-only). */
int rebind_self(int root, const char *path, unsigned attrs)
{
	_cleanup_close_ int src = resolve(root, path, O_PATH);
	if (src < 0)
		return src;
	_cleanup_close_ int tree = open_tree(src, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
						  AT_EMPTY_PATH | AT_RECURSIVE);
	if (tree < 0)
		return -errno;
	struct mount_attr a = {.attr_set = attrs};
	if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof a) < 0)
		return -errno;
	if (move_mount(tree, "", src, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return -errno;
	return 0;
}

/*
 * The monitor's root fd belongs to the host's mount namespace, and mounts can
 * only be cloned from our own. Reopen the path here and insist it is the very
 * same directory, so a rename race between the two opens gains nothing.
 */
static int reopen_root(int host_fd, const char *path)
{
	_cleanup_close_ int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat a, b;
	if (fstat(host_fd, &a) < 0 || fstat(fd, &b) < 0)
		return -errno;
	if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		return -ESTALE;
	return steal_fd(fd);
}

/*
 * The root as a detached tree: a clone of the directory (reopened here, see
 * above), or the image's own detached mount; idmapped if asked, under a
 * tmpfs overlay for --ephemeral.
 */
static int root_tree(int host_fd, const char *root_path, unsigned how, int idmap_fd, int *tree)
{
	_cleanup_close_ int t = -1;
	if (how & ROOT_IMAGE) {
		t = fcntl(host_fd, F_DUPFD_CLOEXEC, 3);
	} else {
		_cleanup_close_ int root_fd = reopen_root(host_fd, root_path);
		if (root_fd < 0)
			return root_fd;
		t = open_tree(root_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH |
						   AT_RECURSIVE);
	}
	if (t < 0)
		return -errno;
	struct mount_attr idmap = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)idmap_fd};
	if (idmap_fd >= 0 &&
	    mount_setattr(t, "", AT_EMPTY_PATH | AT_RECURSIVE, &idmap, sizeof idmap) < 0)
		return -errno;
	if (how & ROOT_OVERLAY) {
		int ovl, r = overlay_on_tmpfs(t, &ovl);
		if (r < 0)
			return r;
		closep(&t);
		t = ovl;
	}
	*tree = steal_fd(t);
	return 0;
}

int mount_root(int host_fd, const char *root_path, unsigned how, int idmap_fd, int *new_root,
	       const char **what)
{
	*what = "/";
	/* Nothing we mount may propagate back to the host. */
	struct mount_attr priv = {.propagation = MS_PRIVATE};
	if (mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &priv, sizeof priv) < 0)
		return -errno;
	_cleanup_close_ int tree = -1;
	int r = root_tree(host_fd, root_path, how, idmap_fd, &tree);
	if (r < 0)
		return r;
	/* A mount point for pivot_root: the directory root is mounted onto
	 * itself; an image or overlay (no host directory of its own) on top
	 * of our private copy of "/". The tree fd then names the new mount's
	 * root, which is all we use. */
	if (how & (ROOT_IMAGE | ROOT_OVERLAY))
		r = move_mount(tree, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH);
	else {
		_cleanup_close_ int root_fd = reopen_root(host_fd, root_path);
		if (root_fd < 0)
			return root_fd;
		r = move_mount(tree, "", root_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
	}
	if (r < 0)
		return -errno;
	*new_root = steal_fd(tree);
	return 0;
}

/* Files masked with /dev/null, directories with an empty read-only tmpfs. */
static const char *const proc_masked_files[] = {
	"proc/kcore", "proc/kallsyms", "proc/keys", "proc/key-users", "proc/timer_list",
	"proc/latency_stats", "proc/sched_debug", "proc/sysrq-trigger", "proc/kpagecount",
	"proc/kpageflags", "proc/kpagecgroup", "proc/config.gz",
};
static const char *const proc_masked_dirs[] = {"proc/scsi", "proc/acpi"};
static const char *const proc_read_only[] = {"proc/sys", "proc/irq", "proc/bus", "proc/fs"};

/* A read-only /dev/null over the file behind `tfd` (open_target's checks).
 * One lookup of the target where exists() and then attach() took two. */
static int mask_file(int tfd)
{
	struct stat st;
	if (fstat(tfd, &st) < 0)
		return -errno;
	if (S_ISLNK(st.st_mode))
		return -ELOOP;
	if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode))
		return -EINVAL;
	_cleanup_close_ int tree = open_tree(AT_FDCWD, "/dev/null", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY};
	if (tree < 0 || mount_setattr(tree, "", AT_EMPTY_PATH, &a, sizeof a) < 0 ||
	    move_mount(tree, "", tfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return -errno;
	return 0;
}

static int exists(int root, const char *path)
{
	int fd = resolve(root, path, O_PATH);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	close(fd);
	return 1;
}

static int mount_proc(int root, const char **what)
{
	*what = "/proc";
	int r = mount_fresh(root, "proc", "proc", NULL,
			    MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, false);
	if (r < 0)
		return r;
	/* A mask that fails aborts the start: never a silently unmasked /proc. */
	for (size_t i = 0; i < ARRAY_SIZE(proc_read_only); i++) {
		*what = proc_read_only[i];
		if ((r = exists(root, *what)) < 0)
			return r;
		if (r && (r = rebind_self(root, *what, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
								MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)) < 0)
			return r;
	}
	for (size_t i = 0; i < ARRAY_SIZE(proc_masked_files); i++) {
		*what = proc_masked_files[i];
		_cleanup_close_ int tfd = resolve(root, *what, O_PATH);
		if (tfd == -ENOENT)
			continue; /* a mask where nothing is has nothing to hide */
		if (tfd < 0)
			return tfd;
		if ((r = mask_file(tfd)) < 0)
			return r;
	}
	static const char *const empty_ro[] = {"mode", "0555", "size", "0", NULL};
	for (size_t i = 0; i < ARRAY_SIZE(proc_masked_dirs); i++) {
		*what = proc_masked_dirs[i];
		if ((r = exists(root, *what)) < 0)
			return r;
		if (r && (r = mount_fresh(root, *what, "tmpfs", empty_ro,
					  MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
						  MOUNT_ATTR_NOEXEC, false)) < 0)
			return r;
	}
	return 0;
}

static const char *const dev_nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};

static int populate_dev(int root, const char **what)
{
	int r;
	char host[32], target[32];
	for (size_t i = 0; i < ARRAY_SIZE(dev_nodes); i++) {
		snprintf(host, sizeof host, "/dev/%s", dev_nodes[i]);
		snprintf(target, sizeof target, "dev/%s", dev_nodes[i]);
		*what = host;
		if ((r = bind_host(root, host, target, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC)) < 0)
			return r;
	}
	*what = "/dev/pts";
	const char *const pts_opts[] = {"newinstance", "", "ptmxmode", "0666",
					"mode", "0620", "gid", tty_gid_str, NULL};
	/* newinstance takes no value: set it as a flag below, the rest as strings. */
	_cleanup_close_ int fsfd = fsopen("devpts", FSOPEN_CLOEXEC);
	if (fsfd < 0)
		return -errno;
	for (size_t i = 2; pts_opts[i]; i += 2)
		if (fsconfig(fsfd, FSCONFIG_SET_STRING, pts_opts[i], pts_opts[i + 1], 0) < 0)
			return -errno;
	if (set_context(fsfd) < 0 || fsconfig(fsfd, FSCONFIG_SET_FLAG, "newinstance", NULL, 0) < 0 ||
	    fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;
	_cleanup_close_ int mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
	if (mfd < 0)
		return -errno;
	if ((r = attach(mfd, root, "dev/pts", true)) < 0)
		return r;
	*what = "/dev/shm";
	static const char *const shm_opts[] = {"mode", "1777", NULL};
	if ((r = mount_fresh(root, "dev/shm", "tmpfs", shm_opts,
			     MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, true)) < 0)
		return r;
	*what = "/dev/mqueue"; /* mounted at EXEC, in the payload's IPC namespace */
	_cleanup_close_ int mq = open_target(root, "dev/mqueue", true);
	if (mq < 0)
		return mq;
	*what = "/dev";
	_cleanup_close_ int dev = resolve(root, "dev", O_RDONLY | O_DIRECTORY);
	if (dev < 0)
		return dev;
	static const char *const links[][2] = {
		{"ptmx", "pts/ptmx"},          {"fd", "/proc/self/fd"},
		{"stdin", "/proc/self/fd/0"},  {"stdout", "/proc/self/fd/1"},
		{"stderr", "/proc/self/fd/2"}, {"core", "/proc/kcore"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(links); i++)
		if (symlinkat(links[i][1], dev, links[i][0]) < 0)
			return -errno;
	return 0;
}

static int mount_dev(int root, const char **what)
{
	*what = "/dev";
	static const char *const opts[] = {"mode", "0755", "size", "4m", "nr_inodes", "65536", NULL};
	/* nodev on the tmpfs: a node the payload mknods here does not work;
	 * the real nodes are separate bind mounts of the host's. */
	int r = mount_fresh(root, "dev", "tmpfs", opts,
			    MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NODEV, true);
	if (r < 0)
		return r;
	return populate_dev(root, what);
}

static int write_file_in(int root, const char *path, const char *content, mode_t mode)
{
	char parent[HUTCH_PATH_MAX];
	const char *name = path_split(path, parent, sizeof parent);
	if (!name)
		return -ENAMETOOLONG;
	_cleanup_close_ int dir = resolve(root, parent, O_RDONLY | O_DIRECTORY);
	if (dir < 0)
		return dir;
	_cleanup_close_ int fd = openat(dir, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW |
							      O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	return write_full(fd, content, strlen(content));
}

/* /run as tmpfs, and /run/host per the Container Interface. */
static int mount_run(int root, const char **what)
{
	*what = "/run";
	static const char *const opts[] = {"mode", "0755", "size", "20%", "nr_inodes", "400k", NULL};
	int r = mount_fresh(root, "run", "tmpfs", opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, true);
	if (r < 0)
		return r;
	*what = "/run/host";
	_cleanup_close_ int host = open_target(root, "run/host", true);
	if (host < 0)
		return host;
	*what = "/run/host/container-manager";
	if ((r = write_file_in(root, "run/host/container-manager", "hutch\n", 0444)) < 0)
		return r;
	*what = "/run/host/incoming";
	if ((r = run_host_incoming(root)) < 0)
		return r;
	*what = "/run/host/os-release";
	const char *src = access("/etc/os-release", F_OK) == 0 ? "/etc/os-release"
			  : access("/usr/lib/os-release", F_OK) == 0 ? "/usr/lib/os-release"
								     : NULL;
	if (src && (r = bind_host(root, src, "run/host/os-release",
				  MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
					  MOUNT_ATTR_NOEXEC)) < 0)
		return r;
	return 0;
}

int mount_api(int root, enum hutch_api_fs kind, const char **what)
{
	static const char *const tmp_opts[] = {"mode", "1777", NULL};
	switch (kind) {
	case HUTCH_API_PROC:
		return mount_proc(root, what);
	case HUTCH_API_SYS:
		*what = "/sys";
		return mount_fresh(root, "sys", "sysfs", NULL,
				   MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
					   MOUNT_ATTR_NOEXEC, false);
	case HUTCH_API_CGROUP:
		*what = "/sys/fs/cgroup";
		return mount_fresh(root, "sys/fs/cgroup", "cgroup2", NULL,
				   MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, false);
	case HUTCH_API_DEV:
		return mount_dev(root, what);
	case HUTCH_API_RUN:
		return mount_run(root, what);
	case HUTCH_API_TMP:
		*what = "/tmp";
		return mount_fresh(root, "tmp", "tmpfs", tmp_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
				   true);
	case HUTCH_API_MAX:
		break;
	}
	return -EINVAL;
}

int console_open(int root, const struct hutch_open_console *c, int *master, int *slave,
		 const char **what)
{
	*what = "/dev/pts/ptmx";
	_cleanup_close_ int m = resolve(root, "dev/pts/ptmx", O_RDWR | O_NOCTTY);
	if (m < 0)
		return m;
	int unlock = 0;
	if (ioctl(m, TIOCSPTLCK, &unlock) < 0)
		return -errno;
	/* TIOCGPTPEER opens the peer of *this* master, no path lookup. */
	_cleanup_close_ int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0)
		return -errno;
	if (c->rows && c->cols) {
		struct winsize ws = {.ws_row = c->rows, .ws_col = c->cols};
		(void)ioctl(m, TIOCSWINSZ, &ws);
	}
	*what = "/dev/console";
	if (fchown(s, owner, owner + TTY_GID) < 0)
		return -errno;
	_cleanup_close_ int tree = open_tree(s, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (tree < 0)
		return -errno;
	int r = attach(tree, root, "dev/console", false);
	if (r < 0)
		return r;
	*master = steal_fd(m);
	*slave = steal_fd(s);
	return 0;
}

/*
 * /dev/mqueue, after pivot_root and after the user namespace is entered: an
 * mqueue file system shows the queues of the IPC namespace it is mounted
 * from, and the payload's is the one made with its user namespace. That
 * superblock exists since the namespace does, so context= cannot label it
 * (the kernel refuses other options on a live superblock): its root is
 * labelled like the other API file systems' (-L, or the automatic MCS
 * label) by setting security.selinux; the queues made in it are labelled
 * by the policy (type_transition in selinux/hutch.te).
 */
int mount_mqueue(void)
{
	_cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return -errno;
	int r = exists(root, "dev/mqueue");
	if (r <= 0)
		return r; /* no /dev of ours: nothing to show it in */
	r = mount_fresh(root, "dev/mqueue", "mqueue", NULL,
			MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, false);
	if (r < 0 || !apifs_context[0])
		return r;
	_cleanup_close_ int mq = resolve(root, "dev/mqueue", O_RDONLY | O_DIRECTORY);
	if (mq < 0)
		return mq;
	return fsetxattr(mq, "security.selinux", apifs_context, strlen(apifs_context) + 1, 0) < 0
		       ? -errno : 0;
}

int pivot_to(int root, const char **what)
{
	*what = "pivot_root";
	if (fchdir(root) < 0)
		return -errno;
	/* Stack the old root on top of the new one, then detach it. */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return -errno;
	if (umount2(".", MNT_DETACH) < 0)
		return -errno;
	if (chdir("/") < 0)
		return -errno;
	return 0;
}
