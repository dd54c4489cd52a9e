/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The filter the worker assembles for a capability set from build-time
 * parts (worker/seccomp_caps.c) must decide every system call exactly as a
 * fresh libseccomp compile for that set does. Both programs are run here on
 * a classic-BPF interpreter over every syscall number of x86-64, x32 and
 * i386 (plus an unknown arch), with the arguments the argument rules look
 * at, for many capability sets. A kernel probe then checks the assembled
 * filter for real.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../common/util.h"
#include "../lib/bpf_sim.h"
#include "../../worker/seccomp.h"
#include "../../worker/settings.h"

static struct hutch_seccomp fresh, fast;

static void check_caps(uint64_t caps)
{
	cr_assert_eq(syscall_filter_compile(NULL, 0, caps, &fresh), 0);
	cr_assert_eq(syscall_filter_for_caps(caps, &fast), 0, "caps %#llx not assembled",
		     (unsigned long long)caps);
	cr_assert_leq(fast.ninsns, HUTCH_BPF_MAX_INSNS);
	for (size_t i = fast.ninsns; i < HUTCH_BPF_MAX_INSNS; i++)
		cr_assert_eq(fast.insns[i].code | fast.insns[i].k, 0, "tail not zeroed");
	char what[64];
	snprintf(what, sizeof what, "caps %#llx", (unsigned long long)caps);
	bpf_sim_assert_same(&fresh, &fast, what);
}

/* The tables are what the code builds today (a stale build would not be). */
Test(seccomp_caps, build_time_parts_are_current, .timeout = 120)
{
	static struct seccomp_cap_rule rules[SECCOMP_CAP_RULES_MAX];
	size_t n = 0;
	cr_assert_eq(syscall_filter_cap_rules(rules, SECCOMP_CAP_RULES_MAX, &n), 0);
	cr_assert_eq(n, cap_rules_n);
	cr_assert_eq(memcmp(rules, cap_rules, n * sizeof *rules), 0);
	cr_assert_eq(full_filter_caps, syscall_filter_cap_mask());
	cr_assert_eq(syscall_filter_compact(full_filter_caps, &fast), 0);
	cr_assert_eq(fast.ninsns, full_filter_ninsns);
	cr_assert_eq(memcmp(fast.insns, full_filter_insns, fast.ninsns * sizeof fast.insns[0]), 0);
	/* and it decides as libseccomp's compile for the same set */
	cr_assert_eq(syscall_filter_compile(NULL, 0, full_filter_caps, &fresh), 0);
	bpf_sim_assert_same(&fresh, &fast, "all-capabilities filter");
	/* Every ABI has entries: x86-64 and x32 under one audit arch, i386. */
	bool x86_64 = false, x32 = false, i386 = false;
	for (size_t i = 0; i < n; i++) {
		x86_64 |= rules[i].arch == AUDIT_ARCH_X86_64 && rules[i].nr < 0x40000000u;
		x32 |= rules[i].arch == AUDIT_ARCH_X86_64 && rules[i].nr >= 0x40000000u;
		i386 |= rules[i].arch == AUDIT_ARCH_I386;
	}
	cr_assert(x86_64 && x32 && i386);
}

Test(seccomp_caps, same_decisions_as_libseccomp, .timeout = 240)
{
	uint64_t mask = syscall_filter_cap_mask();
	/* none, all, the defaults, --drop-capability=all as the bench runs it */
	check_caps(0);
	check_caps(mask);
	check_caps(~0ull >> (64 - CAP_LAST_CAP - 1));
	check_caps(default_capabilities | (1ull << CAP_NET_ADMIN));
	/* each relevant capability alone, and the defaults without / with it */
	for (int cap = 0; cap <= CAP_LAST_CAP; cap++) {
		if (!(mask & (1ull << cap)))
			continue;
		check_caps(1ull << cap);
		check_caps(default_capabilities & ~(1ull << cap));
		check_caps(default_capabilities | (1ull << cap));
	}
	/* and some mixed sets */
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (int i = 0; i < 8; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		check_caps(x & (~0ull >> (64 - CAP_LAST_CAP - 1)));
	}
}

/* The defaults (and sets equal to them where it matters) get the build-time
 * default program itself, with no prefix. */
Test(seccomp_caps, defaults_use_the_default_program)
{
	cr_assert_eq(syscall_filter_for_caps(default_capabilities | (1ull << CAP_NET_ADMIN), &fast), 0);
	cr_assert_eq(fast.ninsns, default_filter_ninsns);
	cr_assert_eq(memcmp(fast.insns, default_filter_insns, fast.ninsns * sizeof fast.insns[0]), 0);
	/* the settings path takes it too, and compiles when options are given */
	struct settings s = {.cap_bounding = 0};
	cr_assert_eq(syscall_filter_compile_settings(&s, &fast), 0);
	cr_assert_eq(syscall_filter_for_caps(0, &fresh), 0);
	cr_assert_eq(memcmp(&fast, &fresh, sizeof fast), 0);
	s.syscall_filter[0] = "~@clock";
	s.n_syscall_filter = 1;
	cr_assert_eq(syscall_filter_compile_settings(&s, &fast), 0);
	static struct hutch_seccomp compiled;
	cr_assert_eq(syscall_filter_compile(s.syscall_filter, 1, 0, &compiled), 0);
	cr_assert_eq(memcmp(&fast, &compiled, sizeof fast), 0);
}

/* For real: with no capabilities, ptrace and mlock fail with EPERM on
 * x86-64 and x32; with CAP_SYS_PTRACE kept, ptrace is not the filter's. */
static long probe(uint64_t caps, long nr)
{
	struct hutch_seccomp *f = &fast;
	cr_assert_eq(syscall_filter_for_caps(caps, f), 0);
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct sock_fprog prog = {.len = (unsigned short)f->ninsns,
					  .filter = (struct sock_filter *)f->insns};
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
			_exit(2);
		/* ptrace(PTRACE_PEEKDATA, pid 0) / mlock(2, 0): harmless */
		long r = syscall(nr, 2L, 0L, 0L, 0L);
		long e = r < 0 ? errno : 0;
		_exit(write(fds[1], &e, sizeof e) == sizeof e ? 0 : 3);
	}
	close(fds[1]);
	int ws;
	long e = -1;
	cr_assert_eq(waitpid(pid, &ws, 0), pid);
	cr_assert(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
	cr_assert_eq(read(fds[0], &e, sizeof e), (ssize_t)sizeof e);
	close(fds[0]);
	return e;
}

Test(seccomp_caps, kernel_enforces_the_assembled_filter, .timeout = 30)
{
	cr_expect_eq(probe(0, SYS_ptrace), EPERM);
	cr_expect_eq(probe(0, 0x40000000L | 521), EPERM); /* x32 ptrace */
	cr_expect_eq(probe(0, SYS_mlock), EPERM);
	cr_expect_neq(probe(1ull << CAP_SYS_PTRACE, SYS_ptrace), EPERM);
	cr_expect_neq(probe(1ull << CAP_IPC_LOCK, SYS_mlock), EPERM);
}
