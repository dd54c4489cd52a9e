/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * systemd's system call groups, with the same names and (as of systemd 255)
 * the same members, so a SystemCallFilter= line from a unit or a .nspawn
 * file means the same here. Names libseccomp does not know (other
 * architectures, very new calls) are harmless: the compiler skips them.
 * Pure data, apart from @known, which is whatever libseccomp knows.
 *
 * Checked against systemd's seccomp-util.c as of v246; members newer than
 * that were added from systemd's later documentation without the source at
 * hand and want a check: close_range, epoll_pwait2, mount_setattr,
 * fchmodat2, futex_waitv, set_mempolicy_home_node, quotactl_fd, @sandbox,
 * and getrandom/mmap/munmap/sched_getaffinity in @default.
 */
#include "syscall_groups.h"

#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"

#define LIST(...) ((const char *const[]){__VA_ARGS__, NULL})

const struct syscall_group syscall_groups[] = {
	{"@default", "System calls that are always permitted", LIST(
		"clock_getres", "clock_getres_time64", "clock_gettime", "clock_gettime64",
		"clock_nanosleep", "clock_nanosleep_time64", "execve", "exit", "exit_group",
		"futex", "futex_time64", "futex_waitv", "get_robust_list", "get_thread_area",
		"getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32",
		"getgroups", "getgroups32", "getpgid", "getpgrp", "getpid", "getppid",
		"getrandom", "getresgid", "getresgid32", "getresuid", "getresuid32",
		"getrlimit", "getsid", "gettid", "gettimeofday", "getuid", "getuid32",
		"membarrier", "mmap", "mmap2", "munmap", "nanosleep", "pause", "prlimit64",
		"restart_syscall", "riscv_flush_icache", "rseq", "rt_sigreturn",
		"sched_getaffinity", "sched_yield", "set_robust_list", "set_thread_area",
		"set_tid_address", "set_tls", "sigreturn", "time", "ugetrlimit")},
	{"@aio", "Asynchronous IO", LIST(
		"io_cancel", "io_destroy", "io_getevents", "io_pgetevents",
		"io_pgetevents_time64", "io_setup", "io_submit", "io_uring_enter",
		"io_uring_register", "io_uring_setup")},
	{"@basic-io", "Basic IO", LIST(
		"_llseek", "close", "close_range", "dup", "dup2", "dup3", "lseek", "pread64",
		"preadv", "preadv2", "pwrite64", "pwritev", "pwritev2", "read", "readv",
		"write", "writev")},
	{"@chown", "Change ownership of files and directories", LIST(
		"chown", "chown32", "fchown", "fchown32", "fchownat", "lchown", "lchown32")},
	{"@clock", "Change the system time", LIST(
		"adjtimex", "clock_adjtime", "clock_adjtime64", "clock_settime",
		"clock_settime64", "settimeofday", "stime")},
	{"@cpu-emulation", "System calls for CPU emulation functionality", LIST(
		"modify_ldt", "subpage_prot", "switch_endian", "vm86", "vm86old")},
	{"@debug", "Debugging, performance monitoring and tracing functionality", LIST(
		"lookup_dcookie", "perf_event_open", "pidfd_getfd", "ptrace", "rtas",
		"s390_runtime_instr", "sys_debug_setcontext")},
	{"@file-system", "File system operations", LIST(
		"access", "chdir", "chmod", "close", "creat", "faccessat", "faccessat2",
		"fallocate", "fchdir", "fchmod", "fchmodat", "fchmodat2", "fcntl", "fcntl64",
		"fgetxattr", "flistxattr", "fremovexattr", "fsetxattr", "fstat", "fstat64",
		"fstatat64", "fstatfs", "fstatfs64", "ftruncate", "ftruncate64", "futimesat",
		"getcwd", "getdents", "getdents64", "getxattr", "inotify_add_watch",
		"inotify_init", "inotify_init1", "inotify_rm_watch", "lgetxattr", "link",
		"linkat", "listxattr", "llistxattr", "lremovexattr", "lsetxattr", "lstat",
		"lstat64", "mkdir", "mkdirat", "mknod", "mknodat", "mmap", "mmap2", "munmap",
		"newfstatat", "oldfstat", "oldlstat", "oldstat", "open", "openat", "openat2",
		"readlink", "readlinkat", "removexattr", "rename", "renameat", "renameat2",
		"rmdir", "setxattr", "stat", "stat64", "statfs", "statfs64", "statx",
		"symlink", "symlinkat", "truncate", "truncate64", "unlink", "unlinkat",
		"utime", "utimensat", "utimensat_time64", "utimes")},
	{"@io-event", "Event loop system calls", LIST(
		"_newselect", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old",
		"epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd",
		"eventfd2", "poll", "ppoll", "ppoll_time64", "pselect6", "pselect6_time64",
		"select")},
	{"@ipc", "SysV IPC, POSIX Message Queues or other IPC", LIST(
		"ipc", "memfd_create", "mq_getsetattr", "mq_notify", "mq_open",
		"mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend",
		"mq_timedsend_time64", "mq_unlink", "msgctl", "msgget", "msgrcv", "msgsnd",
		"pipe", "pipe2", "process_vm_readv", "process_vm_writev", "semctl", "semget",
		"semop", "semtimedop", "semtimedop_time64", "shmat", "shmctl", "shmdt",
		"shmget")},
	{"@keyring", "Kernel keyring access", LIST("add_key", "keyctl", "request_key")},
	{"@memlock", "Memory locking control", LIST(
		"mlock", "mlock2", "mlockall", "munlock", "munlockall")},
	{"@module", "Loading and unloading of kernel modules", LIST(
		"delete_module", "finit_module", "init_module")},
	{"@mount", "Mounting and unmounting of file systems", LIST(
		"chroot", "fsconfig", "fsmount", "fsopen", "fspick", "mount", "mount_setattr",
		"move_mount", "open_tree", "pivot_root", "umount", "umount2")},
	{"@network-io", "Network or Unix socket IO, should not be needed if not network facing",
	 LIST("accept", "accept4", "bind", "connect", "getpeername", "getsockname",
	      "getsockopt", "listen", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64",
	      "recvmsg", "send", "sendmmsg", "sendmsg", "sendto", "setsockopt", "shutdown",
	      "socket", "socketcall", "socketpair")},
	{"@obsolete", "Unusual, obsolete or unimplemented system calls", LIST(
		"_sysctl", "afs_syscall", "bdflush", "break", "create_module", "ftime",
		"get_kernel_syms", "getpmsg", "gtty", "idle", "lock", "mpx", "prof", "profil",
		"putpmsg", "query_module", "security", "sgetmask", "ssetmask", "stty", "sysfs",
		"tuxcall", "ulimit", "uselib", "ustat", "vserver")},
	{"@pkey", "System calls used for memory protection keys", LIST(
		"pkey_alloc", "pkey_free", "pkey_mprotect")},
	{"@privileged", "All system calls which need super-user capabilities", LIST(
		"@chown", "@clock", "@module", "@raw-io", "@reboot", "@swap", "_sysctl",
		"acct", "bpf", "capset", "chroot", "fanotify_init", "fanotify_mark",
		"nfsservctl", "open_by_handle_at", "pivot_root", "quotactl", "quotactl_fd",
		"setdomainname", "setfsuid", "setfsuid32", "setgroups", "setgroups32",
		"sethostname", "setresuid", "setresuid32", "setreuid", "setreuid32",
		"setuid", "setuid32", "vhangup")},
	{"@process", "Process control, execution, namespacing operations", LIST(
		"arch_prctl", "capget", "clone", "clone3", "execveat", "fork", "getrusage",
		"kill", "pidfd_open", "pidfd_send_signal", "prctl", "rt_sigqueueinfo",
		"rt_tgsigqueueinfo", "setns", "swapcontext", "tgkill", "times", "tkill",
		"unshare", "vfork", "wait4", "waitid", "waitpid")},
	{"@raw-io", "Raw I/O port access", LIST(
		"ioperm", "iopl", "pciconfig_iobase", "pciconfig_read", "pciconfig_write",
		"s390_pci_mmio_read", "s390_pci_mmio_write")},
	{"@reboot", "Reboot and reboot preparation/kexec", LIST(
		"kexec_file_load", "kexec_load", "reboot")},
	{"@resources", "Alter resource settings", LIST(
		"ioprio_set", "mbind", "migrate_pages", "move_pages", "nice",
		"sched_setaffinity", "sched_setattr", "sched_setparam", "sched_setscheduler",
		"set_mempolicy", "set_mempolicy_home_node", "setpriority", "setrlimit")},
	{"@sandbox", "Sandbox functionality", LIST(
		"landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self",
		"seccomp")},
	{"@setuid", "Operations for changing user/group credentials", LIST(
		"setgid", "setgid32", "setgroups", "setgroups32", "setregid", "setregid32",
		"setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid",
		"setreuid32", "setuid", "setuid32")},
	{"@signal", "Process signal handling", LIST(
		"rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigsuspend",
		"rt_sigtimedwait", "rt_sigtimedwait_time64", "sigaction", "sigaltstack",
		"signal", "signalfd", "signalfd4", "sigpending", "sigprocmask", "sigsuspend")},
	{"@swap", "Enable/disable swap devices", LIST("swapoff", "swapon")},
	{"@sync", "Synchronize files and memory to storage", LIST(
		"fdatasync", "fsync", "msync", "sync", "sync_file_range", "sync_file_range2",
		"syncfs")},
	{"@system-service", "General system service operations", LIST(
		"@aio", "@basic-io", "@chown", "@default", "@file-system", "@io-event", "@ipc",
		"@keyring", "@memlock", "@network-io", "@process", "@resources", "@setuid",
		"@signal", "@sync", "@timer", "arm_fadvise64_64", "brk", "capget", "capset",
		"copy_file_range", "fadvise64", "fadvise64_64", "flock", "get_mempolicy",
		"getcpu", "getpriority", "ioctl", "ioprio_get", "kcmp", "madvise", "mprotect",
		"mremap", "name_to_handle_at", "oldolduname", "olduname", "personality",
		"readahead", "readdir", "remap_file_pages", "sched_get_priority_max",
		"sched_get_priority_min", "sched_getattr", "sched_getparam",
		"sched_getscheduler", "sched_rr_get_interval", "sched_rr_get_interval_time64",
		"sendfile", "sendfile64", "setfsgid", "setfsgid32", "setfsuid", "setfsuid32",
		"setpgid", "setsid", "splice", "sysinfo", "tee", "umask", "uname",
		"userfaultfd", "vmsplice")},
	{"@timer", "Schedule operations by time", LIST(
		"alarm", "getitimer", "setitimer", "timer_create", "timer_delete",
		"timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime",
		"timer_settime64", "timerfd_create", "timerfd_gettime", "timerfd_gettime64",
		"timerfd_settime", "timerfd_settime64", "times")},
	{"@known", "All system calls libseccomp knows on x86-64, x32 and i386", NULL},
};

const size_t n_syscall_groups = ARRAY_SIZE(syscall_groups);

const struct syscall_group *syscall_group_find(const char *name)
{
	for (size_t i = 0; i < n_syscall_groups; i++)
		if (strcmp(syscall_groups[i].name, name) == 0)
			return &syscall_groups[i];
	return NULL;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Highest syscall number we look up per ABI; x86-64 is near 470 today. */
#define KNOWN_NR_MAX 1024
#define X32_SYSCALL_BIT 0x40000000

const char *const *syscall_known_names(void)
{
	static char **names; /* built once, kept for the life of the worker */
	if (names)
		return (const char *const *)names;
	static const struct {
		uint32_t arch;
		int base;
	} abis[] = {{SCMP_ARCH_X86_64, 0}, {SCMP_ARCH_X86, 0}, {SCMP_ARCH_X32, X32_SYSCALL_BIT}};
	char **v = calloc(ARRAY_SIZE(abis) * KNOWN_NR_MAX + 1, sizeof *v);
	if (!v)
		return NULL;
	size_t n = 0;
	for (size_t a = 0; a < ARRAY_SIZE(abis); a++)
		for (int nr = 0; nr < KNOWN_NR_MAX; nr++) {
			char *name = seccomp_syscall_resolve_num_arch(abis[a].arch, abis[a].base + nr);
			if (name)
				v[n++] = name;
		}
	qsort(v, n, sizeof *v, compare_names);
	size_t out = 0;
	for (size_t i = 0; i < n; i++) {
		if (out > 0 && strcmp(v[out - 1], v[i]) == 0)
			free(v[i]);
		else
			v[out++] = v[i];
	}
	v[out] = NULL;
	names = v;
	return (const char *const *)names;
}

void syscall_groups_print(FILE *f)
{
	for (size_t i = 0; i < n_syscall_groups; i++) {
		const struct syscall_group *g = &syscall_groups[i];
		const char *const *m = g->members ? g->members : syscall_known_names();
		fprintf(f, "%s%s\n    # %s\n", i ? "\n" : "", g->name, g->help);
		for (; m && *m; m++)
			fprintf(f, "    %s\n", *m);
	}
}
