"""The markdown summary (bench/RESULTS.md) from the raw results."""

from w_density import strictly_more

TARGET_BWRAP = 0.8    # hutch median <= 0.8 x bwrap's
TARGET_FLOOR = 1.5    # hutch median <= 1.5 x the bare unshare floor


def f1(x, nd=1):
    return "-" if x is None else f"{x:.{nd}f}"


def ratio_txt(r):
    if not r:
        return "-"
    return f"{r['ratio']:.2f} ({r['lo']:.2f}-{r['hi']:.2f})"


def table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out) + "\n"


def targets(res):
    rows = []
    st = res.get("start")
    if st:
        for peer, limit, what in (("bwrap", TARGET_BWRAP, "start: hutch <= 0.8 x bwrap"),
                                  ("unshare", TARGET_FLOOR, "start: hutch <= 1.5 x unshare floor")):
            r = st["ratios"].get(peer)
            if not r:
                rows.append([what, "not measured", "-"])
                continue
            verdict = "met" if r["hi"] <= limit else ("MISSED" if r["lo"] > limit else
                                                      "borderline (CI spans the limit)")
            rows.append([what, f"{ratio_txt(r)}", verdict])
        fb = st.get("floor_bwrap")
        if fb:
            rows.append(["(reachability) the isolation floor <= 0.8 x bwrap",
                         f"floor/bwrap {ratio_txt(fb)}; hutch/floor "
                         f"{ratio_txt(st['ratios'].get('floor'))}",
                         "reachable" if fb["hi"] <= TARGET_BWRAP else
                         ("unreachable" if fb["lo"] > TARGET_BWRAP else "borderline")])
    au = res.get("audit")
    if au and "hutch" in au and "bwrap" in au:
        ok, d = strictly_more(au["hutch"], au["bwrap"])
        txt = (f"better: {', '.join(d.get('better', [])) or 'none'}; "
               f"worse: {', '.join(d.get('worse', [])) or 'none'}")
        rows.append(["isolation strictly more than bwrap", txt,
                     "met" if ok else ("-" if ok is None else "MISSED")])
    return table(["target", "measured (hutch/peer, 95% CI)", "verdict"], rows)


def start_md(st):
    rows = []
    peers = st["peers"]
    order = sorted(peers, key=lambda n: peers[n]["summary_ms"].get("median", 1e9))
    for n in order:
        s = peers[n]["summary_ms"]
        rows.append([n, f1(s.get("median"), 2), f1(s.get("p10"), 2), f1(s.get("p90"), 2),
                     f1(s.get("min"), 2), ratio_txt(st["ratios"].get(n)) if n != "hutch" else "1",
                     len(peers[n]["failures"])])
    md = (f"/bin/true in the busybox rootfs, {st['runs']} runs per peer after "
          f"{st['warmup']} warm-up runs, peers in a fresh random order every iteration.\n\n" +
          table(["peer", "median ms", "p10", "p90", "min", "hutch/peer (95% CI)",
                 "failures"], rows))
    hf = st.get("hyperfine")
    if hf and "skipped" not in hf:
        md += ("\nhyperfine -N cross-check (each command's runs back to back): " +
               ", ".join(f"{n} {v['median_ms']:.2f} ms" for n, v in hf.items()) + "\n")
    for n, r in peers.items():
        if r["failures"]:
            md += f"\n{n} failed: `{r['failures'][0]['stderr'].strip()[:200]}`\n"
    return md


def audit_md(au):
    rows = []
    for n, a in au.items():
        if "error" in a:
            rows.append([n, a["error"]] + [""] * 10)
            continue
        rows.append([n, " ".join(a["ns_new"]), a["uid_map"],
                     f"{a['cap_eff']}/{a['cap_bnd']}", "yes" if a["no_new_privs"] else "no",
                     a["seccomp_filters"], ",".join(a["own_cgroup"]) or "no",
                     "yes" if a["proc_sys_ro"] else "no", ",".join(a["proc_masked"]) or "none",
                     a["sys"], a["dev_entries"], a["mounts"]])
    return ("Read from the host's /proc while each peer's payload (`sleep`) runs with the "
            "flags used in workload 1.\n\n" +
            table(["peer", "new namespaces", "uid_map (inside host count)", "caps eff/bnd",
                   "NNP", "seccomp filters", "own cgroup (hierarchies)", "/proc/sys ro",
                   "/proc masked", "/sys", "/dev entries", "mounts"], rows))


def boot_md(b):
    rows = []
    for n, r in b["launchers"].items():
        mu, tot = r["multi_user_ms"], r["total_ms"]
        rt = b["ratios"].get(n, {})
        states = sorted(set(r["states"]))
        rows.append([n, f1(mu.get("median")), f1(mu.get("p90")), f1(tot.get("median")),
                     f1(tot.get("p90")), ratio_txt(rt.get("multi_user")) if rt else "1",
                     ratio_txt(rt.get("total")) if rt else "1", ",".join(states),
                     r.get("marker_lost", 0), len(r["failures"])])
    return (f"{b['runs']} boots per launcher, interleaved; each launcher on its own copy "
            "of the tree.\n\n" +
            table(["launcher", "multi-user median ms", "p90", "to exit median ms", "p90",
                   "hutch/x multi-user", "hutch/x to exit", "states", "marker lost",
                   "failures"], rows) +
            "\n\"marker lost\": the container booted and powered off (exit 0; only the marker "
            "unit powers off) but its console line never reached us; such runs count for "
            "\"to exit\" only.\n")


def density_md(d):
    rows = []
    for n, r in d["peers"].items():
        rows.append([n, f"{r['ready']}/{r['n']}", f1(r["all_ready_ms"], 0),
                     f1(r["ready_summary_ms"].get("median"), 0),
                     f1(r["rss_kb"].get("median"), 0), f1(r["pss_kb"].get("median"), 0),
                     f"{r['total_rss_kb'] / 1024:.1f} / {r['total_pss_kb'] / 1024:.1f}",
                     " + ".join(r["own_procs"]) or "-"])
    return (f"{d['n']} containers started at once, payload `sh -c 'echo READY; exec sleep 30'`. "
            "Memory is the launcher's own processes per container (the payload excluded).\n\n" +
            table(["peer", "ready", "all ready ms", "median ready ms",
                   "own RSS kB/container", "own Pss kB/container", "total RSS / Pss MiB",
                   "own processes"], rows))


def throughput_md(t):
    rows = []
    for n, r in t["peers"].items():
        per = ", ".join(f"{x['per_s']:.1f}" for x in r["rounds"])
        rows.append([n, f1(r["per_s"]), per, r["ok"], r["failed"]])
    base = t["peers"].get("hutch", {}).get("per_s")
    note = ""
    if base:
        note = "\nhutch/peer: " + ", ".join(
            f"{n} {base / r['per_s']:.2f}" for n, r in t["peers"].items()
            if n != "hutch" and r["per_s"]) + "\n"
    return (f"{t['loops']} concurrent loops of /bin/true per peer, {t['seconds']} s per peer "
            f"in {t['rounds']} interleaved rounds.\n\n" +
            table(["peer", "containers/s", "per round", "ok", "failed"], rows) + note)


def markdown(res, raw_path):
    m = res["meta"]
    out = ["# hutch benchmark results\n",
           f"{m['date']}, kernel {m['kernel']}, {m['cpus']} CPUs, load average "
           f"{m['loadavg_start'][0]:.2f} at start / {m.get('loadavg_end', [0])[0]:.2f} at end; "
           f"hutch {m['hutch_git']} (sha256 {m['hutch_sha256']}), --private-network "
           f"{'used' if m.get('hutch_private_network') else 'NOT available (no network namespace)'}."
           f" Raw samples: `{raw_path}`. Generated by `make bench` (bench/run.py); what each "
           "peer does and does not isolate: bench/README.md.\n"]
    if m["loadavg_start"][0] > 0.5:
        out.append("**The host was busy when this ran (load average above 0.5): absolute "
                   "numbers are noisy; the interleaved ratios are the robust part.**\n")
    if res["skipped"]:
        out.append("Skipped: " + "; ".join(f"{k} ({v})" for k, v in res["skipped"].items()) + "\n")
    out.append("## Targets\n\n" + targets(res))
    sections = (("start", "1. Start to exit", start_md), ("audit", "Isolation audit", audit_md),
                ("boot", "2. Boot to multi-user.target and power off", boot_md),
                ("density", "3. Density", density_md),
                ("throughput", "4. Throughput", throughput_md))
    for key, title, fn in sections:
        if res.get(key):
            out.append(f"## {title}\n\n" + fn(res[key]))
    return "\n".join(out)

