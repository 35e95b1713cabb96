#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Read what the module selftest printed in the guest, as a CI system would.

Usage: ktap.py [--no-stats] DATA CONSOLE SOURCE

DATA holds the guest's "=== BEGIN name" ... "=== END name" blocks
(harness/guest-init.sh): "kselftest" is what run_kselftest.sh -c module
printed, "kernel_log" the kernel's log at the end. CONSOLE is the kernel's
console. SOURCE is the selftest's C file: the cases it defines are the cases
that must report, in that order.

Prints one "PASS name" or "FAIL name -- why" line per check: one per case of
the selftest, then the runner's own verdict, then what only the host can
see: that two CPUs came up, and that the kernel reported nothing (WARN, BUG,
lockdep, KASAN, ...). A case that skipped fails: the kernel booted here has
everything the selftest needs, so a skip means a check did not run. Exit
status 1 if any check failed, 2 if this reader broke.

--no-stats: the kernel was built without CONFIG_MODULE_STATS. Then every
case of the "stats" fixture must skip, saying so, and every other case (the
trace event's, which such a kernel fires too) must pass.
"""
import re
import sys

CASE = re.compile(r"^TEST_F(?:_TIMEOUT)?\(\s*(\w+)\s*,\s*(\w+)", re.M)
FIXTURE = re.compile(r"^FIXTURE\(\s*(\w+)\s*\)", re.M)
RESULT = re.compile(r"^(ok|not ok) (\d+) ([\w.]+)(?: # (SKIP|XFAIL)\b ?(.*))?$")
TOTALS = re.compile(r"^# Totals: pass:(\d+) fail:(\d+) xfail:(\d+) xpass:(\d+) "
                    r"skip:(\d+) error:(\d+)$")
KERNEL_REPORT = re.compile(r"(WARNING:|BUG:|Oops|Kernel panic|INFO: |"
                           r"possible circular locking|possible recursive locking|"
                           r"inconsistent lock state|suspicious RCU usage|"
                           r"UBSAN:|KASAN:|KCSAN:|page allocation failure|"
                           r"vmalloc error|kmemleak|Call Trace:)")
COLLECTION = "module"
PROGRAM = "mod_stats"

failed = []


def check(name, ok, why=""):
    if ok:
        print(f"PASS e2e:{name}")
    else:
        failed.append(name)
        print(f"FAIL e2e:{name} -- {why}")


def read_blocks(path):
    blocks, name, lines = {}, None, []
    try:
        text = open(path, errors="replace").read()
    except OSError:
        return blocks
    for line in text.split("\n"):
        if line.startswith("=== BEGIN "):
            name, lines = line[len("=== BEGIN "):], []
        elif line.startswith("=== END ") and name is not None:
            blocks[name] = "\n".join(lines) + ("\n" if lines else "")
            name = None
        elif name is not None:
            lines.append(line)
    return blocks


def expected_cases(source):
    """The cases, in the order kselftest_harness.h runs them: fixture by
    fixture, as the fixtures are declared, each one's in source order."""
    text = open(source).read()
    cases = CASE.findall(text)
    fixtures = list(dict.fromkeys(FIXTURE.findall(text) + [f for f, _ in cases]))
    return [f"{f}.{c}" for f in fixtures for fx, c in cases if fx == f]


def read_tap(text):
    """The runner's stream: (outer lines, inner lines of the program)."""
    outer, inner = [], []
    for line in text.splitlines():
        if line.startswith("# "):
            inner.append(line[2:])
        elif line == "#":
            inner.append("")
        else:
            outer.append(line)
    return outer, inner


def main(argv):
    no_stats = argv[:1] == ["--no-stats"]
    if no_stats:
        argv = argv[1:]
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        print("FAIL e2e:tap-reader-completed -- usage")
        return 2
    data, console_path, source = argv
    blocks = read_blocks(data)
    want = expected_cases(source)
    if not want:
        print(f"FAIL e2e:tap-reader-completed -- no TEST_F cases in {source}")
        return 2
    text = blocks.get("kselftest", "")
    outer, inner = read_tap(text)

    # The program's own TAP, as kselftest_harness.h prints it.
    plan = [ln for ln in inner if re.fullmatch(r"1\.\.\d+", ln)]
    check("kselftest:plan", "TAP version 13" in inner and plan == [f"1..{len(want)}"],
          f"plan {plan or 'missing'} for the {len(want)} cases of {source}"
          if text else "no output from run_kselftest.sh")
    results = {}
    order = []
    for ln in inner:
        m = RESULT.match(ln)
        if m:
            order.append(m[3])
            if m[3] in results:
                results[m[3]] = ("twice", 0, "", "")
            else:
                results[m[3]] = (m[1], int(m[2]), m[4] or "", m[5] or "")
    # Without the statistics, the cases that need them must say so and skip.
    skipping = [n for n in want if no_stats and n.startswith("stats.")]
    for i, name in enumerate(want, 1):
        res = results.get(name)
        if res is None:
            check(name, False, "no result: the case did not run, or its output was cut")
        elif res[0] == "twice":
            check(name, False, "reported twice")
        elif res[1] != i:
            check(name, False, f"reported as case {res[1]}, not {i}")
        elif name in skipping:
            check(name, res[0] == "ok" and res[2] == "SKIP" and
                  "CONFIG_MODULE_STATS=n" in res[3],
                  f"not skipped for CONFIG_MODULE_STATS=n: {res[0]} {res[2]} {res[3]}".strip())
        elif res[2]:
            check(name, False, f"{res[2]}: {res[3]}")
        else:
            check(name, res[0] == "ok", "not ok")
    check("kselftest:order", [n for n in order if n in want] == want,
          f"reported in another order than {source} defines: {order[:4]}...")
    extra = [n for n in order if n not in want]
    check("kselftest:no-unknown-cases", not extra, f"cases not in {source}: {extra[:3]}")
    totals = [TOTALS.match(ln) for ln in inner if TOTALS.match(ln)]
    passed = sum(1 for n in want if results.get(n, ("",))[0] == "ok"
                 and not results[n][2])
    check("kselftest:totals", len(totals) == 1 and int(totals[0][1]) == passed ==
          len(want) - len(skipping) and int(totals[0][5]) == len(skipping) and
          not any(int(x) for x in totals[0].groups()[1:4]) and not int(totals[0][6]),
          f"totals {totals[0].group(0) if totals else 'missing'}, {passed} of "
          f"{len(want) - len(skipping)} cases ok")

    # The runner's verdict on the program: it ran under run_kselftest.sh.
    head = [ln for ln in outer if ln.strip()][:2]
    verdict = [ln for ln in outer if re.match(r"^(not )?ok \d+ selftests: ", ln)]
    check("kselftest:runner-ok", head == ["TAP version 13", "1..1"] and
          verdict == [f"ok 1 selftests: {COLLECTION}: {PROGRAM}"],
          f"runner printed {head} ... {verdict}")

    # What only the host sees.
    try:
        console = open(console_path, errors="replace").read()
    except OSError:
        console = ""
    check("console:two-cpus-online", blocks.get("cpus", "").strip() == "0-1" and
          re.search(r"smp: Brought up \d+ nodes?, 2 CPUs", console),
          f"online CPUs {blocks.get('cpus', 'unknown').strip()!r}")
    hits = [line for line in console.splitlines() + blocks.get("kernel_log", "").splitlines()
            if KERNEL_REPORT.search(line)]
    check("console:no-kernel-reports", console.strip() and blocks.get("kernel_log") and not hits,
          hits[0] if hits else "no console or kernel log")
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except SystemExit:
        raise
    except Exception as e:  # pylint: disable=broad-except
        print(f"FAIL e2e:tap-reader-completed -- {type(e).__name__}: {e}")
        sys.exit(2)
