/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The hard-linked files a tree walk meets (chown.c). A file with more names
 * than the walk found inside the tree has a name outside it: shifting its
 * owner or relabelling it would change a host file the tree only links to
 * (a tenant can link files it owns or may write into its own tree). The
 * first pass counts the names; the walk changes nothing unless every file
 * was found under all of its names, and a file linked since is refused.
 */
#include "broker.h"

#include <errno.h>
#include <stdlib.h>

#define LINKS_MAX (1u << 18) /* files with several names: beyond, refused */

struct link_entry {
	dev_t dev;
	ino_t ino;
	nlink_t nlink; /* as first seen */
	nlink_t seen;  /* names found in the tree */
};

static size_t slot_of(const struct link_table *t, dev_t dev, ino_t ino)
{
	size_t h = ((size_t)ino * 0x9e3779b97f4a7c15ull) ^ (size_t)dev;
	size_t i = h & (t->cap - 1);
	while (t->e[i].nlink && (t->e[i].ino != ino || t->e[i].dev != dev))
		i = (i + 1) & (t->cap - 1);
	return i;
}

static int grow(struct link_table *t)
{
	struct link_table bigger = {.cap = t->cap ? t->cap * 2 : 1024};
	bigger.e = calloc(bigger.cap, sizeof *bigger.e);
	if (!bigger.e)
		return -ENOMEM;
	for (size_t i = 0; i < t->cap; i++)
		if (t->e[i].nlink)
			bigger.e[slot_of(&bigger, t->e[i].dev, t->e[i].ino)] = t->e[i];
	bigger.n = t->n;
	free(t->e);
	*t = bigger;
	return 0;
}

int links_add(struct link_table *t, const struct stat *st)
{
	if ((t->n + 1) * 2 > t->cap) {
		if (t->n >= LINKS_MAX)
			return -E2BIG;
		int r = grow(t);
		if (r < 0)
			return r;
	}
	struct link_entry *e = &t->e[slot_of(t, st->st_dev, st->st_ino)];
	if (!e->nlink) {
		*e = (struct link_entry){.dev = st->st_dev, .ino = st->st_ino, .nlink = st->st_nlink};
		t->n++;
	}
	e->seen++;
	return 0;
}

bool links_all_inside(const struct link_table *t)
{
	for (size_t i = 0; i < t->cap; i++)
		if (t->e[i].nlink && t->e[i].seen != t->e[i].nlink)
			return false;
	return true;
}

bool links_known(const struct link_table *t, const struct stat *st)
{
	if (!t->cap)
		return false;
	const struct link_entry *e = &t->e[slot_of(t, st->st_dev, st->st_ino)];
	return e->nlink && e->nlink == st->st_nlink;
}

void links_free(struct link_table *t)
{
	free(t->e);
	*t = (struct link_table){0};
}
