/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The worker gives up everything before it reads a byte of user input:
 * a uid the caller cannot ptrace or signal (never the caller's own unless the
 * caller is root; started by root, a uid no other running hutch has), no
 * capabilities (bounding set included), no_new_privs, not dumpable, no inherited fds, and a seccomp allowlist that has no
 * open(2): it reads files only through fds the broker hands it.
 */
#include "worker.h"

#include <cap-ng.h>
#include <errno.h>
#include <grp.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/util.h"
#include "drop.h"
#include "seccomp.h"

static const char *const worker_allowed[] = {
	/* the socket, the console relay, stdio */
	"read", "write", "readv", "writev", "close", "sendmsg", "recvmsg", "poll", "ppoll",
	"fcntl", "lseek", "fstat", "newfstatat", "statx", "pread64",
	"signalfd4", "rt_sigprocmask", "rt_sigaction", "rt_sigreturn", "restart_syscall",
	/* memory, time, identity */
	"brk", "mmap", "munmap", "mremap", "madvise", "mprotect", "futex", "getrandom",
	"clock_gettime", "clock_nanosleep", "nanosleep", "gettimeofday", "getpid", "gettid",
	"getppid", "getuid", "geteuid", "getgid", "getegid", "getcwd", "sigaltstack",
	"exit", "exit_group", "tgkill", "sched_yield", "uname",
};

int worker_filter_compile(struct hutch_seccomp *out)
{
	/* Anything else fails with ENOSYS: a compromised worker gets nothing. */
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(ENOSYS));
	if (!ctx)
		return -ENOMEM;
	/* A binary tree, not a chain: the kernel runs the filter once per
	 * syscall number when it loads it (its allow-cache), so a short path
	 * makes the load itself cheaper, not just each call. */
	int r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(worker_allowed); i++) {
		int nr = seccomp_syscall_resolve_name(worker_allowed[i]);
		if (nr != __NR_SCMP_ERROR)
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	}
	/*
	 * ioctl only for the terminal requests the relay needs: never TIOCSTI
	 * or TIOCLINUX into the caller's terminal. The kernel takes the request
	 * as 32 bits, so compare only those (a set high half is no way around).
	 */
	static const unsigned long ioctls[] = {TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ,
					       TIOCSWINSZ, TIOCGPTPEER};
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(ioctls); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, ioctls[i]));
	/* libseccomp 2.5 exports the payload's filter only to an fd: one
	 * close-on-exec memfd (worker/seccomp.c), nothing else. */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(memfd_create), 1,
				     SCMP_A1(SCMP_CMP_EQ, MFD_CLOEXEC));
	/* Content for the broker (worker/files.c): sealed memfds. */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(memfd_create), 1,
				     SCMP_A1(SCMP_CMP_EQ, MFD_CLOEXEC | MFD_ALLOW_SEALING));
	/* libc may try to open locale or timezone files: say no politely. */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat), 0);
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(open), 0);
	if (r == 0)
		r = syscall_filter_export(ctx, out);
	seccomp_release(ctx);
	return r;
}

/* The copy compiled at build time (tools/gen_default_filter.c): no
 * libseccomp compile on the way to every container. */
static int install_filter(void)
{
	struct sock_fprog prog = {.len = (unsigned short)worker_filter_ninsns,
				  .filter = (struct sock_filter *)worker_filter_insns};
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0 ? -errno : 0;
}

int worker_drop_privileges(int sock, uint32_t worker_uid)
{
	/* Only 0-2 and the broker socket stay. */
	if (sock > 3)
		close_range(3, (unsigned)sock - 1, 0);
	close_range((unsigned)sock + 1, ~0U, 0);
	if (geteuid() == 0) {
		uid_t uid = worker_uid;
		if (uid == 0)
			return -EINVAL; /* never root */
		/* The bounding set first, while CAP_SETPCAP is still ours. */
		capng_clear(CAPNG_SELECT_BOUNDS);
		if (capng_apply(CAPNG_SELECT_BOUNDS) < 0)
			return -EPERM;
		if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 ||
		    setresuid(uid, uid, uid) < 0)
			return -errno;
		uid_t r, e, s;
		if (getresuid(&r, &e, &s) < 0 || r != uid || e != uid || s != uid)
			return -EPERM;
	}
	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_apply(CAPNG_SELECT_CAPS) < 0)
		return -EPERM;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 ||
	    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) /* after setresuid, which clears it */
		return -errno;
	if (getppid() == 1)
		return -ESRCH; /* the broker is already gone */
	return install_filter();
}
