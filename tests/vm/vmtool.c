/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmtool: a static helper for the VM tests (busybox runs applets without
 * exec and has no SELinux applets in Debian's build).
 *   vmtool label                    print /proc/self/attr/current
 *   vmtool getfilecon PATH          print PATH's security.selinux
 *   vmtool setfilecon [-R] CTX PATH label PATH (and below it with -R)
 *   vmtool read PATH                print the first line, or "denied: ERR" (exit 1)
 *   vmtool write PATH TEXT          create/overwrite PATH with TEXT (exit 1 on error)
 *   vmtool restorecon FC PATH...    label the trees under each PATH (not crossing
 *                                   mounts) as the policy's file_contexts FC says
 *   vmtool mqueue NAME              create the POSIX message queue /NAME
 *   vmtool runcon [-c CUR] CTX CMD ARG...
 *                                   become CUR now (a dyntransition), then exec
 *                                   CMD as CTX (/proc/self/attr/exec)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <mqueue.h>
#include <regex.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

static const char *ctx;

static int relabel(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	if (lsetxattr(path, "security.selinux", ctx, strlen(ctx) + 1, 0) < 0) {
		fprintf(stderr, "vmtool: setfilecon %s: %m\n", path);
		return 1;
	}
	return 0;
}

static int print_first_line(const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
	if (n < 0) {
		printf("denied: %s\n", strerror(errno));
		return 1;
	}
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	printf("%s\n", buf);
	return 0;
}


/*
 * file_contexts: "REGEX [-MODE] CONTEXT" lines; the last matching line wins
 * (the policy build sorts them so); "<<none>>" leaves a file alone. Each
 * regex is compiled on first use, and only when the path starts with the
 * regex's literal stem: the guest is slow (TCG) and the list is long.
 */
struct fc_entry {
	char *re, *stem, *ctx;
	char mode; /* 0: any, else the letter after '-' */
	int exact; /* no regex characters: the stem is the whole path */
	int state; /* 0 not compiled, 1 compiled, -1 unusable */
	regex_t rx;
};
static struct fc_entry *fcs;
static size_t nfc;

static int load_fc(const char *path)
{
	FILE *f = fopen(path, "re");
	char line[4096];
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		char *w[3] = {0};
		int n = 0;
		for (char *t = strtok(line, " \t\n"); t && n < 3; t = strtok(NULL, " \t\n"))
			w[n++] = t;
		if (n < 2 || w[0][0] == '#')
			continue;
		struct fc_entry e = {.ctx = strdup(w[n - 1])};
		if (n == 3 && w[1][0] == '-')
			e.mode = w[1][1];
		if (asprintf(&e.re, "^(%s)$", w[0]) < 0)
			return -1;
		e.stem = strndup(w[0], strcspn(w[0], ".^$?*+|[({\\"));
		e.exact = !w[0][strlen(e.stem)];
		if (!(fcs = realloc(fcs, (nfc + 1) * sizeof *fcs)))
			return -1;
		fcs[nfc++] = e;
	}
	fclose(f);
	return 0;
}

static char mode_letter(mode_t m)
{
	return S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : S_ISCHR(m) ? 'c' : S_ISBLK(m) ? 'b'
	       : S_ISFIFO(m) ? 'p' : S_ISSOCK(m) ? 's' : '-';
}

/* As libselinux: exact paths (no regex characters) first, then the regexes. */
static const char *fc_lookup(const char *path, mode_t m)
{
	for (size_t i = nfc; i-- > 0;)
		if (fcs[i].exact && !strcmp(path, fcs[i].stem) && (!fcs[i].mode || fcs[i].mode == mode_letter(m)))
			return fcs[i].ctx;
	for (size_t i = nfc; i-- > 0;) {
		struct fc_entry *e = &fcs[i];
		if (e->exact || (e->mode && e->mode != mode_letter(m)) ||
		    strncmp(path, e->stem, strlen(e->stem)))
			continue;
		if (!e->state)
			e->state = regcomp(&e->rx, e->re, REG_EXTENDED | REG_NOSUB) ? -1 : 1;
		if (e->state == 1 && !regexec(&e->rx, path, 0, NULL, 0))
			return e->ctx;
	}
	return NULL;
}

/* FC.subs_dist: "ALIAS PATH" lines; a path under ALIAS is looked up as under PATH. */
static char subs[64][2][256];
static size_t nsubs;

static void load_subs(const char *fc)
{
	char name[4096], line[1024];
	snprintf(name, sizeof name, "%s.subs_dist", fc);
	FILE *f = fopen(name, "re");
	while (f && nsubs < 64 && fgets(line, sizeof line, f))
		if (line[0] == '/' && sscanf(line, "%255s %255s", subs[nsubs][0], subs[nsubs][1]) == 2)
			nsubs++;
	if (f)
		fclose(f);
}

static int restore_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	char alias[4096];
	const char *real = path;
	for (size_t i = 0; i < nsubs; i++) {
		size_t n = strlen(subs[i][0]);
		if (!strncmp(path, subs[i][0], n) && (path[n] == '/' || !path[n])) {
			snprintf(alias, sizeof alias, "%s%s", subs[i][1], path + n);
			path = alias;
			break;
		}
	}
	const char *c = fc_lookup(path, st->st_mode);
	if (!c || !strcmp(c, "<<none>>"))
		return 0;
	if (lsetxattr(real, "security.selinux", c, strlen(c) + 1, 0) < 0)
		fprintf(stderr, "vmtool: restorecon %s: %m\n", real);
	return 0;
}

static int runcon(int argc, char **argv)
{
	const char *cur = NULL;
	if (argc > 3 && !strcmp(argv[2], "-c")) {
		cur = argv[3];
		argv += 2;
		argc -= 2;
	}
	if (argc < 4)
		return 2;
	int fd;
	if (cur && ((fd = open("/proc/thread-self/attr/current", O_WRONLY | O_CLOEXEC)) < 0 ||
		    write(fd, cur, strlen(cur)) < 0)) {
		fprintf(stderr, "vmtool: setcon %s: %m\n", cur);
		return 1;
	}
	if ((fd = open("/proc/thread-self/attr/exec", O_WRONLY | O_CLOEXEC)) < 0 ||
	    write(fd, argv[2], strlen(argv[2])) < 0) {
		fprintf(stderr, "vmtool: setexeccon %s: %m\n", argv[2]);
		return 1;
	}
	execv(argv[3], argv + 3);
	fprintf(stderr, "vmtool: exec %s as %s: %m\n", argv[3], argv[2]);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "restorecon")) {
		load_subs(argv[2]);
		if (load_fc(argv[2]) < 0) {
			fprintf(stderr, "vmtool: %s: %m\n", argv[2]);
			return 1;
		}
		for (int i = 3; i < argc; i++)
			if (nftw(argv[i], restore_one, 64, FTW_PHYS | FTW_MOUNT))
				return 1;
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "mqueue")) {
		mqd_t q = mq_open(argv[2], O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, NULL);
		if (q == (mqd_t)-1) {
			printf("denied: %s\n", strerror(errno));
			return 1;
		}
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "runcon"))
		return runcon(argc, argv);
	if (argc == 2 && !strcmp(argv[1], "label"))
		return print_first_line("/proc/self/attr/current");
	if (argc == 3 && !strcmp(argv[1], "read"))
		return print_first_line(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "getfilecon")) {
		char buf[512];
		ssize_t n = lgetxattr(argv[2], "security.selinux", buf, sizeof buf - 1);
		if (n < 0) {
			printf("error: %s\n", strerror(errno));
			return 1;
		}
		buf[n] = 0;
		printf("%s\n", buf);
		return 0;
	}
	if (argc >= 4 && !strcmp(argv[1], "setfilecon")) {
		int rec = !strcmp(argv[2], "-R");
		if (argc != 4 + rec)
			return 2;
		ctx = argv[2 + rec];
		if (rec)
			return nftw(argv[3 + rec], relabel, 64, FTW_PHYS) ? 1 : 0;
		return relabel(argv[3], NULL, 0, NULL);
	}
	if (argc == 4 && !strcmp(argv[1], "write")) {
		int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || write(fd, argv[3], strlen(argv[3])) < 0) {
			printf("denied: %s\n", strerror(errno));
			return 1;
		}
		close(fd);
		return 0;
	}
	fprintf(stderr, "usage: vmtool label|getfilecon PATH|setfilecon [-R] CTX PATH|read PATH|write PATH TEXT|restorecon FC PATH...|mqueue /NAME|runcon [-c CUR] CTX CMD...\n");
	return 2;
}
