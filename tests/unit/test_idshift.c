/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * broker/idshift.c: the ids in POSIX ACL xattrs and v3 file capabilities,
 * table-driven. Values are built byte by byte (little endian, as on disk).
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "../../broker/broker.h"

#define FROM 0u
#define TO 1966080u
#define COUNT 65536u

struct ent {
	uint16_t tag, perm;
	uint32_t id;
};

/* header (version) + entries -> buf; returns the length. */
static size_t acl_build(unsigned char *buf, uint32_t version, const struct ent *e, size_t n)
{
	memcpy(buf, &version, 4);
	for (size_t i = 0; i < n; i++) {
		memcpy(buf + 4 + 8 * i, &e[i].tag, 2);
		memcpy(buf + 6 + 8 * i, &e[i].perm, 2);
		memcpy(buf + 8 + 8 * i, &e[i].id, 4);
	}
	return 4 + 8 * n;
}

static uint32_t acl_id(const unsigned char *buf, size_t i)
{
	uint32_t id;
	memcpy(&id, buf + 8 + 8 * i, 4);
	return id;
}

enum { USER_OBJ = 1, USER = 2, GROUP_OBJ = 4, GROUP = 8, MASK = 0x10, OTHER = 0x20 };
#define UNDEF 0xffffffffu /* ACL_UNDEFINED_ID: what the *_OBJ entries carry */

Test(idshift, acl_entries_in_range_move_others_stay)
{
	const struct ent in[] = {
		{USER_OBJ, 7, UNDEF}, {USER, 6, 1000},      {USER, 4, 70000},
		{USER, 4, 65535},     {GROUP_OBJ, 5, UNDEF}, {GROUP, 5, 0},
		{GROUP, 1, 65536},    {MASK, 7, UNDEF},      {OTHER, 0, UNDEF},
	};
	const uint32_t want[] = {UNDEF, TO + 1000, 70000, TO + 65535, UNDEF,
				 TO,    65536,     UNDEF, UNDEF};
	unsigned char buf[4 + 8 * 9];
	size_t len = acl_build(buf, 2, in, 9);
	cr_assert_eq(acl_xattr_shift(buf, len, FROM, TO, COUNT), 3);
	for (size_t i = 0; i < 9; i++) {
		cr_expect_eq(acl_id(buf, i), want[i], "entry %zu: %u, want %u", i, acl_id(buf, i),
			     want[i]);
		uint16_t tag, perm;
		memcpy(&tag, buf + 4 + 8 * i, 2);
		memcpy(&perm, buf + 6 + 8 * i, 2);
		cr_expect_eq(tag, in[i].tag);
		cr_expect_eq(perm, in[i].perm);
	}
	/* Again: nothing is in the source range any more (a resumed shift). */
	cr_expect_eq(acl_xattr_shift(buf, len, FROM, TO, COUNT), 0);
}

Test(idshift, acl_obj_entries_are_never_ids)
{
	/* An *_OBJ or MASK entry whose id field happens to lie in the range. */
	const struct ent in[] = {{USER_OBJ, 7, 5}, {GROUP_OBJ, 5, 6}, {MASK, 7, 7}, {OTHER, 0, 8}};
	unsigned char buf[4 + 8 * 4];
	size_t len = acl_build(buf, 2, in, 4);
	cr_expect_eq(acl_xattr_shift(buf, len, FROM, TO, COUNT), 0);
	for (size_t i = 0; i < 4; i++)
		cr_expect_eq(acl_id(buf, i), in[i].id);
}

Test(idshift, acl_malformed_is_refused_untouched)
{
	const struct ent one[] = {{USER, 6, 1000}};
	unsigned char buf[64], copy[64];
	acl_build(buf, 2, one, 1);
	memcpy(copy, buf, sizeof buf);
	static const struct {
		const char *what;
		size_t len;
		uint32_t version;
	} bad[] = {
		{"empty", 0, 2},          {"header cut", 3, 2},      {"entry cut", 11, 2},
		{"odd length", 13, 2},    {"one byte over", 5, 2},   {"version 1", 12, 1},
		{"version 3", 12, 3},     {"version 0", 12, 0},      {"big endian 2", 12, 0x02000000},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memcpy(buf, copy, sizeof buf);
		memcpy(buf, &bad[i].version, 4);
		cr_expect_eq(acl_xattr_shift(buf, bad[i].len, FROM, TO, COUNT), -EINVAL, "%s",
			     bad[i].what);
		cr_expect_eq(acl_id(buf, 0), 1000u, "%s: changed", bad[i].what);
	}
	/* A header alone is a valid (empty) ACL. */
	cr_expect_eq(acl_xattr_shift(copy, 4, FROM, TO, COUNT), 0);
}

Test(idshift, acl_range_edges_and_nonzero_from)
{
	const struct ent in[] = {{USER, 6, 131071}, {USER, 6, 131072}, {GROUP, 6, 196608},
				 {GROUP, 6, 196607}};
	unsigned char buf[4 + 8 * 4];
	size_t len = acl_build(buf, 2, in, 4);
	/* [131072, 196608) -> [65536, ...) */
	cr_assert_eq(acl_xattr_shift(buf, len, 131072, 65536, 65536), 2);
	cr_expect_eq(acl_id(buf, 0), 131071u);
	cr_expect_eq(acl_id(buf, 1), 65536u);
	cr_expect_eq(acl_id(buf, 2), 196608u);
	cr_expect_eq(acl_id(buf, 3), 65536u + 65535u);
}

static size_t cap_build(unsigned char *buf, uint32_t magic, size_t len, uint32_t rootid)
{
	memset(buf, 0, 32);
	memcpy(buf, &magic, 4);
	buf[4] = 0x01; /* some permitted bit */
	if (len >= 24)
		memcpy(buf + 20, &rootid, 4);
	return len;
}

Test(idshift, capability_root_id)
{
	unsigned char buf[32];
	uint32_t id;
	/* v3, root id in range: moved; the rest untouched. */
	size_t len = cap_build(buf, 0x03000000u, 24, 1000);
	cr_assert_eq(cap_xattr_shift(buf, len, FROM, TO, COUNT), 1);
	memcpy(&id, buf + 20, 4);
	cr_expect_eq(id, TO + 1000);
	cr_expect_eq(buf[4], 0x01);
	/* v3 with the effective flag, root id out of range: as it is. */
	len = cap_build(buf, 0x03000001u, 24, 70000);
	cr_expect_eq(cap_xattr_shift(buf, len, FROM, TO, COUNT), 0);
	memcpy(&id, buf + 20, 4);
	cr_expect_eq(id, 70000u);
	/* v2 (and v1) carry no root id: left alone whatever their length. */
	len = cap_build(buf, 0x02000001u, 20, 0);
	cr_expect_eq(cap_xattr_shift(buf, len, FROM, TO, COUNT), 0);
	len = cap_build(buf, 0x01000000u, 12, 0);
	cr_expect_eq(cap_xattr_shift(buf, len, FROM, TO, COUNT), 0);
	/* v3 of the wrong size, or shorter than a header: refused. */
	len = cap_build(buf, 0x03000000u, 20, 0);
	cr_expect_eq(cap_xattr_shift(buf, len, FROM, TO, COUNT), -EINVAL);
	len = cap_build(buf, 0x03000000u, 28, 0);
	cr_expect_eq(cap_xattr_shift(buf, len, FROM, TO, COUNT), -EINVAL);
	cr_expect_eq(cap_xattr_shift(buf, 3, FROM, TO, COUNT), -EINVAL);
}
