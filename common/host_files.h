/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one table of the fixed host files OPEN_FILE may name
 * (HUTCH_FILE_HOST_*, common/proto.h), of the directories OPEN_SETTINGS
 * looks in (HUTCH_SETTINGS_*), and of the image's /etc entries WRITE_FILE
 * and FILE_OP act on (HUTCH_ETC_*). The broker opens and writes by these
 * paths; the worker names them in its messages. Both get NULL for an id
 * that is not in the table, and the broker refuses it.
 */
#ifndef HUTCH_HOST_FILES_H
#define HUTCH_HOST_FILES_H

#include <stdint.h>

/* The host path of a HUTCH_FILE_HOST_* ("/etc/resolv.conf"); LOCALTIME_LINK
 * is /etc/localtime, read as a link. NULL for any other id. */
const char *hutch_host_file(uint32_t which);

/* The fixed directory of a HUTCH_SETTINGS_* ("/etc/systemd/nspawn"); NULL
 * for BESIDE_ROOT (the root's parent) and any other id. */
const char *hutch_settings_dir(uint32_t where);
/* What the file NAME.SUFFIX ends in there: "profile" or "nspawn". */
const char *hutch_settings_suffix(uint32_t where);

/* The entry of /etc a HUTCH_ETC_* names ("resolv.conf"), and its full path
 * for messages ("/etc/resolv.conf"). NULL for any other id. */
const char *hutch_etc_name(uint32_t target);
const char *hutch_etc_path(uint32_t target);

#endif
