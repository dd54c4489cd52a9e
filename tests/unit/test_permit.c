/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * broker/permit.c: the phase/order table. Messages are built directly (they
 * would have passed hutch_decode); permit_check/permit_commit are driven the
 * way the broker loop drives them: check, and commit only what was allowed.
 * Everything except the tests is static: all of tests/unit/ shares a binary.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../broker/permit.h"

static struct permit_state st;
static struct hutch_msg *pm;
static const char *why;

static void permit_setup(void)
{
	pm = calloc(1, sizeof *pm);
	cr_assert_not_null(pm);
	permit_init(&st);
}

static void permit_teardown(void)
{
	free(pm);
}

TestSuite(permit, .init = permit_setup, .fini = permit_teardown);

/* A decoded-looking message of `type`; `arg` is which/kind where it matters. */
static const struct hutch_msg *mkmsg(uint32_t type, uint32_t arg)
{
	memset(pm, 0, sizeof *pm);
	pm->hdr.version = HUTCH_PROTO_VERSION;
	pm->hdr.type = type;
	pm->hdr.len = (uint32_t)(sizeof pm->hdr + hutch_body_size(type));
	switch (type) {
	case HUTCH_MSG_OPEN_ROOT:
		strcpy(pm->u.open_root.path, "/srv/root");
		break;
	case HUTCH_MSG_OPEN_FILE:
		pm->u.open_file.which = arg ? arg : HUTCH_FILE_OS_RELEASE_ETC;
		break;
	case HUTCH_MSG_CGROUP:
		strcpy(pm->u.cgroup.slice, "machine.slice");
		break;
	case HUTCH_MSG_CREATE:
		pm->u.create.kill_signal = 15;
		strcpy(pm->u.create.machine, "m");
		strcpy(pm->u.create.hostname, "h");
		break;
	case HUTCH_MSG_MOUNT_API:
		pm->u.mount_api.kind = arg ? arg : HUTCH_API_PROC;
		break;
	case HUTCH_MSG_OPEN_SETTINGS:
		pm->u.open_settings.where = arg ? arg : HUTCH_SETTINGS_ETC_NSPAWN;
		strcpy(pm->u.open_settings.name, "m");
		break;
	case HUTCH_MSG_EXEC:
		pm->u.exec.argc = 1;
		pm->u.exec.strings_len = 2;
		pm->u.exec.strings[0] = 'x';
		strcpy(pm->u.exec.cwd, "/");
		break;
	default:
		break;
	}
	return pm;
}

static int check(uint32_t type, uint32_t arg)
{
	why = NULL;
	int r = permit_check(&st, mkmsg(type, arg), &why);
	if (r < 0) {
		cr_assert_eq(r, -EPERM);
		cr_assert_not_null(why, "refusal without a reason");
	}
	return r;
}

/* Must be allowed; then commit it like the broker would. */
static void step(uint32_t type, uint32_t arg)
{
	int r = check(type, arg);
	cr_assert_eq(r, 0, "%s (%u) refused: %s", hutch_msg_name(type), arg, why ? why : "?");
	permit_commit(&st, pm);
}

/* Must be refused, and a refusal leaves the state alone. */
static void refused(uint32_t type, uint32_t arg)
{
	struct permit_state before = st;
	int r = check(type, arg);
	cr_assert_lt(r, 0, "%s (%u) allowed in phase %d", hutch_msg_name(type), arg,
		     (int)st.phase);
	cr_assert_eq(memcmp(&before, &st, sizeof st), 0, "permit_check changed the state");
}

static void api(uint32_t kind)
{
	step(HUTCH_MSG_MOUNT_API, kind);
}

/* Convenience stages of the happy path. */
static void to_setup(void)
{
	step(HUTCH_MSG_OPEN_ROOT, 0);
	step(HUTCH_MSG_CGROUP, 0);
	step(HUTCH_MSG_CREATE, 0);
	cr_assert_eq(st.phase, PHASE_SETUP);
}

static void to_pivoted_from_root(void)
{
	step(HUTCH_MSG_CGROUP, 0);
	step(HUTCH_MSG_CREATE, 0);
	api(HUTCH_API_PROC);
	api(HUTCH_API_SYS);
	api(HUTCH_API_DEV);
	step(HUTCH_MSG_PIVOT, 0);
}

static void to_pivoted(void)
{
	to_setup();
	api(HUTCH_API_PROC);
	api(HUTCH_API_SYS);
	api(HUTCH_API_DEV);
	step(HUTCH_MSG_PIVOT, 0);
	cr_assert_eq(st.phase, PHASE_PIVOTED);
}

static void to_done(void)
{
	to_pivoted();
	step(HUTCH_MSG_EXEC, 0);
	cr_assert_eq(st.phase, PHASE_DONE);
}

/* Every request shape (type, arg) there is, including each enum value. */
static void refuse_everything(void)
{
	for (uint32_t t = 0; t <= HUTCH_MSG_TYPE_MAX; t++)
		refused(t, 0);
	refused(0xffffffff, 0);
	for (uint32_t w = 1; w < HUTCH_FILE_MAX; w++)
		refused(HUTCH_MSG_OPEN_FILE, w);
	for (uint32_t k = 1; k < HUTCH_API_MAX; k++)
		refused(HUTCH_MSG_MOUNT_API, k);
}

/* ---- allowed ------------------------------------------------------------ */

Test(permit, init_state)
{
	cr_assert_eq(st.phase, PHASE_PREPARE);
	cr_assert_eq(st.api_done, 0);
	for (uint32_t t = 0; t < HUTCH_MSG_TYPE_MAX; t++)
		cr_assert_eq(st.count[t], 0);
}

Test(permit, happy_path_full)
{
	step(HUTCH_MSG_OPEN_ROOT, 0);
	cr_assert_eq(st.phase, PHASE_PREPARE);
	for (uint32_t w = 1; w < HUTCH_FILE_MAX; w++)
		step(HUTCH_MSG_OPEN_FILE, w);
	step(HUTCH_MSG_OPEN_FILE, HUTCH_FILE_PASSWD); /* same file again is fine */
	step(HUTCH_MSG_CGROUP, 0);
	step(HUTCH_MSG_CREATE, 0);
	cr_assert_eq(st.phase, PHASE_SETUP);
	api(HUTCH_API_PROC);
	api(HUTCH_API_SYS);
	api(HUTCH_API_CGROUP);
	api(HUTCH_API_DEV);
	api(HUTCH_API_RUN);
	api(HUTCH_API_TMP);
	step(HUTCH_MSG_OPEN_CONSOLE, 0);
	step(HUTCH_MSG_PIVOT, 0);
	cr_assert_eq(st.phase, PHASE_PIVOTED);
	step(HUTCH_MSG_EXEC, 0);
	cr_assert_eq(st.phase, PHASE_DONE);
	cr_assert_eq(st.count[HUTCH_MSG_OPEN_FILE], HUTCH_FILE_MAX);
	cr_assert_eq(st.count[HUTCH_MSG_MOUNT_API], HUTCH_API_MAX - 1);
}

Test(permit, happy_path_minimal)
{
	to_done();
}

Test(permit, happy_path_other_orders)
{
	/* Only CGROUP-after-SYS is ordered; the rest may come in any order. */
	to_setup();
	api(HUTCH_API_TMP);
	api(HUTCH_API_DEV);
	step(HUTCH_MSG_OPEN_CONSOLE, 0);
	api(HUTCH_API_RUN);
	api(HUTCH_API_SYS);
	api(HUTCH_API_CGROUP);
	api(HUTCH_API_PROC);
	step(HUTCH_MSG_PIVOT, 0);
	step(HUTCH_MSG_EXEC, 0);
}

Test(permit, open_file_thirty_two)
{
	step(HUTCH_MSG_OPEN_ROOT, 0);
	for (int i = 0; i < 32; i++)
		step(HUTCH_MSG_OPEN_FILE, (uint32_t)(i % (HUTCH_FILE_MAX - 1)) + 1);
	for (uint32_t w = 1; w < HUTCH_FILE_MAX; w++)
		refused(HUTCH_MSG_OPEN_FILE, w);
	step(HUTCH_MSG_CGROUP, 0);
	step(HUTCH_MSG_CREATE, 0); /* the rest goes on */
}

Test(permit, check_is_pure)
{
	/* checking without committing never advances anything */
	step(HUTCH_MSG_OPEN_ROOT, 0);
	step(HUTCH_MSG_CGROUP, 0);
	struct permit_state before = st;
	for (int i = 0; i < 100; i++)
		cr_assert_eq(check(HUTCH_MSG_CREATE, 0), 0);
	cr_assert_eq(memcmp(&before, &st, sizeof st), 0);
}

/* ---- refused ----------------------------------------------------------- */

Test(permit, nothing_before_open_root)
{
	for (uint32_t t = 0; t <= HUTCH_MSG_TYPE_MAX; t++)
		if (t != HUTCH_MSG_OPEN_ROOT && t != HUTCH_MSG_OPEN_IMAGE && t != HUTCH_MSG_CHECK_POLICY &&
		    t != HUTCH_MSG_OPEN_SETTINGS)
			refused(t, 0);
	/* The file next to the root needs the root; profiles and the admin's
	 * .nspawn files do not (hutch --show-profile opens no root). */
	refused(HUTCH_MSG_OPEN_SETTINGS, HUTCH_SETTINGS_BESIDE_ROOT);
	for (uint32_t w = 1; w < HUTCH_FILE_MAX; w++)
		refused(HUTCH_MSG_OPEN_FILE, w);
	for (uint32_t k = 1; k < HUTCH_API_MAX; k++)
		refused(HUTCH_MSG_MOUNT_API, k);
	step(HUTCH_MSG_OPEN_ROOT, 0);
}

/* --check-policy needs no root, and comes once, before the container. */
Test(permit, check_policy_once_before_create)
{
	step(HUTCH_MSG_CHECK_POLICY, 0);
	refused(HUTCH_MSG_CHECK_POLICY, 0);
	step(HUTCH_MSG_OPEN_ROOT, 0);
	step(HUTCH_MSG_CGROUP, 0);
	step(HUTCH_MSG_CREATE, 0);
	permit_init(&st);
	step(HUTCH_MSG_OPEN_ROOT, 0);
	step(HUTCH_MSG_CGROUP, 0);
	step(HUTCH_MSG_CREATE, 0);
	refused(HUTCH_MSG_CHECK_POLICY, 0);
}

Test(permit, open_root_twice)
{
	step(HUTCH_MSG_OPEN_ROOT, 0);
	refused(HUTCH_MSG_OPEN_ROOT, 0);
	step(HUTCH_MSG_OPEN_FILE, 0);
	refused(HUTCH_MSG_OPEN_ROOT, 0);
	step(HUTCH_MSG_CGROUP, 0);
	step(HUTCH_MSG_CREATE, 0);
	refused(HUTCH_MSG_OPEN_ROOT, 0);
}

Test(permit, open_root_after_pivot)
{
	to_pivoted();
	refused(HUTCH_MSG_OPEN_ROOT, 0);
}

Test(permit, create_twice)
{
	to_setup();
	refused(HUTCH_MSG_CREATE, 0);
	api(HUTCH_API_PROC);
	refused(HUTCH_MSG_CREATE, 0);
}

Test(permit, open_file_after_create)
{
	to_setup();
	for (uint32_t w = 1; w < HUTCH_FILE_MAX; w++)
		refused(HUTCH_MSG_OPEN_FILE, w);
	api(HUTCH_API_PROC);
	api(HUTCH_API_SYS);
	api(HUTCH_API_DEV);
	step(HUTCH_MSG_PIVOT, 0);
	refused(HUTCH_MSG_OPEN_FILE, 0);
}

Test(permit, mount_api_in_prepare)
{
	step(HUTCH_MSG_OPEN_ROOT, 0);
	for (uint32_t k = 1; k < HUTCH_API_MAX; k++)
		refused(HUTCH_MSG_MOUNT_API, k);
	step(HUTCH_MSG_OPEN_FILE, 0);
	for (uint32_t k = 1; k < HUTCH_API_MAX; k++)
		refused(HUTCH_MSG_MOUNT_API, k);
}

Test(permit, same_api_twice)
{
	to_setup();
	api(HUTCH_API_SYS); /* so CGROUP is in order */
	refused(HUTCH_MSG_MOUNT_API, HUTCH_API_SYS);
	for (uint32_t k = 1; k < HUTCH_API_MAX; k++) {
		if (k == HUTCH_API_SYS)
			continue;
		api(k);
		refused(HUTCH_MSG_MOUNT_API, k);
	}
	for (uint32_t k = 1; k < HUTCH_API_MAX; k++)
		refused(HUTCH_MSG_MOUNT_API, k);
}

Test(permit, cgroup_before_sys)
{
	to_setup();
	refused(HUTCH_MSG_MOUNT_API, HUTCH_API_CGROUP);
	api(HUTCH_API_PROC);
	api(HUTCH_API_DEV);
	api(HUTCH_API_RUN);
	api(HUTCH_API_TMP);
	refused(HUTCH_MSG_MOUNT_API, HUTCH_API_CGROUP);
	api(HUTCH_API_SYS);
	api(HUTCH_API_CGROUP);
}

Test(permit, console_before_dev)
{
	to_setup();
	refused(HUTCH_MSG_OPEN_CONSOLE, 0);
	api(HUTCH_API_PROC);
	api(HUTCH_API_SYS);
	api(HUTCH_API_RUN);
	refused(HUTCH_MSG_OPEN_CONSOLE, 0);
	api(HUTCH_API_DEV);
	step(HUTCH_MSG_OPEN_CONSOLE, 0);
	refused(HUTCH_MSG_OPEN_CONSOLE, 0); /* once */
}

Test(permit, console_after_pivot)
{
	to_pivoted();
	refused(HUTCH_MSG_OPEN_CONSOLE, 0);
}

Test(permit, pivot_needs_proc_sys_dev)
{
	static const uint32_t need[] = {HUTCH_API_PROC, HUTCH_API_SYS, HUTCH_API_DEV};
	for (size_t miss = 0; miss < 3; miss++) {
		permit_init(&st);
		to_setup();
		refused(HUTCH_MSG_PIVOT, 0);
		/* everything else, optional ones included */
		api(HUTCH_API_RUN);
		api(HUTCH_API_TMP);
		for (size_t i = 0; i < 3; i++) {
			if (i != miss)
				api(need[i]);
			refused(HUTCH_MSG_PIVOT, 0);
		}
		if (need[miss] != HUTCH_API_SYS)
			api(HUTCH_API_CGROUP);
		if (need[miss] != HUTCH_API_DEV)
			step(HUTCH_MSG_OPEN_CONSOLE, 0);
		refused(HUTCH_MSG_PIVOT, 0);
		api(need[miss]);
		step(HUTCH_MSG_PIVOT, 0);
	}
}

Test(permit, pivot_twice)
{
	to_pivoted();
	refused(HUTCH_MSG_PIVOT, 0);
}

Test(permit, mount_after_pivot)
{
	to_pivoted();
	for (uint32_t k = 1; k < HUTCH_API_MAX; k++)
		if (k != HUTCH_API_PROC && k != HUTCH_API_SYS && k != HUTCH_API_DEV)
			refused(HUTCH_MSG_MOUNT_API, k);
}

Test(permit, exec_before_pivot)
{
	refused(HUTCH_MSG_EXEC, 0);
	step(HUTCH_MSG_OPEN_ROOT, 0);
	refused(HUTCH_MSG_EXEC, 0);
	step(HUTCH_MSG_CGROUP, 0);
	step(HUTCH_MSG_CREATE, 0);
	refused(HUTCH_MSG_EXEC, 0);
	api(HUTCH_API_PROC);
	api(HUTCH_API_SYS);
	api(HUTCH_API_CGROUP);
	api(HUTCH_API_DEV);
	api(HUTCH_API_RUN);
	api(HUTCH_API_TMP);
	step(HUTCH_MSG_OPEN_CONSOLE, 0);
	refused(HUTCH_MSG_EXEC, 0);
	step(HUTCH_MSG_PIVOT, 0);
	step(HUTCH_MSG_EXEC, 0);
}

Test(permit, only_seccomp_process_and_exec_after_pivot)
{
	to_pivoted();
	for (uint32_t t = 0; t <= HUTCH_MSG_TYPE_MAX; t++)
		if (t != HUTCH_MSG_EXEC && t != HUTCH_MSG_SECCOMP && t != HUTCH_MSG_PROCESS)
			refused(t, 0);
	for (uint32_t k = 1; k < HUTCH_API_MAX; k++)
		refused(HUTCH_MSG_MOUNT_API, k);
	step(HUTCH_MSG_SECCOMP, 0);
	refused(HUTCH_MSG_SECCOMP, 0); /* once only */
	step(HUTCH_MSG_EXEC, 0);
}

Test(permit, seccomp_not_before_create)
{
	step(HUTCH_MSG_OPEN_ROOT, 0);
	refused(HUTCH_MSG_SECCOMP, 0);
}

Test(permit, nothing_after_exec)
{
	to_done();
	refuse_everything();
}

Test(permit, nothing_after_full_exec)
{
	step(HUTCH_MSG_OPEN_ROOT, 0);
	step(HUTCH_MSG_CGROUP, 0);
	step(HUTCH_MSG_CREATE, 0);
	api(HUTCH_API_RUN);
	api(HUTCH_API_SYS);
	api(HUTCH_API_CGROUP);
	api(HUTCH_API_TMP);
	api(HUTCH_API_DEV);
	api(HUTCH_API_PROC);
	step(HUTCH_MSG_OPEN_CONSOLE, 0);
	step(HUTCH_MSG_PIVOT, 0);
	step(HUTCH_MSG_EXEC, 0);
	refuse_everything();
}

Test(permit, reply_as_request)
{
	refused(HUTCH_MSG_REPLY, 0);
	step(HUTCH_MSG_OPEN_ROOT, 0);
	refused(HUTCH_MSG_REPLY, 0);
	step(HUTCH_MSG_CGROUP, 0);
	step(HUTCH_MSG_CREATE, 0);
	refused(HUTCH_MSG_REPLY, 0);
	api(HUTCH_API_PROC);
	api(HUTCH_API_SYS);
	api(HUTCH_API_DEV);
	refused(HUTCH_MSG_REPLY, 0);
	step(HUTCH_MSG_PIVOT, 0);
	refused(HUTCH_MSG_REPLY, 0);
	step(HUTCH_MSG_EXEC, 0);
	refused(HUTCH_MSG_REPLY, 0);
}

Test(permit, unknown_type)
{
	static const uint32_t bad[] = {HUTCH_MSG_NONE, HUTCH_MSG_TYPE_MAX,
				       HUTCH_MSG_TYPE_MAX + 1, 0x7fffffff, 0xffffffff};
	for (int stage = 0; stage < 4; stage++) {
		permit_init(&st);
		if (stage == 1)
			step(HUTCH_MSG_OPEN_ROOT, 0);
		else if (stage == 2)
			to_setup();
		else if (stage == 3)
			to_pivoted();
		for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
			refused(bad[i], 0);
	}
}

/* ---- files (broker/files.c) ---------------------------------------------- */

Test(permit, files_in_their_phases)
{
	refused(HUTCH_MSG_OPEN_HOST_FILE, 0); /* before OPEN_ROOT */
	step(HUTCH_MSG_OPEN_ROOT, 0);
	for (int i = 0; i < HUTCH_CREDENTIALS_MAX; i++)
		step(HUTCH_MSG_OPEN_HOST_FILE, 0);
	refused(HUTCH_MSG_OPEN_HOST_FILE, 0);
	refused(HUTCH_MSG_WRITE_FILE, 0);
	refused(HUTCH_MSG_FILE_OP, 0);
	refused(HUTCH_MSG_CREDENTIAL, 0);
	step(HUTCH_MSG_CGROUP, 0);
	step(HUTCH_MSG_CREATE, 0);
	refused(HUTCH_MSG_OPEN_HOST_FILE, 0); /* the monitor's, before CREATE only */
	for (int i = 0; i < 2 * (HUTCH_ETC_MAX - 1); i++) {
		step(HUTCH_MSG_WRITE_FILE, 0);
		step(HUTCH_MSG_FILE_OP, 0);
	}
	refused(HUTCH_MSG_WRITE_FILE, 0);
	refused(HUTCH_MSG_FILE_OP, 0);
	api(HUTCH_API_PROC);
	refused(HUTCH_MSG_CREDENTIAL, 0); /* needs /run */
	api(HUTCH_API_RUN);
	for (int i = 0; i < HUTCH_CREDENTIALS_MAX; i++)
		step(HUTCH_MSG_CREDENTIAL, 0);
	refused(HUTCH_MSG_CREDENTIAL, 0);
	api(HUTCH_API_SYS);
	api(HUTCH_API_DEV);
	step(HUTCH_MSG_PIVOT, 0);
	refused(HUTCH_MSG_CREDENTIAL, 0);
	refused(HUTCH_MSG_WRITE_FILE, 0);
	refused(HUTCH_MSG_FILE_OP, 0);
}

/* ---- cgroup settings and process settings ------------------------------- */

Test(permit, create_needs_cgroup_settings)
{
	step(HUTCH_MSG_OPEN_ROOT, 0);
	refused(HUTCH_MSG_CREATE, 0); /* limits and device fence are not optional */
	step(HUTCH_MSG_CGROUP, 0);
	refused(HUTCH_MSG_CGROUP, 0); /* once */
	step(HUTCH_MSG_CREATE, 0);
	refused(HUTCH_MSG_CGROUP, 0); /* the cgroup exists now */
}

Test(permit, process_once_before_exec)
{
	step(HUTCH_MSG_OPEN_ROOT, 0);
	refused(HUTCH_MSG_PROCESS, 0); /* the monitor does not take it */
	to_pivoted_from_root();
	step(HUTCH_MSG_PROCESS, 0);
	refused(HUTCH_MSG_PROCESS, 0);
	step(HUTCH_MSG_EXEC, 0);
	refused(HUTCH_MSG_PROCESS, 0);
}

Test(permit, process_in_setup)
{
	to_setup();
	step(HUTCH_MSG_PROCESS, 0);
	refused(HUTCH_MSG_PROCESS, 0);
}

/* ---- -i/--image: OPEN_IMAGE, then ATTACH_IMAGE, instead of OPEN_ROOT ---- */

Test(permit, image_happy_path)
{
	step(HUTCH_MSG_OPEN_IMAGE, 0);
	refused(HUTCH_MSG_OPEN_FILE, 0); /* nothing mounted yet */
	refused(HUTCH_MSG_CREATE, 0);
	step(HUTCH_MSG_ATTACH_IMAGE, 0);
	step(HUTCH_MSG_OPEN_FILE, 0);
	step(HUTCH_MSG_CGROUP, 0);
	step(HUTCH_MSG_CREATE, 0);
	cr_assert_eq(st.phase, PHASE_SETUP);
}

Test(permit, image_and_root_exclusive)
{
	step(HUTCH_MSG_OPEN_IMAGE, 0);
	refused(HUTCH_MSG_OPEN_ROOT, 0);
	refused(HUTCH_MSG_OPEN_IMAGE, 0);
	permit_init(&st);
	step(HUTCH_MSG_OPEN_ROOT, 0);
	refused(HUTCH_MSG_OPEN_IMAGE, 0);
	refused(HUTCH_MSG_ATTACH_IMAGE, 0);
}

Test(permit, attach_once_and_only_before_create)
{
	refused(HUTCH_MSG_ATTACH_IMAGE, 0);
	step(HUTCH_MSG_OPEN_IMAGE, 0);
	step(HUTCH_MSG_ATTACH_IMAGE, 0);
	refused(HUTCH_MSG_ATTACH_IMAGE, 0);
	step(HUTCH_MSG_CGROUP, 0);
	step(HUTCH_MSG_CREATE, 0);
	refused(HUTCH_MSG_ATTACH_IMAGE, 0);
	refused(HUTCH_MSG_OPEN_IMAGE, 0);
}

Test(permit, progress_is_never_a_request)
{
	refused(HUTCH_MSG_PROGRESS, 0);
	to_setup();
	refused(HUTCH_MSG_PROGRESS, 0);
}

Test(permit, open_settings)
{
	for (uint32_t w = 1; w < HUTCH_SETTINGS_MAX; w++)
		if (w != HUTCH_SETTINGS_BESIDE_ROOT)
			step(HUTCH_MSG_OPEN_SETTINGS, w);
	step(HUTCH_MSG_OPEN_ROOT, 0);
	step(HUTCH_MSG_OPEN_SETTINGS, HUTCH_SETTINGS_BESIDE_ROOT);
	step(HUTCH_MSG_CGROUP, 0);
	step(HUTCH_MSG_CREATE, 0);
	/* Only before the container exists. */
	refused(HUTCH_MSG_OPEN_SETTINGS, HUTCH_SETTINGS_ETC_PROFILE);
}

Test(permit, open_settings_bounded)
{
	unsigned n = 0;
	while (check(HUTCH_MSG_OPEN_SETTINGS, HUTCH_SETTINGS_ETC_PROFILE) == 0) {
		permit_commit(&st, pm);
		cr_assert_lt(++n, 1000);
	}
	/* 4 .nspawn places, 2 places for a profile and each of 4 includes. */
	cr_expect_eq(n, 24);
}

/* LABEL: before CREATE only, retried at most 64 times (pairs in use). */
Test(permit, label_before_create_only)
{
	refused(HUTCH_MSG_LABEL, 0);
	step(HUTCH_MSG_OPEN_ROOT, 0);
	for (int i = 0; i < 64; i++)
		step(HUTCH_MSG_LABEL, 0);
	refused(HUTCH_MSG_LABEL, 0);
	step(HUTCH_MSG_CGROUP, 0);
	step(HUTCH_MSG_CREATE, 0);
	refused(HUTCH_MSG_LABEL, 0);
}

Test(permit, label_not_after_create)
{
	to_pivoted();
	refused(HUTCH_MSG_LABEL, 0);
}

Test(permit, bind_user_requests_after_run)
{
	step(HUTCH_MSG_OPEN_ROOT, 0);
	refused(HUTCH_MSG_USERDB_RECORD, 0);
	step(HUTCH_MSG_CGROUP, 0);
	step(HUTCH_MSG_CREATE, 0);
	refused(HUTCH_MSG_USERDB_RECORD, 0);
	refused(HUTCH_MSG_BIND_USER_HOME, 0);
	api(HUTCH_API_RUN);
	for (int i = 0; i < HUTCH_BIND_USERS_MAX; i++) {
		step(HUTCH_MSG_USERDB_RECORD, 0);
		step(HUTCH_MSG_USERDB_RECORD, 0);
		step(HUTCH_MSG_BIND_USER_HOME, 0);
	}
	refused(HUTCH_MSG_USERDB_RECORD, 0);
	refused(HUTCH_MSG_BIND_USER_HOME, 0);
}
