#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn one kunit.py JSON report into PASS/FAIL/SKIP lines, one per case.

Usage: kunit-results.py ARCH JSON LOG SOURCE [--skip CASE,...] [--cpus N]

SOURCE is the suite's C file: the cases the report must hold are the ones
its kunit_case array lists, each parameterised case with as many results as
its parameter array has entries. A report with a case missing, one too many,
or a parameterised case short of results fails, as does a missing or empty
report (the kernel did not build or boot). A case may be skipped only if
--skip names it for this kernel. The kernel's log must exist, and any
sanitizer, lockdep or WARN report in it is one failure too, since a case can
pass while the kernel around it complains. With --cpus N, the log must say
that N CPUs came up, so that the concurrency cases cannot skip unnoticed.
"""
import argparse
import json
import re
import sys

REPORT = re.compile(r"(BUG: |WARNING: |UBSAN: |KASAN: |KCSAN: |"
                    r"possible circular locking|inconsistent lock state|"
                    r"suspicious RCU usage|Kernel panic|Oops)")
CASE = re.compile(r"KUNIT_CASE(?:_SLOW)?\((\w+)\)|KUNIT_CASE_PARAM\((\w+),\s*(\w+)_gen_params\)")
PARAMS = re.compile(r"KUNIT_ARRAY_PARAM\((\w+),\s*(\w+),")


def expected_cases(source):
    """{case: number of parameters, or None} from the suite's source."""
    text = open(source).read()
    # Comments and strings could hold braces or case names.
    text = re.sub(r"/\*.*?\*/|//[^\n]*", " ", text, flags=re.S)
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', text)
    m = re.search(r"static struct kunit_case \w+\[\] = \{(.*?)\n\};", text, re.S)
    if not m:
        raise ValueError(f"no kunit_case array in {source}")
    macros = re.findall(r"KUNIT_CASE\w*\(", m.group(1))
    if len(macros) != len(CASE.findall(m.group(1))):
        raise ValueError(f"a case macro this script does not know in {source}: "
                         f"{sorted(set(macros))}")
    arrays = dict(PARAMS.findall(text))
    want = {}
    for plain, param, prefix in CASE.findall(m.group(1)):
        if plain:
            want[plain] = None
            continue
        array = arrays.get(prefix)
        a = re.search(r"\b%s\[\] = \{(.*?)\n\};" % re.escape(array or "-"), text, re.S)
        if not a:
            raise ValueError(f"no parameter array for {param} in {source}")
        if "#if" in a.group(1):
            raise ValueError(f"parameter array {array} has #if in it; count it by hand")
        # One entry per "{ ... }" at the top level of the array.
        depth = entries = 0
        for ch in a.group(1):
            if ch == "{":
                depth += 1
                entries += depth == 1
            elif ch == "}":
                depth -= 1
        want[param] = entries
    if not want:
        raise ValueError(f"no cases in the kunit_case array of {source}")
    return want


def suites(report):
    """(qualified name, suite) for each suite: the report's top group holds them."""
    top = report.get("name", "")
    return [(f"{top}.{g['name']}", g) for g in report.get("sub_groups", [])]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("arch")
    ap.add_argument("json")
    ap.add_argument("log")
    ap.add_argument("source")
    ap.add_argument("--skip", default="")
    ap.add_argument("--cpus", type=int, default=0)
    args = ap.parse_args()
    arch = args.arch
    allowed = {s for s in args.skip.split(",") if s}
    bad = 0

    def out(word, name, why=""):
        nonlocal bad
        bad += word == "FAIL"
        print(f"{word} kunit-{arch}:{name}" + (f" -- {why}" if why else ""))

    try:
        want = expected_cases(args.source)
    except (OSError, ValueError) as e:
        print(f"FAIL kunit-{arch} -- cannot read the suite's cases ({e})")
        return 1
    try:
        with open(args.json) as f:
            report = json.load(f)
        found_suites = suites(report)
    except (OSError, ValueError, AttributeError, KeyError, TypeError) as e:
        found_suites, why = [], str(e)
    else:
        why = "no test cases in the report"
    found = {}
    for name, g in found_suites:
        for case in g.get("test_cases", []):
            found[case["name"]] = (name, case["status"], None)
        for sub in g.get("sub_groups", []):
            found[sub["name"]] = (name, sub.get("status", "FAIL"),
                                  [(c["name"], c["status"]) for c in sub.get("test_cases", [])])
    if not found:
        print(f"FAIL kunit-{arch} -- kernel did not build or run ({why})")
        return 1

    for case, nparams in want.items():
        if case not in found:
            out("FAIL", case, "did not run: missing from the report")
            continue
        suite, status, params = found[case]
        if nparams is None:
            results = [(f"{suite}.{case}", status)]
        else:
            if not params or len(params) != nparams:
                out("FAIL", f"{suite}.{case}",
                    f"{len(params or [])} of {nparams} parameters ran")
                continue
            results = [(f"{suite}.{case}.{p}", s) for p, s in params]
        for name, s in results:
            if s == "PASS":
                out("PASS", name)
            elif s == "SKIP" and case in allowed:
                out("SKIP", name)
            elif s == "SKIP":
                out("FAIL", name, f"skipped, and no skip is declared for {case} on {arch}")
            else:
                out("FAIL", name)
    for case in sorted(set(found) - set(want)):
        out("FAIL", case, "in the report but not in the suite's case list")

    try:
        with open(args.log, errors="replace") as f:
            log = f.read()
    except OSError as e:
        out("FAIL", "kernel-log", f"cannot read the kernel's log: {e}")
        return 1
    if not log.strip():
        out("FAIL", "kernel-log", f"the kernel's log {args.log} is empty")
        return 1
    hits = [line.strip() for line in log.splitlines() if REPORT.search(line)]
    if hits:
        out("FAIL", "kernel-log", hits[0])
    else:
        out("PASS", "kernel-log")
    if args.cpus:
        m = re.search(r"smp: Brought up \d+ nodes?, (\d+) CPUs?", log)
        got = int(m.group(1)) if m else None
        if got == args.cpus:
            out("PASS", f"{args.cpus}-cpus-online")
        else:
            out("FAIL", f"{args.cpus}-cpus-online",
                f"the log says {got} CPUs came up" if m else "the log says no CPUs came up")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
