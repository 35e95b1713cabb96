#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make realboot: the module statistics on a real boot. Debian 12 userspace
# (systemd, systemd-udevd, kmod 30) boots under QEMU (TCG) on a kernel
# configured like a distribution's (QEMU's hardware and CPU features as
# modules), with panic_on_warn=1 and the module trace events on. Once
# coldplug is done, a unit in the guest collects stats, dup_failures, the
# trace buffer, /proc/modules and the kernel log, and powers off. The host
# prints a report per module, a plot against the vCPU count, and the checks;
# the folder it wrote is the last line.
#
# Boots (REALBOOT_RUNS, each KERNEL-MODULES-VCPUS[-udevdebug]):
#   ours-xz-{8,1,2,4,16}  our stats.c, modules as Debian ships them (.ko.xz:
#                         kmod 30 decompresses them and calls init_module())
#   ours-plain-{8,1,2,4,16}
#                         the same modules uncompressed (.ko: finit_module(),
#                         so that the kernel can merge concurrent loads)
#   upstream-xz-8, upstream-plain-8
#                         the same boots on upstream's stats.c (the base
#                         tree as shipped, as make bench builds it)
#   ours-xz-8-udevdebug   ours-xz-8 with udev.log_level=debug: the journal
#                         says which device each udev worker was handling,
#                         to see what last_comm and last_pid leave out
#
# Environment:
#   REALBOOT_RUNS="ours-xz-8 ..."  which boots, in this order
#   REALBOOT_TIMEOUT=1500          seconds for one boot (QEMU is killed then)
#   REALBOOT_MEM=2048              guest memory in MiB
#   REALBOOT_RETRIES=4             tries of a boot that dies of QEMU's int3
#                                  race before userspace (see boot())
#   REALBOOT_KEEP_SRC=1            build from the trees already copied into
#                                  build/realboot/*/linux; do not run tree.sh
#   REALBOOT_REPORT_ONLY=1         boot nothing: report on the runs there are
#   REALBOOT_MIRROR=URI            the Debian archive for the root file system
#                                  (default: the one apt uses here)

. "$(dirname "$0")/lib.sh" || exit 1

R=$BUILD/realboot
RB=$TOP/harness/realboot
RUNS=${REALBOOT_RUNS:-"ours-xz-8 ours-xz-1 ours-xz-2 ours-xz-4 ours-xz-16 ours-plain-8 ours-plain-1 ours-plain-2 ours-plain-4 ours-plain-16 upstream-xz-8 upstream-plain-8 ours-xz-8-udevdebug"}
TIMEOUT=${REALBOOT_TIMEOUT:-1500}
MEM=${REALBOOT_MEM:-2048}
RETRIES=${REALBOOT_RETRIES:-4}
SUITE=bookworm
# The packages of the guest besides minbase: systemd as init, udev, kmod.
GUEST_PKGS=systemd-sysv,udev,kmod,procps
cc=$(kbuild_cc)
mkdir -p "$R"
for r in $RUNS; do
	[[ $r =~ ^(ours|upstream)-(xz|plain)-[1-9][0-9]*(-udevdebug)?$ ]] ||
		die "REALBOOT_RUNS: '$r' is not KERNEL-MODULES-VCPUS[-udevdebug] (e.g. ours-xz-8, upstream-plain-4)"
done

# timed NAME COMMAND...: run a step, print and log how long it took.
timed()
{
	local name=$1 start rc=0

	shift
	start=$(date +%s)
	"$@" || rc=$?
	printf '    %s: %d s\n' "$name" $(( $(date +%s) - start ))
	printf '%s %s %d %d\n' "$(date -u +%FT%TZ)" "$name" $(( $(date +%s) - start )) "$rc" >>"$R/times.log"
	return $rc
}

kinds()
{
	local r

	for r in $RUNS; do
		echo "${r%%-*}"
	done | sort -u
}

packages()
{
	[ "$(id -u)" = 0 ] ||
		die "step packages: make realboot needs root (mmdebstrap, and the guest's files owned by root in its image)"
	timeout 1200 "$TOP/harness/deps.sh" mmdebstrap e2fsprogs gnuplot-nox qemu-system-x86 xz-utils ||
		die "step packages: could not install mmdebstrap, e2fsprogs, gnuplot-nox, qemu-system-x86, xz-utils within 1200 s (is the Debian archive reachable? see build/apt.log)"
}

# Trees: build/realboot/KIND/linux beside build/realboot/KIND/obj, like
# make bench's, so that ccache serves one kernel's objects to the other.
trees()
{
	local base

	if [ -z "${REALBOOT_KEEP_SRC:-}" ] || [ ! -f "$R/ours/linux/Makefile" ]; then
		local tree
		tree=$(prepared_tree)
		mkdir -p "$R/ours/linux"
		# A snapshot: another make target may re-sync build/linux while
		# this one builds. -a keeps timestamps, so unchanged files are
		# not rebuilt.
		rsync -a --delete "$tree/" "$R/ours/linux/"
	fi
	if kinds | grep -qx upstream; then
		base=$(cat "$BUILD/base.path" 2>/dev/null) || die "step trees: no build/base.path (run make tree)"
		[ -f "$base/kernel/module/stats.c" ] || die "step trees: base tree $base is missing"
		if [ -z "${REALBOOT_KEEP_SRC:-}" ] || [ ! -f "$R/upstream/linux/Makefile" ]; then
			mkdir -p "$R/upstream/linux"
			rsync -a --delete "$base/" "$R/upstream/linux/"
		fi
	fi
}

build_kernel() # ours|upstream
{
	local kind=$1 src=$R/$1/linux obj=$R/$1/obj want

	kmake() { nice -n 19 make -C "$src" O="$obj" ARCH=x86_64 CC="$cc" -j"$JOBS" "$@"; }
	mkdir -p "$obj"
	want=$(sha256sum <"$RB/realboot.config" | cut -c1-16)
	if [ "$(cat "$obj/.fragment" 2>/dev/null)" != "$want" ] || [ ! -f "$obj/.config" ]; then
		kmake -s x86_64_defconfig >/dev/null
		"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$RB/realboot.config" >/dev/null
		kmake -s olddefconfig >/dev/null
		local missing
		missing=$(grep -E '^CONFIG_[A-Z0-9_]+=|^# CONFIG_[A-Z0-9_]+ is not set' "$RB/realboot.config" |
			while read -r line; do
				grep -qxF "$line" "$obj/.config" || printf '%s; ' "$line"
			done)
		[ -z "$missing" ] || die "step kernel-$kind: the config lacks $missing(check $RB/realboot.config)"
		echo "$want" >"$obj/.fragment"
	fi
	if [ -f "$obj/vmlinux" ]; then
		echo "    $kind: incremental build"
	else
		echo "    $kind: from scratch (about 30 min on 2 cores, less with ccache)"
	fi
	kmake -s bzImage modules >"$obj.log" 2>&1 ||
		{ tail -n 30 "$obj.log" >&2; die "step kernel-$kind: the build failed (log: $obj.log)"; }
}

# The Debian root file system, made once with mmdebstrap from the archive
# that apt uses here, cached as a tarball keyed by what goes into it.
rootfs()
{
	local sources key tar uri

	sources=$(grep -l -E 'deb\.debian\.org|/debian/?( |$)' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
	if [ -n "${REALBOOT_MIRROR:-}" ]; then
		sources=$R/mirror.list
		echo "deb $REALBOOT_MIRROR $SUITE main" >"$sources"
		uri=$REALBOOT_MIRROR
	elif [ -n "$sources" ]; then
		uri=$(awk '/^URIs:/ { print $2; exit }' "$sources")
	elif grep -q '^deb ' /etc/apt/sources.list 2>/dev/null; then
		sources=/etc/apt/sources.list
		uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) { print $i; exit } }' "$sources")
	else
		die "step rootfs: no Debian archive in /etc/apt/sources.list or /etc/apt/sources.list.d/*.sources"
	fi
	key=$( { echo "$SUITE minbase $GUEST_PKGS"; cat "$sources"; } | sha256sum | cut -c1-16)
	tar=$CACHE/rootfs-$SUITE-$key.tar
	ROOTFS_TAR=$tar
	if [ -s "$tar" ]; then
		echo "    cached: $tar"
		return
	fi
	mkdir -p "$CACHE"
	echo "    mmdebstrap $SUITE from $uri ($sources) into $tar"
	# Fail fast, and by name, when the archive cannot be reached.
	timeout 60 python3 - "$uri" "$SUITE" <<'PY' ||
import sys, urllib.request
uri, suite = sys.argv[1].rstrip("/"), sys.argv[2]
url = uri + "/dists/" + suite + "/InRelease"
try:
    urllib.request.urlopen(url, timeout=30).read(1)
except Exception as e:
    sys.exit("    cannot fetch %s: %s" % (url, e))
PY
		die "step rootfs: cannot reach the Debian archive $uri (needed once to make the guest's root file system with mmdebstrap)"
	timeout 1800 nice -n 19 mmdebstrap --variant=minbase --format=tar --include="$GUEST_PKGS" \
		--aptopt='Acquire::Check-Valid-Until "false"' --aptopt='Acquire::http::Timeout "60"' \
		"$SUITE" "$tar.tmp" "$sources" >"$R/mmdebstrap.log" 2>&1 ||
		{ tail -n 20 "$R/mmdebstrap.log" >&2; rm -f "$tar.tmp";
		  die "step rootfs: mmdebstrap failed or timed out after 1800 s (log: $R/mmdebstrap.log); is $uri reachable?"; }
	mv "$tar.tmp" "$tar"
}

# image KIND COMP: the root file system with KIND's modules installed,
# compressed (xz, as Debian ships them) or not (plain), and the collector.
image() # ours|upstream xz|plain
{
	local kind=$1 comp=$2 obj=$R/$1/obj img=$R/img/$1-$2.img dir want rel

	rel=$(cat "$obj/include/config/kernel.release")
	want=$( { echo "$ROOTFS_TAR $rel $comp"; stat -c %Y "$obj/vmlinux" "$obj/modules.order";
		  cat "$RB/collect.sh" "$RB/realboot-collect.service" "$0"; } | sha256sum | cut -c1-16)
	if [ -f "$img" ] && [ "$(cat "$img.stamp" 2>/dev/null)" = "$want" ]; then
		echo "    $kind-$comp: up to date"
		return
	fi
	dir=$R/img/$kind-$comp.root
	rm -rf "$dir" "$img" "$img.stamp"
	mkdir -p "$dir"
	tar -xf "$ROOTFS_TAR" -C "$dir" || die "step image-$kind-$comp: cannot extract $ROOTFS_TAR"
	nice -n 19 make -C "$R/$kind/linux" O="$obj" ARCH=x86_64 CC="$cc" INSTALL_MOD_PATH="$dir" \
		INSTALL_MOD_STRIP=1 -s modules_install >"$img.log" 2>&1 ||
		{ tail -n 20 "$img.log" >&2; die "step image-$kind-$comp: modules_install failed (log: $img.log)"; }
	if [ "$comp" = plain ]; then
		find "$dir/lib/modules/$rel" -name '*.ko.xz' -exec xz -d {} +
	fi
	depmod -b "$dir" "$rel" || die "step image-$kind-$comp: depmod failed"
	# The collector, started once udev has settled; it powers off.
	install -m 0755 "$RB/collect.sh" "$dir/usr/local/sbin/realboot-collect"
	install -m 0644 "$RB/realboot-collect.service" "$dir/etc/systemd/system/realboot-collect.service"
	mkdir -p "$dir/etc/systemd/system/multi-user.target.wants"
	ln -sf ../realboot-collect.service "$dir/etc/systemd/system/multi-user.target.wants/"
	# Not a first boot: nothing must wait for input on the console.
	echo 5f4dcc3b5aa765d61d8327deb882cf99 >"$dir/etc/machine-id"
	ln -sf /dev/null "$dir/etc/systemd/system/systemd-firstboot.service"
	echo realboot >"$dir/etc/hostname"
	echo "/dev/vda / ext4 rw,errors=remount-ro 0 1" >"$dir/etc/fstab"
	# Getty would only wait for a login; the serial console is ours.
	ln -sf /dev/null "$dir/etc/systemd/system/serial-getty@ttyS0.service"
	ln -sf /dev/null "$dir/etc/systemd/system/getty@tty1.service"
	mkdir -p "$R/img"
	mkfs.ext4 -q -F -L realboot -d "$dir" "$img" 2G >"$img.log" 2>&1 ||
		die "step image-$kind-$comp: mkfs.ext4 -d failed (log: $img.log)"
	rm -rf "$dir"
	echo "$want" >"$img.stamp"
	echo "    $kind-$comp: $(du -h --apparent-size "$img" | cut -f1) image, modules $([ "$comp" = xz ] && echo .ko.xz || echo .ko)"
}

# boot RUN: one boot; its files in build/realboot/runs/RUN.
boot() # KIND-COMP-CPUS
{
	local run=$1 kind comp cpus extra d rc=0 start append=
	local -a qemu

	IFS=- read -r kind comp cpus extra <<<"$run"
	# -udevdebug: udev logs every event it handles, so that each failed
	# load's worker pid can be matched with the device it was handling.
	[ "$extra" = udevdebug ] && append=" udev.log_level=debug"
	d=$R/runs/$run
	rm -rf "$d"
	mkdir -p "$d/data" "$d/disks"
	truncate -s 64M "$d/data.img"
	for x in nvme scsi usb ahci; do
		truncate -s 16M "$d/disks/$x.img"
	done
	# shellcheck disable=SC2054 # the commas are QEMU's, inside one argument
	qemu=(qemu-system-x86_64 -nodefaults -nographic -no-reboot
		-machine q35 -accel tcg,thread=multi -cpu max -smp "$cpus" -m "$MEM"
		-kernel "$R/$kind/obj/arch/x86/boot/bzImage"
		-append "root=/dev/vda rw console=ttyS0 panic_on_warn=1 oops=panic panic=-1 trace_event=module:module_load_fail,module:module_load,module:module_request trace_buf_size=8M trace_clock=boot$append"
		-drive "if=none,id=root,file=$R/img/$kind-$comp.img,format=raw,snapshot=on"
		-device virtio-blk-pci,drive=root
		-drive "if=none,id=data,file=$d/data.img,format=raw"
		-device virtio-blk-pci,drive=data,serial=realboot-data
		# Storage: NVMe, virtio-scsi, AHCI (q35's own) with a disk and a
		# CD-ROM, USB storage.
		-drive "if=none,id=nvm,file=$d/disks/nvme.img,format=raw"
		-device nvme,serial=realboot-nvme,drive=nvm
		-device virtio-scsi-pci,id=vscsi
		-drive "if=none,id=sd0,file=$d/disks/scsi.img,format=raw"
		-device scsi-hd,bus=vscsi.0,drive=sd0
		-drive "if=none,id=ahci0,file=$d/disks/ahci.img,format=raw"
		-device ide-hd,bus=ide.0,drive=ahci0
		-device ide-cd,bus=ide.1
		# Network: several NICs of a kind, as a server has them.
		-netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0
		-netdev user,id=n1,restrict=on -device virtio-net-pci,netdev=n1
		-netdev user,id=n2,restrict=on -device e1000e,netdev=n2
		-netdev user,id=n3,restrict=on -device e1000e,netdev=n3
		-netdev user,id=n4,restrict=on -device e1000,netdev=n4
		-netdev user,id=n5,restrict=on -device rtl8139,netdev=n5
		# USB: xHCI, EHCI and UHCI, a keyboard, a tablet, a stick.
		-device qemu-xhci,id=xhci -device usb-ehci,id=ehci -device ich9-usb-uhci1,id=uhci
		-device usb-kbd,bus=xhci.0 -device usb-tablet,bus=xhci.0
		-drive "if=none,id=stick,file=$d/disks/usb.img,format=raw"
		-device usb-storage,bus=ehci.0,drive=stick
		# Sound: Intel HDA with a codec, AC'97.
		-audiodev none,id=snd0 -device intel-hda -device hda-duplex,audiodev=snd0
		-device AC97,audiodev=snd0
		# virtio odds and ends, watchdog, panic device.
		-device virtio-rng-pci -device virtio-balloon-pci -device virtio-serial-pci
		-device virtio-keyboard-pci -device virtio-mouse-pci
		-device i6300esb -device pvpanic
		-serial "file:$d/console.log" -monitor none)
	printf '%q ' "${qemu[@]}" >"$d/qemu.cmd"
	# QEMU 7.2's multi-threaded TCG sometimes runs a stale int3 of a static
	# key being patched early in boot ("sched_clock: Marking stable"), an
	# Oops before userspace starts and before any module loads. Such a boot
	# is tried again, up to RETRIES times; the report says how many tries.
	local attempt=1
	while :; do
		start=$(date +%s)
		rc=0
		timeout --foreground -k 10 "$TIMEOUT" nice -n 19 "${qemu[@]}" </dev/null >"$d/qemu.log" 2>&1 || rc=$?
		echo "$(( $(date +%s) - start ))" >"$d/seconds"
		echo "$rc" >"$d/qemu-status"
		tr -d '\r' <"$d/console.log" >"$d/console.tmp" && mv "$d/console.tmp" "$d/console.log"
		echo "$attempt" >"$d/attempts"
		if [ "$attempt" -lt "$RETRIES" ] && grep -q 'Oops: int3' "$d/console.log" &&
		   ! grep -q 'Run .* as init process' "$d/console.log"; then
			mv "$d/console.log" "$d/console.try$attempt.log"
			echo "    $run: try $attempt died before userspace ($(grep -m1 -o 'RIP: [^ ]*' "$d/console.try$attempt.log" || echo int3)); booting again"
			attempt=$((attempt + 1))
			truncate -s 0 "$d/data.img"
			truncate -s 64M "$d/data.img"
			continue
		fi
		break
	done
	if ! timeout 60 tar -xf "$d/data.img" -C "$d/data" 2>"$d/tar.log" || [ ! -s "$d/data/stats" ]; then
		echo "    $run: no data from the guest (QEMU status $rc$([ "$rc" = 124 ] && echo ", timed out after $TIMEOUT s")); last console lines:" >&2
		tail -n 15 "$d/console.log" | sed 's/^/    | /' >&2
	fi
	rm -f "$d/data.img"
	rm -rf "$d/disks"
	echo "    $run: QEMU status $rc after $(cat "$d/seconds") s"
}

if [ -z "${REALBOOT_REPORT_ONLY:-}" ]; then
	stage 1/6 "checking packages"
	timed packages packages
	stage 2/6 "kernel trees ($(kinds | tr '\n' ' '))"
	timed trees trees
	stage 3/6 "building the kernels"
	for k in $(kinds); do
		timed "kernel-$k" build_kernel "$k"
	done
	stage 4/6 "Debian $SUITE root file system (mmdebstrap, cached)"
	timed rootfs rootfs
	stage 5/6 "root images with the modules installed (depmod)"
	for ic in $(for r in $RUNS; do IFS=- read -r k c _ <<<"$r"; echo "$k:$c"; done | sort -u); do
		timed "image-${ic/:/-}" image "${ic%:*}" "${ic#*:}"
	done
	stage 6/6 "booting: $RUNS (QEMU TCG, timeout $TIMEOUT s each)"
	for r in $RUNS; do
		timed "boot-$r" boot "$r"
	done
fi

out=$R/report
mkdir -p "$out"
rc=0
# shellcheck disable=SC2086
python3 "$RB/report.py" "$R/runs" "$out" $RUNS || rc=$?
echo "$out"
exit $rc
