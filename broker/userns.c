/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The container's user namespace: a 65536-id range, locked for the life of
 * the container (a flock per range in /run/hutch/uid-ranges, released by the
 * kernel however hutch ends), and the way files get those ids: an idmapped
 * root mount where the file system can, else a one-time chown of the tree.
 * The maps are written by this privileged monitor, so the container may use
 * setgroups(2) on its own gids; "allow" is written explicitly before gid_map,
 * the order the kernel requires since CVE-2014-8989.
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
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/util.h"
#include "../common/worker_pool.h"

#define RANGE 65536u
#define PICK_MIN (524288u / RANGE)     /* nspawn's pick window, in ranges */
#define PICK_END (1878982656u / RANGE)

/* A flock on /run/hutch/DIR/NAME, held while the container lives; the
 * kernel lets go however hutch ends. -EADDRINUSE if someone holds it. */
int lock_name(const char *dir, const char *name, bool wait)
{
	char path[192];
	snprintf(path, sizeof path, "/run/hutch/%s", dir);
	if ((mkdir("/run/hutch", 0700) < 0 && errno != EEXIST) ||
	    (mkdir(path, 0700) < 0 && errno != EEXIST))
		return -errno;
	snprintf(path, sizeof path, "/run/hutch/%s/%s", dir, name);
	for (;;) {
		int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return -errno;
		if (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0) {
			close(fd);
			return -EADDRINUSE;
		}
		/* The holder before us unlinks the file as it lets go; if we locked
		 * such an orphan, try again on the current one. */
		struct stat a, b;
		if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino)
			return fd;
		close(fd);
	}
}

/* Remove the lock file while still holding it, so none pile up. */
void unlock_name(int fd, const char *dir, const char *name)
{
	char path[192];
	snprintf(path, sizeof path, "/run/hutch/%s/%s", dir, name);
	unlink(path);
	close(fd);
}

static int lock_range(uint32_t base)
{
	char name[16];
	snprintf(name, sizeof name, "%u", base);
	return lock_name("uid-ranges", name, false);
}

static void unlock_range(int fd, uint32_t base)
{
	char name[16];
	snprintf(name, sizeof name, "%u", base);
	unlock_name(fd, "uid-ranges", name);
}

static int write_proc(pid_t pid, const char *file, const char *text)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", pid, file);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* One write: the kernel takes a map only whole. */
	return write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : -errno;
}

/* The helper that holds a new user namespace until we have its fd: born in
 * it, sharing our memory (no page tables to copy), idle until killed. */
static int hold_userns(void *arg)
{
	for (;;)
		pause();
	return 0;
}

/*
 * The container's map: [0, count) to [base, ...), except that each
 * --bind-user= id maps to that user's host uid (gid). Ascending ids.
 */
static int build_map(char *map, size_t size, const struct hutch_create *c, uint32_t base,
		     uint32_t count, bool gid)
{
	size_t off = 0;
	uint32_t next = 0;
	for (uint32_t i = 0; i <= c->n_bind_users; i++) {
		const struct hutch_bind_user_ids *b = &c->bind_users[i];
		uint32_t hole = i < c->n_bind_users ? b->container_id : count;
		if (hole >= count && i < c->n_bind_users)
			return -ERANGE; /* nspawn's ids need a full 65536-id range */
		if (hole > next)
			off += (size_t)snprintf(map + off, size - off, "%u %u %u\n", next, base + next,
						hole - next);
		if (i < c->n_bind_users)
			off += (size_t)snprintf(map + off, size - off, "%u %u 1\n", hole,
						gid ? b->host_gid : b->host_uid);
		next = hole + 1;
	}
	return off < size ? 0 : -E2BIG;
}

/* A user namespace with these maps (text for uid_map and gid_map), by fd.
 * The helper need not run at all: it is in the namespace once clone
 * returns, so the maps are written and the fd taken at once. It is killed
 * then, but not waited for: a killed task still has to be scheduled to
 * exit, which on a busy host took 0.5-4 ms of the start. SIGKILL lets it
 * run no more user code, yet each helper has its own stack (at most two
 * per start: the container's namespace and the idmap's) until reaped. */
static int make_userns_maps(struct userns *u, const char *uid_map, const char *gid_map)
{
	static char stacks[2][8192] __attribute__((aligned(64)));
	int slot = u->helper[0] < 0 ? 0 : 1;
	if (u->helper[slot] >= 0)
		userns_reap(u);
	int pidfd = -1;
	pid_t pid = clone(hold_userns, stacks[slot] + sizeof stacks[slot],
			  CLONE_NEWUSER | CLONE_VM | CLONE_PIDFD | SIGCHLD, NULL, &pidfd);
	if (pid < 0)
		return -errno;
	u->helper[slot] = pidfd;
	char path[64];
	int fd = -1, r;
	r = write_proc(pid, "setgroups", "allow");
	if (r == 0)
		r = write_proc(pid, "uid_map", uid_map);
	if (r == 0)
		r = write_proc(pid, "gid_map", gid_map);
	snprintf(path, sizeof path, "/proc/%d/ns/user", pid);
	if (r == 0 && (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		r = -errno;
	syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	return r < 0 ? r : fd;
}

void userns_reap(struct userns *u)
{
	for (int i = 0; i < 2; i++) {
		siginfo_t si;
		if (u->helper[i] < 0)
			continue;
		while (waitid(P_PIDFD, (id_t)u->helper[i], &si, WEXITED) < 0 && errno == EINTR)
			;
		closep(&u->helper[i]);
		u->helper[i] = -1;
	}
}

/* A user namespace mapping [inside, inside+count) to [outside, ...), by fd. */
static int make_userns(struct userns *u, uint32_t inside, uint32_t outside, uint32_t count)
{
	char map[64];
	snprintf(map, sizeof map, "%u %u %u\n", inside, outside, count);
	return make_userns_maps(u, map, map);
}

/* Can this file system take an idmapped mount? Try it on a detached copy,
 * which is kept (*probe) for the monitor to drop once the container runs. */
static bool idmap_supported(int root_fd, int userns_fd, int *probe)
{
	_cleanup_close_ int tree = open_tree(root_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
							     AT_EMPTY_PATH | AT_RECURSIVE);
	struct mount_attr a = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns_fd};
	if (tree < 0 || mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof a) < 0)
		return false;
	*probe = steal_fd(tree);
	return true;
}

/* Does [base, base + RANGE) overlap ids delegated in /etc/subuid or subgid?
 * Not a question in a pool the admin named (HUTCH_GRANT_UID_POOL). */
static bool delegated(const struct hutch_create *c, const struct hutch_grant *g, uint32_t base)
{
	if (g->kind == HUTCH_GRANT_RULE && (g->flags & HUTCH_GRANT_UID_POOL))
		return false;
	for (uint32_t i = 0; i < c->n_avoid; i++)
		if (c->avoid[i].start < (uint64_t)base + RANGE &&
		    base < (uint64_t)c->avoid[i].start + c->avoid[i].count)
			return true;
	return false;
}

/* Lock `base` unless delegated: 1 taken, 0 not free, -errno. */
static int try_range(const struct hutch_create *c, const struct hutch_grant *g, uint32_t base,
		     struct userns *u)
{
	if (delegated(c, g, base))
		return 0;
	if ((u->lock_fd = lock_range(base)) >= 0) {
		u->base = base;
		return 1;
	}
	return u->lock_fd == -EADDRINUSE ? 0 : u->lock_fd;
}

/* A free range in nspawn's pick window cut down to the grant's pool, clear
 * of delegated ids; the tree's own range first, and only that one when
 * `must` (a shift to finish: it must end where it began). */
static int pick_range(const struct hutch_create *c, uint32_t prefer, bool must,
		      const struct hutch_grant *g, struct userns *u)
{
	uint32_t lo = PICK_MIN, end = PICK_END;
	if (g->kind == HUTCH_GRANT_RULE) {
		lo = lo > g->uid_min / RANGE ? lo : g->uid_min / RANGE;
		end = end < g->uid_max / RANGE ? end : g->uid_max / RANGE;
	}
	if (lo >= end)
		return -EACCES;
	bool in_window = prefer / RANGE >= lo && prefer / RANGE < end;
	if (must) {
		if (!in_window)
			return -EACCES;
		/* A journal names it: not a reason to share ids with a user. */
		if (delegated(c, g, prefer))
			return -EADDRINUSE;
		u->lock_fd = lock_range(prefer);
		u->base = prefer;
		return u->lock_fd < 0 ? u->lock_fd : 0;
	}
	int r = in_window ? try_range(c, g, prefer, u) : 0; /* the tree's own: no ownership work */
	uint32_t rnd;
	for (int tries = 0; r == 0 && tries < 64; tries++) {
		if (getrandom(&rnd, sizeof rnd, 0) != sizeof rnd)
			return -EIO;
		r = try_range(c, g, (lo + rnd % (end - lo)) * RANGE, u);
	}
	/* Most of the window taken or delegated: every range once, from a random one. */
	for (uint32_t i = 0; r == 0 && i < end - lo; i++)
		r = try_range(c, g, (lo + (rnd + i) % (end - lo)) * RANGE, u);
	return r < 0 ? r : r ? 0 : -EADDRINUSE;
}

/* The range, locked. With a journal (`resume`) the tree's range is the one
 * the interrupted shift went to: pick and "yes" take it, a fixed range must
 * be it. */
static int take_range(const struct hutch_create *c, const struct hutch_grant *g, uint32_t root_uid,
		      const struct chown_journal *j, bool resume, struct userns *u,
		      const char **what)
{
	uint32_t tree = resume ? j->to : root_uid;
	u->count = RANGE;
	if (c->userns == HUTCH_USERNS_PICK) {
		if (resume && (tree % RANGE || j->count != RANGE)) {
			*what = "file ownership (an interrupted shift to a fixed range must be finished first)";
			return -EBUSY;
		}
		if (resume)
			*what = "uid range (the range an interrupted ownership shift went to)";
		return pick_range(c, tree & ~(RANGE - 1), resume, g, u);
	}
	if (c->userns == HUTCH_USERNS_FROM_ROOT && tree % RANGE)
		return -EDOM; /* nspawn: the root's owner must start a range */
	u->base = c->userns == HUTCH_USERNS_FIXED ? c->uid_base : tree;
	u->count = c->userns == HUTCH_USERNS_FIXED ? c->uid_count : RANGE;
	if (resume && (u->base != j->to || u->count != j->count)) {
		*what = "file ownership (an interrupted shift to another range must be finished first)";
		return -EBUSY;
	}
	/* A container root there could signal other invocations' workers.
	 * (Picked ranges never are: the pool is outside the pick window.) */
	if (hutch_worker_pool_overlaps(u->base, u->count)) {
		*what = "worker uids";
		return -EADDRNOTAVAIL;
	}
	if (!hutch_grant_uid_range_ok(g, u->base, u->count))
		return -EACCES;
	/* Only the base is locked: under a policy a range must be one whole
	 * 65536-id block, so two tenants' ranges never overlap. */
	if (g->kind != HUTCH_GRANT_ALL && (u->base % RANGE || u->count != RANGE)) {
		*what = "uid range not one 65536-id block";
		return -EACCES;
	}
	return u->lock_fd = lock_range(u->base);
}

/*
 * Files get the range's ids: an idmapped root mount, else the chown shift.
 * Through an idmapped root the container's root writes files as the tree's
 * on-disk owner: host uid 0 for a tree owned by root, and a setuid file it
 * makes there is a setuid-root file on the host. So for a caller the policy
 * restricts, only a tree owned by ids of its own pool is mapped.
 */
static int tree_ownership(const struct hutch_create *c, const struct hutch_grant *g, int root_fd,
			  uint32_t owner_base, bool resume, bool may_chown, int progress,
			  struct userns *u, const char **what)
{
	*what = "file ownership";
	if ((owner_base == u->base && !resume) || c->ownership == HUTCH_OWNERSHIP_OFF)
		return 0;
	if (c->ownership != HUTCH_OWNERSHIP_CHOWN && !resume &&
	    !hutch_grant_uid_range_ok(g, owner_base, u->count)) {
		*what = "root owner outside the uid pool";
		return -EACCES;
	}
	if (c->ownership != HUTCH_OWNERSHIP_CHOWN && !resume) {
		/* On-disk owner_base+N shows as base+N through this mapping. */
		/* (Not the container's own with bind users: its holes are not the tree's.) */
		u->idmap_fd = owner_base == 0 && !c->n_bind_users
				      ? fcntl(u->fd, F_DUPFD_CLOEXEC, 3)
				      : make_userns(u, owner_base, u->base, u->count);
		if (u->idmap_fd < 0)
			return u->idmap_fd;
		if (idmap_supported(root_fd, u->idmap_fd, &u->probe_fd))
			return 0;
		closep(&u->idmap_fd);
		u->idmap_fd = -1;
		if (c->ownership == HUTCH_OWNERSHIP_MAP)
			return -EOPNOTSUPP;
	}
	if (resume && c->ownership == HUTCH_OWNERSHIP_MAP) {
		*what = "file ownership (an interrupted chown shift must be finished: use chown or auto)";
		return -EBUSY;
	}
	if (!may_chown)
		return -EROFS;
	struct chown_journal j = {.from = owner_base, .to = u->base, .count = u->count};
	return chown_tree(root_fd, &j, progress, what);
}

int userns_prepare(const struct hutch_create *c, const struct hutch_grant *g, int root_fd,
		   bool may_chown, bool is_image, int progress, struct userns *u,
		   const char **what)
{
	*u = (struct userns){.fd = -1, .idmap_fd = -1, .lock_fd = -1, .probe_fd = -1,
			     .helper = {-1, -1}};
	if (c->userns == HUTCH_USERNS_NO)
		return 0;
	struct stat st;
	if (fstat(root_fd, &st) < 0)
		return -errno;
	/* A journal is believed only if the root's owner is one of its ranges,
	 * and never from an image: it would choose the range. */
	struct chown_journal j = {0};
	*what = "file ownership journal";
	int r = is_image ? 0 : chown_journal_read(root_fd, &j);
	if (r < 0)
		return r;
	bool resume = r == 1 && (st.st_uid - j.from < j.count || st.st_uid - j.to < j.count);
	uint32_t owner_base = resume ? j.from : st.st_uid & ~(RANGE - 1);
	*what = "uid range";
	if ((r = take_range(c, g, st.st_uid, &j, resume, u, what)) < 0)
		return r;
	*what = "user namespace";
	if (c->n_bind_users) {
		char uid_map[1024], gid_map[1024];
		*what = "bind user";
		if ((r = build_map(uid_map, sizeof uid_map, c, u->base, u->count, false)) < 0 ||
		    (r = build_map(gid_map, sizeof gid_map, c, u->base, u->count, true)) < 0)
			return r;
		u->fd = make_userns_maps(u, uid_map, gid_map);
	} else
		u->fd = make_userns(u, 0, u->base, u->count);
	if (u->fd < 0)
		return u->fd;
	return tree_ownership(c, g, root_fd, owner_base, resume, may_chown, progress, u, what);
}

void userns_release(struct userns *u)
{
	userns_reap(u);
	closep(&u->fd);
	closep(&u->idmap_fd);
	closep(&u->probe_fd);
	if (u->lock_fd >= 0)
		unlock_range(u->lock_fd, u->base);
	u->fd = u->idmap_fd = u->lock_fd = u->probe_fd = -1;
}
