/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef HUTCH_WORKER_CONSOLE_H
#define HUTCH_WORKER_CONSOLE_H

#include "settings.h"

/* Relay until the container's pty closes. Returns 1 if the user asked to
 * kill the container (^] three times), else 0. */
int console_relay(int master, enum console_mode mode);

#endif
