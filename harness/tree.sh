#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Prepare the kernel tree: base + patches/series + overlay files.
#
# The base is Debian's linux-source-6.12 (extracted once into a cache keyed by
# the tarball's checksum) or KERNEL_SRC=<dir>. Re-running is cheap: the tree is
# only rebuilt from the base when the base or the patches change, and overlay
# files are copied by checksum, so an unchanged file keeps its timestamp and
# the next kernel build recompiles only what changed.
# The last line of output is the prepared tree's absolute path.

. "$(dirname "$0")/lib.sh" || exit 1

stage 1/4 "checking packages"
"$TOP/harness/deps.sh"

mkdir -p "$BUILD" "$CACHE"

# kernel_version DIR: "6.12.117" from a tree's top Makefile, or nothing.
kernel_version()
{
	awk -F' *= *' '$1 == "VERSION" { v = $2 } $1 == "PATCHLEVEL" { p = $2 }
		$1 == "SUBLEVEL" { s = $2 } END { if (v != "") print v "." p "." s }' \
		"$1/Makefile" 2>/dev/null
}

if [ -n "${KERNEL_SRC:-}" ]; then
	stage 2/4 "using KERNEL_SRC=$KERNEL_SRC"
	[ -d "$KERNEL_SRC" ] || die "KERNEL_SRC=$KERNEL_SRC is not a directory"
	base=$(cd "$KERNEL_SRC" && pwd)
	[ -f "$base/Makefile" ] && [ -f "$base/Kbuild" ] && [ -f "$base/kernel/module/main.c" ] ||
		die "KERNEL_SRC=$base is not a Linux kernel tree (no Makefile, Kbuild or kernel/module/main.c)"
	ver=$(kernel_version "$base")
	[ -n "$ver" ] || die "KERNEL_SRC=$base: cannot read VERSION/PATCHLEVEL from its Makefile"
	major=${ver%%.*}
	minor=${ver#*.}
	minor=${minor%%.*}
	if [ "$major" -lt 6 ] || { [ "$major" -eq 6 ] && [ "$minor" -lt 4 ]; }; then
		die "KERNEL_SRC=$base is Linux $ver; module statistics need 6.4 or later"
	fi
	[ -f "$base/kernel/module/stats.c" ] ||
		die "KERNEL_SRC=$base has no kernel/module/stats.c (not a 6.4+ tree?)"
	if [ -e "$base/.config" ] || [ -d "$base/include/config" ]; then
		die "KERNEL_SRC=$base has been configured or built in place; run 'make mrproper' there first"
	fi
	base_id="src:$base:$ver"
else
	[ -f "$TARBALL" ] || die "$TARBALL not found (package linux-source-6.12 not installed?)"
	sum=$(sha256sum "$TARBALL" | cut -c1-16)
	base=$CACHE/base-$sum
	if [ ! -f "$base/Makefile" ]; then
		stage 2/4 "extracting $(basename "$TARBALL") into $base (about 30 s, once)"
		tmp=$(mktemp -d "$CACHE/extract.XXXXXX")
		tar -xJf "$TARBALL" -C "$tmp" --strip-components=1 ||
			{ rm -rf "$tmp"; die "cannot extract $TARBALL"; }
		rm -rf "$base"
		mv "$tmp" "$base"
	else
		stage 2/4 "base tree cached at $base"
	fi
	base_id="tar:$sum"
fi

echo "$base" >"$BUILD/base.path"

# The tree is good only while its stamp matches the base and the patches.
stamp=$TREE/.modstats-stamp
want=$( {
	echo "$base_id"
	{ grep -v -e "^#" -e "^[[:space:]]*$" "$TOP/patches/series" 2>/dev/null || true; } | while read -r p _; do
		echo "$p"
		cat "$TOP/patches/$p" 2>/dev/null || echo "missing"
	done
} | sha256sum | cut -c1-16)

if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
	stage 3/4 "syncing tree with base and applying patches/series"
	rm -f "$stamp" "$BUILD/overlay.list"
	mkdir -p "$TREE"
	rsync -a --delete "$base/" "$TREE/"
	n=0
	while read -r p _; do
		case "$p" in ''|'#'*) continue ;; esac
		[ -f "$TOP/patches/$p" ] || die "patches/series names $p, which does not exist"
		if ! out=$(patch -d "$TREE" -p1 -N -f --no-backup-if-mismatch -r - \
			   <"$TOP/patches/$p" 2>&1); then
			files=$(printf '%s\n' "$out" | awk '
				/^patching file / { f = $3 }
				/FAILED|[Rr]eversed|can.t find file/ && f != "" { print f; f = "" }' |
				sort -u | tr '\n' ' ')
			printf '%s\n' "$out" | sed 's/^/    /' >&2
			die "patches/$p does not apply to $base_id (failing: ${files:-see above}); the tree at $TREE is left unstamped and will be rebuilt on the next run"
		fi
		n=$((n + 1))
	done <"$TOP/patches/series"
	echo "    applied $n patches"
	echo "$want" >"$stamp"
else
	stage 3/4 "tree is up to date with base and patches"
fi

stage 4/4 "copying overlay files"
cd "$TOP"
# shellcheck disable=SC2086
# A copy that is not a repository of its own (make mutate's) lists its files.
if [ "$(git rev-parse --show-toplevel 2>/dev/null)" = "$TOP" ]; then
	git ls-files --cached --others --exclude-standard -- $OVERLAY_DIRS
else
	for d in $OVERLAY_DIRS; do
		if [ -d "$d" ]; then
			find "$d" -type f
		fi
	done
fi | sort -u | while read -r f; do [ -f "$f" ] && echo "$f"; done >"$BUILD/overlay.new"

# A file dropped from the overlay goes back to its base version.
if [ -f "$BUILD/overlay.list" ]; then
	comm -23 "$BUILD/overlay.list" "$BUILD/overlay.new" | while read -r f; do
		if [ -f "$base/$f" ]; then
			cp -p "$base/$f" "$TREE/$f"
		else
			rm -f "$TREE/$f"
		fi
	done
fi
rsync -c --files-from="$BUILD/overlay.new" "$TOP/" "$TREE/"
mv "$BUILD/overlay.new" "$BUILD/overlay.list"
echo "    $(wc -l <"$BUILD/overlay.list") overlay files"

echo "$TREE"
