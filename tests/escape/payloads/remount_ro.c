/* Remount the read-only /proc/sys and /sys read-write: with a writable
 * /proc/sys a container root sets kernel.core_pattern (a host command run
 * as root) or modprobe; with a writable /sys, uevent_helper. The bind
 * mounts must be locked read-only (made in a more privileged user
 * namespace) or the payload must lack the right to remount.
 * Tried: mount(MS_REMOUNT|MS_BIND) without MS_RDONLY, keeping the other
 * flags, and mount_setattr() clearing MOUNT_ATTR_RDONLY. Then
 * kernel.hostname (UTS namespaced) and the global kernel.printk_ratelimit
 * are written back with their current values. Nothing else is written.
 * ESCAPED: the payload removed a read-only flag, or a global sysctl was
 * written (also when /proc/sys was never read-only).
 * BLOCKED: the flags stay and global sysctls are not writable (a /proc/sys
 * that is mounted rw but whose files the kernel refuses, as in a user
 * namespace, is blocked: printed as "RW at start"). */
#include "escape.h"

#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>

struct mount_attr_v0 { unsigned long long attr_set, attr_clr, propagation, userns_fd; };

static bool is_ro(const char *p)
{
	struct statvfs v;
	return statvfs(p, &v) == 0 && (v.f_flag & ST_RDONLY);
}

/* Try both ways to make `p` writable; true if we removed its read-only flag. */
static bool attack(const char *p, long magic)
{
	struct statfs sf;
	struct statvfs v;
	if (statfs(p, &sf) < 0 || (long)sf.f_type != magic || statvfs(p, &v) < 0) {
		note("%s: not mounted as expected (n/a);", p);
		return false;
	}
	bool ro0 = v.f_flag & ST_RDONLY;
	struct mount_attr_v0 ma = { .attr_clr = 1 /* MOUNT_ATTR_RDONLY */ };
	errno = 0;
	long r1 = syscall(SYS_mount_setattr, AT_FDCWD, p, 0, &ma, sizeof(ma));
	int e1 = errno;
	unsigned long keep = v.f_flag & (ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_NOATIME |
					 ST_NODIRATIME | ST_RELATIME);
	errno = 0;
	int r2 = mount(NULL, p, NULL, MS_REMOUNT | MS_BIND | keep, NULL);
	int e2 = errno;
	bool ro1 = is_ro(p);
	note("%s: %s at start, mount_setattr(clear RDONLY)=%s, remount(rw)=%s, %s now;", p,
	     ro0 ? "ro" : "RW", rname(r1, e1), r2 == 0 ? "ok" : ename(e2), ro1 ? "ro" : "RW");
	return ro0 && !ro1;
}

/* Write a sysctl back with the value it has; 0 or -errno. */
static int rewrite(const char *path)
{
	char v[256];
	ssize_t n = slurp(path, v, sizeof(v));
	if (n <= 0)
		return n < 0 ? (int)n : -ENODATA;
	v[strcspn(v, "\n")] = '\0';
	return write_str(path, v);
}

int main(void)
{
	esc_name = "remount_ro";
	bool esc = attack("/proc/sys", PROC_SUPER_MAGIC);
	esc |= attack("/sys", SYSFS_MAGIC);
	/* hostname is per UTS namespace: informative only. printk_ratelimit is
	 * global: writing it (even its own value) is writing the host's kernel
	 * settings, as core_pattern would be. */
	int h = rewrite("/proc/sys/kernel/hostname");
	int g = rewrite("/proc/sys/kernel/printk_ratelimit");
	note("rewrite kernel.hostname=%s, global kernel.printk_ratelimit=%s", h ? ename(-h) : "ok",
	     g ? ename(-g) : "ok");
	verdict(esc || g == 0);
}
