/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for the wire decoder (common/proto.c).
 *
 * Input: byte 0 selects the mode, the rest is data.
 *   bits 0-1 (mod 3): nfds passed to hutch_decode (0..2)
 *   bit 7 clear: the rest is one raw record, fed to hutch_decode as is.
 *   bit 7 set:   the rest fills an EXEC body: {flags, uid, gid, ngroups}
 *                (16 bytes), then {argc, envc, strings_len} (12 bytes), then
 *                strings[]; cwd is "/" and everything else zero. An EXEC record
 *                is ~70 KB, far above libFuzzer's default -max_len, so without
 *                this mode check_exec() would only ever see its first check.
 *
 * Oracles (abort() on violation, besides ASan/UBSan):
 *  - a refusal is negative and gives a reason;
 *  - an accepted record has a known type, exactly its body size, and the
 *    decoded body is a byte copy of the record;
 *  - an accepted EXEC unpacks with every string inside strings[0..strings_len)
 *    and packs back to the identical strings area.
 *
 * Build: clang -std=gnu11 -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
 *          -o /tmp/fuzz_decode tests/fuzz/fuzz_decode.c common/proto.c \
 *          common/util.c broker/permit.c
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                 \
	do {                        \
		if (!(cond))        \
			abort();    \
	} while (0)

static void check_exec_roundtrip(const struct hutch_exec *e)
{
	/* Exact-size vectors: ASan catches a write past argc+1 / envc+1. */
	char **argv = malloc(sizeof(char *) * ((size_t)e->argc + 1));
	char **envp = malloc(sizeof(char *) * ((size_t)e->envc + 1));
	CHECK(argv && envp);
	hutch_exec_unpack(e, argv, envp);
	CHECK(argv[e->argc] == NULL && envp[e->envc] == NULL);
	CHECK(e->argc >= 1 && argv[0][0] != '\0');

	const char *lo = e->strings, *hi = e->strings + e->strings_len;
	for (int pass = 0; pass < 2; pass++) {
		char **v = pass ? envp : argv;
		uint32_t n = pass ? e->envc : e->argc;
		for (uint32_t i = 0; i < n; i++)
			CHECK(v[i] >= lo && v[i] + strlen(v[i]) < hi);
	}

	struct hutch_exec *again = malloc(sizeof *again);
	CHECK(again);
	CHECK(hutch_exec_pack(again, argv, envp) == 0);
	CHECK(again->argc == e->argc && again->envc == e->envc);
	CHECK(again->strings_len == e->strings_len);
	CHECK(memcmp(again->strings, e->strings, sizeof e->strings) == 0);
	free(again);
	free(argv);
	free(envp);
}

/* Structured mode: a full EXEC record built around the fuzz data. */
static uint8_t *build_exec(const uint8_t *data, size_t size, size_t *len)
{
	struct hutch_hdr h = {
		.version = HUTCH_PROTO_VERSION,
		.type = HUTCH_MSG_EXEC,
		.len = (uint32_t)(sizeof h + sizeof(struct hutch_exec)),
	};
	uint8_t *rec = calloc(1, h.len);
	CHECK(rec);
	memcpy(rec, &h, sizeof h);
	struct hutch_exec *e = (struct hutch_exec *)(rec + sizeof h);
	e->cwd[0] = '/';

	size_t n = size < 16 ? size : 16; /* flags, uid, gid, ngroups */
	memcpy(e, data, n);
	data += n, size -= n;
	const size_t tail = offsetof(struct hutch_exec, argc);
	n = size < sizeof(struct hutch_exec) - tail ? size : sizeof(struct hutch_exec) - tail;
	memcpy((uint8_t *)e + tail, data, n); /* argc, envc, strings_len, strings */
	*len = h.len;
	return rec;
}

static struct hutch_msg *msg;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned nfds = (data[0] & 3u) % 3u;
	int exec_mode = data[0] & 0x80;
	data++, size--;

	/* The record in an exact-size heap block so over-reads are caught. */
	size_t len = size;
	uint8_t *rec;
	if (exec_mode) {
		rec = build_exec(data, size, &len);
	} else {
		rec = malloc(len ? len : 1);
		CHECK(rec);
		if (len)
			memcpy(rec, data, len);
	}

	if (!msg)
		msg = malloc(sizeof *msg);
	CHECK(msg);
	memset(msg, 0xa5, sizeof *msg);

	const char *why = NULL;
	int r = hutch_decode(rec, len, nfds, msg, &why);
	if (r < 0) {
		CHECK(r == -EBADMSG || r == -EPROTO);
		CHECK(why != NULL && why[0] != '\0');
	} else {
		CHECK(r == 0);
		uint32_t t = msg->hdr.type;
		CHECK(t > HUTCH_MSG_NONE && t < HUTCH_MSG_TYPE_MAX);
		size_t body = hutch_body_size(t);
		CHECK(body > 0 && msg->hdr.len == len && len == sizeof msg->hdr + body);
		CHECK(msg->hdr.version == HUTCH_PROTO_VERSION && msg->hdr.flags == 0);
		CHECK(memcmp(&msg->u, rec + sizeof msg->hdr, body) == 0);
		CHECK(msg->nfds == 0);
		CHECK(nfds <= HUTCH_MAX_FDS);
		CHECK(nfds == hutch_msg_fds(t) || t == HUTCH_MSG_REPLY);
		if (t == HUTCH_MSG_EXEC)
			check_exec_roundtrip(&msg->u.exec);
	}
	free(rec);
	return 0;
}
