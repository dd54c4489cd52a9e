/* hutch integration tests: -x/--ephemeral, --template=, -i/--image= (issue 4b). */
#include "../lib/harness.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------- */

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, f);
	cr_assert(vasprintf(&s, f, ap) >= 0);
	va_end(ap);
	return s;
}

/* Run a shell command on the host; its exit status. */
static int sh(const char *f, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *f, ...)
{
	va_list ap;
	char *cmd = NULL;
	va_start(ap, f);
	cr_assert(vasprintf(&cmd, f, ap) >= 0);
	va_end(ap);
	int ws = system(cmd);
	free(cmd);
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128;
}

static bool have_tool(const char *name)
{
	return sh("command -v %s >/dev/null 2>&1", name) == 0;
}

/* A scratch directory for this test, removed by the caller's cleanup(). */
static char *scratch(void)
{
	char *d = fmt("/tmp/fsroot-it-%d-XXXXXX", getpid());
	cr_assert(mkdtemp(d), "mkdtemp: %m");
	return d;
}

static void cleanup(const char *dir)
{
	sh("umount -l %s/mnt 2>/dev/null; rm -rf %s", dir, dir);
}

static bool exists(const char *p)
{
	struct stat st;
	return lstat(p, &st) == 0;
}

/* Loop devices whose backing file is `path` (parallel tests use others). */
static int loops_on(const char *path)
{
	glob_t g;
	int n = 0;
	if (glob("/sys/block/loop*/loop/backing_file", 0, NULL, &g) != 0)
		return 0;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		char *b = read_file_str(g.gl_pathv[i]);
		if (b) {
			b[strcspn(b, "\n")] = '\0';
			n += !strcmp(b, path);
			free(b);
		}
	}
	globfree(&g);
	return n;
}

/* Lines of our mountinfo that mention `needle`. */
static int mounts_mentioning(const char *needle)
{
	char *mi = read_file_str("/proc/self/mountinfo");
	int n = mi ? (int)count_substr(mi, needle) : 0;
	free(mi);
	return n;
}

/* Entries of `dir` whose name contains `needle`. */
static int entries_with(const char *dir, const char *needle)
{
	DIR *d = opendir(dir);
	int n = 0;
	cr_assert(d, "opendir %s: %m", dir);
	for (struct dirent *de; (de = readdir(d));)
		n += strstr(de->d_name, needle) != NULL;
	closedir(d);
	return n;
}

/* Poll for up to 30 s: the reaper works after hutch is gone when hutch is
 * killed, and the kernel detaches an autoclear loop device once the dead
 * container's mount namespace is torn down, which can lag under load. */
#define EVENTUALLY(cond)                                              \
	({                                                            \
		bool ok_ = false;                                     \
		for (int i_ = 0; i_ < 600 && !(ok_ = (cond)); i_++)   \
			usleep(50 * 1000);                            \
		ok_;                                                  \
	})

/* As PID 2 (-a), so that "kill -9 $$" is a payload SIGKILL the kernel delivers. */
static void run_in(struct run_result *r, const char *root, const char *extra, const char *script)
{
	run_hutch(r, 60, NULL,
		  ARGV("-q", "-P", "-a", "-D", root, extra, "-M", machine_name("fsr"), "/bin/sh",
		       "-c", script));
}

/* SIGKILL of hutch leaves its (soon empty) scope cgroup; the next start of
 * any machine sweeps it once no process is left in it. Do that here, so that
 * other tests' leak checks do not see it. */
static void forget_killed(const char *machine)
{
	char *procs = fmt("/sys/fs/cgroup/%smachine.slice/hutch-%s.scope/cgroup.procs",
			  access("/sys/fs/cgroup/unified", F_OK) == 0 ? "unified/" : "", machine);
	bool empty = EVENTUALLY(({
		char *p_ = read_file_str(procs);
		bool e_ = !p_ || !*p_;
		free(p_);
		e_;
	}));
	cr_expect(empty, "the killed container's processes are still there");
	struct run_result r;
	run_cmd(&r, "fsrsweep", "true");
	cr_expect_eq(r.status, 0, "the sweeping start failed: %s", r.err);
	run_result_free(&r);
	free(procs);
}

/* Start hutch with `argv`, wait for READY, send `sig` to hutch; its result. */
static void start_and_signal(struct run_result *r, const char *const argv[], int sig)
{
	struct hutch_proc p;
	cr_assert_eq(hutch_start(&p, NULL, argv), 0);
	bool ready = hutch_expect(&p, true, "READY", 30);
	kill(p.pid, sig);
	hutch_finish(&p, r, 30);
	cr_assert(ready, "payload never got ready\n--- stderr:\n%s", r->err);
}

/* ---- --ephemeral on a non-btrfs root: tmpfs overlay ---------------------- */

Test(fsroot, ephemeral_overlay_leaves_no_trace, .timeout = 120)
{
	need_rootfs();
	struct host_snapshot snap;
	host_snapshot_take(&snap);
	struct run_result r;
	run_in(&r, test_rootfs(), "-x",
	       "echo data > /ephemeral-marker && cat /ephemeral-marker && "
	       "grep -c ' / .* - overlay ' /proc/self/mountinfo && ls -ln / | grep -c ' 0  *0 '");
	ASSERT_STATUS(r, 0);
	cr_expect(strstr(r.out, "data\n1\n") != NULL, "overlay root not seen: %s", r.out);
	cr_expect(!strstr(r.out, "\n0\n"), "root's files not owned by the container's root: %s",
		  r.out);
	char *marker = fmt("%s/ephemeral-marker", test_rootfs());
	cr_expect(!exists(marker), "write went through to the real root");
	host_snapshot_assert_same(&snap);
	run_result_free(&r);

	/* payload SIGKILL (as PID 2, so the kernel delivers it), then hutch SIGTERM */
	run_in(&r, test_rootfs(), "-x", "touch /ephemeral-marker; exec kill -9 $$");
	cr_expect_eq(r.status, 137, "status %d\n%s", r.status, r.err);
	run_result_free(&r);
	start_and_signal(&r, ARGV("-q", "-P", "-x", "-D", test_rootfs(), "-M", machine_name("fsr"),
				  "/bin/sh", "-c", "touch /ephemeral-marker; echo READY; sleep 30"),
			 SIGTERM);
	cr_expect(!exists(marker), "write went through to the real root");
	host_snapshot_assert_same(&snap);
	run_result_free(&r);
	host_snapshot_free(&snap);
}

Test(fsroot, ephemeral_overlay_never_chowns_the_root, .timeout = 60)
{
	need_rootfs();
	struct stat before, after;
	char *etc = fmt("%s/etc", test_rootfs());
	cr_assert_eq(stat(etc, &before), 0);
	struct run_result r;
	run_hutch(&r, 60, NULL,
		  ARGV("-q", "-P", "-x", "--private-users-ownership=chown", "-D", test_rootfs(), "-M",
		       machine_name("fsr"), "/bin/true"));
	cr_assert_eq(r.status, 1, "status %d\n%s", r.status, r.err);
	cr_expect(strstr(r.err, "--ephemeral") && count_substr(r.err, "\n") == 1,
		  "expected one line naming --ephemeral: %s", r.err);
	cr_assert_eq(stat(etc, &after), 0);
	cr_expect_eq(before.st_uid, after.st_uid, "the root was chowned");
	run_result_free(&r);
}

Test(fsroot, option_conflicts, .timeout = 120)
{
	static const char *const bad[][4] = {
		{"-x", "-i", "/tmp/x.raw", "ephemeral"},
		{"-D", "/tmp", "--image=/tmp/x.raw", "--directory"},
		{"--template=/tmp", "-x", "-D/tmp/none", "--template"},
		{"--template=/tmp", "-i", "/tmp/x.raw", "--template"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct run_result r;
		run_hutch(&r, 30, NULL, ARGV(bad[i][0], bad[i][1], bad[i][2], "/bin/true"));
		cr_expect_eq(r.status, 1, "%s %s %s: status %d", bad[i][0], bad[i][1], bad[i][2],
			     r.status);
		cr_expect(strstr(r.err, bad[i][3]) && count_substr(r.err, "\n") == 1,
			  "expected one line naming %s: %s", bad[i][3], r.err);
		run_result_free(&r);
	}
}

/* [Exec] Ephemeral= is privileged: taken from a trusted .nspawn file,
 * ignored (with a notice) from the untrusted one beside the root. */
Test(fsroot, ephemeral_nspawn_key_trusted_only, .timeout = 60)
{
	need_rootfs();
	const char *name = machine_name("fsrkey");
	char *trusted = fmt("/run/systemd/nspawn/%s.nspawn", name);
	char *beside = fmt("%s/../%s.nspawn", test_rootfs(), name);
	const char *script = "grep -c ' / .* - overlay ' /proc/self/mountinfo; true";
	struct run_result r;
	cr_assert_eq(sh("mkdir -p /run/systemd/nspawn && printf '[Exec]\\nEphemeral=yes\\n' > %s",
			trusted),
		     0);
	run_hutch(&r, 60, NULL, ARGV("-q", "-P", "-D", test_rootfs(), "-M", name, "/bin/sh", "-c", script));
	unlink(trusted);
	ASSERT_STATUS(r, 0);
	cr_expect_str_eq(r.out, "1\n", "trusted Ephemeral=yes not applied: %s", r.out);
	run_result_free(&r);

	cr_assert_eq(sh("printf '[Exec]\\nEphemeral=yes\\n' > %s", beside), 0);
	run_hutch(&r, 60, NULL, ARGV("-q", "-P", "-D", test_rootfs(), "-M", name, "/bin/sh", "-c", script));
	unlink(beside);
	ASSERT_STATUS(r, 0);
	cr_expect_str_eq(r.out, "0\n", "untrusted Ephemeral=yes applied: %s", r.out);
	cr_expect(strstr(r.err, "Ephemeral=") != NULL, "no notice: %s", r.err);
	run_result_free(&r);
}

/* ---- btrfs: snapshots ------------------------------------------------------ */

/* A loop-mounted btrfs at DIR/mnt with the rootfs in subvolume DIR/mnt/root. */
static void btrfs_fixture(const char *dir)
{
	need_rootfs();
	char *fs = read_file_str("/proc/filesystems");
	bool kernel = fs && strstr(fs, "\tbtrfs\n");
	free(fs);
	if (!kernel)
		cr_skip_test("the kernel has no btrfs");
	if (!have_tool("mkfs.btrfs") || !have_tool("btrfs"))
		cr_skip_test("needs btrfs-progs (mkfs.btrfs, btrfs)");
	harness_lock_shared(); /* our mount must not show in others' leak checks */
	cr_assert_eq(sh("cd %s && truncate -s 300M fs.img && mkfs.btrfs -q fs.img >/dev/null && "
			"mkdir mnt && mount -o loop fs.img mnt && "
			"btrfs -q subvolume create mnt/root >/dev/null && cp -a %s/. mnt/root/",
			dir, test_rootfs()),
		     0, "cannot build the btrfs fixture");
}

Test(fsroot, ephemeral_btrfs_snapshot_removed_on_every_exit, .timeout = 180)
{
	char *dir = scratch();
	btrfs_fixture(dir);
	char *mnt = fmt("%s/mnt", dir), *root = fmt("%s/mnt/root", dir);
	char *marker = fmt("%s/marker", root);
	struct run_result r;

	run_in(&r, root, "-x", "touch /marker && grep ' / ' /proc/self/mountinfo");
	ASSERT_STATUS(r, 0);
	cr_expect(strstr(r.out, ".#root.hutch-ephemeral-") && strstr(r.out, "btrfs"),
		  "not on a btrfs snapshot: %s", r.out);
	cr_expect_eq(entries_with(mnt, "hutch-ephemeral"), 0, "snapshot left after exit");
	cr_expect_eq(mounts_mentioning("hutch-ephemeral"), 0, "snapshot still mounted on the host");
	run_result_free(&r);

	run_in(&r, root, "-x", "touch /marker; exec kill -9 $$");
	cr_expect_eq(r.status, 137);
	cr_expect_eq(entries_with(mnt, "hutch-ephemeral"), 0, "snapshot left after payload SIGKILL");
	run_result_free(&r);

	start_and_signal(&r, ARGV("-q", "-P", "-x", "-D", root, "-M", machine_name("fsr"),
				  "/bin/sh", "-c", "touch /marker; echo READY; sleep 30"),
			 SIGTERM);
	cr_expect_eq(entries_with(mnt, "hutch-ephemeral"), 0, "snapshot left after SIGTERM");
	run_result_free(&r);

	/* SIGKILL of hutch itself: the reaper (holding the snapshot's lock) removes it. */
	start_and_signal(&r, ARGV("-q", "-P", "-x", "-D", root, "-M", machine_name("fsrkill"),
				  "/bin/sh", "-c", "touch /marker; echo READY; sleep 30"),
			 SIGKILL);
	forget_killed(machine_name("fsrkill"));
	cr_expect(EVENTUALLY(entries_with(mnt, "hutch-ephemeral") == 0),
		  "snapshot left after SIGKILL of hutch");
	run_result_free(&r);
	cr_expect(!exists(marker), "a write reached the real root");

	/* A leftover nobody holds (reaper killed too, host crash): removed next time. */
	cr_assert_eq(sh("btrfs -q subvolume snapshot %s %s/.#root.hutch-ephemeral-00000000deadbeef "
			">/dev/null",
			root, mnt),
		     0);
	run_in(&r, root, "-x", "true");
	ASSERT_STATUS(r, 0);
	cr_expect_eq(entries_with(mnt, "hutch-ephemeral"), 0, "stale snapshot not removed");
	run_result_free(&r);
	cleanup(dir);
}

Test(fsroot, template_btrfs_is_a_snapshot, .timeout = 120)
{
	char *dir = scratch();
	btrfs_fixture(dir);
	char *target = fmt("%s/mnt/new", dir);
	struct run_result r;
	run_hutch(&r, 60, NULL,
		  ARGV("-q", "-P", "-D", target, fmt("--template=%s/mnt/root", dir), "-M",
		       machine_name("fsr"), "/bin/cat", "/etc/os-release"));
	ASSERT_STATUS(r, 0);
	struct stat st;
	cr_assert_eq(stat(target, &st), 0);
	cr_expect_eq(st.st_ino, 256, "not a btrfs subvolume (inode %lu)", (unsigned long)st.st_ino);
	cr_expect_eq(entries_with(fmt("%s/mnt", dir), ".#"), 0, "temporary left behind");
	run_result_free(&r);
	cleanup(dir);
}

/* ---- --template: a copy ----------------------------------------------------- */

Test(fsroot, template_copy_preserves_everything, .timeout = 120)
{
	need_rootfs();
	char *dir = scratch();
	char *tmpl = fmt("%s/tmpl", dir), *target = fmt("%s/new/root", dir);
	cr_assert_eq(sh("cp -a %s %s && mkdir %s/new", test_rootfs(), tmpl, dir), 0);
	/* Owners, modes, setuid, a hard link, a device node, a FIFO, a dangling and an
	 * escaping symlink, an xattr and an ACL, odd timestamps. */
	cr_assert_eq(sh("cd %s && mkdir -p srv/deep && echo x > srv/f && chown 1234:5678 srv/f && "
			"chmod 4751 srv/f && ln srv/f srv/hard && mknod srv/null c 1 3 && "
			"mkfifo srv/fifo && ln -s /etc/shadow srv/escape && ln -s nowhere srv/dangling && "
			"chmod 0500 srv/deep && touch -d '2001-02-03 04:05:06' srv/f srv/deep && "
			"setfacl -m u:4321:rx srv",
			tmpl),
		     0);
	char *f = fmt("%s/srv/f", tmpl);
	cr_assert_eq(setxattr(f, "user.hutch", "v1", 2, 0), 0, "setxattr: %m");

	struct run_result r;
	run_hutch(&r, 60, NULL,
		  ARGV("-q", "-P", "-D", target, fmt("--template=%s", tmpl), "-M", machine_name("fsr"),
		       "/bin/cat", "/srv/f"));
	ASSERT_STATUS(r, 0);
	cr_expect_str_eq(r.out, "x\n");
	cr_expect(!strstr(r.err, "copying"), "progress shown with -q / no tty: %s", r.err);
	run_result_free(&r);

	/* Same names, types, owners, modes, sizes, mtimes and link targets. */
	const char *listing = "find . -printf '%p %y %m %u %g %s %T@ %l %n\\n' | sort";
	cr_expect_eq(sh("(cd %s && %s) > %s/a && (cd %s && %s) > %s/b && diff %s/a %s/b >&2", tmpl,
			listing, dir, target, listing, dir, dir, dir),
		     0, "the copy differs from the template");
	struct stat a, b;
	cr_assert_eq(stat(fmt("%s/srv/f", target), &a), 0);
	cr_assert_eq(stat(fmt("%s/srv/hard", target), &b), 0);
	cr_expect(a.st_ino == b.st_ino && a.st_nlink == 2, "hard link not preserved");
	cr_assert_eq(lstat(fmt("%s/srv/null", target), &a), 0);
	cr_expect(S_ISCHR(a.st_mode) && a.st_rdev == makedev(1, 3), "device node not copied");
	char v[8] = "";
	cr_expect_eq(getxattr(fmt("%s/srv/f", target), "user.hutch", v, sizeof v), 2);
	cr_expect_str_eq(v, "v1");
	cr_expect(getxattr(fmt("%s/srv", target), "system.posix_acl_access", NULL, 0) > 0,
		  "ACL not copied");
	cr_expect_eq(entries_with(fmt("%s/new", dir), ".#"), 0, "temporary left behind");

	/* An existing root is used as is: the template is not copied again. */
	cr_assert_eq(sh("echo changed > %s/srv/f", target), 0);
	run_hutch(&r, 60, NULL,
		  ARGV("-q", "-P", "-D", target, fmt("--template=%s", tmpl), "-M", machine_name("fsr"),
		       "/bin/cat", "/srv/f"));
	ASSERT_STATUS(r, 0);
	cr_expect_str_eq(r.out, "changed\n");
	run_result_free(&r);
	cleanup(dir);
}

/* Holes stay holes (found in an audit: a sparse terabyte in a template
 * filled the disk), and data around them is copied where it was. */
Test(fsroot, template_copy_keeps_holes, .timeout = 120)
{
	need_rootfs();
	char *dir = scratch();
	char *tmpl = fmt("%s/tmpl", dir), *target = fmt("%s/new/root", dir);
	cr_assert_eq(sh("cp -a %s %s && mkdir %s/new && truncate -s 4G %s/sparse && "
			"printf head | dd of=%s/sparse conv=notrunc status=none && "
			"printf tail | dd of=%s/sparse bs=1 seek=2147483648 conv=notrunc status=none",
			test_rootfs(), tmpl, dir, tmpl, tmpl, tmpl),
		     0);
	struct run_result r;
	run_hutch(&r, 60, NULL,
		  ARGV("-q", "-P", "-D", target, fmt("--template=%s", tmpl), "-M", machine_name("fsr"),
		       "/bin/true"));
	ASSERT_STATUS(r, 0);
	run_result_free(&r);
	struct stat st;
	cr_assert_eq(stat(fmt("%s/sparse", target), &st), 0);
	cr_expect_eq(st.st_size, 4LL << 30);
	cr_expect_lt(st.st_blocks, 1024, "%lld blocks of 512 bytes: the holes were filled",
		     (long long)st.st_blocks);
	cr_expect_eq(sh("cmp %s/sparse %s/sparse", tmpl, target), 0, "contents differ");
	cleanup(dir);
}

Test(fsroot, template_failed_copy_leaves_nothing, .timeout = 120)
{
	need_rootfs();
	char *dir = scratch();
	/* A 2 MiB tmpfs cannot hold the rootfs: the copy fails half way. */
	harness_lock_shared();
	cr_assert_eq(sh("mkdir %s/mnt && mount -t tmpfs -o size=2m none %s/mnt", dir, dir), 0);
	struct run_result r;
	run_hutch(&r, 60, NULL,
		  ARGV("-q", "-P", "-D", fmt("%s/mnt/root", dir), fmt("--template=%s", test_rootfs()),
		       "-M", machine_name("fsr"), "/bin/true"));
	cr_expect_eq(r.status, 1, "status %d", r.status);
	cr_expect(strstr(r.err, "template") && count_substr(r.err, "\n") == 1,
		  "expected one line naming the template: %s", r.err);
	cr_expect_eq(entries_with(fmt("%s/mnt", dir), ""), 2, "partial copy left in the target");
	run_result_free(&r);

	/* A missing template: nothing made either. */
	run_hutch(&r, 60, NULL,
		  ARGV("-q", "-P", "-D", fmt("%s/mnt/root", dir), fmt("--template=%s/none", dir), "-M",
		       machine_name("fsr"), "/bin/true"));
	cr_expect_eq(r.status, 1);
	cr_expect_eq(entries_with(fmt("%s/mnt", dir), ""), 2);
	run_result_free(&r);
	cleanup(dir);
}

/* hutch killed while copying: the copy stops (PDEATHSIG), its unlocked
 * temporary is swept by the next start for the same root. */
Test(fsroot, template_killed_copy_swept_next_time, .timeout = 180)
{
	need_rootfs();
	require_debian_or_skip(); /* big enough to kill the copy half way */
	char *dir = scratch();
	char *target = fmt("%s/root", dir);
	struct hutch_proc p;
	cr_assert_eq(hutch_start(&p, NULL,
				 ARGV("-q", "-P", "-D", target, fmt("--template=%s", debian_tree()), "-M",
				      machine_name("fsrtk"), "/bin/true")),
		     0);
	bool seen = EVENTUALLY(entries_with(dir, ".hutch-template-") == 1);
	kill(p.pid, SIGKILL);
	struct run_result r;
	hutch_finish(&p, &r, 30);
	cr_assert(seen, "no copy in progress seen: %s", r.err);
	if (exists(target))
		cr_skip_test("the copy finished before SIGKILL arrived");
	cr_assert_eq(entries_with(dir, ".hutch-template-"), 1, "nothing left to sweep: not a test");
	run_result_free(&r);

	run_hutch(&r, 120, NULL,
		  ARGV("-q", "-P", "-D", target, fmt("--template=%s", test_rootfs()), "-M",
		       machine_name("fsr"), "/bin/cat", "/etc/os-release"));
	ASSERT_STATUS(r, 0);
	cr_expect_eq(entries_with(dir, ".hutch-template-"), 0, "the killed copy was not swept");
	run_result_free(&r);
	cleanup(dir);
}

/* On a terminal the copy shows its progress (the worker prints what the
 * broker's copy child reports). */
Test(fsroot, template_progress_on_a_tty, .timeout = 180)
{
	need_rootfs();
	require_debian_or_skip(); /* a copy long enough to report */
	char *dir = scratch();
	struct pty_session ps;
	int e = pty_spawn(&ps, ARGV("-D", fmt("%s/root", dir), fmt("--template=%s", debian_tree()),
				    "-M", machine_name("fsrtty"), "/bin/true"));
	cr_assert_eq(e, 0, "pty_spawn: %s", strerror(-e));
	bool shown = pty_expect(&ps, "files,", 60);
	cr_expect(shown, "no progress on the terminal:\n%s", ps.buf);
	cr_expect(strstr(ps.buf, "hutch: copying ") != NULL, "%s", ps.buf);
	kill(ps.pid, SIGKILL);
	pty_close(&ps);
	cleanup(dir);
}

/* ---- -i/--image ------------------------------------------------------------ */

static bool have_image_tools(void)
{
	return have_tool("mkfs.ext4") && have_tool("sfdisk");
}

/* kind: "plain", "gpt", "dps" or "mbr"; an ext4 file system holding the rootfs. */
static char *make_image(const char *dir, const char *kind)
{
	if (!have_image_tools())
		cr_skip_test("needs mkfs.ext4 (e2fsprogs) and sfdisk (fdisk)");
	char *img = fmt("%s/%s.raw", dir, kind);
	cr_assert_eq(sh("mkfs.ext4 -q -F -d %s %s/fs.ext4 64M >/dev/null 2>&1", test_rootfs(), dir),
		     0, "mkfs.ext4 -d failed");
	if (!strcmp(kind, "plain"))
		cr_assert_eq(sh("mv %s/fs.ext4 %s", dir, img), 0);
	else {
		/* "dps": an ESP first, the root by its Discoverable Partitions type. */
		const char *table =
			!strcmp(kind, "gpt")
				? "label: gpt\\nstart=2048, size=131072, "
				  "type=0FC63DAF-8483-4772-8E79-3D69D8477DE4\\n"
			: !strcmp(kind, "dps")
				? "label: gpt\\nstart=2048, size=2048, "
				  "type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B\\nstart=4096, size=131072, "
				  "type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709\\n"
				: "label: dos\\nstart=2048, size=131072, type=83, bootable\\n";
		cr_assert_eq(sh("truncate -s 72M %s && printf '%s' | sfdisk -q %s && "
				"dd if=%s/fs.ext4 of=%s bs=512 seek=%d conv=notrunc status=none",
				img, table, img, dir, img, !strcmp(kind, "dps") ? 4096 : 2048),
			     0, "cannot partition the image");
	}
	return img;
}

static void run_image(struct run_result *r, const char *img, const char *script)
{
	run_hutch(r, 60, NULL,
		  ARGV("-q", "-P", "-a", "-i", img, "-M", machine_name("fsr"), "/bin/sh", "-c",
		       script));
}

Test(fsroot, image_plain_gpt_dps_mbr, .timeout = 300)
{
	need_rootfs();
	char *dir = scratch();
	struct host_snapshot snap;
	host_snapshot_take(&snap);
	const char *kinds[] = {"plain", "gpt", "dps", "mbr"};
	for (size_t i = 0; i < 4; i++) {
		char *img = make_image(dir, kinds[i]);
		struct run_result r;
		run_image(&r, img,
			  "cat /etc/os-release | head -1; grep ' / ' /proc/self/mountinfo; "
			  "ls -ln /etc/os-release; touch /written");
		ASSERT_STATUS(r, 0);
		cr_expect(strstr(r.out, "ext4 /dev/loop") && strstr(r.out, "nosuid,nodev"),
			  "%s: root not the image's ext4 (nodev,nosuid): %s", kinds[i], r.out);
		cr_expect(strstr(r.out, " 0  *0 ") || strstr(r.out, " 0        0 "),
			  "%s: files not owned by the container's root (idmapped): %s", kinds[i], r.out);
		cr_expect(EVENTUALLY(loops_on(img) == 0), "%s: loop device left attached", kinds[i]);
		run_result_free(&r);
	}
	host_snapshot_assert_same(&snap);
	host_snapshot_free(&snap);
	cleanup(dir);
}

Test(fsroot, image_loop_released_on_every_exit, .timeout = 300)
{
	need_rootfs();
	char *dir = scratch();
	char *img = make_image(dir, "gpt");
	struct run_result r;

	run_image(&r, img, "exec kill -9 $$"); /* payload SIGKILL */
	cr_expect_eq(r.status, 137);
	cr_expect(EVENTUALLY(loops_on(img) == 0), "loop left after payload SIGKILL");
	run_result_free(&r);

	start_and_signal(&r, ARGV("-q", "-P", "-i", img, "-M", machine_name("fsr"), "/bin/sh",
				  "-c", "echo READY; sleep 30"),
			 SIGTERM);
	cr_expect(EVENTUALLY(loops_on(img) == 0), "loop left after SIGTERM of hutch");
	run_result_free(&r);

	start_and_signal(&r, ARGV("-q", "-P", "-i", img, "-M", machine_name("fsrkill"), "/bin/sh",
				  "-c", "echo READY; sleep 30"),
			 SIGKILL);
	forget_killed(machine_name("fsrkill"));
	cr_expect(EVENTUALLY(loops_on(img) == 0), "loop left after SIGKILL of hutch");
	run_result_free(&r);

	/* An error after the attach: no os-release in the image. */
	char *noos = fmt("%s/noos.raw", dir);
	cr_assert_eq(sh("mkfs.ext4 -q -F -d %s %s 64M >/dev/null 2>&1", test_rootfs_noos(), noos),
		     0);
	run_image(&r, noos, "true");
	cr_expect_eq(r.status, 1);
	cr_expect(strstr(r.err, "os-release"), "%s", r.err);
	cr_expect(EVENTUALLY(loops_on(noos) == 0), "loop left after an error after attach");
	run_result_free(&r);
	cleanup(dir);
}

Test(fsroot, image_hostile_files, .timeout = 120)
{
	need_rootfs();
	if (!have_image_tools())
		cr_skip_test("needs mkfs.ext4 (e2fsprogs) and sfdisk (fdisk)");
	char *dir = scratch();
	char *gpt = make_image(dir, "gpt");
	struct {
		const char *name, *make, *expect;
	} cases[] = {
		{"junk.raw", "head -c 1M /dev/urandom > $D/junk.raw", "not a disk image"},
		{"empty.raw", "truncate -s 0 $D/empty.raw", "too small"},
		{"truncated.raw", "head -c 600K $D/gpt.raw > $D/truncated.raw", "truncated"},
		/* two overlapping partitions */
		{"overlap.raw",
		 "truncate -s 8M $D/overlap.raw && printf 'label: gpt\\nstart=2048, size=4096\\n"
		 "start=6144, size=4096\\n' | sfdisk -q $D/overlap.raw && "
		 "python3 -c \"import sys,struct,zlib;f=open(sys.argv[1],'r+b');f.seek(1024+128+32);"
		 "f.write(struct.pack('<Q',3000));f.seek(1024);a=f.read(128*128);f.seek(512);"
		 "h=bytearray(f.read(92));h[88:92]=struct.pack('<I',zlib.crc32(a));h[16:20]=b'\\0'*4;"
		 "h[16:20]=struct.pack('<I',zlib.crc32(bytes(h)));f.seek(512);f.write(h)\" "
		 "$D/overlap.raw",
		 "overlap"},
		/* a huge partition count, with a correct header checksum */
		{"huge.raw",
		 "cp $D/gpt.raw $D/huge.raw && python3 -c \"import sys,struct,zlib;"
		 "f=open(sys.argv[1],'r+b');f.seek(512);h=bytearray(f.read(92));"
		 "h[80:84]=struct.pack('<I',0x7fffffff);h[16:20]=b'\\0'*4;"
		 "h[16:20]=struct.pack('<I',zlib.crc32(bytes(h)));f.seek(512);f.write(h)\" $D/huge.raw",
		 "partition entries"},
		/* ext4's magic and nothing else: attached, then the kernel refuses to
		 * mount it (an error after the loop device exists) */
		{"fakeext4.raw",
		 "truncate -s 8M $D/fakeext4.raw && printf '\\123\\357' | "
		 "dd of=$D/fakeext4.raw bs=1 seek=1080 conv=notrunc status=none",
		 "cannot mount image"},
		/* a partition beyond the end of the file */
		{"range.raw",
		 "truncate -s 8M $D/range.raw && printf 'label: gpt\\nstart=2048, size=4096\\n' | "
		 "sfdisk -q $D/range.raw && truncate -s 2M $D/range.raw",
		 "outside"},
	};
	(void)gpt;
	if (!have_tool("python3"))
		cr_skip_test("needs python3 to forge GPT headers");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cr_assert_eq(sh("D=%s; %s", dir, cases[i].make), 0, "cannot make %s", cases[i].name);
		char *img = fmt("%s/%s", dir, cases[i].name);
		struct run_result r;
		run_image(&r, img, "true");
		cr_expect_eq(r.status, 1, "%s: status %d", cases[i].name, r.status);
		cr_expect(strstr(r.err, cases[i].expect) && count_substr(r.err, "\n") == 1,
			  "%s: expected one line with '%s': %s", cases[i].name, cases[i].expect, r.err);
		cr_expect(EVENTUALLY(loops_on(img) == 0), "%s: loop device left", cases[i].name);
		run_result_free(&r);
	}
	/* A directory is not an image. */
	struct run_result r;
	run_image(&r, dir, "true");
	cr_expect_eq(r.status, 1);
	cr_expect(strstr(r.err, "not a regular file"), "%s", r.err);
	run_result_free(&r);
	cleanup(dir);
}
