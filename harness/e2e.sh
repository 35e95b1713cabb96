#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot the x86_64 kernel in QEMU with a busybox initramfs.
# Usage: e2e.sh [e2e|run]
#   e2e  install the module selftest (tools/testing/selftests/module) as
#        kselftest installs it and run it with run_kselftest.sh -c module in
#        the guest; the host reads its TAP (harness/ktap.py) and the console
#   run  one udev-like storm; print the stats file and the loaders' tally
#
# E2E_KERNEL=DIR boots the kernel built in DIR (an O= directory) instead of
# ours, with the selftest built against it: e.g. build/bench/upstream/obj
# after 'make bench', or a CONFIG_MODULE_STATS=n build. Its results go to
# build/e2e-NAME.* and are not counted by 'make test'.
# E2E_PANIC_ON_WARN=0 lets the guest go on past a WARN (to see every case
# fail on a kernel that WARNs); the console check still counts the WARN.
# E2E_CPUS=1 boots one vCPU instead of two, to see the run fail for it.
# E2E_KASAN=1 boots the same kernel built with KASAN and UBSAN
# (build/qemu-x86_64-kasan); results in build/e2e-kasan.*.
# E2E_NOSTATS=1 boots it built without CONFIG_MODULE_STATS
# (build/qemu-x86_64-nostats): the stats cases must skip for that reason
# and the trace case pass. Results in build/results/e2e-nostats, which
# make test counts.
# E2E_RUNS=N runs the selftest N times in one boot; the last run is read.
# E2E_READ_ONLY=1 boots nothing: it reads the guest output of the last run
# again (build/e2e-e2e.data.log, .console.log), e.g. after editing it, with
# E2E_READER=PATH in place of harness/ktap.py, to see a broken output or a
# broken reader fail the stage.

. "$(dirname "$0")/lib.sh" || exit 1

MODE=${1:-e2e}
TIMEOUT=${E2E_TIMEOUT:-1500}
sel=$TOP/tools/testing/selftests/module
mods=$BUILD/e2e-modules

reader=${E2E_READER:-$TOP/harness/ktap.py}
if [ -n "${E2E_READ_ONLY:-}" ]; then
	obj=$BUILD/qemu-x86_64
	tag=$MODE
	tree=$TREE
	[ "$MODE" = e2e ] || die "E2E_READ_ONLY is for 'e2e' only"
elif [ -n "${E2E_KERNEL:-}" ]; then
	obj=$(cd "$E2E_KERNEL" && pwd) || die "E2E_KERNEL=$E2E_KERNEL is not a directory"
	tag=$(basename "$(dirname "$obj")")-$(basename "$obj")
	[ "$MODE" = e2e ] || die "E2E_KERNEL is for 'e2e' only"
	tree=$(prepared_tree)
elif [ -n "${E2E_KASAN:-}" ]; then
	[ "$MODE" = e2e ] || die "E2E_KASAN is for 'e2e' only"
	QEMU_KASAN=1 "$TOP/harness/qemu-kernel.sh"
	obj=$BUILD/qemu-x86_64-kasan
	tag=kasan
	tree=$TREE
elif [ -n "${E2E_NOSTATS:-}" ]; then
	[ "$MODE" = e2e ] || die "E2E_NOSTATS is for 'e2e' only"
	QEMU_NOSTATS=1 "$TOP/harness/qemu-kernel.sh"
	obj=$BUILD/qemu-x86_64-nostats
	tag=nostats
	tree=$TREE
else
	if [ "$MODE" = run ]; then
		"$TOP/harness/qemu-kernel.sh" --demo
	else
		"$TOP/harness/qemu-kernel.sh"
	fi
	obj=$BUILD/qemu-x86_64
	tag=$MODE
	tree=$TREE
fi
kernel=$obj/arch/x86/boot/bzImage
[ -f "$kernel" ] || die "no kernel at $kernel"
root=$BUILD/initramfs-$tag
log=$BUILD/e2e-$tag.console.log
data=$BUILD/e2e-$tag.data.log
rc=0
# Stages 1 and 2, which E2E_READ_ONLY skips: the initramfs, then the boot.
guest()
{
	busybox=$(command -v busybox) || die "busybox not found (package busybox-static)"
	readelf -l "$busybox" 2>/dev/null | grep -q INTERP &&
		die "$busybox is dynamically linked; install busybox-static"

	# copy_bin FILE [DEST]: a binary and the shared libraries it needs.
	copy_bin()
	{
		local bin=$1 dest=${2:-$1} lib

		mkdir -p "$root$(dirname "$dest")"
		cp -L "$bin" "$root$dest"
		for lib in $(ldd "$bin" 2>/dev/null | grep -o '/[^ ]*' || true); do
			[ -e "$root$lib" ] || { mkdir -p "$root$(dirname "$lib")" && cp -L "$lib" "$root$lib"; }
		done
	}

	stage 1/3 "making the initramfs"
	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,etc,usr/bin}
	cp "$busybox" "$root/bin/busybox"
	cp "$TOP/harness/guest-init.sh" "$root/init"
	echo "root:x:0:0:root:/:/bin/sh" >"$root/etc/passwd"
	echo "nobody:x:65534:65534:nobody:/:/bin/false" >>"$root/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
	if [ "$MODE" = run ]; then
		mkdir -p "$root/modules"/{race,racexz,distinct}
		cp "$BUILD/modload" "$root/bin/modload"
		for i in 1 2 3 4 5 6 7 8; do
			cp "$mods/mst_race.ko" "$root/modules/race/c$i.ko"
			xz -C crc32 -c "$mods/mst_racexz.ko" >"$root/modules/racexz/c$i.ko.xz"
		done
		while read -r n; do
			cp "$mods/$n.ko" "$root/modules/distinct/$n.ko"
		done <"$mods/distinct.list"
	else
		# The selftest, installed as kselftest installs it, with its module
		# built against this kernel by lib.mk's TEST_GEN_MODS_DIR.
		ks=$BUILD/kselftest-$tag
		st=$tree/tools/testing/selftests
		if [ "$(cat "$BUILD/kselftest.kdir" 2>/dev/null)" != "$obj" ]; then
			# The module was built against another kernel: build it afresh.
			rm -rf "$st/module/test_modules"
			cp -r "$sel/test_modules" "$st/module/test_modules"
		fi
		rm -rf "$ks"
		make -C "$st" TARGETS=module KDIR="$obj" CC="$(kbuild_cc)" INSTALL_PATH="$ks" \
			install >"$ks.log" 2>&1 ||
			{ tail -n 30 "$ks.log" >&2; die "the selftest failed to build (log: $ks.log)"; }
		echo "$obj" >"$BUILD/kselftest.kdir"
		[ -f "$ks/module/test_modules/mst_template.ko" ] ||
			die "the selftest's module was not built (log: $ks.log)"
		cp -r "$ks" "$root/kselftest"
		copy_bin "$ks/module/mod_stats" /kselftest/module/mod_stats
		xzbin=$(command -v xz) || die "xz not found (package xz-utils)"
		copy_bin "$xzbin" /usr/bin/xz
		# The shell of the runner and of the test's system(): see guest-init.sh.
		copy_bin "$(command -v bash)" /bin/bash
	fi
	(cd "$root" && find . | cpio -o -H newc --quiet) >"$BUILD/initramfs-$tag.cpio"

	pow=${E2E_PANIC_ON_WARN:-1}
	stage 2/3 "booting the kernel in QEMU (TCG, timeout ${TIMEOUT} s)"
	rm -f "$log" "$data"
	start=$(date +%s)
	rc=0
	timeout --foreground -k 10 "$TIMEOUT" qemu-system-x86_64 -nodefaults -nographic \
		-machine pc -cpu max -smp "${E2E_CPUS:-2}" -m 1024 -no-reboot \
		-kernel "$kernel" -initrd "$BUILD/initramfs-$tag.cpio" \
		-append "console=ttyS0 panic_on_warn=$pow oops=panic panic=-1 modstats_mode=$MODE modstats_runs=${E2E_RUNS:-1}" \
		-serial "file:$log" -serial "file:$data" -monitor none </dev/null || rc=$?
	echo "    QEMU exited with status $rc after $(( $(date +%s) - start )) s"
	tr -d '\r' <"$data" >"$data.tmp" && mv "$data.tmp" "$data"
}
[ -n "${E2E_READ_ONLY:-}" ] || guest

if [ "$MODE" = run ]; then
	if ! grep -q '^=== DONE' "$data"; then
		tail -n 30 "$log" | sed 's/^/    | /' >&2
		die "the guest stopped early (QEMU status $rc)"
	fi
	stage 3/3 "what the guest saw"
	python3 "$TOP/harness/run-summary.py" "$data"
	exit
fi

stage 3/3 "reading the selftest's TAP and the console"
out=$RESULTS/e2e
[ -z "${E2E_KERNEL:-}${E2E_KASAN:-}" ] || out=$BUILD/e2e-$tag.results
[ -z "${E2E_NOSTATS:-}" ] || out=$RESULTS/e2e-nostats
reader_args=()
[ -z "${E2E_NOSTATS:-}" ] || reader_args=(--no-stats)
mkdir -p "$RESULTS"
rm -f "$out"
why=
if ! grep -q '^=== DONE' "$data"; then
	[ "$rc" = 124 ] && why="timed out after $TIMEOUT s" || why="stopped early (QEMU status $rc)"
	echo "    the guest $why; last console lines:" >&2
	tail -n 30 "$log" | sed 's/^/    | /' >&2
fi
crc=0
python3 "$reader" "${reader_args[@]}" "$data" "$log" "$sel/mod_stats.c" >"$out.tmp" 2>&1 || crc=$?
sed 's/^/  /' "$out.tmp"
grep -E '^(PASS|FAIL|SKIP) ' "$out.tmp" >"$out" || true
rm -f "$out.tmp"
[ -z "$why" ] || printf 'FAIL e2e:guest-completed -- %s\n' "$why" >>"$out"
# 0: every check passed; 1: some failed, and said which. Anything else,
# or a failure that named no check: the reader broke.
if [ "$crc" != 0 ] && { [ "$crc" != 1 ] || ! grep -q '^FAIL' "$out"; }; then
	grep -q '^FAIL e2e:tap-reader-completed' "$out" ||
		printf 'FAIL e2e:tap-reader-completed -- ktap.py exited with status %s\n' "$crc" >>"$out"
fi
if [ -z "${E2E_KERNEL:-}${E2E_KASAN:-}${E2E_NOSTATS:-}" ]; then
	# The reader itself, fed this run's output broken in several ways.
	python3 "$TOP/harness/ktap-test.py" "$reader" "$data" "$log" \
		"$sel/mod_stats.c" >"$out.self" 2>&1 || true
	sed 's/^/  /' "$out.self"
	grep -E '^(PASS|FAIL) ' "$out.self" >>"$out" ||
		printf 'FAIL e2e:tap-reader-selftest -- %s\n' "$(tail -n 1 "$out.self")" >>"$out"
	rm -f "$out.self"
fi
! grep -q '^FAIL' "$out"
