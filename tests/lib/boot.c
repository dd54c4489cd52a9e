/* Helpers for the tests that boot the Debian tree (see boot.h). */
#include "boot.h"
#include "harness.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

char *boot_tree_path(const char *rel)
{
	char *p = NULL;
	if (asprintf(&p, "%s%s", debian_tree(), rel) < 0)
		abort();
	return p;
}

void boot_write(const char *rel, const char *text, mode_t mode)
{
	char *p = boot_tree_path(rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	cr_assert(fd >= 0, "cannot create %s: %s", p, strerror(errno));
	size_t n = strlen(text);
	cr_assert(write(fd, text, n) == (ssize_t)n, "cannot write %s", p);
	cr_assert(fchmod(fd, mode) == 0, "cannot chmod %s", p);
	close(fd);
	free(p);
}

void boot_touch(const char *rel)
{
	boot_write(rel, "", 0644);
}

void boot_unlink(const char *rel)
{
	char *p = boot_tree_path(rel);
	unlink(p);
	free(p);
}

static bool have_boot_lock;

void boot_lock(void)
{
	char *p = boot_tree_path(".boot-lock");
	int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	cr_assert(fd >= 0, "cannot open %s", p);
	free(p);
	while (flock(fd, LOCK_EX) < 0)
		cr_assert(errno == EINTR, "flock");
	have_boot_lock = true;
}

bool boot_locked(void)
{
	return have_boot_lock;
}

const char *boot_tail(const char *s, size_t n)
{
	size_t l = strlen(s);
	return l > n ? s + l - n : s;
}

static int rmdir_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	return 0;
}

void boot_expect_no_cgroup_left(const char *name)
{
	char pat1[256], pat2[256];
	snprintf(pat1, sizeof(pat1), "/sys/fs/cgroup/machine.slice/hutch-%s*", name);
	snprintf(pat2, sizeof(pat2), "/sys/fs/cgroup/*/machine.slice/hutch-%s*", name);
	for (int tries = 0;; tries++) {
		glob_t g;
		int r1 = glob(pat1, GLOB_ONLYDIR, NULL, &g);
		int r2 = glob(pat2, GLOB_ONLYDIR | (r1 == 0 ? GLOB_APPEND : 0), NULL, &g);
		if (r1 != 0 && r2 != 0)
			return;
		if (tries < 20) {
			globfree(&g);
			usleep(100000);
			continue;
		}
		for (size_t i = 0; i < g.gl_pathc; i++) {
			cr_expect_fail("hutch left its cgroup %s behind (with systemd's child "
				       "cgroups in it); removing it",
				       g.gl_pathv[i]);
			nftw(g.gl_pathv[i], rmdir_cb, 16, FTW_DEPTH | FTW_PHYS);
		}
		globfree(&g);
		return;
	}
}
