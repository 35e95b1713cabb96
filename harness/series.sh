#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Edit the patch series as git commits.
#
#   series.sh import   build/series: a git repository of the base's files,
#                      tagged "base", with one commit per patch of
#                      patches/series. Edit it with git commit --fixup and
#                      git rebase -i --autosquash, or any other way.
#   series.sh export   writes its commits base..HEAD back to patches/ (and
#                      patches/series), and its final version of every
#                      overlay file to the overlay, so that the two agree.
#
# Then make patches checks every step again. The commits' authors and any
# Signed-off-by lines are dropped on export: make patches signs off as the
# submitter.

. "$(dirname "$0")/lib.sh" || exit 1
# shellcheck source=harness/series-lib.sh
. "$TOP/harness/series-lib.sh"

repo=${SERIES_REPO:-$BUILD/series}
prepared_tree >/dev/null

case ${1:-} in
import)
	[ ! -e "$repo" ] || die "$repo exists: export or remove it first"
	series_repo "$repo" "${GIT_AUTHOR_NAME:-series}" "${GIT_AUTHOR_EMAIL:-series@invalid}"
	echo "    $(git -C "$repo" rev-list --count base..HEAD) commits on top of 'base'"
	echo "$repo"
	;;
export)
	[ -d "$repo/.git" ] || die "no series repository at $repo (series.sh import makes one)"
	git -C "$repo" diff --quiet HEAD || die "$repo has uncommitted changes"
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	git -C "$repo" format-patch -q -N --zero-commit --no-signature -o "$tmp" base..HEAD
	ls "$tmp"/*.patch >/dev/null 2>&1 || die "no commits on top of 'base' in $repo"
	rm -f "$TOP"/patches/*.patch
	{
		echo "# The series, in order: git format-patch output without From:, Date: or"
		echo "# sign-off (make patches adds the submitter's). harness/series.sh edits it."
		for p in "$tmp"/*.patch; do
			f=$(basename "$p")
			# The mail header before Subject: goes (the zero hash, the
			# author and the date), and so do sign-offs, which are the
			# submitter's to add.
			awk '/^Subject: / { s = 1 } s && !/^Signed-off-by: /' "$p" >"$TOP/patches/$f"
			echo "$f"
		done
	} >"$TOP/patches/series"
	while read -r f; do
		if [ -f "$repo/$f" ]; then
			cmp -s "$repo/$f" "$TOP/$f" || cp "$repo/$f" "$TOP/$f"
		else
			echo "    $f: not made by the series; left alone" >&2
		fi
	done <"$BUILD/overlay.list"
	echo "    $(grep -c '\.patch$' "$TOP/patches/series") patches written to patches/"
	echo "$TOP/patches"
	;;
*)
	die "usage: series.sh import|export"
	;;
esac
