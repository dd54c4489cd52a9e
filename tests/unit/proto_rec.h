/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared by the common/proto.c decoder tests (test_proto.c,
 * test_proto_records.c): one raw record buffer, the decode output, and
 * builders of valid records that a test then breaks in one place.
 * proto_rec.c defines them and the `proto` suite that allocates them.
 */
#ifndef HUTCH_TESTS_UNIT_PROTO_REC_H
#define HUTCH_TESTS_UNIT_PROTO_REC_H

#include <stddef.h>
#include <stdint.h>

#include "../../common/proto.h"

#define REC_CAP (HUTCH_MSG_MAX_RECORD + 256)
#define HDR_LEN sizeof(struct hutch_hdr)

extern unsigned char *rec;    /* raw record under construction */
extern struct hutch_msg *msg; /* decode output */
extern struct hutch_exec *ex; /* scratch exec body */
extern const char *why;       /* the decoder's reason for the last refusal */

/* Header + body into rec; header len is the true total. Returns the total. */
size_t mk(uint32_t type, const void *body, size_t blen);
/* hutch_decode() of rec[0..len) with `nfds` fds; a refusal must say why. */
int dec(size_t len, unsigned nfds);
/* Body of `type` with one u32 at its start (OPEN_FILE, MOUNT_API, PIVOT...). */
size_t mk_u32(uint32_t type, uint32_t v);
/* A valid CREATE body: quiet, machine "demo", hostname "demo-host". */
void fill_create(struct hutch_create *c);
#define mk_create(c) mk(HUTCH_MSG_CREATE, (c), sizeof *(c))

#define REFUSED(expr) cr_assert_lt((expr), 0, "%s accepted", #expr)
#define ACCEPTED(expr) cr_assert_eq((expr), 0, "%s refused: %s", #expr, why ? why : "?")
/* Build a valid record, apply one change to it (rec/hdr()/n_), expect refusal. */
#define REC_REFUSED(build, change) \
	do { size_t n_ = (build); change; REFUSED(dec(n_, 0)); } while (0)
/* for (uint32_t v in {...}) */
#define FOR_U32(v, ...)                                                            \
	for (size_t v##_i = 0; v##_i < sizeof((uint32_t[]){__VA_ARGS__}) / 4; v##_i++) \
		for (uint32_t v = ((uint32_t[]){__VA_ARGS__})[v##_i], v##_k = 1; v##_k; v##_k = 0)

#define hdr() ((struct hutch_hdr *)rec)
#define body() ((char *)rec + HDR_LEN)

#endif
