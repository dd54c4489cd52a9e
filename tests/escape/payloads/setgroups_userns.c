/* CVE-2014-8989: in a new user namespace an unprivileged user could call
 * setgroups() and drop a supplementary group that a "negative" permission
 * (a file mode or ACL denying that group) relied on. Since Linux 3.19 the
 * gid_map of an unprivileged namespace can only be written after
 * /proc/PID/setgroups is "deny", and then setgroups() fails.
 * Set up: as root, become uid/gid 1000 with supplementary group 29.
 * ESCAPED: gid_map written without "deny" and setgroups() then works, or
 * setgroups() works after "deny".
 * BLOCKED: either step refused (or user namespaces unavailable). */
#include "escape.h"

#include <grp.h>
#include <sched.h>
#include <sys/wait.h>

/* In a child: new user namespace, maps, setgroups. 1 = escaped. */
static int attempt(bool deny_first)
{
	if (unshare(CLONE_NEWUSER) < 0) {
		note("unshare(USER)=%s;", ename(errno));
		return 0;
	}
	int r = write_str("/proc/self/uid_map", "0 1000 1");
	int s = deny_first ? write_str("/proc/self/setgroups", "deny") : 0;
	int g = write_str("/proc/self/gid_map", "0 1000 1");
	errno = 0;
	int sg = g == 0 ? setgroups(0, NULL) : -1;
	note("%s: uid_map=%s%s gid_map=%s setgroups([])=%s;", deny_first ? "deny first" : "no deny",
	     r ? ename(-r) : "ok", deny_first ? (s ? " setgroups=deny failed" : " deny=ok") : "",
	     g ? ename(-g) : "ok", g ? "-" : sg == 0 ? "ok" : ename(errno));
	return sg == 0;
}

static bool in_child(bool deny_first)
{
	int p[2];
	if (pipe(p) < 0)
		return false;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		esc_detail[0] = '\0';
		int code = attempt(deny_first);
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
	if (n > 0)
		buf[n] = '\0', note("%s", buf);
	return pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 1;
}

int main(void)
{
	esc_name = "setgroups_userns";
	gid_t extra = 29;
	if (geteuid() == 0 &&
	    (setgroups(1, &extra) < 0 || setresgid(1000, 1000, 1000) < 0 ||
	     setresuid(1000, 1000, 1000) < 0)) {
		note("cannot become uid 1000 with group 29 (%s): no unprivileged user to test with;",
		     ename(errno));
		verdict(false);
	}
	gid_t groups[64];
	int n = getgroups(64, groups);
	note("uid %u, %d supplementary groups;", (unsigned)getuid(), n);
	bool esc = in_child(false);
	esc |= in_child(true);
	verdict(esc);
}
