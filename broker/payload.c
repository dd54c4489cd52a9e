/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The last steps before execve: capabilities, credentials, working
 * directory, no_new_privs and the payload's seccomp filter, in the one
 * order that works: the filter goes last, because loading it without
 * no_new_privs needs CAP_SYS_ADMIN, which a non-root payload keeps only
 * until its execve (PR_SET_KEEPCAPS across the uid change).
 */
#include "broker.h"

#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <grp.h>
#include <signal.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/util.h"

_Static_assert(sizeof(struct hutch_bpf_insn) == sizeof(struct sock_filter), "bpf layout");

/* DESIGN.md §4: never CAP_AUDIT_*, whatever the worker asks for. */
#define CAPS_NEVER ((1ull << CAP_AUDIT_WRITE) | (1ull << CAP_AUDIT_CONTROL) | \
		    (1ull << CAP_AUDIT_READ))

static int capset_raw(uint64_t effective, uint64_t permitted, uint64_t inheritable)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2] = {
		{(uint32_t)effective, (uint32_t)permitted, (uint32_t)inheritable},
		{(uint32_t)(effective >> 32), (uint32_t)(permitted >> 32),
		 (uint32_t)(inheritable >> 32)},
	};
	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

static int permitted_now(uint64_t *out)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	*out = d[0].permitted | (uint64_t)d[1].permitted << 32;
	return 0;
}

static int apply_bounding_set(uint64_t keep)
{
	capng_clear(CAPNG_SELECT_BOUNDS);
	for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
		if ((keep & (1ull << cap)) && capng_update(CAPNG_ADD, CAPNG_BOUNDING_SET, cap) < 0)
			return -EINVAL;
	return capng_apply(CAPNG_SELECT_BOUNDS) < 0 ? -EPERM : 0;
}

int payload_credentials(const struct hutch_exec *e, const struct hutch_seccomp *filter,
			const char **what)
{
	uint64_t all = (CAP_LAST_CAP >= 63) ? ~0ull : (1ull << (CAP_LAST_CAP + 1)) - 1;
	uint64_t bounding = e->cap_bounding & all & ~CAPS_NEVER;
	uint64_t ambient = e->cap_ambient & bounding;
	/* What we need ourselves until execve, on top of the payload's set. */
	uint64_t own = (1ull << CAP_SETUID) | (1ull << CAP_SETGID) | (1ull << CAP_SYS_ADMIN);
	*what = "capabilities";
	/* Nobody gets what hutch itself does not hold (a confined host root may
	 * lack some, e.g. CAP_SYS_RESOURCE). */
	uint64_t held;
	int r = permitted_now(&held);
	if (r < 0)
		return r;
	bounding &= held;
	ambient &= held;
	own &= held;
	r = apply_bounding_set(bounding);
	if (r == 0)
		r = capset_raw(own | bounding, own | bounding, ambient);
	if (r == 0 && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		r = -errno;
	if (r == 0 && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		r = -errno;
	if (r < 0)
		return r;

	*what = "credentials";
	gid_t groups[HUTCH_MAX_GROUPS];
	for (uint32_t i = 0; i < e->ngroups; i++)
		groups[i] = e->groups[i];
	if (setgroups(e->ngroups, groups) < 0 || setresgid(e->gid, e->gid, e->gid) < 0 ||
	    setresuid(e->uid, e->uid, e->uid) < 0)
		return -errno;
	/* As the payload's user, before any capability comes back. */
	*what = "chdir";
	if (chdir(e->cwd) < 0 && (!(e->flags & HUTCH_EXEC_CWD_FALLBACK) || chdir("/") < 0))
		return -errno;

	/* The uid change cleared the effective set; take back what we still
	 * need (CAP_SYS_ADMIN for the filter, ambient ones to raise). execve
	 * recomputes all of it from the bounding, inheritable and ambient sets. */
	*what = "capabilities";
	if ((r = capset_raw(own | bounding, own | bounding, ambient)) < 0)
		return r;
	for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
		if ((ambient & (1ull << cap)) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			return -errno;
	/* PDEATHSIG after the uid change, which clears it. */
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		return -errno;
	if (e->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	*what = "seccomp";
	if (filter) {
		struct sock_fprog prog = {
			.len = (unsigned short)filter->ninsns,
			.filter = (struct sock_filter *)filter->insns,
		};
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
			return -errno;
	}
	*what = "exec";
	return 0;
}

/*
 * PID 1 of --as-pid2 (the stub init) keeps nothing a payload could use
 * through it: with --private-users=no a payload that holds CAP_SYS_PTRACE
 * may trace it whatever its dumpable flag, so it keeps no capability but
 * CAP_KILL (to forward signals to a payload of another uid). No seccomp
 * filter of the payload's: one that denied wait4 or kill would hang it.
 */
int stub_confine(void)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return -errno;
	capng_clear(CAPNG_SELECT_ALL);
	if (capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET,
			 CAP_KILL) < 0 ||
	    capng_apply(CAPNG_SELECT_ALL) < 0)
		return -EPERM;
	return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 ? -errno : 0;
}

int payload_exec_label(const char *label)
{
	int fd = open("/proc/thread-self/attr/exec", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = write_full(fd, label, strlen(label)); /* one write: the kernel takes it whole */
	close(fd);
	return r;
}
