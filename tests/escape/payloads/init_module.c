/* init_module / finit_module: loading a module is arbitrary kernel code.
 * The image passed is garbage, so nothing can ever load: EPERM (filter, or
 * no CAP_SYS_MODULE) means blocked by policy; ENOEXEC/EINVAL/EBADMSG mean
 * the call passed the permission checks and the kernel parsed our image,
 * which counts as ESCAPED. ENOSYS: filtered, or a kernel without modules
 * (the test suite skips this payload on such a kernel). */
#include "escape.h"

#include <sys/mman.h>
#include <sys/syscall.h>

int main(void)
{
	esc_name = "init_module";
	bool escaped = false;
	static char image[256] = "hutch escape test: this is not an ELF module";

	errno = 0;
	long r = syscall(SYS_init_module, image, sizeof(image), "");
	note("init_module(garbage)=%s;", rname(r, errno));
	escaped |= r >= 0 || !denied(errno);

	int fd = (int)syscall(SYS_memfd_create, "hutch-escape-module", MFD_CLOEXEC);
	if (fd < 0) {
		char path[] = "/tmp/hutch-escape-module-XXXXXX";
		fd = mkstemp(path);
		if (fd >= 0)
			unlink(path);
	}
	if (fd < 0 || write(fd, image, sizeof(image)) != (ssize_t)sizeof(image)) {
		note("finit_module: no file to try (%s)", ename(errno));
	} else {
		errno = 0;
		r = syscall(SYS_finit_module, fd, "", 0);
		note("finit_module(garbage)=%s", rname(r, errno));
		escaped |= r >= 0 || !denied(errno);
	}
	verdict(escaped);
}
