/* syslog (klogctl): the kernel log is the host's and leaks addresses,
 * hardware and other containers' activity. READ_ALL does not consume it.
 * ESCAPED: a byte count is returned (then the log was read).
 * BLOCKED: EPERM/EACCES/ENOSYS (filter, or no CAP_SYSLOG with
 * kernel.dmesg_restrict=1, printed). */
#include "escape.h"

#include <sys/klog.h>

int main(void)
{
	esc_name = "syslog";
	static char buf[4096];
	bool escaped = false;
	errno = 0;
	int r = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, sizeof(buf));
	note("syslog(READ_ALL)=%s%s;", r >= 0 ? "" : ename(errno), r >= 0 ? "ok" : "");
	if (r > 0)
		note("read %d bytes of the kernel log;", r);
	escaped |= r >= 0 || !denied(errno);
	errno = 0;
	r = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	note("syslog(SIZE_BUFFER)=%s kernel.dmesg_restrict=%s", r >= 0 ? "ok" : ename(errno),
	     sysctl_str("/proc/sys/kernel/dmesg_restrict"));
	escaped |= r >= 0 || !denied(errno);
	verdict(escaped);
}
