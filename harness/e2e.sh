#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot the x86_64 kernel in QEMU with a busybox initramfs that races
# duplicate module loads, then check what the guest reported.
# Usage: e2e.sh [e2e|run]
#   e2e  every scenario, checked by tools/testing/selftests/module/e2e_check.py
#   run  one udev-like storm; print the stats file and the loaders' tally

. "$(dirname "$0")/lib.sh"

MODE=${1:-e2e}
TIMEOUT=${E2E_TIMEOUT:-600}
# The checks e2e_check.py makes of a complete guest run: fewer means some
# scenario's checks went missing.
E2E_MIN_CHECKS=${E2E_MIN_CHECKS:-132}
sel=$TOP/tools/testing/selftests/module
mods=$BUILD/e2e-modules
root=$BUILD/initramfs-$MODE
log=$BUILD/e2e-$MODE.console.log
data=$BUILD/e2e-$MODE.data.log

"$TOP/harness/qemu-kernel.sh"
kernel=$BUILD/qemu-x86_64/arch/x86/boot/bzImage
busybox=$(command -v busybox) || die "busybox not found (package busybox-static)"
readelf -l "$busybox" 2>/dev/null | grep -q INTERP &&
	die "$busybox is dynamically linked; install busybox-static"

stage 1/3 "making the initramfs"
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,etc} "$root/modules"/{race,racexz,distinct}
cp "$busybox" "$root/bin/busybox"
cp "$BUILD/modload" "$root/bin/modload"
cp "$sel/e2e_guest.sh" "$root/init"
echo "root:x:0:0:root:/:/bin/sh" >"$root/etc/passwd"
echo "nobody:x:65534:65534:nobody:/:/bin/false" >>"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
cp "$mods/mst_seq.ko" "$root/modules/seq.ko"
cp "$mods/mst_merge.ko" "$root/modules/merge.ko"
for i in 1 2 3 4 5 6 7 8; do
	cp "$mods/mst_race.ko" "$root/modules/race/c$i.ko"
	xz -C crc32 -c "$mods/mst_racexz.ko" >"$root/modules/racexz/c$i.ko.xz"
done
while read -r n; do
	cp "$mods/$n.ko" "$root/modules/distinct/$n.ko"
done <"$mods/distinct.list"
# A truncated xz stream: read, then fails to decompress.
xz -C crc32 -c "$mods/mst_seq.ko" | head -c 600 >"$root/modules/corrupt.ko.xz"
# Not an ELF file at all.
head -c 4096 /dev/zero | tr '\0' 'E' >"$root/modules/badelf.ko"
: >"$root/modules/empty.ko"
# A real module whose vermagic names another kernel release.
python3 - "$mods/mst_vermagic.ko" "$root/modules/vermagic.ko" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
i = data.find(b"vermagic=")
if i < 0:
    sys.exit("no vermagic in " + sys.argv[1])
data = data[:i + 9] + b"0" + data[i + 10:]
open(sys.argv[2], "wb").write(data)
PY
(cd "$root" && find . | cpio -o -H newc --quiet) >"$BUILD/initramfs-$MODE.cpio"

stage 2/3 "booting the kernel in QEMU (TCG, timeout ${TIMEOUT} s)"
rm -f "$log" "$data"
start=$(date +%s)
rc=0
timeout --foreground -k 10 "$TIMEOUT" qemu-system-x86_64 -nodefaults -nographic \
	-machine pc -cpu max -smp 2 -m 1024 -no-reboot \
	-kernel "$kernel" -initrd "$BUILD/initramfs-$MODE.cpio" \
	-append "console=ttyS0 panic_on_warn=1 oops=panic panic=-1 modstats_mode=$MODE" \
	-serial "file:$log" -serial "file:$data" -monitor none </dev/null || rc=$?
echo "    QEMU exited with status $rc after $(( $(date +%s) - start )) s"
tr -d '\r' <"$data" >"$data.tmp" && mv "$data.tmp" "$data"
if ! grep -q '^=== DONE' "$data"; then
	[ "$rc" = 124 ] && why="timed out after $TIMEOUT s" || why="stopped early (QEMU status $rc)"
	echo "    the guest $why; last console lines:" >&2
	tail -n 30 "$log" | sed 's/^/    | /' >&2
	if [ "$MODE" = e2e ]; then
		mkdir -p "$RESULTS"
		rm -f "$RESULTS/e2e"
		result e2e FAIL "e2e:guest-completed" "$why; console: $log"
	fi
	exit 1
fi

stage 3/3 "checking what the guest saw"
if [ "$MODE" = run ]; then
	python3 "$sel/e2e_check.py" --summary "$data" "$log" "$root"
else
	mkdir -p "$RESULTS"
	rm -f "$RESULTS/e2e"
	crc=0
	python3 "$sel/e2e_check.py" "$data" "$log" "$root" >"$RESULTS/e2e.tmp" 2>&1 || crc=$?
	sed 's/^/  /' "$RESULTS/e2e.tmp"
	grep -E '^(PASS|FAIL|SKIP) ' "$RESULTS/e2e.tmp" >"$RESULTS/e2e" || true
	rm -f "$RESULTS/e2e.tmp"
	# 0: every check passed; 1: some failed. Anything else: the checker broke,
	# and the checks it did not reach must not vanish from the count.
	if [ "$crc" != 0 ] && [ "$crc" != 1 ]; then
		grep -q '^FAIL e2e:checker-completed' "$RESULTS/e2e" ||
			result e2e FAIL "e2e:checker-completed" "e2e_check.py exited with status $crc"
	fi
	n=$(grep -c '^\(PASS\|FAIL\)' "$RESULTS/e2e" || true)
	if [ "$n" -lt "$E2E_MIN_CHECKS" ]; then
		result e2e FAIL "e2e:checks-counted" "$n checks, the scenarios make at least $E2E_MIN_CHECKS"
	fi
	# The checker itself, fed this run's output broken in four ways.
	python3 "$TOP/harness/e2e-check-test.py" "$sel/e2e_check.py" "$data" "$log" "$root" \
		"$E2E_MIN_CHECKS" >"$RESULTS/e2e.self" 2>&1 || true
	sed 's/^/  /' "$RESULTS/e2e.self"
	grep -E '^(PASS|FAIL) ' "$RESULTS/e2e.self" >>"$RESULTS/e2e" ||
		result e2e FAIL "e2e:checker-selftest" "$(tail -n 1 "$RESULTS/e2e.self")"
	rm -f "$RESULTS/e2e.self"
	! grep -q '^FAIL' "$RESULTS/e2e"
fi
