#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build every step of a patch series, as git bisect would meet it.
#
# Usage: series-steps.sh REPO
#
# REPO is a git repository whose commits after the tag "base" are the
# series, and whose files are the ones the series touches (patches.sh makes
# it). For each commit, in order, every file any commit of the series
# touches is put into a copy of the base tree as the commit leaves it (the
# base's version if the commit has none), and:
#  - kernel/module/ is built with -Werror in four configurations, x86_64:
#    CONFIG_MODULE_STATS=y and =n, each with CONFIG_MODULE_DECOMPRESS=y
#    (xz) and =n, all with tracepoints; with the statistics and xz, the
#    KUnit suite is compiled in too once the step has it. The objects must
#    be the configuration's (stats.o only with the statistics, decompress.o
#    only with xz), and no object may call a statistics function that none
#    of them defines, since a missing stub would only show at link time;
#  - once a commit has kernel/module/tests/stats_kunit.c, every later one
#    must have it too, and the KUnit suite of kernel/module/.kunitconfig
#    runs on UML: harness/kunit-results.py must accept its report and log,
#    as make test's does (only the two cases that need two CPUs may skip).
# Stops at the first step that breaks, naming it. Each check is recorded in
# $RESULTS/steps for make test's count.

. "$(dirname "$0")/lib.sh" || exit 1

repo=${1:?usage: series-steps.sh REPO}
git -C "$repo" rev-parse -q --verify base >/dev/null || die "$repo has no tag 'base'"
base=$(cat "$BUILD/base.path" 2>/dev/null || true)
[ -f "$base/Makefile" ] || die "no base tree (run harness/tree.sh first)"

steps=$BUILD/steps
tree=$steps/linux
cc=$(kbuild_cc)
rm -f "$RESULTS/steps"
mkdir -p "$steps" "$RESULTS"

# A copy of the base, made once per base: the steps' files go in and out.
if [ "$(cat "$steps/base.id" 2>/dev/null)" != "$base" ] || [ ! -f "$tree/Makefile" ]; then
	stage steps "copying the base tree to $tree (once)"
	rm -f "$steps/base.id"
	rsync -a --delete "$base/" "$tree/" || die "cannot copy $base to $tree"
	echo "$base" >"$steps/base.id"
fi

CONFIGS="stats-xz stats-noxz nostats-xz nostats-noxz"

# fragment NAME: the configuration of one build, for allnoconfig.
fragment()
{
	cat <<-EOF
	CONFIG_64BIT=y
	CONFIG_MODULES=y
	CONFIG_MODULE_UNLOAD=y
	CONFIG_DEBUG_FS=y
	CONFIG_MODULE_DEBUG=y
	CONFIG_FTRACE=y
	CONFIG_ENABLE_DEFAULT_TRACERS=y
	CONFIG_UNWINDER_GUESS=y
	EOF
	# With the statistics and xz, the KUnit suite too, once a step has
	# it; without xz, no suite, so that what only the suite uses shows.
	case $1 in
	stats-xz) printf '%s\n' CONFIG_MODULE_STATS=y CONFIG_KUNIT=y \
		CONFIG_MODULE_STATS_KUNIT_TEST=y ;;
	stats-*) echo CONFIG_MODULE_STATS=y ;;
	*) echo "# CONFIG_MODULE_STATS is not set" ;;
	esac
	case $1 in
	*-noxz) echo "# CONFIG_MODULE_COMPRESS is not set" ;;
	*) printf '%s\n' CONFIG_MODULE_COMPRESS=y CONFIG_MODULE_COMPRESS_XZ=y \
		CONFIG_MODULE_DECOMPRESS=y ;;
	esac
}

# want NAME: the options that must be set (=y) in build NAME's .config.
want()
{
	fragment "$1" | sed -n 's/^\(CONFIG_MODULE_\(STATS\|DECOMPRESS\)\)=y$/\1/p'
	# The trace event's definition is compiled in every build.
	printf '%s\n' CONFIG_TRACEPOINTS CONFIG_EVENT_TRACING
}

kmake() # DIR ARGS...
{
	local dir=$1

	shift
	make -C "$tree" O="$dir" ARCH=x86_64 CC="$cc" HOSTCC="$cc" -j"$JOBS" -s "$@"
}

# configure NAME: allnoconfig with the fragment of build NAME, when the
# fragment is new or a step changed a Kconfig file (it may add an option
# the fragment sets); unchanged options keep their objects.
configure()
{
	local c=$1 dir=$steps/obj-$1 o has wants

	mkdir -p "$dir"
	fragment "$c" >"$steps/$c.config"
	if [ -z "$kconfig_changed" ] && [ -f "$dir/.config" ] &&
	   cmp -s "$steps/$c.config" "$dir/.fragment"; then
		return 0
	fi
	kmake "$dir" KCONFIG_ALLCONFIG="$steps/$c.config" allnoconfig >"$steps/$c.log" 2>&1 ||
		die "allnoconfig for $c failed (log: $steps/$c.log)"
	for o in CONFIG_MODULE_STATS CONFIG_MODULE_DECOMPRESS CONFIG_TRACEPOINTS CONFIG_EVENT_TRACING; do
		has=$(grep -cx "$o=y" "$dir/.config" || true)
		wants=$(want "$c" | grep -cx "$o" || true)
		[ "$has" = "$wants" ] ||
			die "configuration $c: $o is $([ "$has" = 1 ] && echo set || echo unset) (log: $steps/$c.log)"
	done
	if [ "$c" = stats-xz ] && [ -f "$tree/kernel/module/tests/stats_kunit.c" ] &&
	   ! grep -qx CONFIG_MODULE_STATS_KUNIT_TEST=y "$dir/.config"; then
		die "configuration $c: the step has the KUnit suite, but CONFIG_MODULE_STATS_KUNIT_TEST is unset"
	fi
	cp "$steps/$c.config" "$dir/.fragment"
}

# Every file any commit of the series touches, and every file the last run
# touched: a file a commit in the middle changes, or that a previous series
# left in the copy, is put back to the base's version where a step lacks it.
mapfile -t touched < <( {
	git -C "$repo" log --name-only --format= base..HEAD
	cat "$steps/touched" 2>/dev/null || true
} | sed '/^$/d' | sort -u)
printf '%s\n' "${touched[@]}" >"$steps/touched"

# put_step REV: the tree as REV leaves it. Unchanged files keep their
# timestamps, so each build recompiles only what the step changed. Sets
# kconfig_changed if a Kconfig file changed.
put_step()
{
	local rev=$1 f tmp=$steps/file.tmp

	kconfig_changed=

	for f in "${touched[@]}"; do
		if git -C "$repo" cat-file -e "$rev:$f" 2>/dev/null; then
			git -C "$repo" show "$rev:$f" >"$tmp"
		elif [ -f "$base/$f" ]; then
			cp "$base/$f" "$tmp"
		else
			[ ! -e "$tree/$f" ] || case $f in */Kconfig*) kconfig_changed=1 ;; esac
			rm -f "$tree/$f"
			continue
		fi
		if ! cmp -s "$tmp" "$tree/$f"; then
			mkdir -p "$(dirname "$tree/$f")"
			mv -f "$tmp" "$tree/$f"
			case $f in */Kconfig*) kconfig_changed=1 ;; esac
		fi
	done
	rm -f "$tmp"
}

# objects_ok NAME DIR: the objects of kernel/module/ are build NAME's, and
# none calls a statistics function that no object defines. Says why not.
objects_ok()
{
	local c=$1 dir=$2/kernel/module o want undef

	for o in stats decompress; do
		want=0
		case "$o:$c" in stats:stats-*|decompress:*-xz) want=1 ;; esac
		if [ "$want" = 1 ] && [ ! -f "$dir/$o.o" ]; then
			echo "no $o.o in $c"
			return 1
		elif [ "$want" = 0 ] && [ -f "$dir/$o.o" ]; then
			echo "$o.o built in $c"
			return 1
		fi
	done
	undef=$(comm -23 <(nm -u "$dir"/*.o | awk '{ print $2 }' |
			   grep -E '^(mod_stat_|try_add_failed_module|load_info_)' | sort -u) \
			 <(nm --defined-only "$dir"/*.o | awk '{ print $3 }' | sort -u))
	if [ -n "$undef" ]; then
		echo "called but defined by no object of kernel/module/ in $c: $undef"
		return 1
	fi
}

mapfile -t revs < <(git -C "$repo" rev-list --reverse base..HEAD)
n=${#revs[@]}
i=0
failed=
for rev in "${revs[@]}"; do
	i=$((i + 1))
	subject=$(git -C "$repo" log -1 --format=%s "$rev")
	stage "step $i/$n" "$subject"
	put_step "$rev"
	for c in $CONFIGS; do
		configure "$c"
		dir=$steps/obj-$c
		log=$steps/step$i-$c.log
		start=$(date +%s)
		why=
		if kmake "$dir" KCFLAGS=-Werror kernel/module/ >"$log" 2>&1 &&
		   why=$(objects_ok "$c" "$dir") ; then
			result steps PASS "step$i:build:$c" "$(( $(date +%s) - start )) s"
		elif [ -n "${why:-}" ]; then
			result steps FAIL "step$i:build:$c" "'$subject': $why"
			failed=1
			break
		else
			grep -m3 -E 'error|warning' "$log" | sed 's/^/    /' >&2 || true
			result steps FAIL "step$i:build:$c" "'$subject' does not build (log: $log)"
			failed=1
			break
		fi
	done
	[ -z "$failed" ] || break
	if [ -f "$tree/kernel/module/tests/stats_kunit.c" ]; then
		suite=$i
	elif [ -n "${suite:-}" ]; then
		result steps FAIL "step$i:kunit:um" "'$subject' removes the KUnit suite that step $suite added"
		failed=1
		break
	fi
	if [ -n "${suite:-}" ]; then
		log=$steps/step$i-kunit.log
		json=$steps/step$i-kunit.json
		rm -f "$json" "$steps/kunit-um/test.log"
		(cd "$tree" && python3 tools/testing/kunit/kunit.py run --kunitconfig=kernel/module \
			--arch=um --build_dir="$steps/kunit-um" --jobs="$JOBS" \
			--make_options "CC=$cc" --kconfig_add CONFIG_UML_PCI_OVER_VIRTIO=n \
			--timeout=600 --json="$json") >"$log" 2>&1 || true
		# The gate make test's KUnit stage uses: every case of the step's
		# suite, and a kernel log without reports. UML has one CPU.
		if python3 "$TOP/harness/kunit-results.py" um "$json" "$steps/kunit-um/test.log" \
			"$tree/kernel/module/tests/stats_kunit.c" \
			--skip stats_test_concurrency,stats_test_reset_race >"$steps/step$i-kunit.results" 2>&1; then
			result steps PASS "step$i:kunit:um" "$(grep -c '^PASS' "$steps/step$i-kunit.results") checks"
		else
			result steps FAIL "step$i:kunit:um" "'$subject': $(grep -m1 '^FAIL' "$steps/step$i-kunit.results" || tail -n1 "$steps/step$i-kunit.results") (log: $log)"
			failed=1
			break
		fi
	fi
done
[ -n "$failed" ] && die "step $i of $n breaks: $subject"
echo "    all $n steps build in $(echo $CONFIGS | wc -w) configurations"
