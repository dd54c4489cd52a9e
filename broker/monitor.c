/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The monitor: hutch's original, privileged process. Before the container
 * exists it answers OPEN_ROOT, OPEN_FILE, OPEN_SETTINGS and CREATE; after CREATE it hands
 * the worker socket to the container init and only supervises: signals in,
 * exit status out, cgroup removed on every path.
 */
#include "broker.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <selinux/selinux.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/host_files.h"
#include "../common/util.h"

#include <linux/openat2.h>

struct monitor {
	int sock;
	pid_t worker;
	int worker_pidfd;
	int root_fd;
	char root_path[HUTCH_PATH_MAX];
	unsigned root_how;   /* ROOT_* */
	bool root_ro;        /* never chown it */
	int image_fd;        /* --image, until attached */
	struct ephemeral eph; /* btrfs snapshot for --ephemeral */
	struct permit_state permits;
	struct hutch_cgroup limits; /* CGROUP, checked; used by CREATE */
	int limits_error;           /* CGROUP's check failed: CREATE is refused */
	const struct hutch_grant *grant;
	hutch_policy_fn parse;
	uint32_t worker_uid; /* this invocation's, for the policy parser */
	struct hutch_label label;
	int mcs_lock; /* flock on label.cat while the container lives, -1: none */
};

static const char *const root_files[HUTCH_FILE_MAX] = {
	[HUTCH_FILE_OS_RELEASE_ETC] = "etc/os-release",
	[HUTCH_FILE_OS_RELEASE_USR] = "usr/lib/os-release",
	[HUTCH_FILE_PASSWD] = "etc/passwd",
	[HUTCH_FILE_GROUP] = "etc/group",
	[HUTCH_FILE_RESOLV_CONF] = "etc/resolv.conf",
};

static int handle_open_root(struct monitor *m, const struct hutch_open_root *r,
			    const char **step)
{
	if (geteuid() != 0)
		return -EPERM;
	/* No magic link (/proc/PID/root, /proc/PID/fd/N): it could lead into
	 * another mount namespace, where walking up through ".." for the grant
	 * check follows that namespace's tree, not ours. */
	_cleanup_close_ int fd = openat2_fd(AT_FDCWD, r->path, O_PATH | O_DIRECTORY,
					    RESOLVE_NO_MAGICLINKS);
	if (fd == -ENOENT && (r->flags & HUTCH_ROOT_TEMPLATE)) {
		/* It creates a tree by path names: not for callers a policy restricts. */
		*step = "policy: template";
		if (m->grant->kind != HUTCH_GRANT_ALL)
			return -EACCES;
		int t = template_populate(r->path, r->template_path, m->sock);
		if (t < 0)
			return t;
		fd = openat2_fd(AT_FDCWD, r->path, O_PATH | O_DIRECTORY, RESOLVE_NO_MAGICLINKS);
	}
	if (fd < 0)
		return fd;
	struct stat st, host_root;
	if (fstat(fd, &st) < 0 || stat("/", &host_root) < 0)
		return -errno;
	/* The host's own root as a writable container root: never. */
	if (st.st_dev == host_root.st_dev && st.st_ino == host_root.st_ino)
		return -EBUSY;
	*step = "policy";
	int ok = grant_root_ok(m->grant, fd);
	if (ok < 0)
		return ok;
	strcpy(m->root_path, r->path);
	if (r->flags & HUTCH_ROOT_EPHEMERAL) {
		const char *what;
		int e = ephemeral_snapshot(fd, r->path, &m->eph, &what);
		if (e == -EOPNOTSUPP) {
			m->root_how = ROOT_OVERLAY;
			m->root_ro = true;
		} else if (e < 0) {
			return e;
		} else {
			closep(&fd);
			fd = steal_fd(m->eph.fd);
			strcpy(m->root_path, m->eph.path);
		}
	}
	m->root_fd = steal_fd(fd);
	return 0;
}

static int handle_attach_image(struct monitor *m, const struct hutch_attach_image *a,
			       const char **what)
{
	int r = image_attach(m->image_fd, m->root_ro, a, &m->root_fd, what);
	closep(&m->image_fd); /* the loop device holds the file now */
	m->image_fd = -1;
	return r;
}

/*
 * A regular file inside the root, resolved in the root: a symlink in the
 * image cannot point us at a host file, and a device node or FIFO planted
 * where /etc/passwd should be is never opened. Host files: broker/files.c.
 */
static int handle_open_file(struct monitor *m, const struct hutch_open_file *f, int *out)
{
	if (f->which >= HUTCH_FILE_HOST_FIRST)
		return files_open_host(f->which, out);
	return files_open_regular(m->root_fd, root_files[f->which],
				  RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, O_RDONLY | O_NONBLOCK, out);
}

/* A .nspawn file or profile: NAME (a valid name, checked by the decoder)
 * plus the suffix, in a fixed directory or beside the root as nspawn does. */
static int handle_open_settings(struct monitor *m, const struct hutch_open_settings *o, int *out)
{
	char file[HUTCH_NAME_MAX + 16], base[256], dir[HUTCH_PATH_MAX];
	const char *fixed = hutch_settings_dir(o->where);
	snprintf(file, sizeof file, "%s.%s", o->name, hutch_settings_suffix(o->where));
	_cleanup_close_ int dfd = -1;
	int r = 0;
	if (o->where == HUTCH_SETTINGS_BESIDE_ROOT) /* the root path's parent, as given */
		r = open_parent(m->root_path, &dfd, base, dir);
	else if (!fixed)
		r = -EINVAL;
	else if ((dfd = open(fixed, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		r = -errno;
	/* The name is one component: NO_SYMLINKS is O_NOFOLLOW on it. */
	if (r == 0)
		r = files_open_regular(dfd, file, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS,
				       O_RDONLY | O_NONBLOCK, out);
	struct stat st;
	if (r == 0 && (fstat(*out, &st) < 0 || st.st_size > HUTCH_SETTINGS_FILE_MAX)) {
		close(*out);
		return -EFBIG;
	}
	return r;
}

/* Would the worker have given automatic labels (worker/selinux.c)? SELinux
 * enforcing, with hutch's container domain in its policy. Asked only for a
 * rule that names SELinuxRange=. */
static bool selinux_labels_expected(const struct hutch_grant *g)
{
	return g->kind == HUTCH_GRANT_RULE && g->selinux_range[0] && security_getenforce() == 1 &&
	       security_check_context("system_u:system_r:hutch_container_t:s0") == 0;
}

/* LABEL: reserve the MCS pair (if asked) before taking the labels, once. */
static int handle_label(struct monitor *m, const struct hutch_label *l)
{
	char name[16];
	if (m->label.exec[0] || m->label.apifs[0] || m->mcs_lock >= 0)
		return -EALREADY;
	if (grant_label_ok(m->grant, l) < 0)
		return -EACCES;
	snprintf(name, sizeof name, "%u,%u", l->cat[0], l->cat[1]);
	if (l->reserve && (m->mcs_lock = lock_name("selinux-mcs", name, false)) < 0)
		return m->mcs_lock;
	m->label = *l;
	return 0;
}

static void mcs_release(struct monitor *m)
{
	char name[16];
	snprintf(name, sizeof name, "%u,%u", m->label.cat[0], m->label.cat[1]);
	if (m->mcs_lock >= 0)
		unlock_name(m->mcs_lock, "selinux-mcs", name);
	m->mcs_lock = -1;
}

static int exit_status_of(const siginfo_t *si, bool boot)
{
	if (si->si_code == CLD_EXITED)
		return si->si_status;
	/* nspawn's mapping: reboot(2) in a PID namespace kills its init with
	 * SIGINT for poweroff/halt and SIGHUP for reboot. */
	if (boot && si->si_status == SIGINT)
		return 0;
	if (boot && si->si_status == SIGHUP)
		return 133;
	return 128 + si->si_status;
}

static int open_signalfd(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

static int wait_worker(struct monitor *m)
{
	siginfo_t si = {0};
	while (waitid(P_PIDFD, (id_t)m->worker_pidfd, &si, WEXITED) < 0 && errno == EINTR)
		;
	m->worker = 0;
	return si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
}

/*
 * Runs after CREATE: the container init owns the worker socket now. The exit
 * status is computed here (hutch's own answer to its caller); the worker only
 * gets it, in SIGUSR1's value, to word the status line it prints.
 * *probe_fd (the idmap probe's tree) is closed once probe_wait hangs up, that
 * is once the init has closed its copy: the last close waits out an RCU grace
 * period, which must be the monitor's and not the starting container's.
 */
static int supervise(struct monitor *m, int pidfd, const struct hutch_create *c, int *probe_fd,
		     int probe_wait)
{
	_cleanup_close_ int sfd = open_signalfd();
	if (sfd < 0) {
		log_error("signalfd: %m");
		syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	}
	siginfo_t csi = {0};
	for (bool done = false; !done;) {
		struct pollfd p[4] = {
			{.fd = pidfd, .events = POLLIN},
			{.fd = sfd, .events = POLLIN},
			{.fd = m->worker ? m->worker_pidfd : -1, .events = POLLIN},
			{.fd = probe_wait, .events = POLLIN},
		};
		if (poll(p, 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
		}
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo ssi;
			while (read(sfd, &ssi, sizeof ssi) == sizeof ssi)
				syscall(SYS_pidfd_send_signal, pidfd, (int)c->kill_signal, NULL, 0);
		}
		if (p[2].revents) {
			int ws = wait_worker(m);
			/* ^] three times, or the worker died (the console relay is gone).
			 * A worker that reported an error and exited 1 leaves the container
			 * to end on its own: killing it would turn 127 into 137. */
			if (ws == HUTCH_WORKER_EXIT_KILL || ws >= 128)
				syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
		}
		if (p[3].revents) {
			closep(probe_fd);
			*probe_fd = -1;
			closep(&probe_wait);
			probe_wait = -1;
		}
		if (p[0].revents)
			done = waitid(P_PIDFD, (id_t)pidfd, &csi, WEXITED) == 0;
	}
	closep(&probe_wait);
	bool boot = c->flags & HUTCH_CREATE_BOOT;
	int status = exit_status_of(&csi, boot);
	/* The worker drains the console, prints the status line and leaves. */
	if (m->worker) {
		bool by_signal = csi.si_code != CLD_EXITED && !(boot && (status == 0 || status == 133));
		siginfo_t info = {.si_signo = SIGUSR1, .si_code = SI_QUEUE, .si_pid = getpid()};
		info.si_value.sival_int = status | (by_signal ? csi.si_status << 8 : 0);
		syscall(SYS_pidfd_send_signal, m->worker_pidfd, SIGUSR1, &info, 0);
		wait_worker(m);
	}
	return status;
}

static int clone_container(struct container_args *a, struct cgroup *cg, int *pidfd)
{
	struct clone_args ca = {
		.flags = CLONE_PIDFD | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC,
		.pidfd = (uint64_t)(uintptr_t)pidfd,
		.exit_signal = SIGCHLD,
	};
	if (a->create.flags & HUTCH_CREATE_PRIVATE_NETWORK)
		ca.flags |= CLONE_NEWNET;
	if (cg->fd[CG_V2] >= 0) {
		ca.flags |= CLONE_INTO_CGROUP;
		ca.cgroup = (uint64_t)cg->fd[CG_V2];
	}
	long pid = syscall(SYS_clone3, &ca, sizeof ca);
	if (pid < 0)
		return -errno;
	if (pid == 0)
		container_main(a); /* never returns */
	return 0;
}

/* The container's cgroup (SLICE/hutch-NAME.scope, or payload/ in hutch's own
 * with --keep-unit), its limits and device fence; bpf(2) denied after. */
static int setup_cgroup(struct monitor *m, const struct hutch_create *c, struct cgroup *cg,
			const char **what)
{
	int r;
	/* systemd cannot run on v1 only with no cgroup of its own mounted
	 * inside ("Failed to create /init.scope control group"): refused
	 * before anything is made. */
	*what = "boot on legacy cgroups";
	if ((c->flags & HUTCH_CREATE_BOOT) && cgroup_layout() == CG_LEGACY)
		return -EOPNOTSUPP;
	*what = "cgroup";
	/* No user namespace: the payload's root may mount any v1 hierarchy, and
	 * must find the container's cgroup at the root of each, never the
	 * caller's (CVE-2022-0492: release_agent). */
	bool all_v1 = c->userns == HUTCH_USERNS_NO;
	unsigned need = all_v1 ? (1u << CG_V2) - 1 : cgroup_v1_needed(&m->limits);
	if (c->flags & HUTCH_CREATE_KEEP_UNIT)
		r = cgroup_create_in_unit(c->machine, need, m->worker, cg, what);
	else
		r = cgroup_create(c->machine, m->limits.slice, need, cg);
	if (r == 0 && all_v1)
		r = cgroup_create_extra(cg, m->limits.slice);
	if (r == 0)
		r = cgroup_apply_limits(cg->fd, &m->limits, what);
	if (r == 0)
		r = cgroup_devices(cg->fd, &m->limits, what);
	if (r == 0 && (r = sandbox_no_bpf()) < 0)
		*what = "seccomp";
	return r;
}

/* The monitor once the container init runs: confine itself, supervise,
 * and tear down what the container used when it is gone. */
static int run_container(struct monitor *m, struct container_args *a, struct cgroup *cg, int pidfd,
			 int cleanup, int probe_wait)
{
	int r;
	/* From here on only the container init talks to the worker. */
	close(m->sock);
	m->sock = -1;
	close(m->root_fd);
	m->root_fd = -1;
	cgroup_close(cg); /* removal still needed, by path */
	/* Dead containers' scopes, while the init sets up (not in its way). */
	cgroup_sweep_stale(m->limits.slice, a->create.machine);
	if ((r = sandbox_monitor()) < 0) {
		errno = -r;
		log_error("broker: cannot confine the monitor: %m");
		syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	}
	/* Closing the probe's tree waits out an RCU grace period: done in
	 * supervise once the init has dropped its copy (or here, without the
	 * pipe), beside the container's start and never in its way. */
	if (probe_wait < 0)
		closep(&a->userns.probe_fd);
	userns_reap(&a->userns); /* the helpers had to be scheduled to die */
	int status = supervise(m, pidfd, &a->create, &a->userns.probe_fd, probe_wait);
	close(pidfd);
	binds_cleanup(cleanup);
	close(cleanup);
	ephemeral_release(&m->eph);
	userns_release(&a->userns); /* the uid range is free again */
	mcs_release(m);
	cg->worker = m->worker; /* 0 once reaped: its pid may be another's now */
	cgroup_remove(cg);
	return status;
}

static int handle_create(struct monitor *m, const struct hutch_msg *msg)
{
	const struct hutch_create *c = &msg->u.create;
	if (!name_is_valid(c->machine) || !name_is_valid(c->hostname)) {
		log_error("broker: invalid machine or host name");
		return 1;
	}
	struct cgroup cg;
	struct container_args a = {
		.inaccessible_fd = -1,
		.probe_done = -1,
		.userns = {.fd = -1, .idmap_fd = -1, .lock_fd = -1, .probe_fd = -1, .helper = {-1, -1}},
		.sock = m->sock,
		.root_fd = m->root_fd,
		.root_how = m->root_how,
		.create = *c,
		.label = m->label,
		.permits = m->permits,
		.grant = m->grant,
	};
	strcpy(a.root_path, m->root_path);
	const char *what = "policy";
	int pidfd = -1, cleanup[2] = {-1, -1}, probe_wait[2] = {-1, -1};
	/* The worker sends CREATE without waiting for CGROUP's reply. */
	int r = m->limits_error < 0 ? m->limits_error : grant_create_ok(m->grant, c, &m->limits);
	if (m->limits_error < 0)
		what = "cgroup limits";
	if (r == 0 && (r = grant_label_given(m->grant, &m->label, m->mcs_lock >= 0,
					     selinux_labels_expected(m->grant))) < 0)
		what = "SELinux labels";
	if (r < 0) {
		hutch_send_reply(m->sock, r, what, NULL, 0);
		return 1;
	}
	cgroup_init(&cg, c->machine); /* setup_cgroup may refuse before making it */
	r = setup_cgroup(m, c, &cg, &what);
	/* Overlay work directories to remove come back on this, see binds.c. */
	if (r == 0 && socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, cleanup) < 0)
		r = -errno;
	a.cleanup_sock = cleanup[1];
	if (r == 0 && (a.inaccessible_fd = binds_make_nodes()) < 0) {
		r = a.inaccessible_fd;
		what = "/run/host/inaccessible";
	}
	if (r == 0)
		r = userns_prepare(c, m->grant, m->root_fd, !m->root_ro, m->root_how == ROOT_IMAGE,
				   m->sock, &a.userns, &what);
	if (r == 0 && m->label.tree[0] &&
	    (r = relabel_tree(m->root_fd, m->label.tree, m->sock)) < 0)
		what = "SELinux relabel";
	if (r == 0 && cg.fd[CG_V2] >= 0 && a.userns.fd >= 0 && (r = cgroup_delegate(&cg, a.userns.base)) < 0)
		what = "cgroup";
	/* Hangs up when the init has dropped its copy of the idmap probe
	 * (without the pipe the probe is closed at once, as before). */
	if (r == 0 && a.userns.probe_fd >= 0 && pipe2(probe_wait, O_CLOEXEC) == 0)
		a.probe_done = probe_wait[1];
	if (r == 0) {
		a.has_cgroup = cg.fd[CG_V2] >= 0;
		a.cg = cg;
		what = "clone";
		r = clone_container(&a, &cg, &pidfd);
	}
	closep(&cleanup[1]);
	closep(&probe_wait[1]);
	closep(&a.inaccessible_fd);
	closep(&a.userns.fd); /* the container init has its own copies */
	closep(&a.userns.idmap_fd);
	if (r < 0) {
		hutch_send_reply(m->sock, r, what, NULL, 0);
		closep(&cleanup[0]);
		closep(&probe_wait[0]);
		userns_release(&a.userns);
		mcs_release(m);
		cgroup_remove(&cg);
		return 1;
	}
	return run_container(m, &a, &cg, pidfd, cleanup[0], probe_wait[0]);
}

static _Noreturn void violation(struct monitor *m, const char *why)
{
	log_error("broker: refusing worker request: %s", why);
	if (m->worker)
		syscall(SYS_pidfd_send_signal, m->worker_pidfd, SIGKILL, NULL, 0);
	_exit(1);
}

int broker_main(int sock, pid_t worker, uint32_t worker_uid, const struct hutch_grant *grant,
		hutch_policy_fn parse)
{
	struct monitor m = {.sock = sock, .worker = worker, .worker_uid = worker_uid,
			    .root_fd = -1, .image_fd = -1,
			    .eph = {.fd = -1, .reaper_pipe = -1}, .grant = grant, .parse = parse,
			    .mcs_lock = -1};
	m.worker_pidfd = (int)syscall(SYS_pidfd_open, worker, 0);
	if (m.worker_pidfd < 0) {
		log_error("pidfd_open: %m");
		return 1;
	}
	permit_init(&m.permits);
	int r = sandbox_broker_base();
	if (r < 0) {
		errno = -r;
		log_error("broker: cannot install its seccomp filter: %m");
		syscall(SYS_pidfd_send_signal, m.worker_pidfd, SIGKILL, NULL, 0);
		return 1;
	}

	struct hutch_msg *msg = calloc(1, sizeof *msg);
	if (!msg)
		return 1;
	for (;;) {
		const char *why = NULL;
		r = hutch_recv(m.sock, msg, &why);
		if (r == 0) { /* worker finished without a container (--help, errors) */
			mcs_release(&m);
			return wait_worker(&m);
		}
		if (r < 0)
			violation(&m, why ? why : "receive failed");
		if (permit_check(&m.permits, msg, &why) < 0)
			violation(&m, why);
		permit_commit(&m.permits, msg);
		int fd = -1;
		switch ((enum hutch_msg_type)msg->hdr.type) {
		case HUTCH_MSG_OPEN_ROOT: {
			const char *what = NULL;
			r = handle_open_root(&m, &msg->u.open_root, &what);
			hutch_send_reply(m.sock, r, r < 0 ? what : NULL, NULL, 0);
			break;
		}
		case HUTCH_MSG_CHECK_POLICY: {
			/* Another user's grant only for callers the policy does not restrict. */
			struct hutch_grant other;
			const char *user = msg->u.check_policy.user;
			r = user[0] && grant->kind != HUTCH_GRANT_ALL
				    ? -EPERM : grant_compile(parse, user, m.worker_uid, &other);
			hutch_send_reply(m.sock, r, NULL, NULL, 0);
			break;
		}
		case HUTCH_MSG_OPEN_FILE:
		case HUTCH_MSG_OPEN_HOST_FILE:
			/* --load-credential= names a host file: the grant says which. */
			r = msg->hdr.type == HUTCH_MSG_OPEN_FILE
				    ? handle_open_file(&m, &msg->u.open_file, &fd)
				    : grant_open_host_file(grant, msg->u.open_host_file.path, &fd);
			hutch_send_reply(m.sock, r, NULL, r < 0 ? NULL : &fd, r < 0 ? 0 : 1);
			closep(&fd);
			break;
		case HUTCH_MSG_OPEN_IMAGE:
			r = image_open(&msg->u.open_image, grant, &m.image_fd, &fd);
			m.root_how = ROOT_IMAGE;
			m.root_ro = msg->u.open_image.flags & HUTCH_IMAGE_READ_ONLY;
			strcpy(m.root_path, msg->u.open_image.path);
			hutch_send_reply(m.sock, r, NULL, r < 0 ? NULL : &fd, r < 0 ? 0 : 1);
			closep(&fd);
			break;
		case HUTCH_MSG_ATTACH_IMAGE: {
			const char *what = NULL;
			r = handle_attach_image(&m, &msg->u.attach_image, &what);
			hutch_send_reply(m.sock, r, r < 0 ? what : NULL, NULL, 0);
			break;
		}
		case HUTCH_MSG_CGROUP: {
			const char *what = NULL;
			r = cgroup_check_limits(&msg->u.cgroup, &what);
			m.limits = msg->u.cgroup;
			m.limits_error = r;
			hutch_send_reply(m.sock, r, r < 0 ? what : NULL, NULL, 0);
			break;
		}
		case HUTCH_MSG_OPEN_SETTINGS:
			r = handle_open_settings(&m, &msg->u.open_settings, &fd);
			hutch_send_reply(m.sock, r, NULL, r < 0 ? NULL : &fd, r < 0 ? 0 : 1);
			closep(&fd);
			break;
		case HUTCH_MSG_LABEL:
			r = handle_label(&m, &msg->u.label);
			hutch_send_reply(m.sock, r, NULL, NULL, 0);
			break;
		case HUTCH_MSG_CREATE: {
			int status = handle_create(&m, msg);
			free(msg);
			if (m.worker) {
				if (status != 0 && m.sock >= 0) /* CREATE failed before clone */
					close(m.sock);
				wait_worker(&m);
			}
			return status;
		}
		case HUTCH_MSG_MOUNT_API:
		case HUTCH_MSG_OPEN_CONSOLE:
		case HUTCH_MSG_PIVOT:
		case HUTCH_MSG_EXEC:
		case HUTCH_MSG_SECCOMP:
		case HUTCH_MSG_WRITE_FILE:
		case HUTCH_MSG_FILE_OP:
		case HUTCH_MSG_CREDENTIAL:
		case HUTCH_MSG_PROCESS:
		case HUTCH_MSG_ROOT_MODE:
		case HUTCH_MSG_MOUNT_BIND:
		case HUTCH_MSG_MOUNT_TMPFS:
		case HUTCH_MSG_MOUNT_OVERLAY:
		case HUTCH_MSG_INACCESSIBLE:
		case HUTCH_MSG_USERDB_RECORD:
		case HUTCH_MSG_BIND_USER_HOME:
		case HUTCH_MSG_REPLY:
		case HUTCH_MSG_PROGRESS:
		case HUTCH_MSG_NONE:
		case HUTCH_MSG_TYPE_MAX:
			violation(&m, "request for the container init sent to the monitor");
		}
	}
}
