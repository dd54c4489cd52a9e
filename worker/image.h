/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* -i/--image: the root file system inside a raw disk image (worker/image.c). */
#ifndef HUTCH_WORKER_IMAGE_H
#define HUTCH_WORKER_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "../common/proto.h"

struct image_root {
	uint64_t offset, size; /* bytes */
	uint32_t fstype;       /* enum hutch_image_fs */
	unsigned partition;    /* 1-based, 0: the whole file */
};

/* 0, or -EINVAL with a one-line reason in err. */
int image_find_root(int fd, uint64_t size, struct image_root *out, char *err, size_t errlen);
int image_find_root_mem(const void *data, size_t size, struct image_root *out, char *err,
			size_t errlen);
uint32_t image_crc32(const void *data, size_t len);

#endif
