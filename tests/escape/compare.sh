#!/bin/bash
# compare.sh [-d] [-o FILE] [PAYLOAD...] -- run hutch's hostile payloads
# (tests/escape/payloads, installed by tests/fixtures/mkescape.sh) under
# hutch and its peers, and print a markdown table payload x launcher:
# BLOCKED, ESCAPED or ERROR (no verdict line, or an exit status that does
# not match it). -d adds every payload's detail line; -o writes to FILE.
#
# Launchers (a peer that is not installed is skipped, and the report says so):
#   hutch        $HUTCH_BIN (default build/hutch) -q -P, default options
#   hutch --private-users=no   the same without a user namespace (if supported):
#                what the other layers hold on their own
#   nspawn       systemd-nspawn --register=no --keep-unit --console=pipe
#   nspawn -U    the same with -U
#   bwrap        bwrap --unshare-all --die-with-parent --bind ROOT / --proc /proc
#                --dev /dev --new-session, started by root
#   bwrap user   the same started as uid 65534 with --uid 0 --gid 0,
#                --ro-bind ROOT / and --tmpfs /tmp (how unprivileged callers use it)
#   chroot       the control: plain chroot in a private mount namespace, host
#                PID/network/user namespaces, real /proc and /sys. Most
#                payloads must ESCAPE here, or they prove nothing.
# Every launcher is started with no fds but 0-2 and fd 9, which is open on a
# host directory outside the container (the caller's leak, as runc leaked
# its cgroup directory fd in CVE-2024-21626): fd_leak shows who passes it on.
# Every peer runs on its own copy of the rootfs, so build/rootfs is never
# chowned or littered. Needs root. Installs nothing: for the peers,
#   apt-get install -y bubblewrap systemd-container
set -u
for f in /proc/"$$"/fd/*; do # only what we open below crosses
	fd=${f##*/}
	[ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null
done

DETAILS=0 OUT=
while getopts do: o; do
	case $o in
	d) DETAILS=1 ;;
	o) OUT=$OPTARG ;;
	*) echo "usage: compare.sh [-d] [-o FILE] [PAYLOAD...]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
ROOTFS=${HUTCH_ROOTFS:-$TOP/build/rootfs}
HUTCH=${HUTCH_BIN:-$TOP/build/hutch}
TIMEOUT=${ESCAPE_TIMEOUT:-60}

[ "$(id -u)" = 0 ] || { echo "compare.sh: needs root" >&2; exit 1; }
[ -d "$ROOTFS/usr/local/escape" ] || {
	echo "compare.sh: no payloads in $ROOTFS: run tests/fixtures/mkescape.sh $ROOTFS build" >&2
	exit 1
}
if [ $# -eq 0 ]; then
	for f in "$ROOTFS"/usr/local/escape/*; do set -- "$@" "${f##*/}"; done
fi

WORK=$(mktemp -d /var/tmp/hutch-compare.XXXXXX)
chmod 0755 "$WORK"
MOUNTED_NSPAWN_RUN=0
cleanup() {
	rm -rf "$WORK"
	[ "$MOUNTED_NSPAWN_RUN" = 1 ] && umount /run/systemd/nspawn 2>/dev/null
}
trap cleanup EXIT INT TERM

# ---- launchers: "id|label|available?" ------------------------------------
LAUNCHERS='' SKIPPED=''
add() { LAUNCHERS="$LAUNCHERS $1"; eval "LABEL_$1=\"\$2\""; }
skip() { SKIPPED="$SKIPPED
- $1: skipped, $2"; }

if [ -x "$HUTCH" ]; then
	add hutch "hutch"
	if "$HUTCH" --help 2>&1 | grep -q -- --private-users; then
		add hutchnouser "hutch --private-users=no"
	fi
else
	skip hutch "$HUTCH not built"
fi
if command -v systemd-nspawn >/dev/null 2>&1; then
	mkdir -p /run/systemd/nspawn
	if ! mountpoint -q /run/systemd/nspawn; then
		mount -t tmpfs tmpfs /run/systemd/nspawn && MOUNTED_NSPAWN_RUN=1
	fi
	add nspawn "nspawn"
	add nspawnU "nspawn -U"
else
	skip "systemd-nspawn" "not installed (apt-get install systemd-container)"
fi
if command -v bwrap >/dev/null 2>&1; then
	add bwrap "bwrap"
	if command -v setpriv >/dev/null 2>&1; then add bwrapuser "bwrap user"
	else skip "bwrap user" "setpriv (util-linux) missing"; fi
else
	skip "bubblewrap" "not installed (apt-get install bubblewrap)"
fi
if command -v unshare >/dev/null 2>&1; then add chroot "chroot (control)"
else skip "chroot control" "unshare (util-linux) missing"; fi

# One private copy of the rootfs per launcher.
for l in $LAUNCHERS; do
	cp -a "$ROOTFS" "$WORK/$l"
done

# run LAUNCHER PAYLOAD: stdout to $WORK/out, stderr to $WORK/err; prints rc.
run() {
	l=$1 p=$2 r="$WORK/$1" bin=/usr/local/escape/$2
	m="esc-$(echo "$p" | tr _ -)"
	# shellcheck disable=SC2016 # the chroot script is expanded by the inner sh
	case $l in
	hutch) set -- "$HUTCH" -q -P -D "$r" -M "$m-$$" "$bin" ;;
	hutchnouser) set -- "$HUTCH" -q -P --private-users=no -D "$r" -M "$m-$$" "$bin" ;;
	nspawn) set -- systemd-nspawn -q --register=no --keep-unit --console=pipe -D "$r" -M "$m" "$bin" ;;
	nspawnU) set -- systemd-nspawn -q -U --register=no --keep-unit --console=pipe -D "$r" -M "$m" "$bin" ;;
	bwrap) set -- bwrap --unshare-all --die-with-parent --bind "$r" / --proc /proc --dev /dev \
		--new-session "$bin" ;;
	bwrapuser) set -- setpriv --reuid=65534 --regid=65534 --clear-groups -- \
		bwrap --unshare-all --die-with-parent --uid 0 --gid 0 --ro-bind "$r" / \
		--proc /proc --dev /dev --tmpfs /tmp --new-session "$bin" ;;
	chroot) set -- unshare --mount --uts --ipc --propagation private -- sh -c '
		R=$1; shift
		mount -t proc proc "$R/proc" && mount -t sysfs sysfs "$R/sys" &&
		mount -t tmpfs -o mode=755 tmpfs "$R/dev" && mknod -m 666 "$R/dev/null" c 1 3 &&
		mkdir "$R/dev/pts" && ln -s pts/ptmx "$R/dev/ptmx" &&
		mount -t devpts -o newinstance,ptmxmode=0666 devpts "$R/dev/pts" &&
		mount -t tmpfs tmpfs "$R/tmp" && exec chroot "$R" "$@"' sh "$r" "$bin" ;;
	esac
	timeout -k 5 "$TIMEOUT" "$@" </dev/null >"$WORK/out" 2>"$WORK/err" 9<"$WORK"
	echo $?
}

# ---- header ----------------------------------------------------------------
report() {
	echo "# hutch escape suite: payload x launcher"
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "- kernel: $(uname -r) ($(uname -m))"
	echo "- every launcher was started with fds 0-2 and fd 9 (a host directory, outside the container)"
	[ -x "$HUTCH" ] && echo "- hutch: $("$HUTCH" --version 2>&1 | head -1), binary $HUTCH modified $(date -u -r "$HUTCH" '+%Y-%m-%d %H:%M UTC')"
	command -v systemd-nspawn >/dev/null && echo "- systemd-nspawn: $(systemd-nspawn --version | head -1)"
	command -v bwrap >/dev/null && echo "- bubblewrap: $(bwrap --version)"
	printf '%s\n' "$SKIPPED" | sed '/^$/d'
	s=
	for k in dev/tty/legacy_tiocsti kernel/unprivileged_bpf_disabled kernel/perf_event_paranoid \
		kernel/io_uring_disabled vm/unprivileged_userfaultfd kernel/dmesg_restrict kernel/kptr_restrict; do
		s="$s $(echo "$k" | tr / .)=$(cat /proc/sys/$k 2>/dev/null || echo n/a)"
	done
	echo "- sysctls:$s"
	if [ -r /proc/config.gz ]; then
		c=$(zcat /proc/config.gz | grep -E '^(# )?CONFIG_(X86_X32_ABI|IA32_EMULATION|MODULES|KEXEC|KEXEC_FILE|PROC_KCORE)[= ]' |
			sed -e 's/^# \(CONFIG_[A-Z0-9_]*\) is not set/\1=n/' -e 's/^CONFIG_//' | tr '\n' ' ')
		echo "- kernel config: $c(a payload whose ABI or syscall the kernel lacks can only report BLOCKED; the criterion tests skip it)"
	fi
	echo
	printf '| payload |'
	for l in $LAUNCHERS; do eval "printf ' %s |' \"\$LABEL_$l\""; done
	printf '\n|---|'
	for l in $LAUNCHERS; do printf -- '---|'; done
	printf '\n'
	for p in "$@"; do
		printf '| %s |' "$p"
		for l in $LAUNCHERS; do
			rc=$(run "$l" "$p")
			line=$(grep -m1 "^ESCAPE-RESULT $p " "$WORK/out")
			v=$(echo "$line" | awk '{print $3}')
			case "$v:$rc" in
			BLOCKED:0 | ESCAPED:1) cell=$v ;;
			*) cell="ERROR($rc)"
			   line="${line:-no verdict} / stderr: $(head -c 300 "$WORK/err" | tr '\n' ' ')" ;;
			esac
			printf ' %s |' "$cell"
			label=$(eval "echo \"\$LABEL_$l\"")
			echo "- **$p** under $label: $cell: ${line#ESCAPE-RESULT "$p" [A-Z]* }" >>"$WORK/details"
		done
		printf '\n'
	done
	cat <<'NOTES'

Reading the table:
- ESCAPED means the attack worked, or the protection hutch's design
  requires is missing (a denied syscall that reaches the kernel past its
  permission checks; TIOCSTI/TIOCLINUX that reach a tty driver, even on
  the container's own pty; a read-only or mask mount the payload removes).
  Each payload's header comment in tests/escape/payloads/ says exactly.
- The control column shows which payloads can fail at all on this host.
  A payload BLOCKED there is blocked by the kernel or the host itself
  (ENOSYS for kexec/modules/x32 where the kernel lacks them, ETXTBSY for
  every running host binary in exe_overwrite, the CVE-2014-8989 fix in
  setgroups_userns): the criterion tests skip the first kind.
- nspawn runs with --register=no --keep-unit (no machined, no unit
  properties), so it sets up no device cgroup policy here.
- bwrap passes inherited fds on by design (fd_leak: fd 9); the caller is
  expected to close them.
NOTES
	if [ "$DETAILS" = 1 ]; then
		echo
		echo "## Details"
		echo
		cat "$WORK/details"
	fi
}

: >"$WORK/details"
if [ -n "$OUT" ]; then
	report "$@" >"$OUT.tmp" && mv -f "$OUT.tmp" "$OUT"
	cat "$OUT"
else
	report "$@"
fi
