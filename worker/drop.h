/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef HUTCH_WORKER_DROP_H
#define HUTCH_WORKER_DROP_H
int worker_drop_privileges(int sock);
#endif
