/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Where the worker pool is (see worker_pool.h). The default,
 * 1879048192..1879049215 (0x70000000 + 1024), is clear of every range
 * handed out by default: user accounts (useradd: up to 60000), systemd's
 * special ids (60001..65535), /etc/subuid blocks (useradd: 100000 up to
 * 600100000), the container ranges nspawn and hutch pick (524288..0x6FFFFFFF),
 * and ids from 2^31 up (unsafe where uid_t is signed). systemd's table of
 * uid ranges lists 0x70000000..0x7FFDFFFF as unused.
 */
#include "worker_pool.h"

#ifndef HUTCH_WORKER_UID
#define HUTCH_WORKER_UID 1879048192
#endif
#ifndef HUTCH_WORKER_UIDS
#define HUTCH_WORKER_UIDS 1024
#endif

/* Never an id a picked container range, nspawn's --bind-user= or root has. */
_Static_assert(HUTCH_WORKER_UIDS >= 1 && HUTCH_WORKER_UIDS <= 65536, "pool size 1..65536");
_Static_assert(HUTCH_WORKER_UID >= 1, "the worker is never root");
_Static_assert((unsigned long long)HUTCH_WORKER_UID + HUTCH_WORKER_UIDS <= 524288ull ||
		       HUTCH_WORKER_UID >= 1878982656ull,
	       "worker uids overlap the picked container ranges 524288..1878982655");
_Static_assert((unsigned long long)HUTCH_WORKER_UID + HUTCH_WORKER_UIDS <= 60514ull ||
		       HUTCH_WORKER_UID > 60577ull,
	       "worker uids overlap nspawn's --bind-user= ids 60514..60577");
_Static_assert((unsigned long long)HUTCH_WORKER_UID + HUTCH_WORKER_UIDS <= 4294967295ull,
	       "worker uids above the largest valid id");

const uint32_t hutch_worker_uid_base = HUTCH_WORKER_UID;
const uint32_t hutch_worker_uid_count = HUTCH_WORKER_UIDS;

bool hutch_worker_pool_overlaps(uint64_t start, uint64_t count)
{
	return start < (uint64_t)hutch_worker_uid_base + hutch_worker_uid_count &&
	       hutch_worker_uid_base < start + count;
}
