/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The broker's own seccomp filters.
 *  - base: installed at start, inherited by the container init and so by the
 *    payload; denies what no part of hutch or a container needs: kernel
 *    module and kexec loading, io_uring, userfaultfd, perf, bpf, keyrings,
 *    handle-based opens, swap, clock and syslog changes. Covers x86_64, x32
 *    and i386 so a second ABI is not a way around it.
 *  - monitor: after the container exists, the monitor only supervises; it
 *    gets an allowlist of exactly that.
 */
#include "broker.h"

#include <errno.h>
#include <seccomp.h>

#include "../common/util.h"

static const char *const base_denied[] = {
	"kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
	"open_by_handle_at", "io_uring_setup", "io_uring_enter",
	"io_uring_register", "userfaultfd", "perf_event_open", "bpf", "add_key",
	"request_key", "keyctl", "swapon", "swapoff", "acct", "lookup_dcookie", "uselib",
	"iopl", "ioperm", "syslog", "settimeofday", "clock_settime", "clock_adjtime",
	"adjtimex", "vm86", "vm86old", "nfsservctl", "quotactl_fd",
};

static int add_arches(scmp_filter_ctx ctx)
{
	int r = seccomp_arch_add(ctx, SCMP_ARCH_X86);
	if (r < 0 && r != -EEXIST)
		return r;
	r = seccomp_arch_add(ctx, SCMP_ARCH_X32);
	if (r < 0 && r != -EEXIST)
		return r;
	return 0;
}

int sandbox_broker_base(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return -ENOMEM;
	/* Inherited by the payload: no_new_privs would break its setuid
	 * binaries (su, ping) for no gain here; as root we need not set it. */
	int r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (r == 0)
		r = add_arches(ctx);
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(base_denied); i++) {
		int nr = seccomp_syscall_resolve_name(base_denied[i]);
		if (nr == __NR_SCMP_ERROR)
			continue;
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
		if (r == -EDOM) /* not on every arch: fine */
			r = 0;
	}
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r;
}

static const char *const monitor_allowed[] = {
	"read", "write", "close", "poll", "ppoll", "waitid", "wait4", "pidfd_send_signal",
	"kill", "exit", "exit_group", "openat", "getdents64", "fstat", "newfstatat", "statx",
	"unlinkat", "unlink", "rmdir", "fcntl", "mmap", "munmap", "mremap", "brk", "madvise",
	"clock_gettime", "clock_nanosleep", "nanosleep", "getpid", "gettid", "futex",
	"lseek", "rt_sigprocmask", "rt_sigaction", "rt_sigreturn", "restart_syscall",
	"sigaltstack", "getrandom", "tgkill", "writev", "mprotect", "prctl", "dup",
	"signalfd4", "pidfd_open",
};

int sandbox_monitor(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	if (!ctx)
		return -ENOMEM;
	int r = 0;
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(monitor_allowed); i++) {
		int nr = seccomp_syscall_resolve_name(monitor_allowed[i]);
		if (nr != __NR_SCMP_ERROR)
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	}
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r;
}
