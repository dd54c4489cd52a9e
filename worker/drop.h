/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef HUTCH_WORKER_DROP_H
#define HUTCH_WORKER_DROP_H

#include <stdint.h>

#include "../common/proto.h"

/* Everything but `sock` and fds 0-2 closed; as root, also the uid/gid
 * `uid` (this invocation's worker uid, broker/workeruid.c). */
int worker_drop_privileges(int sock, uint32_t uid);

/* The worker's own filter, compiled with libseccomp (build time). */
int worker_filter_compile(struct hutch_seccomp *out);
/* ...and that program as the build wrote it out (tools/gen_default_filter.c). */
extern const uint32_t worker_filter_ninsns;
extern const struct hutch_bpf_insn worker_filter_insns[];

#endif
