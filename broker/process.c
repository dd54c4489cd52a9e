/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * --rlimit=, --oom-score-adjust=, --cpu-affinity=, --personality=: set on
 * the container init right before it becomes the payload, so they hold for
 * PID 1 and everything it starts. Raising a hard limit or lowering the OOM
 * score needs CAP_SYS_RESOURCE in the host's user namespace: where hutch
 * lacks it, the kernel's EPERM is reported, never ignored.
 */
#include "broker.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <unistd.h>

#include "../common/util.h"

int process_apply(const struct hutch_process *p, bool restricted, const char **what)
{
	*what = "rlimit";
	for (int i = 0; i < HUTCH_RLIMIT_MAX && i < RLIM_NLIMITS; i++) {
		if (!(p->rlimit_set & (1u << i)))
			continue;
		struct rlimit rl = {.rlim_cur = p->rlimits[i].cur, .rlim_max = p->rlimits[i].max};
		struct rlimit now;
		if (rl.rlim_cur > rl.rlim_max)
			return -EINVAL;
		if (restricted && (getrlimit(i, &now) < 0 || rl.rlim_max > now.rlim_max))
			return -EACCES;
		if (setrlimit(i, &rl) < 0)
			return -errno;
	}
	*what = "oom score";
	if (p->set & HUTCH_PROC_OOM_SCORE) {
		if (p->oom_score_adj < -1000 || p->oom_score_adj > 1000)
			return -ERANGE;
		if (restricted && p->oom_score_adj < 0)
			return -EACCES;
		char buf[16];
		int n = snprintf(buf, sizeof buf, "%d", p->oom_score_adj);
		_cleanup_close_ int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, buf, (size_t)n) != n)
			return -errno;
	}
	*what = "cpu affinity";
	if (p->set & HUTCH_PROC_AFFINITY) {
		cpu_set_t set;
		CPU_ZERO(&set);
		for (int c = 0; c < HUTCH_CPUS_MAX && c < CPU_SETSIZE; c++)
			if (p->cpus[c / 64] >> (c % 64) & 1)
				CPU_SET(c, &set);
		if (sched_setaffinity(0, sizeof set, &set) < 0)
			return -errno;
	}
	*what = "personality";
	if (p->set & HUTCH_PROC_PERSONALITY) {
		if (p->personality != PER_LINUX && p->personality != PER_LINUX32)
			return -EINVAL;
		if (personality(p->personality) < 0)
			return -errno;
	}
	return 0;
}
