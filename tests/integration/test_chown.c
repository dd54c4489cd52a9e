/* hutch integration tests: the chown ownership shift (--private-users-ownership=chown):
 * POSIX ACLs, file capabilities, a tree too deep, a shift killed half way. */
#include "../lib/harness.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define BASE 1966080u
#define JOURNAL "trusted.hutch.chown"

/* A copy of the test rootfs in a new directory (dir: a mkdtemp template). */
static void make_tree(char *dir)
{
	need_rootfs();
	cr_assert(mkdtemp(dir));
	char cmd[8192];
	snprintf(cmd, sizeof cmd, "cp -a %s/. %s/", test_rootfs(), dir);
	cr_assert_eq(system(cmd), 0);
}

static void remove_tree(const char *dir)
{
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	cr_expect_eq(system(cmd), 0);
}

/* A host shell command; the tree is $D. */
static void sh(const char *script, const char *dir)
{
	cr_assert_eq(setenv("D", dir, 1), 0);
	cr_assert_eq(system(script), 0, "%s", script);
}

/* stdout of a host shell command; the tree is $D. */
static char *host_out(const char *script, const char *dir)
{
	cr_assert_eq(setenv("D", dir, 1), 0);
	FILE *f = popen(script, "r");
	cr_assert_not_null(f);
	static char buf[8192];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = 0;
	pclose(f);
	return buf;
}

static void run_chown(struct run_result *r, const char *dir, const char *range, const char *tag)
{
	run_hutch(r, 120, NULL,
		  ARGV("-q", "-P", range, "--private-users-ownership=chown", "-D", dir, "-M",
		       machine_name(tag), "/bin/cat", "/proc/self/uid_map"));
}

/* Files (symlinks too) whose uid or gid is outside [lo, lo+65536). */
static uint32_t range_lo;
static unsigned long outside, seen;
static int count_outside(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	seen++;
	if (st->st_uid - range_lo >= 65536u || st->st_gid - range_lo >= 65536u)
		outside++;
	return 0;
}

static unsigned long files_outside(const char *dir, uint32_t lo)
{
	range_lo = lo;
	outside = seen = 0;
	cr_assert_eq(nftw(dir, count_outside, 64, FTW_PHYS | FTW_MOUNT), 0);
	return outside;
}

Test(chown, acl_entries_in_range_are_shifted, .timeout = 180)
{
	char dir[] = "/tmp/chown-acl-XXXXXX";
	make_tree(dir);
	harness_hold_range(BASE);
	sh("touch $D/f && setfacl -m u:1000:rw,u:70000:r,g:100:r,g:80000:r $D/f && "
	   "mkdir $D/d && setfacl -m d:u:1000:rwx,d:u:70000:rx,d:g:0:rx,u:2000:rx $D/d", dir);
	struct run_result r;
	run_chown(&r, dir, "--private-users=1966080:65536", "chownacl");
	ASSERT_STATUS(r, 0);
	run_result_free(&r);
	const char *f = host_out("getfacl -n -p $D/f", dir);
	cr_expect(strstr(f, "\nuser:1967080:rw-\n"), "in range, shifted: %s", f);
	cr_expect(strstr(f, "\nuser:70000:r--\n"), "out of range, kept: %s", f);
	cr_expect(strstr(f, "\ngroup:1966180:r--\n"), "group in range: %s", f);
	cr_expect(strstr(f, "\ngroup:80000:r--\n"), "group out of range: %s", f);
	cr_expect(strstr(f, "# owner: 1966080\n"), "owner: %s", f);
	cr_expect(!strstr(f, "user:1000:"), "unshifted entry left: %s", f);
	const char *d = host_out("getfacl -n -p $D/d", dir);
	cr_expect(strstr(d, "\nuser:1968080:r-x\n"), "access entry of a directory: %s", d);
	cr_expect(strstr(d, "\ndefault:user:1967080:rwx\n"), "default ACL: %s", d);
	cr_expect(strstr(d, "\ndefault:user:70000:r-x\n"), "default, out of range: %s", d);
	cr_expect(strstr(d, "\ndefault:group:1966080:r-x\n"), "default group 0: %s", d);
	/* A new file in the directory inherits the shifted default entries. */
	sh("touch $D/d/new", dir);
	const char *n = host_out("getfacl -n -p $D/d/new", dir);
	cr_expect(strstr(n, "\nuser:1967080:rwx"), "inherited: %s", n);
	remove_tree(dir);
}

Test(chown, setuid_and_file_capabilities_survive, .timeout = 180)
{
	char dir[] = "/tmp/chown-caps-XXXXXX";
	make_tree(dir);
	harness_hold_range(BASE);
	sh("cp $D/bin/busybox $D/capv2 && setcap cap_net_raw+ep $D/capv2 && "
	   "cp $D/bin/busybox $D/capv3 && setcap -n 1000 cap_net_bind_service+ep $D/capv3", dir);
	sh("cp $D/bin/busybox $D/suid && chown 1000:1000 $D/suid && chmod 6755 $D/suid", dir);
	struct run_result r;
	run_chown(&r, dir, "--private-users=1966080:65536", "chowncaps");
	ASSERT_STATUS(r, 0);
	run_result_free(&r);
	const char *c = host_out("getcap -n $D/capv2 $D/capv3", dir);
	cr_expect(strstr(c, "capv2 cap_net_raw=ep\n"), "v2 capability: %s", c);
	cr_expect(strstr(c, "capv3 cap_net_bind_service=ep [rootid=1967080]\n"),
		  "v3 capability, root id shifted: %s", c);
	char p[4200];
	struct stat st;
	snprintf(p, sizeof p, "%s/suid", dir);
	cr_assert_eq(stat(p, &st), 0);
	cr_expect_eq(st.st_mode & 07777, 06755u, "mode %o", st.st_mode & 07777);
	cr_expect_eq(st.st_uid, BASE + 1000);
	cr_expect_eq(st.st_gid, BASE + 1000);
	snprintf(p, sizeof p, "%s/capv2", dir);
	cr_assert_eq(stat(p, &st), 0);
	cr_expect_eq(st.st_uid, BASE);
	remove_tree(dir);
}

Test(chown, too_deep_changes_nothing_then_completes, .timeout = 180)
{
	char dir[] = "/tmp/chown-deep-XXXXXX";
	make_tree(dir);
	/* 300 nested directories below /deep, with a file at the bottom. */
	sh("cd $D && mkdir deep && cd deep && for i in $(seq 300); do mkdir d && cd d || exit 1; done"
	   " && touch bottom", dir);
	struct run_result r;
	run_chown(&r, dir, "-U", "chowndeep");
	cr_expect_neq(r.status, 0);
	cr_expect(strstr(r.err, "deeper than 256"), "error: %s", r.err);
	cr_expect_eq(count_substr(r.err, "\n"), 1, "one line: %s", r.err);
	run_result_free(&r);
	cr_expect_eq(files_outside(dir, 0), 0ul, "%lu of %lu files changed", outside, seen);
	char j[16];
	cr_expect_lt(getxattr(dir, JOURNAL, j, sizeof j), 0, "a journal was left");
	sh("rm -rf $D/deep", dir);
	run_chown(&r, dir, "-U", "chowndeep2");
	ASSERT_STATUS(r, 0);
	unsigned long in = 1, out = 0, len = 0;
	cr_assert_eq(sscanf(r.out, "%lu %lu %lu", &in, &out, &len), 3);
	run_result_free(&r);
	cr_expect_eq(files_outside(dir, (uint32_t)out), 0ul, "%lu of %lu files unshifted", outside,
		     seen);
	cr_expect_lt(getxattr(dir, JOURNAL, j, sizeof j), 0, "journal left after success");
	remove_tree(dir);
}

static uint32_t journal_to(const char *dir)
{
	uint32_t j[4];
	ssize_t n = getxattr(dir, JOURNAL, j, sizeof j);
	return n == sizeof j ? j[2] : 0;
}

/* SIGKILL of hutch (its whole process group) in the middle of the walk. */
Test(chown, killed_shift_is_finished_by_next_start, .timeout = 240)
{
	char dir[] = "/tmp/chown-kill-XXXXXX";
	make_tree(dir);
	sh("mkdir $D/many && cd $D/many && seq 1 120000 | xargs touch && chown -R 1000:100 .", dir);
	struct hutch_proc p;
	cr_assert_eq(hutch_start(&p, NULL,
				 ARGV("-q", "-U", "--private-users-ownership=chown", "-D", dir, "-M",
				      machine_name("chownkill"), "/bin/true")),
		     0);
	uint32_t to = 0;
	for (int i = 0; i < 20000 && !(to = journal_to(dir)); i++)
		usleep(500);
	cr_assert_neq(to, 0u, "no journal seen");
	usleep(50000);
	kill(-p.pid, SIGKILL);
	struct run_result r;
	hutch_finish(&p, &r, 30);
	run_result_free(&r);
	usleep(200000); /* the broker is in the same group; let the kernel finish it */
	struct stat st;
	cr_assert_eq(stat(dir, &st), 0);
	cr_assert_eq(st.st_uid, 0u, "root shifted: the walk ended before the kill");
	cr_assert_eq(journal_to(dir), to, "journal gone after a kill");
	unsigned long before = files_outside(dir, to);
	cr_expect(before > 0 && before < seen, "%lu of %lu unshifted: no partial shift", before, seen);

	/* Another fixed range than the interrupted shift's is refused. */
	char other[64];
	snprintf(other, sizeof other, "--private-users=%u:65536", to + 65536u);
	run_chown(&r, dir, other, "chownkill1");
	cr_expect_neq(r.status, 0);
	cr_expect(strstr(r.err, "interrupted shift"), "error: %s", r.err);
	run_result_free(&r);
	cr_expect_eq(files_outside(dir, to), before, "the refused start changed files");

	/* pick again: the interrupted shift's range, and the rest shifted. */
	run_hutch(&r, 120, NULL,
		  ARGV("-q", "-U", "--private-users-ownership=chown", "-D", dir, "-M",
		       machine_name("chownkill2"), "/bin/cat", "/proc/self/uid_map"));
	ASSERT_STATUS(r, 0);
	unsigned long in = 1, out = 0, len = 0;
	cr_assert_eq(sscanf(r.out, "%lu %lu %lu", &in, &out, &len), 3);
	run_result_free(&r);
	cr_expect_eq(out, (unsigned long)to, "resumed into %lu, the journal said %u", out, to);
	cr_expect_eq(files_outside(dir, to), 0ul, "%lu of %lu files unshifted", outside, seen);
	char p2[4200];
	snprintf(p2, sizeof p2, "%s/many/77", dir);
	cr_assert_eq(stat(p2, &st), 0);
	cr_expect_eq(st.st_uid, to + 1000);
	cr_expect_eq(st.st_gid, to + 100);
	cr_expect_eq(journal_to(dir), 0u, "journal left after the resumed shift");
	remove_tree(dir);
}

/* Ranges that overlap cannot be told apart half way: refused up front. */
Test(chown, overlapping_ranges_are_refused, .timeout = 120)
{
	char dir[] = "/tmp/chown-overlap-XXXXXX";
	make_tree(dir);
	struct run_result r;
	run_chown(&r, dir, "--private-users=1000:65536", "chownoverlap");
	cr_expect_neq(r.status, 0);
	cr_expect(strstr(r.err, "overlap"), "error: %s", r.err);
	run_result_free(&r);
	cr_expect_eq(files_outside(dir, 0), 0ul, "%lu of %lu files changed", outside, seen);
	remove_tree(dir);
}

/* Progress on a terminal for a big tree; nothing with -q. */
Test(chown, progress_on_a_tty_quiet_with_q, .timeout = 180)
{
	char dir[] = "/tmp/chown-tty-XXXXXX";
	make_tree(dir);
	harness_hold_range(BASE);
	sh("mkdir $D/many && cd $D/many && seq 1 25000 | xargs touch", dir);
	struct pty_session ps;
	cr_assert_eq(pty_spawn(&ps, ARGV("-P", "--private-users=1966080:65536",
					 "--private-users-ownership=chown", "-D", dir, "-M",
					 machine_name("chowntty"), "/bin/true")),
		     0);
	cr_expect(pty_expect(&ps, "hutch: shifted file ownership: ", 60), "no progress: %s", ps.buf);
	cr_expect_eq(pty_wait(&ps, 60), 0, "%s", ps.buf);
	pty_close(&ps);
	sh("chown -R 0:0 $D", dir);
	cr_assert_eq(pty_spawn(&ps, ARGV("-q", "-P", "--private-users=1966080:65536",
					 "--private-users-ownership=chown", "-D", dir, "-M",
					 machine_name("chowntty2"), "/bin/true")),
		     0);
	cr_expect_eq(pty_wait(&ps, 60), 0, "%s", ps.buf);
	cr_expect(!strstr(ps.buf, "file ownership"), "progress with -q: %s", ps.buf);
	pty_close(&ps);
	cr_expect_eq(files_outside(dir, BASE), 0ul, "%lu of %lu files unshifted", outside, seen);
	remove_tree(dir);
}

static void put_journal(const char *dir, uint32_t from, uint32_t to)
{
	const uint32_t j[4] = {0x31484348u, from, to, 65536};
	cr_assert_eq(setxattr(dir, JOURNAL, j, sizeof j, 0), 0, "setxattr: %s", strerror(errno));
}

/* The journal as an interrupted shift leaves it (root not yet shifted):
 * "map" is refused, "yes" finishes into the journal's range; a journal
 * whose ranges do not hold the root's owner is not believed. */
Test(chown, journal_yes_resumes_map_refused_stale_ignored, .timeout = 180)
{
	char dir[] = "/tmp/chown-journal-XXXXXX";
	make_tree(dir);
	harness_hold_range(BASE);
	put_journal(dir, 0, BASE);
	struct run_result r;
	run_hutch(&r, 60, NULL,
		  ARGV("-q", "-P", "--private-users=yes", "--private-users-ownership=map", "-D", dir,
		       "-M", machine_name("chownjmap"), "/bin/true"));
	cr_expect_neq(r.status, 0);
	cr_expect(strstr(r.err, "interrupted chown shift"), "error: %s", r.err);
	run_result_free(&r);
	cr_expect_eq(files_outside(dir, 0), 0ul, "map changed %lu files", outside);
	run_hutch(&r, 60, NULL,
		  ARGV("-q", "-P", "--private-users=yes", "-D", dir, "-M", machine_name("chownjyes"),
		       "/bin/cat", "/proc/self/uid_map"));
	ASSERT_STATUS(r, 0);
	unsigned long in = 1, out = 0, len = 0;
	cr_assert_eq(sscanf(r.out, "%lu %lu %lu", &in, &out, &len), 3);
	run_result_free(&r);
	cr_expect_eq(out, (unsigned long)BASE);
	cr_expect_eq(files_outside(dir, BASE), 0ul, "%lu of %lu unshifted", outside, seen);
	cr_expect_eq(journal_to(dir), 0u, "journal left");

	/* Stale: neither range holds the root's owner (BASE now). */
	put_journal(dir, 3u * 65536, 4u * 65536);
	run_hutch(&r, 60, NULL,
		  ARGV("-q", "-P", "--private-users=yes", "-D", dir, "-M", machine_name("chownjold"),
		       "/bin/cat", "/proc/self/uid_map"));
	ASSERT_STATUS(r, 0);
	cr_assert_eq(sscanf(r.out, "%lu %lu %lu", &in, &out, &len), 3);
	run_result_free(&r);
	cr_expect_eq(out, (unsigned long)BASE, "a stale journal steered the range");
	cr_expect_eq(files_outside(dir, BASE), 0ul, "%lu of %lu moved", outside, seen);
	remove_tree(dir);
}

/* A journal names the range an interrupted shift went to; that is no reason
 * to take ids /etc/subuid delegates to a user (found in an audit: a forged
 * journal, e.g. in a tree copied with its xattrs, steered pick into a user's
 * block). The start is refused and nothing is shifted. */
Test(chown, journal_into_delegated_range_refused, .timeout = 180)
{
	char dir[] = "/tmp/chown-jdeleg-XXXXXX";
	make_tree(dir);
	put_journal(dir, 0, 1000u * 65536);
	harness_fake_subid_files("victim:65536000:65536\n", "");
	struct run_result r;
	run_hutch(&r, 60, NULL,
		  ARGV("-q", "-P", "-D", dir, "-M", machine_name("chownjdel"), "/bin/cat",
		       "/proc/self/uid_map"));
	cr_expect_neq(r.status, 0, "started: %s", r.out);
	cr_expect(!strstr(r.out, "65536000"), "the container got the delegated range: %s", r.out);
	run_result_free(&r);
	cr_expect_eq(files_outside(dir, 0), 0ul, "%lu files shifted into the delegated range",
		     outside);
	remove_tree(dir);
}

/* A file in the tree with a name outside it (a hard link) is never shifted:
 * that would change a host file the tree only links to (found in an audit).
 * Nothing is changed, and hutch says why; links inside the tree are fine. */
Test(chown, hard_link_out_of_the_tree_refused, .timeout = 180)
{
	char dir[] = "/tmp/chown-links-XXXXXX";
	make_tree(dir);
	harness_hold_range(BASE);
	char victim[64];
	snprintf(victim, sizeof victim, "/tmp/chown-victim-%d", (int)getpid());
	sh("echo inside > $D/inside && ln $D/inside $D/inside2", dir);
	cr_assert_eq(setenv("V", victim, 1), 0);
	sh("echo secret > $V && chmod 600 $V && ln $V $D/innocent", dir);
	struct run_result r;
	run_chown(&r, dir, "--private-users=1966080:65536", "chownlink");
	cr_expect_eq(r.status, 1);
	cr_expect(strstr(r.err, "hard link") && strstr(r.err, "nothing was changed"), "%s", r.err);
	run_result_free(&r);
	struct stat st;
	cr_assert_eq(stat(victim, &st), 0);
	cr_expect_eq(st.st_uid, 0u, "the host file was chowned to %u", st.st_uid);
	cr_expect_eq(files_outside(dir, 0), 0ul, "%lu files shifted", outside);
	/* Without the outside link, the inside pair is shifted with the rest. */
	sh("rm $D/innocent", dir);
	run_chown(&r, dir, "--private-users=1966080:65536", "chownlink2");
	ASSERT_STATUS(r, 0);
	run_result_free(&r);
	cr_expect_eq(files_outside(dir, 1966080), 0ul, "%lu of %lu unshifted", outside, seen);
	unlink(victim);
	remove_tree(dir);
}
