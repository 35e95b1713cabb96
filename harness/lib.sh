# SPDX-License-Identifier: GPL-2.0
# Shared settings and helpers for the harness scripts. Sourced, not run.

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PROG=$(basename "$0" .sh)
# Everything the harness builds lives under BUILD (git-ignored); the extracted
# base tree is cached across clones under CACHE, keyed by the tarball checksum.
BUILD=${BUILD_DIR:-$TOP/build}
CACHE=${MODSTATS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/modstats}
TARBALL=${KERNEL_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
TREE=$BUILD/linux
RESULTS=$BUILD/results
JOBS=${JOBS:-$(nproc)}
# Directories of the repository that mirror kernel paths (the overlay).
OVERLAY_DIRS="Documentation include kernel lib scripts tools"

export CCACHE_DIR=${CCACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ccache}
# Paths relative to the build directory, so that another clone hits the cache.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$BUILD} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-true}

stage() # "2/5" "building x86_64 kernel"
{
	printf '[%s] %s\n' "$1" "$2"
}

die()
{
	printf '%s: error: %s\n' "$PROG" "$*" >&2
	exit 1
}

# The CC to hand to kbuild: ccache in front of gcc when it is there.
kbuild_cc()
{
	if command -v ccache >/dev/null 2>&1; then
		echo "ccache gcc"
	else
		echo "gcc"
	fi
}

# result FILE STATUS NAME [DETAIL]: record one check for the summary line.
# STATUS is PASS, FAIL or SKIP.
result()
{
	local file=$1 status=$2 name=$3

	shift 3
	mkdir -p "$RESULTS"
	printf '%s %s%s\n' "$status" "$name" "${1:+ -- $*}" >>"$RESULTS/$file"
	printf '  %-4s %s%s\n' "$status" "$name" "${1:+ ($*)}"
}

# The prepared tree, made or refreshed as needed; tree.sh's progress goes to
# stderr and its path (the last line it prints) to stdout.
prepared_tree()
{
	"$TOP/harness/tree.sh" >&2 || exit 1
	echo "$TREE"
}
