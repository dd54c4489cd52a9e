/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The worker's side of the conversation with the broker (worker/client.c). */
#ifndef HUTCH_WORKER_CLIENT_H
#define HUTCH_WORKER_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/proto.h"
#include "settings.h"

#define CLIENT_MAX_POSTED 16

struct client {
	int sock;
	int oom_fd; /* the cgroup's OOM counter, from CREATE's reply */
	struct hutch_msg *reply;
	const struct settings *s;
	const struct hutch_grant *grant; /* the caller's, fixed before the worker started */
	/* Requests sent without waiting (post(), prefetch_root_file()), oldest
	 * first: their replies are read, in order, before anything else is. */
	struct {
		const char *step; /* for error messages; NULL: a prefetched file */
		int file;         /* enum hutch_root_file of a prefetch, or -1 */
		int settings;     /* enum hutch_settings_file of a prefetch, or 0 */
	} posted[CLIENT_MAX_POSTED];
	unsigned n_posted;
	/* Prefetched OPEN_FILE replies, by enum hutch_root_file. */
	struct {
		enum { FILE_NONE, FILE_PENDING, FILE_READY } state;
		int error, fd;
	} files[HUTCH_FILE_MAX], settings[HUTCH_SETTINGS_MAX];
	char settings_name[HUTCH_NAME_MAX + 1]; /* what settings[] were asked for */
	bool progress_shown; /* a PROGRESS line is on the terminal */
	uint32_t open_call;  /* call_begin()'s request, its reply not read yet */
};

/* Send one request (with `send_fd` if >= 0), wait for its reply. Returns the
 * broker's 0/-errno; a reply fd (if the type declares one) lands in *fd. A
 * lost broker is fatal. */
int call_fd(struct client *c, uint32_t type, const void *body, int send_fd, int *fd);
int call(struct client *c, uint32_t type, const void *body, int *fd);
/* Two requests in one round trip: `first` (no fd in its reply) and then
 * `type`. If `first` fails (*first_err < 0, the reply's `what` in c->reply)
 * that is returned and the second reply is left unread: the caller exits.
 * The broker must refuse `type` when `first` failed. */
int call_pair(struct client *c, uint32_t first, const void *first_body, int *first_err,
	      uint32_t type, const void *body, int *fd);
/*
 * Send a request whose reply carries no fd and only says done or failed,
 * without waiting for it (the container init executes requests in order):
 * the reply is checked at the next call(), call_fd() or collect(), and a
 * failure is reported there as step_error(STEP) would. Saves a round trip
 * per request on the way to EXEC.
 */
void post(struct client *c, uint32_t type, const void *body, const char *step);
/* Ask for one of the files OPEN_FILE names without waiting; the next
 * read_root_file() of it takes the reply. */
void prefetch_root_file(struct client *c, enum hutch_root_file which);
/*
 * A call in two halves, with requests posted in between (prefetches of what
 * its success makes possible): call_begin sends `type` and reads what was
 * posted before it; posts follow; call_end reads `type`'s reply, which the
 * broker sent before theirs. One round trip for all of them.
 */
void call_begin(struct client *c, uint32_t type, const void *body);
int call_end(struct client *c, uint32_t type, int *fd);
/* Read and check the replies of every posted request. */
void collect(struct client *c);
/* Log "STEP WHAT: error" for a failed request and exit(1). */
_Noreturn void step_error(struct client *c, const char *step, int err);
/* strerror(-err) for a host path the broker opened for us (-D, -i,
 * --load-credential=), which it resolves without magic links. */
const char *host_path_error(int err);
/* Read one of the files OPEN_FILE names (at most 4 MiB) through the broker. */
int read_root_file(struct client *c, enum hutch_root_file which, char **buf, size_t *len);
/* The same file's fd (prefetched or asked for now): 0 and *fd, or -errno. */
int open_root_file(struct client *c, enum hutch_root_file which, int *fd);
/* Close these prefetched files if nobody read them (the plan changed). */
void client_forget_files(struct client *c, const enum hutch_root_file *which, size_t n);
/* A settings_reader (ctx: the client) for .nspawn files and profiles. */
int client_read_settings_file(void *ctx, enum hutch_settings_file where, const char *name,
			      char **buf, size_t *len);
void client_prefetch_settings(void *ctx, const enum hutch_settings_file *where, size_t n,
			      const char *name);
void client_forget_settings(void *ctx);

#endif
