/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The container init, cloned by the monitor into new mount, PID, UTS and IPC
 * namespaces (and a cgroup namespace it makes itself, once it sits in its
 * own cgroup). It executes the worker's setup requests one by one, then
 * becomes the payload (or, with --as-pid2, a stub init with the payload as
 * its only child). Any violation or failure ends it, and with it every
 * mount it made: they live only in this mount namespace.
 */
#include "broker.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/util.h"

struct init_state {
	struct container_args *a;
	int root;  /* the container's root mount, until pivot */
	int slave; /* console pty peer, -1 without console */
	struct hutch_seccomp *filter; /* the payload's, loaded last; NULL = none */
	struct credentials creds;     /* /run/host/credentials, mounted at PIVOT */
	struct hutch_process *process; /* rlimits etc., applied before exec; NULL = none */
	bool pivoted;
};

static _Noreturn void fail(struct init_state *s, const char *why)
{
	log_error("broker: refusing worker request: %s", why);
	_exit(1);
}

/* A failed step is reported to the worker, which adds context, then fatal. */
static _Noreturn void step_failed(struct init_state *s, int err, const char *what)
{
	hutch_send_reply(s->a->sock, err, what, NULL, 0);
	_exit(1);
}

static const char *const init_paths[] = {
	"/usr/lib/systemd/systemd",
	"/lib/systemd/systemd",
	"/sbin/init",
};

static int exec_payload(const struct hutch_exec *e, char **argv, char **envp)
{
	extern char **environ;
	environ = envp; /* execvpe searches the payload's own PATH */
	if (e->flags & HUTCH_EXEC_SEARCH_INIT) {
		for (size_t i = 0; i < ARRAY_SIZE(init_paths); i++) {
			argv[0] = (char *)init_paths[i];
			execve(init_paths[i], argv, envp);
		}
		return -ENOENT;
	}
	execvpe(argv[0], argv, envp);
	int r = -errno;
	if (r == -ENOENT && (e->flags & HUTCH_EXEC_SHELL_FALLBACK)) {
		argv[0] = (char *)"/bin/sh";
		execve("/bin/sh", argv, envp);
	}
	return r;
}

/* Credentials, session, stdio, cwd: everything but the exec itself. */
static int become_payload(struct init_state *s, const struct hutch_exec *e, const char **what)
{
	*what = "session";
	if (setsid() < 0)
		return -errno;
	if (e->flags & HUTCH_EXEC_CONSOLE) {
		if (ioctl(s->slave, TIOCSCTTY, 0) < 0)
			return -errno;
		for (int fd = 0; fd < 3; fd++)
			if (dup2(s->slave, fd) < 0)
				return -errno;
	}
	if (s->slave > 2)
		close(s->slave);
	*what = "SELinux label";
	int r = s->a->label.exec[0] ? payload_exec_label(s->a->label.exec) : 0;
	return r < 0 ? r : payload_credentials(e, s->filter, what);
}

/* --private-network: a fresh network namespace has loopback, but down. */
static int loopback_up(void)
{
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = {.ifr_name = "lo"};
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return -errno;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	return ioctl(fd, SIOCSIFFLAGS, &ifr) < 0 ? -errno : 0;
}

/*
 * Every mount was made from the host's user namespace. Joining the
 * container's and only then unsharing the mount namespace makes the kernel
 * lock them all (MNT_LOCKED): the payload, root in its namespace, cannot
 * unmount a /proc mask or remount /proc/sys or /sys read-write. UTS, IPC and
 * cgroup namespaces are remade too so they belong to the container's root.
 */
static int enter_userns(int fd)
{
	/* (A private network namespace stays the one /sys was mounted for, so
	 * /sys/class/net matches it; its owner is the host user namespace.) */
	if (setns(fd, CLONE_NEWUSER) < 0 ||
	    unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWCGROUP) < 0)
		return -1;
	close(fd);
	/* Our host uid 0 is unmapped in here: become the container's root.
	 * The IPC namespace comes after, so its mqueue root is that root's. */
	return setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0 || unshare(CLONE_NEWIPC) < 0 ? -1 : 0;
}

/* PID 1 for --as-pid2: reap everything, forward signals to the payload.
 * Every signal is blocked already (since before the fork): a payload that
 * exits at once leaves its SIGCHLD pending for sigwaitinfo, not discarded. */
static _Noreturn void stub_init(pid_t payload)
{
	sigset_t all;
	sigfillset(&all);
	close_range(0, ~0U, 0);
	prctl(PR_SET_NAME, "hutch-init");
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si);
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			kill(payload, sig);
			continue;
		}
		for (;;) {
			int ws;
			pid_t p = waitpid(-1, &ws, WNOHANG);
			if (p <= 0)
				break;
			if (p == payload)
				_exit(WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws));
		}
	}
}

static _Noreturn void handle_exec(struct init_state *s, const struct hutch_exec *e)
{
	if ((e->flags & HUTCH_EXEC_CONSOLE) && s->slave < 0)
		fail(s, "console requested but none opened");
	if (grant_exec_ok(s->a->grant, e) < 0)
		fail(s, "capabilities above the policy's ceiling");
	char **argv = calloc(e->argc + 1, sizeof *argv);
	char **envp = calloc(e->envc + 1, sizeof *envp);
	if (!argv || !envp)
		step_failed(s, -ENOMEM, "exec");
	hutch_exec_unpack(e, argv, envp);

	const char *what = NULL;
	int r = s->process ? process_apply(s->process, s->a->grant->kind != HUTCH_GRANT_ALL, &what) : 0;
	if (r < 0)
		step_failed(s, r, what);
	if (s->a->userns.fd >= 0 && enter_userns(s->a->userns.fd) < 0)
		step_failed(s, -errno, "user namespace");
	if (s->pivoted && (r = mount_mqueue()) < 0)
		step_failed(s, r, "/dev/mqueue");
	if (e->flags & HUTCH_EXEC_AS_PID2) {
		/* The payload unblocks them before its exec (payload_credentials). */
		sigset_t all;
		sigfillset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		pid_t pid = fork();
		if (pid < 0)
			step_failed(s, -errno, "fork");
		if (pid > 0 && stub_confine() < 0) {
			kill(pid, SIGKILL);
			_exit(1);
		}
		if (pid > 0)
			stub_init(pid);
	}
	r = become_payload(s, e, &what);
	if (r == 0)
		r = exec_payload(e, argv, envp);
	hutch_send_reply(s->a->sock, r, what, NULL, 0);
	_exit(strcmp(what, "exec") ? 1 : r == -ENOENT ? 127 : 126);
}

static void handle(struct init_state *s, const struct hutch_msg *m)
{
	const char *what = NULL;
	int r, master = -1;
	switch ((enum hutch_msg_type)m->hdr.type) {
	case HUTCH_MSG_MOUNT_API:
		if (m->u.mount_api.kind == HUTCH_API_CGROUP && !s->a->has_cgroup) {
			r = 0; /* no cgroup of our own: never show the host's tree */
			break;
		}
		r = mount_api(s->root, m->u.mount_api.kind, &what);
		if (r == 0 && m->u.mount_api.kind == HUTCH_API_RUN && (r = binds_run_host(s->a, s->root)) < 0)
			what = "/run/host/inaccessible";
		break;
	case HUTCH_MSG_ROOT_MODE:
	case HUTCH_MSG_MOUNT_BIND:
	case HUTCH_MSG_MOUNT_TMPFS:
	case HUTCH_MSG_MOUNT_OVERLAY:
	case HUTCH_MSG_INACCESSIBLE:
		r = binds_handle(s->a, &s->root, m, &what);
		break;
	case HUTCH_MSG_OPEN_CONSOLE:
		r = console_open(s->root, &m->u.open_console, &master, &s->slave, &what);
		if (r == 0) {
			r = hutch_send_reply(s->a->sock, 0, NULL, &master, 1);
			close(master);
			if (r < 0)
				_exit(1);
			return;
		}
		break;
	case HUTCH_MSG_WRITE_FILE:
	case HUTCH_MSG_FILE_OP:
		/* nspawn starts without them (a read-only image, a symlink we do
		 * not follow): the worker reports, nothing was done. */
		r = m->hdr.type == HUTCH_MSG_FILE_OP ? files_op(s->root, &m->u.file_op, &what)
						     : files_write(s->root, &m->u.write_file, m->fds[0], &what);
		if (hutch_send_reply(s->a->sock, r, what, NULL, 0) < 0)
			_exit(1);
		return;
	case HUTCH_MSG_CREDENTIAL:
		r = credential_add(&s->creds, &m->u.credential, m->fds[0], &what);
		break;
	case HUTCH_MSG_USERDB_RECORD:
		r = userdb_record(s->root, &m->u.userdb_record, m->fds[0], &what);
		break;
	case HUTCH_MSG_BIND_USER_HOME: {
		const struct hutch_create *c = &s->a->create;
		uint32_t i = m->u.bind_user_home.index;
		r = i < c->n_bind_users ? bind_user_home(s->root, &m->u.bind_user_home,
							 c->bind_users[i].host_uid,
							 c->bind_users[i].host_gid, &what)
					: -EINVAL;
		break;
	}
	case HUTCH_MSG_PIVOT:
		r = credentials_attach(&s->creds, s->root, &what);
		if (r == 0)
			r = pivot_to(s->root, &what);
		if (r == 0) {
			close(s->a->root_fd);
			s->pivoted = true;
		}
		break;
	case HUTCH_MSG_SECCOMP:
		s->filter = malloc(sizeof *s->filter);
		if (!s->filter)
			_exit(1);
		*s->filter = m->u.seccomp;
		r = 0;
		break;
	case HUTCH_MSG_PROCESS:
		s->process = malloc(sizeof *s->process);
		if (!s->process)
			_exit(1);
		*s->process = m->u.process;
		r = 0;
		break;
	case HUTCH_MSG_EXEC:
		handle_exec(s, &m->u.exec);
	case HUTCH_MSG_OPEN_ROOT:
	case HUTCH_MSG_OPEN_FILE:
	case HUTCH_MSG_OPEN_HOST_FILE:
	case HUTCH_MSG_OPEN_SETTINGS:
	case HUTCH_MSG_CREATE:
	case HUTCH_MSG_CGROUP:
	case HUTCH_MSG_OPEN_IMAGE:
	case HUTCH_MSG_ATTACH_IMAGE:
	case HUTCH_MSG_CHECK_POLICY:
	case HUTCH_MSG_LABEL:
	case HUTCH_MSG_REPLY:
	case HUTCH_MSG_PROGRESS:
	case HUTCH_MSG_NONE:
	case HUTCH_MSG_TYPE_MAX:
	default:
		fail(s, "request not executed by the container init");
	}
	if (r < 0)
		step_failed(s, r, what);
	if (hutch_send_reply(s->a->sock, 0, NULL, NULL, 0) < 0)
		_exit(1);
}

_Noreturn void container_main(struct container_args *a)
{
	struct init_state s = {.a = a, .root = -1, .slave = -1, .creds = {.mnt = -1}};
	int r0;
	const char *what = NULL;
	closep(&a->userns.probe_fd); /* the monitor's copy is the last one: */
	closep(&a->probe_done);       /* it waits for this to hang up */
	closep(&a->userns.helper[0]); /* the monitor reaps them */
	closep(&a->userns.helper[1]);
	/* If the monitor dies, so does the container, and with it every mount. */
	/* (getppid() is 0 here: the monitor is outside our PID namespace.) */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		_exit(1);
	prctl(PR_SET_NAME, "hutch-init");
	/* Into the v1 hierarchies' cgroups before anything can fork; then the
	 * cgroup namespace roots every hierarchy at the container's cgroup. */
	if ((r0 = cgroup_join_v1(&a->cg)) < 0)
		step_failed(&s, r0, "cgroup");
	int events = steal_fd(a->cg.events_fd);
	cgroup_close_unit(&a->cg);
	if (unshare(CLONE_NEWCGROUP) < 0)
		step_failed(&s, -errno, "cgroup namespace");
	if (sethostname(a->create.hostname, strlen(a->create.hostname)) < 0)
		step_failed(&s, -errno, "hostname");
	if ((a->create.flags & HUTCH_CREATE_PRIVATE_NETWORK) && (r0 = loopback_up()) < 0)
		step_failed(&s, r0, "loopback");
	mounts_set_owner(a->userns.fd >= 0 ? a->userns.base : 0);
	mounts_set_context(a->label.apifs);
	int r = mount_root(a->root_fd, a->root_path, a->root_how, a->userns.idmap_fd, &s.root, &what);
	closep(&a->userns.idmap_fd);
	if (r < 0)
		step_failed(&s, r, what);
	if (hutch_send_reply(a->sock, 0, NULL, &events, 1) < 0) /* CREATE done */
		_exit(1);
	close(events);

	struct hutch_msg *m = calloc(1, sizeof *m);
	if (!m)
		_exit(1);
	for (;;) {
		const char *why = NULL;
		r = hutch_recv(a->sock, m, &why);
		if (r == 0)
			_exit(1); /* worker gone before EXEC: nothing to run */
		if (r < 0)
			fail(&s, why ? why : "receive failed");
		if (permit_check(&a->permits, m, &why) < 0)
			fail(&s, why);
		permit_commit(&a->permits, m);
		handle(&s, m);
		for (unsigned i = 0; i < m->nfds; i++)
			close(m->fds[i]);
		m->nfds = 0;
	}
}
