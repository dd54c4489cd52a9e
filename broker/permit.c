/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "permit.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

struct permit {
	uint32_t phases; /* enum broker_phase bits in which the type is allowed */
	uint32_t max;    /* how many times in the whole life of a container */
};

static const struct permit permits[HUTCH_MSG_TYPE_MAX] = {
	[HUTCH_MSG_OPEN_ROOT] = {PHASE_PREPARE, 1},
	[HUTCH_MSG_OPEN_FILE] = {PHASE_PREPARE, 32},
	[HUTCH_MSG_OPEN_HOST_FILE] = {PHASE_PREPARE, HUTCH_CREDENTIALS_MAX},
	[HUTCH_MSG_WRITE_FILE] = {PHASE_SETUP, 2 * (HUTCH_ETC_MAX - 1)},
	[HUTCH_MSG_FILE_OP] = {PHASE_SETUP, 2 * (HUTCH_ETC_MAX - 1)},
	[HUTCH_MSG_CREDENTIAL] = {PHASE_SETUP, HUTCH_CREDENTIALS_MAX},
	/* 4 .nspawn places + 2 per profile, for a profile and its includes */
	[HUTCH_MSG_OPEN_SETTINGS] = {PHASE_PREPARE, 24},
	[HUTCH_MSG_USERDB_RECORD] = {PHASE_SETUP, 2 * HUTCH_BIND_USERS_MAX},
	[HUTCH_MSG_BIND_USER_HOME] = {PHASE_SETUP, HUTCH_BIND_USERS_MAX},
	[HUTCH_MSG_CREATE] = {PHASE_PREPARE, 1},
	[HUTCH_MSG_MOUNT_API] = {PHASE_SETUP, HUTCH_API_MAX - 1},
	[HUTCH_MSG_OPEN_CONSOLE] = {PHASE_SETUP, 1},
	[HUTCH_MSG_PIVOT] = {PHASE_SETUP, 1},
	[HUTCH_MSG_EXEC] = {PHASE_PIVOTED, 1},
	[HUTCH_MSG_SECCOMP] = {PHASE_SETUP | PHASE_PIVOTED, 1},
	[HUTCH_MSG_CGROUP] = {PHASE_PREPARE, 1},
	[HUTCH_MSG_PROCESS] = {PHASE_SETUP | PHASE_PIVOTED, 1},
	[HUTCH_MSG_OPEN_IMAGE] = {PHASE_PREPARE, 1},
	[HUTCH_MSG_ATTACH_IMAGE] = {PHASE_PREPARE, 1},
	[HUTCH_MSG_CHECK_POLICY] = {PHASE_PREPARE, 1},
	/* Retries for category pairs in use; the monitor takes one success. */
	[HUTCH_MSG_LABEL] = {PHASE_PREPARE, 64},
	[HUTCH_MSG_ROOT_MODE] = {PHASE_SETUP, 1},
	[HUTCH_MSG_MOUNT_BIND] = {PHASE_SETUP, HUTCH_MAX_USER_MOUNTS},
	[HUTCH_MSG_MOUNT_TMPFS] = {PHASE_SETUP, HUTCH_MAX_USER_MOUNTS},
	[HUTCH_MSG_MOUNT_OVERLAY] = {PHASE_SETUP, HUTCH_MAX_USER_MOUNTS},
	[HUTCH_MSG_INACCESSIBLE] = {PHASE_SETUP, HUTCH_MAX_USER_MOUNTS},
	/* REPLY and PROGRESS are never requests: no phase allows them. */
};

#define BIT(k) (1u << (k))
/* The masks and read-only mounts are not optional: PIVOT needs them. */
#define API_REQUIRED_FOR_PIVOT (BIT(HUTCH_API_PROC) | BIT(HUTCH_API_SYS) | BIT(HUTCH_API_DEV))
/* User mounts come after /proc and /sys, so a target in them is seen as one. */
#define API_REQUIRED_FOR_USER (BIT(HUTCH_API_PROC) | BIT(HUTCH_API_SYS))

static bool is_user_mount(uint32_t t)
{
	return t == HUTCH_MSG_MOUNT_BIND || t == HUTCH_MSG_MOUNT_TMPFS ||
	       t == HUTCH_MSG_MOUNT_OVERLAY || t == HUTCH_MSG_INACCESSIBLE;
}

void permit_init(struct permit_state *s)
{
	memset(s, 0, sizeof *s);
	s->phase = PHASE_PREPARE;
}

static int deny(const char **why, const char *reason)
{
	*why = reason;
	return -EPERM;
}

static int check_order(const struct permit_state *s, const struct hutch_msg *m,
		       const char **why)
{
	if (is_user_mount(m->hdr.type)) {
		if (s->user_mounts >= HUTCH_MAX_USER_MOUNTS)
			return deny(why, "too many mounts");
		if ((s->api_done & API_REQUIRED_FOR_USER) != API_REQUIRED_FOR_USER)
			return deny(why, "user mount before /proc and /sys");
		if (m->hdr.type == HUTCH_MSG_INACCESSIBLE && !(s->api_done & BIT(HUTCH_API_RUN)))
			return deny(why, "inaccessible before /run");
		return 0;
	}
	switch (m->hdr.type) {
	case HUTCH_MSG_OPEN_ROOT:
	case HUTCH_MSG_OPEN_IMAGE:
		if (s->count[HUTCH_MSG_OPEN_ROOT] || s->count[HUTCH_MSG_OPEN_IMAGE])
			return deny(why, "a root is already open");
		return 0;
	case HUTCH_MSG_ATTACH_IMAGE:
		if (!s->count[HUTCH_MSG_OPEN_IMAGE])
			return deny(why, "no image opened yet");
		return 0;
	case HUTCH_MSG_ROOT_MODE:
		if (s->api_done)
			return deny(why, "root mode after other mounts");
		return 0;
	case HUTCH_MSG_OPEN_SETTINGS:
		if (m->u.open_settings.where != HUTCH_SETTINGS_BESIDE_ROOT)
			return 0; /* profiles: also for --show-profile, without a root */
		/* fall through */
	case HUTCH_MSG_OPEN_FILE:
	case HUTCH_MSG_OPEN_HOST_FILE:
	case HUTCH_MSG_CGROUP:
	case HUTCH_MSG_CREATE:
	case HUTCH_MSG_LABEL:
		if (!s->count[HUTCH_MSG_OPEN_ROOT] && !s->count[HUTCH_MSG_ATTACH_IMAGE])
			return deny(why, "no root opened yet");
		/* The limits and the device fence are not optional. */
		if (m->hdr.type == HUTCH_MSG_CREATE && !s->count[HUTCH_MSG_CGROUP])
			return deny(why, "no cgroup settings yet");
		return 0;
	case HUTCH_MSG_MOUNT_API: {
		uint32_t k = m->u.mount_api.kind;
		if (k < 1 || k >= HUTCH_API_MAX)
			return deny(why, "unknown API file system");
		if (s->api_done & BIT(k))
			return deny(why, "API file system already mounted");
		if (k == HUTCH_API_CGROUP && !(s->api_done & BIT(HUTCH_API_SYS)))
			return deny(why, "cgroup before /sys");
		return 0;
	}
	case HUTCH_MSG_CREDENTIAL: /* mounted under /run/host at PIVOT */
	case HUTCH_MSG_USERDB_RECORD:
	case HUTCH_MSG_BIND_USER_HOME:
		if (!(s->api_done & BIT(HUTCH_API_RUN)))
			return deny(why, "/run/host file before /run");
		return 0;
	case HUTCH_MSG_OPEN_CONSOLE:
		if (!(s->api_done & BIT(HUTCH_API_DEV)))
			return deny(why, "console before /dev");
		return 0;
	case HUTCH_MSG_PIVOT:
		if ((s->api_done & API_REQUIRED_FOR_PIVOT) != API_REQUIRED_FOR_PIVOT)
			return deny(why, "pivot before /proc, /sys and /dev are set up");
		return 0;
	default:
		return 0;
	}
}

int permit_check(const struct permit_state *s, const struct hutch_msg *m, const char **why)
{
	uint32_t t = m->hdr.type;
	if (t == HUTCH_MSG_NONE || t >= HUTCH_MSG_TYPE_MAX)
		return deny(why, "unknown message type");
	const struct permit *p = &permits[t];
	if (!(p->phases & s->phase))
		return deny(why, "request not allowed in this phase");
	if (s->count[t] >= p->max)
		return deny(why, "request repeated too often");
	return check_order(s, m, why);
}

void permit_commit(struct permit_state *s, const struct hutch_msg *m)
{
	uint32_t t = m->hdr.type;
	if (t == HUTCH_MSG_NONE || t >= HUTCH_MSG_TYPE_MAX)
		return; /* permit_check refused it already */
	s->count[t]++;
	if (is_user_mount(t))
		s->user_mounts++;
	switch (t) {
	case HUTCH_MSG_MOUNT_API:
		s->api_done |= BIT(m->u.mount_api.kind);
		break;
	case HUTCH_MSG_CREATE:
		s->phase = PHASE_SETUP;
		break;
	case HUTCH_MSG_PIVOT:
		s->phase = PHASE_PIVOTED;
		break;
	case HUTCH_MSG_EXEC:
		s->phase = PHASE_DONE;
		break;
	default:
		break;
	}
}
