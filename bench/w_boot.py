"""Workload 2: boot the debootstrap'd Debian tree to multi-user.target and
power off. The tree's hutch-boot-test.service (tests/fixtures/mkdebian.sh)
prints HUTCH-BOOT-REACHED-<state> on /dev/console once
`systemctl is-system-running --wait` returns, then runs `systemctl poweroff`.
Each launcher boots its own copy (made once, reused, removed at the end)."""

import os
import random
import subprocess
import time

from lib import log, ms, ratio_ci, summarize

MARK = b"HUTCH-BOOT-REACHED-"


def launchers(hutch_bin):
    ns = ["systemd-nspawn", "-q", "-b", "--register=no", "--keep-unit",
          "--console=read-only"]
    return {
        # read-only console: systemd's console output (and the marker) reach
        # our stdout; hutch's default user namespace is on
        "hutch": lambda root, tag: [hutch_bin, "-q", "-b", "-D", root, "-M", tag,
                                    "--console=read-only"],
        "nspawn": lambda root, tag: ns + ["-D", root, "-M", tag],
        "nspawn -U": lambda root, tag: ns + ["-U", "-D", root, "-M", tag],
    }


def cgroup_roots():
    """Where a cgroup of our own goes: the v2 root, or on a hybrid host the
    unified and the name=systemd hierarchies."""
    if os.path.exists("/sys/fs/cgroup/cgroup.procs"):
        return ["/sys/fs/cgroup"]
    return [d for d in ("/sys/fs/cgroup/unified", "/sys/fs/cgroup/systemd")
            if os.path.exists(d + "/cgroup.procs")]


class Scope:
    """A fresh cgroup for one nspawn run, standing in for the scope unit
    systemd would give it: with --keep-unit and no systemd on the host,
    nspawn -U otherwise stays in the root cgroup, cannot hand it to the
    container's root, and the container's systemd fails to start."""

    def __init__(self, tag):
        self.dirs = [f"{r}/hutch-bench/{tag}" for r in cgroup_roots()]
        for d in self.dirs:
            os.makedirs(d, exist_ok=True)

    def enter(self):  # preexec_fn: runs in the child before exec
        for d in self.dirs:
            with open(d + "/cgroup.procs", "w") as f:
                f.write(str(os.getpid()))

    def remove(self):
        for d in self.dirs:
            for _ in range(50):
                for sub, _dirs, _files in sorted(os.walk(d), key=lambda x: -len(x[0])):
                    try:
                        os.rmdir(sub)
                    except OSError:
                        pass
                if not os.path.exists(d):
                    break
                time.sleep(0.1)


def boot_once(argv, timeout, scope=None):
    """(total ns, ns until the marker or None, state, rc, output tail)."""
    kw = {"preexec_fn": scope.enter} if scope else {}
    t0 = time.perf_counter_ns()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, **kw)
    out, t_mark = b"", None
    deadline = time.monotonic() + timeout
    fd = p.stdout.fileno()
    while True:
        if time.monotonic() > deadline:
            p.kill()
            break
        data = os.read(fd, 65536)
        if not data:
            break
        out += data
        if t_mark is None and MARK in out:
            t_mark = time.perf_counter_ns() - t0
    rc = p.wait()
    total = time.perf_counter_ns() - t0
    p.stdout.close()
    state = None
    i = out.find(MARK)
    if i >= 0:
        state = out[i + len(MARK):].split(b"\n")[0].strip().decode(errors="replace")
    return total, t_mark, state, rc, out[-1500:].decode(errors="replace")


def boot(ctx, names, runs, timeout=120):
    all_l = launchers(ctx.hutch_bin)
    roots = {}
    for n in names:
        key = "boot-" + n.replace(" ", "")
        roots[n] = ctx.work.copy(ctx.debian, key)
        for m in ("hutch-boot-test-enabled", "hutch-boot-test-poweroff"):
            open(os.path.join(roots[n], "etc", m), "w").close()
    res = {n: {"total_ns": [], "multi_user_ns": [], "states": [], "failures": [],
               "marker_lost": 0,
               "argv": all_l[n](roots[n], "bench-boot")} for n in names}
    rnd = random.Random(7)
    log(f"boot: {len(names)} launchers x {runs} boots, interleaved")
    for i in range(runs):
        order = names[:]
        rnd.shuffle(order)
        for n in order:
            tag = f"hbboot{os.getpid() % 100000}-{i}-{n.replace(' ', '')}"
            scope = Scope(tag) if n.startswith("nspawn") else None
            try:
                total, mark, state, rc, tail = boot_once(all_l[n](roots[n], tag), timeout, scope)
            finally:
                if scope:
                    scope.remove()
            r = res[n]
            # Only the marker unit powers off, so exit status 0 means the
            # boot reached multi-user.target even if the marker line was
            # lost on the way (seen now and then with nspawn's read-only
            # console forwarding); such a run counts for "to exit" only.
            if rc == 0:
                r["total_ns"].append(total)
            if rc == 0 and mark is not None:
                r["multi_user_ns"].append(mark)
                r["states"].append(state)
            elif rc == 0:
                r["marker_lost"] += 1
            else:
                r["failures"].append({"rc": rc, "marker": mark is not None, "tail": tail})
                log(f"boot: {n} run {i}: rc {rc}, marker {'seen' if mark else 'missing'}")
        log(f"boot: {i + 1}/{runs}")
    for r in cgroup_roots():
        try:
            os.rmdir(r + "/hutch-bench")
        except OSError:
            pass
    for n in names:
        ctx.work.remove("boot-" + n.replace(" ", ""))
        r = res[n]
        r["total_ms"] = summarize([ms(x) for x in r["total_ns"]])
        r["multi_user_ms"] = summarize([ms(x) for x in r["multi_user_ns"]])
    ratios = {}
    if "hutch" in res:
        for n in names:
            if n != "hutch" and res[n]["total_ns"] and res["hutch"]["total_ns"]:
                ratios[n] = {"total": ratio_ci(res["hutch"]["total_ns"], res[n]["total_ns"]),
                             "multi_user": ratio_ci(res["hutch"]["multi_user_ns"],
                                                    res[n]["multi_user_ns"])}
    return {"runs": runs, "launchers": res, "ratios": ratios}
