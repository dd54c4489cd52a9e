#!/usr/bin/env python3
"""Turn `perf script --show-task-events` output of N hutch runs (recorded by
bench/profile.sh) into: a timeline of each run (process events, medians),
CPU time per process role and category (ms per run), the system calls that
cost the most kernel CPU, and the biggest costs overall.

usage: profile_report.py PERF_SCRIPT_OUTPUT [WALL_MS_WITHOUT_PERF]"""

import collections
import re
import statistics
import sys

HDR = re.compile(r"^(\S.*?)\s+(\d+)/(\d+)\s+([\d.]+):\s+(\d+)\s+\S+:\s*$")
TASK = re.compile(r"^(\S.*?)\s+(\d+)/(\d+)\s+([\d.]+):\s+PERF_RECORD_(FORK|EXIT|COMM)(.*)$")
FRAME = re.compile(r"^\s+[0-9a-f]+\s+(.*?)\s+\((.*)\)\s*$")
SYSCALL = re.compile(r"^(?:__(?:x64|ia32|x32)_sys_|__do_sys_|__se_sys_)(\w+)")
USER_DSO = {"libseccomp": "libseccomp (filter compile)", "ld-linux": "dynamic loader",
            "libc.so": "libc", "libcap-ng": "libcap-ng"}


def category(frames):
    """frames: [(sym, dso)] leaf first."""
    if not frames:
        return "unknown"
    sym, dso = frames[0]
    if "kernel" not in dso:
        base = dso.rsplit("/", 1)[-1]
        for k, v in USER_DSO.items():
            if k in base:
                return v
        return "hutch code" if base.startswith("hutch") else f"user: {base}"
    for k, (s, d) in enumerate(frames):
        if "exc_page_fault" in s:
            return "kernel: page faults"
        m = SYSCALL.match(s)
        if m:
            return f"kernel: {m.group(1)}"
        if s == "do_syscall_64" and k > 0:
            # the wrappers are often inlined: name the call after the frame
            # under do_syscall_64 (do_seccomp, __sys_sendmsg, kernel_wait4...)
            return "kernel: " + syscall_name(frames[k - 1][0])
        if s.startswith("ret_from_fork"):
            return "kernel: fork/exit path"
        if "irq" in s and s.startswith(("asm_", "sysvec_")):
            return "kernel: interrupts"
    return "kernel: other"


GROUPS = [
    ("seccomp filter compile (libseccomp, user space)", ("libseccomp",)),
    ("seccomp filter load (kernel: checks, JIT)", ("kernel: seccomp",)),
    ("exec, dynamic loading, page faults", ("dynamic loader", "kernel: page faults",
                                            "kernel: execve", "kernel: mmap", "kernel: mprotect",
                                            "kernel: brk", "kernel: munmap")),
    ("processes and namespaces (clone, clone3, unshare, setns, exit, wait)",
     ("kernel: clone", "kernel: unshare", "kernel: setns", "kernel: exit", "kernel: wait",
      "kernel: fork/exit path")),
    ("mount set-up (open_tree, move_mount, mount_setattr, fs*, openat2, pivot_root, ...)",
     ("kernel: open_tree", "kernel: move_mount", "kernel: mount", "kernel: fsopen",
      "kernel: fsconfig", "kernel: fsmount", "kernel: openat2", "kernel: umount",
      "kernel: pivot_root", "kernel: mkdir", "kernel: symlink", "kernel: mknod",
      "kernel: chdir", "kernel: fchdir", "kernel: chroot")),
    ("IPC between processes (sendmsg, recvmsg, poll, pipes)",
     ("kernel: sendmsg", "kernel: recvmsg", "kernel: poll", "kernel: ppoll", "kernel: read",
      "kernel: write", "kernel: pipe")),
    ("user-space code (hutch, libc, libcap-ng)", ("hutch code", "libc", "libcap-ng")),
]


def group(cat):
    for name, prefixes in GROUPS:
        if cat.startswith(prefixes):
            return name
    return "other kernel work (files, cgroups, proc, ids, signals, ...)" \
        if cat.startswith("kernel") else "other"


def syscall_name(sym):
    sym = sym.split(".")[0]
    for p in ("x64_sys_call", "__x64_sys_", "__do_sys_", "__se_sys_", "ksys_", "__sys_",
              "kernel_", "do_sys_", "do_"):
        if sym.startswith(p) and sym != p:
            return sym[len(p):] or sym
    return sym


class Run:
    def __init__(self, pid, t):
        self.main, self.t0 = pid, t
        self.children = []          # pids forked by main, in order
        self.init = None            # pid that named itself hutch-init
        self.events = {}            # label -> time offset (ms)
        self.exec_t = {}            # pid -> time of exec (payload)

    def ev(self, label, t):
        self.events.setdefault(label, (t - self.t0) * 1000)


def parse(path):
    runs, by_pid = [], {}
    cpu = collections.defaultdict(float)   # (role, category) -> ms
    period_ms = 0.0
    samples = []
    with open(path, errors="replace") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        ln = lines[i]
        m = TASK.match(ln)
        if m:
            comm, pid, _tid, t, kind, rest = m.groups()
            pid, t = int(pid), float(t)
            if kind == "COMM" and "exec:" in rest and comm == "hutch":
                r = Run(pid, t)
                runs.append(r)
                by_pid[pid] = r
            elif kind == "FORK":
                child, parent = [int(x) for x in re.findall(r"\((\d+):\d+\)", rest)[:2]]
                r = by_pid.get(parent)
                if r and parent == r.main:
                    r.children.append(child)
                    by_pid[child] = r
                    n = len(r.children)
                    r.ev(f"fork {n}" + (" (worker)" if n == 1 else ""), t)
                elif r:
                    by_pid[child] = r
            elif kind == "COMM":
                r = by_pid.get(pid)
                if r and "hutch-init" in rest and "exec" not in rest:
                    r.init = pid
                    r.ev("init named itself hutch-init", t)
                elif r and "exec" in rest and pid != r.main:
                    r.exec_t[pid] = t
                    r.ev("payload execve", t)
            elif kind == "EXIT":
                r = by_pid.get(pid)
                if r:
                    if pid == r.main:
                        r.ev("hutch exits", t)
                    elif pid == r.init:
                        r.ev("payload exits", t)
                    elif r.children and pid == r.children[0]:
                        r.ev("worker exits", t)
            i += 1
            continue
        m = HDR.match(ln)
        if not m:
            i += 1
            continue
        comm, pid, _tid, t, period = m.groups()
        pid, t, period = int(pid), float(t), int(period)
        period_ms = period / 1e6  # cpu-clock period is in ns
        frames = []
        i += 1
        while i < len(lines) and lines[i].strip():
            fm = FRAME.match(lines[i])
            if fm:
                frames.append((fm.group(1), fm.group(2)))
            i += 1
        r = by_pid.get(pid)
        if r:
            samples.append((r, pid, t, category(frames)))
    for r in runs:  # name the children once every task event is known
        for n, child in enumerate(r.children[1:], 2):
            what = "container init" if child == r.init else "helper"
            if f"fork {n}" in r.events:
                r.events[f"fork {n} ({what})"] = r.events.pop(f"fork {n}")
    for r, pid, t, cat in samples:  # roles once every task event is known
        cpu[(role(r, pid, t), cat)] += period_ms
    return runs, cpu


def role(r, pid, t):
    if pid == r.main:
        return "main (monitor/broker)"
    if r.children and pid == r.children[0]:
        return "worker"
    if pid in r.exec_t and t >= r.exec_t[pid]:
        return "payload"
    if pid == r.init:
        return "container init"
    return "other child"


def main():
    path = sys.argv[1]
    wall = float(sys.argv[2]) if len(sys.argv) > 2 else None
    runs, cpu = parse(path)
    runs = [r for r in runs if "hutch exits" in r.events]
    n = len(runs)
    if not n:
        print("no complete hutch run in", path)
        return 1
    print(f"### Timeline ({n} runs under perf record; median offset from hutch's exec, ms)\n")
    labels = collections.defaultdict(list)
    for r in runs:
        for k, v in r.events.items():
            labels[k].append(v)
    order = sorted(labels, key=lambda k: statistics.median(labels[k]))
    total = statistics.median(labels["hutch exits"])
    prev, prev_k = 0.0, "hutch execve"
    print("| event | at ms | phase since previous event | phase ms | share |")
    print("|---|---|---|---|---|")
    for k in order:
        v = statistics.median(labels[k])
        print(f"| {k} | {v:.2f} | {prev_k} -> {k} | {v - prev:.2f} | {100 * (v - prev) / total:.0f}% |")
        prev, prev_k = v, k
    if wall:
        print(f"\nUnder perf the run takes {total:.2f} ms; without it {wall:.2f} ms, so "
              f"multiply phase times by about {wall / total:.2f} for undisturbed estimates.")
    print(f"\n### CPU time by process and category (ms per run, {n} runs)\n")
    per_role = collections.defaultdict(float)
    for (ro, _c), v in cpu.items():
        per_role[ro] += v / n
    print("| process | category | ms/run | share of hutch's CPU |")
    print("|---|---|---|---|")
    tot = sum(v for (ro, _c), v in cpu.items() if ro != "payload") / n
    rows = sorted(cpu.items(), key=lambda kv: -kv[1])
    for (ro, c), v in rows:
        if v / n < 0.05:
            continue
        share = "-" if ro == "payload" else f"{100 * v / n / tot:.0f}%"
        print(f"| {ro} | {c} | {v / n:.2f} | {share} |")
    print("\n| process | total CPU ms/run |\n|---|---|")
    for ro, v in sorted(per_role.items(), key=lambda kv: -kv[1]):
        print(f"| {ro} | {v:.2f} |")
    print(f"\nhutch's own CPU (payload excluded): {tot:.2f} ms/run; wall (under perf): "
          f"{total:.2f} ms/run")
    print(f"\n### CPU time by activity (hutch's processes, payload excluded; ms per run)\n")
    acts = collections.defaultdict(float)
    for (ro, c), v in cpu.items():
        if ro != "payload":
            acts[group(c)] += v / n
    print("| activity | ms/run | share |\n|---|---|---|")
    for a, v in sorted(acts.items(), key=lambda kv: -kv[1]):
        print(f"| {a} | {v:.2f} | {100 * v / tot:.0f}% |")
    print("\n### Biggest single costs (process and category, by CPU)\n")
    for k, ((ro, c), v) in enumerate([x for x in rows if x[0][0] != "payload"][:5], 1):
        print(f"{k}. {ro}, {c}: {v / n:.2f} ms/run ({100 * v / n / tot:.0f}% of hutch's CPU)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
