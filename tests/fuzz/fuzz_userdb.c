/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for worker/userdb.c. Input: byte 0 picks the spec, the
 * rest is used as both the passwd and the group text. Beyond "no crash",
 * checks the promises of userdb.h and traps when one is broken.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../worker/userdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const specs[] = {
	"root", "0", "1000", "nobody", "x", "65534", "4294967294", "alice", "a", "01",
};

#define CHECK(cond)                        \
	do {                               \
		if (!(cond))               \
			__builtin_trap();  \
	} while (0)

static void check_string(const char *s, size_t cap)
{
	CHECK(memchr(s, '\0', cap) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct userdb_user u;
	gid_t groups[USERDB_MAX_GROUPS];
	const char *spec, *buf;
	size_t len, max;
	int r, n;

	if (size < 1)
		return 0;
	spec = specs[data[0] % (sizeof(specs) / sizeof(specs[0]))];
	/* Vary `max` too, so the -E2BIG path is reached with short inputs. */
	max = (data[0] >> 4) % 4 == 0 ? 2 : USERDB_MAX_GROUPS;
	buf = (const char *)data + 1;
	len = size - 1;

	r = userdb_find_user(buf, len, spec, &u);
	CHECK(r == 0 || r == -ENOENT);
	if (r == 0) {
		check_string(u.name, sizeof(u.name));
		check_string(u.home, sizeof(u.home));
		check_string(u.shell, sizeof(u.shell));
		CHECK(u.uid != (uid_t)-1 && u.gid != (gid_t)-1);
		CHECK(u.name[0] != '\0' && u.home[0] == '/' && u.shell[0] == '/');
		CHECK(strpbrk(u.name, ":,/\n") == NULL);
	} else {
		CHECK(spec[0] < '0' || spec[0] > '9'); /* ids always resolve */
	}

	n = userdb_groups(buf, len, r == 0 ? u.name : spec, r == 0 ? u.gid : 100, groups, max);
	CHECK(n == -E2BIG || (n >= 1 && (size_t)n <= max));
	if (n >= 1) {
		CHECK(groups[0] == (r == 0 ? u.gid : 100));
		for (int i = 0; i < n; i++)
			for (int j = i + 1; j < n; j++)
				CHECK(groups[i] != groups[j]);
	}
	return 0;
}
