/* hutch integration tests: usage and setup errors, and leak checks.
 *
 * Each error must: exit 1, print exactly one line on stderr starting with
 * "hutch: " that names the offending value, print nothing on stdout, and
 * leave no mount, cgroup or /tmp/hutch* entry behind. The leak checks take
 * the harness's exclusive lock, so they may wait for other tests (not
 * for boot tests, which are exempt): hence the longer timeouts.
 */
#include "../lib/harness.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define LEAK_TIMEOUT 240

/* Status lines are not errors: they may legitimately precede a late
 * setup failure (they are what -q suppresses). */
static bool is_status_line(const char *l, size_t n)
{
	static const char *const prefixes[] = { "hutch: Spawning container ",
						"hutch: Container " };
	for (size_t i = 0; i < 2; i++)
		if (n >= strlen(prefixes[i]) && strncmp(l, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

static void assert_one_error_line(const struct run_result *r, const char *needle)
{
	const char *line = NULL;
	size_t len = 0, count = 0;
	for (const char *l = r->err; *l;) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);
		if (!is_status_line(l, n)) {
			count++;
			line = l;
			len = n;
		}
		l = e ? e + 1 : l + n;
	}
	cr_assert_eq(count, 1, "expected exactly one error line on stderr, got %zu:\n%s", count,
		     r->err);
	cr_assert(strncmp(line, "hutch: ", 7) == 0, "error line does not start with \"hutch: \": %.*s",
		  (int)len, line);
	char *copy = strndup(line, len);
	cr_assert(strstr(copy, needle), "error line does not mention \"%s\": %s", needle, copy);
	cr_log_info("%s", copy);
	free(copy);
}

/* Run argv (which must fail), with a leak check around it. */
static void expect_error(const char *needle, const char *const argv[])
{
	struct host_snapshot snap;
	host_snapshot_take(&snap);
	struct run_result r;
	run_hutch(&r, 30, NULL, argv);
	cr_assert_eq(r.status, 1, "exit status %d, expected 1%s\n--- stdout:\n%s\n--- stderr:\n%s",
		     r.status, r.timed_out ? " (timed out)" : "", r.out, r.err);
	assert_one_error_line(&r, needle);
	cr_assert_str_empty(r.out, "stdout on error: %s", r.out);
	host_snapshot_assert_same(&snap);
	host_snapshot_free(&snap);
	run_result_free(&r);
}

Test(errors, missing_directory, .timeout = LEAK_TIMEOUT)
{
	require_root_or_skip();
	expect_error("/nonexistent-hutch-dir",
		     ARGV("-D", "/nonexistent-hutch-dir", "-M", machine_name("nodir"), "/bin/true"));
}

Test(errors, no_os_release, .timeout = LEAK_TIMEOUT)
{
	need_rootfs();
	expect_error("os-release",
		     ARGV("-D", test_rootfs_noos(), "-M", machine_name("noos"), "/bin/true"));
}

Test(errors, bad_kill_signal, .timeout = LEAK_TIMEOUT)
{
	need_rootfs();
	expect_error("BOGUS", ARGV("-D", test_rootfs(), "-M", machine_name("badsig"),
				   "--kill-signal=BOGUS", "/bin/true"));
}

Test(errors, bad_console, .timeout = LEAK_TIMEOUT)
{
	need_rootfs();
	expect_error("bogus", ARGV("-D", test_rootfs(), "-M", machine_name("badcons"),
				   "--console=bogus", "/bin/true"));
}

Test(errors, bad_uuid, .timeout = LEAK_TIMEOUT)
{
	need_rootfs();
	expect_error("xyz", ARGV("-D", test_rootfs(), "-M", machine_name("baduuid"), "--uuid=xyz",
				 "/bin/true"));
}

Test(errors, unknown_user, .timeout = LEAK_TIMEOUT)
{
	need_rootfs();
	expect_error("nosuchuser", ARGV("-D", test_rootfs(), "-M", machine_name("nouser"), "-u",
					"nosuchuser", "/bin/true"));
}

Test(errors, relative_chdir, .timeout = LEAK_TIMEOUT)
{
	need_rootfs();
	expect_error("relative", ARGV("-D", test_rootfs(), "-M", machine_name("relcd"),
				      "--chdir=relative", "/bin/true"));
}

Test(errors, unknown_option, .timeout = LEAK_TIMEOUT)
{
	need_rootfs();
	expect_error("bogus-option", ARGV("--bogus-option", "-D", test_rootfs(), "-M",
					  machine_name("badopt"), "/bin/true"));
}

Test(errors, bad_machine_name, .timeout = LEAK_TIMEOUT)
{
	need_rootfs();
	expect_error("bad/name", ARGV("-D", test_rootfs(), "-M", "bad/name", "/bin/true"));
}

Test(errors, setenv_without_equals, .timeout = LEAK_TIMEOUT)
{
	need_rootfs();
	expect_error("NOEQUALS", ARGV("-D", test_rootfs(), "-M", machine_name("noeq"), "-E",
				      "NOEQUALS", "/bin/true"));
}

Test(errors, register_yes_refused, .timeout = LEAK_TIMEOUT)
{
	need_rootfs();
	expect_error("register", ARGV("-D", test_rootfs(), "-M", machine_name("regyes"),
				      "--register=yes", "/bin/true"));
}

/* Resource settings (worker/resources.c): refused while parsing... */
Test(errors, bad_resource_values, .timeout = LEAK_TIMEOUT)
{
	need_rootfs();
	static const char *const opts[][2] = {
		{"--property=MemoryMax=12Q", "12Q"},
		{"--property=Bogus=1", "Bogus=1"},
		{"--property=CPUQuota=0%", "CPUQuota=0%"},
		{"--property=TasksMax=0", "TasksMax=0"},
		{"--property=DeviceAllow=/etc/passwd", "/etc/passwd"},
		{"--slice=../x.slice", "../x.slice"},
		{"--rlimit=NOFILE=10:5", "NOFILE=10:5"},
		{"--oom-score-adjust=2000", "2000"},
		{"--personality=arm64", "arm64"},
		{"--cpu-affinity=x", "'x'"},
	};
	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
		expect_error(opts[i][1], ARGV("-D", test_rootfs(), "-M", machine_name("badres"),
					      opts[i][0], "/bin/true"));
}

/* ...or by the kernel, after the broker made the cgroup (or the container):
 * still one line, and the cgroup, its lock and the uid range are gone. */
Test(errors, kernel_refused_limits_leave_nothing, .timeout = LEAK_TIMEOUT)
{
	need_rootfs();
	expect_error("AllowedCPUs", ARGV("-D", test_rootfs(), "-M", machine_name("badcpus"),
					 "--property=AllowedCPUs=1000", "/bin/true"));
	/* Raising a hard limit past hutch's own needs CAP_SYS_RESOURCE. */
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_max != RLIM_INFINITY) {
		char opt[64];
		snprintf(opt, sizeof opt, "--rlimit=NOFILE=%llu", (unsigned long long)rl.rlim_max + 1);
		expect_error("rlimit", ARGV("-D", test_rootfs(), "-M", machine_name("badrl"), opt,
					    "/bin/true"));
	}
}

/* ---- the paths that work must not leak either ---------------------------- */

static void expect_clean_run(int want, const char *stdin_data, const char *const argv[])
{
	struct host_snapshot snap;
	host_snapshot_take(&snap);
	struct run_result r;
	run_hutch(&r, 30, stdin_data, argv);
	cr_assert_eq(r.status, want, "exit status %d, expected %d\n--- stdout:\n%s\n--- stderr:\n%s",
		     r.status, want, r.out, r.err);
	host_snapshot_assert_same(&snap);
	host_snapshot_free(&snap);
	run_result_free(&r);
}

Test(errors, happy_path_leaves_nothing, .timeout = LEAK_TIMEOUT)
{
	need_rootfs();
	expect_clean_run(0, NULL, ARGV("-q", "-P", "-D", test_rootfs(), "-M", machine_name("clean"),
				       "/bin/sh", "-c", "echo hi > /tmp/x; cat /tmp/x"));
}

Test(errors, failing_payload_leaves_nothing, .timeout = LEAK_TIMEOUT)
{
	need_rootfs();
	expect_clean_run(3, NULL, ARGV("-q", "-D", test_rootfs(), "-M", machine_name("cleanfail"),
				       "/bin/sh", "-c", "exit 3"));
}

Test(errors, not_found_leaves_nothing, .timeout = LEAK_TIMEOUT)
{
	need_rootfs();
	expect_clean_run(127, NULL, ARGV("-q", "-P", "-D", test_rootfs(), "-M",
					 machine_name("cleannf"), "/no/such/binary"));
}

Test(errors, user_session_leaves_nothing, .timeout = LEAK_TIMEOUT)
{
	need_rootfs();
	expect_clean_run(0, "id\n", ARGV("-q", "-P", "-a", "-u", "tester", "-D", test_rootfs(),
					 "-M", machine_name("cleanuser")));
}

Test(errors, sigterm_leaves_nothing, .timeout = LEAK_TIMEOUT)
{
	need_rootfs();
	struct host_snapshot snap;
	host_snapshot_take(&snap);
	struct hutch_proc p;
	cr_assert_eq(hutch_start(&p, NULL,
				 ARGV("-q", "-P", "-D", test_rootfs(), "-M",
				      machine_name("cleanterm"), "/bin/sh", "-c",
				      "sleep 100 & echo READY; wait")),
		     0);
	bool ready = hutch_expect(&p, true, "READY", 20);
	kill(p.pid, SIGTERM);
	struct run_result r;
	hutch_finish(&p, &r, 15);
	cr_assert(ready, "payload never printed READY; stderr: %s", r.err);
	cr_assert_eq(r.status, 137, "exit status %d, expected 137 (SIGKILL to PID 1); stderr: %s",
		     r.status, r.err);
	host_snapshot_assert_same(&snap);
	host_snapshot_free(&snap);
	run_result_free(&r);
}

/* hutch's descendants, depth first. */
static size_t descendants(pid_t pid, pid_t *out, size_t max)
{
	pid_t kids[64];
	size_t n = find_children(pid, kids, 64), total = 0;
	for (size_t i = 0; i < n && total < max; i++) {
		out[total++] = kids[i];
		total += descendants(kids[i], out + total, max - total);
	}
	return total;
}

static bool alive(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	char *st = read_file_str(path);
	if (!st)
		return false;
	const char *rp = strrchr(st, ')');
	bool zombie = rp && rp[1] == ' ' && rp[2] == 'Z';
	free(st);
	return !zombie;
}

static const char *orphan_name(void)
{
	static const char *name;
	if (!name)
		name = machine_name("orphan");
	return name;
}

/* A SIGKILLed hutch cannot remove its (now empty) scope cgroups; the next
 * start of any machine sweeps them (their name lock is free). Wait for the
 * last process to leave, then start one. */
static void sweep_orphan_cgroups(void)
{
	char procs[512];
	snprintf(procs, sizeof procs, "/sys/fs/cgroup/%smachine.slice/hutch-%s.scope/cgroup.procs",
		 access("/sys/fs/cgroup/unified", F_OK) == 0 ? "unified/" : "", orphan_name());
	for (int i = 0; i < 100; i++) {
		char *s = read_file_str(procs);
		bool empty = !s || !*s;
		free(s);
		if (empty)
			break;
		usleep(50000);
	}
	struct run_result r;
	run_cmd(&r, "sweeper", "true");
	cr_assert_eq(r.status, 0, "the next start failed: %s", r.err);
	run_result_free(&r);
}

Test(errors, sigkill_to_hutch_takes_container_down, .timeout = LEAK_TIMEOUT)
{
	need_rootfs();
	struct host_snapshot snap;
	host_snapshot_take(&snap);
	struct hutch_proc p;
	cr_assert_eq(hutch_start(&p, NULL,
				 ARGV("-q", "-P", "-D", test_rootfs(), "-M", orphan_name(),
				      "/bin/sh", "-c", "sleep 100 & echo READY; wait")),
		     0);
	bool ready = hutch_expect(&p, true, "READY", 20);
	pid_t pids[128];
	size_t n = ready ? descendants(p.pid, pids, 128) : 0;
	kill(p.pid, SIGKILL); /* hutch alone, not its process group */
	struct run_result r;
	hutch_finish(&p, &r, 10);
	cr_assert(ready, "payload never printed READY; stderr: %s", r.err);
	cr_assert(n > 0, "hutch had no descendants while the payload ran");
	size_t left = 0;
	for (int tries = 0; tries < 50; tries++) { /* up to 5 s */
		left = 0;
		for (size_t i = 0; i < n; i++)
			left += alive(pids[i]);
		if (!left)
			break;
		usleep(100000);
	}
	if (left) {
		char msg[1024] = "";
		for (size_t i = 0; i < n; i++)
			if (alive(pids[i])) {
				char *comm = proc_status_field(pids[i], "Name");
				size_t l = strlen(msg);
				snprintf(msg + l, sizeof(msg) - l, " %d(%s)", (int)pids[i],
					 comm ? comm : "?");
				free(comm);
				kill(pids[i], SIGKILL); /* do not disturb later tests */
			}
		cr_assert_fail("%zu of hutch's %zu descendants survived its SIGKILL:%s", left, n,
			       msg);
	}
	sweep_orphan_cgroups();
	host_snapshot_assert_same(&snap);
	host_snapshot_free(&snap);
	run_result_free(&r);
}
