/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The broker's own seccomp filters: compiled at build time from the lists
 * in tools/gen_broker_filters.c (base denylist, inherited by the payload;
 * monitor allowlist, for supervision only), loaded here as plain BPF.
 */
#include "broker.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

extern const unsigned short broker_base_filter_len, monitor_filter_len, no_bpf_filter_len;
extern const struct sock_filter broker_base_filter[], monitor_filter[], no_bpf_filter[];

static int load(const struct sock_filter *insns, unsigned short len)
{
	struct sock_fprog prog = {.len = len, .filter = (struct sock_filter *)insns};
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0 ? -errno : 0;
}

/* Without no_new_privs: inherited by the payload, where it would break
 * setuid binaries (su, ping) for no gain; as root we need not set it. */
int sandbox_broker_base(void)
{
	return load(broker_base_filter, broker_base_filter_len);
}

int sandbox_monitor(void)
{
	return load(monitor_filter, monitor_filter_len);
}

int sandbox_no_bpf(void)
{
	return load(no_bpf_filter, no_bpf_filter_len);
}
