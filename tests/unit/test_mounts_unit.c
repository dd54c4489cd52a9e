/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * User mounts without a container: the decoder's checks of ROOT_MODE,
 * MOUNT_BIND, MOUNT_TMPFS, MOUNT_OVERLAY and INACCESSIBLE; the permit
 * table's order and 128-mount bound; the worker's parsing of nspawn's
 * syntax (escapes, "+", overlay order, tmpfs options, sorting).
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../broker/permit.h"
#include "../../common/proto.h"
#include "../../worker/mountopts.h"
#include "../../worker/options.h"
#include "../../worker/settings.h"

static struct hutch_msg *um;

static void um_setup(void)
{
	cr_assert_not_null(um = calloc(1, sizeof *um));
}

static void um_teardown(void)
{
	free(um);
}

TestSuite(user_mounts, .init = um_setup, .fini = um_teardown);

/* Encode `body` of `type` and decode it; 0 or the decoder's error. */
static int roundtrip(uint32_t type, const void *body)
{
	size_t blen = hutch_body_size(type), len = sizeof(struct hutch_hdr) + blen;
	unsigned char *rec = calloc(1, len);
	struct hutch_hdr h = {HUTCH_PROTO_VERSION, type, (uint32_t)len, 0};
	memcpy(rec, &h, sizeof h);
	memcpy(rec + sizeof h, body, blen);
	const char *why = NULL;
	int r = hutch_decode(rec, len, 0, um, &why);
	if (r < 0)
		cr_assert_not_null(why);
	free(rec);
	return r;
}

Test(user_mounts, check_path)
{
	static const char *const good[] = {"/", "/a", "/a/b", "/a/.b", "/a/..b", "/a/b c"};
	static const char *const bad[] = {"", "a", "//", "/a/", "/a//b", "/.", "/..", "/a/./b",
					  "/a/../b", "/a/.."};
	char buf[HUTCH_PATH_MAX];
	for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
		memset(buf, 0, sizeof buf);
		strcpy(buf, good[i]);
		cr_expect_eq(hutch_check_path(buf, sizeof buf), 0, "'%s' refused", good[i]);
	}
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		memset(buf, 0, sizeof buf);
		strcpy(buf, bad[i]);
		cr_expect_lt(hutch_check_path(buf, sizeof buf), 0, "'%s' accepted", bad[i]);
	}
	memset(buf, 0, sizeof buf);
	strcpy(buf, "/a");
	buf[5] = 'x'; /* a byte after the terminator */
	cr_expect_lt(hutch_check_path(buf, sizeof buf), 0);
}

Test(user_mounts, decode_bind)
{
	struct hutch_mount_bind *b = calloc(1, sizeof *b);
	strcpy(b->source, "/srv/data");
	strcpy(b->target, "/data");
	b->flags = HUTCH_BIND_RO | HUTCH_BIND_RECURSIVE | HUTCH_BIND_IDMAP;
	cr_assert_eq(roundtrip(HUTCH_MSG_MOUNT_BIND, b), 0);
	cr_assert_str_eq(um->u.mount_bind.target, "/data");
	b->flags = 1u << 7;
	cr_expect_lt(roundtrip(HUTCH_MSG_MOUNT_BIND, b), 0, "unknown flag accepted");
	b->flags = 0;
	b->reserved = 1;
	cr_expect_lt(roundtrip(HUTCH_MSG_MOUNT_BIND, b), 0);
	b->reserved = 0;
	strcpy(b->target, "/");
	cr_expect_lt(roundtrip(HUTCH_MSG_MOUNT_BIND, b), 0, "bind over / accepted");
	strcpy(b->target, "/x/../../etc");
	cr_expect_lt(roundtrip(HUTCH_MSG_MOUNT_BIND, b), 0, "'..' accepted");
	strcpy(b->target, "/x");
	strcpy(b->source, "relative");
	cr_expect_lt(roundtrip(HUTCH_MSG_MOUNT_BIND, b), 0, "relative source accepted");
	free(b);
}

Test(user_mounts, decode_tmpfs)
{
	struct hutch_mount_tmpfs t = {.flags = HUTCH_TMPFS_MODE | HUTCH_TMPFS_SIZE_PERCENT,
				      .mode = 01777, .size = 50};
	strcpy(t.target, "/var/tmp");
	cr_assert_eq(roundtrip(HUTCH_MSG_MOUNT_TMPFS, &t), 0);
	struct hutch_mount_tmpfs v = t;
	v.mode = 010000;
	cr_expect_lt(roundtrip(HUTCH_MSG_MOUNT_TMPFS, &v), 0, "mode > 07777");
	v = t;
	v.size = 101;
	cr_expect_lt(roundtrip(HUTCH_MSG_MOUNT_TMPFS, &v), 0, "size 101%%");
	v = t;
	v.flags |= HUTCH_TMPFS_SIZE;
	cr_expect_lt(roundtrip(HUTCH_MSG_MOUNT_TMPFS, &v), 0, "two sizes");
	v = t;
	v.uid = 5; /* without its flag */
	cr_expect_lt(roundtrip(HUTCH_MSG_MOUNT_TMPFS, &v), 0);
	v = t;
	v.flags |= 1u << 20;
	cr_expect_lt(roundtrip(HUTCH_MSG_MOUNT_TMPFS, &v), 0);
}

Test(user_mounts, decode_overlay)
{
	struct hutch_mount_overlay *o = calloc(1, sizeof *o);
	o->nlower = 2;
	strcpy(o->lower[0], "/a");
	strcpy(o->lower[1], "/b");
	strcpy(o->upper_dir, "/srv");
	strcpy(o->upper_name, "up");
	strcpy(o->work_name, ".#up0123456789abcdef");
	strcpy(o->target, "/mnt");
	cr_assert_eq(roundtrip(HUTCH_MSG_MOUNT_OVERLAY, o), 0);
	strcpy(o->work_name, "..");
	cr_expect_lt(roundtrip(HUTCH_MSG_MOUNT_OVERLAY, o), 0, "work dir '..'");
	strcpy(o->work_name, "a/b");
	cr_expect_lt(roundtrip(HUTCH_MSG_MOUNT_OVERLAY, o), 0, "work dir with a slash");
	strcpy(o->work_name, "up");
	cr_expect_lt(roundtrip(HUTCH_MSG_MOUNT_OVERLAY, o), 0, "work dir = upper dir");
	strcpy(o->work_name, "work"); /* made as root beside the upper: only ".#..." */
	cr_expect_lt(roundtrip(HUTCH_MSG_MOUNT_OVERLAY, o), 0, "work dir without '.#'");
	strcpy(o->work_name, ".#w");
	o->lower_in_root = 1u << 2; /* beyond nlower */
	cr_expect_lt(roundtrip(HUTCH_MSG_MOUNT_OVERLAY, o), 0);
	o->lower_in_root = 0;
	strcpy(o->lower[2], "/c"); /* a path in an unused slot */
	cr_expect_lt(roundtrip(HUTCH_MSG_MOUNT_OVERLAY, o), 0);
	memset(o->lower[2], 0, HUTCH_PATH_MAX);
	o->flags = HUTCH_OVERLAY_RO; /* read-only with an upper layer */
	cr_expect_lt(roundtrip(HUTCH_MSG_MOUNT_OVERLAY, o), 0);
	memset(o->upper_dir, 0, sizeof o->upper_dir);
	memset(o->upper_name, 0, sizeof o->upper_name);
	memset(o->work_name, 0, sizeof o->work_name);
	cr_expect_eq(roundtrip(HUTCH_MSG_MOUNT_OVERLAY, o), 0);
	o->nlower = 0;
	cr_expect_lt(roundtrip(HUTCH_MSG_MOUNT_OVERLAY, o), 0);
	o->nlower = HUTCH_OVERLAY_MAX_LOWER + 1;
	cr_expect_lt(roundtrip(HUTCH_MSG_MOUNT_OVERLAY, o), 0);
	free(o);
}

Test(user_mounts, decode_root_mode_and_inaccessible)
{
	struct hutch_root_mode m = {.read_only = 1, .volatile_mode = HUTCH_VOLATILE_OVERLAY};
	cr_expect_eq(roundtrip(HUTCH_MSG_ROOT_MODE, &m), 0);
	m.read_only = 2;
	cr_expect_lt(roundtrip(HUTCH_MSG_ROOT_MODE, &m), 0);
	m = (struct hutch_root_mode){.volatile_mode = HUTCH_VOLATILE_MAX};
	cr_expect_lt(roundtrip(HUTCH_MSG_ROOT_MODE, &m), 0);
	struct hutch_inaccessible *t = calloc(1, sizeof *t);
	strcpy(t->target, "/etc/shadow");
	cr_expect_eq(roundtrip(HUTCH_MSG_INACCESSIBLE, t), 0);
	strcpy(t->target, "/");
	cr_expect_lt(roundtrip(HUTCH_MSG_INACCESSIBLE, t), 0);
	free(t);
}

/* ---- permit table ----------------------------------------------------------- */

static int permit(struct permit_state *s, uint32_t type, uint32_t arg)
{
	memset(um, 0, sizeof *um);
	um->hdr.type = type;
	if (type == HUTCH_MSG_MOUNT_API)
		um->u.mount_api.kind = arg;
	const char *why = NULL;
	int r = permit_check(s, um, &why);
	if (r == 0)
		permit_commit(s, um);
	return r;
}

static void to_setup(struct permit_state *s)
{
	permit_init(s);
	cr_assert_eq(permit(s, HUTCH_MSG_OPEN_ROOT, 0), 0);
	cr_assert_eq(permit(s, HUTCH_MSG_CGROUP, 0), 0);
	cr_assert_eq(permit(s, HUTCH_MSG_CREATE, 0), 0);
}

Test(user_mounts, permit_order)
{
	struct permit_state s;
	to_setup(&s);
	cr_expect_lt(permit(&s, HUTCH_MSG_MOUNT_BIND, 0), 0, "bind before /proc and /sys");
	cr_expect_eq(permit(&s, HUTCH_MSG_ROOT_MODE, 0), 0);
	cr_expect_lt(permit(&s, HUTCH_MSG_ROOT_MODE, 0), 0, "root mode twice");
	cr_expect_eq(permit(&s, HUTCH_MSG_MOUNT_API, HUTCH_API_PROC), 0);
	cr_expect_eq(permit(&s, HUTCH_MSG_MOUNT_API, HUTCH_API_SYS), 0);
	cr_expect_eq(permit(&s, HUTCH_MSG_MOUNT_BIND, 0), 0);
	cr_expect_lt(permit(&s, HUTCH_MSG_INACCESSIBLE, 0), 0, "inaccessible before /run");
	cr_expect_eq(permit(&s, HUTCH_MSG_MOUNT_API, HUTCH_API_RUN), 0);
	cr_expect_eq(permit(&s, HUTCH_MSG_INACCESSIBLE, 0), 0);

	to_setup(&s);
	cr_expect_eq(permit(&s, HUTCH_MSG_MOUNT_API, HUTCH_API_PROC), 0);
	cr_expect_lt(permit(&s, HUTCH_MSG_ROOT_MODE, 0), 0, "root mode after a mount");
	/* Nothing before CREATE, nothing after PIVOT. */
	permit_init(&s);
	cr_expect_lt(permit(&s, HUTCH_MSG_MOUNT_TMPFS, 0), 0);
}

Test(user_mounts, permit_counts_all_kinds_together)
{
	struct permit_state s;
	to_setup(&s);
	cr_assert_eq(permit(&s, HUTCH_MSG_MOUNT_API, HUTCH_API_PROC), 0);
	cr_assert_eq(permit(&s, HUTCH_MSG_MOUNT_API, HUTCH_API_SYS), 0);
	cr_assert_eq(permit(&s, HUTCH_MSG_MOUNT_API, HUTCH_API_RUN), 0);
	static const uint32_t kinds[] = {HUTCH_MSG_MOUNT_BIND, HUTCH_MSG_MOUNT_TMPFS,
					 HUTCH_MSG_MOUNT_OVERLAY, HUTCH_MSG_INACCESSIBLE};
	for (int i = 0; i < HUTCH_MAX_USER_MOUNTS; i++)
		cr_assert_eq(permit(&s, kinds[i % 4], 0), 0, "mount %d refused", i);
	for (int k = 0; k < 4; k++)
		cr_expect_lt(permit(&s, kinds[k], 0), 0, "mount %d accepted",
			     HUTCH_MAX_USER_MOUNTS + 1);
}

/* ---- worker parsing ----------------------------------------------------------- */

static struct settings *st;

static void parse_setup(void)
{
	um_setup();
	cr_assert_not_null(st = calloc(1, sizeof *st));
}

static void parse_teardown(void)
{
	mountopts_free(&st->mounts);
	free(st);
	um_teardown();
}

TestSuite(mountopts, .init = parse_setup, .fini = parse_teardown);

Test(mountopts, split_and_escapes)
{
	char *f[4];
	const char *rest;
	int n = mountopt_split("/a\\:b:/c\\\\d:rbind,idmap", f, 2, &rest);
	cr_assert_eq(n, 2);
	cr_expect_str_eq(f[0], "/a:b");
	cr_expect_str_eq(f[1], "/c\\d");
	cr_expect_str_eq(rest, "rbind,idmap");
	free(f[0]), free(f[1]);
	cr_expect_lt(mountopt_split("/a\\", f, 2, &rest), 0, "trailing backslash");
	n = mountopt_split("/only", f, 2, &rest);
	cr_expect_eq(n, 1);
	cr_expect_null(rest);
	free(f[0]);
}

Test(mountopts, canonical_path)
{
	char p[64];
	strcpy(p, "//a///b/");
	cr_expect_eq(mountopt_canonical_path(p), 0);
	cr_expect_str_eq(p, "/a/b");
	strcpy(p, "///");
	cr_expect_eq(mountopt_canonical_path(p), 0);
	cr_expect_str_eq(p, "/");
	strcpy(p, "/a/../b");
	cr_expect_lt(mountopt_canonical_path(p), 0);
	strcpy(p, "a/b");
	cr_expect_lt(mountopt_canonical_path(p), 0);
}

Test(mountopts, bind_forms)
{
	struct mount_settings *m = &st->mounts;
	cr_assert_eq(opt_bind(st, "/srv/x"), 0);
	cr_assert_eq(opt_bind_ro(st, "+/usr/share:/share:norbind"), 0);
	cr_assert_eq(opt_bind(st, "/a\\:b:/c:idmap,rbind"), 0);
	struct hutch_mount_bind *b = m->mounts[0].req.bind;
	cr_expect_str_eq(b->source, "/srv/x");
	cr_expect_str_eq(b->target, "/srv/x");
	cr_expect_eq(b->flags, HUTCH_BIND_RECURSIVE);
	b = m->mounts[1].req.bind;
	cr_expect_str_eq(b->source, "/usr/share");
	cr_expect_eq(b->flags, HUTCH_BIND_RO | HUTCH_BIND_SOURCE_IN_ROOT);
	b = m->mounts[2].req.bind;
	cr_expect_str_eq(b->source, "/a:b");
	cr_expect_eq(b->flags, HUTCH_BIND_RECURSIVE | HUTCH_BIND_IDMAP);
	/* "+" with one path: the container path is the path without it. */
	cr_assert_eq(opt_bind(st, "+/etc"), 0);
	cr_expect_str_eq(m->mounts[3].req.bind->target, "/etc");
	cr_expect_lt(opt_bind(st, "/x:/y:rootidmap"), 0);
	cr_expect_lt(opt_bind(st, "/x:relative"), 0);
	cr_expect_lt(opt_bind(st, "/x:/"), 0);
	cr_expect_lt(opt_bind(st, ""), 0);
	cr_expect_eq(m->n, 4, "a refused value was kept");
	cr_expect_lt(mountopts_finish(m, false), 0, "idmap without a user namespace");
	cr_expect_eq(mountopts_finish(m, true), 0);
}

Test(mountopts, tmpfs_options)
{
	struct mount_settings *m = &st->mounts;
	cr_assert_eq(opt_tmpfs(st, "/t"), 0);
	struct hutch_mount_tmpfs *t = m->mounts[0].req.tmpfs;
	cr_expect_eq(t->flags, HUTCH_TMPFS_MODE);
	cr_expect_eq(t->mode, 0755);
	cr_assert_eq(opt_tmpfs(st, "/t\\:2:size=2G,nr_inodes=1k,uid=7,gid=8,ro,noexec,nosuid"), 0);
	t = m->mounts[1].req.tmpfs;
	cr_expect_str_eq(t->target, "/t:2");
	cr_expect_eq(t->size, 2ull << 30);
	cr_expect_eq(t->nr_inodes, 1024);
	cr_expect_eq(t->uid, 7);
	cr_expect_eq(t->gid, 8);
	cr_expect_eq(t->flags, HUTCH_TMPFS_SIZE | HUTCH_TMPFS_NR_INODES | HUTCH_TMPFS_UID |
				       HUTCH_TMPFS_GID | HUTCH_TMPFS_RO | HUTCH_TMPFS_NOEXEC);
	cr_assert_eq(opt_tmpfs(st, "/p:size=25%"), 0);
	cr_expect_eq(m->mounts[2].req.tmpfs->flags, HUTCH_TMPFS_SIZE_PERCENT);
	static const char *const bad[] = {"/x:suid", "/x:dev", "/x:mode=8", "/x:size=101%",
					  "/x:size=1q", "/x:uid=70000", "/x:huge=always", "relative",
					  "/"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		cr_expect_lt(opt_tmpfs(st, bad[i]), 0, "'%s' accepted", bad[i]);
	cr_expect_eq(m->n, 3);
}

/* nspawn: left-most lowest, second-to-last the top (upper), last the target;
 * the kernel's lowerdir lists the top first. */
Test(mountopts, overlay_order)
{
	struct mount_settings *m = &st->mounts;
	cr_assert_eq(opt_overlay(st, "/l1:+/l2:/srv/up:/mnt"), 0);
	struct hutch_mount_overlay *o = m->mounts[0].req.overlay;
	cr_expect_eq(o->nlower, 2);
	cr_expect_str_eq(o->lower[0], "/l2");
	cr_expect_str_eq(o->lower[1], "/l1");
	cr_expect_eq(o->lower_in_root, 1u, "the '+' layer");
	cr_expect_str_eq(o->upper_dir, "/srv");
	cr_expect_str_eq(o->upper_name, "up");
	cr_expect(!strncmp(o->work_name, ".#up", 4) && strlen(o->work_name) == 4 + 16, "%s",
		  o->work_name);
	cr_expect_str_eq(o->target, "/mnt");
	/* Two paths: the second is the top layer and the mount point. */
	cr_assert_eq(opt_overlay(st, "/low:/top"), 0);
	o = m->mounts[1].req.overlay;
	cr_expect_str_eq(o->lower[0], "/low");
	cr_expect_str_eq(o->upper_dir, "/");
	cr_expect_str_eq(o->upper_name, "top");
	cr_expect_str_eq(o->target, "/top");
	/* Read-only: every path is a lower layer, top first. */
	cr_assert_eq(opt_overlay_ro(st, "/a:/b:/c:/mnt"), 0);
	o = m->mounts[2].req.overlay;
	cr_expect_eq(o->nlower, 3);
	cr_expect_str_eq(o->lower[0], "/c");
	cr_expect_str_eq(o->lower[2], "/a");
	cr_expect_eq(o->flags, HUTCH_OVERLAY_RO);
	cr_expect_str_empty(o->upper_name);
	cr_expect_lt(opt_overlay(st, "/only"), 0);
	cr_expect_lt(opt_overlay(st, "/1:/2:/3:/4:/5:/6:/7:/8:/9:/up:/t"), 0, "9 lower layers");
	cr_expect_lt(opt_overlay(st, "/l:/:/t"), 0, "upper /");
}

Test(mountopts, volatile_and_sorting)
{
	struct mount_settings *m = &st->mounts;
	cr_expect_eq(opt_volatile(st, NULL), 0);
	cr_expect_eq(m->volatile_mode, HUTCH_VOLATILE_YES);
	cr_expect_eq(opt_volatile(st, "state"), 0);
	cr_expect_eq(m->volatile_mode, HUTCH_VOLATILE_STATE);
	cr_expect_eq(opt_volatile(st, "no"), 0);
	cr_expect_eq(m->volatile_mode, HUTCH_VOLATILE_NO);
	cr_expect_lt(opt_volatile(st, "sometimes"), 0);
	/* Parents before children, equal targets in the order given. */
	cr_assert_eq(opt_tmpfs(st, "/a/b"), 0);
	cr_assert_eq(opt_bind(st, "/x:/a"), 0);
	cr_assert_eq(opt_inaccessible(st, "/a-b"), 0);
	cr_assert_eq(opt_tmpfs(st, "/a"), 0);
	cr_assert_eq(mountopts_finish(m, true), 0);
	cr_expect_str_eq(m->mounts[0].target, "/a");
	cr_expect_eq(m->mounts[0].kind, USER_MOUNT_BIND);
	cr_expect_str_eq(m->mounts[1].target, "/a");
	cr_expect_eq(m->mounts[1].kind, USER_MOUNT_TMPFS);
	cr_expect_str_eq(m->mounts[2].target, "/a/b");
	cr_expect_str_eq(m->mounts[3].target, "/a-b");
}

Test(mountopts, count_limit)
{
	for (int i = 0; i < HUTCH_MAX_USER_MOUNTS; i++)
		cr_assert_eq(opt_inaccessible(st, "/x"), 0);
	cr_expect_lt(opt_inaccessible(st, "/x"), 0);
	cr_expect_eq(st->mounts.n, HUTCH_MAX_USER_MOUNTS);
}

/* .nspawn [Files] keys: binds and the like are privileged (never from an
 * untrusted file next to the image); ReadOnly=/Volatile= are not; the
 * command line beats a file for the whole group of custom mounts. */
Test(mountopts, nspawn_keys_and_trust)
{
	static const char *const priv[] = {"Bind", "BindReadOnly", "TemporaryFileSystem",
					   "Inaccessible", "Overlay", "OverlayReadOnly"};
	static const char *const values[] = {"/srv", "/srv", "/t", "/t", "/a:/b", "/a:/b"};
	for (size_t i = 0; i < sizeof priv / sizeof *priv; i++) {
		const struct option_def *d = option_by_key("Files", priv[i]);
		cr_assert_not_null(d, "no row for [Files] %s=", priv[i]);
		cr_expect(d->flags & OPT_PRIVILEGED, "%s= is not privileged", priv[i]);
		cr_expect_eq(option_apply(d, st, values[i], ORIGIN_UNTRUSTED_FILE, "x.nspawn:1"),
			     OPTION_IGNORED, "%s= taken from an untrusted file", priv[i]);
		cr_expect_eq(option_apply(d, st, values[i], ORIGIN_TRUSTED_FILE, "x.nspawn:1"), 0,
			     "%s= refused from a trusted file", priv[i]);
	}
	cr_expect_eq(st->mounts.n, 6);
	const struct option_def *ro = option_by_key("Files", "ReadOnly");
	const struct option_def *vol = option_by_key("Files", "Volatile");
	cr_assert(ro && vol);
	cr_expect_eq(option_apply(ro, st, "yes", ORIGIN_UNTRUSTED_FILE, "x.nspawn:2"), 0);
	cr_expect(st->mounts.read_only);
	cr_expect_eq(option_apply(vol, st, "state", ORIGIN_UNTRUSTED_FILE, "x.nspawn:3"), 0);
	cr_expect_eq(st->mounts.volatile_mode, HUTCH_VOLATILE_STATE);
	/* A --bind on the command line: a file's TemporaryFileSystem= is ignored. */
	mountopts_free(&st->mounts);
	memset(st, 0, sizeof *st);
	cr_assert_eq(option_apply(option_by_key("Files", "Bind"), st, "/x", ORIGIN_CMDLINE, NULL), 0);
	cr_expect_eq(option_apply(option_by_key("Files", "TemporaryFileSystem"), st, "/t",
				  ORIGIN_TRUSTED_FILE, "x.nspawn:4"),
		     OPTION_IGNORED);
	cr_expect_eq(st->mounts.n, 1);
}
