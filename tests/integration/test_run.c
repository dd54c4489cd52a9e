/* hutch integration tests: running commands (nspawn command mode). */
#include "../lib/harness.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


/* The value of NAME=... among the newline-separated lines of env output. */
static char *env_value(const char *env, const char *name)
{
	size_t nl = strlen(name);
	for (const char *l = env; l && *l;) {
		const char *e = strchr(l, '\n');
		size_t ll = e ? (size_t)(e - l) : strlen(l);
		if (ll > nl && strncmp(l, name, nl) == 0 && l[nl] == '=')
			return strndup(l + nl + 1, ll - nl - 1);
		l = e ? e + 1 : NULL;
	}
	return NULL;
}

static void assert_env(const char *env, const char *name, const char *want)
{
	char *v = env_value(env, name);
	cr_assert(v != NULL, "%s not set in the payload's environment:\n%s", name, env);
	cr_assert_str_eq(v, want, "%s=%s, expected %s", name, v, want);
	free(v);
}

static bool is_uuid(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !strchr("0123456789abcdef", s[i]))
			return false;
	}
	return true;
}

Test(run, echo_pipe, .timeout = 60)
{
	need_rootfs();
	struct run_result r;
	run_hutch(&r, 30, NULL,
		  ARGV("-q", "-P", "-D", test_rootfs(), "-M", machine_name("echo"), "/bin/echo",
		       "hello", "world"));
	ASSERT_STATUS(r, 0);
	cr_assert_str_eq(r.out, "hello world\n");
	cr_assert_str_empty(r.err, "-q but stderr is: %s", r.err);
	run_result_free(&r);
}

Test(run, exit_code_propagates, .timeout = 60)
{
	need_rootfs();
	struct run_result r;
	run_cmd(&r, "exit42", "exit 42");
	ASSERT_STATUS(r, 42);
	run_result_free(&r);
}

Test(run, status_lines_success, .timeout = 60)
{
	need_rootfs();
	const char *name = machine_name("stok");
	struct run_result r;
	/* Not -P: nspawn is quiet in pipe mode, the default console is not. */
	run_hutch(&r, 30, NULL, ARGV("-D", test_rootfs(), "-M", name, "/bin/true"));
	ASSERT_STATUS(r, 0);
	char want[PATH_MAX + 128], real[PATH_MAX];
	snprintf(want, sizeof(want), "hutch: Spawning container %s on %s.", name,
		 realpath(test_rootfs(), real) ? real : test_rootfs());
	bool spawn = strstr(r.err, want) != NULL;
	if (!spawn) { /* accept the path as given, too */
		snprintf(want, sizeof(want), "hutch: Spawning container %s on %s.", name,
			 test_rootfs());
		spawn = strstr(r.err, want) != NULL;
	}
	cr_assert(spawn, "no \"%s\" in stderr:\n%s", want, r.err);
	snprintf(want, sizeof(want), "hutch: Container %s exited successfully.", name);
	cr_assert(strstr(r.err, want), "no \"%s\" in stderr:\n%s", want, r.err);
	run_result_free(&r);
}

Test(run, status_lines_failure, .timeout = 60)
{
	need_rootfs();
	const char *name = machine_name("stfail");
	struct run_result r;
	run_hutch(&r, 30, NULL,
		  ARGV("-D", test_rootfs(), "-M", name, "/bin/sh", "-c", "exit 3"));
	ASSERT_STATUS(r, 3);
	char want[256];
	snprintf(want, sizeof(want), "hutch: Container %s failed with error code 3.", name);
	cr_assert(strstr(r.err, want), "no \"%s\" in stderr:\n%s", want, r.err);
	run_result_free(&r);
}

Test(run, quiet_suppresses_status, .timeout = 60)
{
	need_rootfs();
	struct run_result r;
	run_hutch(&r, 30, NULL,
		  ARGV("-q", "-D", test_rootfs(), "-M", machine_name("quiet"), "/bin/sh", "-c",
		       "exit 3"));
	ASSERT_STATUS(r, 3);
	cr_assert_str_empty(r.err, "-q but stderr is: %s", r.err);
	run_result_free(&r);
}

Test(run, payload_is_pid1, .timeout = 60)
{
	need_rootfs();
	struct run_result r;
	run_cmd(&r, "pid1", "echo $$");
	ASSERT_STATUS(r, 0);
	cr_assert_str_eq(r.out, "1\n");
	run_result_free(&r);
}

Test(run, as_pid2, .timeout = 60)
{
	need_rootfs();
	struct run_result r;
	run_hutch(&r, 30, NULL,
		  ARGV("-q", "-P", "-a", "-D", test_rootfs(), "-M", machine_name("pid2"),
		       "/bin/sh", "-c", "echo $$ $PPID; exit 5"));
	ASSERT_STATUS(r, 5);
	cr_assert_str_eq(r.out, "2 1\n");
	run_result_free(&r);
}

Test(run, as_pid2_reaps_orphans, .timeout = 60)
{
	need_rootfs();
	/* The inner shell exits at once; its sleep is reparented to PID 1,
	 * which must reap it when it exits. */
	const char *script = "sh -c 'sleep 0.2 & exit 0'; sleep 1.5; "
			     "for f in /proc/[0-9]*/stat; do read -r l < $f; "
			     "case \"$l\" in *\") Z \"*) echo ZOMBIE $l;; esac; done; echo DONE";
	struct run_result r;
	run_hutch(&r, 30, NULL,
		  ARGV("-q", "-P", "-a", "-D", test_rootfs(), "-M", machine_name("reap"),
		       "/bin/sh", "-c", script));
	ASSERT_STATUS(r, 0);
	cr_assert(strstr(r.out, "DONE"), "payload output: %s", r.out);
	cr_assert(!strstr(r.out, "ZOMBIE"), "the stub init left a zombie:\n%s", r.out);
	run_result_free(&r);
}

Test(run, killed_by_signal_128_plus_n, .timeout = 60)
{
	need_rootfs();
	struct run_result r;
	/* As PID 2 (the PID 1 of a namespace cannot SIGKILL itself). What
	 * hutch's status line says here is not checked: PID 1 (the stub)
	 * exits normally; sigterm_default_kills_137 checks the signal line. */
	run_hutch(&r, 30, NULL,
		  ARGV("-q", "-P", "-a", "-D", test_rootfs(), "-M", machine_name("sigkill"),
		       "/bin/sh", "-c", "kill -KILL $$"));
	ASSERT_STATUS(r, 137);
	run_result_free(&r);
}

Test(run, command_not_found_127, .timeout = 60)
{
	need_rootfs();
	struct run_result r;
	run_hutch(&r, 30, NULL,
		  ARGV("-q", "-P", "-D", test_rootfs(), "-M", machine_name("nf1"),
		       "/no/such/binary"));
	ASSERT_STATUS(r, 127);
	run_result_free(&r);
	run_hutch(&r, 30, NULL,
		  ARGV("-q", "-P", "-D", test_rootfs(), "-M", machine_name("nf2"),
		       "no-such-command-anywhere"));
	ASSERT_STATUS(r, 127);
	run_result_free(&r);
}

Test(run, hostname_is_machine_name, .timeout = 60)
{
	need_rootfs();
	const char *name = machine_name("hn");
	char want[128];
	snprintf(want, sizeof(want), "%s\n", name);
	struct run_result r;
	run_hutch(&r, 30, NULL,
		  ARGV("-q", "-P", "-D", test_rootfs(), "-M", name, "/bin/hostname"));
	ASSERT_STATUS(r, 0);
	cr_assert_str_eq(r.out, want);
	run_result_free(&r);
}

Test(run, hostname_option, .timeout = 60)
{
	need_rootfs();
	struct run_result r;
	run_hutch(&r, 30, NULL,
		  ARGV("-q", "-P", "-D", test_rootfs(), "-M", machine_name("hno"),
		       "--hostname=it-other-host", "/bin/hostname"));
	ASSERT_STATUS(r, 0);
	cr_assert_str_eq(r.out, "it-other-host\n");
	run_result_free(&r);
}

Test(run, machine_name_defaults_to_dir, .timeout = 60)
{
	need_rootfs();
	const char *base = strrchr(test_rootfs(), '/');
	base = base ? base + 1 : test_rootfs();
	char want[256];
	snprintf(want, sizeof(want), "%s\n", base);
	struct run_result r;
	run_hutch(&r, 30, NULL, ARGV("-q", "-P", "-D", test_rootfs(), "/bin/hostname"));
	ASSERT_STATUS(r, 0);
	cr_assert_str_eq(r.out, want);
	run_result_free(&r);
}

Test(run, default_environment, .timeout = 60)
{
	need_rootfs();
	struct run_result r;
	run_hutch(&r, 30, NULL,
		  ARGV("-q", "-P", "-D", test_rootfs(), "-M", machine_name("env"), "/bin/env"));
	ASSERT_STATUS(r, 0);
	assert_env(r.out, "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	assert_env(r.out, "container", "hutch");
	assert_env(r.out, "HOME", "/root");
	assert_env(r.out, "USER", "root");
	assert_env(r.out, "LOGNAME", "root");
	assert_env(r.out, "SHELL", "/bin/sh");
	char *uuid = env_value(r.out, "container_uuid");
	cr_assert(uuid && is_uuid(uuid), "container_uuid=%s is not a lowercase 8-4-4-4-12 UUID",
		  uuid ? uuid : "(unset)");
	free(uuid);
	run_result_free(&r);
}

Test(run, setenv_adds_and_overrides, .timeout = 60)
{
	need_rootfs();
	struct run_result r;
	run_hutch(&r, 30, NULL,
		  ARGV("-q", "-P", "-D", test_rootfs(), "-M", machine_name("setenv"),
		       "-E", "FOO=bar", "--setenv=SPACED=a b=c", "-E", "PATH=/bin",
		       "-E", "HOME=/elsewhere", "/bin/env"));
	ASSERT_STATUS(r, 0);
	assert_env(r.out, "FOO", "bar");
	assert_env(r.out, "SPACED", "a b=c");
	assert_env(r.out, "PATH", "/bin");
	assert_env(r.out, "HOME", "/elsewhere");
	run_result_free(&r);
}

Test(run, uuid_option, .timeout = 60)
{
	need_rootfs();
	struct run_result r;
	run_hutch(&r, 30, NULL,
		  ARGV("-q", "-P", "-D", test_rootfs(), "-M", machine_name("uuid1"),
		       "--uuid=0123456789abcdef0123456789abcdef", "/bin/env"));
	ASSERT_STATUS(r, 0);
	assert_env(r.out, "container_uuid", "01234567-89ab-cdef-0123-456789abcdef");
	run_result_free(&r);
	run_hutch(&r, 30, NULL,
		  ARGV("-q", "-P", "-D", test_rootfs(), "-M", machine_name("uuid2"),
		       "--uuid=FEDCBA98-7654-3210-FEDC-BA9876543210", "/bin/env"));
	ASSERT_STATUS(r, 0);
	assert_env(r.out, "container_uuid", "fedcba98-7654-3210-fedc-ba9876543210");
	run_result_free(&r);
}

Test(run, user_tester_ids, .timeout = 60)
{
	need_rootfs();
	struct run_result r;
	run_hutch(&r, 30, NULL,
		  ARGV("-q", "-P", "-D", test_rootfs(), "-M", machine_name("uid"), "-u", "tester",
		       "/bin/id"));
	ASSERT_STATUS(r, 0);
	/* `id` lists getgroups() in the kernel's (sorted) order, so compare
	 * the group list as a set: "1000(tester),10(wheel),29(audio)". */
	const char *prefix = "uid=1000(tester) gid=1000(tester) groups=";
	cr_assert(strncmp(r.out, prefix, strlen(prefix)) == 0, "id printed: %s", r.out);
	char *groups = strdup(r.out + strlen(prefix)), *save = NULL;
	groups[strcspn(groups, "\n")] = '\0';
	const char *want[] = { "1000(tester)", "10(wheel)", "29(audio)" };
	unsigned seen = 0, count = 0;
	for (char *g = strtok_r(groups, ",", &save); g; g = strtok_r(NULL, ",", &save), count++)
		for (unsigned i = 0; i < 3; i++)
			seen |= (strcmp(g, want[i]) == 0) << i;
	cr_assert(seen == 7 && count == 3,
		  "groups should be 1000(tester),10(wheel),29(audio) in any order: %s", r.out);
	free(groups);
	run_result_free(&r);
}

Test(run, user_tester_env_and_cwd, .timeout = 60)
{
	need_rootfs();
	struct run_result r;
	run_hutch(&r, 30, NULL,
		  ARGV("-q", "-P", "-D", test_rootfs(), "-M", machine_name("uenv"),
		       "--user=tester", "/bin/sh", "-c", "pwd; echo $HOME $USER $LOGNAME $SHELL"));
	ASSERT_STATUS(r, 0);
	cr_assert_str_eq(r.out, "/home/tester\n/home/tester tester tester /bin/sh\n");
	run_result_free(&r);
}

Test(run, user_numeric, .timeout = 60)
{
	need_rootfs();
	struct run_result r;
	run_hutch(&r, 30, NULL,
		  ARGV("-q", "-P", "-D", test_rootfs(), "-M", machine_name("unum"), "-u", "1000",
		       "/bin/sh", "-c", "id -u; id -g"));
	ASSERT_STATUS(r, 0);
	cr_assert_str_eq(r.out, "1000\n1000\n");
	run_result_free(&r);
}

Test(run, chdir_and_default_cwd, .timeout = 60)
{
	need_rootfs();
	struct run_result r;
	run_cmd(&r, "cwd", "pwd");
	ASSERT_STATUS(r, 0);
	cr_assert_str_eq(r.out, "/\n", "root's default cwd");
	run_result_free(&r);
	run_hutch(&r, 30, NULL,
		  ARGV("-q", "-P", "-D", test_rootfs(), "-M", machine_name("chdir"),
		       "--chdir=/tmp", "/bin/pwd"));
	ASSERT_STATUS(r, 0);
	cr_assert_str_eq(r.out, "/tmp\n");
	run_result_free(&r);
	run_hutch(&r, 30, NULL,
		  ARGV("-q", "-P", "-D", test_rootfs(), "-M", machine_name("chdir2"), "-u",
		       "tester", "--chdir=/var", "/bin/pwd"));
	ASSERT_STATUS(r, 0);
	cr_assert_str_eq(r.out, "/var\n", "--chdir wins over the user's home");
	run_result_free(&r);
}

Test(run, default_command_is_users_shell, .timeout = 60)
{
	need_rootfs();
	struct run_result r;
	run_hutch(&r, 30, "echo SHELL-RAN-$((40+2)) $$\nexit 4\n",
		  ARGV("-q", "-P", "-D", test_rootfs(), "-M", machine_name("shell")));
	ASSERT_STATUS(r, 4);
	cr_assert_str_eq(r.out, "SHELL-RAN-42 1\n");
	run_result_free(&r);
}

Test(run, default_command_from_passwd, .timeout = 60)
{
	need_rootfs();
	/* nobody's shell is /bin/false: it must be what runs, not /bin/sh
	 * (which would obey "exit 0"). --chdir: nobody's home does not exist. */
	struct run_result r;
	run_hutch(&r, 30, "exit 0\n",
		  ARGV("-q", "-P", "-u", "nobody", "--chdir=/", "-D", test_rootfs(), "-M",
		       machine_name("pwshell")));
	ASSERT_STATUS(r, 1);
	run_result_free(&r);
}

Test(run, pipe_mode_stdin, .timeout = 60)
{
	need_rootfs();
	struct run_result r;
	run_hutch(&r, 30, "line one\nline two\n",
		  ARGV("-q", "-P", "-D", test_rootfs(), "-M", machine_name("stdin"), "/bin/cat"));
	ASSERT_STATUS(r, 0);
	cr_assert_str_eq(r.out, "line one\nline two\n");
	run_result_free(&r);
}

Test(run, large_output, .timeout = 60)
{
	need_rootfs();
	struct run_result r;
	run_cmd(&r, "large", "head -c 1000000 /dev/zero | tr '\\0' a");
	ASSERT_STATUS(r, 0);
	cr_assert_eq(r.out_len, 1000000, "got %zu bytes", r.out_len);
	cr_assert_eq(strspn(r.out, "a"), 1000000);
	run_result_free(&r);
}

Test(run, only_fds_0_to_2, .timeout = 60)
{
	need_rootfs();
	struct run_result r;
	/* ls's own fd 3 is the directory it reads. */
	run_cmd(&r, "fds", "exec ls /proc/self/fd");
	ASSERT_STATUS(r, 0);
	cr_assert_str_eq(r.out, "0\n1\n2\n3\n", "fds in the payload:\n%s", r.out);
	run_result_free(&r);
}

Test(run, container_os_release, .timeout = 60)
{
	need_rootfs();
	struct run_result r;
	run_cmd(&r, "osrel", "cat /etc/os-release");
	ASSERT_STATUS(r, 0);
	cr_assert(strstr(r.out, "ID=hutch-test\n"), "container os-release:\n%s", r.out);
	run_result_free(&r);
}

Test(run, register_no_accepted, .timeout = 60)
{
	need_rootfs();
	struct run_result r;
	run_hutch(&r, 30, NULL,
		  ARGV("-q", "-P", "--register=no", "-D", test_rootfs(), "-M",
		       machine_name("regno"), "/bin/true"));
	ASSERT_STATUS(r, 0);
	run_result_free(&r);
}

Test(run, kill_signal_forms_accepted, .timeout = 60)
{
	need_rootfs();
	const char *forms[] = { "SIGTERM", "TERM", "15", "RTMIN+3", "SIGRTMIN+3", "SIGKILL" };
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		char opt[64];
		snprintf(opt, sizeof(opt), "--kill-signal=%s", forms[i]);
		struct run_result r;
		run_hutch(&r, 30, NULL,
			  ARGV("-q", "-P", opt, "-D", test_rootfs(), "-M", machine_name("ksig"),
			       "/bin/true"));
		cr_expect_eq(r.status, 0, "%s refused (status %d): %s", opt, r.status, r.err);
		run_result_free(&r);
	}
}

/* Start hutch, wait for READY from the payload, send SIGTERM to hutch. */
static int sigterm_after_ready(struct run_result *r, const char *const argv[])
{
	struct hutch_proc p;
	cr_assert_eq(hutch_start(&p, NULL, argv), 0);
	bool ready = hutch_expect(&p, true, "READY", 20);
	if (ready) {
		usleep(200000); /* let the shell reach its loop */
		kill(p.pid, SIGTERM);
	}
	hutch_finish(&p, r, 15);
	cr_assert(ready, "payload never printed READY\n--- stdout:\n%s\n--- stderr:\n%s", r->out,
		  r->err);
	return r->status;
}

Test(run, sigterm_default_kills_137, .timeout = 60)
{
	need_rootfs();
	const char *name = machine_name("term1");
	struct run_result r;
	sigterm_after_ready(&r, ARGV("-P", "-D", test_rootfs(), "-M", name, "/bin/sh", "-c",
				     "echo READY; exec sleep 100"));
	ASSERT_STATUS(r, 137);
	/* "SIGKILL" per hutch's spec; nspawn itself prints "KILL". */
	char want[256], alt[256];
	snprintf(want, sizeof(want), "hutch: Container %s terminated by signal SIGKILL.", name);
	snprintf(alt, sizeof(alt), "hutch: Container %s terminated by signal KILL.", name);
	cr_expect(strstr(r.err, want) || strstr(r.err, alt), "no \"%s\" in stderr:\n%s", want,
		  r.err);
	run_result_free(&r);
}

static const char trap_loop[] = "trap 'exit 42' TERM; echo READY; while :; do sleep 0.1; done";

Test(run, sigterm_sends_kill_signal, .timeout = 60)
{
	need_rootfs();
	struct run_result r;
	sigterm_after_ready(&r, ARGV("-q", "-P", "--kill-signal=SIGTERM", "-D", test_rootfs(),
				     "-M", machine_name("term2"), "/bin/sh", "-c", trap_loop));
	ASSERT_STATUS(r, 42);
	run_result_free(&r);
}

Test(run, sigterm_forwarded_by_stub_init, .timeout = 60)
{
	need_rootfs();
	struct run_result r;
	sigterm_after_ready(&r, ARGV("-q", "-P", "-a", "--kill-signal=SIGTERM", "-D",
				     test_rootfs(), "-M", machine_name("term3"), "/bin/sh", "-c",
				     trap_loop));
	ASSERT_STATUS(r, 42);
	run_result_free(&r);
}

Test(run, help_and_version, .timeout = 30)
{
	require_root_or_skip();
	struct run_result r;
	run_hutch(&r, 10, NULL, ARGV("--help"));
	ASSERT_STATUS(r, 0);
	cr_assert(strstr(r.out, "--directory") || strstr(r.out, "-D"),
		  "--help output does not mention -D/--directory:\n%s", r.out);
	run_result_free(&r);
	run_hutch(&r, 10, NULL, ARGV("--version"));
	ASSERT_STATUS(r, 0);
	cr_assert(strncmp(r.out, "hutch ", 6) == 0, "--version printed: %s", r.out);
	run_result_free(&r);
}
