/* The x32 ABI as a way around a seccomp filter: the same calls with
 * __X32_SYSCALL_BIT set (see abi_table.h). Most distribution kernels
 * build x32 in but disable it at boot; then every call is ENOSYS and the
 * test suite skips this payload (it probes the host kernel itself). */
#include "abi_table.h"

#define X32 0x40000000L

static long abi_call(long nr, long a, long b, long c, long d, long e)
{
	errno = 0;
	long r = syscall(nr, a, b, c, d, e);
	return r < 0 ? -errno : r;
}

int main(void)
{
	esc_name = "x32_bypass";
	static const long nr[C_N] = {
		[C_KEYCTL] = X32 | 250, [C_ADD_KEY] = X32 | 248, [C_BPF] = X32 | 321,
		[C_PERF] = X32 | 298,   [C_UFFD] = X32 | 323,    [C_URING] = X32 | 425,
		[C_HANDLE] = X32 | 304, [C_INIT_MODULE] = X32 | 175, [C_KEXEC] = X32 | 528,
		[C_SYSLOG] = X32 | 103, [C_TIOCSTI] = X32 | 514 /* compat ioctl */,
	};
	abi_run(nr, X32 | 39 /* getpid */);
}
