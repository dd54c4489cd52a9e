/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * common/proto.c: the decoder on the records of host files, the root tree and
 * images, SELinux labels and --bind-user= (the broker's checks of them are
 * in test_files_unit.c, test_image.c, test_selinux.c, test_permit.c).
 * Builders and the `proto` suite: proto_rec.h. Everything else is static:
 * all of tests/unit/ shares a binary.
 */
#include <criterion/criterion.h>

#include <stdint.h>
#include <string.h>

#include "proto_rec.h"


Test(proto, open_host_file_path)
{
	struct hutch_open_host_file h;
	memset(&h, 0, sizeof h);
	strcpy(h.path, "/etc/credstore/x");
	ACCEPTED(dec(mk(HUTCH_MSG_OPEN_HOST_FILE, &h, sizeof h), 0));
	cr_assert_str_eq(msg->u.open_host_file.path, "/etc/credstore/x");
	REFUSED(dec(mk(HUTCH_MSG_OPEN_HOST_FILE, &h, sizeof h), 1)); /* no fd with it */
	strcpy(h.path, "relative");
	REFUSED(dec(mk(HUTCH_MSG_OPEN_HOST_FILE, &h, sizeof h), 0));
	memset(&h, 0, sizeof h);
	REFUSED(dec(mk(HUTCH_MSG_OPEN_HOST_FILE, &h, sizeof h), 0)); /* empty */
	strcpy(h.path, "/a");
	h.path[10] = 'x'; /* byte after the terminator */
	REFUSED(dec(mk(HUTCH_MSG_OPEN_HOST_FILE, &h, sizeof h), 0));
	memset(h.path, 'a', sizeof h.path); /* unterminated */
	h.path[0] = '/';
	REFUSED(dec(mk(HUTCH_MSG_OPEN_HOST_FILE, &h, sizeof h), 0));
}

Test(proto, open_file_host_files)
{
	for (uint32_t w = HUTCH_FILE_HOST_FIRST; w < HUTCH_FILE_MAX; w++)
		ACCEPTED(dec(mk_u32(HUTCH_MSG_OPEN_FILE, w), 0));
}

Test(proto, write_file)
{
	struct hutch_write_file w = {HUTCH_ETC_RESOLV_CONF, HUTCH_WRITE_REPLACE};
	ACCEPTED(dec(mk(HUTCH_MSG_WRITE_FILE, &w, sizeof w), 1));
	cr_assert_eq(msg->u.write_file.flags, HUTCH_WRITE_REPLACE);
	REFUSED(dec(mk(HUTCH_MSG_WRITE_FILE, &w, sizeof w), 0)); /* the content fd is required */
	REFUSED(dec(mk(HUTCH_MSG_WRITE_FILE, &w, sizeof w), 2));
	FOR_U32(t, 0, HUTCH_ETC_MAX, 0xffffffff) {
		w.target = t;
		REFUSED(dec(mk(HUTCH_MSG_WRITE_FILE, &w, sizeof w), 1));
	}
	w.target = HUTCH_ETC_LOCALTIME;
	FOR_U32(f, 2, 0x80000000, HUTCH_WRITE_REPLACE | 4) {
		w.flags = f;
		REFUSED(dec(mk(HUTCH_MSG_WRITE_FILE, &w, sizeof w), 1));
	}
}

static size_t mk_op(uint32_t op, uint32_t target, uint32_t source, const char *link)
{
	struct hutch_file_op f;
	memset(&f, 0, sizeof f);
	f.op = op, f.target = target, f.source = source;
	strcpy(f.link, link);
	return mk(HUTCH_MSG_FILE_OP, &f, sizeof f);
}

Test(proto, file_op)
{
	ACCEPTED(dec(mk_op(HUTCH_FILE_OP_UNLINK, HUTCH_ETC_LOCALTIME, 0, ""), 0));
	ACCEPTED(dec(mk_op(HUTCH_FILE_OP_BIND, HUTCH_ETC_RESOLV_CONF, HUTCH_FILE_HOST_RESOLV_STUB, ""), 0));
	ACCEPTED(dec(mk_op(HUTCH_FILE_OP_SYMLINK, HUTCH_ETC_LOCALTIME, 0,
			   "../usr/share/zoneinfo/America/Port-au-Prince"), 0));
	ACCEPTED(dec(mk_op(HUTCH_FILE_OP_SYMLINK, HUTCH_ETC_LOCALTIME, 0,
			   "../usr/share/zoneinfo/Etc/GMT+5"), 0));
	FOR_U32(op, 0, HUTCH_FILE_OP_MAX, 0xffffffff)
		REFUSED(dec(mk_op(op, HUTCH_ETC_LOCALTIME, 0, ""), 0));
	FOR_U32(t, 0, HUTCH_ETC_MAX, 0xffffffff)
		REFUSED(dec(mk_op(HUTCH_FILE_OP_UNLINK, t, 0, ""), 0));
	/* Bind sources: the host's resolv.conf files and localtime only; never the
	 * link-text memfd, the image's files or other host files. */
	FOR_U32(src, HUTCH_FILE_HOST_RESOLV_CONF, HUTCH_FILE_HOST_RESOLV_STATIC,
		HUTCH_FILE_HOST_RESOLV_UPLINK, HUTCH_FILE_HOST_LOCALTIME)
		ACCEPTED(dec(mk_op(HUTCH_FILE_OP_BIND, HUTCH_ETC_LOCALTIME, src, ""), 0));
	FOR_U32(src, 0, HUTCH_FILE_PASSWD, HUTCH_FILE_RESOLV_CONF, HUTCH_FILE_HOST_LOCALTIME_LINK,
		HUTCH_FILE_HOST_PASSWD, HUTCH_FILE_HOST_GROUP, HUTCH_FILE_HOST_SUBUID,
		HUTCH_FILE_HOST_SUBGID, HUTCH_FILE_MAX, 0xffffffff)
		REFUSED(dec(mk_op(HUTCH_FILE_OP_BIND, HUTCH_ETC_RESOLV_CONF, src, ""), 0));
	REFUSED(dec(mk_op(HUTCH_FILE_OP_UNLINK, HUTCH_ETC_LOCALTIME, HUTCH_FILE_HOST_LOCALTIME, ""), 0));
	REFUSED(dec(mk_op(HUTCH_FILE_OP_UNLINK, HUTCH_ETC_LOCALTIME, 0, "../usr/share/zoneinfo/UTC"), 0));
	/* Link text: under ../usr/share/zoneinfo/, no "..", no hidden or empty parts. */
	static const char *const bad[] = {
		"", "/etc/shadow", "../usr/share/zoneinfo/", "../usr/share/zoneinfo/../../../etc/shadow",
		"../usr/share/zoneinfo/Etc/../../x", "../usr/share/zoneinfo/.hidden",
		"../usr/share/zoneinfo//UTC", "../usr/share/zoneinfo/UTC/", "/usr/share/zoneinfo/UTC",
		"../usr/share/zoneinfo/a b", "../usr/share/zoneinfo/x\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		REFUSED(dec(mk_op(HUTCH_FILE_OP_SYMLINK, HUTCH_ETC_LOCALTIME, 0, bad[i]), 0));
	REFUSED(dec(mk_op(HUTCH_FILE_OP_SYMLINK, HUTCH_ETC_LOCALTIME, 0, "../usr/share/zoneinfo/UTC"), 1));
}

Test(proto, credential_id)
{
	struct hutch_credential c;
	memset(&c, 0, sizeof c);
	strcpy(c.id, "my.secret-1");
	ACCEPTED(dec(mk(HUTCH_MSG_CREDENTIAL, &c, sizeof c), 1));
	REFUSED(dec(mk(HUTCH_MSG_CREDENTIAL, &c, sizeof c), 0));
	static const char *const bad[] = {"", ".", "..", "a/b", "/x", "x/"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&c, 0, sizeof c);
		strcpy(c.id, bad[i]);
		REFUSED(dec(mk(HUTCH_MSG_CREDENTIAL, &c, sizeof c), 1));
	}
	memset(&c, 'a', sizeof c); /* unterminated */
	REFUSED(dec(mk(HUTCH_MSG_CREDENTIAL, &c, sizeof c), 1));
}

/* ---- fsroot: OPEN_ROOT flags, OPEN_IMAGE, ATTACH_IMAGE, PROGRESS --------- */

static size_t mk_root_tmpl(const char *path, const char *tmpl, uint32_t flags)
{
	struct hutch_open_root r;
	memset(&r, 0, sizeof r);
	strcpy(r.path, path);
	strcpy(r.template_path, tmpl);
	r.flags = flags;
	return mk(HUTCH_MSG_OPEN_ROOT, &r, sizeof r);
}

#define ROOT_BODY ((struct hutch_open_root *)body())

Test(proto, open_root_flags)
{
	ACCEPTED(dec(mk_root_tmpl("/srv/a", "", HUTCH_ROOT_EPHEMERAL), 0));
	ACCEPTED(dec(mk_root_tmpl("/srv/a", "/srv/t", HUTCH_ROOT_TEMPLATE), 0));
	cr_assert_str_eq(msg->u.open_root.template_path, "/srv/t");
	REFUSED(dec(mk_root_tmpl("/srv/a", "", 1u << 7), 0));
	REFUSED(dec(mk_root_tmpl("/srv/a", "", HUTCH_ROOT_TEMPLATE), 0));  /* flag, no path */
	REFUSED(dec(mk_root_tmpl("/srv/a", "/srv/t", 0), 0));              /* path, no flag */
	REFUSED(dec(mk_root_tmpl("/srv/a", "srv/t", HUTCH_ROOT_TEMPLATE), 0));
	REC_REFUSED(mk_root_tmpl("/srv/a", "", 0), ROOT_BODY->reserved = 1);
	REC_REFUSED(mk_root_tmpl("/srv/a", "/t", HUTCH_ROOT_TEMPLATE),
		    ROOT_BODY->template_path[100] = 'x'); /* bytes after the NUL */
	REC_REFUSED(mk_root_tmpl("/srv/a", "/t", HUTCH_ROOT_TEMPLATE),
		    memset(ROOT_BODY->template_path, 'a', HUTCH_PATH_MAX)); /* unterminated */
}

static size_t mk_image(const char *path, uint32_t flags)
{
	struct hutch_open_image o;
	memset(&o, 0, sizeof o);
	strcpy(o.path, path);
	o.flags = flags;
	return mk(HUTCH_MSG_OPEN_IMAGE, &o, sizeof o);
}

Test(proto, open_image)
{
	ACCEPTED(dec(mk_image("/srv/x.raw", HUTCH_IMAGE_READ_ONLY), 0));
	cr_assert_str_eq(msg->u.open_image.path, "/srv/x.raw");
	cr_assert_eq(hutch_reply_fds(HUTCH_MSG_OPEN_IMAGE), 1);
	REFUSED(dec(mk_image("x.raw", 0), 0));
	REFUSED(dec(mk_image("", 0), 0));
	REFUSED(dec(mk_image("/x", 1u << 5), 0));
	REC_REFUSED(mk_image("/x", 0), ((struct hutch_open_image *)body())->reserved = 2);
	REFUSED(dec(mk_image("/x", 0), 1)); /* carries no fd */
}

static size_t mk_attach(uint64_t off, uint64_t size, uint32_t fs)
{
	struct hutch_attach_image a = {.offset = off, .size = size, .fstype = fs};
	return mk(HUTCH_MSG_ATTACH_IMAGE, &a, sizeof a);
}

Test(proto, attach_image)
{
	ACCEPTED(dec(mk_attach(1048576, 64 << 20, HUTCH_FS_EXT4), 0));
	cr_assert_eq(msg->u.attach_image.size, 64 << 20);
	ACCEPTED(dec(mk_attach(0, 512, HUTCH_FS_VFAT), 0));
	REFUSED(dec(mk_attach(0, 512, 0), 0));
	REFUSED(dec(mk_attach(0, 512, HUTCH_FS_MAX), 0));
	REFUSED(dec(mk_attach(0, 0, HUTCH_FS_EXT4), 0));        /* empty */
	REFUSED(dec(mk_attach(100, 512, HUTCH_FS_EXT4), 0));    /* unaligned offset */
	REFUSED(dec(mk_attach(0, 1000, HUTCH_FS_EXT4), 0));     /* unaligned size */
	REFUSED(dec(mk_attach(UINT64_MAX - 511, 1024, HUTCH_FS_EXT4), 0)); /* wraps */
	REC_REFUSED(mk_attach(0, 512, HUTCH_FS_EXT4),
		    ((struct hutch_attach_image *)body())->reserved = 1);
	REC_REFUSED(mk_attach(0, 512, HUTCH_FS_EXT4), hdr()->len -= 1); /* length */
}

Test(proto, progress)
{
	struct hutch_progress p = {.files = 10, .bytes = 1 << 20};
	ACCEPTED(dec(mk(HUTCH_MSG_PROGRESS, &p, sizeof p), 0));
	cr_assert_eq(msg->u.progress.files, 10);
	REFUSED(dec(mk(HUTCH_MSG_PROGRESS, &p, sizeof p - 1), 0));
	REFUSED(dec(mk(HUTCH_MSG_PROGRESS, &p, sizeof p), 1));
	p.what = HUTCH_PROGRESS_RELABELLED;
	ACCEPTED(dec(mk(HUTCH_MSG_PROGRESS, &p, sizeof p), 0));
	p.what = HUTCH_PROGRESS_MAX; /* the worker indexes its wording by it */
	REFUSED(dec(mk(HUTCH_MSG_PROGRESS, &p, sizeof p), 0));
	p.what = HUTCH_PROGRESS_SHIFTING, p.reserved = 1;
	REFUSED(dec(mk(HUTCH_MSG_PROGRESS, &p, sizeof p), 0));
}

/* ---- LABEL (SELinux) ------------------------------------------------------ */

static size_t mk_label(const char *exec, const char *apifs, uint32_t reserve, uint16_t lo,
		       uint16_t hi)
{
	struct hutch_label l;
	memset(&l, 0, sizeof l);
	strcpy(l.exec, exec);
	strcpy(l.apifs, apifs);
	l.reserve = reserve, l.cat[0] = lo, l.cat[1] = hi;
	return mk(HUTCH_MSG_LABEL, &l, sizeof l);
}

Test(proto, label_valid)
{
	ACCEPTED(dec(mk_label("system_u:system_r:svirt_lxc_net_t:s0:c0,c1",
			      "system_u:object_r:svirt_sandbox_file_t:s0:c0,c1", 0, 0, 0), 0));
	cr_assert_str_eq(msg->u.label.exec, "system_u:system_r:svirt_lxc_net_t:s0:c0,c1");
	ACCEPTED(dec(mk_label("", "", 0, 0, 0), 0));
	ACCEPTED(dec(mk_label("u:r:t:s0-s0:c0.c1023", "", 0, 0, 0), 0));
	ACCEPTED(dec(mk_label("u:r:t:s0:c1,c2", "u:object_r:f:s0:c1,c2", 1, 1, 2), 0));
	ACCEPTED(dec(mk_label("", "", 1, 0, 1023), 0));
	REFUSED(dec(mk_label("", "", 0, 0, 0), 1)); /* no fds */
}

Test(proto, label_strings)
{
	/* too few colons, bad bytes, bytes after the terminator, unterminated */
	REFUSED(dec(mk_label("u:r", "", 0, 0, 0), 0));
	REFUSED(dec(mk_label("", "nolabel", 0, 0, 0), 0));
	REFUSED(dec(mk_label("u:r:t:s0 c1", "", 0, 0, 0), 0));
	REFUSED(dec(mk_label("u:r:t:s0\n", "", 0, 0, 0), 0));
	REFUSED(dec(mk_label("u:r:t:s0/..", "", 0, 0, 0), 0));
	REC_REFUSED(mk_label("u:r:t:s0", "", 0, 0, 0),
		    ((struct hutch_label *)body())->exec[20] = 'x');
	REC_REFUSED(mk_label("", "", 0, 0, 0),
		    memset(((struct hutch_label *)body())->apifs, 'a', HUTCH_LABEL_MAX));
	REC_REFUSED(mk_label("", "", 0, 0, 0), strcpy(((struct hutch_label *)body())->tree, "x/y"));
	REC_REFUSED(mk_label("", "", 0, 0, 0),
		    ((struct hutch_label *)body())->tree[HUTCH_LABEL_MAX - 1] = 'x');
	size_t n = mk_label("", "", 0, 0, 0);
	strcpy(((struct hutch_label *)body())->tree, "system_u:object_r:hutch_container_file_t:s0");
	ACCEPTED(dec(n, 0));
}

Test(proto, label_categories)
{
	REFUSED(dec(mk_label("", "", 1, 2, 2), 0));    /* X < Y */
	REFUSED(dec(mk_label("", "", 1, 5, 3), 0));
	REFUSED(dec(mk_label("", "", 1, 0, 1024), 0)); /* c0..c1023 */
	REFUSED(dec(mk_label("", "", 2, 0, 1), 0));    /* reserve is 0 or 1 */
	REFUSED(dec(mk_label("", "", 0, 0, 1), 0));    /* categories only with reserve */
	REFUSED(dec(mk_label("", "", 0, 1, 0), 0));
}

/* ---- --bind-user= ---------------------------------------------------------- */

Test(proto, create_bind_users)
{
	struct hutch_create c;
	fill_create(&c);
	c.userns = HUTCH_USERNS_PICK;
	c.n_bind_users = 2;
	c.bind_users[0] = (struct hutch_bind_user_ids){1000, 1000, 60514};
	c.bind_users[1] = (struct hutch_bind_user_ids){1001, 100, 60520};
	ACCEPTED(dec(mk_create(&c), 0));
	struct hutch_create b = c;
	b.userns = HUTCH_USERNS_NO; /* nspawn: only with a user namespace */
	REFUSED(dec(mk_create(&b), 0));
	b = c, b.bind_users[0].host_uid = 0; /* never the host's root */
	REFUSED(dec(mk_create(&b), 0));
	b = c, b.bind_users[1].host_gid = 0;
	REFUSED(dec(mk_create(&b), 0));
	b = c, b.bind_users[0].host_uid = UINT32_MAX;
	REFUSED(dec(mk_create(&b), 0));
	FOR_U32(id, 0, 1000, HUTCH_BIND_USER_ID_MIN - 1, HUTCH_BIND_USER_ID_MAX + 1, 65535) {
		b = c, b.bind_users[0].container_id = id;
		REFUSED(dec(mk_create(&b), 0));
	}
	b = c, b.bind_users[1].container_id = 60514; /* duplicate / not ascending */
	REFUSED(dec(mk_create(&b), 0));
	b = c, b.n_bind_users = 1; /* slot 1 used but not counted */
	REFUSED(dec(mk_create(&b), 0));
	b = c, b.n_bind_users = HUTCH_BIND_USERS_MAX + 1;
	REFUSED(dec(mk_create(&b), 0));
}

/* The delegated ids a picked range avoids: ascending, disjoint, in range. */
Test(proto, create_avoid)
{
	struct hutch_create c;
	fill_create(&c);
	c.userns = HUTCH_USERNS_PICK;
	c.n_avoid = 3;
	c.avoid[0] = (struct hutch_id_range){100000, 65536};
	c.avoid[1] = (struct hutch_id_range){524288, 1};
	c.avoid[2] = (struct hutch_id_range){4294901760u, 65536}; /* up to 2^32 */
	ACCEPTED(dec(mk_create(&c), 0));
	struct hutch_create b = c;
	b.userns = HUTCH_USERNS_FIXED, b.uid_base = 65536, b.uid_count = 65536; /* pick only */
	REFUSED(dec(mk_create(&b), 0));
	b = c, b.avoid[1].count = 0;
	REFUSED(dec(mk_create(&b), 0));
	b = c, b.avoid[2].count = 65537; /* past 2^32 */
	REFUSED(dec(mk_create(&b), 0));
	b = c, b.avoid[1].start = 100001; /* overlaps the one before */
	REFUSED(dec(mk_create(&b), 0));
	b = c, b.avoid[1] = c.avoid[0], b.avoid[0] = c.avoid[1]; /* not ascending */
	REFUSED(dec(mk_create(&b), 0));
	b = c, b.n_avoid = 2; /* slot 2 used but not counted */
	REFUSED(dec(mk_create(&b), 0));
	b = c, b.n_avoid = HUTCH_AVOID_MAX + 1;
	REFUSED(dec(mk_create(&b), 0));
}

Test(proto, userdb_record)
{
	struct hutch_userdb_record u;
	memset(&u, 0, sizeof u);
	u.kind = HUTCH_USERDB_USER, u.id = 60514;
	strcpy(u.name, "alice");
	ACCEPTED(dec(mk(HUTCH_MSG_USERDB_RECORD, &u, sizeof u), 1));
	REFUSED(dec(mk(HUTCH_MSG_USERDB_RECORD, &u, sizeof u), 0));
	struct hutch_userdb_record b = u;
	FOR_U32(k, 0, HUTCH_USERDB_MAX, 0xffffffff) {
		b = u, b.kind = k;
		REFUSED(dec(mk(HUTCH_MSG_USERDB_RECORD, &b, sizeof b), 1));
	}
	FOR_U32(id, 0, 60513, 60578) {
		b = u, b.id = id;
		REFUSED(dec(mk(HUTCH_MSG_USERDB_RECORD, &b, sizeof b), 1));
	}
	static const char *const bad[] = {"", ".", "..", "a/b", "../x"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		b = u;
		memset(b.name, 0, sizeof b.name);
		strcpy(b.name, bad[i]);
		REFUSED(dec(mk(HUTCH_MSG_USERDB_RECORD, &b, sizeof b), 1));
	}
	b = u, b.pad[1] = 1;
	REFUSED(dec(mk(HUTCH_MSG_USERDB_RECORD, &b, sizeof b), 1));
}

Test(proto, bind_user_home)
{
	static struct hutch_bind_user_home h, b;
	memset(&h, 0, sizeof h);
	strcpy(h.name, "alice");
	strcpy(h.path, "/home/alice");
	ACCEPTED(dec(mk(HUTCH_MSG_BIND_USER_HOME, &h, sizeof h), 0));
	REFUSED(dec(mk(HUTCH_MSG_BIND_USER_HOME, &h, sizeof h), 1));
	b = h, b.index = HUTCH_BIND_USERS_MAX;
	REFUSED(dec(mk(HUTCH_MSG_BIND_USER_HOME, &b, sizeof b), 0));
	b = h, strcpy(b.path, "home/alice");
	REFUSED(dec(mk(HUTCH_MSG_BIND_USER_HOME, &b, sizeof b), 0));
	b = h, memset(b.name, 0, sizeof b.name), strcpy(b.name, "..");
	REFUSED(dec(mk(HUTCH_MSG_BIND_USER_HOME, &b, sizeof b), 0));
	b = h, b.pad[0] = 1;
	REFUSED(dec(mk(HUTCH_MSG_BIND_USER_HOME, &b, sizeof b), 0));
}