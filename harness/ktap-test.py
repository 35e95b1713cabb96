#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Feed ktap.py this run's guest output, broken, and expect it to fail.

Usage: ktap-test.py KTAP_PY DATA CONSOLE SOURCE

Each way of breaking it is one check, which passes only if ktap.py exits 1
and fails the check named for that breakage, which it passes on the real
output.
"""
import os
import re
import subprocess
import sys
import tempfile


def run(reader, data, console, source, *opts):
    p = subprocess.run([sys.executable, reader, *opts, data, console, source],
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
    def first_case(b):
        m = re.search(r"^# ok \d+ (\S+)$", b, re.M)
        return m[1] if m else "stats.?"
    body = re.search(r"^=== BEGIN kselftest\n(.*?)^=== END kselftest\n", text, re.S | re.M)
    first = "e2e:" + first_case(body[1] if body else "")
    # name: (how to break the output, a check that must be lost)
    cases = {
        # The guest printed nothing at all.
        "empty-output": (lambda t: "", first),
        # The TAP stream stops half-way, as if the guest died.
        "truncated-tap": (lambda t: block(t, "kselftest", lambda b: b[:len(b) // 2]),
                          "e2e:kselftest:totals"),
        # The guest never ran the test: the runner's output is missing.
        "test-never-ran": (lambda t: block(t, "kselftest", lambda b: ""), first),
        # Every result's number off by one.
        "garbled-tap": (lambda t: block(t, "kselftest", lambda b: re.sub(
            r"^# (ok|not ok) (\d+) ", lambda m: f"# {m[1]} {int(m[2]) + 1} ", b, flags=re.M)),
            first),
        # The first case fails, and the program says so nowhere else.
        "one-case-not-ok": (lambda t: block(t, "kselftest", lambda b: re.sub(
            r"^# ok 1 ", "# not ok 1 ", b, count=1, flags=re.M)), first),
        # The first case skips, and the program says so nowhere else.
        "one-case-skipped": (lambda t: block(t, "kselftest", lambda b: re.sub(
            r"^(# ok 1 \S+)$", r"\1 # SKIP no reason", b, count=1, flags=re.M)), first),
        # Two results swapped: cases ran in another order than defined.
        "reordered": (lambda t: block(t, "kselftest", lambda b: re.sub(
            r"^(# ok 1 \S+)\n((?:(?!# ok).*\n)*?)(# ok 2 \S+)\n",
            lambda m: m[3].replace(" 2 ", " 1 ", 1) + "\n" + m[2] +
            m[1].replace(" 1 ", " 2 ", 1) + "\n", b, count=1, flags=re.M)),
            "e2e:kselftest:order"),
        # A kernel without the statistics: every case skips, the runner says ok.
        "all-skipped": (lambda t: block(t, "kselftest", lambda b: re.sub(
            r"^# ok (\d+) (\S+)$", r"# ok \1 \2 # SKIP no stats", b, flags=re.M)), first),
        # The runner killed the program: its verdict says so.
        "runner-timeout": (lambda t: block(t, "kselftest", lambda b: re.sub(
            r"^ok 1 selftests: module: mod_stats$",
            "not ok 1 selftests: module: mod_stats # TIMEOUT 1200 seconds", b, flags=re.M)),
            "e2e:kselftest:runner-ok"),
        # A report in the kernel's log, whatever the test said.
        "kernel-warning": (lambda t: block(t, "kernel_log", lambda b: b +
            "[   99.000000] WARNING: CPU: 1 PID: 99 at kernel/module/stats.c:1 x+0x0/0x0\n"),
            "e2e:console:no-kernel-reports"),
        # One CPU: the guest says so.
        "one-cpu": (lambda t: block(t, "cpus", lambda b: "0\n"),
                    "e2e:console:two-cpus-online"),
    }
    for name, (breaker, must_lose) in cases.items():
        broken = breaker(text)
        with tempfile.NamedTemporaryFile("w", suffix=".log", delete=False) as f:
            f.write(broken)
        try:
            brc, passed = run(reader, f.name, console, source)
        finally:
            os.unlink(f.name)
        lost = sorted(real - passed)
        ok = brc == 1 and broken != text and must_lose in real and must_lose not in passed
        print(f"{'PASS' if ok else 'FAIL'} e2e:tap-reader:rejects-{name}"
              + ("" if ok else f" -- exit {brc}, {must_lose} not lost; lost: {lost[:3]}"))
    # Read as a kernel without the statistics: its stats cases ran, so fail.
    brc, passed = run(reader, data, console, source, "--no-stats")
    ok = brc == 1 and first in real and first not in passed
    print(f"{'PASS' if ok else 'FAIL'} e2e:tap-reader:rejects-stats-cases-run-without-stats"
          + ("" if ok else f" -- exit {brc}, {first} still passes"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
