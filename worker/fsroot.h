/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* -x/--ephemeral, --template=, -i/--image=: how the root comes to be (worker/fsroot.c). */
#ifndef HUTCH_WORKER_FSROOT_H
#define HUTCH_WORKER_FSROOT_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/proto.h"

struct fsroot_settings {
	bool ephemeral;
	char template_dir[HUTCH_PATH_MAX]; /* empty: none */
	char image[HUTCH_PATH_MAX];        /* empty: a directory root */
};

struct fsroot_origin {
	uint8_t ephemeral, template_dir, image;
};

struct settings;
int opt_ephemeral(struct settings *s, const char *v);
int opt_template(struct settings *s, const char *v);
int opt_image(struct settings *s, const char *v);
/* Combinations nspawn refuses, absolute paths, the machine name from the
 * image's file name. Before the directory defaults of settings_finish. */
int fsroot_finish(struct settings *s);

#endif
