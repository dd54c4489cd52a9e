"""Shared helpers for hutch's benchmarks: statistics, timed runs, process
tables, the work directory. Python 3 standard library only."""

import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def env_int(name, default):
    v = os.environ.get(name, "")
    return int(v) if v.strip() else default


def log(*a):
    print("bench:", *a, file=sys.stderr, flush=True)


# ---- statistics ------------------------------------------------------------

def quantile(xs, q):
    """Linear interpolation between closest ranks (numpy's default)."""
    s = sorted(xs)
    if not s:
        return float("nan")
    pos = (len(s) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def summarize(xs):
    if not xs:
        return {"n": 0}
    return {
        "n": len(xs),
        "median": statistics.median(xs),
        "p10": quantile(xs, 0.10),
        "p90": quantile(xs, 0.90),
        "min": min(xs),
        "max": max(xs),
        "mean": statistics.fmean(xs),
        "stdev": statistics.stdev(xs) if len(xs) > 1 else 0.0,
    }


def ratio_ci(a, b, iters=2000, seed=1):
    """Ratio of medians a/b with a 95% bootstrap interval."""
    if not a or not b:
        return None
    rnd = random.Random(seed)
    point = statistics.median(a) / statistics.median(b)
    rs = []
    for _ in range(iters):
        ma = statistics.median(rnd.choices(a, k=len(a)))
        mb = statistics.median(rnd.choices(b, k=len(b)))
        rs.append(ma / mb)
    return {"ratio": point, "lo": quantile(rs, 0.025), "hi": quantile(rs, 0.975)}


def ms(ns):
    return ns / 1e6


# ---- timed runs ------------------------------------------------------------

class Runner:
    """Runs a command with stdin/stdout on /dev/null and stderr in a scratch
    file (read back only on failure), and times it with perf_counter_ns.
    Every peer is started the same way, so the spawn cost is the same."""

    def __init__(self, work):
        self.errf = tempfile.TemporaryFile(dir=work)

    def run(self, argv, timeout=120, **kw):
        self.errf.seek(0)
        self.errf.truncate()
        t0 = time.perf_counter_ns()
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=self.errf, **kw)
        # Not p.wait(timeout): that polls with sleeps of up to 50 ms and
        # would round every sample up. A blocking wait, and a watchdog.
        dog = threading.Timer(timeout, p.kill)
        dog.start()
        rc = p.wait()
        t1 = time.perf_counter_ns()
        dog.cancel()
        if rc == -signal.SIGKILL and not dog.is_alive():
            rc = "timeout"
        err = ""
        if rc != 0:
            self.errf.seek(0)
            err = self.errf.read(2000).decode(errors="replace")
        return t1 - t0, rc, err


# ---- process tables ----------------------------------------------------------

def proc_table():
    """{pid: (ppid, comm)} for every process."""
    t = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat", "rb") as f:
                s = f.read().decode(errors="replace")
        except OSError:
            continue
        comm = s[s.index("(") + 1:s.rindex(")")]
        ppid = int(s[s.rindex(")") + 2:].split()[1])
        t[int(d)] = (ppid, comm)
    return t


def descendants(table, root):
    kids = {}
    for pid, (ppid, _) in table.items():
        kids.setdefault(ppid, []).append(pid)
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        if p in table:
            out.append(p)
        todo.extend(kids.get(p, []))
    return out


def mem_kb(pid):
    """(VmRSS kB, Pss kB) of a process; (0, 0) if it is gone."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


# ---- work directory and host state ------------------------------------------

class Work:
    """A scratch directory under /var/tmp, the rootfs copies in it, and the
    tmpfs on /run/systemd/nspawn that nspawn needs here (mounted only if not
    there, unmounted at the end)."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="hutch-bench.", dir="/var/tmp")
        os.chmod(self.dir, 0o755)
        self.mounted_nspawn = False
        self.copies = {}

    def copy(self, src, name):
        dst = os.path.join(self.dir, name)
        if name not in self.copies:
            subprocess.run(["cp", "-a", src, dst], check=True)
            self.copies[name] = dst
        return dst

    def remove(self, name):
        p = self.copies.pop(name, None)
        if p:
            shutil.rmtree(p, ignore_errors=True)

    def nspawn_run_dir(self):
        d = "/run/systemd/nspawn"
        os.makedirs(d, exist_ok=True)
        if subprocess.run(["mountpoint", "-q", d]).returncode != 0:
            subprocess.run(["mount", "-t", "tmpfs", "tmpfs", d], check=True)
            self.mounted_nspawn = True

    def cleanup(self):
        if self.mounted_nspawn:
            subprocess.run(["umount", "/run/systemd/nspawn"], stderr=subprocess.DEVNULL)
        shutil.rmtree(self.dir, ignore_errors=True)


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def tool_version(argv):
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=10)
        return (r.stdout or r.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return None
