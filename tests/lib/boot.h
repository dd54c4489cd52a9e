/* Helpers shared by the tests that boot the Debian tree of
 * tests/fixtures/mkdebian.sh with hutch -b (tests/integration/test_boot.c,
 * test_cgroup_boot.c). The tests put marker files (and units) into that
 * tree, so they must not overlap: each takes boot_lock() first.
 */
#ifndef HUTCH_TESTS_BOOT_H
#define HUTCH_TESTS_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* debian_tree() + rel ("/etc/..."); malloc'ed. */
char *boot_tree_path(const char *rel);
/* Create (empty) / write (text, mode) / remove a file in the tree;
 * touch and write cr_assert success. */
void boot_touch(const char *rel);
void boot_write(const char *rel, const char *text, mode_t mode);
void boot_unlink(const char *rel);
/* Exclusive flock on <tree>.boot-lock, held until the test process exits
 * (may wait for another boot test: hence their long timeouts). */
void boot_lock(void);
bool boot_locked(void);
/* The last n bytes of s, for assertion messages. */
const char *boot_tail(const char *s, size_t n);
/* cr_expect that hutch removed machine `name`'s cgroup (waiting up to 2 s),
 * including the child cgroups the container's systemd made in it, in
 * every hierarchy; leftovers are reported and removed (depth first). */
void boot_expect_no_cgroup_left(const char *name);

#endif
