/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The privileged side. Two processes run this code:
 *  - the monitor (hutch's own pid): opens the root and the files the worker
 *    must parse, creates the cgroup, clones the container init, supervises;
 *  - the container init: executes mount requests inside the new namespaces,
 *    pivots, and finally becomes the payload.
 * Neither parses text. Every request is a typed, length-checked record.
 */
#ifndef HUTCH_BROKER_H
#define HUTCH_BROKER_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "../common/grant.h"
#include "../common/proto.h"
#include "permit.h"

/* Entry point for hutch's original process; returns hutch's exit status.
 * `grant` is the caller's (grant_compile), `parse` the policy parser, which
 * runs as `worker_uid` (the invocation's, worker_uid_acquire). */
int broker_main(int sock, pid_t worker, uint32_t worker_uid, const struct hutch_grant *grant,
		hutch_policy_fn parse);

/* workeruid.c: this invocation's worker uid/gid from the build-time pool
 * (common/worker_pool.h), held by a flock under
 * /run/hutch/worker-uids until released or hutch ends. Returns the lock fd;
 * -EADDRINUSE when every uid of the pool is taken. */
int worker_uid_acquire(uint32_t *uid);
void worker_uid_release(int fd, uint32_t uid);

/* grant.c: the admin policy (policy_paths.c: where it lives, fixed at build time). */
extern const char hutch_policy_dir[], hutch_host_passwd[], hutch_host_group[];
/* Run `parse` in a child on the policy files: the caller's grant (always
 * filled, fail-closed; returns 0), or with report_user a printed report
 * (returns 0 if the policy is valid). */
int grant_compile(hutch_policy_fn parse, const char *report_user, uint32_t worker_uid,
		  struct hutch_grant *g);
int grant_path_ok(const struct hutch_grant_path *list, uint32_t n, uint32_t need, int fd);
int grant_root_ok(const struct hutch_grant *g, int fd);
int grant_create_ok(const struct hutch_grant *g, const struct hutch_create *c,
		    const struct hutch_cgroup *limits);
int grant_exec_ok(const struct hutch_grant *g, const struct hutch_exec *e);
int grant_label_ok(const struct hutch_grant *g, const struct hutch_label *l);
/* CREATE: a rule naming SELinuxRange= must have had its labels (LABEL, with
 * its category pair `reserved`) when `expected` (SELinux enforcing, with
 * hutch's container domain: where the worker labels on its own). */
int grant_label_given(const struct hutch_grant *g, const struct hutch_label *l, bool reserved,
		      bool expected);
int grant_open_host_file(const struct hutch_grant *g, const char *path, int *out);
int grant_image_ok(const struct hutch_grant *g, const char *path, int image_fd);

/* userns.c: the container's user namespace and file ownership. */
struct userns {
	int fd;       /* the container's user namespace, -1 without one */
	int idmap_fd; /* user namespace for the root's idmapped mount, -1: none */
	int lock_fd;  /* flock on the uid range, held while the container lives */
	int probe_fd; /* the idmap probe's detached tree: its close waits for an RCU
			 grace period, so the monitor closes it off the start path */
	int helper[2]; /* pidfds of the killed helpers that made fd and idmap_fd:
			  reaped off the start path (userns_reap), -1: none */
	uint32_t base, count;
};
/* may_chown: false when the root must not be changed (read-only image,
 * ephemeral overlay); a chown shift is then refused with -EROFS. A shift
 * reports PROGRESS on `progress` (the worker's socket). is_image: the root
 * is a disk image, whose xattrs (a chown journal) are the image's to forge. */
int userns_prepare(const struct hutch_create *c, const struct hutch_grant *g, int root_fd,
		   bool may_chown, bool is_image, int progress, struct userns *u,
		   const char **what);
/* Wait for the helpers, killed already (the monitor, once the container runs). */
void userns_reap(struct userns *u);
void userns_release(struct userns *u);
/* chown.c: nspawn -U's ownership shift of a tree, ids [from, from+count) -> to,
 * owners, POSIX ACL entries and v3 file capability root ids, with PROGRESS
 * records on the socket `progress` (-1: none) for the worker. Restartable: the
 * root carries a journal (struct chown_journal) from before the first change
 * until after the last (the root itself), so a failed or killed shift is
 * finished by the next start; a tree too deep is refused before any change.
 * *what is set to a specific reason on the refusals. */
struct chown_journal {
	uint32_t from, to, count;
};
int chown_tree(int root_fd, const struct chown_journal *j, int progress, const char **what);
/* links.c: files with several names met by the walk (see there). */
struct link_table {
	struct link_entry *e;
	size_t cap, n;
};
int links_add(struct link_table *t, const struct stat *st);
bool links_all_inside(const struct link_table *t);
bool links_known(const struct link_table *t, const struct stat *st);
void links_free(struct link_table *t);
/* 1 and *j filled when the root carries a valid journal, 0 when none, -errno. */
int chown_journal_read(int root_fd, struct chown_journal *j);
/* idshift.c: translate the ids in [from, from+count) in place; return how many
 * changed, or -EINVAL for a value that is not exactly the binary layout. */
int acl_xattr_shift(void *value, size_t len, uint32_t from, uint32_t to, uint32_t count);
int cap_xattr_shift(void *value, size_t len, uint32_t from, uint32_t to, uint32_t count);
/* --selinux-relabel: the same walk, every file labelled `label`, skipped
 * when the root directory carries it already. */
int relabel_tree(int root_fd, const char *label, int progress);

/* mounts.c: each returns 0 or -errno and logs nothing; *what names the step. */
int mount_root(int root_fd, const char *root_path, unsigned how, int idmap_fd, int *new_root,
	       const char **what);
/* Owner of the tmpfs and pty files we create: the container's root. */
void mounts_set_owner(uint32_t uid);
uint32_t mounts_owner(void);
/* Create what follows as `id` (fsuid and fsgid), 0 to go back. As the
 * container's root, its permissions apply and what we make is its; any
 * fsuid but 0 also drops our file capabilities. */
void as_fsid(uint32_t id);
/* Shared with files.c: resolve in the root (RESOLVE_IN_ROOT|NO_SYMLINKS|
 * NO_MAGICLINKS, O_NOFOLLOW), attach a tree at a target (made if missing),
 * bind a fixed host path, re-bind a path onto itself with attributes. */
int resolve(int root, const char *path, int flags);
/* Create `name` in the directory `dir` (an O_PATH fd will do) as `uid`
 * (as_fsid): a directory (0755) or an empty file (0644); one already
 * there is fine. */
int create_entry(int dir, const char *name, bool is_dir, uint32_t uid);
/* openat2(2), always O_CLOEXEC: an fd or -errno. */
int openat2_fd(int dirfd, const char *path, int flags, uint64_t resolve_flags);
int attach(int tree, int root, const char *target, bool dir);
int bind_host(int root, const char *host_path, const char *target, unsigned attrs);
int rebind_self(int root, const char *path, unsigned attrs);
/* SELinux context= for the tmpfs/devpts API mounts, "" = none. */
void mounts_set_context(const char *context);
int mount_api(int root, enum hutch_api_fs kind, const char **what);
int console_open(int root, const struct hutch_open_console *c, int *master, int *slave,
		 const char **what);
int pivot_to(int root, const char **what);
int mount_mqueue(void);

/* files.c: host files for the worker, /etc files, credentials (0/-errno). */
int files_open_regular(int dirfd, const char *path, uint64_t resolve_flags, int flags, int *out);
int files_open_host(uint32_t which, int *out);
int files_write(int root, const struct hutch_write_file *w, int content, const char **what);
int files_op(int root, const struct hutch_file_op *f, const char **what);
struct credentials {
	int mnt; /* detached ramfs, -1 until the first credential */
	uint64_t total;
};
int credential_add(struct credentials *c, const struct hutch_credential *cr, int content,
		   const char **what);
int credentials_attach(struct credentials *c, int root, const char **what);
int run_host_incoming(int root);
int userdb_record(int root, const struct hutch_userdb_record *u, int content, const char **what);
int bind_user_home(int root, const struct hutch_bind_user_home *h, uint32_t host_uid,
		   uint32_t host_gid, const char **what);

/* payload.c: caps, credentials, cwd, no_new_privs, seccomp; *what names a failure. */
int payload_credentials(const struct hutch_exec *e, const struct hutch_seccomp *filter,
			const char **what);
/* The SELinux label the next execve gives us (/proc/thread-self/attr/exec). */
int payload_exec_label(const char *label);
/* The --as-pid2 stub init: not dumpable, no capability but CAP_KILL. */
int stub_confine(void);

/* ephemeral.c: btrfs snapshots and tmpfs overlays for --ephemeral. */
struct ephemeral {
	int fd;          /* the snapshot, -1 without one */
	pid_t reaper;    /* deletes it when reaper_pipe's other end closes */
	int reaper_pipe;
	char path[HUTCH_PATH_MAX];
};
bool btrfs_is_subvolume(int fd);
int btrfs_snapshot(int src_fd, int parent, const char *name);
/* The subvolume open as `fd` (its root), by id: a name in a directory
 * someone else may write to could have been renamed or replaced. */
int btrfs_destroy(int parent, int fd);
int open_parent(const char *path, int *parent, char name[256], char dir[HUTCH_PATH_MAX]);
/* Entries of parent named prefix + 16 hex digits whose lock nobody holds;
 * drop gets the locked entry's fd too. */
void sweep_stale(int parent, const char *prefix, int (*drop)(int parent, const char *name, int fd));
/* -EOPNOTSUPP: not a btrfs subvolume, use an overlay. */
int ephemeral_snapshot(int root_fd, const char *path, struct ephemeral *e, const char **what);
/* Let the reaper delete the snapshot, and wait for it. */
void ephemeral_release(struct ephemeral *e);
int overlay_on_tmpfs(int lower, int *out);

/* image.c: --image through a self-clearing loop device; the file is
 * checked against the grant before it is opened. */
int image_open(const struct hutch_open_image *o, const struct hutch_grant *g, int *fd,
	       int *worker_fd);
int image_attach(int image, bool image_ro, const struct hutch_attach_image *a, int *mnt,
		 const char **what);

/* copy.c: --template, populating a missing root. */
int template_populate(const char *path, const char *template_path, int sock);

/* cgroup.c: the container's cgroup, one directory per hierarchy used. */
enum cg_layout { CG_NONE, CG_UNIFIED, CG_HYBRID, CG_LEGACY };
enum { CG_MEMORY, CG_PIDS, CG_CPU, CG_BLKIO, CG_DEVICES, CG_CPUSET, CG_V2, CG_HIER };
#define CG_EXTRA_MAX 12
struct cgroup {
	int fd[CG_HIER];    /* the container's directory per hierarchy, -1: none */
	bool made[CG_HIER]; /* ours to remove when the container is gone */
	int lock_fd;        /* /run/hutch/machines/NAME */
	int events_fd;      /* OOM counter file for the worker */
	char machine[HUTCH_NAME_MAX + 1];
	char slice[HUTCH_SLICE_MAX];
	char scope[HUTCH_NAME_MAX + 16];
	/* --keep-unit (cgroup_unit.c): hutch's own cgroup per hierarchy, the
	 * container's at its "payload"; on v2 hutch's own processes wait in
	 * "supervisor" (the worker's pid to move), with the controllers hutch
	 * enabled in its unit (bit per unit_ctrls[]) to disable again. */
	bool keep_unit, supervised;
	int unit_fd[CG_HIER];
	int unit_lock;         /* /run/hutch/units/DEV-INO of the unit: one container */
	char unit_lock_name[48];
	unsigned enabled;
	pid_t worker;
	/* The other v1 hierarchies under /sys/fs/cgroup (freezer, perf_event,
	 * name=systemd, ...) by directory name, for a container without a user
	 * namespace (cgroup.c: create_extra). */
	int xfd[CG_EXTRA_MAX];
	bool xmade[CG_EXTRA_MAX];
	char xname[CG_EXTRA_MAX][32];
	char xslice[HUTCH_SLICE_MAX];      /* SLICE/hutch-NAME.scope there, */
	char xscope[HUTCH_NAME_MAX + 16]; /* with --keep-unit too */
};
enum cg_layout cgroup_layout(void);
/* `need`: bit per v1 controller (CG_MEMORY...) the settings use. */
int cgroup_create(const char *machine, const char *slice, unsigned need, struct cgroup *cg);
/* Remove the scopes of dead containers in SLICE, on every hierarchy. */
void cgroup_sweep_stale(const char *slice, const char *ours);
/* After either: SLICE/hutch-NAME.scope in every other v1 hierarchy (hybrid
 * and legacy layouts), for a container without a user namespace. */
int cgroup_create_extra(struct cgroup *cg, const char *slice);
/* Instead, --keep-unit: the container at payload/ of hutch's own cgroups;
 * *what names the step that failed. */
int cgroup_create_in_unit(const char *machine, unsigned need, pid_t worker, struct cgroup *cg,
			  const char **what);
int cgroup_join_v1(const struct cgroup *cg);
/* Delegate the v2 cgroup to the container's root (uid/gid inside its range). */
int cgroup_delegate(struct cgroup *cg, uint32_t uid);
void cgroup_close(struct cgroup *cg);      /* the container's directories */
void cgroup_close_unit(struct cgroup *cg); /* and hutch's own (the container init) */
void cgroup_remove(struct cgroup *cg);
/* Shared by cgroup.c and cgroup_unit.c. */
const char *cgroup_root_path(int h, char *buf, size_t n, bool check);
int cgroup_remove_tree(int parent, const char *name, int depth, bool patient);
int cgroup_make_dir(int parent, const char *name, int h, bool *made);
/* An empty struct (no fd, nothing made): safe to cgroup_remove. */
void cgroup_init(struct cgroup *cg, const char *machine);
int cgroup_lock_machine(const char *machine, struct cgroup *cg);
int cgroup_open_events(struct cgroup *cg);
extern const char *const cgroup_v1_names[CG_V2];
void cgroup_unit_remove(struct cgroup *cg);
/* limits.c: ranges checked, then the v2 files or their v1 equivalents, then
 * the device program (v2) and devices.allow (v1). *what names the setting. */
int cgroup_check_limits(const struct hutch_cgroup *l, const char **what);
unsigned cgroup_v1_needed(const struct hutch_cgroup *l);
bool cgroup_devices_standard(const struct hutch_cgroup *l);
int cgroup_apply_limits(const int fd[CG_HIER], const struct hutch_cgroup *l, const char **what);
int cgroup_devices(const int fd[CG_HIER], const struct hutch_cgroup *l, const char **what);
/* devprog.c: the device program, pinned in bpffs between starts (checked
 * against the generated instructions before any use). */
struct bpf_insn;
#define DEVPROG_DIR "/sys/fs/bpf/hutch"
#define DEVPROG_NAME_MAX 48
#define DEVPROG_INSNS_MAX (8 + HUTCH_MAX_DEVICES * 8)
int devprog_cache_dir(const char *dir); /* fd of the checked directory */
void devprog_name(const struct bpf_insn *p, size_t n, char name[DEVPROG_NAME_MAX]);
int devprog_check(int fd, const struct bpf_insn *p, size_t n);
int devprog_get(int dir_fd, const struct bpf_insn *p, size_t n);

/* How the root is made (container_args.root_how). */
#define ROOT_IMAGE   (1u << 0) /* root_fd is the detached mount of an image */
#define ROOT_OVERLAY (1u << 1) /* under a tmpfs overlay (--ephemeral) */

struct container_args {
	int sock;          /* to the worker */
	int root_fd;       /* O_PATH fd of the root directory, host mount namespace */
	unsigned root_how; /* ROOT_* */
	char root_path[HUTCH_PATH_MAX]; /* what it was opened from */
	bool has_cgroup;   /* the monitor made a v2 cgroup for us */
	struct cgroup cg;  /* join its v1 directories, pass on events_fd */
	struct userns userns;
	struct hutch_create create;
	struct hutch_label label; /* SELinux labels, "" = none */
	struct permit_state permits;
	const struct hutch_grant *grant;
	int cleanup_sock;  /* to the monitor: overlay work dirs to remove at the end */
	int inaccessible_fd; /* detached tmpfs with /run/host/inaccessible's nodes */
	int probe_done;    /* pipe to the monitor, closed once userns.probe_fd is */
};

_Noreturn void container_main(struct container_args *a);

/* userns.c: flock on /run/hutch/DIR/NAME; fd or -EADDRINUSE. */
int lock_name(const char *dir, const char *name, bool wait);
void unlock_name(int fd, const char *dir, const char *name);

/* process.c: --rlimit=, --oom-score-adjust=, --cpu-affinity=, --personality=. */
/* `restricted` (a policy rule applies): no hard limit above hutch's own, no
 * negative OOM score adjustment, whatever hutch's privileges allow. */
int process_apply(const struct hutch_process *p, bool restricted, const char **what);
/* binds.c: --bind/--tmpfs/--overlay/--inaccessible, --read-only/--volatile=.
 * binds_handle may replace *root (volatile modes stack a new root on it). */
int binds_handle(const struct container_args *a, int *root, const struct hutch_msg *m,
		 const char **what);
int binds_run_host(const struct container_args *a, int root); /* right after /run */
int binds_make_nodes(void); /* monitor, before the container: the inaccessible nodes */
void binds_cleanup(int sock); /* monitor, after the container: remove work dirs */

/* sandbox.c: the broker's own seccomp filters. */
int sandbox_broker_base(void);
int sandbox_monitor(void);
/* Denies bpf(2) from here on (after the device program is attached). */
int sandbox_no_bpf(void);

#endif
