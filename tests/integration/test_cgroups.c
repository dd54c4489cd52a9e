/* hutch integration tests: the container's cgroup and the limits on it,
 * proven by what the kernel does (fork refused, OOM kill, CPU time, device
 * access refused), and the cgroup's life (removed on every exit path, a
 * stale one swept by the next start, machine names unique).
 *
 * Paths are computed for the host's layout: pure v2 (/sys/fs/cgroup),
 * hybrid (v1 controllers under /sys/fs/cgroup/<name>, v2 in .../unified) or
 * legacy (the v1 controllers only: make check-cgroup1).
 */
#include "../lib/harness.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

static bool pure_v2(void)
{
	struct statfs sf;
	return statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
}

/* The container's directory for controller `ctrl` ("memory", ..., or "" for
 * the v2 hierarchy), plus `file` if not NULL. Static buffer per call. */
static char *cg_path(const char *ctrl, const char *machine, const char *file)
{
	static char buf[4][512];
	static int k;
	char *b = buf[k++ % 4];
	const char *base = pure_v2() ? "/sys/fs/cgroup" : !*ctrl ? "/sys/fs/cgroup/unified" : NULL;
	char v1[64];
	if (!base) {
		snprintf(v1, sizeof v1, "/sys/fs/cgroup/%s", ctrl);
		base = v1;
	}
	snprintf(b, 512, "%s/machine.slice/hutch-%s.scope%s%s", base, machine, file ? "/" : "",
		 file ? file : "");
	return b;
}

static bool any_cgroup_left(const char *machine)
{
	static const char *const ctrls[] = {"", "memory", "pids", "cpu", "blkio", "devices", "cpuset"};
	for (size_t i = 0; i < sizeof ctrls / sizeof ctrls[0]; i++) {
		struct stat st;
		if (stat(cg_path(ctrls[i], machine, NULL), &st) == 0)
			return true;
	}
	return false;
}

static char *trimmed(const char *path)
{
	char *s = read_file_str(path);
	cr_assert(s, "cannot read %s", path);
	s[strcspn(s, "\n")] = '\0';
	return s;
}

/* hutch -P -D rootfs -M name OPTS... /bin/sh -c script, started. */
static void start(struct hutch_proc *p, const char *name, const char *const *opts,
		  const char *script)
{
	const char *argv[32] = {"-P", "-D", test_rootfs(), "-M", name};
	size_t n = 5;
	for (; opts && *opts; opts++)
		argv[n++] = *opts;
	argv[n++] = "/bin/sh";
	argv[n++] = "-c";
	argv[n++] = script;
	argv[n] = NULL;
	cr_assert_eq(hutch_start(p, NULL, argv), 0);
}

static void expect_ready(struct hutch_proc *p, struct run_result *r)
{
	if (hutch_expect(p, true, "READY", 30))
		return;
	hutch_finish(p, r, 5);
	cr_assert_fail("payload never printed READY (status %d)\n--- stdout:\n%s\n--- stderr:\n%s",
		       r->status, r->out, r->err);
}

Test(cgroups, limits_reach_the_kernel, .timeout = 240)
{
	need_rootfs();
	const char *name = machine_name("cglim");
	struct hutch_proc p;
	struct run_result r;
	start(&p, name,
	      (const char *const[]){"--property=MemoryMax=96M", "--property=TasksMax=77",
				    "--property=CPUQuota=30%", "--property=CPUWeight=50",
				    "--property=MemoryHigh=80M", NULL},
	      "echo READY; exec sleep 60");
	expect_ready(&p, &r);
	bool v2 = pure_v2();
	char *mem = trimmed(cg_path("memory", name, v2 ? "memory.max" : "memory.limit_in_bytes"));
	char *high = trimmed(cg_path("memory", name, v2 ? "memory.high" : "memory.soft_limit_in_bytes"));
	char *pids = trimmed(cg_path("pids", name, "pids.max"));
	char *quota = trimmed(cg_path("cpu", name, v2 ? "cpu.max" : "cpu.cfs_quota_us"));
	char *weight = trimmed(cg_path("cpu", name, v2 ? "cpu.weight" : "cpu.shares"));
	kill(p.pid, SIGTERM);
	hutch_finish(&p, &r, 20);
	cr_expect_str_eq(mem, "100663296");
	cr_expect_str_eq(high, "83886080");
	cr_expect_str_eq(pids, "77");
	cr_expect_str_eq(quota, v2 ? "30000 100000" : "30000");
	cr_expect_str_eq(weight, v2 ? "50" : "512");
	ASSERT_STATUS(r, 137);
	cr_expect(!any_cgroup_left(name), "cgroup of %s left after SIGTERM", name);
	free(mem), free(high), free(pids), free(quota), free(weight);
	run_result_free(&r);
}

Test(cgroups, default_tasks_max_and_device_list, .timeout = 240)
{
	need_rootfs();
	const char *name = machine_name("cgdef");
	struct hutch_proc p;
	struct run_result r;
	start(&p, name, NULL, "echo READY; exec sleep 60");
	expect_ready(&p, &r);
	char *pids = trimmed(cg_path("pids", name, "pids.max"));
	char *devs = pure_v2() ? NULL : read_file_str(cg_path("devices", name, "devices.list"));
	kill(p.pid, SIGTERM);
	hutch_finish(&p, &r, 20);
	cr_expect_str_eq(pids, "16384"); /* nspawn's TasksMax= */
	if (devs) { /* the v1 controller next to the device program */
		cr_expect(strstr(devs, "c 1:3 rwm") && strstr(devs, "c 136:* rw"), "%s", devs);
		cr_expect(!strstr(devs, "a *:*") && !strstr(devs, "b "), "%s", devs);
	}
	free(pids), free(devs);
	run_result_free(&r);
}

Test(cgroups, fork_bomb_stops_at_tasks_max, .timeout = 240)
{
	need_rootfs();
	const char *name = machine_name("cgbomb");
	struct hutch_proc p;
	struct run_result r;
	/* Every process forks two more and stays, so the tree grows as far as
	 * the limit lets it; failed forks are the kernel saying no. PID 1 forks
	 * once, first, then execs (no fork), so the container outlives the bomb. */
	start(&p, name, (const char *const[]){"--property=TasksMax=40", NULL},
	      "echo READY; b() { b & b & sleep 30; }; b 2>/dev/null & exec sleep 60");
	expect_ready(&p, &r);
	char *cur = NULL, *events = NULL;
	for (int i = 0; i < 300; i++) { /* until the limit refuses forks */
		free(events);
		events = read_file_str(cg_path("pids", name, "pids.events"));
		if (events && strstr(events, "max ") && !strstr(events, "max 0\n"))
			break;
		usleep(50000);
	}
	int highest = 0; /* sampled while the bomb pushes against the limit */
	for (int i = 0; i < 10; i++, usleep(50000)) {
		free(cur);
		cur = trimmed(cg_path("pids", name, "pids.current"));
		if (atoi(cur) > highest)
			highest = atoi(cur);
	}
	/* The host still forks and runs programs while the bomb goes on. */
	int host = system("/bin/true");
	kill(p.pid, SIGTERM);
	hutch_finish(&p, &r, 30);
	cr_log_info("pids.current at most %d, events: %s", highest, events ? events : "?");
	cr_expect_leq(highest, 40, "%d tasks, above TasksMax=40", highest);
	cr_expect_geq(highest, 20, "the bomb did not grow (%d tasks): not a test", highest);
	cr_expect(events && strstr(events, "max ") && !strstr(events, "max 0\n"),
		  "no fork refused by the pids controller: %s", events ? events : "?");
	cr_expect_eq(host, 0, "the host could not run /bin/true during the bomb");
	ASSERT_STATUS(r, 137);
	cr_expect(!any_cgroup_left(name));
	free(cur), free(events);
	run_result_free(&r);
}

Test(cgroups, memory_hog_is_oom_killed_and_reported, .timeout = 240)
{
	need_rootfs();
	const char *name = machine_name("cgoom");
	struct run_result r;
	/* dd's 256 MiB buffer, filled from /dev/zero, against a 32 MiB limit
	 * (no swap either, so it cannot just page out). */
	run_hutch(&r, 45, NULL,
		  ARGV("-P", "-D", test_rootfs(), "-M", name, "--property=MemoryMax=32M",
		       "--property=MemorySwapMax=0", "/bin/dd", "if=/dev/zero", "of=/dev/null",
		       "bs=256M", "count=1"));
	ASSERT_STATUS(r, 137);
	cr_expect(strstr(r.err, "killed by the OOM killer"), "OOM kill not reported:\n%s", r.err);
	cr_expect(!any_cgroup_left(name));
	run_result_free(&r);
}

/* The legacy layout: no cgroup2 anywhere (make check-cgroup1). */
static bool legacy(void)
{
	struct statfs sf;
	return !pure_v2() &&
	       !(statfs("/sys/fs/cgroup/unified", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC);
}

/* CPU time the container used while one busy loop ran for `secs` seconds,
 * as a fraction of that wall time: its own cpu.stat, seen inside; on the
 * legacy layout, which mounts no cgroup inside, the loop's utime + stime
 * (clock ticks of 10 ms) from /proc. */
static double busy_fraction(const char *opt, int secs)
{
	char script[320];
	snprintf(script, sizeof script,
		 legacy() ? "while :; do :; done & p=$!; sleep %d; "
			    "set -- $(cut -d' ' -f14,15 /proc/$p/stat); kill $p; "
			    "echo usage_usec $((($1 + $2) * 10000))"
			  : "while :; do :; done & p=$!; sleep %d; kill $p; "
			    "grep usage_usec /sys/fs/cgroup/cpu.stat",
		 secs);
	struct run_result r;
	const char *argv[] = {"-q", "-P", "-D", test_rootfs(), "-M", machine_name("cgcpu"),
			      opt ? opt : "--property=CPUWeight=100", "/bin/sh", "-c", script, NULL};
	run_hutch(&r, 60, NULL, argv);
	ASSERT_STATUS(r, 0);
	const char *u = strstr(r.out, "usage_usec ");
	cr_assert(u, "no usage_usec in: %s", r.out);
	double f = strtod(u + 11, NULL) / (secs * 1e6);
	run_result_free(&r);
	return f;
}

Test(cgroups, cpu_quota_caps_a_busy_loop, .timeout = 240)
{
	need_rootfs();
	double free_run = busy_fraction(NULL, 2);
	double capped = busy_fraction("--property=CPUQuota=20%", 2);
	cr_log_info("busy loop: %.2f of a CPU without a quota, %.2f with CPUQuota=20%%", free_run,
		    capped);
	if (free_run < 0.4)
		cr_skip_test("host too busy to compare (the unlimited loop got %.2f of a CPU)", free_run);
	cr_expect_leq(capped, 0.35, "CPUQuota=20%% let the loop use %.2f of a CPU", capped);
	cr_expect_lt(capped, free_run * 0.6);
}

Test(cgroups, block_device_mknod_and_open_refused, .timeout = 240)
{
	need_rootfs();
	/* No user namespace and CAP_MKNOD (nspawn's default set): only the
	 * device fence stands between the payload and the host's disks. */
	struct run_result r;
	run_hutch(&r, 45, NULL,
		  ARGV("-q", "-P", "--private-users=no", "-D", test_rootfs(), "-M",
		       machine_name("cgdev"), "/bin/sh", "-c",
		       "grep CapBnd /proc/self/status; echo x > /dev/null && echo NULL-OK; "
		       "/usr/local/escape/mknod_blockdev"));
	ASSERT_STATUS(r, 0);
	const char *bnd = strstr(r.out, "CapBnd:");
	cr_assert(bnd, "%s", r.out);
	cr_expect(strtoull(bnd + 7, NULL, 16) >> 27 & 1, "CAP_MKNOD not in the bounding set: %s", r.out);
	cr_expect(strstr(r.out, "NULL-OK"), "/dev/null refused: %s", r.out);
	cr_expect(strstr(r.out, "ESCAPE-RESULT mknod_blockdev BLOCKED"), "%s", r.out);
	cr_expect(strstr(r.out, "mknod=EPERM"), "mknod not refused by the device fence: %s", r.out);
	run_result_free(&r);
}

/* The container's root may make cgroups below its own, but no deeper than
 * 32 levels (found in an audit: a tree deeper than the removal goes stayed
 * behind, looked busy to the sweep and blocked the name); all of it goes
 * with the container. */
Test(cgroups, delegated_tree_bounded_and_removed, .timeout = 120)
{
	need_rootfs();
	if (legacy())
		cr_skip_test("legacy layout: no cgroup2 to delegate");
	const char *name = machine_name("cgdeep");
	struct run_result r;
	run_hutch(&r, 60, NULL,
		  ARGV("-q", "-P", "-D", test_rootfs(), "-M", name, "/bin/sh", "-c",
		       "cd /sys/fs/cgroup; i=0; "
		       "while [ $i -lt 70 ] && mkdir d 2>/dev/null; do cd d; i=$((i+1)); done; "
		       "echo depth=$i"));
	ASSERT_STATUS(r, 0);
	cr_expect(strstr(r.out, "depth=32\n"), "%s", r.out);
	cr_expect(!any_cgroup_left(name), "the container's cgroup tree was left behind");
	run_result_free(&r);
}

/* Legacy layout: the v1 devices controller is the only device fence (no
 * cgroup2 for the device program). Without it hutch refuses in one line and
 * leaves no cgroup behind. The hierarchy is unmounted in a private mount
 * namespace that hutch inherits; the host keeps it. */
Test(cgroups, legacy_without_devices_hierarchy_refused, .timeout = 240)
{
	need_rootfs();
	if (!legacy())
		cr_skip_test("not the legacy layout: the device program fences devices (make check-cgroup1 runs this)");
	cr_assert_eq(unshare(CLONE_NEWNS), 0, "%s", strerror(errno));
	cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	cr_assert_eq(umount2("/sys/fs/cgroup/devices", MNT_DETACH), 0, "%s", strerror(errno));
	const char *name = machine_name("cgnodev");
	struct run_result r;
	run_hutch(&r, 30, NULL,
		  ARGV("-q", "-P", "-D", test_rootfs(), "-M", name, "--property=TasksMax=50",
		       "/bin/sh", "-c", "echo RAN"));
	cr_expect_eq(r.status, 1, "status %d: %s", r.status, r.err);
	cr_expect(!strstr(r.out, "RAN"), "the payload ran: %s", r.out);
	cr_expect(strstr(r.err, "no device fence on this host") &&
			  strstr(r.err, "/sys/fs/cgroup/devices"), "%s", r.err);
	cr_expect_eq(count_substr(r.err, "\n"), 1, "not one line: %s", r.err);
	cr_expect(!any_cgroup_left(name), "cgroup of %s left after the refusal", name);
	run_result_free(&r);
}

/* CVE-2022-0492 on the v1 layouts. Without a user namespace the payload's
 * root holds the host's CAP_SYS_ADMIN and may mount any v1 hierarchy; the
 * mount shows its cgroup namespace root, which is where the container init
 * sat in that hierarchy. hutch runs here at the root of every v1 hierarchy
 * (the worst case, and where a legacy host's services sit in the ones no
 * unit uses): none of them may show a root (release_agent) inside. Only
 * looked at, never written. */
Test(cgroups, no_userns_payload_mounts_no_v1_root, .timeout = 240)
{
	need_rootfs();
	if (pure_v2())
		cr_skip_test("pure cgroup v2: no v1 hierarchy to mount");
	static char dirs[16][300];
	static const char *list[17];
	size_t n = 0;
	DIR *d = opendir("/sys/fs/cgroup");
	cr_assert(d, "%s", strerror(errno));
	struct dirent *de;
	while ((de = readdir(d)) && n < 16) {
		struct statfs sf;
		snprintf(dirs[n], sizeof dirs[n], "/sys/fs/cgroup/%s", de->d_name);
		if (de->d_type == DT_DIR && de->d_name[0] != '.' && statfs(dirs[n], &sf) == 0 &&
		    sf.f_type == CGROUP_SUPER_MAGIC)
			list[n] = dirs[n], n++;
	}
	closedir(d);
	list[n] = NULL;
	cr_assert_geq(n, 2, "only %zu v1 hierarchies: not a test", n);
	harness_set_cgroups(list);
	struct run_result r;
	run_hutch(&r, 45, NULL,
		  ARGV("-q", "-P", "--private-users=no", "-D", test_rootfs(), "-M", machine_name("cgra"),
		       "/bin/sh", "-c",
		       V1_ROOT_PROBE_SH));
	harness_set_cgroups(NULL);
	ASSERT_STATUS(r, 0);
	cr_expect(strstr(r.out, "MOUNTED-"), "no hierarchy mounted inside: not a test\n%s", r.out);
	cr_expect(!strstr(r.out, "REACHED-"), "a v1 hierarchy's root is reachable inside:\n%s", r.out);
	run_result_free(&r);
}

/* Legacy layout: systemd would find no cgroup of its own inside and exit
 * ("Failed to create /init.scope control group"); hutch says so first, in
 * one line, before anything is made. */
Test(cgroups, legacy_boot_refused, .timeout = 60)
{
	need_rootfs();
	if (!legacy())
		cr_skip_test("not the legacy layout: -b works here (make check-cgroup1 runs this)");
	const char *name = machine_name("cglegboot");
	struct run_result r;
	run_hutch(&r, 30, NULL, ARGV("-q", "-b", "-D", test_rootfs(), "-M", name));
	cr_expect_eq(r.status, 1, "status %d: %s", r.status, r.err);
	cr_expect(strstr(r.err, "-b/--boot needs cgroup2") && strstr(r.err, "only cgroup v1"), "%s",
		  r.err);
	cr_expect_eq(count_substr(r.err, "\n"), 1, "not one line: %s", r.err);
	cr_expect(!any_cgroup_left(name), "cgroup of %s left after the refusal", name);
	run_result_free(&r);
}

Test(cgroups, no_cgroup_after_payload_sigkill, .timeout = 240)
{
	need_rootfs();
	const char *name = machine_name("cgpk");
	struct hutch_proc p;
	struct run_result r;
	start(&p, name, NULL, "echo READY; exec sleep 60");
	expect_ready(&p, &r);
	/* The payload (container PID 1) is a child of hutch with the host's
	 * view of "sleep" as its name. */
	bool killed = false;
	for (int tries = 0; tries < 100 && !killed; tries++, usleep(50000)) {
		pid_t kids[64];
		size_t n = find_children(p.pid, kids, 64);
		for (size_t i = 0; i < n; i++) {
			char path[64];
			snprintf(path, sizeof path, "/proc/%d/comm", (int)kids[i]);
			char *comm = read_file_str(path);
			if (comm && !strncmp(comm, "sleep", 5)) /* after the shell's exec */
				killed = kill(kids[i], SIGKILL) == 0;
			free(comm);
		}
	}
	hutch_finish(&p, &r, 20);
	cr_assert(killed, "payload not found among hutch's children");
	ASSERT_STATUS(r, 137);
	cr_expect(!any_cgroup_left(name), "cgroup of %s left after the payload was killed", name);
	run_result_free(&r);
}

/* A container of `name` whose hutch is SIGKILLed: its scope stays behind. */
static void leave_stale_scope(const char *name)
{
	struct hutch_proc p;
	struct run_result r;
	start(&p, name, NULL, "echo READY; exec sleep 60");
	expect_ready(&p, &r);
	kill(p.pid, SIGKILL); /* no clean-up by hutch: the container dies with it */
	hutch_finish(&p, &r, 20);
	cr_assert(any_cgroup_left(name), "nothing stale left behind: not a test");
	run_result_free(&r);
}

Test(cgroups, stale_cgroup_swept_after_hutch_sigkill, .timeout = 240)
{
	need_rootfs();
	const char *name = machine_name("cgstale");
	leave_stale_scope(name);
	/* Wait until its last process is gone (PDEATHSIG, then the PID namespace). */
	for (int i = 0; i < 100; i++) {
		char *procs = read_file_str(cg_path("", name, "cgroup.procs"));
		bool empty = !procs || !*procs;
		free(procs);
		if (empty)
			break;
		usleep(50000);
	}
	/* Another machine's start sweeps it... */
	struct run_result r2;
	run_cmd(&r2, "cgsweep", "true");
	ASSERT_STATUS(r2, 0);
	cr_expect(!any_cgroup_left(name), "stale cgroup of %s not swept by the next start", name);
	char lock[128];
	snprintf(lock, sizeof lock, "/run/hutch/machines/%s", name);
	cr_expect_neq(access(lock, F_OK), 0, "its name lock file is left");
	/* ...and the name is free again. */
	struct run_result r3;
	run_hutch(&r3, 30, NULL, ARGV("-q", "-P", "-D", test_rootfs(), "-M", name, "/bin/true"));
	ASSERT_STATUS(r3, 0);
	run_result_free(&r2);
	run_result_free(&r3);
}

/* The start path removes a dead container's scope of its own name (other
 * names are swept once the container runs): the same name starts again at
 * once, with no other start in between. */
Test(cgroups, stale_cgroup_of_own_name_replaced, .timeout = 240)
{
	need_rootfs();
	const char *name = machine_name("cgown");
	leave_stale_scope(name);
	struct run_result r;
	run_hutch(&r, 30, NULL, ARGV("-q", "-P", "-D", test_rootfs(), "-M", name, "/bin/true"));
	ASSERT_STATUS(r, 0);
	cr_expect(!any_cgroup_left(name), "cgroup of %s left after the second run", name);
	run_result_free(&r);
}

Test(cgroups, machine_name_unique_while_running, .timeout = 240)
{
	need_rootfs();
	const char *name = machine_name("cguniq");
	struct hutch_proc p;
	struct run_result r, r2;
	start(&p, name, NULL, "echo READY; exec sleep 60");
	expect_ready(&p, &r);
	run_hutch(&r2, 30, NULL, ARGV("-q", "-P", "-D", test_rootfs(), "-M", name, "/bin/true"));
	bool alive = kill(p.pid, 0) == 0;
	kill(p.pid, SIGTERM);
	hutch_finish(&p, &r, 20);
	ASSERT_STATUS(r2, 1);
	cr_expect(strstr(r2.err, "already running"), "%s", r2.err);
	cr_expect(alive, "the running container was disturbed");
	ASSERT_STATUS(r, 137);
	run_result_free(&r);
	run_result_free(&r2);
}

Test(cgroups, rlimits_oom_score_affinity_personality, .timeout = 240)
{
	need_rootfs();
	struct run_result r;
	run_hutch(&r, 30, NULL,
		  ARGV("-q", "-P", "-D", test_rootfs(), "-M", machine_name("cgproc"),
		       "--rlimit=RLIMIT_NOFILE=100:200", "--rlimit=NPROC=1000:2000",
		       "--oom-score-adjust=500", "--cpu-affinity=0", "--personality=x86", "/bin/sh",
		       "-c",
		       "echo n=$(ulimit -n):$(ulimit -Hn) u=$(ulimit -u) oom=$(cat /proc/self/oom_score_adj) "
		       "$(grep Cpus_allowed_list /proc/self/status | tr -d '\\t') m=$(uname -m)"));
	ASSERT_STATUS(r, 0);
	cr_expect(strstr(r.out, "n=100:200 u=1000 oom=500 Cpus_allowed_list:0 m=i686"), "%s", r.out);
	run_result_free(&r);
}

Test(cgroups, what_needs_cap_sys_resource_fails_clearly, .timeout = 240)
{
	need_rootfs();
	/* This host's root may lack CAP_SYS_RESOURCE: then lowering the OOM
	 * score is refused by the kernel, and hutch says so in one line. */
	struct run_result r;
	run_hutch(&r, 30, NULL,
		  ARGV("-q", "-P", "-D", test_rootfs(), "-M", machine_name("cgoomadj"),
		       "--oom-score-adjust=-500", "/bin/sh", "-c", "cat /proc/self/oom_score_adj"));
	if (r.status == 0) {
		cr_expect(strstr(r.out, "-500"), "%s", r.out);
		cr_log_info("hutch holds CAP_SYS_RESOURCE here: -500 was applied");
	} else {
		ASSERT_STATUS(r, 1);
		cr_expect(strstr(r.err, "hutch: cannot set the payload's oom score") &&
			  strstr(r.err, "CAP_SYS_RESOURCE"), "%s", r.err);
	}
	run_result_free(&r);
}

/* ---- the device program cache (/sys/fs/bpf/hutch) ------------------------
 * Each test works in a private mount namespace with its own /sys/fs/bpf,
 * so the host's cache is never touched. */

static void private_bpffs(const char *fstype)
{
	struct statfs sf;
	if (!(statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC) &&
	    !(statfs("/sys/fs/cgroup/unified", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC))
		cr_skip_test("no cgroup v2 hierarchy: no device program");
	cr_assert_eq(unshare(CLONE_NEWNS), 0, "%s", strerror(errno));
	cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	cr_assert_eq(mount(fstype, "/sys/fs/bpf", fstype, MS_NOSUID | MS_NODEV, "mode=0700"), 0,
		     "%s on /sys/fs/bpf: %s", fstype, strerror(errno));
}

/* Ids of the device programs on the running container's v2 cgroup. */
static uint32_t attached_ids(const char *name, uint32_t ids[8])
{
	int fd = open(cg_path("", name, NULL), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "%s: %s", cg_path("", name, NULL), strerror(errno));
	uint32_t n = 8, flags = 0;
	cr_assert_eq(bpf_prog_query(fd, BPF_CGROUP_DEVICE, 0, &flags, ids, &n), 0, "%s", strerror(errno));
	close(fd);
	return n;
}

static uint32_t id_of(int fd)
{
	struct bpf_prog_info info = {0};
	uint32_t len = sizeof info;
	cr_assert_eq(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	return info.id;
}

/* The one pin in /sys/fs/bpf/hutch (path into buf), or NULL. */
static const char *the_pin(char *buf, size_t size)
{
	DIR *d = opendir("/sys/fs/bpf/hutch");
	struct dirent *de;
	const char *found = NULL;
	while (d && (de = readdir(d)))
		if (!strncmp(de->d_name, "dev-", 4)) {
			cr_assert_null(found, "more than one device program pinned");
			snprintf(buf, size, "/sys/fs/bpf/hutch/%s", de->d_name);
			found = buf;
		}
	if (d)
		closedir(d);
	return found;
}

Test(cgroups, device_program_loaded_without_bpffs, .timeout = 240)
{
	need_rootfs();
	private_bpffs("tmpfs"); /* not bpffs: no cache, and hutch must not mount over it */
	const char *name = machine_name("cgnobpf");
	struct hutch_proc p;
	struct run_result r;
	start(&p, name, NULL, "echo READY; exec sleep 60");
	expect_ready(&p, &r);
	uint32_t ids[8];
	uint32_t n = attached_ids(name, ids);
	kill(p.pid, SIGTERM);
	hutch_finish(&p, &r, 20);
	cr_expect_geq(n, 1, "no device program attached without bpffs");
	struct statfs sf;
	cr_expect(statfs("/sys/fs/bpf", &sf) == 0 && sf.f_type == TMPFS_MAGIC, "something was mounted");
	char buf[320];
	cr_expect_null(the_pin(buf, sizeof buf), "pinned outside bpffs");
	run_result_free(&r);
}

Test(cgroups, planted_device_program_pin_is_not_attached, .timeout = 240)
{
	need_rootfs();
	private_bpffs("bpf");
	struct run_result r;
	run_hutch(&r, 45, NULL, ARGV("-q", "-P", "-D", test_rootfs(), "-M", machine_name("cgpin1"), "/bin/true"));
	ASSERT_STATUS(r, 0);
	run_result_free(&r);
	char pin[320];
	cr_assert(the_pin(pin, sizeof pin), "the first start pinned nothing");
	/* The same start again uses the pin as it is. */
	int good = bpf_obj_get(pin);
	cr_assert_geq(good, 0);
	uint32_t good_id = id_of(good), ids[8];
	const char *name = machine_name("cgpin2");
	struct hutch_proc p;
	start(&p, name, NULL, "echo READY; exec sleep 60");
	expect_ready(&p, &r);
	uint32_t n = attached_ids(name, ids);
	kill(p.pid, SIGTERM);
	hutch_finish(&p, &r, 20);
	run_result_free(&r);
	cr_assert_eq(n, 1);
	cr_expect_eq(ids[0], good_id, "a valid pin was not reused");
	/* Now a program that allows every device under the same name. */
	static const struct bpf_insn allow_all[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 1},
		{.code = BPF_JMP | BPF_EXIT},
	};
	int planted = bpf_prog_load(BPF_PROG_TYPE_CGROUP_DEVICE, "planted", "GPL", allow_all, 2, NULL);
	cr_assert_geq(planted, 0);
	cr_assert_eq(unlink(pin), 0);
	cr_assert_eq(bpf_obj_pin(planted, pin), 0, "%s", strerror(errno));
	uint32_t planted_id = id_of(planted);
	name = machine_name("cgpin3");
	start(&p, name, NULL, "echo READY; exec sleep 60");
	expect_ready(&p, &r);
	n = attached_ids(name, ids);
	kill(p.pid, SIGTERM);
	hutch_finish(&p, &r, 20);
	cr_assert_eq(n, 1);
	cr_expect_neq(ids[0], planted_id, "the planted program was attached");
	cr_expect(strstr(r.err, "not the expected one"), "no warning: %s", r.err);
	/* The same instructions as the first start's program, pinned anew. */
	int now = bpf_obj_get(pin);
	cr_assert_geq(now, 0);
	cr_expect_eq(id_of(now), ids[0], "the planted pin was not replaced");
	struct bpf_insn a[600], b[600];
	struct bpf_prog_info ia = {.xlated_prog_insns = (uintptr_t)a, .xlated_prog_len = sizeof a};
	struct bpf_prog_info ib = {.xlated_prog_insns = (uintptr_t)b, .xlated_prog_len = sizeof b};
	uint32_t la = sizeof ia, lb = sizeof ib;
	cr_assert_eq(bpf_obj_get_info_by_fd(good, &ia, &la), 0);
	cr_assert_eq(bpf_obj_get_info_by_fd(now, &ib, &lb), 0);
	cr_expect(ia.xlated_prog_len == ib.xlated_prog_len && !memcmp(a, b, ia.xlated_prog_len),
		  "the replacement is not the program hutch generated");
	run_result_free(&r);
}
