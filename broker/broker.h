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
#include <sys/types.h>

#include "../common/proto.h"
#include "permit.h"

/* Entry point for hutch's original process; returns hutch's exit status. */
int broker_main(int sock, pid_t worker);

/* userns.c: the container's user namespace and file ownership. */
struct userns {
	int fd;       /* the container's user namespace, -1 without one */
	int idmap_fd; /* user namespace for the root's idmapped mount, -1: none */
	int lock_fd;  /* flock on the uid range, held while the container lives */
	uint32_t base, count;
};
int userns_prepare(const struct hutch_create *c, int root_fd, struct userns *u,
		   const char **what);
void userns_release(struct userns *u);
/* chown.c: nspawn -U's ownership shift of a tree, ids [from, from+count) -> to. */
int chown_tree(int root_fd, uint32_t from, uint32_t to, uint32_t count, bool progress);

struct container_args {
	int sock;          /* to the worker */
	int root_fd;       /* O_PATH fd of the root directory, host mount namespace */
	char root_path[HUTCH_PATH_MAX]; /* what it was opened from */
	bool has_cgroup;   /* the monitor made a v2 cgroup for us */
	struct userns userns;
	struct hutch_create create;
	struct permit_state permits;
};

_Noreturn void container_main(struct container_args *a);

/* mounts.c: each returns 0 or -errno and logs nothing; *what names the step. */
int mount_root(int root_fd, const char *root_path, int idmap_fd, int *new_root,
	       const char **what);
/* Owner of the tmpfs and pty files we create: the container's root. */
void mounts_set_owner(uint32_t uid);
uint32_t mounts_owner(void);
/* Shared with files.c: resolve in the root (RESOLVE_IN_ROOT|NO_SYMLINKS|
 * NO_MAGICLINKS, O_NOFOLLOW), attach a tree at a target (made if missing),
 * bind a fixed host path, re-bind a path onto itself with attributes. */
int resolve(int root, const char *path, int flags);
int attach(int tree, int root, const char *target, bool dir);
int bind_host(int root, const char *host_path, const char *target, unsigned attrs);
int rebind_self(int root, const char *path, unsigned attrs);
int mount_api(int root, enum hutch_api_fs kind, const char **what);
int console_open(int root, const struct hutch_open_console *c, int *master, int *slave,
		 const char **what);
int pivot_to(int root, const char **what);

/* files.c: host files for the worker, /etc files, credentials (0/-errno). */
int files_open_regular(int dirfd, const char *path, uint64_t resolve, int *out);
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

/* payload.c: caps, credentials, cwd, no_new_privs, seccomp; *what names a failure. */
int payload_credentials(const struct hutch_exec *e, const struct hutch_seccomp *filter,
			const char **what);

/* cgroup.c: the container's own cgroup in the v2 hierarchy. */
struct cgroup {
	int fd;         /* O_DIRECTORY fd, -1 when there is no v2 hierarchy */
	char path[256];
};
int cgroup_create(const char *machine, struct cgroup *cg);
/* Delegate the cgroup to the container's root (uid/gid inside its range). */
int cgroup_delegate(struct cgroup *cg, uint32_t uid);
void cgroup_remove(struct cgroup *cg);

/* sandbox.c: the broker's own seccomp filters. */
int sandbox_broker_base(void);
int sandbox_monitor(void);

#endif
