#!/usr/bin/env python3
"""hutch side by side with its peers. Usage:

    bench/run.py [audit] [start] [boot] [density] [throughput]   (default: all)

Environment (all optional):
  BENCH_RUNS=50 BENCH_WARMUP=5   start-to-exit runs per peer (interleaved)
  BENCH_BOOT_RUNS=10             boots per launcher
  BENCH_DENSITY=50               concurrent containers
  BENCH_SECONDS=30 BENCH_ROUNDS=3 BENCH_LOOPS=2   throughput per peer
  BENCH_PEERS=hutch,bwrap,...    restrict the peers
  BENCH_HYPERFINE=1              also time workload 1 with hyperfine -N (not
                                 interleaved: a cross-check of the medians)
  HUTCH_BIN=build/hutch HUTCH_ROOTFS=build/rootfs
  HUTCH_BASE_BIN=/path/to/hutch  workload 1 also runs this other build as
                                 "hutch-base" (before/after, interleaved)
  HUTCH_DEBIAN=/var/cache/hutch-tests/debian-bookworm
  BENCH_OUT=bench/results        raw samples: <dir>/<date>.json
  BENCH_SUMMARY=bench/RESULTS.md

Needs root. Installs nothing; a peer that is not installed is skipped and
the report says so (apt-get install -y bubblewrap systemd-container runc
firejail). Nothing here asserts absolute times: it measures and reports."""

import datetime
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import peers as P  # noqa: E402
import report  # noqa: E402
import w_boot  # noqa: E402
import w_density  # noqa: E402
import w_start  # noqa: E402
from lib import TOP, Work, env_int, loadavg, log, tool_version  # noqa: E402

WORKLOADS = ["audit", "start", "boot", "density", "throughput"]
PEERS_FOR = {
    "audit": P.ALL,
    "start": P.ALL + ["hutch-base"],
    "density": ["hutch", "bwrap", "nspawn-ro", "runc"],
    "throughput": ["hutch", "bwrap", "nspawn"],
}


def meta(hutch_src, hutch_bin):
    rev = subprocess.run(["git", "-C", TOP, "describe", "--always", "--dirty"],
                         capture_output=True, text=True).stdout.strip()
    with open(hutch_bin, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()[:16]
    return {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "kernel": platform.release(), "cpus": os.cpu_count(),
        "loadavg_start": loadavg(), "hutch_git": rev, "hutch_sha256": sha,
        "hutch_src": hutch_src,
        "versions": {
            "bwrap": tool_version(["bwrap", "--version"]),
            "systemd-nspawn": tool_version(["systemd-nspawn", "--version"]),
            "runc": tool_version(["runc", "--version"]),
            "firejail": tool_version(["firejail", "--version"]),
            "unshare": tool_version(["unshare", "--version"]),
        },
        "env": {k: v for k, v in os.environ.items() if k.startswith(("BENCH_", "HUTCH_"))},
    }


def pick_peers(ctx, names, skipped):
    want = os.environ.get("BENCH_PEERS")
    want = set(want.split(",")) if want else None
    out = []
    for n in names:
        base = {"nspawn-ro": "nspawn", "hutch-defaults": "hutch"}.get(n, n)
        if want and base not in want and n not in want:
            continue
        if n == "hutch-base" and not ctx.base_bin:
            continue
        p = P.make(n, ctx.work, ctx.hutch_bin, ctx.base_bin)
        ok, why = p.available()
        if not ok:
            skipped[n] = why
            continue
        if p.needs_nspawn_run:
            ctx.work.nspawn_run_dir()
        out.append(p)
    return out


def main(argv):
    todo = [a for a in argv if a in WORKLOADS] or WORKLOADS
    bad = [a for a in argv if a not in WORKLOADS]
    if bad:
        print(__doc__, file=sys.stderr)
        return 2
    if os.geteuid() != 0:
        print("bench/run.py: needs root", file=sys.stderr)
        return 1
    hutch_src = os.path.abspath(os.environ.get("HUTCH_BIN", f"{TOP}/build/hutch"))
    rootfs = os.path.abspath(os.environ.get("HUTCH_ROOTFS", f"{TOP}/build/rootfs"))
    debian = os.environ.get("HUTCH_DEBIAN", "/var/cache/hutch-tests/debian-bookworm")
    for path, what in ((hutch_src, "make"), (rootfs + "/etc/os-release", "make fixtures")):
        if not os.path.exists(path):
            print(f"bench/run.py: {path} missing: run `{what}`", file=sys.stderr)
            return 1
    work = Work()
    try:
        # A private copy of the binary: other people's `make` during a long
        # run must not change what is measured.
        hutch_bin = os.path.join(work.dir, "hutch")
        shutil.copy2(hutch_src, hutch_bin)
        base_bin = None
        if os.environ.get("HUTCH_BASE_BIN"):
            base_bin = os.path.join(work.dir, "hutch-base")
            shutil.copy2(os.environ["HUTCH_BASE_BIN"], base_bin)
        ctx = types.SimpleNamespace(work=work, hutch_bin=hutch_bin, rootfs=rootfs,
                                    debian=debian, base_bin=base_bin)
        res = {"meta": meta(hutch_src, hutch_bin), "skipped": {}}
        probe = P.make("hutch", work, hutch_bin)
        res["meta"]["hutch_private_network"] = probe.private_network
        if not probe.private_network:
            log("hutch has no --private-network yet: it runs without a network namespace")
        for w in todo:
            res[w] = run_workload(w, ctx, res["skipped"], debian)
        res["meta"]["loadavg_end"] = loadavg()
    finally:
        work.cleanup()
    out_dir = os.environ.get("BENCH_OUT", f"{TOP}/bench/results")
    os.makedirs(out_dir, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y-%m-%dT%H%M%S")
    raw = os.path.join(out_dir, f"{stamp}.json")
    with open(raw, "w") as f:
        json.dump(res, f, indent=1)
    md = report.markdown(res, os.path.relpath(raw, TOP))
    summary = os.environ.get("BENCH_SUMMARY", f"{TOP}/bench/RESULTS.md")
    with open(summary, "w") as f:
        f.write(md)
    print(md)
    log(f"raw samples: {raw}; summary: {summary}")
    return 0


def run_workload(w, ctx, skipped, debian):
    if w == "boot":
        names = ["hutch"]
        if shutil.which("systemd-nspawn"):
            ctx.work.nspawn_run_dir()
            names += ["nspawn", "nspawn -U"]
        else:
            skipped["nspawn (boot)"] = "systemd-nspawn not installed"
        if not os.path.exists(os.path.join(debian, ".hutch-debian-ok")):
            skipped["boot"] = f"no Debian tree at {debian} (tests/fixtures/mkdebian.sh)"
            return None
        return w_boot.boot(ctx, names, env_int("BENCH_BOOT_RUNS", 10))
    peers = pick_peers(ctx, PEERS_FOR[w], skipped)
    if w == "audit":
        return w_density.audit(ctx, peers)
    if w == "start":
        r = w_start.start(ctx, peers, env_int("BENCH_RUNS", 50), env_int("BENCH_WARMUP", 5))
        if os.environ.get("BENCH_HYPERFINE") == "1":
            r["hyperfine"] = w_start.hyperfine(ctx, peers, env_int("BENCH_RUNS", 50),
                                               env_int("BENCH_WARMUP", 5))
        return r
    if w == "density":
        return w_density.density(ctx, peers, env_int("BENCH_DENSITY", 50), 30)
    if w == "throughput":
        return w_start.throughput(ctx, peers, env_int("BENCH_SECONDS", 30),
                                  env_int("BENCH_ROUNDS", 3), env_int("BENCH_LOOPS", 2))
    raise ValueError(w)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
