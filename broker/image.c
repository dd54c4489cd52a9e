/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * -i/--image: the broker opens the file, the worker (unprivileged) parses
 * its partition table and superblock and names a byte range and a file
 * system type; the broker checks the range against the file, puts it on a
 * loop device and mounts it, detached, with the new mount API. The loop
 * device is set to clear itself (LO_FLAGS_AUTOCLEAR): the kernel releases
 * it when the last mount and fd go, on every exit path of hutch.
 */
#include "broker.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../common/util.h"

#define LOOP_MAJOR 7

static const char *const fs_names[HUTCH_FS_MAX] = {
	[HUTCH_FS_EXT4] = "ext4",         [HUTCH_FS_XFS] = "xfs",
	[HUTCH_FS_BTRFS] = "btrfs",       [HUTCH_FS_SQUASHFS] = "squashfs",
	[HUTCH_FS_EROFS] = "erofs",       [HUTCH_FS_VFAT] = "vfat",
};

/*
 * Found by path (no magic link: see handle_open_root) and checked without
 * being opened: a regular file the grant allows, and only then opened for
 * reading and writing (opening a device can have effects of its own: a
 * watchdog starts counting).
 */
int image_open(const struct hutch_open_image *o, const struct hutch_grant *g, int *fd,
	       int *worker_fd)
{
	bool ro = o->flags & HUTCH_IMAGE_READ_ONLY;
	_cleanup_close_ int path_fd = openat2_fd(AT_FDCWD, o->path, O_PATH, RESOLVE_NO_MAGICLINKS);
	if (path_fd < 0)
		return path_fd;
	/* The grant first: a restricted caller learns nothing of paths outside it. */
	int r = grant_image_ok(g, o->path, path_fd);
	if (r < 0)
		return r;
	struct stat st;
	if (fstat(path_fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EMEDIUMTYPE;
	char proc_path[64];
	snprintf(proc_path, sizeof proc_path, "/proc/self/fd/%d", path_fd);
	_cleanup_close_ int f = open(proc_path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOCTTY |
							 O_NONBLOCK);
	if (f < 0)
		return -errno;
	*worker_fd = open(proc_path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (*worker_fd < 0)
		return -errno;
	*fd = steal_fd(f);
	return 0;
}

/* A free loop device bound to [offset, offset+size) of the image. */
static int loop_attach(int image, const struct hutch_attach_image *a, bool ro, char dev[32])
{
	_cleanup_close_ int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return -errno;
	struct loop_config cfg = {
		.fd = (uint32_t)image,
		.info = {.lo_offset = a->offset, .lo_sizelimit = a->size,
			 .lo_flags = LO_FLAGS_AUTOCLEAR | (ro ? LO_FLAGS_READ_ONLY : 0)},
	};
	for (int tries = 0; tries < 16; tries++) { /* another process may take it first */
		int n = ioctl(ctl, LOOP_CTL_GET_FREE);
		if (n < 0)
			return -errno;
		snprintf(dev, 32, "/dev/loop%d", n);
		_cleanup_close_ int fd = open(dev, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOFOLLOW);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) < 0)
			return -errno;
		if (!S_ISBLK(st.st_mode) || major(st.st_rdev) != LOOP_MAJOR)
			return -ENODEV;
		if (ioctl(fd, LOOP_CONFIGURE, &cfg) == 0)
			return steal_fd(fd);
		if (errno != EBUSY)
			return -errno;
	}
	return -EBUSY;
}

int image_attach(int image, bool image_ro, const struct hutch_attach_image *a, int *mnt,
		 const char **what)
{
	struct stat st;
	*what = "image";
	if (fstat(image, &st) < 0)
		return -errno;
	if (a->offset > (uint64_t)st.st_size || a->size > (uint64_t)st.st_size - a->offset)
		return -ERANGE;
	bool ro = image_ro || a->fstype == HUTCH_FS_SQUASHFS || a->fstype == HUTCH_FS_EROFS;
	char dev[32];
	*what = "loop device";
	_cleanup_close_ int loop = loop_attach(image, a, ro, dev);
	if (loop < 0)
		return loop;
	*what = fs_names[a->fstype];
	_cleanup_close_ int fsfd = fsopen(fs_names[a->fstype], FSOPEN_CLOEXEC);
	if (fsfd < 0)
		return -errno;
	if (fsconfig(fsfd, FSCONFIG_SET_STRING, "source", dev, 0) < 0 ||
	    (ro && fsconfig(fsfd, FSCONFIG_SET_FLAG, "ro", NULL, 0) < 0) ||
	    fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;
	*mnt = fsmount(fsfd, FSMOUNT_CLOEXEC,
		       MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID | (ro ? MOUNT_ATTR_RDONLY : 0));
	return *mnt < 0 ? -errno : 0;
}
