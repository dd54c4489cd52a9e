/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Files the container gets from the host, as systemd-nspawn: --resolv-conf=,
 * --timezone=, --set-credential=, --load-credential=. The worker decides
 * what to do; the broker (broker/files.c) opens the host files and does it.
 */
#ifndef HUTCH_WORKER_FILES_H
#define HUTCH_WORKER_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/proto.h"

enum files_mode {
	FILES_AUTO = 0,
	FILES_OFF,
	FILES_COPY,
	FILES_REPLACE,
	FILES_BIND,
	FILES_SYMLINK, /* --timezone= only */
	FILES_DELETE,
};

struct files_credential {
	char id[HUTCH_CREDENTIAL_ID_MAX + 1];
	char *data; /* --set-credential: the unescaped value; --load-credential: read at start */
	size_t len;
	char *path; /* --load-credential only */
};

struct files_settings {
	uint8_t resolv_conf;    /* enum files_mode */
	uint32_t resolv_source; /* a HUTCH_FILE_HOST_RESOLV_* */
	uint8_t timezone;       /* enum files_mode */
	struct files_credential creds[HUTCH_CREDENTIALS_MAX];
	unsigned n_creds;
	size_t creds_total; /* bytes of --set-credential values so far */
	char bind_user[HUTCH_BIND_USERS_MAX][HUTCH_USERDB_NAME_MAX + 1]; /* --bind-user= */
	unsigned n_bind_users;
	/* Where each value came from (enum origin). */
	struct {
		uint8_t resolv_conf, timezone, credentials, bind_user;
	} origin;
};

struct settings;
struct client;

/* Parse functions of the option table rows (worker/options.c). */
int files_opt_resolv_conf(struct settings *s, const char *v);
int files_opt_timezone(struct settings *s, const char *v);
int files_opt_set_credential(struct settings *s, const char *v);
int files_opt_load_credential(struct settings *s, const char *v);

/*
 * systemd's C-style unescaping of --set-credential= values: \a \b \f \n \r
 * \t \v \\ \" \' \s (space), \xHH, \NNN (octal, <= 0377), \uXXXX and
 * \UXXXXXXXX (as UTF-8, not 0, <= 0x10ffff). NUL bytes are allowed. Returns
 * 0 with a malloc'ed buffer (NUL-terminated past *len), -EINVAL for an
 * unknown or short escape, -ENOMEM.
 */
int files_unescape(const char *in, char **out, size_t *len);

/* Before CREATE: read the host files and credentials this run needs.
 * Prints the error and exits on a fatal one (an unreadable credential). */
void files_prepare(struct client *c, bool read_only);
/* Ask for the host and image files files_prepare() will likely read, without
 * waiting (with the root: one round trip); what it does not read is closed. */
void files_prefetch(struct client *c);
/* After the API file systems: /etc/resolv.conf, /etc/localtime, credentials.
 * Failures with /etc are warnings, as nspawn; credential failures are fatal. */
void files_apply(struct client *c);
/* --bind-user= (worker/binduser.c): before CREATE, look the users up and
 * pick their container ids (prints the error and exits on a bad one); put
 * them in CREATE; find a bound user for -u; after /run, records and homes. */
struct hutch_create;
struct userdb_user;
int files_opt_bind_user(struct settings *s, const char *v);
void bind_user_prepare(struct client *c);
void bind_user_create(struct hutch_create *cr);
bool bind_user_lookup(const char *name, struct userdb_user *out);
void bind_user_apply(struct client *c);

/* "CREDENTIALS_DIRECTORY=/run/host/credentials" if there are any, else NULL. */
const char *files_env(const struct settings *s);

/* Free the credential values and paths the options allocated. */
void files_settings_free(struct files_settings *f);

#endif
