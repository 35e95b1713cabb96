#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Feed ktap.py this run's guest output, broken, and expect it to fail.

Usage: ktap-test.py KTAP_PY DATA CONSOLE SOURCE

Each way of breaking it is one check, which passes only if ktap.py exits 1
and fails at least one check that it passes on the real output.
"""
import os
import re
import subprocess
import sys
import tempfile


def run(reader, data, console, source):
    p = subprocess.run([sys.executable, reader, data, console, source],
                       capture_output=True, text=True)
    return p.returncode, {ln.split()[1] for ln in p.stdout.splitlines()
                          if ln.startswith("PASS ")}


def block(text, name, fn):
    """@text with the body of block @name changed by @fn."""
    m = re.search(rf"^=== BEGIN {re.escape(name)}\n(.*?)^=== END {re.escape(name)}\n",
                  text, re.S | re.M)
    if not m:
        return text
    return text[:m.start(1)] + fn(m[1]) + text[m.end(1):]


def main(argv):
    reader, data, console, source = argv
    text = open(data, errors="replace").read()
    rc, real = run(reader, data, console, source)
    print(f"# on the real output: exit {rc}, {len(real)} checks passed")
    cases = {
        # The guest printed nothing at all.
        "empty-output": lambda t: "",
        # The TAP stream stops half-way, as if the guest died.
        "truncated-tap": lambda t: block(t, "kselftest", lambda b: b[:len(b) // 2]),
        # The guest never ran the test: the runner's output is missing.
        "test-never-ran": lambda t: block(t, "kselftest", lambda b: ""),
        # Lines garbled: every result's number off by one.
        "garbled-tap": lambda t: block(t, "kselftest", lambda b: re.sub(
            r"^# (ok|not ok) (\d+) ", lambda m: f"# {m[1]} {int(m[2]) + 1} ", b, flags=re.M)),
        # A kernel without the statistics: every case skips, the runner says ok.
        "all-skipped": lambda t: block(t, "kselftest", lambda b: re.sub(
            r"^# ok (\d+) (\S+)$", r"# ok \1 \2 # SKIP no stats", b, flags=re.M)),
        # One CPU: the guest says so.
        "one-cpu": lambda t: block(t, "cpus", lambda b: "0\n"),
    }
    for name, breaker in cases.items():
        with tempfile.NamedTemporaryFile("w", suffix=".log", delete=False) as f:
            f.write(breaker(text))
        try:
            brc, passed = run(reader, f.name, console, source)
        finally:
            os.unlink(f.name)
        lost = sorted(real - passed)
        ok = brc == 1 and lost and (breaker(text) != text)
        print(f"{'PASS' if ok else 'FAIL'} e2e:tap-reader:rejects-{name}"
              + ("" if ok else f" -- exit {brc}, checks lost: {lost[:3]}"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
