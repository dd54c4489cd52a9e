# hutch-profile 1
# strict: run one command with as little as possible. See README.md.
[Exec]
# A stub init reaps and forwards signals; the command runs as PID 2.
ProcessTwo=yes
NoNewPrivileges=yes
PrivateUsers=pick
# Keep CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_KILL, CAP_SETUID and
# CAP_SETGID: enough for root in the container to own and hand out files.
DropCapability=CAP_DAC_READ_SEARCH CAP_FSETID CAP_SETPCAP CAP_LINUX_IMMUTABLE \
	CAP_NET_BIND_SERVICE CAP_NET_BROADCAST CAP_NET_RAW CAP_NET_ADMIN CAP_IPC_OWNER \
	CAP_SYS_CHROOT CAP_SYS_PTRACE CAP_SYS_ADMIN CAP_SYS_BOOT CAP_SYS_NICE \
	CAP_SYS_RESOURCE CAP_SYS_TTY_CONFIG CAP_MKNOD CAP_LEASE CAP_SETFCAP
# Off nspawn's allowlist: mounts, namespaces, kernel and clock knobs,
# debugging, obsolete and foreign-ABI calls.
SystemCallFilter=~@mount @swap @reboot @raw-io @module @clock @cpu-emulation @debug \
	@obsolete @keyring @pkey
SystemCallFilter=~unshare setns sethostname setdomainname personality acct

[Files]
# The image cannot be changed; /tmp, /run and /dev/shm stay writable tmpfs.
ReadOnly=yes

[Network]
# Loopback only (Private= adds CAP_NET_ADMIN, which is dropped above).
Private=yes
