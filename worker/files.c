/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * --resolv-conf=, --timezone=, --set-credential=, --load-credential= with
 * systemd-nspawn's meanings. Modes are decided here, host files are read
 * from fds the broker opened, and content goes to the broker as a sealed
 * memfd. Like nspawn, trouble with the image's /etc (a read-only image, a
 * symlink where the file should be, no /etc) is a warning and the container
 * starts with the file as it was; a credential that cannot be read is fatal.
 */
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../common/host_files.h"
#include "../common/util.h"
#include "client.h"
#include "options.h"
#include "policy.h"
#include "settings.h"

#define CREDENTIALS_DIR "/run/host/credentials"

/* ---- options ------------------------------------------------------------- */

static const struct {
	const char *name;
	uint8_t mode;
	uint32_t source;
} resolv_modes[] = {
	{"off", FILES_OFF, 0},
	{"auto", FILES_AUTO, 0},
	{"delete", FILES_DELETE, 0},
#define SOURCES(prefix, mode)                                          \
	{prefix "-host", mode, HUTCH_FILE_HOST_RESOLV_CONF},           \
	{prefix "-static", mode, HUTCH_FILE_HOST_RESOLV_STATIC},       \
	{prefix "-uplink", mode, HUTCH_FILE_HOST_RESOLV_UPLINK},       \
	{prefix "-stub", mode, HUTCH_FILE_HOST_RESOLV_STUB}
	SOURCES("copy", FILES_COPY),
	SOURCES("replace", FILES_REPLACE),
	SOURCES("bind", FILES_BIND),
#undef SOURCES
};

int files_opt_resolv_conf(struct settings *s, const char *v)
{
	for (size_t i = 0; i < ARRAY_SIZE(resolv_modes); i++)
		if (!strcmp(v, resolv_modes[i].name)) {
			s->files.resolv_conf = resolv_modes[i].mode;
			s->files.resolv_source = resolv_modes[i].source;
			return 0;
		}
	return option_invalid(v, "expected off, auto, delete, or copy-, replace- or bind- followed "
				 "by host, static, uplink or stub");
}

int files_opt_timezone(struct settings *s, const char *v)
{
	static const char *const names[] = {
		[FILES_AUTO] = "auto", [FILES_OFF] = "off",         [FILES_COPY] = "copy",
		[FILES_BIND] = "bind", [FILES_SYMLINK] = "symlink", [FILES_DELETE] = "delete",
	};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i] && !strcmp(v, names[i])) {
			s->files.timezone = (uint8_t)i;
			return 0;
		}
	return option_invalid(v, "expected off, copy, bind, symlink, delete or auto");
}

static int hex(char c)
{
	return c >= '0' && c <= '9' ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

static size_t utf8_put(char *o, uint32_t u)
{
	if (u < 0x80)
		return (size_t)(o[0] = (char)u, 1);
	if (u < 0x800)
		return o[0] = (char)(0xc0 | u >> 6), o[1] = (char)(0x80 | (u & 0x3f)), 2;
	if (u < 0x10000)
		return o[0] = (char)(0xe0 | u >> 12), o[1] = (char)(0x80 | ((u >> 6) & 0x3f)),
		       o[2] = (char)(0x80 | (u & 0x3f)), 3;
	return o[0] = (char)(0xf0 | u >> 18), o[1] = (char)(0x80 | ((u >> 12) & 0x3f)),
	       o[2] = (char)(0x80 | ((u >> 6) & 0x3f)), o[3] = (char)(0x80 | (u & 0x3f)), 4;
}

/* One escape after the backslash at *p; advances *p. Returns bytes put or -EINVAL. */
static int unescape_one(const char **p, char *o)
{
	static const char simple[] = "a\ab\bf\fn\nr\rt\tv\v\\\\\"\"''s ";
	char c = *(*p)++;
	for (size_t i = 0; simple[i]; i += 2)
		if (c == simple[i])
			return (o[0] = simple[i + 1], 1);
	uint32_t u = 0;
	int digits = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : 0;
	if (digits) {
		for (int i = 0; i < digits; i++) {
			int h = hex((*p)[i]);
			if (h < 0)
				return -EINVAL;
			u = u << 4 | (uint32_t)h;
		}
		*p += digits;
		if (c == 'x')
			return (o[0] = (char)u, 1);
		if (u == 0 || u > 0x10ffff || (u >= 0xd800 && u <= 0xdfff))
			return -EINVAL;
		return (int)utf8_put(o, u);
	}
	if (c < '0' || c > '7')
		return -EINVAL;
	u = (uint32_t)(c - '0');
	for (int i = 0; i < 2; i++, (*p)++) {
		if ((*p)[0] < '0' || (*p)[0] > '7')
			return -EINVAL;
		u = u << 3 | (uint32_t)((*p)[0] - '0');
	}
	return u > 0377 ? -EINVAL : (o[0] = (char)u, 1);
}

int files_unescape(const char *in, char **out, size_t *len)
{
	char *buf = malloc(strlen(in) + 1), *o = buf;
	if (!buf)
		return -ENOMEM;
	for (const char *p = in; *p;) {
		if (*p != '\\') {
			*o++ = *p++;
			continue;
		}
		p++;
		int n = unescape_one(&p, o);
		if (n < 0) {
			free(buf);
			return n;
		}
		o += n;
	}
	*o = '\0';
	*len = (size_t)(o - buf);
	*out = buf;
	return 0;
}

static int add_credential(struct settings *s, const char *v, bool load)
{
	struct files_settings *f = &s->files;
	const char *colon = strchr(v, ':');
	if (!colon)
		return option_invalid(v, load ? "expected ID:PATH" : "expected ID:VALUE");
	size_t n = (size_t)(colon - v);
	char id[HUTCH_CREDENTIAL_ID_MAX + 1];
	if (n == 0 || n > HUTCH_CREDENTIAL_ID_MAX)
		return option_invalid(v, "the credential ID must be 1 to 255 bytes");
	memcpy(id, v, n);
	id[n] = '\0';
	if (memchr(id, '/', n) || !strcmp(id, ".") || !strcmp(id, ".."))
		return option_invalid(v, "the credential ID must be a valid file name");
	for (unsigned i = 0; i < f->n_creds; i++)
		if (!strcmp(f->creds[i].id, id))
			return option_invalid(v, "duplicate credential ID");
	if (f->n_creds >= HUTCH_CREDENTIALS_MAX)
		return option_invalid(v, "too many credentials (at most 64)");
	struct files_credential *c = &f->creds[f->n_creds];
	*c = (struct files_credential){0};
	if (load) {
		if (!colon[1])
			return option_invalid(v, "empty path");
		if (!(c->path = strdup(colon + 1)))
			return -ENOMEM;
	} else {
		if (files_unescape(colon + 1, &c->data, &c->len) < 0)
			return option_invalid(v, "bad escape sequence in the value");
		if (c->len > HUTCH_CREDENTIAL_SIZE_MAX || f->creds_total + c->len > HUTCH_CREDENTIALS_TOTAL_MAX) {
			free(c->data);
			c->data = NULL;
			return option_invalid(v, "credentials are limited to 1 MiB each, 8 MiB in all");
		}
		f->creds_total += c->len;
	}
	strcpy(c->id, id);
	f->n_creds++;
	return 0;
}

int files_opt_set_credential(struct settings *s, const char *v)
{
	return add_credential(s, v, false);
}

int files_opt_load_credential(struct settings *s, const char *v)
{
	return add_credential(s, v, true);
}

void files_settings_free(struct files_settings *f)
{
	for (unsigned i = 0; i < f->n_creds; i++) {
		free(f->creds[i].data);
		free(f->creds[i].path);
		f->creds[i].data = f->creds[i].path = NULL;
	}
	f->n_creds = 0;
	f->creds_total = 0;
}

const char *files_env(const struct settings *s)
{
	return s->files.n_creds ? "CREDENTIALS_DIRECTORY=" CREDENTIALS_DIR : NULL;
}

/* ---- at start ------------------------------------------------------------ */

static struct {
	uint8_t resolv, tz;      /* enum files_mode, decided */
	bool resolv_auto, tz_auto;
	uint32_t resolv_source;
	int resolv_fd, tz_fd;    /* sealed content, or -1 */
	char tz_link[HUTCH_LINK_MAX];
} plan = {.resolv_fd = -1, .tz_fd = -1};

/* nspawn warns and goes on; in auto mode the expected refusals (a symlink
 * it will not follow, a read-only image) are only information. */
static void warn(bool quietly, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(bool quietly, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (quietly)
		log_info("%s", line);
	else
		log_error("warning: %s", line);
}

static bool expected_refusal(int err)
{
	return err == -ELOOP || err == -EROFS || err == -EACCES || err == -EPERM;
}

static const char *reason(int err)
{
	return err == -ELOOP   ? "it or /etc is a symlink, which hutch does not follow"
	       : err == -EINVAL ? "it is not a regular file"
				: strerror(-err);
}

static int sealed_memfd(const char *data, size_t len)
{
	int fd = memfd_create("hutch-file", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	int r = write_full(fd, data, len);
	if (r == 0 && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		r = -errno;
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

/* A host file's content as a sealed memfd, or -errno. */
static int host_content(struct client *c, uint32_t which, const char *same_as)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r = read_root_file(c, which, &buf, &len);
	if (r < 0)
		return r;
	if (len > HUTCH_WRITE_FILE_MAX)
		return -EFBIG;
	if (same_as && strlen(same_as) == len && !memcmp(same_as, buf, len))
		return -EEXIST; /* the image has it already */
	return sealed_memfd(buf, len);
}

static bool host_exists(struct client *c, enum hutch_root_file which)
{
	int fd = -1;
	int r = open_root_file(c, which, &fd);
	closep(&fd);
	return r == 0;
}

/* What files_prefetch() may ask for. */
static const enum hutch_root_file prefetched[] = {
	HUTCH_FILE_HOST_LOCALTIME_LINK, HUTCH_FILE_HOST_RESOLV_STUB, HUTCH_FILE_RESOLV_CONF,
	HUTCH_FILE_HOST_RESOLV_CONF};

void files_prefetch(struct client *c)
{
	const struct files_settings *f = &c->s->files;
	if (f->timezone == FILES_AUTO || f->timezone == FILES_SYMLINK)
		prefetch_root_file(c, HUTCH_FILE_HOST_LOCALTIME_LINK);
	/* Auto without resolved on the host: a copy of its resolv.conf, unless
	 * the image has the same (prepare_resolv). */
	if (f->resolv_conf == FILES_AUTO && !c->s->private_network) {
		prefetch_root_file(c, HUTCH_FILE_HOST_RESOLV_STUB);
		prefetch_root_file(c, HUTCH_FILE_RESOLV_CONF);
		prefetch_root_file(c, HUTCH_FILE_HOST_RESOLV_CONF);
	}
}

static void prepare_resolv(struct client *c, bool read_only)
{
	const struct settings *s = c->s;
	plan.resolv = s->files.resolv_conf;
	plan.resolv_source = s->files.resolv_source;
	plan.resolv_auto = plan.resolv == FILES_AUTO;
	if (plan.resolv_auto) {
		/* nspawn: own network, leave it; resolved on the host, its static
		 * file (127.0.0.53 is reachable: same network); else the host's. */
		if (s->private_network)
			plan.resolv = FILES_OFF;
		else if (host_exists(c, HUTCH_FILE_HOST_RESOLV_STUB))
			plan.resolv = FILES_BIND, plan.resolv_source = HUTCH_FILE_HOST_RESOLV_STATIC;
		else
			plan.resolv = read_only ? FILES_BIND : FILES_COPY,
			plan.resolv_source = HUTCH_FILE_HOST_RESOLV_CONF;
	}
	if (plan.resolv != FILES_COPY && plan.resolv != FILES_REPLACE && plan.resolv != FILES_BIND)
		return;
	/* A copy is also the fallback of a bind that fails, as in nspawn. An
	 * identical regular file is left alone. */
	_cleanup_free_ char *now = NULL;
	size_t now_len;
	if (plan.resolv == FILES_REPLACE ||
	    read_root_file(c, HUTCH_FILE_RESOLV_CONF, &now, &now_len) < 0 || strlen(now) != now_len)
		freep(&now), now = NULL;
	int fd = host_content(c, plan.resolv_source, now);
	if (fd == -EEXIST && plan.resolv == FILES_COPY) {
		plan.resolv = FILES_OFF;
		return;
	}
	if (fd == -EEXIST)
		fd = host_content(c, plan.resolv_source, NULL);
	if (fd < 0) {
		errno = -fd;
		warn(false, "cannot read the host's %s: %m; /etc/resolv.conf of the container is left "
			    "as it is", hutch_host_file(plan.resolv_source));
		plan.resolv = FILES_OFF;
		return;
	}
	plan.resolv_fd = fd;
}

static void prepare_timezone(struct client *c, bool read_only)
{
	plan.tz = c->s->files.timezone;
	plan.tz_auto = plan.tz == FILES_AUTO;
	if (plan.tz == FILES_AUTO || plan.tz == FILES_SYMLINK) {
		_cleanup_free_ char *link = NULL;
		size_t len;
		int r = read_root_file(c, HUTCH_FILE_HOST_LOCALTIME_LINK, &link, &len);
		if (r == -ENOENT && plan.tz_auto)
			plan.tz = read_only ? FILES_OFF : FILES_DELETE;
		else if (r == -EINVAL && plan.tz_auto) /* a regular file */
			plan.tz = read_only ? FILES_BIND : FILES_COPY;
		else if (r < 0 || strlen(link) != len) {
			errno = r < 0 ? -r : EINVAL;
			warn(false, "cannot read the host's /etc/localtime symlink: %m; the container's "
				    "timezone is not updated");
			plan.tz = FILES_OFF;
		} else {
			if (plan.tz_auto)
				plan.tz = read_only ? FILES_BIND : FILES_SYMLINK;
			const char *z = link;
			if (!strncmp(z, "../", 3))
				z += 2;
			if (strncmp(z, "/usr/share/zoneinfo/", 20)) {
				warn(false, "the host's /etc/localtime does not point into "
					    "/usr/share/zoneinfo/; the container's timezone is not updated");
				plan.tz = FILES_OFF;
			}
			snprintf(plan.tz_link, sizeof plan.tz_link, "..%s", z);
		}
	}
	if (plan.tz != FILES_COPY && plan.tz != FILES_BIND)
		return;
	/* Copying is also what a failed bind falls back to, as in nspawn. (For
	 * symlink mode, whose bind fallback is rare, the read is not worth a
	 * round trip on every start: there the copy is skipped with a warning.) */
	plan.tz_fd = host_content(c, HUTCH_FILE_HOST_LOCALTIME, NULL);
	if (plan.tz_fd < 0 && plan.tz == FILES_COPY) {
		errno = -plan.tz_fd;
		warn(false, "cannot read the host's /etc/localtime: %m; the container's timezone is "
			    "not updated");
		plan.tz = FILES_OFF;
	}
}

static void prepare_credentials(struct client *c)
{
	struct files_settings *f = (struct files_settings *)&c->s->files;
	size_t total = 0;
	for (unsigned i = 0; i < f->n_creds; i++) {
		struct files_credential *cr = &f->creds[i];
		if (!cr->path) {
			total += cr->len;
			continue;
		}
		/* nspawn: a relative path is one of hutch's own credentials. */
		struct hutch_open_host_file h = {0};
		const char *dir = getenv("CREDENTIALS_DIRECTORY");
		if (cr->path[0] != '/' && (!dir || dir[0] != '/')) {
			log_error("--load-credential=%s:%s: a relative path names one of hutch's own "
				  "credentials, but $CREDENTIALS_DIRECTORY is not set",
				  cr->id, cr->path);
			exit(1);
		}
		if ((size_t)snprintf(h.path, sizeof h.path, "%s%s%s", cr->path[0] == '/' ? "" : dir,
				     cr->path[0] == '/' ? "" : "/", cr->path) >= sizeof h.path) {
			log_error("--load-credential=%s: path too long", cr->id);
			exit(1);
		}
		int fd = -1;
		int r = call(c, HUTCH_MSG_OPEN_HOST_FILE, &h, &fd);
		if (r == 0) {
			r = read_fd_bounded(fd, HUTCH_CREDENTIAL_SIZE_MAX, &cr->data, &cr->len);
			close(fd);
		}
		if (r == 0 && total + cr->len > HUTCH_CREDENTIALS_TOTAL_MAX)
			r = -EFBIG;
		if (r == -EACCES && policy_restricts(c->grant)) {
			log_error("--load-credential=%s: the admin policy does not allow reading %s "
				  "(only files below its Bind=/BindReadOnly= paths)", cr->id, h.path);
			exit(1);
		}
		if (r < 0) {
			errno = -r;
			log_error("--load-credential=%s: cannot read %s: %s", cr->id, h.path,
				  r == -EFBIG ? "credentials are limited to 1 MiB each, 8 MiB in all"
				  : r == -EBADFD ? "not a regular file"
						 : host_path_error(r));
			exit(1);
		}
		total += cr->len;
	}
}

void files_prepare(struct client *c, bool read_only)
{
	prepare_resolv(c, read_only);
	prepare_timezone(c, read_only);
	prepare_credentials(c);
	client_forget_files(c, prefetched, ARRAY_SIZE(prefetched)); /* for a plan that changed */
}

/* ---- in the container ---------------------------------------------------- */

static int file_op(struct client *c, uint32_t op, uint32_t target, uint32_t source, const char *link)
{
	struct hutch_file_op f = {.op = op, .target = target, .source = source};
	if (link)
		snprintf(f.link, sizeof f.link, "%s", link);
	return call(c, HUTCH_MSG_FILE_OP, &f, NULL);
}

static int write_file(struct client *c, uint32_t target, int fd, bool replace)
{
	struct hutch_write_file w = {.target = target, .flags = replace ? HUTCH_WRITE_REPLACE : 0};
	return call_fd(c, HUTCH_MSG_WRITE_FILE, &w, fd, NULL);
}

static void apply_resolv(struct client *c)
{
	const char *opt = "--resolv-conf";
	int r;
	switch ((enum files_mode)plan.resolv) {
	case FILES_DELETE:
		if ((r = file_op(c, HUTCH_FILE_OP_UNLINK, HUTCH_ETC_RESOLV_CONF, 0, NULL)) < 0)
			warn(false, "%s: cannot remove /etc/resolv.conf in the container: %s", opt, reason(r));
		return;
	case FILES_BIND:
		r = file_op(c, HUTCH_FILE_OP_BIND, HUTCH_ETC_RESOLV_CONF, plan.resolv_source, NULL);
		if (r == 0)
			return;
		warn(plan.resolv_auto && expected_refusal(r),
		     "%s: cannot bind the host's %s onto /etc/resolv.conf in the container (%s); copying it", opt,
		     hutch_host_file(plan.resolv_source), reason(r));
		__attribute__((fallthrough)); /* nspawn copies when the bind fails */
	case FILES_COPY:
	case FILES_REPLACE:
		r = write_file(c, HUTCH_ETC_RESOLV_CONF, plan.resolv_fd, plan.resolv == FILES_REPLACE);
		if (r < 0)
			warn(plan.resolv_auto && expected_refusal(r),
			     "%s: cannot copy the host's %s to /etc/resolv.conf in the container (%s); left as it is",
			     opt, hutch_host_file(plan.resolv_source), reason(r));
		return;
	case FILES_AUTO:
	case FILES_OFF:
	case FILES_SYMLINK:
		return;
	}
}

static void apply_timezone(struct client *c)
{
	const char *opt = "--timezone";
	int r;
	switch ((enum files_mode)plan.tz) {
	case FILES_DELETE:
		if ((r = file_op(c, HUTCH_FILE_OP_UNLINK, HUTCH_ETC_LOCALTIME, 0, NULL)) < 0)
			warn(false, "%s: cannot remove /etc/localtime in the container: %s", opt, reason(r));
		return;
	case FILES_SYMLINK:
		r = file_op(c, HUTCH_FILE_OP_SYMLINK, HUTCH_ETC_LOCALTIME, 0, plan.tz_link);
		if (r == 0)
			return;
		if (r != -ENOENT) { /* nspawn binds only when the zone is missing */
			warn(plan.tz_auto && expected_refusal(r),
			     "%s: cannot link /etc/localtime in the container to %s: %s", opt,
			     plan.tz_link, reason(r));
			return;
		}
		__attribute__((fallthrough));
	case FILES_BIND:
		r = file_op(c, HUTCH_FILE_OP_BIND, HUTCH_ETC_LOCALTIME, HUTCH_FILE_HOST_LOCALTIME, NULL);
		if (r == 0)
			return;
		warn(plan.tz_auto && expected_refusal(r),
		     "%s: cannot bind /etc/localtime into the container (%s); copying it", opt,
		     reason(r));
		__attribute__((fallthrough));
	case FILES_COPY:
		if (plan.tz_fd < 0) {
			warn(plan.tz_auto, "%s: /etc/localtime of the container is left as it is", opt);
			return;
		}
		r = write_file(c, HUTCH_ETC_LOCALTIME, plan.tz_fd, true);
		if (r < 0)
			warn(plan.tz_auto && expected_refusal(r),
			     "%s: cannot copy /etc/localtime into the container: %s", opt, reason(r));
		return;
	case FILES_AUTO:
	case FILES_OFF:
	case FILES_REPLACE:
		return;
	}
}

static void apply_credentials(struct client *c)
{
	const struct files_settings *f = &c->s->files;
	for (unsigned i = 0; i < f->n_creds; i++) {
		struct hutch_credential cr = {0};
		strcpy(cr.id, f->creds[i].id);
		int fd = sealed_memfd(f->creds[i].data ? f->creds[i].data : "", f->creds[i].len);
		if (fd < 0) {
			errno = -fd;
			log_error("credential %s: %m", cr.id);
			exit(1);
		}
		int r = call_fd(c, HUTCH_MSG_CREDENTIAL, &cr, fd, NULL);
		close(fd);
		if (r < 0)
			step_error(c, "setting up credentials:", r);
	}
}

void files_apply(struct client *c)
{
	apply_resolv(c);
	apply_timezone(c);
	apply_credentials(c);
	closep(&plan.resolv_fd);
	closep(&plan.tz_fd);
	plan.resolv_fd = plan.tz_fd = -1;
}
