/* Unmount the masks over /proc (kcore, kallsyms, keys, timer_list,
 * sysrq-trigger, ..) and the read-only binds (/proc/sys, /proc/irq,
 * /proc/bus, /proc/fs), then read what is underneath. The masks must be
 * locked (made in a more privileged user namespace) or the payload must
 * lack CAP_SYS_ADMIN/umount2.
 * ESCAPED: any mask or read-only bind could be unmounted, or real content
 * is readable afterwards (timer_list, sched_debug text, kcore/config.gz
 * magic, kallsyms addresses, sysrq-trigger open for writing; nothing is
 * ever written to it).
 * BLOCKED: every unmount refused and nothing sensitive readable. */
#include "escape.h"

#include <limits.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/vfs.h>

static bool is_mountpoint(const char *path)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096], mp[PATH_MAX];
	bool found = false;
	while (f && !found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%*s %*s %*s %*s %4095s", mp) == 1 && strcmp(mp, path) == 0;
	if (f)
		fclose(f);
	return found;
}

/* Real content of a sensitive /proc file? */
static bool exposed(const char *name)
{
	char path[64], buf[8192];
	snprintf(path, sizeof(path), "/proc/%s", name);
	if (!strcmp(name, "sysrq-trigger")) {
		/* Writable only counts if it is procfs's file: a /dev/null mask
		 * opens for writing too (a device node on a read-only mount). */
		int fd = open(path, O_WRONLY | O_CLOEXEC);
		struct statfs sf;
		bool real = fd >= 0 && fstatfs(fd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC;
		if (fd >= 0)
			close(fd);
		return real;
	}
	ssize_t n = slurp(path, buf, sizeof(buf));
	if (n <= 0)
		return false;
	if (!strcmp(name, "timer_list"))
		return !strncmp(buf, "Timer List", 10);
	if (!strcmp(name, "sched_debug"))
		return !strncmp(buf, "Sched Debug", 11);
	if (!strcmp(name, "kcore"))
		return n >= 4 && !memcmp(buf, "\177ELF", 4);
	if (!strcmp(name, "config.gz"))
		return n >= 2 && (unsigned char)buf[0] == 0x1f && (unsigned char)buf[1] == 0x8b;
	if (!strcmp(name, "kallsyms")) /* any non-zero address in the first lines */
		for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
			unsigned long long a = 0;
			if (sscanf(l, "%llx", &a) == 1 && a)
				return true;
		}
	return false;
}

int main(void)
{
	esc_name = "umount_masks";
	static const char *const names[] = {
		"kcore", "kallsyms", "keys", "key-users", "timer_list", "sched_debug",
		"sysrq-trigger", "latency_stats", "kpagecount", "kpageflags", "kpagecgroup",
		"config.gz", "acpi", "scsi", "sys", "irq", "bus", "fs",
	};
	bool esc = false;
	int masked = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%s", names[i]);
		if (access(path, F_OK) < 0 && errno == ENOENT)
			continue;
		bool was = is_mountpoint(path);
		masked += was;
		int r = umount2(path, 0);
		int e = errno;
		if (r < 0)
			r = umount2(path, MNT_DETACH), e = errno;
		bool ex = exposed(names[i]);
		if (was || r == 0 || ex)
			note("%s:%s umount=%s%s;", names[i], was ? "masked" : "unmasked",
			     r == 0 ? "ok" : ename(e), ex ? " CONTENT-EXPOSED" : "");
		esc |= r == 0 || ex;
	}
	note("%d masks/ro-binds found", masked);
	verdict(esc);
}
