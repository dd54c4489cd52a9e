/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * common/proto.c: every record shape the decoder must refuse, fd handling on
 * a real SOCK_SEQPACKET socketpair, and exec pack/unpack. The records of
 * files, images, labels and --bind-user= are in test_proto_records.c;
 * builders and the `proto` suite in proto_rec.h. Everything else is static:
 * all of tests/unit/ shares a binary.
 */
#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto_rec.h"

static size_t mk_root(const char *path)
{
	struct hutch_open_root r;
	memset(&r, 0, sizeof r);
	strcpy(r.path, path);
	return mk(HUTCH_MSG_OPEN_ROOT, &r, sizeof r);
}

/* A valid exec body in `ex`: argv {"/bin/sh","-c","true"}, env {"A=1",""}. */
static void fill_exec(void)
{
	char *argv[] = {"/bin/sh", "-c", "true", NULL};
	char *envp[] = {"A=1", "", NULL};
	memset(ex, 0, sizeof *ex);
	cr_assert_eq(hutch_exec_pack(ex, argv, envp), 0);
	ex->uid = ex->gid = 1000;
	ex->ngroups = 2;
	ex->groups[0] = 10, ex->groups[1] = 20;
	strcpy(ex->cwd, "/root");
	ex->flags = HUTCH_EXEC_AS_PID2 | HUTCH_EXEC_CONSOLE;
}
#define mk_exec() mk(HUTCH_MSG_EXEC, ex, sizeof *ex)

static size_t mk_reply(int32_t error, const char *what)
{
	struct hutch_reply r;
	memset(&r, 0, sizeof r);
	r.error = error;
	if (what)
		strcpy(r.what, what);
	return mk(HUTCH_MSG_REPLY, &r, sizeof r);
}

/* ---- header ------------------------------------------------------------ */

Test(proto, valid_each_type)
{
	struct hutch_create c;
	fill_create(&c);
	ACCEPTED(dec(mk_root("/var/lib/machines/demo"), 0));
	cr_assert_str_eq(msg->u.open_root.path, "/var/lib/machines/demo");
	ACCEPTED(dec(mk_u32(HUTCH_MSG_OPEN_FILE, HUTCH_FILE_PASSWD), 0));
	cr_assert_eq(msg->u.open_file.which, HUTCH_FILE_PASSWD);
	ACCEPTED(dec(mk_create(&c), 0));
	cr_assert_str_eq(msg->u.create.hostname, "demo-host");
	ACCEPTED(dec(mk_u32(HUTCH_MSG_MOUNT_API, HUTCH_API_DEV), 0));
	struct hutch_open_console oc = {24, 80};
	ACCEPTED(dec(mk(HUTCH_MSG_OPEN_CONSOLE, &oc, sizeof oc), 0));
	cr_assert_eq(msg->u.open_console.cols, 80);
	ACCEPTED(dec(mk_u32(HUTCH_MSG_PIVOT, 0), 0));
	fill_exec();
	ACCEPTED(dec(mk_exec(), 0));
	cr_assert_eq(msg->hdr.type, HUTCH_MSG_EXEC);
	cr_assert_eq(msg->u.exec.argc, 3);
	cr_assert_eq(msg->nfds, 0);
}

Test(proto, truncated_header)
{
	mk_u32(HUTCH_MSG_OPEN_FILE, HUTCH_FILE_GROUP);
	for (size_t len = 0; len < HDR_LEN; len++)
		REFUSED(dec(len, 0));
}

Test(proto, truncated_body)
{
	fill_exec();
	REC_REFUSED(mk_root("/srv"), n_--);                           /* hdr.len full */
	REC_REFUSED(mk_root("/srv"), n_--; hdr()->len--);             /* both short */
	REC_REFUSED(mk_u32(HUTCH_MSG_OPEN_FILE, 1), n_ = hdr()->len = HDR_LEN);
	REC_REFUSED(mk_reply(0, NULL), n_ -= 4; hdr()->len -= 4);
	REC_REFUSED(mk_exec(), n_ -= 1; hdr()->len -= 1);
}

Test(proto, oversized_record)
{
	REC_REFUSED(mk_u32(HUTCH_MSG_OPEN_FILE, 1), n_++);            /* hdr.len exact */
	REC_REFUSED(mk_u32(HUTCH_MSG_OPEN_FILE, 1), n_ += 4; hdr()->len += 4);
	fill_exec();
	REC_REFUSED(mk_exec(), n_++; hdr()->len++);
	REC_REFUSED(mk_exec(), n_ = REC_CAP; hdr()->len = REC_CAP);
}

Test(proto, wrong_version)
{
	FOR_U32(v, 0, HUTCH_PROTO_VERSION + 1, 0x01000000, 0xffffffff)
		REC_REFUSED(mk_u32(HUTCH_MSG_PIVOT, 0), hdr()->version = v);
}

Test(proto, header_flags_nonzero)
{
	FOR_U32(f, 1, 2, 0x80000000, 0xffffffff)
		REC_REFUSED(mk_u32(HUTCH_MSG_MOUNT_API, HUTCH_API_PROC), hdr()->flags = f);
}

Test(proto, header_len_mismatch)
{
	FOR_U32(l, 0, 1, HDR_LEN, HDR_LEN + HUTCH_PATH_MAX - 1, HDR_LEN + HUTCH_PATH_MAX + 1,
		0x7fffffff, 0xffffffff)
		REC_REFUSED(mk_root("/srv"), hdr()->len = l);
}

Test(proto, unknown_types)
{
	FOR_U32(t, HUTCH_MSG_NONE, HUTCH_MSG_TYPE_MAX, HUTCH_MSG_TYPE_MAX + 1, 0x7fffffff,
		0xffffffff) {
		uint32_t b[2] = {0, 0};
		for (size_t blen = 0; blen <= sizeof b; blen += 4)
			REFUSED(dec(mk(t, b, blen), 0));
		cr_assert_eq(hutch_body_size(t), 0);
		cr_assert_eq(hutch_msg_fds(t), 0);
		cr_assert_str_eq(hutch_msg_name(t), "UNKNOWN");
	}
}

Test(proto, shape_tables)
{
	cr_assert_eq(hutch_reply_fds(HUTCH_MSG_OPEN_FILE), 1);
	cr_assert_eq(hutch_reply_fds(HUTCH_MSG_OPEN_CONSOLE), 1);
	cr_assert_eq(hutch_reply_fds(HUTCH_MSG_OPEN_ROOT), 0);
	cr_assert_eq(hutch_reply_fds(HUTCH_MSG_EXEC), 0);
	cr_assert_eq(hutch_reply_fds(HUTCH_MSG_OPEN_HOST_FILE), 1);
	/* Content travels as a sealed memfd with these two only. */
	cr_assert_eq(hutch_msg_fds(HUTCH_MSG_WRITE_FILE), 1);
	cr_assert_eq(hutch_msg_fds(HUTCH_MSG_CREDENTIAL), 1);
	cr_assert_eq(hutch_msg_fds(HUTCH_MSG_USERDB_RECORD), 1);
	for (uint32_t t = 1; t < HUTCH_MSG_TYPE_MAX; t++) {
		if (t != HUTCH_MSG_WRITE_FILE && t != HUTCH_MSG_CREDENTIAL &&
		    t != HUTCH_MSG_USERDB_RECORD)
			cr_assert_eq(hutch_msg_fds(t), 0, "type %u declares fds", t);
		cr_assert_gt(hutch_body_size(t), 0);
		cr_assert(HDR_LEN + hutch_body_size(t) <= HUTCH_MSG_MAX_RECORD);
	}
}

/* ---- REPLY --------------------------------------------------------------- */

Test(proto, reply_decodes_as_message)
{
	/* Decode accepts a REPLY in either direction; permit_check refuses it as
	 * a request (tests/unit/test_permit.c). */
	ACCEPTED(dec(mk_reply(0, NULL), 0));
	cr_assert_eq(msg->hdr.type, HUTCH_MSG_REPLY);
	ACCEPTED(dec(mk_reply(-ENOENT, "/etc/os-release"), 0));
	cr_assert_eq(msg->u.reply.error, -ENOENT);
	cr_assert_str_eq(msg->u.reply.what, "/etc/os-release");
	ACCEPTED(dec(mk_reply(-4095, ""), 0));
	ACCEPTED(dec(mk_reply(0, NULL), 1)); /* caller checks the reply fd count */
	REFUSED(dec(mk_reply(0, NULL), 2));
}

Test(proto, reply_bad_values)
{
	FOR_U32(e, 1, EPERM, INT32_MAX, (uint32_t)-4096, (uint32_t)INT32_MIN)
		REFUSED(dec(mk_reply((int32_t)e, NULL), 0));
	const size_t what = offsetof(struct hutch_reply, what);
	REC_REFUSED(mk_reply(0, NULL), memset(body() + what, 'w', HUTCH_WHAT_MAX));
	REC_REFUSED(mk_reply(0, "chdir"), body()[what + HUTCH_WHAT_MAX - 1] = 'x');
	REC_REFUSED(mk_reply(0, "chdir"), body()[what + 6] = 'x');
	size_t n = mk_reply(-EIO, NULL);
	memset(body() + what, 'w', HUTCH_WHAT_MAX - 1); /* full is fine */
	ACCEPTED(dec(n, 0));
}

/* ---- strings --------------------------------------------------------------- */

Test(proto, check_string)
{
	REFUSED(hutch_check_string("aaaaaaaa", 8, 1));         /* no NUL */
	REFUSED(hutch_check_string("abc\0x\0\0", 8, 1));       /* byte after NUL */
	REFUSED(hutch_check_string("abc\0\0\0\0\1", 8, 1));    /* last byte smuggled */
	REFUSED(hutch_check_string("\0\0\0\0\0\0\0", 8, 0));   /* empty, not allowed */
	REFUSED(hutch_check_string("\0\0\0\0\0\0\0\1", 8, 1));
	REFUSED(hutch_check_string("", 0, 1));                 /* no room at all */
	cr_assert_eq(hutch_check_string("\0\0\0\0\0\0\0", 8, 1), 0);
	cr_assert_eq(hutch_check_string("abcdefg", 8, 0), 0);  /* exactly full */
	cr_assert_eq(hutch_check_string("ab\0\0\0\0\0", 8, 0), 0);
}

Test(proto, open_root_strings)
{
	REC_REFUSED(mk_root("/"), memset(body(), 'a', HUTCH_PATH_MAX));   /* no NUL */
	REC_REFUSED(mk_root("/srv"), strcpy(body() + 5, "/../../etc"));   /* smuggled */
	REC_REFUSED(mk_root("/srv"), body()[HUTCH_PATH_MAX - 1] = 'x');
	REFUSED(dec(mk_root(""), 0));
	REFUSED(dec(mk_root("srv/machines"), 0));
	REFUSED(dec(mk_root("./srv"), 0));
	REFUSED(dec(mk_root("../x"), 0));
	ACCEPTED(dec(mk_root("/"), 0));
}

/* ---- enums ------------------------------------------------------------------ */

Test(proto, open_file_which)
{
	FOR_U32(w, 0, HUTCH_FILE_MAX, HUTCH_FILE_MAX + 1, 0x80000000, 0xffffffff)
		REFUSED(dec(mk_u32(HUTCH_MSG_OPEN_FILE, w), 0));
	for (uint32_t w = 1; w < HUTCH_FILE_MAX; w++)
		ACCEPTED(dec(mk_u32(HUTCH_MSG_OPEN_FILE, w), 0));
}

static size_t mk_settings(uint32_t where, const char *name)
{
	struct hutch_open_settings o;
	memset(&o, 0, sizeof o);
	o.where = where;
	memcpy(o.name, name, strlen(name));
	return mk(HUTCH_MSG_OPEN_SETTINGS, &o, sizeof o);
}

Test(proto, open_settings)
{
	for (uint32_t w = 1; w < HUTCH_SETTINGS_MAX; w++)
		ACCEPTED(dec(mk_settings(w, "web-1.example"), 0));
	ACCEPTED(dec(mk_settings(HUTCH_SETTINGS_ETC_PROFILE, "strict"), 0));
	cr_assert_eq(msg->u.open_settings.where, HUTCH_SETTINGS_ETC_PROFILE);
	cr_assert_str_eq(msg->u.open_settings.name, "strict");
	cr_assert_eq(hutch_reply_fds(HUTCH_MSG_OPEN_SETTINGS), 1);
	cr_assert_eq(hutch_msg_fds(HUTCH_MSG_OPEN_SETTINGS), 0);
	FOR_U32(w, 0, HUTCH_SETTINGS_MAX, HUTCH_SETTINGS_MAX + 1, 0xffffffff)
		REFUSED(dec(mk_settings(w, "x"), 0));
	/* Names that could leave the directory, or are not names at all. */
	static const char *const bad[] = {"", ".", "..", "../x", "a/b", "/etc", "-x", ".hidden",
					  "a b", "a\\b"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		REFUSED(dec(mk_settings(HUTCH_SETTINGS_ETC_NSPAWN, bad[i]), 0));
	/* 65 characters do not fit a name. */
	char longname[HUTCH_NAME_MAX + 1];
	memset(longname, 'a', HUTCH_NAME_MAX);
	longname[HUTCH_NAME_MAX] = '\0';
	ACCEPTED(dec(mk_settings(HUTCH_SETTINGS_ETC_NSPAWN, longname), 0));
	REC_REFUSED(mk_settings(HUTCH_SETTINGS_ETC_NSPAWN, longname),
		    body()[4 + HUTCH_NAME_MAX] = 'a');
	/* Bytes after the terminator, in the padding, a carried fd. */
	REC_REFUSED(mk_settings(HUTCH_SETTINGS_ETC_NSPAWN, "ab"), body()[4 + 3] = 'c');
	REC_REFUSED(mk_settings(HUTCH_SETTINGS_ETC_NSPAWN, "ab"),
		    body()[sizeof(struct hutch_open_settings) - 1] = 1);
	size_t n = mk_settings(HUTCH_SETTINGS_ETC_NSPAWN, "ab");
	REFUSED(dec(n, 1));
	REFUSED(dec(n - 1, 0));
}

Test(proto, mount_api_kind)
{
	FOR_U32(k, 0, HUTCH_API_MAX, HUTCH_API_MAX + 1, 32, 0xffffffff)
		REFUSED(dec(mk_u32(HUTCH_MSG_MOUNT_API, k), 0));
	for (uint32_t k = 1; k < HUTCH_API_MAX; k++)
		ACCEPTED(dec(mk_u32(HUTCH_MSG_MOUNT_API, k), 0));
}

Test(proto, pivot_reserved)
{
	FOR_U32(v, 1, 0x80000000)
		REFUSED(dec(mk_u32(HUTCH_MSG_PIVOT, v), 0));
}

/* ---- CHECK_POLICY ----------------------------------------------------------- */

Test(proto, check_policy_user)
{
	struct hutch_check_policy cp;
	memset(&cp, 0, sizeof cp);
	ACCEPTED(dec(mk(HUTCH_MSG_CHECK_POLICY, &cp, sizeof cp), 0)); /* "": the caller */
	strcpy(cp.user, "alice");
	ACCEPTED(dec(mk(HUTCH_MSG_CHECK_POLICY, &cp, sizeof cp), 0));
	cr_assert_str_eq(msg->u.check_policy.user, "alice");
	cp.user[7] = 'x'; /* a byte after the terminator */
	REFUSED(dec(mk(HUTCH_MSG_CHECK_POLICY, &cp, sizeof cp), 0));
	memset(&cp, 'a', sizeof cp.user); /* not terminated */
	memset(cp.pad, 0, sizeof cp.pad);
	REFUSED(dec(mk(HUTCH_MSG_CHECK_POLICY, &cp, sizeof cp), 0));
	memset(&cp, 0, sizeof cp);
	cp.pad[2] = 1;
	REFUSED(dec(mk(HUTCH_MSG_CHECK_POLICY, &cp, sizeof cp), 0));
	memset(&cp, 0, sizeof cp);
	REFUSED(dec(mk(HUTCH_MSG_CHECK_POLICY, &cp, sizeof cp - 1), 0));
	REFUSED(dec(mk(HUTCH_MSG_CHECK_POLICY, &cp, sizeof cp), 1));
}

/* ---- CREATE --------------------------------------------------------------- */

static struct hutch_create cr;
/* Start from a valid CREATE, apply one change, expect refusal/acceptance. */
#define CREATE_REFUSED(change) do { fill_create(&cr); change; REFUSED(dec(mk_create(&cr), 0)); } while (0)
#define CREATE_OK(change) do { fill_create(&cr); change; ACCEPTED(dec(mk_create(&cr), 0)); } while (0)

Test(proto, create_kill_signal)
{
	FOR_U32(sig, 0, 65, SIGSTOP, 0x80000000, 0xffffffff)
		CREATE_REFUSED(cr.kill_signal = sig);
	FOR_U32(sig, 1, SIGKILL, SIGTERM, 37, 64)
		CREATE_OK(cr.kill_signal = sig);
}

Test(proto, create_flags_and_pad)
{
	CREATE_OK(cr.flags = HUTCH_CREATE_FLAGS_ALL);
	CREATE_REFUSED(cr.flags = HUTCH_CREATE_FLAGS_ALL + 1); /* first unknown bit */
	CREATE_REFUSED(cr.flags = 0x80000000);
	CREATE_REFUSED(cr.pad[0] = 1);
	CREATE_REFUSED(cr.pad[1] = 0x80);
}

Test(proto, create_names)
{
	CREATE_REFUSED(memset(cr.machine, 0, sizeof cr.machine));     /* empty */
	CREATE_REFUSED(memset(cr.hostname, 0, sizeof cr.hostname));
	CREATE_REFUSED(memset(cr.machine, 'm', sizeof cr.machine));   /* no NUL */
	CREATE_REFUSED(memset(cr.hostname, 'h', sizeof cr.hostname));
	CREATE_REFUSED(cr.machine[sizeof cr.machine - 1] = 'x');      /* after NUL */
	CREATE_REFUSED(strcpy(cr.hostname + 10, "evil"));
	CREATE_OK(memset(cr.machine, 'm', HUTCH_NAME_MAX));           /* 64 + NUL */
}

/* ---- EXEC ------------------------------------------------------------------ */

/* fill_exec(): "/bin/sh\0-c\0true\0A=1\0\0", argc 3, envc 2, groups {10,20}. */
#define EXEC_REFUSED(change) do { fill_exec(); change; REFUSED(dec(mk_exec(), 0)); } while (0)
#define EXEC_OK(change) do { fill_exec(); change; ACCEPTED(dec(mk_exec(), 0)); } while (0)

Test(proto, exec_argc)
{
	EXEC_REFUSED(ex->argc = 0; ex->envc = 5);  /* NUL count still matches */
	EXEC_REFUSED(ex->argc = 4097);
	EXEC_REFUSED(ex->envc = 4097);
	EXEC_REFUSED(ex->argc = 0xffffffff; ex->envc = 6); /* sum wraps to 5 */
	EXEC_REFUSED(ex->argc = 5; ex->envc = 0xffffffff);
	/* "x" + 4096 empty strings: the NUL count matches, only the limit bites */
	EXEC_OK(memset(ex->strings, 0, 8192); ex->strings[0] = 'x';
		ex->argc = 4096; ex->envc = 1; ex->strings_len = 4098);
	EXEC_REFUSED(memset(ex->strings, 0, 8192); ex->strings[0] = 'x';
		     ex->argc = 4097; ex->envc = 0; ex->strings_len = 4098);
	EXEC_REFUSED(memset(ex->strings, 0, 8192); ex->strings[0] = 'x';
		     ex->argc = 1; ex->envc = 4097; ex->strings_len = 4099);
}

Test(proto, exec_strings_len)
{
	EXEC_REFUSED(ex->strings_len = 0);
	EXEC_REFUSED(ex->strings_len = HUTCH_EXEC_STRINGS_MAX + 1);
	EXEC_REFUSED(ex->strings_len = 0xffffffff);
	EXEC_REFUSED(ex->strings_len -= 1);  /* last (empty) env string outside */
	EXEC_REFUSED(ex->strings_len += 1);  /* one trailing zero counted */
	EXEC_OK(ex->strings_len = 21);       /* the true length */
}

Test(proto, exec_not_terminated)
{
	EXEC_REFUSED(ex->strings[ex->strings_len - 1] = 'x');
	/* "a\0b": one NUL for argc 1, but a trailing unterminated "b" */
	EXEC_REFUSED(memset(ex->strings, 0, 64); memcpy(ex->strings, "a\0b", 3);
		     ex->argc = 1; ex->envc = 0; ex->strings_len = 3);
	EXEC_REFUSED(memset(ex->strings, 'a', sizeof ex->strings);
		     ex->strings_len = HUTCH_EXEC_STRINGS_MAX; ex->argc = 1; ex->envc = 0);
}

Test(proto, exec_bytes_after_strings)
{
	EXEC_REFUSED(ex->strings[ex->strings_len] = 'x');
	EXEC_REFUSED(ex->strings[HUTCH_EXEC_STRINGS_MAX - 1] = 1);
	EXEC_REFUSED(strcpy(ex->strings + ex->strings_len + 1, "LD_PRELOAD=/x.so"));
}

Test(proto, exec_nul_count)
{
	EXEC_REFUSED(ex->argc += 1);
	EXEC_REFUSED(ex->envc -= 1);           /* a smuggled last env string */
	EXEC_REFUSED(ex->envc += 1);
	EXEC_REFUSED(ex->strings[1] = '\0');   /* "/\0in/sh": one NUL too many */
}

Test(proto, exec_empty_argv0)
{
	char *argv[] = {"", "x", NULL};
	EXEC_REFUSED(cr_assert_eq(hutch_exec_pack(ex, argv, NULL), 0));
}

Test(proto, exec_groups)
{
	EXEC_OK(ex->ngroups = HUTCH_MAX_GROUPS;
		for (int i = 0; i < HUTCH_MAX_GROUPS; i++) ex->groups[i] = (uint32_t)i + 1);
	EXEC_REFUSED(ex->ngroups = HUTCH_MAX_GROUPS + 1);
	EXEC_REFUSED(ex->ngroups = 0xffffffff);
	EXEC_REFUSED(ex->ngroups = 0x40000000);  /* ngroups * 4 wraps to 0 */
	EXEC_REFUSED(ex->groups[2] = 5);         /* ngroups == 2 */
	EXEC_REFUSED(ex->groups[HUTCH_MAX_GROUPS - 1] = 1);
	EXEC_REFUSED(ex->ngroups = 0);           /* groups[0..1] still set */
	EXEC_OK(ex->ngroups = 0; memset(ex->groups, 0, sizeof ex->groups));
}

Test(proto, exec_cwd)
{
	EXEC_REFUSED(strcpy(ex->cwd, "root"));
	EXEC_REFUSED(memset(ex->cwd, 0, sizeof ex->cwd));
	EXEC_REFUSED(memset(ex->cwd, '/', sizeof ex->cwd));
	EXEC_REFUSED(ex->cwd[HUTCH_PATH_MAX - 1] = 'a');
	EXEC_REFUSED(strcpy(ex->cwd, "/"));  /* "oot" of "/root" after the NUL */
	EXEC_OK(memset(ex->cwd, 0, sizeof ex->cwd); strcpy(ex->cwd, "/"));
}

Test(proto, exec_flags_and_ids)
{
	EXEC_OK(ex->flags = HUTCH_EXEC_FLAGS_ALL);
	EXEC_REFUSED(ex->flags = HUTCH_EXEC_FLAGS_ALL + 1);
	EXEC_REFUSED(ex->flags = 0x80000000);
	EXEC_REFUSED(ex->uid = (uint32_t)-1);
	EXEC_REFUSED(ex->gid = (uint32_t)-1);
	EXEC_OK(ex->uid = 0; ex->gid = 0);
}

/* ---- exec pack/unpack -------------------------------------------------- */

Test(proto, exec_pack_roundtrip)
{
	char *argv[] = {"/usr/bin/env", "", "--", "x y", NULL};
	char *envp[] = {"", "A=", "", "PATH=/bin", "", NULL};
	char *av[5], *ev[6];
	fill_exec();
	cr_assert_eq(hutch_exec_pack(ex, argv, envp), 0);
	cr_assert(ex->argc == 4 && ex->envc == 5);
	ACCEPTED(dec(mk_exec(), 0));
	hutch_exec_unpack(&msg->u.exec, av, ev);
	for (int i = 0; i < 5; i++) {
		if (i < 4)
			cr_assert_str_eq(av[i], argv[i]);
		cr_assert_str_eq(ev[i], envp[i]);
		cr_assert(ev[i] > msg->u.exec.strings &&
			  ev[i] < msg->u.exec.strings + msg->u.exec.strings_len);
	}
	cr_assert(av[4] == NULL && ev[5] == NULL);
	/* no env at all */
	char *init[] = {"/sbin/init", NULL};
	cr_assert_eq(hutch_exec_pack(ex, init, NULL), 0);
	cr_assert(ex->envc == 0 && ex->strings_len == sizeof "/sbin/init");
	ACCEPTED(dec(mk_exec(), 0));
	hutch_exec_unpack(&msg->u.exec, av, ev);
	cr_assert_str_eq(av[0], "/sbin/init");
	cr_assert(av[1] == NULL && ev[0] == NULL);
}

Test(proto, exec_pack_refuses)
{
	char *none[] = {NULL}, *envp[] = {"A=1", NULL}, *empty_env[] = {"", NULL};
	fill_exec();
	cr_assert_lt(hutch_exec_pack(ex, none, envp), 0);
	cr_assert_lt(hutch_exec_pack(ex, NULL, NULL), 0);

	char *big = calloc(1, HUTCH_EXEC_STRINGS_MAX + 1), *argv1[] = {big, NULL};
	memset(big, 'a', HUTCH_EXEC_STRINGS_MAX);    /* needs MAX+1 bytes */
	cr_assert_eq(hutch_exec_pack(ex, argv1, NULL), -E2BIG);
	big[HUTCH_EXEC_STRINGS_MAX - 1] = '\0';      /* exactly fills the area */
	cr_assert_eq(hutch_exec_pack(ex, argv1, NULL), 0);
	cr_assert_eq(ex->strings_len, HUTCH_EXEC_STRINGS_MAX);
	ACCEPTED(dec(mk_exec(), 0));
	cr_assert_eq(hutch_exec_pack(ex, argv1, envp), -E2BIG); /* env overflows */
	cr_assert_eq(hutch_exec_pack(ex, argv1, empty_env), -E2BIG);
	big[HUTCH_EXEC_STRINGS_MAX - 2] = '\0';      /* room for one empty env */
	cr_assert_eq(hutch_exec_pack(ex, argv1, empty_env), 0);
	cr_assert_eq(ex->envc, 1);
	ACCEPTED(dec(mk_exec(), 0));
	free(big);
}

/* ---- socketpair round trips ------------------------------------------- */

static int sv[2];

static void pair(void)
{
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	cr_assert_not_null(d);
	for (; readdir(d); n++)
		;
	closedir(d);
	return n;
}

/* The number the next received fd would get (lowest free). */
static int next_fd(void)
{
	int fd = fcntl(sv[0], F_DUPFD, 0);
	cr_assert_geq(fd, 0);
	return close(fd), fd;
}

/* Raw sendmsg of rec[0..len) with `nfds` fds of /dev/null attached. */
static void raw_send(size_t len, unsigned nfds)
{
	int fds[4];
	for (unsigned i = 0; i < nfds; i++)
		cr_assert_geq(fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC), 0);
	union {
		char buf[CMSG_SPACE(sizeof fds)];
		struct cmsghdr align;
	} ctl = {{0}};
	struct iovec iov = {.iov_base = rec, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (nfds) {
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	cr_assert_eq(sendmsg(sv[1], &mh, MSG_NOSIGNAL), (ssize_t)len, "sendmsg: %s",
		     strerror(errno));
	for (unsigned i = 0; i < nfds; i++)
		close(fds[i]);
}

/* Receive, expect refusal, and check no fd was left behind. */
static void recv_refused(void)
{
	int expect = next_fd(), before = count_fds();
	cr_assert_lt(hutch_recv(sv[0], msg, &why), 0, "hutch_recv accepted");
	cr_assert_not_null(why);
	cr_assert_eq(count_fds(), before, "received fd leaked");
	errno = 0;
	cr_assert_eq(fcntl(expect, F_GETFD), -1, "fd %d left open", expect);
	cr_assert_eq(errno, EBADF);
}

static void send_refused(size_t len, unsigned nfds)
{
	raw_send(len, nfds);
	recv_refused();
}

Test(proto, recv_valid_roundtrip)
{
	pair();
	struct hutch_open_root r = {.path = "/var/lib/machines/x"};
	cr_assert_eq(hutch_send(sv[1], HUTCH_MSG_OPEN_ROOT, &r, NULL, 0), 0);
	cr_assert_eq(hutch_recv(sv[0], msg, &why), 1);
	cr_assert(msg->hdr.type == HUTCH_MSG_OPEN_ROOT && msg->hdr.len == HDR_LEN + sizeof r);
	cr_assert_str_eq(msg->u.open_root.path, "/var/lib/machines/x");
	cr_assert_eq(msg->nfds, 0);
	fill_exec();
	cr_assert_eq(hutch_send(sv[1], HUTCH_MSG_EXEC, ex, NULL, 0), 0);
	cr_assert_eq(hutch_recv(sv[0], msg, &why), 1);
	cr_assert_eq(memcmp(&msg->u.exec, ex, sizeof *ex), 0);
	char *av[4], *ev[3];
	hutch_exec_unpack(&msg->u.exec, av, ev);
	cr_assert_str_eq(av[2], "true");
	cr_assert(ev[1][0] == '\0' && ev[2] == NULL);
}

Test(proto, recv_undeclared_fd_closed)
{
	pair();
	uint32_t which = HUTCH_FILE_PASSWD;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	cr_assert_eq(hutch_send(sv[1], HUTCH_MSG_OPEN_FILE, &which, &fd, 1), 0);
	close(fd);
	recv_refused();
	/* every request type declares 0 fds */
	fill_exec();
	send_refused(mk_exec(), 1);
}

Test(proto, recv_two_fds_refused)
{
	pair();
	send_refused(mk_root("/srv"), 2);
	send_refused(mk_reply(0, NULL), 2);
	send_refused(mk_reply(0, NULL), 4);
}

Test(proto, recv_oversized_refused)
{
	pair();
	int sz = 4 * (int)REC_CAP;
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
	fill_exec();
	mk_exec();
	hdr()->len = (uint32_t)(HUTCH_MSG_MAX_RECORD + 100);
	send_refused(HUTCH_MSG_MAX_RECORD + 100, 0);
	send_refused(HUTCH_MSG_MAX_RECORD + 100, 1);
	hdr()->len = (uint32_t)(HUTCH_MSG_MAX_RECORD + 1);
	send_refused(HUTCH_MSG_MAX_RECORD + 1, 0);
	/* the socket is still usable afterwards: a valid record goes through */
	cr_assert_eq(hutch_send_reply(sv[1], 0, NULL, NULL, 0), 0);
	cr_assert_eq(hutch_recv(sv[0], msg, &why), 1);
}

Test(proto, recv_bad_header_refused)
{
	pair();
	size_t n = mk_u32(HUTCH_MSG_PIVOT, 0);
	hdr()->version = 2;
	send_refused(n, 0);
	send_refused(mk_u32(HUTCH_MSG_TYPE_MAX, 0), 1);
	send_refused(mk_u32(HUTCH_MSG_PIVOT, 0) - 1, 0);
	send_refused(3, 1); /* truncated header with an fd */
}

Test(proto, recv_other_cmsg_refused)
{
	pair();
	int on = 1;
	cr_assert_eq(setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &on, sizeof on), 0);
	cr_assert_eq(hutch_send(sv[1], HUTCH_MSG_PIVOT, &(struct hutch_pivot){0}, NULL, 0), 0);
	recv_refused();
}

Test(proto, recv_eof)
{
	pair();
	close(sv[1]);
	cr_assert_eq(hutch_recv(sv[0], msg, &why), 0);
}

Test(proto, recv_reply_with_fd)
{
	pair();
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	cr_assert_eq(hutch_send_reply(sv[1], 0, "", &fd, 1), 0);
	close(fd);
	int expect = next_fd();
	cr_assert_eq(hutch_recv(sv[0], msg, &why), 1);
	cr_assert(msg->hdr.type == HUTCH_MSG_REPLY && msg->u.reply.error == 0);
	cr_assert_eq(msg->nfds, 1);
	cr_assert_eq(msg->fds[0], expect); /* validates next_fd() for the refusals */
	cr_assert_eq(fcntl(msg->fds[0], F_GETFD), FD_CLOEXEC);
	close(msg->fds[0]);
	/* an error reply without fds */
	cr_assert_eq(hutch_send_reply(sv[1], -EACCES, "/dev/console", NULL, 0), 0);
	cr_assert_eq(hutch_recv(sv[0], msg, &why), 1);
	cr_assert(msg->u.reply.error == -EACCES && msg->nfds == 0);
	cr_assert_str_eq(msg->u.reply.what, "/dev/console");
	/* an over-long `what` is cut to fit, still a valid record */
	char longwhat[200] = {0};
	memset(longwhat, 'z', sizeof longwhat - 1);
	cr_assert_eq(hutch_send_reply(sv[1], -EIO, longwhat, NULL, 0), 0);
	cr_assert_eq(hutch_recv(sv[0], msg, &why), 1, "%s", why);
	cr_assert_eq(strlen(msg->u.reply.what), HUTCH_WHAT_MAX - 1);
}

Test(proto, send_refuses)
{
	pair();
	struct hutch_reply r = {0};
	int fds[2] = {sv[1], sv[1]};
	FOR_U32(t, HUTCH_MSG_NONE, HUTCH_MSG_TYPE_MAX, 0xffffffff)
		cr_assert_eq(hutch_send(sv[1], t, &r, NULL, 0), -EINVAL);
	cr_assert_eq(hutch_send(sv[1], HUTCH_MSG_REPLY, &r, fds, 2), -EINVAL);
	close(sv[0]);
	signal(SIGPIPE, SIG_DFL); /* a SIGPIPE (none on Linux seqpacket) = crash */
	cr_assert_eq(hutch_send(sv[1], HUTCH_MSG_REPLY, &r, NULL, 0), -EPIPE);
}

