/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /etc/subuid and /etc/subgid: see subid.h. */
#include "subid.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Plain decimal, no sign or spaces, below 2^32. */
static bool parse_u32(const char *s, size_t n, uint32_t *out)
{
	uint64_t v = 0;
	if (n == 0 || n > 10)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

static bool parse_line(const char *l, size_t n, struct hutch_id_range *out)
{
	const char *c1 = memchr(l, ':', n);
	const char *c2 = c1 ? memchr(c1 + 1, ':', n - (size_t)(c1 + 1 - l)) : NULL;
	if (!c1 || c1 == l || !c2 || memchr(l, '\0', n))
		return false;
	const char *count = c2 + 1;
	return parse_u32(c1 + 1, (size_t)(c2 - c1 - 1), &out->start) &&
	       parse_u32(count, (size_t)(l + n - count), &out->count) && out->count > 0;
}

static void compact(struct subid_set *s, uint32_t max);

/* The next line that is not blank or a comment, without its "\r\n". */
static bool next_line(const char *buf, size_t len, size_t *off, unsigned *line, const char **l,
		      size_t *n)
{
	while (*off < len) {
		*l = buf + *off;
		const char *nl = memchr(*l, '\n', len - *off);
		*n = nl ? (size_t)(nl - *l) : len - *off;
		*off += *n + 1;
		++*line;
		if (*n && (*l)[*n - 1] == '\r')
			--*n;
		if (*n && (*l)[0] != '#')
			return true;
	}
	return false;
}

/* A line's range; (uid_t)-1 is no id, so ranges end before it (count 0:
 * nothing). */
static bool line_range(const char *l, size_t n, struct hutch_id_range *r)
{
	if (!parse_line(l, n, r))
		return false;
	if ((uint64_t)r->start + r->count > UINT32_MAX)
		r->count = UINT32_MAX - r->start;
	return true;
}

void subid_parse(struct subid_set *s, const char *buf, size_t len)
{
	unsigned line = 0;
	const char *l;
	size_t n, off = 0;
	s->bad_lines = s->first_bad = 0;
	while (next_line(buf, len, &off, &line, &l, &n)) {
		struct hutch_id_range r;
		if (!line_range(l, n, &r)) {
			if (!s->bad_lines++)
				s->first_bad = line;
			continue;
		}
		if (r.count == 0)
			continue;
		if (s->n == SUBID_RANGES_MAX)
			compact(s, SUBID_RANGES_MAX / 2);
		s->r[s->n++] = r;
	}
}

unsigned subid_find(const char *buf, size_t len, uint64_t start, uint64_t count,
		    struct hutch_id_range *range, char *owner, size_t owner_size)
{
	unsigned line = 0;
	const char *l;
	size_t n, off = 0;
	while (next_line(buf, len, &off, &line, &l, &n)) {
		struct hutch_id_range r;
		if (!line_range(l, n, &r) || r.count == 0 ||
		    !(r.start < start + count && start < (uint64_t)r.start + r.count))
			continue;
		*range = r;
		size_t i = 0;
		for (; i + 1 < owner_size && l[i] != ':'; i++) /* printable only */
			owner[i] = l[i] > ' ' && l[i] < 0x7f ? l[i] : '?';
		if (owner_size)
			owner[i] = '\0';
		return line;
	}
	return 0;
}

static int by_start(const void *a, const void *b)
{
	const struct hutch_id_range *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

static uint64_t end_of(const struct hutch_id_range *r)
{
	return (uint64_t)r->start + r->count;
}

/* r->count for [r->start, end); the id 2^32-1 is no id (it is -1). */
static void set_end(struct hutch_id_range *r, uint64_t end)
{
	uint64_t n = end - r->start;
	r->count = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

/* Sorted, merged, at most `max` (>= 1) ranges, in place. */
static void compact(struct subid_set *s, uint32_t max)
{
	qsort(s->r, s->n, sizeof s->r[0], by_start);
	uint32_t n = 0;
	for (uint32_t i = 0; i < s->n; i++) {
		if (n && s->r[i].start <= end_of(&s->r[n - 1])) {
			if (end_of(&s->r[i]) > end_of(&s->r[n - 1]))
				set_end(&s->r[n - 1], end_of(&s->r[i]));
			continue;
		}
		s->r[n++] = s->r[i];
	}
	/* Too many: join the pair with the smallest gap until they fit. */
	while (n > max) {
		uint32_t best = 0;
		uint64_t gap = UINT64_MAX;
		for (uint32_t i = 0; i + 1 < n; i++) {
			uint64_t g = s->r[i + 1].start - end_of(&s->r[i]);
			if (g < gap)
				gap = g, best = i;
		}
		set_end(&s->r[best], end_of(&s->r[best + 1]));
		memmove(&s->r[best + 1], &s->r[best + 2], (n - best - 2) * sizeof s->r[0]);
		n--;
	}
	s->n = n;
}

uint32_t subid_merge(struct subid_set *s, struct hutch_id_range *out, uint32_t max)
{
	if (max == 0 || s->n == 0)
		return 0;
	compact(s, max);
	memcpy(out, s->r, s->n * sizeof s->r[0]);
	return s->n;
}

int subid_overlaps(const struct hutch_id_range *r, uint32_t n, uint32_t base, uint32_t count)
{
	uint64_t end = (uint64_t)base + count;
	for (uint32_t i = 0; i < n; i++)
		if (r[i].start < end && base < end_of(&r[i]))
			return 1;
	return 0;
}
