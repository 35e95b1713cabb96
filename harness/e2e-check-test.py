#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Feed e2e_check.py broken guest output and expect it to fail.

Usage: e2e-check-test.py CHECKER DATA CONSOLE ROOT MIN_CHECKS

DATA and CONSOLE are a real guest run's, which must pass as they are. Then
the checker gets: nothing at all; the run cut off before the 200 distinct
modules; the run with one line of the modes block garbled; and the run with
every block's lines in reverse order. For each it must exit non-zero, and
no check of a scenario that did not run may pass. Prints one PASS or FAIL
line per case, as the other stages do.
"""
import os
import subprocess
import sys
import tempfile


def run(checker, data, console, root):
    r = subprocess.run([sys.executable, checker, data, console, root],
                       capture_output=True, text=True, check=False)
    lines = r.stdout.splitlines()
    return (r.returncode, [l for l in lines if l.startswith("PASS ")],
            [l for l in lines if l.startswith("FAIL ")])


def main(argv):
    checker, data, console, root, min_checks = argv[1], argv[2], argv[3], argv[4], int(argv[5])
    text = open(data, errors="replace").read()
    bad = 0

    def report(case, ok, why):
        nonlocal bad
        bad += not ok
        print(f"{'PASS' if ok else 'FAIL'} e2e:checker-selftest:{case}" + ("" if ok else f" -- {why}"))

    rc, passed, failed = run(checker, data, console, root)
    report("real-run-passes", rc == 0 and not failed and len(passed) >= min_checks,
           f"status {rc}, {len(passed)} passed, {len(failed)} failed")

    with tempfile.TemporaryDirectory() as tmp:
        def write(name, body):
            path = os.path.join(tmp, name)
            with open(path, "w") as f:
                f.write(body)
            return path

        empty = write("empty", "")
        rc, passed, failed = run(checker, empty, empty, root)
        report("empty-output-fails-everything", rc == 1 and not passed and failed,
               f"status {rc}, passed: {passed[:2]}")

        cut = text.find("=== BEGIN distinct_load.before")
        rc, passed, failed = run(checker, write("cut", text[:cut]), console, root)
        late = [l for l in passed if l.split()[1].split(":")[1] in
                ("distinct", "storm", "rest", "stats", "totals", "modes", "nonroot",
                 "dups", "trace", "escape", "reset")]
        report("truncated-output-fails-what-is-missing", cut > 0 and rc == 1 and not late,
               f"status {rc}, passed after the cut: {late[:2]}")

        lines = text.split("\n")
        at = lines.index("=== BEGIN modes") + 1 if "=== BEGIN modes" in lines else -1
        if at > 0:
            lines[at] = "4x0 root"
        rc, passed, failed = run(checker, write("garbled", "\n".join(lines)), console, root)
        report("garbled-line-fails", at > 0 and rc != 0 and failed,
               f"status {rc}, {len(failed)} failed")

        out, block = [], []
        for line in text.split("\n"):
            if line.startswith("=== BEGIN "):
                out.append(line)
                block = []
            elif line.startswith("=== END "):
                out.extend(reversed(block))
                out.append(line)
                block = None
            elif block is not None:
                block.append(line)
            else:
                out.append(line)
        rc, passed, failed = run(checker, write("reversed", "\n".join(out)), console, root)
        report("reordered-lines-fail", rc != 0 and failed, f"status {rc}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
