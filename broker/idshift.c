/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The ids inside two fixed-size binary xattr values that chown(2) does not
 * translate: POSIX ACLs (system.posix_acl_access/_default: a 4-byte header,
 * version 2, then 8-byte entries {u16 tag, u16 perm, u32 id}, little endian)
 * and a v3 file capability's root id (security.capability). Only the ids of
 * ACL_USER/ACL_GROUP entries and the v3 root id name a user or group; an id
 * in [from, from+count) moves to the same offset from `to`, any other is
 * left as it is (the rule the chown walk applies to owners). Text is never
 * parsed here; anything but the exact layout is refused with -EINVAL.
 */
#include "broker.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

#define ACL_XATTR_VERSION 2u
#define ACL_TAG_USER 0x02u
#define ACL_TAG_GROUP 0x08u
#define CAP_REVISION_MASK 0xff000000u
#define CAP_REVISION_3 0x03000000u
#define CAP_V3_SIZE 24u /* magic_etc, 2 x {permitted, inheritable}, rootid */

static uint32_t get32(const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof v);
	return le32toh(v);
}

static void put32(unsigned char *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, sizeof v);
}

static bool shift_id(unsigned char *p, uint32_t from, uint32_t to, uint32_t count)
{
	uint32_t id = get32(p);
	if (id - from >= count)
		return false;
	put32(p, id - from + to);
	return true;
}

int acl_xattr_shift(void *value, size_t len, uint32_t from, uint32_t to, uint32_t count)
{
	unsigned char *v = value;
	if (len < 4 || (len - 4) % 8 || get32(v) != ACL_XATTR_VERSION)
		return -EINVAL;
	int changed = 0;
	for (size_t off = 4; off < len; off += 8) {
		uint16_t tag;
		memcpy(&tag, v + off, sizeof tag);
		tag = le16toh(tag);
		if ((tag == ACL_TAG_USER || tag == ACL_TAG_GROUP) &&
		    shift_id(v + off + 4, from, to, count))
			changed++;
	}
	return changed;
}

int cap_xattr_shift(void *value, size_t len, uint32_t from, uint32_t to, uint32_t count)
{
	unsigned char *v = value;
	if (len < 4)
		return -EINVAL;
	if ((get32(v) & CAP_REVISION_MASK) != CAP_REVISION_3)
		return 0; /* v1/v2: no root id; the kernel checks the rest on write */
	if (len != CAP_V3_SIZE)
		return -EINVAL;
	return shift_id(v + 20, from, to, count);
}
