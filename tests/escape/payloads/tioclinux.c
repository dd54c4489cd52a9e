/* TIOCLINUX: on a virtual console, TIOCL_SETSEL + TIOCL_PASTESEL paste a
 * selection into the console's input, like TIOCSTI (CVE-2023-28100,
 * flatpak; the same high-32-bits bypass as CVE-2019-10063). hutch's filter
 * denies TIOCLINUX compared on 32 bits (DESIGN.md 4). The subcommand used
 * is the harmless TIOCL_GETSHIFTSTATE.
 * ESCAPED: the ioctl succeeds, or reaches a tty driver (ENOTTY/EINVAL from
 * a pty: no console here, but nothing filtered the call).
 * BLOCKED: EPERM/EACCES/ENOSYS on every terminal reachable. */
#include "ttyinject.h"

int main(void)
{
	esc_name = "tioclinux";
	struct tty_attack a = { .cmd = TIOCLINUX, .arg = 6 /* TIOCL_GETSHIFTSTATE */ };
	tty_attack_run(&a);
}
