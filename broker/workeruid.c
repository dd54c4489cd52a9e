/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Each hutch invocation's worker (and its policy parser) runs as a uid/gid of
 * its own, from a small pool reserved at build time (common/worker_pool.c
 * says where). A worker taken over through a parser bug can then signal
 * nothing of another invocation: the kernel lets a uid signal only its own
 * processes.
 * A uid is held with a flock on /run/hutch/worker-uids/UID for the life of
 * the monitor (the kernel lets go however hutch ends), as the uid ranges are.
 */
#include "broker.h"

#include <errno.h>
#include <stdio.h>

#include "../common/worker_pool.h"

/* The lowest free uid, so the lock files of killed invocations (left
 * unlinked but unlocked) are few and reused first. */
int worker_uid_acquire(uint32_t *uid)
{
	for (uint32_t i = 0; i < hutch_worker_uid_count; i++) {
		char name[16];
		snprintf(name, sizeof name, "%u", hutch_worker_uid_base + i);
		int fd = lock_name("worker-uids", name, false);
		if (fd >= 0) {
			*uid = hutch_worker_uid_base + i;
			return fd;
		}
		if (fd != -EADDRINUSE)
			return fd;
	}
	return -EADDRINUSE;
}

void worker_uid_release(int fd, uint32_t uid)
{
	char name[16];
	snprintf(name, sizeof name, "%u", uid);
	unlock_name(fd, "worker-uids", name);
}
