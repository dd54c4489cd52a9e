/* Shared helpers for hutch's hostile payloads (tests/escape/payloads/).
 *
 * Every payload is one attack. It runs inside a container, as whatever the
 * launcher makes it (usually root), and ends with exactly one line:
 *
 *   ESCAPE-RESULT <name> BLOCKED <detail>   exit 0
 *   ESCAPE-RESULT <name> ESCAPED <detail>   exit 1
 *
 * "Blocked" means the attack failed for a reason that protects the host
 * (a permission error, a filtered syscall, masked content). A call that
 * reaches the kernel past its permission checks and then fails on our
 * deliberately bad arguments counts as ESCAPED: the protection that should
 * have stopped it is missing. Payloads never write anything a real escape
 * could damage: they write back values they just read, read a few bytes,
 * or pass arguments the kernel rejects after its permission checks.
 *
 * Built with `gcc -static -O2`: no libraries needed in the image.
 */
#ifndef HUTCH_ESCAPE_H
#define HUTCH_ESCAPE_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ROOTFS_MARKER "/.hutch-rootfs-marker"
#define ESC_FN static __attribute__((unused))

static const char *esc_name = "unnamed";
static char esc_detail[3072];

/* Append to the detail text (one line: newlines become spaces). */
__attribute__((format(printf, 1, 2))) ESC_FN void note(const char *fmt, ...)
{
	size_t l = strlen(esc_detail);
	if (l + 2 >= sizeof(esc_detail))
		return;
	if (l)
		esc_detail[l++] = ' ', esc_detail[l] = '\0';
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(esc_detail + l, sizeof(esc_detail) - l, fmt, ap);
	va_end(ap);
	for (char *p = esc_detail; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

__attribute__((noreturn)) ESC_FN void verdict(bool escaped)
{
	printf("ESCAPE-RESULT %s %s %s\n", esc_name, escaped ? "ESCAPED" : "BLOCKED",
	       esc_detail[0] ? esc_detail : "-");
	fflush(stdout);
	_exit(escaped ? 1 : 0);
}

/* Errors that mean "refused by policy": seccomp (EPERM/ENOSYS/EACCES as
 * the filter chooses), a missing capability, an LSM. */
ESC_FN bool denied(int e)
{
	return e == EPERM || e == EACCES || e == ENOSYS;
}

ESC_FN const char *ename(int e)
{
	const char *n = strerrorname_np(e);
	return n ? n : "E?";
}

/* Result of a raw syscall as "ok" or the errno's name. */
ESC_FN const char *rname(long r, int e)
{
	return r >= 0 ? "ok" : ename(e);
}

/* A sysctl value (first line) for the detail text, or "?". */
ESC_FN const char *sysctl_str(const char *path)
{
	static char buf[8][64];
	static int slot;
	char *b = buf[slot++ % 8];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, b, 63) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return "?";
	b[n] = '\0';
	b[strcspn(b, "\n")] = '\0';
	return b;
}

/* Read up to cap-1 bytes of a file, NUL-terminated; -errno on failure. */
ESC_FN ssize_t slurp(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	size_t off = 0;
	while (off + 1 < cap) {
		ssize_t n = read(fd, buf + off, cap - 1 - off);
		if (n < 0) {
			int e = errno;
			close(fd);
			return -e;
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	buf[off] = '\0';
	return (ssize_t)off;
}

/* Write a whole string to an existing file; 0 or -errno. */
ESC_FN int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, s, strlen(s));
	int e = n < 0 ? errno : 0;
	close(fd);
	return n < 0 ? -e : 0;
}

ESC_FN bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

#endif
