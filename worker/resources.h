/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Resource settings: --property= (systemd's resource-control names and
 * units), -S/--slice=, --rlimit=, --oom-score-adjust=, --cpu-affinity=,
 * --personality=. Parsed here into the typed CGROUP and PROCESS requests;
 * the broker checks the ranges again and applies them.
 */
#ifndef HUTCH_WORKER_RESOURCES_H
#define HUTCH_WORKER_RESOURCES_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/proto.h"

/* struct settings embeds struct resources as `res`. */

#define RESOURCES_MAX_USER_DEVICES 48
/* nspawn's TasksMax= for machine scopes. */
#define RESOURCES_DEFAULT_TASKS_MAX 16384

struct resources {
	struct hutch_cgroup cg;     /* limits; slice and devices filled by _finish */
	struct hutch_process proc;
	char slice[HUTCH_SLICE_MAX]; /* --slice= as a path, "" = machine.slice */
	struct hutch_device_rule user_devices[RESOURCES_MAX_USER_DEVICES]; /* DeviceAllow= */
	uint32_t n_user_devices;
	bool tasks_max_given; /* else nspawn's default TasksMax= */
	bool keep_unit;       /* --keep-unit: in hutch's own cgroup, no slice */
	/* Origin slots (enum origin) for the option table. */
	uint8_t origin_property, origin_slice, origin_keep_unit, origin_oom, origin_affinity, origin_personality;
	uint8_t origin_rlimit[HUTCH_RLIMIT_MAX];
};

/* Option parse functions (rows in worker/options.c); each logs a one-line
 * error through option_invalid() and returns -EINVAL on a bad value. */
struct settings;
int opt_property(struct settings *s, const char *v);     /* --property=NAME=VALUE */
int opt_slice(struct settings *s, const char *v);        /* -S/--slice= */
int opt_keep_unit(struct settings *s, const char *v);    /* --keep-unit */
int opt_rlimit(struct settings *s, const char *v);       /* --rlimit=NAME=SOFT[:HARD] */
int opt_oom_score_adjust(struct settings *s, const char *v);
int opt_cpu_affinity(struct settings *s, const char *v);
int opt_personality(struct settings *s, const char *v);
/* [Exec] LimitXXX=SOFT[:HARD], one per resource limit */
#define RESOURCES_LIMIT_KEYS(X) X(CPU) X(FSIZE) X(DATA) X(STACK) X(CORE) X(RSS) X(NPROC) \
	X(NOFILE) X(MEMLOCK) X(AS) X(LOCKS) X(SIGPENDING) X(MSGQUEUE) X(NICE) X(RTPRIO) X(RTTIME)
#define RESOURCES_DECLARE_LIMIT(N) int opt_limit_##N(struct settings *s, const char *v);
RESOURCES_LIMIT_KEYS(RESOURCES_DECLARE_LIMIT)
/* Defaults (machine.slice, TasksMax=16384, the standard devices) and the
 * final device list. */
int resources_finish(struct resources *r);
/* The one-line error for a failed --keep-unit CREATE (reply `what`, error). */
void resources_keep_unit_error(const char *what, int r);
/* Is any PROCESS setting present (else the request is not sent)? */
bool resources_have_process(const struct resources *r);

/* Size in bytes with systemd's 1024-based suffixes (K, M, G, T, P, E). */
int resources_parse_size(const char *s, uint64_t *out);
/* "0-3,8" or "0 2 4" into a bitmask of HUTCH_CPUS_MAX bits. */
int resources_parse_cpus(const char *s, uint64_t mask[HUTCH_CPUS_MAX / 64]);
/* The OOM kills counted in a memory.events / memory.oom_control text. */
uint64_t resources_oom_kills(const char *text, size_t len);

#endif
