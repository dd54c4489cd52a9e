/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * worker/resources.c: systemd's units and percentages, slice names, rlimits,
 * and the default device list. Everything except the tests is static: all of
 * tests/unit/ shares a binary.
 */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <unistd.h>

#include "../../worker/options.h"
#include "../../worker/settings.h"

static struct settings *rs;

static void rs_setup(void)
{
	rs = calloc(1, sizeof *rs);
}

static void rs_teardown(void)
{
	free(rs);
}

TestSuite(resources, .init = rs_setup, .fini = rs_teardown);

#define LIM(k) (rs->res.cg.value[HUTCH_LIMIT_##k])
#define HAS(k) (rs->res.cg.set & (1u << HUTCH_LIMIT_##k))

Test(resources, sizes)
{
	uint64_t v;
	cr_assert_eq(resources_parse_size("512", &v), 0);
	cr_expect_eq(v, 512);
	cr_assert_eq(resources_parse_size("64M", &v), 0);
	cr_expect_eq(v, 64ull << 20);
	cr_assert_eq(resources_parse_size("1.5G", &v), 0);
	cr_expect_eq(v, 3ull << 29);
	cr_assert_eq(resources_parse_size("2T", &v), 0);
	cr_expect_eq(v, 2ull << 40);
	static const char *const bad[] = {"", "M", "-1", "12Q", "1MB", "1 M", "99999999999999999999",
					  "16E", "0x10"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_expect_lt(resources_parse_size(bad[i], &v), 0, "'%s' accepted", bad[i]);
}

Test(resources, properties)
{
	cr_assert_eq(opt_property(rs, "MemoryMax=64M"), 0);
	cr_expect_eq(LIM(MEMORY_MAX), 64ull << 20);
	cr_assert_eq(opt_property(rs, "MemoryHigh=infinity"), 0);
	cr_expect_eq(LIM(MEMORY_HIGH), HUTCH_LIMIT_INFINITY);
	cr_assert_eq(opt_property(rs, "MemoryMax=50%"), 0);
	uint64_t phys = (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE);
	cr_expect_eq(LIM(MEMORY_MAX), phys / 2);
	cr_assert_eq(opt_property(rs, "CPUQuota=20%"), 0);
	cr_expect_eq(LIM(CPU_QUOTA), 200000); /* usec per second */
	cr_assert_eq(opt_property(rs, "CPUQuota=150.5%"), 0);
	cr_expect_eq(LIM(CPU_QUOTA), 1505000);
	cr_assert_eq(opt_property(rs, "TasksMax=100"), 0);
	cr_expect_eq(LIM(TASKS_MAX), 100);
	cr_assert_eq(opt_property(rs, "TasksMax=infinity"), 0);
	cr_expect_eq(LIM(TASKS_MAX), HUTCH_LIMIT_INFINITY);
	cr_assert_eq(opt_property(rs, "TasksMax=10%"), 0);
	cr_expect(LIM(TASKS_MAX) > 0 && LIM(TASKS_MAX) < 4194304 / 5);
	cr_assert_eq(opt_property(rs, "CPUWeight=10000"), 0);
	cr_assert_eq(opt_property(rs, "IOWeight=1"), 0);
	cr_assert_eq(opt_property(rs, "AllowedCPUs=0-2,5"), 0);
	cr_expect_eq(rs->res.cg.cpus[0], 0x27);
	/* systemd: the empty assignment resets */
	cr_assert_eq(opt_property(rs, "CPUQuota="), 0);
	cr_expect(!HAS(CPU_QUOTA));
	cr_expect_eq(LIM(CPU_QUOTA), 0);
}

Test(resources, bad_properties)
{
	static const char *const bad[] = {
		"MemoryMax", "Bogus=1", "MemoryMax=12Q", "MemoryMax=101%", "MemorySwapMax=10%",
		"TasksMax=0", "TasksMax=-1", "CPUQuota=0%", "CPUQuota=20", "CPUWeight=0",
		"CPUWeight=10001", "CPUWeight=infinity", "IOWeight=abc", "AllowedCPUs=1024",
		"AllowedCPUs=3-1", "AllowedCPUs=x", "DeviceAllow=/etc/passwd", "DeviceAllow=/dev/null x",
		"DeviceAllow=char-nonexistent-driver", "memorymax=1M",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_expect_lt(opt_property(rs, bad[i]), 0, "'%s' accepted", bad[i]);
}

Test(resources, devices_and_defaults)
{
	cr_assert_eq(opt_property(rs, "DeviceAllow=/dev/null r"), 0);
	cr_assert_eq(opt_property(rs, "DeviceAllow=char-pts rw"), 0);
	cr_assert_eq(resources_finish(&rs->res), 0);
	const struct hutch_cgroup *c = &rs->res.cg;
	cr_expect_str_eq(c->slice, "machine.slice");
	cr_expect(c->set & (1u << HUTCH_LIMIT_TASKS_MAX)); /* nspawn's TasksMax=16384 */
	cr_expect_eq(c->value[HUTCH_LIMIT_TASKS_MAX], 16384);
	cr_assert_eq(c->ndevices, 10);
	cr_expect_eq(c->devices[0].major, 1);
	cr_expect_eq(c->devices[0].minor, 3);
	cr_expect_eq(c->devices[8].access, HUTCH_DEV_READ);
	cr_expect_eq(c->devices[9].major, 136);
	cr_expect_eq(c->devices[9].minor, HUTCH_DEV_ANY);
	for (uint32_t i = 0; i < c->ndevices; i++)
		cr_expect_neq(c->devices[i].type, 'b', "a block device in the default list");
	/* an explicit TasksMax= (even empty) replaces the default */
	cr_assert_eq(opt_property(rs, "TasksMax="), 0);
	cr_assert_eq(resources_finish(&rs->res), 0);
	cr_expect(!(rs->res.cg.set & (1u << HUTCH_LIMIT_TASKS_MAX)));
}

Test(resources, slices)
{
	cr_assert_eq(opt_slice(rs, "tenant-a-build.slice"), 0);
	cr_expect_str_eq(rs->res.slice, "tenant.slice/tenant-a.slice/tenant-a-build.slice");
	cr_assert_eq(opt_slice(rs, "ci.slice"), 0);
	cr_expect_str_eq(rs->res.slice, "ci.slice");
	static const char *const bad[] = {"-.slice", "a--b.slice", "a-.slice", "-a.slice", "a",
					  "../x.slice", "a/b.slice", "a b.slice", ".slice",
					  /* found by fuzz_cli: the nested path outgrows the buffer */
					  "m-m-m-m-m-m-m-m-m-m-m-m-m-m-m-m-m-m-m-m-m.slice"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_expect_lt(opt_slice(rs, bad[i]), 0, "'%s' accepted", bad[i]);
	/* Found by fuzz_cli: many levels overran the path buffer while it was
	 * being built, before the final length check. */
	cr_expect_lt(opt_slice(rs, "a-b-c-d-e-f-g-h-i-j-k-l-m-n-o-p-q-r-s-t-u.slice"), 0);
	cr_expect_lt(opt_slice(rs, "qqqqqqqqqqqqqqqqqqqqqqqq-w-w-w-w-w-w-w-w.slice"), 0);
}

Test(resources, rlimits_and_process)
{
	cr_assert_eq(opt_rlimit(rs, "RLIMIT_NOFILE=1024:4096"), 0);
	cr_expect_eq(rs->res.proc.rlimits[RLIMIT_NOFILE].cur, 1024);
	cr_expect_eq(rs->res.proc.rlimits[RLIMIT_NOFILE].max, 4096);
	cr_expect_eq(rs->res.origin_rlimit[RLIMIT_NOFILE], ORIGIN_CMDLINE);
	cr_assert_eq(opt_rlimit(rs, "CORE=infinity"), 0);
	cr_expect_eq(rs->res.proc.rlimits[RLIMIT_CORE].cur, UINT64_MAX);
	cr_assert_eq(opt_limit_NPROC(rs, "100"), 0);
	cr_expect_eq(rs->res.proc.rlimits[RLIMIT_NPROC].max, 100);
	static const char *const bad[] = {"NOFILE", "RLIMIT_BOGUS=1", "NOFILE=10:5", "NOFILE=x",
					  "NOFILE=-1", "NOFILE=1:2:3", "=1"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_expect_lt(opt_rlimit(rs, bad[i]), 0, "'%s' accepted", bad[i]);
	cr_assert_eq(opt_oom_score_adjust(rs, "-1000"), 0);
	cr_expect_eq(rs->res.proc.oom_score_adj, -1000);
	cr_expect_lt(opt_oom_score_adjust(rs, "1001"), 0);
	cr_expect_lt(opt_oom_score_adjust(rs, "5x"), 0);
	cr_assert_eq(opt_personality(rs, "x86"), 0);
	cr_expect_eq(rs->res.proc.personality, PER_LINUX32);
	cr_expect_lt(opt_personality(rs, "arm64"), 0);
	cr_assert_eq(opt_cpu_affinity(rs, "1 3"), 0);
	cr_expect_eq(rs->res.proc.cpus[0], 0xa);
	cr_expect(resources_have_process(&rs->res));
}

Test(resources, oom_counter_text)
{
	const char v2[] = "low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\noom_group_kill 0\n";
	const char v1[] = "oom_kill_disable 0\nunder_oom 0\noom_kill 7\n";
	cr_expect_eq(resources_oom_kills(v2, sizeof v2 - 1), 2);
	cr_expect_eq(resources_oom_kills(v1, sizeof v1 - 1), 7);
	cr_expect_eq(resources_oom_kills("", 0), 0);
	cr_expect_eq(resources_oom_kills("xoom_kill 5\n", 12), 0);
}
