#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages the harness needs, if any are missing.
# Usage: deps.sh [extra-package ...]

. "$(dirname "$0")/lib.sh" || exit 1

PKGS="linux-source-6.12 flex bison bc libelf-dev libssl-dev cpio xz-utils
      qemu-system-x86 busybox-static sparse ccache rsync patch make gcc libc6-dev
      python3 python3-docutils perl git kmod"

missing()
{
	local p

	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || printf '%s ' "$p"
	done
}

# shellcheck disable=SC2086
need=$(missing $PKGS "$@")
[ -z "$need" ] && exit 0

mkdir -p "$BUILD"
echo "installing missing packages: $need"
[ "$(id -u)" = 0 ] || die "packages missing and not root to install them: $need"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || echo "warning: apt-get update failed" >&2
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $need >"$BUILD/apt.log" 2>&1 || true
# shellcheck disable=SC2086
still=$(missing $need)
[ -z "$still" ] || die "could not install: $still(apt-get log: $BUILD/apt.log)"
rm -f "$BUILD/apt.log"
