#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# /init of make bench's initramfs. The kernel command line says which kernel
# this is (bench_kind=), the sizes, the repetitions and the loads per run.
# Every measurement goes to the second serial port as one line:
#   R metric size value...
# The host takes the medians and compares the kernels.

/bin/busybox --install -s /bin
export PATH=/bin
mount -t devtmpfs none /dev
mount -t proc none /proc
mount -t sysfs none /sys
mount -t debugfs none /sys/kernel/debug
exec 3>/dev/ttyS1
stty -F /dev/ttyS1 raw -echo 2>/dev/null

arg() { sed -n "s/.*$1=\([0-9a-z,]*\).*/\1/p" /proc/cmdline; }
KIND=$(arg bench_kind)
MODE=$(arg bench_mode)
SIZES=$(arg bench_sizes | tr , ' ')
REPS=$(arg bench_reps)
LOADS=$(arg bench_loads)
RNAMES=$(arg bench_reader_names | tr , ' ')
S=/sys/kernel/debug/modules/stats
C=/sys/kernel/debug/modules/modcount
B=/sys/kernel/debug/modstats_bench/ctl
M=/bench/mod.ko
out() { echo "R $*" >&3; }
# loads_beside METRIC SIZE CMD...: time the loads while CMD runs.
loads_beside()
{
	metric=$1
	size=$2
	shift 2
	"$@" &
	pid=$!
	out "$metric" "$size" "$(benchtool loads $M mst_seq "$LOADS")"
	kill $pid
	wait $pid 2>/dev/null
}
slab() { awk '/^Slab:/ { print $2 * 1024 }' /proc/meminfo; }

echo "=== START $KIND $MODE" >&3
echo "=== clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)" >&3

# Under "-icount shift=0" QEMU advances the guest's clock by one nanosecond
# per instruction executed, so every timing in that boot is a count of
# instructions: the same from run to run, whatever else the host is doing.
P=
[ "$MODE" = icount ] && P=icount_

# 3: loading and unloading one module.
if [ "$MODE" = loads ] || [ "$MODE" = icount ]; then
	for r in $(seq "$REPS"); do
		out ${P}load "$LOADS" "$(benchtool loads $M mst_seq "$LOADS")"
	done
fi
# 4, on two CPUs: the same with each of RNAMES names listed, where
# upstream's reader holds module_mutex while it prints them, alone and
# beside a process that reads stats in a loop; and, to tell the reader's own
# cost from that of a vCPU kept busy under TCG, beside a process that only
# spins, and beside one that opens and reads a one-number file of the same
# directory in a loop, which pays for the system calls and the path walk
# and renders nothing. The size of these rows is the number of names listed.
if [ "$MODE" = loads ] && [ -f "$B" ]; then
	for rn in $RNAMES; do
		echo "populate $rn" >"$B" || echo "=== ERROR populate $rn" >&3
		for r in $(seq "$REPS"); do
			out load_listed "$rn" "$(benchtool loads $M mst_seq "$LOADS")"
			loads_beside load_busy_reader "$rn" benchtool reader "$S"
			loads_beside load_busy_spin "$rn" benchtool spin
			loads_beside load_busy_counter "$rn" benchtool reader "$C"
		done
	done
fi

# On one CPU, timed in the kernel: what a successful load costs the
# statistics (3), and as the list grows, failures recorded (1), reads (2)
# and slab per name (5).
if { [ "$MODE" = micro ] || [ "$MODE" = icount ]; } && [ -f "$B" ]; then
	for r in $(seq "$REPS"); do
		echo "loaded 100000" >"$B"
		out ${P}hook_loaded 0 "$(cat "$B")"
	done
	prev=0
	for n in $SIZES; do
		before=$(slab)
		echo "populate $n" >"$B" || echo "=== ERROR populate $n" >&3
		after=$(slab)
		[ "$MODE" = micro ] && out slab_delta "$n" $((n - prev)) $((after - before))
		prev=$n
		for r in $(seq "$REPS"); do
			echo "time 10000" >"$B"
			out ${P}insert "$n" "$(cat "$B")"
		done
		for r in $(seq "$REPS"); do
			out ${P}read "$n" "$(benchtool read "$S" 5)"
		done
	done
fi
dmesg | grep -e 'WARNING:' -e 'BUG:' | sed 's/^/W /' >&3
echo "=== DONE $KIND $MODE" >&3
# With -no-reboot QEMU exits on a reboot; this kernel cannot power off.
reboot -f
