/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nspawn's mount options, as its man page describes them: SRC[:DST[:OPTS]]
 * with backslash escapes, "+" for a path inside the container root, overlay
 * path lists with the left-most path the lowest layer, tmpfs option strings.
 * Everything is turned into fixed-size typed requests here; the broker sees
 * no text but canonical paths.
 */
#include "mountopts.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "../common/util.h"
#include "options.h"
#include "settings.h"

#define STR_(x) #x
#define STR(x) STR_(x)
#define MAX_FIELDS (HUTCH_OVERLAY_MAX_LOWER + 2)

int mountopt_split(const char *s, char **fields, int max, const char **rest)
{
	int n = 0;
	*rest = NULL;
	for (const char *p = s;;) {
		size_t len = strlen(p);
		char *f = malloc(len + 1), *o = f;
		if (!f)
			return -ENOMEM;
		for (; *p && *p != ':'; p++) {
			if (*p == '\\' && !*++p) {
				free(f);
				while (n > 0)
					free(fields[--n]);
				return -EINVAL;
			}
			*o++ = *p;
		}
		*o = '\0';
		fields[n++] = f;
		if (!*p)
			return n;
		p++; /* the ':' */
		if (n == max) {
			*rest = p;
			return n;
		}
	}
}

int mountopt_canonical_path(char *p)
{
	if (p[0] != '/')
		return -EINVAL;
	char *o = p;
	for (const char *c = p; *c;) {
		while (*c == '/')
			c++;
		const char *end = strchrnul(c, '/');
		size_t n = (size_t)(end - c);
		if (n == 0)
			break;
		if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return -EINVAL;
		*o++ = '/';
		memmove(o, c, n);
		o += n;
		c = end;
	}
	if (o == p)
		*o++ = '/';
	*o = '\0';
	return 0;
}

static void free_fields(char **f, int n)
{
	for (int i = 0; i < n; i++)
		free(f[i]);
}

static int bad(const char *option, const char *value, const char *why)
{
	(void)option; /* option_invalid names the option, or the file and key */
	return option_invalid(value, why);
}

/* Copy a path field into a request: "+" stripped (reported in *in_root),
 * canonical, bounded. */
static int put_path(char *dst, const char *src, bool allow_plus, bool *in_root)
{
	bool plus = allow_plus && src[0] == '+';
	char buf[HUTCH_PATH_MAX];
	if (strlen(src + plus) >= sizeof buf)
		return -ENAMETOOLONG;
	strcpy(buf, src + plus);
	if (mountopt_canonical_path(buf) < 0)
		return -EINVAL;
	strcpy(dst, buf);
	if (in_root)
		*in_root = plus;
	return 0;
}

static const char path_hint[] =
	"paths must be absolute (\"+/path\" for one inside the container), without \".\" or "
	"\"..\" components, shorter than 4096 bytes";

static struct user_mount *add(struct mount_settings *m, enum user_mount_kind kind,
			      const char *option, const char *value, size_t body)
{
	if (m->n >= HUTCH_MAX_USER_MOUNTS) {
		option_invalid(value, "too many mounts: at most " STR(HUTCH_MAX_USER_MOUNTS)
				      " of --bind, --bind-ro, --tmpfs, --overlay, --overlay-ro and "
				      "--inaccessible in all");
		return NULL;
	}
	struct user_mount *a = realloc(m->mounts, (m->n + 1) * sizeof *a);
	if (!a)
		return NULL;
	m->mounts = a;
	struct user_mount *u = &a[m->n];
	*u = (struct user_mount){.kind = kind, .option = option, .value = strdup(value)};
	u->req.bind = calloc(1, body);
	if (!u->value || !u->req.bind) {
		free(u->value);
		free(u->req.bind);
		return NULL;
	}
	m->n++;
	return u;
}

static void drop_last(struct mount_settings *m)
{
	struct user_mount *u = &m->mounts[--m->n];
	free(u->value);
	free(u->req.bind);
}

static int bind_options(struct hutch_mount_bind *b, const char *opts)
{
	char *copy = strdup(opts), *save = NULL;
	if (!copy)
		return -ENOMEM;
	int r = 0;
	for (char *o = strtok_r(copy, ",", &save); o && !r; o = strtok_r(NULL, ",", &save)) {
		if (!strcmp(o, "rbind"))
			b->flags |= HUTCH_BIND_RECURSIVE;
		else if (!strcmp(o, "norbind"))
			b->flags &= ~HUTCH_BIND_RECURSIVE;
		else if (!strcmp(o, "idmap"))
			b->flags |= HUTCH_BIND_IDMAP;
		else if (!strcmp(o, "noidmap"))
			b->flags &= ~HUTCH_BIND_IDMAP;
		else
			r = -EINVAL;
	}
	free(copy);
	return r;
}

int mountopt_bind(struct mount_settings *m, const char *value, bool read_only)
{
	const char *opt = read_only ? "--bind-ro" : "--bind", *rest;
	char *f[2];
	int n = mountopt_split(value, f, 2, &rest);
	if (n < 0)
		return bad(opt, value, "trailing backslash");
	struct user_mount *u = add(m, USER_MOUNT_BIND, opt, value, sizeof *u->req.bind);
	if (!u) {
		free_fields(f, n);
		return -ENOMEM;
	}
	struct hutch_mount_bind *b = u->req.bind;
	bool in_root = false;
	b->flags = HUTCH_BIND_RECURSIVE | (read_only ? HUTCH_BIND_RO : 0);
	int r = put_path(b->source, f[0], true, &in_root);
	b->flags |= in_root ? HUTCH_BIND_SOURCE_IN_ROOT : 0;
	/* One path: the same path in the container ("+" does not apply there). */
	if (r == 0)
		r = put_path(b->target, n == 2 ? f[1] : f[0], n == 1, NULL);
	if (r == 0 && !strcmp(b->target, "/"))
		r = -EPERM;
	free_fields(f, n);
	if (r == 0 && rest && bind_options(b, rest) < 0)
		r = -EPROTO;
	if (r < 0) {
		drop_last(m);
		return bad(opt, value, r == -EPERM ? "cannot mount over the container's root directory"
				       : r == -EPROTO ? "options are rbind, norbind, idmap, noidmap"
						      : path_hint);
	}
	u->target = b->target;
	return 0;
}

/* "1G", "512k", "20%": tmpfs's size syntax (binary suffixes). */
static int parse_size(const char *v, uint64_t *out, bool *percent)
{
	char *end;
	errno = 0;
	if (!isdigit((unsigned char)v[0]))
		return -EINVAL;
	unsigned long long n = strtoull(v, &end, 10);
	if (errno)
		return -ERANGE;
	*percent = false;
	unsigned shift = 0;
	switch (tolower((unsigned char)*end)) {
	case '\0': break;
	case 'k': shift = 10; break;
	case 'm': shift = 20; break;
	case 'g': shift = 30; break;
	case 't': shift = 40; break;
	case '%': *percent = true; break;
	default: return -EINVAL;
	}
	if (*end && end[1])
		return -EINVAL;
	if (*percent && (n < 1 || n > 100))
		return -ERANGE;
	if (shift && n > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = n << shift;
	return 0;
}

static int tmpfs_option(struct hutch_mount_tmpfs *t, const char *o)
{
	static const char *const noops[] = {"rw", "nosuid", "nodev", "exec"};
	unsigned long v;
	bool pct;
	if (!strcmp(o, "ro"))
		t->flags |= HUTCH_TMPFS_RO;
	else if (!strcmp(o, "noexec"))
		t->flags |= HUTCH_TMPFS_NOEXEC;
	else if (!strncmp(o, "mode=", 5)) {
		char *end;
		errno = 0;
		v = strtoul(o + 5, &end, 8);
		if (!o[5] || *end || errno || v > 07777)
			return -EINVAL;
		t->flags |= HUTCH_TMPFS_MODE;
		t->mode = (uint32_t)v;
	} else if (!strncmp(o, "uid=", 4) || !strncmp(o, "gid=", 4)) {
		if (parse_uint(o + 4, 65535, &v) < 0)
			return -EINVAL;
		if (o[0] == 'u')
			t->flags |= HUTCH_TMPFS_UID, t->uid = (uint32_t)v;
		else
			t->flags |= HUTCH_TMPFS_GID, t->gid = (uint32_t)v;
	} else if (!strncmp(o, "size=", 5)) {
		if (parse_size(o + 5, &t->size, &pct) < 0)
			return -EINVAL;
		t->flags &= ~(HUTCH_TMPFS_SIZE | HUTCH_TMPFS_SIZE_PERCENT);
		t->flags |= pct ? HUTCH_TMPFS_SIZE_PERCENT : HUTCH_TMPFS_SIZE;
	} else if (!strncmp(o, "nr_inodes=", 10)) {
		if (parse_size(o + 10, &t->nr_inodes, &pct) < 0 || pct)
			return -EINVAL;
		t->flags |= HUTCH_TMPFS_NR_INODES;
	} else {
		for (size_t i = 0; i < ARRAY_SIZE(noops); i++)
			if (!strcmp(o, noops[i]))
				return 0;
		return -EINVAL;
	}
	return 0;
}

int mountopt_tmpfs(struct mount_settings *m, const char *value)
{
	const char *opt = "--tmpfs", *rest;
	char *f[1];
	int n = mountopt_split(value, f, 1, &rest);
	if (n < 0)
		return bad(opt, value, "trailing backslash");
	struct user_mount *u = add(m, USER_MOUNT_TMPFS, opt, value, sizeof *u->req.tmpfs);
	if (!u) {
		free_fields(f, n);
		return -ENOMEM;
	}
	struct hutch_mount_tmpfs *t = u->req.tmpfs;
	int r = put_path(t->target, f[0], false, NULL);
	free_fields(f, n);
	if (r == 0 && !strcmp(t->target, "/"))
		r = -EPERM;
	if (r < 0) {
		drop_last(m);
		return bad(opt, value, r == -EPERM ? "cannot mount over the container's root directory"
						   : path_hint);
	}
	/* nspawn: no options = mode 0755; with options, the kernel's defaults. */
	if (!rest || !*rest) {
		t->flags = HUTCH_TMPFS_MODE;
		t->mode = 0755;
	}
	char *copy = rest ? strdup(rest) : NULL, *save = NULL;
	for (char *o = copy ? strtok_r(copy, ",", &save) : NULL; o; o = strtok_r(NULL, ",", &save))
		if (tmpfs_option(t, o) < 0) {
			char hint[160];
			snprintf(hint, sizeof hint, "bad or unsupported tmpfs option '%.32s' (supported: mode=, "
				 "size=, nr_inodes=, uid=, gid=, ro, rw, noexec, exec, nosuid, nodev)", o);
			option_invalid(value, hint);
			free(copy);
			drop_last(m);
			return -EINVAL;
		}
	free(copy);
	u->target = t->target;
	return 0;
}

/* ".#NAME" + 16 random hex digits beside the upper directory (nspawn's tempfn_random). */
static int overlay_upper(struct hutch_mount_overlay *o, const char *upper)
{
	bool in_root;
	char path[HUTCH_PATH_MAX];
	if (put_path(path, upper, true, &in_root) < 0 || !strcmp(path, "/"))
		return -EINVAL;
	char *slash = strrchr(path, '/');
	if (strlen(slash + 1) > HUTCH_COMPONENT_MAX)
		return -EINVAL;
	strcpy(o->upper_name, slash + 1);
	if (slash == path)
		slash[1] = '\0';
	else
		*slash = '\0';
	strcpy(o->upper_dir, path);
	uint64_t rnd;
	if (getrandom(&rnd, sizeof rnd, 0) != sizeof rnd)
		return -EIO;
	snprintf(o->work_name, sizeof o->work_name, ".#%.200s%016llx", o->upper_name,
		 (unsigned long long)rnd);
	o->flags |= in_root ? HUTCH_OVERLAY_UPPER_IN_ROOT : 0;
	return 0;
}

/*
 * nspawn: with two paths, the second is the top layer and the mount point;
 * with more, the last is the mount point, the one before it the top
 * (writable) layer, the left-most the lowest. The kernel's lowerdir lists
 * the top first, so the order is reversed here. Read-only: every path is a
 * lower layer.
 */
static int overlay_fill(struct hutch_mount_overlay *o, char **f, int n, bool ro)
{
	const char *top = f[n == 2 ? 1 : n - 2];
	int nlow = n == 2 ? 1 : n - 2; /* f[0..nlow-1]: lower layers, lowest first */
	if (ro) {
		bool in_root;
		if (put_path(o->lower[0], top, true, &in_root) < 0)
			return -EINVAL;
		o->lower_in_root |= in_root;
		o->nlower = 1;
	} else if (overlay_upper(o, top) < 0)
		return -EINVAL;
	if (o->nlower + (uint32_t)nlow > HUTCH_OVERLAY_MAX_LOWER)
		return -E2BIG;
	for (int i = nlow - 1; i >= 0; i--) {
		bool in_root;
		if (put_path(o->lower[o->nlower], f[i], true, &in_root) < 0)
			return -EINVAL;
		o->lower_in_root |= (uint32_t)in_root << o->nlower;
		o->nlower++;
	}
	o->flags |= ro ? HUTCH_OVERLAY_RO : 0;
	return put_path(o->target, n == 2 ? f[1] : f[n - 1], n == 2, NULL) < 0 ? -EINVAL : 0;
}

int mountopt_overlay(struct mount_settings *m, const char *value, bool read_only)
{
	const char *opt = read_only ? "--overlay-ro" : "--overlay", *rest;
	char *f[MAX_FIELDS];
	int n = mountopt_split(value, f, MAX_FIELDS, &rest);
	if (n < 0)
		return bad(opt, value, "trailing backslash");
	if (n < 2 || rest) {
		free_fields(f, n);
		return bad(opt, value, n < 2 ? "at least two paths are needed (LOWER:UPPER[:TARGET])"
					     : "too many paths (at most 8 lower layers)");
	}
	struct user_mount *u = add(m, USER_MOUNT_OVERLAY, opt, value, sizeof *u->req.overlay);
	if (!u) {
		free_fields(f, n);
		return -ENOMEM;
	}
	int r = overlay_fill(u->req.overlay, f, n, read_only);
	free_fields(f, n);
	if (r == 0 && !strcmp(u->req.overlay->target, "/"))
		r = -EPERM;
	if (r < 0) {
		drop_last(m);
		return bad(opt, value, r == -E2BIG ? "too many paths (at most 8 lower layers)"
				       : r == -EPERM ? "cannot mount over the container's root directory"
						     : path_hint);
	}
	u->target = u->req.overlay->target;
	return 0;
}

int mountopt_inaccessible(struct mount_settings *m, const char *value)
{
	const char *opt = "--inaccessible";
	struct user_mount *u = add(m, USER_MOUNT_INACCESSIBLE, opt, value, sizeof *u->req.inaccessible);
	if (!u)
		return -ENOMEM;
	struct hutch_inaccessible *t = u->req.inaccessible;
	if (put_path(t->target, value, false, NULL) < 0 || !strcmp(t->target, "/")) {
		drop_last(m);
		return bad(opt, value, "expects an absolute path other than /, without \".\" or \"..\"");
	}
	u->target = t->target;
	return 0;
}

int mountopt_volatile(struct mount_settings *m, const char *value)
{
	static const char *const yes[] = {"yes", "true", "1", "on", "y", "t"};
	static const char *const no[] = {"no", "false", "0", "off", "n", "f"};
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!value || !strcasecmp(value, yes[i])) {
			m->volatile_mode = HUTCH_VOLATILE_YES;
			return 0;
		}
		if (!strcasecmp(value, no[i])) {
			m->volatile_mode = HUTCH_VOLATILE_NO;
			return 0;
		}
	}
	if (!strcmp(value, "state"))
		m->volatile_mode = HUTCH_VOLATILE_STATE;
	else if (!strcmp(value, "overlay"))
		m->volatile_mode = HUTCH_VOLATILE_OVERLAY;
	else
		return bad("--volatile", value, "expected yes, no, state or overlay");
	return 0;
}

/* ---- rows of the option table ---------------------------------------------- */

int opt_read_only(struct settings *s, const char *v)
{
	int b = parse_boolean(v);
	if (b < 0)
		return option_invalid(v, "expected yes or no");
	s->mounts.read_only = b;
	return 0;
}

int opt_volatile(struct settings *s, const char *v)
{
	return mountopt_volatile(&s->mounts, v);
}

int opt_bind(struct settings *s, const char *v)
{
	return mountopt_bind(&s->mounts, v, false);
}

int opt_bind_ro(struct settings *s, const char *v)
{
	return mountopt_bind(&s->mounts, v, true);
}

int opt_tmpfs(struct settings *s, const char *v)
{
	return mountopt_tmpfs(&s->mounts, v);
}

int opt_overlay(struct settings *s, const char *v)
{
	return mountopt_overlay(&s->mounts, v, false);
}

int opt_overlay_ro(struct settings *s, const char *v)
{
	return mountopt_overlay(&s->mounts, v, true);
}

int opt_inaccessible(struct settings *s, const char *v)
{
	return mountopt_inaccessible(&s->mounts, v);
}

/* nspawn's path_compare: component by component, so /a sorts before /a/b. */
static int path_cmp(const char *a, const char *b)
{
	for (;;) {
		while (*a == '/')
			a++;
		while (*b == '/')
			b++;
		if (!*a || !*b)
			return *a ? 1 : *b ? -1 : 0; /* the shorter path first */
		size_t la = strcspn(a, "/"), lb = strcspn(b, "/");
		int r = memcmp(a, b, la < lb ? la : lb);
		if (r)
			return r;
		if (la != lb)
			return la < lb ? -1 : 1;
		a += la;
		b += lb;
	}
}

int mountopts_finish(struct mount_settings *m, bool userns)
{
	for (unsigned i = 0; i < m->n; i++)
		if (m->mounts[i].kind == USER_MOUNT_BIND &&
		    (m->mounts[i].req.bind->flags & HUTCH_BIND_IDMAP) && !userns) {
			log_error("%s=%s: idmap needs a user namespace (--private-users)",
				  m->mounts[i].option, m->mounts[i].value);
			return -EINVAL;
		}
	/* Insertion sort: stable, so equal targets keep the order given. */
	for (unsigned i = 1; i < m->n; i++) {
		struct user_mount u = m->mounts[i];
		unsigned j = i;
		for (; j > 0 && path_cmp(m->mounts[j - 1].target, u.target) > 0; j--)
			m->mounts[j] = m->mounts[j - 1];
		m->mounts[j] = u;
	}
	return 0;
}

void mountopts_free(struct mount_settings *m)
{
	while (m->n)
		drop_last(m);
	free(m->mounts);
	m->mounts = NULL;
}
