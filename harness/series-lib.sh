# SPDX-License-Identifier: GPL-2.0
# The patch series as git commits. Sourced by patches.sh and series.sh,
# after lib.sh and after harness/tree.sh has written $BUILD/base.path and
# $BUILD/overlay.list.
#
# patches/series names the patches in order; each is git format-patch
# output without its From/Date lines and without a sign-off: the
# submitter's are added by make patches. Together they take the base to
# the final tree, our own files (the overlay) included.

# series_files: every file the series touches, one per line.
series_files()
{
	local p

	while read -r p _; do
		case "$p" in ''|'#'*) continue ;; esac
		[ -f "$TOP/patches/$p" ] || die "patches/series names $p, which does not exist"
		sed -n 's|^+++ b/||p; s|^--- a/||p' "$TOP/patches/$p"
	done <"$TOP/patches/series" | sort -u
}

# seed_repo DIR NAME EMAIL: a git repository holding the base's version of
# every file the series touches, committed as "base" and tagged so.
seed_repo()
{
	local dir=$1 name=$2 email=$3 base f

	base=$(cat "$BUILD/base.path")
	mkdir -p "$dir"
	git -C "$dir" init -q
	git -C "$dir" config user.name "$name"
	git -C "$dir" config user.email "$email"
	while read -r f; do
		if [ -f "$base/$f" ]; then
			mkdir -p "$dir/$(dirname "$f")"
			cp "$base/$f" "$dir/$f"
		fi
	done < <(series_files)
	git -C "$dir" add -A
	git -C "$dir" commit -q -m "base" || die "nothing of the base to commit in $dir"
	git -C "$dir" tag base
}

# series_repo DIR NAME EMAIL: seed_repo, then one commit per patch of
# patches/series, authored by NAME <EMAIL>.
series_repo()
{
	local dir=$1 name=$2 email=$3 p

	seed_repo "$dir" "$name" "$email"
	while read -r p _; do
		case "$p" in ''|'#'*) continue ;; esac
		{ printf 'From: %s <%s>\n' "$name" "$email"; cat "$TOP/patches/$p"; } |
			git -C "$dir" am -q --keep-cr ||
			die "git am failed on patches/$p (the series does not apply to the base)"
	done <"$TOP/patches/series"
}

# series_equals_overlay DIR: whether every overlay file is in DIR as it is
# in the repository, and every file the series adds under the overlay's
# folders is an overlay file. Says what differs.
series_equals_overlay()
{
	local dir=$1 f bad=0 base

	base=$(cat "$BUILD/base.path")
	while read -r f; do
		if [ ! -f "$dir/$f" ]; then
			echo "    $f: in the overlay, not made by the series" >&2
			bad=1
		elif ! cmp -s "$dir/$f" "$TOP/$f"; then
			echo "    $f: the series makes it differ from the overlay:" >&2
			diff -u "$TOP/$f" "$dir/$f" | head -n 20 | sed 's/^/      /' >&2
			bad=1
		fi
	done <"$BUILD/overlay.list"
	while read -r f; do
		[ -f "$base/$f" ] && continue
		grep -qxF "$f" "$BUILD/overlay.list" || {
			echo "    $f: added by the series, missing from the overlay" >&2
			bad=1
		}
	done < <(series_files)
	return $bad
}
