/* Read kernel memory and addresses: /proc/kcore (an ELF image of kernel
 * memory) and /proc/kallsyms with real addresses (defeats KASLR). hutch
 * masks both with /dev/null; a kernel hides kallsyms addresses from
 * callers without CAP_SYSLOG (kernel.kptr_restrict, printed).
 * ESCAPED: kcore yields ELF bytes, or kallsyms shows a non-zero address.
 * BLOCKED: both unreadable, empty (masked) or zeroed. */
#include "escape.h"

int main(void)
{
	esc_name = "kcore_kallsyms";
	bool esc = false;
	char buf[16];
	int fd = open("/proc/kcore", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		note("kcore: %s;", errno == ENOENT ? "absent (kernel without it)" : ename(errno));
	} else {
		ssize_t n = read(fd, buf, 4);
		bool elf = n == 4 && !memcmp(buf, "\177ELF", 4);
		note("kcore: read=%zd%s;", n, elf ? " ELF-EXPOSED" : " (masked)");
		esc |= elf;
		close(fd);
	}

	FILE *f = fopen("/proc/kallsyms", "re");
	if (!f) {
		note("kallsyms: %s;", ename(errno));
	} else {
		char line[512], first[128] = "";
		unsigned long lines = 0, nonzero = 0;
		while (fgets(line, sizeof(line), f)) {
			unsigned long long a = 0;
			lines++;
			if (sscanf(line, "%llx", &a) == 1 && a) {
				if (!nonzero++)
					snprintf(first, sizeof(first), "%.*s", (int)strcspn(line, "\n"), line);
			}
		}
		fclose(f);
		note("kallsyms: %lu lines, %lu non-zero addresses%s%s;", lines, nonzero,
		     nonzero ? " e.g. " : "", first);
		esc |= nonzero > 0;
	}
	note("kernel.kptr_restrict=%s", sysctl_str("/proc/sys/kernel/kptr_restrict"));
	verdict(esc);
}
