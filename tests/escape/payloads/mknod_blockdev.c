/* mknod a block device for the host's root disk and read it: the whole
 * host filesystem, raw. Blocked by dropping CAP_MKNOD, by nodev on every
 * writable mount, or by a device cgroup/BPF program. The disk's
 * major:minor comes from mountinfo (the device behind our "/") or
 * /proc/partitions; loop0 (7:0) is tried too (an open loop device attaches
 * any file, and some hosts refuse even root raw access to the disk).
 * Only 512 bytes are read; the node is removed.
 * ESCAPED: a block device node opened.
 * BLOCKED: mknod refused everywhere, or every open/read refused. */
#include "escape.h"

#include <sys/sysmacros.h>

static bool find_disk(unsigned *ma, unsigned *mi)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096], mp[4096];
	bool ok = false;
	while (f && !ok && fgets(line, sizeof(line), f))
		ok = sscanf(line, "%*s %*s %u:%u %*s %4095s", ma, mi, mp) == 3 &&
		     !strcmp(mp, "/") && *ma != 0;
	if (f)
		fclose(f);
	if (ok)
		return true;
	f = fopen("/proc/partitions", "re");
	while (f && !ok && fgets(line, sizeof(line), f))
		ok = sscanf(line, "%u %u", ma, mi) == 2 && *ma != 7 && *ma != 1 && *ma != 0;
	if (f)
		fclose(f);
	return ok;
}

/* mknod dev in dir, open it, read 512 bytes; true if opened. */
static bool try_node(const char *dir, unsigned ma, unsigned mi)
{
	char p[96];
	snprintf(p, sizeof(p), "%s/.hutch-escape-blk-%d", strcmp(dir, "/") ? dir : "", (int)getpid());
	if (mknod(p, S_IFBLK | 0600, makedev(ma, mi)) < 0) {
		note("%s %u:%u mknod=%s;", dir, ma, mi, ename(errno));
		return false;
	}
	int fd = open(p, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	int e = errno;
	char buf[512];
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;
	if (fd >= 0 && n < 0)
		e = errno;
	note("%s %u:%u mknod=ok open=%s read=%s;", dir, ma, mi, fd >= 0 ? "ok" : ename(e),
	     n >= 0 ? "ok" : fd >= 0 ? ename(e) : "-");
	if (n >= 0)
		note("(%zd bytes);", n);
	if (fd >= 0)
		close(fd);
	unlink(p);
	return fd >= 0;
}

int main(void)
{
	esc_name = "mknod_blockdev";
	unsigned ma = 0, mi = 0;
	if (!find_disk(&ma, &mi)) {
		note("no disk found in mountinfo or /proc/partitions; trying 8:0;");
		ma = 8, mi = 0;
	}
	static const char *const dirs[] = { "/", "/tmp", "/var/tmp", "/dev", "/run", "/dev/shm" };
	bool esc = false;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		esc |= try_node(dirs[i], ma, mi);
		esc |= try_node(dirs[i], 7, 0); /* loop0: attach any host file */
	}
	verdict(esc);
}
