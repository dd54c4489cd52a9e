/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The broker's build-time filters, loaded in children and tried. */
#include <criterion/criterion.h>
#include <errno.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../broker/broker.h"

/* Child exit status: 0 = as expected, else a number naming what was not. */
static int in_child(int (*body)(void))
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(body());
	int ws;
	waitpid(pid, &ws, 0);
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : 100 + WTERMSIG(ws);
}

#ifdef __x86_64__
/* An i386 system call from this process (int 0x80), arguments cut to 32 bits. */
static long i386_syscall(long nr, long a, long b)
{
	long ret;
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b) : "memory");
	return ret;
}
#endif

static int base_body(void)
{
	if (sandbox_broker_base() < 0)
		return 1;
	if (syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0) != -1 || errno != EPERM)
		return 2;
	if (syscall(SYS_io_uring_setup, 1, NULL) != -1 || errno != EPERM)
		return 3;
#ifdef __x86_64__
	/* The clock through i386's calls too: clock_settime64, clock_adjtime64,
	 * stime (NULL arguments: -EFAULT had the kernel got them; -ENOSYS
	 * without i386 emulation). */
	static const long clock_calls[] = {404, 405, 25};
	for (int i = 0; i < 3; i++) {
		long r = i386_syscall(clock_calls[i], 0, 0);
		if (r != -EPERM && r != -ENOSYS)
			return 5 + i;
	}
#endif
	return getpid() > 0 ? 0 : 4; /* everything else still works */
}

static int no_bpf_body(void)
{
	/* The base filter leaves bpf(2) to the monitor for the device program. */
	if (sandbox_broker_base() < 0)
		return 1;
	if (syscall(SYS_bpf, -1, NULL, 0) != -1 || errno == EPERM)
		return 2;
	if (sandbox_no_bpf() < 0)
		return 3;
	if (syscall(SYS_bpf, -1, NULL, 0) != -1 || errno != EPERM)
		return 4;
	return 0;
}

static int monitor_body(void)
{
	if (sandbox_monitor() < 0)
		return 1;
	char *argv[] = {(char *)"/bin/true", NULL};
	execve("/bin/true", argv, argv + 1);
	return errno == EPERM ? 0 : 2; /* the monitor never executes anything */
}

Test(broker_sandbox, base_filter_denies_what_no_container_needs)
{
	if (geteuid() != 0)
		cr_skip_test("needs root: the base filter is loaded without no_new_privs");
	cr_expect_eq(in_child(base_body), 0);
}

Test(broker_sandbox, monitor_filter_is_an_allowlist)
{
	if (geteuid() != 0)
		cr_skip_test("needs root: the filter is loaded without no_new_privs");
	cr_expect_eq(in_child(monitor_body), 0);
}

Test(broker_sandbox, bpf_denied_after_the_device_program)
{
	if (geteuid() != 0)
		cr_skip_test("needs root: the filter is loaded without no_new_privs");
	cr_expect_eq(in_child(no_bpf_body), 0);
}
