/* keyctl: the kernel keyrings are not namespaced by the container, so a
 * payload that may use keyctl/add_key/request_key can read or plant keys
 * of the host's uid 0 (Docker blocks them for this reason). hutch denies
 * the keyring calls in its filter (DESIGN.md 4).
 * ESCAPED: any of the calls succeeds, or fails after the permission
 * checks. BLOCKED: every call gets EPERM/EACCES/ENOSYS. */
#include "escape.h"

#include <linux/keyctl.h>
#include <sys/syscall.h>

int main(void)
{
	esc_name = "keyctl";
	bool escaped = false;
	long r;

	errno = 0;
	r = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING, 0);
	note("keyctl(GET_KEYRING_ID,user)=%s;", rname(r, errno));
	escaped |= r >= 0 || !denied(errno);

	errno = 0;
	r = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
	note("keyctl(GET_KEYRING_ID,session)=%s;", rname(r, errno));
	escaped |= r >= 0 || !denied(errno);

	/* A key in a process keyring of our own: gone when we exit. */
	errno = 0;
	r = syscall(SYS_add_key, "user", "hutch-escape-probe", "x", 1, KEY_SPEC_PROCESS_KEYRING);
	note("add_key(user,process)=%s;", rname(r, errno));
	escaped |= r >= 0 || !denied(errno);

	/* No such key: ENOKEY if the call got through. */
	errno = 0;
	r = syscall(SYS_request_key, "user", "hutch-escape-none", NULL, 0);
	note("request_key=%s", rname(r, errno));
	escaped |= (r >= 0 || !denied(errno));

	verdict(escaped);
}
