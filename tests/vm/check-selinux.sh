#!/bin/bash
# tests/vm/check-selinux.sh BUILD -- `make check-selinux`: link hutch.pp into
# a copy of the host's reference policy store and query it, boot the test VM
# with SELinux enforcing that policy (tests/vm/selinux-refpol-tests.sh), then
# again with hutch's self-contained CIL test policy (tests/vm/selinux-tests.sh).
# Prints the results and a last line "N passed, N failed" over all three;
# exits non-zero on any failure.
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
	hcheck "module: the worker may open no host file (etc_t), only read fds it is handed" \
		test -z "$(sesearch "$pol" -A -s hutch_worker_t -t etc_t -c file -p open)"
	hcheck "module: the worker may not even read shadow_t through a handed fd" \
		test -z "$(sesearch "$pol" -A -s hutch_worker_t -t shadow_t -c file -p read)"
	hcheck "module: neither worker nor container is an unconfined domain" \
		test -z "$({ seinfo "$pol" -t hutch_worker_t -x; seinfo "$pol" -t hutch_container_t -x; } | grep unconfined)"

	# The real module, enforcing, in the VM: the reference policy with
	# hutch.pp linked in, the guest labelled by its file_contexts.
	fc=$store/etc/selinux/default/contexts/files/file_contexts
	out=$store/refpol.out
	set +e
	tests/vm/run.sh --timeout 300 --policy "$pol" --enforcing --cgroup2 \
		--add "$BUILD/hutch:/usr/bin/hutch" --add "$BUILD/vmtool:/usr/bin/vmtool" \
		--add "$BUILD/rootfs:/var/lib/hutch/rootfs" --add "$BUILD/vmtool:/var/lib/hutch/rootfs/vmtool" \
		--add "$fc:/etc/hutch-fc" --add "$fc.subs_dist:/etc/hutch-fc.subs_dist" \
		--add tests/vm/selinux-refpol-tests.sh:/selinux-refpol-tests.sh \
		-- "sh /selinux-refpol-tests.sh 2>&1" >"$out"
	set -e
	sed '$d' "$out"
	last=$(tail -1 "$out")
	case "$last" in
	*" passed, "*" failed")
		hp=$((hp + ${last%% passed*})); f=${last#*passed, }; hf=$((hf + ${f%% failed*})) ;;
	*) echo "$last"; echo "FAIL - the reference-policy VM ran to its end"; hf=$((hf + 1)) ;;
	esac
else
	echo "(skipped the module checks and its VM: selinux-policy-default or setools missing)"
fi

# The self-contained CIL test policy: -Z/-L errors, --selinux-relabel
# details and the other cases the reference-policy run does not repeat.
rc=0
tests/vm/run.sh --timeout 300 --policy selinux/test/policy.33 --enforcing --cgroup2 \
	--add "$BUILD/hutch:/usr/bin/hutch" --add "$BUILD/vmtool:/usr/bin/vmtool" \
	--add "$BUILD/rootfs:/srv/rootfs" --add tests/vm/selinux-tests.sh:/selinux-tests.sh \
	-- "HOST_PASS=$hp HOST_FAIL=$hf sh /selinux-tests.sh 2>&1" || rc=$?
if [ "$rc" -ge 124 ]; then
	echo "$hp passed, $((hf + 1)) failed (the VM did not run the tests: exit $rc)"
fi
exit "$rc"
