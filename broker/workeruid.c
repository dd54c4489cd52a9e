/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Each hutch invocation's worker (and its policy parser) runs as a uid/gid of
 * its own, from a small pool reserved at build time: HUTCH_WORKER_UIDS ids
 * from HUTCH_WORKER_UID (default 523264..524287, just below the container
 * ranges). A worker taken over through a parser bug can then signal nothing
 * of another invocation: the kernel lets a uid signal only its own processes.
 * A uid is held with a flock on /run/hutch/worker-uids/UID for the life of
 * the monitor (the kernel lets go however hutch ends), as the uid ranges are.
 */
#include "broker.h"

#include <errno.h>
#include <stdio.h>

#ifndef HUTCH_WORKER_UID
#define HUTCH_WORKER_UID 523264
#endif
#ifndef HUTCH_WORKER_UIDS
#define HUTCH_WORKER_UIDS 1024
#endif

/* Never an id a container, nspawn's --bind-user= or root could have. */
_Static_assert(HUTCH_WORKER_UIDS >= 1 && HUTCH_WORKER_UIDS <= 65536, "pool size 1..65536");
_Static_assert(HUTCH_WORKER_UID >= 1, "the worker is never root");
_Static_assert((unsigned long long)HUTCH_WORKER_UID + HUTCH_WORKER_UIDS <= 524288ull ||
		       HUTCH_WORKER_UID > 1878982656ull,
	       "worker uids overlap the container ranges 524288..1878982656");
_Static_assert((unsigned long long)HUTCH_WORKER_UID + HUTCH_WORKER_UIDS <= 60514ull ||
		       HUTCH_WORKER_UID > 60577ull,
	       "worker uids overlap nspawn's --bind-user= ids 60514..60577");
_Static_assert((unsigned long long)HUTCH_WORKER_UID + HUTCH_WORKER_UIDS <= 4294967295ull,
	       "worker uids above the largest valid id");

const uint32_t hutch_worker_uid_base = HUTCH_WORKER_UID;
const uint32_t hutch_worker_uid_count = HUTCH_WORKER_UIDS;

/* The lowest free uid, so the lock files of killed invocations (left
 * unlinked but unlocked) are few and reused first. */
int worker_uid_acquire(uint32_t *uid)
{
	for (uint32_t i = 0; i < HUTCH_WORKER_UIDS; i++) {
		char name[16];
		snprintf(name, sizeof name, "%u", HUTCH_WORKER_UID + i);
		int fd = lock_name("worker-uids", name, false);
		if (fd >= 0) {
			*uid = HUTCH_WORKER_UID + i;
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
