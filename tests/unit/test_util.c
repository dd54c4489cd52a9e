/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/util.c: log lines keep the caller's errno; path_split. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>

#include <errno.h>
#include <stdio.h>

#include "../../common/util.h"

Test(util, log_keeps_errno, .init = cr_redirect_stderr)
{
	errno = EACCES;
	log_error("open %s: %m", "/x");
	cr_expect_eq(errno, EACCES);
	log_quiet = true;
	errno = ENOENT;
	log_info("hidden: %m");
	log_error("shown: %m");
	cr_expect_eq(errno, ENOENT);
	log_quiet = false;
	errno = EPERM;
	log_info("info: %m");
	cr_expect_eq(errno, EPERM);
	fflush(stderr);
	cr_expect_stderr_eq_str("hutch: open /x: Permission denied\n"
				"hutch: shown: No such file or directory\n"
				"hutch: info: Operation not permitted\n");
}

Test(util, path_split)
{
	char dir[16], small[8];
	cr_expect_str_eq(path_split("/srv/x", dir, sizeof dir), "x");
	cr_expect_str_eq(dir, "/srv");
	cr_expect_str_eq(path_split("/x", dir, sizeof dir), "x");
	cr_expect_str_eq(dir, "/");
	cr_expect_str_eq(path_split("/", dir, sizeof dir), "");
	cr_expect_str_eq(dir, "/");
	cr_expect_str_eq(path_split("run/host/y", dir, sizeof dir), "y");
	cr_expect_str_eq(dir, "run/host");
	cr_expect_str_eq(path_split("name", dir, sizeof dir), "name");
	cr_expect_str_eq(dir, ".");
	cr_expect_str_eq(path_split("/a/b/", dir, sizeof dir), "");
	cr_expect_str_eq(dir, "/a/b");
	/* "1234567" + NUL fills small[8] exactly; one more does not fit. */
	cr_expect_str_eq(path_split("1234567/z", small, sizeof small), "z");
	cr_expect_str_eq(small, "1234567");
	cr_expect_null(path_split("12345678/z", small, sizeof small));
	cr_expect_null(path_split("x", small, 1));
}
