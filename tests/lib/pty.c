/* The pty runner of the test harness (see harness.h): hutch on a real terminal. */
#include "harness.h"
#include "harness_internal.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

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
