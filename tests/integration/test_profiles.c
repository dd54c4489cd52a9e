/* hutch integration tests: the shipped profiles (profiles/NAME.profile) on the
 * same container, each showing what profiles/README.md promises: capability
 * bounding set, no_new_privs, system call filter (unshare, mount), network,
 * PID 2, resource limits, and booting an init.
 *
 * The profiles are installed for the test as /etc/hutch/profiles/it-NAME-PID
 * (includes renamed the same way) and removed after. */
#include "../lib/harness.h"

#include <criterion/criterion.h>

#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#define CAP_CHOWN 0
#define CAP_SYS_ADMIN 21
#define CAP_MKNOD 27

#define PROBE                                                                               \
	"grep -E '^(CapBnd|NoNewPrivs):' /proc/self/status; echo PID=$$; "                  \
	"echo NET=$(ls /sys/class/net); unshare -U true && echo UNSHARE_OK; "                \
	"mkdir -p /run/t && mount -t tmpfs none /run/t && echo MOUNT_OK; "                   \
	"mknod /tmp/null c 1 3 && echo MKNOD_OK; echo CORE=$(ulimit -c); "                   \
	"touch /root-write-probe 2>/dev/null && rm -f /root-write-probe && echo ROOT_RW; "     \
	"touch /tmp/w && echo TMP_RW"

static const char *const shipped[] = {"strict", "build", "ci", "system"};
static char installed[4][80];

static const char *pname(const char *profile)
{
	static char buf[4][80];
	static int k;
	char *b = buf[k++ % 4];
	snprintf(b, 80, "it-%s-%d", profile, (int)getpid());
	return b;
}

static void install_profiles(void)
{
	need_rootfs();
	for (size_t i = 0; i < 4; i++) {
		char src[64];
		snprintf(src, sizeof src, "profiles/%s.profile", shipped[i]);
		char *text = read_file_str(src);
		cr_assert(text, "cannot read %s (tests run from the repository root)", src);
		snprintf(installed[i], sizeof installed[i], "/etc/hutch/profiles/%s.profile",
			 pname(shipped[i]));
		/* A test finishing beside us may remove the (empty) directories
		 * between our mkdir and fopen: make them again. */
		FILE *f = NULL;
		for (int tries = 0; !f && tries < 20; tries++) {
			mkdir("/etc/hutch", 0755);
			mkdir("/etc/hutch/profiles", 0755);
			f = fopen(installed[i], "w");
		}
		cr_assert(f, "cannot write %s", installed[i]);
		for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
			if (!strncmp(line, "@include ", 9))
				fprintf(f, "@include %s\n", pname(line + 9));
			else
				fprintf(f, "%s\n", line);
		}
		fclose(f);
		free(text);
	}
}

static void remove_profiles(void)
{
	for (size_t i = 0; i < 4; i++)
		if (installed[i][0])
			unlink(installed[i]);
	/* Gone when empty: the last test out removes them (a concurrent one
	 * may have made them). */
	rmdir("/etc/hutch/profiles");
	rmdir("/etc/hutch");
}

TestSuite(profiles, .init = install_profiles, .fini = remove_profiles);

static void run_profile(struct run_result *r, const char *profile, const char *tag)
{
	char opt[128];
	snprintf(opt, sizeof opt, "--profile=%s", pname(profile));
	run_hutch(r, 60, NULL,
		  ARGV("-q", "-P", "-D", test_rootfs(), "-M", machine_name(tag), opt, "/bin/sh",
		       "-c", PROBE));
	ASSERT_STATUS(*r, 0);
}

static void run_plain(struct run_result *r)
{
	run_hutch(r, 60, NULL,
		  ARGV("-q", "-P", "-D", test_rootfs(), "-M", machine_name("prnone"), "/bin/sh",
		       "-c", PROBE));
	ASSERT_STATUS(*r, 0);
}

static unsigned long long field(const struct run_result *r, const char *key, int base)
{
	const char *p = strstr(r->out, key);
	cr_assert(p, "no %s in:\n%s\n%s", key, r->out, r->err);
	return strtoull(p + strlen(key), NULL, base);
}

static bool has(const struct run_result *r, const char *what)
{
	return strstr(r->out, what) != NULL;
}

/* The baseline the profiles are measured against. */
Test(profiles, no_profile_baseline, .timeout = 60)
{
	struct run_result r;
	run_plain(&r);
	cr_expect_neq(field(&r, "CapBnd:", 16) >> CAP_SYS_ADMIN & 1, 0);
	cr_expect_eq(field(&r, "NoNewPrivs:", 10), 0);
	cr_expect(has(&r, "UNSHARE_OK") && has(&r, "MOUNT_OK"), "%s\n%s", r.out, r.err);
	cr_expect(has(&r, "PID=1\n"), "%s", r.out);
	cr_expect(!has(&r, "NET=lo\n"), "%s", r.out);
	run_result_free(&r);
}

Test(profiles, strict, .timeout = 60)
{
	struct run_result r;
	run_profile(&r, "strict", "prstrict");
	cr_expect_eq(field(&r, "CapBnd:", 16), 0xeb, "%s", r.out);
	cr_expect_eq(field(&r, "NoNewPrivs:", 10), 1);
	cr_expect(has(&r, "PID=2\n"), "ProcessTwo=yes:\n%s", r.out);
	cr_expect(has(&r, "NET=lo\n"), "Private=yes:\n%s", r.out);
	cr_expect(!has(&r, "UNSHARE_OK"), "unshare allowed:\n%s", r.out);
	cr_expect(strstr(r.err, "unshare(0x10000000): Operation not permitted"), "%s", r.err);
	cr_expect(!has(&r, "MOUNT_OK"), "%s", r.out);
	cr_expect(!has(&r, "MKNOD_OK"), "%s", r.out);
	cr_expect(!has(&r, "ROOT_RW"), "ReadOnly=yes: the root was writable:\n%s", r.out);
	cr_expect(has(&r, "TMP_RW"), "/tmp must stay writable:\n%s\n%s", r.out, r.err);
	run_result_free(&r);
}

Test(profiles, build, .timeout = 60)
{
	struct run_result r;
	run_profile(&r, "build", "prbuild");
	unsigned long long bnd = field(&r, "CapBnd:", 16);
	cr_expect_eq(bnd >> CAP_SYS_ADMIN & 1, 0, "%s", r.out);
	cr_expect_eq(bnd >> CAP_MKNOD & 1, 0, "%s", r.out);
	cr_expect_eq(bnd >> CAP_CHOWN & 1, 1, "%s", r.out);
	cr_expect_eq(field(&r, "NoNewPrivs:", 10), 1);
	cr_expect(has(&r, "PID=2\n"), "%s", r.out);
	cr_expect(!has(&r, "NET=lo\n"), "the host's network:\n%s", r.out);
	cr_expect(has(&r, "UNSHARE_OK"), "test suites may make namespaces:\n%s\n%s", r.out, r.err);
	cr_expect(!has(&r, "MOUNT_OK"), "%s", r.out);
	cr_expect(!has(&r, "MKNOD_OK"), "%s", r.out);
	cr_expect(has(&r, "ROOT_RW") && has(&r, "TMP_RW"), "build keeps the root writable:\n%s",
		  r.out);
	run_result_free(&r);
}

static bool pure_v2(void)
{
	struct statfs sf;
	return statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
}

static char *cg_file(const char *ctrl, const char *machine, const char *file)
{
	char *p = NULL;
	const char *base = pure_v2() ? "/sys/fs/cgroup" : NULL;
	char v1[64];
	if (!base) {
		snprintf(v1, sizeof v1, "/sys/fs/cgroup/%s", ctrl);
		base = v1;
	}
	cr_assert(asprintf(&p, "%s/machine.slice/hutch-%s.scope/%s", base, machine, file) > 0);
	char *s = read_file_str(p);
	cr_assert(s, "cannot read %s", p);
	s[strcspn(s, "\n")] = '\0';
	free(p);
	return s;
}

Test(profiles, ci, .timeout = 90)
{
	struct run_result r;
	char marker[256], host_marker[512];
	snprintf(marker, sizeof marker, "/ci-marker-%d", (int)getpid());
	snprintf(host_marker, sizeof host_marker, "%s%s", test_rootfs(), marker);
	run_profile(&r, "ci", "prci");
	cr_expect_eq(field(&r, "CapBnd:", 16) >> CAP_SYS_ADMIN & 1, 0, "%s", r.out);
	cr_expect_eq(field(&r, "NoNewPrivs:", 10), 1);
	cr_expect(has(&r, "CORE=0\n"), "LimitCORE=0:\n%s", r.out);
	run_result_free(&r);
	/* Ephemeral=yes: what the job writes does not reach the image. */
	char opt[128], script[300];
	snprintf(opt, sizeof opt, "--profile=%s", pname("ci"));
	snprintf(script, sizeof script, "touch %s && echo WROTE", marker);
	run_hutch(&r, 60, NULL,
		  ARGV("-q", "-P", "-D", test_rootfs(), "-M", machine_name("prcieph"), opt,
		       "/bin/sh", "-c", script));
	ASSERT_STATUS(r, 0);
	cr_expect(has(&r, "WROTE\n"), "%s", r.out);
	cr_expect(access(host_marker, F_OK) != 0, "%s reached the image", host_marker);
	unlink(host_marker);
	run_result_free(&r);
	/* The ceilings, read on the host while the job runs. */
	const char *name = machine_name("prcilim");
	struct hutch_proc p;
	cr_assert_eq(hutch_start(&p, NULL,
				 ARGV("-q", "-P", "-D", test_rootfs(), "-M", name, opt, "/bin/sh",
				      "-c", "echo READY; exec sleep 60")),
		     0);
	bool ready = hutch_expect(&p, true, "READY", 30);
	char *mem = ready ? cg_file("memory", name, pure_v2() ? "memory.max"
							       : "memory.limit_in_bytes")
			  : NULL;
	char *pids = ready ? cg_file("pids", name, "pids.max") : NULL;
	kill(p.pid, SIGTERM);
	hutch_finish(&p, &r, 20);
	cr_assert(ready, "no READY:\n%s\n%s", r.out, r.err);
	cr_expect_str_eq(mem, "4294967296");
	cr_expect_str_eq(pids, "4096");
	free(mem);
	free(pids);
	run_result_free(&r);
}

/* Boots busybox's init as PID 1 with nspawn's defaults; its console shell
 * reports, and SIGKILL (the command line's --kill-signal beats the
 * profile's SIGRTMIN+3, which busybox ignores) ends it on SIGTERM. */
Test(profiles, system, .timeout = 90)
{
	char opt[128];
	snprintf(opt, sizeof opt, "--profile=%s", pname("system"));
	struct hutch_proc p;
	cr_assert_eq(hutch_start(&p,
				 "\necho PID1=$(cat /proc/1/comm); grep -E "
				 "'^(CapBnd|NoNewPrivs):' /proc/self/status; echo BOOTED\n",
				 ARGV("-q", "-P", "-D", test_rootfs(), "-M", machine_name("prsys"),
				      "--kill-signal=SIGKILL", opt)),
		     0);
	bool booted = hutch_expect(&p, true, "BOOTED", 30);
	kill(p.pid, SIGTERM);
	struct run_result r;
	hutch_finish(&p, &r, 20);
	cr_assert(booted, "no BOOTED from init's console shell:\n%s\n%s", r.out, r.err);
	cr_expect(has(&r, "PID1=init\n"), "%s", r.out);
	cr_expect_eq(field(&r, "NoNewPrivs:", 10), 0);
	cr_expect_neq(field(&r, "CapBnd:", 16) >> CAP_SYS_ADMIN & 1, 0, "%s", r.out);
	cr_expect(!r.timed_out);
	run_result_free(&r);
}

Test(profiles, show_profile_needs_no_container, .timeout = 30)
{
	struct run_result r;
	char opt[128];
	snprintf(opt, sizeof opt, "--show-profile=%s", pname("ci"));
	run_hutch(&r, 20, NULL, ARGV(opt));
	ASSERT_STATUS(r, 0);
	cr_expect(strncmp(r.out, "# hutch-profile 1\n", 18) == 0, "%s", r.out);
	cr_expect(has(&r, "[Options]\nproperty=MemoryMax=4G\n"), "%s", r.out);
	cr_expect(has(&r, "KillSignal=SIGKILL\n") && has(&r, "ProcessTwo=yes\n"),
		  "includes not resolved:\n%s", r.out);
	cr_expect(has(&r, "#   no_new_privs:            yes\n"), "%s", r.out);
	run_result_free(&r);
}

Test(profiles, missing_profile_is_one_line, .timeout = 30)
{
	struct run_result r;
	run_hutch(&r, 20, NULL,
		  ARGV("-q", "-P", "-D", test_rootfs(), "-M", machine_name("prmiss"),
		       "--profile=it-no-such-profile", "/bin/true"));
	ASSERT_STATUS(r, 1);
	cr_expect_str_eq(r.err, "hutch: profile 'it-no-such-profile' not found in "
				"/etc/hutch/profiles/ or /usr/share/hutch/profiles/\n");
	run_result_free(&r);
}
