/* hutch integration tests: .nspawn settings files in real containers.
 * A file next to the root directory (untrusted) cannot grant; a trusted one
 * in /run/systemd/nspawn can; --settings= modes; bad files stop hutch with
 * one line and leave nothing behind; the broker refuses symlinks and FIFOs.
 *
 * Files are named after the test's unique machine (machine_name()), so tests
 * running side by side never read each other's, and are removed after. */
#include "../lib/harness.h"

#include <criterion/criterion.h>

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CAP_CHOWN 0
#define CAP_SYS_TIME 25

#define PROBE                                                                          \
	"grep -E '^(CapBnd|NoNewPrivs):' /proc/self/status; echo HOST=$(hostname); "   \
	"echo UIDMAP $(cat /proc/self/uid_map); echo NET=$(ls /sys/class/net); echo A=$A"

static char *created[4];
static size_t n_created;

static void remove_created(void)
{
	for (size_t i = 0; i < n_created; i++)
		unlink(created[i]);
	n_created = 0;
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	cr_assert(f, "cannot write %s", path);
	fputs(text, f);
	fclose(f);
	created[n_created++] = strdup(path);
}

/* NAME.nspawn beside the rootfs fixture: the untrusted place. */
static char *beside_root(const char *name)
{
	char *copy = strdup(test_rootfs()), *p = NULL;
	cr_assert(asprintf(&p, "%s/%s.nspawn", dirname(copy), name) > 0);
	free(copy);
	return p;
}

static char *in_run(const char *name)
{
	mkdir("/run/systemd", 0755);
	mkdir("/run/systemd/nspawn", 0755);
	char *p = NULL;
	cr_assert(asprintf(&p, "/run/systemd/nspawn/%s.nspawn", name) > 0);
	return p;
}

/* hutch -q -P -D rootfs -M name [opts] /bin/sh -c PROBE */
static void probe(struct run_result *r, const char *name, const char *opt1, const char *opt2)
{
	const char *argv[16] = {"-q", "-P", "-D", test_rootfs(), "-M", name};
	size_t n = 6;
	if (opt1)
		argv[n++] = opt1;
	if (opt2)
		argv[n++] = opt2;
	argv[n++] = "/bin/sh";
	argv[n++] = "-c";
	argv[n++] = PROBE;
	argv[n] = NULL;
	run_hutch(r, 30, NULL, argv);
}

static unsigned long long cap_bnd(const struct run_result *r)
{
	const char *p = strstr(r->out, "CapBnd:");
	cr_assert(p, "no CapBnd in:\n%s\n%s", r->out, r->err);
	return strtoull(p + 7, NULL, 16);
}

static bool has_line(const struct run_result *r, const char *line)
{
	char *pat = NULL;
	cr_assert(asprintf(&pat, "\n%s\n", line) > 0);
	char *out = NULL;
	cr_assert(asprintf(&out, "\n%s", r->out) > 0);
	bool found = strstr(out, pat) != NULL;
	free(pat);
	free(out);
	return found;
}

static const char hostile[] = "[Exec]\n"
			      "Capability=all\n"
			      "PrivateUsers=no\n"
			      "DropCapability=CAP_CHOWN\n"
			      "Hostname=fromfile\n"
			      "Environment=A=fromfile\n"
			      "[Files]\n"
			      "Bind=/etc:/mnt/hostetc\n"
			      "[Network]\n"
			      "Private=yes\n";

TestSuite(settings, .fini = remove_created);

Test(settings, untrusted_file_beside_root_cannot_grant, .timeout = 60)
{
	need_rootfs();
	const char *name = machine_name("stuntr");
	put(beside_root(name), hostile);
	struct run_result r;
	probe(&r, name, NULL, NULL);
	ASSERT_STATUS(r, 0);
	cr_expect_eq(cap_bnd(&r) >> CAP_SYS_TIME & 1, 0, "Capability=all was obeyed:\n%s", r.out);
	cr_expect(!has_line(&r, "UIDMAP 0 0 4294967295"), "PrivateUsers=no was obeyed:\n%s",
		  r.out);
	cr_expect(!has_line(&r, "NET=lo"), "Private=yes was obeyed:\n%s", r.out);
	/* What takes away and what is harmless still applies. */
	cr_expect_eq(cap_bnd(&r) >> CAP_CHOWN & 1, 0, "DropCapability= ignored:\n%s", r.out);
	cr_expect(has_line(&r, "HOST=fromfile"), "%s", r.out);
	cr_expect(has_line(&r, "A=fromfile"), "%s", r.out);
	cr_expect(strstr(r.err, "not trusted: [Exec] Capability=, [Exec] PrivateUsers=, "),
		  "no warning naming the ignored keys:\n%s", r.err);
	run_result_free(&r);
}

Test(settings, settings_trusted_obeys_the_same_file, .timeout = 60)
{
	need_rootfs();
	const char *name = machine_name("sttrus");
	put(beside_root(name), "[Exec]\nCapability=CAP_SYS_TIME\nPrivateUsers=no\n"
			       "[Network]\nPrivate=yes\n");
	struct run_result r;
	probe(&r, name, "--settings=trusted", NULL);
	ASSERT_STATUS(r, 0);
	cr_expect_eq(cap_bnd(&r) >> CAP_SYS_TIME & 1, 1, "%s", r.out);
	cr_expect(has_line(&r, "UIDMAP 0 0 4294967295"), "%s", r.out);
	cr_expect(has_line(&r, "NET=lo"), "%s", r.out);
	run_result_free(&r);
}

Test(settings, trusted_file_command_line_and_modes, .timeout = 90)
{
	need_rootfs();
	const char *name = machine_name("strun");
	put(in_run(name), "[Exec]\nCapability=CAP_SYS_TIME\nHostname=fromfile\n");
	struct run_result r;
	/* yes: the file applies where the command line says nothing. */
	probe(&r, name, "--hostname=cli", NULL);
	ASSERT_STATUS(r, 0);
	cr_expect(has_line(&r, "HOST=cli"), "%s", r.out);
	cr_expect_eq(cap_bnd(&r) >> CAP_SYS_TIME & 1, 1, "%s", r.out);
	run_result_free(&r);
	/* override: the file wins. */
	probe(&r, name, "--hostname=cli", "--settings=override");
	ASSERT_STATUS(r, 0);
	cr_expect(has_line(&r, "HOST=fromfile"), "%s", r.out);
	run_result_free(&r);
	/* no: not read at all. */
	probe(&r, name, "--settings=no", NULL);
	ASSERT_STATUS(r, 0);
	cr_expect(!has_line(&r, "HOST=fromfile"), "%s", r.out);
	cr_expect_eq(cap_bnd(&r) >> CAP_SYS_TIME & 1, 0, "%s", r.out);
	run_result_free(&r);
}

Test(settings, bad_file_stops_cleanly, .timeout = 60)
{
	need_rootfs();
	const char *name = machine_name("stbad");
	char *path = in_run(name);
	put(path, "[Exec]\nHostname=h\nBoot=maybe\n");
	struct host_snapshot before;
	host_snapshot_take(&before);
	struct run_result r;
	probe(&r, name, NULL, NULL);
	ASSERT_STATUS(r, 1);
	char *want = NULL;
	cr_assert(asprintf(&want, "hutch: %s:3: invalid Boot= value 'maybe': expected yes or no\n",
			   path) > 0);
	cr_expect_str_eq(r.err, want);
	host_snapshot_assert_same(&before);
	host_snapshot_free(&before);
	run_result_free(&r);
}

Test(settings, symlink_and_fifo_are_refused, .timeout = 60)
{
	need_rootfs();
	const char *name = machine_name("stlink");
	char *path = beside_root(name);
	cr_assert_eq(symlink("/etc/shadow", path), 0);
	created[n_created++] = path;
	struct run_result r;
	probe(&r, name, NULL, NULL);
	ASSERT_STATUS(r, 1);
	cr_expect(strstr(r.err, "is a symbolic link; refusing to read it"), "%s", r.err);
	run_result_free(&r);
	remove_created();
	cr_assert_eq(mkfifo(path, 0600), 0);
	created[n_created++] = path;
	probe(&r, name, NULL, NULL);
	ASSERT_STATUS(r, 1);
	cr_expect(strstr(r.err, "is not a regular file; refusing to read it"), "%s", r.err);
	cr_expect(!r.timed_out, "blocked on the FIFO");
	run_result_free(&r);
}

Test(settings, parameters_give_the_command, .timeout = 60)
{
	need_rootfs();
	const char *name = machine_name("stparm");
	put(in_run(name), "[Exec]\nParameters=/bin/sh -c 'echo FROM \"PARAMETERS\"'\n");
	struct run_result r;
	run_hutch(&r, 30, NULL, ARGV("-q", "-P", "-D", test_rootfs(), "-M", name));
	ASSERT_STATUS(r, 0);
	cr_expect_str_eq(r.out, "FROM PARAMETERS\n");
	run_result_free(&r);
	/* Arguments on the command line win. */
	run_hutch(&r, 30, NULL, ARGV("-q", "-P", "-D", test_rootfs(), "-M", name, "/bin/echo", "CLI"));
	ASSERT_STATUS(r, 0);
	cr_expect_str_eq(r.out, "CLI\n");
	run_result_free(&r);
}
