/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A classic-BPF interpreter for seccomp programs (bpf_sim.h). */
#include "bpf_sim.h"

#include <criterion/criterion.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "../../common/util.h"

uint32_t bpf_sim_run(const struct hutch_seccomp *f, const struct seccomp_data *d)
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

static void same_for(const struct hutch_seccomp *want, const struct hutch_seccomp *got,
		     const char *what, uint32_t arch, uint32_t nr)
{
	for (size_t s = 0; s < ARRAY_SIZE(arg_sets); s++)
		for (uint64_t sub = 0; sub < ((nr == 102 || nr == 117) ? 25 : 1); sub++) {
			struct seccomp_data d = {.nr = (int)nr, .arch = arch};
			memcpy(d.args, arg_sets[s], sizeof arg_sets[s]);
			if (sub)
				d.args[0] = sub;
			uint32_t w = bpf_sim_run(want, &d), g = bpf_sim_run(got, &d);
			if (w != g)
				cr_assert_fail("%s: arch %#x nr %#x args %#llx %#llx: expected %#x, "
					       "got %#x",
					       what, arch, nr, (unsigned long long)d.args[0],
					       (unsigned long long)d.args[1], w, g);
		}
}

void bpf_sim_assert_same(const struct hutch_seccomp *want, const struct hutch_seccomp *got,
			 const char *what)
{
	static const uint32_t arches[] = {AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, AUDIT_ARCH_AARCH64};
	static const uint32_t edges[] = {0x3fffffff, 0x7fffffff, 0x80000000, 0xbfffffff,
					 0xc0000000, 0xfffffffe, 0xffffffff};
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (size_t a = 0; a < ARRAY_SIZE(arches); a++) {
		for (uint32_t base = 0; base <= 0x40000000u; base += 0x40000000u)
			for (uint32_t n = 0; n < 1100; n++)
				same_for(want, got, what, arches[a], base + n);
		for (size_t i = 0; i < ARRAY_SIZE(edges); i++)
			same_for(want, got, what, arches[a], edges[i]);
		for (int i = 0; i < 2000; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			same_for(want, got, what, arches[a], (uint32_t)x);
		}
	}
}
