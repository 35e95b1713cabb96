#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: build kernels from one base, with upstream's stats.c, with ours
# and with CONFIG_MODULE_STATS=n, run the same workloads on each under QEMU,
# and compare. Prints a table; writes results.csv and a PNG plot into a
# folder whose path is the last line.
# Usage: bench.sh [--smoke]
#   --smoke  the smallest size, few repetitions, and only the upstream and
#            our kernel built like the e2e kernel, so that ccache serves
#            them; make test runs this to keep the benchmark working.
#
# Workloads (harness/bench/guest.sh): loads and unloads of one module; the
# same with names listed, with and without a process reading stats in a
# loop; then, at each list size,
# duplicate failures recorded through harness/bench/stats_bench.c (built
# into both stats kernels: it calls the kernel's own try_add_failed_module()
# and mod_stat_bump_becoming(), as early_mod_check() does), full reads of
# stats, and the slab bytes the list grew by.

. "$(dirname "$0")/lib.sh" || exit 1

SMOKE=0
[ "${1:-}" = --smoke ] && SMOKE=1
if [ $SMOKE = 1 ]; then
	# 200 names: more than the 111 upstream's buffer holds.
	SIZES=10,200 REPS=3 LOADS=50 KINDS="upstream ours"
	R=$BUILD/bench-smoke
else
	SIZES=10,100,1000,10000 REPS=5 LOADS=1000 KINDS="nostats upstream ours"
	R=$BUILD/bench
fi
# For trying things out: BENCH_SIZES=10,100 BENCH_REPS=3 BENCH_LOADS=100
# BENCH_KINDS="upstream ours" make bench; BENCH_READER_NAMES (100,10000;
# 100 in the smoke run) is how many names are listed while the busy reader
# runs, one set of runs per number.
SIZES=${BENCH_SIZES:-$SIZES} REPS=${BENCH_REPS:-$REPS} LOADS=${BENCH_LOADS:-$LOADS}
KINDS=${BENCH_KINDS:-$KINDS}
RNAMES=${BENCH_READER_NAMES:-$([ $SMOKE = 1 ] && echo 100 || echo 100,10000)}
out=$R/results
TIMEOUT=${BENCH_TIMEOUT:-$([ $SMOKE = 1 ] && echo 300 || echo 1800)}
bench=$TOP/harness/bench
cc=$(kbuild_cc)

"$TOP/harness/deps.sh" gnuplot-nox
tree=$(prepared_tree)
base=$(cat "$BUILD/base.path")
busybox=$(command -v busybox) || die "busybox not found (package busybox-static)"

# The kernels' config: the e2e kernel's for the smoke run (so that ccache
# has every object); for the real run the same without lock debugging,
# which would dwarf what is measured.
frag=$R/fragment
mkdir -p "$R" "$out"
if [ $SMOKE = 1 ]; then
	cp "$TOP/harness/config/qemu-x86_64.config" "$frag"
else
	grep -v -E '^CONFIG_(DEBUG_KERNEL|PROVE_LOCKING|RCU_EXPERT|PROVE_RCU_LIST|DEBUG_ATOMIC_SLEEP)=' \
		"$TOP/harness/config/qemu-x86_64.config" >"$frag"
fi

# Trees: $R/KIND/linux beside $R/KIND/obj, laid out like
# build/linux and build/qemu-x86_64 so that ccache hits across them.
src_of() { case $1 in upstream) echo upstream ;; *) echo ours ;; esac; }

prepare_src() # upstream|ours
{
	local kind=$1 dir=$R/$1/linux from

	[ "$kind" = upstream ] && from=$base || from=$tree
	mkdir -p "$dir"
	rsync -a --delete --exclude kernel/module/stats_bench.c "$from/" "$dir/"
	rsync -c "$bench/stats_bench.c" "$dir/kernel/module/stats_bench.c"
	echo 'obj-$(CONFIG_MODULE_STATS) += stats_bench.o' >>"$dir/kernel/module/Makefile"
	if [ "$kind" = ours ]; then
		echo 'CFLAGS_stats_bench.o += -DMODSTATS_OURS' >>"$dir/kernel/module/Makefile"
	fi
}

build_kernel() # nostats|upstream|ours
{
	local kind=$1 src obj start want

	src=$R/$(src_of "$kind")/linux
	obj=$R/$(src_of "$kind")/obj
	if [ "$kind" = nostats ]; then
		obj=$obj-nostats
	fi
	mkdir -p "$obj"
	kmake() { make -C "$src" O="$obj" ARCH=x86_64 CC="$cc" -j"$JOBS" "$@"; }
	want=$( (cat "$frag"; echo "$kind") | sha256sum | cut -c1-16)
	if [ "$(cat "$obj/.fragment" 2>/dev/null)" != "$want" ] || [ ! -f "$obj/.config" ]; then
		kmake -s tinyconfig >/dev/null
		"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$frag" >/dev/null
		if [ "$kind" = nostats ]; then
			"$src/scripts/config" --file "$obj/.config" -d MODULE_STATS
		fi
		kmake -s olddefconfig >/dev/null
		if [ "$kind" = nostats ]; then
			! grep -q '^CONFIG_MODULE_STATS=y' "$obj/.config" ||
				die "$kind: CONFIG_MODULE_STATS is still set"
		else
			grep -q '^CONFIG_MODULE_STATS=y' "$obj/.config" ||
				die "$kind: CONFIG_MODULE_STATS did not stick"
		fi
		echo "$want" >"$obj/.fragment"
	fi
	start=$(date +%s)
	kmake -s bzImage modules >"$obj.log" 2>&1 ||
		{ tail -n 30 "$obj.log" >&2; die "$kind kernel failed to build (log: $obj.log)"; }
	# The module that is loaded, built against this kernel.
	mkdir -p "$obj-mod"
	cp "$TOP/tools/testing/selftests/module/test_modules/mst_template.c" "$obj-mod/mst_seq.c"
	echo 'obj-m += mst_seq.o' >"$obj-mod/Kbuild"
	make -C "$obj" M="$obj-mod" CC="$cc" -s modules >"$obj-mod.log" 2>&1 ||
		{ tail -n 30 "$obj-mod.log" >&2; die "$kind: test module failed to build"; }
	echo "    $kind kernel built in $(( $(date +%s) - start )) s"
}

stage 1/4 "preparing the trees (upstream: the base as shipped; ours: the prepared tree)"
for src in $(for k in $KINDS; do src_of "$k"; done | sort -u); do
	prepare_src "$src"
done

stage 2/4 "building the kernels: $KINDS"
for k in $KINDS; do
	build_kernel "$k"
done

stage 3/4 "running the workloads (sizes $SIZES, $REPS runs each, $LOADS loads per run)"
gcc -O2 -Wall -Wextra -static -o "$R/benchtool" "$bench/benchtool.c" ||
	die "benchtool failed to build"
# Three boots per kernel: the loads on two vCPUs, with idle=poll so that an
# idle vCPU does not take QEMU's time to wake for each expedited RCU grace
# period; the in-kernel timings on one vCPU, which nothing else competes
# with; and the loads and in-kernel timings again on one vCPU under
# "-icount shift=0", where the guest's clock counts instructions, so that
# those numbers do not move with the host's load. Expedited RCU keeps each
# unload's grace period short.
for k in $KINDS; do
	obj=$R/$(src_of "$k")/obj
	if [ "$k" = nostats ]; then
		obj=$obj-nostats
	fi
	root=$R/initramfs-$k
	rm -rf "$root"
	mkdir -p "$root"/{bin,dev,proc,sys,bench}
	cp "$busybox" "$root/bin/busybox"
	cp "$R/benchtool" "$root/bin/benchtool"
	cp "$bench/guest.sh" "$root/init"
	chmod +x "$root/init"
	cp "$obj-mod/mst_seq.ko" "$root/bench/mod.ko"
	(cd "$root" && find . | cpio -o -H newc --quiet) >"$root.cpio"
	: >"$out/$k.data"
	for mode in loads micro icount; do
		[ "$k" = nostats ] && [ $mode = micro ] && continue
		icount=()
		case $mode in
		loads)	smp=2 extra="idle=poll" ;;
		micro)	smp=1 extra="" ;;
		icount)	smp=1 extra="" icount=(-icount shift=0,sleep=off) ;;
		esac
		log=$out/$k.$mode
		start=$(date +%s)
		rc=0
		timeout --foreground -k 10 "$TIMEOUT" qemu-system-x86_64 -nodefaults -nographic \
			-machine pc -cpu max -smp $smp -m 1024 -no-reboot "${icount[@]}" \
			-kernel "$obj/arch/x86/boot/bzImage" -initrd "$root.cpio" \
			-append "console=ttyS0 quiet panic=-1 $extra rcupdate.rcu_expedited=1 bench_kind=$k bench_mode=$mode bench_sizes=$SIZES bench_reps=$REPS bench_loads=$LOADS bench_reader_names=$RNAMES" \
			-serial "file:$log.console.log" -serial "file:$log.data" \
			-monitor none </dev/null || rc=$?
		tr -d '\r' <"$log.data" >"$log.data.tmp" && mv "$log.data.tmp" "$log.data"
		grep -q "^=== DONE $k $mode" "$log.data" ||
			{ tail -n 20 "$log.console.log" >&2; die "$k ($mode): the guest did not finish (QEMU status $rc)"; }
		cat "$log.data" >>"$out/$k.data"
		echo "    $k, $mode: $(grep -c '^R ' "$log.data") measurements in $(( $(date +%s) - start )) s"
	done
done

stage 4/4 "results"
rc=0
python3 "$bench/report.py" "$out" $KINDS || rc=$?
if [ $SMOKE = 1 ]; then
	# make test: the benchmark still works end to end. Nothing is timed.
	mkdir -p "$RESULTS"
	rm -f "$RESULTS/bench"
	# Every workload left its measurements, each boot's as many as it ran.
	for k in $KINDS; do
		lack=$(python3 - "$out/$k.data" "$SIZES" "$REPS" "$RNAMES" <<'PY'
import collections, sys
path, sizes, reps, rnames = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3]), sys.argv[4].split(",")
got = collections.Counter()
for line in open(path, errors="replace"):
    f = line.split()
    if len(f) >= 4 and f[0] == "R":
        got[(f[1], f[2])] += 1
want = [("hook_loaded", "0"), ("icount_hook_loaded", "0")]
want += [(m, n) for n in sizes for m in ("insert", "read", "icount_insert", "icount_read")]
want += [(m, n) for n in rnames for m in ("load_listed", "load_busy_reader", "load_busy_spin",
                                          "load_busy_counter")]
lack = [f"{m}@{n}: {got[(m, n)]} of {reps}" for m, n in want if got[(m, n)] != reps]
lack += [f"{m}: none" for m in ("load", "icount_load") if not any(k[0] == m for k in got)]
print("; ".join(lack))
PY
)
		if [ -z "$lack" ]; then
			result bench PASS "bench:smoke:$k-kernel-ran-every-workload"
		else
			result bench FAIL "bench:smoke:$k-kernel-ran-every-workload" "$lack"
		fi
	done
	missing=$(python3 - "$out/results.csv" <<'PY'
import csv, sys
want = {"insert_ns_per_failure", "read_ns", "read_bytes", "read_names", "load_unload_ns",
        "load_hook_ns", "load_listed_ns", "load_busy_reader_ns", "busy_reader_slowdown_pct",
        "busy_spin_slowdown_pct", "busy_counter_slowdown_pct", "slab_bytes_per_name", "insert_insns_per_failure", "read_insns",
        "load_unload_insns", "load_hook_insns"}
rows = list(csv.DictReader(open(sys.argv[1])))
have = {r["metric"] for r in rows if r["upstream"] and r["ours"]}
print(" ".join(sorted(want - have)))
PY
)
	if [ -z "$missing" ] && [ $rc = 0 ]; then
		result bench PASS "bench:smoke:every-metric-for-both-kernels"
	else
		result bench FAIL "bench:smoke:every-metric-for-both-kernels" "missing: ${missing:-none}, report status $rc"
	fi
	if [ -s "$out/plot.png" ] && [ "$(head -c 4 "$out/plot.png" | od -An -c | tr -d ' ')" = '211PNG' ]; then
		result bench PASS "bench:smoke:plot-written"
	else
		result bench FAIL "bench:smoke:plot-written" "no PNG at $out/plot.png"
	fi
	# At the largest size, past upstream's 111: ours lists every name.
	n=${SIZES##*,}
	names=$(awk -F, -v n="$n" '$1 == "read_names" && $2 == n { print $4 }' "$out/results.csv")
	if [ "${names%.*}" = "$n" ]; then
		result bench PASS "bench:smoke:ours-lists-every-name"
	else
		result bench FAIL "bench:smoke:ours-lists-every-name" "listed ${names:-nothing} of $n"
	fi
fi
echo "$out"
exit $rc
