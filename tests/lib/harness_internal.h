/* Helpers shared by the harness's own files (harness.c, pty.c, host.c). */
#ifndef HUTCH_TEST_HARNESS_INTERNAL_H
#define HUTCH_TEST_HARNESS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

long long now_ms(void);
char *xstrdup(const char *s);
char **build_argv(const char *const argv[]);
void child_reset(void);
void set_nonblock(int fd);
void buf_append(char **buf, size_t *len, const char *data, size_t n);
void drain(int *fd, char **buf, size_t *len);
void try_reap(pid_t pid, bool *reaped, int *status, bool block);
void kill_tree(pid_t pid);
void lock_take(int op);

#endif
