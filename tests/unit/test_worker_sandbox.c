/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The worker's confinement, tried for real: a forked child runs the same
 * worker_drop_privileges() hutch uses and then attempts what a compromised
 * worker would. Each attempt that succeeds sets a bit in the exit status.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../worker/drop.h"

enum {
	ESCAPED_OPEN = 1 << 0,
	ESCAPED_TIOCSTI = 1 << 1,
	ESCAPED_TIOCSTI_HIGH = 1 << 2,
	ESCAPED_TIOCLINUX = 1 << 3,
	STILL_ROOT = 1 << 4,
	ESCAPED_PTRACE = 1 << 5,
	ESCAPED_SOCKET = 1 << 6,
	DROP_FAILED = 1 << 7,
};

static int confined_child(int tty)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
		return DROP_FAILED;
	/* drop closes every fd but 0-2 and the socket: put the tty on 0. */
	if (dup2(tty, 0) < 0 || worker_drop_privileges(sv[1], HUTCH_WORKER_UID) < 0)
		return DROP_FAILED;
	int bad = 0;
	if (open("/etc/hostname", O_RDONLY) >= 0 || errno != EACCES)
		bad |= ESCAPED_OPEN;
	char c = 'x';
	if (ioctl(0, TIOCSTI, &c) == 0)
		bad |= ESCAPED_TIOCSTI;
	if (syscall(SYS_ioctl, 0, 0xdead000000000000UL | TIOCSTI, &c) == 0)
		bad |= ESCAPED_TIOCSTI_HIGH;
	char sub = 6;
	if (ioctl(0, TIOCLINUX, &sub) == 0 || errno != ENOSYS)
		bad |= ESCAPED_TIOCLINUX;
	if (getuid() == 0 || geteuid() == 0)
		bad |= STILL_ROOT;
	if (syscall(SYS_ptrace, 16 /* PTRACE_ATTACH */, getppid(), 0, 0) == 0)
		bad |= ESCAPED_PTRACE;
	if (socket(AF_INET, SOCK_STREAM, 0) >= 0)
		bad |= ESCAPED_SOCKET;
	return bad;
}

Test(worker_sandbox, compromised_worker_gets_nothing, .timeout = 20)
{
	if (geteuid() != 0)
		cr_skip_test("needs root: the worker drop changes uid");
	int master, slave;
	cr_assert_eq(openpty(&master, &slave, NULL, NULL, NULL), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(confined_child(slave));
	int ws;
	cr_assert_eq(waitpid(pid, &ws, 0), pid);
	cr_assert(WIFEXITED(ws), "confined child died (signal %d)", WTERMSIG(ws));
	int bad = WEXITSTATUS(ws);
	cr_expect_eq(bad & DROP_FAILED, 0, "worker_drop_privileges failed");
	cr_expect_eq(bad & ESCAPED_OPEN, 0, "worker could open(2) a host file");
	cr_expect_eq(bad & ESCAPED_TIOCSTI, 0, "worker could TIOCSTI into its terminal");
	cr_expect_eq(bad & ESCAPED_TIOCSTI_HIGH, 0, "TIOCSTI with high bits set got through");
	cr_expect_eq(bad & ESCAPED_TIOCLINUX, 0, "TIOCLINUX was not refused by seccomp");
	cr_expect_eq(bad & STILL_ROOT, 0, "worker still runs as root");
	cr_expect_eq(bad & ESCAPED_PTRACE, 0, "worker could ptrace its parent");
	cr_expect_eq(bad & ESCAPED_SOCKET, 0, "worker could open a network socket");
	close(master);
	close(slave);
}

/* The worker loads a copy of its filter compiled at build time
 * (tools/gen_default_filter.c); it must be what the code compiles today. */
Test(worker_sandbox, build_time_filter_matches_fresh_compile)
{
	static struct hutch_seccomp fresh;
	cr_assert_eq(worker_filter_compile(&fresh), 0);
	cr_assert_gt(fresh.ninsns, 0);
	cr_assert_eq(worker_filter_ninsns, fresh.ninsns);
	cr_assert_eq(memcmp(worker_filter_insns, fresh.insns, fresh.ninsns * sizeof fresh.insns[0]),
		     0, "build-time worker filter differs from a fresh compile");
}
