/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Host files and /etc entries by id: see host_files.h. */
#include "host_files.h"

#include "proto.h"

static const char *const host_files[HUTCH_FILE_MAX] = {
	[HUTCH_FILE_HOST_RESOLV_CONF] = "/etc/resolv.conf",
	[HUTCH_FILE_HOST_RESOLV_STATIC] = "/usr/lib/systemd/resolv.conf",
	[HUTCH_FILE_HOST_RESOLV_UPLINK] = "/run/systemd/resolve/resolv.conf",
	[HUTCH_FILE_HOST_RESOLV_STUB] = "/run/systemd/resolve/stub-resolv.conf",
	[HUTCH_FILE_HOST_LOCALTIME] = "/etc/localtime",
	[HUTCH_FILE_HOST_LOCALTIME_LINK] = "/etc/localtime",
	[HUTCH_FILE_HOST_PASSWD] = "/etc/passwd",
	[HUTCH_FILE_HOST_GROUP] = "/etc/group",
	[HUTCH_FILE_HOST_SUBUID] = "/etc/subuid",
	[HUTCH_FILE_HOST_SUBGID] = "/etc/subgid",
};

static const char *const settings_dirs[HUTCH_SETTINGS_MAX] = {
	[HUTCH_SETTINGS_HUTCH_NSPAWN] = "/etc/hutch/nspawn",
	[HUTCH_SETTINGS_ETC_NSPAWN] = "/etc/systemd/nspawn",
	[HUTCH_SETTINGS_RUN_NSPAWN] = "/run/systemd/nspawn",
	[HUTCH_SETTINGS_ETC_PROFILE] = "/etc/hutch/profiles",
	[HUTCH_SETTINGS_USR_PROFILE] = "/usr/share/hutch/profiles",
};

static const struct {
	const char *name, *path;
} etc_files[HUTCH_ETC_MAX] = {
	[HUTCH_ETC_RESOLV_CONF] = {"resolv.conf", "/etc/resolv.conf"},
	[HUTCH_ETC_LOCALTIME] = {"localtime", "/etc/localtime"},
};

const char *hutch_host_file(uint32_t which)
{
	return which >= HUTCH_FILE_HOST_FIRST && which < HUTCH_FILE_MAX ? host_files[which] : NULL;
}

const char *hutch_settings_dir(uint32_t where)
{
	return where < HUTCH_SETTINGS_MAX ? settings_dirs[where] : NULL;
}

const char *hutch_settings_suffix(uint32_t where)
{
	return where == HUTCH_SETTINGS_ETC_PROFILE || where == HUTCH_SETTINGS_USR_PROFILE ? "profile"
											    : "nspawn";
}

const char *hutch_etc_name(uint32_t target)
{
	return target < HUTCH_ETC_MAX ? etc_files[target].name : NULL;
}

const char *hutch_etc_path(uint32_t target)
{
	return target < HUTCH_ETC_MAX ? etc_files[target].path : NULL;
}
