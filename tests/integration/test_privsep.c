/* hutch integration tests: privilege separation (the worker's confinement)
 * and the payload's isolation (namespaces, /proc and /sys, /dev, /run). */
#include "../lib/harness.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


/* The worker uid pool of the hutch under test (HUTCH_WORKER_UID and
 * HUTCH_WORKER_UIDS as it was built with; the same as ours by default). */
static bool in_worker_pool(unsigned long uid)
{
	const char *b = getenv("HUTCH_WORKER_UID"), *n = getenv("HUTCH_WORKER_UIDS");
	unsigned long base = b && *b ? strtoul(b, NULL, 10) : HUTCH_WORKER_UID;
	unsigned long count = n && *n ? strtoul(n, NULL, 10) : HUTCH_WORKER_UIDS;
	return uid >= base && uid - base < count;
}

static unsigned long status_uid(pid_t pid)
{
	char *u = proc_status_field(pid, "Uid");
	unsigned long v = u ? strtoul(u, NULL, 10) : (unsigned long)-1;
	free(u);
	return v;
}

/* hutch's children, "pid uid comm" each, for failure messages. */
static char *describe_children(pid_t parent)
{
	pid_t kids[64];
	size_t n = find_children(parent, kids, 64);
	char *s = calloc(1, 4096);
	for (size_t i = 0; i < n && s; i++) {
		char *comm = proc_status_field(kids[i], "Name");
		size_t l = strlen(s);
		snprintf(s + l, 4096 - l, " [%d uid=%lu %s]", (int)kids[i], status_uid(kids[i]),
			 comm ? comm : "?");
		free(comm);
	}
	return s;
}

/* The worker: the child of hutch running as a uid of the worker pool. (Not
 * "any non-root child": with user namespaces the payload is one too.) */
static pid_t find_worker(pid_t hutch)
{
	pid_t kids[64];
	size_t n = find_children(hutch, kids, 64);
	for (size_t i = 0; i < n; i++)
		if (in_worker_pool(status_uid(kids[i])))
			return kids[i];
	return 0;
}

/* Run `sleep 5` with the given console mode and inspect the worker while
 * the payload runs. If must_exist is false, a worker that already exited
 * (it has nothing left to do in pipe mode) is accepted. */
static void check_worker(const char *console, const char *tag, bool must_exist)
{
	struct hutch_proc p;
	cr_assert_eq(hutch_start(&p, NULL,
				 ARGV("-q", console, "-D", test_rootfs(), "-M", machine_name(tag),
				      "/bin/sh", "-c", "echo READY; sleep 5")),
		     0);
	bool ready = hutch_expect(&p, true, "READY", 20);
	usleep(200000);
	pid_t w = ready ? find_worker(p.pid) : 0;
	char *kids = describe_children(p.pid);
	char *uid = w ? proc_status_field(w, "Uid") : NULL;
	char *gid = w ? proc_status_field(w, "Gid") : NULL;
	char *nnp = w ? proc_status_field(w, "NoNewPrivs") : NULL;
	char *sec = w ? proc_status_field(w, "Seccomp") : NULL;
	char *eff = w ? proc_status_field(w, "CapEff") : NULL;
	char *bnd = w ? proc_status_field(w, "CapBnd") : NULL;
	char *prm = w ? proc_status_field(w, "CapPrm") : NULL;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)w);
	struct stat st;
	bool stat_ok = w && stat(path, &st) == 0;

	struct run_result r;
	hutch_finish(&p, &r, 20);
	cr_assert(ready, "payload never printed READY; stderr: %s", r.err);
	ASSERT_STATUS(r, 0);
	if (!w && !must_exist) {
		cr_log_info("%s: no worker left while the payload runs; children:%s", console, kids);
		run_result_free(&r);
		return;
	}
	cr_assert(w != 0, "%s: no child of hutch (pid %d) runs as a non-root uid; children:%s",
		  console, (int)p.pid, kids);
	cr_log_info("%s: worker pid %d, Uid %s; hutch's children:%s", console, (int)w, uid, kids);
	char want[128];
	unsigned long wuid = uid ? strtoul(uid, NULL, 10) : 0;
	snprintf(want, sizeof(want), "%lu\t%lu\t%lu\t%lu", wuid, wuid, wuid, wuid);
	cr_expect(uid && strcmp(uid, want) == 0 && in_worker_pool(wuid),
		  "worker Uid: %s, expected %s in the worker pool", uid, want);
	cr_expect(gid && strcmp(gid, want) == 0, "worker Gid: %s, expected %s", gid, want);
	cr_expect(nnp && strcmp(nnp, "1") == 0, "worker NoNewPrivs: %s", nnp);
	cr_expect(sec && strcmp(sec, "2") == 0, "worker Seccomp: %s (2 = filter)", sec);
	cr_expect(eff && strcmp(eff, "0000000000000000") == 0, "worker CapEff: %s", eff);
	cr_expect(prm && strcmp(prm, "0000000000000000") == 0, "worker CapPrm: %s", prm);
	cr_expect(bnd && strcmp(bnd, "0000000000000000") == 0, "worker CapBnd: %s", bnd);
	cr_expect(stat_ok && st.st_uid == 0,
		  "%s is owned by uid %d: the worker is dumpable (expected root-owned)", path,
		  stat_ok ? (int)st.st_uid : -1);
	run_result_free(&r);
}

/* read-only console: the worker relays the pty, so it must be there. */
Test(privsep, worker_is_confined, .timeout = 60)
{
	need_rootfs();
	check_worker("--console=read-only", "worker", true);
}

/* Pipe mode: if the worker is still there, it is confined just the same. */
Test(privsep, worker_is_confined_pipe_mode, .timeout = 60)
{
	need_rootfs();
	check_worker("--console=pipe", "workerpipe", false);
}

/* ---- namespaces ------------------------------------------------------------ */

Test(privsep, own_namespaces, .timeout = 60)
{
	need_rootfs();
	static const char *const ns[] = { "mnt", "pid", "uts", "ipc", "cgroup" };
	struct run_result r;
	run_cmd(&r, "ns", "for n in mnt pid uts ipc cgroup; do readlink /proc/self/ns/$n; done");
	ASSERT_STATUS(r, 0);
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		char path[64], host[64] = "";
		snprintf(path, sizeof(path), "/proc/self/ns/%s", ns[i]);
		ssize_t n = readlink(path, host, sizeof(host) - 1);
		cr_assert(n > 0, "readlink %s", path);
		host[n] = '\0';
		cr_expect(strstr(r.out, ns[i]) != NULL, "no %s namespace inside:\n%s", ns[i], r.out);
		cr_expect(strstr(r.out, host) == NULL, "the payload shares the host's %s", host);
	}
	run_result_free(&r);
}

Test(privsep, payload_capabilities_bounded, .timeout = 60)
{
	need_rootfs();
	struct run_result r;
	run_cmd(&r, "caps", "grep -E '^(CapBnd|Seccomp):' /proc/self/status");
	ASSERT_STATUS(r, 0);
	unsigned long long bnd = ~0ULL;
	const char *b = strstr(r.out, "CapBnd:");
	cr_assert(b && sscanf(b, "CapBnd: %llx", &bnd) == 1, "status:\n%s", r.out);
	static const struct { int bit; const char *name; } banned[] = {
		{ 16, "SYS_MODULE" }, { 17, "SYS_RAWIO" },   { 25, "SYS_TIME" },
		{ 29, "AUDIT_WRITE" }, { 30, "AUDIT_CONTROL" }, { 32, "MAC_OVERRIDE" },
		{ 33, "MAC_ADMIN" },  { 34, "SYSLOG" },      { 37, "AUDIT_READ" },
		{ 39, "BPF" },
	};
	for (size_t i = 0; i < sizeof(banned) / sizeof(banned[0]); i++)
		cr_expect(!(bnd >> banned[i].bit & 1), "payload keeps CAP_%s (CapBnd %016llx)",
			  banned[i].name, bnd);
	cr_expect(strstr(r.out, "Seccomp:\t2"), "payload has no seccomp filter:\n%s", r.out);
	run_result_free(&r);
}

/* ---- /proc, /sys, /dev, /run, /tmp ------------------------------------------ */

Test(privsep, proc_masked_and_read_only, .timeout = 60)
{
	need_rootfs();
	const char *script =
		"for f in kcore keys timer_list; do "
		"  echo $f=$(head -c 64 /proc/$f 2>/dev/null | wc -c); done; "
		"(echo h > /proc/sysrq-trigger) 2>/dev/null && echo SYSRQ-WRITABLE; "
		"(echo hijacked > /proc/sys/kernel/hostname) 2>/dev/null && echo PROCSYS-WRITABLE; "
		"hostname; "
		"(mkdir /sys/hutch-test-dir) 2>/dev/null && echo SYS-WRITABLE; "
		"(echo x > /sys/kernel/uevent_helper) 2>/dev/null && echo SYS-WRITABLE; "
		"echo DONE";
	const char *name = machine_name("procmask");
	struct run_result r;
	run_hutch(&r, 30, NULL,
		  ARGV("-q", "-P", "-D", test_rootfs(), "-M", name, "/bin/sh", "-c", script));
	ASSERT_STATUS(r, 0);
	cr_assert(strstr(r.out, "DONE"), "output:\n%s", r.out);
	cr_expect(strstr(r.out, "kcore=0\n"), "/proc/kcore readable:\n%s", r.out);
	cr_expect(strstr(r.out, "keys=0\n"), "/proc/keys readable:\n%s", r.out);
	cr_expect(strstr(r.out, "timer_list=0\n"), "/proc/timer_list readable:\n%s", r.out);
	cr_expect(!strstr(r.out, "SYSRQ-WRITABLE"), "/proc/sysrq-trigger writable");
	cr_expect(!strstr(r.out, "PROCSYS-WRITABLE"), "/proc/sys writable");
	cr_expect(!strstr(r.out, "hijacked"), "hostname changed through /proc/sys");
	cr_expect(!strstr(r.out, "SYS-WRITABLE"), "/sys writable");
	run_result_free(&r);
}

/* The top mount on `point` in a mountinfo text: its options and fstype. */
static bool find_mount(const char *mi, const char *point, char *opts, char *fstype)
{
	bool found = false;
	char *copy = strdup(mi), *save = NULL;
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char mp[PATH_MAX], o[256], fs[64];
		const char *dash = strstr(l, " - ");
		if (!dash || sscanf(l, "%*s %*s %*s %*s %4095s %255s", mp, o) != 2 ||
		    sscanf(dash + 3, "%63s", fs) != 1 || strcmp(mp, point) != 0)
			continue;
		strcpy(opts, o);
		strcpy(fstype, fs);
		found = true;
	}
	free(copy);
	return found;
}

Test(privsep, api_filesystems, .timeout = 60)
{
	need_rootfs();
	struct run_result r;
	run_cmd(&r, "mounts", "cat /proc/self/mountinfo");
	ASSERT_STATUS(r, 0);
	static const struct { const char *point, *fstype; bool ro; } want[] = {
		{ "/proc", "proc", false }, { "/proc/sys", NULL, true }, { "/sys", NULL, true },
		{ "/dev", "tmpfs", false }, { "/run", "tmpfs", false },  { "/tmp", "tmpfs", false },
		{ "/dev/pts", "devpts", false },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char opts[256], fs[64];
		bool found = find_mount(r.out, want[i].point, opts, fs);
		cr_expect(found, "nothing mounted on %s:\n%s", want[i].point, r.out);
		if (!found)
			continue;
		if (want[i].fstype)
			cr_expect_str_eq(fs, want[i].fstype, "%s is %s, expected %s", want[i].point,
					 fs, want[i].fstype);
		if (want[i].ro)
			cr_expect(strncmp(opts, "ro", 2) == 0 && (opts[2] == ',' || !opts[2]),
				  "%s is mounted %s, expected ro", want[i].point, opts);
	}
	run_result_free(&r);
}

Test(privsep, dev_is_minimal, .timeout = 60)
{
	need_rootfs();
	struct run_result r;
	run_cmd(&r, "dev", "ls -A /dev; echo ---; echo x > /dev/null && echo NULL-OK; "
			   "head -c 5 /dev/zero | wc -c; head -c 5 /dev/urandom | wc -c");
	ASSERT_STATUS(r, 0);
	static const char *const need[] = { "null", "zero", "full", "random", "urandom",
					    "tty", "ptmx", "pts", "shm" };
	char *list = strndup(r.out, strstr(r.out, "---") ? (size_t)(strstr(r.out, "---") - r.out)
							 : strlen(r.out));
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		char pat[64];
		snprintf(pat, sizeof(pat), "\n%s\n", need[i]);
		char *wrapped = NULL;
		cr_assert(asprintf(&wrapped, "\n%s", list) > 0);
		cr_expect(strstr(wrapped, pat), "/dev/%s missing; /dev has:\n%s", need[i], list);
		free(wrapped);
	}
	/* No host block device, and none of the dangerous char devices. */
	char *save = NULL;
	for (char *e = strtok_r(list, "\n", &save); e; e = strtok_r(NULL, "\n", &save)) {
		char host[PATH_MAX];
		struct stat st;
		snprintf(host, sizeof(host), "/dev/%s", e);
		cr_expect(!(lstat(host, &st) == 0 && S_ISBLK(st.st_mode)),
			  "host block device %s visible in the container", host);
		cr_expect(strcmp(e, "mem") && strcmp(e, "kmem") && strcmp(e, "port") &&
				  strcmp(e, "kmsg"),
			  "/dev/%s visible in the container", e);
	}
	cr_expect(strstr(r.out, "NULL-OK\n5\n5\n"), "device nodes do not work:\n%s", r.out);
	free(list);
	run_result_free(&r);
}

Test(privsep, run_host_files, .timeout = 60)
{
	need_rootfs();
	struct run_result r;
	run_cmd(&r, "runhost", "cat /run/host/os-release; echo ---; cat /run/host/container-manager");
	ASSERT_STATUS(r, 0);
	char *host = read_file_str("/etc/os-release");
	if (!host)
		host = read_file_str("/usr/lib/os-release");
	cr_assert(host, "the host has no os-release");
	cr_expect(strncmp(r.out, host, strlen(host)) == 0,
		  "/run/host/os-release differs from the host's:\n%s", r.out);
	const char *cm = strstr(r.out, "---\n");
	cr_expect(cm && strstr(cm, "hutch"), "/run/host/container-manager:\n%s",
		  cm ? cm + 4 : "(missing)");
	free(host);
	run_result_free(&r);
}
