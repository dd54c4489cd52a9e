/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * --bind-user=NAME, as systemd-nspawn: the host user's uid and primary gid
 * are mapped to one free id of 60514..60577 in the container (extra lines in
 * its uid/gid maps, broker/userns.c), JSON user and group records go to
 * /run/host/userdb/ for nss-systemd, and the home directory is bound at
 * /run/host/home/NAME. Needs a user namespace, as in nspawn. The host's
 * passwd/group are read from fds the broker opened; unlike nspawn, the
 * password hash is not passed on (hutch never reads /etc/shadow).
 */
#include "files.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <fcntl.h>
#include <unistd.h>

#include "../common/util.h"
#include "client.h"
#include "options.h"
#include "policy.h"
#include "settings.h"
#include "userdb.h"

int files_opt_bind_user(struct settings *s, const char *v)
{
	struct files_settings *f = &s->files;
	if (!userdb_name_valid(v) || strlen(v) > HUTCH_USERDB_NAME_MAX)
		return option_invalid(v, "not a valid user name");
	for (unsigned i = 0; i < f->n_bind_users; i++)
		if (!strcmp(f->bind_user[i], v))
			return option_invalid(v, "given twice");
	if (f->n_bind_users >= HUTCH_BIND_USERS_MAX)
		return option_invalid(v, "at most 8 users");
	strcpy(f->bind_user[f->n_bind_users++], v);
	return 0;
}

static struct bound {
	struct userdb_user host; /* the host's passwd entry */
	char group[USERDB_NAME_MAX + 1];
	uint32_t id; /* in the container, uid and gid */
} bound[HUTCH_BIND_USERS_MAX];
static unsigned n_bound;

static _Noreturn void fail(const char *name, const char *msg)
{
	log_error("--bind-user=%s: %s", name, msg);
	exit(1);
}

struct text {
	char *p;
	size_t n;
};

static struct text read_or_empty(struct client *c, enum hutch_root_file which, bool must)
{
	struct text t = {NULL, 0};
	int r = read_root_file(c, which, &t.p, &t.n);
	if (r < 0 && must) {
		errno = -r;
		log_error("--bind-user=: cannot read the host's /etc/%s: %m",
			  which == HUTCH_FILE_HOST_PASSWD ? "passwd" : "group");
		exit(1);
	}
	return t;
}

/* Does the image define uid (gid) `id` already? (A raw id "succeeds" with
 * its own number as name: that is no entry.) */
static bool id_taken(const struct text *pw, const struct text *gr, uint32_t id)
{
	char num[16];
	struct userdb_user u;
	snprintf(num, sizeof num, "%u", id);
	if (userdb_find_user(pw->p, pw->n, num, &u) == 0 && strcmp(u.name, num))
		return true;
	return userdb_find_group(gr->p, gr->n, NULL, id, NULL) == 0;
}

void bind_user_prepare(struct client *c)
{
	const struct settings *s = c->s;
	const struct files_settings *f = &s->files;
	if (!f->n_bind_users)
		return;
	if (s->userns == HUTCH_USERNS_NO) {
		log_error("--bind-user= needs a user namespace, as in nspawn; drop --private-users=no");
		exit(1);
	}
	struct text hpw = read_or_empty(c, HUTCH_FILE_HOST_PASSWD, true);
	struct text hgr = read_or_empty(c, HUTCH_FILE_HOST_GROUP, true);
	struct text cpw = read_or_empty(c, HUTCH_FILE_PASSWD, false);
	struct text cgr = read_or_empty(c, HUTCH_FILE_GROUP, false);
	uint32_t next = HUTCH_BIND_USER_ID_MIN;
	for (unsigned i = 0; i < f->n_bind_users; i++) {
		const char *name = f->bind_user[i];
		struct bound *b = &bound[i];
		if (userdb_find_user(hpw.p, hpw.n, name, &b->host) < 0)
			fail(name, "no such user in the host's /etc/passwd");
		if (b->host.uid == 0 || b->host.gid == 0)
			fail(name, "root (uid or gid 0) cannot be bound into a container");
		if (!policy_allows_bind_user(c->grant, b->host.uid, b->host.gid))
			exit(1);
		if (userdb_find_group(hgr.p, hgr.n, NULL, b->host.gid, b->group) < 0)
			fail(name, "the user's primary group is not in the host's /etc/group");
		if (b->host.home[0] != '/' || !strcmp(b->host.home, "/"))
			fail(name, "the user has no home directory to bind");
		/* nspawn's checks against the image's own database. */
		struct userdb_user tmp;
		if (userdb_find_user(cpw.p, cpw.n, name, &tmp) == 0)
			fail(name, "a user of that name exists in the container already");
		if (userdb_find_group(cgr.p, cgr.n, b->group, 0, NULL) == 0)
			fail(name, "the user's group name exists in the container already");
		for (unsigned j = 0; j < i; j++)
			if (bound[j].host.uid == b->host.uid || bound[j].host.gid == b->host.gid)
				fail(name, "shares its uid or primary gid with another --bind-user=");
		while (next <= HUTCH_BIND_USER_ID_MAX && id_taken(&cpw, &cgr, next))
			next++;
		if (next > HUTCH_BIND_USER_ID_MAX)
			fail(name, "no free id in 60514..60577 in the container");
		b->id = next++;
	}
	n_bound = f->n_bind_users;
	free(hpw.p), free(hgr.p), free(cpw.p), free(cgr.p);
}

void bind_user_create(struct hutch_create *cr)
{
	cr->n_bind_users = n_bound;
	for (unsigned i = 0; i < n_bound; i++)
		cr->bind_users[i] = (struct hutch_bind_user_ids){bound[i].host.uid, bound[i].host.gid,
								 bound[i].id};
}

bool bind_user_lookup(const char *name, struct userdb_user *out)
{
	for (unsigned i = 0; i < n_bound; i++)
		if (!strcmp(bound[i].host.name, name)) {
			*out = bound[i].host;
			out->uid = out->gid = bound[i].id;
			snprintf(out->home, sizeof out->home, "/run/host/home/%s", name);
			return true;
		}
	return false;
}

/* A JSON string (prefix + s): names are printable ASCII, so only '"' and
 * '\' need care. */
static void json_str(FILE *f, const char *prefix, const char *s)
{
	fprintf(f, "\"%s", prefix);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static int record_fd(const struct bound *b, bool user)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	fputs(user ? "{\"userName\":" : "{\"groupName\":", f);
	json_str(f, "", user ? b->host.name : b->group);
	if (user) {
		fprintf(f, ",\"uid\":%u,\"gid\":%u,\"homeDirectory\":", b->id, b->id);
		json_str(f, "/run/host/home/", b->host.name);
	} else
		fprintf(f, ",\"gid\":%u", b->id);
	fputs(",\"disposition\":\"regular\",\"service\":\"io.hutch.BindUser\"}\n", f);
	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	int fd = memfd_create("hutch-userdb", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	int r = fd < 0 ? -errno : write_full(fd, buf, strlen(buf));
	free(buf);
	if (r == 0 && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		r = -errno;
	if (r < 0) {
		closep(&fd);
		return r;
	}
	return fd;
}

void bind_user_apply(struct client *c)
{
	for (unsigned i = 0; i < n_bound; i++) {
		const struct bound *b = &bound[i];
		for (int user = 1; user >= 0; user--) {
			struct hutch_userdb_record rec = {
				.kind = user ? HUTCH_USERDB_USER : HUTCH_USERDB_GROUP, .id = b->id};
			strcpy(rec.name, user ? b->host.name : b->group);
			int fd = record_fd(b, user);
			if (fd < 0) {
				errno = -fd;
				fail(b->host.name, "cannot write its user record");
			}
			int r = call_fd(c, HUTCH_MSG_USERDB_RECORD, &rec, fd, NULL);
			close(fd);
			if (r < 0)
				step_error(c, "--bind-user:", r);
		}
		static struct hutch_bind_user_home h;
		memset(&h, 0, sizeof h);
		h.index = i;
		strcpy(h.name, b->host.name);
		strcpy(h.path, b->host.home);
		int r = call(c, HUTCH_MSG_BIND_USER_HOME, &h, NULL);
		if (r == -EPERM) {
			log_error("--bind-user=%s: home %s is not a directory owned by that user",
				  b->host.name, b->host.home);
			exit(1);
		}
		if (r < 0) {
			errno = -r;
			log_error("--bind-user=%s: cannot bind home %s: %m", b->host.name, b->host.home);
			exit(1);
		}
	}
}
