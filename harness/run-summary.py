#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""What 'make run' shows: the stats file after a udev-like storm, and what
the loaders saw next to what the kernel counted.

Usage: run-summary.py DATA

DATA holds the guest's "=== BEGIN name" ... "=== END name" blocks
(harness/guest-init.sh, modstats_mode=run). A demonstration, not a test:
the module selftest checks the numbers.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ktap import read_blocks  # noqa: E402  pylint: disable=wrong-import-position

ROW = re.compile(r"^ *(\S+)\t +(\d+)\t +(Becoming|Load|Becoming & Load)$")
PREAMBLE = re.compile(r"^ *([A-Za-z][A-Za-z &]*[a-z])\t(\d+)$")


def loader(text):
    for line in (text or "").splitlines():
        if line.startswith("modload "):
            return {k: int(v) for k, v in
                    (kv.split("=") for kv in line.split()[1:])}
    return {}


def parse_stats(text):
    """Return (counters by label, rows, problems) of a stats file."""
    pre, rows, problems = {}, [], []
    for n, line in enumerate((text or "").splitlines(), 1):
        m, r = PREAMBLE.match(line), ROW.match(line)
        if m:
            pre[m.group(1)] = int(m.group(2))
        elif r:
            rows.append((r.group(1), int(r.group(2)), r.group(3)))
        elif not line.startswith("Duplicate failed modules:") and "Module-name" not in line:
            problems.append(f"line {n}: {line!r}")
    if not text:
        problems.append("no stats file captured")
    return pre, rows, problems


def summary(blocks):
    print(blocks.get("run.stats", "(no stats captured)"), end="")
    pre, rows, problems = parse_stats(blocks.get("run.stats"))
    seen = {}
    for k in ("run.loader", "run.loader_xz", "run.loader_distinct"):
        for key, v in loader(blocks.get(k)).items():
            seen[key] = seen.get(key, 0) + v
    fails = seen.get("EEXIST", 0) + seen.get("EBUSY", 0)
    kernel = pre.get("Mods failed on becoming", 0) + pre.get("Mods failed on load", 0)
    listed = sum(count for _, count, _ in rows)
    print()
    print("What the loaders saw next to what the kernel counted:")
    print(f"  {'':34}{'loaders':>12}{'kernel':>12}")
    print(f"  {'load calls':34}{seen.get('calls', 0):>12}{'':>12}")
    print(f"  {'modules loaded':34}{seen.get('ok', 0):>12}{pre.get('Mods ever loaded', 0):>12}")
    print(f"  {'duplicate failures (EEXIST+EBUSY)':34}{fails:>12}{kernel:>12}")
    print(f"  {'  of them listed by name':34}{'':>12}{listed:>12}")
    print(f"  {'other errors':34}{seen.get('other', 0):>12}{'':>12}")
    print(f"  {'memory wasted (bytes)':34}{'':>12}{pre.get('Virtual mem wasted bytes', 0):>12}")
    if problems:
        print("stats file problems: " + "; ".join(problems))
        return 1
    return 0


def main(argv):
    if len(argv) != 1:
        sys.exit(__doc__)
    return summary(read_blocks(argv[0]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
