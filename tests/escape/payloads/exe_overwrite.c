/* CVE-2019-5736 (runc): a container process opens /proc/PID/exe of a
 * process that runs a host binary (runc joining the container) and, once
 * that process exits, reopens it for writing through /proc/self/fd: the
 * host binary is overwritten and runs as root next time.
 *
 * Checked: /proc/self/exe, /proc/1/exe and /proc/PID/exe of every visible
 * process, and every regular file bind-mounted into the container. A
 * "foreign" binary is one whose inode is not the file its path names
 * inside our root (a host file). For each, an O_WRONLY open (never a
 * write, never O_TRUNC) directly and through an O_PATH fd reopened via
 * /proc/self/fd.
 * ESCAPED: a foreign executable opened for writing.
 * BLOCKED: none reachable, or every open refused (ETXTBSY, EACCES, EROFS..). */
#include "escape.h"

#include <dirent.h>
#include <limits.h>

static bool try_write_open(const char *path, const char *label, bool foreign)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	int e = errno;
	if (fd >= 0)
		close(fd);
	int pfd = open(path, O_PATH | O_CLOEXEC);
	int e2 = 0, fd2 = -1;
	if (pfd >= 0) {
		char via[64];
		snprintf(via, sizeof(via), "/proc/self/fd/%d", pfd);
		fd2 = open(via, O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		e2 = errno;
		if (fd2 >= 0)
			close(fd2);
		close(pfd);
	} else {
		e2 = errno;
	}
	if (foreign || fd >= 0 || fd2 >= 0)
		note("%s%s: open(W)=%s reopen(W)=%s;", label, foreign ? "[foreign]" : "",
		     fd >= 0 ? "ok" : ename(e), fd2 >= 0 ? "ok" : ename(e2));
	return foreign && (fd >= 0 || fd2 >= 0);
}

enum where { UNREACHABLE, INSIDE, FOREIGN };

/* Is the file behind `magic` (a /proc/PID/exe link) outside our root? */
static enum where exe_where(const char *magic, char *target, size_t tsz)
{
	struct stat via, named;
	ssize_t n = readlink(magic, target, tsz - 1);
	target[n > 0 ? n : 0] = '\0';
	if (stat(magic, &via) < 0) {
		snprintf(target, tsz, "%s", ename(errno));
		return UNREACHABLE;
	}
	if (n <= 0 || target[0] != '/' || stat(target, &named) < 0)
		return FOREIGN;
	return same_file(&via, &named) ? INSIDE : FOREIGN;
}

int main(void)
{
	esc_name = "exe_overwrite";
	bool esc = false;
	int procs = 0, hidden = 0;
	char target[PATH_MAX];

	DIR *d = opendir("/proc");
	for (struct dirent *de; d && (de = readdir(d));) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		char magic[64];
		snprintf(magic, sizeof(magic), "/proc/%.16s/exe", de->d_name);
		procs++;
		enum where w = exe_where(magic, target, sizeof(target));
		bool pid1 = strcmp(de->d_name, "1") == 0;
		if (w == UNREACHABLE) {
			hidden++;
			if (pid1)
				note("/proc/1/exe unreachable (%s);", target);
		} else if (w == FOREIGN || pid1 || atoi(de->d_name) == getpid()) {
			char label[PATH_MAX + 128];
			snprintf(label, sizeof(label), "%s(%s)", magic, target);
			esc |= try_write_open(magic, label, w == FOREIGN);
		}
	}
	if (d)
		closedir(d);
	note("%d processes visible (%d with an unreachable exe);", procs, hidden);

	/* Regular files bind-mounted in (field 5 of mountinfo is the mount point). */
	FILE *mi = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	int binds = 0;
	while (mi && fgets(line, sizeof(line), mi)) {
		char mp[PATH_MAX];
		struct stat st;
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1 || stat(mp, &st) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		binds++;
		if (st.st_mode & 0111)
			esc |= try_write_open(mp, mp, true);
	}
	if (mi)
		fclose(mi);
	note("%d regular files bind-mounted", binds);
	verdict(esc);
}
