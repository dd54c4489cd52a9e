/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Named profiles: /etc/hutch/profiles/NAME.profile, else
 * /usr/share/hutch/profiles/NAME.profile. The .nspawn syntax and keys (one
 * option table), a versioned first line, and "@include NAME" before the
 * first section, one level deep.
 */
#include "conf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "caps.h"
#include "ini.h"
#include "options.h"

#define PROFILE_MAGIC "# hutch-profile "
#define PROFILE_VERSION "1"
#define PROFILE_MAX_INCLUDES 4 /* per profile; the broker's permit table counts on it */

struct loader {
	struct conf *out;
	const struct settings_reader *rd;
	const char *path;
	const char *stack[2]; /* the profile names being read: top, included */
	unsigned depth;
	unsigned includes;
};

static int load(struct loader *parent, const char *name, char *path_out, size_t size);

static int check_header(const char *buf, size_t len, const char *path)
{
	char line[64];
	size_t n = 0;
	while (n < len && n < sizeof line - 1 && buf[n] != '\n' && buf[n] != '\r')
		n++;
	memcpy(line, buf, n);
	while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t'))
		n--;
	line[n] = '\0';
	size_t m = strlen(PROFILE_MAGIC);
	if (strncmp(line, PROFILE_MAGIC, m) != 0) {
		log_error("%s:1: not a hutch profile: the first line must be '" PROFILE_MAGIC
			  PROFILE_VERSION "'", path);
		return -EINVAL;
	}
	if (strcmp(line + m, PROFILE_VERSION) != 0) {
		log_error("%s:1: profile format version '%s' is not supported; this hutch reads "
			  "version " PROFILE_VERSION, path, line + m);
		return -EINVAL;
	}
	return 0;
}

static int include(struct loader *l, const struct ini_item *it)
{
	const char *name = it->value;
	if (it->section) {
		log_error("%s:%u: @include must come before the first [Section]", l->path, it->line);
		return -EINVAL;
	}
	if (!name_is_valid(name)) {
		log_error("%s:%u: @include needs a profile name, not '%s'", l->path, it->line, name);
		return -EINVAL;
	}
	for (unsigned i = 0; i <= l->depth; i++)
		if (!strcmp(l->stack[i], name)) {
			log_error("%s:%u: include loop: '%s' includes '%s'", l->path, it->line,
				  l->stack[l->depth], name);
			return -ELOOP;
		}
	if (l->depth >= 1) {
		log_error("%s:%u: '%s' is itself included by '%s': profiles include only one level "
			  "deep", l->path, it->line, l->stack[l->depth], l->stack[0]);
		return -ELOOP;
	}
	if (++l->includes > PROFILE_MAX_INCLUDES) {
		log_error("%s:%u: more than %d @include lines", l->path, it->line,
			  PROFILE_MAX_INCLUDES);
		return -E2BIG;
	}
	return load(l, name, NULL, 0);
}

static int handle(void *userdata, const struct ini_item *it)
{
	struct loader *l = userdata;
	if (!it->directive)
		return conf_add(l->out, it->section, it->key, it->value, l->path, it->line);
	if (!strcmp(it->key, "include"))
		return include(l, it);
	log_error("%s:%u: unknown directive '@%s' (profiles know @include)", l->path, it->line,
		  it->key);
	return -EINVAL;
}

/* Read NAME from the first place that has it; parent NULL for the top. */
static int load(struct loader *parent, const char *name, char *path_out, size_t size)
{
	static const enum hutch_settings_file places[] = {HUTCH_SETTINGS_ETC_PROFILE,
							  HUTCH_SETTINGS_USR_PROFILE};
	char path[HUTCH_PATH_MAX];
	char *buf = NULL;
	size_t len = 0;
	int r = -ENOENT;
	for (size_t i = 0; i < ARRAY_SIZE(places) && r == -ENOENT; i++) {
		settings_file_path(places[i], name, NULL, path, sizeof path);
		r = parent->rd->read(parent->rd->ctx, places[i], name, &buf, &len);
	}
	if (r == -ENOENT) {
		if (parent->depth == 0 && !parent->path)
			log_error("profile '%s' not found in /etc/hutch/profiles/ or "
				  "/usr/share/hutch/profiles/", name);
		else
			log_error("%s: @include %s: no such profile in /etc/hutch/profiles/ or "
				  "/usr/share/hutch/profiles/", parent->path, name);
		return r;
	}
	if (r < 0)
		return settings_read_error(path, r);
	if (path_out)
		snprintf(path_out, size, "%s", path);
	struct loader l = {.out = parent->out, .rd = parent->rd, .path = path};
	if (parent->path) { /* an included profile */
		l.stack[0] = parent->stack[0];
		l.stack[1] = name;
		l.depth = 1;
	} else {
		l.stack[0] = name;
	}
	r = check_header(buf, len, path);
	if (r == 0)
		r = ini_parse(buf, len, path, INI_DIRECTIVES, handle, &l);
	free(buf);
	return r;
}

int profile_read(const char *name, const struct settings_reader *rd, struct conf *out,
		 char *path, size_t size)
{
	struct loader top = {.out = out, .rd = rd};
	return load(&top, name, path, size);
}

static void print_caps(const char *what, uint64_t set)
{
	printf("#   %-24s", what);
	if (!set)
		printf(" (none)");
	for (unsigned cap = 0; cap < 64; cap++)
		if (set >> cap & 1)
			printf(" %s", caps_name(cap));
	printf("\n");
}

/* What the profile makes of hutch's defaults, as comments. */
static void print_effective(struct settings *s)
{
	static const char *const userns[] = {"no", "pick", "yes", "fixed range"};
	printf("\n# Effective on hutch's defaults (the command line still wins):\n");
	if (caps_finish(s) == 0) {
		print_caps("capability bounding set:", s->cap_bounding);
		print_caps("ambient capabilities:", s->cap_ambient);
	}
	printf("#   %-24s %s\n", "no_new_privs:", s->no_new_privs ? "yes" : "no");
	printf("#   %-24s %s\n", "private network:", s->private_network ? "yes" : "no");
	printf("#   %-24s %s\n", "user namespace:",
	       s->origin.userns && s->userns < ARRAY_SIZE(userns) ? userns[s->userns] : "pick");
	printf("#   %-24s", "system call filter:");
	if (!s->n_syscall_filter)
		printf(" hutch's default allowlist");
	for (unsigned i = 0; i < s->n_syscall_filter; i++)
		printf(" %s%s", i ? "+ " : "", s->syscall_filter[i]);
	printf("\n");
}

int profile_show(const char *name, const struct settings_reader *rd)
{
	static struct conf c;
	static struct settings s;
	char path[HUTCH_PATH_MAX];
	conf_free(&c);
	settings_clear(&s);
	int r = profile_read(name, rd, &c, path, sizeof path);
	if (r == 0) /* checks every key and value */
		r = conf_apply(&c, CONF_PROFILE, path, &s, ORIGIN_PROFILE);
	if (r < 0)
		return r;
	printf(PROFILE_MAGIC PROFILE_VERSION "\n# Profile %s from %s, includes resolved.\n", name,
	       path);
	const char *section = NULL, *file = NULL;
	for (size_t i = 0; i < c.n; i++) {
		const struct conf_item *it = &c.items[i];
		size_t flen = strrchr(it->where, ':') - it->where;
		if (!file || strncmp(file, it->where, flen) || file[flen] != ':') {
			printf("\n# %.*s\n", (int)flen, it->where);
			file = it->where;
			section = NULL;
		}
		if (!section || strcmp(section, it->section)) {
			printf("[%s]\n", it->section);
			section = it->section;
		}
		printf("%s=%s\n", it->key, it->value);
	}
	print_effective(&s);
	return fflush(stdout) == 0 ? 0 : -EIO;
}
