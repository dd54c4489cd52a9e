/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The cgroup device program, loaded once per distinct rule set and kept
 * pinned in bpffs as /sys/fs/bpf/hutch/dev-<FNV-1a of the instructions>.
 * A fresh load runs the verifier and the JIT, and libbpf's first load in a
 * process probes the kernel with two test programs (together ~0.3-0.5 ms
 * of a ~5 ms start); a start that finds its program pinned does one
 * BPF_OBJ_GET and one info query instead.
 *
 * The pin is a hint, never trusted: its program is used only when the
 * kernel reports, for the object behind it, a program (not a map or link)
 * of type cgroup-device, with no maps, whose translated instructions are
 * exactly the ones the broker has just generated from the typed rules.
 * Anything else (a planted or stale object, bpffs missing, a directory
 * that is not root's and 0700, any error) means a fresh load; a wrong pin
 * is replaced. The directory is opened once, checked by fd, and reached
 * through /proc/self/fd, so the checked directory is the one used.
 */
#include "broker.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/magic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "../common/util.h"

#define BPFFS "/sys/fs/bpf"

/* bpffs at /sys/fs/bpf, as systemd mounts it at boot, when it is absent.
 * The lock on the sysfs directory underneath keeps two starts from
 * stacking two mounts. */
static int mount_bpffs(void)
{
	struct statfs sf;
	if (statfs(BPFFS, &sf) == 0 && sf.f_type == BPF_FS_MAGIC)
		return 0;
	_cleanup_close_ int fd = open(BPFFS, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstatfs(fd, &sf) < 0 || sf.f_type != SYSFS_MAGIC || flock(fd, LOCK_EX) < 0)
		return -EPERM;
	if (statfs(BPFFS, &sf) == 0 && sf.f_type == BPF_FS_MAGIC)
		return 0; /* another start mounted it while we waited */
	if (mount("bpf", BPFFS, "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700") < 0)
		return -errno;
	return 0;
}

int devprog_cache_dir(const char *dir)
{
	if (!strncmp(dir, BPFFS "/", sizeof BPFFS) && mount_bpffs() < 0)
		return -EOPNOTSUPP;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct statfs sf;
	struct stat st;
	if (fd < 0)
		return -errno;
	if (fstatfs(fd, &sf) < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (sf.f_type != BPF_FS_MAGIC || st.st_uid != 0 || (st.st_mode & 077))
		return -EPERM;
	return steal_fd(fd);
}

void devprog_name(const struct bpf_insn *p, size_t n, char name[DEVPROG_NAME_MAX])
{
	const unsigned char *b = (const unsigned char *)p;
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n * sizeof *p; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	snprintf(name, DEVPROG_NAME_MAX, "dev-%016llx-%zu", (unsigned long long)h, n);
}

/* 0 if fd is a cgroup-device program with exactly these instructions. */
int devprog_check(int fd, const struct bpf_insn *p, size_t n)
{
	char link[32], target[32];
	struct bpf_insn got[DEVPROG_INSNS_MAX];
	struct bpf_prog_info info = {0};
	uint32_t len = sizeof info;
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t k = readlink(link, target, sizeof target - 1);
	if (k < 0)
		return -errno;
	target[k] = '\0';
	if (strcmp(target, "anon_inode:bpf-prog"))
		return -EBADF; /* a map or a link pinned under our name */
	if (n > DEVPROG_INSNS_MAX)
		return -E2BIG;
	info.xlated_prog_insns = (uint64_t)(uintptr_t)got;
	info.xlated_prog_len = sizeof got;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
		return -errno;
	if (len < offsetof(struct bpf_prog_info, nr_map_ids) + sizeof info.nr_map_ids ||
	    info.type != BPF_PROG_TYPE_CGROUP_DEVICE || info.nr_map_ids != 0 ||
	    info.xlated_prog_len != n * sizeof *p || memcmp(got, p, n * sizeof *p))
		return -EKEYREJECTED;
	return 0;
}

/* A program fd for these instructions: the pinned one if it checks out,
 * else a fresh load, pinned for the next start (dir_fd < 0: no cache). */
int devprog_get(int dir_fd, const struct bpf_insn *p, size_t n)
{
	char name[DEVPROG_NAME_MAX], path[64 + DEVPROG_NAME_MAX];
	devprog_name(p, n, name);
	snprintf(path, sizeof path, "/proc/self/fd/%d/%s", dir_fd, name);
	if (dir_fd >= 0) {
		int fd = bpf_obj_get(path);
		if (fd >= 0 && devprog_check(fd, p, n) == 0)
			return fd;
		if (fd >= 0) {
			close(fd);
			log_error("warning: pinned device program %s is not the expected one; "
				  "loading and pinning a fresh one", name);
			(void)unlinkat(dir_fd, name, 0);
		}
	}
	int fd = bpf_prog_load(BPF_PROG_TYPE_CGROUP_DEVICE, "hutch_devices", "GPL", p, n, NULL);
	if (fd < 0)
		return fd;
	/* Pinned only if a later start would accept it (the kernel may rewrite
	 * instructions, e.g. with constant blinding; then every start loads).
	 * A failed pin (EEXIST from a concurrent start, a full bpffs) costs
	 * this start nothing. */
	if (dir_fd >= 0 && devprog_check(fd, p, n) == 0)
		(void)bpf_obj_pin(fd, path);
	return fd;
}
