/* hutch escape regression (DESIGN.md 6), systemd CVE-2026-40226: a .nspawn
 * file that travels next to an image asks for everything privileged. None
 * of it may take effect; the same file, trusted on purpose
 * (--settings=trusted), shows the probe can see each of them. */
#include "../lib/harness.h"

#include <criterion/criterion.h>

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char hostile_nspawn[] =
	"[Exec]\n"
	"Capability=all\n"
	"AmbientCapability=CAP_SYS_ADMIN\n"
	"PrivateUsers=no\n"
	"LoadCredential=stolen:/etc/shadow\n"
	"OOMScoreAdjust=500\n"
	"PivotRoot=/\n"
	"Ephemeral=no\n"
	"[Files]\n"
	"Bind=/:/mnt/host\n"
	"BindReadOnly=/etc:/mnt/hostetc\n"
	"TemporaryFileSystem=/mnt/tmp\n"
	"Inaccessible=/usr\n"
	"Overlay=/etc:/var/tmp:/mnt/ovl\n" /* host /etc under an existing upper */
	"PrivateUsersOwnership=off\n"
	"[Network]\n"
	"Private=no\n"
	"VirtualEthernet=yes\n";

/* Each line it prints names a privilege the file got. */
#define PROBE                                                                              \
	"bnd=$(grep CapBnd /proc/self/status | cut -f2); amb=$(grep CapAmb /proc/self/status " \
	"| cut -f2); "                                                                     \
	"[ $(( 0x$bnd >> 16 & 1 )) = 1 ] && echo GOT CAP_SYS_MODULE; "                       \
	"[ $(( 0x$bnd >> 17 & 1 )) = 1 ] && echo GOT CAP_SYS_RAWIO; "                        \
	"[ $(( 0x$amb )) != 0 ] && echo GOT ambient capabilities; "                          \
	"set -- $(cat /proc/self/uid_map); [ \"$1 $2\" = '0 0' ] && echo GOT host root; "     \
	"grep -q ' /mnt/host ' /proc/self/mountinfo && echo GOT bind of the host root; "      \
	"grep -q ' /mnt/hostetc ' /proc/self/mountinfo && echo GOT bind of the host /etc; "   \
	"[ -e /run/host/credentials/stolen ] && echo GOT a host file as credential; "         \
	"[ $(cat /proc/self/oom_score_adj) = 500 ] && echo GOT OOMScoreAdjust; "             \
	"echo PROBED"

static char *file_path;

static void remove_file(void)
{
	if (file_path)
		unlink(file_path);
}

static void run_with_file(struct run_result *r, const char *tag, const char *mode)
{
	const char *name = machine_name(tag);
	char *copy = strdup(test_rootfs());
	cr_assert(asprintf(&file_path, "%s/%s.nspawn", dirname(copy), name) > 0);
	free(copy);
	FILE *f = fopen(file_path, "w");
	cr_assert(f, "cannot write %s", file_path);
	fputs(hostile_nspawn, f);
	fclose(f);
	run_hutch(r, 60, NULL,
		  ARGV("-q", "-P", "-D", test_rootfs(), "-M", name, mode, "/bin/sh", "-c", PROBE));
}

Test(escape, untrusted_nspawn_file, .timeout = 90, .fini = remove_file)
{
	need_rootfs();
	struct run_result r;
	run_with_file(&r, "escnsp", "--settings=yes");
	ASSERT_STATUS(r, 0);
	cr_assert(strstr(r.out, "PROBED\n"), "probe did not run:\n%s\n%s", r.out, r.err);
	cr_expect(!strstr(r.out, "GOT "), "an untrusted .nspawn file granted:\n%s", r.out);
	cr_expect(strstr(r.err, "ignoring privileged settings from a file next to the image"),
		  "%s", r.err);
	run_result_free(&r);
}

/* The proof the probe can fail: trusted on purpose, the file does grant. */
Test(escape, untrusted_nspawn_file_probe_sees_grants, .timeout = 90, .fini = remove_file)
{
	need_rootfs();
	struct run_result r;
	run_with_file(&r, "escnspt", "--settings=trusted");
	if (r.status != 0)
		cr_log_info("trusted run: status %d, %s", r.status, r.err);
	cr_expect(strstr(r.out, "GOT CAP_SYS_MODULE\n"), "%s\n%s", r.out, r.err);
	cr_expect(strstr(r.out, "GOT host root\n"), "%s\n%s", r.out, r.err);
	cr_expect(strstr(r.out, "GOT OOMScoreAdjust\n"), "%s\n%s", r.out, r.err);
	cr_expect(strstr(r.out, "GOT ambient capabilities\n"), "%s\n%s", r.out, r.err);
	cr_expect(strstr(r.out, "GOT a host file as credential\n"), "%s\n%s", r.out, r.err);
	/* Mount points are created in the tree: the probe looks for the mounts. */
	cr_expect(strstr(r.out, "GOT bind of the host /etc\n"), "%s\n%s", r.out, r.err);
	cr_expect(strstr(r.out, "GOT bind of the host root\n"), "%s\n%s", r.out, r.err);
	run_result_free(&r);
}
