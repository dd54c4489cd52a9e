/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hutch: split into the privileged broker (this process) and the
 * unprivileged worker (a child) before a single argument is looked at.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker/broker.h"
#include "common/util.h"
#include "common/worker_pool.h"
#include "worker/policy.h"
#include "worker/worker.h"

/* fds 0-2 must exist, or a later open() could land on them. */
static int sanitize_fds(void)
{
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0) {
			int n = open("/dev/null", O_RDWR);
			if (n != fd)
				return -1;
		}
	/* Nothing the caller left open crosses into hutch (nspawn does the same). */
	close_range(3, ~0U, 0);
	return 0;
}

int main(int argc, char **argv)
{
	if (sanitize_fds() < 0)
		return 1;
	/* The monitor takes these through a signalfd; block before forking so
	 * none is lost and the worker starts with them blocked too. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	/* SIGUSR1 tells the worker the container is gone; blocked from the
	 * start so it waits for the worker's signalfd. */
	sigset_t usr1;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);

	/* The worker's uid, this invocation's alone (broker/workeruid.c): no
	 * other hutch's worker can signal ours, nor ours theirs. */
	uint32_t worker_uid = 0;
	int worker_lock = -1;
	if (geteuid() == 0 && (worker_lock = worker_uid_acquire(&worker_uid)) < 0) {
		errno = -worker_lock;
		if (worker_lock == -EADDRINUSE)
			log_error("all %u worker uids (%u..%u) are taken by running hutch invocations; "
				  "wait for one to end (the pool is set at build time: "
				  "HUTCH_WORKER_UID, HUTCH_WORKER_UIDS)",
				  hutch_worker_uid_count, hutch_worker_uid_base,
				  hutch_worker_uid_base + hutch_worker_uid_count - 1);
		else
			log_error("cannot reserve a worker uid in /run/hutch/worker-uids: %m");
		return 1;
	}
	/* The admin policy, compiled into the caller's grant before the worker
	 * (and with it any user input) exists. Always filled, fail-closed. */
	static struct hutch_grant grant;
	grant_compile(policy_main, NULL, worker_uid, &grant);

	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		log_error("socketpair: %m");
		return 1;
	}
	pid_t broker = getpid();
	pid_t worker = fork();
	if (worker < 0) {
		log_error("fork: %m");
		return 1;
	}
	if (worker == 0) {
		close(sv[0]);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != broker)
			_exit(1);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		_exit(worker_main(sv[1], worker_uid, argc, argv, &grant));
	}
	close(sv[1]);
	int status = broker_main(sv[0], worker, worker_uid, &grant, policy_main);
	if (worker_lock >= 0)
		worker_uid_release(worker_lock, worker_uid);
	return status;
}
