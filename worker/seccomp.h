/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The payload's seccomp filter, compiled here (libseccomp) and sent to the
 * broker as raw BPF: systemd-nspawn's allowlist, minus what hutch never
 * allows, plus/minus --system-call-filter=, for every ABI an x86-64 host
 * runs (x86-64, x32, i386), denied calls failing with EPERM.
 */
#ifndef HUTCH_WORKER_SECCOMP_H
#define HUTCH_WORKER_SECCOMP_H

#include <stddef.h>
#include <stdint.h>

#include "../common/proto.h"

/*
 * Check one --system-call-filter= value ("name @group ...", or "~..." for a
 * deny list): every @group must exist. Logs a one-line error and returns
 * -EINVAL if not. Warns when an allow list names a call hutch never
 * allows. Unknown plain names are fine: they are skipped.
 */
int syscall_filter_check(const char *value);

/*
 * Compile the filter for a payload with the capability bounding set `caps`
 * (some of nspawn's entries depend on it) and the --system-call-filter=
 * values `options[0..n)`, in order. Returns 0, -E2BIG if the program would
 * not fit HUTCH_BPF_MAX_INSNS, -EINVAL for an unknown group, or another
 * -errno from libseccomp. `out` is fully written (unused insns zero).
 */
int syscall_filter_compile(const char *const *options, size_t n, uint64_t caps,
			   struct hutch_seccomp *out);

/* Build time: part 1 of the filter (seccomp.c), its "allow" returns turned
 * into jumps to its end, where part 2 is to follow. */
int syscall_filter_args_part(struct hutch_seccomp *out);
/*
 * Build time: the whole filter for `caps` and no options, with part 2 (the
 * allowlist) emitted as a binary search over the allowed number ranges of
 * each ABI (seccomp_caps.c): ~5x fewer instructions than libseccomp's tree,
 * and the kernel's load time (checks, JIT) grows with the length.
 */
int syscall_filter_compact(uint64_t caps, struct hutch_seccomp *out);

/* Export a libseccomp context (a scmp_filter_ctx) as BPF into `out`. */
int syscall_filter_export(void *ctx, struct hutch_seccomp *out);

struct settings;
/* --system-call-filter=VALUE: check it and remember it (options accumulate). */
int syscall_filter_option(const char *value, struct settings *s);
/* syscall_filter_compile() for the settings; logs a one-line error on failure. */
int syscall_filter_compile_settings(const struct settings *s, struct hutch_seccomp *out);

/* The system calls that no option can allow (DESIGN.md §4). */
extern const char *const syscall_filter_never_allowed[];

/* The capabilities some entry of nspawn's allowlist depends on. */
uint64_t syscall_filter_cap_mask(void);
/* The allowlist for `caps` and no options, as libseccomp native (or pseudo)
 * syscall numbers: nr[0..*n). -E2BIG if more than `max`. */
int syscall_filter_allowed(uint64_t caps, int *nr, size_t max, size_t *n);

/*
 * A syscall number, on one audit arch (x32 numbers, bit 30 set, come under
 * AUDIT_ARCH_X86_64 as the kernel reports them), that nspawn's list allows
 * only when the payload keeps one of `caps` in its bounding set.
 */
struct seccomp_cap_rule {
	uint32_t arch;
	uint32_t nr;
	uint64_t caps;
};
#define SECCOMP_CAP_RULES_MAX 256

/* Build time: every such number on x86-64, x32 and i386, sorted. */
int syscall_filter_cap_rules(struct seccomp_cap_rule *rules, size_t max, size_t *n);

/*
 * The filter for bounding set `caps` and no --system-call-filter=, from the
 * build-time programs: the default one when `caps` agrees with the defaults
 * on every capability that matters, else a prefix denying (EPERM) the
 * numbers of cap_rules[] whose capabilities are all missing, followed by
 * the all-capabilities program. Returns 0, or -EOPNOTSUPP if the tables
 * cannot express it (the caller compiles instead).
 */
int syscall_filter_for_caps(uint64_t caps, struct hutch_seccomp *out);

/* Build-time programs and tables (tools/gen_default_filter.c). */
extern const uint64_t default_filter_caps;
extern const uint32_t default_filter_ninsns;
extern const struct hutch_bpf_insn default_filter_insns[];
extern const uint64_t full_filter_caps; /* = syscall_filter_cap_mask() */
extern const uint32_t full_filter_ninsns;
extern const struct hutch_bpf_insn full_filter_insns[];
extern const uint32_t cap_rules_n;
extern const struct seccomp_cap_rule cap_rules[];

#endif
