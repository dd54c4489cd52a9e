/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* worker/subid.c: /etc/subuid and /etc/subgid, read to keep picked ranges
 * off the ids delegated to users. */
#include <criterion/criterion.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../../worker/subid.h"

static struct subid_set set;
static struct hutch_id_range out[SUBID_RANGES_MAX]; /* room for any limit a test asks for */

static uint32_t parse_merge(const char *text, size_t len, uint32_t max)
{
	memset(&set, 0, sizeof set);
	subid_parse(&set, text, len);
	return subid_merge(&set, out, max);
}

#define RANGE_IS(i, s, c)                                                                   \
	cr_expect(out[i].start == (s) && out[i].count == (c), "range %d: %u+%u, expected %u+%u", \
		  (int)(i), out[i].start, out[i].count, (unsigned)(s), (unsigned)(c))

Test(subid, debian_layout_merges)
{
	const char *t = "alice:100000:65536\nbob:165536:65536\n# carol left\n\ncarol:524288:65536\n";
	cr_assert_eq(parse_merge(t, strlen(t), HUTCH_AVOID_MAX), 2);
	RANGE_IS(0, 100000, 131072); /* adjacent ranges are one */
	RANGE_IS(1, 524288, 65536);
	cr_expect_eq(set.bad_lines, 0);
}

Test(subid, both_files_overlapping_and_unsorted)
{
	memset(&set, 0, sizeof set);
	const char *u = "b:300000:10\r\na:200000:50000\n";
	const char *g = "a:210000:100000\n1000:5:1\n";
	subid_parse(&set, u, strlen(u));
	subid_parse(&set, g, strlen(g));
	cr_assert_eq(subid_merge(&set, out, HUTCH_AVOID_MAX), 2);
	RANGE_IS(0, 5, 1);
	RANGE_IS(1, 200000, 110000); /* 200000..310000 swallows 300000+10 */
}

Test(subid, malformed_lines_counted_not_guessed)
{
	static const char t[] = "ok:100:1\n"
				"nocount:200\n"
				":300:1\n"             /* no owner */
				"x:-1:5\n"             /* sign */
				"x: 400:1\n"           /* space */
				"x:500:0\n"            /* empty */
				"x:4294967296:1\n"     /* 2^32 */
				"x:600:1:extra\n"      /* a fourth field */
				"x:7\0" "00:1\n"       /* NUL */
				"x:800:1";             /* last line, no newline: fine */
	cr_assert_eq(parse_merge(t, sizeof t - 1, HUTCH_AVOID_MAX), 2);
	RANGE_IS(0, 100, 1);
	RANGE_IS(1, 800, 1);
	cr_expect_eq(set.bad_lines, 8);
	cr_expect_eq(set.first_bad, 2);
}

Test(subid, clipped_before_uid_minus_1)
{
	const char *t = "x:4294967000:4294967295\nx:0:4294967295\n";
	cr_assert_eq(parse_merge(t, strlen(t), HUTCH_AVOID_MAX), 1);
	RANGE_IS(0, 0, 4294967295u); /* all ids but 2^32-1, which is no id */
	/* That id alone is nothing to avoid (found by fuzz_subid: it was kept,
	 * then lost in a merge that cannot count 2^32 ids). */
	const char *only = "x:4294967295:1\n";
	cr_assert_eq(parse_merge(only, strlen(only), HUTCH_AVOID_MAX), 0);
	cr_expect_eq(set.bad_lines, 0);
}

Test(subid, too_many_joined_closest_first)
{
	/* 100 ranges 1000 apart, one pair only 10 apart: with room for 99, that
	 * pair is joined (its gap covered too); with room for 1, everything. */
	char t[8192];
	size_t n = 0;
	for (int i = 0; i < 100; i++)
		n += (size_t)snprintf(t + n, sizeof t - n, "u:%d:5\n", i == 50 ? 49 * 1000 + 15 : i * 1000);
	cr_assert_eq(parse_merge(t, n, 99), 99);
	RANGE_IS(49, 49000, 20);
	cr_assert_eq(parse_merge(t, n, 1), 1);
	RANGE_IS(0, 0, 99005);
}

Test(subid, many_lines_compacted_not_dropped)
{
	/* More lines than the buffer holds: what is avoided only grows. */
	static char t[SUBID_RANGES_MAX * 3 * 24];
	size_t n = 0;
	for (uint32_t i = 0; i < SUBID_RANGES_MAX * 3; i++)
		n += (size_t)snprintf(t + n, sizeof t - n, "u:%u:1\n", 1000000 + i * 100);
	uint32_t got = parse_merge(t, n, HUTCH_AVOID_MAX);
	cr_assert(got >= 1 && got <= HUTCH_AVOID_MAX);
	for (uint32_t i = 0; i < SUBID_RANGES_MAX * 3; i += 97)
		cr_expect(subid_overlaps(out, got, 1000000 + i * 100, 1), "id %u lost", 1000000 + i * 100);
	cr_expect(subid_overlaps(out, got, 1000000 + (SUBID_RANGES_MAX * 3 - 1) * 100, 1));
	for (uint32_t i = 1; i < got; i++)
		cr_expect(out[i].start > out[i - 1].start + out[i - 1].count - 1, "not disjoint");
}

Test(subid, overlaps)
{
	const struct hutch_id_range r[] = {{100000, 65536}, {524288, 1}};
	cr_expect(!subid_overlaps(r, 2, 0, 65536));
	cr_expect(subid_overlaps(r, 2, 65536, 65536)); /* 65536..131071 meets 100000 */
	cr_expect(!subid_overlaps(r, 2, 458752, 65536)); /* ends at 524287 */
	cr_expect(subid_overlaps(r, 2, 524288, 65536));
	cr_expect(!subid_overlaps(r, 2, 589824, 65536));
	cr_expect(!subid_overlaps(r, 0, 0, 65536));
}

/* The worker-pool check: exact (no merged neighbours), with line and owner. */
Test(subid, find_is_exact_and_names_the_line)
{
	const char *t = "# pool at 1000..1009\r\nalice:900:100\r\n\nbroken\nbob:1010:10\ncarol:1005:1\n";
	struct hutch_id_range r = {0};
	char owner[8];
	cr_expect_eq(subid_find(t, strlen(t), 1000, 10, &r, owner, sizeof owner), 6);
	cr_expect(r.start == 1005 && r.count == 1, "range %u+%u", r.start, r.count);
	cr_expect_str_eq(owner, "carol");
	/* alice ends at 999 and bob starts at 1010: merged they would cover the pool. */
	const char *u = "alice:900:100\nbob:1010:10\n";
	cr_expect_eq(subid_find(u, strlen(u), 1000, 10, &r, owner, sizeof owner), 0);
	cr_expect_eq(subid_find(u, strlen(u), 999, 1, &r, owner, sizeof owner), 1);
	cr_expect_eq(subid_find(u, strlen(u), 1019, 1, &r, owner, sizeof owner), 2);
	cr_expect_eq(subid_find(u, strlen(u), 1020, 1, &r, owner, sizeof owner), 0);
}

Test(subid, find_owner_is_printable_and_cut)
{
	const char *t = "a\x1b[2Jvery-long-name:5:1\n";
	struct hutch_id_range r;
	char owner[8];
	cr_assert_eq(subid_find(t, strlen(t), 0, 10, &r, owner, sizeof owner), 1);
	cr_expect_str_eq(owner, "a?[2Jve");
	/* Ids 2^32-1 and up are none: a range of only that id holds nothing. */
	const char *m = "x:4294967295:1\n";
	cr_expect_eq(subid_find(m, strlen(m), 4294967295u, 1, &r, owner, sizeof owner), 0);
}
