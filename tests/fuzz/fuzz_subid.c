/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for /etc/subuid and /etc/subgid parsing (worker/subid.c).
 *
 * Input: one byte choosing the merge limit (1..64), then the file's text.
 *
 * Oracles (abort() on violation, besides ASan/UBSan):
 *  - the merged ranges number 1..limit when anything was read, are
 *    ascending and disjoint, non-empty, and end at or below 2^32-1
 *    ((uid_t)-1 is no id);
 *  - each range the parser kept lies wholly inside one merged range: what
 *    is avoided only grows;
 *  - subid_find (the worker-uid check) reports a line only with a non-empty
 *    range that overlaps the ids asked about and that the parser kept too,
 *    and a printable owner of at most 7 bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../worker/subid.h"

static struct subid_set set;
static struct hutch_id_range kept[SUBID_RANGES_MAX], out[HUTCH_AVOID_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint32_t limit = 1 + data[0] % HUTCH_AVOID_MAX;
	memset(&set, 0, sizeof set);
	subid_parse(&set, (const char *)data + 1, size - 1);
	uint32_t n_kept = set.n;
	memcpy(kept, set.r, n_kept * sizeof kept[0]);
	uint32_t n = subid_merge(&set, out, limit);
	if (n > limit || (n_kept && !n) || (!n_kept && n))
		abort();
	for (uint32_t i = 0; i < n; i++) {
		uint64_t end = (uint64_t)out[i].start + out[i].count;
		if (!out[i].count || end > UINT32_MAX ||
		    (i && out[i].start <= (uint64_t)out[i - 1].start + out[i - 1].count - 1))
			abort();
	}
	for (uint32_t k = 0; k < n_kept; k++) {
		uint64_t end = (uint64_t)kept[k].start + kept[k].count;
		uint32_t i = 0;
		while (i < n && (uint64_t)out[i].start + out[i].count <= kept[k].start)
			i++;
		if (i == n || out[i].start > kept[k].start || (uint64_t)out[i].start + out[i].count < end)
			abort();
	}
	/* Ids to look for: from the input's first byte, or the real pool. */
	uint64_t start = data[0] & 1 ? 1879048192u : (uint64_t)data[0] << 24, count = 1024;
	struct hutch_id_range r;
	char owner[8];
	if (subid_find((const char *)data + 1, size - 1, start, count, &r, owner, sizeof owner)) {
		if (!r.count || r.start >= start + count || (uint64_t)r.start + r.count <= start ||
		    strlen(owner) > 7)
			abort();
		for (const char *o = owner; *o; o++)
			if (*o <= ' ' || *o >= 0x7f)
				abort();
		uint32_t k = 0;
		while (k < n_kept && !(kept[k].start <= r.start &&
				       r.start < (uint64_t)kept[k].start + kept[k].count))
			k++;
		if (k == n_kept)
			abort();
	}
	return 0;
}
