/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef HUTCH_WORKER_H
#define HUTCH_WORKER_H

/* Entry point of the unprivileged worker; returns its exit status. */
int worker_main(int sock, int argc, char **argv);

#endif
