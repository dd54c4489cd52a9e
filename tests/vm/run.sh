#!/bin/bash
# tests/vm/run.sh -- run one command as root inside a throw-away VM booted
# from Debian's kernel (qemu, KVM when usable, else TCG) and an initramfs,
# print its output and exit with its exit status. See tests/vm/README.md.
#
#   tests/vm/run.sh [options] [--] COMMAND [ARG...]
#     --add SRC[:DST]   copy a file or tree into the VM (DST defaults to SRC);
#                       executables bring their shared libraries along
#     --tree SRC:DST    copy a whole OS tree as it is (no library scan), e.g.
#                       the Debian tree of the boot tests
#     --policy FILE     load this binary SELinux policy (one write) at boot
#     --enforcing       then switch SELinux to enforcing (needs --policy)
#     --cgroup2         mount cgroup2 at /sys/fs/cgroup (pure v2, no v1 mounts)
#     --cgroup1         legacy layout: v1 hierarchies only (tmpfs at /sys/fs/cgroup,
#                       the controllers and name=systemd), no cgroup2 anywhere
#     --append ARGS     extra kernel command line
#     --mem MB          guest memory (default 1024)
#     --timeout SEC     give up after SEC seconds (default 600): exit 124
#     --log FILE        keep the whole console log there
# COMMAND runs under /bin/sh -c in the guest with cwd /, PATH including
# /bin:/sbin:/usr/bin, and $VM=1. The guest's root is a tmpfs (not the
# initramfs itself, so pivot_root works there).
set -euo pipefail

CACHE=${HUTCH_VM_CACHE:-/var/cache/hutch-tests/vm}
HERE=$(cd "$(dirname "$0")" && pwd)
adds=() trees=() policy="" enforcing=0 cgroup2=0 cgroup1=0 append="" mem=1024 timeout=600 log=""
while [ $# -gt 0 ]; do
	case "$1" in
	--add) adds+=("$2"); shift 2 ;;
	--tree) trees+=("$2"); shift 2 ;;
	--policy) policy=$2; shift 2 ;;
	--enforcing) enforcing=1; shift ;;
	--cgroup2) cgroup2=1; shift ;;
	--cgroup1) cgroup1=1; shift ;;
	--append) append=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--) shift; break ;;
	-*) echo "run.sh: unknown option $1 (see tests/vm/README.md)" >&2; exit 2 ;;
	*) break ;;
	esac
done
if [ $# -eq 0 ]; then
	echo "usage: tests/vm/run.sh [--add SRC[:DST]]... [--policy FILE [--enforcing]] [--cgroup2 | --cgroup1] [--] COMMAND..." >&2
	exit 2
fi
if [ "$cgroup2" = 1 ] && [ "$cgroup1" = 1 ]; then
	echo "run.sh: --cgroup2 and --cgroup1 exclude each other" >&2
	exit 2
fi
if [ "$enforcing" = 1 ] && [ -z "$policy" ]; then
	echo "run.sh: --enforcing needs --policy FILE" >&2
	exit 2
fi
for tool in qemu-system-x86_64 cpio busybox; do
	command -v "$tool" >/dev/null || { echo "run.sh: $tool missing (apt-get install qemu-system-x86 cpio busybox-static)" >&2; exit 2; }
done

kernel=$("$HERE/kernel.sh" "$CACHE")

work=$(mktemp -d /tmp/hutch-vm.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,etc,newroot,lib64,lib}

# Copy a file with its shared libraries (same paths as on the host).
copy_libs() {
	local lib
	for lib in $(ldd "$1" 2>/dev/null | grep -o '/[^ ]*' || true); do
		[ -e "$root$lib" ] || { mkdir -p "$root$(dirname "$lib")"; cp -L "$lib" "$root$lib"; }
	done
}
add_one() {
	local src=${1%%:*} dst=${1#*:}
	[ "$dst" != "$1" ] || dst=$src
	[ -e "$src" ] || { echo "run.sh: --add $src: no such file" >&2; exit 2; }
	mkdir -p "$root$(dirname "$dst")"
	cp -a "$src" "$root$dst"
	if [ -f "$src" ] && [ -x "$src" ]; then copy_libs "$src"; fi
	if [ -d "$src" ]; then
		find "$src" -type f -perm -u+x -size -64M -print0 2>/dev/null |
			while IFS= read -r -d '' f; do copy_libs "$f"; done
	fi
	return 0
}

bb=$(command -v busybox)
cp "$bb" "$root/bin/busybox"
for a in $("$bb" --list); do
	[ -e "$root/bin/$a" ] || ln -s busybox "$root/bin/$a"
done
for a in "${adds[@]}"; do add_one "$a"; done
for t in "${trees[@]}"; do
	src=${t%%:*} dst=${t#*:}
	[ -d "$src" ] && [ "$dst" != "$t" ] || { echo "run.sh: --tree $t: want an existing DIR:DST" >&2; exit 2; }
	mkdir -p "$root$(dirname "$dst")"
	cp -a "$src" "$root$dst"
done
[ -z "$policy" ] || cp "$policy" "$root/etc/vm-policy"
printf '%s\n' "$*" >"$root/etc/vm-command"
: >"$root/etc/resolv.conf" # an empty one, as on a host without network
cat >"$root/etc/vm-env" <<EOF
VM_ENFORCING=$enforcing
VM_CGROUP2=$cgroup2
VM_CGROUP1=$cgroup1
EOF

# Stage 1: copy ourselves onto a tmpfs and switch_root there (pivot_root,
# which hutch uses, cannot move away from the initramfs's rootfs).
cat >"$root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t tmpfs -o mode=0755 root /newroot
for e in /*; do
	case "$e" in /newroot|/proc) /bin/busybox mkdir -p "/newroot$e" ;; *) /bin/busybox cp -a "$e" /newroot/ ;; esac
done
/bin/busybox umount /proc
exec /bin/busybox switch_root /newroot /stage2
EOF
cat >"$root/stage2" <<'EOF'
#!/bin/sh
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin VM=1 HOME=/root
. /etc/vm-env
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /root
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /dev/shm
if [ "$VM_CGROUP2" = 1 ]; then
	mount -t cgroup2 cgroup2 /sys/fs/cgroup
fi
if [ "$VM_CGROUP1" = 1 ]; then
	# What systemd mounts on a legacy host (systemd.legacy_systemd_cgroup_controller,
	# CentOS 7): a tmpfs, one v1 hierarchy per controller (cpu and cpuacct
	# co-mounted, with their symlinks) and the named, controller-less
	# "systemd" hierarchy; no cgroup2 anywhere.
	o=nosuid,nodev,noexec
	mount -t tmpfs -o $o,mode=0755 tmpfs /sys/fs/cgroup
	mkdir /sys/fs/cgroup/systemd
	mount -t cgroup -o $o,none,name=systemd cgroup /sys/fs/cgroup/systemd
	for c in memory pids cpu,cpuacct devices blkio cpuset freezer; do
		mkdir "/sys/fs/cgroup/$c"
		mount -t cgroup -o "$o,$c" cgroup "/sys/fs/cgroup/$c" || echo "VM: cannot mount the v1 $c hierarchy"
	done
	ln -s cpu,cpuacct /sys/fs/cgroup/cpu
	ln -s cpu,cpuacct /sys/fs/cgroup/cpuacct
	mount -o remount,ro /sys/fs/cgroup
fi
if [ -e /etc/vm-policy ]; then
	mount -t selinuxfs selinuxfs /sys/fs/selinux
	# One write: the kernel refuses a policy split over several.
	dd if=/etc/vm-policy of=/sys/fs/selinux/load bs=8M 2>/dev/null || echo "VM: policy load failed"
	[ "$VM_ENFORCING" = 1 ] && echo 1 >/sys/fs/selinux/enforce
fi
hostname vm
echo "@@VM-BEGIN@@"
sh -c "$(cat /etc/vm-command)" </dev/null
echo "@@VM-EXIT=$?@@"
sync
poweroff -f
EOF
chmod 0755 "$root/init" "$root/stage2"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initrd"

accel="-accel tcg -cpu max"
# KVM is opt-in: nested KVM on CI-like hosts can hang at "Booting from ROM".
if [ -w /dev/kvm ] && [ -n "${HUTCH_VM_KVM:-}" ]; then accel="-accel kvm -cpu host"; fi
sel="selinux=0"
[ -z "$policy" ] || sel="security=selinux selinux=1 enforcing=0"
out=$work/console
set +e
# shellcheck disable=SC2086
timeout --foreground "$timeout" qemu-system-x86_64 $accel -m "$mem" -smp 2 -nographic -no-reboot \
	-kernel "$kernel" -initrd "$work/initrd" \
	-append "console=ttyS0 quiet loglevel=3 panic=-1 $sel $append" </dev/null >"$out" 2>&1
rc=$?
set -e
[ -z "$log" ] || cp "$out" "$log"
tr -d '\r' <"$out" >"$out.clean"
if [ "$rc" = 124 ]; then
	echo "run.sh: VM timed out after ${timeout}s; console tail:" >&2
	tail -20 "$out.clean" >&2
	exit 124
fi
status=$(sed -n 's/^@@VM-EXIT=\([0-9]*\)@@$/\1/p' "$out.clean" | tail -1)
if [ -z "$status" ]; then
	echo "run.sh: the VM ended without running the command (qemu exit $rc); console tail:" >&2
	tail -30 "$out.clean" >&2
	exit 125
fi
awk '/^@@VM-EXIT=[0-9]*@@$/ {on = 0} on {print} /@@VM-BEGIN@@$/ {on = 1}' "$out.clean"
exit "$status"
