#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Static checks on our kernel files and patches, each counted on its own:
# checkpatch --strict, kernel-doc -Wall, sparse (C=2) and W=1.

. "$(dirname "$0")/lib.sh" || exit 1

tree=$(prepared_tree)
mkdir -p "$RESULTS"
rm -f "$RESULTS/check"
cd "$TOP"

# Our C files: every overlay .c/.h file.
mapfile -t cfiles < <(grep -E '\.[ch]$' "$BUILD/overlay.list")

# checkpatch_patch NAME FILE [IGNORE]: a patch must be clean; a patch of
# patches/ lacks only the sign-off, which make patches adds. checkpatch asks whether MAINTAINERS needs
# updating whenever a patch adds a file; get_maintainer.pl answers that: each
# added file must already have a maintainer, or the patch must add one.
checkpatch_patch()
{
	local name=$1 file=$2 ignore=${3:-MISSING_SIGN_OFF,FILE_PATH_CHANGES,UNKNOWN_COMMIT_ID} out f orphans=""

	out=$(cd "$tree" && perl scripts/checkpatch.pl --strict --terse --no-summary \
		--show-types --ignore "$ignore" "$file" 2>&1) || true
	for f in $(awk '/^--- \/dev\/null/ { getline; sub("^\\+\\+\\+ b/", ""); print }' "$file"); do
		(cd "$tree" && perl scripts/get_maintainer.pl --nogit --nogit-fallback --norolestats \
			--nol -f "$f" 2>/dev/null | grep -q .) || orphans="$orphans $f"
	done
	[ -z "$orphans" ] || out="$out${out:+
}no MAINTAINERS entry for:$orphans"
	if [ -z "$out" ]; then
		result check PASS "checkpatch:$name"
	else
		result check FAIL "checkpatch:$name" "$(printf '%s\n' "$out" | head -n 1)"
		printf '%s\n' "$out" | sed 's/^/      /'
	fi
}

stage 1/5 "checkpatch --strict on ${#cfiles[@]} files and $(grep -c '\.patch$' patches/series) patches"
for f in "${cfiles[@]}"; do
	if out=$(cd "$tree" && perl scripts/checkpatch.pl --strict --terse --no-summary \
			--show-types -f "$f" 2>&1) && [ -z "$out" ]; then
		result check PASS "checkpatch:$f"
	else
		result check FAIL "checkpatch:$f" "$(printf '%s\n' "$out" | head -n 1)"
		printf '%s\n' "$out" | sed 's/^/      /'
	fi
done
while read -r p _; do
	case "$p" in ''|'#'*) continue ;; esac
	checkpatch_patch "patches/$p" "$TOP/patches/$p"
done <patches/series

# Each mutation of make mutate must still find the code it changes, or
# make mutate would stop at it (or, before, test nothing).
python3 "$TOP/harness/mutations.py" check "$TOP" "$tree" | while read -r status name rest; do
	result check "$status" "$name" "${rest#-- }"
done

stage 2/5 "kernel-doc -none -Wall"
for f in "${cfiles[@]}"; do
	case $f in kernel/*|include/*|lib/*) ;; *) continue ;; esac
	out=$(cd "$tree" && perl scripts/kernel-doc -none -Wall "$f" 2>&1)
	if [ -z "$out" ]; then
		result check PASS "kernel-doc:$f"
	else
		result check FAIL "kernel-doc:$f" "$(printf '%s\n' "$out" | head -n 1)"
		printf '%s\n' "$out" | sed 's/^/      /'
	fi
done
# The DOC: sections that Documentation/core-api/kernel-api.rst pulls in.
for doc in "module debugging statistics overview" \
	   "duplicate failed modules" \
	   "module statistics debugfs counters"; do
	out=$(cd "$tree" && perl scripts/kernel-doc -rst -sphinx-version 7.2.6 \
		-function "$doc" kernel/module/stats.c 2>&1)
	if [ -n "$(printf '%s' "$out" | tr -d '[:space:]')" ] &&
	   ! printf '%s\n' "$out" | grep -qiE '(^|: )(warning|error):'; then
		result check PASS "kernel-doc:resolves:$doc"
	else
		result check FAIL "kernel-doc:resolves:$doc" "$(printf '%s\n' "$out" | head -n 1)"
	fi
done

# Documentation: each page parses as reStructuredText without a warning
# (docutils, as Sphinx uses it) and is in its directory's index.
for f in $(grep -E '^Documentation/.*\.rst$' "$BUILD/overlay.list"); do
	if out=$(/usr/bin/python3 - "$tree/$f" 2>&1 <<'PY'
import sys
import docutils.core
src = open(sys.argv[1]).read()
docutils.core.publish_string(src, source_path=sys.argv[1], writer_name="null",
                             settings_overrides={"halt_level": 2, "report_level": 2})
PY
	); then
		result check PASS "docs:rst:$f"
	else
		result check FAIL "docs:rst:$f" "$(printf '%s\n' "$out" | tail -n 1)"
	fi
	page=$(basename "$f" .rst)
	if grep -qx "   $page" "$tree/$(dirname "$f")/index.rst"; then
		result check PASS "docs:indexed:$f"
	else
		result check FAIL "docs:indexed:$f" "not in $(dirname "$f")/index.rst"
	fi
done

stage 3/5 "sparse (C=2) and W=1 on kernel/module"
"$TOP/harness/qemu-kernel.sh" "$tree" >/dev/null
out=$BUILD/qemu-x86_64
objs="kernel/module/stats.o kernel/module/main.o"
log=$BUILD/check-sparse.log
# Touched files, so that W=1 recompiles them and sparse sees them.
make -C "$tree" O="$out" ARCH=x86_64 CC="$(kbuild_cc)" C=2 W=1 $objs >"$log" 2>&1 ||
	{ result check FAIL "sparse-w1:build" "log: $log"; }
# sparse_w1 LOG FILE...: each file's warnings and errors in LOG, one check each.
sparse_w1()
{
	local log=$1 f hits

	shift
	for f in "$@"; do
		hits=$(grep -E "^([^ ]*/)?$f:[0-9]+:[0-9]+: (warning|error)" "$log" || true)
		if [ -z "$hits" ]; then
			result check PASS "sparse-w1:$f"
		else
			result check FAIL "sparse-w1:$f" "$(printf '%s\n' "$hits" | head -n 1)"
			printf '%s\n' "$hits" | sed 's/^/      /'
		fi
	done
}
sparse_w1 "$log" kernel/module/stats.c kernel/module/main.c kernel/module/internal.h
# Rebuild with the normal flags, so the next boot uses an ordinary kernel.
make -C "$tree" O="$out" ARCH=x86_64 CC="$(kbuild_cc)" -j"$JOBS" -s bzImage >/dev/null 2>&1 || true

# The KUnit suite is compiled only where CONFIG_KUNIT is: in the x86_64
# KUnit kernel's build directory, which the kunit stage made.
kdir=$BUILD/kunit-x86_64
klog=$BUILD/check-sparse-kunit.log
if ! grep -q '^CONFIG_MODULE_STATS_KUNIT_TEST=y' "$kdir/.config" 2>/dev/null; then
	result check FAIL "sparse-w1:kernel/module/tests/stats_kunit.c" \
		"no KUnit build in $kdir to compile it in (run make kunit first)"
elif ! make -C "$tree" O="$kdir" ARCH=x86_64 CC="$(kbuild_cc)" C=2 W=1 \
		kernel/module/stats.o >"$klog" 2>&1; then
	result check FAIL "sparse-w1:kernel/module/tests/stats_kunit.c" "build failed; log: $klog"
elif ! grep -qE "^ +CHECK +.*kernel/module/stats\.c$" "$klog"; then
	result check FAIL "sparse-w1:kernel/module/tests/stats_kunit.c" \
		"sparse did not check stats.c; log: $klog"
else
	sparse_w1 "$klog" kernel/module/tests/stats_kunit.c
fi

stage 4/5 "building kernel/module with CONFIG_MODULE_STATS=n"
# Without CONFIG_MODULE_STATS the hooks are inline no-ops and stats.c is
# not built; main.c must still compile, without new warnings.
nostats=$BUILD/nostats-x86_64
log=$BUILD/check-nostats.log
mkdir -p "$nostats"
if ! { make -C "$tree" O="$nostats" ARCH=x86_64 CC="$(kbuild_cc)" -s tinyconfig &&
       "$tree/scripts/config" --file "$nostats/.config" -e 64BIT -e MODULES -e DEBUG_FS \
		-e MODULE_DEBUG -d MODULE_STATS &&
       make -C "$tree" O="$nostats" ARCH=x86_64 CC="$(kbuild_cc)" -s olddefconfig &&
       ! grep -q '^CONFIG_MODULE_STATS=y' "$nostats/.config" &&
       make -C "$tree" O="$nostats" ARCH=x86_64 CC="$(kbuild_cc)" -j"$JOBS" W=1 \
		kernel/module/; } >"$log" 2>&1; then
	result check FAIL "build:MODULE_STATS=n" "log: $log"
elif [ -e "$nostats/kernel/module/stats.o" ] ||
     grep -qE "kernel/module/(main\.c|internal\.h):[0-9]+:[0-9]+: warning" "$log"; then
	result check FAIL "build:MODULE_STATS=n" "stats.o built or warnings; log: $log"
else
	result check PASS "build:MODULE_STATS=n"
fi

stage 5/5 "make patches: every step built, the series as git format-patch, applied with git am"
# Signed off by the submitter where there is one; on a machine without a
# git identity (a CI runner), unsigned, and checkpatch is told so.
sign=
# The base is a tarball, not a git tree: checkpatch cannot look up the
# mainline commit that Fixes: names (df3e764d8e5c), so it is not asked to.
ignore=MISSING_SIGN_OFF,FILE_PATH_CHANGES,UNKNOWN_COMMIT_ID
if git -C "$TOP" config user.name >/dev/null && git -C "$TOP" config user.email >/dev/null; then
	ignore=FILE_PATH_CHANGES,UNKNOWN_COMMIT_ID
else
	sign=--unsigned
	echo "    no git identity here: the series is made unsigned, to check that it applies"
fi
# patches.sh records each step's builds and KUnit run in $RESULTS/steps.
if "$TOP/harness/patches.sh" $sign >"$BUILD/check-patches.log" 2>&1; then
	result check PASS "patches:format-patch-and-git-am"
	dir=$(tail -n 1 "$BUILD/check-patches.log")
	for p in "$dir"/*.patch; do
		case $p in */0000-cover-letter.patch) continue ;; esac
		checkpatch_patch "series/$(basename "$p")" "$p" "$ignore"
	done
	if why=$(python3 - "$dir" "$TOP/patches/cover-letter" <<-'EOF'
		import email, glob, re, sys
		d, letter = sys.argv[1:]
		series = sorted(p for p in glob.glob(d + "/*.patch")
		                if not p.endswith("/0000-cover-letter.patch"))
		msg = email.message_from_file(open(d + "/0000-cover-letter.patch"))
		subject = (msg["Subject"] or "").replace("\n", "")
		m = re.match(r"\[PATCH 0+/(\d+)\] (\S.*)$", re.sub(r"\s+", " ", subject))
		want_subject, _, blurb = open(letter).read().partition("\n\n")
		body = msg.get_payload()
		if not m or int(m.group(1)) != len(series):
		    sys.exit(f"subject {subject!r} does not count the {len(series)} patches")
		if "\n" in want_subject.strip() or m.group(2) != want_subject.strip():
		    sys.exit("the subject is not patches/cover-letter's one-line first paragraph")
		if "@" not in (msg["To"] or ""):
		    sys.exit("no To: header with an address")
		if not blurb.strip() or blurb.strip() not in body:
		    sys.exit("the body is not patches/cover-letter's text")
		if "*** " in body or "***" in subject:
		    sys.exit("a template line of git format-patch is left")
		for p in series:
		    s = email.message_from_file(open(p))["Subject"]
		    s = re.sub(r"^\[PATCH[^]]*\] ", "", re.sub(r"\s+", " ", s))
		    if s not in re.sub(r"\s+", " ", body):
		        sys.exit(f"the shortlog lacks {s!r}")
		EOF
	); then
		result check PASS "patches:cover-letter"
	else
		result check FAIL "patches:cover-letter" "$why ($dir/0000-cover-letter.patch)"
	fi
else
	grep -E 'FAIL|error' "$BUILD/check-patches.log" | tail -n 5 | sed 's/^/    /'
	result check FAIL "patches:format-patch-and-git-am" "$(tail -n 1 "$BUILD/check-patches.log") (log: $BUILD/check-patches.log)"
fi

! grep -q '^FAIL' "$RESULTS/check"
