/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* worker/selinux.c: context syntax and MCS category pair allocation. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../worker/selinux.h"

Test(selinux, context_valid)
{
	static const char *const ok[] = {
		"system_u:system_r:svirt_lxc_net_t:s0:c0,c1", /* nspawn's example */
		"system_u:object_r:svirt_sandbox_file_t:s0:c0,c1",
		"system_u:system_r:hutch_container_t:s0",
		"u:r:t",                       /* non-MLS policy */
		"unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023",
		"u:r:t:s0:c0.c5,c7,c9.c1023",
		"u:r:t:s15:c1023",
		"user.name:role-x:type_1.2:s0",
	};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
		cr_expect_eq(selinux_context_check(ok[i]), 0, "refused %s", ok[i]);
}

Test(selinux, context_invalid)
{
	static const char *const bad[] = {
		"", "u", "u:r", "u:r:", ":r:t:s0", "u::t:s0", "u:r:t:", "u:r:t:x0",
		"u:r:t:s", "u:r:t:s0:", "u:r:t:s0:c", "u:r:t:s0:c1024", "u:r:t:s0:c99999999999",
		"u:r:t:s0:c2.c1",  /* range must grow */
		"u:r:t:s0:c2.c2", "u:r:t:s0:c1,", "u:r:t:s0:,c1", "u:r:t:s0:c1,,c2",
		"u:r:t:s0-", "u:r:t:-s0", "u:r:t:s0-s0-s0", "u:r:t:s0:c1:c2",
		"u r:r:t:s0", "u:r:t/x:s0", "u:r:t\n:s0", "u:r:t:s0 ",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		cr_expect_eq(selinux_context_check(bad[i]), -EINVAL, "accepted '%s'", bad[i]);
	char longctx[HUTCH_LABEL_MAX + 8];
	memset(longctx, 'a', sizeof longctx);
	memcpy(longctx, "u:r:t:s0", 8);
	longctx[sizeof longctx - 1] = 0;
	cr_expect_eq(selinux_context_check(longctx), -EINVAL, "accepted an oversized label");
}

/* Every pair number maps to a distinct valid pair X < Y <= 1023. */
Test(selinux, pair_from_is_a_bijection)
{
	const uint32_t n = HUTCH_MCS_CATEGORIES, pairs = n * (n - 1) / 2;
	static uint8_t seen[HUTCH_MCS_CATEGORIES][HUTCH_MCS_CATEGORIES];
	memset(seen, 0, sizeof seen);
	for (uint32_t k = 0; k < pairs; k++) {
		uint16_t c[2];
		selinux_pair_from(k, c);
		cr_assert(c[0] < c[1] && c[1] < n, "pair %u -> c%u,c%u", k, c[0], c[1]);
		cr_assert(!seen[c[0]][c[1]]++, "pair c%u,c%u twice", c[0], c[1]);
	}
	uint16_t c[2];
	selinux_pair_from(0, c);
	cr_expect(c[0] == 0 && c[1] == 1);
	selinux_pair_from(pairs - 1, c);
	cr_expect(c[0] == n - 2 && c[1] == n - 1);
	selinux_pair_from(pairs, c); /* wraps */
	cr_expect(c[0] == 0 && c[1] == 1);
	selinux_pair_from(UINT32_MAX, c);
	cr_expect(c[0] < c[1] && c[1] < n);
}

/* A fake broker: the first `busy` reservations answer "in use". */
struct fake {
	uint32_t next;
	unsigned busy, tries;
	int fail;
	uint16_t last[2];
};

static uint32_t fake_rnd(void *p)
{
	struct fake *f = p;
	return f->next++ * 7919u;
}

static int fake_try(void *p, const uint16_t cat[2])
{
	struct fake *f = p;
	f->tries++;
	cr_assert(cat[0] < cat[1] && cat[1] < HUTCH_MCS_CATEGORIES);
	if (f->tries > 1)
		cr_assert(cat[0] != f->last[0] || cat[1] != f->last[1], "same pair retried");
	f->last[0] = cat[0], f->last[1] = cat[1];
	if (f->fail)
		return f->fail;
	return f->tries <= f->busy ? -EADDRINUSE : 0;
}

Test(selinux, pick_skips_pairs_in_use)
{
	struct fake f = {.busy = 5};
	uint16_t cat[2];
	cr_assert_eq(selinux_pick_pair(fake_rnd, fake_try, &f, 64, cat), 0);
	cr_expect_eq(f.tries, 6);
	cr_expect(cat[0] == f.last[0] && cat[1] == f.last[1], "returns the pair reserved");
}

Test(selinux, pick_gives_up)
{
	struct fake f = {.busy = 1000};
	uint16_t cat[2];
	cr_assert_eq(selinux_pick_pair(fake_rnd, fake_try, &f, 64, cat), -EADDRINUSE);
	cr_expect_eq(f.tries, 64);
}

Test(selinux, pick_stops_on_other_errors)
{
	struct fake f = {.fail = -EPERM};
	uint16_t cat[2];
	cr_assert_eq(selinux_pick_pair(fake_rnd, fake_try, &f, 64, cat), -EPERM);
	cr_expect_eq(f.tries, 1);
}

/* Without SELinux on the host: -Z/-L are refused before anything is sent;
 * without them nothing is sent and hutch runs normally. */
static unsigned sent;
static int count_send(void *p, const struct hutch_label *l)
{
	sent++;
	return 0;
}

Test(selinux, disabled_host)
{
	struct selinux_settings s;
	memset(&s, 0, sizeof s);
	sent = 0;
	cr_assert_eq(selinux_setup(&s, count_send, NULL), 0);
	cr_expect_eq(sent, 0);
	strcpy(s.context, "system_u:system_r:svirt_lxc_net_t:s0:c0,c1");
	/* selinux_probe() never ran: the state is "no SELinux" */
	cr_assert_eq(selinux_setup(&s, count_send, NULL), -1);
	cr_expect_eq(sent, 0);
	memset(&s, 0, sizeof s);
	strcpy(s.relabel, "-");
	cr_assert_eq(selinux_setup(&s, count_send, NULL), -1);
	cr_expect_eq(sent, 0);
}

/* The broker's grant check for LABEL (broker/grant.c). */
#include "../../broker/broker.h"

static struct hutch_label auto_label(uint16_t a, uint16_t b)
{
	struct hutch_label l;
	memset(&l, 0, sizeof l);
	l.reserve = 1, l.cat[0] = a, l.cat[1] = b;
	snprintf(l.exec, sizeof l.exec, "system_u:system_r:hutch_container_t:s0:c%u,c%u", a, b);
	snprintf(l.apifs, sizeof l.apifs, "system_u:object_r:hutch_container_file_t:s0:c%u,c%u", a, b);
	return l;
}

Test(selinux, grant_label)
{
	static struct hutch_grant g;
	struct hutch_label own;
	memset(&own, 0, sizeof own);
	strcpy(own.exec, "system_u:system_r:svirt_lxc_net_t:s0:c0,c1");
	struct hutch_label tree = auto_label(3, 4);
	strcpy(tree.tree, "system_u:object_r:hutch_container_file_t:s0");

	hutch_grant_init_all(&g); /* root, or no policy: anything */
	cr_expect_eq(grant_label_ok(&g, &own), 0);
	cr_expect_eq(grant_label_ok(&g, &tree), 0);

	hutch_grant_init_deny(&g, "no rule");
	struct hutch_label a = auto_label(1, 2);
	cr_expect_eq(grant_label_ok(&g, &a), -EACCES);

	memset(&g, 0, sizeof g);
	g.kind = HUTCH_GRANT_RULE; /* a tenant, no SELinuxRange: own labels, no relabel */
	cr_expect_eq(grant_label_ok(&g, &own), 0);
	cr_expect_eq(grant_label_ok(&g, &a), 0);
	cr_expect_eq(grant_label_ok(&g, &tree), -EACCES);

	strcpy(g.selinux_range, "s0-s0:c0.c255"); /* a range: automatic labels only */
	cr_expect_eq(grant_label_ok(&g, &a), 0);
	cr_expect_eq(grant_label_ok(&g, &own), -EACCES);
	cr_expect_eq(grant_label_ok(&g, &tree), -EACCES);
	struct hutch_label forged = auto_label(1, 2);
	strcpy(forged.exec, "system_u:system_r:unconfined_t:s0:c1,c2");
	cr_expect_eq(grant_label_ok(&g, &forged), -EACCES);
	forged = auto_label(1, 2);
	forged.cat[1] = 3; /* reserves one pair, labels another */
	cr_expect_eq(grant_label_ok(&g, &forged), -EACCES);
}

/* A worker that sends no LABEL must not leave a tenant's payload in hutch's
 * domain with its whole range (found in an audit): CREATE checks. */
Test(selinux, grant_label_given)
{
	static struct hutch_grant g;
	struct hutch_label none, a = auto_label(1, 2);
	memset(&none, 0, sizeof none);
	hutch_grant_init_all(&g);
	cr_expect_eq(grant_label_given(&g, &none, false, true), 0);
	memset(&g, 0, sizeof g);
	g.kind = HUTCH_GRANT_RULE;
	cr_expect_eq(grant_label_given(&g, &none, false, true), 0); /* no range named */
	strcpy(g.selinux_range, "s0-s0:c0.c255");
	cr_expect_eq(grant_label_given(&g, &none, false, false), 0); /* not enforcing */
	cr_expect_eq(grant_label_given(&g, &none, false, true), -EACCES);
	cr_expect_eq(grant_label_given(&g, &a, false, true), -EACCES); /* pair not reserved */
	cr_expect_eq(grant_label_given(&g, &a, true, true), 0);
	hutch_grant_init_deny(&g, "no rule");
	cr_expect_eq(grant_label_given(&g, &a, true, true), -EACCES);
}
