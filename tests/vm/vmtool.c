/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmtool: a static helper for the VM tests (busybox runs applets without
 * exec and has no SELinux applets in Debian's build).
 *   vmtool label                    print /proc/self/attr/current
 *   vmtool getfilecon PATH          print PATH's security.selinux
 *   vmtool setfilecon [-R] CTX PATH label PATH (and below it with -R)
 *   vmtool read PATH                print the first line, or "denied: ERR" (exit 1)
 *   vmtool write PATH TEXT          create/overwrite PATH with TEXT (exit 1 on error)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

static const char *ctx;

static int relabel(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	if (lsetxattr(path, "security.selinux", ctx, strlen(ctx) + 1, 0) < 0) {
		fprintf(stderr, "vmtool: setfilecon %s: %m\n", path);
		return 1;
	}
	return 0;
}

static int print_first_line(const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
	if (n < 0) {
		printf("denied: %s\n", strerror(errno));
		return 1;
	}
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	printf("%s\n", buf);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "label"))
		return print_first_line("/proc/self/attr/current");
	if (argc == 3 && !strcmp(argv[1], "read"))
		return print_first_line(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "getfilecon")) {
		char buf[512];
		ssize_t n = lgetxattr(argv[2], "security.selinux", buf, sizeof buf - 1);
		if (n < 0) {
			printf("error: %s\n", strerror(errno));
			return 1;
		}
		buf[n] = 0;
		printf("%s\n", buf);
		return 0;
	}
	if (argc >= 4 && !strcmp(argv[1], "setfilecon")) {
		int rec = !strcmp(argv[2], "-R");
		if (argc != 4 + rec)
			return 2;
		ctx = argv[2 + rec];
		if (rec)
			return nftw(argv[3 + rec], relabel, 64, FTW_PHYS) ? 1 : 0;
		return relabel(argv[3], NULL, 0, NULL);
	}
	if (argc == 4 && !strcmp(argv[1], "write")) {
		int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || write(fd, argv[3], strlen(argv[3])) < 0) {
			printf("denied: %s\n", strerror(errno));
			return 1;
		}
		close(fd);
		return 0;
	}
	fprintf(stderr, "usage: vmtool label|getfilecon PATH|setfilecon [-R] CTX PATH|read PATH|write PATH TEXT\n");
	return 2;
}
