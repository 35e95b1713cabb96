#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make mutate: put each historical defect of upstream's stats.c, and each
# defect a review of ours found, back in the form it would take in our code
# (harness/mutations.py), one at a time, in a scratch copy of the project,
# and run the KUnit kernels that must catch it.
# A mutation that every check survives fails the run.
# Usage: mutate.sh [name ...]   (default: all)

. "$(dirname "$0")/lib.sh" || exit 1

scratch=$BUILD/mutate/repo
muts=$TOP/harness/mutations.py
names=${*:-$(python3 "$muts" list | cut -f1)}
report=$BUILD/mutate/report
rc=0

stage 1/2 "scratch copy of the project in $scratch"
mkdir -p "$scratch"
# Tracked files only, and never our build/: the copy builds in its own
# build/, laid out like ours, so ccache serves every file but stats.c.
(cd "$TOP" && git ls-files -z) |
	rsync -a --checksum --delete-missing-args --from0 --files-from=- "$TOP/" "$scratch/"
# The copy's prepared tree: a mutation of a file that only the series
# makes (main.c, internal.h) is made there, and undone from a pristine copy.
BUILD_DIR=$scratch/build bash "$scratch/harness/tree.sh" >"$BUILD/mutate/tree.log" 2>&1 ||
	die "the scratch copy's tree could not be prepared (log: $BUILD/mutate/tree.log)"
pristine=$BUILD/mutate/pristine
rm -rf "$pristine"
mkdir -p "$pristine"
# The files a mutation may change, restored before each one: ours in the
# copy of the project, the series' in the copy's tree.
MUTABLE=$(python3 "$muts" list | cut -f1 | while read -r n; do python3 "$muts" file "$n"; done | sort -u)
for f in $MUTABLE; do
	if [ ! -f "$scratch/$f" ]; then
		[ -f "$scratch/build/linux/$f" ] || die "mutations.py names $f, which neither the project nor its tree has"
		mkdir -p "$pristine/$(dirname "$f")"
		cp "$scratch/build/linux/$f" "$pristine/$f"
	fi
done
: >"$report"

restore()
{
	local f

	for f in $MUTABLE; do
		if [ -f "$pristine/$f" ]; then
			cp "$pristine/$f" "$scratch/build/linux/$f"
		else
			cp "$TOP/$f" "$scratch/$f"
		fi
	done
}
trap restore EXIT

stage 2/2 "mutations: $(echo "$names" | wc -w)"
for name in $names; do
	line=$(python3 "$muts" list | awk -F'\t' -v n="$name" '$1 == n')
	[ -n "$line" ] || die "no mutation named '$name' (see harness/mutations.py)"
	kernels=$(echo "$line" | cut -f2)
	what=$(echo "$line" | cut -f3)
	catchers=$(echo "$line" | cut -f4)
	echo "--- $name: $what (KUnit on: $kernels)"
	restore
	if [ -f "$pristine/$(python3 "$muts" file "$name")" ]; then
		python3 "$muts" apply "$name" "$scratch/build/linux"
	else
		python3 "$muts" apply "$name" "$scratch"
	fi
	[ -n "$catchers" ] || die "mutation '$name' names no check that must catch it"
	log=$BUILD/mutate/$name.log
	start=$(date +%s)
	# No result of the mutation before may stand in for this one's.
	rm -f "$scratch/build/results/kunit"
	if [ "$kernels" = e2e ]; then
		# The booted selftest: its cases stand where KUnit's would.
		rm -f "$scratch/build/results/e2e"
		BUILD_DIR=$scratch/build bash "$scratch/harness/e2e.sh" e2e >"$log" 2>&1 || true
		# Only a case that ran and said "not ok" catches anything: a skip,
		# or no result at all, is marked as skipped and does not count.
		sed -n -e 's/^FAIL e2e:\([a-z_]*\.[a-z_]*\) -- not ok$/FAIL kunit-e2e:e2e.module_stats.\1/p' \
			-e 's/^FAIL e2e:\([a-z_]*\.[a-z_]*\) -- .*$/FAIL kunit-e2e:e2e.module_stats.\1 -- skipped or no result/p' \
			-e 's/^PASS e2e:\([a-z_]*\.[a-z_]*\)$/PASS kunit-e2e:e2e.module_stats.\1/p' \
			"$scratch/build/results/e2e" >"$scratch/build/results/kunit" 2>/dev/null || true
		grep -q '^FAIL e2e:guest-completed' "$scratch/build/results/e2e" 2>/dev/null &&
			echo "FAIL kunit-e2e -- $(grep -m1 '^FAIL e2e:guest-completed' \
				"$scratch/build/results/e2e" | sed 's/.* -- //')" >>"$scratch/build/results/kunit"
		grep -q '^FAIL e2e:console:no-kernel-reports' "$scratch/build/results/e2e" 2>/dev/null &&
			echo "FAIL kunit-e2e:kernel-log -- $(grep -m1 '^FAIL e2e:console:no-kernel-reports' \
				"$scratch/build/results/e2e" | sed 's/.* -- //')" >>"$scratch/build/results/kunit"
		grep -q '^FAIL kunit-e2e:kernel-log' "$scratch/build/results/kunit" ||
			echo "PASS kunit-e2e:kernel-log" >>"$scratch/build/results/kunit"
		[ -s "$scratch/build/results/e2e" ] ||
			echo "FAIL kunit-e2e -- the guest left no result" >>"$scratch/build/results/kunit"
	else
		BUILD_DIR=$scratch/build bash "$scratch/harness/kunit.sh" $kernels >"$log" 2>&1 || true
	fi
	caught=$(grep '^FAIL ' "$scratch/build/results/kunit" 2>/dev/null |
		 sed 's/^FAIL //; s/ --.*//' | tr '\n' ' ' || true)
	secs=$(( $(date +%s) - start ))
	# A kernel that did not build or boot proves nothing about the mutation,
	# unless failing to build is how it must be caught (KERNEL:build:TEXT).
	nobuild=$(echo "$catchers" | tr '|' '\n' | sed -n 's/^\([a-z0-9_]*\):build:.*/\1/p')
	broken=""
	for k in $kernels; do
		echo " $nobuild " | tr '\n' ' ' | grep -q " $k " && continue
		broken=${broken:-$(grep -E "^FAIL kunit-$k -- " "$scratch/build/results/kunit" \
				   2>/dev/null | head -n 1 || true)}
		# Each kernel that ran leaves its log check.
		grep -qE "^(PASS|FAIL) kunit-$k:kernel-log" "$scratch/build/results/kunit" 2>/dev/null ||
			broken=${broken:-"kunit-$k left no result"}
	done
	report_line=$(for k in $kernels; do
			cat "$scratch/build/kunit-$k.log" 2>/dev/null
		done | grep -m1 -E 'BUG:|WARNING:|Oops' || true)
	# The checks that must catch it; any other failure does not count.
	missed=$(python3 - "$scratch/build/results/kunit" "$catchers" "$scratch/build" <<'PY'
import sys
try:
    fails = [l.rstrip("\n") for l in open(sys.argv[1], errors="replace") if l.startswith("FAIL ")]
except OSError:
    fails = []
# A case that was skipped against the rules failed, but did not catch anything.
fails = [l for l in fails if " -- skipped" not in l]
for c in sys.argv[2].split("|"):
    kernel, _, what = c.partition(":")
    head = f"FAIL kunit-{kernel}:"
    if what.startswith("kernel-log:"):
        text = what[len("kernel-log:"):]
        ok = any(l.startswith(head + "kernel-log -- ") and
                 text in l.split(" -- ", 1)[1] for l in fails)
    elif what.startswith("build:"):
        # The kernel did not build, and the compiler's error names TEXT.
        text = what[len("build:"):]
        try:
            log = open(f"{sys.argv[3]}/kunit-{kernel}.log", errors="replace").read()
        except OSError:
            log = ""
        ok = any(l.startswith(f"FAIL kunit-{kernel} -- kernel did not build") for l in fails) \
            and any("error:" in l and text in l for l in log.splitlines())
    else:
        ok = any(l.startswith(head) and (l.endswith(".module_stats." + what) or
                                         (".module_stats." + what + " -- ") in l)
                 for l in fails)
    if not ok:
        print(c)
PY
)
	if [ -n "$broken" ]; then
		echo "    INCONCLUSIVE ($secs s): $broken (log: $log)"
		echo "INCONCLUSIVE $name -- $broken" >>"$report"
		rc=1
	elif [ -n "$caught" ] && [ -z "$missed" ]; then
		[ -z "$report_line" ] || echo "    kernel said: ${report_line#*] }"
		echo "    caught in $secs s by: $caught"
		echo "CAUGHT $name -- $caught" >>"$report"
	elif [ -n "$caught" ]; then
		echo "    CAUGHT BY THE WRONG CHECKS ($secs s): $(echo $missed | tr '\n' ' ')did not fail;" \
			"what failed: $caught (log: $log)"
		echo "WRONG $name -- expected $(echo $missed | tr '\n' ' ')-- got $caught" >>"$report"
		rc=1
	else
		echo "    NOT CAUGHT ($secs s): every check passed (log: $log)"
		echo "MISSED $name" >>"$report"
		rc=1
	fi
done
restore
echo "$(grep -c '^CAUGHT' "$report") caught, $(grep -c '^MISSED' "$report") missed," \
	"$(grep -c '^WRONG' "$report") caught only by other checks," \
	"$(grep -c '^INCONCLUSIVE' "$report") inconclusive (report: $report)"
exit $rc
