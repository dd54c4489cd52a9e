#!/bin/sh
# SELinux tests against the REAL module: run INSIDE the enforcing VM by
# tests/vm/check-selinux.sh, with Debian's reference policy
# (selinux-policy-default) and selinux/hutch.pp linked into one binary policy.
# Expects: /usr/bin/hutch, /usr/bin/vmtool (static), the busybox rootfs at
# /var/lib/hutch/rootfs, that policy's file_contexts at /etc/hutch-fc.
# Prints "ok - NAME" / "FAIL - NAME: WHY" and a last line "N passed, N failed".
#
# Stage 1 (no argument; the VM's shell, kernel_t): label the guest's files as
# the policy's file_contexts say (tmpfs has no labels of its own), then run
# stage 2 as an administrator's shell would: unconfined_t, via init_t (the
# kernel's domain may only dyntransition to init_t).
if [ "$1" != stage2 ]; then
	vmtool restorecon /etc/hutch-fc / /dev /dev/pts /run /tmp || echo "FAIL - restorecon"
	# Stage 2 opens its own stdio: descriptors of the kernel's domain are
	# nothing a host's shell would hand to hutch.
	vmtool runcon -c system_u:system_r:init_t:s0-s0:c0.c1023 \
		unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023 /bin/sh "$0" stage2
	rc=$?
	cat /tmp/refpol-tests.out
	exit $rc
fi
exec </dev/null >/tmp/refpol-tests.out 2>&1
pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1: $2"; fail=$((fail + 1)); }
check() { # check NAME GOT WANT
	if [ "$2" = "$3" ]; then ok "$1"; else bad "$1" "got '$2', want '$3'"; fi
}
like() { # like NAME GOT PATTERN (a case pattern)
	# shellcheck disable=SC2254
	case "$2" in $3) ok "$1 ($2)" ;; *) bad "$1" "got '$2', want $3" ;; esac
}
avc() { # avc NAME GREP-PATTERN: the denial is in the kernel log
	if dmesg | grep -q "$2"; then ok "$1"; else bad "$1" "no AVC like '$2'; last: $(dmesg | grep avc: | tail -2)"; fi
}
# Not -P: with --pipe the payload writes to our own pipes, which carry this
# shell's level s0-s0:c0.c1023, and MCS lets a container (s0:cX,cY) write
# only what it dominates. A read-only console pty is the container's own; the worker
# (not MCS-constrained) copies it to our stdout.
hutch() { command hutch -q --console=read-only "$@" 2>&1 | tr -d '\r'; }
R=/var/lib/hutch/rootfs
CTX=system_u:system_r:hutch_container_t
FILE=system_u:object_r:hutch_container_file_t
field3() { cut -d: -f3 "$1" 2>/dev/null; }
# shellcheck disable=SC2010
mcs_locks() { ls /run/hutch/selinux-mcs 2>/dev/null | sort | tr '\n' ' '; }

check "policy loaded and enforcing" "$(cat /sys/fs/selinux/enforce)" 1
check "the tests run as unconfined_t" "$(vmtool label)" unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023
check "file_contexts labelled hutch hutch_exec_t" "$(vmtool getfilecon /usr/bin/hutch)" system_u:object_r:hutch_exec_t:s0
check "file_contexts labelled the tree hutch_container_file_t" "$(vmtool getfilecon $R/bin/busybox)" "$FILE:s0"
mkdir -p $R/shared && chmod 1777 $R/shared
dmesg -c >>/tmp/avc.log

# ---- domains: hutch_t, its worker hutch_worker_t, the payload's MCS label
command hutch -q --console=passive --private-users=no -D $R -M domains /bin/sleep 4 >/dev/null 2>&1 &
m=$!
sleep 2
worker="" payload=""
for p in /proc/[0-9]*; do
	[ "$(cut -d' ' -f4 "$p/stat" 2>/dev/null)" = "$m" ] && [ "$(cat "$p/comm")" = hutch ] && worker=${p#/proc/}
	[ "$(cat "$p/comm" 2>/dev/null)" = sleep ] && payload=${p#/proc/}
done
check "hutch runs as hutch_t" "$(field3 /proc/$m/attr/current)" hutch_t
check "its worker runs as hutch_worker_t" "$(field3 /proc/$worker/attr/current)" hutch_worker_t
like "the payload runs as hutch_container_t with an automatic pair" \
	"$(cat /proc/$payload/attr/current 2>/dev/null)" "$CTX:s0:c*,c*"
wait $m
check "the container exited 0 under enforcing" "$?" 0

# ---- the API file systems carry the automatic apifs label; /dev/mqueue too
got=$(hutch -D $R /bin/sh -c '
	/vmtool label
	for d in /tmp /run /dev/shm /dev /dev/pts /dev/mqueue; do /vmtool getfilecon $d; done
	for d in /tmp /run /dev/shm; do touch $d/probe && /vmtool getfilecon $d/probe; done
	/vmtool mqueue /probe && /vmtool getfilecon /dev/mqueue/probe' 2>&1)
lbl=$(echo "$got" | head -1)
like "a payload started without -Z gets an automatic pair" "$lbl" "$CTX:s0:c*,c*"
want="$FILE:s0${lbl##*:s0}"
check "/tmp /run /dev/shm /dev /dev/pts /dev/mqueue carry the apifs label ($want)" \
	"$(echo "$got" | sed -n 2,7p | sort -u)" "$want"
check "files made in /tmp /run /dev/shm carry it" "$(echo "$got" | sed -n 8,10p | sort -u)" "$want"
check "a message queue made in /dev/mqueue carries it" "$(echo "$got" | sed -n 11p)" "$want"
got=$(hutch -D $R -Z $CTX:s0:c5,c6 -L $FILE:s0:c5,c6 /bin/sh -c \
	'/vmtool getfilecon /dev/mqueue; /vmtool mqueue /q && /vmtool getfilecon /dev/mqueue/q' 2>&1 | sort -u)
check "-L labels /dev/mqueue (user namespace)" "$got" "$FILE:s0:c5,c6"
got=$(hutch --private-users=no -D $R -Z $CTX:s0:c5,c6 -L $FILE:s0:c5,c6 /bin/sh -c \
	'/vmtool getfilecon /dev/mqueue; /vmtool mqueue /q && /vmtool getfilecon /dev/mqueue/q' 2>&1 | sort -u)
check "-L labels /dev/mqueue (--private-users=no)" "$got" "$FILE:s0:c5,c6"
got=$(hutch -D $R -Z system_u:system_r:svirt_lxc_net_t:s0:c0,c1 \
	-L system_u:object_r:svirt_sandbox_file_t:s0:c0,c1 /vmtool label 2>&1)
check "nspawn's example labels (svirt aliases in the module)" "$got" "$CTX:s0:c0,c1"

# ---- two containers: different pairs, no reading each other's files or
# processes. B sees the host's /proc (bound in): only SELinux stands between
# it and A's /proc/PID/environ, since both are root with the same caps.
rm -f $R/shared/*
hutch --private-users=no -D $R -M mcs-a /bin/sh -c \
	'/vmtool label >/shared/a.label; echo data-a >/shared/a; exec /bin/sleep 6' >/dev/null 2>&1 &
a=$!
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do [ -s $R/shared/a ] && break; sleep 0.5; done
la=$(cat $R/shared/a.label)
apid=""
for p in /proc/[0-9]*; do
	[ "$(cat "$p/attr/current" 2>/dev/null)" = "$la" ] && [ "$(cat "$p/comm")" = sleep ] && apid=${p#/proc/}
done
dmesg -c >>/tmp/avc.log
b_out=$(hutch --private-users=no -D $R -M mcs-b --bind-ro=/proc:/run/hostproc /bin/sh -c \
	"/vmtool label; /vmtool read /shared/a; /vmtool read /run/hostproc/$apid/environ" 2>&1)
lb=$(echo "$b_out" | head -1)
like "container A got an automatic pair" "$la" "$CTX:s0:c*,c*"
like "container B got an automatic pair" "$lb" "$CTX:s0:c*,c*"
if [ "$la" != "$lb" ]; then ok "the two pairs differ"; else bad "the two pairs differ" "$la"; fi
check "B cannot read A's file (MCS)" "$(echo "$b_out" | sed -n 2p)" "denied: Permission denied"
check "B cannot read A's /proc/PID/environ (MCS; DAC would allow it)" "$(echo "$b_out" | sed -n 3p)" "denied: Permission denied"
avc "the denial is an AVC naming both pairs" "avc:  denied .* scontext=$lb tcontext=$la"
got=$(hutch --private-users=no -D $R -Z "$la" -L "$FILE:s0${la##*:s0}" --bind-ro=/proc:/run/hostproc /bin/sh -c \
	"/vmtool read /shared/a; /vmtool read /run/hostproc/$apid/environ >/dev/null && echo read" 2>&1 | tr '\n' ' ')
check "control: A's own pair reads both (so only SELinux stopped B)" "$got" "data-a read "
wait $a
check "A's file carries A's pair" "$(vmtool getfilecon $R/shared/a)" "$FILE:s0${la##*:s0}"
check "reservations are gone after both exit" "$(mcs_locks)" ""

# ---- a hostile payload: root in the container (no user namespace, full
# default capabilities, DAC would let it) reads a host file the admin bound
# in; the container type has no access to the host's etc_t.
echo "host secret" >/etc/hutch-secret && chmod 0644 /etc/hutch-secret
check "the host file is etc_t" "$(vmtool getfilecon /etc/hutch-secret | cut -d: -f3)" etc_t
dmesg -c >>/tmp/avc.log
got=$(hutch --private-users=no -D $R --bind-ro=/etc/hutch-secret:/secret /vmtool read /secret 2>&1)
check "container root cannot read a bound host etc_t file" "$got" "denied: Permission denied"
avc "the denial is in the AVC log" "avc:  denied  { read } .*scontext=$CTX:s0:c[0-9]*,c[0-9]* tcontext=[a-z_]*:object_r:etc_t:s0"
check "the host itself still reads it" "$(vmtool read /etc/hutch-secret)" "host secret"

# ---- --selinux-relabel: a tree outside /var/lib/hutch (var_t) becomes the container's
T=/srv/fresh
mkdir -p /srv && cp -a $R $T && vmtool restorecon /etc/hutch-fc $T
check "a copy under /srv is var_t" "$(vmtool getfilecon $T/bin/busybox)" system_u:object_r:var_t:s0
command hutch -q --console=passive -D $T /bin/true >/dev/null 2>&1
check "a var_t tree cannot be entered (no entrypoint)" "$?" 126
got=$(hutch -D $T --selinux-relabel /vmtool label 2>&1)
like "--selinux-relabel: the payload starts" "$got" "$CTX:s0:c*,c*"

# ---- nothing left behind
check "no mounts left behind" "$(grep -c -e /var/lib/hutch -e /srv/fresh /proc/self/mountinfo)" 0
n=$(dmesg | grep -c 'avc:  denied' || true)
echo "# AVC denials in the last section: $n"
[ -z "$VERBOSE_AVC" ] || { cat /tmp/avc.log; dmesg; } | grep "avc:  denied"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
