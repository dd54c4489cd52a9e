/* Mount the host's devtmpfs (there is one instance per kernel): every
 * host device node appears, on a mount without nodev. hutch's /dev is a
 * private tmpfs; this tries to get the real one back. A user namespace
 * makes the mount impossible (devtmpfs is not FS_USERNS_MOUNT).
 * ESCAPED: the mount succeeds and a host block device can be read (512
 * bytes) or /dev/kmsg opened.
 * BLOCKED: the mount is refused, or nothing in it can be opened. */
#include "escape.h"

#include <dirent.h>
#include <sys/mount.h>

int main(void)
{
	esc_name = "mount_devtmpfs";
	char d[96] = "";
	static const char *const bases[] = { "/tmp", "/var/tmp", "/run", "/dev/shm", "/" };
	for (size_t i = 0; i < 5 && !d[0]; i++) {
		snprintf(d, sizeof(d), "%s/.hutch-escape-dev-%d", bases[i], (int)getpid());
		if (mkdir(d, 0700) < 0)
			d[0] = '\0';
	}
	if (!d[0]) {
		note("no writable directory for a mount point (%s)", ename(errno));
		verdict(false);
	}
	bool esc = false;
	if (mount("devtmpfs", d, "devtmpfs", MS_NOSUID | MS_NOEXEC, NULL) < 0) {
		note("mount devtmpfs=%s", ename(errno));
	} else {
		int blocks = 0, readable = 0;
		char first[300] = "";
		DIR *dir = opendir(d);
		for (struct dirent *de; dir && (de = readdir(dir));) {
			char p[400];
			struct stat st;
			snprintf(p, sizeof(p), "%s/%s", d, de->d_name);
			if (stat(p, &st) < 0 || !S_ISBLK(st.st_mode))
				continue;
			blocks++;
			int fd = open(p, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
			char buf[512];
			if (fd >= 0 && read(fd, buf, sizeof(buf)) > 0 && !readable++)
				snprintf(first, sizeof(first), "%s", de->d_name);
			if (fd >= 0)
				close(fd);
		}
		if (dir)
			closedir(dir);
		char p[160];
		snprintf(p, sizeof(p), "%s/kmsg", d);
		int k = open(p, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		int ke = errno;
		if (k >= 0)
			close(k);
		note("mount devtmpfs=ok: %d block devices, %d readable%s%s, kmsg open=%s", blocks,
		     readable, readable ? " e.g. " : "", first, k >= 0 ? "ok" : ename(ke));
		esc = readable > 0 || k >= 0;
		umount2(d, MNT_DETACH);
	}
	rmdir(d);
	verdict(esc);
}
