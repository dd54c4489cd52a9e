/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench/floor: the least a launcher must do for workload 1's isolation, as
 * one static program with no parsing, no policy, no privilege separation and
 * no error reporting worth the name. It is a yardstick, not a launcher: the
 * gap between it and hutch is what hutch's architecture costs, and the gap
 * between it and bwrap says whether a target relative to bwrap is reachable
 * at all for that isolation.
 *
 *   floor ROOT PROGRAM [ARG...]     (as root)
 *
 * What it does, in hutch's terms: a v2 cgroup of its own (CLONE_INTO_CGROUP,
 * removed after); new user (65536 ids from an unprivileged base), mount,
 * PID, network (loopback up), UTS, IPC and cgroup namespaces in one clone3;
 * the root bind-mounted and pivoted into; /proc with hutch's masks and its
 * read-only subtrees; a tmpfs /dev with the six host nodes, devpts, /dev/shm;
 * /sys read-only; tmpfs /run and /tmp; every capability dropped, no_new_privs,
 * and hutch's default seccomp program (the same instructions, linked in).
 * What it leaves out of hutch's work: the idmapped root, /run/host, /etc
 * files, the cgroup's limits, the v1 hierarchies and the device program,
 * the mounts' MNT_LOCKED dance, /dev/mqueue, checks on every path.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern const uint32_t default_filter_ninsns;
extern const struct sock_filter default_filter_insns[];

#define BASE 0x68000000u /* uid/gid base of the container's 65536 ids */

static _Noreturn void die(const char *what)
{
	fprintf(stderr, "floor: %s: %m\n", what);
	_exit(125);
}

static void bind_mount(const char *src, const char *dst, unsigned long extra)
{
	if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
		die(dst);
	if (extra && mount(NULL, dst, NULL, MS_REMOUNT | MS_BIND | extra, NULL) < 0)
		die(dst);
}

static void fresh(const char *type, const char *dst, unsigned long flags, const char *opts)
{
	if (mount(type, dst, type, flags, opts) < 0)
		die(dst);
}

static void touch(const char *path, bool dir)
{
	if (dir ? mkdir(path, 0755) < 0 && errno != EEXIST : mknod(path, S_IFREG | 0644, 0) < 0)
		die(path);
}

static void loopback_up(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = {.ifr_name = "lo"};
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		die("loopback");
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		die("loopback");
	close(fd);
}

static void set_up_mounts(const char *root)
{
	static const char *const masked[] = {
		"proc/kcore", "proc/kallsyms", "proc/keys", "proc/key-users", "proc/timer_list",
		"proc/latency_stats", "proc/sched_debug", "proc/sysrq-trigger", "proc/kpagecount",
		"proc/kpageflags", "proc/kpagecgroup", "proc/config.gz"};
	static const char *const read_only[] = {"proc/sys", "proc/irq", "proc/bus", "proc/fs"};
	static const char *const nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
	char path[256];
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die("private");
	bind_mount(root, root, 0);
	if (chdir(root) < 0)
		die(root);
	fresh("proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	for (size_t i = 0; i < sizeof masked / sizeof *masked; i++)
		if (access(masked[i], F_OK) == 0)
			bind_mount("/dev/null", masked[i], 0);
	if (access("proc/acpi", F_OK) == 0)
		fresh("tmpfs", "proc/acpi", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0555");
	for (size_t i = 0; i < sizeof read_only / sizeof *read_only; i++)
		if (access(read_only[i], F_OK) == 0)
			bind_mount(read_only[i], read_only[i], MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
	fresh("sysfs", "sys", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	fresh("tmpfs", "dev", MS_NOSUID | MS_NOEXEC, "mode=0755,size=4m");
	for (size_t i = 0; i < sizeof nodes / sizeof *nodes; i++) {
		snprintf(path, sizeof path, "dev/%s", nodes[i]);
		touch(path, false);
		snprintf(path + 64, sizeof path - 64, "/dev/%s", nodes[i]);
		bind_mount(path + 64, path, 0);
	}
	touch("dev/pts", true);
	fresh("devpts", "dev/pts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620");
	touch("dev/shm", true);
	fresh("tmpfs", "dev/shm", MS_NOSUID | MS_NODEV, "mode=1777");
	if (symlink("pts/ptmx", "dev/ptmx") < 0)
		die("dev/ptmx");
	fresh("tmpfs", "run", MS_NOSUID | MS_NODEV, "mode=0755");
	fresh("tmpfs", "tmp", MS_NOSUID | MS_NODEV, "mode=1777");
	if (syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		die("pivot_root");
}

static void drop_privileges(void)
{
	for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			die("bounding set");
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2] = {0};
	if (syscall(SYS_capset, &h, d) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die("capabilities");
	struct sock_fprog prog = {.len = (unsigned short)default_filter_ninsns,
				  .filter = (struct sock_filter *)default_filter_insns};
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		die("seccomp");
}

static void write_file(pid_t pid, const char *name, const char *text)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", pid, name);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		die(path);
	close(fd);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: floor ROOT PROGRAM [ARG...]\n");
		return 2;
	}
	char cg[96];
	snprintf(cg, sizeof cg, "/sys/fs/cgroup/unified/floor-%d", getpid());
	if (access("/sys/fs/cgroup/unified", F_OK) < 0) /* pure v2 */
		snprintf(cg, sizeof cg, "/sys/fs/cgroup/floor-%d", getpid());
	if (mkdir(cg, 0755) < 0)
		die(cg);
	int cgfd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC), go[2];
	if (cgfd < 0 || pipe2(go, O_CLOEXEC) < 0)
		die("set-up");
	int pidfd = -1;
	struct clone_args ca = {
		.flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS |
			 CLONE_NEWIPC | CLONE_NEWCGROUP | CLONE_INTO_CGROUP | CLONE_PIDFD,
		.pidfd = (uint64_t)(uintptr_t)&pidfd,
		.exit_signal = SIGCHLD,
		.cgroup = (uint64_t)cgfd,
	};
	pid_t pid = (pid_t)syscall(SYS_clone3, &ca, sizeof ca);
	if (pid < 0)
		die("clone3");
	if (pid == 0) {
		char c;
		close(go[1]);
		if (read(go[0], &c, 1) != 1) /* the parent wrote our maps */
			_exit(125);
		if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
			die("ids");
		if (sethostname("floor", 5) < 0)
			die("hostname");
		loopback_up();
		set_up_mounts(argv[1]);
		drop_privileges();
		execv(argv[2], argv + 2);
		die(argv[2]);
	}
	char map[64];
	snprintf(map, sizeof map, "0 %u 65536\n", BASE);
	write_file(pid, "uid_map", map);
	write_file(pid, "setgroups", "deny");
	write_file(pid, "gid_map", map);
	if (write(go[1], "g", 1) != 1)
		die("sync");
	siginfo_t si = {0};
	while (waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED) < 0)
		;
	rmdir(cg);
	return si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
}
