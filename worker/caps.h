/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* --capability=, --drop-capability=, --ambient-capability=, --no-new-privileges=. */
#ifndef HUTCH_WORKER_CAPS_H
#define HUTCH_WORKER_CAPS_H

#include <stdbool.h>
#include <stdint.h>

#include "settings.h"

/* DESIGN.md §4: never granted, whatever is asked (the broker strips them too). */
#define CAPS_AUDIT ((1ull << 29) | (1ull << 30) | (1ull << 37)) /* WRITE, CONTROL, READ */

enum caps_option {
	CAPS_OPT_ADD,     /* --capability= */
	CAPS_OPT_DROP,    /* --drop-capability= */
	CAPS_OPT_AMBIENT, /* --ambient-capability= */
};

/*
 * Parse a comma-separated list of capability names (CAP_ prefix optional,
 * any case, or a number), or "all" (not for ambient), into a bit mask.
 * Logs a one-line error naming the bad value and returns -EINVAL.
 */
int caps_parse(enum caps_option opt, const char *list, uint64_t *out);

/* Apply one capability option to the settings (lists accumulate). */
int caps_option(enum caps_option opt, const char *list, struct settings *s);

/* --no-new-privileges=BOOL */
int caps_parse_no_new_privs(const char *value, struct settings *s);

/*
 * The payload's final sets: nspawn's default, plus --capability= and the
 * ambient ones, minus --drop-capability= and CAP_AUDIT_*. An ambient
 * capability that is also dropped is an error (logged, -EINVAL).
 */
int caps_finish(struct settings *s);

/* One name ("CAP_NET_ADMIN", "net_admin", "12") to its number; -1 if unknown. */
int caps_from_name(const char *name);

/* "CAP_SYS_ADMIN" style name for a capability number (static buffer). */
const char *caps_name(unsigned cap);

#endif
