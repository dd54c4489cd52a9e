/* clock_settime: the realtime clock is global, not namespaced; a container
 * that can set it breaks TLS, Kerberos, logs and timers on the host. The
 * clock is set to the value just read (a no-op but for microseconds), so a
 * successful call shows the hole without moving the host's time.
 * ESCAPED: the call succeeds, or fails past the permission check.
 * BLOCKED: EPERM/EACCES/ENOSYS (filter, or no CAP_SYS_TIME). */
#include "escape.h"

#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>

int main(void)
{
	esc_name = "clock_settime";
	bool escaped = false;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	errno = 0;
	long r = syscall(SYS_clock_settime, CLOCK_REALTIME, &now);
	note("clock_settime(REALTIME, now)=%s;", rname(r, errno));
	escaped |= r >= 0 || !denied(errno);

	struct timeval tv;
	gettimeofday(&tv, NULL);
	errno = 0;
	r = syscall(SYS_settimeofday, &tv, NULL);
	note("settimeofday(now)=%s", rname(r, errno));
	escaped |= r >= 0 || !denied(errno);
	verdict(escaped);
}
