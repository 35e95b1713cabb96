#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn one kunit.py JSON report into PASS/FAIL/SKIP lines, one per case.

Usage: kunit-results.py ARCH JSON LOG

A parameterised case counts once per parameter. A missing or empty report
(the kernel did not build or boot) is one failure. Any sanitizer, lockdep or
WARN report in the log is one failure too, since a case can pass while the
kernel around it complains.
"""
import json
import re
import sys

REPORT = re.compile(r"(BUG: |WARNING: |UBSAN: |KASAN: |KCSAN: |"
                    r"possible circular locking|inconsistent lock state|"
                    r"suspicious RCU usage|Kernel panic|Oops)")


def cases(group, prefix):
    name = prefix + "." + group["name"] if prefix else group["name"]
    for case in group.get("test_cases", []):
        yield name + "." + case["name"], case["status"]
    for sub in group.get("sub_groups", []):
        yield from cases(sub, name)


def main():
    arch, path, log = sys.argv[1:4]
    try:
        with open(path) as f:
            report = json.load(f)
        found = list(cases(report, ""))
    except (OSError, ValueError) as e:
        found = []
        why = str(e)
    else:
        why = "no test cases in the report"
    if not found:
        print(f"FAIL kunit-{arch} -- kernel did not build or run ({why})")
        return 1
    bad = 0
    for name, status in found:
        word = {"PASS": "PASS", "SKIP": "SKIP"}.get(status, "FAIL")
        bad += word == "FAIL"
        print(f"{word} kunit-{arch}:{name}")
    try:
        with open(log, errors="replace") as f:
            hits = [l.strip() for l in f if REPORT.search(l)]
    except OSError:
        hits = []
    if hits:
        print(f"FAIL kunit-{arch}:kernel-log -- {hits[0]}")
        bad += 1
    else:
        print(f"PASS kunit-{arch}:kernel-log")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
