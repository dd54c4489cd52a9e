/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * systemd's named system call groups (@basic-io, @mount, ...), so that
 * --system-call-filter= means what SystemCallFilter= means to systemd users.
 */
#ifndef HUTCH_WORKER_SYSCALL_GROUPS_H
#define HUTCH_WORKER_SYSCALL_GROUPS_H

#include <stdio.h>

struct syscall_group {
	const char *name; /* "@mount" */
	const char *help;
	/* NULL-terminated; entries are syscall names or other "@groups".
	 * NULL for @known, whose members come from libseccomp's tables. */
	const char *const *members;
};

extern const struct syscall_group syscall_groups[];
extern const size_t n_syscall_groups;

/* The group called `name` ("@mount"), or NULL. */
const struct syscall_group *syscall_group_find(const char *name);

/*
 * Every system call name libseccomp knows on the ABIs hutch filters
 * (x86-64, x32, i386), sorted, without duplicates: the members of @known.
 * Returns a static, NULL-terminated array, or NULL on allocation failure.
 */
const char *const *syscall_known_names(void);

/* `hutch --list-syscall-groups`: every group and its members. */
void syscall_groups_print(FILE *f);

#endif
