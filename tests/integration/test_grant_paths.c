/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A restricted caller's paths lead nowhere the grant does not: the identity
 * walk up through ".." must not be fooled by a mount in the tenant's own
 * (unprivileged) user+mount namespace, reached by the broker through the
 * magic link /proc/PID/root (found in an audit: it handed out /etc/shadow
 * and chowned a host tree). Each test plays the worker against broker_main.
 */
#include "../lib/harness.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <grp.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/sysmacros.h>

#include "../../broker/broker.h"
#include "../../common/util.h"
#include "../../worker/policy.h"
#include "../../worker/resources.h"

#define TENANT 4242u
static struct hutch_grant grant;
static char rootfs[PATH_MAX];

static void setup(void)
{
	need_rootfs();
	cr_assert_not_null(realpath(test_rootfs(), rootfs));
	hutch_grant_init_all(&grant);
	grant.kind = HUTCH_GRANT_RULE;
	grant.flags = 0;
	memcpy(grant.roots[0].path, rootfs, strlen(rootfs));
	grant.n_roots = 1;
	grant.uid_min = 1048576u;
	grant.uid_max = 2 * 1048576u;
	grant.cap_max = (1ull << CAP_CHOWN) | (1ull << CAP_SETUID) | (1ull << CAP_SETGID);
	strcpy(grant.rule, "test");
	grant.caller_uid = grant.caller_gid = TENANT;
	const char *why;
	cr_assert_eq(hutch_grant_check(&grant, &why), 0);
}
TestSuite(grant_paths, .init = setup, .timeout = 120);

static void wr(const char *p, const char *s)
{
	int fd = open(p, O_WRONLY);
	if (fd < 0 || write(fd, s, strlen(s)) < 0)
		_exit(3);
	close(fd);
}

/* An unprivileged tenant (uid 4242, no caps): its own user+mount namespace,
 * `src` bind-mounted on `dst` there. Returns its pid once the mount exists. */
static pid_t tenant_bind(const char *src, const char *dst)
{
	int p[2];
	cr_assert_eq(pipe(p), 0);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		if (setgroups(0, NULL) || setresgid(TENANT, TENANT, TENANT) || setresuid(TENANT, TENANT, TENANT))
			_exit(2);
		prctl(PR_SET_DUMPABLE, 1);
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
			_exit(4);
		wr("/proc/self/setgroups", "deny");
		wr("/proc/self/uid_map", "0 4242 1");
		wr("/proc/self/gid_map", "0 4242 1");
		if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
			_exit(5);
		(void)!write(p[1], "k", 1);
		for (;;)
			pause();
	}
	close(p[1]);
	char c;
	if (read(p[0], &c, 1) != 1) {
		int st;
		waitpid(pid, &st, 0);
		cr_assert_fail("tenant could not bind-mount: status %#x", st);
	}
	close(p[0]);
	return pid;
}

static struct hutch_msg rep;
static int ask(int sock, uint32_t type, const void *body, int *fd)
{
	const char *why;
	if (hutch_send(sock, type, body, NULL, 0) < 0 || hutch_recv(sock, &rep, &why) != 1)
		return 1;
	if (rep.nfds && fd)
		*fd = rep.fds[0];
	else if (rep.nfds)
		close(rep.fds[0]);
	return rep.u.reply.error;
}

/* Run broker_main with `script` as its worker; the script's exit status back
 * (or the broker's, once a container was made). */
static int run(void (*script)(int sock, const char *arg), const char *arg, int *broker_status)
{
	int sv[2];
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	harness_lock_shared();
	pid_t b = fork();
	if (b == 0) {
		pid_t w = fork();
		if (w == 0) {
			close(sv[0]);
			script(sv[1], arg);
			_exit(99);
		}
		close(sv[1]);
		/* Without a container, its worker's exit status (it reaps it). */
		_exit(broker_main(sv[0], w, HUTCH_WORKER_UID, &grant, policy_main));
	}
	close(sv[0]);
	close(sv[1]);
	int st;
	waitpid(b, &st, 0);
	*broker_status = st;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* `script` on /proc/PID/root DST SUFFIX, PID a tenant that bound `src` on
 * `dst` in a namespace of its own; the script's exit status. */
static int run_via_tenant(const char *src, const char *dst, const char *suffix,
			  void (*script)(int sock, const char *arg))
{
	char path[PATH_MAX + 256];
	pid_t t = tenant_bind(src, dst);
	snprintf(path, sizeof path, "/proc/%d/root%s%s", (int)t, dst, suffix);
	int bs, r = run(script, path, &bs);
	kill(t, SIGKILL);
	waitpid(t, NULL, 0);
	return r;
}

static void open_root_ok(int sock, const char *path)
{
	static struct hutch_open_root r;
	memset(&r, 0, sizeof r);
	snprintf(r.path, sizeof r.path, "%s", path);
	int e = ask(sock, HUTCH_MSG_OPEN_ROOT, &r, NULL);
	if (e)
		fprintf(stderr, "OPEN_ROOT %s: %d\n", path, e), _exit(10);
}

/* exit 0: the fd the broker handed over is the host's /etc/shadow (the
 * escape); the broker must refuse the path. */
static void host_file_script(int sock, const char *path)
{
	open_root_ok(sock, rootfs);
	static struct hutch_open_host_file h;
	snprintf(h.path, sizeof h.path, "%s", path);
	int fd = -1, e = ask(sock, HUTCH_MSG_OPEN_HOST_FILE, &h, &fd);
	struct stat a, b;
	fprintf(stderr, "OPEN_HOST_FILE %s: %d\n", path, e);
	if (e || fstat(fd, &a) || stat("/etc/shadow", &b))
		_exit(11);
	char buf[16] = {0};
	(void)!read(fd, buf, 15);
	fprintf(stderr, "first bytes read through the fd: %.15s\n", buf);
	_exit(a.st_dev == b.st_dev && a.st_ino == b.st_ino ? 0 : 12);
}

Test(grant_paths, host_file_outside_binds_via_proc_root)
{
	char bind[PATH_MAX + 64], x[PATH_MAX + 80];
	snprintf(bind, sizeof bind, "%s/tmp/hutch-gp-cred-%d", rootfs, (int)getpid());
	snprintf(x, sizeof x, "%s/x", bind);
	cr_assert_eq(mkdir(bind, 0755), 0);
	cr_assert_eq(mkdir(x, 0755), 0);
	memcpy(grant.binds[0].path, bind, strlen(bind));
	grant.n_binds = 1;
	int r = run_via_tenant("/etc", x, "/shadow", host_file_script);
	rmdir(x);
	rmdir(bind);
	cr_assert_neq(r, 0, "the broker handed a restricted caller the host's /etc/shadow");
}

/* OPEN_ROOT must refuse the path (exit 10); if it did not, CREATE runs and
 * the test checks that the host tree behind it kept its owner. */
static void root_script(int sock, const char *path)
{
	open_root_ok(sock, path);
	static struct resources res;
	resources_finish(&res);
	if (ask(sock, HUTCH_MSG_CGROUP, &res.cg, NULL))
		_exit(13);
	struct hutch_create c = {.flags = HUTCH_CREATE_QUIET | HUTCH_CREATE_PRIVATE_NETWORK,
				 .kill_signal = 9, .userns = HUTCH_USERNS_PICK,
				 .ownership = HUTCH_OWNERSHIP_AUTO};
	snprintf(c.machine, sizeof c.machine, "gp%d", (int)getpid());
	strcpy(c.hostname, c.machine);
	int e = ask(sock, HUTCH_MSG_CREATE, &c, NULL);
	fprintf(stderr, "CREATE: %d\n", e);
	_exit(0);
}

Test(grant_paths, root_outside_grant_via_proc_root_chowns_host_tree)
{
	char victim[64], vfile[96], x[PATH_MAX + 64];
	snprintf(victim, sizeof victim, "/var/tmp/hutch-gp-victim-%d", (int)getpid());
	snprintf(vfile, sizeof vfile, "%s/secret", victim);
	cr_assert_eq(mkdir(victim, 0755), 0);
	int fd = open(vfile, O_CREAT | O_WRONLY, 0600);
	cr_assert_geq(fd, 0);
	close(fd);
	snprintf(x, sizeof x, "%s/tmp/hutch-gp-root-%d", rootfs, (int)getpid());
	cr_assert_eq(mkdir(x, 0755), 0);
	run_via_tenant(victim, x, "", root_script);
	struct stat st;
	cr_assert_eq(stat(vfile, &st), 0);
	int changed = st.st_uid != 0;
	unlink(vfile);
	rmdir(victim);
	rmdir(x);
	cr_assert_not(changed, "a host directory outside the grant was chowned to %u", st.st_uid);
}

/* exit 0 if OPEN_IMAGE was refused */
static void image_script(int sock, const char *path)
{
	static struct hutch_open_image o;
	snprintf(o.path, sizeof o.path, "%s", path);
	int fd = -1, e = ask(sock, HUTCH_MSG_OPEN_IMAGE, &o, &fd);
	_exit(e < 0 ? 0 : 14);
}

/* OPEN_IMAGE opens nothing before the checks: a device outside the grant
 * (opening one may have effects: a watchdog starts counting) is refused
 * without an open, and so is an image reached through /proc/PID/root. */
Test(grant_paths, image_checked_before_it_is_opened)
{
	char dir[64], dev[96];
	snprintf(dir, sizeof dir, "/var/tmp/hutch-gp-dev-%d", (int)getpid());
	snprintf(dev, sizeof dev, "%s/null", dir);
	cr_assert_eq(mkdir(dir, 0755), 0);
	cr_assert_eq(mknod(dev, S_IFCHR | 0666, makedev(1, 3)), 0);
	int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	cr_assert_geq(in, 0);
	cr_assert_geq(inotify_add_watch(in, dev, IN_OPEN), 0);
	int bs, r = run(image_script, dev, &bs);
	char ev[512];
	ssize_t n = read(in, ev, sizeof ev);
	close(in);
	unlink(dev);
	rmdir(dir);
	cr_expect_eq(r, 0, "OPEN_IMAGE of a device outside the grant was not refused");
	cr_expect_leq(n, 0, "the broker opened %s before refusing it", dev);
}

Test(grant_paths, image_outside_grant_via_proc_root)
{
	char img[PATH_MAX + 64], x[PATH_MAX + 80];
	snprintf(img, sizeof img, "%s/tmp/hutch-gp-img-%d", rootfs, (int)getpid());
	snprintf(x, sizeof x, "%s/x.img", img);
	cr_assert_eq(mkdir(img, 0755), 0);
	int fd = open(x, O_CREAT | O_WRONLY, 0644);
	cr_assert_geq(fd, 0);
	close(fd);
	memcpy(grant.images[0].path, img, strlen(img));
	grant.n_images = 1;
	/* The tenant's namespace shows the host's /etc/shadow at the granted name. */
	int r = run_via_tenant("/etc/shadow", x, "", image_script);
	unlink(x);
	rmdir(img);
	cr_expect_eq(r, 0, "an image outside the grant was opened through /proc/PID/root");
}
