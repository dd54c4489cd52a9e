/* Mount a fresh procfs or sysfs somewhere else: a new instance carries
 * none of the masks and read-only binds over /proc and /sys, so it exposes
 * a writable /proc/sys (core_pattern), /proc/sysrq-trigger and a writable
 * /sys. In a user namespace the kernel refuses such a mount while the
 * visible /proc or /sys is partly covered (mnt_already_visible); as real
 * root only the capability set and the filter stand in the way.
 * ESCAPED: a fresh procfs whose sys/ is writable (checked by writing
 * kernel/hostname back with its own value) or whose masked files have real
 * content, or a fresh writable sysfs.
 * BLOCKED: both mounts refused (or nothing exposed by them). */
#include "escape.h"

#include <sys/mount.h>
#include <sys/statvfs.h>

static bool mkdir_tmp(char *d, size_t sz, const char *tag)
{
	static const char *const bases[] = { "/tmp", "/var/tmp", "/run", "/dev/shm", "/" };
	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		snprintf(d, sz, "%s/.hutch-escape-%s-%d", bases[i], tag, (int)getpid());
		if (mkdir(d, 0700) == 0)
			return true;
	}
	note("%s: no writable directory (%s);", tag, ename(errno));
	return false;
}

static bool try_proc(void)
{
	char d[96], p[192], buf[128];
	if (!mkdir_tmp(d, sizeof(d), "proc"))
		return false;
	bool exposed = false;
	if (mount("proc", d, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		note("mount proc=%s;", ename(errno));
	} else {
		snprintf(p, sizeof(p), "%s/sys/kernel/hostname", d);
		int w = -EIO;
		if (slurp(p, buf, sizeof(buf)) > 0) {
			buf[strcspn(buf, "\n")] = '\0';
			w = write_str(p, buf);
		}
		snprintf(p, sizeof(p), "%s/timer_list", d);
		bool tl = slurp(p, buf, sizeof(buf)) > 0 && strncmp(buf, "Timer List", 10) == 0;
		note("mount proc=ok: sys/kernel/hostname write=%s, timer_list %s;",
		     w == 0 ? "ok" : ename(-w), tl ? "READABLE" : "not readable");
		exposed = w == 0 || tl;
		umount2(d, MNT_DETACH);
	}
	rmdir(d);
	return exposed;
}

static bool try_sysfs(void)
{
	char d[96];
	if (!mkdir_tmp(d, sizeof(d), "sysfs"))
		return false;
	bool exposed = false;
	if (mount("sysfs", d, "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		note("mount sysfs=%s", ename(errno));
	} else {
		struct statvfs v;
		exposed = statvfs(d, &v) == 0 && !(v.f_flag & ST_RDONLY);
		note("mount sysfs=ok (%s)", exposed ? "WRITABLE" : "read-only");
		umount2(d, MNT_DETACH);
	}
	rmdir(d);
	return exposed;
}

int main(void)
{
	esc_name = "mount_proc_sysfs";
	bool esc = try_proc();
	esc |= try_sysfs();
	verdict(esc);
}
