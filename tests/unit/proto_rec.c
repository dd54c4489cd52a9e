/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The record buffer and builders shared by the proto decoder tests
 * (proto_rec.h), and the `proto` suite that allocates them for each test.
 */
#include <criterion/criterion.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "proto_rec.h"

unsigned char *rec;
struct hutch_msg *msg;
struct hutch_exec *ex;
const char *why;

static void proto_setup(void)
{
	cr_assert((rec = calloc(1, REC_CAP)) && (msg = calloc(1, sizeof *msg)) &&
		  (ex = calloc(1, sizeof *ex)));
}

static void proto_teardown(void)
{
	free(rec), free(msg), free(ex);
}

TestSuite(proto, .init = proto_setup, .fini = proto_teardown);

size_t mk(uint32_t type, const void *body, size_t blen)
{
	struct hutch_hdr h = {HUTCH_PROTO_VERSION, type, (uint32_t)(HDR_LEN + blen), 0};
	memset(rec, 0, REC_CAP);
	memcpy(rec, &h, sizeof h);
	if (blen)
		memcpy(rec + HDR_LEN, body, blen);
	return HDR_LEN + blen;
}

int dec(size_t len, unsigned nfds)
{
	why = NULL;
	int r = hutch_decode(rec, len, nfds, msg, &why);
	if (r < 0)
		cr_assert_not_null(why, "refusal without a reason");
	return r;
}

size_t mk_u32(uint32_t type, uint32_t v)
{
	uint32_t b[64] = {v};
	return mk(type, b, hutch_body_size(type));
}

void fill_create(struct hutch_create *c)
{
	memset(c, 0, sizeof *c);
	c->flags = HUTCH_CREATE_QUIET;
	c->kill_signal = SIGRTMIN + 3;
	memset(c->uuid, 0xab, sizeof c->uuid);
	strcpy(c->machine, "demo");
	strcpy(c->hostname, "demo-host");
}
