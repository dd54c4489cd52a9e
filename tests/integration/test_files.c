/* hutch integration tests: files from the host (--resolv-conf=, --timezone=,
 * --set-credential=, --load-credential=, /run/host/incoming).
 *
 * Each test works on a private copy of the test rootfs next to it
 * ("<rootfs>-files-TAG-PID"), removed afterwards, so what a mode writes into
 * the image can be checked from the host. */
#include "../lib/harness.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char copy_path[4096];

static int spawn_wait(char *const argv[])
{
	pid_t pid = fork();
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void remove_copy(void)
{
	if (!copy_path[0])
		return;
	char *argv[] = {"rm", "-rf", "--one-file-system", copy_path, NULL};
	spawn_wait(argv);
	copy_path[0] = '\0';
}

static const char *make_copy(const char *tag)
{
	need_rootfs();
	snprintf(copy_path, sizeof copy_path, "%s-files-%s-%d", test_rootfs(), tag, (int)getpid());
	char *rm[] = {"rm", "-rf", "--one-file-system", copy_path, NULL};
	spawn_wait(rm);
	char *argv[] = {"cp", "-a", (char *)test_rootfs(), copy_path, NULL};
	cr_assert_eq(spawn_wait(argv), 0, "cp -a %s %s failed", test_rootfs(), copy_path);
	return copy_path;
}

/* Path of `rel` inside the copy (static buffer per call slot). */
static const char *in_copy(const char *rel)
{
	static char bufs[4][4200];
	static int k;
	char *b = bufs[k++ % 4];
	snprintf(b, sizeof bufs[0], "%s%s", copy_path, rel);
	return b;
}

static void write_str(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");
	cr_assert(f, "cannot write %s: %s", path, strerror(errno));
	fputs(s, f);
	fclose(f);
}

static char *slurp(const char *path)
{
	char *s = read_file_str(path);
	cr_assert(s, "cannot read %s: %s", path, strerror(errno));
	return s;
}

/* Run `sh -c script` in the copy with extra options (NULL-terminated). */
static int run_in_copy(struct run_result *r, const char *tag, const char *script,
		       const char *const opts[])
{
	const char *argv[32];
	size_t n = 0;
	argv[n++] = "-q";
	argv[n++] = "-P";
	argv[n++] = "-D";
	argv[n++] = copy_path;
	argv[n++] = "-M";
	argv[n++] = machine_name(tag);
	for (size_t i = 0; opts && opts[i]; i++)
		argv[n++] = opts[i];
	argv[n++] = "/bin/sh";
	argv[n++] = "-c";
	argv[n++] = script;
	argv[n] = NULL;
	return run_hutch(r, 60, NULL, argv);
}

#define OPTS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* ---- --resolv-conf= ----------------------------------------------------- */

/* What the container reads, whether it can write, and that the host's file
 * never changes. Writes "W-OK" or "W-FAIL" after the content. */
#define SHOW_AND_WRITE                                                                    \
	"cat /etc/resolv.conf; if echo '# from-container' >> /etc/resolv.conf 2>/dev/null; " \
	"then echo W-OK; else echo W-FAIL; fi; grep -q ' /etc/resolv.conf ' /proc/self/mountinfo " \
	"&& echo MOUNTED || echo NOT-MOUNTED"

static void resolv_case(const char *mode, const char *src, bool bind)
{
	make_copy(mode);
	char *host_before = slurp("/etc/resolv.conf");
	char *want = slurp(src);
	write_str(in_copy("/etc/resolv.conf"), "nameserver 192.0.2.1\n");
	char opt[64];
	snprintf(opt, sizeof opt, "--resolv-conf=%s", mode);
	struct run_result r;
	run_in_copy(&r, "rc", SHOW_AND_WRITE, OPTS(opt));
	ASSERT_STATUS(r, 0);
	cr_assert(!strncmp(r.out, want, strlen(want)), "%s: container sees\n%s\nexpected\n%s", mode,
		  r.out, want);
	cr_assert(strstr(r.out, bind ? "W-FAIL\nMOUNTED" : "W-OK\nNOT-MOUNTED"),
		  "%s: expected a %s:\n%s", mode, bind ? "read-only bind" : "writable copy", r.out);
	char *host_after = slurp("/etc/resolv.conf");
	cr_assert_str_eq(host_after, host_before, "the host's /etc/resolv.conf changed");
	char *img = slurp(in_copy("/etc/resolv.conf"));
	if (bind) /* the image keeps its own file under the bind */
		cr_assert_str_eq(img, "nameserver 192.0.2.1\n");
	else
		cr_assert(strstr(img, "# from-container") && !strncmp(img, want, strlen(want)),
			  "the copy in the image is\n%s", img);
	run_result_free(&r);
	free(host_before), free(host_after), free(want), free(img);
}

Test(files, resolv_copy_host, .timeout = 90, .fini = remove_copy)
{
	resolv_case("copy-host", "/etc/resolv.conf", false);
}

Test(files, resolv_replace_host, .timeout = 90, .fini = remove_copy)
{
	resolv_case("replace-host", "/etc/resolv.conf", false);
}

Test(files, resolv_bind_host, .timeout = 90, .fini = remove_copy)
{
	resolv_case("bind-host", "/etc/resolv.conf", true);
}

static void need_host_file(const char *path)
{
	if (access(path, F_OK) < 0)
		cr_skip_test("the host has no %s", path);
}

Test(files, resolv_copy_static, .timeout = 90, .fini = remove_copy)
{
	need_host_file("/usr/lib/systemd/resolv.conf");
	resolv_case("copy-static", "/usr/lib/systemd/resolv.conf", false);
}

Test(files, resolv_bind_static, .timeout = 90, .fini = remove_copy)
{
	need_host_file("/usr/lib/systemd/resolv.conf");
	resolv_case("bind-static", "/usr/lib/systemd/resolv.conf", true);
}

Test(files, resolv_replace_static, .timeout = 90, .fini = remove_copy)
{
	need_host_file("/usr/lib/systemd/resolv.conf");
	resolv_case("replace-static", "/usr/lib/systemd/resolv.conf", false);
}

/* Without systemd-resolved on the host the uplink and stub files do not
 * exist: as nspawn, a warning naming the missing file, and the container's
 * file stays as it was. With resolved, they are copied/bound like the rest. */
static void resolv_resolved_case(const char *mode, const char *src, bool bind)
{
	if (access(src, F_OK) == 0) {
		resolv_case(mode, src, bind);
		return;
	}
	make_copy(mode);
	write_str(in_copy("/etc/resolv.conf"), "nameserver 192.0.2.1\n");
	char opt[64];
	snprintf(opt, sizeof opt, "--resolv-conf=%s", mode);
	struct run_result r;
	run_in_copy(&r, "rcm", "cat /etc/resolv.conf", OPTS(opt));
	ASSERT_STATUS(r, 0);
	cr_assert_str_eq(r.out, "nameserver 192.0.2.1\n");
	cr_assert(strstr(r.err, "warning") && strstr(r.err, src),
		  "%s: no warning naming %s:\n%s", mode, src, r.err);
	run_result_free(&r);
}

Test(files, resolv_uplink_and_stub, .timeout = 300, .fini = remove_copy)
{
	static const char *const modes[][2] = {
		{"copy-uplink", "/run/systemd/resolve/resolv.conf"},
		{"replace-uplink", "/run/systemd/resolve/resolv.conf"},
		{"bind-uplink", "/run/systemd/resolve/resolv.conf"},
		{"copy-stub", "/run/systemd/resolve/stub-resolv.conf"},
		{"replace-stub", "/run/systemd/resolve/stub-resolv.conf"},
		{"bind-stub", "/run/systemd/resolve/stub-resolv.conf"},
	};
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		resolv_resolved_case(modes[i][0], modes[i][1], strncmp(modes[i][0], "bind", 4) == 0);
		remove_copy();
	}
}

Test(files, resolv_off_and_delete, .timeout = 90, .fini = remove_copy)
{
	make_copy("rcoff");
	write_str(in_copy("/etc/resolv.conf"), "nameserver 192.0.2.1\n");
	struct run_result r;
	run_in_copy(&r, "rcoff", "cat /etc/resolv.conf", OPTS("--resolv-conf=off"));
	ASSERT_STATUS(r, 0);
	cr_assert_str_eq(r.out, "nameserver 192.0.2.1\n");
	run_result_free(&r);
	run_in_copy(&r, "rcdel", "ls /etc/resolv.conf 2>&1 || echo GONE", OPTS("--resolv-conf=delete"));
	ASSERT_STATUS(r, 0);
	cr_assert(strstr(r.out, "GONE"), "%s", r.out);
	cr_assert(access(in_copy("/etc/resolv.conf"), F_OK) < 0, "still in the image");
	/* Deleting what is not there is fine. */
	run_result_free(&r);
	run_in_copy(&r, "rcdel2", "true", OPTS("--resolv-conf=delete"));
	ASSERT_STATUS(r, 0);
	cr_assert_str_empty(r.err);
	run_result_free(&r);
}

/* auto: copy of the host's file (no resolved here), off with a private
 * network (the image's stays). */
Test(files, resolv_auto, .timeout = 90, .fini = remove_copy)
{
	if (access("/run/systemd/resolve/stub-resolv.conf", F_OK) == 0)
		cr_skip_test("systemd-resolved runs on this host: auto binds its static file");
	make_copy("rcauto");
	write_str(in_copy("/etc/resolv.conf"), "nameserver 192.0.2.1\n");
	struct run_result r;
	run_in_copy(&r, "rcauto", "cat /etc/resolv.conf", OPTS("--private-network"));
	ASSERT_STATUS(r, 0);
	cr_assert_str_eq(r.out, "nameserver 192.0.2.1\n");
	run_result_free(&r);
	char *host = slurp("/etc/resolv.conf");
	run_in_copy(&r, "rcauto2", SHOW_AND_WRITE, NULL);
	ASSERT_STATUS(r, 0);
	cr_assert(!strncmp(r.out, host, strlen(host)) && strstr(r.out, "W-OK\nNOT-MOUNTED"),
		  "auto is not a copy of the host's file:\n%s", r.out);
	run_result_free(&r);
	free(host);
}

Test(files, resolv_conf_bad_value, .timeout = 30)
{
	need_rootfs();
	struct run_result r;
	run_hutch(&r, 30, NULL, ARGV("-q", "-P", "-D", test_rootfs(), "--resolv-conf=copy", "true"));
	ASSERT_STATUS(r, 1);
	cr_assert(strstr(r.err, "--resolv-conf") && strstr(r.err, "'copy'"), "%s", r.err);
	run_result_free(&r);
}

/* ---- hostile images --------------------------------------------------------- */

static char *md5(const char *path)
{
	char cmd[4300];
	snprintf(cmd, sizeof cmd, "md5sum < '%s'", path);
	FILE *p = popen(cmd, "r");
	cr_assert(p);
	char *line = NULL;
	size_t cap = 0;
	cr_assert(getline(&line, &cap, p) > 0);
	pclose(p);
	return line;
}

/* /etc/resolv.conf and /etc/localtime -> the host's /etc/shadow: copy and bind
 * refuse (warning, symlink kept), replace swaps the link for a file. The
 * host's shadow never changes and nothing stays mounted. */
Test(files, hostile_symlinks_to_host_files, .timeout = 300, .fini = remove_copy)
{
	static const char *const cases[][3] = {
		/* option, file, expect: L = link kept, F = regular file now */
		{"--resolv-conf=copy-host", "/etc/resolv.conf", "L"},
		{"--resolv-conf=bind-host", "/etc/resolv.conf", "L"},
		{"--resolv-conf=replace-host", "/etc/resolv.conf", "F"},
		{"--timezone=copy", "/etc/localtime", "F"},
		{"--timezone=bind", "/etc/localtime", "F"},
	};
	char *shadow = md5("/etc/shadow");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		make_copy("hostile");
		unlink(in_copy(cases[i][1]));
		cr_assert_eq(symlink("/etc/shadow", in_copy(cases[i][1])), 0);
		struct host_snapshot snap;
		host_snapshot_take(&snap);
		struct run_result r;
		char script[128];
		snprintf(script, sizeof script, "echo pwned > %s 2>/dev/null; true", cases[i][1]);
		run_in_copy(&r, "hostile", script, OPTS(cases[i][0]));
		ASSERT_STATUS(r, 0);
		struct stat st;
		cr_assert_eq(lstat(in_copy(cases[i][1]), &st), 0);
		if (cases[i][2][0] == 'L') {
			cr_assert(S_ISLNK(st.st_mode), "%s: the symlink was replaced", cases[i][0]);
			cr_assert(strstr(r.err, "symlink"), "%s: no warning about the symlink:\n%s",
				  cases[i][0], r.err);
		} else {
			cr_assert(S_ISREG(st.st_mode), "%s: %s is not a regular file now", cases[i][0],
				  cases[i][1]);
		}
		char *after = md5("/etc/shadow");
		cr_assert_str_eq(after, shadow, "%s: the host's /etc/shadow changed", cases[i][0]);
		free(after);
		host_snapshot_assert_same(&snap);
		host_snapshot_free(&snap);
		run_result_free(&r);
		remove_copy();
	}
	free(shadow);
}

/* A FIFO where /etc/resolv.conf should be: copy never opens it (no hang),
 * replace swaps it for a regular file. */
Test(files, hostile_fifo, .timeout = 120, .fini = remove_copy)
{
	make_copy("fifo");
	unlink(in_copy("/etc/resolv.conf"));
	cr_assert_eq(mkfifo(in_copy("/etc/resolv.conf"), 0644), 0);
	struct run_result r;
	run_in_copy(&r, "fifo", "echo RAN", OPTS("--resolv-conf=copy-host"));
	ASSERT_STATUS(r, 0);
	cr_assert(strstr(r.err, "not a regular file"), "%s", r.err);
	struct stat st;
	cr_assert_eq(lstat(in_copy("/etc/resolv.conf"), &st), 0);
	cr_assert(S_ISFIFO(st.st_mode));
	run_result_free(&r);
	run_in_copy(&r, "fifo2", "echo RAN", OPTS("--resolv-conf=replace-host"));
	ASSERT_STATUS(r, 0);
	cr_assert_eq(lstat(in_copy("/etc/resolv.conf"), &st), 0);
	cr_assert(S_ISREG(st.st_mode));
	run_result_free(&r);
}

/* /etc a symlink (to a directory in the image, and out of it): nothing is
 * written through it, a warning names the file. */
Test(files, hostile_etc_symlink, .timeout = 120, .fini = remove_copy)
{
	char *host_resolv = md5("/etc/resolv.conf");
	make_copy("etcln");
	char *mv[] = {"mv", (char *)in_copy("/etc"), (char *)in_copy("/usr/etc-real"), NULL};
	cr_assert_eq(spawn_wait(mv), 0);
	cr_assert_eq(symlink("usr/etc-real", in_copy("/etc")), 0);
	write_str(in_copy("/usr/etc-real/resolv.conf"), "nameserver 192.0.2.1\n");
	unlink(in_copy("/usr/etc-real/localtime"));
	struct run_result r;
	run_in_copy(&r, "etcln", "cat /etc/resolv.conf",
		    OPTS("--resolv-conf=replace-host", "--timezone=copy"));
	ASSERT_STATUS(r, 0);
	cr_assert_str_eq(r.out, "nameserver 192.0.2.1\n");
	cr_assert(strstr(r.err, "/etc/resolv.conf") && strstr(r.err, "/etc/localtime"),
		  "no warnings naming the files:\n%s", r.err);
	cr_assert(access(in_copy("/usr/etc-real/localtime"), F_OK) < 0, "written through /etc");
	run_result_free(&r);
	char *after = md5("/etc/resolv.conf");
	cr_assert_str_eq(after, host_resolv);
	free(after);
	free(host_resolv);
}

/* No /etc at all: warnings, and hutch does not make one. */
Test(files, hostile_etc_missing, .timeout = 90, .fini = remove_copy)
{
	make_copy("noetc");
	char *rm[] = {"rm", "-rf", (char *)in_copy("/etc"), NULL};
	cr_assert_eq(spawn_wait(rm), 0);
	struct run_result r;
	run_in_copy(&r, "noetc", "echo RAN", OPTS("--resolv-conf=copy-host", "--timezone=copy"));
	ASSERT_STATUS(r, 0);
	cr_assert_str_eq(r.out, "RAN\n");
	cr_assert(strstr(r.err, "warning") && strstr(r.err, "/etc/resolv.conf"), "%s", r.err);
	cr_assert(access(in_copy("/etc"), F_OK) < 0, "hutch created /etc");
	run_result_free(&r);
}

/* /etc a regular file: the image's user database cannot be read, so the start
 * fails cleanly before anything is set up. */
Test(files, hostile_etc_is_a_file, .timeout = 90, .fini = remove_copy)
{
	make_copy("etcfile");
	char *rm[] = {"rm", "-rf", (char *)in_copy("/etc"), NULL};
	cr_assert_eq(spawn_wait(rm), 0);
	write_str(in_copy("/etc"), "not a directory\n");
	struct host_snapshot snap;
	host_snapshot_take(&snap);
	struct run_result r;
	run_in_copy(&r, "etcfile", "echo RAN", OPTS("--resolv-conf=replace-host"));
	cr_assert_neq(r.status, 0);
	cr_assert(!strstr(r.out, "RAN"));
	cr_assert(strstr(r.err, "/etc/"), "%s", r.err);
	char *s = slurp(in_copy("/etc"));
	cr_assert_str_eq(s, "not a directory\n");
	free(s);
	host_snapshot_assert_same(&snap);
	host_snapshot_free(&snap);
	run_result_free(&r);
}

/* ---- --timezone= ----------------------------------------------------------- */

/* The host's zone, or skip. */
static const char *host_zone(void)
{
	static char link[256];
	ssize_t n = readlink("/etc/localtime", link, sizeof link - 1);
	if (n <= 0)
		cr_skip_test("the host's /etc/localtime is not a symlink");
	link[n] = '\0';
	const char *z = strstr(link, "/usr/share/zoneinfo/");
	if (!z)
		cr_skip_test("the host's /etc/localtime does not point into /usr/share/zoneinfo");
	return z + strlen("/usr/share/zoneinfo/");
}

/* A zone file in the image (from the host's) so symlink mode has a target. */
static void add_zone(const char *zone)
{
	char dir[4300], cmd[9000];
	snprintf(dir, sizeof dir, "%s/usr/share/zoneinfo/%s", copy_path, zone);
	snprintf(cmd, sizeof cmd, "mkdir -p \"$(dirname '%s')\" && cp /usr/share/zoneinfo/%s '%s'",
		 dir, zone, dir);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
}

#define TZ_SHOW                                                                          \
	"md5sum < /etc/localtime; if echo x >> /etc/localtime 2>/dev/null; then echo W-OK; " \
	"else echo W-FAIL; fi"

static void tz_case(const char *mode, bool bind)
{
	make_copy(mode);
	char *want = md5("/etc/localtime");
	char opt[64];
	snprintf(opt, sizeof opt, "--timezone=%s", mode);
	struct run_result r;
	run_in_copy(&r, "tz", TZ_SHOW, OPTS(opt));
	ASSERT_STATUS(r, 0);
	cr_assert(!strncmp(r.out, want, strlen(want)), "%s: content differs:\n%s", mode, r.out);
	cr_assert(strstr(r.out, bind ? "W-FAIL" : "W-OK"), "%s: %s", mode, r.out);
	char *after = md5("/etc/localtime");
	cr_assert_str_eq(after, want, "the host's /etc/localtime changed");
	struct stat st;
	cr_assert_eq(lstat(in_copy("/etc/localtime"), &st), 0);
	cr_assert(S_ISREG(st.st_mode));
	run_result_free(&r);
	free(want);
	free(after);
}

Test(files, timezone_copy, .timeout = 90, .fini = remove_copy)
{
	tz_case("copy", false);
}

Test(files, timezone_bind, .timeout = 90, .fini = remove_copy)
{
	tz_case("bind", true);
}

Test(files, timezone_symlink, .timeout = 90, .fini = remove_copy)
{
	const char *zone = host_zone();
	make_copy("tzln");
	add_zone(zone);
	struct run_result r;
	run_in_copy(&r, "tzln", "readlink /etc/localtime", OPTS("--timezone=symlink"));
	ASSERT_STATUS(r, 0);
	char want[512];
	snprintf(want, sizeof want, "../usr/share/zoneinfo/%s\n", zone);
	cr_assert_str_eq(r.out, want);
	/* The link belongs to the container's root, like the rest of /etc. */
	struct stat st, etc;
	cr_assert_eq(lstat(in_copy("/etc/localtime"), &st), 0);
	cr_assert_eq(stat(in_copy("/etc"), &etc), 0);
	cr_assert_eq(st.st_uid, etc.st_uid);
	run_result_free(&r);
}

/* A zone the image lacks: nspawn binds the host's file instead. */
Test(files, timezone_symlink_falls_back_to_bind, .timeout = 90, .fini = remove_copy)
{
	host_zone();
	tz_case("symlink", true);
}

Test(files, timezone_auto_off_delete, .timeout = 120, .fini = remove_copy)
{
	const char *zone = host_zone();
	make_copy("tzauto");
	add_zone(zone);
	write_str(in_copy("/etc/localtime"), "image's own\n");
	struct run_result r;
	run_in_copy(&r, "tzoff", "cat /etc/localtime", OPTS("--timezone=off"));
	ASSERT_STATUS(r, 0);
	cr_assert_str_eq(r.out, "image's own\n");
	run_result_free(&r);
	run_in_copy(&r, "tzauto", "readlink /etc/localtime", NULL);
	ASSERT_STATUS(r, 0);
	char want[512];
	snprintf(want, sizeof want, "../usr/share/zoneinfo/%s\n", zone);
	cr_assert_str_eq(r.out, want, "auto with a symlinked host zone is symlink mode");
	run_result_free(&r);
	run_in_copy(&r, "tzdel", "ls /etc/localtime 2>/dev/null || echo GONE", OPTS("--timezone=delete"));
	ASSERT_STATUS(r, 0);
	cr_assert_str_eq(r.out, "GONE\n");
	run_result_free(&r);
}

/* ---- credentials ------------------------------------------------------------- */

Test(files, credentials, .timeout = 90)
{
	need_rootfs();
	char path[] = "/tmp/fsfiles-cred-XXXXXX";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, "from a file\n", 12), 12);
	close(fd);
	char load[128];
	snprintf(load, sizeof load, "--load-credential=filecred:%s", path);
	struct run_result r;
	run_hutch(&r, 60, NULL,
		  ARGV("-q", "-P", "-D", test_rootfs(), "-M", machine_name("cred"),
		       "--set-credential=esc:a\\tb\\x41\\101\\u00e9\\n\\\\", load, "/bin/sh", "-c",
		       "echo \"DIR=$CREDENTIALS_DIRECTORY\"; cd /run/host/credentials; "
		       "stat -c '%a %u %g %n' . esc filecred; od -An -c esc; cat filecred; "
		       "echo x > new 2>/dev/null && echo CREATED; chmod 644 esc 2>/dev/null && echo CHMOD; "
		       "mount -o remount,rw /run/host/credentials 2>/dev/null && echo REMOUNTED; "
		       "grep ' /run/host/credentials ' /proc/self/mountinfo"));
	unlink(path);
	ASSERT_STATUS(r, 0);
	cr_assert(strstr(r.out, "DIR=/run/host/credentials\n"), "%s", r.out);
	cr_assert(strstr(r.out, "500 0 0 .\n400 0 0 esc\n400 0 0 filecred\n"), "%s", r.out);
	cr_assert(strstr(r.out, "a  \\t   b   A   A 303 251  \\n   \\\n"), "escapes:\n%s", r.out);
	cr_assert(strstr(r.out, "from a file\n"), "%s", r.out);
	cr_assert(!strstr(r.out, "CREATED") && !strstr(r.out, "CHMOD") && !strstr(r.out, "REMOUNTED"),
		  "the credentials are not read-only:\n%s", r.out);
	cr_assert(strstr(r.out, " ro,") && strstr(r.out, "ramfs"), "%s", r.out);
	run_result_free(&r);
}

Test(files, no_credentials_no_env, .timeout = 60)
{
	need_rootfs();
	struct run_result r;
	run_cmd(&r, "nocred", "echo \"[$CREDENTIALS_DIRECTORY]\"; ls /run/host/credentials >/dev/null 2>&1 || echo NONE");
	ASSERT_STATUS(r, 0);
	cr_assert_str_eq(r.out, "[]\nNONE\n");
	run_result_free(&r);
}

static void cred_error(const char *const opts[], const char *needle)
{
	need_rootfs();
	struct host_snapshot snap;
	host_snapshot_take(&snap);
	const char *argv[80];
	size_t n = 0;
	argv[n++] = "-q", argv[n++] = "-P", argv[n++] = "-D", argv[n++] = test_rootfs();
	argv[n++] = "-M", argv[n++] = machine_name("crederr");
	for (size_t i = 0; opts[i]; i++)
		argv[n++] = opts[i];
	argv[n++] = "/bin/echo", argv[n++] = "RAN", argv[n] = NULL;
	struct run_result r;
	run_hutch(&r, 60, NULL, argv);
	ASSERT_STATUS(r, 1);
	cr_assert(!strstr(r.out, "RAN"));
	cr_assert(strstr(r.err, needle), "expected '%s' in:\n%s", needle, r.err);
	cr_assert_eq(count_substr(r.err, "\n"), 1, "not one line:\n%s", r.err);
	host_snapshot_assert_same(&snap);
	host_snapshot_free(&snap);
	run_result_free(&r);
}

Test(files, credential_errors, .timeout = 120)
{
	cred_error(OPTS("--set-credential=novalue"), "ID:VALUE");
	cred_error(OPTS("--set-credential=a/b:x"), "valid file name");
	cred_error(OPTS("--set-credential=..:x"), "valid file name");
	cred_error(OPTS("--set-credential=a:x", "--set-credential=a:y"), "duplicate");
	cred_error(OPTS("--set-credential=a:\\q"), "escape");
	cred_error(OPTS("--set-credential=a:\\x4"), "escape");
	cred_error(OPTS("--load-credential=a:/nonexistent/file"), "No such file");
	cred_error(OPTS("--load-credential=a:/etc"), "not a regular file");
	cred_error(OPTS("--load-credential=a:relative"), "CREDENTIALS_DIRECTORY");
}

/* 1 MiB is the documented limit per credential (as nspawn). */
Test(files, credential_size_limit, .timeout = 120)
{
	need_rootfs();
	char path[] = "/tmp/fsfiles-big-XXXXXX";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	cr_assert_eq(ftruncate(fd, 1 << 20), 0);
	close(fd);
	char load[128];
	snprintf(load, sizeof load, "--load-credential=big:%s", path);
	struct run_result r;
	run_hutch(&r, 60, NULL,
		  ARGV("-q", "-P", "-D", test_rootfs(), "-M", machine_name("credbig"), load,
		       "/bin/sh", "-c", "stat -c %s /run/host/credentials/big"));
	ASSERT_STATUS(r, 0);
	cr_assert_str_eq(r.out, "1048576\n");
	run_result_free(&r);
	fd = open(path, O_WRONLY | O_APPEND);
	cr_assert_eq(write(fd, "x", 1), 1);
	close(fd);
	cred_error(OPTS(load), "1 MiB");
	unlink(path);
}

Test(files, credential_count_limit, .timeout = 60)
{
	const char *opts[70];
	static char buf[70][32];
	for (int i = 0; i < 65; i++) {
		snprintf(buf[i], sizeof buf[i], "--set-credential=c%d:v", i);
		opts[i] = buf[i];
	}
	opts[65] = NULL;
	cred_error(opts, "at most 64");
}

/* ---- /run/host/incoming ------------------------------------------------------ */

Test(files, run_host_incoming, .timeout = 60)
{
	need_rootfs();
	struct run_result r;
	run_cmd(&r, "incoming", "stat -c '%a %u' /run/host/incoming; touch /run/host/incoming/x 2>/dev/null || echo RO");
	ASSERT_STATUS(r, 0);
	cr_assert_str_eq(r.out, "600 0\nRO\n");
	run_result_free(&r);
}

/* ---- --bind-user= ------------------------------------------------------------- */

static char bu_name[32], bu_home[128];

static void bind_user_cleanup(void)
{
	if (bu_name[0]) {
		char *del[] = {"userdel", bu_name, NULL};
		spawn_wait(del);
		bu_name[0] = '\0';
	}
	if (bu_home[0]) {
		char *rm[] = {"rm", "-rf", "--one-file-system", bu_home, NULL};
		spawn_wait(rm);
		bu_home[0] = '\0';
	}
}

/* A throw-away host user with its own home (removed by the fini); with
 * `locked`, the home is inside a root-owned 0700 directory. */
static uid_t make_host_user_at(bool locked)
{
	need_rootfs();
	if (access("/usr/sbin/useradd", X_OK) < 0)
		cr_skip_test("no useradd to make a host user with");
	snprintf(bu_name, sizeof bu_name, "hutchbu%d", (int)getpid() % 100000);
	snprintf(bu_home, sizeof bu_home, "/var/tmp/fsfiles-bu-%d", (int)getpid());
	char home[160];
	snprintf(home, sizeof home, "%s%s", bu_home, locked ? "/home" : "");
	if (locked)
		cr_assert_eq(mkdir(bu_home, 0700), 0);
	char *add[] = {"useradd", "-M", "-U", "-d", home, "-s", "/bin/sh", bu_name, NULL};
	cr_assert_eq(spawn_wait(add), 0, "useradd %s failed", bu_name);
	cr_assert_eq(mkdir(home, 0750), 0);
	char owner[80];
	snprintf(owner, sizeof owner, "%s:%s", bu_name, bu_name);
	char *own[] = {"chown", owner, home, NULL};
	cr_assert_eq(spawn_wait(own), 0);
	struct stat st;
	cr_assert_eq(stat(home, &st), 0);
	return st.st_uid;
}

static uid_t make_host_user(void)
{
	return make_host_user_at(false);
}

/* The home is looked up as the user would (found in an audit: as root, the
 * broker bound a home its user cannot even reach). */
Test(files, bind_user_home_only_where_the_user_reaches, .timeout = 120, .fini = bind_user_cleanup)
{
	make_host_user_at(true);
	char opt[64];
	snprintf(opt, sizeof opt, "--bind-user=%s", bu_name);
	struct run_result r;
	run_hutch(&r, 60, NULL,
		  ARGV("-q", "-P", "-D", test_rootfs(), "-M", machine_name("bulock"), opt, "/bin/ls",
		       "-d", "/run/host/home/."));
	cr_expect_neq(r.status, 0, "the home behind a 0700 root directory was bound:\n%s", r.out);
	cr_expect(strstr(r.err, "cannot bind home"), "%s", r.err);
	run_result_free(&r);
}

Test(files, bind_user, .timeout = 120, .fini = bind_user_cleanup)
{
	uid_t uid = make_host_user();
	char opt[64], script[1024], want[512];
	snprintf(opt, sizeof opt, "--bind-user=%s", bu_name);
	snprintf(script, sizeof script,
		 "awk '$1==60514 {print $2, $3}' /proc/self/uid_map; cd /run/host/userdb; readlink 60514.user; readlink 60514.group; "
		 "cat %s.user %s.group; stat -c '%%u %%g %%a' /run/host/home/%s",
		 bu_name, bu_name, bu_name);
	struct run_result r;
	run_hutch(&r, 60, NULL,
		  ARGV("-q", "-P", "-D", test_rootfs(), "-M", machine_name("bu"), opt, "/bin/sh", "-c",
		       script));
	ASSERT_STATUS(r, 0);
	snprintf(want, sizeof want,
		 "%u 1\n%s.user\n%s.group\n{\"userName\":\"%s\",\"uid\":60514,\"gid\":60514,"
		 "\"homeDirectory\":\"/run/host/home/%s\",\"disposition\":\"regular\","
		 "\"service\":\"io.hutch.BindUser\"}\n{\"groupName\":\"%s\",\"gid\":60514,"
		 "\"disposition\":\"regular\",\"service\":\"io.hutch.BindUser\"}\n60514 60514 750\n",
		 (unsigned)uid, bu_name, bu_name, bu_name, bu_name, bu_name);
	cr_assert(strstr(r.out, want), "got:\n%s\nwant (after the map's first columns):\n%s", r.out,
		  want);
	run_result_free(&r);

	/* -u NAME finds the bound user; what it writes in its home is the host
	 * user's on the host. */
	run_hutch(&r, 60, NULL,
		  ARGV("-q", "-P", "-D", test_rootfs(), "-M", machine_name("bu2"), opt, "-u", bu_name,
		       "/bin/sh", "-c", "id -u; id -g; echo $HOME; pwd; echo hi > written"));
	ASSERT_STATUS(r, 0);
	snprintf(want, sizeof want, "60514\n60514\n/run/host/home/%s\n/run/host/home/%s\n", bu_name,
		 bu_name);
	cr_assert_str_eq(r.out, want);
	char path[256];
	snprintf(path, sizeof path, "%s/written", bu_home);
	struct stat st;
	cr_assert_eq(stat(path, &st), 0, "nothing written in the home");
	cr_assert_eq(st.st_uid, uid);
	run_result_free(&r);
}

Test(files, bind_user_errors, .timeout = 120, .fini = bind_user_cleanup)
{
	cred_error(OPTS("--bind-user=nosuchuser-fsfiles"), "no such user");
	cred_error(OPTS("--bind-user=root"), "root");
	cred_error(OPTS("--bind-user=nobody"), "exists in the container");
	cred_error(OPTS("--bind-user=a/b"), "not a valid user name");
	cred_error(OPTS("--bind-user=daemon"), "not a directory owned by that user");
	make_host_user();
	char opt[64];
	snprintf(opt, sizeof opt, "--bind-user=%s", bu_name);
	cred_error(OPTS(opt, "--private-users=no"), "needs a user namespace");
	cred_error(OPTS(opt, opt), "given twice");
	cred_error(OPTS(opt, "--private-users=1966080:1000"), "65536");
}
