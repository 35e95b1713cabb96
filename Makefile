# SPDX-License-Identifier: GPL-2.0
# Module load statistics for Linux: the harness. Each target is a script in
# harness/; see README.md.

.PHONY: all tree kunit e2e check test run patches clean distclean help

all: help

help:
	@echo "make run        boot a kernel, race duplicate loads, show the stats"
	@echo "make test       every check; ends with 'N passed, N failed'"
	@echo "make tree       prepare the kernel tree; prints its path last"
	@echo "make kunit      KUnit on UML, x86_64 and i386"
	@echo "make e2e        the QEMU end-to-end test"
	@echo "make check      checkpatch, kernel-doc, sparse, W=1, the patch series"
	@echo "make patches    git format-patch series against the base"
	@echo "make clean      remove build products, keep the prepared tree"
	@echo "make distclean  remove build/ and the cached base tree"

tree:
	@harness/tree.sh

kunit:
	@harness/kunit.sh

e2e:
	@harness/e2e.sh e2e

check:
	@harness/check.sh

test:
	@harness/test.sh

run:
	@harness/e2e.sh run

patches:
	@harness/patches.sh

clean:
	rm -rf build/kunit-* build/qemu-* build/nostats-* build/e2e-* build/initramfs-* \
		build/patches* build/results build/modload build/*.log

distclean:
	rm -rf build
	rm -rf "$${MODSTATS_CACHE:-$${XDG_CACHE_HOME:-$$HOME/.cache}/modstats}"
