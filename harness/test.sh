#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Every check: KUnit (UML; x86_64 with KASAN, UBSAN, lockdep and coverage;
# i386; KCSAN), the QEMU end-to-end test, a smoke run of the benchmark and
# the static checks. Stages go on after a failure; the last line counts each
# KUnit case, end-to-end check and static check: "N passed, N failed".

. "$(dirname "$0")/lib.sh" || exit 1

rm -rf "$RESULTS"
mkdir -p "$RESULTS"
t0=$(date +%s)

run_stage() # name script [args]
{
	local name=$1 start rc=0

	shift
	start=$(date +%s)
	echo "=== make test: $name"
	"$@" || rc=$?
	# A stage that died before recording anything still counts as a failure.
	if [ ! -s "$RESULTS/$name" ] || { [ "$rc" != 0 ] && ! grep -q '^FAIL' "$RESULTS/$name"; }; then
		result "$name" FAIL "$name:completed" "exit status $rc"
	fi
	echo "=== $name took $(( $(date +%s) - start )) s"
}

run_stage tree "$TOP/harness/tree-check.sh"
run_stage kunit "$TOP/harness/kunit.sh"
run_stage e2e "$TOP/harness/e2e.sh" e2e
run_stage e2e-nostats env E2E_NOSTATS=1 "$TOP/harness/e2e.sh" e2e
run_stage bench "$TOP/harness/bench.sh" --smoke
run_stage check "$TOP/harness/check.sh"

pass=$(cat "$RESULTS"/* | grep -c '^PASS' || true)
fail=$(cat "$RESULTS"/* | grep -c '^FAIL' || true)
skip=$(cat "$RESULTS"/* | grep -c '^SKIP' || true)
echo "=== make test took $(( $(date +%s) - t0 )) s; failures:"
grep -h '^FAIL' "$RESULTS"/* | sed 's/^/  /' || echo "  none"
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
