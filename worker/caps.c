/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Capability options, with nspawn's meanings. Names go through libcap-ng's
 * built-in table (capng_name_to_capability is a string compare over a
 * static array: no file is opened, which the worker could not do anyway).
 */
#include "caps.h"

#include <cap-ng.h>
#include <ctype.h>
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../common/util.h"

static const char *const option_names[] = {
	[CAPS_OPT_ADD] = "--capability",
	[CAPS_OPT_DROP] = "--drop-capability",
	[CAPS_OPT_AMBIENT] = "--ambient-capability",
};

#define CAPS_ALL ((CAP_LAST_CAP >= 63) ? ~0ull : (1ull << (CAP_LAST_CAP + 1)) - 1)

const char *caps_name(unsigned cap)
{
	static char buf[40];
	const char *n = capng_capability_to_name(cap);
	if (!n) {
		snprintf(buf, sizeof buf, "capability %u", cap);
		return buf;
	}
	size_t i = 0;
	i += (size_t)snprintf(buf, sizeof buf, "CAP_");
	for (; *n && i < sizeof buf - 1; n++)
		buf[i++] = (char)toupper((unsigned char)*n);
	buf[i] = '\0';
	return buf;
}

/* One name: "CAP_NET_ADMIN", "net_admin" or "12". -1 if unknown. */
int caps_from_name(const char *name)
{
	if (isdigit((unsigned char)name[0])) {
		unsigned long v;
		return parse_uint(name, CAP_LAST_CAP, &v) == 0 ? (int)v : -1;
	}
	if (strncasecmp(name, "cap_", 4) == 0)
		name += 4;
	if (!*name)
		return -1;
	int cap = capng_name_to_capability(name);
	return cap >= 0 && cap <= CAP_LAST_CAP ? cap : -1;
}

static int parse_word(enum caps_option opt, const char *word, uint64_t *out)
{
	if (strcasecmp(word, "all") == 0) {
		if (opt == CAPS_OPT_AMBIENT) {
			log_error("%s does not take 'all'; name the capabilities", option_names[opt]);
			return -EINVAL;
		}
		/* "all" means every capability hutch can grant: no warning. */
		*out |= opt == CAPS_OPT_DROP ? CAPS_ALL : CAPS_ALL & ~CAPS_AUDIT;
		return 0;
	}
	int cap = caps_from_name(word);
	if (cap < 0) {
		log_error("unknown capability '%s' in %s", word, option_names[opt]);
		return -EINVAL;
	}
	if (opt != CAPS_OPT_DROP && (CAPS_AUDIT & (1ull << cap)))
		log_error("warning: %s is never granted to a hutch container; ignoring it",
			  caps_name((unsigned)cap));
	else
		*out |= 1ull << cap;
	return 0;
}

int caps_parse(enum caps_option opt, const char *list, uint64_t *out)
{
	*out = 0;
	const char *p = list;
	for (;;) {
		p += strspn(p, " \t");
		size_t len = strcspn(p, ",");
		size_t trimmed = len;
		while (trimmed > 0 && (p[trimmed - 1] == ' ' || p[trimmed - 1] == '\t'))
			trimmed--;
		if (trimmed > 0) {
			char word[64];
			if (trimmed >= sizeof word) {
				log_error("unknown capability '%.*s...' in %s", 32, p,
					  option_names[opt]);
				return -EINVAL;
			}
			memcpy(word, p, trimmed);
			word[trimmed] = '\0';
			int r = parse_word(opt, word, out);
			if (r < 0)
				return r;
		}
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

int caps_option(enum caps_option opt, const char *list, struct settings *s)
{
	uint64_t mask;
	int r = caps_parse(opt, list, &mask);
	if (r < 0)
		return r;
	switch (opt) {
	case CAPS_OPT_ADD:
		s->cap_add |= mask;
		break;
	case CAPS_OPT_DROP:
		s->cap_drop |= mask;
		break;
	case CAPS_OPT_AMBIENT:
		s->cap_ambient |= mask;
		break;
	}
	return 0;
}

int caps_parse_no_new_privs(const char *v, struct settings *s)
{
	static const char *const yes[] = {"yes", "true", "1", "on"};
	static const char *const no[] = {"no", "false", "0", "off"};
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++)
		if (strcasecmp(v, yes[i]) == 0 || strcasecmp(v, no[i]) == 0) {
			s->no_new_privs = strcasecmp(v, yes[i]) == 0;
			return 0;
		}
	log_error("invalid --no-new-privileges value '%s': expected yes or no", v);
	return -EINVAL;
}

int caps_finish(struct settings *s)
{
	uint64_t conflict = s->cap_ambient & s->cap_drop;
	if (conflict) {
		unsigned cap = (unsigned)__builtin_ctzll(conflict);
		log_error("%s is in --ambient-capability but dropped by --drop-capability",
			  caps_name(cap));
		return -EINVAL;
	}
	/* nspawn: an ambient capability is granted in the bounding set too, and a
	 * private network brings CAP_NET_ADMIN (12) unless dropped. */
	uint64_t net = s->private_network ? 1ull << 12 : 0;
	s->cap_bounding = (default_capabilities | net | s->cap_add | s->cap_ambient) &
			  ~s->cap_drop & ~CAPS_AUDIT;
	s->cap_ambient &= ~CAPS_AUDIT;
	return 0;
}
