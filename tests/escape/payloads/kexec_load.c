/* kexec_load / kexec_file_load: replacing the running kernel. The flags
 * passed are invalid, which the kernel checks right after the permission
 * check (CAP_SYS_BOOT): EINVAL therefore means the call was permitted
 * (ESCAPED); EPERM means blocked by policy. ENOSYS: filtered, or a kernel
 * without kexec (the test suite skips this payload on such a kernel).
 * Nothing is ever loaded or unloaded. */
#include "escape.h"

#include <sys/syscall.h>

int main(void)
{
	esc_name = "kexec_load";
	bool escaped = false;
	errno = 0;
	long r = syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0x100UL /* no such flag */);
	note("kexec_load(bad flags)=%s;", rname(r, errno));
	escaped |= r >= 0 || !denied(errno);
	errno = 0;
	r = syscall(SYS_kexec_file_load, -1, -1, 0UL, "", 0x80000UL /* no such flag */);
	note("kexec_file_load(bad flags)=%s", rname(r, errno));
	escaped |= r >= 0 || !denied(errno);
	verdict(escaped);
}
