/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * -i/--image: find the root file system in a raw disk image, by nspawn's
 * rules, from a read-only fd the broker opened. The image is untrusted: it
 * is parsed here, in the unprivileged worker, with pread and bounds checks
 * on every field; the broker gets only {offset, size, file system type}
 * and checks the range against the file itself.
 *  - GPT (protective MBR + "EFI PART"): header and entry array CRCs,
 *    sizes, partitions inside the usable area and not overlapping; the
 *    root is the one partition of the Discoverable Partitions root type
 *    for this architecture, else the one partition of the generic Linux
 *    type 0fc63daf-8483-4772-8e79-3d69d8477de4 when it is the only one.
 *  - MBR: a single partition of type 0x83 marked bootable.
 *  - no partition table: the whole file is the file system.
 * The file system is recognised by its superblock magic, from an allowlist.
 */
#include "image.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SECTOR 512u
#define GPT_MAX_ENTRIES 1024u  /* the spec's minimum array is 128 */
#define GPT_MAX_ENTRY_SIZE 1024u

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}
static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

uint32_t image_crc32(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t crc = 0xffffffffu;
	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
	}
	return ~crc;
}

struct reader {
	int fd;
	uint64_t size;
	const uint8_t *mem; /* fuzzing and tests: an in-memory image */
};

/* Read exactly len bytes at off; -EIO past the end or on a short read. */
static int rd(const struct reader *r, uint64_t off, void *buf, size_t len)
{
	if (off > r->size || len > r->size - off)
		return -EIO;
	if (r->mem) {
		memcpy(buf, r->mem + off, len);
		return 0;
	}
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(r->fd, (char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO;
		done += (size_t)n;
	}
	return 0;
}

/* Superblock magic at `off`: which allowlisted file system, or 0. */
static uint32_t probe_fs(const struct reader *r, uint64_t off, uint64_t size)
{
	uint8_t b[4096];
	if (size < sizeof b || rd(r, off, b, sizeof b) < 0)
		return 0;
	if (!memcmp(b, "hsqs", 4))
		return HUTCH_FS_SQUASHFS;
	if (!memcmp(b, "XFSB", 4))
		return HUTCH_FS_XFS;
	if (le16(b + 1024 + 56) == 0xef53)
		return HUTCH_FS_EXT4;
	if (le32(b + 1024) == 0xe0f5e1e2u)
		return HUTCH_FS_EROFS;
	if (b[510] == 0x55 && b[511] == 0xaa && (!memcmp(b + 54, "FAT1", 4) ||
						 !memcmp(b + 82, "FAT32   ", 8)))
		return HUTCH_FS_VFAT;
	uint8_t m[8];
	if (size >= 65536 + 72 && rd(r, off + 65536 + 64, m, 8) == 0 && !memcmp(m, "_BHRfS_M", 8))
		return HUTCH_FS_BTRFS;
	return 0;
}

static void guid_str(const uint8_t g[16], char out[37])
{
	snprintf(out, 37, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", le32(g), le16(g + 4),
		 le16(g + 6), g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
}

#define ERR(...)                                         \
	do {                                             \
		snprintf(err, errlen, __VA_ARGS__);      \
		return -EINVAL;                          \
	} while (0)

struct gpt_part {
	uint64_t first, last; /* LBAs, inclusive */
	char type[37];
	unsigned index;
};

/* x86-64 root (DPS), and the generic Linux file system type. */
static const char root_type[] = "4f68bce3-e8cd-4db1-96e7-fbcaf984b709";
static const char linux_type[] = "0fc63daf-8483-4772-8e79-3d69d8477de4";

static int gpt_entries(const struct reader *r, const uint8_t *h, struct gpt_part *parts,
		       unsigned *nparts, char *err, size_t errlen)
{
	uint64_t first_usable = le64(h + 40), last_usable = le64(h + 48);
	uint64_t array_lba = le64(h + 72);
	uint32_t n = le32(h + 80), esize = le32(h + 84), crc = le32(h + 88);
	uint64_t lbas = r->size / SECTOR;
	if (n == 0 || n > GPT_MAX_ENTRIES)
		ERR("GPT declares %u partition entries (at most %u supported)", n, GPT_MAX_ENTRIES);
	if (esize < 128 || esize > GPT_MAX_ENTRY_SIZE || esize % 8)
		ERR("GPT partition entry size %u is invalid", esize);
	if (first_usable > last_usable || last_usable >= lbas || array_lba < 2 || array_lba >= lbas)
		ERR("GPT usable area or entry array lies outside the image (truncated?)");
	static uint8_t array[GPT_MAX_ENTRIES * GPT_MAX_ENTRY_SIZE];
	size_t len = (size_t)n * esize;
	if (rd(r, array_lba * SECTOR, array, len) < 0)
		ERR("GPT partition entries lie outside the image (truncated?)");
	if (image_crc32(array, len) != crc)
		ERR("GPT partition entry array checksum mismatch");
	*nparts = 0;
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = array + (size_t)i * esize;
		static const uint8_t zero[16];
		if (!memcmp(e, zero, 16))
			continue;
		struct gpt_part p = {.first = le64(e + 32), .last = le64(e + 40), .index = i + 1};
		if (p.first > p.last || p.first < first_usable || p.last > last_usable)
			ERR("GPT partition %u (LBA %llu-%llu) lies outside the usable area", i + 1,
			    (unsigned long long)p.first, (unsigned long long)p.last);
		for (unsigned k = 0; k < *nparts; k++)
			if (p.first <= parts[k].last && parts[k].first <= p.last)
				ERR("GPT partitions %u and %u overlap", parts[k].index, i + 1);
		guid_str(e, p.type);
		parts[(*nparts)++] = p;
	}
	return 0;
}

static int gpt_find(const struct reader *r, struct image_root *out, char *err, size_t errlen)
{
	uint8_t h[SECTOR];
	if (rd(r, SECTOR, h, sizeof h) < 0)
		ERR("GPT header lies outside the image (truncated?)");
	uint32_t hsize = le32(h + 12), hcrc = le32(h + 16);
	if (hsize < 92 || hsize > SECTOR)
		ERR("GPT header size %u is invalid", hsize);
	uint8_t copy[SECTOR];
	memcpy(copy, h, hsize);
	memset(copy + 16, 0, 4);
	if (image_crc32(copy, hsize) != hcrc)
		ERR("GPT header checksum mismatch");
	if (le64(h + 24) != 1)
		ERR("GPT header is not the primary header");
	static struct gpt_part parts[GPT_MAX_ENTRIES];
	unsigned n = 0;
	int e = gpt_entries(r, h, parts, &n, err, errlen);
	if (e < 0)
		return e;
	const struct gpt_part *root = NULL, *generic = NULL;
	for (unsigned i = 0; i < n; i++) {
		if (!strcmp(parts[i].type, root_type)) {
			if (root)
				ERR("GPT has more than one root partition (%u and %u)", root->index,
				    parts[i].index);
			root = &parts[i];
		}
		if (!strcmp(parts[i].type, linux_type))
			generic = &parts[i];
	}
	if (!root && n == 1 && generic)
		root = generic;
	if (!root)
		ERR("GPT has no root partition (type %s) and not exactly one partition of type %s",
		    root_type, linux_type);
	out->offset = root->first * SECTOR;
	out->size = (root->last - root->first + 1) * SECTOR;
	out->partition = root->index;
	return 0;
}

static int mbr_find(const struct reader *r, const uint8_t *mbr, struct image_root *out,
		    char *err, size_t errlen)
{
	const uint8_t *found = NULL;
	unsigned used = 0, index = 0;
	for (unsigned i = 0; i < 4; i++) {
		const uint8_t *e = mbr + 446 + 16 * i;
		if (e[4] == 0)
			continue;
		used++;
		if (e[4] == 0x83 && (e[0] & 0x80)) {
			found = e;
			index = i + 1;
		}
	}
	if (used != 1 || !found)
		ERR("MBR must hold a single bootable partition of type 0x83 (has %u partitions)",
		    used);
	uint64_t start = le32(found + 8), count = le32(found + 12);
	if (count == 0 || start == 0 || (start + count) * SECTOR > r->size)
		ERR("MBR partition %u (sectors %llu+%llu) lies outside the image", index,
		    (unsigned long long)start, (unsigned long long)count);
	out->offset = start * SECTOR;
	out->size = count * SECTOR;
	out->partition = index;
	return 0;
}

static int find_root(const struct reader *r, struct image_root *out, char *err, size_t errlen)
{
	uint8_t mbr[SECTOR];
	memset(out, 0, sizeof *out);
	if (r->size < 2 * SECTOR || rd(r, 0, mbr, sizeof mbr) < 0)
		ERR("file is too small to be a disk image");
	/* A plain file system first: some (vfat) look like an MBR too. */
	uint32_t fs = probe_fs(r, 0, r->size);
	if (fs) {
		out->fstype = fs;
		out->size = r->size / SECTOR * SECTOR;
		return 0;
	}
	bool has_mbr = mbr[510] == 0x55 && mbr[511] == 0xaa;
	uint8_t sig[8];
	int e;
	if (has_mbr && rd(r, SECTOR, sig, 8) == 0 && !memcmp(sig, "EFI PART", 8))
		e = gpt_find(r, out, err, errlen);
	else if (has_mbr)
		e = mbr_find(r, mbr, out, err, errlen);
	else
		ERR("not a disk image: no partition table and no known file system "
		    "(ext4, xfs, btrfs, squashfs, erofs, vfat)");
	if (e < 0)
		return e;
	out->fstype = probe_fs(r, out->offset, out->size);
	if (!out->fstype)
		ERR("partition %u holds no known file system (ext4, xfs, btrfs, squashfs, erofs, "
		    "vfat)",
		    out->partition);
	return 0;
}

int image_find_root(int fd, uint64_t size, struct image_root *out, char *err, size_t errlen)
{
	struct reader r = {.fd = fd, .size = size};
	return find_root(&r, out, err, errlen);
}

int image_find_root_mem(const void *data, size_t size, struct image_root *out, char *err,
			size_t errlen)
{
	struct reader r = {.fd = -1, .size = size, .mem = data};
	return find_root(&r, out, err, errlen);
}
