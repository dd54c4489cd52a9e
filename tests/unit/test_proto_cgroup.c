/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * common/proto.c: the CGROUP and PROCESS records (shape only; the broker's
 * range checks are in test_cgroup_limits.c). Everything except the tests is
 * static: all of tests/unit/ shares a binary.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/proto.h"

static unsigned char *crec;
static struct hutch_msg *cmsg;
static struct hutch_cgroup *cg;
static struct hutch_process *pr;
static const char *cwhy;

static void pc_setup(void)
{
	cr_assert((crec = calloc(1, HUTCH_MSG_MAX_RECORD)) && (cmsg = calloc(1, sizeof *cmsg)) &&
		  (cg = calloc(1, sizeof *cg)) && (pr = calloc(1, sizeof *pr)));
	strcpy(cg->slice, "machine.slice");
	cg->set = 1u << HUTCH_LIMIT_MEMORY_MAX | 1u << HUTCH_LIMIT_ALLOWED_CPUS;
	cg->value[HUTCH_LIMIT_MEMORY_MAX] = 64 << 20;
	cg->cpus[0] = 1;
	cg->ndevices = 1;
	cg->devices[0] = (struct hutch_device_rule){'c', HUTCH_DEV_READ, {0}, 1, 3};
	pr->set = HUTCH_PROC_OOM_SCORE;
	pr->oom_score_adj = 100;
	pr->rlimit_set = 1u << 7;
	pr->rlimits[7] = (struct hutch_rlimit){10, 20};
}

static void pc_teardown(void)
{
	free(crec), free(cmsg), free(cg), free(pr);
}

TestSuite(proto_cgroup, .init = pc_setup, .fini = pc_teardown);

static int decode_body(uint32_t type, const void *body)
{
	size_t blen = hutch_body_size(type);
	struct hutch_hdr h = {HUTCH_PROTO_VERSION, type, (uint32_t)(sizeof h + blen), 0};
	memcpy(crec, &h, sizeof h);
	memcpy(crec + sizeof h, body, blen);
	cwhy = NULL;
	return hutch_decode(crec, sizeof h + blen, 0, cmsg, &cwhy);
}

#define OK_CG() cr_assert_eq(decode_body(HUTCH_MSG_CGROUP, cg), 0, "refused: %s", cwhy)
#define BAD_CG(change) do { pc_teardown(); pc_setup(); change; \
	cr_assert_lt(decode_body(HUTCH_MSG_CGROUP, cg), 0, "accepted: %s", #change); } while (0)
#define OK_PR() cr_assert_eq(decode_body(HUTCH_MSG_PROCESS, pr), 0, "refused: %s", cwhy)
#define BAD_PR(change) do { pc_teardown(); pc_setup(); change; \
	cr_assert_lt(decode_body(HUTCH_MSG_PROCESS, pr), 0, "accepted: %s", #change); } while (0)

Test(proto_cgroup, shapes)
{
	cr_assert_eq(hutch_body_size(HUTCH_MSG_CGROUP), sizeof(struct hutch_cgroup));
	cr_assert_eq(hutch_body_size(HUTCH_MSG_PROCESS), sizeof(struct hutch_process));
	cr_assert_eq(hutch_reply_fds(HUTCH_MSG_CGROUP), 0);
	cr_assert_eq(hutch_reply_fds(HUTCH_MSG_PROCESS), 0);
	/* CREATE's reply hands the worker the OOM counter file. */
	cr_assert_eq(hutch_reply_fds(HUTCH_MSG_CREATE), 1);
	cr_assert_str_eq(hutch_msg_name(HUTCH_MSG_CGROUP), "CGROUP");
}

Test(proto_cgroup, valid)
{
	OK_CG();
	cr_assert_eq(cmsg->u.cgroup.value[HUTCH_LIMIT_MEMORY_MAX], 64 << 20);
	cr_assert_eq(cmsg->u.cgroup.devices[0].minor, 3);
	OK_PR();
	cr_assert_eq(cmsg->u.process.oom_score_adj, 100);
	/* Wildcards and infinity are values like others. */
	cg->devices[0].major = cg->devices[0].minor = HUTCH_DEV_ANY;
	cg->value[HUTCH_LIMIT_MEMORY_MAX] = HUTCH_LIMIT_INFINITY;
	OK_CG();
}

Test(proto_cgroup, cgroup_refusals)
{
	BAD_CG(cg->set |= 1u << HUTCH_LIMIT_MAX);
	BAD_CG(cg->value[HUTCH_LIMIT_TASKS_MAX] = 5);               /* unset but not zero */
	BAD_CG(cg->value[HUTCH_LIMIT_ALLOWED_CPUS] = 1);            /* value unused */
	BAD_CG(cg->set &= ~(1u << HUTCH_LIMIT_ALLOWED_CPUS));       /* cpus without the bit */
	BAD_CG(cg->ndevices = HUTCH_MAX_DEVICES + 1);
	BAD_CG(cg->ndevices = 0);                                   /* used rule after the count */
	BAD_CG(cg->devices[0].type = 'x');
	BAD_CG(cg->devices[0].access = 0);
	BAD_CG(cg->devices[0].access = 8);
	BAD_CG(cg->devices[0].pad[1] = 1);
	BAD_CG(cg->devices[5].major = 1);                           /* unused rule not zero */
	BAD_CG(cg->slice[0] = '\0');
	BAD_CG(memset(cg->slice, 'a', sizeof cg->slice));           /* unterminated */
	BAD_CG(cg->slice[sizeof cg->slice - 1] = 'x');              /* bytes after the NUL */
}

Test(proto_cgroup, process_refusals)
{
	BAD_PR(pr->set |= 1u << 5);
	BAD_PR(pr->rlimit_set |= 1u << HUTCH_RLIMIT_MAX);
	BAD_PR(pr->set = 0);                         /* oom value without the bit */
	BAD_PR(pr->personality = 8);                 /* without the bit */
	BAD_PR(pr->cpus[3] = 1);                     /* without the bit */
	BAD_PR(pr->rlimits[2].max = 1);              /* unset rlimit not zero */
}

Test(proto_cgroup, wrong_length)
{
	size_t blen = hutch_body_size(HUTCH_MSG_CGROUP);
	struct hutch_hdr h = {HUTCH_PROTO_VERSION, HUTCH_MSG_CGROUP, (uint32_t)(sizeof h + blen - 4), 0};
	memcpy(crec, &h, sizeof h);
	memcpy(crec + sizeof h, cg, blen);
	cr_assert_lt(hutch_decode(crec, sizeof h + blen - 4, 0, cmsg, &cwhy), 0);
	cr_assert_lt(hutch_decode(crec, sizeof h + blen, 1, cmsg, &cwhy), 0); /* no fds declared */
}
