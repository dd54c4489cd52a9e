/* hutch integration tests: user namespaces (--private-users=, ownership). */
#include "../lib/harness.h"

#include <criterion/criterion.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/* The "outside" id of the container's uid 0, from /proc/self/uid_map. */
static unsigned long outside_of(const char *uid_map)
{
	unsigned long in = 1, out = 0, len = 0;
	cr_assert_eq(sscanf(uid_map, "%lu %lu %lu", &in, &out, &len), 3, "uid_map: %s", uid_map);
	cr_assert_eq(in, 0);
	return out;
}

Test(userns, default_pick_is_an_unprivileged_range, .timeout = 60)
{
	need_rootfs();
	struct run_result r;
	run_cmd(&r, "unspick", "cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups");
	ASSERT_STATUS(r, 0);
	unsigned long base = outside_of(r.out);
	cr_expect(base >= 524288 && base < 1878982656 && base % 65536 == 0,
		  "picked base %lu is not a 65536-aligned range in nspawn's window", base);
	cr_expect(strstr(r.out, "65536") != NULL, "range is not 65536 ids: %s", r.out);
	/* setgroups decided (allow, written by the privileged parent) before gid_map. */
	cr_expect(strstr(r.out, "allow") != NULL, "setgroups: %s", r.out);
	/* The range's lock file goes with the container (none pile up). */
	char lock[64];
	snprintf(lock, sizeof lock, "/run/hutch/uid-ranges/%lu", base);
	cr_expect(access(lock, F_OK) != 0, "%s left behind", lock);
	run_result_free(&r);
}

#define PICK_LO 8u      /* nspawn's pick window, in 65536-id ranges */
#define PICK_END 28671u

/* --private-users=pick takes no range that /etc/subuid or /etc/subgid
 * delegates to a user: with all of the window delegated but one range (half
 * in each file), that one is picked, whatever the tree's owner. */
Test(userns, pick_avoids_delegated_ids, .timeout = 60)
{
	need_rootfs();
	uint32_t rnd = 0;
	cr_assert_eq(getrandom(&rnd, sizeof rnd, 0), (ssize_t)sizeof rnd);
	uint32_t free_range = PICK_LO + 1 + rnd % (PICK_END - PICK_LO - 2);
	char subuid[128], subgid[128];
	snprintf(subuid, sizeof subuid, "tenant-a:%u:%u\n", PICK_LO * 65536,
		 (free_range - PICK_LO) * 65536);
	snprintf(subgid, sizeof subgid, "# comment\ntenant-b:%u:%u\n", (free_range + 1) * 65536,
		 (PICK_END - free_range - 1) * 65536);
	harness_fake_subid_files(subuid, subgid);
	struct run_result r;
	run_cmd(&r, "unsavoid", "cat /proc/self/uid_map");
	ASSERT_STATUS(r, 0);
	cr_expect_eq(outside_of(r.out), (unsigned long)free_range * 65536,
		     "picked %lu, the only free range is %u", outside_of(r.out), free_range * 65536);
	run_result_free(&r);
}

/* All of it delegated: one line that says so, exit 1, no container. */
Test(userns, pick_with_everything_delegated_fails_cleanly, .timeout = 60)
{
	need_rootfs();
	/* All but hutch's worker uids (delegating those is refused first). */
	char all[128];
	snprintf(all, sizeof all, "all:0:%u\nall:%u:%u\n", (unsigned)HUTCH_WORKER_UID,
		 HUTCH_WORKER_UID + HUTCH_WORKER_UIDS, 4294967295u - HUTCH_WORKER_UID - HUTCH_WORKER_UIDS);
	harness_fake_subid_files(all, "");
	struct run_result r;
	run_hutch(&r, 30, NULL, ARGV("-q", "-P", "-D", test_rootfs(), "-M", machine_name("unsall"),
				     "/bin/true"));
	ASSERT_STATUS(r, 1);
	cr_expect(strstr(r.err, "no free uid range") && strstr(r.err, "/etc/subuid"),
		  "stderr: %s", r.err);
	run_result_free(&r);
}

/* A user with delegated ids that hold hutch's worker uids could signal
 * workers from a user namespace of theirs: hutch refuses to start, whatever
 * the container, with one line naming the file, the line and the user,
 * and leaves nothing behind. */
static void refused_for_delegated_worker_uids(const char *subuid, const char *subgid,
					      const char *file, const char *userns)
{
	need_rootfs();
	harness_fake_subid_files(subuid, subgid);
	struct host_snapshot snap;
	host_snapshot_take(&snap);
	struct run_result r;
	run_hutch(&r, 30, NULL, ARGV("-q", "-P", userns, "-D", test_rootfs(), "-M",
				     machine_name("unswk"), "/bin/echo", "STARTED"));
	ASSERT_STATUS(r, 1);
	cr_expect(!strstr(r.out, "STARTED"), "the payload ran: %s", r.out);
	char want[128];
	snprintf(want, sizeof want, "%s line 2 delegates ids", file);
	const char *nl = strchr(r.err, '\n');
	cr_expect(strstr(r.err, want) && strstr(r.err, "to 'tenant7'") &&
			  strstr(r.err, "hutch's worker uids") && nl && !nl[1],
		  "expected one line with '%s': %s", want, r.err);
	host_snapshot_assert_same(&snap);
	host_snapshot_free(&snap);
	run_result_free(&r);
}

Test(userns, delegated_worker_uids_in_subuid_refused, .timeout = 60)
{
	char line[128];
	snprintf(line, sizeof line, "root:100000:65536\ntenant7:%u:65536\n",
		 HUTCH_WORKER_UID + HUTCH_WORKER_UIDS - 1); /* only the pool's last uid */
	refused_for_delegated_worker_uids(line, "", "/etc/subuid", "--private-users=pick");
}

Test(userns, delegated_worker_uids_in_subgid_refused, .timeout = 60)
{
	char line[128];
	snprintf(line, sizeof line, "# x\ntenant7:%u:1\n", (unsigned)HUTCH_WORKER_UID);
	refused_for_delegated_worker_uids("", line, "/etc/subgid", "--private-users=no");
}

/* No container range may hold a worker uid: its root could signal other
 * invocations' workers. */
Test(userns, fixed_range_over_worker_uids_refused, .timeout = 60)
{
	need_rootfs();
	struct host_snapshot snap;
	host_snapshot_take(&snap);
	char opt[64];
	snprintf(opt, sizeof opt, "--private-users=%u:65536", HUTCH_WORKER_UID - 65535u);
	struct run_result r;
	run_hutch(&r, 30, NULL, ARGV("-q", "-P", opt, "-D", test_rootfs(), "-M",
				     machine_name("unswkfix"), "/bin/echo", "STARTED"));
	ASSERT_STATUS(r, 1);
	cr_expect(!strstr(r.out, "STARTED"), "the payload ran: %s", r.out);
	cr_expect(strstr(r.err, "overlaps hutch's worker uids"), "stderr: %s", r.err);
	host_snapshot_assert_same(&snap);
	host_snapshot_free(&snap);
	run_result_free(&r);
}

/* A fixed range that overlaps delegated ids is used, as nspawn would, with
 * a warning; malformed lines are reported, not guessed at. */
Test(userns, fixed_range_over_delegated_ids_warns, .timeout = 60)
{
	need_rootfs();
	harness_fake_subid_files("bob:2000000000:65536\nbroken line\n", "");
	struct run_result r;
	run_hutch(&r, 30, NULL, ARGV("-q", "-P", "--private-users=2000000000:65536", "-D",
				     test_rootfs(), "-M", machine_name("unsfix"), "/bin/cat",
				     "/proc/self/uid_map"));
	ASSERT_STATUS(r, 0);
	cr_expect_eq(outside_of(r.out), 2000000000ul);
	cr_expect(strstr(r.err, "overlaps ids /etc/subuid"), "stderr: %s", r.err);
	cr_expect(strstr(r.err, "/etc/subuid: 1 malformed line ignored (the first is line 2)"),
		  "stderr: %s", r.err);
	run_result_free(&r);
}

Test(userns, private_users_no_is_the_host_range, .timeout = 60)
{
	need_rootfs();
	struct run_result r;
	run_hutch(&r, 30, NULL,
		  ARGV("-q", "-P", "--private-users=no", "-D", test_rootfs(), "-M",
		       machine_name("unsno"), "/bin/cat", "/proc/self/uid_map"));
	ASSERT_STATUS(r, 0);
	cr_expect(strstr(r.out, "4294967295") != NULL, "uid_map: %s", r.out);
	run_result_free(&r);
}

/* Two containers running at once never share a range (flock per range). */
Test(userns, concurrent_picks_differ, .timeout = 90)
{
	need_rootfs();
	struct hutch_proc a, b;
	const char *script = "cat /proc/self/uid_map; echo READY; sleep 2";
	cr_assert_eq(hutch_start(&a, NULL, ARGV("-q", "-P", "-D", test_rootfs(), "-M",
						  machine_name("unsa"), "/bin/sh", "-c", script)),
		     0);
	cr_assert_eq(hutch_start(&b, NULL, ARGV("-q", "-P", "-D", test_rootfs(), "-M",
						  machine_name("unsb"), "/bin/sh", "-c", script)),
		     0);
	cr_assert(hutch_expect(&a, true, "READY", 20));
	cr_assert(hutch_expect(&b, true, "READY", 20));
	struct run_result ra, rb;
	hutch_finish(&a, &ra, 20);
	hutch_finish(&b, &rb, 20);
	ASSERT_STATUS(ra, 0);
	ASSERT_STATUS(rb, 0);
	cr_expect_neq(outside_of(ra.out), outside_of(rb.out), "both containers got %s", ra.out);
	run_result_free(&ra);
	run_result_free(&rb);
}

Test(userns, fixed_range_in_use_is_refused, .timeout = 90)
{
	need_rootfs();
	struct hutch_proc a;
	cr_assert_eq(hutch_start(&a, NULL, ARGV("-q", "-P", "--private-users=2013265920:65536",
						  "-D", test_rootfs(), "-M", machine_name("unsfa"),
						  "/bin/sh", "-c", "echo READY; sleep 2")),
		     0);
	cr_assert(hutch_expect(&a, true, "READY", 20));
	struct run_result rb;
	run_hutch(&rb, 30, NULL,
		  ARGV("-q", "-P", "--private-users=2013265920:65536", "-D", test_rootfs(), "-M",
		       machine_name("unsfb"), "/bin/true"));
	ASSERT_STATUS(rb, 1);
	cr_expect(strstr(rb.err, "in use") != NULL, "stderr: %s", rb.err);
	struct run_result ra;
	hutch_finish(&a, &ra, 20);
	ASSERT_STATUS(ra, 0);
	run_result_free(&ra);
	run_result_free(&rb);
}

/* Idmapped root: nothing on disk changes; what root creates is root's on disk. */
Test(userns, idmapped_root_keeps_disk_ownership, .timeout = 60)
{
	need_rootfs();
	char path[4096];
	snprintf(path, sizeof path, "%s/root/idmap-probe-%d", test_rootfs(), (int)getpid());
	struct run_result r;
	char script[256];
	snprintf(script, sizeof script, "touch /root/idmap-probe-%d && stat -c %%u /root/idmap-probe-%d",
		 (int)getpid(), (int)getpid());
	run_hutch(&r, 30, NULL,
		  ARGV("-q", "-P", "--private-users-ownership=map", "-D", test_rootfs(), "-M",
		       machine_name("unsmap"), "/bin/sh", "-c", script));
	ASSERT_STATUS(r, 0);
	struct stat st;
	cr_assert_eq(stat(path, &st), 0, "probe file missing on the host");
	unlink(path);
	cr_expect_eq(st.st_uid, 0, "container root's file is uid %u on disk", st.st_uid);
	cr_expect(strncmp(r.out, "0", 1) == 0, "inside, the file is owned by %s", r.out);
	run_result_free(&r);
}

/* nspawn -U's chown shift, then "yes" finds the shifted range again. */
Test(userns, chown_shift_then_yes, .timeout = 120)
{
	need_rootfs();
	char dir[] = "/tmp/userns-chown-test-XXXXXX";
	cr_assert(mkdtemp(dir));
	harness_hold_range(1966080); /* test_chown.c's BASE too */
	char cmd[8192];
	snprintf(cmd, sizeof cmd, "cp -a %s/. %s/", test_rootfs(), dir);
	cr_assert_eq(system(cmd), 0);
	struct run_result r;
	run_hutch(&r, 60, NULL,
		  ARGV("-q", "-P", "--private-users=1966080:65536", "--private-users-ownership=chown",
		       "-D", dir, "-M", machine_name("unschown"), "/bin/sh", "-c",
		       "stat -c %u /bin/busybox /home/tester"));
	ASSERT_STATUS(r, 0);
	cr_expect_str_eq(r.out, "0\n1000\n");
	struct stat st;
	char p[4200];
	snprintf(p, sizeof p, "%s/home/tester", dir);
	cr_assert_eq(stat(p, &st), 0);
	cr_expect_eq(st.st_uid, 1966080u + 1000u, "home on disk: uid %u", st.st_uid);
	run_result_free(&r);
	run_hutch(&r, 60, NULL,
		  ARGV("-q", "-P", "--private-users=yes", "-D", dir, "-M", machine_name("unsyes"),
		       "/bin/cat", "/proc/self/uid_map"));
	ASSERT_STATUS(r, 0);
	cr_expect_eq(outside_of(r.out), 1966080ul);
	run_result_free(&r);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	cr_expect_eq(system(cmd), 0);
}
