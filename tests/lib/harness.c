/* Helpers for hutch's criterion integration tests. See harness.h. */
#include "harness.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define MAX_CAPTURE (16u << 20)

/* ---- small utilities ----------------------------------------------------- */

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *xstrdup(const char *s)
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

static void lock_take(int op)
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

static char **build_argv(const char *const argv[])
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

/* In the child, before exec: a clean signal state and no stray fds. */
static void child_reset(void)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	close_range(3, ~0U, 0);
}

static void set_nonblock(int fd)
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

static void buf_append(char **buf, size_t *len, const char *data, size_t n)
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
static void drain(int *fd, char **buf, size_t *len)
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

static void try_reap(pid_t pid, bool *reaped, int *status, bool block)
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
static void kill_tree(pid_t pid)
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

/* ---- pty sessions --------------------------------------------------------- */

int pty_spawn(struct pty_session *s, const char *const argv[])
{
	memset(s, 0, sizeof(*s));
	s->master = s->slave = -1;
	s->status = -1;
	cr_assert(access(hutch_bin(), X_OK) == 0,
		  "hutch binary %s is not executable: run make all", hutch_bin());
	harness_lock_shared();
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0)
		return -errno;
	char slave[128];
	if (grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, slave, sizeof(slave)) != 0) {
		int e = errno;
		close(m);
		return -e;
	}
	/* Hold the slave open ourselves until the child is reaped, so that
	 * reading the master never sees EIO before the child opened it. */
	int keep = open(slave, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (keep < 0) {
		int e = errno;
		close(m);
		return -e;
	}
	struct winsize ws = { .ws_row = 24, .ws_col = 80 };
	ioctl(m, TIOCSWINSZ, &ws);
	char **av = build_argv(argv);
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(m);
		close(keep);
		free(av);
		return -e;
	}
	if (pid == 0) {
		setsid();
		int sfd = open(slave, O_RDWR);
		if (sfd < 0 || ioctl(sfd, TIOCSCTTY, 0) < 0)
			_exit(126);
		if (dup2(sfd, 0) < 0 || dup2(sfd, 1) < 0 || dup2(sfd, 2) < 0)
			_exit(126);
		child_reset();
		if (!getenv("TERM"))
			setenv("TERM", "vt220", 1);
		execv(av[0], av);
		dprintf(2, "harness: exec %s: %s\n", av[0], strerror(errno));
		_exit(126);
	}
	free(av);
	set_nonblock(m);
	s->pid = pid;
	s->master = m;
	s->slave = keep;
	s->cap = 4096;
	s->buf = calloc(1, s->cap);
	cr_assert(s->buf != NULL, "out of memory");
	return 0;
}

bool pty_write(struct pty_session *s, const char *str)
{
	size_t len = strlen(str), off = 0;
	long long deadline = now_ms() + 5000;
	while (off < len && s->master >= 0) {
		ssize_t n = write(s->master, str + off, len - off);
		if (n > 0) {
			off += (size_t)n;
		} else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (now_ms() > deadline)
				return false;
			usleep(10000);
		} else {
			return false;
		}
	}
	return off == len;
}

/* Read what is there within timeout_ms. */
static void pty_pump(struct pty_session *s, int timeout_ms)
{
	if (s->master >= 0) {
		struct pollfd pfd = { .fd = s->master, .events = POLLIN };
		if (poll(&pfd, 1, timeout_ms > 20 ? 20 : timeout_ms) > 0) {
			char *b = s->buf;
			drain(&s->master, &b, &s->len);
			s->buf = b;
		}
	} else if (!s->exited) {
		usleep(20000);
	}
	try_reap(s->pid, &s->exited, &s->status, false);
	if (s->exited && s->slave >= 0) {
		close(s->slave);
		s->slave = -1;
	}
}

bool pty_expect(struct pty_session *s, const char *needle, int timeout_sec)
{
	long long deadline = now_ms() + timeout_sec * 1000LL;
	for (;;) {
		char *hit = strstr(s->buf + s->cursor, needle);
		if (hit) {
			s->cursor = (size_t)(hit - s->buf) + strlen(needle);
			return true;
		}
		long long left = deadline - now_ms();
		if (left <= 0 || (s->master < 0 && s->exited))
			return false;
		pty_pump(s, (int)left);
	}
}

int pty_wait(struct pty_session *s, int timeout_sec)
{
	long long deadline = now_ms() + timeout_sec * 1000LL;
	while (!s->exited) {
		if (now_ms() >= deadline)
			return -1;
		pty_pump(s, 20);
	}
	/* Collect whatever is still buffered in the master. */
	for (int i = 0; i < 5 && s->master >= 0; i++)
		pty_pump(s, 20);
	return s->status;
}

void pty_close(struct pty_session *s)
{
	if (s->pid > 0 && !s->exited) {
		kill_tree(s->pid);
		kill(-s->pid, SIGKILL);
		try_reap(s->pid, &s->exited, &s->status, true);
	}
	if (s->master >= 0)
		close(s->master);
	if (s->slave >= 0)
		close(s->slave);
	s->master = s->slave = -1;
	free(s->buf);
	s->buf = NULL;
}

/* ---- host snapshots ------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_add(char ***list, size_t *n, const char *s)
{
	char **nl = realloc(*list, (*n + 1) * sizeof(**list));
	cr_assert(nl != NULL, "out of memory");
	nl[(*n)++] = xstrdup(s);
	*list = nl;
}

static void list_free(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

static void snap_mounts(struct host_snapshot *s)
{
	char *mi = read_file_str("/proc/self/mountinfo");
	cr_assert(mi != NULL, "cannot read /proc/self/mountinfo");
	for (char *line = strtok(mi, "\n"); line; line = strtok(NULL, "\n")) {
		/* id parent major:minor root MOUNTPOINT ... */
		char *f = line;
		for (int i = 0; i < 4 && f; i++) {
			f = strchr(f, ' ');
			if (f)
				f++;
		}
		if (!f)
			continue;
		char *end = strchr(f, ' ');
		if (end)
			*end = '\0';
		list_add(&s->mounts, &s->n_mounts, f);
	}
	free(mi);
}

static void snap_glob(char ***list, size_t *n, const char *pattern, bool dirs_only)
{
	glob_t g;
	if (glob(pattern, dirs_only ? GLOB_ONLYDIR : 0, NULL, &g) != 0)
		return;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct stat st;
		if (strstr(g.gl_pathv[i], BOOT_MACHINE_PREFIX))
			continue; /* boot tests run beside the leak checks */
		if (dirs_only && (lstat(g.gl_pathv[i], &st) != 0 || !S_ISDIR(st.st_mode)))
			continue;
		list_add(list, n, g.gl_pathv[i]);
	}
	globfree(&g);
}

static void snap_fill(struct host_snapshot *s)
{
	memset(s, 0, sizeof(*s));
	snap_mounts(s);
	/* machine.slice of a unified layout, of the hybrid "unified" mount, and
	 * of each v1 controller. */
	snap_glob(&s->cgroups, &s->n_cgroups, "/sys/fs/cgroup/machine.slice/hutch-*", true);
	snap_glob(&s->cgroups, &s->n_cgroups, "/sys/fs/cgroup/*/machine.slice/hutch-*", true);
	snap_glob(&s->tmp, &s->n_tmp, "/tmp/hutch*", false);
	/* qsort(NULL, 0, ...) is undefined behaviour (UBSan says so). */
	if (s->n_mounts)
		qsort(s->mounts, s->n_mounts, sizeof(char *), cmp_str);
	if (s->n_cgroups)
		qsort(s->cgroups, s->n_cgroups, sizeof(char *), cmp_str);
	if (s->n_tmp)
		qsort(s->tmp, s->n_tmp, sizeof(char *), cmp_str);
}

void host_snapshot_take(struct host_snapshot *s)
{
	lock_take(LOCK_EX);
	snap_fill(s);
}

void host_snapshot_free(struct host_snapshot *s)
{
	list_free(s->mounts, s->n_mounts);
	list_free(s->cgroups, s->n_cgroups);
	list_free(s->tmp, s->n_tmp);
	memset(s, 0, sizeof(*s));
}

/* Appends "what: +x -y" differences of two sorted lists to msg. */
static bool list_diff(char **msg, size_t *mlen, const char *what, char **a, size_t na,
		      char **b, size_t nb)
{
	bool same = true;
	size_t i = 0, j = 0;
	while (i < na || j < nb) {
		int c = i >= na ? 1 : j >= nb ? -1 : strcmp(a[i], b[j]);
		if (c == 0) {
			i++;
			j++;
			continue;
		}
		same = false;
		const char *item = c < 0 ? a[i++] : b[j++];
		char line[PATH_MAX + 64];
		snprintf(line, sizeof(line), " %s %s: %s;", c < 0 ? "vanished" : "leaked", what, item);
		buf_append(msg, mlen, line, strlen(line));
	}
	return same;
}

void host_snapshot_assert_same(const struct host_snapshot *before)
{
	long long deadline = now_ms() + 2000;
	for (;;) {
		struct host_snapshot now;
		snap_fill(&now);
		char *msg = calloc(1, 1);
		size_t mlen = 0;
		bool same = list_diff(&msg, &mlen, "mount", before->mounts, before->n_mounts,
				      now.mounts, now.n_mounts);
		same &= list_diff(&msg, &mlen, "cgroup", before->cgroups, before->n_cgroups,
				  now.cgroups, now.n_cgroups);
		same &= list_diff(&msg, &mlen, "tmp entry", before->tmp, before->n_tmp, now.tmp,
				  now.n_tmp);
		host_snapshot_free(&now);
		if (same || now_ms() >= deadline) {
			cr_assert(same, "host state changed:%s", msg);
			free(msg);
			return;
		}
		free(msg);
		usleep(100000);
	}
}

/* ---- processes ------------------------------------------------------------ */

static bool same_pidns(pid_t a, pid_t b)
{
	char pa[64], pb[64], la[64] = "", lb[64] = "";
	snprintf(pa, sizeof(pa), "/proc/%d/ns/pid", (int)a);
	snprintf(pb, sizeof(pb), "/proc/%d/ns/pid", (int)b);
	ssize_t na = readlink(pa, la, sizeof(la) - 1);
	ssize_t nb = readlink(pb, lb, sizeof(lb) - 1);
	return na > 0 && nb > 0 && strcmp(la, lb) == 0;
}

size_t find_children(pid_t parent, pid_t *out, size_t max)
{
	DIR *d = opendir("/proc");
	if (!d)
		return 0;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < max) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		char path[64];
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		char *st = read_file_str(path);
		if (!st)
			continue;
		char *rp = strrchr(st, ')');
		char state;
		int ppid = -1;
		if (rp && sscanf(rp + 1, " %c %d", &state, &ppid) == 2 && ppid == parent)
			out[n++] = (pid_t)pid;
		free(st);
	}
	closedir(d);
	return n;
}

pid_t find_child_with_uid_not(pid_t parent, uid_t uid)
{
	pid_t kids[256], found = 0;
	size_t n = find_children(parent, kids, 256);
	for (size_t i = 0; i < n; i++) {
		char *u = proc_status_field(kids[i], "Uid");
		if (!u)
			continue;
		unsigned long ruid = strtoul(u, NULL, 10);
		free(u);
		if (ruid == uid)
			continue;
		if (same_pidns(kids[i], parent))
			return kids[i];
		if (!found)
			found = kids[i];
	}
	return found;
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
