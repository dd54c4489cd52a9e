/* CVE-2024-21626 (runc "Leaky Vessels"): a host directory fd leaked into
 * the container (runc's /sys/fs/cgroup) lets the payload chdir to
 * /proc/self/fd/N and walk the host's filesystem; a cwd outside the root
 * does the same.
 * ESCAPED: any fd besides 0-2 (and our own opendir fd) is open; a
 * directory fd or the cwd is not reachable from our root; or a file fd
 * names a path whose inode inside our root is another one. On 0-2,
 * pipes, sockets, terminals, /dev/{null,zero,full,random,urandom} and
 * regular files are fine (the caller chose its stdio); a directory is not.
 * BLOCKED: only 0-2, all inside (or harmless), cwd inside. */
#include "escape.h"

#include <dirent.h>
#include <limits.h>
#include <sys/sysmacros.h>

static bool harmless_chr(const struct stat *st)
{
	if (!S_ISCHR(st->st_mode))
		return false;
	unsigned ma = major(st->st_rdev), mi = minor(st->st_rdev);
	if (ma == 1)
		return mi == 3 || mi == 5 || mi == 7 || mi == 8 || mi == 9;
	return ma == 4 || ma == 5 || (ma >= 136 && ma <= 143); /* terminals */
}

/* A directory fd: is it below our root? */
static bool dir_outside(int fd, char *where, size_t sz)
{
	int here = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	bool out = false;
	if (fchdir(fd) == 0) {
		if (!getcwd(where, sz)) {
			snprintf(where, sz, "getcwd:%s", ename(errno));
			out = true;
		} else {
			out = where[0] != '/'; /* "(unreachable)/..." */
		}
		if (here >= 0 && fchdir(here) < 0)
			out = true;
	}
	if (here >= 0)
		close(here);
	return out;
}

int main(void)
{
	esc_name = "fd_leak";
	bool esc = false;
	char cwd[PATH_MAX];

	if (!getcwd(cwd, sizeof(cwd))) {
		note("cwd: getcwd %s (outside the root);", ename(errno));
		esc = true;
	} else if (cwd[0] != '/') {
		note("cwd outside the root: %s;", cwd);
		esc = true;
	} else {
		note("cwd=%s;", cwd);
	}

	DIR *d = opendir("/proc/self/fd");
	if (!d) {
		note("/proc/self/fd: %s", ename(errno));
		verdict(esc);
	}
	int self = dirfd(d), n = 0;
	for (struct dirent *de; (de = readdir(d));) {
		if (de->d_name[0] == '.')
			continue;
		int fd = atoi(de->d_name);
		if (fd == self)
			continue;
		n++;
		char link[64], target[PATH_MAX] = "?";
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		ssize_t l = readlink(link, target, sizeof(target) - 1);
		target[l > 0 ? l : 0] = '\0';
		struct stat st, named;
		if (fstat(fd, &st) < 0) {
			note("fd%d->%s fstat %s;", fd, target, ename(errno));
			continue;
		}
		bool bad = fd > 2;
		const char *why = bad ? "leaked" : "ok";
		char where[PATH_MAX];
		if (S_ISDIR(st.st_mode) && dir_outside(fd, where, sizeof(where))) {
			bad = true, why = "directory outside the root";
		} else if (target[0] == '/' && !harmless_chr(&st) && !strstr(target, " (deleted)") &&
			   (stat(target, &named) < 0 || !same_file(&st, &named))) {
			/* On 0-2 a file is what the caller handed over (pipe mode). */
			why = fd > 2 ? "file outside the root" : "caller's stdio file";
			bad = fd > 2;
		}
		note("fd%d->%s:%s;", fd, target, why);
		esc |= bad;
	}
	closedir(d);
	note("%d fds open (besides opendir's)", n);
	verdict(esc);
}
