/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for the xattr id translators (broker/idshift.c).
 *
 * Input: 12 bytes {from, to, count} (count forced to 1..65536 and to a
 * range that does not overlap from's, as chown_tree requires), then an xattr
 * value, given to acl_xattr_shift and to cap_xattr_shift.
 *
 * Oracles (abort() on violation, besides ASan/UBSan):
 *  - a refusal is -EINVAL and leaves the value byte for byte as it was;
 *  - an accepted ACL has the exact layout (4 + 8n bytes, version 2); only the
 *    id fields of ACL_USER/ACL_GROUP entries change, each from an id in
 *    [from, from+count) to the same offset from `to`; the count returned is
 *    the number changed; a second pass changes nothing (a resumed shift);
 *  - a capability changes at most its v3 root id, the same way.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../broker/broker.h"

static uint32_t rd(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static void check(const uint8_t *old, const uint8_t *now, size_t len, int r, uint32_t from,
		  uint32_t to, uint32_t count, bool acl)
{
	if (r < 0) {
		if (r != -EINVAL || memcmp(old, now, len))
			abort();
		return;
	}
	if (acl && (len < 4 || (len - 4) % 8 || rd(old) != 2))
		abort();
	int changed = 0;
	for (size_t i = 0; i < len; i++) {
		if (old[i] == now[i])
			continue;
		/* inside an id field: ACL entry bytes 4..7, or the v3 root id */
		size_t field = acl ? (i < 4 ? (size_t)-1 : 4 + (i - 4) / 8 * 8 + 4) : 20;
		if (field == (size_t)-1 || i < field || i >= field + 4 || field + 4 > len)
			abort();
	}
	for (size_t f = acl ? 8 : 20; f + 4 <= len; f += acl ? 8 : len) {
		uint32_t a = rd(old + f), b = rd(now + f);
		uint16_t tag = acl ? (uint16_t)(old[f - 4] | old[f - 3] << 8) : 0;
		bool id = acl ? tag == 2 || tag == 8 : (rd(old) & 0xff000000u) == 0x03000000u;
		bool want = id && a - from < count;
		if (b != (want ? a - from + to : a))
			abort();
		changed += want;
	}
	if (r != changed)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 12)
		return 0;
	uint32_t from = rd(data), to = rd(data + 4), count = rd(data + 8) % 65536 + 1;
	uint64_t a = from, b = to;
	if (a + count > UINT32_MAX || b + count > UINT32_MAX || (a < b + count && b < a + count))
		return 0;
	size_t len = size - 12;
	uint8_t *old = malloc(len + 1), *now = malloc(len + 1);
	if (!old || !now)
		abort();
	memcpy(old, data + 12, len);
	memcpy(now, old, len);
	int r = acl_xattr_shift(now, len, from, to, count);
	check(old, now, len, r, from, to, count, true);
	if (r >= 0 && acl_xattr_shift(now, len, from, to, count) != 0)
		abort();
	memcpy(now, old, len);
	r = cap_xattr_shift(now, len, from, to, count);
	check(old, now, len, r, from, to, count, false);
	free(old);
	free(now);
	return 0;
}
