/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The payload filter for any capability set, without libseccomp's compiler
 * at run time (seccomp.h: syscall_filter_for_caps).
 *
 * nspawn's allowlist depends on the bounding set only through a handful of
 * entries (@clock with CAP_SYS_TIME, ptrace with CAP_SYS_PTRACE, ...). At
 * build time the filter is compiled once with all of them allowed, and the
 * numbers they add are listed per ABI with the capabilities that allow
 * them. At run time the numbers whose capabilities are all missing go into
 * a short BPF prefix that returns ERRNO(EPERM) for them and falls through
 * to the all-capabilities program otherwise. Those numbers return EPERM in
 * a fresh compile too (the allowlist's default action, and no argument rule
 * names them), so the two programs decide every call alike; the unit test
 * checks that against libseccomp for many sets, on every ABI.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "seccomp.h"

/* ---- build time ------------------------------------------------------ */

#define ALLOWED_MAX 2048

static const struct {
	uint32_t scmp, audit;
} abis[] = {
	{SCMP_ARCH_X86_64, AUDIT_ARCH_X86_64},
	{SCMP_ARCH_X32, AUDIT_ARCH_X86_64},
	{SCMP_ARCH_X86, AUDIT_ARCH_I386},
};

static bool has(const int *set, size_t n, int v)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == v)
			return true;
	return false;
}

/* The numbers of `native[0..n)` on one ABI (libseccomp maps rules by name,
 * and so do we); calls the ABI lacks are left out. */
static int to_abi(uint32_t scmp, const int *native, size_t n, int *out, size_t *nout)
{
	*nout = 0;
	for (size_t i = 0; i < n; i++) {
		char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, native[i]);
		if (!name)
			return -EINVAL;
		int nr = seccomp_syscall_resolve_name_arch(scmp, name);
		free(name);
		if (nr >= 0 && !has(out, *nout, nr))
			out[(*nout)++] = nr;
	}
	return 0;
}

static int add_rule(struct seccomp_cap_rule *rules, size_t max, size_t *n, uint32_t arch,
		    uint32_t nr, uint64_t cap)
{
	for (size_t i = 0; i < *n; i++)
		if (rules[i].arch == arch && rules[i].nr == nr) {
			rules[i].caps |= cap;
			return 0;
		}
	if (*n >= max)
		return -E2BIG;
	rules[(*n)++] = (struct seccomp_cap_rule){.arch = arch, .nr = nr, .caps = cap};
	return 0;
}

static int cmp_rule(const void *a, const void *b)
{
	const struct seccomp_cap_rule *x = a, *y = b;
	if (x->arch != y->arch)
		return x->arch < y->arch ? -1 : 1;
	return x->nr < y->nr ? -1 : x->nr > y->nr;
}

struct sets {
	int native[ALLOWED_MAX], always[ALLOWED_MAX], with[ALLOWED_MAX];
};

/* Numbers on one ABI that capability `cap` alone adds to the allowlist. */
static int rules_for_cap(struct sets *w, size_t n_always, uint32_t scmp, uint32_t audit,
			 int cap, struct seccomp_cap_rule *rules, size_t max, size_t *n)
{
	size_t n_native, n_with;
	int r = syscall_filter_allowed(1ull << cap, w->native, ALLOWED_MAX, &n_native);
	if (r == 0)
		r = to_abi(scmp, w->native, n_native, w->with, &n_with);
	for (size_t i = 0; r == 0 && i < n_with; i++)
		if (!has(w->always, n_always, w->with[i]))
			r = add_rule(rules, max, n, audit, (uint32_t)w->with[i], 1ull << cap);
	return r;
}

int syscall_filter_cap_rules(struct seccomp_cap_rule *rules, size_t max, size_t *n)
{
	struct sets *w = calloc(1, sizeof *w);
	if (!w)
		return -ENOMEM;
	uint64_t mask = syscall_filter_cap_mask();
	int r = 0;
	*n = 0;
	for (size_t a = 0; r == 0 && a < ARRAY_SIZE(abis); a++) {
		size_t n_native, n_always;
		r = syscall_filter_allowed(0, w->native, ALLOWED_MAX, &n_native);
		if (r == 0)
			r = to_abi(abis[a].scmp, w->native, n_native, w->always, &n_always);
		for (int cap = 0; r == 0 && cap < 64; cap++)
			if (mask & (1ull << cap))
				r = rules_for_cap(w, n_always, abis[a].scmp, abis[a].audit, cap, rules,
						  max, n);
	}
	free(w);
	if (r == 0)
		qsort(rules, *n, sizeof *rules, cmp_rule);
	return r;
}

/* ---- run time -------------------------------------------------------- */

struct emitter {
	struct sock_filter *insn;
	size_t n, max;
	size_t to_end[2 * SECCOMP_CAP_RULES_MAX]; /* "ja END" to patch */
	size_t n_to_end;
	bool overflow;
};

static size_t emit(struct emitter *e, struct sock_filter f)
{
	if (e->n >= e->max) {
		e->overflow = true;
		return e->n;
	}
	e->insn[e->n] = f;
	return e->n++;
}

static void emit_to_end(struct emitter *e)
{
	size_t at = emit(e, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JA, 0, 0, 0));
	if (e->n_to_end < ARRAY_SIZE(e->to_end))
		e->to_end[e->n_to_end++] = at;
	else
		e->overflow = true;
}

#define LEAF 4
static const struct sock_filter deny =
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA));

/* A binary search over the sorted numbers nr[0..n) (the syscall number is in
 * A): EPERM on a match, else on to the end of the prefix. */
static void emit_search(struct emitter *e, const uint32_t *nr, size_t n)
{
	if (n <= LEAF) {
		for (size_t i = 0; i < n; i++) /* each match jumps to the deny below */
			emit(e, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr[i],
							     (uint8_t)(n - i), 0));
		emit_to_end(e);
		if (n)
			emit(e, deny);
		return;
	}
	size_t mid = n / 2;
	size_t at = emit(e, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, nr[mid], 0, 0));
	emit_search(e, nr, mid);
	size_t left = e->n - at - 1;
	if (left > 255)
		e->overflow = true;
	else if (!e->overflow)
		e->insn[at].jt = (uint8_t)left;
	emit_search(e, nr + mid, n - mid);
}

/* Per arch: if arch matches, search its numbers; else try the next arch. */
static void emit_arch(struct emitter *e, uint32_t audit, const uint32_t *nr, size_t n)
{
	emit(e, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					     offsetof(struct seccomp_data, arch)));
	emit(e, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, audit, 1, 0));
	size_t skip = emit(e, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JA, 0, 0, 0));
	emit(e, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					     offsetof(struct seccomp_data, nr)));
	emit_search(e, nr, n);
	if (!e->overflow)
		e->insn[skip].k = (uint32_t)(e->n - skip - 1);
}

static bool caps_match_default(uint64_t caps)
{
	return ((caps ^ default_filter_caps) & full_filter_caps) == 0;
}

int syscall_filter_for_caps(uint64_t caps, struct hutch_seccomp *out)
{
	memset(out, 0, sizeof *out);
	if (caps_match_default(caps)) {
		out->ninsns = default_filter_ninsns;
		memcpy(out->insns, default_filter_insns, default_filter_ninsns * sizeof out->insns[0]);
		return 0;
	}
	if (cap_rules_n > SECCOMP_CAP_RULES_MAX)
		return -EOPNOTSUPP;
	struct emitter e = {.insn = (struct sock_filter *)out->insns,
			    .max = HUTCH_BPF_MAX_INSNS - full_filter_ninsns};
	/* cap_rules[] is sorted by arch, then number. */
	for (size_t i = 0; i < cap_rules_n;) {
		uint32_t arch = cap_rules[i].arch, nr[SECCOMP_CAP_RULES_MAX];
		size_t n = 0;
		for (; i < cap_rules_n && cap_rules[i].arch == arch; i++)
			if (!(cap_rules[i].caps & caps))
				nr[n++] = cap_rules[i].nr;
		if (n)
			emit_arch(&e, arch, nr, n);
	}
	if (e.overflow) {
		memset(out, 0, sizeof *out);
		return -EOPNOTSUPP;
	}
	for (size_t i = 0; i < e.n_to_end; i++)
		e.insn[e.to_end[i]].k = (uint32_t)(e.n - e.to_end[i] - 1);
	memcpy(out->insns + e.n, full_filter_insns, full_filter_ninsns * sizeof out->insns[0]);
	out->ninsns = (uint32_t)(e.n + full_filter_ninsns);
	return 0;
}
