/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The hutch wire protocol: the only thing broker/ and worker/ share.
 *
 * Rules (DESIGN.md §3):
 *  - SOCK_SEQPACKET, one record = one message: a fixed header followed by
 *    exactly one fixed-size body. A record whose length is not exactly
 *    sizeof(header) + sizeof(body of its type) is refused.
 *  - Strings live in fixed arrays: NUL-terminated within the array, and
 *    every byte after the terminator is zero (so there is one encoding of a
 *    value and no room for embedded NULs or smuggled bytes).
 *  - fds travel only with the message types that declare them, in the
 *    declared number, as SCM_RIGHTS; anything else is closed and fatal.
 *  - Which request is allowed when is decided by the broker's permit table
 *    (broker/permit.c); this header only says what a valid record looks like.
 */
#ifndef HUTCH_PROTO_H
#define HUTCH_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define HUTCH_PROTO_VERSION 1u

#define HUTCH_PATH_MAX 4096
#define HUTCH_NAME_MAX 64             /* machine name, hostname: 64 chars + NUL */
#define HUTCH_MAX_GROUPS 64
#define HUTCH_EXEC_STRINGS_MAX 65536  /* argv + envp, NUL-separated */
#define HUTCH_MAX_FDS 1               /* most fds any message may carry */

struct hutch_hdr {
	uint32_t version;
	uint32_t type;
	uint32_t len;   /* total record length, header included */
	uint32_t flags; /* must be 0 */
};

enum hutch_msg_type {
	HUTCH_MSG_NONE = 0,
	/* worker -> broker requests */
	HUTCH_MSG_OPEN_ROOT = 1,
	HUTCH_MSG_OPEN_FILE,
	HUTCH_MSG_CREATE,
	HUTCH_MSG_MOUNT_API,
	HUTCH_MSG_OPEN_CONSOLE,
	HUTCH_MSG_PIVOT,
	HUTCH_MSG_EXEC,
	HUTCH_MSG_SECCOMP,
	HUTCH_MSG_OPEN_HOST_FILE,
	HUTCH_MSG_WRITE_FILE,
	HUTCH_MSG_FILE_OP,
	HUTCH_MSG_CREDENTIAL,
	HUTCH_MSG_CGROUP,
	HUTCH_MSG_PROCESS,
	HUTCH_MSG_OPEN_IMAGE,
	HUTCH_MSG_ATTACH_IMAGE,
	HUTCH_MSG_CHECK_POLICY,
	HUTCH_MSG_OPEN_SETTINGS,
	HUTCH_MSG_LABEL,
	HUTCH_MSG_ROOT_MODE,     /* --read-only, --volatile= */
	HUTCH_MSG_MOUNT_BIND,    /* --bind=, --bind-ro= */
	HUTCH_MSG_MOUNT_TMPFS,   /* --tmpfs= */
	HUTCH_MSG_MOUNT_OVERLAY, /* --overlay=, --overlay-ro= */
	HUTCH_MSG_INACCESSIBLE,  /* --inaccessible= */
	HUTCH_MSG_USERDB_RECORD,
	HUTCH_MSG_BIND_USER_HOME,
	/* broker -> worker */
	HUTCH_MSG_REPLY,
	HUTCH_MSG_PROGRESS,
	HUTCH_MSG_TYPE_MAX
};

/*
 * OPEN_ROOT: the container's root directory on the host.
 * EPHEMERAL: run on a snapshot removed at exit (btrfs snapshot of a
 * subvolume, else an overlay with a tmpfs upper layer).
 * TEMPLATE: if `path` is missing, populate it from `template_path` first
 * (btrfs snapshot, else a copy); PROGRESS records may precede the REPLY.
 */
#define HUTCH_ROOT_EPHEMERAL (1u << 0)
#define HUTCH_ROOT_TEMPLATE  (1u << 1)
#define HUTCH_ROOT_FLAGS_ALL (HUTCH_ROOT_EPHEMERAL | HUTCH_ROOT_TEMPLATE)
struct hutch_open_root {
	char path[HUTCH_PATH_MAX];
	char template_path[HUTCH_PATH_MAX]; /* empty unless HUTCH_ROOT_TEMPLATE */
	uint32_t flags;
	uint32_t reserved; /* must be 0 */
};

/*
 * OPEN_IMAGE: a raw disk image file. The broker keeps its own fd and replies
 * with a read-only fd for the worker, which parses the partition table and
 * superblock (untrusted input, never parsed by the broker) and answers with
 * ATTACH_IMAGE: the byte range to put on a loop device and its file system.
 */
#define HUTCH_IMAGE_READ_ONLY (1u << 0)
#define HUTCH_IMAGE_FLAGS_ALL HUTCH_IMAGE_READ_ONLY
struct hutch_open_image {
	char path[HUTCH_PATH_MAX];
	uint32_t flags;
	uint32_t reserved; /* must be 0 */
};

enum hutch_image_fs {
	HUTCH_FS_EXT4 = 1, /* ext2/3/4, mounted as ext4 */
	HUTCH_FS_XFS,
	HUTCH_FS_BTRFS,
	HUTCH_FS_SQUASHFS,
	HUTCH_FS_EROFS,
	HUTCH_FS_VFAT,
	HUTCH_FS_MAX
};

#define HUTCH_IMAGE_SECTOR 512u
struct hutch_attach_image {
	uint64_t offset; /* bytes, a multiple of HUTCH_IMAGE_SECTOR */
	uint64_t size;   /* bytes, a multiple of HUTCH_IMAGE_SECTOR, > 0 */
	uint32_t fstype; /* enum hutch_image_fs */
	uint32_t reserved; /* must be 0 */
};

/*
 * OPEN_FILE: a read-only fd for one well-known file inside the container
 * root, resolved with RESOLVE_IN_ROOT. An enum, not a path: the worker can
 * ask for the files it must parse and nothing else. Reply carries 1 fd.
 */
enum hutch_root_file {
	HUTCH_FILE_OS_RELEASE_ETC = 1, /* /etc/os-release */
	HUTCH_FILE_OS_RELEASE_USR,     /* /usr/lib/os-release */
	HUTCH_FILE_PASSWD,             /* /etc/passwd */
	HUTCH_FILE_GROUP,              /* /etc/group */
	HUTCH_FILE_RESOLV_CONF,        /* /etc/resolv.conf (to skip identical copies) */
	/* Fixed host files (paths: common/host_files.c), for --resolv-conf,
	 * --timezone and --bind-user. Followed if symlinks: the host's own. */
	HUTCH_FILE_HOST_RESOLV_CONF,   /* /etc/resolv.conf */
	HUTCH_FILE_HOST_RESOLV_STATIC, /* /usr/lib/systemd/resolv.conf */
	HUTCH_FILE_HOST_RESOLV_UPLINK, /* /run/systemd/resolve/resolv.conf */
	HUTCH_FILE_HOST_RESOLV_STUB,   /* /run/systemd/resolve/stub-resolv.conf */
	HUTCH_FILE_HOST_LOCALTIME,     /* /etc/localtime */
	HUTCH_FILE_HOST_LOCALTIME_LINK,/* a memfd with /etc/localtime's symlink text,
					* -EINVAL if it is no symlink */
	HUTCH_FILE_HOST_PASSWD,        /* /etc/passwd */
	HUTCH_FILE_HOST_GROUP,         /* /etc/group */
	HUTCH_FILE_HOST_SUBUID,        /* /etc/subuid, ranges --private-users=pick avoids */
	HUTCH_FILE_HOST_SUBGID,        /* /etc/subgid */
	HUTCH_FILE_MAX
};
#define HUTCH_FILE_HOST_FIRST HUTCH_FILE_HOST_RESOLV_CONF

struct hutch_open_file {
	uint32_t which; /* enum hutch_root_file */
};

/*
 * OPEN_HOST_FILE: a read-only fd for a regular host file named by the caller
 * (--load-credential=), opened by the monitor. Reply carries 1 fd.
 */
struct hutch_open_host_file {
	char path[HUTCH_PATH_MAX]; /* absolute */
};

/* Files in the image's /etc that --resolv-conf= and --timezone= manage. */
enum hutch_etc_file {
	HUTCH_ETC_RESOLV_CONF = 1, /* /etc/resolv.conf */
	HUTCH_ETC_LOCALTIME,       /* /etc/localtime */
	HUTCH_ETC_MAX
};

/*
 * WRITE_FILE: write a /etc file of the image, mode 0644, owned by the
 * container's root, with the content of the sealed memfd it carries (1 fd,
 * at most HUTCH_WRITE_FILE_MAX bytes). Never through a symlink: /etc is
 * resolved with RESOLVE_IN_ROOT|RESOLVE_NO_SYMLINKS; without REPLACE an
 * existing symlink or non-regular file is refused (ELOOP/EINVAL), with
 * REPLACE the file is written aside and renamed over whatever was there.
 */
#define HUTCH_WRITE_FILE_MAX (1u << 20)
#define HUTCH_WRITE_REPLACE (1u << 0)
#define HUTCH_WRITE_FLAGS_ALL HUTCH_WRITE_REPLACE
struct hutch_write_file {
	uint32_t target; /* enum hutch_etc_file */
	uint32_t flags;
};

/*
 * FILE_OP: the other things the two options do to /etc:
 *  BIND    read-only bind of a fixed host file (source) onto target, created
 *          empty if missing, refused (ELOOP) if it is a symlink;
 *  SYMLINK target becomes a symlink to `link`, which must be
 *          "../usr/share/zoneinfo/ZONE" with ZONE a regular file in the image
 *          (-ENOENT otherwise); nothing changes if it already points there;
 *  UNLINK  target is removed (a missing one is fine).
 */
enum hutch_file_op_kind {
	HUTCH_FILE_OP_BIND = 1,
	HUTCH_FILE_OP_SYMLINK,
	HUTCH_FILE_OP_UNLINK,
	HUTCH_FILE_OP_MAX
};
#define HUTCH_ZONEINFO_LINK "../usr/share/zoneinfo/"
#define HUTCH_LINK_MAX 256
struct hutch_file_op {
	uint32_t op;     /* enum hutch_file_op_kind */
	uint32_t target; /* enum hutch_etc_file */
	uint32_t source; /* BIND: a HUTCH_FILE_HOST_* except LOCALTIME_LINK; else 0 */
	char link[HUTCH_LINK_MAX]; /* SYMLINK only, else empty */
};

/*
 * CREDENTIAL: one file of /run/host/credentials (--set-credential=,
 * --load-credential=), its content in the sealed memfd it carries (1 fd).
 * The broker collects them on a detached ramfs and mounts it read-only
 * (mount and superblock), dir 0500, files 0400 owned by the container's
 * root, at PIVOT. Needs /run first.
 */
#define HUTCH_CREDENTIAL_ID_MAX 255
#define HUTCH_CREDENTIAL_SIZE_MAX (1u << 20)   /* per credential, as nspawn */
#define HUTCH_CREDENTIALS_MAX 64               /* credentials per container */
#define HUTCH_CREDENTIALS_TOTAL_MAX (8u << 20) /* bytes, all together */
struct hutch_credential {
	char id[HUTCH_CREDENTIAL_ID_MAX + 1]; /* a file name: not "." or "..", no '/' */
};

/*
 * OPEN_SETTINGS: a read-only fd for a .nspawn file or a profile, named by a
 * location and a machine or profile name (a valid name: no '/', never "..");
 * the broker builds the path itself. BESIDE_ROOT is NAME.nspawn in the
 * directory that holds the root given to OPEN_ROOT. Regular files only, the
 * last component not a symlink, at most HUTCH_SETTINGS_FILE_MAX bytes. The
 * broker reads nothing in it. Reply carries 1 fd.
 */
enum hutch_settings_file {
	HUTCH_SETTINGS_HUTCH_NSPAWN = 1, /* /etc/hutch/nspawn/NAME.nspawn (trusted) */
	HUTCH_SETTINGS_ETC_NSPAWN,       /* /etc/systemd/nspawn/NAME.nspawn (trusted) */
	HUTCH_SETTINGS_RUN_NSPAWN,       /* /run/systemd/nspawn/NAME.nspawn (trusted) */
	HUTCH_SETTINGS_BESIDE_ROOT,      /* ROOT/../NAME.nspawn (untrusted) */
	HUTCH_SETTINGS_ETC_PROFILE,      /* /etc/hutch/profiles/NAME.profile */
	HUTCH_SETTINGS_USR_PROFILE,      /* /usr/share/hutch/profiles/NAME.profile */
	HUTCH_SETTINGS_MAX
};
#define HUTCH_SETTINGS_FILE_MAX (1u << 20)

struct hutch_open_settings {
	uint32_t where; /* enum hutch_settings_file */
	char name[HUTCH_NAME_MAX + 1];
	uint8_t pad[3]; /* must be 0 */
};

/*
 * USERDB_RECORD: a JSON user or group record for --bind-user=, from the
 * sealed memfd it carries (1 fd, at most 64 KiB), written to
 * /run/host/userdb/NAME.user (or .group), with ID.user (.group) a symlink to
 * it, as nspawn does for nss-systemd. Needs /run first.
 */
#define HUTCH_USERDB_RECORD_MAX (64u << 10)
#define HUTCH_USERDB_NAME_MAX 256
enum hutch_userdb_kind {
	HUTCH_USERDB_USER = 1,
	HUTCH_USERDB_GROUP,
	HUTCH_USERDB_MAX
};
struct hutch_userdb_record {
	uint32_t kind; /* enum hutch_userdb_kind */
	uint32_t id;   /* HUTCH_BIND_USER_ID_MIN..MAX */
	char name[HUTCH_USERDB_NAME_MAX + 1]; /* a file name: no '/', not "." or ".." */
	uint8_t pad[3]; /* must be 0 */
};

/*
 * BIND_USER_HOME: bind the host directory `path` (nosuid, nodev) at
 * /run/host/home/NAME. It must be a directory owned by bind user `index`'s
 * host uid (from CREATE). Needs /run first.
 */
struct hutch_bind_user_home {
	uint32_t index; /* < CREATE's n_bind_users */
	char name[HUTCH_USERDB_NAME_MAX + 1];
	uint8_t pad[3]; /* must be 0 */
	char path[HUTCH_PATH_MAX]; /* absolute */
};

/* CREATE: make the container's namespaces and its init. */
#define HUTCH_CREATE_BOOT  (1u << 0) /* boot mode: nspawn's exit mapping */
#define HUTCH_CREATE_QUIET (1u << 1) /* no status lines from the broker */
#define HUTCH_CREATE_PRIVATE_NETWORK (1u << 2) /* own network namespace, loopback only */
/* --keep-unit: the container's cgroup inside hutch's own (the broker finds
 * it; the slice is not used) */
#define HUTCH_CREATE_KEEP_UNIT (1u << 3)
#define HUTCH_CREATE_FLAGS_ALL (HUTCH_CREATE_BOOT | HUTCH_CREATE_QUIET | HUTCH_CREATE_PRIVATE_NETWORK | \
				HUTCH_CREATE_KEEP_UNIT)

/* --private-users= */
enum hutch_userns {
	HUTCH_USERNS_NO = 0,   /* host ids */
	HUTCH_USERNS_PICK,     /* broker picks a free 65536 range (root owner's if free) */
	HUTCH_USERNS_FROM_ROOT,/* "yes": the range the root directory's owner starts */
	HUTCH_USERNS_FIXED,    /* uid_base/uid_count as given ("identity" is 0:65536) */
	HUTCH_USERNS_MAX
};

/* --private-users-ownership= */
enum hutch_ownership {
	HUTCH_OWNERSHIP_AUTO = 0, /* idmapped root if the file system can, else chown */
	HUTCH_OWNERSHIP_OFF,
	HUTCH_OWNERSHIP_CHOWN,
	HUTCH_OWNERSHIP_MAP,
	HUTCH_OWNERSHIP_MAX
};

/*
 * --bind-user= (nspawn): the host user's uid and primary gid appear in the
 * container as `container_id` (uid and gid alike), one of nspawn's ids
 * 60514..60577, by extra lines in the container's uid/gid maps. Needs a user
 * namespace of at least 65536 ids; host id 0 is never mapped.
 */
#define HUTCH_BIND_USERS_MAX 8
#define HUTCH_BIND_USER_ID_MIN 60514u
#define HUTCH_BIND_USER_ID_MAX 60577u
struct hutch_bind_user_ids {
	uint32_t host_uid, host_gid, container_id;
};

/* Host ids delegated to users for their own user namespaces (/etc/subuid,
 * /etc/subgid), ascending and disjoint: a picked range overlaps none, or a
 * tenant's rootless containers would share ids with ours. Sent by the
 * worker, so it is hygiene against accidents, not a limit on the caller:
 * a restricted caller's limit is the grant's uid pool. */
#define HUTCH_AVOID_MAX 64
struct hutch_id_range {
	uint32_t start, count;
};

struct hutch_create {
	uint32_t flags;
	uint32_t kill_signal; /* sent to PID 1 when hutch gets SIGTERM/SIGINT/SIGHUP */
	uint32_t userns;      /* enum hutch_userns */
	uint32_t ownership;   /* enum hutch_ownership */
	uint32_t uid_base, uid_count; /* HUTCH_USERNS_FIXED only, else 0 */
	uint8_t uuid[16];
	char machine[HUTCH_NAME_MAX + 1];
	char hostname[HUTCH_NAME_MAX + 1];
	uint8_t pad[2]; /* must be 0 */
	uint32_t n_bind_users; /* entries used in bind_users[], ascending container_id */
	struct hutch_bind_user_ids bind_users[HUTCH_BIND_USERS_MAX]; /* unused: zero */
	uint32_t n_avoid; /* HUTCH_USERNS_PICK only, else 0 */
	struct hutch_id_range avoid[HUTCH_AVOID_MAX]; /* unused: zero */
};

/* MOUNT_API: one of the kernel API file systems, each once. */
enum hutch_api_fs {
	HUTCH_API_PROC = 1, /* /proc, masks, read-only /proc/sys etc. */
	HUTCH_API_SYS,      /* /sys read-only */
	HUTCH_API_CGROUP,   /* the container's cgroup2 subtree at /sys/fs/cgroup */
	HUTCH_API_DEV,      /* tmpfs /dev with the standard nodes, pts, shm */
	HUTCH_API_RUN,      /* tmpfs /run with /run/host */
	HUTCH_API_TMP,      /* tmpfs /tmp */
	HUTCH_API_MAX
};

struct hutch_mount_api {
	uint32_t kind; /* enum hutch_api_fs */
};

/*
 * User-requested mounts. Paths are canonical: absolute, no "." or ".."
 * component, no "//", no trailing "/" (hutch_check_path). Targets are
 * container paths, resolved by the broker inside the root; host sources are
 * walked without following any symlink. At most HUTCH_MAX_USER_MOUNTS of
 * MOUNT_BIND/TMPFS/OVERLAY/INACCESSIBLE in all (the permit table counts).
 */
#define HUTCH_MAX_USER_MOUNTS 128

/* ROOT_MODE: once, first thing after CREATE, before any other mount. */
enum hutch_volatile {
	HUTCH_VOLATILE_NO = 0, /* the tree as is (read-only with read_only=1) */
	HUTCH_VOLATILE_YES,    /* tmpfs root, the tree's /usr read-only in it */
	HUTCH_VOLATILE_STATE,  /* the tree read-only, /var a tmpfs */
	HUTCH_VOLATILE_OVERLAY,/* tmpfs upper overlaid on the tree */
	HUTCH_VOLATILE_MAX
};
struct hutch_root_mode {
	uint32_t read_only;     /* 0 or 1 */
	uint32_t volatile_mode; /* enum hutch_volatile */
};

#define HUTCH_BIND_RO            (1u << 0)
#define HUTCH_BIND_RECURSIVE     (1u << 1) /* rbind (nspawn's default) */
#define HUTCH_BIND_IDMAP         (1u << 2) /* source ids 0..N seen as the container's */
#define HUTCH_BIND_SOURCE_IN_ROOT (1u << 3) /* "+": source inside the container root */
#define HUTCH_BIND_FLAGS_ALL \
	(HUTCH_BIND_RO | HUTCH_BIND_RECURSIVE | HUTCH_BIND_IDMAP | HUTCH_BIND_SOURCE_IN_ROOT)
struct hutch_mount_bind {
	uint32_t flags;
	uint32_t reserved; /* must be 0 */
	char source[HUTCH_PATH_MAX];
	char target[HUTCH_PATH_MAX];
};

/* Typed tmpfs options; the broker formats them for fsconfig. */
#define HUTCH_TMPFS_RO           (1u << 0)
#define HUTCH_TMPFS_NOEXEC       (1u << 1)
#define HUTCH_TMPFS_MODE         (1u << 2) /* mode is set */
#define HUTCH_TMPFS_UID          (1u << 3) /* uid is set (container id) */
#define HUTCH_TMPFS_GID          (1u << 4)
#define HUTCH_TMPFS_SIZE         (1u << 5) /* size in bytes */
#define HUTCH_TMPFS_SIZE_PERCENT (1u << 6) /* size in % of RAM, 1..100 */
#define HUTCH_TMPFS_NR_INODES    (1u << 7)
#define HUTCH_TMPFS_FLAGS_ALL (HUTCH_TMPFS_RO | HUTCH_TMPFS_NOEXEC | HUTCH_TMPFS_MODE | \
			       HUTCH_TMPFS_UID | HUTCH_TMPFS_GID | HUTCH_TMPFS_SIZE |   \
			       HUTCH_TMPFS_SIZE_PERCENT | HUTCH_TMPFS_NR_INODES)
struct hutch_mount_tmpfs {
	uint32_t flags;
	uint32_t mode; /* <= 07777 */
	uint32_t uid, gid;
	uint64_t size, nr_inodes; /* 0 unless their flag is set */
	char target[HUTCH_PATH_MAX];
};

/*
 * MOUNT_OVERLAY: lower[0] is the top lower layer (the kernel's lowerdir
 * order). Writable: upper_dir/upper_name is the upper layer, work_name a new
 * directory beside it (created and later removed by the broker). Read-only:
 * upper_* and work_name empty.
 */
#define HUTCH_OVERLAY_MAX_LOWER 8
#define HUTCH_OVERLAY_RO         (1u << 0)
#define HUTCH_OVERLAY_UPPER_IN_ROOT (1u << 1)
#define HUTCH_OVERLAY_FLAGS_ALL (HUTCH_OVERLAY_RO | HUTCH_OVERLAY_UPPER_IN_ROOT)
#define HUTCH_COMPONENT_MAX 255
struct hutch_mount_overlay {
	uint32_t flags;
	uint32_t nlower;   /* 1..HUTCH_OVERLAY_MAX_LOWER */
	uint32_t lower_in_root; /* bit i: lower[i] is inside the container root */
	uint32_t reserved;
	char lower[HUTCH_OVERLAY_MAX_LOWER][HUTCH_PATH_MAX];
	char upper_dir[HUTCH_PATH_MAX];
	char upper_name[HUTCH_COMPONENT_MAX + 1];
	char work_name[HUTCH_COMPONENT_MAX + 1];
	char target[HUTCH_PATH_MAX];
};

/* INACCESSIBLE: over-mount with the /run/host/inaccessible node of its type. */
struct hutch_inaccessible {
	char target[HUTCH_PATH_MAX];
};

/* OPEN_CONSOLE: a pty from the container's devpts; reply carries the master. */
struct hutch_open_console {
	uint16_t rows, cols; /* initial window size, 0 = leave alone */
};

struct hutch_pivot {
	uint32_t reserved; /* must be 0 */
};

/* EXEC: become the payload. On success the socket closes (CLOEXEC), no reply. */
#define HUTCH_EXEC_AS_PID2       (1u << 0) /* stub init as PID 1 */
#define HUTCH_EXEC_SEARCH_INIT   (1u << 1) /* try the init paths in turn (boot) */
#define HUTCH_EXEC_SHELL_FALLBACK (1u << 2) /* argv[0] missing: try /bin/sh */
#define HUTCH_EXEC_CONSOLE       (1u << 3) /* stdio on the console pty */
#define HUTCH_EXEC_CWD_FALLBACK  (1u << 4) /* cwd is a home dir: "/" if missing */
#define HUTCH_EXEC_FLAGS_ALL                                                   \
	(HUTCH_EXEC_AS_PID2 | HUTCH_EXEC_SEARCH_INIT | HUTCH_EXEC_SHELL_FALLBACK | \
	 HUTCH_EXEC_CONSOLE | HUTCH_EXEC_CWD_FALLBACK)

struct hutch_exec {
	uint32_t flags;
	uint32_t no_new_privs;  /* 0 or 1 */
	uint64_t cap_bounding;  /* bit per capability; the broker caps it at its ceiling */
	uint64_t cap_ambient;   /* subset of cap_bounding */
	uint32_t uid, gid;
	uint32_t ngroups;
	uint32_t groups[HUTCH_MAX_GROUPS];
	char cwd[HUTCH_PATH_MAX];
	uint32_t argc, envc;
	uint32_t strings_len; /* bytes used in strings[], last one is NUL */
	char strings[HUTCH_EXEC_STRINGS_MAX];
};

/*
 * SECCOMP: the payload's filter, compiled by the worker (libseccomp, every
 * ABI the host runs), loaded by the broker last thing before execve. It
 * stacks on the broker's own base filter, so it can only take more away.
 */
#define HUTCH_BPF_MAX_INSNS 4096 /* BPF_MAXINSNS */
struct hutch_bpf_insn {
	uint16_t code;
	uint8_t jt, jf;
	uint32_t k;
};
struct hutch_seccomp {
	uint32_t ninsns; /* 1..HUTCH_BPF_MAX_INSNS; the rest of insns[] zero */
	uint32_t reserved;
	struct hutch_bpf_insn insns[HUTCH_BPF_MAX_INSNS];
};

/*
 * CGROUP: where the container's cgroup goes, its limits and the devices it
 * may use; once, before CREATE (which makes the cgroup). Values are typed:
 * the worker parses systemd's syntax, the broker checks ranges again and
 * writes the v2 files or their v1 equivalents. A successful CREATE reply
 * then carries 1 fd: the cgroup's OOM event counter file (v2 memory.events,
 * v1 memory.oom_control; /dev/null without a memory controller), read by
 * the worker after the container ends.
 */
enum hutch_limit {
	HUTCH_LIMIT_MEMORY_MAX = 0, /* bytes */
	HUTCH_LIMIT_MEMORY_HIGH,    /* bytes */
	HUTCH_LIMIT_MEMORY_SWAP_MAX,/* bytes */
	HUTCH_LIMIT_TASKS_MAX,      /* tasks */
	HUTCH_LIMIT_CPU_QUOTA,      /* CPU time in usec per second (CPUQuota=20% -> 200000) */
	HUTCH_LIMIT_CPU_WEIGHT,     /* 1..10000 */
	HUTCH_LIMIT_IO_WEIGHT,      /* 1..10000 */
	HUTCH_LIMIT_ALLOWED_CPUS,   /* value unused: cpus[] */
	HUTCH_LIMIT_MAX
};
#define HUTCH_LIMIT_INFINITY UINT64_MAX
#define HUTCH_LIMITS_ALL ((1u << HUTCH_LIMIT_MAX) - 1)
#define HUTCH_CPUS_MAX 1024
#define HUTCH_SLICE_MAX 128
#define HUTCH_MAX_DEVICES 64
#define HUTCH_DEV_ANY UINT32_MAX /* major or minor wildcard */
#define HUTCH_DEV_READ  (1u << 0)
#define HUTCH_DEV_WRITE (1u << 1)
#define HUTCH_DEV_MKNOD (1u << 2)
#define HUTCH_DEV_ACCESS_ALL (HUTCH_DEV_READ | HUTCH_DEV_WRITE | HUTCH_DEV_MKNOD)
struct hutch_device_rule {
	uint8_t type;   /* 'c' or 'b' */
	uint8_t access; /* HUTCH_DEV_* bits, not 0 */
	uint8_t pad[2]; /* must be 0 */
	uint32_t major, minor; /* HUTCH_DEV_ANY = any */
};
struct hutch_cgroup {
	uint32_t set;      /* bit per enum hutch_limit; unset values are 0 */
	uint32_t ndevices; /* rules used in devices[], the rest zero */
	uint64_t value[HUTCH_LIMIT_MAX];
	uint64_t cpus[HUTCH_CPUS_MAX / 64]; /* AllowedCPUs= bitmask */
	struct hutch_device_rule devices[HUTCH_MAX_DEVICES];
	/* "machine.slice" or nested ("a.slice/a-b.slice"), under the v2 root */
	char slice[HUTCH_SLICE_MAX];
};

/*
 * PROCESS: --rlimit=, --oom-score-adjust=, --cpu-affinity=, --personality=,
 * applied by the container init just before it becomes the payload.
 */
#define HUTCH_RLIMIT_MAX 16 /* RLIM_NLIMITS on Linux */
#define HUTCH_PROC_OOM_SCORE   (1u << 0)
#define HUTCH_PROC_AFFINITY    (1u << 1)
#define HUTCH_PROC_PERSONALITY (1u << 2)
#define HUTCH_PROC_ALL (HUTCH_PROC_OOM_SCORE | HUTCH_PROC_AFFINITY | HUTCH_PROC_PERSONALITY)
struct hutch_rlimit {
	uint64_t cur, max; /* UINT64_MAX = RLIM_INFINITY */
};
struct hutch_process {
	uint32_t set;          /* HUTCH_PROC_* */
	int32_t oom_score_adj; /* -1000..1000 */
	uint32_t personality;  /* PER_LINUX or PER_LINUX32 */
	uint32_t rlimit_set;   /* bit per RLIMIT_*; unset slots zero */
	struct hutch_rlimit rlimits[HUTCH_RLIMIT_MAX];
	uint64_t cpus[HUTCH_CPUS_MAX / 64];
};

/*
 * CHECK_POLICY (hutch --check-policy): the monitor runs the policy parser
 * again in report mode, for the caller or (callers with an unrestricted
 * grant only) for `user`; the parser prints; the reply says whether the
 * policy is valid (0) or not (-EINVAL).
 */
#define HUTCH_USER_MAX 256
struct hutch_check_policy {
	char user[HUTCH_USER_MAX + 1]; /* user name or uid; "" = the caller */
	uint8_t pad[3];                /* must be 0 */
};

/*
 * LABEL (before CREATE): SELinux labels, -Z and -L, formatted and checked by
 * the worker; the broker sets `exec` as the payload's exec label and passes
 * `apifs` as context= to the tmpfs/devpts API mounts. With `reserve`, the
 * monitor first flocks the MCS category pair cat[0] < cat[1] for the life of
 * the container; a pair in use answers -EADDRINUSE (not fatal: the worker
 * picks another and asks again). Labels hold only [A-Za-z0-9_.:,-].
 */
#define HUTCH_LABEL_MAX 256
#define HUTCH_MCS_CATEGORIES 1024 /* c0..c1023 */
struct hutch_label {
	char exec[HUTCH_LABEL_MAX];  /* "" = leave the payload's label to the policy */
	char apifs[HUTCH_LABEL_MAX]; /* "" = the file systems' default labels */
	/* --selinux-relabel: label of every file of the root's file system in
	 * the tree, unless the root directory has it already ("" = none) */
	char tree[HUTCH_LABEL_MAX];
	uint32_t reserve;            /* 0 or 1 */
	uint16_t cat[2];             /* reserve only, else 0 */
};

/*
 * REPLY: 0 or -errno; carries the fds its request type declares on success.
 * `what` names the step that failed ("/dev/console", "chdir"), may be empty.
 */
#define HUTCH_WHAT_MAX 64
struct hutch_reply {
	int32_t error;
	char what[HUTCH_WHAT_MAX];
};

/* PROGRESS: long work under way, before its REPLY; the worker words it
 * (and stays quiet with -q or without a terminal). */
enum hutch_progress_what {
	HUTCH_PROGRESS_COPY = 0,    /* --template= copy: files and bytes so far */
	HUTCH_PROGRESS_SHIFTING,    /* ownership shift (chown): files so far */
	HUTCH_PROGRESS_SHIFTED,     /* ... done, files in all */
	HUTCH_PROGRESS_RELABELLING, /* --selinux-relabel */
	HUTCH_PROGRESS_RELABELLED,
	HUTCH_PROGRESS_MAX
};
struct hutch_progress {
	uint64_t files;
	uint64_t bytes;
	uint32_t what; /* enum hutch_progress_what */
	uint32_t reserved; /* 0 */
};

/* The worker's exit status when the user asked to kill the container (^]^]^]). */
#define HUTCH_WORKER_EXIT_KILL 3

/* One decoded record. Bodies are large, so this lives on the heap. */
struct hutch_msg {
	struct hutch_hdr hdr;
	union {
		struct hutch_open_root open_root;
		struct hutch_open_file open_file;
		struct hutch_create create;
		struct hutch_mount_api mount_api;
		struct hutch_open_console open_console;
		struct hutch_pivot pivot;
		struct hutch_exec exec;
		struct hutch_seccomp seccomp;
		struct hutch_open_host_file open_host_file;
		struct hutch_write_file write_file;
		struct hutch_file_op file_op;
		struct hutch_credential credential;
		struct hutch_cgroup cgroup;
		struct hutch_process process;
		struct hutch_check_policy check_policy;
		struct hutch_open_settings open_settings;
		struct hutch_label label;
		struct hutch_root_mode root_mode;
		struct hutch_mount_bind mount_bind;
		struct hutch_mount_tmpfs mount_tmpfs;
		struct hutch_mount_overlay mount_overlay;
		struct hutch_inaccessible inaccessible;
		struct hutch_userdb_record userdb_record;
		struct hutch_bind_user_home bind_user_home;
		struct hutch_reply reply;
		struct hutch_open_image open_image;
		struct hutch_attach_image attach_image;
		struct hutch_progress progress;
	} u;
	int fds[HUTCH_MAX_FDS];
	unsigned nfds;
};

#define HUTCH_MSG_MAX_RECORD (sizeof(struct hutch_hdr) + sizeof(struct hutch_exec))
_Static_assert(sizeof(struct hutch_mount_overlay) < sizeof(struct hutch_exec),
	       "EXEC must stay the largest record");

/* Body size for a type, 0 for an unknown type. */
size_t hutch_body_size(uint32_t type);
/* Number of fds a record of this type carries (requests and replies). */
unsigned hutch_msg_fds(uint32_t type);
/* Number of fds the REPLY to a successful request of this type carries. */
unsigned hutch_reply_fds(uint32_t request_type);
const char *hutch_msg_name(uint32_t type);

/*
 * Validate a received record: header, exact length, strings, enums, flags.
 * `buf`/`len` is the raw record, `nfds` the number of SCM_RIGHTS fds that came
 * with it. Fills `out` (fds are not touched). Returns 0 or -EBADMSG/-EPROTO
 * with a static reason in *why.
 */
int hutch_decode(const void *buf, size_t len, unsigned nfds, struct hutch_msg *out,
		 const char **why);

/* A LABEL string: a checked string of [A-Za-z0-9_.:,-] with 3+ colons, or "". */
int hutch_check_label(const char *s, size_t size);

/* Validate a fixed string field: terminated, no bytes after the NUL. */
int hutch_check_string(const char *s, size_t size, int allow_empty);
/* A canonical absolute path field (see the user mounts above); "/" is one. */
int hutch_check_path(const char *s, size_t size);
/* One path component field: not empty, ".", "..", no '/'. */
int hutch_check_component(const char *s, size_t size);

/*
 * Pack argv/envp into an exec body. Returns 0 or -E2BIG.
 * Unpack walks the validated strings area: argv then envp, NULL-terminated,
 * pointers into `e` (no copies); vectors must hold argc+1 / envc+1 slots.
 */
int hutch_exec_pack(struct hutch_exec *e, char *const argv[], char *const envp[]);
void hutch_exec_unpack(const struct hutch_exec *e, char **argv, char **envp);

/* I/O on the socket. Send: exact record with `nfds` fds. */
int hutch_send(int sock, uint32_t type, const void *body, const int *fds, unsigned nfds);
/*
 * Receive one record into `out` and validate it. Returns 1 on a message,
 * 0 on EOF, -errno on failure (received fds are closed on any failure).
 */
int hutch_recv(int sock, struct hutch_msg *out, const char **why);
int hutch_send_reply(int sock, int error, const char *what, const int *fds, unsigned nfds);

#endif
