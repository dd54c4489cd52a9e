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

/*
 * i386 multiplexes the socket and SysV IPC calls through socketcall(2) and
 * ipc(2); libseccomp names them by pseudo numbers there and, for a rule on
 * one, also allows its direct syscall (asm/unistd_32.h), which these are.
 */
static const struct {
	const char *name;
	int nr;
} i386_direct[] = {
	{"recvmmsg", 337}, {"sendmmsg", 345}, {"socket", 359}, {"socketpair", 360},
	{"bind", 361}, {"connect", 362}, {"listen", 363}, {"accept4", 364},
	{"getsockopt", 365}, {"setsockopt", 366}, {"getsockname", 367}, {"getpeername", 368},
	{"sendto", 369}, {"sendmsg", 370}, {"recvfrom", 371}, {"recvmsg", 372},
	{"shutdown", 373}, {"semget", 393}, {"semctl", 394}, {"shmget", 395},
	{"shmctl", 396}, {"shmat", 397}, {"shmdt", 398}, {"msgget", 399}, {"msgsnd", 400},
	{"msgrcv", 401}, {"msgctl", 402},
};

static int i386_number(const char *name, int nr)
{
	for (size_t i = 0; nr < 0 && i < ARRAY_SIZE(i386_direct); i++)
		if (strcmp(i386_direct[i].name, name) == 0)
			return i386_direct[i].nr;
	return nr;
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
		if (scmp == SCMP_ARCH_X86)
			nr = i386_number(name, nr);
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

/* ---- BPF emission ---------------------------------------------------- */

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

/* ---- build time: the compact program --------------------------------- */

/*
 * The allowlist as a search over range boundaries: with B[] the sorted
 * starts and ends+1 of the allowed ranges, a number is allowed iff an odd
 * count of boundaries is <= it. A balanced tree of "jge B[i]" whose leaves
 * are the two returns at its end: one instruction per boundary (libseccomp
 * spends ~2 per allowed call). jt/jf are 8 bits, so a tree must stay under
 * 256 instructions; ours are ~140 (x86-64 with x32) and ~90 (i386).
 */
#define LEAF_ALLOW (-1)
#define LEAF_DENY (-2)
#define BOUNDS_MAX 250

struct node {
	uint32_t k;
	int left, right; /* node index, or LEAF_* */
};

/* Intervals a..b of the number line (interval i: [B[i-1], B[i])). */
static int build_tree(const uint32_t *b, size_t lo, size_t hi, struct node *nodes, size_t *nn)
{
	if (lo == hi)
		return lo % 2 ? LEAF_ALLOW : LEAF_DENY;
	size_t mid = (lo + hi + 1) / 2, me = (*nn)++;
	nodes[me].k = b[mid - 1];
	nodes[me].left = build_tree(b, lo, mid - 1, nodes, nn);
	nodes[me].right = build_tree(b, mid, hi, nodes, nn);
	return (int)me;
}

static int target(int ref, size_t nn)
{
	return ref >= 0 ? ref : (int)nn + (ref == LEAF_ALLOW ? 0 : 1);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* "ld nr", the tree over the allowed numbers nr[0..n) (sorted, unique),
 * then "ret ALLOW", "ret EPERM". */
static int emit_allowlist(struct emitter *e, const uint32_t *nr, size_t n)
{
	uint32_t b[BOUNDS_MAX + 2];
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (i && nr[i] == nr[i - 1] + 1) {
			b[m - 1] = nr[i] + 1; /* extend the current range */
			continue;
		}
		if (m + 2 > BOUNDS_MAX || nr[i] == UINT32_MAX)
			return -E2BIG;
		b[m++] = nr[i];
		b[m++] = nr[i] + 1;
	}
	struct node nodes[BOUNDS_MAX];
	size_t nn = 0;
	build_tree(b, 0, m, nodes, &nn);
	emit(e, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					     offsetof(struct seccomp_data, nr)));
	for (size_t i = 0; i < nn; i++) { /* preorder: a left child is the next one */
		int jt = target(nodes[i].right, nn) - (int)i - 1;
		int jf = target(nodes[i].left, nn) - (int)i - 1;
		if (jt < 0 || jt > 255 || jf < 0 || jf > 255)
			return -E2BIG;
		emit(e, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, nodes[i].k,
						     (uint8_t)jt, (uint8_t)jf));
	}
	emit(e, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	emit(e, deny);
	return e->overflow ? -E2BIG : 0;
}

/* Every number `native[]` has on the ABIs that report `audit`, sorted. */
static int audit_arch_numbers(uint32_t audit, const int *native, size_t n, uint32_t *out,
			      size_t *nout)
{
	int *tmp = calloc(ALLOWED_MAX, sizeof *tmp);
	if (!tmp)
		return -ENOMEM;
	int r = 0;
	*nout = 0;
	for (size_t a = 0; r == 0 && a < ARRAY_SIZE(abis); a++) {
		size_t k;
		if (abis[a].audit != audit || (r = to_abi(abis[a].scmp, native, n, tmp, &k)) < 0)
			continue;
		for (size_t i = 0; i < k && *nout < ALLOWED_MAX; i++)
			out[(*nout)++] = (uint32_t)tmp[i];
	}
	free(tmp);
	qsort(out, *nout, sizeof *out, cmp_u32);
	return r;
}

int syscall_filter_compact(uint64_t caps, struct hutch_seccomp *out)
{
	int r = syscall_filter_args_part(out);
	if (r < 0)
		return r;
	struct emitter e = {.insn = (struct sock_filter *)out->insns, .n = out->ninsns,
			    .max = HUTCH_BPF_MAX_INSNS};
	struct sets *w = calloc(1, sizeof *w);
	uint32_t *nr = calloc(ALLOWED_MAX, sizeof *nr);
	size_t n_native = 0, n;
	if (!w || !nr)
		r = -ENOMEM;
	if (r == 0)
		r = syscall_filter_allowed(caps, w->native, ALLOWED_MAX, &n_native);
	/* arch dispatch; another arch is killed, as libseccomp does */
	emit(&e, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, arch)));
	static const uint32_t arches[] = {AUDIT_ARCH_X86_64, AUDIT_ARCH_I386};
	size_t to_tree[ARRAY_SIZE(arches)];
	for (size_t a = 0; a < ARRAY_SIZE(arches); a++) {
		emit(&e, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arches[a], 0, 1));
		to_tree[a] = emit(&e, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JA, 0, 0, 0));
	}
	emit(&e, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_THREAD));
	for (size_t a = 0; r == 0 && a < ARRAY_SIZE(arches); a++) {
		if (!e.overflow)
			e.insn[to_tree[a]].k = (uint32_t)(e.n - to_tree[a] - 1);
		r = audit_arch_numbers(arches[a], w->native, n_native, nr, &n);
		if (r == 0)
			r = emit_allowlist(&e, nr, n);
	}
	if (r == 0 && e.overflow)
		r = -E2BIG;
	out->ninsns = (uint32_t)e.n;
	free(w);
	free(nr);
	if (r < 0)
		memset(out, 0, sizeof *out);
	return r;
}

/* ---- run time -------------------------------------------------------- */


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
