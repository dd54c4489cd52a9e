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
 *    is avoided only grows.
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
	return 0;
}
