/* hutch escape regression suite (DESIGN.md 6): every hostile payload of
 * tests/escape/payloads/ runs inside a real container with default options
 * and must report BLOCKED (exit status 0). The payloads are built and
 * installed into the test rootfs by tests/fixtures/mkescape.sh; a missing
 * one is skipped with the command that builds it.
 *
 * A payload that tests an ABI or syscall this kernel does not have can
 * only ever say BLOCKED; the host kernel is probed here (as root, without
 * any filter) and such a payload is skipped with the reason instead of
 * passing vacuously. tests/escape/compare.sh runs the same payloads under a
 * plain chroot, where they escape: that is the proof they can fail. */
#include "../lib/harness.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define ESCAPE_TIMEOUT 120
#define PAYLOAD_DIR "/usr/local/escape"

/* ---- host kernel probes ----------------------------------------------------- */

static long int80_getpid(void)
{
	long ret;
	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(20L /* i386 getpid */)
			 : "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory", "cc");
	return (long)(int)ret;
}

/* errno of a raw syscall made by the test process itself (root, no filter). */
static int host_errno(long nr, long a, long b, long c, long d)
{
	errno = 0;
	return syscall(nr, a, b, c, d) < 0 ? errno : 0;
}

/* Why this payload cannot tell anything on this kernel, or NULL. Each
 * probe is harmless: getpid, or arguments the kernel rejects. */
static const char *host_lacks(const char *name)
{
	if (!strcmp(name, "x32_bypass") && host_errno(0x40000000L | SYS_getpid, 0, 0, 0, 0) == ENOSYS)
		return "this kernel has no x32 ABI (CONFIG_X86_X32_ABI=n or syscall.x32=n): "
		       "nothing to bypass through it";
	if (!strcmp(name, "int80_bypass") && int80_getpid() == -ENOSYS)
		return "this kernel has no i386 ABI (no IA32_EMULATION, or ia32_emulation=0)";
	if (!strcmp(name, "init_module") && host_errno(SYS_init_module, 0, 0, (long)"", 0) == ENOSYS)
		return "this kernel has no module support (CONFIG_MODULES=n): "
		       "init_module is ENOSYS for everyone";
	if (!strcmp(name, "kexec_load") &&
	    host_errno(SYS_kexec_load, 0, 0, 0, 0x100 /* invalid flag */) == ENOSYS)
		return "this kernel has no kexec (CONFIG_KEXEC=n): kexec_load is ENOSYS for everyone";
	return NULL;
}

/* ---- running one payload ---------------------------------------------------- */

/* Skip unless root, the rootfs and payload `name` are there and the kernel
 * has what the payload tests. */
static void payload_or_skip(const char *name)
{
	require_root_or_skip();
	require_rootfs_or_skip();
	char bin[4096];
	snprintf(bin, sizeof(bin), "%s%s/%s", test_rootfs(), PAYLOAD_DIR, name);
	if (access(bin, X_OK) != 0) {
		const char *slash = strrchr(test_rootfs(), '/');
		int dl = slash ? (int)(slash - test_rootfs()) : 1;
		cr_skip_test("payload %s missing: run tests/fixtures/mkescape.sh %s %.*s", bin,
			     test_rootfs(), dl, slash ? test_rootfs() : ".");
	}
	const char *why = host_lacks(name);
	if (why)
		cr_skip_test("%s: %s", name, why);
}

static const char *machine_for(const char *name)
{
	static char machine[96];
	snprintf(machine, sizeof(machine), "esc-%s-%d", name, (int)getpid());
	for (char *p = machine; *p; p++)
		if (*p == '_')
			*p = '-';
	return machine;
}

/* Require "ESCAPE-RESULT name BLOCKED" and exit status 0. */
static void check_verdict(const char *name, int status, bool timed_out, const char *out,
			  const char *err)
{
	char prefix[128];
	snprintf(prefix, sizeof(prefix), "ESCAPE-RESULT %s ", name);
	const char *line = strstr(out, prefix);
	cr_assert(line != NULL,
		  "%s printed no verdict (exit status %d%s)\n--- stdout:\n%s\n--- stderr:\n%s", name,
		  status, timed_out ? ", timed out" : "", out, err);
	const char *verdict = line + strlen(prefix);
	int len = (int)strcspn(line, "\n");
	cr_log_info("%.*s", len, line);
	cr_assert(strncmp(verdict, "BLOCKED ", 8) == 0, "the attack worked: %.*s\n--- stderr:\n%s",
		  len, line, err);
	cr_assert_eq(status, 0, "%s said BLOCKED but exited %d\n--- stdout:\n%s\n--- stderr:\n%s",
		     name, status, out, err);
}

/* Run payload `name` in a container with default options (plus `extra`
 * before the command) and require BLOCKED. */
static void run_payload(const char *name, const char *extra)
{
	payload_or_skip(name);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), PAYLOAD_DIR "/%s", name);
	const char *argv[10] = { "-q", "-P", "-D", test_rootfs(), "-M", machine_for(name) };
	size_t n = 6;
	if (extra)
		argv[n++] = extra;
	argv[n++] = cmd;
	argv[n] = NULL;
	struct run_result r;
	run_hutch(&r, ESCAPE_TIMEOUT - 20, NULL, argv);
	check_verdict(name, r.status, r.timed_out, r.out, r.err);
	run_result_free(&r);
}

#define ESCAPE_TEST(name)                                      \
	Test(escape, name, .timeout = ESCAPE_TIMEOUT)          \
	{                                                      \
		run_payload(#name, NULL);                      \
	}

/* Terminal injection: bwrap CVE-2017-5226, flatpak CVE-2019-10063 and
 * CVE-2023-28100 (TIOCSTI/TIOCLINUX, also with the high 32 bits set). */
ESCAPE_TEST(tiocsti)
ESCAPE_TEST(tioclinux)
/* runc CVE-2019-5736: overwrite a host binary through /proc/PID/exe. */
ESCAPE_TEST(exe_overwrite)
/* runc CVE-2024-21626: leaked fds and a cwd outside the root. */
ESCAPE_TEST(fd_leak)
/* chroot(subdir) + chdir("..")... + chroot("."). */
ESCAPE_TEST(chroot_escape)
/* Read-only /proc/sys and /sys made writable; fresh procfs/sysfs without masks. */
ESCAPE_TEST(remount_ro)
ESCAPE_TEST(mount_proc_sysfs)
/* /proc masks removed (umount2), kcore and kallsyms read. */
ESCAPE_TEST(umount_masks)
ESCAPE_TEST(kcore_kallsyms)
/* Docker "shocker": open_by_handle_at on the host filesystem's root inode. */
ESCAPE_TEST(shocker)
/* Denied syscalls (DESIGN.md 4). */
ESCAPE_TEST(keyctl)
ESCAPE_TEST(io_uring)
ESCAPE_TEST(userfaultfd)
ESCAPE_TEST(bpf)
ESCAPE_TEST(perf_event_open)
ESCAPE_TEST(init_module)
ESCAPE_TEST(kexec_load)
ESCAPE_TEST(clock_settime)
ESCAPE_TEST(swapon)
ESCAPE_TEST(syslog)
/* The same denied calls through the x32 and i386 (int $0x80) ABIs. */
ESCAPE_TEST(x32_bypass)
ESCAPE_TEST(int80_bypass)
/* CVE-2022-0492: cgroup v1 release_agent from a new user+cgroup namespace. */
ESCAPE_TEST(cgroup_release_agent)
/* Host block devices: mknod, or the host's devtmpfs. */
ESCAPE_TEST(mknod_blockdev)
ESCAPE_TEST(mount_devtmpfs)
/* ptrace / process_vm_readv / pidfd_getfd against processes outside. */
ESCAPE_TEST(ptrace_outside)
/* CVE-2014-8989: setgroups() in a user namespace before gid_map. */
ESCAPE_TEST(setgroups_userns)

/* With --as-pid2, PID 1 is hutch's own stub init: a hutch process inside
 * the container. Its binary must not be writable through /proc/1/exe, nor
 * the process itself reachable by ptrace and friends. */
Test(escape, exe_overwrite_as_pid2, .timeout = ESCAPE_TIMEOUT)
{
	run_payload("exe_overwrite", "-a");
}

Test(escape, ptrace_outside_as_pid2, .timeout = ESCAPE_TIMEOUT)
{
	run_payload("ptrace_outside", "-a");
}

/* The stub init holds nothing worth driving (found in an audit: with
 * --private-users=no it kept every host capability, and a payload allowed
 * CAP_SYS_PTRACE could trace it and make it mount or write core_pattern):
 * of all capabilities only CAP_KILL (to forward signals), not dumpable. */
static void stub_init_holds_nothing(const char *userns)
{
	need_rootfs();
	struct run_result r;
	run_hutch(&r, ESCAPE_TIMEOUT - 20, NULL,
		  ARGV("-q", "-P", userns, "-a", "--drop-capability=CAP_SYS_ADMIN", "-D",
		       test_rootfs(), "-M", machine_for("stubcaps"), "/bin/sh", "-c",
		       "grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb)' /proc/1/status"));
	ASSERT_STATUS(r, 0);
	cr_expect(strstr(r.out, "CapInh:\t0000000000000000\nCapPrm:\t0000000000000020\n"
				"CapEff:\t0000000000000020\nCapBnd:\t0000000000000020\n"
				"CapAmb:\t0000000000000000\n"),
		  "PID 1 (the stub init) holds more than CAP_KILL (%s):\n%s", userns, r.out);
	run_result_free(&r);
}

Test(escape, stub_init_holds_nothing, .timeout = ESCAPE_TIMEOUT)
{
	stub_init_holds_nothing("--private-users=no");
	stub_init_holds_nothing("--private-users=pick");
}

/* CVE-2024-21626 from the caller's side: hutch is started with fd 9 open
 * on a host directory (a leak of whoever runs it); it must not reach the
 * payload. run_hutch closes inherited fds, so hutch is spawned by hand. */
Test(escape, fd_leak_inherited, .timeout = ESCAPE_TIMEOUT)
{
	payload_or_skip("fd_leak");
	harness_lock_shared();
	int out[2];
	cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
	const char *machine = machine_for("fd_leak_inherited");
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		int dir = open("/", O_RDONLY | O_DIRECTORY); /* inheritable on purpose */
		int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (dir < 0 || nul < 0 || dup2(dir, 9) != 9 || dup2(nul, 0) != 0 ||
		    dup2(out[1], 1) != 1 || dup2(out[1], 2) != 2)
			_exit(126);
		close_range(3, 8, 0);
		close_range(10, ~0U, 0);
		execl(hutch_bin(), hutch_bin(), "-q", "-P", "-D", test_rootfs(), "-M", machine,
		      PAYLOAD_DIR "/fd_leak", (char *)NULL);
		_exit(127);
	}
	cr_assert(pid > 0, "fork: %s", strerror(errno));
	close(out[1]);
	char buf[65536];
	size_t len = 0;
	for (ssize_t n; len + 1 < sizeof(buf) &&
			(n = read(out[0], buf + len, sizeof(buf) - 1 - len)) != 0;)
		if (n > 0)
			len += (size_t)n;
		else if (errno != EINTR)
			break;
	buf[len] = '\0';
	close(out[0]);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	int status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	check_verdict("fd_leak", status, false, buf, "(merged into stdout)");
}
