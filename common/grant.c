/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The grant's constructors and shape check (common/grant.h). */
#include "grant.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>

#include "proto.h"

#define RANGE 65536u

void hutch_grant_init_all(struct hutch_grant *g)
{
	memset(g, 0, sizeof *g);
	g->magic = HUTCH_GRANT_MAGIC;
	g->version = HUTCH_GRANT_VERSION;
	g->size = sizeof *g;
	g->kind = HUTCH_GRANT_ALL;
	g->flags = HUTCH_GRANT_FLAGS_ALL;
	g->uid_min = 0;
	g->uid_max = UINT32_MAX;
	g->cap_max = (CAP_LAST_CAP >= 63) ? ~0ull : (1ull << (CAP_LAST_CAP + 1)) - 1;
}

void hutch_grant_init_deny(struct hutch_grant *g, const char *reason)
{
	memset(g, 0, sizeof *g);
	g->magic = HUTCH_GRANT_MAGIC;
	g->version = HUTCH_GRANT_VERSION;
	g->size = sizeof *g;
	g->kind = HUTCH_GRANT_DENY;
	size_t n = strnlen(reason, sizeof g->reason - 1);
	memcpy(g->reason, reason, n);
}

static int bad(const char **why, const char *reason)
{
	*why = reason;
	return -EBADMSG;
}

static int check_paths(const struct hutch_grant_path *p, uint32_t n, uint32_t flags_ok)
{
	for (uint32_t i = 0; i < HUTCH_GRANT_PATHS; i++) {
		/* Unused slots are all zero, used ones absolute. */
		if (i >= n && (p[i].path[0] || p[i].flags))
			return -1;
		if (i < n && (hutch_check_string(p[i].path, sizeof p[i].path, 0) < 0 ||
			      p[i].path[0] != '/' || (p[i].flags & ~flags_ok)))
			return -1;
	}
	return 0;
}

int hutch_grant_check(const struct hutch_grant *g, const char **why)
{
	if (g->magic != HUTCH_GRANT_MAGIC || g->version != HUTCH_GRANT_VERSION ||
	    g->size != sizeof *g)
		return bad(why, "grant: wrong magic, version or size");
	if (g->kind >= HUTCH_GRANT_KIND_MAX || (g->flags & ~HUTCH_GRANT_FLAGS_KNOWN) || g->reserved)
		return bad(why, "grant: bad kind or flags");
	if (g->n_roots > HUTCH_GRANT_PATHS || g->n_images > HUTCH_GRANT_PATHS ||
	    g->n_binds > HUTCH_GRANT_PATHS || g->n_profiles > HUTCH_GRANT_PROFILES)
		return bad(why, "grant: too many entries");
	if (g->uid_min > g->uid_max || g->uid_min % RANGE ||
	    (g->uid_max % RANGE && g->uid_max != UINT32_MAX))
		return bad(why, "grant: bad uid pool");
	if (check_paths(g->roots, g->n_roots, 0) < 0 || check_paths(g->images, g->n_images, 0) < 0 ||
	    check_paths(g->binds, g->n_binds, HUTCH_GRANT_PATH_RW) < 0)
		return bad(why, "grant: bad path entry");
	for (uint32_t i = 0; i < HUTCH_GRANT_PROFILES; i++)
		if (hutch_check_string(g->profiles[i], sizeof g->profiles[i], i >= g->n_profiles) < 0 ||
		    (i >= g->n_profiles && g->profiles[i][0]))
			return bad(why, "grant: bad profile entry");
	if (hutch_check_string(g->mandatory_profile, sizeof g->mandatory_profile, 1) < 0 ||
	    hutch_check_string(g->selinux_range, sizeof g->selinux_range, 1) < 0 ||
	    hutch_check_string(g->rule, sizeof g->rule, 1) < 0 ||
	    hutch_check_string(g->source, sizeof g->source, 1) < 0 ||
	    hutch_check_string(g->reason, sizeof g->reason, 1) < 0)
		return bad(why, "grant: bad string field");
	return 0;
}

int hutch_grant_uid_range_ok(const struct hutch_grant *g, uint32_t base, uint32_t count)
{
	if (g->kind == HUTCH_GRANT_ALL)
		return 1;
	if (g->kind != HUTCH_GRANT_RULE || count == 0)
		return 0;
	return base >= g->uid_min && base <= g->uid_max && count <= g->uid_max - base;
}

int hutch_grant_profile_ok(const struct hutch_grant *g, const char *name)
{
	if (g->kind == HUTCH_GRANT_ALL)
		return 1;
	if (g->kind != HUTCH_GRANT_RULE)
		return 0;
	if (!g->n_profiles && !g->mandatory_profile[0])
		return 1;
	if (!strcmp(g->mandatory_profile, name))
		return 1;
	for (uint32_t i = 0; i < g->n_profiles && i < HUTCH_GRANT_PROFILES; i++)
		if (!strcmp(g->profiles[i], name))
			return 1;
	return 0;
}
