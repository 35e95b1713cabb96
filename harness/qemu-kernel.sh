#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the x86_64 kernel that 'make run' and 'make e2e' boot; with --demo,
# also the modules and the loader of 'make run' (the selftest builds its own).
# Usage: qemu-kernel.sh [--demo] [TREE]   (default: the prepared tree)
# Output: $BUILD/qemu-x86_64/arch/x86/boot/bzImage; --demo:
#         $BUILD/e2e-modules/*.ko, $BUILD/modload

. "$(dirname "$0")/lib.sh" || exit 1

demo=
if [ "${1:-}" = --demo ]; then
	demo=1
	shift
fi
tree=${1:-$(prepared_tree)}
out=$BUILD/qemu-x86_64
frag=$TOP/harness/config/qemu-x86_64.config
# QEMU_KASAN=1: the same kernel with KASAN and UBSAN, in its own directory;
# QEMU_NOSTATS=1: without CONFIG_MODULE_STATS, likewise.
frags=("$frag")
if [ -n "${QEMU_KASAN:-}" ]; then
	out=$BUILD/qemu-x86_64-kasan
	frags+=("$TOP/harness/config/qemu-x86_64-kasan.config")
elif [ -n "${QEMU_NOSTATS:-}" ]; then
	out=$BUILD/qemu-x86_64-nostats
	frags+=("$TOP/harness/config/qemu-x86_64-nostats.config")
fi
cc=$(kbuild_cc)
kmake()
{
	make -C "$tree" O="$out" ARCH=x86_64 CC="$cc" -j"$JOBS" "$@"
}

mkdir -p "$out"
want=$(cat "${frags[@]}" | sha256sum | cut -c1-16)
if [ "$(cat "$out/.fragment" 2>/dev/null)" != "$want" ] || [ ! -f "$out/.config" ]; then
	stage 1/3 "configuring x86_64 kernel (tinyconfig + ${frags[*]##*/})"
	kmake -s tinyconfig >/dev/null
	"$tree/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "${frags[@]}" >/dev/null
	kmake -s olddefconfig >/dev/null
	# Each option as the last fragment that names it wants it: set to
	# its value, or not set at all.
	missing=$(cat "${frags[@]}" | sed -n -e 's/^\(CONFIG_[A-Z0-9_]*\)=\(.*\)/\1 \2/p' \
			-e 's/^# \(CONFIG_[A-Z0-9_]*\) is not set$/\1 n/p' |
		awk '{ v[$1] = $2 } END { for (o in v) print o, v[o] }' | sort |
		while read -r opt val; do
			if [ "$val" = n ]; then
				grep -q "^$opt=" "$out/.config" && printf '%s ' "$opt=n"
			else
				grep -qxF "$opt=$val" "$out/.config" || printf '%s ' "$opt=$val"
			fi
		done)
	[ -z "$missing" ] || die "kernel config lacks $missing(check ${frags[*]} against the tree's Kconfig)"
	echo "$want" >"$out/.fragment"
fi

if [ -f "$out/vmlinux" ]; then
	stage 2/3 "building x86_64 kernel (incremental)"
else
	stage 2/3 "building x86_64 kernel (about 4 min from scratch)"
fi
start=$(date +%s)
kmake -s bzImage modules >"$out.log" 2>&1 ||
	{ tail -n 30 "$out.log" >&2; die "kernel build failed (log: $out.log)"; }
echo "    built in $(( $(date +%s) - start )) s"

[ -n "$demo" ] || exit 0
stage 3/3 "building the demonstration's modules and loader"
mods=$BUILD/e2e-modules
sel=$TOP/tools/testing/selftests/module
mkdir -p "$mods"
# Module names: one of every length from 1 to 55 (the longest a module name
# can be), filled up to 200 distinct names, and two raced in copies.
python3 - "$mods" "$sel/test_modules/mst_template.c" <<'PY'
import os, sys
mods, template = sys.argv[1:3]
src = open(template).read()
names = ["l"] + [("l%d" % n).ljust(n, "x") for n in range(2, 56)]
names += ["d%03d" % i for i in range(200 - len(names))]
special = ["mst_race", "mst_racexz"]
with open(os.path.join(mods, "distinct.list"), "w") as f:
    f.write("\n".join(names) + "\n")
kbuild = "".join("obj-m += %s.o\n" % n for n in names + special)
path = os.path.join(mods, "Kbuild")
if not os.path.exists(path) or open(path).read() != kbuild:
    open(path, "w").write(kbuild)
for n in names + special:
    path = os.path.join(mods, n + ".c")
    if not os.path.exists(path) or open(path).read() != src:
        open(path, "w").write(src)
PY
make -C "$out" M="$mods" CC="$cc" -j"$JOBS" -s modules >"$mods.log" 2>&1 ||
	{ tail -n 30 "$mods.log" >&2; die "test modules failed to build (log: $mods.log)"; }
gcc -O2 -Wall -Wextra -pthread -static -o "$BUILD/modload" "$TOP/harness/modload.c" ||
	die "the loader failed to build"
echo "    $(ls "$mods"/*.ko | wc -l) modules"
