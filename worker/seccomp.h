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

struct settings;
/* --system-call-filter=VALUE: check it and remember it (options accumulate). */
int syscall_filter_option(const char *value, struct settings *s);
/* syscall_filter_compile() for the settings; logs a one-line error on failure. */
int syscall_filter_compile_settings(const struct settings *s, struct hutch_seccomp *out);

/* The system calls that no option can allow (DESIGN.md §4). */
extern const char *const syscall_filter_never_allowed[];

/* The filter for the default settings, compiled at build time. */
extern const uint64_t default_filter_caps;
extern const uint32_t default_filter_ninsns;
extern const struct hutch_bpf_insn default_filter_insns[];

#endif
