/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef HUTCH_WORKER_DROP_H
#define HUTCH_WORKER_DROP_H

#include <stdint.h>

#include "../common/proto.h"

int worker_drop_privileges(int sock);

/* The worker's own filter, compiled with libseccomp (build time). */
int worker_filter_compile(struct hutch_seccomp *out);
/* ...and that program as the build wrote it out (tools/gen_default_filter.c). */
extern const uint32_t worker_filter_ninsns;
extern const struct hutch_bpf_insn worker_filter_insns[];

#endif
