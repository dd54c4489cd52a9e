/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* -x/--ephemeral, --template=, -i/--image=: their options and checks. */
#include "fsroot.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../common/util.h"
#include "options.h"
#include "settings.h"

int opt_ephemeral(struct settings *s, const char *v)
{
	int b = parse_boolean(v);
	if (b < 0)
		return option_invalid(v, "expected yes or no");
	s->fsroot.ephemeral = b;
	return 0;
}

static int set_path(char *dst, const char *v)
{
	if (!*v)
		return option_invalid(v, "empty path");
	if (strlen(v) >= HUTCH_PATH_MAX)
		return option_invalid(v, "too long");
	strcpy(dst, v);
	return 0;
}

int opt_template(struct settings *s, const char *v)
{
	return set_path(s->fsroot.template_dir, v);
}

int opt_image(struct settings *s, const char *v)
{
	return set_path(s->fsroot.image, v);
}

static int make_absolute(char *path, const char *opt)
{
	if (!path[0] || path[0] == '/')
		return 0;
	char cwd[HUTCH_PATH_MAX], abs[HUTCH_PATH_MAX];
	if (!getcwd(cwd, sizeof cwd) ||
	    (size_t)snprintf(abs, sizeof abs, "%s/%s", cwd, path) >= sizeof abs) {
		log_error("cannot make %s '%s' absolute", opt, path);
		return -EINVAL;
	}
	strcpy(path, abs);
	return 0;
}


int fsroot_finish(struct settings *s)
{
	struct fsroot_settings *f = &s->fsroot;
	if (f->image[0] && s->directory[0]) {
		log_error("--directory= and --image= may not be combined");
		return -EINVAL;
	}
	if (f->template_dir[0] && (f->image[0] || f->ephemeral)) {
		log_error("--template= may not be combined with --image= or --ephemeral");
		return -EINVAL;
	}
	if (f->ephemeral && f->image[0]) {
		log_error("--ephemeral and --image= may not be combined");
		return -EINVAL;
	}
	if (make_absolute(f->template_dir, "--template") < 0 ||
	    make_absolute(f->image, "--image") < 0)
		return -EINVAL;
	if (f->image[0] && !s->machine[0])
		machine_name_from_path(f->image, ".raw", s->machine); /* nspawn: without ".raw" */
	return 0;
}
