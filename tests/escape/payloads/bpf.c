/* bpf: BPF_MAP_CREATE and BPF_PROG_LOAD. eBPF verifier bugs are a common
 * kernel escalation path, and a loaded program can read kernel memory.
 * hutch denies bpf() (DESIGN.md 4). kernel.unprivileged_bpf_disabled also
 * refuses callers without CAP_BPF/CAP_SYS_ADMIN in the initial namespace.
 * ESCAPED: a map or program fd is returned, or a call fails past the
 * permission checks. BLOCKED: EPERM/EACCES/ENOSYS. */
#include "escape.h"

#include <linux/bpf.h>
#include <sys/syscall.h>

int main(void)
{
	esc_name = "bpf";
	bool escaped = false;
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = 4;
	a.value_size = 4;
	a.max_entries = 1;
	errno = 0;
	long r = syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof(a));
	note("bpf(MAP_CREATE)=%s;", rname(r, errno));
	escaped |= r >= 0 || !denied(errno);

	/* r0 = 0; exit */
	struct bpf_insn prog[2] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	static const char license[] = "GPL";
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	a.insn_cnt = 2;
	a.insns = (unsigned long)prog;
	a.license = (unsigned long)license;
	errno = 0;
	r = syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a));
	note("bpf(PROG_LOAD)=%s; kernel.unprivileged_bpf_disabled=%s", rname(r, errno),
	     sysctl_str("/proc/sys/kernel/unprivileged_bpf_disabled"));
	escaped |= r >= 0 || !denied(errno);
	verdict(escaped);
}
