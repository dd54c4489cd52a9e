/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * broker/devprog.c: the pinned device program cache, on a private bpffs
 * mounted for each test (never the host's /sys/fs/bpf). A pin is used only
 * when it is exactly the program asked for: planted programs, programs of
 * another type, maps and loose directories are refused, and without bpffs
 * a fresh load still works. Needs root (BPF loads, mounts).
 */
#include <criterion/criterion.h>

#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../broker/broker.h"

#define INSN(c, d, s, o, i) \
	((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})

/* The program "asked for" denies every device; the planted one allows all. */
static const struct bpf_insn deny_all[] = {
	INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0),
	INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
};
static const struct bpf_insn allow_all[] = {
	INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1),
	INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
};

static char mnt[64], dir[96];

static void setup(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root: mounts bpffs and loads BPF programs");
	snprintf(mnt, sizeof mnt, "/tmp/hutch-unit-bpffs-%d", (int)getpid());
	snprintf(dir, sizeof dir, "%s/hutch", mnt);
	cr_assert_eq(mkdir(mnt, 0700), 0, "%s: %s", mnt, strerror(errno));
	cr_assert_eq(mount("bpf", mnt, "bpf", 0, "mode=0700"), 0, "bpffs: %s", strerror(errno));
}

static void teardown(void)
{
	if (mnt[0]) {
		umount2(mnt, MNT_DETACH);
		rmdir(mnt);
	}
}

static uint32_t prog_id(int fd)
{
	struct bpf_prog_info info = {0};
	uint32_t len = sizeof info;
	cr_assert_eq(bpf_obj_get_info_by_fd(fd, &info, &len), 0, "%s", strerror(errno));
	return info.id;
}

static int load(enum bpf_prog_type type, const struct bpf_insn *p)
{
	int fd = bpf_prog_load(type, "planted", "GPL", p, 2, NULL);
	cr_assert_geq(fd, 0, "load: %s", strerror(-fd));
	return fd;
}

/* Pin fd under the name devprog would look for for `deny_all`. */
static void plant(int fd)
{
	char name[DEVPROG_NAME_MAX], path[192];
	devprog_name(deny_all, 2, name);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	cr_assert_eq(bpf_obj_pin(fd, path), 0, "pin %s: %s", path, strerror(errno));
}

/* What the kernel does with `fd` attached to a fresh v2 cgroup: 0 if a
 * child in it may open /dev/null, else the errno. */
static int open_null_under(int fd)
{
	static const char *const roots[] = {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"};
	const char *root = NULL;
	for (size_t i = 0; i < 2 && !root; i++) {
		struct statfs sf;
		if (statfs(roots[i], &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)
			root = roots[i];
	}
	if (!root)
		cr_skip_test("no cgroup v2 hierarchy on this host");
	char cg[128], procs[160];
	snprintf(cg, sizeof cg, "%s/hutch-unit-devprog-%d", root, (int)getpid());
	snprintf(procs, sizeof procs, "%s/cgroup.procs", cg);
	cr_assert_eq(mkdir(cg, 0755), 0, "%s: %s", cg, strerror(errno));
	int cgfd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_eq(bpf_prog_attach(fd, cgfd, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI), 0);
	close(cgfd);
	pid_t pid = fork();
	if (pid == 0) {
		int p = open(procs, O_WRONLY | O_CLOEXEC);
		if (p < 0 || write(p, "0", 1) != 1)
			_exit(100);
		_exit(open("/dev/null", O_RDONLY | O_CLOEXEC) >= 0 ? 0 : errno);
	}
	int ws;
	waitpid(pid, &ws, 0);
	rmdir(cg);
	cr_assert(WIFEXITED(ws) && WEXITSTATUS(ws) != 100, "probe failed");
	return WEXITSTATUS(ws);
}

TestSuite(devprog, .init = setup, .fini = teardown);

Test(devprog, fresh_load_is_pinned_then_reused)
{
	int d = devprog_cache_dir(dir);
	cr_assert_geq(d, 0, "%s: %s", dir, strerror(-d));
	int a = devprog_get(d, deny_all, 2);
	cr_assert_geq(a, 0, "%s", strerror(-a));
	cr_assert_eq(devprog_check(a, deny_all, 2), 0);
	int b = devprog_get(d, deny_all, 2);
	cr_assert_geq(b, 0);
	cr_expect_eq(prog_id(a), prog_id(b), "second start loaded again instead of reusing the pin");
	cr_expect_eq(open_null_under(b), EPERM, "the cached program does not deny");
	/* Another rule set is another pin, never the first one. */
	int c = devprog_get(d, allow_all, 2);
	cr_assert_geq(c, 0);
	cr_expect_neq(prog_id(c), prog_id(a));
	cr_expect_eq(devprog_check(c, deny_all, 2), -EKEYREJECTED);
}

Test(devprog, planted_program_is_not_used)
{
	int d = devprog_cache_dir(dir);
	cr_assert_geq(d, 0);
	int planted = load(BPF_PROG_TYPE_CGROUP_DEVICE, allow_all);
	plant(planted);
	cr_assert_eq(devprog_check(planted, deny_all, 2), -EKEYREJECTED);
	int fd = devprog_get(d, deny_all, 2);
	cr_assert_geq(fd, 0);
	cr_expect_neq(prog_id(fd), prog_id(planted), "the planted program was used");
	cr_expect_eq(devprog_check(fd, deny_all, 2), 0);
	cr_expect_eq(open_null_under(fd), EPERM, "what was attached allows /dev/null");
	/* The pin was replaced by the right program. */
	int again = devprog_get(d, deny_all, 2);
	cr_expect_eq(prog_id(again), prog_id(fd));
}

Test(devprog, other_type_or_map_under_the_name_is_not_used)
{
	int d = devprog_cache_dir(dir);
	cr_assert_geq(d, 0);
	/* Same instructions, another program type. */
	int sock = load(BPF_PROG_TYPE_SOCKET_FILTER, deny_all);
	plant(sock);
	int fd = devprog_get(d, deny_all, 2);
	cr_assert_geq(fd, 0);
	cr_expect_neq(prog_id(fd), prog_id(sock));
	cr_expect_eq(devprog_check(sock, deny_all, 2), -EKEYREJECTED);
	/* A map pinned under the name. */
	char name[DEVPROG_NAME_MAX];
	devprog_name(deny_all, 2, name);
	cr_assert_eq(unlinkat(d, name, 0), 0);
	int map = bpf_map_create(BPF_MAP_TYPE_ARRAY, "planted", 4, 8, 1, NULL);
	cr_assert_geq(map, 0, "map: %s", strerror(-map));
	plant(map);
	cr_expect_eq(devprog_check(map, deny_all, 2), -EBADF);
	int fd2 = devprog_get(d, deny_all, 2);
	cr_assert_geq(fd2, 0);
	cr_expect_eq(devprog_check(fd2, deny_all, 2), 0);
	cr_expect_eq(open_null_under(fd2), EPERM);
}

Test(devprog, loose_directory_is_refused)
{
	cr_assert_eq(mkdir(dir, 0755), 0);
	cr_expect_eq(devprog_cache_dir(dir), -EPERM, "a 0755 cache directory was accepted");
	cr_assert_eq(chmod(dir, 0700), 0);
	cr_assert_eq(chown(dir, 1000, 1000), 0);
	cr_expect_eq(devprog_cache_dir(dir), -EPERM, "a cache directory not owned by root was accepted");
	cr_assert_eq(chown(dir, 0, 0), 0);
	int d = devprog_cache_dir(dir);
	cr_expect_geq(d, 0);
}

Test(devprog, without_bpffs_a_fresh_load_still_works)
{
	char tmp[128];
	snprintf(tmp, sizeof tmp, "/tmp/hutch-unit-notbpf-%d", (int)getpid());
	cr_assert_eq(mkdir(tmp, 0700), 0);
	int d = devprog_cache_dir(tmp);
	rmdir(tmp);
	cr_expect_eq(d, -EPERM, "a directory outside bpffs was accepted");
	int fd = devprog_get(d, deny_all, 2);
	cr_assert_geq(fd, 0, "no program without a cache: %s", strerror(-fd));
	cr_expect_eq(devprog_check(fd, deny_all, 2), 0);
	cr_expect_eq(open_null_under(fd), EPERM);
}
