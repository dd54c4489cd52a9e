/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "selinux.h"

#include <ctype.h>
#include <errno.h>
#include <selinux/context.h>
#include <selinux/selinux.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "../common/util.h"
#include "options.h"
#include "settings.h"

static struct {
	bool probed, enabled, enforcing, container_type;
} host;

/* "c" digits, at most 1023. Returns the number or -1; *p moves past it. */
static int category(const char **p)
{
	const char *s = *p;
	if (*s++ != 'c' || !isdigit((unsigned char)*s))
		return -1;
	int n = 0;
	for (; isdigit((unsigned char)*s); s++)
		if ((n = n * 10 + (*s - '0')) >= HUTCH_MCS_CATEGORIES)
			return -1;
	*p = s;
	return n;
}

/* sens[:cat[.cat][,cat...]] up to `end`. */
static int level_check(const char *s, const char *end)
{
	if (*s++ != 's' || !isdigit((unsigned char)*s))
		return -EINVAL;
	while (s < end && isdigit((unsigned char)*s))
		s++;
	if (s == end)
		return 0;
	if (*s++ != ':')
		return -EINVAL;
	for (;;) {
		int a = category(&s);
		if (a < 0)
			return -EINVAL;
		if (s < end && *s == '.') {
			s++;
			int b = category(&s);
			if (b <= a)
				return -EINVAL;
		}
		if (s == end)
			return 0;
		if (*s++ != ',')
			return -EINVAL;
	}
}

static bool identifier(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			return false;
	return true;
}

int selinux_context_check(const char *ctx)
{
	if (strlen(ctx) >= HUTCH_LABEL_MAX)
		return -EINVAL;
	const char *p = ctx;
	for (int field = 0; field < 3; field++) { /* user, role, type */
		size_t n = strcspn(p, ":");
		if (!identifier(p, n) || (field < 2 && !p[n]))
			return -EINVAL;
		p += n;
		if (!*p)
			return 0; /* no MLS/MCS level: a non-MLS policy */
		p++;
	}
	const char *dash = strchr(p, '-');
	if (!dash)
		return level_check(p, p + strlen(p));
	if (level_check(p, dash) < 0 || level_check(dash + 1, dash + 1 + strlen(dash + 1)) < 0)
		return -EINVAL;
	return 0;
}

static int set_context(char *dst, const char *v)
{
	if (selinux_context_check(v) < 0)
		return option_invalid(v, "expected an SELinux context user:role:type:level, e.g. "
					 "system_u:system_r:svirt_lxc_net_t:s0:c0,c1");
	strcpy(dst, v);
	return 0;
}

int opt_selinux_context(struct settings *s, const char *v)
{
	return set_context(s->selinux.context, v);
}

int opt_selinux_apifs_context(struct settings *s, const char *v)
{
	return set_context(s->selinux.apifs_context, v);
}

int opt_selinux_relabel(struct settings *s, const char *v)
{
	if (v && strcmp(v, "yes")) /* "yes": the flag given without a value */
		return set_context(s->selinux.relabel, v);
	strcpy(s->selinux.relabel, "-"); /* resolved in selinux_setup() */
	return 0;
}

/* Broker's domain -> worker's, same user, role and level (a dyntransition
 * the module allows). A fork never changes domain, so it is done here. */
static int enter_worker_domain(void)
{
	char *con = NULL;
	if (getcon(&con) < 0)
		return -errno;
	context_t c = context_new(con);
	int r = 0;
	if (c && !strcmp(context_type_get(c), SELINUX_BROKER_TYPE)) {
		if (context_type_set(c, SELINUX_WORKER_TYPE) < 0 || setcon(context_str(c)) < 0)
			r = -errno ? -errno : -EINVAL;
	}
	if (c)
		context_free(c);
	freecon(con);
	return r;
}

int selinux_probe(void)
{
	host.probed = true;
	/* A mounted selinuxfs, not is_selinux_enabled(): that one also wants
	 * /etc/selinux/config, which a policy loaded by other means lacks. */
	int enforce = security_getenforce();
	host.enabled = enforce >= 0;
	if (!host.enabled)
		return 0;
	host.enforcing = enforce == 1;
	host.container_type = security_check_context(SELINUX_CONTAINER_PROCESS ":s0") == 0;
	int r = enter_worker_domain();
	if (r < 0) {
		errno = -r;
		log_error("cannot enter the SELinux domain " SELINUX_WORKER_TYPE ": %m");
	}
	return r;
}

void selinux_pair_from(uint32_t r, uint16_t cat[2])
{
	/* Pair number k in [0, N(N-1)/2): row x holds the N-1-x pairs (x, y>x). */
	uint32_t n = HUTCH_MCS_CATEGORIES, k = r % (n * (n - 1) / 2), x = 0;
	while (k >= n - 1 - x)
		k -= n - 1 - x++;
	cat[0] = (uint16_t)x;
	cat[1] = (uint16_t)(x + 1 + k);
}

int selinux_pick_pair(uint32_t (*rnd)(void *), int (*try)(void *, const uint16_t cat[2]),
		      void *ctx, unsigned attempts, uint16_t cat[2])
{
	for (unsigned i = 0; i < attempts; i++) {
		selinux_pair_from(rnd(ctx), cat);
		int r = try(ctx, cat);
		if (r != -EADDRINUSE)
			return r;
	}
	return -EADDRINUSE;
}

struct auto_ctx {
	int (*send)(void *, const struct hutch_label *);
	void *ctx;
	const char *tree;
};

static uint32_t random32(void *unused)
{
	uint32_t r = 0;
	if (getrandom(&r, sizeof r, 0) != sizeof r)
		abort(); /* never fails for 4 bytes once the pool is up */
	return r;
}

static int try_pair(void *p, const uint16_t cat[2])
{
	struct auto_ctx *a = p;
	struct hutch_label l = {.reserve = 1, .cat = {cat[0], cat[1]}};
	strcpy(l.tree, a->tree);
	snprintf(l.exec, sizeof l.exec, SELINUX_CONTAINER_PROCESS ":s0:c%u,c%u", cat[0], cat[1]);
	snprintf(l.apifs, sizeof l.apifs, SELINUX_CONTAINER_FILE ":s0:c%u,c%u", cat[0], cat[1]);
	return a->send(a->ctx, &l);
}

int selinux_setup(const struct selinux_settings *s, int (*send)(void *, const struct hutch_label *),
		  void *ctx)
{
	int r;
	char tree[HUTCH_LABEL_MAX] = "";
	if (!strcmp(s->relabel, "-"))
		strcpy(tree, s->apifs_context[0] ? s->apifs_context : SELINUX_CONTAINER_FILE ":s0");
	else
		strcpy(tree, s->relabel);
	if (s->context[0] || s->apifs_context[0] || tree[0]) {
		if (!host.enabled) {
			log_error("%s needs SELinux, which is not enabled on this host; drop the option",
				  s->context[0] ? "--selinux-context=" : s->apifs_context[0]
					  ? "--selinux-apifs-context=" : "--selinux-relabel");
			return -1;
		}
	}
	if (s->context[0] || s->apifs_context[0] || !host.enforcing || !host.container_type) {
		struct hutch_label l = {0};
		strcpy(l.exec, s->context);
		strcpy(l.apifs, s->apifs_context);
		strcpy(l.tree, tree);
		if (!l.exec[0] && !l.apifs[0] && !l.tree[0])
			return 0;
		if ((r = send(ctx, &l)) == -EACCES) {
			log_error("the admin policy does not let you choose SELinux labels or use "
				  "--selinux-relabel; drop -Z, -L and --selinux-relabel");
			return -1;
		}
		if (r < 0) {
			errno = -r;
			log_error("setting SELinux labels: %m");
			return -1;
		}
		return 0;
	}
	struct auto_ctx a = {.send = send, .ctx = ctx, .tree = tree};
	uint16_t cat[2];
	r = selinux_pick_pair(random32, try_pair, &a, 64, cat);
	if (r == -EADDRINUSE) {
		log_error("no free SELinux MCS category pair found in 64 tries; give labels with -Z and -L");
		return -1;
	}
	if (r < 0) {
		errno = -r;
		log_error("reserving SELinux MCS categories: %m");
		return -1;
	}
	return 0;
}
