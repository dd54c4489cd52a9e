/* TIOCSTI: push characters into a terminal's input queue, so that they
 * run in the caller's shell once the container exits (bubblewrap
 * CVE-2017-5226; the high-32-bits filter bypass of flatpak CVE-2019-10063;
 * also runc/lxc/nspawn). hutch's filter denies TIOCSTI compared on 32 bits
 * (DESIGN.md 4) and the payload gets a new session on its own pty.
 * ESCAPED: TIOCSTI succeeds on any terminal (including a pty of our own:
 * then it is not filtered), or reaches the tty driver and fails for
 * another reason than a permission error. EIO is the kernel's own refusal
 * (dev.tty.legacy_tiocsti=0, printed) and counts as blocked. */
#include "ttyinject.h"

int main(void)
{
	esc_name = "tiocsti";
	note("dev.tty.legacy_tiocsti=%s;", sysctl_str("/proc/sys/dev/tty/legacy_tiocsti"));
	struct tty_attack a = { .cmd = TIOCSTI, .arg = ' ', .kernel_ok = EIO };
	tty_attack_run(&a);
}
