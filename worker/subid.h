/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * /etc/subuid and /etc/subgid (subuid(5)): the host ids delegated to users
 * for their own user namespaces (rootless podman, newuidmap). A container
 * range picked inside one would share ids with that user's containers, so
 * --private-users=pick avoids them (hutch_create.avoid).
 *
 * Lines are "OWNER:START:COUNT" with decimal START and COUNT; blank lines and
 * '#' comments are skipped, a trailing "\r" is stripped. A malformed line is
 * counted, not guessed at (the caller warns); a range is clipped before
 * 2^32-1, which is no id ((uid_t)-1).
 * Any number of lines: when the buffer fills, it is merged down (joining
 * the closest ranges), so what is avoided only grows, never shrinks.
 */
#ifndef HUTCH_WORKER_SUBID_H
#define HUTCH_WORKER_SUBID_H

#include <stddef.h>
#include <stdint.h>

#include "../common/proto.h"

#define SUBID_RANGES_MAX 4096 /* ranges held before merging */

struct subid_set {
	struct hutch_id_range r[SUBID_RANGES_MAX];
	uint32_t n;
	unsigned bad_lines; /* malformed lines skipped, in the last file parsed */
	unsigned first_bad; /* line number of the first of them, 0: none */
};

/* Add the ranges of one file's text buf[0..len) (may hold NULs); resets
 * the bad-line count. */
void subid_parse(struct subid_set *s, const char *buf, size_t len);
/* Sort and merge into at most `max` ascending, disjoint ranges in out[];
 * when there are more, the closest neighbours are joined (covering the gap
 * too: more is avoided, never less). Returns the count. */
uint32_t subid_merge(struct subid_set *s, struct hutch_id_range *out, uint32_t max);
/* The first line of one file's text buf[0..len) whose range shares an id
 * with [start, start + count): its line number (0: none), its range, and
 * its owner (non-printable bytes as '?', cut to owner_size - 1 bytes).
 * Exact, line by line: nothing merged. */
unsigned subid_find(const char *buf, size_t len, uint64_t start, uint64_t count,
		    struct hutch_id_range *range, char *owner, size_t owner_size);
/* Does [base, base + count) overlap one of r[0..n)? */
int subid_overlaps(const struct hutch_id_range *r, uint32_t n, uint32_t base, uint32_t count);

#endif
