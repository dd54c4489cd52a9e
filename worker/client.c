/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The worker's side of the conversation with the broker: requests and their
 * replies, requests posted without waiting, prefetched files, and the
 * settings_reader that fetches .nspawn files and profiles through it.
 */
#include "worker.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/util.h"
#include "client.h"

#define MAX_DB_FILE (4u << 20) /* read_root_file(): /etc/passwd, /etc/group, ... */

/* Long work in the broker (a template copy, an ownership shift, a relabel)
 * reports as it goes; worded here, on a terminal, without -q. */
static void show_progress(struct client *c, const struct hutch_progress *p)
{
	static const char *const doing[HUTCH_PROGRESS_MAX] = {
		[HUTCH_PROGRESS_SHIFTING] = "shifting file ownership",
		[HUTCH_PROGRESS_SHIFTED] = "shifted file ownership",
		[HUTCH_PROGRESS_RELABELLING] = "relabelling",
		[HUTCH_PROGRESS_RELABELLED] = "relabelled",
	};
	if (c->s->quiet || !isatty(STDERR_FILENO))
		return;
	if (p->what == HUTCH_PROGRESS_COPY)
		fprintf(stderr, "\rhutch: copying %s: %llu files, %llu MiB", c->s->fsroot.template_dir,
			(unsigned long long)p->files, (unsigned long long)(p->bytes >> 20));
	else
		fprintf(stderr, "\rhutch: %s: %llu files", doing[p->what], (unsigned long long)p->files);
	c->progress_shown = true;
}

int call(struct client *c, uint32_t type, const void *body, int *fd)
{
	return call_fd(c, type, body, -1, fd);
}

/* A reply must be a REPLY record; anything else (or EOF) ends hutch. */
/*
 * A container init that failed a step replies and exits, maybe with posted
 * requests of ours still unread: the kernel then reports ECONNRESET once,
 * ahead of the replies already queued for us. Read on to get them.
 */
static int recv_queued(struct client *c, const char **why)
{
	int r = hutch_recv(c->sock, c->reply, why);
	return r == -ECONNRESET ? hutch_recv(c->sock, c->reply, why) : r;
}

static int receive_reply(struct client *c, uint32_t type)
{
	const char *why = NULL;
	int r;
	while ((r = recv_queued(c, &why)) > 0 &&
	       c->reply->hdr.type == HUTCH_MSG_PROGRESS &&
	       (type == HUTCH_MSG_OPEN_ROOT || type == HUTCH_MSG_CREATE))
		show_progress(c, &c->reply->u.progress);
	if (c->progress_shown) {
		fputc('\n', stderr);
		c->progress_shown = false;
	}
	if (r == 0 && type == HUTCH_MSG_EXEC)
		return 0; /* the socket closed on exec: the payload runs */
	if (r <= 0 || c->reply->hdr.type != HUTCH_MSG_REPLY) {
		log_error("broker ended the conversation (%s)", r < 0 ? why : "no reply");
		exit(1);
	}
	return 1;
}

void collect(struct client *c)
{
	if (c->open_call) { /* its reply is next, not a posted one's */
		log_error("internal error: replies read inside an open call");
		exit(1);
	}
	for (unsigned i = 0; i < c->n_posted; i++) {
		const char *step = c->posted[i].step;
		int where = c->posted[i].settings;
		receive_reply(c, HUTCH_MSG_REPLY);
		int err = c->reply->u.reply.error;
		unsigned want = step || err < 0 ? 0
				: hutch_reply_fds(where ? HUTCH_MSG_OPEN_SETTINGS : HUTCH_MSG_OPEN_FILE);
		if (c->reply->nfds != want) {
			log_error("broker reply carries %u fds, expected %u", c->reply->nfds, want);
			exit(1);
		}
		if (!step) { /* a prefetched file: kept for read_root_file(), read_settings_file() */
			int which = c->posted[i].file;
			typeof(c->files[0]) *f = where ? &c->settings[where] : &c->files[which];
			f->state = FILE_READY;
			f->error = err;
			f->fd = want ? c->reply->fds[0] : -1;
		} else if (err < 0) {
			step_error(c, step, err);
		}
	}
	c->n_posted = 0;
}

/* A send failed: the container init may have ended on an earlier posted
 * request, whose reply says why; else the broker is gone. */
static _Noreturn void lost_broker(struct client *c)
{
	int err = errno;
	if (c->n_posted && !c->open_call) /* (inside one its reply comes first) */
		collect(c);
	errno = err;
	log_error("lost the broker: %m");
	exit(1);
}

static void send_posted(struct client *c, uint32_t type, const void *body, const char *step,
			int file, int settings)
{
	if (c->n_posted == CLIENT_MAX_POSTED && c->open_call) {
		/* collect() would take the open call's reply for a posted one. */
		log_error("internal error: too many requests posted behind a call");
		exit(1);
	}
	if (c->n_posted == CLIENT_MAX_POSTED)
		collect(c);
	if (hutch_send(c->sock, type, body, NULL, 0) < 0)
		lost_broker(c);
	c->posted[c->n_posted].step = step;
	c->posted[c->n_posted].settings = settings;
	c->posted[c->n_posted++].file = file;
}

void post(struct client *c, uint32_t type, const void *body, const char *step)
{
	send_posted(c, type, body, step, -1, 0);
}

void prefetch_root_file(struct client *c, enum hutch_root_file which)
{
	struct hutch_open_file f = {.which = which};
	send_posted(c, HUTCH_MSG_OPEN_FILE, &f, NULL, (int)which, 0);
	c->files[which].state = FILE_PENDING;
}

/* The reply to `type`, the next one to read, and its fd if it has one. */
static int finish_call(struct client *c, uint32_t type, int *fd)
{
	int r = receive_reply(c, type);
	if (r == 0)
		return 0; /* EXEC: the payload runs */
	unsigned want = c->reply->u.reply.error == 0 ? hutch_reply_fds(type) : 0;
	if (c->reply->nfds != want) {
		log_error("broker reply carries %u fds, expected %u", c->reply->nfds, want);
		exit(1);
	}
	if (want && fd)
		*fd = c->reply->fds[0];
	else if (want)
		close(c->reply->fds[0]);
	return c->reply->u.reply.error;
}

int call_fd(struct client *c, uint32_t type, const void *body, int send_fd, int *fd)
{
	/* Sent before the posted replies are read: one round trip for all. */
	if (hutch_send(c->sock, type, body, &send_fd, send_fd >= 0 ? 1 : 0) < 0)
		lost_broker(c);
	collect(c);
	return finish_call(c, type, fd);
}

void call_begin(struct client *c, uint32_t type, const void *body)
{
	if (hutch_send(c->sock, type, body, NULL, 0) < 0)
		lost_broker(c);
	collect(c);
	c->open_call = type;
}

int call_end(struct client *c, uint32_t type, int *fd)
{
	c->open_call = 0;
	return finish_call(c, type, fd);
}

int call_pair(struct client *c, uint32_t first, const void *first_body, int *first_err,
	      uint32_t type, const void *body, int *fd)
{
	if (hutch_send(c->sock, first, first_body, NULL, 0) < 0)
		lost_broker(c);
	/* A send error here may be the broker refusing `first`: its reply says. */
	bool sent = hutch_send(c->sock, type, body, NULL, 0) == 0;
	collect(c);
	*first_err = finish_call(c, first, NULL);
	if (*first_err < 0)
		return *first_err;
	if (!sent)
		lost_broker(c);
	return finish_call(c, type, fd);
}

_Noreturn void step_error(struct client *c, const char *step, int err)
{
	const char *what = c->reply->u.reply.what;
	errno = -err;
	if (err == -ELOOP)
		log_error("%s: %s in the container is a symlink; refusing to mount over it", step,
			  what[0] ? what : "a mount target");
	else
		log_error("%s%s%s: %m", step, what[0] ? " " : "", what);
	exit(1);
}

const char *host_path_error(int err)
{
	if (err == -ELOOP)
		return "the path goes through a /proc magic link such as /proc/PID/root (never "
		       "followed: it may lead into another mount namespace) or a symlink loop; "
		       "give the path as the host sees it";
	return strerror(-err);
}

int open_root_file(struct client *c, enum hutch_root_file which, int *fd)
{
	struct hutch_open_file f = {.which = which};
	if (c->files[which].state == FILE_PENDING)
		collect(c);
	if (c->files[which].state != FILE_READY)
		return call(c, HUTCH_MSG_OPEN_FILE, &f, fd);
	c->files[which].state = FILE_NONE;
	*fd = c->files[which].fd;
	return c->files[which].error;
}

void client_forget_files(struct client *c, const enum hutch_root_file *which, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (c->files[which[i]].state == FILE_PENDING)
			collect(c);
		if (c->files[which[i]].state == FILE_READY)
			closep(&c->files[which[i]].fd);
		c->files[which[i]].state = FILE_NONE;
	}
}

/* Read one of the image's well-known files through the broker. */
int read_root_file(struct client *c, enum hutch_root_file which, char **buf, size_t *len)
{
	int fd = -1;
	int r = open_root_file(c, which, &fd);
	if (r < 0)
		return r;
	r = read_fd_bounded(fd, MAX_DB_FILE, buf, len);
	close(fd);
	return r;
}

/* .nspawn files and profiles, through the broker (settings_reader). The
 * trusted .nspawn places are asked for together (nspawn's order is kept:
 * the first found is used); what is not read is closed by forget. */
void client_prefetch_settings(void *ctx, const enum hutch_settings_file *where, size_t n,
			      const char *name)
{
	struct client *c = ctx;
	if (strlen(name) >= sizeof c->settings_name)
		return; /* read() reports it */
	strcpy(c->settings_name, name);
	for (size_t i = 0; i < n; i++) {
		struct hutch_open_settings o = {.where = where[i]};
		strcpy(o.name, name);
		send_posted(c, HUTCH_MSG_OPEN_SETTINGS, &o, NULL, -1, (int)where[i]);
		c->settings[where[i]].state = FILE_PENDING;
	}
}

void client_forget_settings(void *ctx)
{
	struct client *c = ctx;
	for (size_t i = 0; i < ARRAY_SIZE(c->settings); i++) {
		if (c->settings[i].state == FILE_PENDING)
			collect(c);
		if (c->settings[i].state == FILE_READY)
			closep(&c->settings[i].fd);
		c->settings[i].state = FILE_NONE;
	}
}

int client_read_settings_file(void *ctx, enum hutch_settings_file where, const char *name,
			      char **buf, size_t *len)
{
	struct client *c = ctx;
	struct hutch_open_settings o = {.where = where};
	if (strlen(name) >= sizeof o.name)
		return -ENAMETOOLONG;
	strcpy(o.name, name);
	int fd = -1, r;
	if (c->settings[where].state == FILE_PENDING)
		collect(c);
	if (c->settings[where].state == FILE_READY && !strcmp(name, c->settings_name)) {
		c->settings[where].state = FILE_NONE;
		r = c->settings[where].error;
		fd = c->settings[where].fd;
	} else {
		r = call(c, HUTCH_MSG_OPEN_SETTINGS, &o, &fd);
	}
	if (r < 0)
		return r;
	r = read_fd_bounded(fd, HUTCH_SETTINGS_FILE_MAX, buf, len);
	close(fd);
	return r;
}
