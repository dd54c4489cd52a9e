/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parsed settings files, applied through the option table (see conf.h). */
#include "conf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "ini.h"
#include "options.h"

int conf_add(struct conf *c, const char *section, const char *key, const char *value,
	     const char *path, unsigned line)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 32;
		struct conf_item *v = realloc(c->items, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		c->items = v;
		c->cap = cap;
	}
	struct conf_item *it = &c->items[c->n];
	*it = (struct conf_item){
		.section = section ? strdup(section) : NULL,
		.key = strdup(key),
		.value = strdup(value),
	};
	if (asprintf(&it->where, "%s:%u", path, line) < 0)
		it->where = NULL;
	c->n++;
	if ((section && !it->section) || !it->key || !it->value || !it->where)
		return -ENOMEM;
	return 0;
}

void conf_free(struct conf *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->items[i].section);
		free(c->items[i].key);
		free(c->items[i].value);
		free(c->items[i].where);
	}
	free(c->items);
	for (size_t i = 0; i < c->n_words; i++)
		free(c->words[i]);
	free(c->words);
	*c = (struct conf){0};
}

/* What names the container is not a profile's business. */
static bool names_the_container(const struct option_def *d)
{
	static const char *const names[] = {"directory", "machine", "image", "template"};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(d->name, names[i]))
			return true;
	return false;
}

const struct option_def *conf_row(enum conf_kind kind, const char *section, const char *key)
{
	if (!section)
		return NULL;
	if (kind == CONF_PROFILE && !strcmp(section, "Options")) {
		/* Settings (with an origin slot) that have no .nspawn key: one
		 * way to say each thing. */
		const struct option_def *d = option_by_name(key);
		if (!d || !d->origin || d->key || names_the_container(d))
			return NULL;
		return d;
	}
	return option_by_key(section, key);
}

/* A buffer for one word, owned by the conf (settings may point there). */
static char *word_buffer(struct conf *c, size_t size)
{
	if (c->n_words == c->cap_words) {
		size_t cap = c->cap_words ? 2 * c->cap_words : 16;
		char **v = realloc(c->words, cap * sizeof *v);
		if (!v)
			return NULL;
		c->words = v;
		c->cap_words = cap;
	}
	char *w = malloc(size);
	if (w)
		c->words[c->n_words++] = w;
	return w;
}

/* One value, or with OPT_WORDS each word of it. */
static int apply_item(struct conf *c, const struct option_def *d, const struct conf_item *it,
		      struct settings *s, enum origin origin)
{
	if (!(d->flags & OPT_WORDS))
		return option_apply(d, s, it->value, origin, it->where);
	const char *p = it->value;
	int result = 0;
	for (;;) {
		size_t size = strlen(p) + 1;
		char *word = word_buffer(c, size);
		if (!word)
			return -ENOMEM;
		int r = ini_next_word(&p, word, size);
		if (r <= 0) {
			if (r < 0)
				log_error("%s: invalid %s= value '%s': unbalanced quotes or a bad "
					  "escape", it->where, it->key, it->value);
			return r < 0 ? -EINVAL : result;
		}
		r = option_apply(d, s, word, origin, it->where);
		if (r < 0)
			return r;
		if (r == OPTION_IGNORED)
			result = r;
	}
}

/* Append "[Section] Key=" to a one-line list, once. */
static void list_add(char *list, size_t size, const char *section, const char *key)
{
	char entry[160];
	if (section)
		snprintf(entry, sizeof entry, "[%s] %s=", section, key);
	else
		snprintf(entry, sizeof entry, "%s= (outside any section)", key);
	if (strstr(list, entry))
		return;
	size_t n = strlen(list);
	if (n + strlen(entry) + 8 >= size) {
		if (!strstr(list, ", ..."))
			snprintf(list + n, size - n, ", ...");
		return;
	}
	snprintf(list + n, size - n, "%s%s", n ? ", " : "", entry);
}

int conf_apply(struct conf *c, enum conf_kind kind, const char *path, struct settings *s,
	       enum origin origin)
{
	char unknown[1024] = "", untrusted[1024] = "";
	for (size_t i = 0; i < c->n; i++) {
		const struct conf_item *it = &c->items[i];
		const struct option_def *d = conf_row(kind, it->section, it->key);
		if (!d && kind == CONF_PROFILE) {
			log_error("%s: unknown key '%s' in section [%s]; see hutch(1), PROFILES",
				  it->where, it->key, it->section ? it->section : "none");
			return -EINVAL;
		}
		if (!d) { /* systemd ignores X- keys and sections quietly */
			if (strncmp(it->key, "X-", 2) &&
			    !(it->section && !strncmp(it->section, "X-", 2)))
				list_add(unknown, sizeof unknown, it->section, it->key);
			continue;
		}
		int r = apply_item(c, d, it, s, origin);
		if (r < 0)
			return r;
		if (r == OPTION_IGNORED && origin == ORIGIN_UNTRUSTED_FILE &&
		    (d->flags & OPT_PRIVILEGED))
			list_add(untrusted, sizeof untrusted, it->section, it->key);
	}
	if (unknown[0])
		log_error("%s: ignoring settings hutch does not know: %s", path, unknown);
	if (untrusted[0])
		log_error("%s: ignoring privileged settings from a file next to the image, which "
			  "is not trusted: %s (put the file in /etc/systemd/nspawn/, or use "
			  "--settings=trusted)",
			  path, untrusted);
	return 0;
}
