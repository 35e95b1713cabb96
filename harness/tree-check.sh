#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Checks of the harness itself: the tree prepares, refuses bad input with a
# clear message, and leaves no half-patched tree behind.

. "$(dirname "$0")/lib.sh" || exit 1

mkdir -p "$RESULTS"
rm -f "$RESULTS/tree"

out=$("$TOP/harness/tree.sh" 2>&1) || true
last=$(printf '%s\n' "$out" | tail -n 1)
if [ -f "$last/Makefile" ] && [ -f "$last/.modstats-stamp" ] && [ "${last#/}" != "$last" ]; then
	result tree PASS "tree:prints-absolute-path-last"
else
	result tree FAIL "tree:prints-absolute-path-last" "last line: $last"
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

expect_refusal() # name pattern env...
{
	local name=$1 pattern=$2 out rc=0

	shift 2
	out=$(env "$@" BUILD_DIR="$scratch/build" "$TOP/harness/tree.sh" 2>&1) || rc=$?
	if [ "$rc" != 0 ] && printf '%s\n' "$out" | grep -q "$pattern"; then
		result tree PASS "tree:$name"
	else
		result tree FAIL "tree:$name" "status $rc, output: $(printf '%s\n' "$out" | tail -n 1)"
	fi
}

mkdir -p "$scratch/notakernel"
echo "hello" >"$scratch/notakernel/Makefile"
expect_refusal refuses-non-kernel-src "is not a Linux kernel tree" KERNEL_SRC="$scratch/notakernel"
expect_refusal refuses-missing-src "is not a directory" KERNEL_SRC="$scratch/nothing"
mkdir -p "$scratch/old/kernel/module"
printf 'VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 0\n' >"$scratch/old/Makefile"
touch "$scratch/old/Kbuild" "$scratch/old/kernel/module/main.c"
expect_refusal refuses-old-src "need 6.4 or later" KERNEL_SRC="$scratch/old"
expect_refusal refuses-missing-tarball "not found" KERNEL_TARBALL="$scratch/none.tar.xz"

# A package apt cannot install is named, and the script fails.
out=$("$TOP/harness/deps.sh" modstats-no-such-package 2>&1) && rc=0 || rc=$?
if [ "$rc" != 0 ] && printf '%s\n' "$out" | grep -q "could not install: modstats-no-such-package"; then
	result tree PASS "tree:names-package-apt-cannot-install"
else
	result tree FAIL "tree:names-package-apt-cannot-install" "status $rc: $out"
fi

# A patch that does not apply: named, with its file, and the tree unstamped.
base=$(cat "$BUILD/base.path")
mkdir -p "$scratch/repo"
cp -r "$TOP/harness" "$TOP/patches" "$scratch/repo/"
cat >"$scratch/repo/patches/9999-broken.patch" <<'PATCH'
--- a/kernel/module/main.c
+++ b/kernel/module/main.c
@@ -1,3 +1,3 @@
-this line is not in main.c
+nor is this one
 neither is this
 nor this
PATCH
echo 9999-broken.patch >>"$scratch/repo/patches/series"
out=$(MODSTATS_CACHE="$CACHE" KERNEL_SRC="$base" BUILD_DIR="$scratch/build" \
	"$scratch/repo/harness/tree.sh" 2>&1) && rc=0 || rc=$?
if [ "$rc" != 0 ] && printf '%s\n' "$out" | grep -q "9999-broken.patch does not apply.*kernel/module/main.c" &&
   [ ! -f "$scratch/build/linux/.modstats-stamp" ]; then
	result tree PASS "tree:names-patch-that-does-not-apply"
else
	result tree FAIL "tree:names-patch-that-does-not-apply" \
		"status $rc: $(printf '%s\n' "$out" | tail -n 1)"
fi

! grep -q '^FAIL' "$RESULTS/tree"
