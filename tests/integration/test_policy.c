/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The admin policy end to end: a policy installed in a test policy
 * directory, read by build/hutch-policytest (hutch built with that
 * directory and a test passwd/group compiled in; the production binary's
 * paths are fixed at build time and no environment variable moves them).
 * Callers are emulated the way sudo presents them: hutch runs as root with
 * SUDO_UID/SUDO_GID set. Policy tests run one at a time (a lock file).
 */
#include "../lib/harness.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static char bin[PATH_MAX], dir[PATH_MAX + 32], pdir[PATH_MAX + 64], rootfs[PATH_MAX],
	root_owned[PATH_MAX];

static void write_file(const char *path, const char *text, mode_t mode)
{
	char tmp[PATH_MAX + 128];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	cr_assert_not_null(f, "%s: %m", tmp);
	fputs(text, f);
	fclose(f);
	cr_assert_eq(chmod(tmp, mode), 0);
	cr_assert_eq(rename(tmp, path), 0, "%s: %m", path);
}

/* The busybox rootfs (a copy owned by pool ids) is granted to group
 * "builders" (alice), with a small capability ceiling and a uid pool; bob
 * matches no rule. */
static void install_policy(const char *extra)
{
	char text[8192];
	snprintf(text, sizeof text,
		 "hutch-policy 1\n"
		 "[Rule builders]\n"
		 "Match=group:builders\n"
		 "Directory=%s\n"
		 "Capability=CAP_CHOWN CAP_SETUID CAP_SETGID CAP_KILL CAP_DAC_OVERRIDE\n"
		 "PrivateUsersPool=1048576:1048576\n"
		 "TasksMax=512\n"
		 "MemoryMax=1G\n"
		 "%s",
		 rootfs, extra ? extra : "");
	char path[PATH_MAX + 128];
	snprintf(path, sizeof path, "%s/10-test.policy", pdir);
	write_file(path, text, 0644);
}

static void setup(void)
{
	/* This test's hutch is the policy test build next to the normal one. */
	const char *e = getenv("HUTCH_BIN");
	char base[PATH_MAX];
	if (e && *e)
		snprintf(base, sizeof base, "%s", e);
	else if (!realpath("build/hutch", base))
		cr_skip_test("no build/hutch");
	char *slash = strrchr(base, '/');
	*slash = '\0';
	snprintf(bin, sizeof bin, "%.4000s/hutch-policytest", base);
	if (access(bin, X_OK) != 0)
		cr_skip_test("%s is missing: make build/hutch-policytest (make check builds it)", bin);
	setenv("HUTCH_BIN", bin, 1);
	cr_assert_str_eq(hutch_bin(), bin, "hutch_bin() was cached before the test");
	need_rootfs();
	char *src = root_owned;
	cr_assert_not_null(realpath(test_rootfs(), src));
	snprintf(dir, sizeof dir, "%s/policy-test", base);
	snprintf(pdir, sizeof pdir, "%s/policy.d", dir);
	mkdir(dir, 0755);
	char lock[PATH_MAX + 64];
	snprintf(lock, sizeof lock, "%s.lock", dir);
	int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(flock(fd, LOCK_EX), 0); /* held until this test's process ends */
	snprintf(rootfs, sizeof rootfs, "%s", test_rootfs_pool());
	char cmd[PATH_MAX * 3];
	snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -m 0755 '%s'", pdir, pdir);
	cr_assert_eq(system(cmd), 0);
	chmod(dir, 0755);
	char path[PATH_MAX + 128];
	snprintf(path, sizeof path, "%s/passwd", dir);
	write_file(path,
		   "root:x:0:0:root:/root:/bin/sh\nalice:x:4242:4242::/:/bin/sh\n"
		   "bob:x:4243:4243::/:/bin/sh\n",
		   0644);
	snprintf(path, sizeof path, "%s/group", dir);
	write_file(path, "root:x:0:\nalice:x:4242:\nbob:x:4243:\nbuilders:x:5000:alice\n", 0644);
	install_policy(NULL);
}

TestSuite(policy_cli, .init = setup, .timeout = 120);

static void as_user(uint32_t uid)
{
	char v[16];
	snprintf(v, sizeof v, "%u", uid);
	setenv("SUDO_UID", v, 1);
	setenv("SUDO_GID", v, 1);
}

#define SHOWS(r, stream, needle) \
	cr_assert(strstr((r).stream, needle), #stream " lacks '%s':\n%s", needle, (r).stream)

Test(policy_cli, allowed_start_is_narrowed)
{
	as_user(4242);
	struct run_result r;
	run_hutch(&r, 60, NULL,
		  ARGV("-q", "--console=pipe", "-D", rootfs, "-M", machine_name("pol"), "/bin/sh", "-c",
		       "grep CapBnd /proc/self/status; cat /proc/self/uid_map; ls /sys/class/net"));
	ASSERT_STATUS(r, 0);
	/* CHOWN 0, DAC_OVERRIDE 1, KILL 5, SETGID 6, SETUID 7 = 0xe3; no NET_ADMIN. */
	SHOWS(r, out, "CapBnd:\t00000000000000e3");
	SHOWS(r, out, "lo\n"); /* private network: the policy has no Network=host */
	cr_assert_null(strstr(r.out, "eth"), "host interfaces visible:\n%s", r.out);
	unsigned long inside, outside, count;
	char *map = strstr(r.out, "\n");
	cr_assert(map && sscanf(map + 1, "%lu %lu %lu", &inside, &outside, &count) == 3, "%s", r.out);
	cr_assert(outside >= 1048576 && outside + count <= 2097152, "range %lu outside the pool",
		  outside);
	run_result_free(&r);
}

/* A pool the admin named is the admin's choice (maybe the tenant's own
 * /etc/subuid block): pick uses it even when all of it is delegated. */
Test(policy_cli, named_pool_may_use_delegated_ids)
{
	harness_fake_subid_files("alice:1048576:1048576\n", "");
	as_user(4242);
	struct run_result r;
	run_hutch(&r, 60, NULL,
		  ARGV("-q", "--console=pipe", "-D", rootfs, "-M", machine_name("polsub"), "/bin/cat",
		       "/proc/self/uid_map"));
	ASSERT_STATUS(r, 0);
	unsigned long inside, outside, count;
	cr_assert(sscanf(r.out, "%lu %lu %lu", &inside, &outside, &count) == 3, "%s", r.out);
	cr_assert(outside >= 1048576 && outside + count <= 2097152, "range %lu outside the pool",
		  outside);
	run_result_free(&r);
}

/* Each refusal: exit 1, one line naming the rule, nothing left on the host. */
static void refused(const char *const argv[], const char *needle)
{
	struct host_snapshot snap;
	host_snapshot_take(&snap);
	struct run_result r;
	run_hutch(&r, 60, NULL, argv);
	ASSERT_STATUS(r, 1);
	SHOWS(r, err, needle);
	run_result_free(&r);
	host_snapshot_assert_same(&snap);
	host_snapshot_free(&snap);
}

Test(policy_cli, denied_starts)
{
	as_user(4242);
	const char *m = machine_name("pold");
	refused(ARGV("-q", "--console=pipe", "-D", "/usr", "-M", m, "/bin/true"),
		"policy rule 'builders' (");
	refused(ARGV("-q", "--console=pipe", "-D", "/usr", "-M", m, "/bin/true"),
		"does not allow root directory /usr; allowed: ");
	refused(ARGV("-q", "--console=pipe", "-D", rootfs, "-M", m, "--capability=CAP_SYS_ADMIN",
		     "/bin/true"),
		"does not allow capability CAP_SYS_ADMIN");
	refused(ARGV("-q", "--console=pipe", "-D", rootfs, "-M", m, "--private-users=no",
		     "/bin/true"),
		"does not allow --private-users=no");
	refused(ARGV("-q", "--console=pipe", "-D", rootfs, "-M", m, "--private-users=524288:65536",
		     "/bin/true"),
		"allows uid ranges only within 1048576..2097151");
	refused(ARGV("-q", "--console=pipe", "-D", rootfs, "-M", m, "--load-credential=pw:/etc/shadow",
		     "/bin/true"),
		"--load-credential=pw: the admin policy does not allow reading /etc/shadow");
	refused(ARGV("-q", "--console=pipe", "-D", rootfs, "-M", m, "--property=MemoryMax=2G",
		     "/bin/true"),
		"allows MemoryMax= up to 1073741824 bytes");
	refused(ARGV("-q", "--console=pipe", "-D", rootfs, "-M", m, "--property=TasksMax=infinity",
		     "/bin/true"),
		"allows TasksMax= up to 512");
	refused(ARGV("-q", "--console=pipe", "-D", rootfs, "-M", m, "--keep-unit", "/bin/true"),
		"does not allow --keep-unit (for unrestricted callers only)");
	refused(ARGV("-q", "--console=pipe", "--image=/etc/hostname", "-M", m, "/bin/true"),
		"does not allow image /etc/hostname; allowed: none");
	char missing[PATH_MAX + 32];
	snprintf(missing, sizeof missing, "%s-new-%d", rootfs, (int)getpid());
	char tmpl[PATH_MAX + 32];
	snprintf(tmpl, sizeof tmpl, "--template=%s", rootfs);
	refused(ARGV("-q", "--console=pipe", "-D", missing, tmpl, "-M", m, "/bin/true"),
		"does not allow --template=");
	cr_assert_neq(access(missing, F_OK), 0, "%s was created", missing);
	as_user(4243);
	refused(ARGV("-q", "--console=pipe", "-D", rootfs, "-M", m, "/bin/true"),
		"the admin policy does not let uid 4243 start containers: no policy rule matches "
		"uid 4243 (bob)");
}

/* Through an idmapped root the container writes files as the tree's owner:
 * for a root-owned tree, setuid-root files a tenant could run on the host
 * (found in an audit). A tenant's tree must be owned by its pool's ids;
 * and a fixed range must be one whole block (only its base is locked, so
 * an unaligned or larger range could overlap another tenant's). */
Test(policy_cli, tenant_root_and_ranges_stay_in_the_pool)
{
	char extra[PATH_MAX + 32];
	snprintf(extra, sizeof extra, "Directory=%s\n", root_owned);
	install_policy(extra);
	as_user(4242);
	const char *m = machine_name("polown");
	refused(ARGV("-q", "--console=pipe", "-D", root_owned, "-M", m, "/bin/true"),
		"is owned by host ids outside the policy's PrivateUsersPool=");
	refused(ARGV("-q", "--console=pipe", "-D", root_owned, "-M", m,
		     "--private-users-ownership=map", "/bin/true"),
		"is owned by host ids outside the policy's PrivateUsersPool=");
	struct stat st;
	cr_assert_eq(stat(root_owned, &st), 0);
	cr_expect_eq(st.st_uid, 0, "the root-owned tree was chowned");
	refused(ARGV("-q", "--console=pipe", "-D", rootfs, "-M", m,
		     "--private-users=1048577:65536", "/bin/true"),
		"must be one 65536-id block");
	refused(ARGV("-q", "--console=pipe", "-D", rootfs, "-M", m,
		     "--private-users=1048576:131072", "/bin/true"),
		"must be one 65536-id block");
	/* The pool's own block is fine, and the tree is used as it is. */
	struct run_result r;
	run_hutch(&r, 60, NULL, ARGV("-q", "--console=pipe", "-D", rootfs, "-M", m,
				     "--private-users=1048576:65536", "/bin/cat", "/proc/self/uid_map"));
	ASSERT_STATUS(r, 0);
	run_result_free(&r);
}

/* Root is not a tenant: with no rule naming it, root may do anything. */
Test(policy_cli, root_unrestricted)
{
	unsetenv("SUDO_UID");
	struct run_result r;
	run_hutch(&r, 60, NULL,
		  ARGV("-q", "--console=pipe", "-D", rootfs, "-M", machine_name("polr"),
		       "--capability=CAP_SYS_ADMIN", "/bin/sh", "-c", "grep CapBnd /proc/self/status"));
	ASSERT_STATUS(r, 0);
	cr_assert_null(strstr(r.out, "00000000000000e3"), "%s", r.out);
	run_result_free(&r);
}

Test(policy_cli, check_policy_shows_grant)
{
	as_user(4242);
	struct run_result r;
	run_hutch(&r, 30, NULL, ARGV("--check-policy"));
	ASSERT_STATUS(r, 0);
	SHOWS(r, out, "10-test.policy");
	SHOWS(r, out, "rule 'builders' (");
	SHOWS(r, out, "alice, groups 4242,5000");
	SHOWS(r, out, "Network:           private only");
	run_result_free(&r);
	/* Another user's grant: only for callers the policy does not restrict. */
	run_hutch(&r, 30, NULL, ARGV("--check-policy", "--user=bob"));
	ASSERT_STATUS(r, 1);
	SHOWS(r, err, "needs a caller the policy does not restrict");
	run_result_free(&r);
	unsetenv("SUDO_UID");
	run_hutch(&r, 30, NULL, ARGV("--check-policy", "--user=bob"));
	ASSERT_STATUS(r, 0);
	SHOWS(r, out, "nothing: no policy rule matches uid 4243 (bob)");
	run_result_free(&r);
}

/* A broken policy: --check-policy names file, line and key; every
 * non-root start is refused until it is fixed. */
Test(policy_cli, broken_policy_fails_closed)
{
	install_policy("Netwrk=host\n");
	unsetenv("SUDO_UID");
	struct run_result r;
	run_hutch(&r, 30, NULL, ARGV("--check-policy"));
	ASSERT_STATUS(r, 1);
	SHOWS(r, err, "10-test.policy:9: unknown key 'Netwrk'");
	SHOWS(r, out, "INVALID");
	run_result_free(&r);
	as_user(4242);
	refused(ARGV("-q", "--console=pipe", "-D", rootfs, "-M", machine_name("polb"), "/bin/true"),
		"the policy has errors (");
}

/* Files anyone but root could have written are not trusted. */
Test(policy_cli, unsafe_files_refused)
{
	char path[PATH_MAX + 128], cmd[PATH_MAX * 3];
	snprintf(path, sizeof path, "%s/10-test.policy", pdir);
	cr_assert_eq(chmod(path, 0664), 0);
	as_user(4242);
	refused(ARGV("-q", "--console=pipe", "-D", rootfs, "-M", machine_name("polu"), "/bin/true"),
		"10-test.policy is not a regular file owned by root and writable only by it");
	cr_assert_eq(chmod(path, 0644), 0);
	cr_assert_eq(chown(path, 4242, 0), 0);
	refused(ARGV("-q", "--console=pipe", "-D", rootfs, "-M", machine_name("polu"), "/bin/true"),
		"not a regular file owned by root");
	cr_assert_eq(chown(path, 0, 0), 0);
	snprintf(cmd, sizeof cmd, "ln -s /etc/passwd '%s/20-link.policy'", pdir);
	cr_assert_eq(system(cmd), 0);
	refused(ARGV("-q", "--console=pipe", "-D", rootfs, "-M", machine_name("polu"), "/bin/true"),
		"20-link.policy is not a regular file");
	snprintf(cmd, sizeof cmd, "rm '%s/20-link.policy'", pdir);
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(chmod(pdir, 0775), 0);
	refused(ARGV("-q", "--console=pipe", "-D", rootfs, "-M", machine_name("polu"), "/bin/true"),
		"must be a directory owned by root and writable only by it");
	cr_assert_eq(chmod(pdir, 0755), 0);
}

/* The pids limit: nspawn's default 16384 bends to the policy's 512. */
Test(policy_cli, default_limit_bends_to_ceiling)
{
	as_user(4242);
	const char *name = machine_name("poll");
	struct hutch_proc p;
	struct run_result r;
	cr_assert_eq(hutch_start(&p, NULL,
				 ARGV("-q", "--console=pipe", "-D", rootfs, "-M", name, "/bin/sh", "-c",
				      "echo READY; exec sleep 30")),
		     0);
	bool ready = hutch_expect(&p, true, "READY", 30);
	char path[512];
	char *pids = NULL;
	const char *base[] = {"/sys/fs/cgroup/pids", "/sys/fs/cgroup"}; /* hybrid, pure v2 */
	for (int i = 0; i < 2 && ready && !pids; i++) {
		snprintf(path, sizeof path, "%s/machine.slice/hutch-%s.scope/pids.max", base[i], name);
		pids = read_file_str(path);
	}
	kill(p.pid, SIGTERM);
	hutch_finish(&p, &r, 20);
	cr_assert(ready, "no READY:\n%s", r.err);
	cr_assert_not_null(pids, "no pids.max for %s", name);
	cr_assert_str_eq(pids, "512\n");
	free(pids);
	run_result_free(&r);
}

/* A policy directory without files still restricts tenants: nothing matches. */
Test(policy_cli, empty_policy_dir_refuses_tenants)
{
	char path[PATH_MAX + 128];
	snprintf(path, sizeof path, "%s/10-test.policy", pdir);
	cr_assert_eq(unlink(path), 0);
	as_user(4242);
	refused(ARGV("-q", "--console=pipe", "-D", rootfs, "-M", machine_name("pole"), "/bin/true"),
		"no policy rule matches uid 4242 (alice)");
	unsetenv("SUDO_UID");
	struct run_result r;
	run_hutch(&r, 30, NULL,
		  ARGV("-q", "--console=pipe", "-D", rootfs, "-M", machine_name("pole"), "/bin/true"));
	ASSERT_STATUS(r, 0); /* root is not a tenant */
	run_result_free(&r);
}

/* MandatoryProfile=: the worker applies it above the command line; another
 * --profile= is refused. (The profile lives where hutch reads profiles.) */
Test(policy_cli, mandatory_profile_is_applied)
{
	char name[64], path[128], extra[128];
	snprintf(name, sizeof name, "it-polprof-%d", (int)getpid());
	snprintf(path, sizeof path, "/etc/hutch/profiles/%s.profile", name);
	FILE *f = NULL;
	for (int tries = 0; !f && tries < 20; tries++) { /* see test_profiles.c */
		mkdir("/etc/hutch", 0755);
		mkdir("/etc/hutch/profiles", 0755);
		f = fopen(path, "w");
	}
	cr_assert_not_null(f, "%s: %m", path);
	fputs("# hutch-profile 1\n[Exec]\nHostname=fromprofile\nNoNewPrivileges=yes\n", f);
	fclose(f);
	snprintf(extra, sizeof extra, "MandatoryProfile=%s\n", name);
	install_policy(extra);
	as_user(4242);
	struct run_result r;
	run_hutch(&r, 60, NULL,
		  ARGV("-q", "--console=pipe", "-D", rootfs, "-M", machine_name("polprof"),
		       "--hostname=cli", "--no-new-privileges=no", "/bin/sh", "-c",
		       "hostname; grep NoNewPrivs /proc/self/status"));
	ASSERT_STATUS(r, 0);
	SHOWS(r, out, "fromprofile\n");
	SHOWS(r, out, "NoNewPrivs:\t1\n");
	run_result_free(&r);
	run_hutch(&r, 60, NULL,
		  ARGV("-q", "--console=pipe", "-D", rootfs, "-M", machine_name("polprof2"),
		       "--profile=system", "/bin/true"));
	unlink(path);
	rmdir("/etc/hutch/profiles");
	rmdir("/etc/hutch");
	ASSERT_STATUS(r, 1);
	SHOWS(r, err, "runs this caller under profile 'it-polprof-");
	run_result_free(&r);
}

/* --bind/--bind-ro/--overlay host paths: only below Bind= (read-write) or
 * BindReadOnly= (read-only) directories, checked by identity in the broker. */
Test(policy_cli, bind_sources_by_grant)
{
	char base[64], extra[256], opt[256];
	snprintf(base, sizeof base, "/var/tmp/fsmt-pol-%d", (int)getpid());
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s/ro/sub %s/rw/up %s/other", base, base,
		 base, base);
	cr_assert_eq(system(cmd), 0);
	snprintf(extra, sizeof extra, "BindReadOnly=%s/ro\nBind=%s/rw\n", base, base);
	install_policy(extra);
	as_user(4242);
	const char *m = machine_name("polbind");
	struct run_result r;
	snprintf(opt, sizeof opt, "--bind-ro=%s/ro/sub:/tmp/m", base);
	run_hutch(&r, 60, NULL, ARGV("-q", "--console=pipe", "-D", rootfs, "-M", m, opt, "/bin/true"));
	ASSERT_STATUS(r, 0);
	run_result_free(&r);
	snprintf(opt, sizeof opt, "--bind=%s/rw:/tmp/m", base);
	run_hutch(&r, 60, NULL, ARGV("-q", "--console=pipe", "-D", rootfs, "-M", m, opt, "/bin/true"));
	ASSERT_STATUS(r, 0);
	run_result_free(&r);
	snprintf(opt, sizeof opt, "--bind=%s/ro:/tmp/m", base); /* read-write of a read-only grant */
	refused(ARGV("-q", "--console=pipe", "-D", rootfs, "-M", m, opt, "/bin/true"),
		"the admin policy does not allow this host path");
	snprintf(opt, sizeof opt, "--bind-ro=%s/other:/tmp/m", base);
	refused(ARGV("-q", "--console=pipe", "-D", rootfs, "-M", m, opt, "/bin/true"),
		"the admin policy does not allow this host path");
	refused(ARGV("-q", "--console=pipe", "-D", rootfs, "-M", m, "--bind-ro=/etc:/tmp/m",
		     "/bin/true"),
		"the admin policy does not allow this host path");
	snprintf(opt, sizeof opt, "--overlay=%s/ro:%s/other:/tmp/o", base, base);
	refused(ARGV("-q", "--console=pipe", "-D", rootfs, "-M", m, opt, "/bin/true"),
		"the admin policy does not allow this host path");
	/* idmap: the container's root would write as the files' host owners,
	 * root for root's (found in an audit: a setuid-root file on the host). */
	snprintf(opt, sizeof opt, "--bind=%s/rw:/tmp/m:idmap", base);
	refused(ARGV("-q", "--console=pipe", "-D", rootfs, "-M", m, opt, "/bin/true"),
		"the admin policy does not allow idmap binds");
	snprintf(cmd, sizeof cmd, "rm -rf %s", base);
	cr_assert_eq(system(cmd), 0);
}

/* --bind-user=: a tenant may bind only its own user (the broker checks the
 * uid/gid in CREATE against the grant's caller as well). */
Test(policy_cli, bind_user_only_oneself)
{
	as_user(4242);
	refused(ARGV("-q", "--console=pipe", "-D", rootfs, "-M", machine_name("polbu"),
		     "--bind-user=daemon", "/bin/true"),
		"allows --bind-user= only for the caller's own user and group");
}
