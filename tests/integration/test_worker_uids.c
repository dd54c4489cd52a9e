/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Each invocation's worker has a uid of its own (broker/workeruid.c), so a
 * compromised worker cannot signal another hutch's. The pool tests use
 * build/hutch-pooltest: hutch with a pool of two uids just above the real
 * one, which a test can fill without holding up any other hutch.
 */
#include "../lib/harness.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define LOCK_DIR "/run/hutch/worker-uids"

static unsigned long uid_of(pid_t pid)
{
	char *u = proc_status_field(pid, "Uid");
	unsigned long v = u ? strtoul(u, NULL, 10) : 0;
	free(u);
	return v;
}

/* hutch's child running as a uid in [base, base + count). */
static pid_t worker_of(pid_t hutch, unsigned long base, unsigned long count, unsigned long *uid)
{
	pid_t kids[64];
	size_t n = find_children(hutch, kids, 64);
	for (size_t i = 0; i < n; i++) {
		unsigned long u = uid_of(kids[i]);
		if (u >= base && u - base < count) {
			*uid = u;
			return kids[i];
		}
	}
	return 0;
}

static void lock_path(char *buf, size_t size, unsigned long uid)
{
	snprintf(buf, size, LOCK_DIR "/%lu", uid);
}

/* 1: someone holds uid's lock; 0: the file is there, unlocked; -1: no file. */
static int lock_state(unsigned long uid)
{
	char path[64];
	lock_path(path, sizeof path, uid);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	int held = flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd); /* lets go if we took it: a real acquirer would just retry */
	return held;
}

/* Take uid's slot as hutch does (the same protocol, so hutch sees it taken). */
static int take_slot(unsigned long uid)
{
	char path[64];
	lock_path(path, sizeof path, uid);
	mkdir("/run/hutch", 0700);
	mkdir(LOCK_DIR, 0700);
	for (;;) {
		int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		cr_assert_geq(fd, 0, "%s: %m", path);
		cr_assert_eq(flock(fd, LOCK_EX), 0);
		struct stat a, b;
		if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino)
			return fd;
		close(fd);
	}
}

static void drop_slot(int fd, unsigned long uid)
{
	char path[64];
	lock_path(path, sizeof path, uid);
	unlink(path);
	close(fd);
}

/* In a child as uid/gid `uid`, as a worker is: kill(pid, sig)'s errno (0: sent). */
static int kill_as(unsigned long uid, pid_t pid, int sig)
{
	pid_t c = fork();
	cr_assert_geq(c, 0);
	if (c == 0) {
		if (setgroups(0, NULL) < 0 || setresgid((gid_t)uid, (gid_t)uid, (gid_t)uid) < 0 ||
		    setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) < 0)
			_exit(255);
		_exit(kill(pid, sig) < 0 ? errno : 0);
	}
	int ws;
	cr_assert_eq(waitpid(c, &ws, 0), c);
	cr_assert(WIFEXITED(ws) && WEXITSTATUS(ws) != 255, "could not become uid %lu", uid);
	return WEXITSTATUS(ws);
}

#define RUNNING ARGV("-q", "--console=read-only", "-D", test_rootfs(), "-M", name, "/bin/sh", \
		     "-c", "echo READY; sleep 5")

Test(worker_uids, two_invocations_cannot_signal_each_other, .timeout = 90)
{
	need_rootfs();
	struct hutch_proc a, b;
	const char *name = machine_name("wua");
	cr_assert_eq(hutch_start(&a, NULL, RUNNING), 0);
	name = machine_name("wub");
	cr_assert_eq(hutch_start(&b, NULL, RUNNING), 0);
	bool ready = hutch_expect(&a, true, "READY", 20) && hutch_expect(&b, true, "READY", 20);
	unsigned long ua = 0, ub = 0;
	pid_t wa = ready ? worker_of(a.pid, HUTCH_WORKER_UID, HUTCH_WORKER_UIDS, &ua) : 0;
	pid_t wb = ready ? worker_of(b.pid, HUTCH_WORKER_UID, HUTCH_WORKER_UIDS, &ub) : 0;
	int held_a = lock_state(ua), held_b = lock_state(ub);
	/* The control first (a worker's own uid reaches it), then the attack:
	 * A's uid signals B's worker (SIGKILL: if it got through, B fails). */
	int own = wa ? kill_as(ua, wa, 0) : -1;
	int probe = wb ? kill_as(ua, wb, 0) : -1;
	int attack = wb ? kill_as(ua, wb, SIGKILL) : -1;
	int back = wa ? kill_as(ub, wa, SIGKILL) : -1;
	struct run_result ra, rb;
	hutch_finish(&a, &ra, 20);
	hutch_finish(&b, &rb, 20);
	cr_assert(ready, "no READY; stderr A: %s\nB: %s", a.res.err, b.res.err);
	cr_assert(wa && wb, "no worker found (A %d, B %d)", (int)wa, (int)wb);
	cr_expect_neq(ua, ub, "both workers run as uid %lu", ua);
	cr_expect_eq(held_a, 1, "A's worker uid %lu is not locked in " LOCK_DIR, ua);
	cr_expect_eq(held_b, 1, "B's worker uid %lu is not locked in " LOCK_DIR, ub);
	cr_expect_eq(own, 0, "a worker's own uid cannot signal it: %s", strerror(own));
	cr_expect_eq(probe, EPERM, "uid %lu reaches B's worker: %s", ua, strerror(probe));
	cr_expect_eq(attack, EPERM, "uid %lu killed B's worker: %s", ua, strerror(attack));
	cr_expect_eq(back, EPERM, "uid %lu killed A's worker: %s", ub, strerror(back));
	ASSERT_STATUS(ra, 0);
	ASSERT_STATUS(rb, 0);
	/* Nothing piles up: each lock file went with its hutch (or another hutch
	 * started since holds that uid now). */
	cr_expect_neq(lock_state(ua), 0, "%s/%lu left behind", LOCK_DIR, ua);
	cr_expect_neq(lock_state(ub), 0, "%s/%lu left behind", LOCK_DIR, ub);
	run_result_free(&ra);
	run_result_free(&rb);
}

static char pool_bin[PATH_MAX];

static void pool_setup(void)
{
	const char *e = getenv("HUTCH_BIN");
	char base[PATH_MAX];
	if (e && *e)
		snprintf(base, sizeof base, "%s", e);
	else
		cr_assert_not_null(realpath("build/hutch", base), "no build/hutch");
	*strrchr(base, '/') = '\0';
	snprintf(pool_bin, sizeof pool_bin, "%.4000s/hutch-pooltest", base);
	cr_assert_eq(access(pool_bin, X_OK), 0, "%s: %m (built with hutch-tests)", pool_bin);
	setenv("HUTCH_BIN", pool_bin, 1);
	cr_assert_str_eq(hutch_bin(), pool_bin, "hutch_bin() was cached before the test");
}

/* The pool of hutch-pooltest: the two uids above the real pool. */
#define POOL ((unsigned long)HUTCH_WORKER_UID + HUTCH_WORKER_UIDS)

static void expect_version(int status, const char *needle)
{
	struct run_result r;
	run_hutch(&r, 20, NULL, ARGV("--version"));
	ASSERT_STATUS(r, status);
	cr_assert(strstr(status ? r.err : r.out, needle), "no '%s' in:\n%s%s", needle, r.out, r.err);
	run_result_free(&r);
}

/* A full pool is one clear error; SIGKILL of hutch frees its uid (the
 * kernel drops the flock), and the file it left is reused and removed. */
Test(worker_uids, pool_full_and_sigkill, .init = pool_setup, .timeout = 90)
{
	need_rootfs();
	struct host_snapshot snap;
	host_snapshot_take(&snap);
	int mine = take_slot(POOL);
	const char *name = machine_name("wupool");
	struct hutch_proc p;
	cr_assert_eq(hutch_start(&p, NULL, RUNNING), 0);
	bool ready = hutch_expect(&p, true, "READY", 20);
	unsigned long uid = 0;
	pid_t w = ready ? worker_of(p.pid, POOL, 2, &uid) : 0;
	if (ready) {
		char msg[128];
		snprintf(msg, sizeof msg, "all 2 worker uids (%lu..%lu) are taken by running hutch",
			 POOL, POOL + 1);
		expect_version(1, msg);
	}
	kill(p.pid, SIGKILL);
	struct run_result r;
	hutch_finish(&p, &r, 20);
	cr_assert(ready, "no READY; stderr: %s", r.err);
	cr_assert_eq(uid, POOL + 1, "the worker runs as %lu, not the free uid %lu", uid, POOL + 1);
	for (int i = 0; i < 100 && kill(w, 0) == 0; i++)
		usleep(50000); /* PDEATHSIG */
	cr_assert_neq(kill(w, 0), 0, "the worker outlived hutch's SIGKILL");
	cr_expect_eq(lock_state(POOL + 1), 0,
		     "uid %lu: after SIGKILL of its hutch the lock file should be there, unlocked",
		     POOL + 1);
	expect_version(0, "hutch "); /* the freed uid */
	cr_expect_eq(lock_state(POOL + 1), -1, "the stale lock file was not removed on reuse");
	drop_slot(mine, POOL);
	cr_expect_eq(lock_state(POOL), -1);
	/* The killed container's cgroup is swept by the next start, once empty. */
	char procs[512];
	snprintf(procs, sizeof procs, "/sys/fs/cgroup/%smachine.slice/hutch-%s.scope/cgroup.procs",
		 access("/sys/fs/cgroup/unified", F_OK) == 0 ? "unified/" : "", name);
	for (int i = 0; i < 100; i++) {
		char *t = read_file_str(procs);
		bool empty = !t || !*t;
		free(t);
		if (empty)
			break;
		usleep(50000);
	}
	struct run_result s;
	run_cmd(&s, "wusweep", "true");
	cr_expect_eq(s.status, 0, "the next start failed: %s", s.err);
	run_result_free(&s);
	host_snapshot_assert_same(&snap);
	host_snapshot_free(&snap);
	run_result_free(&r);
}
