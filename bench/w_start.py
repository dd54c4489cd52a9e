"""Workload 1 (start-to-exit of /bin/true, peers interleaved) and
workload 4 (throughput: containers started and finished per second with
several concurrent loops)."""

import itertools
import json
import os
import random
import shlex
import shutil
import subprocess
import threading
import time

from lib import Runner, log, ms, ratio_ci, summarize

PAYLOAD = ["/bin/true"]
_tags = itertools.count()
_tag_lock = threading.Lock()


def tag(prefix="hb"):
    with _tag_lock:
        return f"{prefix}{os.getpid() % 100000}-{next(_tags)}"


def run_peer(runner, peer, root, payload=PAYLOAD):
    argv, kw, close = peer.cmd(root, payload, tag())
    try:
        return runner.run(argv, **kw) + (argv,)
    finally:
        for fd in close:
            os.close(fd)


def start(ctx, peers, runs, warmup):
    """Every iteration runs each peer once, in a fresh random order, so
    drift in machine load hits all peers alike."""
    runner = Runner(ctx.work.dir)
    roots = {p.name: p.prepare(ctx.rootfs, 0) for p in peers}
    res = {p.name: {"samples_ns": [], "failures": [], "argv": None} for p in peers}
    dead = set()
    log(f"start: {len(peers)} peers, {warmup} warm-up + {runs} runs each, interleaved")
    for p in peers:  # warm-up (page cache, first chown/idmap set-up, ...)
        for _ in range(warmup):
            ns, rc, err, argv = run_peer(runner, p, roots[p.name])
            res[p.name]["argv"] = argv
            if rc != 0:
                log(f"start: {p.name} fails (rc {rc}), dropped: {err.strip()[:300]}")
                res[p.name]["failures"].append({"rc": rc, "stderr": err})
                dead.add(p.name)
                break
    rnd = random.Random(42)
    live = [p for p in peers if p.name not in dead]
    for i in range(runs):
        order = live[:]
        rnd.shuffle(order)
        for p in order:
            ns, rc, err, _ = run_peer(runner, p, roots[p.name])
            if rc == 0:
                res[p.name]["samples_ns"].append(ns)
            else:
                res[p.name]["failures"].append({"rc": rc, "stderr": err[:500]})
        if (i + 1) % 10 == 0:
            log(f"start: {i + 1}/{runs}")
    for name, r in res.items():
        r["summary_ms"] = summarize([ms(x) for x in r["samples_ns"]])
    out = {"runs": runs, "warmup": warmup, "payload": PAYLOAD, "peers": res,
           "ratios": ratios(res, "hutch")}
    # Is "hutch <= 0.8 x bwrap" reachable at all for this isolation? The
    # floor's own ratio to bwrap says (bench/floor.c).
    if res.get("floor", {}).get("samples_ns") and res.get("bwrap", {}).get("samples_ns"):
        out["floor_bwrap"] = ratio_ci(res["floor"]["samples_ns"], res["bwrap"]["samples_ns"])
    return out


def ratios(res, base):
    out = {}
    a = res.get(base, {}).get("samples_ns")
    for name, r in res.items():
        if name != base and a and r["samples_ns"]:
            out[name] = ratio_ci(a, r["samples_ns"])
    return out


def _loop(peer, root, deadline, counts, idx, workdir):
    runner = Runner(workdir)
    while time.monotonic() < deadline:
        ns, rc, err, _ = run_peer(runner, peer, root)
        if rc == 0:
            counts[idx][0] += 1
        else:
            counts[idx][1] += 1
            if counts[idx][1] == 1:
                counts[idx][2] = err[:500]


def throughput(ctx, peers, seconds, rounds, loops=2):
    """`loops` threads per peer, each on its own copy of the rootfs, run the
    payload back to back; the time is split into `rounds` slices and the
    peers take turns, so a load change on the host is shared."""
    roots = {p.name: [p.prepare(ctx.rootfs, s) for s in range(loops)] for p in peers}
    slice_s = seconds / rounds
    res = {p.name: {"rounds": [], "ok": 0, "failed": 0, "seconds": 0.0} for p in peers}
    log(f"throughput: {len(peers)} peers x {rounds} rounds x {slice_s:.1f} s, {loops} loops")
    for r in range(rounds):
        order = peers[r % len(peers):] + peers[:r % len(peers)]
        for p in order:
            counts = [[0, 0, ""] for _ in range(loops)]
            t0 = time.monotonic()
            deadline = t0 + slice_s
            th = [threading.Thread(target=_loop, args=(p, roots[p.name][i], deadline,
                                                       counts, i, ctx.work.dir))
                  for i in range(loops)]
            for t in th:
                t.start()
            for t in th:
                t.join()
            el = time.monotonic() - t0  # includes the runs that end after the deadline
            ok = sum(c[0] for c in counts)
            bad = sum(c[1] for c in counts)
            d = res[p.name]
            d["rounds"].append({"ok": ok, "failed": bad, "seconds": el, "per_s": ok / el})
            d["ok"] += ok
            d["failed"] += bad
            d["seconds"] += el
            errs = [c[2] for c in counts if c[2]]
            if errs:
                d["first_error"] = errs[0]
            log(f"throughput: round {r + 1} {p.name}: {ok / el:.1f}/s ({bad} failed)")
    for d in res.values():
        d["per_s"] = d["ok"] / d["seconds"] if d["seconds"] else 0.0
    return {"seconds": seconds, "rounds": rounds, "loops": loops, "payload": PAYLOAD,
            "peers": res}


def hyperfine(ctx, peers, runs, warmup):
    """Cross-check with hyperfine (runs each command's samples back to back,
    not interleaved). Peers that need fds or a pre-exec step are left out."""
    if not shutil.which("hyperfine"):
        return {"skipped": "hyperfine not installed"}
    cmds, names = [], []
    for p in peers:
        argv, kw, close = p.cmd(p.prepare(ctx.rootfs, 0), PAYLOAD, "hbhf-" + p.name)
        for fd in close:
            os.close(fd)
        if kw:
            continue
        cmds.append(shlex.join(argv))
        names.append(p.name)
    out = os.path.join(ctx.work.dir, "hyperfine.json")
    subprocess.run(["hyperfine", "-N", "--style", "none", "--warmup", str(warmup), "--runs",
                    str(runs), "--export-json", out] + cmds, check=False,
                   stdout=subprocess.DEVNULL)
    try:
        with open(out) as f:
            data = json.load(f)
    except (OSError, ValueError):
        return {"skipped": "hyperfine failed"}
    return {n: {"median_ms": r["median"] * 1e3, "mean_ms": r["mean"] * 1e3,
                "stddev_ms": (r.get("stddev") or 0) * 1e3}
            for n, r in zip(names, data["results"])}
