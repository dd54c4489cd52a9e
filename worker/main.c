/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The worker: drops privileges first, then parses the command line and the
 * image's files, and drives the broker through the container's set-up with
 * typed requests. It decides *what* the container looks like; the broker
 * decides whether that is allowed and does it.
 */
#include "worker.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/host_files.h"
#include "../common/util.h"
#include "../common/worker_pool.h"
#include "client.h"
#include "console.h"
#include "files.h"
#include "drop.h"
#include "image.h"
#include "policy.h"
#include "seccomp.h"
#include "selinux.h"
#include "settings.h"
#include "subid.h"
#include "userdb.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* The root as the user named it: the image file or the directory. */
static const char *root_of(const struct settings *s)
{
	return s->fsroot.image[0] ? s->fsroot.image : s->directory;
}

/*
 * -i: the broker opens the file; we find the root file system in it (the
 * image is untrusted: parsed here, never in the broker) and ask for that
 * byte range to be attached and mounted.
 */
static void open_image(struct client *c)
{
	const char *path = c->s->fsroot.image;
	struct hutch_open_image oi = {0};
	strcpy(oi.path, path);
	if (c->s->mounts.read_only) /* nspawn: --read-only attaches the image read-only */
		oi.flags |= HUTCH_IMAGE_READ_ONLY;
	int fd = -1;
	int r = call(c, HUTCH_MSG_OPEN_IMAGE, &oi, &fd);
	if (r == -EACCES && policy_restricts(c->grant)) {
		policy_refused(c->grant, "image", path);
		exit(1);
	}
	if (r < 0) {
		errno = -r;
		if (r == -EPERM)
			log_error("starting a container needs root privileges; run hutch as root");
		else if (r == -EMEDIUMTYPE || r == -EISDIR)
			log_error("image %s is not a regular file", path);
		else
			log_error("cannot open image %s: %s", path, host_path_error(r));
		exit(1);
	}
	struct stat st;
	struct image_root root;
	char err[256];
	if (fstat(fd, &st) < 0 || image_find_root(fd, (uint64_t)st.st_size, &root, err, sizeof err) < 0) {
		log_error("image %s: %s", path, err);
		exit(1);
	}
	close(fd);
	struct hutch_attach_image a = {.offset = root.offset, .size = root.size, .fstype = root.fstype};
	r = call(c, HUTCH_MSG_ATTACH_IMAGE, &a, NULL);
	if (r < 0) {
		errno = -r;
		char part[32] = "the whole file";
		if (root.partition)
			snprintf(part, sizeof part, "partition %u", root.partition);
		log_error("cannot mount image %s (%s in %s): %m", path, c->reply->u.reply.what, part);
		exit(1);
	}
}

/* What the worker reads once the root is open, asked for at once: the
 * image's os-release, passwd and group, a .nspawn file beside the root, the
 * host files of --resolv-conf= and --timezone=. */
static void prefetch_after_root(struct client *c, const struct settings_reader *reader)
{
	prefetch_root_file(c, HUTCH_FILE_OS_RELEASE_ETC);
	prefetch_root_file(c, HUTCH_FILE_PASSWD);
	prefetch_root_file(c, HUTCH_FILE_GROUP);
	prefetch_root_file(c, HUTCH_FILE_HOST_SUBUID);
	prefetch_root_file(c, HUTCH_FILE_HOST_SUBGID);
	if (settings_beside_root_wanted()) {
		static const enum hutch_settings_file beside = HUTCH_SETTINGS_BESIDE_ROOT;
		reader->prefetch(reader->ctx, &beside, 1, c->s->machine);
	}
	files_prefetch(c);
}

/* The root and, in the same round trip, prefetch_after_root(). */
static void open_root(struct client *c, const struct settings_reader *reader)
{
	const struct settings *s = c->s;
	if (s->fsroot.image[0]) {
		open_image(c);
		prefetch_after_root(c, reader);
		return;
	}
	struct hutch_open_root root = {0};
	strcpy(root.path, s->directory);
	if (s->fsroot.ephemeral)
		root.flags |= HUTCH_ROOT_EPHEMERAL;
	if (s->fsroot.template_dir[0]) {
		root.flags |= HUTCH_ROOT_TEMPLATE;
		strcpy(root.template_path, s->fsroot.template_dir);
	}
	call_begin(c, HUTCH_MSG_OPEN_ROOT, &root);
	prefetch_after_root(c, reader);
	int r = call_end(c, HUTCH_MSG_OPEN_ROOT, NULL);
	if (r == 0)
		return;
	/* The prefetches' replies too, or the broker sees a reset, not an end. */
	const struct hutch_reply saved = c->reply->u.reply;
	collect(c);
	c->reply->u.reply = saved;
	if (r == -EACCES && !strncmp(c->reply->u.reply.what, "policy", 6)) {
		policy_refused(c->grant, c->reply->u.reply.what[6] ? "--template=" : "root directory",
			       c->reply->u.reply.what[6] ? s->fsroot.template_dir : s->directory);
		exit(1);
	}
	errno = -r;
	if (r == -EPERM)
		log_error("starting a container needs root privileges; run hutch as root");
	else if (r == -EBUSY)
		log_error("refusing to use the host's root directory %s as container root%s",
			  s->fsroot.template_dir[0] ? s->fsroot.template_dir : s->directory,
			  s->fsroot.template_dir[0] ? " template" : "");
	else if (s->fsroot.template_dir[0])
		log_error("cannot populate %s from template %s: %m", s->directory,
			  s->fsroot.template_dir);
	else if (s->fsroot.ephemeral)
		log_error("cannot make an ephemeral snapshot of %s: %m", s->directory);
	else
		log_error("cannot open root directory %s: %s", s->directory, host_path_error(r));
	exit(1);
}

static void check_os_tree(struct client *c)
{
	char *buf = NULL;
	size_t len;
	if (read_root_file(c, HUTCH_FILE_OS_RELEASE_ETC, &buf, &len) < 0 &&
	    read_root_file(c, HUTCH_FILE_OS_RELEASE_USR, &buf, &len) < 0) {
		log_error("Directory %s doesn't look like an OS root directory (os-release file is "
			  "missing). Refusing.",
			  root_of(c->s));
		exit(1);
	}
	free(buf);
}

struct identity {
	struct userdb_user user;
	gid_t groups[HUTCH_MAX_GROUPS];
	int ngroups;
};

static void resolve_user(struct client *c, struct identity *id)
{
	const char *spec = c->s->user[0] ? c->s->user : "root";
	char *passwd = NULL, *group = NULL;
	size_t plen = 0, glen = 0;
	int r = read_root_file(c, HUTCH_FILE_PASSWD, &passwd, &plen);
	if (r < 0 && r != -ENOENT && r != -EBADFD) {
		errno = -r;
		log_error("cannot read the container's /etc/passwd: %m");
		exit(1);
	}
	r = userdb_find_user(passwd ? passwd : "", plen, spec, &id->user);
	if (r == -ENOENT && bind_user_lookup(spec, &id->user)) /* --bind-user=, as nspawn */
		r = 0;
	if (r < 0 && !c->s->user[0]) { /* no -u and no root entry: nspawn's defaults */
		id->user = (struct userdb_user){.uid = 0, .gid = 0};
		strcpy(id->user.name, "root");
		strcpy(id->user.home, "/root");
		strcpy(id->user.shell, "/bin/sh");
		r = 0;
	}
	if (r < 0) {
		log_error("user '%s' %s", spec,
			  r == -ENOENT ? "not found in the container's /etc/passwd"
				       : "is not a valid user name or UID");
		exit(1);
	}
	if (read_root_file(c, HUTCH_FILE_GROUP, &group, &glen) < 0)
		glen = 0;
	id->ngroups = userdb_groups(group ? group : "", glen, id->user.name, id->user.gid,
				    id->groups, HUTCH_MAX_GROUPS);
	if (id->ngroups < 0) {
		log_error("user '%s' is in more than %d groups in the container's /etc/group", spec,
			  HUTCH_MAX_GROUPS);
		exit(1);
	}
	free(passwd);
	free(group);
}

/* Delegated ids that hold a worker uid: hutch must not go on, whatever the
 * container, since that user's own user namespaces could signal workers. */
static void refuse_delegated_worker_uids(enum hutch_root_file file, const char *buf, size_t len)
{
	struct hutch_id_range r;
	char owner[64];
	unsigned line = subid_find(buf, len, hutch_worker_uid_base, hutch_worker_uid_count, &r,
				   owner, sizeof owner);
	if (!line)
		return;
	log_error("%s line %u delegates ids %u..%u to '%s', among them hutch's worker uids "
		  "%u..%u: that user's processes could signal hutch's workers; not starting. "
		  "Keep %s clear of them, or build hutch with another HUTCH_WORKER_UID",
		  hutch_host_file(file), line, r.start, r.start + (r.count - 1), owner,
		  hutch_worker_uid_base, hutch_worker_uid_base + (hutch_worker_uid_count - 1),
		  hutch_host_file(file));
	exit(1);
}

/*
 * The host ids /etc/subuid and /etc/subgid delegate to users: none may be a
 * worker uid; a picked range avoids them (the broker's pick skips
 * c->avoid), a fixed one that overlaps gets a warning. Without the files, or
 * unreadable, nothing is avoided.
 */
static void check_subids(struct client *c, struct hutch_create *cr)
{
	const struct settings *s = c->s;
	bool avoid = s->userns == HUTCH_USERNS_PICK || s->userns == HUTCH_USERNS_FIXED;
	static struct subid_set set; /* 32 KiB: not on the stack */
	set.n = 0;
	static const enum hutch_root_file files[] = {HUTCH_FILE_HOST_SUBUID, HUTCH_FILE_HOST_SUBGID};
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *buf = NULL;
		size_t len = 0;
		int r = read_root_file(c, files[i], &buf, &len);
		if (r < 0) {
			if (r != -ENOENT && avoid) {
				errno = -r;
				log_error("warning: cannot read %s: %m; uid ranges delegated there are "
					  "not avoided", hutch_host_file(files[i]));
			}
			continue;
		}
		refuse_delegated_worker_uids(files[i], buf, len);
		subid_parse(&set, buf, len);
		if (set.bad_lines && avoid)
			log_error("warning: %s: %u malformed line%s ignored (the first is line %u); "
				  "the ranges they meant are not avoided",
				  hutch_host_file(files[i]), set.bad_lines,
				  set.bad_lines == 1 ? "" : "s", set.first_bad);
	}
	if (s->userns == HUTCH_USERNS_PICK) {
		cr->n_avoid = subid_merge(&set, cr->avoid, HUTCH_AVOID_MAX);
		return;
	}
	if (!avoid)
		return;
	struct hutch_id_range all[HUTCH_AVOID_MAX];
	uint32_t n = subid_merge(&set, all, HUTCH_AVOID_MAX);
	if (subid_overlaps(all, n, s->uid_base, s->uid_count))
		log_error("warning: --private-users=%u:%u overlaps ids /etc/subuid or /etc/subgid "
			  "delegates to a user, whose own containers may use them too; "
			  "--private-users=pick avoids them",
			  s->uid_base, s->uid_count);
}

static void create(struct client *c)
{
	struct hutch_create cr = {
		.flags = (c->s->start_mode == START_BOOT ? HUTCH_CREATE_BOOT : 0) |
			 (c->s->quiet ? HUTCH_CREATE_QUIET : 0) |
			 (c->s->private_network ? HUTCH_CREATE_PRIVATE_NETWORK : 0) |
			 (c->s->res.keep_unit ? HUTCH_CREATE_KEEP_UNIT : 0),
		.kill_signal = (uint32_t)c->s->kill_signal,
		.userns = c->s->userns,
		.ownership = c->s->ownership,
		.uid_base = c->s->uid_base,
		.uid_count = c->s->uid_count,
	};
	memcpy(cr.uuid, c->s->uuid, 16);
	bind_user_create(&cr);
	check_subids(c, &cr);
	strcpy(cr.machine, c->s->machine);
	strcpy(cr.hostname, c->s->hostname);
	/* The limits and the container in one round trip: the broker refuses
	 * CREATE after limits it rejected. */
	int cg_err = 0;
	int r = call_pair(c, HUTCH_MSG_CGROUP, &c->s->res.cg, &cg_err, HUTCH_MSG_CREATE, &cr,
			  &c->oom_fd);
	if (cg_err < 0) {
		const char *setting = c->reply->u.reply.what;
		log_error("%s=%s: %s", setting, !strcmp(setting, "Slice") ? c->s->res.cg.slice : "",
			  cg_err == -EDOM ? "MemorySwapMax= on cgroup v1 needs a finite MemoryMax="
					  : "value out of range");
		exit(1);
	}
	const char *what = c->reply->u.reply.what;
	if (r == -EADDRINUSE && !strcmp(what, "uid range")) {
		if (c->s->userns == HUTCH_USERNS_PICK)
			log_error("no free uid range for --private-users=pick (each is in use by a "
				  "container or delegated to a user in /etc/subuid or /etc/subgid); "
				  "stop a container or give a range with --private-users=BASE:COUNT");
		else
			log_error("the uid range of --private-users is in use by another running "
				  "container; pick another, or use --private-users=pick");
		exit(1);
	}
	if (r == -EADDRNOTAVAIL && !strcmp(what, "worker uids")) {
		log_error("the container's uid range %s overlaps hutch's worker uids %u..%u, which "
			  "no container may have; use --private-users=pick or another range",
			  c->s->userns == HUTCH_USERNS_FIXED ? "(--private-users=BASE:COUNT)"
							     : "(from the owner of the root)",
			  hutch_worker_uid_base, hutch_worker_uid_base + (hutch_worker_uid_count - 1));
		exit(1);
	}
	if (r == -EACCES && !strcmp(what, "root owner outside the uid pool")) {
		log_error("%s is owned by host ids outside the policy's PrivateUsersPool=: through "
			  "an idmapped root the container would write files as those ids (as host "
			  "root, for a tree root owns); shift it into the pool once with "
			  "--private-users-ownership=chown",
			  root_of(c->s));
		exit(1);
	}
	if (r == -EACCES && !strcmp(what, "uid range not one 65536-id block")) {
		log_error("under the admin policy --private-users=BASE:COUNT must be one 65536-id "
			  "block (BASE a multiple of 65536, COUNT 65536), so ranges never overlap");
		exit(1);
	}
	if (r == -EACCES) {
		log_error("the admin policy refused the container (%s); see hutch --check-policy",
			  what);
		exit(1);
	}
	if (r == -ERANGE && !strcmp(what, "bind user")) {
		log_error("--bind-user= needs a user namespace of 65536 ids (nspawn's ids 60514..60577); "
			  "use --private-users=pick");
		exit(1);
	}
	if (r < 0 && !strncmp(what, "--keep-unit", 11)) {
		resources_keep_unit_error(what, r);
		exit(1);
	}
	if (r == -EADDRINUSE) {
		log_error("machine '%s' is already running; pick another name with -M",
			  c->s->machine);
		exit(1);
	}
	if (r == -EDOM) {
		log_error("--private-users=yes needs the owner of %s to start a 65536-id range "
			  "(a multiple of 65536); use --private-users=pick",
			  root_of(c->s));
		exit(1);
	}
	if (r == -EOPNOTSUPP && !strcmp(what, "file ownership")) {
		log_error("the file system of %s cannot do idmapped mounts; use "
			  "--private-users-ownership=chown or auto",
			  root_of(c->s));
		exit(1);
	}
	if (r == -EROFS && !strcmp(what, "file ownership")) {
		log_error("%s needs its file ownership shifted for the user namespace, which would "
			  "change a %s; use --private-users=no, or a root whose owner starts a "
			  "65536-id range",
			  root_of(c->s), c->s->fsroot.ephemeral ? "root used with --ephemeral"
								 : "read-only image");
		exit(1);
	}
	if (r == -EXDEV) {
		log_error("%s holds a file with another name outside it (a hard link): %s would "
			  "change that file too, so nothing was changed; remove the link (find %s "
			  "-xdev ! -type d -links +1 lists candidates)",
			  root_of(c->s), !strcmp(what, "SELinux relabel") ? "--selinux-relabel"
									  : "the ownership shift",
			  root_of(c->s));
		exit(1);
	}
	if (r == -EOPNOTSUPP && !strcmp(what, "boot on legacy cgroups")) {
		log_error("-b/--boot needs cgroup2 (a unified or hybrid layout); this host mounts "
			  "only cgroup v1 hierarchies at /sys/fs/cgroup, where the container's "
			  "systemd has no cgroup tree of its own");
		exit(1);
	}
	/* Legacy layout (v1 only) without a devices hierarchy: nothing would
	 * fence the container's device access. */
	if (r == -EOPNOTSUPP && !strcmp(what, "devices controller")) {
		log_error("no device fence on this host: no cgroup2 hierarchy for the device program "
			  "and no v1 devices hierarchy at /sys/fs/cgroup/devices; not starting");
		exit(1);
	}
	/* A --property= the host's cgroups cannot express ("IOWeight"). */
	if (r < 0 && isupper((unsigned char)what[0])) {
		errno = -r;
		log_error("cannot set %s= on this host's cgroups: %m%s", what,
			  r == -ENOENT || r == -EOPNOTSUPP ? " (no such controller here)" : "");
		exit(1);
	}
	if (r < 0)
		step_error(c, "creating the container:", r);
}

static void mount_api_filesystems(struct client *c)
{
	static const enum hutch_api_fs order[] = {HUTCH_API_PROC, HUTCH_API_SYS, HUTCH_API_CGROUP,
						  HUTCH_API_DEV,  HUTCH_API_RUN, HUTCH_API_TMP};
	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		struct hutch_mount_api m = {.kind = order[i]};
		static char labelled[HUTCH_LABEL_MAX + 64];
		snprintf(labelled, sizeof labelled, "setting up (SELinux context %s)",
			 c->s->selinux.apifs_context);
		post(c, HUTCH_MSG_MOUNT_API, &m,
		     c->s->selinux.apifs_context[0] && m.kind >= HUTCH_API_DEV ? labelled
									       : "setting up");
	}
}

/* --read-only, --volatile=: before anything is mounted on the root. */
static void root_mode(struct client *c)
{
	const struct mount_settings *m = &c->s->mounts;
	if (!m->read_only && m->volatile_mode == HUTCH_VOLATILE_NO)
		return;
	struct hutch_root_mode rm = {.read_only = m->read_only, .volatile_mode = m->volatile_mode};
	int r = call(c, HUTCH_MSG_ROOT_MODE, &rm, NULL);
	if (r < 0)
		step_error(c, m->volatile_mode ? "setting up --volatile:" : "setting up --read-only:", r);
}

static _Noreturn void user_mount_error(struct client *c, const struct user_mount *u, int err)
{
	const char *what = c->reply->u.reply.what;
	errno = -err;
	if (err == -ELOOP)
		log_error("%s=%s: the %s path is or passes through a symlink; hutch follows none "
			  "there (give the resolved path)", u->option, u->value, what);
	else if (err == -EACCES && (!strcmp(what, "source") || !strcmp(what, "lower") ||
				    !strcmp(what, "upper")))
		log_error("%s=%s: the admin policy does not allow this host path here (Bind=, "
			  "BindReadOnly=; read-write only where granted)", u->option, u->value);
	else if (err == -EPERM && !strcmp(what, "target"))
		log_error("%s=%s: refusing to mount on or below /proc, /sys or a cgroup file system",
			  u->option, u->value);
	else if (err == -EPERM && (!strcmp(what, "source") || !strcmp(what, "lower") ||
				   !strcmp(what, "upper")))
		log_error("%s=%s: refusing /proc, /sys or a cgroup file system as a source (a copy "
			  "of the container's /proc would lose its masks)", u->option, u->value);
	else if (err == -EACCES && !strcmp(what, "idmap"))
		log_error("%s=%s: the admin policy does not allow idmap binds: through one the "
			  "container's root writes files as their host owners (root, for root's)",
			  u->option, u->value);
	else if (!strcmp(what, "idmap"))
		log_error("%s=%s: the source's file system cannot do idmapped mounts: %m", u->option,
			  u->value);
	else
		log_error("%s=%s: %s: %m", u->option, u->value, what[0] ? what : "mount");
	exit(1);
}

static void user_mounts(struct client *c)
{
	static const uint32_t types[] = {
		[USER_MOUNT_BIND] = HUTCH_MSG_MOUNT_BIND,
		[USER_MOUNT_TMPFS] = HUTCH_MSG_MOUNT_TMPFS,
		[USER_MOUNT_OVERLAY] = HUTCH_MSG_MOUNT_OVERLAY,
		[USER_MOUNT_INACCESSIBLE] = HUTCH_MSG_INACCESSIBLE,
	};
	const struct mount_settings *m = &c->s->mounts;
	for (unsigned i = 0; i < m->n; i++) {
		int r = call(c, types[m->mounts[i].kind], m->mounts[i].req.bind, NULL);
		if (r < 0)
			user_mount_error(c, &m->mounts[i], r);
	}
}

static bool console_is_pty(enum console_mode m)
{
	return m == CONSOLE_INTERACTIVE || m == CONSOLE_READ_ONLY || m == CONSOLE_PASSIVE;
}

static int open_console(struct client *c)
{
	struct hutch_open_console oc = {0};
	struct winsize ws;
	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0) {
		oc.rows = ws.ws_row;
		oc.cols = ws.ws_col;
	}
	int master = -1;
	int r = call(c, HUTCH_MSG_OPEN_CONSOLE, &oc, &master);
	if (r < 0)
		step_error(c, "setting up the console", r);
	return master;
}

/* Environment of PID 1, nspawn's set plus -E (later values win). */
static size_t build_env(const struct settings *s, const struct identity *id, char **env,
			char store[][HUTCH_PATH_MAX + 16], size_t max)
{
	size_t n = 0, k = 0;
	char uuid[37];
	format_uuid(s->uuid, uuid);
	env[n++] = (char *)DEFAULT_PATH;
	env[n++] = (char *)"container=hutch";
	snprintf(store[k], sizeof store[k], "container_uuid=%s", uuid);
	env[n++] = store[k++];
	snprintf(store[k], sizeof store[k], "HOME=%s", id->user.home);
	env[n++] = store[k++];
	snprintf(store[k], sizeof store[k], "USER=%s", id->user.name);
	env[n++] = store[k++];
	snprintf(store[k], sizeof store[k], "LOGNAME=%s", id->user.name);
	env[n++] = store[k++];
	snprintf(store[k], sizeof store[k], "SHELL=%s", id->user.shell);
	env[n++] = store[k++];
	if (files_env(s))
		env[n++] = (char *)files_env(s);
	if (console_is_pty(s->console)) {
		const char *term = getenv("TERM");
		snprintf(store[k], sizeof store[k], "TERM=%s",
			 term && *term && strlen(term) < 64 ? term : "vt220");
		env[n++] = store[k++];
	}
	for (unsigned i = 0; i < s->n_env && n < max - 1; i++) {
		size_t name_len = (size_t)(strchr(s->env[i], '=') - s->env[i]) + 1;
		size_t j;
		for (j = 0; j < n; j++)
			if (strncmp(env[j], s->env[i], name_len) == 0)
				break;
		env[j] = s->env[i];
		if (j == n)
			n++;
	}
	env[n] = NULL;
	return n;
}

static void exec_payload(struct client *c, const struct identity *id)
{
	const struct settings *s = c->s;
	struct hutch_exec *e = calloc(1, sizeof *e);
	if (!e)
		exit(1);
	e->cap_bounding = s->cap_bounding;
	e->cap_ambient = s->cap_ambient;
	e->no_new_privs = s->no_new_privs;
	e->uid = id->user.uid;
	e->gid = id->user.gid;
	e->ngroups = (uint32_t)id->ngroups;
	for (int i = 0; i < id->ngroups; i++)
		e->groups[i] = id->groups[i];
	/* nspawn: --chdir, else the user's home for -u, else /. */
	const char *cwd = s->chdir[0] ? s->chdir : s->user[0] ? id->user.home : "/";
	if (!s->chdir[0] && s->user[0])
		e->flags |= HUTCH_EXEC_CWD_FALLBACK; /* like login(1): no home, then / */
	if (strlen(cwd) >= sizeof e->cwd) {
		log_error("working directory '%.64s...' is too long", cwd);
		exit(1);
	}
	strcpy(e->cwd, cwd);
	if (s->start_mode == START_PID2)
		e->flags |= HUTCH_EXEC_AS_PID2;
	if (console_is_pty(s->console))
		e->flags |= HUTCH_EXEC_CONSOLE;

	char *shell_argv[] = {(char *)id->user.shell, NULL};
	char *init_argv[HUTCH_EXEC_STRINGS_MAX / 2];
	char **argv = s->command;
	if (s->start_mode == START_BOOT) {
		e->flags |= HUTCH_EXEC_SEARCH_INIT;
		size_t n = 0;
		init_argv[n++] = (char *)"/sbin/init";
		for (char **a = s->command; *a && n < ARRAY_SIZE(init_argv) - 1; a++)
			init_argv[n++] = *a;
		init_argv[n] = NULL;
		argv = init_argv;
	} else if (!argv[0]) {
		e->flags |= HUTCH_EXEC_SHELL_FALLBACK;
		argv = shell_argv;
	}
	static char *env[SETTINGS_MAX_ENV + 16];
	static char store[8][HUTCH_PATH_MAX + 16];
	build_env(s, id, env, store, ARRAY_SIZE(env));
	if (hutch_exec_pack(e, argv, env) < 0) {
		log_error("command line and environment are too long (at most %d bytes)",
			  HUTCH_EXEC_STRINGS_MAX);
		exit(1);
	}
	int r = call(c, HUTCH_MSG_EXEC, e, NULL);
	if (r < 0) {
		const char *what = c->reply->u.reply.what;
		errno = -r;
		if (!strcmp(what, "SELinux label"))
			log_error("the kernel refused SELinux context %s for the payload: %m; is it "
				  "valid in the loaded policy?", s->selinux.context);
		else if (!strcmp(what, "chdir"))
			log_error("cannot change to directory %s in the container: %m", cwd);
		else if (!strcmp(what, "exec"))
			log_error("failed to execute %s in the container: %m",
				  s->start_mode == START_BOOT ? "an init system" : argv[0]);
		else if ((r == -EPERM || r == -EACCES) &&
			 (!strcmp(what, "rlimit") || !strcmp(what, "oom score")))
			log_error("cannot set the payload's %s: %m (raising a hard limit or lowering the "
				  "OOM score needs CAP_SYS_RESOURCE on the host, and no admin policy rule "
				  "that forbids it)",
				  what);
		else
			log_error("starting the payload (%s): %m", what);
		exit(1);
	}
	free(e);
}

/* The kernel's count of OOM kills in the container's cgroup (read here, not
 * in the broker: it is kernel text). */
static void report_oom(const struct settings *s, int fd)
{
	char buf[1024];
	ssize_t n = fd >= 0 ? pread(fd, buf, sizeof buf - 1, 0) : -1;
	uint64_t kills = n > 0 ? resources_oom_kills(buf, (size_t)n) : 0;
	if (kills)
		log_info("Container %s: %llu process%s killed by the OOM killer (memory limit reached).",
			 s->machine, (unsigned long long)kills, kills == 1 ? " was" : "es were");
}

/* nspawn's status line; the monitor computed the status (outcome & 0xff). */
static int report_exit(const struct settings *s, int outcome)
{
	int status = outcome & 0xff, sig = outcome >> 8;
	const char *abbrev = sig ? sigabbrev_np(sig) : NULL;
	if (sig)
		log_info("Container %s terminated by signal SIG%s.", s->machine, abbrev ? abbrev : "?");
	else if (status == 0)
		log_info("Container %s exited successfully.", s->machine);
	else if (status == 133 && s->start_mode == START_BOOT)
		log_info("Container %s is being rebooted.", s->machine);
	else
		log_info("Container %s failed with error code %d.", s->machine, status);
	return status;
}

/* --check-policy: the monitor runs the policy parser, which prints. */
static int check_policy(struct client *c)
{
	struct hutch_check_policy req = {0};
	memcpy(req.user, c->s->user, strnlen(c->s->user, HUTCH_USER_MAX));
	int r = call(c, HUTCH_MSG_CHECK_POLICY, &req, NULL);
	if (r == -EPERM)
		log_error("--check-policy --user= needs a caller the policy does not restrict");
	return r < 0;
}

static int send_label(void *p, const struct hutch_label *l)
{
	return call(p, HUTCH_MSG_LABEL, l, NULL);
}

int worker_main(int sock, uint32_t worker_uid, int argc, char **argv, const struct hutch_grant *grant)
{
	/* Reads the host's SELinux state with privileges we are about to drop. */
	if (selinux_probe() < 0)
		return 1;
	int r = worker_drop_privileges(sock, worker_uid);
	if (r < 0) {
		errno = -r;
		log_error("worker: cannot drop privileges: %m");
		return 1;
	}
	/* The monitor handles SIGTERM/SIGINT/SIGHUP; we go when it says so. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	/* SIGUSR1 stays blocked: the console relay reads it from a signalfd. */

	static struct settings s;
	switch (cli_parse(argc, argv, &s)) {
	case CLI_EXIT_OK:
		fflush(stdout);
		return 0;
	case CLI_ERROR:
		return 1;
	case CLI_RUN:
		break;
	}
	struct client c = {.sock = sock, .oom_fd = -1, .reply = calloc(1, sizeof(struct hutch_msg)), .s = &s,
			   .grant = grant};
	if (!c.reply)
		return 1;
	if (s.check_policy)
		return check_policy(&c);
	struct settings_reader reader = {.read = client_read_settings_file,
					 .prefetch = client_prefetch_settings,
					 .forget = client_forget_settings, .ctx = &c};
	if (s.sources.show_profile[0])
		return profile_show(s.sources.show_profile, &reader) < 0 ? 1 : 0;
	/* The profile and a trusted .nspawn file come first: they may ask for
	 * an ephemeral root, and the policy judges them before any root is
	 * opened. A file next to the root can only be found once the root is
	 * open (it may not set how it is opened, nor anything the policy caps);
	 * if there is one, what it set is finished and judged again. */
	bool tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	if (settings_policy_profile(&s, grant) < 0 || settings_load(&s, argc, argv, &reader) < 0 ||
	    settings_finish(&s, tty, tty) < 0 || policy_apply(&s, grant) < 0)
		return 1;
	open_root(&c, &reader);
	r = settings_load_beside_root(&s, argc, argv, &reader);
	if (r < 0 || (r > 0 && (settings_finish(&s, tty, tty) < 0 || policy_apply(&s, grant) < 0)))
		return 1;
	if (mountopts_finish(&s.mounts, s.userns != HUTCH_USERNS_NO) < 0)
		return 1;
	/* Compiled before anything is set up, so a bad filter costs nothing. */
	static struct hutch_seccomp filter; /* 32 KiB: not on the stack */
	if (syscall_filter_compile_settings(&s, &filter) < 0)
		return 1;
	check_os_tree(&c);
	bind_user_prepare(&c);
	struct identity id;
	resolve_user(&c, &id);
	/* /etc stays read-only with --read-only and --volatile=state: bind, not copy. */
	files_prepare(&c, (s.mounts.read_only && s.mounts.volatile_mode == HUTCH_VOLATILE_NO) ||
				  s.mounts.volatile_mode == HUTCH_VOLATILE_STATE);

	if (selinux_setup(&s.selinux, send_label, &c) < 0)
		return 1;
	log_info("Spawning container %s on %s.", s.machine, root_of(&s));
	if (s.console == CONSOLE_INTERACTIVE)
		log_info("Press ^] three times within 1s to kill container.");
	create(&c);
	root_mode(&c);
	mount_api_filesystems(&c);
	files_apply(&c);
	user_mounts(&c);
	bind_user_apply(&c);
	int master = console_is_pty(s.console) ? open_console(&c) : -1;
	post(&c, HUTCH_MSG_SECCOMP, &filter, "loading the system call filter");
	if (resources_have_process(&s.res))
		post(&c, HUTCH_MSG_PROCESS, &s.res.proc, "setting process limits");
	post(&c, HUTCH_MSG_PIVOT, &(struct hutch_pivot){0}, "switching to the container root");
	exec_payload(&c, &id);
	close(sock);
	/* -q without a pty: no status line to print and nothing to relay. The
	 * monitor computes the exit status itself; going now frees our memory
	 * while the container runs and spares the monitor a wait at the end. */
	if (master < 0 && s.quiet)
		return 0;
	int outcome = 1;
	if (master < 0)
		outcome = console_wait_outcome();
	else if (console_relay(master, s.console, &outcome))
		return HUTCH_WORKER_EXIT_KILL;
	report_oom(&s, c.oom_fd);
	return report_exit(&s, outcome);
}
