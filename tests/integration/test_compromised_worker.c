/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The grant against a compromised worker. The real broker (broker_main,
 * linked from the same objects as hutch) runs in a child with a grant the
 * test builds; its "worker" is a script here that speaks the wire protocol
 * directly and asks for what the grant forbids, as a worker taken over by
 * a hostile command line or image would. Each request must be refused (an
 * error reply, or the broker ending the conversation with a non-zero
 * status) and leave nothing behind on the host. A positive control runs
 * the same script with allowed values, so the harness can fail.
 *
 * No production knob is involved: this binary links broker_main itself.
 */
#include "../lib/harness.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../broker/broker.h"
#include "../../common/util.h"
#include "../../worker/policy.h"
#include "../../worker/resources.h"

#define EOF_SEEN 1 /* the broker closed the socket instead of replying */
#define POOL_BASE 1048576u
#define POOL_COUNT 1048576u

/* What the compromised worker asks for. */
struct attack {
	const char *root;      /* OPEN_ROOT path */
	bool host_network;     /* CREATE without a private network */
	uint32_t userns;       /* enum hutch_userns */
	uint32_t uid_base, uid_count;
	uint64_t caps;         /* EXEC bounding set */
	bool second_open_root; /* retry OPEN_ROOT after a refusal */
	const char *host_file; /* OPEN_HOST_FILE (--load-credential=) after OPEN_ROOT, then stop */
	uint64_t memory_max, tasks_max; /* CGROUP values; 0: hutch's defaults */
	const char *image;         /* OPEN_IMAGE instead of OPEN_ROOT, then stop */
	const char *template_path; /* OPEN_ROOT with HUTCH_ROOT_TEMPLATE */
	bool block_device;         /* a DeviceAllow= rule for the host's disks */
	const char *slice;         /* --slice= */
	const struct hutch_process *process; /* PROCESS before EXEC */
	uint32_t bind_uid;         /* CREATE with --bind-user= of this host uid (and gid) */
	bool keep_unit;            /* CREATE with --keep-unit */
	bool create_anyway;        /* CGROUP with TasksMax=0 (refused), CREATE all the same */
};

struct outcome {
	int status;      /* the broker's exit status */
	int replies[16]; /* reply errors in order, EOF_SEEN for a closed socket */
	int n;
};

static struct hutch_grant grant;

/* A rule grant: the busybox rootfs (the copy its pool owns), a 16-range uid pool,
 * a small capability ceiling, private network only. */
static void make_grant(void)
{
	hutch_grant_init_all(&grant);
	grant.kind = HUTCH_GRANT_RULE;
	grant.flags = 0;
	char dir[PATH_MAX];
	cr_assert_not_null(realpath(test_rootfs_pool(), dir));
	cr_assert_lt(strlen(dir), sizeof grant.roots[0].path);
	memcpy(grant.roots[0].path, dir, strlen(dir));
	grant.n_roots = 1;
	grant.uid_min = POOL_BASE;
	grant.uid_max = POOL_BASE + POOL_COUNT;
	grant.cap_max = (1ull << CAP_CHOWN) | (1ull << CAP_SETUID) | (1ull << CAP_SETGID);
	strcpy(grant.rule, "test");
	grant.caller_uid = grant.caller_gid = 4242;
	const char *why = NULL;
	cr_assert_eq(hutch_grant_check(&grant, &why), 0, "%s", why);
}

static struct hutch_msg reply;

/* One request and its reply (or EOF), recorded for the test. */
static int ask(int sock, int res, uint32_t type, const void *body)
{
	int out = EOF_SEEN;
	const char *why = NULL;
	if (hutch_send(sock, type, body, NULL, 0) == 0 && hutch_recv(sock, &reply, &why) == 1)
		out = reply.u.reply.error;
	if (reply.nfds)
		close(reply.fds[0]);
	reply.nfds = 0;
	(void)!write(res, &out, sizeof out);
	return out;
}

static _Noreturn void worker_script(int sock, int res_fd, const struct attack *a)
{
	/* The monitor signals the container's end with SIGUSR1 (as to hutch's worker). */
	sigset_t usr1;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	if (a->image) {
		static struct hutch_open_image oi;
		snprintf(oi.path, sizeof oi.path, "%s", a->image);
		ask(sock, res_fd, HUTCH_MSG_OPEN_IMAGE, &oi);
		_exit(0);
	}
	static struct hutch_open_root root;
	snprintf(root.path, sizeof root.path, "%s", a->root);
	if (a->template_path) {
		root.flags = HUTCH_ROOT_TEMPLATE;
		snprintf(root.template_path, sizeof root.template_path, "%s", a->template_path);
	}
	if (ask(sock, res_fd, HUTCH_MSG_OPEN_ROOT, &root) != 0) {
		if (a->second_open_root) {
			char dir[PATH_MAX];
			memset(&root, 0, sizeof root);
			snprintf(root.path, sizeof root.path, "%s", realpath(test_rootfs_pool(), dir));
			ask(sock, res_fd, HUTCH_MSG_OPEN_ROOT, &root);
		}
		_exit(0);
	}
	if (a->host_file) {
		static struct hutch_open_host_file h;
		snprintf(h.path, sizeof h.path, "%s", a->host_file);
		ask(sock, res_fd, HUTCH_MSG_OPEN_HOST_FILE, &h);
		_exit(0);
	}
	/* CGROUP as the worker builds it (nspawn's defaults), with the attack's values. */
	static struct resources res;
	resources_finish(&res);
	if (a->memory_max) {
		res.cg.set |= 1u << HUTCH_LIMIT_MEMORY_MAX;
		res.cg.value[HUTCH_LIMIT_MEMORY_MAX] = a->memory_max;
	}
	if (a->tasks_max)
		res.cg.value[HUTCH_LIMIT_TASKS_MAX] = a->tasks_max;
	if (a->slice)
		snprintf(res.cg.slice, sizeof res.cg.slice, "%s", a->slice);
	if (a->block_device)
		res.cg.devices[res.cg.ndevices++] =
			(struct hutch_device_rule){'b', HUTCH_DEV_READ, {0}, 8, HUTCH_DEV_ANY};
	if (a->create_anyway) {
		res.cg.set |= 1u << HUTCH_LIMIT_TASKS_MAX;
		res.cg.value[HUTCH_LIMIT_TASKS_MAX] = 0;
	}
	if (ask(sock, res_fd, HUTCH_MSG_CGROUP, &res.cg) != 0 && !a->create_anyway)
		_exit(0);
	struct hutch_create c = {
		.flags = HUTCH_CREATE_QUIET | (a->host_network ? 0 : HUTCH_CREATE_PRIVATE_NETWORK) |
			 (a->keep_unit ? HUTCH_CREATE_KEEP_UNIT : 0),
		.kill_signal = 9,
		.userns = a->userns,
		.uid_base = a->uid_base,
		.uid_count = a->uid_count,
	};
	snprintf(c.machine, sizeof c.machine, "%s", machine_name("cw"));
	strcpy(c.hostname, c.machine);
	if (a->bind_uid) {
		c.n_bind_users = 1;
		c.bind_users[0] = (struct hutch_bind_user_ids){a->bind_uid, a->bind_uid, 60514};
	}
	if (ask(sock, res_fd, HUTCH_MSG_CREATE, &c) != 0)
		_exit(0);
	static const uint32_t api[] = {HUTCH_API_PROC, HUTCH_API_SYS, HUTCH_API_DEV};
	for (size_t i = 0; i < ARRAY_SIZE(api); i++) {
		struct hutch_mount_api m = {.kind = api[i]};
		if (ask(sock, res_fd, HUTCH_MSG_MOUNT_API, &m) != 0)
			_exit(0);
	}
	if (ask(sock, res_fd, HUTCH_MSG_PIVOT, &(struct hutch_pivot){0}) != 0)
		_exit(0);
	if (a->process && ask(sock, res_fd, HUTCH_MSG_PROCESS, a->process) != 0)
		_exit(0);
	static struct hutch_exec e;
	char *argv[] = {"/bin/true", NULL}, *envp[] = {"PATH=/bin", NULL};
	e.cap_bounding = a->caps;
	strcpy(e.cwd, "/");
	if (hutch_exec_pack(&e, argv, envp) < 0)
		_exit(2);
	ask(sock, res_fd, HUTCH_MSG_EXEC, &e); /* success: EOF (the socket closes on exec) */
	_exit(0);
}

static struct outcome run_broker(const struct attack *a)
{
	harness_lock_shared(); /* a container runs: no other test's leak check meanwhile */
	int sv[2], res[2];
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	cr_assert_eq(pipe(res), 0);
	pid_t b = fork();
	cr_assert_geq(b, 0);
	if (b == 0) { /* "hutch": the broker, with the script as its worker */
		close(res[0]);
		pid_t w = fork();
		if (w == 0) {
			close(sv[0]);
			worker_script(sv[1], res[1], a);
		}
		close(sv[1]);
		close(res[1]);
		_exit(broker_main(sv[0], w, HUTCH_WORKER_UID, &grant, policy_main));
	}
	close(sv[0]);
	close(sv[1]);
	close(res[1]);
	struct outcome o = {0};
	int st = 0;
	cr_assert_eq(waitpid(b, &st, 0), b);
	o.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	while (o.n < 16 && read(res[0], &o.replies[o.n], sizeof(int)) == sizeof(int))
		o.n++;
	close(res[0]);
	return o;
}

static struct attack allowed(void)
{
	static char dir[PATH_MAX];
	cr_assert_not_null(realpath(test_rootfs_pool(), dir));
	return (struct attack){
		.root = dir,
		.userns = HUTCH_USERNS_PICK,
		.caps = (1ull << CAP_CHOWN) | (1ull << CAP_SETUID),
	};
}

static void setup(void)
{
	need_rootfs();
	make_grant();
}

TestSuite(compromised_worker, .init = setup, .timeout = 120);

/* The control: allowed values get all the way to the payload (exit 0). */
Test(compromised_worker, allowed_requests_run)
{
	struct attack a = allowed();
	struct outcome o = run_broker(&a);
	cr_assert_eq(o.status, 0, "broker status %d", o.status);
	cr_assert_eq(o.replies[0], 0, "OPEN_ROOT refused: %d", o.replies[0]);
	cr_assert_eq(o.replies[o.n - 1], EOF_SEEN, "EXEC did not exec: %d replies, last %d", o.n,
		     o.replies[o.n - 1]);
}

/* A path the grant does not name, and the same directory spelled through
 * "..", and through a symlink planted inside the granted tree: refused,
 * and the one OPEN_ROOT is spent (a retry is a protocol violation). */
Test(compromised_worker, root_outside_grant)
{
	struct host_snapshot snap;
	host_snapshot_take(&snap);
	char dir[PATH_MAX], tricks[4][PATH_MAX + 64];
	cr_assert_not_null(realpath(test_rootfs_pool(), dir));
	int n = 0;
	snprintf(tricks[n++], sizeof tricks[0], "%s", "/tmp");
	snprintf(tricks[n++], sizeof tricks[0], "%s/..", dir);
	char link[PATH_MAX + 16];
	snprintf(link, sizeof link, "%s/tmp/cw-escape-%d", dir, (int)getpid());
	unlink(link);
	cr_assert_eq(symlink("/usr", link), 0, "symlink: %m");
	snprintf(tricks[n++], sizeof tricks[0], "%s", link);
	/* The classic string-prefix bug: ".../rootfs-noos" starts with ".../rootfs". */
	snprintf(tricks[n], sizeof tricks[0], "%s-noos", dir);
	if (access(tricks[n], F_OK) == 0)
		n++;
	for (int i = 0; i < n; i++) {
		struct attack a = allowed();
		a.root = tricks[i];
		a.second_open_root = true;
		struct outcome o = run_broker(&a);
		cr_assert_eq(o.replies[0], -EACCES, "%s: OPEN_ROOT answered %d", a.root, o.replies[0]);
		cr_assert(o.n < 2 || o.replies[1] == EOF_SEEN, "%s: a second OPEN_ROOT was answered",
			  a.root);
		cr_assert_neq(o.status, 0, "%s: broker exited 0 after a violation", a.root);
	}
	unlink(link);
	host_snapshot_assert_same(&snap);
	host_snapshot_free(&snap);
}

Test(compromised_worker, deny_grant_opens_nothing)
{
	hutch_grant_init_deny(&grant, "test");
	struct attack a = allowed();
	struct outcome o = run_broker(&a);
	cr_assert_eq(o.replies[0], -EACCES);
	cr_assert_eq(o.n, 1);
}

static void lock_file_absent(uint32_t base)
{
	char path[64];
	snprintf(path, sizeof path, "/run/hutch/uid-ranges/%u", base);
	cr_assert_neq(access(path, F_OK), 0, "uid range lock %s left behind", path);
}

/* CREATE: the host network, no user namespace, and uid ranges outside the
 * pool (below, straddling its end, and "identity") are each refused
 * before anything is made. */
Test(compromised_worker, create_beyond_grant)
{
	struct host_snapshot snap;
	host_snapshot_take(&snap);
	struct attack bad[] = {
		{.host_network = true, .userns = HUTCH_USERNS_PICK},
		{.userns = HUTCH_USERNS_NO},
		{.userns = HUTCH_USERNS_FIXED, .uid_base = 524288, .uid_count = 65536},
		{.userns = HUTCH_USERNS_FIXED, .uid_base = POOL_BASE + POOL_COUNT - 65536,
		 .uid_count = 131072},
		{.userns = HUTCH_USERNS_FIXED, .uid_base = 0, .uid_count = 65536},
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct attack a = allowed();
		a.host_network = bad[i].host_network;
		a.userns = bad[i].userns;
		a.uid_base = bad[i].uid_base;
		a.uid_count = bad[i].uid_count;
		struct outcome o = run_broker(&a);
		cr_assert_eq(o.n, 3, "case %zu: %d replies", i, o.n);
		cr_assert_eq(o.replies[0], 0);
		cr_assert_eq(o.replies[1], 0, "case %zu: CGROUP refused", i);
		cr_assert_eq(o.replies[2], -EACCES, "case %zu: CREATE answered %d", i, o.replies[2]);
		cr_assert_neq(o.status, 0, "case %zu: broker exited 0", i);
		if (a.userns == HUTCH_USERNS_FIXED)
			lock_file_absent(a.uid_base);
	}
	host_snapshot_assert_same(&snap);
	host_snapshot_free(&snap);
}

/* EXEC with capabilities above the ceiling: the container init refuses
 * and dies, so the payload never runs and everything it had goes with it. */
Test(compromised_worker, caps_above_ceiling)
{
	struct host_snapshot snap;
	host_snapshot_take(&snap);
	uint64_t bad[] = {1ull << CAP_SYS_ADMIN, (1ull << CAP_CHOWN) | (1ull << CAP_NET_ADMIN),
			  1ull << CAP_SYS_MODULE};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct attack a = allowed();
		a.caps = bad[i];
		struct outcome o = run_broker(&a);
		cr_assert_neq(o.status, 0, "caps %#llx: the payload ran", (unsigned long long)bad[i]);
		cr_assert_eq(o.replies[o.n - 1], EOF_SEEN);
	}
	host_snapshot_assert_same(&snap);
	host_snapshot_free(&snap);
}

/* A grant that fails the shape check is never used: grant_compile turns a
 * parser's bad answer into a deny grant (here: the check itself). */
Test(compromised_worker, grant_shape_checked)
{
	const char *why = NULL;
	struct hutch_grant g = grant;
	g.n_roots = HUTCH_GRANT_PATHS + 1;
	cr_assert_lt(hutch_grant_check(&g, &why), 0);
	g = grant;
	g.roots[0].path[sizeof g.roots[0].path - 1] = 'x';
	cr_assert_lt(hutch_grant_check(&g, &why), 0);
	g = grant;
	g.roots[5].path[0] = '/'; /* beyond n_roots */
	cr_assert_lt(hutch_grant_check(&g, &why), 0);
	g = grant;
	g.uid_min = 65537;
	cr_assert_lt(hutch_grant_check(&g, &why), 0);
	g = grant;
	g.flags = 1u << 31;
	cr_assert_lt(hutch_grant_check(&g, &why), 0);
	g = grant;
	g.version = 2;
	cr_assert_lt(hutch_grant_check(&g, &why), 0);
}

/* The admin granted a path a tenant can change (a directory the tenant owns
 * on the way); the tenant swaps the granted component for a symlink to "/".
 * The granted path is resolved without symlinks, so nothing is granted. */
Test(compromised_worker, granted_path_swapped_for_symlink)
{
	char dir[PATH_MAX], link[PATH_MAX + 32];
	cr_assert_not_null(realpath(test_rootfs_pool(), dir));
	snprintf(link, sizeof link, "%s/tmp/cw-granted-%d", dir, (int)getpid());
	unlink(link);
	cr_assert_eq(symlink("/", link), 0, "symlink: %m");
	memset(grant.roots[0].path, 0, sizeof grant.roots[0].path);
	cr_assert_lt(strlen(link), sizeof grant.roots[0].path);
	memcpy(grant.roots[0].path, link, strlen(link));
	struct attack a = allowed(); /* the rootfs: below "/" */
	struct outcome o = run_broker(&a);
	unlink(link);
	cr_assert_eq(o.replies[0], -EACCES, "OPEN_ROOT answered %d", o.replies[0]);
}

/* --load-credential= makes the monitor open a host file the caller names:
 * under a grant, only below a Bind=/BindReadOnly= directory, no symlinks. */
Test(compromised_worker, host_file_outside_binds)
{
	char dir[PATH_MAX], bind[PATH_MAX + 64], path[PATH_MAX + 128];
	cr_assert_not_null(realpath(test_rootfs_pool(), dir));
	snprintf(bind, sizeof bind, "%s/tmp/cw-cred-%d", dir, (int)getpid());
	cr_assert_eq(mkdir(bind, 0700), 0, "%s: %m", bind);
	snprintf(path, sizeof path, "%s/ok", bind);
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	close(fd);
	snprintf(path, sizeof path, "%s/evil", bind);
	cr_assert_eq(symlink("/etc/shadow", path), 0);
	cr_assert_lt(strlen(bind), sizeof grant.binds[0].path);
	memcpy(grant.binds[0].path, bind, strlen(bind));
	grant.n_binds = 1;
	struct { const char *suffix; int want; } cases[] = {
		{"/ok", 0}, {"/evil", -ELOOP}, {"/../../etc/passwd", -EACCES}, {"", -EACCES},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct attack a = allowed();
		snprintf(path, sizeof path, "%s%s", cases[i].suffix[0] ? bind : "/etc/shadow",
			 cases[i].suffix);
		a.host_file = path;
		struct outcome o = run_broker(&a);
		cr_assert_eq(o.n, 2);
		cr_assert_eq(o.replies[1], cases[i].want, "%s: answered %d", path, o.replies[1]);
	}
	static char cmd[2 * PATH_MAX];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", bind);
	cr_assert_eq(system(cmd), 0);
}

/* Resource ceilings: the CGROUP record sent before CREATE must set each
 * limit the grant caps, at or below the ceiling ("infinity" is above). */
Test(compromised_worker, limits_above_ceiling)
{
	struct host_snapshot snap;
	host_snapshot_take(&snap);
	grant.memory_max = 1ull << 30;
	grant.tasks_max = 1024;
	struct { uint64_t mem, tasks; } bad[] = {
		{2ull << 30, 512},           /* memory above */
		{0, 512},                    /* memory not set at all */
		{HUTCH_LIMIT_INFINITY, 512}, /* memory infinity */
		{1ull << 30, 0},             /* tasks: nspawn's default 16384 */
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct attack a = allowed();
		a.memory_max = bad[i].mem;
		a.tasks_max = bad[i].tasks;
		struct outcome o = run_broker(&a);
		cr_assert_eq(o.n, 3, "case %zu: %d replies", i, o.n);
		cr_assert_eq(o.replies[1], 0, "case %zu: CGROUP refused: %d", i, o.replies[1]);
		cr_assert_eq(o.replies[2], -EACCES, "case %zu: CREATE answered %d", i, o.replies[2]);
		cr_assert_neq(o.status, 0);
	}
	host_snapshot_assert_same(&snap);
	host_snapshot_free(&snap);
}

/* hutch's worker sends CREATE without waiting for CGROUP's reply: limits
 * the broker refused must not reach a container, whatever comes next. */
Test(compromised_worker, create_after_refused_limits)
{
	struct host_snapshot snap;
	host_snapshot_take(&snap);
	struct attack a = allowed();
	a.create_anyway = true;
	struct outcome o = run_broker(&a);
	cr_assert_eq(o.n, 3, "%d replies", o.n);
	cr_assert_eq(o.replies[1], -ERANGE, "CGROUP answered %d", o.replies[1]);
	cr_assert_eq(o.replies[2], -ERANGE, "CREATE after refused limits answered %d", o.replies[2]);
	cr_assert_neq(o.status, 0);
	host_snapshot_assert_same(&snap);
	host_snapshot_free(&snap);
}

/* --image: only files in Image= directories, by identity (a symlink placed
 * in a granted directory does not count); --template=: never for a caller
 * a rule restricts (it creates a tree by path name). */
Test(compromised_worker, images_and_templates)
{
	char dir[PATH_MAX], imgdir[PATH_MAX + 64], path[PATH_MAX + 128];
	cr_assert_not_null(realpath(test_rootfs_pool(), dir));
	snprintf(imgdir, sizeof imgdir, "%s/tmp/cw-img-%d", dir, (int)getpid());
	cr_assert_eq(mkdir(imgdir, 0700), 0, "%s: %m", imgdir);
	snprintf(path, sizeof path, "%s/ok.raw", imgdir);
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, 1 << 20), 0);
	close(fd);
	char outside[PATH_MAX + 64];
	snprintf(outside, sizeof outside, "%s/tmp/cw-outside-%d.raw", dir, (int)getpid());
	fd = open(outside, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, 1 << 20), 0);
	close(fd);
	snprintf(path, sizeof path, "%s/link.raw", imgdir);
	cr_assert_eq(symlink(outside, path), 0);
	cr_assert_lt(strlen(imgdir), sizeof grant.images[0].path);
	memcpy(grant.images[0].path, imgdir, strlen(imgdir));
	grant.n_images = 1;
	struct { const char *name; int want; } cases[] = {
		{"ok.raw", 0}, {"link.raw", -EACCES}, {NULL, -EACCES},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct attack a = allowed();
		if (cases[i].name)
			snprintf(path, sizeof path, "%s/%s", imgdir, cases[i].name);
		else
			snprintf(path, sizeof path, "%s", outside);
		a.image = path;
		struct outcome o = run_broker(&a);
		cr_assert_eq(o.n, 1);
		cr_assert_eq(o.replies[0], cases[i].want, "%s: answered %d", path, o.replies[0]);
	}
	/* A missing root inside the granted tree, populated from the granted tree. */
	struct attack a = allowed();
	snprintf(path, sizeof path, "%s/tmp/cw-new-root-%d", dir, (int)getpid());
	a.root = path;
	a.template_path = dir;
	struct outcome o = run_broker(&a);
	cr_assert_eq(o.replies[0], -EACCES, "template: answered %d", o.replies[0]);
	cr_assert_neq(access(path, F_OK), 0, "%s was created", path);
	static char cmd[3 * PATH_MAX];
	snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", imgdir, outside);
	cr_assert_eq(system(cmd), 0);
}

/* DeviceAllow= beyond the devices every container has: only for callers no
 * rule restricts (the worker builds the list; the broker checks it). */
Test(compromised_worker, device_allow_needs_an_unrestricted_caller)
{
	struct host_snapshot snap;
	host_snapshot_take(&snap);
	for (int i = 0; i < 3; i++) { /* and no slice of its choice, nor its own cgroup */
		struct attack a = allowed();
		a.block_device = i == 0;
		a.slice = i == 1 ? "system.slice" : NULL;
		a.keep_unit = i == 2;
		struct outcome o = run_broker(&a);
		cr_assert_eq(o.n, 3, "case %d: %d replies", i, o.n);
		cr_assert_eq(o.replies[1], 0, "case %d: CGROUP refused: %d", i, o.replies[1]);
		cr_assert_eq(o.replies[2], -EACCES, "case %d: CREATE answered %d", i, o.replies[2]);
		cr_assert_neq(o.status, 0);
	}
	host_snapshot_assert_same(&snap);
	host_snapshot_free(&snap);
}

/* --rlimit=/--oom-score-adjust= under a rule: no hard limit above hutch's
 * own and no negative OOM score, even where hutch could (CAP_SYS_RESOURCE). */
Test(compromised_worker, process_settings_bounded_by_a_rule)
{
	struct rlimit now;
	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &now), 0);
	if (now.rlim_max == RLIM_INFINITY)
		cr_skip_test("hutch's RLIMIT_NOFILE has no hard limit to exceed");
	static struct hutch_process raise_nofile, lower_oom, fine;
	raise_nofile.rlimit_set = 1u << RLIMIT_NOFILE;
	raise_nofile.rlimits[RLIMIT_NOFILE] = (struct hutch_rlimit){1024, now.rlim_max + 1};
	lower_oom.set = HUTCH_PROC_OOM_SCORE;
	lower_oom.oom_score_adj = -1;
	fine.rlimit_set = 1u << RLIMIT_NOFILE;
	fine.rlimits[RLIMIT_NOFILE] = (struct hutch_rlimit){64, 128};
	fine.set = HUTCH_PROC_OOM_SCORE;
	fine.oom_score_adj = 100;
	const struct hutch_process *bad[] = {&raise_nofile, &lower_oom};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct attack a = allowed();
		a.process = bad[i];
		struct outcome o = run_broker(&a);
		cr_assert_eq(o.n, 9, "case %zu: %d replies, last %d", i, o.n, o.replies[o.n - 1]);
		cr_assert_eq(o.replies[o.n - 1], -EACCES, "case %zu: EXEC answered %d", i,
			     o.replies[o.n - 1]);
	}
	struct attack a = allowed();
	a.process = &fine;
	struct outcome o = run_broker(&a);
	cr_assert_eq(o.n, 9, "%d replies, last %d", o.n, o.replies[o.n - 1]);
	cr_assert_eq(o.replies[o.n - 1], EOF_SEEN, "lowering limits refused: %d", o.replies[o.n - 1]);
	cr_assert_eq(o.status, 0, "broker status %d", o.status);
}

/* --bind-user= in CREATE: a tenant maps only its own uid/gid into the
 * container (and so binds only its own home). */
Test(compromised_worker, bind_user_of_another_uid)
{
	struct host_snapshot snap;
	host_snapshot_take(&snap);
	struct attack a = allowed();
	a.bind_uid = 4243;
	struct outcome o = run_broker(&a);
	cr_assert_eq(o.n, 3, "%d replies", o.n);
	cr_assert_eq(o.replies[2], -EACCES, "CREATE answered %d", o.replies[2]);
	cr_assert_neq(o.status, 0);
	a.bind_uid = 4242; /* the caller itself: allowed */
	o = run_broker(&a);
	cr_assert_eq(o.replies[2], 0, "CREATE answered %d", o.replies[2]);
	cr_assert_eq(o.status, 0, "broker status %d", o.status);
	host_snapshot_assert_same(&snap);
	host_snapshot_free(&snap);
}
