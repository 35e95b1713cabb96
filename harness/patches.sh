#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make patches: the series under patches/ as git format-patch output
# against the base, with a cover letter, after checking every step.
#
#  1. Commits patches/series, in order, with git am in a scratch repository
#     seeded with the base's version of every file the series touches.
#  2. Checks that the fully applied series equals the overlay, file by
#     file: the overlay's files are the final state of the series.
#  3. Builds every step in four configurations and runs the KUnit suite at
#     every step that has it (harness/series-steps.sh); stops at the first
#     step that breaks.
#  4. Writes the series with git format-patch, signed off by the submitter,
#     and a cover letter from patches/cover-letter, To/Cc from
#     scripts/get_maintainer.pl.
#  5. Applies the result with git am to a fresh base and compares again.
# The last line of output is the folder that holds the series.
#
# The submitter is git config user.name and user.email, as git format-patch
# -s signs. Without them it refuses; it never invents an identity.
# --unsigned (for make test on a machine without one) makes the same series
# without an author or sign-off of anyone's, to check it: not for sending.
# --no-steps skips step 3.
# Usage: patches.sh [--unsigned] [--no-steps]

. "$(dirname "$0")/lib.sh" || exit 1

unsigned=
steps=1
for a in "$@"; do
	case $a in
	--unsigned) unsigned=1 ;;
	--no-steps) steps= ;;
	*) die "unknown option '$a' (usage: patches.sh [--unsigned] [--no-steps])" ;;
	esac
done
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

tree=$(prepared_tree)
base=$(cat "$BUILD/base.path")
[ -d "$base" ] || die "cannot find the base tree (got '$base')"
repo=$BUILD/patches-repo
outdir=$BUILD/patches
cd "$TOP"
[ -f patches/cover-letter ] || die "patches/cover-letter is missing"

stage 1/5 "committing patches/series in a scratch repository"
# shellcheck source=harness/series-lib.sh
. "$TOP/harness/series-lib.sh"
rm -rf "$repo" "$outdir"
series_repo "$repo" "$name" "$email"
n=$(git -C "$repo" rev-list --count base..HEAD)
echo "    $n commits"

stage 2/5 "comparing the fully applied series with the overlay and the tree"
series_equals_overlay "$repo" ||
	die "the series and the overlay differ (above); fold the change into the patch it belongs to: harness/series.sh import, edit, export"
echo "    $(wc -l <"$BUILD/overlay.list") overlay files, each as the last patch leaves it"
# What the tests ran on: a file of the prepared tree edited by hand, or a
# tree older than the series, would be tested but not sent.
bad=
while read -r f; do
	if [ -f "$repo/$f" ]; then
		cmp -s "$repo/$f" "$tree/$f" || { echo "    $f: the prepared tree differs from the series" >&2; bad=1; }
	elif [ -e "$tree/$f" ]; then
		echo "    $f: the series removes it, the prepared tree has it" >&2
		bad=1
	fi
done < <(series_files)
[ -z "$bad" ] || die "the prepared tree $tree is not the series' (above); make tree rebuilds it from the series"

if [ -n "$steps" ]; then
	stage 3/5 "building each of the $n steps"
	"$TOP/harness/series-steps.sh" "$repo" || die "a step of the series breaks (above)"
else
	stage 3/5 "building each step: skipped (--no-steps)"
fi

stage 4/5 "git format-patch with a cover letter"
sign=(-s)
[ -z "$unsigned" ] || sign=()
git -C "$repo" format-patch -q "${sign[@]}" --cover-letter -o "$outdir" base..HEAD
cover=$outdir/0000-cover-letter.patch
[ -f "$cover" ] || die "git format-patch wrote no cover letter"
mapfile -t series < <(ls "$outdir"/*.patch | grep -v '/0000-cover-letter\.patch$')
# Maintainers of what the series touches go in To:, the rest in Cc:.
(cd "$tree" && perl scripts/get_maintainer.pl --no-git --no-git-fallback --rolestats \
	"${series[@]}" 2>/dev/null) >"$BUILD/patches-maintainers" || true
to=$(grep -E '\((maintainer|supporter):' "$BUILD/patches-maintainers" | sed 's/ (.*//' | paste -sd, | sed 's/,/, /g')
cc=$(grep -vE '\((maintainer|supporter):' "$BUILD/patches-maintainers" | sed 's/ (.*//' | paste -sd, | sed 's/,/, /g')
[ -n "$to" ] || die "scripts/get_maintainer.pl named no maintainer for the series"
python3 - "$cover" "$TOP/patches/cover-letter" "$to" "$cc" <<'EOF'
import sys
path, letter, to, cc = sys.argv[1:]
text = open(path).read()
subject, _, blurb = open(letter).read().partition("\n\n")
if "*** SUBJECT HERE ***" not in text or "*** BLURB HERE ***" not in text:
    sys.exit("git format-patch wrote no cover letter template")
text = text.replace("*** SUBJECT HERE ***", subject.strip())
text = text.replace("*** BLURB HERE ***", blurb.rstrip("\n"))
head, sep, body = text.partition("\n\n")
head += "\nTo: " + to + ("\nCc: " + cc if cc else "")
open(path, "w").write(head + sep + body)
EOF
total=$(ls "$outdir"/*.patch | wc -l)

stage 5/5 "checking that the $total files apply with git am to a fresh base"
check=$BUILD/patches-check
rm -rf "$check"
seed_repo "$check" "$name" "$email"
git -C "$check" am -q "${series[@]}" ||
	die "the generated series does not apply with git am"
series_equals_overlay "$check" || die "after git am, the tree differs from the overlay"
rm -rf "$check"
echo "    cover letter and $((total - 1)) patches"
echo "$outdir"
