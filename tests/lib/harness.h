/* Helpers for hutch's criterion integration tests (tests/integration/).
 *
 * Tests run from the repository root, as root, possibly in parallel (-j2),
 * each in its own process (criterion forks one per test).
 */
#ifndef HUTCH_TESTS_HARNESS_H
#define HUTCH_TESTS_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* ---- paths -------------------------------------------------------------- */

/* $HUTCH_BIN, else <cwd>/build/hutch (or the hutch next to the test binary). */
const char *hutch_bin(void);
/* $HUTCH_ROOTFS, else <dir of hutch_bin>/rootfs, else <cwd>/build/rootfs. */
const char *test_rootfs(void);
/* test_rootfs() + "-pool": a copy owned by ids 1048576.. (the first block
 * of the test policies' PrivateUsersPool=), for containers under a rule:
 * a restricted caller's tree is idmapped only when its pool owns it. Made
 * once, under a lock. */
const char *test_rootfs_pool(void);
/* Tests that start containers in the same fixed --private-users= range run
 * one at a time (a running container holds its range): this takes the
 * range's test lock until the test's process ends. */
void harness_hold_range(unsigned long base);
/* test_rootfs() + "-noos": the same tree without os-release. */
const char *test_rootfs_noos(void);
/* $HUTCH_DEBIAN_TREE, else /var/cache/hutch-tests/debian-bookworm. */
const char *debian_tree(void);

bool have_root(void);
/* cr_skip_test("needs root: ...") unless uid 0. */
void require_root_or_skip(void);
/* Skip (with the command that builds it) unless the fixture is built. A
 * missing hutch binary is not skipped: run_hutch fails the test. */
void require_rootfs_or_skip(void);
void require_debian_or_skip(void);

/* A machine name unique to this test process: "it-TAG-PID". Static buffer
 * per call site is not needed: the result is malloc'ed and never freed. */
const char *machine_name(const char *tag);

/* ---- running hutch with pipes ------------------------------------------ */

struct run_result {
	int status;     /* exit code, or 128+sig; -1 if it could not be run */
	char *out;      /* NUL-terminated captured stdout */
	char *err;      /* NUL-terminated captured stderr */
	size_t out_len, err_len;
	bool timed_out; /* killed with SIGKILL after the timeout */
};

/* Run hutch_bin() with argv (argv[0] is the first option, not "hutch";
 * NULL-terminated). stdin is a pipe fed stdin_data, or /dev/null if NULL.
 * Returns r->status (so -1 on harness failure). */
int run_hutch(struct run_result *r, int timeout_sec, const char *stdin_data,
	      const char *const argv[]);
void run_result_free(struct run_result *r);

/* The same, in steps, for tests that must act while hutch runs
 * (send it a signal, inspect its children). */
struct hutch_proc {
	pid_t pid;
	int in_fd, out_fd, err_fd; /* -1 when closed */
	const char *in_data;
	size_t in_len, in_off;
	struct run_result res;
	bool reaped;
};
/* stdin_data as for run_hutch. Returns 0 or -errno. */
int hutch_start(struct hutch_proc *p, const char *stdin_data, const char *const argv[]);
/* Collect output until stdout (stdout_too=true) or stderr contains needle.
 * Returns true if seen before the timeout or before hutch exited. */
bool hutch_expect(struct hutch_proc *p, bool on_stdout, const char *needle, int timeout_sec);
/* Wait for exit (SIGKILL to its process group after timeout_sec), fill *r
 * (ownership of the buffers moves to r). Returns r->status. */
int hutch_finish(struct hutch_proc *p, struct run_result *r, int timeout_sec);

/* ---- running hutch on a pty -------------------------------------------- */

struct pty_session {
	pid_t pid;
	int master;
	int slave;     /* held open by the harness until the child is reaped */
	char *buf;     /* everything read so far, NUL-terminated */
	size_t len, cap;
	size_t cursor; /* pty_expect searches from here; advanced past matches */
	int status;
	bool exited;
};

/* hutch_bin() with argv as for run_hutch, on a fresh pty that is its
 * controlling terminal (fds 0-2). Returns 0 or -errno. */
int pty_spawn(struct pty_session *s, const char *const argv[]);
bool pty_write(struct pty_session *s, const char *str);
/* Read until `needle` appears in the output after the cursor. */
bool pty_expect(struct pty_session *s, const char *needle, int timeout_sec);
/* Wait for exit, draining output. Returns status (128+sig) or -1 on timeout
 * (the process is then left running; pty_close kills it). */
int pty_wait(struct pty_session *s, int timeout_sec);
void pty_close(struct pty_session *s);

/* ---- host leak checks --------------------------------------------------- */

struct host_snapshot {
	char **mounts;  size_t n_mounts;  /* mount points from mountinfo */
	char **cgroups; size_t n_cgroups; /* machine.slice/hutch-* dirs */
	char **tmp;     size_t n_tmp;     /* /tmp/hutch* entries */
};

/* Records the host state. Also takes the harness's exclusive lock so that
 * no other test's hutch runs between this and the end of the test. */
void host_snapshot_take(struct host_snapshot *s);
/* Re-takes the snapshot (retrying for up to 2 s) and cr_asserts that it
 * equals `before`, naming what leaked or vanished. */
void host_snapshot_assert_same(const struct host_snapshot *before);
void host_snapshot_free(struct host_snapshot *s);

/* Tests that run hutch take this shared lock (done by run_hutch,
 * hutch_start and pty_spawn); leak checks take it exclusively. */
void harness_lock_shared(void);
/* For the (long) boot tests: take no lock. Their machines are named with
 * machine_name("boot...") = "it-boot...", which the snapshots ignore. */
void harness_lock_exempt(void);
#define BOOT_MACHINE_PREFIX "it-boot"

/* ---- processes ---------------------------------------------------------- */

/* A child of `parent` (ppid == parent, from /proc/PID/stat) whose real uid
 * is not `uid`. If several, one in the parent's PID namespace is preferred.
 * Returns 0 if none. */
pid_t find_child_with_uid_not(pid_t parent, uid_t uid);
/* Up to max pids whose ppid is parent; returns how many. */
size_t find_children(pid_t parent, pid_t *out, size_t max);

/* Read a whole (small) file; NULL on error. Caller frees. */
char *read_file_str(const char *path);
/* Value of "Key:" in /proc/PID/status, whitespace-trimmed; caller frees. */
char *proc_status_field(pid_t pid, const char *key);
/* Count non-overlapping occurrences of needle in hay. */
size_t count_substr(const char *hay, const char *needle);


/* Shared by the integration tests. */
/* hutch_start/run_hutch: the child moves itself into these cgroup
 * directories (each's cgroup.procs) before it execs hutch; NULL: stays. */
void harness_set_cgroups(const char *const *dirs);

#define ARGV(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define ASSERT_STATUS(r, want)                                                        \
	cr_assert_eq((r).status, (want),                                              \
		     "exit status %d, expected %d%s\n--- stdout:\n%s\n--- stderr:\n%s", \
		     (r).status, (want), (r).timed_out ? " (timed out)" : "", (r).out,  \
		     (r).err)
/* Skip unless root and the busybox rootfs fixture are there. */
void need_rootfs(void);
/* Run `sh -c script` quietly in pipe mode: stdout is exactly the payload's. */
int run_cmd(struct run_result *r, const char *tag, const char *script);
/* /etc/subuid and /etc/subgid with these texts for this test process and the
 * hutch it runs alone (a private mount namespace: criterion runs each test
 * in a process of its own); skips the test if the host has no such files. */
void harness_fake_subid_files(const char *subuid, const char *subgid);

/* A payload script (/bin/sh -c) that mounts each v1 hierarchy the container
 * is in and prints MOUNTED-<h>, plus REACHED-<h> when what it got is the
 * hierarchy's root (where release_agent is: CVE-2022-0492). */
#define V1_ROOT_PROBE_SH                                                                   \
	"mkdir -p /tmp/c; for h in $(cut -d: -f2 /proc/self/cgroup); do o=$h; "            \
	"case $h in name=*) o=none,$h;; esac; "                                            \
	"mount -t cgroup -o $o cgroup /tmp/c 2>/dev/null || continue; echo MOUNTED-$h; "   \
	"[ -e /tmp/c/release_agent ] && echo REACHED-$h; umount /tmp/c; done"

#endif
