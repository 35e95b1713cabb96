#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the initramfs that harness/e2e.sh boots. Whatever the host reads
# goes to the second serial port, between "=== BEGIN name" and "=== END name"
# lines, so that the kernel's console (the first) stays free for its own
# messages.
#
#   modstats_mode=e2e  run the module selftest as any kselftest runner would:
#                      run_kselftest.sh -c module, from /kselftest
#   modstats_mode=run  a udev-like storm of duplicate loads (modload, the
#                      modules under /modules), then the stats file

PATH=/usr/bin:/bin:/sbin
export PATH
/bin/busybox --install -s /bin
# Debian's bash, if the initramfs has it, is the shell: busybox's runs its
# own applets (its xz only decompresses) before anything on the PATH.
[ -x /bin/bash ] && ln -sf bash /bin/sh
# devtmpfs is not mounted for an initramfs; /init starts without a console.
mount -t devtmpfs none /dev
# What udev would add: kselftest's runner writes to /dev/stdout.
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
exec </dev/console >/dev/console 2>&1
mount -t proc none /proc
mount -t sysfs none /sys
# Mode 0755, as on most distributions' debugfs mounts for root's tools.
mount -t debugfs -o mode=0755 none /sys/kernel/debug
mount -t tracefs none /sys/kernel/tracing 2>/dev/null
mount -t tmpfs none /tmp

S=/sys/kernel/debug/modules
M=/modules
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

if [ "$MODE" = run ]; then
	block run.loader modload -t 8 -r 4 $M/race/c*.ko
	block run.loader_xz modload -t 8 -r 4 $M/racexz/c*.ko.xz
	block run.loader_distinct modload -t 4 -r 200 $M/distinct/*.ko
	block run.stats cat "$S/stats"
else
	block cpus cat /sys/devices/system/cpu/online
	# This guest's statistics are the test's own: let reset_window reset.
	MOD_STATS_RESET=1
	export MOD_STATS_RESET
	# modstats_runs=N runs it N times in one boot, as on a machine that has
	# been up for a while: the last run is the "kselftest" block.
	runs=$(sed -n 's/.*modstats_runs=\([0-9]*\).*/\1/p' /proc/cmdline)
	i=1
	while [ "$i" -lt "${runs:-1}" ]; do
		block "kselftest.$i" sh -c 'cd /kselftest && ./run_kselftest.sh -c module'
		i=$((i + 1))
	done
	block kselftest sh -c 'cd /kselftest && ./run_kselftest.sh -c module'
	block kernel_log dmesg
fi
echo "=== DONE" >&3
reboot -f
