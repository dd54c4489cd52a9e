/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/util.c: log lines keep the caller's errno for %m and after. */
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
