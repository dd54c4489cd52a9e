/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for worker/image.c: the input is a whole disk image.
 * Oracles besides ASan/UBSan: a refusal is -EINVAL with a one-line reason;
 * an accepted root is a sector-aligned, non-empty range inside the input
 * with an allowlisted file system type.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../worker/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                        \
	do {                               \
		if (!(cond))               \
			__builtin_trap();  \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct image_root r;
	char err[256] = "";
	int ret = image_find_root_mem(data, size, &r, err, sizeof err);
	if (ret < 0) {
		CHECK(ret == -EINVAL);
		CHECK(err[0] && !strchr(err, '\n'));
		return 0;
	}
	CHECK(ret == 0);
	CHECK(r.fstype >= 1 && r.fstype < HUTCH_FS_MAX);
	CHECK(r.size > 0 && r.offset % 512 == 0 && r.size % 512 == 0);
	CHECK(r.offset <= size && r.size <= size - r.offset);
	return 0;
}
