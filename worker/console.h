/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef HUTCH_WORKER_CONSOLE_H
#define HUTCH_WORKER_CONSOLE_H

#include "settings.h"

/*
 * Relay until the monitor says the container is gone (SIGUSR1 carrying its
 * outcome: exit status | signal << 8, stored in *outcome). Returns 1 if the
 * user asked to kill the container (^] three times), else 0.
 */
int console_relay(int master, enum console_mode mode, int *outcome);
/* Without a console: just wait for that word. Returns the outcome. */
int console_wait_outcome(void);

#endif
