/* swapon: swapping host memory to a file the container controls leaks
 * every process's pages into it. The file offered has no swap signature,
 * so a permitted call fails with EINVAL after the CAP_SYS_ADMIN check: that
 * counts as ESCAPED (the call was allowed). BLOCKED: EPERM/EACCES/ENOSYS. */
#include "escape.h"

#include <sys/swap.h>
#include <sys/syscall.h>

int main(void)
{
	esc_name = "swapon";
	static const char *const dirs[] = { "/tmp", "/var/tmp", "/run", "/dev/shm", "/" };
	char path[128] = "";
	int fd = -1;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && fd < 0; i++) {
		snprintf(path, sizeof(path), "%s/.hutch-escape-swap-%d", dirs[i], (int)getpid());
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	}
	if (fd >= 0) {
		static char zero[65536];
		if (write(fd, zero, sizeof(zero)) != (ssize_t)sizeof(zero))
			note("(short write)");
		close(fd);
	} else {
		snprintf(path, sizeof(path), "/nonexistent-hutch-escape-swap");
		note("(no writable dir: probing with a missing file, ENOENT would count)");
	}
	errno = 0;
	long r = syscall(SYS_swapon, path, 0);
	int e = errno;
	if (r == 0)
		syscall(SYS_swapoff, path);
	if (path[0] && strncmp(path, "/nonexistent", 12) != 0)
		unlink(path);
	note("swapon(no signature)=%s", rname(r, e));
	verdict(r >= 0 || !denied(e));
}
