/* Reach a process outside the container: ptrace, process_vm_readv and
 * pidfd_open + pidfd_getfd give its memory and fds (hutch's broker and
 * worker, or any host process). A PID namespace hides them; a shared one
 * (or a leaked pidfd) does not.
 * 1. Every visible process whose root, mount or PID namespace differs
 *    from ours (or is hidden from us) is attacked: process_vm_readv of 8 bytes (EFAULT means
 *    access was granted), pidfd_getfd of its fd 0 (EBADF likewise), and
 *    only if both fail PTRACE_SEIZE (no stop; detached when we exit).
 * 2. Every pid up to pid_max (at most 65536) that is NOT in our /proc is
 *    tried with pidfd_open: anything but ESRCH means a hidden process is
 *    reachable.
 * ESCAPED: any access granted. BLOCKED: ESRCH/EPERM/EACCES everywhere. */
#include "escape.h"

#include <dirent.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>

/* The process's root or namespace is another than ours, or hidden from us
 * (a process the launcher did not mean us to reach: attacked as well). */
static bool differs(const char *pid, const char *what, const struct stat *ours)
{
	char p[64];
	struct stat st;
	snprintf(p, sizeof(p), "/proc/%s/%s", pid, what);
	if (stat(p, &st) < 0)
		return errno == EACCES || errno == EPERM;
	return !same_file(&st, ours);
}

static bool attack(pid_t pid)
{
	char buf[8];
	struct iovec l = { buf, sizeof(buf) }, r = { (void *)0x1000, sizeof(buf) };
	errno = 0;
	long n = syscall(SYS_process_vm_readv, pid, &l, 1, &r, 1, 0);
	int e1 = errno;
	bool vm = n >= 0 || e1 == EFAULT;
	errno = 0;
	long pfd = syscall(SYS_pidfd_open, pid, 0);
	int e2 = errno, e3 = 0;
	long fd = -1;
	if (pfd >= 0) {
		errno = 0;
		fd = syscall(SYS_pidfd_getfd, (int)pfd, 0, 0);
		e3 = errno;
		if (fd >= 0)
			close((int)fd);
		close((int)pfd);
	}
	bool getfd = fd >= 0 || (pfd >= 0 && e3 == EBADF);
	const char *pt = "not tried";
	bool traced = false;
	if (!vm && !getfd) {
		errno = 0;
		traced = ptrace(PTRACE_SEIZE, pid, NULL, NULL) == 0;
		pt = traced ? "ok" : ename(errno);
	}
	note("pid %d: process_vm_readv=%s pidfd_open=%s pidfd_getfd=%s ptrace=%s;", (int)pid,
	     n >= 0 ? "ok" : ename(e1), pfd >= 0 ? "ok" : ename(e2),
	     pfd < 0 ? "-" : fd >= 0 ? "ok" : ename(e3), pt);
	return vm || getfd || traced;
}

int main(void)
{
	esc_name = "ptrace_outside";
	struct stat root, mnt, pidns;
	if (stat("/", &root) < 0 || stat("/proc/self/ns/mnt", &mnt) < 0 ||
	    stat("/proc/self/ns/pid", &pidns) < 0) {
		note("cannot read our own root/namespaces: %s", ename(errno));
		verdict(false);
	}
	bool esc = false;
	int visible = 0, outside = 0;
	DIR *d = opendir("/proc");
	for (struct dirent *de; d && (de = readdir(d));) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		pid_t pid = atoi(de->d_name);
		if (pid == getpid())
			continue;
		char exe[64], t[8];
		snprintf(exe, sizeof(exe), "/proc/%.16s/exe", de->d_name);
		if (readlink(exe, t, sizeof(t)) < 0 && errno == ENOENT)
			continue; /* a kernel thread: nothing to steal */
		visible++;
		if (differs(de->d_name, "root", &root) || differs(de->d_name, "ns/mnt", &mnt) ||
		    differs(de->d_name, "ns/pid", &pidns)) {
			if (++outside <= 8)
				esc |= attack(pid);
		}
	}
	if (d)
		closedir(d);
	note("%d other user processes visible, %d outside our root/namespaces or hidden;", visible, outside);

	long max = atol(sysctl_str("/proc/sys/kernel/pid_max"));
	if (max <= 0 || max > 65536)
		max = 65536;
	long hidden = 0, reached = 0;
	for (long pid = 1; pid < max; pid++) {
		char p[32];
		snprintf(p, sizeof(p), "/proc/%ld", pid);
		if (access(p, F_OK) == 0)
			continue;
		hidden++;
		errno = 0;
		long fd = syscall(SYS_pidfd_open, pid, 0);
		int e = errno;
		if (fd >= 0)
			close((int)fd);
		if ((fd >= 0 || e != ESRCH) && access(p, F_OK) < 0) { /* not one that just appeared */
			if (!reached++)
				note("hidden pid %ld: pidfd_open=%s;", pid, fd >= 0 ? "ok" : ename(e));
		}
	}
	note("%ld pids not in /proc tried, %ld reachable", hidden, reached);
	verdict(esc || reached > 0);
}
