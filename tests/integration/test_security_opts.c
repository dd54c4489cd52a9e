/* hutch integration tests: the payload's seccomp filter and capability options,
 * seen from inside the container with busybox (/proc/self/status and the
 * errors its applets print). */
#include "../lib/harness.h"

#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#define CAP_NET_BIND_SERVICE 10
#define CAP_NET_ADMIN 12
#define CAP_SYS_ADMIN 21
#define CAP_AUDIT_WRITE 29

#define STATUS_FIELDS "grep -E '^(Cap...|NoNewPrivs|Seccomp|Seccomp_filters):' /proc/self/status"
#define TRY_MOUNT "mkdir -p /run/t; if mount -t tmpfs none /run/t; then echo MOUNTED; fi"

/* hutch -q -P -D rootfs -M tag [opt1] [opt2] /bin/sh -c script */
static void run_with(struct run_result *r, const char *tag, const char *opt1, const char *opt2,
		     const char *script)
{
	const char *argv[16] = {"-q", "-P", "-D", test_rootfs(), "-M", machine_name(tag)};
	size_t n = 6;
	if (opt1)
		argv[n++] = opt1;
	if (opt2)
		argv[n++] = opt2;
	argv[n++] = "/bin/sh";
	argv[n++] = "-c";
	argv[n++] = script;
	argv[n] = NULL;
	run_hutch(r, 30, NULL, argv);
}

/* A hex or decimal "Key:\tvalue" field of the payload's status output. */
static unsigned long long field(const struct run_result *r, const char *key, int base)
{
	char pat[64];
	snprintf(pat, sizeof pat, "\n%s:", key);
	char *out = NULL;
	cr_assert(asprintf(&out, "\n%s", r->out) > 0);
	const char *p = strstr(out, pat);
	cr_assert(p, "no %s in the payload's status:\n%s", key, r->out);
	unsigned long long v = strtoull(p + strlen(pat), NULL, base);
	free(out);
	return v;
}

static bool has_cap(const struct run_result *r, const char *set, int cap)
{
	return field(r, set, 16) >> cap & 1;
}

Test(security, default_filter_is_loaded, .timeout = 60)
{
	need_rootfs();
	struct run_result r;
	run_with(&r, "scdef", NULL, NULL, STATUS_FIELDS "; " TRY_MOUNT "; hostname h2 && hostname");
	ASSERT_STATUS(r, 0);
	cr_expect_eq(field(&r, "Seccomp", 10), 2, "payload not in seccomp filter mode:\n%s", r.out);
	/* the broker's base filter + the payload's own */
	cr_expect_geq(field(&r, "Seccomp_filters", 10), 2, "payload filter missing:\n%s", r.out);
	cr_expect_eq(field(&r, "NoNewPrivs", 10), 0);
	/* nspawn's allowlist has @mount and sethostname. */
	cr_expect(strstr(r.out, "MOUNTED\n"), "mount refused by default:\n%s\n%s", r.out, r.err);
	cr_expect(strstr(r.out, "h2\n"), "sethostname refused by default:\n%s\n%s", r.out, r.err);
	cr_expect(!has_cap(&r, "CapBnd", CAP_NET_ADMIN));
	run_result_free(&r);
}

Test(security, capability_adds_to_bounding_set, .timeout = 60)
{
	need_rootfs();
	struct run_result r;
	run_with(&r, "capadd", "--capability=CAP_NET_ADMIN", NULL, STATUS_FIELDS);
	ASSERT_STATUS(r, 0);
	cr_expect(has_cap(&r, "CapBnd", CAP_NET_ADMIN), "CAP_NET_ADMIN not granted:\n%s", r.out);
	cr_expect(has_cap(&r, "CapEff", CAP_NET_ADMIN), "root payload lacks it in CapEff:\n%s",
		  r.out);
	run_result_free(&r);
}

Test(security, drop_capability_sys_admin, .timeout = 60)
{
	need_rootfs();
	struct run_result r;
	run_with(&r, "capdrop", "--drop-capability=sys_admin", NULL, STATUS_FIELDS "; " TRY_MOUNT);
	ASSERT_STATUS(r, 0);
	cr_expect(!has_cap(&r, "CapBnd", CAP_SYS_ADMIN), "CAP_SYS_ADMIN kept:\n%s", r.out);
	cr_expect(!strstr(r.out, "MOUNTED"), "mounted without CAP_SYS_ADMIN");
	cr_expect(strstr(r.err, "permission denied"), "mount error:\n%s", r.err);
	run_result_free(&r);
}

Test(security, no_new_privileges, .timeout = 60)
{
	need_rootfs();
	struct run_result r;
	run_with(&r, "nnp", "--no-new-privileges=yes", NULL, STATUS_FIELDS);
	ASSERT_STATUS(r, 0);
	cr_expect_eq(field(&r, "NoNewPrivs", 10), 1);
	run_result_free(&r);
	run_with(&r, "nnpno", "--no-new-privileges=no", NULL, STATUS_FIELDS);
	ASSERT_STATUS(r, 0);
	cr_expect_eq(field(&r, "NoNewPrivs", 10), 0);
	run_result_free(&r);
}

Test(security, deny_mount_group, .timeout = 60)
{
	need_rootfs();
	struct run_result r;
	run_with(&r, "nomount", "--system-call-filter=~@mount", NULL, STATUS_FIELDS "; " TRY_MOUNT);
	ASSERT_STATUS(r, 0);
	/* The capability is there: the EPERM is the filter's. */
	cr_expect(has_cap(&r, "CapBnd", CAP_SYS_ADMIN));
	cr_expect(!strstr(r.out, "MOUNTED"), "mounted despite ~@mount");
	cr_expect(strstr(r.err, "mount: permission denied"), "mount error:\n%s", r.err);
	run_result_free(&r);
}

Test(security, deny_single_call_wins_over_allow, .timeout = 60)
{
	need_rootfs();
	struct run_result r;
	run_with(&r, "nohost", "--system-call-filter=~sethostname", "--system-call-filter=sethostname",
		 "hostname other; echo rc=$?");
	ASSERT_STATUS(r, 0);
	cr_expect_str_eq(r.out, "rc=1\n");
	cr_expect(strstr(r.err, "sethostname: Operation not permitted"), "stderr:\n%s", r.err);
	run_result_free(&r);
}

Test(security, ambient_capability_for_a_user, .timeout = 60)
{
	need_rootfs();
	struct run_result r;
	const char *argv[] = {"-q", "-P", "-D", test_rootfs(), "-M", machine_name("amb"), "-u",
			      "tester", "--ambient-capability=CAP_NET_BIND_SERVICE", "/bin/sh",
			      "-c", STATUS_FIELDS, NULL};
	run_hutch(&r, 30, NULL, argv);
	ASSERT_STATUS(r, 0);
	cr_expect(has_cap(&r, "CapAmb", CAP_NET_BIND_SERVICE), "no ambient cap:\n%s", r.out);
	cr_expect(has_cap(&r, "CapEff", CAP_NET_BIND_SERVICE), "not effective:\n%s", r.out);
	cr_expect(!has_cap(&r, "CapEff", CAP_SYS_ADMIN), "non-root user is privileged:\n%s", r.out);
	run_result_free(&r);
}

Test(security, audit_capability_never_granted, .timeout = 60)
{
	need_rootfs();
	struct run_result r;
	run_with(&r, "audit", "--capability=CAP_AUDIT_WRITE", NULL, STATUS_FIELDS);
	ASSERT_STATUS(r, 0);
	cr_expect(!has_cap(&r, "CapBnd", CAP_AUDIT_WRITE), "CAP_AUDIT_WRITE granted:\n%s", r.out);
	cr_expect(strstr(r.err, "warning: CAP_AUDIT_WRITE is never granted"), "stderr:\n%s", r.err);
	run_result_free(&r);
}

Test(security, never_allowed_call_warns, .timeout = 60)
{
	need_rootfs();
	struct run_result r;
	run_with(&r, "keyctl", "--system-call-filter=keyctl @keyring", NULL, "echo ran");
	ASSERT_STATUS(r, 0);
	cr_expect_str_eq(r.out, "ran\n");
	cr_expect(strstr(r.err, "warning: keyctl is never allowed"), "stderr:\n%s", r.err);
	run_result_free(&r);
}

Test(security, list_syscall_groups, .timeout = 30)
{
	struct run_result r;
	run_hutch(&r, 20, NULL, ARGV("--list-syscall-groups"));
	ASSERT_STATUS(r, 0);
	static const char *const want[] = {"@mount\n", "    mount\n", "@system-service\n",
					   "    @default\n", "@known\n", "    keyctl\n",
					   "@clock\n    # Change the system time\n"};
	for (size_t i = 0; i < sizeof want / sizeof *want; i++)
		cr_expect(strstr(r.out, want[i]), "no '%s' in the listing", want[i]);
	cr_expect_str_eq(r.err, "");
	run_result_free(&r);
}

/* Bad values: exit 1 with one line naming the value, nothing started. */
static void expect_usage_error(const char *opt, const char *message)
{
	struct run_result r;
	run_hutch(&r, 20, NULL, ARGV("-D", test_rootfs(), opt, "true"));
	ASSERT_STATUS(r, 1);
	cr_expect_str_eq(r.err, message);
	cr_expect_str_eq(r.out, "");
	run_result_free(&r);
}

Test(security, bad_values_fail_with_one_line, .timeout = 60)
{
	expect_usage_error("--system-call-filter=read @nope",
			   "hutch: unknown system call group '@nope' in --system-call-filter; "
			   "see hutch --list-syscall-groups\n");
	expect_usage_error("--capability=CAP_NOPE",
			   "hutch: unknown capability 'CAP_NOPE' in --capability\n");
	expect_usage_error("--drop-capability=sys_admin,bogus",
			   "hutch: unknown capability 'bogus' in --drop-capability\n");
	expect_usage_error("--ambient-capability=all",
			   "hutch: --ambient-capability does not take 'all'; name the "
			   "capabilities\n");
	expect_usage_error("--no-new-privileges=maybe",
			   "hutch: invalid --no-new-privileges value 'maybe': expected yes or no\n");
}

/* --private-network: only loopback, up; the host's interfaces are gone. */
Test(security_opts, private_network_has_only_loopback, .timeout = 60)
{
	need_rootfs();
	struct run_result r;
	run_hutch(&r, 30, NULL,
		  ARGV("-q", "-P", "--private-network", "-D", test_rootfs(), "-M",
		       machine_name("privnet"), "/bin/sh", "-c",
		       "ls /sys/class/net; cat /sys/class/net/lo/operstate /sys/class/net/lo/flags; "
		       "nc -w1 192.0.2.1 80 </dev/null 2>&1; grep -c : /proc/net/dev"));
	ASSERT_STATUS(r, 0);
	cr_expect(strncmp(r.out, "lo\n", 3) == 0, "interfaces: %s", r.out);
	cr_expect(strstr(r.out, "0x9") != NULL, "lo is not up: %s", r.out); /* IFF_UP|IFF_LOOPBACK */
	cr_expect(strstr(r.out, "unreachable") != NULL, "reached the outside: %s", r.out);
	cr_expect(strstr(r.out, "\n1\n") != NULL, "/proc/net/dev has more than lo: %s", r.out);
	run_result_free(&r);
	struct run_result h;
	run_cmd(&h, "hostnet", "ls /sys/class/net | wc -l");
	ASSERT_STATUS(h, 0);
	cr_expect(atoi(h.out) > 1, "without --private-network the host's interfaces show: %s", h.out);
	run_result_free(&h);
}
