/* userfaultfd: lets a payload stall kernel copies from user memory at a
 * chosen moment, the standard way to win kernel race conditions. hutch
 * denies it (DESIGN.md 4). UFFD_USER_MODE_ONLY is asked for so that
 * vm.unprivileged_userfaultfd=0 alone does not hide a missing filter.
 * ESCAPED: an fd is returned, or the call fails past the permission checks.
 * BLOCKED: EPERM/EACCES/ENOSYS. */
#include "escape.h"

#include <linux/userfaultfd.h>
#include <sys/syscall.h>

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif

int main(void)
{
	esc_name = "userfaultfd";
	bool escaped = false;
	errno = 0;
	long r = syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
	note("userfaultfd(USER_MODE_ONLY)=%s;", rname(r, errno));
	escaped |= r >= 0 || !denied(errno);
	errno = 0;
	r = syscall(SYS_userfaultfd, O_CLOEXEC);
	note("userfaultfd(0)=%s; vm.unprivileged_userfaultfd=%s", rname(r, errno),
	     sysctl_str("/proc/sys/vm/unprivileged_userfaultfd"));
	escaped |= r >= 0 || !denied(errno);
	verdict(escaped);
}
