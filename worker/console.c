/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The console relay: copies between hutch's stdin/stdout and the master of
 * the container's pty. Runs in the unprivileged worker, so the caller's
 * terminal is never handed to the container: the payload only ever sees its
 * own pty (no TIOCSTI into the caller's shell).
 */
#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "../common/util.h"

#define ESCAPE_CHAR 0x1d /* ^] */

struct buffer {
	char data[16384];
	size_t len;
};

static bool buf_fill(struct buffer *b, int fd, bool *eof)
{
	ssize_t n = read(fd, b->data + b->len, sizeof b->data - b->len);
	if (n > 0) {
		b->len += (size_t)n;
		return true;
	}
	if (n == 0 || (errno != EAGAIN && errno != EINTR))
		*eof = true;
	return false;
}

static bool buf_flush(struct buffer *b, int fd)
{
	ssize_t n = write(fd, b->data, b->len);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	memmove(b->data, b->data + n, b->len - (size_t)n);
	b->len -= (size_t)n;
	return true;
}

/* nspawn's escape: ^] three times within a second kills the container. */
static bool escape_seen(const char *p, size_t n, unsigned *count, struct timespec *first)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != ESCAPE_CHAR) {
			*count = 0;
			continue;
		}
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (*count == 0 || now.tv_sec - first->tv_sec > 1)
			*first = now, *count = 0;
		if (++*count >= 3)
			return true;
	}
	return false;
}

static void copy_window_size(int from, int to)
{
	struct winsize ws;
	if (ioctl(from, TIOCGWINSZ, &ws) == 0)
		(void)ioctl(to, TIOCSWINSZ, &ws);
}

/* Read what is left in the master without blocking, then stop. */
static void drain(int master, bool forward)
{
	char buf[4096];
	ssize_t n;
	while ((n = read(master, buf, sizeof buf)) > 0)
		if (forward && write_full(STDOUT_FILENO, buf, (size_t)n) < 0)
			forward = false;
}

/* The monitor's word that the container is gone, with its exit status. */
static bool is_outcome(const struct signalfd_siginfo *si, int *outcome)
{
	if (si->ssi_signo != SIGUSR1 || si->ssi_code != SI_QUEUE ||
	    si->ssi_pid != (uint32_t)getppid())
		return false;
	*outcome = si->ssi_int;
	return true;
}

int console_wait_outcome(void)
{
	sigset_t usr1;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	_cleanup_close_ int sfd = signalfd(-1, &usr1, SFD_CLOEXEC);
	struct signalfd_siginfo si;
	int outcome = 1;
	while (sfd >= 0 && read(sfd, &si, sizeof si) == sizeof si)
		if (is_outcome(&si, &outcome))
			break;
	return outcome;
}

int console_relay(int master, enum console_mode mode, int *outcome)
{
	/*
	 * Hold a peer of our own: systemd hangs up /dev/console while it boots,
	 * and without another open slave the master would read EIO then, which
	 * is indistinguishable from the container being gone. The monitor tells
	 * us when it really is gone, with SIGUSR1.
	 */
	_cleanup_close_ int peer = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	bool forward_input = mode == CONSOLE_INTERACTIVE;
	bool forward_output = mode != CONSOLE_PASSIVE;
	struct termios saved;
	bool raw = forward_input && tcgetattr(STDIN_FILENO, &saved) == 0;
	if (raw) {
		struct termios t = saved;
		cfmakeraw(&t);
		tcsetattr(STDIN_FILENO, TCSANOW, &t);
	}
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGWINCH);
	sigaddset(&sigs, SIGUSR1);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	_cleanup_close_ int sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);

	static struct buffer in, out;
	bool in_eof = !forward_input, out_eof = false, out_dead = false;
	unsigned esc = 0;
	struct timespec esc_first = {0};
	int result = 0;
	while (!out_eof || out.len) {
		struct pollfd p[5] = {
			{.fd = !in_eof && in.len < sizeof in.data ? STDIN_FILENO : -1, .events = POLLIN},
			{.fd = !out_eof && out.len < sizeof out.data ? master : -1, .events = POLLIN},
			{.fd = in.len ? master : -1, .events = POLLOUT},
			{.fd = out.len && !out_dead ? STDOUT_FILENO : -1, .events = POLLOUT},
			{.fd = sfd, .events = POLLIN},
		};
		if (out_eof && out_dead)
			break;
		if (poll(p, 5, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[4].revents & POLLIN) {
			struct signalfd_siginfo si;
			bool gone = false;
			while (read(sfd, &si, sizeof si) == sizeof si)
				gone |= is_outcome(&si, outcome);
			if (gone) {
				if (out.len && forward_output && !out_dead)
					(void)write_full(STDOUT_FILENO, out.data, out.len);
				drain(master, forward_output && !out_dead);
				break;
			}
			copy_window_size(STDIN_FILENO, master);
		}
		if (p[0].revents) {
			size_t before = in.len;
			buf_fill(&in, STDIN_FILENO, &in_eof);
			if (escape_seen(in.data + before, in.len - before, &esc, &esc_first)) {
				result = 1;
				break;
			}
		}
		if (p[1].revents) /* EIO only if our own peer failed to open */
			buf_fill(&out, master, &out_eof);
		if (p[2].revents && !buf_flush(&in, master))
			in.len = 0;
		if (out.len && (!forward_output || out_dead))
			out.len = 0; /* passive, or nobody reads us: drain and drop */
		else if (p[3].revents && !buf_flush(&out, STDOUT_FILENO))
			out_dead = true, out.len = 0;
	}
	if (raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	return result;
}
