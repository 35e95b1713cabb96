#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check what the end-to-end guest (e2e_guest.sh) reported.

Usage: e2e_check.py [--summary] DATA CONSOLE INITRAMFS_ROOT

DATA holds the guest's "=== BEGIN name" ... "=== END name" blocks, CONSOLE
the kernel's console, and INITRAMFS_ROOT the files the guest loaded, so that
the expected byte counts come from the real files.

Prints one "PASS name" or "FAIL name -- why" line per check. Exit status 1
if any check failed, 2 if the checker itself failed part-way (the checks
after that point did not run). With --summary, prints the stats file after the storm
next to the loaders' own tally instead (for 'make run').

Against upstream's stats.c the "distinct" checks cannot pass: it lists at
most 111 modules and WARNs past that, which panics with panic_on_warn=1.
"""
import errno
import lzma
import os
import re
import sys

LABELS = [
    ("Mods ever loaded", "modcount"),
    ("Mods failed on kread", "failed_kreads"),
    ("Mods failed on decompress", "failed_decompress"),
    ("Mods failed on becoming", "failed_becoming"),
    ("Mods failed on load", "failed_load_modules"),
    ("Total module size", "total_mod_size"),
    ("Total mod text size", "total_text_size"),
    ("Failed kread bytes", "invalid_kread_bytes"),
    ("Failed decompress bytes", "invalid_decompress_bytes"),
    ("Failed becoming bytes", "invalid_becoming_bytes"),
    ("Failed kmod bytes", "invalid_mod_bytes"),
]
# Lines of ours after upstream's, after the total and the averages.
EXTRA_LABELS = [
    ("Untracked dup failures", "untracked_dup_failures"),
    ("Merged loads", "merged_loads"),
]
AVERAGES = [
    ("Average mod size", "total_mod_size", "modcount"),
    ("Average mod text size", "total_text_size", "modcount"),
    ("Avg fail kread bytes", "invalid_kread_bytes", "failed_kreads"),
    ("Avg fail becoming bytes", "invalid_becoming_bytes", "failed_becoming"),
    ("Avg fail decomp bytes", "invalid_decompress_bytes", "failed_decompress"),
    ("Average fail load bytes", "invalid_mod_bytes", "failed_load_modules"),
]
WASTE = ["invalid_kread_bytes", "invalid_decompress_bytes",
         "invalid_becoming_bytes", "invalid_mod_bytes"]
ROW = re.compile(r"^ *(\S+)\t +(\d+)\t +(Becoming|Load|Becoming & Load)$")
PREAMBLE = re.compile(r"^ *([A-Za-z][A-Za-z &]*[a-z])\t(\d+)$")
HEADER = "              Module-name\t How-many-times\t                   Reason"
KERNEL_REPORT = re.compile(r"(WARNING:|BUG:|Oops|Kernel panic|INFO: |"
                           r"possible circular locking|possible recursive locking|"
                           r"inconsistent lock state|suspicious RCU usage|"
                           r"UBSAN:|KASAN:|KCSAN:|Could not add fail-tracking)")

results = []

# What each group of checks needs to have happened in the guest: a loader
# block ("NAME.loader") that made exactly that many calls, as e2e_guest.sh
# runs it, or a block that is there and not empty. A check of a group whose
# scenario did not run fails, whatever it compares: 0 == 0 proves nothing.
NEEDS = {
    "seq": [("seq", 2)], "race": [("race", 8)], "racexz": [("racexz", 8)],
    "corrupt": [("corrupt", 1)], "badelf": [("badelf", 1)],
    "vermagic": [("vermagic", 1)], "emptyread": [("emptyread", 1)],
    "faultread": [("faultread", 1)], "shortread": [("shortread", 1)],
    "hugeread": [("hugeread", 1)], "merge": [("merge", 8)],
    "distinct": [("distinct_load", 200), ("distinct_dup", 200), "distinct.stats"],
    "storm": [("storm", 1600)], "rest": ["rest.cat"], "stats": ["rest.cat"],
    "totals": ["rest.counters", "proc_modules"], "modes": ["modes"],
    "nonroot": ["modes"], "dups": ["dup_failures"], "trace": ["trace"],
    "escape": [("escape", 1), "dup_failures_escape"],
    "reset": ["reset.before", ("reset_seq", 1)], "console": ["=console"],
}
guest = {"blocks": {}, "console": ""}


def not_run(name):
    """Why the scenario behind check NAME did not run, or None."""
    for need in NEEDS.get(name.split(":", 1)[0], []):
        if need == "=console":
            if not guest["console"].strip():
                return "no kernel console"
        elif isinstance(need, str):
            if not guest["blocks"].get(need, "").strip():
                return f"no {need} block"
        else:
            calls = loader(guest["blocks"].get(need[0] + ".loader")).get("calls", 0)
            if calls != need[1]:
                return f"{need[0]} made {calls} of its {need[1]} loader calls"
    return None


def check(name, ok, why=""):
    missing = not_run(name)
    if missing:
        ok, why = False, f"did not run: {missing}"
    results.append((name, bool(ok)))
    if ok:
        print(f"PASS e2e:{name}")
    else:
        print(f"FAIL e2e:{name} -- {why}")


def read_blocks(path):
    blocks, name, lines = {}, None, []
    with open(path, errors="replace") as f:
        for line in f.read().split("\n"):
            if line.startswith("=== BEGIN "):
                name, lines = line[len("=== BEGIN "):], []
            elif line.startswith("=== END ") and name is not None:
                blocks[name] = "\n".join(lines) + ("\n" if lines else "")
                name = None
            elif name is not None:
                lines.append(line)
    return blocks


def counters(text):
    out = {}
    for line in (text or "").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            out[parts[0]] = int(parts[1])
    return out


def loader(text):
    for line in (text or "").splitlines():
        if line.startswith("modload "):
            return {k: int(v) for k, v in
                    (kv.split("=") for kv in line.split()[1:])}
    return {}


def parse_stats(text):
    """Return (preamble dict, rows list, problems list) of a stats file."""
    pre, rows, problems = {}, [], []
    if not text:
        return pre, rows, ["empty"]
    if not text.endswith("\n"):
        problems.append("does not end in a newline")
    lines = text.split("\n")[:-1]
    i = 0
    while i < len(lines) and PREAMBLE.match(lines[i]):
        m = PREAMBLE.match(lines[i])
        if m.group(1) in pre:
            problems.append(f"label twice: {m.group(1)}")
        pre[m.group(1)] = int(m.group(2))
        i += 1
    if i < len(lines):
        if lines[i] != "Duplicate failed modules:" or i + 1 >= len(lines) \
                or lines[i + 1] != HEADER:
            problems.append(f"line {i + 1} is neither a counter nor the table: {lines[i]!r}")
            return pre, rows, problems
        for n, line in enumerate(lines[i + 2:], i + 3):
            m = ROW.match(line)
            if not m:
                problems.append(f"line {n} is not a table row: {line!r}")
                continue
            rows.append((m.group(1), int(m.group(2)), m.group(3)))
    order = [label for label, _ in LABELS] + ["Virtual mem wasted bytes"] + \
        [label for label, _ in EXTRA_LABELS]
    got = [k for k in pre if k in order]
    if got != order:
        problems.append(f"counter lines missing or out of order: {got}")
    return pre, rows, problems


def table(rows):
    out = {}
    for name, count, reason in rows:
        out.setdefault(name, []).append((count, reason))
    return out


def reason_for(becoming, load):
    if becoming and load:
        return "Becoming & Load"
    return "Load" if load else "Becoming"


def size(root, rel):
    return os.path.getsize(os.path.join(root, rel))


def xz_len(root, rel):
    with lzma.open(os.path.join(root, rel)) as f:
        return len(f.read())


def delta(blocks, scn):
    before = counters(blocks.get(scn + ".before"))
    after = counters(blocks.get(scn + ".after"))
    return {k: after[k] - before.get(k, 0) for k in after}


def only(d, allowed):
    """Counters that changed although the scenario should not touch them."""
    return {k: v for k, v in d.items() if v and k not in allowed}


def check_race(blocks, final, scn, modname, ln, cln):
    d, ld = delta(blocks, scn), loader(blocks.get(scn + ".loader"))
    fails = ld.get("EEXIST", 0) + ld.get("EBUSY", 0)
    check(f"{scn}:one-load-wins", ld.get("ok") == 1 and ld.get("other") == 0
          and ld.get("calls") == 8, f"loader saw {ld}")
    check(f"{scn}:kernel-failures-equal-loader-failures",
          d.get("failed_becoming", 0) + d.get("failed_load_modules", 0) == fails,
          f"kernel {d.get('failed_becoming')} becoming + "
          f"{d.get('failed_load_modules')} load, loaders saw {fails}")
    check(f"{scn}:becoming-bytes",
          d.get("invalid_becoming_bytes") == d.get("failed_becoming", 0) * (ln + cln),
          f"{d.get('invalid_becoming_bytes')} != {d.get('failed_becoming')} x {ln + cln}")
    check(f"{scn}:load-bytes",
          d.get("invalid_mod_bytes") == d.get("failed_load_modules", 0) * (2 * ln + cln),
          f"{d.get('invalid_mod_bytes')} != {d.get('failed_load_modules')} x {2 * ln + cln}")
    check(f"{scn}:modcount", d.get("modcount") == 1, f"modcount rose by {d.get('modcount')}")
    want = (fails, reason_for(d.get("failed_becoming"), d.get("failed_load_modules")))
    check(f"{scn}:listed-once-with-count", final.get(modname) == [want],
          f"{modname}: table has {final.get(modname)}, want [{want}]")
    return fails, d


MERGE_COUNTERS = {"modcount", "total_mod_size", "total_text_size", "merged_loads",
                  "failed_becoming", "invalid_becoming_bytes",
                  "failed_load_modules", "invalid_mod_bytes"}


def run_checks(blocks, console, root):
    guest["blocks"] = blocks
    try:
        guest["console"] = open(console, errors="replace").read()
    except OSError:
        guest["console"] = ""
    rest_pre, rest_rows, rest_problems = parse_stats(blocks.get("rest.cat"))
    final = table(rest_rows)
    check("stats:well-formed-at-rest", not rest_problems, "; ".join(rest_problems[:3]))

    # 1. A sequential duplicate of a live module.
    d, ld = delta(blocks, "seq"), loader(blocks.get("seq.loader"))
    seq_len = size(root, "modules/seq.ko")
    check("seq:loader", ld.get("ok") == 1 and ld.get("EEXIST") == 1, f"loader saw {ld}")
    check("seq:counted-as-becoming", d.get("failed_becoming") == 1
          and not d.get("failed_load_modules"), f"deltas {d}")
    check("seq:bytes-equal-file-size", d.get("invalid_becoming_bytes") == seq_len,
          f"{d.get('invalid_becoming_bytes')} != {seq_len}")
    check("seq:listed-once", final.get("mst_seq") == [(1, "Becoming")],
          f"mst_seq: {final.get('mst_seq')}")

    # 2. Racing duplicates of uncompressed copies.
    check_race(blocks, final, "race", "mst_race", size(root, "modules/race/c1.ko"), 0)

    # 3. Compressed copies, then a corrupt compressed file.
    xz = "modules/racexz/c1.ko.xz"
    check_race(blocks, final, "racexz", "mst_racexz", xz_len(root, xz), size(root, xz))
    d = delta(blocks, "corrupt")
    clen = size(root, "modules/corrupt.ko.xz")
    check("corrupt:failed-decompress", d.get("failed_decompress") == 1, f"deltas {d}")
    check("corrupt:decompress-bytes", d.get("invalid_decompress_bytes") == clen,
          f"{d.get('invalid_decompress_bytes')} != {clen}")
    check("corrupt:nothing-else", not only(d, {"failed_decompress", "invalid_decompress_bytes"}),
          f"also changed: {only(d, {'failed_decompress', 'invalid_decompress_bytes'})}")

    # Failures before layout that are not duplicates.
    for scn, rel in (("badelf", "modules/badelf.ko"), ("vermagic", "modules/vermagic.ko")):
        d, ld = delta(blocks, scn), loader(blocks.get(scn + ".loader"))
        check(f"{scn}:loader-error", ld.get("ENOEXEC") == 1, f"loader saw {ld}")
        check(f"{scn}:becoming-bytes", d.get("failed_becoming") == 1 and
              d.get("invalid_becoming_bytes") == size(root, rel) and
              not only(d, {"failed_becoming", "invalid_becoming_bytes"}), f"deltas {d}")
    check("vermagic:not-listed", "mst_vermagic" not in final, "listed as a duplicate")

    # Failed reads: an empty file, and init_module() from a bad address.
    d = delta(blocks, "emptyread")
    check("emptyread:failed-kread", d.get("failed_kreads") == 1 and
          not only(d, {"failed_kreads"}), f"deltas {d}")
    d, ld = delta(blocks, "faultread"), loader(blocks.get("faultread.loader"))
    check("faultread:failed-kread-bytes", ld.get("EFAULT") == 1 and
          d.get("failed_kreads") == 1 and d.get("invalid_kread_bytes") == 12345 and
          not only(d, {"failed_kreads", "invalid_kread_bytes"}), f"loader {ld}, deltas {d}")
    # init_module(NULL, 1) and init_module(NULL, ~0UL): refused before a copy
    # was allocated, so a failure is counted and no byte is.
    for scn, err in (("shortread", "ENOEXEC"), ("hugeread", "ENOMEM")):
        d, ld = delta(blocks, scn), loader(blocks.get(scn + ".loader"))
        check(f"{scn}:counted-without-bytes", ld.get("calls") == 1 and ld.get(err) == 1 and
              d.get("failed_kreads") == 1 and not only(d, {"failed_kreads"}),
              f"loader {ld}, deltas {d}")

    # Eight loads of one file. The kernel merges concurrent loads of one file
    # (Linux 6.5+): a merged load waits for the load in progress and returns
    # its result, at no cost in memory. A load that comes after the first
    # one finished is a real duplicate, and loads merged onto it return its
    # EEXIST. Every call is therefore exactly one of: the load that
    # succeeded, a counted failure, or a merged load.
    d, ld = delta(blocks, "merge"), loader(blocks.get("merge.loader"))
    late = ld.get("EEXIST", 0) + ld.get("EBUSY", 0)
    kernel = d.get("failed_becoming", 0) + d.get("failed_load_modules", 0)
    merged = d.get("merged_loads", 0)
    check("merge:one-module", d.get("modcount") == 1 and ld.get("ok", 0) >= 1
          and ld.get("ok", 0) + late == 8, f"loader {ld}, deltas {d}")
    check("merge:late-failures-counted",
          (1 <= kernel <= late) if late else kernel == 0,
          f"kernel counted {kernel}, loaders saw {late} (loader {ld})")
    check("merge:some-merged", merged >= 1,
          f"no merged load although the first load slept 500 ms (deltas {d})")
    check("merge:every-call-accounted", 1 + kernel + merged == 8
          and only(d, MERGE_COUNTERS) == {},
          f"1 loaded + {kernel} failed + {merged} merged != 8 calls (deltas {d})")

    # 4. Two hundred distinct names, each listed once.
    names = sorted(os.listdir(os.path.join(root, "modules/distinct")))
    names = [n[:-3] for n in names]
    d, ld = delta(blocks, "distinct_load"), loader(blocks.get("distinct_load.loader"))
    check("distinct:all-load", ld.get("ok") == len(names) == 200 and d.get("modcount") == 200,
          f"loader {ld}, deltas {d}")
    d, ld = delta(blocks, "distinct_dup"), loader(blocks.get("distinct_dup.loader"))
    total = sum(size(root, f"modules/distinct/{n}.ko") for n in names)
    check("distinct:all-fail", ld.get("EEXIST") == 200 and d.get("failed_becoming") == 200
          and d.get("invalid_becoming_bytes") == total, f"loader {ld}, deltas {d}")
    pre, rows, problems = parse_stats(blocks.get("distinct.stats"))
    check("distinct:file-intact", not problems and blocks.get("distinct.stats", "")
          .endswith("\n"), "; ".join(problems[:3]))
    t = table(rows)
    missing = [n for n in names if t.get(n) != [(1, "Becoming")]]
    check("distinct:all-200-listed", not missing,
          f"{len(missing)} wrong, e.g. {missing[:3]} -> {[t.get(n) for n in missing[:3]]}")
    longest = max(names, key=len)
    check("distinct:55-char-name-whole", len(longest) == 55 and longest in t,
          f"longest name {longest!r} ({len(longest)}) listed: {longest in t}")
    want_names = set(names) | {"mst_seq", "mst_race", "mst_racexz"}
    extra = set(t) - want_names - {"mst_merge"}
    check("distinct:no-other-names", not extra, f"unexpected rows {sorted(extra)[:5]}")

    # 5. Reads in chunks while a storm runs, then at rest.
    ld = loader(blocks.get("storm.loader"))
    check("storm:loader", ld.get("calls") == 1600 and ld.get("EEXIST") == 1600,
          f"loader saw {ld}")
    reads = sorted(k for k in blocks if k.startswith("read.storm."))
    check("storm:reads-captured", len(reads) == 8, f"got {reads}")
    for k in reads:
        pre, rows, problems = parse_stats(blocks[k])
        t = table(rows)
        bad = [n for n in names if len(t.get(n, [])) != 1 or not 1 <= t[n][0][0] <= 9]
        check(f"storm:{k[len('read.storm.'):]}:whole-rendering", not problems and not bad,
              "; ".join(problems[:2]) + (f" names wrong: {bad[:3]}" if bad else ""))
    rest = blocks.get("rest.cat")
    for bs in (1, 7, 4096):
        check(f"rest:bs{bs}-identical-to-cat", blocks.get(f"rest.bs{bs}") == rest and rest,
              f"{len(blocks.get(f'rest.bs{bs}', ''))} bytes vs {len(rest or '')}")
    wrong = [n for n in names if final.get(n) != [(9, "Becoming")]]
    check("storm:final-counts-exact", not wrong,
          f"{len(wrong)} wrong, e.g. {[(n, final.get(n)) for n in wrong[:3]]}")

    # The file's counter lines agree with the per-counter files.
    c = counters(blocks.get("rest.counters"))
    want = {label: c.get(key) for label, key in LABELS + EXTRA_LABELS}
    want["Virtual mem wasted bytes"] = sum(c.get(k, 0) for k in WASTE)
    for label, num, den in AVERAGES:
        if c.get(num) and c.get(den):
            want[label] = -(-c[num] // c[den])
    got = {k: v for k, v in rest_pre.items() if k in want}
    check("stats:lines-match-counter-files", got == want,
          f"differ: {[(k, got.get(k), v) for k, v in want.items() if got.get(k) != v][:4]}")
    mods = [line.split() for line in blocks.get("proc_modules", "").splitlines() if line]
    check("totals:modcount-equals-proc-modules", c.get("modcount") == len(mods),
          f"{c.get('modcount')} vs {len(mods)} in /proc/modules")
    # /proc/modules leaves out the init sections, freed after init; the
    # counter includes them, so only a bound can be checked from userspace.
    check("totals:total-mod-size-covers-proc-modules",
          c.get("total_mod_size", 0) >= sum(int(m[1]) for m in mods) > 0,
          f"{c.get('total_mod_size')} vs {sum(int(m[1]) for m in mods)}")
    check("totals:text-size-within-total",
          0 < c.get("total_text_size", 0) <= c.get("total_mod_size", 0),
          f"{c.get('total_text_size')} / {c.get('total_mod_size')}")

    # 6. Only root may read, and nobody may write.
    modes = [line.split() for line in blocks.get("modes", "").splitlines() if line]
    files = [m[2].rsplit("/", 1)[1] for m in modes if len(m) == 3]
    check("modes:stats-and-counters-present", {"stats", "modcount"} <= set(files)
          and len(files) >= 12, f"files: {files}")
    for m in modes:
        f = m[2].rsplit("/", 1)[1]
        want = "200" if f == "reset" else "400"
        check(f"modes:{f}:0{want}-root", m[:2] == [want, "root"], f"mode {m[:2]}")
        check(f"nonroot:{f}:refused", "read=EACCES" in blocks.get(f"nonroot.{f}", ""),
              blocks.get(f"nonroot.{f}", "no block").strip())
    # debugfs is mounted 0755 in the guest: the refusals above are the files'.
    check("nonroot:reset:write-refused", "write=EACCES" in blocks.get("nonroot_write.reset", ""),
          blocks.get("nonroot_write.reset", "no block").strip())

    check_dups(blocks, final, root, names)
    check_escape(blocks)
    check_trace(blocks, c, root, names)
    check_reset(blocks, root)

    # 7. No WARN, BUG or lockdep report on the console.
    text = open(console, errors="replace").read()
    # panic_on_warn=1 is on the command line e2e.sh gives; checking that it
    # is would check the harness, not the kernel, and is not counted.
    # The races need a second CPU (QEMU runs with -smp 2).
    check("console:two-cpus-online", re.search(r"smp: Brought up \d+ nodes?, 2 CPUs", text),
          "the guest did not bring up 2 CPUs")
    hits = [line for line in text.splitlines() + blocks.get("kernel_log", "").splitlines()
            if KERNEL_REPORT.search(line)]
    check("console:no-kernel-reports", not hits, hits[0] if hits else "")


def parse_dups(text):
    """dup_failures: (version line, records by name, problems)."""
    lines = (text or "").split("\n")
    recs, problems = {}, []
    if not text or not text.endswith("\n"):
        problems.append("empty or no final newline")
    for n, line in enumerate(lines[2:-1], 3):
        f = line.split()
        if len(f) != 10 or not all(x.isdigit() for x in f[1:8] + f[9:]):
            problems.append(f"line {n}: {line!r}")
            continue
        recs[f[0]] = dict(zip(("failures", "becoming", "load", "wasted", "first_ns",
                               "last_ns", "last_pid"), map(int, f[1:8])),
                          comm=f[8], merged=int(f[9]), order=n)
    return lines[:2], recs, problems


# The task name modload -e gives itself, as dup_failures must write it.
ESCAPED_COMM = "e2e\\015\\013\\014\\001\\040x\\134"


def check_escape(blocks):
    ld = loader(blocks.get("escape.loader"))
    _, recs, problems = parse_dups(blocks.get("dup_failures_escape"))
    r = recs.get("mst_seq", {})
    check("escape:loader", ld.get("calls") == 1 and ld.get("EEXIST") == 1, f"loader saw {ld}")
    check("escape:comm-escaped-one-field", not problems and r.get("comm") == ESCAPED_COMM,
          f"{problems[:2]} comm {r.get('comm')!r}")


def loader_dups(blocks, names):
    """Duplicate failures per module name as the loaders saw them (EEXIST or
    EBUSY from their own calls), or None if they cannot be told per name.
    mst_merge is left out: a load merged onto a late duplicate returns its
    EEXIST without being a failure of its own."""
    def dups(scn):
        ld = loader(blocks.get(scn + ".loader"))
        return ld.get("EEXIST", 0) + ld.get("EBUSY", 0), ld.get("calls", 0)
    want = {}
    for scn, mod in (("seq", "mst_seq"), ("race", "mst_race"), ("racexz", "mst_racexz")):
        n, _ = dups(scn)
        if n:
            want[mod] = n
    # distinct_dup loads each distinct module once and the storm 8 times,
    # evenly: when every call failed, each name failed as often.
    for scn in ("distinct_dup", "storm"):
        n, calls = dups(scn)
        if not names or n != calls or calls % len(names):
            return None
        for name in names:
            want[name] = want.get(name, 0) + n // len(names)
    return want


def check_dups(blocks, final, root, names):
    head, all_recs, problems = parse_dups(blocks.get("dup_failures"))
    check("dups:version-header", head == [
        "# module dup_failures v1",
        "# name failures becoming load wasted_bytes first_ns last_ns last_pid last_comm merged"],
        f"header {head}")
    check("dups:well-formed", not problems, "; ".join(problems[:3]))
    # Names that only had merged loads are listed here and not in stats.
    recs = {n: r for n, r in all_recs.items() if r["failures"]}
    only_merged = {n: r for n, r in all_recs.items() if not r["failures"]}
    bad = [n for n, r in only_merged.items() if not r["merged"]
           or (r["first_ns"], r["last_ns"], r["last_pid"], r["comm"]) != (0, 0, 0, "-")]
    check("dups:merged-only-records", not bad, f"{[(n, all_recs[n]) for n in bad[:2]]}")
    merge = delta(blocks, "merge").get("merged_loads", 0)
    got = all_recs.get("mst_merge", {}).get("merged", 0)
    others = {n: r["merged"] for n, r in all_recs.items() if r["merged"] and n != "mst_merge"}
    check("dups:merged-per-name", got == merge and not others,
          f"mst_merge merged {got}, counter delta {merge}; others {others}")
    check("dups:same-names-as-stats", set(recs) == set(final),
          f"only in dup_failures: {sorted(set(recs) - set(final))[:3]}, "
          f"only in stats: {sorted(set(final) - set(recs))[:3]}")
    bad = [n for n, r in recs.items() if final.get(n) != [(
        r["failures"], reason_for(r["becoming"], r["load"]))]]
    check("dups:rows-match-stats", not bad, f"{[(n, recs[n], final.get(n)) for n in bad[:2]]}")
    # Against what the loaders saw themselves, name by name.
    want = loader_dups(blocks, names)
    got = {n: r["failures"] for n, r in recs.items() if n != "mst_merge"}
    check("dups:failures-per-name-equal-loaders", want is not None and got == want,
          f"differ: {[(n, got.get(n), (want or {}).get(n)) for n in set(got) | set(want or {}) if got.get(n) != (want or {}).get(n)][:3]}")
    bad = [n for n, r in recs.items() if r["comm"] != "modload" or r["last_pid"] <= 1
           or not 0 < r["first_ns"] <= r["last_ns"]]
    check("dups:task-and-times", not bad, f"{[(n, recs[n]) for n in bad[:2]]}")
    # Newest first, by when each name was first recorded: the scenarios
    # ran seq, race, racexz, merge, then the distinct names in argument
    # (glob) order; later failures do not move a name.
    order = [n for n, _ in sorted(recs.items(), key=lambda kv: kv[1]["order"])]
    want = [n for n in list(reversed(sorted(names))) +
            ["mst_merge", "mst_racexz", "mst_race", "mst_seq"] if n in recs]
    check("dups:newest-first", len(want) >= 203 and order == want,
          f"order {order[:3]}...{order[-4:]}, want {want[:3]}...{want[-4:]}")
    r = recs.get("mst_seq", {})
    check("dups:seq-wasted", r.get("wasted") == size(root, "modules/seq.ko"),
          f"{r.get('wasted')} != {size(root, 'modules/seq.ko')}")
    for scn, mod in (("race", "mst_race"), ("racexz", "mst_racexz")):
        d = delta(blocks, scn)
        want = d.get("invalid_becoming_bytes", 0) + d.get("invalid_mod_bytes", 0)
        got = recs.get(mod, {}).get("wasted")
        check(f"dups:{scn}-wasted-equals-counters", got == want, f"{got} != {want}")
    bad = [n for n in names if recs.get(n, {}).get("wasted") !=
           9 * size(root, f"modules/distinct/{n}.ko")]
    check("dups:distinct-wasted", not bad, f"{len(bad)} wrong, e.g. {bad[:3]}")


TRACE_LINE = re.compile(r"^\s*(.+)-(\d+)\s+\[\d+\].*\s(\d+\.\d+): module_load_fail: "
                        r"name=(\S*) stage=(\w+) wasted=(\d+) err=(-?\d+)$")
TRACE_STACK = re.compile(r"^\s*(.+)-(\d+)\s+\[\d+\].*\s(\d+\.\d+): <stack trace>$")
STAGES = {"kread": ("failed_kreads", "invalid_kread_bytes"),
          "decompress": ("failed_decompress", "invalid_decompress_bytes"),
          "becoming": ("failed_becoming", "invalid_becoming_bytes"),
          "load": ("failed_load_modules", "invalid_mod_bytes")}


def check_trace(blocks, c, root, names):
    """module:module_load_fail, enabled before the first scenario."""
    text = blocks.get("trace")
    check("trace:event-in-tracefs", text is not None and "# tracer:" in text,
          "no module_load_fail event in tracefs (CONFIG_FTRACE?)")
    events, other = [], []
    # With two CPUs an event's stack may come after another CPU's event:
    # a stack belongs to the latest event of the same task.
    latest, stack = {}, None
    for line in (text or "").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        m = TRACE_LINE.match(line)
        s = TRACE_STACK.match(line)
        if m:
            e = dict(comm=m[1].strip(), pid=int(m[2]), name=m[4], stage=m[5],
                     wasted=int(m[6]), err=int(m[7]), stack=[])
            events.append(e)
            latest[e["pid"]] = e
            stack = None
        elif s and int(s[2]) in latest:
            stack = latest[int(s[2])]["stack"]
        elif line.startswith(" => ") and stack is not None:
            stack.append(line[4:].strip())
        else:
            other.append(line)
    check("trace:well-formed", text and not other and "LOST" not in text,
          f"{len(other)} other lines, e.g. {other[:1]}")
    # The stacktrace trigger: each event shows the system call that failed.
    bad = [e for e in events if not any(re.search(r"sys_f?init_module", f)
                                        for f in e["stack"])]
    check("trace:caller-stack-has-syscall", events and not bad,
          f"{len(bad)} of {len(events)} without it, e.g. {bad[:1]}")
    for stage, (count, nbytes) in STAGES.items():
        ev = [e for e in events if e["stage"] == stage]
        got = (len(ev), sum(e["wasted"] for e in ev))
        check(f"trace:{stage}-events-equal-counters", got == (c.get(count), c.get(nbytes)),
              f"{got[0]} events for {got[1]} bytes, counters {c.get(count)} / {c.get(nbytes)}")
    bad = [e for e in events if e["comm"] != "modload" or e["pid"] <= 1]
    check("trace:caller-task", events and not bad, f"{len(bad)} wrong, e.g. {bad[:1]}")
    # Duplicates: per name, as many events as dup_failures has failures.
    _, recs, _ = parse_dups(blocks.get("dup_failures"))
    dups = {}
    for e in events:
        if e["err"] in (-17, -16):
            dups[e["name"]] = dups.get(e["name"], 0) + 1
    want = {n: r["failures"] for n, r in recs.items() if r["failures"]}
    check("trace:duplicates-per-name-equal-dup-failures", dups == want,
          f"differ: {[(n, dups.get(n), want.get(n)) for n in set(dups) | set(want) if dups.get(n) != want.get(n)][:3]}")
    # The same events against the loaders' own return codes and the files.
    want = loader_dups(blocks, names)
    got = {n: k for n, k in dups.items() if n != "mst_merge"}
    check("trace:duplicates-per-name-equal-loaders", want is not None and got == want,
          f"differ: {[(n, got.get(n), (want or {}).get(n)) for n in set(got) | set(want or {}) if got.get(n) != (want or {}).get(n)][:3]}")

    def errs(*scns):
        out = []
        for scn in scns:
            for k, v in loader(blocks.get(scn + ".loader")).items():
                if hasattr(errno, k) and k not in ("EEXIST", "EBUSY"):
                    out += [-getattr(errno, k)] * v
        return sorted(out)
    # Reads: an empty file, a bad address for 12345 bytes (e2e_guest.sh's
    # modload -k 12345, the only one whose copy was allocated), 1 byte, ~0UL.
    ev = [e for e in events if e["stage"] == "kread"]
    want = errs("emptyread", "faultread", "shortread", "hugeread")
    check("trace:kread-events-equal-loaders",
          len(want) == 4 and sorted(e["err"] for e in ev) == want and
          sorted(e["wasted"] for e in ev) == [0, 0, 0, 12345],
          f"events {[(e['err'], e['wasted']) for e in ev]}, loaders saw {want}")
    ev = [e for e in events if e["stage"] == "decompress"]
    want = errs("corrupt")
    check("trace:decompress-event-equals-loader",
          len(want) == 1 and [(e["err"], e["wasted"]) for e in ev] ==
          [(want[0], size(root, "modules/corrupt.ko.xz"))],
          f"events {[(e['err'], e['wasted']) for e in ev]}, loader saw {want}")
    ev = [e for e in events if e["stage"] == "becoming" and e["err"] not in (-17, -16)]
    want = errs("badelf", "vermagic")
    check("trace:other-becoming-events-equal-loaders",
          len(want) == 2 and sorted(e["err"] for e in ev) == want and
          sorted(e["wasted"] for e in ev) ==
          sorted([size(root, "modules/badelf.ko"), size(root, "modules/vermagic.ko")]),
          f"events {[(e['err'], e['wasted']) for e in ev]}, loaders saw {want}")

    def has(**kw):
        return any(all(e[k] == v for k, v in kw.items()) for e in events)
    check("trace:faultread-unnamed", has(stage="kread", name="", wasted=12345, err=-14),
          "no kread event for 12345 bytes with EFAULT")
    check("trace:badelf-unnamed", has(stage="becoming", name="", err=-8),
          "no unnamed becoming event with ENOEXEC")
    check("trace:vermagic-named", has(stage="becoming", name="mst_vermagic", err=-8),
          "no becoming event for mst_vermagic with ENOEXEC")
    check("trace:corrupt-decompress", has(stage="decompress", name=""),
          "no decompress event")


def check_reset(blocks, root):
    before = blocks.get("reset.before")
    check("reset:bad-write-refused-nothing-lost",
          "status=0" not in blocks.get("reset.bad", "status=0") and before
          and blocks.get("reset.bad_stats") == before, blocks.get("reset.bad", "no block"))
    check("reset:write-accepted", "status=0" in blocks.get("reset.write", ""),
          blocks.get("reset.write", "no block"))
    pre, rows, problems = parse_stats(blocks.get("reset.after"))
    nonzero = {k: v for k, v in pre.items() if v and k != "Window start ns"}
    check("reset:everything-cleared", not problems and not rows and not nonzero,
          f"rows {rows[:2]}, non-zero {nonzero}, {problems[:2]}")
    _, recs, _ = parse_dups(blocks.get("dup_failures"))
    last = max((r["last_ns"] for r in recs.values()), default=0)
    check("reset:window-start-shown", pre.get("Window start ns", 0) > last > 0,
          f"window start {pre.get('Window start ns')}, last failure before it {last}")
    head, recs, problems = parse_dups(blocks.get("reset.dups"))
    check("reset:dup-failures-cleared", not recs and not problems and len(head) == 2,
          f"{len(recs)} records")
    d, ld = delta(blocks, "reset_seq"), loader(blocks.get("reset_seq.loader"))
    seq_len = size(root, "modules/seq.ko")
    after = counters(blocks.get("reset_seq.after"))
    want = {k: 0 for k in after}
    want.update(failed_becoming=1, invalid_becoming_bytes=seq_len)
    check("reset:counts-from-zero", ld.get("EEXIST") == 1 and after == want,
          f"loader {ld}, counters {after}")
    pre, rows, problems = parse_stats(blocks.get("reset.final"))
    check("reset:table-from-zero", rows == [("mst_seq", 1, "Becoming")] and not problems,
          f"rows {rows}")


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
    want_summary = argv[:1] == ["--summary"]
    if want_summary:
        argv = argv[1:]
    if len(argv) != 3:
        sys.exit(__doc__)
    data, console, root = argv
    blocks = read_blocks(data)
    if want_summary:
        return summary(blocks)
    try:
        run_checks(blocks, console, root)
    except Exception as e:  # pylint: disable=broad-except
        # The checks after this one never ran: say so, and exit 2, not 1.
        print(f"FAIL e2e:checker-completed -- crashed after {len(results)} checks: "
              f"{type(e).__name__}: {e}")
        return 2
    return 1 if any(not ok for _, ok in results) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
