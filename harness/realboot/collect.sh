#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# make realboot, in the guest: run by realboot-collect.service once udev's
# coldplug is done (after systemd-udev-settle.service, and 'udevadm settle'
# again here). Copies what the module statistics recorded during the boot
# into a tar archive on the second virtio disk (serial "realboot-data"),
# which the host reads after QEMU exits, then powers off. Every step has a
# timeout; the host's timeout on QEMU is the last resort.

out=/run/realboot
mkdir -p "$out"
say() { echo "realboot: $*" >/dev/console; echo "realboot: $*" >>"$out/steps.log"; }
step() # NAME SECONDS COMMAND...: run one step under a timeout, log its status
{
	name=$1 secs=$2
	shift 2
	timeout -k 5 "$secs" "$@"
	rc=$?
	[ "$rc" = 0 ] || say "step $name exited with status $rc"
	return $rc
}

say "collecting (uptime $(cut -d' ' -f1 /proc/uptime) s)"
step settle 180 udevadm settle --timeout=170
cut -d' ' -f1 /proc/uptime >"$out/uptime-settled"
mountpoint -q /sys/kernel/debug || step debugfs 10 mount -t debugfs debugfs /sys/kernel/debug
tr=/sys/kernel/tracing
mountpoint -q "$tr" || step tracefs 10 mount -t tracefs tracefs "$tr"
m=/sys/kernel/debug/modules
# Stop tracing first, so that the trace buffer and the counters are taken
# at the same moment as far as loads go (none should be running now).
[ -w "$tr/tracing_on" ] && echo 0 >"$tr/tracing_on"
step stats-cat 30 cat "$m/stats" >"$out/stats"
step stats-dd 120 dd if="$m/stats" of="$out/stats.dd" bs=1 status=none
step stats-cat2 30 cat "$m/stats" >"$out/stats.2"
if [ -e "$m/dup_failures" ]; then
	step dup_failures 30 cat "$m/dup_failures" >"$out/dup_failures"
fi
for f in "$m"/*; do
	case ${f##*/} in stats|dup_failures|reset) continue ;; esac
	[ -f "$f" ] && printf '%s %s\n' "${f##*/}" "$(cat "$f" 2>/dev/null)" >>"$out/counters"
done
step trace 60 cat "$tr/trace" >"$out/trace"
step trace-events 10 cat "$tr/set_event" >"$out/set_event"
for c in "$tr"/per_cpu/cpu*; do
	printf '%s ' "${c##*/}"; grep -E '^(entries|overrun|dropped events):' "$c/stats" | tr '\n' ' '; echo
done >"$out/trace-stats" 2>/dev/null
step proc-modules 10 cat /proc/modules >"$out/proc-modules"
step dmesg 30 dmesg >"$out/dmesg"
step journal 60 journalctl -b -o short-monotonic --no-pager >"$out/journal"
step cmdline 5 cat /proc/cmdline >"$out/cmdline"
nproc >"$out/nproc"
uname -r >"$out/uname"
kmod --version >"$out/kmod-version" 2>&1
# shellcheck disable=SC2016 # expanded by the sh -c
step lsmod-files 20 sh -c 'find /lib/modules/$(uname -r) -name "*.ko*" | sed "s/.*\.ko/.ko/" | sort | uniq -c' >"$out/module-files"
step udev-db 30 udevadm info --export-db >"$out/udev-db"
step units 30 systemctl list-units --all --no-pager --plain >"$out/units"
cut -d' ' -f1 /proc/uptime >"$out/uptime-collected"
say "writing the results"
dev=/dev/disk/by-id/virtio-realboot-data
[ -b "$dev" ] || dev=/dev/vdb
step tar 60 tar -C "$out" -cf "$dev" .
sync
say "DONE"
