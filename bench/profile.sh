#!/bin/bash
# profile.sh [-n RUNS] [-o FILE] [-- HUTCH-OPTION...] -- where hutch's start time goes.
#
# Runs `hutch -q -P -D ROOTFS [OPTIONS] /bin/true` (default options: the
# full isolation of `make bench`, workload 1) and prints, as markdown:
#   1. the cost of each option: perf stat -r RUNS, wall and CPU time, for the
#      defaults, each option alone, and all of them;
#   2. a timeline of a run (process events: forks, the init naming itself,
#      the payload's exec and exit, exits) and CPU time per process and
#      category (user-space library, or the system call the kernel time was
#      spent in), from `perf record -g` over RUNS runs (bench/profile_report.py);
#   3. system call counts per process kind from `strace -f -c` (counts are
#      exact; strace's times are inflated by ptrace, so only counts are shown).
# Needs root, perf (linux-perf) and strace; makes its own copy of the rootfs.
# perf stat/record work on any kernel perf can sample; no tracefs needed.
set -euo pipefail

RUNS=30 OUT=
while getopts n:o: o; do
	case $o in
	n) RUNS=$OPTARG ;;
	o) OUT=$OPTARG ;;
	*) echo "usage: profile.sh [-n RUNS] [-o FILE] [-- HUTCH-OPTION...]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
SRC_BIN=${HUTCH_BIN:-$TOP/build/hutch}
ROOTFS=${HUTCH_ROOTFS:-$TOP/build/rootfs}
[ "$(id -u)" = 0 ] || { echo "profile.sh: needs root" >&2; exit 1; }
for t in perf strace python3; do
	command -v $t >/dev/null || { echo "profile.sh: $t missing (apt-get install linux-perf strace)" >&2; exit 1; }
done
[ -x "$SRC_BIN" ] && [ -e "$ROOTFS/etc/os-release" ] || {
	echo "profile.sh: run make and make fixtures first" >&2; exit 1; }

WORK=$(mktemp -d /var/tmp/hutch-profile.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
chmod 755 "$WORK"
cp -a "$ROOTFS" "$WORK/rootfs"
cp "$SRC_BIN" "$WORK/hutch"   # a stable copy while others rebuild
HUTCH=$WORK/hutch R=$WORK/rootfs

if [ $# -eq 0 ]; then
	set -- --drop-capability=all --no-new-privileges=yes
	"$HUTCH" --help | grep -q -- --private-network && set -- --private-network "$@"
fi
OPTS=("$@")
[ -n "$OUT" ] && exec > >(tee "$OUT")

run_hutch() { "$HUTCH" -q -P -D "$R" -M "prof$$" "$@" /bin/true; }

# perf stat -r: "wall_ms cpu_ms" (means over RUNS)
stat_cfg() {
	perf stat -r "$RUNS" -x, -e task-clock -o "$WORK/stat" -- \
		"$HUTCH" -q -P -D "$R" -M "prof$$" "$@" /bin/true >/dev/null
	cpu=$(awk -F, '/task-clock/ {print $1}' "$WORK/stat")
	# -x output has no elapsed time: time the same number of runs ourselves
	s=$(date +%s%N)
	for _ in $(seq "$RUNS"); do run_hutch "$@" >/dev/null; done
	e=$(date +%s%N)
	awk -v c="$cpu" -v d=$((e - s)) -v n="$RUNS" 'BEGIN { printf "%.2f %.2f\n", d / n / 1e6, c }'
}

echo "# Where hutch's start time goes"
echo
echo "\`hutch -q -P -D ROOTFS ${OPTS[*]} /bin/true\`, $(uname -r), $(nproc) CPUs," \
	"load average $(cut -d' ' -f1 /proc/loadavg), hutch $(git -C "$TOP" describe --always --dirty 2>/dev/null)."
echo
echo "## 1. Cost of each option ($RUNS runs each, means)"
echo
echo "| options | wall ms | CPU ms (all processes) |"
echo "|---|---|---|"
for _ in 1 2 3; do run_hutch >/dev/null; done   # warm caches
read -r w c < <(stat_cfg)
echo "| (defaults) | $w | $c |"
if [ ${#OPTS[@]} -gt 1 ]; then
	for o in "${OPTS[@]}"; do
		read -r w c < <(stat_cfg "$o")
		echo "| $o | $w | $c |"
	done
fi
read -r FULL_W c < <(stat_cfg "${OPTS[@]}")
echo "| ${OPTS[*]} | $FULL_W | $c |"
echo

echo "## 2. Timeline and CPU profile (perf record -F 5000 -g, $RUNS runs)"
echo
perf record -q -F 5000 -g -o "$WORK/perf.data" -- bash -c '
	for _ in $(seq '"$RUNS"'); do "$0" -q -P -D "$1" -M prof$$ "${@:2}" /bin/true; done' \
	"$HUTCH" "$R" "${OPTS[@]}" >/dev/null 2>"$WORK/perf.err" || { cat "$WORK/perf.err" >&2; exit 1; }
perf script -i "$WORK/perf.data" --show-task-events -F comm,pid,tid,time,period,event,ip,sym,dso \
	>"$WORK/perf.txt" 2>/dev/null
python3 "$HERE/profile_report.py" "$WORK/perf.txt" "$FULL_W"
echo

echo "## 3. System calls of one run (strace -f -c: counts)"
echo
strace -f -c -S calls -o "$WORK/strace.txt" "$HUTCH" -q -P -D "$R" -M "prof$$" "${OPTS[@]}" /bin/true
echo '```'
head -n 27 "$WORK/strace.txt"
grep total "$WORK/strace.txt"
echo '```'
echo
echo "Mount-related calls in that run: $(awk '$NF ~ /^(open_tree|move_mount|mount_setattr|fsopen|fsconfig|fsmount|mount|umount2|pivot_root|openat2)$/ { n += $4 } END { print n + 0 }' "$WORK/strace.txt")"
