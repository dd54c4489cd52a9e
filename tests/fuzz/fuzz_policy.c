/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for worker/policy.c. The input is one policy file (if
 * its first byte is odd, the rest after "hutch-policy 1" and a rule header,
 * so the fuzzer reaches the keys without guessing them); it is parsed,
 * matched for a few callers, and every grant that comes out
 * must pass the broker's shape check (hutch_grant_check): whatever the
 * admin's file holds, the parser never hands the broker a malformed grant.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../worker/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                        \
	do {                               \
		if (!(cond))               \
			__builtin_trap();  \
	} while (0)

static const char passwd[] = "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/:/bin/sh\n";
static const char group[] = "root:x:0:\nbuilders:x:5000:alice\n";
static const uint32_t uids[] = {0, 1000, 1999, 4294967294u};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct policy p;
	char err[POLICY_ERR_MAX];
	p.n = 0;
	err[0] = '\0';
	static char buf[80000];
	static const char prefix[] = "hutch-policy 1\n[Rule fuzz]\nMatch=uid:1000\n";
	const char *text = (const char *)data;
	if (size > 0 && (data[0] & 1) && size - 1 + sizeof prefix < sizeof buf) {
		memcpy(buf, prefix, sizeof prefix - 1);
		memcpy(buf + sizeof prefix - 1, data + 1, size - 1);
		text = buf;
		size = size - 1 + sizeof prefix - 1;
	}
	int r = policy_parse(&p, "f.policy", text, size, err, sizeof err);
	CHECK(r == 0 || (r == -22 && !strncmp(err, "f.policy:", 9)));
	CHECK(p.n <= POLICY_MAX_RULES);
	for (size_t i = 0; i < sizeof uids / sizeof uids[0]; i++) {
		struct policy_caller c;
		struct hutch_grant g;
		const char *why = NULL;
		int shadowed;
		policy_caller_fill(&c, uids[i], uids[i], passwd, sizeof passwd - 1, group,
				   sizeof group - 1);
		policy_grant(&p, &c, group, sizeof group - 1, &g, &shadowed);
		CHECK(hutch_grant_check(&g, &why) == 0);
		CHECK(shadowed < (int)p.n);
	}
	return 0;
}
