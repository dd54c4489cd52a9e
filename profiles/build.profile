# hutch-profile 1
# build: package builds (dpkg-buildpackage, make, rpmbuild). See README.md.
[Exec]
ProcessTwo=yes
NoNewPrivileges=yes
PrivateUsers=pick
# Builds chown, chmod, set file capabilities (dpkg), bind test ports and
# chroot; they do not administer the system, nor make device nodes.
DropCapability=CAP_LINUX_IMMUTABLE CAP_NET_ADMIN CAP_NET_BROADCAST CAP_IPC_OWNER \
	CAP_SYS_PTRACE CAP_SYS_ADMIN CAP_SYS_BOOT CAP_SYS_RESOURCE CAP_SYS_TTY_CONFIG \
	CAP_MKNOD CAP_LEASE
SystemCallFilter=~@mount @swap @reboot @raw-io @module @clock @cpu-emulation @obsolete
