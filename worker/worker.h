/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef HUTCH_WORKER_H
#define HUTCH_WORKER_H

#include "../common/grant.h"

/* Entry point of the unprivileged worker; returns its exit status. `grant`
 * is the caller's (a copy: the broker enforces its own); `uid` the uid/gid
 * it drops to when started by root (the invocation's own). */
int worker_main(int sock, uint32_t uid, int argc, char **argv, const struct hutch_grant *grant);

#endif
