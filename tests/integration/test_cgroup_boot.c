/* hutch integration tests: the booted Debian (hutch -b, the tree of
 * tests/fixtures/mkdebian.sh) in its own cgroup tree, checked from both
 * sides. Named cgroup_* so that `make check-cgroup2` runs it on a pure
 * cgroup v2 layout in a VM (tests/vm/README.md); it runs on the host's
 * layout (hybrid here) with every other test.
 *
 * Inside: systemd finishes its boot, sees itself at the root of its own
 * cgroup2 tree, cannot raise the limits hutch set on that root, and starts
 * a transient unit with limits of its own (systemd-run). Outside: that
 * unit's cgroup is below the container's, with its limits, under the limits
 * hutch set; then the container powers off, hutch exits 0 and no cgroup is
 * left. The unit running the probe is written into the tree for the test
 * and removed after it (under the boot lock of test_boot.c).
 */
#include "../lib/boot.h"
#include "../lib/harness.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#define BOOT_TIMEOUT 240
#define UNIT "/etc/systemd/system/hutch-cgroup-boot-test.service"
#define WANTS "/etc/systemd/system/multi-user.target.wants/hutch-cgroup-boot-test.service"
#define SCRIPT "/etc/hutch-cgroup-boot-test.sh"
#define GO "/etc/hutch-cgroup-boot-test-go"
#define PROBE "hutch-cgb-probe.service"

/* The container's limits (hutch) and the probe unit's (its systemd). */
#define TASKS_MAX "777"
#define MEMORY_MAX "805306368" /* 768M */
#define PROBE_TASKS "42"
#define PROBE_MEMORY "52428800" /* 50M */

static const char unit_text[] =
	"[Unit]\n"
	"Description=hutch cgroup boot test probe\n"
	"After=multi-user.target\n"
	"ConditionPathExists=" SCRIPT "\n"
	"[Service]\n"
	"Type=simple\n" /* not oneshot: is-system-running --wait would wait for itself */
	"ExecStart=/bin/sh " SCRIPT "\n";

/* Every result on its own console line, CGB-KEY=value. */
static const char script_text[] =
	"exec >/dev/console 2>&1\n"
	"state=$(systemctl is-system-running --wait)\n"
	"echo CGB-STATE=$state\n"
	"echo CGB-FAILED=$(systemctl list-units --failed --plain --no-legend | cut -d' ' -f1)\n"
	"echo CGB-PID1=$(grep '^0::' /proc/1/cgroup)\n"
	/* root (cgroupns: "/"), fs type, mount options */
	"echo CGB-MNT=$(awk '$5 == \"/sys/fs/cgroup\" {r = $4; o = $6; sub(/.* - /, \"\"); print r, $1, o}' "
	"/proc/self/mountinfo)\n"
	"echo CGB-CTRL=$(cat /sys/fs/cgroup/cgroup.controllers)\n"
	"echo CGB-PROCS-W=$(test -w /sys/fs/cgroup/cgroup.procs && echo yes || echo no)\n"
	"if [ ! -e /sys/fs/cgroup/pids.max ]; then echo CGB-RAISE=absent;\n"
	"elif echo max >/sys/fs/cgroup/pids.max; then echo CGB-RAISE=done; else echo CGB-RAISE=refused; fi\n"
	"if systemd-run --quiet --unit=" PROBE " -p TasksMax=" PROBE_TASKS " -p MemoryMax=50M "
	"/bin/sleep 600; then echo CGB-RUN=ok; else echo CGB-RUN=failed; fi\n"
	"echo CGB-ACTIVE=$(systemctl is-active " PROBE ")\n"
	"echo CGB-UNITCG=$(systemctl show -P ControlGroup " PROBE ")\n"
	"echo CGB-READY\n"
	"while [ ! -e " GO " ]; do sleep 0.2; done\n"
	"systemctl stop " PROBE "\n"
	"systemctl poweroff\n";

static void remove_probe(void)
{
	boot_unlink(WANTS);
	boot_unlink(UNIT);
	boot_unlink(SCRIPT);
	boot_unlink(GO);
}

static void cgboot_fini(void)
{
	if (boot_locked())
		remove_probe();
}

static void install_probe(void)
{
	remove_probe(); /* stale ones from a killed run */
	boot_write(SCRIPT, script_text, 0755);
	boot_write(UNIT, unit_text, 0644);
	char *wants = boot_tree_path(WANTS);
	cr_assert(symlink("../hutch-cgroup-boot-test.service", wants) == 0, "symlink %s", wants);
	free(wants);
}

static bool pure_v2(void)
{
	struct statfs sf;
	return statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
}

/* The value of console line "CGB-key=..." (to the end of the line), or
 * NULL; malloc'ed. */
static char *value_of(const char *out, const char *key)
{
	char needle[64];
	snprintf(needle, sizeof needle, "CGB-%s=", key);
	const char *v = strstr(out, needle);
	if (!v)
		return NULL;
	v += strlen(needle);
	return strndup(v, strcspn(v, "\r\n"));
}

/* A host-side cgroup file, first line; "" when unreadable. malloc'ed. */
static char *host_cg(const char *hier, const char *name, const char *rel)
{
	char path[512];
	snprintf(path, sizeof path, "%s/machine.slice/hutch-%s.scope/%s", hier, name, rel);
	char *s = read_file_str(path);
	if (!s)
		return strdup("");
	s[strcspn(s, "\n")] = '\0';
	return s;
}

struct host_view {
	char *tasks, *mem;             /* the container's limits (hutch's) */
	char *ctrl;                    /* its cgroup.controllers (v2) */
	char *probe_procs;             /* the probe unit's cgroup.procs */
	char *probe_tasks, *probe_mem; /* its limits (set by the container) */
};

/* Read while the container runs, after its CGB-READY. */
static void read_host_view(struct host_view *h, const char *name, bool v2)
{
	const char *unified = v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
	h->tasks = host_cg(v2 ? unified : "/sys/fs/cgroup/pids", name, "pids.max");
	h->mem = host_cg(v2 ? unified : "/sys/fs/cgroup/memory", name,
			 v2 ? "memory.max" : "memory.limit_in_bytes");
	h->ctrl = host_cg(unified, name, "cgroup.controllers");
	h->probe_procs = host_cg(unified, name, "system.slice/" PROBE "/cgroup.procs");
	h->probe_tasks = host_cg(unified, name, "system.slice/" PROBE "/pids.max");
	h->probe_mem = host_cg(unified, name, "system.slice/" PROBE "/memory.max");
}

static void free_host_view(struct host_view *h)
{
	free(h->tasks), free(h->mem), free(h->ctrl);
	free(h->probe_procs), free(h->probe_tasks), free(h->probe_mem);
}

/* What the container saw of itself (its console lines). */
static void check_inside(const char *out, bool v2, const struct host_view *h)
{
	char *state = value_of(out, "STATE"), *failed = value_of(out, "FAILED");
	cr_assert(state, "no CGB-STATE: the probe unit never ran\n%s", boot_tail(out, 4000));
	cr_log_info("boot state %s, failed units: \"%s\"", state, failed ? failed : "?");
	/* Not "degraded": no unit of this minimal Debian fails in a container
	 * (both layouts, seen here); one that does is named in the message. */
	cr_expect_str_eq(state, "running", "system state %s (failed units: %s)", state,
			 failed ? failed : "?");
	char *pid1 = value_of(out, "PID1"), *mnt = value_of(out, "MNT");
	char *ctrl = value_of(out, "CTRL"), *procs_w = value_of(out, "PROCS-W");
	char *raise = value_of(out, "RAISE");
	cr_expect(pid1 && !strcmp(pid1, "0::/init.scope"),
		  "PID 1 not in /init.scope of its own tree: %s", pid1 ? pid1 : "?");
	/* cgroup2 at /sys/fs/cgroup, rooted at the container's cgroup (cgroupns) */
	cr_expect(mnt && !strncmp(mnt, "/ cgroup2 rw", 12), "/sys/fs/cgroup inside: %s",
		  mnt ? mnt : "?");
	cr_expect(procs_w && !strcmp(procs_w, "yes"), "its root cgroup.procs not writable");
	/* On v2 its root's pids.max is there (hutch's limit) and must not yield;
	 * on hybrid the limit is in the v1 pids hierarchy, not mounted inside. */
	cr_expect(raise && (!strcmp(raise, "refused") || (!v2 && !strcmp(raise, "absent"))),
		  "writing max to its own pids.max: %s", raise ? raise : "?");
	cr_expect(ctrl && !strcmp(ctrl, h->ctrl), "controllers inside \"%s\", outside \"%s\"",
		  ctrl ? ctrl : "?", h->ctrl);
	if (v2)
		cr_expect(ctrl && strstr(ctrl, "memory") && strstr(ctrl, "pids"),
			  "memory and pids not delegated: \"%s\"", ctrl ? ctrl : "?");
	free(state), free(failed), free(pid1), free(mnt), free(ctrl), free(procs_w), free(raise);
}

static void check_probe_unit(const char *out, bool v2, const struct host_view *h)
{
	char *run = value_of(out, "RUN"), *active = value_of(out, "ACTIVE");
	char *unitcg = value_of(out, "UNITCG");
	cr_expect(run && !strcmp(run, "ok"), "systemd-run failed\n%s", boot_tail(out, 4000));
	cr_expect(active && !strcmp(active, "active"), "probe unit %s", active ? active : "?");
	cr_expect(unitcg && !strcmp(unitcg, "/system.slice/" PROBE), "probe cgroup %s",
		  unitcg ? unitcg : "?");
	cr_expect(*h->probe_procs, "no process in the probe unit's cgroup seen from the host");
	if (v2) {
		cr_expect_str_eq(h->probe_tasks, PROBE_TASKS);
		cr_expect_str_eq(h->probe_mem, PROBE_MEMORY);
	} else {
		cr_log_info("hybrid host: no controller in the container's cgroup2 tree, so "
			    "the probe unit's own limits are not enforced (nor checked)");
	}
	free(run), free(active), free(unitcg);
}

Test(cgroup_boot, systemd_runs_units_in_its_delegated_tree, .timeout = 300,
     .fini = cgboot_fini)
{
	require_root_or_skip();
	struct statfs sf;
	if (!pure_v2() && !(statfs("/sys/fs/cgroup/unified", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC))
		cr_skip_test("legacy layout (v1 only): hutch refuses -b there "
			     "(cgroups::legacy_boot_refused)");
	require_debian_or_skip();
	harness_lock_exempt(); /* "boot" machines: the leak checks ignore them */
	boot_lock();
	install_probe();
	const char *name = machine_name("bootcgv2");
	bool v2 = pure_v2();
	struct hutch_proc p;
	cr_assert_eq(hutch_start(&p, NULL,
				 ARGV("-b", "-D", debian_tree(), "-M", name,
				      "--property=TasksMax=" TASKS_MAX, "--property=MemoryMax=768M")),
		     0);
	bool ready = hutch_expect(&p, true, "CGB-READY", BOOT_TIMEOUT);
	struct host_view h = {0};
	if (ready)
		read_host_view(&h, name, v2);
	boot_touch(GO); /* the probe stops its unit and powers off */
	struct run_result r;
	hutch_finish(&p, &r, ready ? 90 : 0);
	boot_expect_no_cgroup_left(name);
	cr_assert(ready, "no CGB-READY within %d s (status %d)\n--- last stdout:\n%s\n--- stderr:\n%s",
		  BOOT_TIMEOUT, r.status, boot_tail(r.out, 4000), r.err);
	cr_log_info("host side: pids.max %s, memory %s, controllers \"%s\"; probe unit: "
		    "pids.max %s, memory.max %s",
		    h.tasks, h.mem, h.ctrl, h.probe_tasks, h.probe_mem);
	cr_expect_str_eq(h.tasks, TASKS_MAX, "container pids.max on the host side");
	cr_expect_str_eq(h.mem, MEMORY_MAX, "container memory limit on the host side");
	check_inside(r.out, v2, &h);
	check_probe_unit(r.out, v2, &h);
	cr_expect(!r.timed_out, "no poweroff within 90 s\n%s", boot_tail(r.out, 4000));
	cr_expect_eq(r.status, 0, "exit status %d after poweroff, expected 0\n--- stderr:\n%s",
		     r.status, r.err);
	free_host_view(&h);
	run_result_free(&r);
}
