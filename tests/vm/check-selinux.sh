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
rc=0
tests/vm/run.sh --timeout 480 --policy selinux/test/policy.33 --enforcing \
	--add "$BUILD/hutch:/usr/bin/hutch" --add "$BUILD/vmtool:/usr/bin/vmtool" \
	--add "$BUILD/rootfs:/srv/rootfs" --add tests/vm/selinux-tests.sh:/selinux-tests.sh \
	-- 'sh /selinux-tests.sh 2>&1' || rc=$?
if [ "$rc" -ge 124 ]; then
	echo "0 passed, 1 failed (the VM did not run the tests: exit $rc)"
fi
exit "$rc"
