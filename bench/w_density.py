"""Workload 3 (density: N containers started at once, each `sleep`; time
until all say READY, memory of the launcher's own processes) and the
isolation audit (what each peer's payload really gets, read from the host's
/proc while it runs)."""

import os
import selectors
import signal
import subprocess
import time

from lib import descendants, log, mem_kb, ms, proc_table, summarize
from w_start import tag

PAYLOAD_COMM = "sleep"


def payload(seconds):
    return ["/bin/sh", "-c", f"echo READY; exec sleep {seconds}"]


def spawn_all(peer, root, n, cmd, errf, timeout=120):
    """Start n containers as fast as possible; return (procs, ready offsets
    in ns from the first spawn, None for one that never said READY)."""
    sel = selectors.DefaultSelector()
    procs, ready, bufs = [], [None] * n, [b""] * n
    t0 = time.perf_counter_ns()
    for i in range(n):
        argv, kw, close = peer.cmd(root, cmd, tag("hd"))
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=errf, **kw)
        for fd in close:
            os.close(fd)
        procs.append(p)
        sel.register(p.stdout, selectors.EVENT_READ, i)
    deadline = time.monotonic() + timeout
    left = n
    while left and time.monotonic() < deadline:
        for key, _ in sel.select(0.5):
            i = key.data
            data = os.read(key.fileobj.fileno(), 4096)
            now = time.perf_counter_ns()
            bufs[i] += data
            if b"READY" in bufs[i] or not data:
                if data:
                    ready[i] = now - t0
                sel.unregister(key.fileobj)
                left -= 1
    sel.close()
    return procs, ready


def launcher_memory(procs, settle=5.0):
    """Per container: the launcher's own processes (its whole process tree
    minus the payload and whatever the payload started). READY comes from
    the shell just before it execs sleep: wait until every live container
    shows its `sleep` (or `settle` seconds pass)."""
    deadline = time.monotonic() + settle
    while True:
        table = proc_table()
        missing = [p for p in procs if p.poll() is None and not any(
            table[x][1] == PAYLOAD_COMM for x in descendants(table, p.pid))]
        if not missing or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    out = []
    for p in procs:
        tree = descendants(table, p.pid)
        payload_roots = [x for x in tree if table[x][1] == PAYLOAD_COMM]
        payload_set = set()
        for x in payload_roots:
            payload_set.update(descendants(table, x))
        own = [x for x in tree if x not in payload_set]
        rss = pss = 0
        for x in own:
            r, s = mem_kb(x)
            rss += r
            pss += s
        out.append({"rss_kb": rss, "pss_kb": pss,
                    "procs": sorted(table[x][1] for x in own),
                    "payload_pids": payload_roots})
    return out


def teardown(procs, mem):
    for m in mem:
        for pid in m["payload_pids"]:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    deadline = time.monotonic() + 30
    for p in procs:
        try:
            p.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            # SIGTERM first: the launcher then kills its container and
            # removes its cgroup; SIGKILL to the whole tree only after that
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                for pid in descendants(proc_table(), p.pid):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
                p.wait()
        p.stdout.close()


def density(ctx, peers, n, sleep_s):
    res = {}
    for peer in peers:
        root = peer.prepare(ctx.rootfs, 0)
        errpath = os.path.join(ctx.work.dir, f"density-{peer.name}.err")
        with open(errpath, "wb") as errf:
            log(f"density: {n} x {peer.name}")
            procs, ready = spawn_all(peer, root, n, payload(sleep_s), errf)
            time.sleep(0.2)  # let the launchers settle after the last READY
            mem = launcher_memory(procs)
            teardown(procs, mem)
        ok = [r for r in ready if r is not None]
        with open(errpath, "rb") as f:
            err = f.read(1000).decode(errors="replace")
        res[peer.name] = {
            "n": n, "ready": len(ok),
            "all_ready_ms": ms(max(ok)) if len(ok) == n else None,
            "ready_ms": [ms(r) if r is not None else None for r in ready],
            "ready_summary_ms": summarize([ms(r) for r in ok]),
            "rss_kb": summarize([m["rss_kb"] for m in mem]),
            "pss_kb": summarize([m["pss_kb"] for m in mem]),
            "total_rss_kb": sum(m["rss_kb"] for m in mem),
            "total_pss_kb": sum(m["pss_kb"] for m in mem),
            "own_procs": mem[0]["procs"] if mem else [],
            "stderr": err,
        }
        r = res[peer.name]
        log(f"density: {peer.name}: {len(ok)}/{n} ready, all in "
            f"{r['all_ready_ms'] or float('nan'):.0f} ms, "
            f"RSS/container {r['rss_kb'].get('median', 0):.0f} kB ({', '.join(r['own_procs'])})")
    return {"n": n, "sleep_s": sleep_s, "peers": res}


# ---- isolation audit ------------------------------------------------------------

NS = ["user", "net", "pid", "mnt", "uts", "ipc", "cgroup"]
MASKED = ["kallsyms", "kcore", "keys", "key-users", "timer_list", "sysrq-trigger",
          "kpagecount", "kpageflags", "config.gz", "acpi", "scsi"]


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def _cgroups(pid):
    return {ln.split(":", 2)[1] or "v2": ln.split(":", 2)[2]
            for ln in _read(f"/proc/{pid}/cgroup").splitlines() if ln.count(":") >= 2}


def inspect(pid):
    me = os.getpid()
    a = {"ns_new": [n for n in NS if os.readlink(f"/proc/{pid}/ns/{n}") !=
                    os.readlink(f"/proc/{me}/ns/{n}")]}
    um = _read(f"/proc/{pid}/uid_map").split()
    a["uid_map"] = " ".join(um[:3])
    a["root_is_host_root"] = len(um) >= 2 and um[0] == "0" and um[1] == "0"
    st = dict(ln.split(":", 1) for ln in _read(f"/proc/{pid}/status").splitlines() if ":" in ln)
    a["cap_eff"] = bin(int(st.get("CapEff", "0").strip(), 16)).count("1")
    a["cap_bnd"] = bin(int(st.get("CapBnd", "0").strip(), 16)).count("1")
    a["no_new_privs"] = st.get("NoNewPrivs", "").strip() == "1"
    a["seccomp_filters"] = int(st.get("Seccomp_filters", "0").strip() or 0)
    mine, theirs = _cgroups(me), _cgroups(pid)
    a["own_cgroup"] = sorted(k for k in theirs if theirs[k] != mine.get(k))
    a["cgroup_v2"] = theirs.get("v2")
    mi = [ln.split() for ln in _read(f"/proc/{pid}/mountinfo").splitlines()]
    mounts = {f[4]: f[5].split(",") for f in mi if len(f) > 5}
    a["mounts"] = len(mi)
    a["proc_sys_ro"] = "ro" in mounts.get("/proc/sys", []) or "ro" in mounts.get("/proc", [])
    a["sys"] = ("ro" if "ro" in mounts.get("/sys", []) else "rw") if "/sys" in mounts else "none"
    a["proc_masked"] = [m for m in MASKED if "/proc/" + m in mounts]
    try:
        a["dev_entries"] = len(os.listdir(f"/proc/{pid}/root/dev"))
    except OSError:
        a["dev_entries"] = None
    return a


def audit(ctx, peers):
    res = {}
    for peer in peers:
        root = peer.prepare(ctx.rootfs, 0)
        errpath = os.path.join(ctx.work.dir, f"audit-{peer.name}.err")
        with open(errpath, "wb") as errf:
            procs, ready = spawn_all(peer, root, 1, payload(30), errf, timeout=60)
            mem = launcher_memory(procs)
            pids = mem[0]["payload_pids"] if mem else []
            if ready[0] is not None and pids:
                res[peer.name] = inspect(pids[0])
            teardown(procs, mem)
        if peer.name not in res:
            with open(errpath, "rb") as f:
                err = f.read(300).decode(errors="replace").strip()
            res[peer.name] = {"error": f"payload did not start: {err}"}
        a = res[peer.name]
        log(f"audit: {peer.name}: " + (a["error"] if "error" in a else
            f"ns {','.join(a['ns_new'])}; uid_map {a['uid_map']}; caps {a['cap_bnd']}; "
            f"seccomp {a['seccomp_filters']}; cgroup {','.join(a['own_cgroup']) or 'none'}"))
    return res


RANK_KEYS = ["namespaces", "unprivileged root", "no_new_privs", "caps dropped",
             "seccomp", "own cgroup", "/proc/sys ro", "/proc masks", "/sys ro or absent"]


def isolation_score(a):
    """Per dimension 1 if the peer has it, 0 if not (for "strictly more")."""
    if "error" in a:
        return None
    return {
        "namespaces": len(a["ns_new"]),
        "unprivileged root": int(not a["root_is_host_root"]),
        "no_new_privs": int(a["no_new_privs"]),
        "caps dropped": int(a["cap_bnd"] == 0),
        "seccomp": int(a["seccomp_filters"] > 0),
        "own cgroup": int(bool(a["own_cgroup"])),
        "/proc/sys ro": int(a["proc_sys_ro"]),
        "/proc masks": len(a["proc_masked"]),
        "/sys ro or absent": int(a["sys"] != "rw"),
    }


def strictly_more(a, b):
    """a's isolation >= b's in every dimension and > in at least one."""
    sa, sb = isolation_score(a), isolation_score(b)
    if sa is None or sb is None:
        return None, {}
    worse = [k for k in RANK_KEYS if sa[k] < sb[k]]
    better = [k for k in RANK_KEYS if sa[k] > sb[k]]
    return (not worse and bool(better)), {"worse": worse, "better": better}
