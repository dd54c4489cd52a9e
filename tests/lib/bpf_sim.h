/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A classic-BPF interpreter for seccomp programs, to compare two filters'
 * decisions without loading them. */
#ifndef HUTCH_TESTS_BPF_SIM_H
#define HUTCH_TESTS_BPF_SIM_H

#include <linux/seccomp.h>
#include <stdint.h>

#include "../../common/proto.h"

/* The action `f` returns for `d`; an unknown instruction fails the test. */
uint32_t bpf_sim_run(const struct hutch_seccomp *f, const struct seccomp_data *d);

/*
 * Assert that `want` and `got` return the same action for every syscall
 * number of x86-64, x32 and i386 (and an unknown arch), for number edges
 * and random numbers, with the arguments the argument rules and i386's
 * socketcall/ipc look at. `what` names the comparison in a failure.
 */
void bpf_sim_assert_same(const struct hutch_seccomp *want, const struct hutch_seccomp *got,
			 const char *what);

#endif
