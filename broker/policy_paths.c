/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Where the admin policy lives: fixed at build time, never from the
 * environment. The tests link a second copy of this file, compiled with
 * their own paths, into a separate binary (build/hutch-policytest).
 */
#include "broker.h"

#ifndef HUTCH_POLICY_DIR
#define HUTCH_POLICY_DIR "/etc/hutch/policy.d"
#endif
#ifndef HUTCH_HOST_PASSWD
#define HUTCH_HOST_PASSWD "/etc/passwd"
#endif
#ifndef HUTCH_HOST_GROUP
#define HUTCH_HOST_GROUP "/etc/group"
#endif

const char hutch_policy_dir[] = HUTCH_POLICY_DIR;
const char hutch_host_passwd[] = HUTCH_HOST_PASSWD;
const char hutch_host_group[] = HUTCH_HOST_GROUP;
