#!/bin/bash
# tests/vm/check-selinux.sh BUILD -- `make check-selinux`: boot the test VM
# with SELinux enforcing hutch's self-contained test policy and run
# tests/vm/selinux-tests.sh inside it. Prints its results and its last line
# "N passed, N failed"; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
make -s -C selinux all test-policy
gcc -static -O2 -Wall -Wextra -Werror -Wno-unused-parameter -o "$BUILD/vmtool" tests/vm/vmtool.c
tests/fixtures/mkrootfs.sh "$BUILD/rootfs"

# The module against the distribution's policy: link it into a copy of the
# installed store (semodule -p: an alternate root) and query the result.
hp=0 hf=0
hcheck() { # NAME COMMAND...
	local name=$1; shift
	if "$@" >/dev/null 2>&1; then echo "ok - $name"; hp=$((hp + 1)); else echo "FAIL - $name"; hf=$((hf + 1)); fi
}
if [ -d /var/lib/selinux/default ] && command -v sesearch >/dev/null; then
	store=$(mktemp -d /tmp/hutch-semod.XXXXXX)
	trap 'rm -rf "$store"' EXIT
	mkdir -p "$store/var/lib/selinux" "$store/etc"
	cp -a /var/lib/selinux/default "$store/var/lib/selinux/"
	cp -a /etc/selinux "$store/etc/"
	pol=$store/etc/selinux/default/policy/policy.33
	hcheck "module links into Debian's reference policy (semodule -i)" \
		semodule -p "$store" -s default -i selinux/hutch.pp
	hcheck "module: executing hutch_exec_t enters hutch_t" \
		grep -q 'type_transition unconfined_t hutch_exec_t:process hutch_t' <(sesearch "$pol" -T -s unconfined_t -t hutch_exec_t)
	hcheck "module: hutch_t may setcon to hutch_worker_t" \
		grep -q 'allow hutch_t hutch_worker_t:process .*dyntransition' <(sesearch "$pol" -A -s hutch_t -t hutch_worker_t -c process)
	hcheck "module: hutch_container_t is MCS-constrained, alias svirt_lxc_net_t" \
		grep -q 'hutch_container_t alias svirt_lxc_net_t.*mcs_constrained_type' <(seinfo "$pol" -t hutch_container_t -x)
	hcheck "module: the worker has no rule to the host's files (etc_t)" \
		test -z "$(sesearch "$pol" -A -s hutch_worker_t -t etc_t -c file -p read)"
else
	echo "(skipped the module checks: selinux-policy-default or setools missing)"
fi

rc=0
tests/vm/run.sh --timeout 480 --policy selinux/test/policy.33 --enforcing --cgroup2 \
	--add "$BUILD/hutch:/usr/bin/hutch" --add "$BUILD/vmtool:/usr/bin/vmtool" \
	--add "$BUILD/rootfs:/srv/rootfs" --add tests/vm/selinux-tests.sh:/selinux-tests.sh \
	-- "HOST_PASS=$hp HOST_FAIL=$hf sh /selinux-tests.sh 2>&1" || rc=$?
if [ "$rc" -ge 124 ]; then
	echo "0 passed, 1 failed (the VM did not run the tests: exit $rc)"
fi
exit "$rc"
