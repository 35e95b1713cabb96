#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run the KUnit suites of kernel/module/.kunitconfig through the tree's own
# kunit.py: on UML, then on x86_64 and i386 under QEMU. Each architecture
# keeps its build directory, so a re-run recompiles only what changed.
# Usage: kunit.sh [arch ...]   (default: um x86_64 i386)

. "$(dirname "$0")/lib.sh"

ARCHES=${*:-um x86_64 i386}
tree=$(prepared_tree)
mkdir -p "$RESULTS"
rm -f "$RESULTS/kunit"
cc=$(kbuild_cc)
n=$(echo "$ARCHES" | wc -w)
i=0
rc=0

for arch in $ARCHES; do
	i=$((i + 1))
	dir=$BUILD/kunit-$arch
	log=$BUILD/kunit-$arch.log
	json=$BUILD/kunit-$arch.json
	extra=()
	case $arch in
	um)
		# UML builds without in-kernel decompression, the others with it.
		;;
	x86_64|i386)
		extra=(--kconfig_add CONFIG_MODULE_COMPRESS=y
		       --kconfig_add CONFIG_MODULE_COMPRESS_XZ=y
		       --kconfig_add CONFIG_MODULE_DECOMPRESS=y
		       --kconfig_add CONFIG_SMP=y
		       --qemu_args "-smp 2")
		;;
	*)
		die "unknown architecture '$arch' (want um, x86_64 or i386)"
		;;
	esac
	if [ -f "$dir/.config" ]; then
		stage "$i/$n" "KUnit on $arch (incremental build)"
	else
		stage "$i/$n" "KUnit on $arch (about 3 min to build from scratch)"
	fi
	rm -f "$json"
	start=$(date +%s)
	(cd "$tree" && python3 tools/testing/kunit/kunit.py run \
		--kunitconfig=kernel/module --arch="$arch" --build_dir="$dir" \
		--jobs="$JOBS" --make_options "CC=$cc" --timeout=600 \
		--json="$json" "${extra[@]}") >"$log" 2>&1 || true
	echo "    $(grep -E 'Testing complete|ERROR|error:' "$log" | tail -n 3 | tr '\n' ' ')($(( $(date +%s) - start )) s, log: $log)"
	if ! python3 "$TOP/harness/kunit-results.py" "$arch" "$json" "$log" >>"$RESULTS/kunit"; then
		rc=1
	fi
	grep -E "^(PASS|FAIL|SKIP) kunit-$arch" "$RESULTS/kunit" | grep -v '^PASS' | sed 's/^/    /' || true
	if grep -q "^FAIL kunit-$arch" "$RESULTS/kunit"; then
		rc=1
		echo "    failures on $arch; last lines of the log:"
		tail -n 25 "$log" | sed 's/^/    | /'
	fi
done
exit $rc
