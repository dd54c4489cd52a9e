#!/bin/sh
# SELinux tests, run INSIDE the enforcing VM by tests/vm/check-selinux.sh.
# Expects: /usr/bin/hutch, /usr/bin/vmtool (static), the busybox rootfs at
# /srv/rootfs, selinux/test/policy.cil loaded and enforcing.
# Prints "ok - NAME" / "FAIL - NAME: WHY" and a last line "N passed, N failed".
pass=${HOST_PASS:-0} fail=${HOST_FAIL:-0} # checks check-selinux.sh made on the host
ok() { echo "ok - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1: $2"; fail=$((fail + 1)); }
check() { # check NAME GOT WANT
	if [ "$2" = "$3" ]; then ok "$1"; else bad "$1" "got '$2', want '$3'"; fi
}
R=/srv/rootfs
CTX=system_u:system_r:hutch_container_t
FILE=system_u:object_r:hutch_container_file_t
mcs_locks() { ls /run/hutch/selinux-mcs 2>/dev/null | sort | tr '\n' ' '; }

# ---- set-up: label hutch and the tree as the module's file contexts say
vmtool setfilecon system_u:object_r:hutch_exec_t:s0 /usr/bin/hutch
cp /usr/bin/vmtool $R/vmtool
cp -a $R /srv/rootfs-pristine # unlabelled (default_t), for --selinux-relabel
mkdir -p $R/shared && chmod 1777 $R/shared
echo "host secret" >$R/secret && chmod 0644 $R/secret
vmtool setfilecon -R $FILE:s0 $R
vmtool setfilecon system_u:object_r:hutch_test_secret_t:s0 $R/secret

check "policy loaded and enforcing" "$(cat /sys/fs/selinux/enforce)" 1

# ---- -Z: the payload's own label, exactly as asked (nspawn's example labels;
# svirt_lxc_net_t is an alias of hutch_container_t in the module)
got=$(hutch -q -P -D $R -Z $CTX:s0:c3,c7 /vmtool label 2>&1)
check "-Z sets the payload's /proc/self/attr/current" "$got" "$CTX:s0:c3,c7"
got=$(hutch -q -P -D $R -Z system_u:system_r:svirt_lxc_net_t:s0:c0,c1 \
	-L system_u:object_r:svirt_sandbox_file_t:s0:c0,c1 /vmtool label 2>&1)
check "nspawn man page example labels (svirt aliases)" "$got" "$CTX:s0:c0,c1"
got=$(hutch -q -P -D $R --no-new-privileges=yes -Z $CTX:s0:c4,c9 /vmtool label 2>&1)
check "-Z with no_new_privs (nnp_transition)" "$got" "$CTX:s0:c4,c9"

# ---- -L: what the payload creates in /tmp, /run, /dev/shm, /dev carries the label
got=$(hutch -q -P -D $R -Z $CTX:s0:c5,c6 -L $FILE:s0:c5,c6 /bin/sh -c '
	for d in /tmp /run /dev/shm; do touch $d/probe; /vmtool getfilecon $d/probe; done
	/vmtool getfilecon /dev; /vmtool getfilecon /dev/pts; /vmtool getfilecon /dev/mqueue' 2>&1 | sort -u | tr '\n' ' ')
check "-L labels files in /tmp, /run, /dev/shm and the /dev, /dev/pts, /dev/mqueue mounts" "$got" "$FILE:s0:c5,c6 "

# ---- a container process cannot read a host file of another label
dmesg -c >/dev/null
got=$(hutch -q -P -D $R -Z $CTX:s0:c5,c6 /vmtool read /secret 2>&1)
check "container cannot read a file of another type (DAC would allow it)" "$got" "denied: Permission denied"
if dmesg | grep -q 'avc:  denied  { read } .*name="secret".*scontext=system_u:system_r:hutch_container_t:s0:c5,c6 tcontext=system_u:object_r:hutch_test_secret_t:s0'; then
	ok "the denial is in the AVC log"
else
	bad "the denial is in the AVC log" "$(dmesg | grep avc | tail -3)"
fi
check "the host itself still reads it" "$(vmtool read $R/secret)" "host secret"

# ---- automatic MCS: two running containers, different pairs, no cross reads
rm -f $R/shared/*
hutch -q -P --private-users=no -D $R -M mcs-a /bin/sh -c \
	'/vmtool label >/shared/a.label; echo data-a >/shared/a; sleep 4' >/dev/null 2>&1 &
a=$!
for i in 1 2 3 4 5 6 7 8 9 10; do [ -s $R/shared/a ] && break; sleep 0.5; done
locks_during=$(mcs_locks)
b_out=$(hutch -q -P --private-users=no -D $R -M mcs-b /bin/sh -c '/vmtool label; /vmtool read /shared/a' 2>&1)
wait $a
la=$(cat $R/shared/a.label)
lb=$(echo "$b_out" | head -1)
case "$la" in $CTX:s0:c*,c*) ok "container A got an automatic s0:cX,cY label ($la)" ;;
	*) bad "container A got an automatic label" "'$la'" ;; esac
case "$lb" in $CTX:s0:c*,c*) ok "container B got an automatic s0:cX,cY label ($lb)" ;;
	*) bad "container B got an automatic label" "'$lb'" ;; esac
if [ "${la#$CTX:s0:c}" != "$la" ] && [ "${lb#$CTX:s0:c}" != "$lb" ] && [ "$la" != "$lb" ]; then ok "the two containers' categories differ"; else bad "categories differ" "$la vs $lb"; fi
check "B cannot read A's file (MCS)" "$(echo "$b_out" | sed -n 2p)" "denied: Permission denied"
check "A's file carries A's categories" "$(vmtool getfilecon $R/shared/a)" "$FILE:s0${la##*:s0}"
pair=${la##*:s0:c}; pair=$(echo "$pair" | sed 's/,c/,/')
case "$locks_during" in *"$pair "*) ok "A's pair $pair was reserved under /run/hutch/selinux-mcs" ;;
	*) bad "A's pair was reserved" "locks: '$locks_during'" ;; esac
check "reservations are gone after both exit" "$(mcs_locks)" ""
got=$(hutch -q -P --private-users=no -D $R -Z "$la" /vmtool read /shared/a 2>&1)
check "the same categories can read it (control)" "$got" "data-a"

# ---- broker and worker domains
# a pty console keeps the worker alive for the container's life (with -P it ends at exec)
hutch -q --console=passive --private-users=no -D $R -M domains /bin/sleep 3 >/dev/null 2>&1 &
m=$!
sleep 1.5
worker=""
for p in /proc/[0-9]*; do
	[ "$(cut -d' ' -f4 $p/stat 2>/dev/null)" = "$m" ] && [ "$(cat $p/comm)" = hutch ] && worker=${p#/proc/}
done
check "the monitor runs as hutch_t" "$(cut -d: -f3 /proc/$m/attr/current 2>/dev/null)" hutch_t
check "the worker runs as hutch_worker_t" "$(cut -d: -f3 /proc/$worker/attr/current 2>/dev/null)" hutch_worker_t
wait $m

# ---- --selinux-relabel: an unlabelled tree becomes the container's, once
T=/srv/fresh
cp -a /srv/rootfs-pristine $T
got=$(hutch -q -P -D $T -M fresh0 /vmtool label 2>&1); rc=$?
check "an unlabelled tree cannot be entered (no entrypoint)" "$rc" 126
got=$(hutch -q -P -D $T -M fresh1 --selinux-relabel /vmtool label 2>&1)
case "$got" in $CTX:s0:c*,c*) ok "--selinux-relabel: the payload starts ($got)" ;;
	*) bad "--selinux-relabel: the payload starts" "$got" ;; esac
check "--selinux-relabel: the tree's files are hutch_container_file_t:s0" \
	"$(vmtool getfilecon $T/etc/passwd) $(vmtool getfilecon $T/bin) $(vmtool getfilecon $T/bin/sh)" \
	"$FILE:s0 $FILE:s0 $FILE:s0"
vmtool setfilecon system_u:object_r:hutch_test_secret_t:s0 $T/etc/hostname
hutch -q -P -D $T -M fresh2 --selinux-relabel /bin/true >/dev/null 2>&1
check "--selinux-relabel runs once (a labelled root is left alone)" \
	"$(vmtool getfilecon $T/etc/hostname)" system_u:object_r:hutch_test_secret_t:s0
cp -a /srv/rootfs-pristine $T-l
got=$(hutch -q -P -D $T-l -M fresh3 -Z $CTX:s0:c8,c9 -L $FILE:s0:c8,c9 --selinux-relabel /vmtool label 2>&1)
check "--selinux-relabel with -L takes -L's label (nspawn's chcon example)" \
	"$got $(vmtool getfilecon $T-l/etc/passwd)" "$CTX:s0:c8,c9 $FILE:s0:c8,c9"

# ---- errors
got=$(hutch -q -P -D $R -Z system_u:system_r:no_such_t:s0 /bin/true 2>&1); rc=$?
check "-Z unknown to the policy: exit 1" "$rc" 1
case "$got" in *"no_such_t"*"loaded policy"*) ok "-Z unknown to the policy: one clear line" ;;
	*) bad "-Z unknown to the policy: clear line" "$got" ;; esac
got=$(hutch -q -P -D $R -L system_u:object_r:no_such_t:s0 /bin/true 2>&1); rc=$?
check "-L unknown to the policy: exit 1" "$rc" 1
case "$got" in *"no_such_t"*) ok "-L unknown to the policy: names the label" ;;
	*) bad "-L unknown to the policy: names the label" "$got" ;; esac
check "no reservation left behind by failures" "$(mcs_locks)" ""
check "no mounts left behind" "$(grep -c /srv/rootfs /proc/self/mountinfo)" 0

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
