# SPDX-License-Identifier: GPL-2.0
# Module load statistics for Linux: the harness. Each target is a script in
# harness/; see README.md.

.PHONY: all tree kunit e2e e2e-kasan e2e-nostats check test run bench patches mutate realboot clean distclean help

all: help

help:
	@echo "make run        boot a kernel, race duplicate loads, show the stats"
	@echo "make test       every check; ends with 'N passed, N failed'"
	@echo "make tree       prepare the kernel tree; prints its path last"
	@echo "make kunit      KUnit on UML, x86_64 (KASAN, UBSAN, lockdep, gcov), i386, KCSAN"
	@echo "make e2e        the module selftest (kselftest) in QEMU"
	@echo "make e2e-kasan  the same on a KASAN and UBSAN kernel (not part of make test)"
	@echo "make e2e-nostats the same on a kernel without CONFIG_MODULE_STATS: the trace case must pass"
	@echo "make check      checkpatch, kernel-doc, sparse, W=1, the patch series"
	@echo "make bench      upstream's stats.c against ours under QEMU; table, CSV, plot"
	@echo "make patches    the series for the maintainers, every step built; git format-patch with a cover letter"
	@echo "make mutate     put upstream's old defects back, one at a time; each must be caught"
	@echo "make realboot   a real Debian 12 boot (systemd-udevd, kmod) on 1-16 vCPUs; report, plot"
	@echo "make clean      remove build products, keep the prepared tree"
	@echo "make distclean  remove build/ and the cached base tree"

tree:
	@harness/tree.sh

kunit:
	@harness/kunit.sh

e2e:
	@harness/e2e.sh e2e

e2e-kasan:
	@E2E_KASAN=1 harness/e2e.sh e2e

e2e-nostats:
	@E2E_NOSTATS=1 harness/e2e.sh e2e

check:
	@harness/check.sh

test:
	@harness/test.sh

run:
	@harness/e2e.sh run

bench:
	@harness/bench.sh

patches:
	@harness/patches.sh

mutate:
	@harness/mutate.sh

realboot:
	@harness/realboot.sh

clean:
	rm -rf build/kunit-* build/mutate build/bench build/bench-smoke build/qemu-* build/nostats-* build/e2e-* build/kselftest* build/initramfs-* \
		build/patches* build/results build/modload build/*.log build/steps

distclean:
	rm -rf build
	rm -rf "$${MODSTATS_CACHE:-$${XDG_CACHE_HOME:-$$HOME/.cache}/modstats}"
