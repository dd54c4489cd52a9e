/* io_uring_setup: io_uring has been the source of many kernel privilege
 * escalations and its operations bypass seccomp (they are not syscalls),
 * so hutch denies io_uring_* (DESIGN.md 4), as Docker and ChromeOS do.
 * ESCAPED: a ring is created, or the call fails past the permission checks.
 * BLOCKED: EPERM/EACCES/ENOSYS. kernel.io_uring_disabled=2 also blocks it. */
#include "escape.h"

#include <linux/io_uring.h>
#include <sys/syscall.h>

int main(void)
{
	esc_name = "io_uring";
	struct io_uring_params p;
	memset(&p, 0, sizeof(p));
	errno = 0;
	long r = syscall(SYS_io_uring_setup, 4, &p);
	int e = errno;
	note("io_uring_setup(4)=%s kernel.io_uring_disabled=%s", rname(r, e),
	     sysctl_str("/proc/sys/kernel/io_uring_disabled"));
	verdict(r >= 0 || !denied(e));
}
