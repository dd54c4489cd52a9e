/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small helpers both sides need: cleanup attributes, safe I/O, logging. */
#ifndef HUTCH_UTIL_H
#define HUTCH_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#define HUTCH_VERSION "0.1.0"

static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}
static inline void freep(void *p)
{
	free(*(void **)p);
}
static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

#define _cleanup_close_ __attribute__((cleanup(closep)))
#define _cleanup_free_ __attribute__((cleanup(freep)))
#define _cleanup_fclose_ __attribute__((cleanup(fclosep)))

/* Hand ownership on: returns the value and leaves the source empty. */
#define steal_fd(fd)                 \
	({                           \
		int _fd = (fd);      \
		(fd) = -1;           \
		_fd;                 \
	})
#define steal_ptr(p)                      \
	({                                \
		__typeof__(p) _p = (p);   \
		(p) = NULL;               \
		_p;                       \
	})

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* "hutch: " + message, to stderr. Quiet mode never hides errors. */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern bool log_quiet;

/* read()/write() the whole buffer, retrying on EINTR and short counts. */
ssize_t read_full(int fd, void *buf, size_t len);
int write_full(int fd, const void *buf, size_t len);
/* Read a whole regular file from fd, at most `max` bytes: -EFBIG if larger. */
int read_fd_bounded(int fd, size_t max, char **out, size_t *out_len);

/* A DIR* over a duplicate of the directory fd `dfd` (which stays the
 * caller's): NULL with errno set, nothing left open. */
DIR *opendir_dup(int dfd);

/* Split `path` at its last '/': what is before it into `dir` ("/" for
 * "/name", "." without a '/'), and return what is after it (a pointer into
 * `path`, "" after a trailing '/'). NULL if `dir` does not fit in `size`. */
const char *path_split(const char *path, char *dir, size_t size);

/* strtoul with full-string and range checks. */
int parse_uint(const char *s, unsigned long max, unsigned long *out);

/* Machine/host name: [A-Za-z0-9._-], not starting with '.' or '-', 1..64. */
bool name_is_valid(const char *s);

#endif
