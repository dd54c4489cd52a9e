/* Shared by tiocsti.c and tioclinux.c: try one tty ioctl on every terminal
 * the payload can reach, with the command as is and with high 32 bits set
 * (the kernel reads the command as 32 bits; a filter that compares all 64
 * is bypassed that way: CVE-2019-10063).
 *
 * Terminals tried: fds 0-2, /dev/tty, /dev/console, and a pty of our own,
 * both as a plain fd and as our controlling terminal (in a child). The own
 * pty makes the result independent of how the launcher wires fds 0-2: if
 * the ioctl works there, it is not filtered and works on any terminal that
 * ever reaches a container process. */
#ifndef HUTCH_TTYINJECT_H
#define HUTCH_TTYINJECT_H
#include "escape.h"

#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>

/* How a failed ioctl on a real tty is judged: the kernel's own refusals
 * (EIO for TIOCSTI with dev.tty.legacy_tiocsti=0) are passed in `kernel_ok`. */
struct tty_attack {
	unsigned long cmd;
	char arg;
	int kernel_ok; /* errno that means "reached the tty but refused safely", or 0 */
};

static bool is_tty_fd(int fd)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode))
		return false;
	unsigned maj = major(st.st_rdev);
	return maj == 4 || maj == 5 || (maj >= 136 && maj <= 143);
}

/* Try the 3 command variants on fd. Returns true if the attack worked or
 * the ioctl demonstrably reached the tty layer. */
static bool tty_try(const struct tty_attack *a, int fd, const char *label)
{
	static const unsigned long high[] = { 0, 1UL << 32, 0xffffffff00000000UL };
	bool tty = is_tty_fd(fd), esc = false;
	char buf[256] = "";
	for (size_t i = 0; i < 3; i++) {
		char arg = a->arg;
		errno = 0;
		long r = syscall(SYS_ioctl, fd, a->cmd | high[i], &arg);
		int e = errno;
		size_t l = strlen(buf);
		snprintf(buf + l, sizeof(buf) - l, "%s%s", i ? "/" : "", rname(r, e));
		if (r == 0) {
			esc = true;
			tcflush(fd, TCIFLUSH); /* take back what TIOCSTI pushed */
		} else if (tty && !denied(e) && e != a->kernel_ok) {
			esc = true; /* got past any filter into the tty driver */
		}
	}
	note("%s%s=%s;", label, tty ? "" : "(not a tty)", buf);
	return esc;
}

static bool open_own_pty(int *master, int *slave)
{
	*master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*master < 0) {
		note("own pty: /dev/ptmx %s;", ename(errno));
		return false;
	}
	int unlock = 0;
	ioctl(*master, TIOCSPTLCK, &unlock);
	*slave = ioctl(*master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*slave < 0) {
		char name[64];
		if (ptsname_r(*master, name, sizeof(name)) == 0)
			*slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	}
	if (*slave < 0) {
		note("own pty: slave %s;", ename(errno));
		close(*master);
		return false;
	}
	return true;
}

/* In a child: new session, the pty as controlling terminal, then the
 * ioctl. Exit 1 if it escaped, 0 if not, 2 if it could not be set up. */
static bool tty_try_ctty(const struct tty_attack *a, int slave)
{
	int p[2];
	if (pipe(p) < 0)
		return false;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		esc_detail[0] = '\0';
		int code = 2;
		if (setsid() < 0)
			note("own pty as ctty: setsid %s;", ename(errno));
		else if (ioctl(slave, TIOCSCTTY, 0) < 0)
			note("own pty as ctty: TIOCSCTTY %s;", ename(errno));
		else
			code = tty_try(a, slave, "own-pty-ctty") ? 1 : 0;
		if (write(p[1], esc_detail, strlen(esc_detail)) < 0)
			code = 2;
		_exit(code);
	}
	close(p[1]);
	char buf[512];
	ssize_t n = pid > 0 ? read(p[0], buf, sizeof(buf) - 1) : -1;
	close(p[0]);
	int st = 0;
	if (pid > 0)
		waitpid(pid, &st, 0);
	if (n > 0) {
		buf[n] = '\0';
		note("%s", buf);
	}
	return pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 1;
}

__attribute__((noreturn)) static void tty_attack_run(const struct tty_attack *a)
{
	bool esc = false;
	char label[32];
	for (int fd = 0; fd <= 2; fd++) {
		snprintf(label, sizeof(label), "fd%d", fd);
		if (fcntl(fd, F_GETFD) >= 0)
			esc |= tty_try(a, fd, label);
	}
	static const char *const paths[] = { "/dev/tty", "/dev/console" };
	for (size_t i = 0; i < 2; i++) {
		int fd = open(paths[i], O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0) {
			note("%s:%s;", paths[i], ename(errno));
			continue;
		}
		esc |= tty_try(a, fd, paths[i]);
		close(fd);
	}
	int m, s;
	if (open_own_pty(&m, &s)) {
		esc |= tty_try(a, s, "own-pty");
		esc |= tty_try_ctty(a, s);
	}
	verdict(esc);
}
#endif
