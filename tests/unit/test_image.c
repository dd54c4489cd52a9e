/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * worker/image.c: the partition table and superblock parser, on images
 * built in memory (valid GPT/MBR with correct CRCs, then each broken in one
 * way). Everything except the tests is static: all of tests/unit/ shares a
 * binary.
 */
#include <criterion/criterion.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../worker/image.h"

#define MiB (1024u * 1024u)
#define IMG_SIZE (8 * MiB)

static uint8_t *img;
static struct image_root root;
static char err[256];

static void image_setup(void)
{
	cr_assert((img = calloc(1, IMG_SIZE)));
}

static void image_teardown(void)
{
	free(img);
}

TestSuite(image_parse, .init = image_setup, .fini = image_teardown);

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v), put16(p + 2, (uint16_t)(v >> 16));
}
static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v), put32(p + 4, (uint32_t)(v >> 32));
}

static void ext4_at(uint64_t off)
{
	put16(img + off + 1024 + 56, 0xef53);
}

/* GUID text -> on-disk (mixed-endian) bytes. */
static void guid(uint8_t *out, const char *s)
{
	unsigned v[16];
	cr_assert_eq(sscanf(s, "%2x%2x%2x%2x-%2x%2x-%2x%2x-%2x%2x-%2x%2x%2x%2x%2x%2x", &v[3], &v[2],
			    &v[1], &v[0], &v[5], &v[4], &v[7], &v[6], &v[8], &v[9], &v[10], &v[11],
			    &v[12], &v[13], &v[14], &v[15]),
		     16);
	for (int i = 0; i < 16; i++)
		out[i] = (uint8_t)v[i];
}

#define LINUX "0fc63daf-8483-4772-8e79-3d69d8477de4"
#define ROOT_X86_64 "4f68bce3-e8cd-4db1-96e7-fbcaf984b709"
#define ESP "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"

static uint8_t *hdr_p(void)
{
	return img + 512;
}
static uint8_t *entry(unsigned i)
{
	return img + 1024 + 128 * i;
}

static void gpt_part(unsigned i, const char *type, uint64_t first, uint64_t last)
{
	guid(entry(i), type);
	memset(entry(i) + 16, 0x11, 16); /* unique GUID */
	put64(entry(i) + 32, first);
	put64(entry(i) + 40, last);
}

/* Header CRCs over the current entries; nentries 128 of 128 bytes at LBA 2. */
static void gpt_seal(uint32_t nentries)
{
	uint8_t *h = hdr_p();
	img[510] = 0x55, img[511] = 0xaa;
	img[446 + 4] = 0xee; /* protective MBR */
	memcpy(h, "EFI PART", 8);
	put32(h + 8, 0x10000);
	put32(h + 12, 92);
	put32(h + 16, 0);
	put64(h + 24, 1);
	put64(h + 32, IMG_SIZE / 512 - 1);
	put64(h + 40, 34);
	put64(h + 48, IMG_SIZE / 512 - 34);
	put64(h + 72, 2);
	put32(h + 80, nentries);
	put32(h + 84, 128);
	put32(h + 88, image_crc32(img + 1024, (size_t)nentries * 128));
	put32(h + 16, image_crc32(h, 92));
}

static int find(size_t size)
{
	err[0] = '\0';
	return image_find_root_mem(img, size, &root, err, sizeof err);
}

#define FOUND(size)                                                           \
	cr_assert_eq(find(size), 0, "refused: %s", err)
#define REFUSED_WITH(size, needle)                                            \
	do {                                                                  \
		cr_assert_lt(find(size), 0, "accepted");                      \
		cr_assert(strstr(err, needle), "error '%s' lacks '%s'", err, needle); \
		cr_assert(!strchr(err, '\n'), "not one line: %s", err);       \
	} while (0)

Test(image_parse, crc32_known_value)
{
	cr_assert_eq(image_crc32("123456789", 9), 0xcbf43926u);
}

Test(image_parse, plain_file_system)
{
	ext4_at(0);
	FOUND(IMG_SIZE);
	cr_assert_eq(root.offset, 0);
	cr_assert_eq(root.size, IMG_SIZE);
	cr_assert_eq(root.fstype, HUTCH_FS_EXT4);
	cr_assert_eq(root.partition, 0);
}

Test(image_parse, plain_squashfs_and_xfs)
{
	memcpy(img, "hsqs", 4);
	FOUND(IMG_SIZE);
	cr_assert_eq(root.fstype, HUTCH_FS_SQUASHFS);
	memcpy(img, "XFSB", 4);
	FOUND(IMG_SIZE);
	cr_assert_eq(root.fstype, HUTCH_FS_XFS);
}

Test(image_parse, gpt_single_linux_partition)
{
	gpt_part(0, LINUX, 2048, 4095);
	gpt_seal(128);
	ext4_at(2048 * 512);
	FOUND(IMG_SIZE);
	cr_assert_eq(root.offset, 2048 * 512);
	cr_assert_eq(root.size, 2048 * 512);
	cr_assert_eq(root.partition, 1);
	cr_assert_eq(root.fstype, HUTCH_FS_EXT4);
}

Test(image_parse, gpt_root_type_among_others)
{
	gpt_part(0, ESP, 2048, 4095);
	gpt_part(3, ROOT_X86_64, 4096, 8191);
	gpt_part(5, LINUX, 8192, 9000);
	gpt_seal(128);
	ext4_at(4096 * 512);
	FOUND(IMG_SIZE);
	cr_assert_eq(root.partition, 4);
	cr_assert_eq(root.offset, 4096 * 512);
}

Test(image_parse, gpt_two_generic_partitions_refused)
{
	gpt_part(0, LINUX, 2048, 4095);
	gpt_part(1, LINUX, 4096, 8191);
	gpt_seal(128);
	ext4_at(2048 * 512);
	REFUSED_WITH(IMG_SIZE, "no root partition");
}

Test(image_parse, gpt_two_roots_refused)
{
	gpt_part(0, ROOT_X86_64, 2048, 4095);
	gpt_part(1, ROOT_X86_64, 4096, 8191);
	gpt_seal(128);
	REFUSED_WITH(IMG_SIZE, "more than one root");
}

Test(image_parse, gpt_header_crc)
{
	gpt_part(0, LINUX, 2048, 4095);
	gpt_seal(128);
	hdr_p()[40] ^= 1;
	REFUSED_WITH(IMG_SIZE, "header checksum");
}

Test(image_parse, gpt_entries_crc)
{
	gpt_part(0, LINUX, 2048, 4095);
	gpt_seal(128);
	entry(0)[33] ^= 1;
	REFUSED_WITH(IMG_SIZE, "entry array checksum");
}

Test(image_parse, gpt_overlap)
{
	gpt_part(0, ESP, 2048, 4095);
	gpt_part(1, ROOT_X86_64, 4000, 8191);
	gpt_seal(128);
	REFUSED_WITH(IMG_SIZE, "overlap");
}

Test(image_parse, gpt_partition_out_of_range)
{
	gpt_part(0, LINUX, 2048, IMG_SIZE / 512 + 100);
	gpt_seal(128);
	REFUSED_WITH(IMG_SIZE, "outside the usable area");
	gpt_part(0, LINUX, 5000, 4000); /* last before first */
	gpt_seal(128);
	REFUSED_WITH(IMG_SIZE, "outside the usable area");
}

Test(image_parse, gpt_huge_entry_count)
{
	gpt_part(0, LINUX, 2048, 4095);
	gpt_seal(128);
	put32(hdr_p() + 80, 0x7fffffff);
	put32(hdr_p() + 16, 0);
	put32(hdr_p() + 16, image_crc32(hdr_p(), 92));
	REFUSED_WITH(IMG_SIZE, "partition entries");
}

Test(image_parse, gpt_truncated)
{
	gpt_part(0, LINUX, 2048, 4095);
	gpt_seal(128);
	/* The header claims an area beyond the end of a shorter file. */
	REFUSED_WITH(64 * 1024, "outside the image");
	REFUSED_WITH(1024 + 100, "outside the image");
	REFUSED_WITH(1000, "too small");
}

Test(image_parse, gpt_partition_without_file_system)
{
	gpt_part(0, LINUX, 2048, 4095);
	gpt_seal(128);
	REFUSED_WITH(IMG_SIZE, "no known file system");
}

static void mbr_part(unsigned i, uint8_t type, bool boot, uint32_t start, uint32_t count)
{
	uint8_t *e = img + 446 + 16 * i;
	e[0] = boot ? 0x80 : 0;
	e[4] = type;
	put32(e + 8, start);
	put32(e + 12, count);
	img[510] = 0x55, img[511] = 0xaa;
}

Test(image_parse, mbr_single_bootable_linux)
{
	mbr_part(0, 0x83, true, 2048, 4096);
	ext4_at(2048 * 512);
	FOUND(IMG_SIZE);
	cr_assert_eq(root.offset, 2048 * 512);
	cr_assert_eq(root.size, 4096 * 512);
	cr_assert_eq(root.partition, 1);
}

Test(image_parse, mbr_rules)
{
	mbr_part(0, 0x83, false, 2048, 4096); /* not bootable */
	ext4_at(2048 * 512);
	REFUSED_WITH(IMG_SIZE, "single bootable partition");
	mbr_part(0, 0x83, true, 2048, 4096);
	mbr_part(1, 0x82, false, 8192, 100); /* a second partition */
	REFUSED_WITH(IMG_SIZE, "single bootable partition");
	memset(img + 446 + 16, 0, 16);
	mbr_part(0, 0x83, true, 2048, 0xffffff00u); /* beyond the end */
	REFUSED_WITH(IMG_SIZE, "outside the image");
}

Test(image_parse, not_an_image)
{
	for (size_t i = 0; i < 65536; i++)
		img[i] = (uint8_t)(i * 2654435761u >> 13);
	img[510] = 0, img[1024 + 56] = 0;
	REFUSED_WITH(IMG_SIZE, "not a disk image");
	REFUSED_WITH(100, "too small");
}
