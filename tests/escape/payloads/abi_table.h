/* Shared by x32_bypass.c and int80_bypass.c: the denied calls of
 * DESIGN.md 4, issued through a second syscall ABI. A filter written for
 * x86_64 only (no arch check, or one arch of three) lets them through:
 * x32 numbers are the x86_64 ones | 0x40000000 (__X32_SYSCALL_BIT) and
 * i386 numbers via `int $0x80` are different numbers altogether.
 * All buffers live below 4 GiB (MAP_32BIT) so 32-bit pointers work.
 * ESCAPED: a call succeeds or fails past its permission checks.
 * BLOCKED: every call gets EPERM/EACCES/ENOSYS (or the kernel's own safe
 * refusal: ESTALE for an outside inode, EIO for TIOCSTI). */
#ifndef HUTCH_ABI_TABLE_H
#define HUTCH_ABI_TABLE_H
#include "escape.h"

#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <stddef.h>
#include <sys/mman.h>

enum call { C_KEYCTL, C_ADD_KEY, C_BPF, C_PERF, C_UFFD, C_URING, C_HANDLE, C_INIT_MODULE,
	    C_KEXEC, C_SYSLOG, C_TIOCSTI, C_N };
static const char *const call_name[C_N] = {
	"keyctl", "add_key", "bpf", "perf_event_open", "userfaultfd", "io_uring_setup",
	"open_by_handle_at", "init_module", "kexec_load", "syslog", "ioctl(TIOCSTI)",
};
static const bool call_fd[C_N] = { [C_BPF] = 1, [C_PERF] = 1, [C_UFFD] = 1, [C_URING] = 1,
				   [C_HANDLE] = 1 };

struct low {
	union bpf_attr bpf;
	struct perf_event_attr perf;
	struct io_uring_params uring;
	struct { unsigned int bytes; int type; unsigned int ino, gen; } handle;
	char user[8], desc[32], payload[4], empty[4], image[256], tiocsti_char, log[4096];
};

/* ABI-specific: raw call returning the result or -errno. */
static long abi_call(long nr, long a, long b, long c, long d, long e);

static int own_pty_ctty(void)
{
	int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0)
		return -1;
	int unlock = 0;
	ioctl(m, TIOCSPTLCK, &unlock);
	int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0)
		return -1;
	setsid();
	ioctl(s, TIOCSCTTY, 0); /* best effort: else TIOCSTI needs CAP_SYS_ADMIN */
	return s;
}

__attribute__((noreturn)) static void abi_run(const long nr[C_N], long getpid_nr)
{
	long pid = abi_call(getpid_nr, 0, 0, 0, 0, 0);
	note("getpid=%s%s;", pid >= 0 ? "ok" : ename((int)-pid),
	     pid == -ENOSYS ? " (ABI disabled by the kernel or filtered whole)" : "");
	struct low *m = mmap(NULL, sizeof(struct low), PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (m == MAP_FAILED) {
		note("mmap(MAP_32BIT) %s", ename(errno));
		verdict(false);
	}
	memset(m, 0, sizeof(*m));
	m->bpf.map_type = BPF_MAP_TYPE_ARRAY;
	m->bpf.key_size = m->bpf.value_size = 4;
	m->bpf.max_entries = 1;
	m->perf.type = PERF_TYPE_SOFTWARE;
	m->perf.size = sizeof(m->perf);
	m->perf.config = PERF_COUNT_SW_TASK_CLOCK;
	m->perf.disabled = m->perf.exclude_kernel = m->perf.exclude_hv = 1;
	m->handle.bytes = 8, m->handle.type = 1, m->handle.ino = 2;
	strcpy(m->user, "user");
	strcpy(m->desc, "hutch-escape-probe");
	strcpy(m->payload, "x");
	strcpy(m->image, "hutch escape test: not an ELF module");
	m->tiocsti_char = ' ';
	int rootfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int tty = own_pty_ctty();
	long lo = (long)(unsigned long)m; /* below 4 GiB */
#define P(field) (lo + (long)offsetof(struct low, field))
	long args[C_N][5] = {
		[C_KEYCTL] = { KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0 },
		[C_ADD_KEY] = { P(user), P(desc), P(payload), 1, KEY_SPEC_PROCESS_KEYRING },
		[C_BPF] = { BPF_MAP_CREATE, P(bpf), sizeof(m->bpf) },
		[C_PERF] = { P(perf), 0, -1, -1, 0 },
		[C_UFFD] = { O_CLOEXEC | 1 /* UFFD_USER_MODE_ONLY */ },
		[C_URING] = { 4, P(uring) },
		[C_HANDLE] = { rootfd, P(handle), O_RDONLY | O_DIRECTORY | O_CLOEXEC },
		[C_INIT_MODULE] = { P(image), sizeof(m->image), P(empty) },
		[C_KEXEC] = { 0, 0, 0, 0x100 /* no such flag: EINVAL once permitted */ },
		[C_SYSLOG] = { 3 /* READ_ALL */, P(log), sizeof(m->log) },
		[C_TIOCSTI] = { tty, TIOCSTI, P(tiocsti_char) },
	};
#undef P
	bool esc = false;
	for (int i = 0; i < C_N; i++) {
		if (i == C_TIOCSTI && tty < 0) {
			note("%s:no pty;", call_name[i]);
			continue;
		}
		long r = abi_call(nr[i], args[i][0], args[i][1], args[i][2], args[i][3], args[i][4]);
		int e = r < 0 ? (int)-r : 0;
		bool safe = r < 0 && (denied(e) || (i == C_HANDLE && e == ESTALE) ||
				      (i == C_TIOCSTI && e == EIO));
		note("%s=%s;", call_name[i], r >= 0 ? "ok" : ename(e));
		if (r >= 0 && call_fd[i])
			close((int)r);
		esc |= !safe;
	}
	verdict(esc);
}
#endif
