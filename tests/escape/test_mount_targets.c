/* hutch escape regression suite: user mount targets and sources that are
 * symlinks (runc CVE-2021-30465, CVE-2019-19921, CVE-2025-52565 family;
 * DESIGN.md 3.5 and 6). An image that plants a symlink where a --bind,
 * --tmpfs, --overlay or --inaccessible target (or a "+" source) must be,
 * pointing at the host's /etc or at /proc, or a symlinked parent directory,
 * must make hutch refuse: exit 1, an error naming the option and saying
 * "symlink", the payload never runs, nothing left mounted on the host.
 *
 * Each test works on a private copy of the test rootfs, removed afterwards. */
#include "../lib/harness.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[4096];

static void cleanup(void)
{
	if (root[0]) {
		char cmd[4200];
		snprintf(cmd, sizeof cmd, "rm -rf --one-file-system '%s'", root);
		if (system(cmd) != 0)
			cr_log_info("%s failed", cmd);
	}
}

/* A copy of the rootfs with `link` (a path in it) -> `to`. */
static void plant(const char *tag, const char *link, const char *to)
{
	need_rootfs();
	snprintf(root, sizeof root, "%s-mnt-%s-%d", test_rootfs(), tag, (int)getpid());
	char cmd[30000];
	snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -a '%s' '%s' && mkdir -p '%s/lower' '%s/upper'",
		 root, test_rootfs(), root, root, root);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	char p[4300];
	snprintf(p, sizeof p, "%s%s", root, link);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", p); /* the tree may have it already */
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	cr_assert_eq(symlink(to, p), 0, "symlink %s -> %s: %s", p, to, strerror(errno));
}

/* hutch -D tree OPTION refuses: exit 1, one error naming the option and
 * saying `needle` (any case), the payload never ran, the host unchanged. */
static void refused_in(const char *tree, const char *option, const char *needle)
{
	char machine[64];
	snprintf(machine, sizeof machine, "esc-mnt-%d", (int)getpid());
	struct host_snapshot snap;
	host_snapshot_take(&snap);
	struct run_result r;
	run_hutch(&r, 60, NULL,
		  ARGV("-q", "-P", "-D", tree, "-M", machine, option, "/bin/sh", "-c",
		       "echo PAYLOAD-RAN"));
	cr_log_info("%s: status %d, %s", option, r.status, r.err);
	ASSERT_STATUS(r, 1);
	cr_expect(!strstr(r.out, "PAYLOAD-RAN"), "%s: the payload ran", option);
	cr_expect(strcasestr(r.err, needle), "%s: error does not say %s: %s", option, needle,
		  r.err);
	cr_expect(strstr(r.err, option), "%s: error does not name the option: %s", option, r.err);
	host_snapshot_assert_same(&snap);
	host_snapshot_free(&snap);
	run_result_free(&r);
}

static void expect_refused(const char *option)
{
	refused_in(root, option, "symlink");
}

TestSuite(mount_targets, .fini = cleanup, .timeout = 120);

Test(mount_targets, bind_target_symlink_to_host_etc)
{
	plant("bindetc", "/mnt", "/etc");
	expect_refused("--bind=/var/tmp:/mnt");
}

Test(mount_targets, bind_target_under_symlinked_parent)
{
	plant("bindparent", "/mnt", "/etc");
	expect_refused("--bind-ro=/var/tmp:/mnt/sub/dir");
}

Test(mount_targets, file_target_symlink_to_host_file)
{
	plant("bindfile", "/etc/planted", "/etc/shadow");
	expect_refused("--bind-ro=/etc/hostname:/etc/planted");
}

Test(mount_targets, tmpfs_target_symlink_to_proc)
{
	plant("tmpfsproc", "/data", "/proc/sys");
	expect_refused("--tmpfs=/data");
}

Test(mount_targets, tmpfs_target_relative_symlink_out_of_root)
{
	plant("tmpfsrel", "/data", "../../../../../../../etc");
	expect_refused("--tmpfs=/data/x");
}

Test(mount_targets, overlay_target_symlink)
{
	plant("ovtarget", "/mnt", "/etc");
	expect_refused("--overlay=+/lower:+/upper:/mnt");
}

Test(mount_targets, overlay_upper_symlink_in_image)
{
	plant("ovupper", "/uplink", "/etc");
	expect_refused("--overlay=+/lower:+/uplink:/tmp/o");
}

Test(mount_targets, plus_source_symlink_to_host)
{
	plant("plussrc", "/hostetc", "/etc");
	expect_refused("--bind-ro=+/hostetc:/tmp/m");
}

Test(mount_targets, inaccessible_target_symlink)
{
	plant("inacc", "/mask", "/etc/shadow");
	expect_refused("--inaccessible=/mask");
}

/* Kernel file systems are neither sources nor targets (found in an audit):
 * a non-recursive "+" copy of the container's /proc came without its masks
 * and read-only /proc/sys (made from the host's user namespace, before the
 * mounts are locked, so the kernel's own refusal never applied), and a
 * target below /proc passed where a mask's mount sat on its last component. */
static void refused_with(const char *option, const char *needle)
{
	need_rootfs();
	refused_in(test_rootfs(), option, needle);
}

Test(mount_targets, kernel_file_systems_neither_source_nor_target)
{
	const char *src = "as a source";
	refused_with("--bind=+/proc:/mnt:norbind", src);
	refused_with("--bind-ro=+/proc/sys:/mnt", src);
	refused_with("--bind-ro=+/sys:/mnt:norbind", src);
	refused_with("--overlay-ro=+/proc:/mnt", src);
	const char *target = "refusing to mount on or below /proc";
	refused_with("--bind-ro=+/etc/passwd:/proc/keys", target);
	refused_with("--tmpfs=/proc/sys/kernel/x", target);
	refused_with("--inaccessible=/proc/sys/kernel", target);
	refused_with("--inaccessible=/proc/keys", target);
}
