/* Helpers for hutch's criterion integration tests. See harness.h. */
#include "harness.h"
#include "harness_internal.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define MAX_CAPTURE (16u << 20)

/* ---- small utilities ----------------------------------------------------- */

long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *xstrdup(const char *s)
{
	char *d = strdup(s);
	cr_assert(d != NULL, "out of memory");
	return d;
}

__attribute__((format(printf, 1, 2))) static char *xfmt(const char *fmt, ...)
{
	va_list ap;
	char *d = NULL;
	va_start(ap, fmt);
	int n = vasprintf(&d, fmt, ap);
	va_end(ap);
	cr_assert(n >= 0, "out of memory");
	return d;
}

static char *abs_dup(const char *p)
{
	char cwd[PATH_MAX];
	if (p[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		return xstrdup(p);
	return xfmt("%s/%s", cwd, p);
}

static bool exists(const char *p)
{
	return access(p, F_OK) == 0;
}

char *read_file_str(const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n = getdelim(&buf, &cap, '\0', f); /* whole text file: no NUL in it */
	bool failed = ferror(f);
	fclose(f);
	if (n < 0 || failed) {
		free(buf);
		return failed ? NULL : calloc(1, 1); /* empty file */
	}
	return buf;
}

char *proc_status_field(pid_t pid, const char *key)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	char *s = read_file_str(path);
	if (!s)
		return NULL;
	size_t kl = strlen(key);
	char *res = NULL;
	for (char *line = strtok(s, "\n"); line && !res; line = strtok(NULL, "\n")) {
		if (strncmp(line, key, kl) != 0 || line[kl] != ':')
			continue;
		char *v = line + kl + 1 + strspn(line + kl + 1, " \t");
		size_t vl = strlen(v);
		while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
			v[--vl] = '\0';
		res = strdup(v);
	}
	free(s);
	return res;
}

size_t count_substr(const char *hay, const char *needle)
{
	size_t n = 0, nl = strlen(needle);
	if (!hay || !nl)
		return 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + nl, needle))
		n++;
	return n;
}

/* ---- paths ---------------------------------------------------------------- */

const char *hutch_bin(void)
{
	static char *bin;
	if (bin)
		return bin;
	const char *e = getenv("HUTCH_BIN");
	if (e && *e)
		return bin = abs_dup(e);
	bin = abs_dup("build/hutch");
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash = n > 0 ? (exe[n] = '\0', strrchr(exe, '/')) : NULL;
	if (access(bin, X_OK) != 0 && slash) { /* else the hutch beside the tests */
		*slash = '\0';
		char *d = xfmt("%s/hutch", exe);
		if (access(d, X_OK) == 0) {
			free(bin);
			bin = d;
		} else {
			free(d);
		}
	}
	return bin;
}

const char *test_rootfs(void)
{
	static char *root;
	if (root)
		return root;
	const char *e = getenv("HUTCH_ROOTFS");
	if (e && *e)
		return root = abs_dup(e);
	/* The rootfs beside the hutch binary (build-asan/ for make check-asan). */
	const char *slash = strrchr(hutch_bin(), '/');
	root = xfmt("%.*s/rootfs", slash ? (int)(slash - hutch_bin()) : 0, hutch_bin());
	char *mark = xfmt("%s/.hutch-rootfs-ok", root);
	if (!exists(mark)) {
		free(root);
		root = abs_dup("build/rootfs");
	}
	free(mark);
	return root;
}

const char *test_rootfs_pool(void)
{
	static char *pool;
	if (pool)
		return pool;
	char *p = xfmt("%s-pool", test_rootfs());
	char *mark = xfmt("%s/.hutch-pool-copy", p);
	char *lock = xfmt("%s.lock", p);
	int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	cr_assert(fd >= 0 && flock(fd, LOCK_EX) == 0, "%s: %m", lock);
	if (!exists(mark)) {
		char *cmd = xfmt("rm -rf '%1$s' '%1$s.tmp' && cp -a '%2$s' '%1$s.tmp' && "
				 "chown -hR 1048576:1048576 '%1$s.tmp' && touch '%1$s.tmp/.hutch-pool-copy' "
				 "&& mv '%1$s.tmp' '%1$s'",
				 p, test_rootfs());
		cr_assert_eq(system(cmd), 0, "%s", cmd);
		free(cmd);
	}
	close(fd);
	free(mark);
	free(lock);
	return pool = p;
}

void harness_hold_range(unsigned long base)
{
	char *path = xfmt("/tmp/hutch-tests-range-%lu.lock", base);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	cr_assert(fd >= 0 && flock(fd, LOCK_EX) == 0, "%s: %s", path, strerror(errno));
	free(path);
}

const char *test_rootfs_noos(void)
{
	static char *noos;
	if (!noos)
		noos = xfmt("%s-noos", test_rootfs());
	return noos;
}

const char *debian_tree(void)
{
	const char *e = getenv("HUTCH_DEBIAN_TREE");
	return (e && *e) ? e : "/var/cache/hutch-tests/debian-bookworm";
}

bool have_root(void)
{
	return geteuid() == 0;
}

void require_root_or_skip(void)
{
	if (!have_root())
		cr_skip_test("needs root: hutch integration tests create containers");
}

static bool marker_exists(const char *dir, const char *name)
{
	char *m = xfmt("%s/%s", dir, name);
	bool ok = exists(m);
	free(m);
	return ok;
}

void require_rootfs_or_skip(void)
{
	if (!marker_exists(test_rootfs(), ".hutch-rootfs-ok") ||
	    !marker_exists(test_rootfs_noos(), ".hutch-rootfs-ok"))
		cr_skip_test("rootfs fixture %s missing: run tests/fixtures/mkrootfs.sh %s",
			     test_rootfs(), test_rootfs());
}

void require_debian_or_skip(void)
{
	if (!marker_exists(debian_tree(), ".hutch-debian-ok"))
		cr_skip_test("Debian tree %s missing: run tests/fixtures/mkdebian.sh %s (needs network)",
			     debian_tree(), debian_tree());
}

const char *machine_name(const char *tag)
{
	return xfmt("it-%s-%d", tag, (int)getpid());
}

/* ---- the harness lock ---------------------------------------------------- */

static int lock_fd = -1, lock_mode;

void lock_take(int op)
{
	if (lock_mode == op || lock_mode == LOCK_EX)
		return;
	if (lock_fd < 0) {
		const char *p = exists("/run/lock") ? "/run/lock/hutch-it.lock"
						    : "/tmp/.hutch-it.lock";
		lock_fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (lock_fd < 0)
			return;
	}
	while (flock(lock_fd, op) < 0)
		if (errno != EINTR)
			return;
	lock_mode = op;
}

void harness_lock_shared(void)
{
	lock_take(LOCK_SH);
}

void harness_lock_exempt(void)
{
	lock_mode = LOCK_EX; /* lock_take then never waits */
}

/* ---- spawning ------------------------------------------------------------- */

char **build_argv(const char *const argv[])
{
	size_t n = 0;
	while (argv[n])
		n++;
	char **av = calloc(n + 2, sizeof(*av));
	cr_assert(av != NULL, "out of memory");
	av[0] = (char *)hutch_bin();
	for (size_t i = 0; i < n; i++)
		av[i + 1] = (char *)argv[i];
	return av;
}

static const char *const *child_cgroups;

void harness_set_cgroups(const char *const *dirs)
{
	child_cgroups = dirs;
}

/* In the child, before exec: a clean signal state and no stray fds. */
void child_reset(void)
{
	for (const char *const *d = child_cgroups; d && *d; d++) {
		char path[PATH_MAX];
		snprintf(path, sizeof path, "%s/cgroup.procs", *d);
		int fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "0", 1) != 1) {
			dprintf(2, "harness: cannot move into %s: %s\n", *d, strerror(errno));
			_exit(125);
		}
		close(fd);
	}
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	close_range(3, ~0U, 0);
}

void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int hutch_start(struct hutch_proc *p, const char *stdin_data, const char *const argv[])
{
	memset(p, 0, sizeof(*p));
	p->in_fd = p->out_fd = p->err_fd = -1;
	p->res.status = -1;
	cr_assert(access(hutch_bin(), X_OK) == 0,
		  "hutch binary %s is not executable: run make all", hutch_bin());
	harness_lock_shared();
	signal(SIGPIPE, SIG_IGN);

	int inp[2] = { -1, -1 }, outp[2], errp[2];
	if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0)
		return -errno;
	if (stdin_data && pipe2(inp, O_CLOEXEC) < 0)
		return -errno;
	char **av = build_argv(argv);
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		setpgid(0, 0);
		int in = stdin_data ? inp[0] : open("/dev/null", O_RDONLY);
		if (in < 0 || dup2(in, 0) < 0 || dup2(outp[1], 1) < 0 || dup2(errp[1], 2) < 0)
			_exit(126);
		child_reset();
		execv(av[0], av);
		dprintf(2, "harness: exec %s: %s\n", av[0], strerror(errno));
		_exit(126);
	}
	free(av);
	setpgid(pid, pid);
	p->pid = pid;
	close(outp[1]);
	close(errp[1]);
	p->out_fd = outp[0];
	p->err_fd = errp[0];
	set_nonblock(p->out_fd);
	set_nonblock(p->err_fd);
	if (stdin_data) {
		close(inp[0]);
		p->in_fd = inp[1];
		set_nonblock(p->in_fd);
		p->in_data = xstrdup(stdin_data);
		p->in_len = strlen(stdin_data);
	}
	p->res.out = calloc(1, 1);
	p->res.err = calloc(1, 1);
	return 0;
}

void buf_append(char **buf, size_t *len, const char *data, size_t n)
{
	if (*len + n > MAX_CAPTURE)
		n = MAX_CAPTURE - *len;
	char *nb = realloc(*buf, *len + n + 1);
	cr_assert(nb != NULL, "out of memory");
	memcpy(nb + *len, data, n);
	*len += n;
	nb[*len] = '\0';
	*buf = nb;
}

/* Drain a readable fd into a buffer; closes it at EOF. */
void drain(int *fd, char **buf, size_t *len)
{
	char tmp[8192];
	for (;;) {
		ssize_t n = read(*fd, tmp, sizeof(tmp));
		if (n > 0) {
			buf_append(buf, len, tmp, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		close(*fd); /* EOF or error (EIO on a pty once the slave is gone) */
		*fd = -1;
		return;
	}
}

static int wait_status(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return -1;
}

void try_reap(pid_t pid, bool *reaped, int *status, bool block)
{
	if (*reaped)
		return;
	int st;
	pid_t r;
	do
		r = waitpid(pid, &st, block ? 0 : WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == pid) {
		*reaped = true;
		*status = wait_status(st);
	}
}

/* SIGKILL pid and all its descendants (a container that outlives a killed
 * hutch must not linger and disturb later tests). */
void kill_tree(pid_t pid)
{
	pid_t kids[256];
	size_t n = find_children(pid, kids, 256);
	kill(pid, SIGSTOP); /* no new children while we look */
	for (size_t i = 0; i < n; i++)
		kill_tree(kids[i]);
	kill(pid, SIGKILL);
}

/* One round of I/O for up to timeout_ms. */
static void pump(struct hutch_proc *p, int timeout_ms)
{
	struct pollfd fds[3];
	int n = 0;
	if (p->in_fd >= 0)
		fds[n++] = (struct pollfd){ .fd = p->in_fd, .events = POLLOUT };
	if (p->out_fd >= 0)
		fds[n++] = (struct pollfd){ .fd = p->out_fd, .events = POLLIN };
	if (p->err_fd >= 0)
		fds[n++] = (struct pollfd){ .fd = p->err_fd, .events = POLLIN };
	if (n == 0) {
		if (!p->reaped)
			usleep((useconds_t)(timeout_ms > 20 ? 20 : timeout_ms) * 1000);
	} else if (poll(fds, (nfds_t)n, timeout_ms > 20 ? 20 : timeout_ms) > 0) {
		for (int i = 0; i < n; i++) {
			if (!fds[i].revents)
				continue;
			if (fds[i].fd == p->in_fd) {
				ssize_t w = write(p->in_fd, p->in_data + p->in_off, p->in_len - p->in_off);
				if (w > 0)
					p->in_off += (size_t)w;
				if ((w < 0 && errno != EAGAIN && errno != EINTR) || p->in_off >= p->in_len) {
					close(p->in_fd);
					p->in_fd = -1;
				}
			} else if (fds[i].fd == p->out_fd) {
				drain(&p->out_fd, &p->res.out, &p->res.out_len);
			} else {
				drain(&p->err_fd, &p->res.err, &p->res.err_len);
			}
		}
	}
	if (p->in_fd >= 0 && p->in_off >= p->in_len) {
		close(p->in_fd);
		p->in_fd = -1;
	}
	try_reap(p->pid, &p->reaped, &p->res.status, false);
}

bool hutch_expect(struct hutch_proc *p, bool on_stdout, const char *needle, int timeout_sec)
{
	long long deadline = now_ms() + timeout_sec * 1000LL;
	for (;;) {
		const char *hay = on_stdout ? p->res.out : p->res.err;
		if (hay && strstr(hay, needle))
			return true;
		int fd = on_stdout ? p->out_fd : p->err_fd;
		long long left = deadline - now_ms();
		if (left <= 0 || (fd < 0 && p->reaped))
			return false;
		pump(p, (int)left);
	}
}

int hutch_finish(struct hutch_proc *p, struct run_result *r, int timeout_sec)
{
	long long deadline = now_ms() + timeout_sec * 1000LL;
	long long eof_deadline = -1;
	while (!p->reaped || p->out_fd >= 0 || p->err_fd >= 0) {
		long long t = now_ms();
		if (!p->reaped && t >= deadline) {
			kill_tree(p->pid);
			kill(-p->pid, SIGKILL);
			p->res.timed_out = true;
			try_reap(p->pid, &p->reaped, &p->res.status, true);
			eof_deadline = now_ms() + 1000;
		}
		if (p->reaped && eof_deadline < 0)
			eof_deadline = now_ms() + 2000; /* leftover holders of the pipes */
		if (eof_deadline >= 0 && now_ms() >= eof_deadline)
			break;
		pump(p, 20);
	}
	if (p->in_fd >= 0)
		close(p->in_fd);
	if (p->out_fd >= 0)
		close(p->out_fd);
	if (p->err_fd >= 0)
		close(p->err_fd);
	p->in_fd = p->out_fd = p->err_fd = -1;
	free((char *)p->in_data);
	p->in_data = NULL;
	*r = p->res;
	memset(&p->res, 0, sizeof(p->res));
	if (r->timed_out)
		cr_log_warn("hutch timed out after %d s and was killed", timeout_sec);
	return r->status;
}

int run_hutch(struct run_result *r, int timeout_sec, const char *stdin_data,
	      const char *const argv[])
{
	struct hutch_proc p;
	memset(r, 0, sizeof(*r));
	r->status = -1;
	int e = hutch_start(&p, stdin_data, argv);
	if (e < 0) {
		cr_log_error("cannot start hutch: %s", strerror(-e));
		r->out = calloc(1, 1);
		r->err = calloc(1, 1);
		return -1;
	}
	return hutch_finish(&p, r, timeout_sec);
}

void run_result_free(struct run_result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

void need_rootfs(void)
{
	require_root_or_skip();
	require_rootfs_or_skip();
}

int run_cmd(struct run_result *r, const char *tag, const char *script)
{
	return run_hutch(r, 30, NULL,
			 ARGV("-q", "-P", "-D", test_rootfs(), "-M", machine_name(tag),
			      "/bin/sh", "-c", script));
}

void harness_fake_subid_files(const char *subuid, const char *subgid)
{
	if (access("/etc/subuid", F_OK) != 0 || access("/etc/subgid", F_OK) != 0)
		cr_skip_test("no /etc/subuid or /etc/subgid to bind a test file over");
	cr_assert_eq(unshare(CLONE_NEWNS), 0, "unshare: %m");
	cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0, "private: %m");
	const char *text[] = {subuid, subgid}, *target[] = {"/etc/subuid", "/etc/subgid"};
	for (int i = 0; i < 2; i++) {
		char path[] = "/tmp/hutch-subid.XXXXXX";
		int fd = mkstemp(path);
		cr_assert(fd >= 0 && write(fd, text[i], strlen(text[i])) == (ssize_t)strlen(text[i]));
		close(fd);
		chmod(path, 0644);
		cr_assert_eq(mount(path, target[i], NULL, MS_BIND, NULL), 0, "bind %s: %m", target[i]);
		unlink(path); /* the mount keeps it */
	}
}
