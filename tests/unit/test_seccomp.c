/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The payload's seccomp filter, compiled in-process and tried for real: a
 * forked child loads it (with no_new_privs, as any process may) and makes
 * each probe call through the ABI the probe names; the results come back
 * through a pipe. Probes use arguments that make an allowed call fail with
 * its own, different error (EFAULT, ENOTTY), so EPERM can only be the
 * filter's.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../common/util.h"
#include "../lib/bpf_sim.h"
#include "../../worker/drop.h"
#include "../../worker/seccomp.h"
#include "../../worker/settings.h"
#include "../../worker/syscall_groups.h"

#define X32 0x40000000L
#define HIGH_BITS 0xdead000000000000UL
#define DEFAULT_CAPS default_capabilities

enum abi { NATIVE, ABI_X32, INT80 };

struct probe {
	const char *what;
	enum abi abi;
	long nr, a0, a1, a2;
	int want; /* errno expected, 0 = anything but EPERM */
};

/* i386 numbers (int 0x80) */
#define I386_GETPID 20
#define I386_IOCTL 54
#define I386_KEYCTL 288
#define I386_IO_URING_SETUP 425
#define X32_IOCTL 514

static long int80(long nr, long a, long b, long c)
{
	long r;
	__asm__ volatile("int $0x80"
			 : "=a"(r)
			 : "a"(nr), "b"(a), "c"(b), "d"(c)
			 : "memory", "r8", "r9", "r10", "r11");
	return r;
}

static long call(const struct probe *p)
{
	long r;
	switch (p->abi) {
	case INT80:
		return int80(p->nr, p->a0, p->a1, p->a2);
	case ABI_X32:
		r = syscall(X32 | p->nr, p->a0, p->a1, p->a2);
		break;
	case NATIVE:
	default:
		r = syscall(p->nr, p->a0, p->a1, p->a2);
		break;
	}
	return r < 0 ? -errno : r;
}

/* Load `f` in a child, run the probes there, return their results. */
static void run_probes(const struct hutch_seccomp *f, const struct probe *p, size_t n,
		       long *results)
{
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		struct sock_fprog prog = {.len = (unsigned short)f->ninsns,
					  .filter = (struct sock_filter *)f->insns};
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
			_exit(2);
		for (size_t i = 0; i < n; i++)
			results[i] = call(&p[i]);
		_exit(write(fds[1], results, n * sizeof *results) == (ssize_t)(n * sizeof *results)
			      ? 0 : 3);
	}
	close(fds[1]);
	int ws;
	cr_assert_eq(waitpid(pid, &ws, 0), pid);
	cr_assert(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "probe child failed (status %#x)", ws);
	cr_assert_eq(read(fds[0], results, n * sizeof *results), (ssize_t)(n * sizeof *results));
	close(fds[0]);
}

static void expect_probes(const struct hutch_seccomp *f, const struct probe *p, size_t n)
{
	long results[64];
	cr_assert_leq(n, 64);
	run_probes(f, p, n, results);
	for (size_t i = 0; i < n; i++) {
		if (p[i].want)
			cr_expect_eq(results[i], -p[i].want, "%s: got %ld (%s), expected -%d (%s)",
				     p[i].what, results[i], strerror((int)-results[i]), p[i].want,
				     strerror(p[i].want));
		else
			cr_expect_neq(results[i], -EPERM, "%s: denied by the filter", p[i].what);
	}
}

static void compile(struct hutch_seccomp *f, uint64_t caps, const char *const *opts, size_t n)
{
	int r = syscall_filter_compile(opts, n, caps, f);
	cr_assert_eq(r, 0, "syscall_filter_compile: %s", strerror(-r));
	cr_assert_gt(f->ninsns, 0);
	cr_assert_leq(f->ninsns, HUTCH_BPF_MAX_INSNS);
}

static struct hutch_seccomp filter; /* 32 KiB: not on the stack */

Test(seccomp, default_denials_on_every_abi, .timeout = 20)
{
	compile(&filter, DEFAULT_CAPS, NULL, 0);
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	cr_assert_geq(devnull, 0);
	char c = 'x';
	long pc = (long)&c;
	const struct probe probes[] = {
		{"getpid", NATIVE, SYS_getpid, 0, 0, 0, 0},
		{"keyctl", NATIVE, SYS_keyctl, 0, 0, 0, EPERM},
		{"add_key", NATIVE, SYS_add_key, 0, 0, 0, EPERM},
		{"request_key", NATIVE, SYS_request_key, 0, 0, 0, EPERM},
		{"io_uring_setup", NATIVE, SYS_io_uring_setup, 1, 0, 0, EPERM},
		{"io_uring_enter", NATIVE, SYS_io_uring_enter, -1, 0, 0, EPERM},
		{"io_uring_register", NATIVE, SYS_io_uring_register, -1, 0, 0, EPERM},
		{"userfaultfd", NATIVE, SYS_userfaultfd, 0, 0, 0, EPERM},
		{"bpf", NATIVE, SYS_bpf, 0, 0, 0, EPERM},
		{"perf_event_open", NATIVE, SYS_perf_event_open, 0, 0, 0, EPERM},
		{"open_by_handle_at", NATIVE, SYS_open_by_handle_at, -1, 0, 0, EPERM},
		{"unknown syscall 1000", NATIVE, 1000, 0, 0, 0, EPERM},
		{"ioctl TIOCSTI", NATIVE, SYS_ioctl, devnull, TIOCSTI, pc, EPERM},
		{"ioctl TIOCSTI, high bits", NATIVE, SYS_ioctl, devnull, (long)(HIGH_BITS | TIOCSTI), pc, EPERM},
		{"ioctl TIOCLINUX", NATIVE, SYS_ioctl, devnull, TIOCLINUX, pc, EPERM},
		{"ioctl TIOCLINUX, high bits", NATIVE, SYS_ioctl, devnull, (long)(HIGH_BITS | TIOCLINUX), pc, EPERM},
		{"ioctl TCGETS", NATIVE, SYS_ioctl, devnull, TCGETS, 0, ENOTTY},
		{"socket NETLINK_AUDIT", NATIVE, SYS_socket, AF_NETLINK, SOCK_RAW, NETLINK_AUDIT, EAFNOSUPPORT},
		{"mount (allowed)", NATIVE, SYS_mount, 0, 0, 0, EFAULT},
		{"modify_ldt (@cpu-emulation)", NATIVE, SYS_modify_ldt, 0, 0, 0, EPERM},
		{"x32 keyctl", ABI_X32, 250, 0, 0, 0, EPERM},
		{"x32 io_uring_setup", ABI_X32, 425, 1, 0, 0, EPERM},
		{"x32 ioctl TIOCSTI", ABI_X32, X32_IOCTL, devnull, TIOCSTI, pc, EPERM},
		{"x32 getpid", ABI_X32, 39, 0, 0, 0, 0},
		{"int 0x80 getpid", INT80, I386_GETPID, 0, 0, 0, 0},
		{"int 0x80 keyctl", INT80, I386_KEYCTL, 0, 0, 0, EPERM},
		{"int 0x80 io_uring_setup", INT80, I386_IO_URING_SETUP, 1, 0, 0, EPERM},
		{"int 0x80 ioctl TIOCSTI", INT80, I386_IOCTL, devnull, TIOCSTI, 0, EPERM},
		{"int 0x80 ioctl TCGETS", INT80, I386_IOCTL, devnull, TCGETS, 0, ENOTTY},
	};
	expect_probes(&filter, probes, ARRAY_SIZE(probes));
	close(devnull);
}

#define MOUNT_PROBE(want) {"mount", NATIVE, SYS_mount, 0, 0, 0, want}
#define CLOCK_ADJTIME_PROBE(want) {"clock_adjtime", NATIVE, SYS_clock_adjtime, 0, 0, 0, want}

Test(seccomp, deny_list_group_and_name, .timeout = 20)
{
	const char *group[] = {"~@mount"};
	const struct probe denied[] = {MOUNT_PROBE(EPERM), {"umount2", NATIVE, SYS_umount2, 0, 0, 0, EPERM},
				      {"getpid", NATIVE, SYS_getpid, 0, 0, 0, 0}};
	compile(&filter, DEFAULT_CAPS, group, 1);
	expect_probes(&filter, denied, ARRAY_SIZE(denied));

	const char *name[] = {"~umount2  mount"};
	compile(&filter, DEFAULT_CAPS, name, 1);
	expect_probes(&filter, denied, ARRAY_SIZE(denied));
}

Test(seccomp, allow_list_adds_names_and_groups, .timeout = 20)
{
	/* @clock is in nspawn's list only with CAP_SYS_TIME. */
	const struct probe denied[] = {CLOCK_ADJTIME_PROBE(EPERM)};
	const struct probe allowed[] = {CLOCK_ADJTIME_PROBE(EFAULT)};
	compile(&filter, DEFAULT_CAPS, NULL, 0);
	expect_probes(&filter, denied, 1);
	compile(&filter, DEFAULT_CAPS | (1ull << 25) /* CAP_SYS_TIME */, NULL, 0);
	expect_probes(&filter, allowed, 1);
	const char *name[] = {"clock_adjtime"};
	compile(&filter, DEFAULT_CAPS, name, 1);
	expect_probes(&filter, allowed, 1);
	const char *group[] = {"@clock no_such_call_is_skipped"};
	compile(&filter, DEFAULT_CAPS, group, 1);
	expect_probes(&filter, allowed, 1);
}

Test(seccomp, deny_wins_in_any_order, .timeout = 20)
{
	const struct probe denied[] = {CLOCK_ADJTIME_PROBE(EPERM), MOUNT_PROBE(EPERM)};
	const char *a[] = {"~clock_adjtime @mount", "@clock", "~mount"};
	compile(&filter, DEFAULT_CAPS, a, 3);
	expect_probes(&filter, denied, ARRAY_SIZE(denied));
	const char *b[] = {"~mount", "@clock mount", "~clock_adjtime"};
	compile(&filter, DEFAULT_CAPS, b, 3);
	expect_probes(&filter, denied, ARRAY_SIZE(denied));
}

Test(seccomp, never_allowed_stays_denied, .timeout = 20)
{
	cr_redirect_stderr(); /* the warnings */
	const char *opts[] = {"keyctl io_uring_setup userfaultfd @keyring @aio", "@known"};
	for (size_t i = 0; i < 2; i++)
		cr_expect_eq(syscall_filter_check(opts[i]), 0);
	compile(&filter, ~0ull, opts, 2);
	const struct probe probes[] = {
		{"keyctl", NATIVE, SYS_keyctl, 0, 0, 0, EPERM},
		{"io_uring_setup", NATIVE, SYS_io_uring_setup, 1, 0, 0, EPERM},
		{"userfaultfd", NATIVE, SYS_userfaultfd, 0, 0, 0, EPERM},
		{"bpf", NATIVE, SYS_bpf, 0, 0, 0, EPERM},
		{"perf_event_open", NATIVE, SYS_perf_event_open, 0, 0, 0, EPERM},
		{"open_by_handle_at", NATIVE, SYS_open_by_handle_at, -1, 0, 0, EPERM},
		{"int 0x80 keyctl", INT80, I386_KEYCTL, 0, 0, 0, EPERM},
		{"io_setup (rest of @aio)", NATIVE, SYS_io_setup, 0, 0, 0, 0},
		{"modify_ldt (@known)", NATIVE, SYS_modify_ldt, 0, 0, 0, 0},
	};
	expect_probes(&filter, probes, ARRAY_SIZE(probes));
}

Test(seccomp, unknown_group_is_an_error)
{
	cr_redirect_stderr();
	cr_expect_eq(syscall_filter_check("read @nope write"), -EINVAL);
	cr_expect_eq(syscall_filter_check("~@mount @no-such-group"), -EINVAL);
	cr_expect_eq(syscall_filter_check("@"), -EINVAL);
	cr_expect_eq(syscall_filter_check("no_such_call ~mount"), 0); /* just skipped */
	cr_expect_eq(syscall_filter_check(""), 0);
	cr_expect_eq(syscall_filter_check("~"), 0);
	const char *opts[] = {"@nope"};
	cr_expect_eq(syscall_filter_compile(opts, 1, DEFAULT_CAPS, &filter), -EINVAL);
	cr_expect_eq(filter.ninsns, 0);
	fflush(stderr);
	cr_assert_stderr_eq_str(
		"hutch: unknown system call group '@nope' in --system-call-filter; see hutch "
		"--list-syscall-groups\n"
		"hutch: unknown system call group '@no-such-group' in --system-call-filter; see "
		"hutch --list-syscall-groups\n"
		"hutch: unknown system call group '@' in --system-call-filter; see hutch "
		"--list-syscall-groups\n");
}

Test(seccomp, filter_size_bound)
{
	compile(&filter, DEFAULT_CAPS, NULL, 0);
	cr_log_info("default filter: %u BPF instructions", filter.ninsns);
	/* The rest of the record is zero, as the decoder demands. */
	static const struct hutch_bpf_insn zero;
	for (size_t i = filter.ninsns; i < HUTCH_BPF_MAX_INSNS; i++)
		cr_assert(!memcmp(&filter.insns[i], &zero, sizeof zero), "insn %zu not zero", i);
	/* The largest sensible request still fits. */
	const char *all[] = {"@known"};
	compile(&filter, ~0ull, all, 1);
	cr_log_info("@known filter: %u BPF instructions", filter.ninsns);
	/* A long word is just an unknown name, never an overflow. */
	char long_word[300];
	memset(long_word, 'a', sizeof long_word - 1);
	long_word[sizeof long_word - 1] = '\0';
	const char *opts[] = {long_word};
	compile(&filter, DEFAULT_CAPS, opts, 1);
}

Test(seccomp, groups_are_consistent)
{
	static const char *const expected[] = {
		"@aio", "@basic-io", "@chown", "@clock", "@cpu-emulation", "@debug",
		"@file-system", "@io-event", "@ipc", "@keyring", "@memlock", "@module",
		"@mount", "@network-io", "@obsolete", "@pkey", "@privileged", "@process",
		"@raw-io", "@reboot", "@resources", "@sandbox", "@setuid", "@signal", "@swap",
		"@sync", "@system-service", "@timer", "@known", "@default",
	};
	for (size_t i = 0; i < ARRAY_SIZE(expected); i++)
		cr_expect_not_null(syscall_group_find(expected[i]), "%s missing", expected[i]);
	for (size_t i = 0; i < n_syscall_groups; i++) {
		const struct syscall_group *g = &syscall_groups[i];
		const char *const *m = g->members ? g->members : syscall_known_names();
		cr_assert_not_null(m);
		cr_expect_not_null(m[0], "%s is empty", g->name);
		for (; *m; m++)
			if ((*m)[0] == '@')
				cr_expect_not_null(syscall_group_find(*m), "%s names %s", g->name, *m);
	}
	const char *const *known = syscall_known_names();
	bool read = false, socketcall = false;
	for (; *known; known++) {
		read |= !strcmp(*known, "read");
		socketcall |= !strcmp(*known, "socketcall"); /* i386 only */
	}
	cr_expect(read && socketcall, "@known lacks read or i386's socketcall");
}

/* The worker compiles under its own seccomp filter (no open(2); memfd only). */
Test(seccomp, compiles_inside_the_worker_sandbox, .timeout = 20)
{
	if (geteuid() != 0)
		cr_skip_test("needs root: the worker drop changes uid");
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0 || worker_drop_privileges(sv[1], HUTCH_WORKER_UID) < 0)
			_exit(2);
		const char *opts[] = {"~@mount", "@clock @known"};
		if (syscall_filter_compile(opts, 2, DEFAULT_CAPS, &filter) < 0 || filter.ninsns == 0)
			_exit(3);
		/* The worker may make close-on-exec memfds, and no other kind. */
		_exit(memfd_create("x", 0) >= 0 || memfd_create("x", MFD_CLOEXEC | MFD_HUGETLB) >= 0
			      ? 4 : 0);
	}
	int ws;
	cr_assert_eq(waitpid(pid, &ws, 0), pid);
	cr_assert(WIFEXITED(ws), "child died (signal %d)", WTERMSIG(ws));
	static const char *const why[] = {"", "", "drop failed", "compile failed",
					  "worker may make other memfds"};
	int st = WEXITSTATUS(ws);
	cr_assert_eq(st, 0, "%s", st < 5 ? why[st] : "unexpected exit status");
}

Test(seccomp, command_line)
{
	static struct settings s;
	char *argv[] = {"hutch", "--system-call-filter=@clock", "--system-call-filter=~@mount mount",
			"-D", "/nonexistent", "true", NULL};
	cr_assert_eq(cli_parse(6, argv, &s), CLI_RUN);
	cr_assert_eq(s.n_syscall_filter, 2);
	cr_expect_str_eq(s.syscall_filter[0], "@clock");
	cr_expect_str_eq(s.syscall_filter[1], "~@mount mount");

	cr_redirect_stderr();
	cr_redirect_stdout();
	char *bad[] = {"hutch", "--system-call-filter=read @nope", "true", NULL};
	cr_expect_eq(cli_parse(3, bad, &s), CLI_ERROR);
	char *list[] = {"hutch", "--list-syscall-groups", NULL};
	cr_expect_eq(cli_parse(2, list, &s), CLI_EXIT_OK);
	/* More options than the settings hold: an error, not an overflow. */
	char *many[SETTINGS_MAX_SYSCALL_FILTER + 3] = {"hutch"};
	for (int i = 1; i <= SETTINGS_MAX_SYSCALL_FILTER + 1; i++)
		many[i] = "--system-call-filter=read";
	cr_expect_eq(cli_parse(SETTINGS_MAX_SYSCALL_FILTER + 2, many, &s), CLI_ERROR);
}

/* The build-time copy of the default filter must be what the code makes
 * today (tools/gen_default_filter.c), and decide every call as a fresh
 * libseccomp compile does; a stale or wrong copy would silently weaken or
 * break every default container. */
Test(seccomp, default_filter_matches_fresh_compile, .timeout = 60)
{
	static struct hutch_seccomp fresh, compact, cached;
	cr_assert_eq(syscall_filter_compile(NULL, 0, default_capabilities, &fresh), 0);
	cr_assert_eq(syscall_filter_compact(default_capabilities, &compact), 0);
	cr_assert_eq(default_filter_caps, default_capabilities);
	cr_assert_eq(default_filter_ninsns, compact.ninsns);
	cr_assert_eq(memcmp(default_filter_insns, compact.insns, compact.ninsns * sizeof compact.insns[0]),
		     0, "build-time default filter differs from what the code makes today");
	bpf_sim_assert_same(&fresh, &compact, "default filter");
	/* ~4x shorter than libseccomp's: what it is for */
	cr_expect_lt(compact.ninsns * 3, fresh.ninsns, "compact %u, libseccomp %u insns",
		     compact.ninsns, fresh.ninsns);
	/* And the worker uses it exactly when the settings are the defaults. */
	struct settings s = {.cap_bounding = default_capabilities};
	cr_assert_eq(syscall_filter_compile_settings(&s, &cached), 0);
	cr_assert_eq(memcmp(&cached, &compact, sizeof compact), 0);
}
