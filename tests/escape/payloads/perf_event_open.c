/* perf_event_open: a large kernel attack surface (many escalations) and a
 * side channel on other processes and the kernel. hutch denies it
 * (DESIGN.md 4). The event asked for is the most harmless one (software
 * task clock, user space only, this thread), which
 * kernel.perf_event_paranoid <= 2 lets anyone open: so only a filter
 * (or paranoid=3/4, printed) blocks it.
 * ESCAPED: an fd is returned, or the call fails past the permission checks.
 * BLOCKED: EPERM/EACCES/ENOSYS. */
#include "escape.h"

#include <linux/perf_event.h>
#include <sys/syscall.h>

int main(void)
{
	esc_name = "perf_event_open";
	struct perf_event_attr a;
	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_SOFTWARE;
	a.size = sizeof(a);
	a.config = PERF_COUNT_SW_TASK_CLOCK;
	a.disabled = 1;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	errno = 0;
	long r = syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
	int e = errno;
	note("perf_event_open(sw task clock, self)=%s kernel.perf_event_paranoid=%s", rname(r, e),
	     sysctl_str("/proc/sys/kernel/perf_event_paranoid"));
	verdict(r >= 0 || !denied(e));
}
