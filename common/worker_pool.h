/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The uids (and equal gids) hutch's workers and policy parsers run as: one
 * per running invocation from a pool fixed at build time (HUTCH_WORKER_UID,
 * HUTCH_WORKER_UIDS). The broker takes one (broker/workeruid.c) and refuses
 * a container range that overlaps the pool; the worker refuses to go on when
 * /etc/subuid or /etc/subgid delegates any of it to a user, whose own user
 * namespaces could then signal a worker.
 */
#ifndef HUTCH_COMMON_WORKER_POOL_H
#define HUTCH_COMMON_WORKER_POOL_H

#include <stdbool.h>
#include <stdint.h>

extern const uint32_t hutch_worker_uid_base, hutch_worker_uid_count;

/* Does [start, start + count) share an id with the pool? */
bool hutch_worker_pool_overlaps(uint64_t start, uint64_t count);

#endif
