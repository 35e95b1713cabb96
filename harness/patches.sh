#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Turn patches/series plus the overlay into a git format-patch series
# against the base, then check that it applies with git am to a fresh base.
# patches/files says which commit carries each overlay file.
# The last line of output is the folder that holds the series.
#
# Every commit is authored and signed off by the submitter: git config
# user.name and user.email, as git format-patch -s would sign. Without them
# it refuses; it never invents an identity. --unsigned (for make test on a
# machine without one) makes the same series without author or sign-off of
# anyone's, to check that it applies: not for sending.
# Usage: patches.sh [--unsigned]

. "$(dirname "$0")/lib.sh"

unsigned=
[ "${1:-}" = --unsigned ] && unsigned=1
name=$(git -C "$TOP" config user.name || true)
email=$(git -C "$TOP" config user.email || true)
if [ -z "$unsigned" ] && { [ -z "$name" ] || [ -z "$email" ]; }; then
	die "no git identity to sign the series off with: set git config user.name" \
		"and user.email (the submitter's own; make patches invents none)"
fi
if [ -n "$unsigned" ]; then
	name="unsigned series, not for sending"
	email="nobody@invalid"
fi

prepared_tree >/dev/null
base=$(cat "$BUILD/base.path")
[ -d "$base" ] || die "cannot find the base tree (got '$base')"
repo=$BUILD/patches-repo
outdir=$BUILD/patches
cd "$TOP"

stage 1/3 "mapping overlay files to commits"
mapfile -t overlay <"$BUILD/overlay.list"
unmapped=$(for f in "${overlay[@]}"; do
	grep -qE "^$f[[:space:]]" patches/files || printf '%s ' "$f"
done)
[ -z "$unmapped" ] || die "patches/files does not name a commit for: $unmapped"

# Every file the series touches, as the base has it.
mapfile -t touched < <( {
	grep -h '^+++ b/' patches/*.patch | sed 's|^+++ b/||'
	printf '%s\n' "${overlay[@]}"
} | sort -u)

# seed_repo DIR: a git repository holding the base's version of every file
# the series touches, committed as "base".
seed_repo()
{
	local dir=$1 f

	mkdir -p "$dir"
	git -C "$dir" init -q
	git -C "$dir" config user.name "$name"
	git -C "$dir" config user.email "$email"
	for f in "${touched[@]}"; do
		if [ -f "$base/$f" ]; then
			mkdir -p "$dir/$(dirname "$f")"
			cp "$base/$f" "$dir/$f"
		fi
	done
	git -C "$dir" add -A
	git -C "$dir" commit -q -m "base" || die "nothing of the base to commit in $dir"
}

stage 2/3 "committing the series in a scratch repository"
rm -rf "$repo" "$outdir"
seed_repo "$repo"
git -C "$repo" tag base
while read -r p _; do
	case "$p" in ''|'#'*) continue ;; esac
	# The patches carry no author: the submitter is.
	{ printf 'From: %s <%s>\n' "$name" "$email"; cat "$TOP/patches/$p"; } |
		git -C "$repo" am -q --keep-non-patch ||
		die "git am failed on patches/$p"
	grep -E "[[:space:]]$p\$" patches/files | while read -r f _; do
		mkdir -p "$repo/$(dirname "$f")"
		cp "$TOP/$f" "$repo/$f"
		git -C "$repo" add "$f"
	done
	git -C "$repo" commit -q --amend --no-edit
done <patches/series

if [ -n "$unsigned" ]; then
	git -C "$repo" format-patch -q -o "$outdir" base..HEAD
else
	git -C "$repo" format-patch -q -s -o "$outdir" base..HEAD
fi
n=$(ls "$outdir"/*.patch | wc -l)

stage 3/3 "checking that the $n patches apply with git am to a fresh base"
check=$BUILD/patches-check
rm -rf "$check"
seed_repo "$check"
git -C "$check" am -q "$outdir"/*.patch ||
	die "the generated series does not apply with git am"
for f in "${overlay[@]}"; do
	cmp -s "$check/$f" "$TOP/$f" || die "after git am, $f differs from the overlay"
done
rm -rf "$check"
echo "    $n patches"
echo "$outdir"
