#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run the KUnit suites of kernel/module/.kunitconfig through the tree's own
# kunit.py, on four kernels:
#   um      UML, the fast one (no in-kernel decompression)
#   x86_64  QEMU, 2 vCPUs, KASAN + UBSAN + lockdep + DEBUG_ATOMIC_SLEEP,
#           panic_on_warn, and gcov on kernel/module/stats.o only: after the
#           suite a small initramfs prints stats.gcda in base64, and the host
#           turns it into line coverage (the run fails below $COVERAGE_MIN %)
#   i386    QEMU, a 32-bit kernel, 2 vCPUs
#   kcsan   QEMU x86_64, 2 vCPUs, KCSAN on kernel/module/stats.o, for the
#           concurrency cases
# Each kernel keeps its build directory, so a re-run recompiles only what
# changed. Usage: kunit.sh [kernel ...]   (default: um x86_64 i386 kcsan)

. "$(dirname "$0")/lib.sh" || exit 1

KERNELS=${*:-um x86_64 i386 kcsan}
COVERAGE_MIN=${COVERAGE_MIN:-90}
mkdir -p "$RESULTS"
rm -f "$RESULTS/kunit"
tree=$(prepared_tree)
cc=$(kbuild_cc)
n=$(echo "$KERNELS" | wc -w)
i=0
rc=0

kcfg() # CONFIG_FOO=y ... -> --kconfig_add CONFIG_FOO=y ...
{
	local c

	for c in "$@"; do
		printf -- '--kconfig_add\n%s\n' "$c"
	done
}

# Both x86 architectures load xz-compressed modules in some cases.
X86=(CONFIG_SMP=y CONFIG_MODULE_COMPRESS=y CONFIG_MODULE_COMPRESS_XZ=y
     CONFIG_MODULE_DECOMPRESS=y CONFIG_DEBUG_KERNEL=y CONFIG_PROVE_LOCKING=y
     CONFIG_DEBUG_ATOMIC_SLEEP=y)
# What the three x86 kernels can do without (kunit.py starts from the
# defaults, which build hardware support a QEMU guest running one suite
# never uses): 1135 objects instead of 1271 in the x86_64 one. ACPI itself
# stays: it is what brings up the second vCPU.
X86+=(CONFIG_EXPERT=y CONFIG_IO_URING=n CONFIG_X86_MCE=n CONFIG_SUSPEND=n
      CONFIG_HIBERNATION=n CONFIG_VT=n CONFIG_INPUT=n CONFIG_SERIO=n CONFIG_HID=n
      CONFIG_HWMON=n CONFIG_POWER_SUPPLY=n CONFIG_ACPI_AC=n CONFIG_ACPI_BATTERY=n
      CONFIG_ACPI_FAN=n CONFIG_ACPI_THERMAL=n)
SANITIZERS=(CONFIG_KASAN=y CONFIG_KASAN_GENERIC=y CONFIG_KASAN_INLINE=y
	    CONFIG_UBSAN=y CONFIG_UBSAN_BOUNDS=y CONFIG_UBSAN_SHIFT=y
	    CONFIG_UBSAN_BOOL=y CONFIG_UBSAN_ENUM=y
	    CONFIG_GCOV_KERNEL=y CONFIG_BLK_DEV_INITRD=y CONFIG_DEVTMPFS=y
	    CONFIG_RD_GZIP=y)
KCSAN=(CONFIG_KCSAN=y CONFIG_KCSAN_REPORT_ONCE_IN_MS=100
       CONFIG_KCSAN_INTERRUPT_WATCHER=y)

# The x86_64 kernel's initramfs: print the coverage data, then power off.
gcov_initramfs()
{
	local root=$BUILD/kunit-gcov-initramfs busybox

	busybox=$(command -v busybox) || die "busybox not found (package busybox-static)"
	rm -rf "$root"
	mkdir -p "$root"/{bin,dev,proc,sys}
	cp "$busybox" "$root/bin/busybox"
	cat >"$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t debugfs debugfs /sys/kernel/debug
# Keep kernel messages from splitting the base64 lines.
dmesg -n 1
f=$(find /sys/kernel/debug/gcov -name stats.gcda | head -n 1)
if [ -n "$f" ]; then
	echo "=== GCOV-BEGIN $f"
	base64 "$f"
	echo "=== GCOV-END"
else
	echo "=== GCOV-MISSING"
fi
# With -no-reboot, QEMU exits on a reboot; this kernel cannot power off.
reboot -f
INIT
	chmod +x "$root/init"
	(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 >"$BUILD/kunit-gcov.cpio.gz"
}

# Host side of the coverage gate: put the guest's stats.gcda beside
# stats.gcno and ask gcov how many lines of stats.c ran.
coverage()
{
	local dir=$1 log=$2 obj=$dir/kernel/module pct lines

	if ! sed -n '/^=== GCOV-BEGIN/,/^=== GCOV-END/p' "$log" | tr -d '\r' |
	     grep -E '^[A-Za-z0-9+/=]+$' | base64 -d >"$obj/stats.gcda" 2>/dev/null ||
	   [ ! -s "$obj/stats.gcda" ]; then
		result kunit FAIL "coverage:kernel/module/stats.c" \
			"no stats.gcda came back from the guest (log: $log)"
		return 1
	fi
	lines=$(cd "$obj" && gcov -n -o . "$tree/kernel/module/stats.c" 2>&1 |
		grep -A1 "^File '.*kernel/module/stats.c'" | grep 'Lines executed')
	pct=$(echo "$lines" | sed -n 's/.*executed:\([0-9.]*\)% of \([0-9]*\).*/\1/p')
	echo "    coverage of kernel/module/stats.c by the KUnit suite: ${lines#Lines executed:}"
	if [ -z "$pct" ]; then
		result kunit FAIL "coverage:kernel/module/stats.c" "gcov gave no figure"
		return 1
	fi
	(cd "$obj" && gcov -o . "$tree/kernel/module/stats.c" >/dev/null 2>&1 &&
		mv -f stats.c.gcov "$BUILD/kunit-stats.c.gcov" 2>/dev/null; rm -f ./*.gcov)
	if awk -v p="$pct" -v m="$COVERAGE_MIN" 'BEGIN { exit !(p >= m) }'; then
		result kunit PASS "coverage:kernel/module/stats.c" "$pct% >= $COVERAGE_MIN%"
	else
		result kunit FAIL "coverage:kernel/module/stats.c" \
			"$pct% < $COVERAGE_MIN%; unexecuted lines are marked ##### in $BUILD/kunit-stats.c.gcov"
		return 1
	fi
}

for k in $KERNELS; do
	i=$((i + 1))
	dir=$BUILD/kunit-$k
	log=$BUILD/kunit-$k.log
	json=$BUILD/kunit-$k.json
	arch=$k
	extra=()
	what=$k
	case $k in
	um)
		# kunit.py's UML defaults turn on PCI over virtio with no device
		# ID, which WARNs at every boot; this suite needs no PCI.
		extra=(--kconfig_add CONFIG_UML_PCI_OVER_VIRTIO=n)
		;;
	x86_64)
		mapfile -t extra < <(kcfg "${X86[@]}" "${SANITIZERS[@]}")
		what="x86_64 (KASAN, UBSAN, lockdep, panic_on_warn, gcov)"
		;;
	i386)
		mapfile -t extra < <(kcfg "${X86[@]}")
		extra+=(--qemu_args "-smp 2" --kernel_args panic_on_warn=1 --kernel_args oops=panic --kernel_args panic=-1)
		what="i386 (32-bit, lockdep, panic_on_warn)"
		;;
	kcsan)
		arch=x86_64
		mapfile -t extra < <(kcfg "${X86[@]}" "${KCSAN[@]}")
		# Only stats.o (which includes the KUnit suite) is instrumented,
		# as gcov does on x86_64: the races looked for are in it. With
		# the trims above, this kernel's cold build went from 666 s to
		# 550 s; the two changes were not timed apart.
		extra+=(--make_options KCSAN_SANITIZE=n --make_options KCSAN_SANITIZE_stats.o=y)
		extra+=(--qemu_args "-smp 2" --kernel_args panic_on_warn=1 --kernel_args oops=panic --kernel_args panic=-1)
		what="x86_64 with KCSAN, 2 vCPUs"
		;;
	*)
		die "unknown KUnit kernel '$k' (want um, x86_64, i386 or kcsan)"
		;;
	esac
	if [ -f "$dir/.config" ]; then
		stage "$i/$n" "KUnit on $what (incremental build)"
	else
		stage "$i/$n" "KUnit on $what (5-10 min to build from scratch)"
	fi
	rm -f "$json" "$dir/test.log"
	start=$(date +%s)
	kunit=(python3 tools/testing/kunit/kunit.py)
	common=(--kunitconfig=kernel/module --arch="$arch" --build_dir="$dir"
		--jobs="$JOBS")
	if [ "$k" = x86_64 ]; then
		# kunit.py reboots the guest right after the suite, before any
		# userspace could fetch the coverage data; so build with
		# kunit.py and boot the kernel here.
		gcov_initramfs
		rm -f "$dir/kernel/module/stats.gcda"
		console=$BUILD/kunit-$k.console.log
		rm -f "$console"
		{
			(cd "$tree" && "${kunit[@]}" build "${common[@]}" \
				--make_options "CC=$cc" \
				--make_options "GCOV_PROFILE_stats.o=y" "${extra[@]}") &&
			timeout --foreground -k 10 600 qemu-system-x86_64 \
				-nodefaults -nographic -machine pc -cpu max \
				-smp 2 -m 1024 -no-reboot \
				-kernel "$dir/arch/x86/boot/bzImage" \
				-initrd "$BUILD/kunit-gcov.cpio.gz" \
				-append "console=ttyS0 panic_on_warn=1 oops=panic panic=-1 kunit.enable=1 rdinit=/init" \
				-serial "file:$console" -monitor none </dev/null
			tr -d '\r' <"$console" >"$console.tmp" && mv "$console.tmp" "$console"
			cat "$console"
			(cd "$tree" && "${kunit[@]}" parse --json="$json" "$console")
		} >"$log" 2>&1 || true
	else
		(cd "$tree" && "${kunit[@]}" run "${common[@]}" \
			--make_options "CC=$cc" --timeout=600 \
			--json="$json" "${extra[@]}") >"$log" 2>&1 || true
	fi
	echo "    $(grep -E 'Testing complete|ERROR|error:' "$log" | tail -n 3 | tr '\n' ' ')($(( $(date +%s) - start )) s, log: $log)"
	# The kernel's own log: kunit.py prints only what it parsed, and keeps
	# the raw output in test.log; the x86_64 guest's console is ours.
	if [ "$k" = x86_64 ]; then
		klog=$BUILD/kunit-$k.console.log
	else
		klog=$dir/test.log
	fi
	# The cases that may skip, and why: UML has one CPU. Every other case
	# must run on every kernel.
	checks=()
	case $k in
	um)	checks=(--skip stats_test_concurrency,stats_test_reset_race) ;;
	*)	checks=(--cpus 2) ;;
	esac
	if ! python3 "$TOP/harness/kunit-results.py" "$k" "$json" "$klog" \
		"$tree/kernel/module/tests/stats_kunit.c" "${checks[@]}" >>"$RESULTS/kunit"; then
		rc=1
	fi
	grep -E "^(PASS|FAIL|SKIP) kunit-$k" "$RESULTS/kunit" | grep -v '^PASS' | sed 's/^/    /' || true
	if grep -q "^FAIL kunit-$k" "$RESULTS/kunit"; then
		rc=1
		echo "    failures on $k; last lines of the log:"
		tail -n 25 "$log" | sed 's/^/    | /'
	fi
	if [ "$k" = x86_64 ]; then
		coverage "$dir" "$log" || rc=1
	fi
done
exit $rc
