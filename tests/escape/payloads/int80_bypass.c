/* The i386 ABI as a way around a seccomp filter: `int $0x80` from this
 * 64-bit binary enters the kernel's 32-bit syscall table (AUDIT_ARCH_I386),
 * with the i386 numbers (see abi_table.h). Needs CONFIG_IA32_EMULATION
 * (and not ia32_emulation=0); the test suite probes the host kernel and
 * skips otherwise. */
#include "abi_table.h"

static long abi_call(long nr, long a, long b, long c, long d, long e)
{
	long ret;
	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e)
			 : "r8", "r9", "r10", "r11", "memory", "cc");
	return (long)(int)ret; /* 32-bit result, -errno on failure */
}

int main(void)
{
	esc_name = "int80_bypass";
	static const long nr[C_N] = {
		[C_KEYCTL] = 288, [C_ADD_KEY] = 286, [C_BPF] = 357,     [C_PERF] = 336,
		[C_UFFD] = 374,   [C_URING] = 425,   [C_HANDLE] = 342,  [C_INIT_MODULE] = 128,
		[C_KEXEC] = 283,  [C_SYSLOG] = 103,  [C_TIOCSTI] = 54,
	};
	abi_run(nr, 20 /* getpid */);
}
