/* hutch integration tests: --keep-unit. hutch runs inside a throw-away
 * parent cgroup made here on every hierarchy (the harness moves its child
 * there before the exec), as it would in a service's own unit; the
 * container must land at PARENT/payload, keep its limits and device fence,
 * and leave PARENT as it was found on every exit path.
 *
 * Works on the hybrid layout (v1 controllers under /sys/fs/cgroup/<name>,
 * v2 in .../unified), on pure v2 (make check-cgroup2 picks "cgroup*") and on
 * the legacy layout, v1 only (make check-cgroup1): no v2 parent there, and
 * hutch stays in the unit itself (no supervisor cgroup, which only v2's
 * no-internal-process rule needs).
 */
#include "../lib/harness.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const v1_ctrls[] = {"memory", "pids", "cpu", "blkio", "devices", "cpuset"};

struct unit {
	char name[64];
	char dir[8][128];    /* the parent per hierarchy, [0] the v2 one if any */
	const char *list[9]; /* for harness_set_cgroups */
	size_t n;
};

static bool pure_v2(void)
{
	struct statfs sf;
	return statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
}

/* No cgroup2 anywhere: v1 hierarchies only. */
static bool legacy(void)
{
	struct statfs sf;
	return !pure_v2() &&
	       !(statfs("/sys/fs/cgroup/unified", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC);
}

static void put(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		(void)!write(fd, s, strlen(s));
		close(fd);
	}
}

static void copy_file(const char *from, const char *to)
{
	char *s = read_file_str(from);
	if (s)
		put(to, s);
	free(s);
}

/* The parent on each hierarchy, empty; hutch's child is moved into it. */
static void unit_make(struct unit *u, const char *tag)
{
	char name[64];
	memset(u, 0, sizeof *u);
	snprintf(name, sizeof name, "hutch-test-%s-%d", tag, (int)getpid());
	strcpy(u->name, name);
	const char *v2 = pure_v2() ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
	if (pure_v2()) /* as hutch's own slice code does: the root hands them down */
		for (const char *const *c = (const char *const[]){"+memory", "+pids", "+cpu", NULL}; *c; c++)
			put("/sys/fs/cgroup/cgroup.subtree_control", *c);
	if (!legacy())
		snprintf(u->dir[u->n++], sizeof u->dir[0], "%s/%s", v2, name);
	for (size_t i = 0; !pure_v2() && i < sizeof v1_ctrls / sizeof v1_ctrls[0]; i++) {
		char root[64];
		struct statfs sf;
		snprintf(root, sizeof root, "/sys/fs/cgroup/%s", v1_ctrls[i]);
		if (statfs(root, &sf) == 0 && sf.f_type == CGROUP_SUPER_MAGIC)
			snprintf(u->dir[u->n++], sizeof u->dir[0], "%s/%s", root, name);
	}
	for (size_t i = 0; i < u->n; i++) {
		cr_assert(mkdir(u->dir[i], 0755) == 0 || errno == EEXIST, "mkdir %s: %s", u->dir[i],
			  strerror(errno));
		if (strstr(u->dir[i], "/cpuset/")) { /* a v1 cpuset takes no task empty */
			char to[192];
			snprintf(to, sizeof to, "%s/cpuset.cpus", u->dir[i]);
			copy_file("/sys/fs/cgroup/cpuset/cpuset.cpus", to);
			snprintf(to, sizeof to, "%s/cpuset.mems", u->dir[i]);
			copy_file("/sys/fs/cgroup/cpuset/cpuset.mems", to);
		}
		u->list[i] = u->dir[i];
	}
	harness_set_cgroups(u->list);
}

/* Sub-cgroups left in any parent ("" if none), and the v2 parent's
 * subtree_control as hutch must leave it: empty. */
static char *unit_leftovers(const struct unit *u)
{
	static char out[1024];
	out[0] = '\0';
	for (size_t i = 0; i < u->n; i++) {
		DIR *d = opendir(u->dir[i]);
		cr_assert(d, "%s gone", u->dir[i]);
		struct dirent *de;
		while ((de = readdir(d)))
			if (de->d_type == DT_DIR && strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				snprintf(out + strlen(out), sizeof out - strlen(out), "%s/%s ", u->dir[i],
					 de->d_name);
		closedir(d);
	}
	char path[192];
	snprintf(path, sizeof path, "%s/cgroup.subtree_control", u->dir[0]);
	char *sc = read_file_str(path);
	if (sc && sc[0] && sc[0] != '\n')
		snprintf(out + strlen(out), sizeof out - strlen(out), "subtree_control: %s", sc);
	free(sc);
	return out;
}

/* Nothing left below the parents, then the parents go (their tasks exited). */
static void unit_drop(struct unit *u)
{
	harness_set_cgroups(NULL);
	for (int i = 0; i < 100; i++) {
		bool all = true;
		for (size_t k = 0; k < u->n; k++)
			all &= rmdir(u->dir[k]) == 0 || errno == ENOENT;
		if (all)
			return;
		usleep(20000);
	}
	cr_log_error("parent cgroups of %s not removed", u->name);
}

/* hutch --keep-unit -P -D rootfs -M name OPTS... /bin/sh -c script, started. */
static void start(struct hutch_proc *p, const char *name, const char *const *opts,
		  const char *script)
{
	const char *argv[32] = {"--keep-unit", "-P", "-D", test_rootfs(), "-M", name};
	size_t n = 6;
	for (; opts && *opts; opts++)
		argv[n++] = *opts;
	argv[n++] = "/bin/sh";
	argv[n++] = "-c";
	argv[n++] = script;
	argv[n] = NULL;
	cr_assert_eq(hutch_start(p, NULL, argv), 0);
	struct run_result r;
	if (hutch_expect(p, true, "READY", 30))
		return;
	hutch_finish(p, &r, 5);
	cr_assert_fail("payload never printed READY (status %d)\n--- stdout:\n%s\n--- stderr:\n%s",
		       r.status, r.out, r.err);
}

/* The container's PID 1 after `exec sleep`: hutch's child named sleep. */
static pid_t payload_pid(pid_t hutch)
{
	for (int tries = 0; tries < 100; tries++, usleep(50000)) {
		pid_t kids[64];
		size_t n = find_children(hutch, kids, 64);
		for (size_t i = 0; i < n; i++) {
			char path[64];
			snprintf(path, sizeof path, "/proc/%d/comm", (int)kids[i]);
			char *comm = read_file_str(path);
			bool sleep = comm && !strncmp(comm, "sleep", 5);
			free(comm);
			if (sleep)
				return kids[i];
		}
	}
	cr_assert_fail("payload not found among hutch's children");
	return -1;
}

/* The line of /proc/PID/cgroup for the v2 hierarchy ("") or controller. */
static char *cgroup_of(pid_t pid, const char *ctrl)
{
	static char line[512];
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/cgroup", (int)pid);
	char *all = read_file_str(path);
	cr_assert(all, "cannot read %s", path);
	line[0] = '\0';
	for (char *save, *l = strtok_r(all, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *c = strchr(l, ':'), *p = c ? strchr(c + 1, ':') : NULL;
		if (!p)
			continue;
		*p = '\0';
		bool match = !*ctrl ? !strcmp(c + 1, "") : !!strstr(c + 1, ctrl);
		if (match)
			snprintf(line, sizeof line, "%s", p + 1);
	}
	free(all);
	return line;
}

Test(cgroup_keep_unit, container_below_parent_with_limits_and_nothing_left, .timeout = 240)
{
	need_rootfs();
	struct unit u;
	unit_make(&u, "place");
	const char *name = machine_name("kuplace");
	struct hutch_proc p;
	struct run_result r;
	start(&p, name, (const char *const[]){"--property=MemoryMax=96M", "--property=TasksMax=77", NULL},
	      "echo READY; exec sleep 60");
	pid_t pl = payload_pid(p.pid);
	char want[160], sup[160], v2[256], mem[256] = "", pids[256] = "", hutch_v2[256];
	snprintf(want, sizeof want, "/%s/payload", u.name);
	snprintf(sup, sizeof sup, "/%s/supervisor", u.name);
	snprintf(v2, sizeof v2, "%s", cgroup_of(pl, ""));
	snprintf(hutch_v2, sizeof hutch_v2, "%s", cgroup_of(p.pid, legacy() ? "memory" : ""));
	if (!pure_v2()) {
		snprintf(mem, sizeof mem, "%s", cgroup_of(pl, "memory"));
		snprintf(pids, sizeof pids, "%s", cgroup_of(pl, "pids"));
	}
	char lim[192], tasks[192];
	if (pure_v2())
		snprintf(lim, sizeof lim, "%s/payload/memory.max", u.dir[0]);
	else
		snprintf(lim, sizeof lim, "/sys/fs/cgroup/memory/%s/payload/memory.limit_in_bytes", u.name);
	snprintf(tasks, sizeof tasks, "%s/%s/payload/pids.max",
		 pure_v2() ? "/sys/fs/cgroup" : "/sys/fs/cgroup/pids", u.name);
	char *memmax = read_file_str(lim), *tasksmax = read_file_str(tasks);
	kill(p.pid, SIGTERM);
	hutch_finish(&p, &r, 20);
	ASSERT_STATUS(r, 137);
	if (legacy()) { /* no v2 line at all; hutch itself stays in the unit */
		cr_expect_str_eq(v2, "", "a v2 cgroup on the legacy layout: %s", v2);
		char unit[96];
		snprintf(unit, sizeof unit, "/%s", u.name);
		cr_expect_str_eq(hutch_v2, unit, "hutch's own memory cgroup %s, not %s", hutch_v2, unit);
	} else {
		cr_expect_str_eq(v2, want, "payload's v2 cgroup %s, not %s", v2, want);
		cr_expect_str_eq(hutch_v2, sup, "hutch's own v2 cgroup %s, not %s", hutch_v2, sup);
	}
	if (!pure_v2()) {
		cr_expect_str_eq(mem, want, "payload's memory cgroup %s", mem);
		cr_expect_str_eq(pids, want, "payload's pids cgroup %s", pids);
	}
	cr_expect(memmax && !strcmp(memmax, "100663296\n"), "%s: %s", lim, memmax ? memmax : "absent");
	cr_expect(tasksmax && !strcmp(tasksmax, "77\n"), "%s: %s", tasks, tasksmax ? tasksmax : "absent");
	cr_expect_str_eq(unit_leftovers(&u), "", "left in the parent: %s", unit_leftovers(&u));
	free(memmax), free(tasksmax);
	run_result_free(&r);
	unit_drop(&u);
}

Test(cgroup_keep_unit, tasks_max_bounds_forks, .timeout = 240)
{
	need_rootfs();
	struct unit u;
	unit_make(&u, "tasks");
	struct hutch_proc p;
	struct run_result r;
	/* Sleepers forked until the kernel says no (the loop's shell then dies). */
	start(&p, machine_name("kutasks"), (const char *const[]){"--property=TasksMax=10", NULL},
	      "echo READY; (while :; do sleep 30 & done) 2>/dev/null & exec sleep 60");
	char dir[192], path[256];
	snprintf(dir, sizeof dir, "%s/%s/payload", pure_v2() ? "/sys/fs/cgroup" : "/sys/fs/cgroup/pids",
		 u.name);
	char *events = NULL, *cur = NULL;
	for (int i = 0; i < 200; i++, usleep(50000)) {
		free(events);
		snprintf(path, sizeof path, "%s/pids.events", dir);
		events = read_file_str(path);
		if (events && strstr(events, "max ") && !strstr(events, "max 0\n"))
			break;
	}
	snprintf(path, sizeof path, "%s/pids.current", dir);
	cur = read_file_str(path);
	int n = cur ? atoi(cur) : -1;
	kill(p.pid, SIGTERM);
	hutch_finish(&p, &r, 20);
	ASSERT_STATUS(r, 137);
	cr_expect(events && strstr(events, "max ") && !strstr(events, "max 0\n"),
		  "no fork refused in %s: %s", dir, events ? events : "absent");
	cr_expect_leq(n, 10, "%d tasks above TasksMax=10", n);
	cr_expect_geq(n, 5, "only %d tasks: not a test", n);
	cr_expect_str_eq(unit_leftovers(&u), "", "left in the parent: %s", unit_leftovers(&u));
	free(events), free(cur);
	run_result_free(&r);
	unit_drop(&u);
}

Test(cgroup_keep_unit, memory_max_oom_kills, .timeout = 240)
{
	need_rootfs();
	struct unit u;
	unit_make(&u, "oom");
	struct run_result r;
	run_hutch(&r, 45, NULL,
		  ARGV("--keep-unit", "-P", "-D", test_rootfs(), "-M", machine_name("kuoom"),
		       "--property=MemoryMax=32M", "--property=MemorySwapMax=0", "/bin/dd",
		       "if=/dev/zero", "of=/dev/null", "bs=256M", "count=1"));
	ASSERT_STATUS(r, 137);
	cr_expect(strstr(r.err, "killed by the OOM killer"), "OOM kill not reported:\n%s", r.err);
	cr_expect_str_eq(unit_leftovers(&u), "", "left in the parent: %s", unit_leftovers(&u));
	run_result_free(&r);
	unit_drop(&u);
}

Test(cgroup_keep_unit, block_device_refused, .timeout = 240)
{
	need_rootfs();
	struct unit u;
	unit_make(&u, "dev");
	struct run_result r;
	run_hutch(&r, 45, NULL,
		  ARGV("--keep-unit", "-q", "-P", "--private-users=no", "-D", test_rootfs(), "-M",
		       machine_name("kudev"), "/bin/sh", "-c",
		       "echo x > /dev/null && echo NULL-OK; /usr/local/escape/mknod_blockdev"));
	ASSERT_STATUS(r, 0);
	cr_expect(strstr(r.out, "NULL-OK"), "/dev/null refused: %s", r.out);
	cr_expect(strstr(r.out, "ESCAPE-RESULT mknod_blockdev BLOCKED"), "%s", r.out);
	cr_expect(strstr(r.out, "mknod=EPERM"), "mknod not refused by the device fence: %s", r.out);
	cr_expect_str_eq(unit_leftovers(&u), "", "left in the parent: %s", unit_leftovers(&u));
	run_result_free(&r);
	unit_drop(&u);
}

Test(cgroup_keep_unit, nothing_left_after_payload_sigkill, .timeout = 240)
{
	need_rootfs();
	struct unit u;
	unit_make(&u, "pk");
	struct hutch_proc p;
	struct run_result r;
	start(&p, machine_name("kupk"), NULL, "echo READY; exec sleep 60");
	cr_assert_eq(kill(payload_pid(p.pid), SIGKILL), 0);
	hutch_finish(&p, &r, 20);
	ASSERT_STATUS(r, 137);
	cr_expect_str_eq(unit_leftovers(&u), "", "left in the parent: %s", unit_leftovers(&u));
	run_result_free(&r);
	unit_drop(&u);
}

/* A second hutch --keep-unit in the unit of a running one: refused by the
 * lock on the unit (hybrid), or by the kernel before hutch even runs (pure
 * v2: the unit enables controllers, so it takes no process). */
Test(cgroup_keep_unit, second_container_in_the_same_unit_refused, .timeout = 240)
{
	need_rootfs();
	struct unit u;
	unit_make(&u, "two");
	struct hutch_proc p;
	struct run_result r, r2;
	start(&p, machine_name("kutwo1"), NULL, "echo READY; exec sleep 60");
	run_hutch(&r2, 45, NULL,
		  ARGV("--keep-unit", "-q", "-P", "-D", test_rootfs(), "-M", machine_name("kutwo2"),
		       "/bin/true"));
	kill(p.pid, SIGTERM);
	hutch_finish(&p, &r, 20);
	if (pure_v2()) /* the unit enables controllers now: the kernel takes no process in */
		cr_expect(r2.status == 125 && strstr(r2.err, "Device or resource busy"),
			  "status %d: %s", r2.status, r2.err);
	else
		cr_expect(r2.status == 1 &&
				  strstr(r2.err, "another hutch --keep-unit container runs in the cgroup"),
			  "status %d: %s", r2.status, r2.err);
	ASSERT_STATUS(r, 137);
	cr_expect_str_eq(unit_leftovers(&u), "", "left in the parent: %s", unit_leftovers(&u));
	run_result_free(&r), run_result_free(&r2);
	unit_drop(&u);
}

/* Anyone may open a cgroup directory and flock it: that must not keep
 * hutch out of its own unit (found in an audit). The unit's lock is a
 * root-only file under /run/hutch/units. */
Test(cgroup_keep_unit, a_user_flock_on_the_unit_blocks_nothing, .timeout = 240)
{
	need_rootfs();
	struct unit u;
	unit_make(&u, "flk");
	pid_t holder = fork();
	if (holder == 0) {
		int fd = open(u.dir[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534) ||
		    flock(fd, LOCK_EX | LOCK_NB) < 0)
			_exit(1);
		pause();
		_exit(0);
	}
	usleep(200 * 1000);
	struct run_result r;
	run_hutch(&r, 45, NULL,
		  ARGV("--keep-unit", "-q", "-P", "-D", test_rootfs(), "-M", machine_name("kuflk"),
		       "/bin/true"));
	kill(holder, SIGKILL);
	int ws;
	waitpid(holder, &ws, 0);
	cr_expect(WIFSIGNALED(ws), "the holder could not flock %s (exit %d)", u.dir[0],
		  WEXITSTATUS(ws));
	ASSERT_STATUS(r, 0);
	cr_expect_str_eq(unit_leftovers(&u), "", "left in the parent: %s", unit_leftovers(&u));
	run_result_free(&r);
	unit_drop(&u);
}

/* CVE-2022-0492 with --keep-unit: a payload without a user namespace may
 * mount any v1 hierarchy; in those the unit does not cover (freezer,
 * name=systemd, ... where this test, and so hutch, sits at the root) it
 * must find the container's own cgroup, never a root (release_agent). */
Test(cgroup_keep_unit, no_userns_payload_mounts_no_v1_root, .timeout = 240)
{
	need_rootfs();
	if (pure_v2())
		cr_skip_test("pure cgroup v2: no v1 hierarchy to mount");
	struct unit u;
	unit_make(&u, "ra");
	struct run_result r;
	run_hutch(&r, 45, NULL,
		  ARGV("--keep-unit", "-q", "-P", "--private-users=no", "-D", test_rootfs(), "-M",
		       machine_name("kura"), "/bin/sh", "-c",
		       V1_ROOT_PROBE_SH));
	ASSERT_STATUS(r, 0);
	cr_expect(strstr(r.out, "MOUNTED-"), "no hierarchy mounted inside: not a test\n%s", r.out);
	cr_expect(!strstr(r.out, "REACHED-"), "a v1 hierarchy's root is reachable inside:\n%s", r.out);
	cr_expect_str_eq(unit_leftovers(&u), "", "left in the parent: %s", unit_leftovers(&u));
	run_result_free(&r);
	unit_drop(&u);
}

Test(cgroup_keep_unit, with_slice_refused, .timeout = 60)
{
	need_rootfs();
	struct run_result r;
	run_hutch(&r, 30, NULL,
		  ARGV("--keep-unit", "--slice=tenant-a.slice", "-q", "-P", "-D", test_rootfs(),
		       "/bin/true"));
	cr_expect_eq(r.status, 1, "status %d", r.status);
	cr_expect(strstr(r.err, "--keep-unit and --slice=tenant-a.slice cannot be used together"),
		  "%s", r.err);
	cr_expect_eq(count_substr(r.err, "\n"), 1, "not one line: %s", r.err);
	struct stat st;
	cr_expect(stat("/sys/fs/cgroup/tenant.slice", &st) != 0 &&
			  stat("/sys/fs/cgroup/unified/tenant.slice", &st) != 0,
		  "a slice was made");
	run_result_free(&r);
}

/* hutch itself SIGKILLed: its container dies with it (PDEATHSIG), the
 * unit's payload/ and supervisor/ stay behind empty; the next --keep-unit
 * hutch in that unit removes them and leaves the unit clean. */
Test(cgroup_keep_unit, stale_payload_removed_by_the_next_start, .timeout = 240)
{
	need_rootfs();
	struct unit u;
	unit_make(&u, "stale");
	struct hutch_proc p;
	struct run_result r;
	start(&p, machine_name("kustale"), (const char *const[]){"--property=MemoryMax=96M", NULL},
	      "echo READY; exec sleep 60");
	kill(p.pid, SIGKILL);
	hutch_finish(&p, &r, 20);
	run_result_free(&r);
	char *left = unit_leftovers(&u);
	cr_assert(strstr(left, "/payload"), "nothing stale to remove: not a test (%s)", left);
	if (pure_v2()) {
		/* The controllers hutch enabled stay on in the unit, which then takes
		 * no process: a service manager restarting the unit has to turn them
		 * off (systemd's Delegate= does), as here: every one that is on (io and
		 * cpuset too, once a machine.slice start made the root hand them down). */
		char sc[192];
		snprintf(sc, sizeof sc, "%s/cgroup.subtree_control", u.dir[0]);
		char *on = read_file_str(sc);
		for (char *save = NULL, *c = on ? strtok_r(on, " \n", &save) : NULL; c;
		     c = strtok_r(NULL, " \n", &save)) {
			char off[64];
			snprintf(off, sizeof off, "-%s", c);
			put(sc, off);
		}
		free(on);
	}
	char procs[192];
	snprintf(procs, sizeof procs, "%s/supervisor/cgroup.procs", u.dir[0]);
	for (int i = 0; i < 100; i++, usleep(20000)) { /* the worker dying */
		char *s = read_file_str(procs);
		bool empty = !s || !*s;
		free(s);
		if (empty)
			break;
	}
	run_hutch(&r, 45, NULL,
		  ARGV("--keep-unit", "-q", "-P", "-D", test_rootfs(), "-M", machine_name("kustale2"),
		       "--property=MemoryMax=96M", "/bin/true"));
	ASSERT_STATUS(r, 0);
	cr_expect_str_eq(unit_leftovers(&u), "", "left in the parent: %s", unit_leftovers(&u));
	run_result_free(&r);
	unit_drop(&u);
}
