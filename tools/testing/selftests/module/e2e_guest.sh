#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the end-to-end test's initramfs. It runs the duplicate-load
# scenarios and writes what it saw, raw, to the second serial port between
# "=== BEGIN name" and "=== END name" lines. It checks nothing itself: the
# host reads the blocks and checks them (e2e_check.py), so the kernel's own
# console (the first serial port) stays free for kernel messages.
#
# Modules under /modules (built by the harness):
#   seq.ko           mst_seq, loaded twice in a row
#   race/c*.ko       8 copies of mst_race
#   racexz/c*.ko.xz  8 xz copies of mst_racexz
#   distinct/*.ko    200 modules of distinct names, lengths 1 to 55
#   corrupt.ko.xz    a truncated xz file
#   badelf.ko        not an ELF file
#   vermagic.ko      mst_vermagic with a wrong vermagic
#   empty.ko         zero bytes
#   merge.ko         mst_merge, loaded by 8 threads through one file

PATH=/bin:/sbin
export PATH
/bin/busybox --install -s /bin
# devtmpfs is not mounted for an initramfs; /init starts without a console.
mount -t devtmpfs none /dev
exec </dev/console >/dev/console 2>&1
mount -t proc none /proc
mount -t sysfs none /sys
# Mode 0755, so that the files' own modes are what a non-root reader meets.
mount -t debugfs -o mode=0755 none /sys/kernel/debug
mount -t tracefs none /sys/kernel/tracing 2>/dev/null
mount -t tmpfs none /tmp

S=/sys/kernel/debug/modules
M=/modules
T=/sys/kernel/tracing
MODE=$(sed -n 's/.*modstats_mode=\([a-z]*\).*/\1/p' /proc/cmdline)

exec 3>/dev/ttyS1
stty -F /dev/ttyS1 raw -echo 2>/dev/null

block()
{
	local what=$1

	shift
	echo "=== BEGIN $what" >&3
	"$@" >&3 2>&1
	echo "=== END $what" >&3
}

counters()
{
	for f in "$S"/*; do
		case ${f##*/} in
		stats|dup_failures|reset) continue ;;
		esac
		echo "${f##*/} $(cat "$f")"
	done
}

# scenario NAME loader-args...: counters before, the loader's tally, after.
scenario()
{
	local scn=$1

	shift
	block "$scn.before" counters
	block "$scn.loader" modload "$@"
	block "$scn.after" counters
}

# Every counted failure is traced, with the stack of the task that asked.
if [ -d "$T/events/module/module_load_fail" ]; then
	echo stacktrace >"$T/events/module/module_load_fail/trigger"
	echo 1 >"$T/events/module/module_load_fail/enable"
fi

block boot.stats cat "$S/stats"

if [ "$MODE" = run ]; then
	# The demonstration: a udev-like storm on many-CPU boot, then the file.
	block run.loader modload -t 8 -r 4 $M/race/c*.ko
	block run.loader_xz modload -t 8 -r 4 $M/racexz/c*.ko.xz
	block run.loader_distinct modload -t 4 -r 200 $M/distinct/*.ko
	block run.stats cat "$S/stats"
	echo "=== DONE" >&3
	reboot -f
fi

# 1. A sequential duplicate of a live module.
scenario seq -t 1 -r 2 $M/seq.ko

# 2. Eight loaders racing, each with its own copy of one module.
scenario race -t 8 -r 1 $M/race/c*.ko

# 3. The same storm on compressed copies, then a corrupt compressed file.
scenario racexz -t 8 -r 1 $M/racexz/c*.ko.xz
scenario corrupt -t 1 -r 1 $M/corrupt.ko.xz

# Failures before layout that are not duplicates, and failed reads.
scenario badelf -t 1 -r 1 $M/badelf.ko
scenario vermagic -t 1 -r 1 $M/vermagic.ko
scenario emptyread -t 1 -r 1 $M/empty.ko
scenario faultread -k 12345
# Refused before a copy is made: too short for an ELF header, and too large
# to allocate. Nothing was allocated, so nothing is wasted.
scenario shortread -z 1
scenario hugeread -z max

# Concurrent loads of one file are merged by the kernel before any memory
# is spent (Linux 6.5+): they fail as duplicates only if they come late.
# A slow init keeps the first load in progress while the others arrive.
scenario merge -t 8 -r 1 -a init_delay_ms=500 $M/merge.ko

# 4. Two hundred distinct modules, each loaded once, then each once again.
set -- $M/distinct/*.ko
scenario distinct_load -t 1 -r $# "$@"
scenario distinct_dup -t 1 -r $# "$@"
block distinct.stats cat "$S/stats"

# 5. Reads of the stats file in chunks while a storm runs, then at rest.
# Four threads, rounds a multiple of the file count: each name fails 8 times.
modload -t 4 -r $(($# * 2)) "$@" >/tmp/storm.out 2>&1 &
storm=$!
for i in 1 2; do
	dd if="$S/stats" of=/tmp/storm.bs1.$i bs=1 2>/dev/null
	dd if="$S/stats" of=/tmp/storm.bs7.$i bs=7 2>/dev/null
	dd if="$S/stats" of=/tmp/storm.bs4096.$i bs=4096 2>/dev/null
	cat "$S/stats" >/tmp/storm.cat.$i
done
wait $storm
block storm.loader cat /tmp/storm.out
for f in /tmp/storm.*.[12]; do
	block "read.${f#/tmp/}" cat "$f"
done
block rest.cat cat "$S/stats"
for bs in 1 7 4096; do
	block "rest.bs$bs" dd if="$S/stats" bs="$bs" status=none
done
block rest.counters counters

# 6. Only root may read.
block modes stat -c '%a %U %n' "$S"/*
for f in "$S"/*; do
	block "nonroot.${f##*/}" modload -u 65534 -R "$f"
done
block nonroot_write.reset modload -u 65534 -W "$S/reset"

if [ -f "$S/dup_failures" ]; then
	block dup_failures cat "$S/dup_failures"
fi
if [ -f "$T/trace" ]; then
	block trace cat "$T/trace"
fi
# A duplicate from a task whose name has control characters and a space,
# after the trace was read: the trace prints task names as they are.
if [ -f "$S/dup_failures" ]; then
	scenario escape -t 1 -r 1 -e $M/seq.ko
	block dup_failures_escape cat "$S/dup_failures"
fi
# Before and after without a reboot: a refused write loses nothing, a reset
# starts from zero, and the next duplicate is the only thing counted.
if [ -f "$S/reset" ]; then
	block reset.before cat "$S/stats"
	block reset.bad sh -c "echo 0 >$S/reset; echo status=\$?"
	block reset.bad_stats cat "$S/stats"
	block reset.write sh -c "echo 1 >$S/reset; echo status=\$?"
	block reset.after cat "$S/stats"
	block reset.dups cat "$S/dup_failures"
	scenario reset_seq -t 1 -r 1 $M/seq.ko
	block reset.final cat "$S/stats"
fi

block proc_modules cat /proc/modules
block kernel_log dmesg
echo "=== DONE" >&3
reboot -f
