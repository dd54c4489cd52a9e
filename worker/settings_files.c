/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * .nspawn files (systemd.nspawn(5)): found by machine name in the trusted
 * admin directories, else next to the root directory (untrusted), and
 * applied with the profile and the command line in precedence order.
 */
#include "conf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/grant.h"
#include "../common/host_files.h"
#include "../common/util.h"
#include "ini.h"
#include "options.h"

int opt_settings(struct settings *s, const char *v)
{
	int b = parse_boolean(v);
	if (b >= 0)
		s->sources.mode = b ? SETTINGS_YES : SETTINGS_NO;
	else if (!strcmp(v, "override"))
		s->sources.mode = SETTINGS_OVERRIDE;
	else if (!strcmp(v, "trusted"))
		s->sources.mode = SETTINGS_TRUSTED;
	else
		return option_invalid(v, "expected yes, no, override or trusted");
	return 0;
}

static int profile_name(char out[HUTCH_NAME_MAX + 1], const char *v)
{
	if (!name_is_valid(v))
		return option_invalid(v, "a profile name: letters, digits, '.', '_' and '-', "
					 "not starting with '.' or '-'");
	strcpy(out, v);
	return 0;
}

int opt_profile(struct settings *s, const char *v)
{
	return profile_name(s->sources.profile, v);
}

int opt_show_profile(struct settings *s, const char *v)
{
	return profile_name(s->sources.show_profile, v);
}

/* Parameters= words (owned by the file's conf), NULL-terminated. */
#define MAX_PARAMETERS 256
static char *parameters[MAX_PARAMETERS + 1];
static size_t n_parameters;
static char **positional;

void settings_positional(char **argv)
{
	positional = argv;
}

int opt_parameters(struct settings *s, const char *v)
{
	if (!v) { /* the command line's own arguments */
		s->command = positional;
		return 0;
	}
	if (s->command != parameters) /* the first word of this source: a new list */
		n_parameters = 0;
	if (n_parameters >= MAX_PARAMETERS)
		return option_invalid(v, "too many words");
	parameters[n_parameters++] = (char *)v;
	parameters[n_parameters] = NULL;
	s->command = parameters;
	return 0;
}

void settings_file_path(enum hutch_settings_file where, const char *name, const char *directory,
			char *out, size_t size)
{
	const char *dir = hutch_settings_dir(where), *suffix = hutch_settings_suffix(where);
	if (where != HUTCH_SETTINGS_BESIDE_ROOT) {
		snprintf(out, size, "%s/%s.%s", dir ? dir : "?", name, suffix);
		return;
	}
	/* nspawn's file_in_same_dir(): the directory holding the root. */
	size_t n = strlen(directory);
	while (n > 1 && directory[n - 1] == '/')
		n--;
	while (n > 0 && directory[n - 1] != '/')
		n--;
	while (n > 1 && directory[n - 1] == '/')
		n--;
	snprintf(out, size, "%.*s%s%s.nspawn", (int)n, directory, n > 1 ? "/" : "", name);
}

int settings_read_error(const char *path, int err)
{
	if (err == -ELOOP)
		log_error("%s is a symbolic link; refusing to read it", path);
	else if (err == -EBADFD)
		log_error("%s is not a regular file; refusing to read it", path);
	else if (err == -EFBIG)
		log_error("%s is larger than 1 MiB; refusing to read it", path);
	else {
		errno = -err;
		log_error("cannot read %s: %m", path);
	}
	return err;
}

static int add_item(void *userdata, const struct ini_item *it)
{
	const char **ctx = userdata; /* {conf, path} */
	return conf_add((struct conf *)ctx[0], it->section, it->key, it->value, ctx[1], it->line);
}

/* Where the untrusted file sits: beside the image, or the root directory. */
static const char *root_or_image(const struct settings *s)
{
	return s->fsroot.image[0] ? s->fsroot.image : s->directory;
}

/* NAME.nspawn from one place: 1 if found (parsed into c), 0 if not there. */
static int read_nspawn(struct settings *s, const struct settings_reader *rd,
		       enum hutch_settings_file where, struct conf *c)
{
	char *path = s->sources.nspawn_path, *buf = NULL;
	size_t len = 0;
	settings_file_path(where, s->machine, root_or_image(s), path, HUTCH_PATH_MAX);
	int r = rd->read(rd->ctx, where, s->machine, &buf, &len);
	if (r == -ENOENT) {
		path[0] = '\0';
		return 0;
	}
	if (r < 0)
		return settings_read_error(path, r);
	s->sources.nspawn_trusted =
		where != HUTCH_SETTINGS_BESIDE_ROOT || s->sources.mode == SETTINGS_TRUSTED;
	const void *ctx[] = {c, path};
	r = ini_parse(buf, len, path, 0, add_item, ctx);
	free(buf);
	return r < 0 ? r : 1;
}

/* Kept for the run: settings point into them. */
static struct conf profile, nspawn;
static char profile_path[HUTCH_PATH_MAX];
static bool have_profile, look_beside_root;

/*
 * Apply the sources from the highest precedence down. When something is
 * above the command line (the policy's mandatory profile, an override file)
 * `s` is rebuilt: those first, then argv again, then the rest.
 */
static int apply_sources(struct settings *s, int argc, char **argv, bool have_file)
{
	enum origin file_origin =
		s->sources.nspawn_trusted ? ORIGIN_TRUSTED_FILE : ORIGIN_UNTRUSTED_FILE;
	bool profile_first = have_profile && s->sources.profile_mandatory;
	bool file_first = have_file && s->sources.mode == SETTINGS_OVERRIDE;
	int r;
	if (profile_first || file_first) {
		static struct settings_sources keep;
		keep = s->sources;
		settings_clear(s);
		s->sources = keep;
		if (profile_first) {
			r = conf_apply(&profile, CONF_PROFILE, profile_path, s, ORIGIN_PROFILE);
			if (r < 0)
				return r;
			have_profile = false;
		}
		if (file_first) {
			r = conf_apply(&nspawn, CONF_NSPAWN, keep.nspawn_path, s, file_origin);
			if (r < 0)
				return r;
			have_file = false;
		}
		if (cli_apply(argc, argv, s) != CLI_RUN)
			return -EINVAL;
		s->sources = keep; /* --profile= on the command line does not undo the policy's */
	}
	if (have_profile) {
		r = conf_apply(&profile, CONF_PROFILE, profile_path, s, ORIGIN_PROFILE);
		if (r < 0)
			return r;
		have_profile = false; /* once, even when settings_load_beside_root() rebuilds */
	}
	if (have_file) {
		r = conf_apply(&nspawn, CONF_NSPAWN, s->sources.nspawn_path, s, file_origin);
		if (r < 0)
			return r;
	}
	return settings_names(s);
}

int settings_load(struct settings *s, int argc, char **argv, const struct settings_reader *rd)
{
	static const enum hutch_settings_file trusted[] = {
		HUTCH_SETTINGS_HUTCH_NSPAWN, HUTCH_SETTINGS_ETC_NSPAWN, HUTCH_SETTINGS_RUN_NSPAWN};
	conf_free(&profile);
	conf_free(&nspawn);
	look_beside_root = false;
	int r = settings_names(s);
	if (r < 0)
		return r;
	have_profile = s->sources.profile[0];
	if (have_profile && (r = profile_read(s->sources.profile, rd, &profile, profile_path,
					      sizeof profile_path)) < 0)
		return r;
	bool have_file = false;
	if (s->sources.mode != SETTINGS_NO && rd->prefetch)
		rd->prefetch(rd->ctx, trusted, ARRAY_SIZE(trusted), s->machine);
	for (size_t i = 0; s->sources.mode != SETTINGS_NO && i < ARRAY_SIZE(trusted) && !have_file;
	     i++) {
		r = read_nspawn(s, rd, trusted[i], &nspawn);
		if (r < 0)
			break;
		have_file = r > 0;
	}
	if (rd->forget)
		rd->forget(rd->ctx);
	if (r < 0)
		return r;
	look_beside_root = s->sources.mode != SETTINGS_NO && !have_file;
	return apply_sources(s, argc, argv, have_file);
}

bool settings_beside_root_wanted(void)
{
	return look_beside_root;
}

int settings_load_beside_root(struct settings *s, int argc, char **argv,
			      const struct settings_reader *rd)
{
	if (!look_beside_root)
		return 0;
	look_beside_root = false;
	int r = read_nspawn(s, rd, HUTCH_SETTINGS_BESIDE_ROOT, &nspawn);
	if (r <= 0)
		return r;
	/* The profile was applied already: a rebuild applies it again. */
	have_profile = s->sources.profile[0] &&
		       (s->sources.mode == SETTINGS_OVERRIDE || s->sources.profile_mandatory);
	r = apply_sources(s, argc, argv, true);
	return r < 0 ? r : 1;
}

int settings_policy_profile(struct settings *s, const struct hutch_grant *g)
{
	const char *want = s->sources.profile;
	if (!g || g->kind != HUTCH_GRANT_RULE)
		return 0; /* no policy, or root unrestricted; a denial is policy_apply()'s */
	if (g->mandatory_profile[0]) {
		if (want[0] && strcmp(want, g->mandatory_profile)) {
			log_error("the admin policy (rule '%s') runs this caller under profile '%s'; "
				  "--profile=%s is not allowed",
				  g->rule, g->mandatory_profile, want);
			return -EPERM;
		}
		snprintf(s->sources.profile, sizeof s->sources.profile, "%s", g->mandatory_profile);
		s->sources.profile_mandatory = true;
		return 0;
	}
	if (want[0] && !hutch_grant_profile_ok(g, want)) {
		log_error("the admin policy (rule '%s') does not allow --profile=%s", g->rule, want);
		return -EPERM;
	}
	return 0;
}
