/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * broker/limits.c against fake cgroupfs trees (plain directories with the
 * files a v2 or a v1 cgroup has), so the pure-v2 path is exercised on any
 * host, hybrid ones included; the range checks; and, as root, the generated
 * device program on a real cgroup v2 directory.
 * Everything except the tests is static: all of tests/unit/ shares a binary.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../broker/broker.h"

static char fake[64];
static int fds[CG_HIER];
static struct hutch_cgroup *lim;
static const char *what;

static void touch(int dfd, const char *file)
{
	int fd = openat(dfd, file, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0, "%s: %s", file, strerror(errno));
	close(fd);
}

static int mkdir_fd(const char *name, const char *const *files)
{
	char p[128];
	snprintf(p, sizeof p, "%s/%s", fake, name);
	cr_assert_eq(mkdir(p, 0755), 0);
	int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	for (size_t i = 0; files && files[i]; i++)
		touch(fd, files[i]);
	return fd;
}

static char *content(int dfd, const char *file)
{
	static char buf[256];
	int fd = openat(dfd, file, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "%s", file);
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void lim_setup(void)
{
	snprintf(fake, sizeof fake, "/tmp/unit-cgfs-%d", (int)getpid());
	cr_assert_eq(mkdir(fake, 0755), 0);
	for (int h = 0; h < CG_HIER; h++)
		fds[h] = -1;
	lim = calloc(1, sizeof *lim);
	strcpy(lim->slice, "machine.slice");
}

static void lim_teardown(void)
{
	for (int h = 0; h < CG_HIER; h++)
		if (fds[h] >= 0)
			close(fds[h]);
	free(lim);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", fake);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(cgroup_limits, .init = lim_setup, .fini = lim_teardown);

#define SET(k, v) (lim->set |= 1u << HUTCH_LIMIT_##k, lim->value[HUTCH_LIMIT_##k] = (v))

static void set_all(void)
{
	SET(MEMORY_MAX, 64ull << 20);
	SET(MEMORY_HIGH, HUTCH_LIMIT_INFINITY);
	SET(MEMORY_SWAP_MAX, 16ull << 20);
	SET(TASKS_MAX, 50);
	SET(CPU_QUOTA, 200000); /* CPUQuota=20% */
	SET(CPU_WEIGHT, 200);
	SET(IO_WEIGHT, 300);
	lim->set |= 1u << HUTCH_LIMIT_ALLOWED_CPUS;
	lim->cpus[0] = 0xbull;      /* 0,1,3 */
	lim->cpus[1] = 1ull << 4;   /* 68 */
}

Test(cgroup_limits, pure_v2_files)
{
	static const char *const v2[] = {"memory.max", "memory.high", "memory.swap.max",
					 "pids.max", "cpu.max", "cpu.weight", "io.weight",
					 "cpuset.cpus", NULL};
	fds[CG_V2] = mkdir_fd("v2", v2);
	set_all();
	cr_assert_eq(cgroup_apply_limits(fds, lim, &what), 0, "failed at %s", what);
	cr_expect_str_eq(content(fds[CG_V2], "memory.max"), "67108864");
	cr_expect_str_eq(content(fds[CG_V2], "memory.high"), "max");
	cr_expect_str_eq(content(fds[CG_V2], "memory.swap.max"), "16777216");
	cr_expect_str_eq(content(fds[CG_V2], "pids.max"), "50");
	cr_expect_str_eq(content(fds[CG_V2], "cpu.max"), "20000 100000");
	cr_expect_str_eq(content(fds[CG_V2], "cpu.weight"), "200");
	cr_expect_str_eq(content(fds[CG_V2], "io.weight"), "default 300");
	cr_expect_str_eq(content(fds[CG_V2], "cpuset.cpus"), "0-1,3,68");
}

Test(cgroup_limits, v1_equivalents)
{
	static const char *const mem[] = {"memory.limit_in_bytes", "memory.soft_limit_in_bytes",
					  "memory.memsw.limit_in_bytes", NULL};
	static const char *const pids[] = {"pids.max", NULL};
	static const char *const cpu[] = {"cpu.cfs_period_us", "cpu.cfs_quota_us", "cpu.shares", NULL};
	static const char *const blkio[] = {"blkio.weight", NULL};
	static const char *const cpuset[] = {"cpuset.cpus", NULL};
	fds[CG_V2] = mkdir_fd("unified", NULL); /* hybrid: v2 without controllers */
	fds[CG_MEMORY] = mkdir_fd("memory", mem);
	fds[CG_PIDS] = mkdir_fd("pids", pids);
	fds[CG_CPU] = mkdir_fd("cpu", cpu);
	fds[CG_BLKIO] = mkdir_fd("blkio", blkio);
	fds[CG_CPUSET] = mkdir_fd("cpuset", cpuset);
	set_all();
	SET(CPU_WEIGHT, 10000);
	cr_assert_eq(cgroup_apply_limits(fds, lim, &what), 0, "failed at %s", what);
	cr_expect_str_eq(content(fds[CG_MEMORY], "memory.limit_in_bytes"), "67108864");
	cr_expect_str_eq(content(fds[CG_MEMORY], "memory.soft_limit_in_bytes"), "-1");
	/* v1 limits memory+swap together */
	cr_expect_str_eq(content(fds[CG_MEMORY], "memory.memsw.limit_in_bytes"), "83886080");
	cr_expect_str_eq(content(fds[CG_PIDS], "pids.max"), "50");
	cr_expect_str_eq(content(fds[CG_CPU], "cpu.cfs_period_us"), "100000");
	cr_expect_str_eq(content(fds[CG_CPU], "cpu.cfs_quota_us"), "20000");
	cr_expect_str_eq(content(fds[CG_CPU], "cpu.shares"), "102400"); /* systemd: 100 -> 1024 */
	cr_expect_str_eq(content(fds[CG_BLKIO], "blkio.weight"), "1000"); /* 300 -> 1500, capped */
	cr_expect_str_eq(content(fds[CG_CPUSET], "cpuset.cpus"), "0-1,3,68");
}

Test(cgroup_limits, infinity_and_missing_controller)
{
	static const char *const v2[] = {"pids.max", "cpu.max", NULL};
	fds[CG_V2] = mkdir_fd("v2", v2);
	SET(TASKS_MAX, HUTCH_LIMIT_INFINITY);
	SET(CPU_QUOTA, HUTCH_LIMIT_INFINITY);
	cr_assert_eq(cgroup_apply_limits(fds, lim, &what), 0, "failed at %s", what);
	cr_expect_str_eq(content(fds[CG_V2], "pids.max"), "max");
	cr_expect_str_eq(content(fds[CG_V2], "cpu.max"), "max 100000");
	/* No memory controller anywhere: the setting is named, not skipped. */
	SET(MEMORY_MAX, 1 << 20);
	cr_assert_lt(cgroup_apply_limits(fds, lim, &what), 0);
	cr_expect_str_eq(what, "MemoryMax");
}

Test(cgroup_limits, tiny_quota_is_the_kernel_minimum)
{
	static const char *const v2[] = {"cpu.max", NULL};
	fds[CG_V2] = mkdir_fd("v2", v2);
	SET(CPU_QUOTA, 1); /* 1 usec per second: the kernel takes 1 ms per period at least */
	cr_assert_eq(cgroup_apply_limits(fds, lim, &what), 0);
	cr_expect_str_eq(content(fds[CG_V2], "cpu.max"), "1000 100000");
}

Test(cgroup_limits, ranges_rechecked)
{
	struct { int k; uint64_t v; const char *name; } bad[] = {
		{HUTCH_LIMIT_TASKS_MAX, 0, "TasksMax"},
		{HUTCH_LIMIT_CPU_QUOTA, 0, "CPUQuota"},
		{HUTCH_LIMIT_CPU_QUOTA, 1000000ull * HUTCH_CPUS_MAX + 1, "CPUQuota"},
		{HUTCH_LIMIT_CPU_WEIGHT, 0, "CPUWeight"},
		{HUTCH_LIMIT_CPU_WEIGHT, 10001, "CPUWeight"},
		{HUTCH_LIMIT_IO_WEIGHT, 0, "IOWeight"},
		{HUTCH_LIMIT_IO_WEIGHT, HUTCH_LIMIT_INFINITY, "IOWeight"},
	};
	cr_assert_eq(cgroup_check_limits(lim, &what), 0);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct hutch_cgroup c = *lim;
		c.set = 1u << bad[i].k;
		c.value[bad[i].k] = bad[i].v;
		cr_expect_lt(cgroup_check_limits(&c, &what), 0, "%s=%llu accepted", bad[i].name,
			     (unsigned long long)bad[i].v);
		cr_expect_str_eq(what, bad[i].name);
	}
	struct hutch_cgroup c = *lim;
	c.set = 1u << HUTCH_LIMIT_ALLOWED_CPUS; /* empty set */
	cr_expect_lt(cgroup_check_limits(&c, &what), 0);
	c = *lim;
	c.ndevices = 1;
	c.devices[0] = (struct hutch_device_rule){'c', HUTCH_DEV_READ, {0}, 4096, 1};
	cr_expect_lt(cgroup_check_limits(&c, &what), 0);
	c.devices[0].major = 1, c.devices[0].minor = 1u << 20;
	cr_expect_lt(cgroup_check_limits(&c, &what), 0);
}

Test(cgroup_limits, slice_paths)
{
	static const char *const good[] = {"machine.slice", "a.slice/a-b.slice", "x_y:z.slice"};
	static const char *const bad[] = {"machine", "../x.slice", "a.slice/../b.slice", ".slice",
					  "a.slice/", "/a.slice", "a b.slice", "a.slice//b.slice",
					  "-.slice", ".hidden.slice"};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		strcpy(lim->slice, good[i]);
		cr_expect_eq(cgroup_check_limits(lim, &what), 0, "%s refused", good[i]);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		strcpy(lim->slice, bad[i]);
		cr_expect_lt(cgroup_check_limits(lim, &what), 0, "%s accepted", bad[i]);
		cr_expect_str_eq(what, "Slice");
	}
}

/* ---- the device program, on a real cgroup v2 directory (root) ------------ */

static const char *v2_root(void)
{
	static const char *const c[] = {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"};
	for (size_t i = 0; i < 2; i++) {
		struct statfs sf;
		if (statfs(c[i], &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)
			return c[i];
	}
	return NULL;
}

/* In the child, moved into the cgroup: 0 if every expectation holds. */
static int device_probe(const char *dir)
{
	char node[128];
	if (open("/dev/null", O_RDWR | O_CLOEXEC) < 0)
		return 1; /* listed, rw */
	if (open("/dev/zero", O_RDONLY | O_CLOEXEC) >= 0 || errno != EPERM)
		return 2; /* not listed */
	if (open("/dev/full", O_RDONLY | O_CLOEXEC) < 0)
		return 3; /* listed read-only */
	if (open("/dev/full", O_WRONLY | O_CLOEXEC) >= 0 || errno != EPERM)
		return 4;
	snprintf(node, sizeof node, "%s/blk", dir);
	if (mknod(node, S_IFBLK | 0600, makedev(7, 0)) == 0 || errno != EPERM)
		return 5; /* block devices: never */
	snprintf(node, sizeof node, "%s/null", dir);
	if (mknod(node, S_IFCHR | 0600, makedev(1, 3)) == 0 || errno != EPERM)
		return 6; /* listed without 'm' */
	snprintf(node, sizeof node, "%s/tty0", dir);
	if (mknod(node, S_IFCHR | 0600, makedev(4, 0)) < 0)
		return 7; /* 4:* with m */
	return 0;
}

Test(cgroup_limits, device_program_enforces_the_list)
{
	if (geteuid() != 0)
		cr_skip_test("needs root: loads a BPF program and makes a cgroup");
	const char *root = v2_root();
	if (!root)
		cr_skip_test("no cgroup v2 hierarchy on this host");
	char cgdir[128];
	snprintf(cgdir, sizeof cgdir, "%s/hutch-unit-dev-%d", root, (int)getpid());
	cr_assert_eq(mkdir(cgdir, 0755), 0, "%s: %s", cgdir, strerror(errno));
	fds[CG_V2] = open(cgdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	lim->ndevices = 3;
	lim->devices[0] = (struct hutch_device_rule){'c', HUTCH_DEV_READ | HUTCH_DEV_WRITE, {0}, 1, 3};
	lim->devices[1] = (struct hutch_device_rule){'c', HUTCH_DEV_READ, {0}, 1, 7};
	lim->devices[2] = (struct hutch_device_rule){'c', HUTCH_DEV_ACCESS_ALL, {0}, 4, HUTCH_DEV_ANY};
	int r = cgroup_devices(fds, lim, &what);
	cr_assert_eq(r, 0, "%s: %s", what, strerror(-r));
	pid_t pid = fork();
	if (pid == 0) {
		char procs[160];
		snprintf(procs, sizeof procs, "%s/cgroup.procs", cgdir);
		int fd = open(procs, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "0", 1) != 1)
			_exit(100);
		_exit(device_probe(fake));
	}
	int ws;
	waitpid(pid, &ws, 0);
	rmdir(cgdir);
	cr_assert(WIFEXITED(ws), "probe died");
	cr_assert_eq(WEXITSTATUS(ws), 0, "device expectation %d failed", WEXITSTATUS(ws));
}
