"""The launchers compared with hutch, each configured as close to hutch's
full isolation as it can be (bench/README.md says what each does and does
not do). A peer's cmd(root, payload, tag) returns (argv, popen kwargs, fds
to close after the spawn); tag is unique per container (names, ids)."""

import copy
import ctypes
import hashlib
import json
import os
import shutil
import stat
import struct
import subprocess

# Deny-list used where a peer takes a seccomp policy from us (bwrap-eq, runc):
# the calls hutch denies on top of nspawn's allowlist, plus TIOCSTI/TIOCLINUX.
DENY = {  # name: (x86_64 nr, i386 nr)
    "add_key": (248, 286), "request_key": (249, 287), "keyctl": (250, 288),
    "perf_event_open": (298, 336), "open_by_handle_at": (304, 342),
    "bpf": (321, 357), "userfaultfd": (323, 374),
    "io_uring_setup": (425, 425), "io_uring_enter": (426, 426),
    "io_uring_register": (427, 427),
}
IOCTL = (16, 54)
TIOCSTI, TIOCLINUX = 0x5412, 0x541C
RUNC_ID_BASE = 0x71000000  # above nspawn's and hutch's pick windows and worker uids


def denylist_bpf():
    """A classic-BPF seccomp program (what bwrap --seccomp FD reads):
    x86_64 and i386 checked, x32 denied, the DENY calls and the two ioctls
    (low 32 bits of the request) fail with EPERM, other arches are killed."""
    LD, JEQ, JGE, RET = 0x20, 0x15, 0x35, 0x06
    ALLOW, ERRNO_EPERM, KILL = 0x7FFF0000, 0x00050001, 0x80000000
    prog, fix = [], []  # fix: (index, jt label, jf label)

    def ins(code, k, jt=None, jf=None):
        prog.append([code, 0, 0, k])
        if jt or jf:
            fix.append((len(prog) - 1, jt, jf))

    labels = {}
    for arch, (audit, idx) in (("64", (0xC000003E, 0)), ("32", (0x40000003, 1))):
        labels["arch" + arch] = len(prog)
        ins(LD, 4)
        ins(JEQ, audit, None, "arch32" if arch == "64" else "kill")
        ins(LD, 0)
        if arch == "64":
            ins(JGE, 0x40000000, "deny", None)
        for nrs in DENY.values():
            ins(JEQ, nrs[idx], "deny", None)
        ins(JEQ, IOCTL[idx], None, "allow")
        ins(LD, 24)
        ins(JEQ, TIOCSTI, "deny", None)
        ins(JEQ, TIOCLINUX, "deny", "allow")
    labels["allow"] = len(prog)
    ins(RET, ALLOW)
    labels["deny"] = len(prog)
    ins(RET, ERRNO_EPERM)
    labels["kill"] = len(prog)
    ins(RET, KILL)
    for i, jt, jf in fix:
        prog[i][1] = labels[jt] - i - 1 if jt else 0
        prog[i][2] = labels[jf] - i - 1 if jf else 0
    return b"".join(struct.pack("=HBBI", *p) for p in prog)


def runc_seccomp():
    arg = lambda v: {"index": 1, "value": v, "op": "SCMP_CMP_EQ"}  # noqa: E731
    return {"defaultAction": "SCMP_ACT_ALLOW",
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            "syscalls": [{"names": sorted(DENY), "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
                         {"names": ["ioctl"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
                          "args": [arg(TIOCSTI)]},
                         {"names": ["ioctl"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
                          "args": [arg(TIOCLINUX)]}]}


class Peer:
    name = binary = None
    needs_nspawn_run = False

    def __init__(self, work):
        self.work = work

    def available(self):
        if not shutil.which(self.binary):
            return False, f"{self.binary} not installed"
        return True, ""

    def prepare(self, rootfs, slot):
        """The peer's own copy of the rootfs for this slot (one per loop)."""
        return self.work.copy(rootfs, f"{self.name}-{slot}")

    def cmd(self, root, payload, tag):
        return self.argv(root, payload, tag), {}, []


class Hutch(Peer):
    name = "hutch"

    def __init__(self, work, binary):
        super().__init__(work)
        self.binary = binary
        help_text = subprocess.run([binary, "--help"], capture_output=True, text=True).stdout
        self.private_network = "--private-network" in help_text

    def argv(self, root, payload, tag):
        net = ["--private-network"] if self.private_network else []
        return ([self.binary, "-q", "-P", "-D", root, "-M", tag] + net +
                ["--drop-capability=all", "--no-new-privileges=yes"] + payload)


class HutchDefaults(Hutch):
    """hutch with no isolation flags (no network namespace, nspawn's
    capability set): shows what the flags cost."""
    name = "hutch-defaults"

    def argv(self, root, payload, tag):
        return [self.binary, "-q", "-P", "-D", root, "-M", tag] + payload


class HutchBase(Hutch):
    """Another hutch build (HUTCH_BASE_BIN, e.g. main's) with the workload-1
    flags, interleaved with this one: a before/after under equal load."""
    name = "hutch-base"


class Bwrap(Peer):
    name, binary = "bwrap", "bwrap"

    def argv(self, root, payload, tag):
        return (["bwrap", "--unshare-all", "--die-with-parent", "--new-session",
                 "--cap-drop", "ALL", "--bind", root, "/", "--proc", "/proc",
                 "--dev", "/dev"] + payload)


class BwrapEq(Bwrap):
    """bwrap with what it can add to get close to hutch's set-up."""
    name = "bwrap-eq"
    MASK = ["kallsyms", "keys", "key-users", "timer_list", "kpagecount",
            "kpageflags", "kpagecgroup", "config.gz", "sysrq-trigger"]

    def prepare(self, rootfs, slot):
        self.bpf = os.path.join(self.work.dir, "bwrap-seccomp.bpf")
        with open(self.bpf, "wb") as f:
            f.write(denylist_bpf())
        return super().prepare(rootfs, slot)

    def cmd(self, root, payload, tag):
        fd = os.open(self.bpf, os.O_RDONLY)  # bwrap reads it to EOF: one per run
        masks = []
        for p in self.MASK:
            if os.path.exists("/proc/" + p):
                masks += ["--ro-bind", "/dev/null", "/proc/" + p]
        argv = (["bwrap", "--unshare-all", "--die-with-parent", "--new-session",
                 "--cap-drop", "ALL", "--hostname", tag, "--bind", root, "/",
                 "--proc", "/proc"] + masks +
                ["--dev", "/dev", "--ro-bind", "/sys", "/sys", "--tmpfs", "/tmp",
                 "--tmpfs", "/run", "--seccomp", str(fd)] + payload)
        return argv, {"pass_fds": (fd,)}, [fd]


class Nspawn(Peer):
    name, binary = "nspawn", "systemd-nspawn"
    needs_nspawn_run = True
    extra = ["-U", "--private-network", "--drop-capability=all", "--no-new-privileges=yes"]

    def argv(self, root, payload, tag):
        return (["systemd-nspawn", "-q", "--register=no", "--keep-unit",
                 "--console=pipe"] + self.extra + ["-D", root, "-M", tag] + payload)


class NspawnRO(Nspawn):
    """For concurrent containers on one tree: nspawn locks a writable tree
    exclusively, a read-only one shared."""
    name = "nspawn-ro"
    extra = Nspawn.extra + ["--read-only"]


class Runc(Peer):
    name, binary = "runc", "runc"

    def prepare(self, rootfs, slot):
        key = f"runc-{slot}"
        if key not in self.work.copies:
            root = self.work.copy(rootfs, key)
            shift_ownership(root, RUNC_ID_BASE)
        self.bundles = {}
        spec_dir = os.path.join(self.work.dir, "runc-spec")
        if not os.path.exists(spec_dir + "/config.json"):
            os.makedirs(spec_dir, exist_ok=True)
            subprocess.run(["runc", "spec"], cwd=spec_dir, check=True)
        with open(spec_dir + "/config.json") as f:
            self.spec = json.load(f)
        return self.work.copies[key]

    def bundle(self, root, payload):
        key = hashlib.sha1(json.dumps([root, payload]).encode()).hexdigest()[:12]
        b = os.path.join(self.work.dir, "runc-bundle-" + key)
        if not os.path.exists(b):
            c = copy.deepcopy(self.spec)
            c["root"] = {"path": root, "readonly": False}
            c["hostname"] = "runc"
            p = c["process"]
            p.update(args=payload, terminal=False, noNewPrivileges=True)
            p["capabilities"] = {k: [] for k in p["capabilities"]}
            lx = c["linux"]
            lx["namespaces"] += [{"type": "user"}, {"type": "cgroup"}]
            m = [{"containerID": 0, "hostID": RUNC_ID_BASE, "size": 65536}]
            lx["uidMappings"], lx["gidMappings"] = m, m
            lx["seccomp"] = runc_seccomp()
            os.makedirs(b)
            with open(b + "/config.json", "w") as f:
                json.dump(c, f, indent=1)
        return b

    def argv(self, root, payload, tag):
        return ["runc", "run", "--bundle", self.bundle(root, payload), tag]


class Firejail(Peer):
    """Debian's firejail.config disables --chroot; the config with chroot
    enabled is bind-mounted over it in a private mount namespace made for
    firejail alone (preexec_fn), so the host's file is never changed."""
    name, binary = "firejail", "firejail"
    CFG = "/etc/firejail/firejail.config"

    def prepare(self, rootfs, slot):
        self.cfg = os.path.join(self.work.dir, "firejail.config")
        lines = []
        if os.path.exists(self.CFG):
            with open(self.CFG) as f:
                lines = [ln for ln in f if ln.strip() and not ln.lstrip().startswith("#")
                         and not ln.startswith("chroot ")]
        with open(self.cfg, "w") as f:
            f.writelines(lines + ["chroot yes\n"])
        return super().prepare(rootfs, slot)

    def _preexec(self):
        libc = ctypes.CDLL(None, use_errno=True)
        MS_REC, MS_PRIVATE, MS_BIND, CLONE_NEWNS = 0x4000, 0x40000, 0x1000, 0x20000
        if (libc.unshare(CLONE_NEWNS) or
                libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None) or
                libc.mount(self.cfg.encode(), self.CFG.encode(), None, MS_BIND, None)):
            os._exit(99)

    def cmd(self, root, payload, tag):
        argv = (["firejail", "--quiet", "--noprofile", f"--chroot={root}", "--net=none",
                 "--caps.drop=all", "--seccomp", "--nonewprivs", "--ipc-namespace",
                 "--private-dev", f"--hostname={tag}"] + payload)
        return argv, {"preexec_fn": self._preexec}, []


class Floor(Peer):
    """bench/floor.c: workload 1's kernel work and nothing else, one static
    process (no parsing, policy, privilege separation or checks): what the
    isolation itself costs, the yardstick for hutch's own overhead."""
    name = "floor"

    def __init__(self, work):
        super().__init__(work)
        self.binary = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                   "build", "bench-floor")

    def available(self):
        if not os.access(self.binary, os.X_OK):
            return False, f"{self.binary} not built (make build/bench-floor)"
        return True, ""

    def argv(self, root, payload, tag):
        return [self.binary, root] + payload


class Unshare(Peer):
    """The floor: namespaces, chroot and a /proc, nothing else."""
    name, binary = "unshare", "unshare"

    def argv(self, root, payload, tag):
        return ["unshare", "-Urmpfniu", f"--mount-proc={root}/proc", "chroot", root] + payload


def shift_ownership(root, base):
    """nspawn's chown shift: every uid/gid below 65536 moves up by base."""
    for d, dirs, files in os.walk(root):
        for n in [d] + [os.path.join(d, x) for x in dirs + files]:
            st = os.lstat(n)
            if st.st_uid >= 65536 and st.st_gid >= 65536:
                continue
            os.lchown(n, st.st_uid % 65536 + base, st.st_gid % 65536 + base)
            if not stat.S_ISLNK(st.st_mode):  # chown clears set-id bits
                os.chmod(n, stat.S_IMODE(st.st_mode))


ALL = ["hutch", "hutch-defaults", "bwrap", "bwrap-eq", "nspawn", "runc", "firejail", "unshare",
       "floor"]
CLASSES = {"bwrap": Bwrap, "bwrap-eq": BwrapEq, "nspawn": Nspawn, "nspawn-ro": NspawnRO,
           "runc": Runc, "firejail": Firejail, "unshare": Unshare,
           "floor": Floor}


def make(name, work, hutch_bin, base_bin=None):
    if name == "hutch-base":
        return HutchBase(work, base_bin)
    if name == "hutch":
        return Hutch(work, hutch_bin)
    if name == "hutch-defaults":
        return HutchDefaults(work, hutch_bin)
    return CLASSES[name](work)
