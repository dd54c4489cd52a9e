/* hutch escape regression suite, hostile images (DESIGN.md 3.5 and 6;
 * runc CVE-2021-30465, CVE-2019-19921, CVE-2025-31133, CVE-2025-52565):
 * an image whose /proc, /dev, /sys, /run or /tmp is a symlink must be
 * refused before anything is mounted through it, with an error naming the
 * symlink, exit status 1 and nothing left behind on the host. /dev/console,
 * /dev/pts and /dev/null are made by hutch on its own tmpfs, so the image's
 * versions (symlinks to secrets here) must be hidden, not followed.
 *
 * Each test works on a private copy of the test rootfs, next to it
 * ("<rootfs>-esc-TAG-PID"), removed afterwards. */
#include "../lib/harness.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char copy_path[4096];

static int spawn_wait(char *const argv[])
{
	pid_t pid = fork();
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void remove_copy(void)
{
	if (!copy_path[0])
		return;
	char *argv[] = { "rm", "-rf", "--one-file-system", copy_path, NULL };
	spawn_wait(argv);
	copy_path[0] = '\0';
}

/* A fresh copy of the test rootfs; returns its path. */
static const char *make_copy(const char *tag)
{
	require_root_or_skip();
	require_rootfs_or_skip();
	snprintf(copy_path, sizeof(copy_path), "%s-esc-%s-%d", test_rootfs(), tag, (int)getpid());
	remove_copy();
	snprintf(copy_path, sizeof(copy_path), "%s-esc-%s-%d", test_rootfs(), tag, (int)getpid());
	char *argv[] = { "cp", "-a", (char *)test_rootfs(), copy_path, NULL };
	cr_assert_eq(spawn_wait(argv), 0, "cp -a %s %s failed", test_rootfs(), copy_path);
	return copy_path;
}

/* Replace ROOT/dir (a directory in the image) with a symlink to target. */
static void plant_symlink(const char *root, const char *dir, const char *target)
{
	char p[4200];
	snprintf(p, sizeof(p), "%s/%s", root, dir);
	char *argv[] = { "rm", "-rf", "--one-file-system", p, NULL };
	cr_assert_eq(spawn_wait(argv), 0, "rm -rf %s", p);
	cr_assert_eq(symlink(target, p), 0, "symlink %s -> %s: %s", p, target, strerror(errno));
}

/* hutch on an image with /DIR -> TARGET: refused, exit 1, an error line
 * naming the symlink, no payload output, nothing left mounted. */
static void expect_refused(const char *dir, const char *target)
{
	const char *root = make_copy(dir);
	plant_symlink(root, dir, target);
	char machine[96];
	snprintf(machine, sizeof(machine), "esc-sym-%s-%d", dir, (int)getpid());

	struct host_snapshot snap;
	host_snapshot_take(&snap);
	struct run_result r;
	run_hutch(&r, 30, NULL,
		  (const char *const[]){ "-q", "-P", "-D", root, "-M", machine, "/bin/sh", "-c",
					 "echo PAYLOAD-RAN", NULL });
	cr_log_info("/%s -> %s: status %d, stderr: %s", dir, target, r.status, r.err);
	cr_assert_eq(r.status, 1, "/%s -> %s: exit status %d, expected 1\n--- stdout:\n%s\n--- stderr:\n%s",
		     dir, target, r.status, r.out, r.err);
	cr_assert(!strstr(r.out, "PAYLOAD-RAN"), "/%s -> %s: the payload ran:\n%s", dir, target,
		  r.out);
	cr_assert(strcasestr(r.err, "symlink") != NULL,
		  "/%s -> %s: the error does not mention the symlink:\n%s", dir, target, r.err);
	char *slashdir = NULL;
	cr_assert(asprintf(&slashdir, "/%s", dir) > 0);
	cr_assert(strstr(r.err, slashdir) != NULL, "the error does not name /%s:\n%s", dir, r.err);
	free(slashdir);
	host_snapshot_assert_same(&snap);
	host_snapshot_free(&snap);
	run_result_free(&r);
}

#define SYMLINK_TEST(dir)                                                   \
	Test(image, dir##_symlink_to_root, .timeout = 90, .fini = remove_copy) \
	{                                                                   \
		expect_refused(#dir, "/");                                  \
	}                                                                   \
	Test(image, dir##_symlink_to_proc, .timeout = 90, .fini = remove_copy) \
	{                                                                   \
		expect_refused(#dir, "/proc");                              \
	}

SYMLINK_TEST(proc)
SYMLINK_TEST(dev)
SYMLINK_TEST(sys)
SYMLINK_TEST(run)
SYMLINK_TEST(tmp)

/* The image's /dev holds symlinks to secrets where hutch puts its own
 * nodes: the container must see the real character devices, a devpts,
 * and must not read the secret through /dev/null. */
Test(image, dev_nodes_are_hutchs_own, .timeout = 90, .fini = remove_copy)
{
	const char *root = make_copy("devnodes");
	char p[4200];
	snprintf(p, sizeof(p), "%s/dev", root);
	char *argv[] = { "rm", "-rf", "--one-file-system", p, NULL };
	cr_assert_eq(spawn_wait(argv), 0);
	cr_assert_eq(mkdir(p, 0755), 0);
	static const char *const secret[] = { "console", "null", "tty", "zero", "ptmx", "urandom" };
	for (size_t i = 0; i < sizeof(secret) / sizeof(secret[0]); i++) {
		snprintf(p, sizeof(p), "%s/dev/%s", root, secret[i]);
		cr_assert_eq(symlink("/etc/shadow", p), 0, "symlink %s", p);
	}
	snprintf(p, sizeof(p), "%s/dev/pts", root);
	cr_assert_eq(symlink("/etc", p), 0);

	const char *script =
		"for n in console null tty zero urandom; do "
		"  echo \"$n=$(stat -c '%F %t:%T' /dev/$n)\"; done; "
		"echo \"pts=$(stat -f -c %T /dev/pts)\"; "
		"echo \"ptmx=$(readlink /dev/ptmx)\"; "
		"echo \"nullread=$(head -c 64 /dev/null | wc -c)\"; "
		"echo DONE";
	struct run_result r;
	char machine[96];
	snprintf(machine, sizeof(machine), "esc-devnodes-%d", (int)getpid());
	/* read-only console: hutch makes /dev/console from the pty it allocates. */
	run_hutch(&r, 30, NULL,
		  (const char *const[]){ "-q", "--console=read-only", "-D", root, "-M", machine,
					 "/bin/sh", "-c", script, NULL });
	cr_assert_eq(r.status, 0, "exit status %d\n--- stdout:\n%s\n--- stderr:\n%s", r.status, r.out,
		     r.err);
	cr_assert(strstr(r.out, "DONE"), "stdout:\n%s", r.out);
	static const struct { const char *want, *what; } checks[] = {
		{ "console=character special file 88:", "/dev/console is not a pty (major 136)" },
		{ "null=character special file 1:3", "/dev/null is not 1:3" },
		{ "tty=character special file 5:0", "/dev/tty is not 5:0" },
		{ "zero=character special file 1:5", "/dev/zero is not 1:5" },
		{ "urandom=character special file 1:9", "/dev/urandom is not 1:9" },
		{ "pts=devpts", "/dev/pts is not a devpts" },
		{ "ptmx=pts/ptmx", "/dev/ptmx is not hutch's link to pts/ptmx" },
		{ "nullread=0", "/dev/null yields data (the image's secret?)" },
	};
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
		cr_expect(strstr(r.out, checks[i].want), "%s:\n%s", checks[i].what, r.out);
	cr_expect(!strstr(r.out, "root:*:"), "the image's /etc/shadow leaked:\n%s", r.out);
	run_result_free(&r);
}
