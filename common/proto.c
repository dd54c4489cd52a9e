/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Encoder/decoder for common/proto.h. Knows shapes, not phases. */
#include "proto.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct msg_shape {
	const char *name;
	size_t body;
	unsigned fds;       /* fds the record itself carries */
	unsigned reply_fds; /* fds a successful REPLY to this request carries */
};

static const struct msg_shape shapes[HUTCH_MSG_TYPE_MAX] = {
	[HUTCH_MSG_OPEN_ROOT] = {"OPEN_ROOT", sizeof(struct hutch_open_root), 0, 0},
	[HUTCH_MSG_OPEN_FILE] = {"OPEN_FILE", sizeof(struct hutch_open_file), 0, 1},
	[HUTCH_MSG_CREATE] = {"CREATE", sizeof(struct hutch_create), 0, 1},
	[HUTCH_MSG_MOUNT_API] = {"MOUNT_API", sizeof(struct hutch_mount_api), 0, 0},
	[HUTCH_MSG_OPEN_CONSOLE] = {"OPEN_CONSOLE", sizeof(struct hutch_open_console), 0, 1},
	[HUTCH_MSG_PIVOT] = {"PIVOT", sizeof(struct hutch_pivot), 0, 0},
	[HUTCH_MSG_EXEC] = {"EXEC", sizeof(struct hutch_exec), 0, 0},
	[HUTCH_MSG_SECCOMP] = {"SECCOMP", sizeof(struct hutch_seccomp), 0, 0},
	[HUTCH_MSG_OPEN_HOST_FILE] = {"OPEN_HOST_FILE", sizeof(struct hutch_open_host_file), 0, 1},
	[HUTCH_MSG_WRITE_FILE] = {"WRITE_FILE", sizeof(struct hutch_write_file), 1, 0},
	[HUTCH_MSG_FILE_OP] = {"FILE_OP", sizeof(struct hutch_file_op), 0, 0},
	[HUTCH_MSG_CREDENTIAL] = {"CREDENTIAL", sizeof(struct hutch_credential), 1, 0},
	[HUTCH_MSG_CGROUP] = {"CGROUP", sizeof(struct hutch_cgroup), 0, 0},
	[HUTCH_MSG_PROCESS] = {"PROCESS", sizeof(struct hutch_process), 0, 0},
	[HUTCH_MSG_OPEN_IMAGE] = {"OPEN_IMAGE", sizeof(struct hutch_open_image), 0, 1},
	[HUTCH_MSG_ATTACH_IMAGE] = {"ATTACH_IMAGE", sizeof(struct hutch_attach_image), 0, 0},
	[HUTCH_MSG_CHECK_POLICY] = {"CHECK_POLICY", sizeof(struct hutch_check_policy), 0, 0},
	[HUTCH_MSG_OPEN_SETTINGS] = {"OPEN_SETTINGS", sizeof(struct hutch_open_settings), 0, 1},
	[HUTCH_MSG_LABEL] = {"LABEL", sizeof(struct hutch_label), 0, 0},
	[HUTCH_MSG_ROOT_MODE] = {"ROOT_MODE", sizeof(struct hutch_root_mode), 0, 0},
	[HUTCH_MSG_MOUNT_BIND] = {"MOUNT_BIND", sizeof(struct hutch_mount_bind), 0, 0},
	[HUTCH_MSG_MOUNT_TMPFS] = {"MOUNT_TMPFS", sizeof(struct hutch_mount_tmpfs), 0, 0},
	[HUTCH_MSG_MOUNT_OVERLAY] = {"MOUNT_OVERLAY", sizeof(struct hutch_mount_overlay), 0, 0},
	[HUTCH_MSG_INACCESSIBLE] = {"INACCESSIBLE", sizeof(struct hutch_inaccessible), 0, 0},
	[HUTCH_MSG_USERDB_RECORD] = {"USERDB_RECORD", sizeof(struct hutch_userdb_record), 1, 0},
	[HUTCH_MSG_BIND_USER_HOME] = {"BIND_USER_HOME", sizeof(struct hutch_bind_user_home), 0, 0},
	[HUTCH_MSG_REPLY] = {"REPLY", sizeof(struct hutch_reply), 0, 0},
	[HUTCH_MSG_PROGRESS] = {"PROGRESS", sizeof(struct hutch_progress), 0, 0},
};

static const struct msg_shape *shape(uint32_t type)
{
	if (type == HUTCH_MSG_NONE || type >= HUTCH_MSG_TYPE_MAX)
		return NULL;
	return &shapes[type];
}

size_t hutch_body_size(uint32_t type)
{
	const struct msg_shape *s = shape(type);
	return s ? s->body : 0;
}

unsigned hutch_msg_fds(uint32_t type)
{
	const struct msg_shape *s = shape(type);
	return s ? s->fds : 0;
}

unsigned hutch_reply_fds(uint32_t request_type)
{
	const struct msg_shape *s = shape(request_type);
	return s ? s->reply_fds : 0;
}

const char *hutch_msg_name(uint32_t type)
{
	const struct msg_shape *s = shape(type);
	return s ? s->name : "UNKNOWN";
}

int hutch_check_string(const char *s, size_t size, int allow_empty)
{
	const char *nul = memchr(s, '\0', size);
	if (!nul)
		return -EBADMSG;
	if (!allow_empty && nul == s)
		return -EBADMSG;
	for (const char *p = nul; p < s + size; p++)
		if (*p)
			return -EBADMSG;
	return 0;
}

int hutch_check_label(const char *s, size_t size)
{
	if (hutch_check_string(s, size, 1) < 0)
		return -EBADMSG;
	unsigned colons = 0;
	for (const char *p = s; *p; p++) {
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:,-", *p))
			return -EBADMSG;
		colons += *p == ':';
	}
	return s[0] && colons < 3 ? -EBADMSG : 0;
}

int hutch_check_path(const char *s, size_t size)
{
	if (hutch_check_string(s, size, 0) < 0 || s[0] != '/')
		return -EBADMSG;
	if (!strcmp(s, "/"))
		return 0;
	for (const char *p = s; *p;) { /* p at a '/' */
		const char *c = p + 1, *end = strchrnul(c, '/');
		size_t n = (size_t)(end - c);
		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return -EBADMSG;
		p = end;
	}
	return 0;
}

int hutch_check_component(const char *s, size_t size)
{
	if (hutch_check_string(s, size, 0) < 0 || strchr(s, '/') || !strcmp(s, ".") ||
	    !strcmp(s, ".."))
		return -EBADMSG;
	return 0;
}

static int all_zero(const void *p, size_t n)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++)
		if (c[i])
			return 0;
	return 1;
}

#define FAIL(reason)          \
	do {                  \
		*why = (reason); \
		return -EBADMSG; \
	} while (0)

static int check_exec(const struct hutch_exec *e, const char **why)
{
	if (e->flags & ~HUTCH_EXEC_FLAGS_ALL)
		FAIL("unknown exec flags");
	if (e->ngroups > HUTCH_MAX_GROUPS)
		FAIL("too many groups");
	if (!all_zero(e->groups + e->ngroups,
		      sizeof(e->groups) - e->ngroups * sizeof(e->groups[0])))
		FAIL("unused group slots not zero");
	if (e->uid == (uint32_t)-1 || e->gid == (uint32_t)-1)
		FAIL("invalid uid/gid");
	if (e->no_new_privs > 1)
		FAIL("bad no_new_privs");
	if (e->cap_ambient & ~e->cap_bounding)
		FAIL("ambient capabilities outside the bounding set");
	if (hutch_check_string(e->cwd, sizeof e->cwd, 0) < 0 || e->cwd[0] != '/')
		FAIL("bad cwd string");
	if (e->argc < 1 || e->argc > 4096 || e->envc > 4096)
		FAIL("bad argc/envc");
	if (e->strings_len < 1 || e->strings_len > sizeof e->strings)
		FAIL("bad strings_len");
	if (e->strings[e->strings_len - 1] != '\0')
		FAIL("strings not terminated");
	if (!all_zero(e->strings + e->strings_len, sizeof e->strings - e->strings_len))
		FAIL("bytes after strings");
	uint32_t nuls = 0;
	for (uint32_t i = 0; i < e->strings_len; i++)
		nuls += e->strings[i] == '\0';
	if (nuls != e->argc + e->envc)
		FAIL("string count does not match argc+envc");
	if (e->strings[0] == '\0')
		FAIL("empty argv[0]");
	return 0;
}

/* A file name: 1.. bytes, terminated and zero-padded, no '/', not "." or "..". */
static bool file_name_valid(const char *s, size_t size)
{
	return hutch_check_string(s, size, 0) == 0 && !strchr(s, '/') && strcmp(s, ".") &&
	       strcmp(s, "..");
}

/* Ascending, disjoint, non-empty, not past 2^32; only for a picked range. */
static int check_avoid(const struct hutch_create *c, const char **why)
{
	if (c->n_avoid > HUTCH_AVOID_MAX || (c->n_avoid && c->userns != HUTCH_USERNS_PICK))
		FAIL("bad avoided range count");
	if (!all_zero(c->avoid + c->n_avoid, sizeof c->avoid - c->n_avoid * sizeof c->avoid[0]))
		FAIL("unused avoided range slots not zero");
	uint64_t end = 0;
	for (uint32_t i = 0; i < c->n_avoid; i++) {
		const struct hutch_id_range *a = &c->avoid[i];
		if (a->count == 0 || (i && a->start < end) ||
		    (uint64_t)a->start + a->count > (uint64_t)UINT32_MAX + 1)
			FAIL("bad avoided ranges");
		end = (uint64_t)a->start + a->count;
	}
	return 0;
}

static int check_bind_users(const struct hutch_create *c, const char **why)
{
	if (c->n_bind_users > HUTCH_BIND_USERS_MAX || (c->n_bind_users && c->userns == HUTCH_USERNS_NO))
		FAIL("bad bind user count");
	if (!all_zero(c->bind_users + c->n_bind_users,
		      sizeof c->bind_users - c->n_bind_users * sizeof c->bind_users[0]))
		FAIL("unused bind user slots not zero");
	for (uint32_t i = 0; i < c->n_bind_users; i++) {
		const struct hutch_bind_user_ids *b = &c->bind_users[i];
		if (b->host_uid == 0 || b->host_gid == 0 || b->host_uid == UINT32_MAX ||
		    b->host_gid == UINT32_MAX || b->container_id < HUTCH_BIND_USER_ID_MIN ||
		    b->container_id > HUTCH_BIND_USER_ID_MAX ||
		    (i && b->container_id <= b[-1].container_id))
			FAIL("bad bind user ids");
	}
	return 0;
}

/* A zone name: [A-Za-z0-9_+-] components joined by '/', none "." or "..". */
static int zone_link_valid(const char *link)
{
	size_t pre = strlen(HUTCH_ZONEINFO_LINK);
	if (strncmp(link, HUTCH_ZONEINFO_LINK, pre) || !link[pre])
		return 0;
	for (const char *p = link + pre; *p; p++) {
		bool start = p == link + pre || p[-1] == '/';
		if (*p == '/' ? start || !p[1]
			      : !(isalnum((unsigned char)*p) || strchr("_+-", *p) || (*p == '.' && !start)))
			return 0;
	}
	return 1;
}

static int check_file_op(const struct hutch_file_op *f, const char **why)
{
	if (f->op < 1 || f->op >= HUTCH_FILE_OP_MAX || f->target < 1 || f->target >= HUTCH_ETC_MAX)
		FAIL("bad file op");
	if (hutch_check_string(f->link, sizeof f->link, 1) < 0)
		FAIL("bad link string");
	bool bind = f->op == HUTCH_FILE_OP_BIND, sym = f->op == HUTCH_FILE_OP_SYMLINK;
	/* Only what --resolv-conf= and --timezone= bind: the resolv.conf files
	 * and /etc/localtime. */
	bool source_ok = (f->source >= HUTCH_FILE_HOST_RESOLV_CONF &&
			  f->source <= HUTCH_FILE_HOST_RESOLV_STUB) ||
			 f->source == HUTCH_FILE_HOST_LOCALTIME;
	if (bind != source_ok)
		FAIL("bad bind source");
	if (sym ? !zone_link_valid(f->link) : f->link[0] != '\0')
		FAIL("bad symlink text");
	return 0;
}

/* Shape only; the broker checks the ranges of the values it uses. */
static int check_cgroup(const struct hutch_cgroup *c, const char **why)
{
	if (c->set & ~HUTCH_LIMITS_ALL)
		FAIL("unknown limits");
	for (unsigned i = 0; i < HUTCH_LIMIT_MAX; i++)
		if (!(c->set & (1u << i)) && c->value[i])
			FAIL("value of an unset limit not zero");
	if (c->value[HUTCH_LIMIT_ALLOWED_CPUS] ||
	    (!(c->set & (1u << HUTCH_LIMIT_ALLOWED_CPUS)) && !all_zero(c->cpus, sizeof c->cpus)))
		FAIL("bad cpu set");
	if (c->ndevices > HUTCH_MAX_DEVICES)
		FAIL("too many device rules");
	for (uint32_t i = 0; i < c->ndevices; i++) {
		const struct hutch_device_rule *d = &c->devices[i];
		if ((d->type != 'c' && d->type != 'b') || !d->access ||
		    (d->access & ~HUTCH_DEV_ACCESS_ALL) || !all_zero(d->pad, sizeof d->pad))
			FAIL("bad device rule");
	}
	if (!all_zero(c->devices + c->ndevices,
		      sizeof c->devices - c->ndevices * sizeof c->devices[0]))
		FAIL("unused device rules not zero");
	if (hutch_check_string(c->slice, sizeof c->slice, 0) < 0)
		FAIL("bad slice string");
	return 0;
}

static int check_process(const struct hutch_process *p, const char **why)
{
	if (p->set & ~HUTCH_PROC_ALL || p->rlimit_set >> HUTCH_RLIMIT_MAX)
		FAIL("unknown process settings");
	if (!(p->set & HUTCH_PROC_OOM_SCORE) && p->oom_score_adj)
		FAIL("oom_score_adj not zero");
	if (!(p->set & HUTCH_PROC_PERSONALITY) && p->personality)
		FAIL("personality not zero");
	if (!(p->set & HUTCH_PROC_AFFINITY) && !all_zero(p->cpus, sizeof p->cpus))
		FAIL("cpu set not zero");
	for (unsigned i = 0; i < HUTCH_RLIMIT_MAX; i++)
		if (!(p->rlimit_set & (1u << i)) && (p->rlimits[i].cur || p->rlimits[i].max))
			FAIL("unset rlimit not zero");
	return 0;
}

static int check_tmpfs(const struct hutch_mount_tmpfs *t, const char **why)
{
	if (t->flags & ~HUTCH_TMPFS_FLAGS_ALL)
		FAIL("unknown tmpfs flags");
	if (hutch_check_path(t->target, sizeof t->target) < 0 || !strcmp(t->target, "/"))
		FAIL("bad tmpfs target");
	if (t->mode > 07777 || (!(t->flags & HUTCH_TMPFS_MODE) && t->mode))
		FAIL("bad tmpfs mode");
	if ((!(t->flags & HUTCH_TMPFS_UID) && t->uid) || (!(t->flags & HUTCH_TMPFS_GID) && t->gid) ||
	    t->uid == (uint32_t)-1 || t->gid == (uint32_t)-1)
		FAIL("bad tmpfs owner");
	uint32_t sz = t->flags & (HUTCH_TMPFS_SIZE | HUTCH_TMPFS_SIZE_PERCENT);
	if (sz == (HUTCH_TMPFS_SIZE | HUTCH_TMPFS_SIZE_PERCENT) || (!sz && t->size) ||
	    (sz == HUTCH_TMPFS_SIZE_PERCENT && (t->size < 1 || t->size > 100)))
		FAIL("bad tmpfs size");
	if (!(t->flags & HUTCH_TMPFS_NR_INODES) && t->nr_inodes)
		FAIL("bad tmpfs nr_inodes");
	return 0;
}

static int check_overlay(const struct hutch_mount_overlay *o, const char **why)
{
	if (o->flags & ~HUTCH_OVERLAY_FLAGS_ALL || o->reserved)
		FAIL("unknown overlay flags");
	if (o->nlower < 1 || o->nlower > HUTCH_OVERLAY_MAX_LOWER ||
	    o->lower_in_root >> o->nlower)
		FAIL("bad overlay layer count");
	for (uint32_t i = 0; i < HUTCH_OVERLAY_MAX_LOWER; i++)
		if (i < o->nlower ? hutch_check_path(o->lower[i], HUTCH_PATH_MAX) < 0
				  : !all_zero(o->lower[i], HUTCH_PATH_MAX))
			FAIL("bad overlay lower path");
	if (hutch_check_path(o->target, sizeof o->target) < 0 || !strcmp(o->target, "/"))
		FAIL("bad overlay target");
	if (o->flags & HUTCH_OVERLAY_RO) {
		if (o->flags & HUTCH_OVERLAY_UPPER_IN_ROOT || !all_zero(o->upper_dir, sizeof o->upper_dir) ||
		    !all_zero(o->upper_name, sizeof o->upper_name) ||
		    !all_zero(o->work_name, sizeof o->work_name))
			FAIL("upper layer on a read-only overlay");
		return 0;
	}
	if (hutch_check_path(o->upper_dir, sizeof o->upper_dir) < 0 ||
	    hutch_check_component(o->upper_name, sizeof o->upper_name) < 0 ||
	    hutch_check_component(o->work_name, sizeof o->work_name) < 0 ||
	    strncmp(o->work_name, ".#", 2) || /* nspawn's hidden ".#NAME<random>" */
	    !strcmp(o->upper_name, o->work_name))
		FAIL("bad overlay upper or work directory");
	return 0;
}

static int check_body(uint32_t type, const struct hutch_msg *m, const char **why)
{
	switch ((enum hutch_msg_type)type) {
	case HUTCH_MSG_OPEN_ROOT: {
		const struct hutch_open_root *r = &m->u.open_root;
		bool tmpl = r->flags & HUTCH_ROOT_TEMPLATE;
		if (hutch_check_string(r->path, HUTCH_PATH_MAX, 0) < 0 ||
		    hutch_check_string(r->template_path, HUTCH_PATH_MAX, !tmpl) < 0)
			FAIL("bad path string");
		if (r->path[0] != '/' || (tmpl ? r->template_path[0] != '/' : r->template_path[0]))
			FAIL("root path not absolute");
		if ((r->flags & ~HUTCH_ROOT_FLAGS_ALL) || r->reserved)
			FAIL("unknown root flags");
		return 0;
	}
	case HUTCH_MSG_OPEN_IMAGE:
		if (hutch_check_string(m->u.open_image.path, HUTCH_PATH_MAX, 0) < 0 ||
		    m->u.open_image.path[0] != '/')
			FAIL("bad image path");
		if ((m->u.open_image.flags & ~HUTCH_IMAGE_FLAGS_ALL) || m->u.open_image.reserved)
			FAIL("unknown image flags");
		return 0;
	case HUTCH_MSG_ATTACH_IMAGE: {
		const struct hutch_attach_image *a = &m->u.attach_image;
		if (a->fstype < 1 || a->fstype >= HUTCH_FS_MAX || a->reserved)
			FAIL("unknown file system type");
		if (a->size == 0 || a->offset % HUTCH_IMAGE_SECTOR || a->size % HUTCH_IMAGE_SECTOR ||
		    a->offset > UINT64_MAX - a->size)
			FAIL("bad image range");
		return 0;
	}
	case HUTCH_MSG_PROGRESS:
		if (m->u.progress.what >= HUTCH_PROGRESS_MAX || m->u.progress.reserved)
			FAIL("bad progress");
		return 0;
	case HUTCH_MSG_OPEN_FILE:
		if (m->u.open_file.which < 1 || m->u.open_file.which >= HUTCH_FILE_MAX)
			FAIL("unknown file");
		return 0;
	case HUTCH_MSG_CREATE: {
		const struct hutch_create *c = &m->u.create;
		if (c->flags & ~HUTCH_CREATE_FLAGS_ALL)
			FAIL("unknown create flags");
		if (c->kill_signal < 1 || c->kill_signal > 64 || c->kill_signal == SIGSTOP)
			FAIL("bad kill signal");
		if (hutch_check_string(c->machine, sizeof c->machine, 0) < 0 ||
		    hutch_check_string(c->hostname, sizeof c->hostname, 0) < 0)
			FAIL("bad name string");
		if (!all_zero(c->pad, sizeof c->pad))
			FAIL("padding not zero");
		if (check_bind_users(c, why) < 0 || check_avoid(c, why) < 0)
			return -EBADMSG;
		if (c->userns >= HUTCH_USERNS_MAX || c->ownership >= HUTCH_OWNERSHIP_MAX)
			FAIL("unknown user namespace mode");
		if (c->userns == HUTCH_USERNS_FIXED ? c->uid_count == 0 ||
							  c->uid_base > UINT32_MAX - c->uid_count
						    : c->uid_base || c->uid_count)
			FAIL("bad uid range");
		return 0;
	}
	case HUTCH_MSG_MOUNT_API:
		if (m->u.mount_api.kind < 1 || m->u.mount_api.kind >= HUTCH_API_MAX)
			FAIL("unknown api fs");
		return 0;
	case HUTCH_MSG_OPEN_CONSOLE:
		return 0;
	case HUTCH_MSG_PIVOT:
		if (m->u.pivot.reserved)
			FAIL("reserved not zero");
		return 0;
	case HUTCH_MSG_EXEC:
		return check_exec(&m->u.exec, why);
	case HUTCH_MSG_SECCOMP: {
		const struct hutch_seccomp *f = &m->u.seccomp;
		if (f->ninsns < 1 || f->ninsns > HUTCH_BPF_MAX_INSNS || f->reserved)
			FAIL("bad filter length");
		if (!all_zero(f->insns + f->ninsns,
			      sizeof f->insns - f->ninsns * sizeof f->insns[0]))
			FAIL("bytes after the filter");
		return 0;
	}
	case HUTCH_MSG_OPEN_HOST_FILE:
		if (hutch_check_string(m->u.open_host_file.path, HUTCH_PATH_MAX, 0) < 0 ||
		    m->u.open_host_file.path[0] != '/')
			FAIL("bad host path");
		return 0;
	case HUTCH_MSG_WRITE_FILE:
		if (m->u.write_file.target < 1 || m->u.write_file.target >= HUTCH_ETC_MAX ||
		    (m->u.write_file.flags & ~HUTCH_WRITE_FLAGS_ALL))
			FAIL("bad write_file");
		return 0;
	case HUTCH_MSG_FILE_OP:
		return check_file_op(&m->u.file_op, why);
	case HUTCH_MSG_CREDENTIAL:
		if (!file_name_valid(m->u.credential.id, sizeof m->u.credential.id))
			FAIL("bad credential id");
		return 0;
	case HUTCH_MSG_USERDB_RECORD: {
		const struct hutch_userdb_record *u = &m->u.userdb_record;
		if (u->kind < 1 || u->kind >= HUTCH_USERDB_MAX || u->id < HUTCH_BIND_USER_ID_MIN ||
		    u->id > HUTCH_BIND_USER_ID_MAX || !file_name_valid(u->name, sizeof u->name) ||
		    !all_zero(u->pad, sizeof u->pad))
			FAIL("bad userdb record");
		return 0;
	}
	case HUTCH_MSG_BIND_USER_HOME: {
		const struct hutch_bind_user_home *h = &m->u.bind_user_home;
		if (h->index >= HUTCH_BIND_USERS_MAX || !file_name_valid(h->name, sizeof h->name) ||
		    !all_zero(h->pad, sizeof h->pad) ||
		    hutch_check_string(h->path, sizeof h->path, 0) < 0 || h->path[0] != '/')
			FAIL("bad bind user home");
		return 0;
	}
	case HUTCH_MSG_CGROUP:
		return check_cgroup(&m->u.cgroup, why);
	case HUTCH_MSG_PROCESS:
		return check_process(&m->u.process, why);
	case HUTCH_MSG_CHECK_POLICY:
		if (hutch_check_string(m->u.check_policy.user, sizeof m->u.check_policy.user, 1) < 0 ||
		    !all_zero(m->u.check_policy.pad, sizeof m->u.check_policy.pad))
			FAIL("bad user string");
		return 0;
	case HUTCH_MSG_OPEN_SETTINGS: {
		const struct hutch_open_settings *o = &m->u.open_settings;
		if (o->where < 1 || o->where >= HUTCH_SETTINGS_MAX)
			FAIL("unknown settings location");
		if (hutch_check_string(o->name, sizeof o->name, 0) < 0 || !name_is_valid(o->name))
			FAIL("bad settings name");
		if (!all_zero(o->pad, sizeof o->pad))
			FAIL("padding not zero");
		return 0;
	}
	case HUTCH_MSG_LABEL: {
		const struct hutch_label *l = &m->u.label;
		if (hutch_check_label(l->exec, sizeof l->exec) < 0 ||
		    hutch_check_label(l->apifs, sizeof l->apifs) < 0 ||
		    hutch_check_label(l->tree, sizeof l->tree) < 0)
			FAIL("bad label string");
		if (l->reserve > 1 || (l->reserve ? l->cat[0] >= l->cat[1] ||
							l->cat[1] >= HUTCH_MCS_CATEGORIES
						  : l->cat[0] || l->cat[1]))
			FAIL("bad category pair");
		return 0;
	}
	case HUTCH_MSG_ROOT_MODE:
		if (m->u.root_mode.read_only > 1 || m->u.root_mode.volatile_mode >= HUTCH_VOLATILE_MAX)
			FAIL("bad root mode");
		return 0;
	case HUTCH_MSG_MOUNT_BIND: {
		const struct hutch_mount_bind *b = &m->u.mount_bind;
		if (b->flags & ~HUTCH_BIND_FLAGS_ALL || b->reserved)
			FAIL("unknown bind flags");
		if (hutch_check_path(b->source, sizeof b->source) < 0 ||
		    hutch_check_path(b->target, sizeof b->target) < 0 || !strcmp(b->target, "/"))
			FAIL("bad bind path");
		return 0;
	}
	case HUTCH_MSG_MOUNT_TMPFS:
		return check_tmpfs(&m->u.mount_tmpfs, why);
	case HUTCH_MSG_MOUNT_OVERLAY:
		return check_overlay(&m->u.mount_overlay, why);
	case HUTCH_MSG_INACCESSIBLE:
		if (hutch_check_path(m->u.inaccessible.target, HUTCH_PATH_MAX) < 0 ||
		    !strcmp(m->u.inaccessible.target, "/"))
			FAIL("bad inaccessible path");
		return 0;
	case HUTCH_MSG_REPLY:
		if (m->u.reply.error > 0 || m->u.reply.error < -4095 ||
		    hutch_check_string(m->u.reply.what, HUTCH_WHAT_MAX, 1) < 0)
			FAIL("bad reply");
		return 0;
	case HUTCH_MSG_NONE:
	case HUTCH_MSG_TYPE_MAX:
		break;
	}
	FAIL("unknown type");
}

int hutch_decode(const void *buf, size_t len, unsigned nfds, struct hutch_msg *out,
		 const char **why)
{
	static const char *ignored;
	if (!why)
		why = &ignored;
	if (len < sizeof(struct hutch_hdr))
		FAIL("truncated header");
	struct hutch_hdr h;
	memcpy(&h, buf, sizeof h);
	if (h.version != HUTCH_PROTO_VERSION)
		FAIL("protocol version mismatch");
	const struct msg_shape *s = shape(h.type);
	if (!s)
		FAIL("unknown message type");
	if (h.flags)
		FAIL("header flags not zero");
	if (h.len != len || len != sizeof h + s->body)
		FAIL("record length does not match its type");
	/* A REPLY's fd count depends on the request; the caller checks it. */
	if (h.type != HUTCH_MSG_REPLY && nfds != s->fds)
		FAIL("undeclared or missing fds");
	if (nfds > HUTCH_MAX_FDS)
		FAIL("too many fds");
	out->hdr = h;
	memcpy(&out->u, (const char *)buf + sizeof h, s->body);
	out->nfds = 0;
	return check_body(h.type, out, why);
}

int hutch_exec_pack(struct hutch_exec *e, char *const argv[], char *const envp[])
{
	size_t off = 0;
	e->argc = e->envc = 0;
	for (int pass = 0; pass < 2; pass++) {
		char *const *v = pass == 0 ? argv : envp;
		for (size_t i = 0; v && v[i]; i++) {
			size_t n = strlen(v[i]) + 1;
			if (n > sizeof e->strings - off)
				return -E2BIG;
			memcpy(e->strings + off, v[i], n);
			off += n;
			if (pass == 0)
				e->argc++;
			else
				e->envc++;
		}
	}
	if (e->argc == 0)
		return -EINVAL;
	e->strings_len = (uint32_t)off;
	memset(e->strings + off, 0, sizeof e->strings - off);
	return 0;
}

void hutch_exec_unpack(const struct hutch_exec *e, char **argv, char **envp)
{
	const char *p = e->strings;
	for (uint32_t i = 0; i < e->argc; i++, p += strlen(p) + 1)
		argv[i] = (char *)p;
	argv[e->argc] = NULL;
	for (uint32_t i = 0; i < e->envc; i++, p += strlen(p) + 1)
		envp[i] = (char *)p;
	envp[e->envc] = NULL;
}

int hutch_send(int sock, uint32_t type, const void *body, const int *fds, unsigned nfds)
{
	const struct msg_shape *s = shape(type);
	if (!s || nfds > HUTCH_MAX_FDS)
		return -EINVAL;
	struct hutch_hdr h = {
		.version = HUTCH_PROTO_VERSION,
		.type = type,
		.len = (uint32_t)(sizeof h + s->body),
		.flags = 0,
	};
	struct iovec iov[2] = {
		{.iov_base = &h, .iov_len = sizeof h},
		{.iov_base = (void *)body, .iov_len = s->body},
	};
	union {
		char buf[CMSG_SPACE(sizeof(int) * HUTCH_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	memset(&ctl, 0, sizeof ctl);
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
	if (nfds) {
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	for (;;) {
		ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		return (size_t)n == h.len ? 0 : -EMSGSIZE;
	}
}

int hutch_send_reply(int sock, int error, const char *what, const int *fds, unsigned nfds)
{
	struct hutch_reply r = {.error = error};
	if (what)
		strncpy(r.what, what, sizeof r.what - 1);
	return hutch_send(sock, HUTCH_MSG_REPLY, &r, fds, nfds);
}

/* Collect SCM_RIGHTS fds; any other control message is a violation. */
static int take_fds(struct msghdr *mh, int *fds, unsigned *nfds)
{
	int bad = 0;
	*nfds = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
			bad = 1;
			continue;
		}
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
			if (*nfds < HUTCH_MAX_FDS)
				fds[(*nfds)++] = fd;
			else {
				close(fd);
				bad = 1;
			}
		}
	}
	return bad ? -EBADMSG : 0;
}

int hutch_recv(int sock, struct hutch_msg *out, const char **why)
{
	static const char *ignored;
	if (!why)
		why = &ignored;
	/* One byte more than the largest record, so oversize shows as oversize.
	 * One buffer per process (each is single-threaded): a malloc'd one
	 * grew and trimmed the heap on every message (two brk calls and fresh
	 * page faults each time). */
	static char buf[HUTCH_MSG_MAX_RECORD + 1];
	const size_t cap = sizeof buf;
	union {
		char buf[CMSG_SPACE(sizeof(int) * 8)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {.iov_base = buf, .iov_len = cap};
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
		.msg_controllen = sizeof ctl.buf,
	};
	ssize_t n;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		int r = -errno;
		*why = "recvmsg failed";
		return r;
	}
	int fds[HUTCH_MAX_FDS];
	unsigned nfds = 0;
	int r = take_fds(&mh, fds, &nfds);
	if (n == 0 && nfds == 0 && r == 0)
		return 0;
	if (r < 0)
		*why = "unexpected control message or too many fds";
	else if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		*why = "record or control data truncated";
		r = -EBADMSG;
	} else
		r = hutch_decode(buf, (size_t)n, nfds, out, why);
	if (r < 0) {
		for (unsigned i = 0; i < nfds; i++)
			close(fds[i]);
		return r;
	}
	memcpy(out->fds, fds, sizeof(int) * nfds);
	out->nfds = nfds;
	return 1;
}
