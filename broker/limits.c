/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Limits and device access for the container's cgroup. The worker sent typed
 * values (systemd's names and units already parsed); here the ranges are
 * checked again and each value goes to the v2 file when the container's v2
 * cgroup has it (pure v2), else to the v1 equivalent. Device access is
 * fenced twice on hybrid hosts: a BPF_PROG_TYPE_CGROUP_DEVICE program that
 * the broker generates from the typed rules (never instructions from the
 * worker), attached to the v2 cgroup, and the v1 devices controller.
 */
#include "broker.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../common/util.h"

#define IS(k) (l->set & (1u << HUTCH_LIMIT_##k))
#define VAL(k) (l->value[HUTCH_LIMIT_##k])
#define INF HUTCH_LIMIT_INFINITY
#define PERIOD_USEC 100000ull /* systemd's CPUQuotaPeriodSec= default */

/* One write of a formatted value to a cgroup file; -EOPNOTSUPP without the
 * hierarchy, -ENOENT without the controller file. */
static int put(int dfd, const char *file, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (dfd < 0)
		return -EOPNOTSUPP;
	_cleanup_close_ int fd = openat(dfd, file, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return write(fd, buf, (size_t)n) == n ? 0 : -errno;
}

static bool has(int dfd, const char *file)
{
	return dfd >= 0 && faccessat(dfd, file, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

/* "max"/"-1" for infinity, else the number. */
static int put_u64(int dfd, const char *file, uint64_t v, const char *inf)
{
	return v == INF ? put(dfd, file, "%s", inf) : put(dfd, file, "%llu", (unsigned long long)v);
}

int cgroup_check_limits(const struct hutch_cgroup *l, const char **what)
{
	const char *s = l->slice;
	*what = "Slice";
	/* Components "x.slice" of [A-Za-z0-9_.:-], one level per '/'. */
	for (size_t n = 0;; s += n + 1) {
		n = strcspn(s, "/");
		if (n < 7 || strncmp(s + n - 6, ".slice", 6) || s[0] == '.' || s[0] == '-' ||
		    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-") < n)
			return -EINVAL;
		if (!s[n])
			break;
	}
	*what = "TasksMax";
	if (IS(TASKS_MAX) && VAL(TASKS_MAX) == 0)
		return -ERANGE;
	*what = "CPUQuota";
	if (IS(CPU_QUOTA) && (VAL(CPU_QUOTA) == 0 ||
			      (VAL(CPU_QUOTA) != INF && VAL(CPU_QUOTA) > 1000000ull * HUTCH_CPUS_MAX)))
		return -ERANGE;
	*what = "CPUWeight";
	if (IS(CPU_WEIGHT) && (VAL(CPU_WEIGHT) < 1 || VAL(CPU_WEIGHT) > 10000))
		return -ERANGE;
	*what = "IOWeight";
	if (IS(IO_WEIGHT) && (VAL(IO_WEIGHT) < 1 || VAL(IO_WEIGHT) > 10000))
		return -ERANGE;
	*what = "MemorySwapMax";
	if (IS(MEMORY_SWAP_MAX) && cgroup_layout() != CG_UNIFIED && VAL(MEMORY_SWAP_MAX) != INF &&
	    (!IS(MEMORY_MAX) || VAL(MEMORY_MAX) == INF || VAL(MEMORY_MAX) + VAL(MEMORY_SWAP_MAX) < VAL(MEMORY_MAX)))
		return -EDOM; /* v1 limits memory+swap: needs a finite MemoryMax= */
	*what = "AllowedCPUs";
	bool any = false;
	for (size_t i = 0; i < ARRAY_SIZE(l->cpus); i++)
		any |= l->cpus[i] != 0;
	if (IS(ALLOWED_CPUS) && !any)
		return -ERANGE;
	*what = "DeviceAllow";
	for (uint32_t i = 0; i < l->ndevices; i++)
		if ((l->devices[i].major != HUTCH_DEV_ANY && l->devices[i].major >= 4096) ||
		    (l->devices[i].minor != HUTCH_DEV_ANY && l->devices[i].minor >= (1u << 20)))
			return -ERANGE;
	return 0;
}

unsigned cgroup_v1_needed(const struct hutch_cgroup *l)
{
	return 1u << CG_DEVICES |
	       (IS(MEMORY_MAX) || IS(MEMORY_HIGH) || IS(MEMORY_SWAP_MAX) ? 1u << CG_MEMORY : 0) |
	       (IS(TASKS_MAX) ? 1u << CG_PIDS : 0) | (IS(CPU_QUOTA) || IS(CPU_WEIGHT) ? 1u << CG_CPU : 0) |
	       (IS(IO_WEIGHT) ? 1u << CG_BLKIO : 0) | (IS(ALLOWED_CPUS) ? 1u << CG_CPUSET : 0);
}

/* "0-3,8" */
static void format_cpus(const uint64_t *mask, char *buf, size_t size)
{
	size_t n = 0;
	buf[0] = '\0';
	for (int c = 0; c < HUTCH_CPUS_MAX; c++) {
		if (!(mask[c / 64] >> (c % 64) & 1))
			continue;
		int e = c;
		while (e + 1 < HUTCH_CPUS_MAX && (mask[(e + 1) / 64] >> ((e + 1) % 64) & 1))
			e++;
		n += (size_t)snprintf(buf + n, size - n, e > c ? "%s%d-%d" : "%s%d", n ? "," : "", c, e);
		if (n >= size)
			return;
		c = e;
	}
}

static uint64_t clamp(uint64_t v, uint64_t lo, uint64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

int cgroup_apply_limits(const int fd[CG_HIER], const struct hutch_cgroup *l, const char **what)
{
	int v2 = fd[CG_V2], r = 0;
	if (IS(MEMORY_MAX) && !r) {
		*what = "MemoryMax";
		r = has(v2, "memory.max") ? put_u64(v2, "memory.max", VAL(MEMORY_MAX), "max")
					  : put_u64(fd[CG_MEMORY], "memory.limit_in_bytes", VAL(MEMORY_MAX), "-1");
	}
	if (IS(MEMORY_HIGH) && !r) { /* v1 has no throttle: the soft limit is closest */
		*what = "MemoryHigh";
		r = has(v2, "memory.high") ? put_u64(v2, "memory.high", VAL(MEMORY_HIGH), "max")
					   : put_u64(fd[CG_MEMORY], "memory.soft_limit_in_bytes", VAL(MEMORY_HIGH), "-1");
	}
	if (IS(MEMORY_SWAP_MAX) && !r) {
		*what = "MemorySwapMax";
		uint64_t v = VAL(MEMORY_SWAP_MAX);
		r = has(v2, "memory.swap.max")
			    ? put_u64(v2, "memory.swap.max", v, "max")
			    : put_u64(fd[CG_MEMORY], "memory.memsw.limit_in_bytes",
				      v == INF ? INF : v + VAL(MEMORY_MAX), "-1");
	}
	if (IS(TASKS_MAX) && !r) {
		*what = "TasksMax";
		r = put_u64(has(v2, "pids.max") ? v2 : fd[CG_PIDS], "pids.max", VAL(TASKS_MAX), "max");
	}
	if (IS(CPU_QUOTA) && !r) {
		*what = "CPUQuota";
		uint64_t q = VAL(CPU_QUOTA) == INF ? INF : clamp(VAL(CPU_QUOTA) * PERIOD_USEC / 1000000, 1000, UINT32_MAX);
		if (has(v2, "cpu.max"))
			r = q == INF ? put(v2, "cpu.max", "max %llu", PERIOD_USEC)
				     : put(v2, "cpu.max", "%llu %llu", (unsigned long long)q, PERIOD_USEC);
		else if (!(r = put(fd[CG_CPU], "cpu.cfs_period_us", "%llu", PERIOD_USEC)))
			r = put_u64(fd[CG_CPU], "cpu.cfs_quota_us", q, "-1");
	}
	if (IS(CPU_WEIGHT) && !r) { /* systemd's weight -> shares: 100 is 1024 */
		*what = "CPUWeight";
		r = has(v2, "cpu.weight") ? put_u64(v2, "cpu.weight", VAL(CPU_WEIGHT), "")
					  : put_u64(fd[CG_CPU], "cpu.shares",
						    clamp(VAL(CPU_WEIGHT) * 1024 / 100, 2, 262144), "");
	}
	if (IS(IO_WEIGHT) && !r) { /* systemd's weight -> blkio weight: 100 is 500 */
		*what = "IOWeight";
		uint64_t w = clamp(VAL(IO_WEIGHT) * 500 / 100, 10, 1000);
		int b = fd[CG_BLKIO];
		r = has(v2, "io.weight") ? put(v2, "io.weight", "default %llu", (unsigned long long)VAL(IO_WEIGHT))
		    : has(b, "blkio.bfq.weight") ? put_u64(b, "blkio.bfq.weight", w, "")
						 : put_u64(b, "blkio.weight", w, "");
	}
	if (IS(ALLOWED_CPUS) && !r) {
		*what = "AllowedCPUs";
		char list[4096];
		format_cpus(l->cpus, list, sizeof list);
		r = put(has(v2, "cpuset.cpus") ? v2 : fd[CG_CPUSET], "cpuset.cpus", "%s", list);
	}
	return r;
}

/* ---- devices ------------------------------------------------------------ */

/* Only the devices every container has (no DeviceAllow= additions): what a
 * policy-restricted caller gets. */
bool cgroup_devices_standard(const struct hutch_cgroup *l)
{
	static const struct hutch_device_rule std[] = {
		{'c', HUTCH_DEV_ACCESS_ALL, {0}, 1, 3}, {'c', HUTCH_DEV_ACCESS_ALL, {0}, 1, 5},
		{'c', HUTCH_DEV_ACCESS_ALL, {0}, 1, 7}, {'c', HUTCH_DEV_ACCESS_ALL, {0}, 1, 8},
		{'c', HUTCH_DEV_ACCESS_ALL, {0}, 1, 9}, {'c', HUTCH_DEV_ACCESS_ALL, {0}, 5, 0},
		{'c', HUTCH_DEV_READ | HUTCH_DEV_WRITE, {0}, 5, 2},
		{'c', HUTCH_DEV_READ | HUTCH_DEV_WRITE, {0}, 136, HUTCH_DEV_ANY},
	};
	for (uint32_t i = 0; i < l->ndevices; i++) {
		const struct hutch_device_rule *d = &l->devices[i];
		bool ok = false;
		for (size_t k = 0; k < ARRAY_SIZE(std) && !ok; k++)
			ok = d->type == std[k].type && d->major == std[k].major &&
			     d->minor == std[k].minor && !(d->access & ~std[k].access);
		if (!ok)
			return false;
	}
	return true;
}

#define INSN(c, d, s, o, i) \
	((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})

static uint32_t bpf_access(uint8_t a)
{
	return (a & HUTCH_DEV_READ ? BPF_DEVCG_ACC_READ : 0) |
	       (a & HUTCH_DEV_WRITE ? BPF_DEVCG_ACC_WRITE : 0) |
	       (a & HUTCH_DEV_MKNOD ? BPF_DEVCG_ACC_MKNOD : 0);
}

/*
 * r2 = device type, r3 = requested access, r4 = major, r5 = minor; one block
 * per rule that returns 1 (allow) when all its tests pass, 0 after the last.
 */
static size_t build_program(const struct hutch_cgroup *l, struct bpf_insn *p)
{
	size_t n = 0;
	p[n++] = INSN(BPF_LDX | BPF_W | BPF_MEM, 2, 1, 0, 0);
	p[n++] = INSN(BPF_ALU | BPF_AND | BPF_K, 2, 0, 0, 0xffff);
	p[n++] = INSN(BPF_LDX | BPF_W | BPF_MEM, 3, 1, 0, 0);
	p[n++] = INSN(BPF_ALU | BPF_RSH | BPF_K, 3, 0, 0, 16);
	p[n++] = INSN(BPF_LDX | BPF_W | BPF_MEM, 4, 1, 4, 0);
	p[n++] = INSN(BPF_LDX | BPF_W | BPF_MEM, 5, 1, 8, 0);
	for (uint32_t i = 0; i < l->ndevices; i++) {
		const struct hutch_device_rule *d = &l->devices[i];
		size_t start = n;
		p[n++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 2, 0, 0,
			      d->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
		p[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, 1, 3, 0, 0);
		p[n++] = INSN(BPF_ALU | BPF_AND | BPF_K, 1, 0, 0, (int32_t)~bpf_access(d->access));
		p[n++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 1, 0, 0, 0);
		if (d->major != HUTCH_DEV_ANY)
			p[n++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 4, 0, 0, (int32_t)d->major);
		if (d->minor != HUTCH_DEV_ANY)
			p[n++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 5, 0, 0, (int32_t)d->minor);
		p[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1);
		p[n++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
		for (size_t j = start; j < n; j++) /* failed test: on to the next rule */
			if (p[j].code == (BPF_JMP | BPF_JNE | BPF_K))
				p[j].off = (int16_t)(n - j - 1);
	}
	p[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0);
	p[n++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	return n;
}

static int devices_v1(int dfd, const struct hutch_cgroup *l)
{
	int r = put(dfd, "devices.deny", "a");
	/* devices.allow takes one rule per write(): one open for all of them. */
	_cleanup_close_ int fd = r ? -1 : openat(dfd, "devices.allow", O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (!r && fd < 0)
		r = -errno;
	for (uint32_t i = 0; i < l->ndevices && !r; i++) {
		const struct hutch_device_rule *d = &l->devices[i];
		char maj[12] = "*", min[12] = "*", rule[48];
		if (d->major != HUTCH_DEV_ANY)
			snprintf(maj, sizeof maj, "%u", d->major);
		if (d->minor != HUTCH_DEV_ANY)
			snprintf(min, sizeof min, "%u", d->minor);
		int n = snprintf(rule, sizeof rule, "%c %s:%s %s%s%s", d->type, maj, min,
				 d->access & HUTCH_DEV_READ ? "r" : "", d->access & HUTCH_DEV_WRITE ? "w" : "",
				 d->access & HUTCH_DEV_MKNOD ? "m" : "");
		if (write(fd, rule, (size_t)n) != n)
			r = -errno;
	}
	return r;
}

int cgroup_devices(const int fd[CG_HIER], const struct hutch_cgroup *l, const char **what)
{
	int r = 0;
	*what = "devices controller";
	if (fd[CG_DEVICES] >= 0 && (r = devices_v1(fd[CG_DEVICES], l)) < 0)
		return r;
	if (fd[CG_V2] < 0)
		return fd[CG_DEVICES] >= 0 ? 0 : -EOPNOTSUPP; /* no fence at all: refuse */
	*what = "device program";
	struct bpf_insn prog[DEVPROG_INSNS_MAX];
	size_t n = build_program(l, prog);
	_cleanup_close_ int dir = devprog_cache_dir(DEVPROG_DIR); /* < 0: load afresh */
	int pfd = devprog_get(dir, prog, n);
	if (pfd < 0)
		return pfd;
	r = bpf_prog_attach(pfd, fd[CG_V2], BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI);
	close(pfd);
	return r < 0 ? r : 0;
}
