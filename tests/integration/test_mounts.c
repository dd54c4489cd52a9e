/* hutch integration tests: --bind, --bind-ro, --tmpfs, --overlay, --overlay-ro,
 * --inaccessible, --read-only, --volatile=, and their refusals.
 *
 * Host-side scratch directories live in /var/tmp/fsmt-* (not /tmp/hutch*,
 * which the leak checks watch). Container-side mount points are under the
 * container's own /tmp (a tmpfs), so nothing is created in the shared test
 * rootfs. */
#include "../lib/harness.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <errno.h>
#include <stdarg.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>

static char scratch[64];

/* A shell command with the scratch directory as every %1$s. */
static void sh(const char *cmd_fmt)
{
	char cmd[512];
	size_t o = 0;
	for (const char *p = cmd_fmt; *p && o < sizeof cmd - 80; p++) {
		if (*p == '@')
			o += (size_t)snprintf(cmd + o, sizeof cmd - o, "%s", scratch);
		else
			cmd[o++] = *p;
	}
	cmd[o] = '\0';
	cr_assert_eq(system(cmd), 0, "%s", cmd);
}

static const char *mkscratch(void)
{
	need_rootfs();
	strcpy(scratch, "/var/tmp/fsmt-XXXXXX");
	cr_assert_not_null(mkdtemp(scratch));
	chmod(scratch, 0755);
	return scratch;
}

static void rmscratch(void)
{
	if (scratch[0]) {
		char cmd[128];
		snprintf(cmd, sizeof cmd, "rm -rf --one-file-system %s", scratch);
		if (system(cmd) != 0)
			cr_log_info("%s failed", cmd);
	}
}

static char *path(const char *rel)
{
	char *p = NULL;
	cr_assert(asprintf(&p, "%s/%s", scratch, rel) > 0);
	return p;
}

static char *opt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *opt(const char *fmt, ...)
{
	char *p = NULL;
	va_list ap;
	va_start(ap, fmt);
	cr_assert(vasprintf(&p, fmt, ap) > 0);
	va_end(ap);
	return p;
}

static void write_file(const char *rel, const char *content)
{
	char *p = path(rel);
	FILE *f = fopen(p, "w");
	cr_assert_not_null(f, "%s: %s", p, strerror(errno));
	fputs(content, f);
	fclose(f);
	free(p);
}

static unsigned long base_of(const char *out)
{
	unsigned long in, base, n;
	const char *m = strstr(out, "MAP ");
	cr_assert(m && sscanf(m + 4, "%lu %lu %lu", &in, &base, &n) == 3, "no uid_map in %s", out);
	return base;
}

static uid_t owner(const char *rel)
{
	struct stat st;
	char *p = path(rel);
	cr_assert_eq(stat(p, &st), 0, "%s: %s", p, strerror(errno));
	free(p);
	return st.st_uid;
}

/* Run a script with extra options; returns the result (caller frees). */
#define RUN(r, tag, script, ...)                                                          \
	run_hutch(r, 60, NULL,                                                            \
		  ARGV("-q", "-P", "-D", test_rootfs(), "-M", machine_name(tag), __VA_ARGS__, \
		       "/bin/sh", "-c", script))

TestSuite(mounts, .fini = rmscratch, .timeout = 120);

Test(mounts, bind_rw_files_owned_by_container_root)
{
	mkscratch();
	write_file("f", "from-host\n");
	chmod(scratch, 0777);
	struct run_result r;
	RUN(&r, "bindrw", "echo MAP $(cat /proc/self/uid_map); cat /tmp/m/f; echo hi > /tmp/m/new; "
			  "stat -c 'OWNER %u' /tmp/m/f",
	    opt("--bind=%s:/tmp/m", scratch));
	ASSERT_STATUS(r, 0);
	cr_expect(strstr(r.out, "from-host"), "%s", r.out);
	/* Without idmap a host root file is nobody's in the container, and what
	 * the container's root creates belongs to the range's base on the host. */
	cr_expect(strstr(r.out, "OWNER 65534"), "%s", r.out);
	cr_expect_eq(owner("new"), base_of(r.out), "new file owned by %u, base %lu", owner("new"),
		     base_of(r.out));
	run_result_free(&r);
}

Test(mounts, bind_idmap_keeps_host_ids)
{
	mkscratch();
	write_file("f", "x\n");
	struct run_result r;
	RUN(&r, "bindidmap", "stat -c 'OWNER %u' /tmp/m/f; echo hi > /tmp/m/new && echo WROTE",
	    opt("--bind=%s:/tmp/m:idmap", scratch));
	ASSERT_STATUS(r, 0);
	/* The source's root is the container's root, both ways. */
	cr_expect(strstr(r.out, "OWNER 0"), "%s", r.out);
	cr_expect(strstr(r.out, "WROTE"), "%s", r.out);
	cr_expect_eq(owner("new"), 0, "file created through idmap owned by %u on the host",
		     owner("new"));
	run_result_free(&r);
}

Test(mounts, bind_ro_is_read_only_and_locked)
{
	mkscratch();
	write_file("f", "x\n");
	chmod(scratch, 0777);
	struct run_result r;
	RUN(&r, "bindro", "echo hi > /tmp/m/new || echo DENIED; mount -o remount,rw /tmp/m || "
			  "echo LOCKED; grep ' /tmp/m ' /proc/self/mountinfo",
	    opt("--bind-ro=%s:/tmp/m", scratch));
	ASSERT_STATUS(r, 0);
	cr_expect(strstr(r.out, "DENIED") && strstr(r.out, "LOCKED"), "%s\n%s", r.out, r.err);
	cr_expect(strstr(r.out, " ro,nosuid"), "%s", r.out);
	char *p = path("new");
	cr_expect_neq(access(p, F_OK), 0, "the container wrote through --bind-ro");
	free(p);
	run_result_free(&r);
}

Test(mounts, bind_one_path_escapes_and_plus)
{
	mkscratch();
	char *dir = path("a:b");
	cr_assert_eq(mkdir(dir, 0755), 0);
	write_file("a:b/f", "colon\n");
	/* One path: the same path inside; "\:" is a colon; "+" is inside the root. */
	char *one = opt("--bind-ro=%s/a\\:b", scratch);
	char *esc = NULL;
	cr_assert(asprintf(&esc, "--bind-ro=%s/a\\:b:/tmp/esc", scratch) > 0);
	char *script = opt("cat '%s/f' /tmp/esc/f /tmp/plus/passwd | head -3", dir);
	struct run_result r;
	RUN(&r, "bindone", script, one, esc, "--bind-ro=+/etc:/tmp/plus");
	ASSERT_STATUS(r, 0);
	cr_expect_eq(count_substr(r.out, "colon"), 2, "%s", r.out);
	cr_expect(strstr(r.out, "root:"), "%s", r.out);
	run_result_free(&r);
}

/* rbind (the default) brings submounts, norbind does not. The submount is
 * made in a mount namespace of this test process only. */
Test(mounts, rbind_and_norbind)
{
	mkscratch();
	cr_assert_eq(unshare(CLONE_NEWNS), 0);
	cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	char *sub = path("sub");
	cr_assert_eq(mkdir(sub, 0755), 0);
	cr_assert_eq(mount("tmpfs", sub, "tmpfs", 0, "mode=0755"), 0);
	struct run_result r;
	RUN(&r, "rbind", "stat -f -c 'R %T' /tmp/r/sub; stat -f -c 'N %T' /tmp/n/sub",
	    opt("--bind=%s:/tmp/r", scratch), opt("--bind=%s:/tmp/n:norbind", scratch));
	umount2(sub, MNT_DETACH);
	ASSERT_STATUS(r, 0);
	cr_expect(strstr(r.out, "R tmpfs"), "%s", r.out);
	cr_expect(!strstr(r.out, "N tmpfs"), "%s", r.out);
	run_result_free(&r);
}

Test(mounts, tmpfs_default_and_options)
{
	need_rootfs();
	struct run_result r;
	RUN(&r, "tmpfs", "stat -c 'T1 %a %u' /tmp/t1; stat -c 'T2 %a %u' /tmp/t2; "
			 "grep -E ' /tmp/t[12] ' /proc/self/mountinfo",
	    "--tmpfs=/tmp/t1", "--tmpfs=/tmp/t2:mode=1777,size=1m,noexec,uid=5");
	ASSERT_STATUS(r, 0);
	cr_expect(strstr(r.out, "T1 755 0"), "%s", r.out);
	cr_expect(strstr(r.out, "T2 1777 5"), "%s", r.out);
	cr_expect(strstr(r.out, "size=1024k"), "%s", r.out);
	cr_expect(strstr(r.out, "nosuid,nodev,noexec"), "%s", r.out);
	run_result_free(&r);
}

static bool has_workdir(void)
{
	DIR *d = opendir(scratch);
	cr_assert_not_null(d);
	bool found = false;
	for (struct dirent *e; (e = readdir(d));)
		found |= strncmp(e->d_name, ".#", 2) == 0;
	closedir(d);
	return found;
}

/* nspawn's order: the left-most path is the lowest layer, the second to
 * last the writable top, the last the mount point. */
Test(mounts, overlay_stacking_order_and_workdir)
{
	mkscratch();
	sh("mkdir @/l1 @/l2 @/up");
	write_file("l1/a", "A-from-l1\n");
	write_file("l1/b", "B-from-l1\n");
	write_file("l2/a", "A-from-l2\n");
	char *lb = path("l1/b");
	chmod(lb, 0666); /* host root's: the container's root is "others" here */
	char *up = path("up");
	chmod(up, 0777);
	char *o = NULL;
	cr_assert(asprintf(&o, "--overlay=%s/l1:%s/l2:%s/up:/tmp/o", scratch, scratch, scratch) > 0);
	struct run_result r;
	RUN(&r, "overlay", "cat /tmp/o/a /tmp/o/b; echo new > /tmp/o/c; echo changed > /tmp/o/b; "
			   "grep -c ' /tmp/o .*overlay' /proc/self/mountinfo", o);
	ASSERT_STATUS(r, 0);
	cr_expect(strstr(r.out, "A-from-l2") && strstr(r.out, "B-from-l1"), "%s", r.out);
	char *c = path("up/c"), *b = path("up/b"), *l1b = path("l1/b");
	cr_expect_eq(access(c, F_OK), 0, "write did not land in the upper dir");
	cr_expect_eq(access(b, F_OK), 0, "copy-up did not land in the upper dir");
	char *orig = read_file_str(l1b);
	cr_expect_str_eq(orig, "B-from-l1\n", "lower layer changed");
	/* The work directory was made beside the upper one and is gone. */
	cr_expect(!has_workdir(), "overlay work directory left in %s", scratch);
	run_result_free(&r);
}

Test(mounts, overlay_two_paths_and_read_only)
{
	mkscratch();
	sh("mkdir @/low @/top");
	write_file("low/x", "low\n");
	write_file("top/y", "top\n");
	char *two = NULL, *ro = NULL;
	cr_assert(asprintf(&two, "--overlay=%s/low:%s/top", scratch, scratch) > 0);
	cr_assert(asprintf(&ro, "--overlay-ro=%s/low:%s/top:/tmp/ro", scratch, scratch) > 0);
	char *script = NULL;
	/* Two paths: the second is the top layer and the mount point. */
	cr_assert(asprintf(&script, "cat %s/top/x %s/top/y /tmp/ro/x /tmp/ro/y; "
			   "touch /tmp/ro/z || echo RO-DENIED", scratch, scratch) > 0);
	struct run_result r;
	RUN(&r, "overlay2", script, two, ro);
	ASSERT_STATUS(r, 0);
	cr_expect_eq(count_substr(r.out, "low"), 2, "%s", r.out);
	cr_expect_eq(count_substr(r.out, "top"), 2, "%s", r.out);
	cr_expect(strstr(r.out, "RO-DENIED"), "%s", r.out);
	cr_expect(!has_workdir(), "overlay work directory left in %s", scratch);
	run_result_free(&r);
}

Test(mounts, inaccessible_by_type_and_run_host_nodes)
{
	need_rootfs();
	struct run_result r;
	RUN(&r, "inacc", "cat /etc/passwd >/dev/null || echo FILE-MASKED; "
			 "ls /home >/dev/null || echo DIR-MASKED; "
			 "head -c1 /dev/zero >/dev/null || echo CHR-MASKED; "
			 "cd /run/host/inaccessible && for n in reg dir chr blk fifo sock; do "
			 "  echo \"$n $(stat -c '%F %a' $n)\"; done",
	    "--inaccessible=/etc/passwd", "--inaccessible=/home", "--inaccessible=/dev/zero");
	ASSERT_STATUS(r, 0);
	cr_expect(strstr(r.out, "FILE-MASKED") && strstr(r.out, "DIR-MASKED") &&
		  strstr(r.out, "CHR-MASKED"), "%s\n%s", r.out, r.err);
	static const char *const want[] = {"reg regular empty file 0", "dir directory 0",
					   "chr character special file 0",
					   "blk block special file 0", "fifo fifo 0", "sock socket 0"};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		cr_expect(strstr(r.out, want[i]), "missing '%s' in\n%s", want[i], r.out);
	run_result_free(&r);
}

Test(mounts, read_only_root_but_binds_stay_writable)
{
	mkscratch();
	chmod(scratch, 0777);
	struct run_result r;
	RUN(&r, "ro", "touch /hutch-ro-probe || echo ROOT-RO; touch /tmp/x && echo TMP-RW; "
		      "touch /tmp/m/w && echo BIND-RW",
	    "--read-only", opt("--bind=%s:/tmp/m", scratch));
	ASSERT_STATUS(r, 0);
	cr_expect(strstr(r.out, "ROOT-RO") && strstr(r.out, "TMP-RW") && strstr(r.out, "BIND-RW"),
		  "%s\n%s", r.out, r.err);
	char probe[4200];
	snprintf(probe, sizeof probe, "%s/hutch-ro-probe", test_rootfs());
	cr_expect_neq(access(probe, F_OK), 0);
	run_result_free(&r);
}

Test(mounts, volatile_state_and_overlay_leave_the_tree_alone)
{
	need_rootfs();
	struct run_result r;
	RUN(&r, "volstate", "touch /etc/vprobe || echo ETC-RO; touch /var/vprobe && echo VAR-RW; "
			    "stat -f -c 'VAR %T' /var", "--volatile=state");
	ASSERT_STATUS(r, 0);
	cr_expect(strstr(r.out, "ETC-RO") && strstr(r.out, "VAR-RW") && strstr(r.out, "VAR tmpfs"),
		  "%s\n%s", r.out, r.err);
	run_result_free(&r);
	RUN(&r, "volov", "echo x > /tmp/vprobe && mkdir /vprobe && grep -q ' / / .*- overlay ' "
		       "/proc/self/mountinfo && echo ROOT overlay",
	    "--volatile=overlay");
	ASSERT_STATUS(r, 0);
	cr_expect(strstr(r.out, "ROOT overlay"), "%s\n%s", r.out, r.err);
	char probe[4200];
	snprintf(probe, sizeof probe, "%s/vprobe", test_rootfs());
	cr_expect_neq(access(probe, F_OK), 0, "--volatile=overlay wrote into the tree");
	snprintf(probe, sizeof probe, "%s/var/vprobe", test_rootfs());
	cr_expect_neq(access(probe, F_OK), 0, "--volatile=state wrote into the tree");
	run_result_free(&r);
}

/* --volatile=yes needs a /usr-merged OS: the Debian fixture. */
Test(mounts, volatile_yes_is_tmpfs_with_usr_read_only)
{
	require_root_or_skip();
	require_debian_or_skip();
	struct run_result r;
	run_hutch(&r, 60, NULL,
		  ARGV("-q", "-P", "-D", debian_tree(), "-M", machine_name("volyes"), "--volatile",
		       "/bin/sh", "-c",
		       "stat -f -c 'ROOT %T' /; test -e /etc/debian_version || echo NO-ETC; "
		       "touch /new && echo ROOT-RW; touch /usr/new 2>/dev/null || echo USR-RO"));
	ASSERT_STATUS(r, 0);
	cr_expect(strstr(r.out, "ROOT tmpfs") && strstr(r.out, "NO-ETC") &&
		  strstr(r.out, "ROOT-RW") && strstr(r.out, "USR-RO"), "%s\n%s", r.out, r.err);
	run_result_free(&r);
}

/* 128 user mounts work; the 129th is refused before anything starts. */
Test(mounts, mount_count_limit, .timeout = 240)
{
	need_rootfs();
	const char *argv[140];
	size_t n = 0;
	argv[n++] = "-q";
	argv[n++] = "-P";
	argv[n++] = "-D";
	argv[n++] = test_rootfs();
	argv[n++] = "-M";
	argv[n++] = machine_name("limit");
	for (int i = 0; i < 128; i++) {
		char *o = NULL;
		cr_assert(asprintf(&o, "--tmpfs=/tmp/t%d", i) > 0);
		argv[n++] = o;
	}
	size_t cmd = n;
	argv[n++] = "/bin/sh";
	argv[n++] = "-c";
	argv[n++] = "grep -c ' /tmp/t[0-9]' /proc/self/mountinfo";
	argv[n] = NULL;
	struct run_result r;
	run_hutch(&r, 120, NULL, argv);
	ASSERT_STATUS(r, 0);
	cr_expect(strstr(r.out, "128"), "%s", r.out);
	run_result_free(&r);

	argv[cmd] = "--tmpfs=/tmp/one-too-many";
	argv[cmd + 1] = "/bin/true";
	argv[cmd + 2] = NULL;
	struct host_snapshot snap;
	host_snapshot_take(&snap);
	run_hutch(&r, 120, NULL, argv);
	ASSERT_STATUS(r, 1);
	cr_expect(strstr(r.err, "too many mounts") && strstr(r.err, "128"), "%s", r.err);
	host_snapshot_assert_same(&snap);
	host_snapshot_free(&snap);
	run_result_free(&r);
}

/* ---- refusals: one line naming the value, exit 1, nothing left behind --- */

static void expect_refused(const char *needle, const char *option)
{
	struct host_snapshot snap;
	host_snapshot_take(&snap);
	struct run_result r;
	run_hutch(&r, 60, NULL,
		  ARGV("-q", "-P", "-D", test_rootfs(), "-M", machine_name("refuse"), option,
		       "/bin/sh", "-c", "echo PAYLOAD-RAN"));
	cr_log_info("%s: %s", option, r.err);
	ASSERT_STATUS(r, 1);
	cr_expect(!strstr(r.out, "PAYLOAD-RAN"), "the payload ran");
	cr_expect_eq(count_substr(r.err, "\n"), 1, "not one line: %s", r.err);
	cr_expect(strstr(r.err, needle), "error does not mention '%s': %s", needle, r.err);
	host_snapshot_assert_same(&snap);
	host_snapshot_free(&snap);
	if (scratch[0])
		cr_expect(!has_workdir(), "overlay work directory left in %s", scratch);
	run_result_free(&r);
}

Test(mounts, refuses_missing_source)
{
	mkscratch();
	char *p = path("missing");
	expect_refused("No such file", opt("--bind=%s:/tmp/m", p));
}

Test(mounts, refuses_symlinked_source)
{
	mkscratch();
	char *l = path("link"), *l2 = path("dirlink");
	cr_assert_eq(symlink("/etc", l), 0);
	cr_assert_eq(symlink(scratch, l2), 0);
	expect_refused("symlink", opt("--bind=%s:/tmp/m", l));
	/* A symlink in the middle of the path as well. */
	expect_refused("symlink", opt("--bind=%s/link:/tmp/m", l2));
}

Test(mounts, refuses_dotdot_paths)
{
	need_rootfs();
	expect_refused("..", "--bind=/var/tmp/../../etc:/tmp/m");
	expect_refused("..", "--bind=/etc:/tmp/../../m");
	expect_refused("..", "--tmpfs=/tmp/..");
	expect_refused("absolute", "--bind=etc:/tmp/m");
}

Test(mounts, refuses_api_filesystem_targets)
{
	need_rootfs();
	expect_refused("/proc", "--tmpfs=/proc/sys/kernel");
	expect_refused("/proc", "--tmpfs=/proc");
	expect_refused("/sys", "--tmpfs=/sys/kernel");
	expect_refused("/sys", "--bind=/etc:/sys/fs/cgroup");
}

Test(mounts, refuses_symlinked_overlay_dirs)
{
	mkscratch();
	sh("mkdir @/l @/u && ln -s /etc @/link");
	char *o = NULL;
	cr_assert(asprintf(&o, "--overlay=%s/l:%s/link:/tmp/o", scratch, scratch) > 0);
	expect_refused("symlink", o);
	cr_assert(asprintf(&o, "--overlay=%s/link:%s/u:/tmp/o", scratch, scratch) > 0);
	expect_refused("symlink", o);
}

Test(mounts, refuses_bad_options)
{
	need_rootfs();
	expect_refused("bogus", "--bind=/etc:/tmp/m:bogus");
	expect_refused("suid", "--tmpfs=/tmp/t:suid");
	expect_refused("size", "--tmpfs=/tmp/t:size=lots");
	expect_refused("maybe", "--volatile=maybe");
	expect_refused("two paths", "--overlay=/etc");
	expect_refused("root directory", "--bind=/etc:/");
	expect_refused("/", "--inaccessible=/");
}

Test(mounts, refuses_idmap_without_userns)
{
	need_rootfs();
	struct run_result r;
	run_hutch(&r, 60, NULL,
		  ARGV("-q", "-P", "--private-users=no", "-D", test_rootfs(), "-M",
		       machine_name("idmapno"), "--bind=/etc:/tmp/m:idmap", "/bin/true"));
	ASSERT_STATUS(r, 1);
	cr_expect(strstr(r.err, "idmap needs a user namespace"), "%s", r.err);
	run_result_free(&r);
}

Test(mounts, refuses_missing_inaccessible_path)
{
	need_rootfs();
	expect_refused("/no-such-path", "--inaccessible=/no-such-path");
}
