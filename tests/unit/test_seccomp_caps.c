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
#include "../../worker/seccomp.h"
#include "../../worker/settings.h"

/* A classic BPF interpreter for seccomp programs; any instruction it does
 * not know fails the test rather than guessing. */
static uint32_t run_bpf(const struct hutch_seccomp *f, const struct seccomp_data *d)
{
	const struct sock_filter *p = (const struct sock_filter *)f->insns;
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {0};
	for (uint32_t pc = 0; pc < f->ninsns; pc++) {
		const struct sock_filter *i = &p[pc];
		uint32_t src = BPF_SRC(i->code) == BPF_X ? x : i->k;
		switch (BPF_CLASS(i->code)) {
		case BPF_LD:
			if (BPF_MODE(i->code) == BPF_ABS && BPF_SIZE(i->code) == BPF_W) {
				cr_assert(i->k % 4 == 0 && i->k < sizeof *d, "bad load at %u", pc);
				memcpy(&a, (const char *)d + i->k, 4);
			} else if (BPF_MODE(i->code) == BPF_IMM) {
				a = i->k;
			} else if (BPF_MODE(i->code) == BPF_MEM && i->k < BPF_MEMWORDS) {
				a = mem[i->k];
			} else {
				cr_assert_fail("unknown load %#x at %u", i->code, pc);
			}
			break;
		case BPF_LDX:
			cr_assert(BPF_MODE(i->code) == BPF_MEM && i->k < BPF_MEMWORDS,
				  "unknown ldx %#x at %u", i->code, pc);
			x = mem[i->k];
			break;
		case BPF_ST:
		case BPF_STX:
			cr_assert(i->k < BPF_MEMWORDS);
			mem[i->k] = BPF_CLASS(i->code) == BPF_ST ? a : x;
			break;
		case BPF_ALU:
			switch (BPF_OP(i->code)) {
			case BPF_AND: a &= src; break;
			case BPF_OR: a |= src; break;
			case BPF_ADD: a += src; break;
			case BPF_SUB: a -= src; break;
			case BPF_RSH: a = src < 32 ? a >> src : 0; break;
			case BPF_LSH: a = src < 32 ? a << src : 0; break;
			default: cr_assert_fail("unknown alu %#x at %u", i->code, pc);
			}
			break;
		case BPF_JMP: {
			if (BPF_OP(i->code) == BPF_JA) {
				pc += i->k;
				break;
			}
			bool t;
			switch (BPF_OP(i->code)) {
			case BPF_JEQ: t = a == src; break;
			case BPF_JGT: t = a > src; break;
			case BPF_JGE: t = a >= src; break;
			case BPF_JSET: t = (a & src) != 0; break;
			default: cr_assert_fail("unknown jump %#x at %u", i->code, pc); t = false;
			}
			pc += t ? i->jt : i->jf;
			break;
		}
		case BPF_RET:
			return BPF_RVAL(i->code) == BPF_A ? a : i->k;
		case BPF_MISC:
			if (BPF_MISCOP(i->code) == BPF_TAX)
				x = a;
			else
				a = x;
			break;
		default:
			cr_assert_fail("unknown class %#x at %u", i->code, pc);
		}
	}
	cr_assert_fail("ran off the end of the program");
	return 0;
}

/* Arguments that the argument rules or multiplexers (i386 socketcall and
 * ipc, whose first argument is the sub-call) could tell apart. */
static const uint64_t arg_sets[][3] = {
	{0, 0, 0},
	{3, TIOCSTI, 0},
	{3, 0xdead000000000000ull | TIOCSTI, 0},
	{3, TIOCLINUX, 0},
	{3, TCGETS, 0},
	{AF_NETLINK, SOCK_RAW, NETLINK_AUDIT},
	{AF_NETLINK, SOCK_RAW, 0},
	{AF_INET, SOCK_STREAM, 0},
};

static unsigned compare_all(const struct hutch_seccomp *want, const struct hutch_seccomp *got,
			    uint64_t caps)
{
	static const uint32_t arches[] = {AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, AUDIT_ARCH_AARCH64};
	unsigned checked = 0;
	for (size_t ai = 0; ai < ARRAY_SIZE(arches); ai++)
		for (uint32_t base = 0; base <= 0x40000000u; base += 0x40000000u)
			for (uint32_t n = 0; n < 1100; n++)
				for (size_t s = 0; s < ARRAY_SIZE(arg_sets); s++)
					for (uint64_t sub = 0; sub < ((n == 102 || n == 117) ? 25 : 1);
					     sub++) {
						struct seccomp_data d = {.nr = (int)(base + n),
									 .arch = arches[ai]};
						memcpy(d.args, arg_sets[s], sizeof arg_sets[s]);
						if (sub)
							d.args[0] = sub;
						uint32_t w = run_bpf(want, &d), g = run_bpf(got, &d);
						if (w != g)
							cr_assert_fail("caps %#llx arch %#x nr %#x args %#llx "
								       "%#llx: libseccomp %#x, assembled %#x",
								       (unsigned long long)caps, d.arch,
								       (unsigned)d.nr,
								       (unsigned long long)d.args[0],
								       (unsigned long long)d.args[1], w, g);
						checked++;
					}
	return checked;
}

static struct hutch_seccomp fresh, fast;

static void check_caps(uint64_t caps)
{
	cr_assert_eq(syscall_filter_compile(NULL, 0, caps, &fresh), 0);
	cr_assert_eq(syscall_filter_for_caps(caps, &fast), 0, "caps %#llx not assembled",
		     (unsigned long long)caps);
	cr_assert_leq(fast.ninsns, HUTCH_BPF_MAX_INSNS);
	for (size_t i = fast.ninsns; i < HUTCH_BPF_MAX_INSNS; i++)
		cr_assert_eq(fast.insns[i].code | fast.insns[i].k, 0, "tail not zeroed");
	compare_all(&fresh, &fast, caps);
}

/* The tables are what the code builds today (a stale build would not be). */
Test(seccomp_caps, build_time_parts_are_current, .timeout = 60)
{
	static struct seccomp_cap_rule rules[SECCOMP_CAP_RULES_MAX];
	size_t n = 0;
	cr_assert_eq(syscall_filter_cap_rules(rules, SECCOMP_CAP_RULES_MAX, &n), 0);
	cr_assert_eq(n, cap_rules_n);
	cr_assert_eq(memcmp(rules, cap_rules, n * sizeof *rules), 0);
	cr_assert_eq(full_filter_caps, syscall_filter_cap_mask());
	cr_assert_eq(syscall_filter_compile(NULL, 0, full_filter_caps, &fresh), 0);
	cr_assert_eq(fresh.ninsns, full_filter_ninsns);
	cr_assert_eq(memcmp(fresh.insns, full_filter_insns, fresh.ninsns * sizeof fresh.insns[0]), 0);
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
