/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The payload's seccomp filter (see seccomp.h).
 *
 * One program does two jobs, in this order:
 *  1. the "argument" part, default ALLOW: ioctl(TIOCSTI|TIOCLINUX) -> EPERM
 *     comparing only the low 32 bits (the kernel reads the request as an
 *     unsigned int, so set high bits are no way around it), and nspawn's
 *     socket(AF_NETLINK, *, NETLINK_AUDIT) -> EAFNOSUPPORT;
 *  2. the allowlist, default ERRNO(EPERM).
 * libseccomp cannot say "allow ioctl unless the argument is X" in one
 * context: an unconditional rule for a syscall swallows its conditional
 * ones. So each part is its own context, exported as BPF, and part 1's
 * "return ALLOW" instructions become "jump to the start of part 2". That is
 * exactly the kernel's semantics for two stacked filters whose only
 * verdicts are ALLOW and ERRNO, as nspawn installs them, in one record.
 *
 * Both contexts carry x86-64, x32 and i386, so a call through another ABI
 * (x32 numbers, int 0x80) meets the same rules; an unknown ABI is killed.
 */
#include "seccomp.h"

#include <errno.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "../common/util.h"
#include "settings.h"
#include "syscall_groups.h"

_Static_assert(sizeof(struct hutch_bpf_insn) == sizeof(struct sock_filter), "bpf layout");

/* DESIGN.md §4: shared kernel state or a large attack surface, and no
 * container needs them. Not even --system-call-filter= brings them back. */
const char *const syscall_filter_never_allowed[] = {
	"io_uring_setup", "io_uring_enter", "io_uring_register", "userfaultfd", "bpf",
	"perf_event_open", "open_by_handle_at", "add_key", "request_key", "keyctl", NULL,
};

/* systemd-nspawn's allowlist (nspawn-seccomp.c). cap < 0: always; else
 * only if the payload keeps that capability in its bounding set. */
static const struct {
	int cap;
	const char *name;
} base_allowlist[] = {
	{-1, "@aio"}, {-1, "@basic-io"}, {-1, "@chown"}, {-1, "@default"},
	{-1, "@file-system"}, {-1, "@io-event"}, {-1, "@ipc"}, {-1, "@mount"},
	{-1, "@network-io"}, {-1, "@process"}, {-1, "@resources"}, {-1, "@setuid"},
	{-1, "@signal"}, {-1, "@sync"}, {-1, "@timer"},
	{CAP_SYS_TIME, "@clock"}, {CAP_SYS_MODULE, "@module"}, {CAP_SYS_RAWIO, "@raw-io"},
	{CAP_IPC_LOCK, "@memlock"},
	{-1, "arm_fadvise64_64"}, {-1, "brk"}, {-1, "capget"}, {-1, "capset"},
	{-1, "copy_file_range"}, {-1, "fadvise64"}, {-1, "fadvise64_64"}, {-1, "flock"},
	{-1, "get_mempolicy"}, {-1, "getcpu"}, {-1, "getpriority"}, {-1, "getrandom"},
	{-1, "ioctl"}, {-1, "ioprio_get"}, {-1, "kcmp"}, {-1, "madvise"}, {-1, "mincore"},
	{-1, "mprotect"}, {-1, "mremap"}, {-1, "name_to_handle_at"}, {-1, "oldolduname"},
	{-1, "olduname"}, {-1, "personality"}, {-1, "readahead"}, {-1, "readdir"},
	{-1, "remap_file_pages"}, {-1, "sched_get_priority_max"},
	{-1, "sched_get_priority_min"}, {-1, "sched_getaffinity"}, {-1, "sched_getattr"},
	{-1, "sched_getparam"}, {-1, "sched_getscheduler"}, {-1, "sched_rr_get_interval"},
	{-1, "sched_rr_get_interval_time64"}, {-1, "sched_yield"}, {-1, "seccomp"},
	{-1, "sendfile"}, {-1, "sendfile64"}, {-1, "setdomainname"}, {-1, "setfsgid"},
	{-1, "setfsgid32"}, {-1, "setfsuid"}, {-1, "setfsuid32"}, {-1, "sethostname"},
	{-1, "setpgid"}, {-1, "setsid"}, {-1, "splice"}, {-1, "sysinfo"}, {-1, "tee"},
	{-1, "umask"}, {-1, "uname"}, {-1, "userfaultfd"}, {-1, "vmsplice"},
	{CAP_SYS_PACCT, "acct"}, {CAP_SYS_PTRACE, "process_vm_readv"},
	{CAP_SYS_PTRACE, "process_vm_writev"}, {CAP_SYS_PTRACE, "ptrace"},
	{CAP_SYS_BOOT, "reboot"}, {CAP_SYSLOG, "syslog"}, {CAP_SYS_TTY_CONFIG, "vhangup"},
};

/* A set of syscalls, by libseccomp's native (or pseudo) number. */
#define NRSET_MAX 2048
struct nrset {
	int nr[NRSET_MAX];
	size_t n;
};

static bool nrset_has(const struct nrset *s, int nr)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->nr[i] == nr)
			return true;
	return false;
}

static int nrset_add(struct nrset *s, int nr)
{
	if (nrset_has(s, nr))
		return 0;
	if (s->n >= NRSET_MAX)
		return -E2BIG;
	s->nr[s->n++] = nr;
	return 0;
}

static void nrset_del(struct nrset *s, int nr)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->nr[i] == nr) {
			s->nr[i] = s->nr[--s->n];
			return;
		}
}

static bool never_allowed(const char *name)
{
	for (const char *const *p = syscall_filter_never_allowed; *p; p++)
		if (strcmp(*p, name) == 0)
			return true;
	return false;
}

/* Add (or remove) a syscall name or @group. Unknown names are skipped, as
 * systemd does; unknown groups are an error. Groups name other groups
 * (@system-service, @privileged), so the depth is bounded against a loop. */
static int apply_item(struct nrset *s, const char *item, bool add, unsigned depth)
{
	if (item[0] != '@') {
		int nr = seccomp_syscall_resolve_name(item);
		if (nr == __NR_SCMP_ERROR)
			return 0;
		if (!add) {
			nrset_del(s, nr);
			return 0;
		}
		return nrset_add(s, nr);
	}
	const struct syscall_group *g = syscall_group_find(item);
	if (!g || depth > 3)
		return -EINVAL;
	const char *const *m = g->members ? g->members : syscall_known_names();
	if (!m)
		return -ENOMEM;
	for (; *m; m++) {
		int r = apply_item(s, *m, add, depth + 1);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Walk the words of one option value; `fn` gets each one, NUL-terminated.
 * Words longer than any syscall or group name are passed truncated with a
 * mark that makes them unknown (a long "@..." stays an unknown group). */
#define WORD_MAX 64
typedef int (*word_fn)(const char *word, bool deny, void *data);

static int for_each_word(const char *value, word_fn fn, void *data)
{
	bool deny = value[0] == '~';
	const char *p = deny ? value + 1 : value;
	static const char space[] = " \t\n";
	for (;;) {
		p += strspn(p, space);
		if (!*p)
			return 0;
		size_t len = strcspn(p, space);
		char word[WORD_MAX + 2];
		if (len > WORD_MAX) {
			memcpy(word, p, WORD_MAX);
			strcpy(word + WORD_MAX, "?"); /* no such name, no such group */
		} else {
			memcpy(word, p, len);
			word[len] = '\0';
		}
		int r = fn(word, deny, data);
		if (r < 0)
			return r;
		p += len;
	}
}

static int check_word(const char *word, bool deny, void *data)
{
	if (word[0] == '@' && !syscall_group_find(word)) {
		log_error("unknown system call group '%s' in --system-call-filter; "
			  "see hutch --list-syscall-groups", word);
		return -EINVAL;
	}
	if (!deny && never_allowed(word))
		log_error("warning: %s is never allowed in a hutch container; ignoring it", word);
	return 0;
}

int syscall_filter_check(const char *value)
{
	return for_each_word(value, check_word, NULL);
}

struct user_pass {
	struct nrset *set;
	bool deny; /* which half of the options this pass applies */
};

static int user_word(const char *word, bool deny, void *data)
{
	struct user_pass *p = data;
	if (deny != p->deny)
		return 0;
	return apply_item(p->set, word, !deny, 0);
}

/* nspawn's allowlist, then every allow option, then every deny option (so
 * a deny wins whatever the order), then the calls hutch never allows. */
static int build_allowed(const char *const *options, size_t n, uint64_t caps,
			 struct nrset *set)
{
	int r = 0;
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(base_allowlist); i++) {
		int cap = base_allowlist[i].cap;
		if (cap >= 0 && !(caps & (1ull << cap)))
			continue;
		r = apply_item(set, base_allowlist[i].name, true, 0);
	}
	for (int deny = 0; deny <= 1; deny++) {
		struct user_pass pass = {set, deny};
		for (size_t i = 0; r == 0 && i < n; i++)
			r = for_each_word(options[i], user_word, &pass);
	}
	for (const char *const *p = syscall_filter_never_allowed; r == 0 && *p; p++)
		r = apply_item(set, *p, false, 0);
	return r;
}

uint64_t syscall_filter_cap_mask(void)
{
	uint64_t mask = 0;
	for (size_t i = 0; i < ARRAY_SIZE(base_allowlist); i++)
		if (base_allowlist[i].cap >= 0)
			mask |= 1ull << base_allowlist[i].cap;
	return mask;
}

int syscall_filter_allowed(uint64_t caps, int *nr, size_t max, size_t *n)
{
	struct nrset *set = calloc(1, sizeof *set);
	if (!set)
		return -ENOMEM;
	int r = build_allowed(NULL, 0, caps, set);
	if (r == 0 && set->n > max)
		r = -E2BIG;
	if (r == 0) {
		memcpy(nr, set->nr, set->n * sizeof *nr);
		*n = set->n;
	}
	free(set);
	return r;
}

static scmp_filter_ctx new_context(uint32_t default_action)
{
	scmp_filter_ctx ctx = seccomp_init(default_action);
	if (!ctx)
		return NULL;
	/* Native x86-64 is in already; the other two ABIs of an x86-64 host. */
	if (seccomp_arch_add(ctx, SCMP_ARCH_X86) < 0 || seccomp_arch_add(ctx, SCMP_ARCH_X32) < 0 ||
	    /* nspawn's large list: a binary tree keeps the per-call cost low */
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) < 0) {
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}

static int allowlist_context(const struct nrset *set, scmp_filter_ctx *out)
{
	scmp_filter_ctx ctx = new_context(SCMP_ACT_ERRNO(EPERM));
	if (!ctx)
		return -ENOMEM;
	for (size_t i = 0; i < set->n; i++) {
		int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, set->nr[i], 0);
		/* -EDOM: not a call on any of our ABIs (another arch's name) */
		if (r < 0 && r != -EDOM) {
			seccomp_release(ctx);
			return r;
		}
	}
	*out = ctx;
	return 0;
}

static int argument_context(scmp_filter_ctx *out)
{
	scmp_filter_ctx ctx = new_context(SCMP_ACT_ALLOW);
	if (!ctx)
		return -ENOMEM;
	static const unsigned long tty_requests[] = {TIOCSTI, TIOCLINUX};
	int r = 0;
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(tty_requests); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
				     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, tty_requests[i]));
	/* nspawn: audit is not namespaced; EAFNOSUPPORT tells audit userspace
	 * that the kernel has none. Best effort, as in nspawn: i386's
	 * socketcall() hides the arguments, and that is fine for this. */
	if (r == 0)
		(void)seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 2,
				       SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu, AF_NETLINK),
				       SCMP_A2(SCMP_CMP_MASKED_EQ, 0xffffffffu, NETLINK_AUDIT));
	if (r < 0) {
		seccomp_release(ctx);
		return r;
	}
	*out = ctx;
	return 0;
}

/* libseccomp 2.5 exports only to an fd: a memfd, so a large program can
 * never block us the way a full pipe would. */
static int export_program(scmp_filter_ctx ctx, struct sock_filter *buf, size_t max,
			  size_t *n)
{
	_cleanup_close_ int fd = memfd_create("hutch-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return r;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size <= 0 || st.st_size % (off_t)sizeof *buf)
		return -EIO;
	*n = (size_t)st.st_size / sizeof *buf;
	if (*n > max)
		return -E2BIG;
	ssize_t got = pread(fd, buf, (size_t)st.st_size, 0);
	if (got != st.st_size)
		return got < 0 ? -errno : -EIO;
	return 0;
}

/* Part 1's "return ALLOW" becomes "jump to part 2", which starts at `end`.
 * BPF_JA takes a 32-bit forward offset, so any distance works. */
static int chain_to_next(struct sock_filter *prog, size_t end)
{
	for (size_t i = 0; i < end; i++) {
		if (BPF_CLASS(prog[i].code) != BPF_RET)
			continue;
		if (prog[i].code != (BPF_RET | BPF_K))
			return -EPROTO; /* "return A": not what libseccomp emits */
		if (prog[i].k == SECCOMP_RET_ALLOW)
			prog[i] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JA,
								(uint32_t)(end - i - 1), 0, 0);
	}
	return 0;
}

int syscall_filter_args_part(struct hutch_seccomp *out)
{
	memset(out, 0, sizeof *out);
	scmp_filter_ctx args = NULL;
	size_t n = 0;
	int r = argument_context(&args);
	if (r == 0)
		r = export_program(args, (struct sock_filter *)out->insns, HUTCH_BPF_MAX_INSNS, &n);
	if (r == 0)
		r = chain_to_next((struct sock_filter *)out->insns, n);
	if (args)
		seccomp_release(args);
	out->ninsns = (uint32_t)n;
	return r;
}

int syscall_filter_export(void *ctx, struct hutch_seccomp *out)
{
	size_t n = 0;
	memset(out, 0, sizeof *out);
	int r = export_program(ctx, (struct sock_filter *)out->insns, HUTCH_BPF_MAX_INSNS, &n);
	out->ninsns = (uint32_t)n;
	return r;
}

static int export_both(scmp_filter_ctx args, scmp_filter_ctx allow, struct hutch_seccomp *out)
{
	struct sock_filter *prog = (struct sock_filter *)out->insns;
	size_t n_args = 0, n_allow = 0;
	int r = export_program(args, prog, HUTCH_BPF_MAX_INSNS, &n_args);
	if (r == 0)
		r = export_program(allow, prog + n_args, HUTCH_BPF_MAX_INSNS - n_args, &n_allow);
	if (r == 0)
		r = chain_to_next(prog, n_args);
	if (r < 0)
		return r;
	out->ninsns = (uint32_t)(n_args + n_allow);
	return 0;
}

int syscall_filter_compile(const char *const *options, size_t n, uint64_t caps,
			   struct hutch_seccomp *out)
{
	memset(out, 0, sizeof *out);
	struct nrset *set = calloc(1, sizeof *set);
	if (!set)
		return -ENOMEM;
	scmp_filter_ctx args = NULL, allow = NULL;
	int r = build_allowed(options, n, caps, set);
	if (r == 0)
		r = argument_context(&args);
	if (r == 0)
		r = allowlist_context(set, &allow);
	if (r == 0)
		r = export_both(args, allow, out);
	if (args)
		seccomp_release(args);
	if (allow)
		seccomp_release(allow);
	free(set);
	if (r < 0)
		memset(out, 0, sizeof *out);
	return r;
}

int syscall_filter_option(const char *value, struct settings *s)
{
	if (s->n_syscall_filter >= SETTINGS_MAX_SYSCALL_FILTER) {
		log_error("too many --system-call-filter options (at most %d)",
			  SETTINGS_MAX_SYSCALL_FILTER);
		return -EINVAL;
	}
	int r = syscall_filter_check(value);
	if (r < 0)
		return r;
	s->syscall_filter[s->n_syscall_filter++] = value;
	return 0;
}

int syscall_filter_compile_settings(const struct settings *s, struct hutch_seccomp *out)
{
	/* Without --system-call-filter= the filter depends only on the few
	 * capabilities nspawn's list names, and both parts of it were compiled
	 * at build time (tools/gen_default_filter.c): the defaults as they are,
	 * any other set as a short deny prefix before the all-capabilities
	 * program (seccomp_caps.c). libseccomp's compile takes ~12 ms. */
	int r;
	if (s->n_syscall_filter == 0 &&
	    (r = syscall_filter_for_caps(s->cap_bounding, out)) != -EOPNOTSUPP)
		return r;
	r = syscall_filter_compile(s->syscall_filter, s->n_syscall_filter, s->cap_bounding, out);
	if (r == -E2BIG)
		log_error("the system call filter does not fit in %d BPF instructions; "
			  "allow or deny fewer system calls",
			  HUTCH_BPF_MAX_INSNS);
	else if (r < 0) {
		errno = -r;
		log_error("cannot compile the system call filter: %m");
	}
	return r;
}
