# hutch — one entry point: make, make check, make demo, make install
# `make check` and `make demo` install their own build/test dependencies.

SHELL := /bin/bash
PREFIX ?= /usr/local
CC ?= gcc
# The unprivileged uids/gids the workers run as when hutch is started by root:
# HUTCH_WORKER_UIDS ids from HUTCH_WORKER_UID, one per running invocation
# (common/worker_pool.c). Default 1879048192..1879049215 (0x70000000 + 1024),
# above the container ranges and clear of useradd's /etc/subuid blocks; the
# build refuses a pool that overlaps picked ranges or --bind-user='s ids.
HUTCH_WORKER_UID ?= 1879048192
HUTCH_WORKER_UIDS ?= 1024

DEB_DEPS := build-essential pkg-config clang libseccomp-dev libcap-ng-dev \
	libcriterion-dev busybox-static debootstrap util-linux procps libbpf-dev libselinux1-dev \
	e2fsprogs fdisk btrfs-progs acl python3
PKGS := libseccomp libcap-ng libbpf libselinux
# `make check-selinux` (an enforcing VM) and `make -C selinux` (the module)
VM_DEPS := qemu-system-x86 cpio busybox-static secilc selinux-policy-dev checkpolicy \
	selinux-policy-default setools policycoreutils

HARDEN := -fstack-protector-strong -D_FORTIFY_SOURCE=3 -fPIE \
	-ftrivial-auto-var-init=zero -fno-strict-aliasing
WARN := -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wswitch-enum \
	-Wmissing-prototypes -Wno-unused-parameter
OPT ?= -O2 -g
CFLAGS_ALL = -std=gnu11 $(OPT) $(HARDEN) $(WARN) -D_GNU_SOURCE \
	-DHUTCH_WORKER_UID=$(HUTCH_WORKER_UID) -DHUTCH_WORKER_UIDS=$(HUTCH_WORKER_UIDS) \
	$(shell pkg-config --cflags $(PKGS) 2>/dev/null) \
	$(SAN) $(CFLAGS)
LDFLAGS_ALL = -pie -Wl,-z,relro,-z,now,-z,noexecstack $(SAN) $(LDFLAGS)
LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

BUILD ?= build
COMMON_SRC := $(wildcard common/*.c)
BROKER_SRC := $(wildcard broker/*.c)
WORKER_SRC := $(wildcard worker/*.c)
CORE_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(COMMON_SRC) $(BROKER_SRC) $(WORKER_SRC))
# The payload filter for default settings, compiled once at build time.
GEN_FILTER := $(BUILD)/default_filter.c
LIB_OBJ := $(CORE_OBJ) $(BUILD)/default_filter.o $(BUILD)/broker_filters.o

TEST_SRC := $(wildcard tests/unit/*.c tests/integration/*.c tests/escape/test_*.c tests/lib/*.c)
TEST_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(TEST_SRC))

all: $(BUILD)/hutch hutch

hutch: $(BUILD)/hutch
	ln -sf $(BUILD)/hutch hutch

# hutch itself is static-pie: no dynamic loader and no relocations of
# libseccomp and libcap-ng on every start (~0.6 ms of CPU). Sanitizer builds
# stay dynamic. (libcap-ng.a's unused capng_change_id makes ld warn about
# getpwuid/initgroups in static programs; hutch never calls them.)
HUTCH_STATIC := $(if $(SAN),,-static-pie)
HUTCH_LIBS = $(if $(SAN),$(LIBS),$(shell pkg-config --static --libs $(PKGS) 2>/dev/null))

$(BUILD)/hutch: $(BUILD)/hutch.o $(LIB_OBJ)
	$(CC) $(LDFLAGS_ALL) $(HUTCH_STATIC) -o $@ $^ $(HUTCH_LIBS)

$(BUILD)/%.o: %.c $(wildcard common/*.h broker/*.h worker/*.h tests/lib/*.h tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(BUILD)/tools/gen_default_filter: $(BUILD)/tools/gen_default_filter.o \
		$(patsubst %.c,$(BUILD)/%.o,$(COMMON_SRC) $(WORKER_SRC))
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

$(GEN_FILTER): $(BUILD)/tools/gen_default_filter
	$< > $@.tmp && mv $@.tmp $@

$(BUILD)/default_filter.o: $(GEN_FILTER)
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

# The broker's own filters, also compiled at build time.
$(BUILD)/tools/gen_broker_filters: $(BUILD)/tools/gen_broker_filters.o
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

$(BUILD)/broker_filters.c: $(BUILD)/tools/gen_broker_filters
	$< > $@.tmp && mv $@.tmp $@

$(BUILD)/broker_filters.o: $(BUILD)/broker_filters.c
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

# (with the worker uid pool's test build, which its tests run)
$(BUILD)/hutch-tests: $(TEST_OBJ) $(LIB_OBJ) | $(BUILD)/hutch-pooltest
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS) -lcriterion

# A second hutch for the policy integration tests: the same objects except
# where the policy and the host user database are read from (the tests
# install theirs under $(BUILD)/policy-test/). Built for tests only, never
# installed; the production binary's paths are fixed at build time.
POLICY_TEST_DIR = $(abspath $(BUILD))/policy-test
$(BUILD)/policy_paths_test.o: broker/policy_paths.c broker/broker.h
	$(CC) $(CFLAGS_ALL) -DHUTCH_POLICY_DIR='"$(POLICY_TEST_DIR)/policy.d"' \
		-DHUTCH_HOST_PASSWD='"$(POLICY_TEST_DIR)/passwd"' \
		-DHUTCH_HOST_GROUP='"$(POLICY_TEST_DIR)/group"' -c -o $@ $<

$(BUILD)/hutch-policytest: $(BUILD)/hutch.o $(filter-out $(BUILD)/broker/policy_paths.o,$(LIB_OBJ)) \
		$(BUILD)/policy_paths_test.o
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

# A third, for the worker uid tests: a pool of two uids just above the real
# one, so a test can take the whole pool without stopping any other hutch.
POOL_TEST_BASE = $(shell echo $$(( $(HUTCH_WORKER_UID) + $(HUTCH_WORKER_UIDS) )))
$(BUILD)/worker_pool_test.o: common/worker_pool.c common/worker_pool.h
	$(CC) $(CFLAGS_ALL) -UHUTCH_WORKER_UID -UHUTCH_WORKER_UIDS \
		-DHUTCH_WORKER_UID=$(POOL_TEST_BASE) -DHUTCH_WORKER_UIDS=2 -c -o $@ $<

$(BUILD)/hutch-pooltest: $(BUILD)/hutch.o $(filter-out $(BUILD)/common/worker_pool.o,$(LIB_OBJ)) \
		$(BUILD)/worker_pool_test.o
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

# ---- set-up -------------------------------------------------------------
deps:
	@missing=$$(for p in $(DEB_DEPS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

fixtures: $(BUILD)/hutch
	tests/fixtures/mkrootfs.sh $(BUILD)/rootfs
	tests/fixtures/mkescape.sh $(BUILD)/rootfs $(BUILD)
	-tests/fixtures/mkdebian.sh

# The escape payloads side by side under nspawn, bubblewrap and hutch
# (peers from Debian: bubblewrap, systemd-container; a missing one is skipped).
escape-compare: all fixtures
	tests/escape/compare.sh -d -o tests/escape/RESULTS.md

# Side-by-side benchmarks (bench/README.md). Needs root; not part of `make check`.
# Peers are optional and skipped when missing:
#   apt-get install -y bubblewrap systemd-container runc firejail hyperfine
bench: all fixtures $(BUILD)/bench-floor
	bench/run.py

# The isolation floor of workload 1 (bench/floor.c), with hutch's default
# seccomp program linked in.
$(BUILD)/bench-floor: bench/floor.c $(BUILD)/default_filter.o
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -static-pie -o $@ $^

# Where hutch's start time goes (needs linux-perf and strace).
bench-profile: all fixtures
	bench/profile.sh

# ---- the two commands of the README -------------------------------------
demo: deps
	$(MAKE) all
	tests/fixtures/mkrootfs.sh $(BUILD)/rootfs
	./hutch -D $(BUILD)/rootfs -M demo /bin/sh -c 'echo "hello from $$(hostname), pid $$$$ in a hutch container"; cat /etc/os-release | head -1; ls /dev'

check: deps
	$(MAKE) all $(BUILD)/hutch-tests $(BUILD)/hutch-policytest
	$(MAKE) fixtures
	$(BUILD)/hutch-tests -j2 --timeout 300

# SELinux in an enforcing VM (tests/vm/README.md): Debian's kernel under qemu,
# selinux/test/policy.cil loaded, tests/vm/selinux-tests.sh inside.
check-selinux: deps
	@missing=$$(for p in $(VM_DEPS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then apt-get install -y -q $$missing; fi
	$(MAKE) all
	tests/vm/check-selinux.sh $(BUILD)

# Sanitizer build: everything under ASan+UBSan, same tests.
check-asan: deps
	$(MAKE) BUILD=build-asan OPT="-O1 -g" SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
		build-asan/hutch build-asan/hutch-tests build-asan/hutch-policytest
	$(MAKE) BUILD=build-asan fixtures
	ASAN_OPTIONS=detect_leaks=0 HUTCH_BIN=$(CURDIR)/build-asan/hutch build-asan/hutch-tests -j2 --timeout 300

# The cgroup tests on a pure cgroup v2 layout, which a hybrid host cannot
# offer: in a throw-away VM (tests/vm/README.md) with only cgroup2 mounted.
# The Debian tree of the boot tests (tests/fixtures/mkdebian.sh, ~250 MB)
# goes into the VM's initramfs too, so the cgroup_boot suite (systemd in
# its delegated tree, a transient unit's limits seen from outside, poweroff)
# and the boot suite run there as well; without the tree they are skipped
# with the reason. About 2 minutes under TCG here (tests/vm/README.md).
CGROUP2_VM_DEPS := qemu-system-x86 cpio busybox-static
DEBIAN_TREE ?= /var/cache/hutch-tests/debian-bookworm
check-cgroup2: deps
	@missing=$$(for p in $(CGROUP2_VM_DEPS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then apt-get install -y -q -o DPkg::Lock::Timeout=600 $$missing; fi
	$(MAKE) all $(BUILD)/hutch-tests
	tests/fixtures/mkrootfs.sh $(BUILD)/rootfs
	tests/fixtures/mkescape.sh $(BUILD)/rootfs $(BUILD)
	-tests/fixtures/mkdebian.sh $(DEBIAN_TREE)
	tests/vm/run.sh --cgroup2 --mem 3072 --add $(BUILD)/hutch:/usr/bin/hutch \
		--add $(BUILD)/hutch-tests:/t --add $(BUILD)/rootfs:/srv/rootfs \
		--add $(BUILD)/rootfs-noos:/srv/rootfs-noos \
		$$(test -e $(DEBIAN_TREE)/.hutch-debian-ok && echo --tree $(DEBIAN_TREE):/srv/debian) -- \
		'mkdir -p /run/lock && cd /tmp && HUTCH_BIN=/usr/bin/hutch HUTCH_ROOTFS=/srv/rootfs \
		 HUTCH_DEBIAN_TREE=/srv/debian /t -j1 --timeout 300 --filter "@(cgroup*|boot/*)"'

# The cgroup tests on the legacy layout (v1 hierarchies only, no cgroup2
# anywhere: CentOS 7-era hosts, systemd.legacy_systemd_cgroup_controller), in
# the same throw-away VM with --cgroup1. The cgroup* and boot suites, no
# Debian tree: hutch mounts no cgroup inside a container on this layout and
# refuses -b there (the boot tests skip, saying so).
# About 1 minute under TCG here (46-81 s: tests/vm/README.md).
check-cgroup1: deps
	@missing=$$(for p in $(CGROUP2_VM_DEPS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then apt-get install -y -q -o DPkg::Lock::Timeout=600 $$missing; fi
	$(MAKE) all $(BUILD)/hutch-tests
	tests/fixtures/mkrootfs.sh $(BUILD)/rootfs
	tests/fixtures/mkescape.sh $(BUILD)/rootfs $(BUILD)
	tests/vm/run.sh --cgroup1 --add $(BUILD)/hutch:/usr/bin/hutch \
		--add $(BUILD)/hutch-tests:/t --add $(BUILD)/rootfs:/srv/rootfs \
		--add $(BUILD)/rootfs-noos:/srv/rootfs-noos -- \
		'mkdir -p /run/lock && cd /tmp && HUTCH_BIN=/usr/bin/hutch HUTCH_ROOTFS=/srv/rootfs \
		 /t -j1 --timeout 300 --verbose --filter "@(cgroup*|boot/*)" >/tmp/out 2>&1; rc=$$?; \
		 grep -v "Test is disabled\|RUN \]" /tmp/out; exit $$rc'

# libFuzzer targets, each run for FUZZ_SECONDS.
FUZZ_SECONDS ?= 30
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(patsubst tests/fuzz/%.c,build-fuzz/%,$(FUZZ_SRC))
build-fuzz/%: tests/fuzz/%.c $(COMMON_SRC) $(BROKER_SRC) $(WORKER_SRC) build/default_filter.c build/broker_filters.c
	@mkdir -p build-fuzz
	clang -std=gnu11 -g -O1 -D_GNU_SOURCE -DHUTCH_FUZZING -DHUTCH_WORKER_UID=$(HUTCH_WORKER_UID) -DHUTCH_WORKER_UIDS=$(HUTCH_WORKER_UIDS) \
		-fsanitize=fuzzer,address,undefined -o $@ $< $(COMMON_SRC) $(BROKER_SRC) $(WORKER_SRC) \
		build/default_filter.c build/broker_filters.c $(LIBS)
fuzz: deps $(FUZZ_BIN)
	@set -o pipefail; for f in $(FUZZ_BIN); do echo "== $$f"; mkdir -p build-fuzz/corpus-$$(basename $$f); \
		$$f -max_total_time=$(FUZZ_SECONDS) -max_len=70000 -print_final_stats=1 \
		-artifact_prefix=build-fuzz/ build-fuzz/corpus-$$(basename $$f) \
		$$(ls -d tests/fuzz/seeds/$$(basename $$f) 2>/dev/null) 2>&1 | tail -4 || exit 1; done

install: all
	install -D -m 0755 $(BUILD)/hutch $(DESTDIR)$(PREFIX)/bin/hutch
	install -D -m 0644 man/hutch.1 $(DESTDIR)$(PREFIX)/share/man/man1/hutch.1
	# The profile directory is fixed (the broker opens it by name), whatever PREFIX is.
	install -d $(DESTDIR)/usr/share/hutch/profiles
	install -m 0644 profiles/*.profile $(DESTDIR)/usr/share/hutch/profiles/

clean:
	rm -rf build build-asan build-fuzz hutch

.PHONY: all deps fixtures demo check check-selinux check-asan check-cgroup2 check-cgroup1 fuzz install clean escape-compare bench bench-profile
