#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make realboot: the report on what the guests collected.

Usage: report.py RUNS_DIR OUT_DIR RUN...

Each RUN is KERNEL-MODULES-VCPUS (ours-xz-8, upstream-plain-8, ...), a
folder in RUNS_DIR with console.log and data/ (what the guest's collector
wrote: stats, stats.dd, stats.2, dup_failures, trace, trace-stats,
proc-modules, dmesg, nproc, ...). Writes into OUT_DIR report.txt (also
printed), checks.txt, summary.csv, modules-RUN.csv and plot.png. Exits 1
if a check on our kernel failed, 0 otherwise; checks on upstream's kernel
are shown, as what upstream does, and not counted.
"""

import collections
import os
import re
import subprocess
import sys

STAGES = ("kread", "decompress", "becoming", "load")
STAGE_COUNTER = {"kread": "Mods failed on kread",
                 "decompress": "Mods failed on decompress",
                 "becoming": "Mods failed on becoming",
                 "load": "Mods failed on load"}
STAGE_BYTES = {"kread": "Failed kread bytes",
               "decompress": "Failed decompress bytes",
               "becoming": "Failed becoming bytes",
               "load": "Failed kmod bytes"}
DUP_ERRS = (-17, -16)   # EEXIST, EBUSY: what the stats list as duplicates
BAD = re.compile(r"WARNING:|BUG:|lockdep|possible (recursive|circular) locking|"
                 r"Oops|Kernel panic|general protection fault|INFO: task .* blocked|"
                 r"RCU detected stall|rcu_sched self-detected|UBSAN|KASAN|"
                 r"stack-protector|Call Trace:")
TRACE = re.compile(r"^\s*(?P<comm>.*?)-(?P<pid>\d+)\s+(\(\s*\S+\)\s+)?\[(?P<cpu>\d+)\]"
                   r"\s+(\S+\s+)?(?P<ts>\d+\.\d+): (?P<event>\w+): (?P<rest>.*)$")
FAIL = re.compile(r"name=(?P<name>\S*) stage=(?P<stage>\w+) wasted=(?P<wasted>\d+) "
                  r"err=(?P<err>-?\d+)")
REQ = re.compile(r"^(?P<name>\S+) wait=(?P<wait>\d+) call_site=(?P<site>\S+)")
LOAD = re.compile(r"^(?P<name>\S+)")


def read(path, default=None):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return default


def parse_stats(text):
    """Counters (label -> int) and the table [(name, count, reason)]."""
    counters, table, in_table = {}, [], False
    for line in text.splitlines():
        if line.startswith("Duplicate failed modules:"):
            in_table = True
            continue
        if in_table:
            parts = [p.strip() for p in line.split("\t")]
            if parts[0] == "Module-name":
                continue
            if len(parts) == 3 and parts[1].isdigit():
                table.append((parts[0], int(parts[1]), parts[2]))
            continue
        if "\t" in line:
            label, _, value = line.rpartition("\t")
            if value.strip().isdigit():
                counters[label.strip()] = int(value)
    return counters, table


def parse_dups(text):
    """(ok, problems, {name: fields})."""
    problems, rows = [], collections.OrderedDict()
    lines = text.splitlines()
    if not lines or lines[0] != "# module dup_failures v1":
        problems.append("first line is %r, not '# module dup_failures v1'"
                        % (lines[0] if lines else ""))
    if len(lines) < 2 or lines[1] != ("# name failures becoming load wasted_bytes first_ns "
                                      "last_ns last_pid last_comm merged"):
        problems.append("second line does not name the ten fields")
    for n, line in enumerate(lines[2:], 3):
        f = line.split(" ")
        if len(f) != 10:
            problems.append("line %d has %d fields: %r" % (n, len(f), line))
            continue
        try:
            num = [int(x) for x in f[1:8]] + [int(f[9])]
        except ValueError:
            problems.append("line %d has a field that is not a number: %r" % (n, line))
            continue
        fail, bec, lod, wasted, first, last, pid, merged = num
        if fail != bec + lod:
            problems.append("line %d: failures %d != becoming %d + load %d" % (n, fail, bec, lod))
        if fail and first > last:
            problems.append("line %d: first_ns after last_ns" % n)
        if f[0] in rows:
            problems.append("line %d: %s listed twice" % (n, f[0]))
        rows[f[0]] = dict(failures=fail, becoming=bec, load=lod, wasted=wasted, first=first,
                          last=last, pid=pid, comm=f[8], merged=merged)
    return not problems, problems, rows


def parse_trace(text):
    fails, loads, reqs = [], [], []
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        m = TRACE.match(line)
        if not m:
            continue
        ev, rest = m.group("event"), m.group("rest")
        who = (m.group("comm").strip(), int(m.group("pid")), float(m.group("ts")))
        if ev == "module_load_fail":
            f = FAIL.match(rest)
            if f:
                fails.append(dict(comm=who[0], pid=who[1], ts=who[2], name=f.group("name"),
                                  stage=f.group("stage"), wasted=int(f.group("wasted")),
                                  err=int(f.group("err"))))
        elif ev == "module_request":
            r = REQ.match(rest)
            if r:
                reqs.append(dict(comm=who[0], pid=who[1], ts=who[2], name=r.group("name"),
                                 site=r.group("site").split("+")[0]))
        elif ev == "module_load":
            lm = LOAD.match(rest)
            if lm:
                loads.append(dict(comm=who[0], pid=who[1], ts=who[2], name=lm.group("name")))
    return fails, loads, reqs


def task_kind(comm):
    if comm in ("(udev-worker)", "systemd-udevd") or comm.startswith("(udev"):
        return "udev worker (libkmod)"
    if comm == "modprobe":
        return "modprobe"
    if comm == "systemd-modules":
        return "systemd-modules-load"
    if comm in ("systemd", "(systemd)"):
        return "systemd (pid 1)"
    if comm.startswith("kworker") or comm.startswith("kthreadd"):
        return "kernel thread"
    return comm


def short(counter, n=4):
    return ", ".join("%s x%d" % (k, v) for k, v in counter.most_common(n)) + \
        (", ..." if len(counter) > n else "")


class Run:
    def __init__(self, top, name):
        self.name = name
        parts = name.split("-")
        self.kind, self.comp, self.cpus = parts[0], parts[1], int(parts[2])
        self.extra = "-".join(parts[3:])
        d = os.path.join(top, name)
        self.dir = d
        self.console = read(os.path.join(d, "console.log"), "")
        data = os.path.join(d, "data")
        self.present = os.path.isdir(d)
        self.stats_text = read(os.path.join(data, "stats"))
        self.complete = self.stats_text is not None and "realboot: DONE" in self.console
        self.stats_dd = read(os.path.join(data, "stats.dd"))
        self.stats_2 = read(os.path.join(data, "stats.2"))
        self.dups_text = read(os.path.join(data, "dup_failures"))
        self.trace_text = read(os.path.join(data, "trace"), "")
        self.trace_stats = read(os.path.join(data, "trace-stats"), "")
        self.dmesg = read(os.path.join(data, "dmesg"), "")
        self.proc_modules = read(os.path.join(data, "proc-modules"), "")
        self.nproc = (read(os.path.join(data, "nproc"), "") or "").strip()
        self.kmod = (read(os.path.join(data, "kmod-version"), "") or "").split("\n")[0]
        self.settled = (read(os.path.join(data, "uptime-settled"), "") or "").strip()
        self.seconds = (read(os.path.join(d, "seconds"), "") or "").strip()
        self.qemu_status = (read(os.path.join(d, "qemu-status"), "") or "").strip()
        self.attempts = (read(os.path.join(d, "attempts"), "") or "1").strip()
        self.counters, self.table = parse_stats(self.stats_text or "")
        self.dups_ok, self.dups_problems, self.dups = (parse_dups(self.dups_text)
                                                       if self.dups_text is not None
                                                       else (None, [], {}))
        self.fails, self.loads, self.reqs = parse_trace(self.trace_text)
        self.nmodules = len([x for x in self.proc_modules.splitlines() if x.strip()])
        self.journal = read(os.path.join(data, "journal"), "")
        self.init_failed = sorted({l["name"] for l in self.loads} -
                                  {x.split(" ")[0] for x in self.proc_modules.splitlines()})

    def failures(self):
        return sum(r[1] for r in self.table) if self.dups == {} else \
            sum(r["failures"] for r in self.dups.values())

    def merged(self):
        return self.counters.get("Merged loads")

    def wasted(self):
        return self.counters.get("Virtual mem wasted bytes")


def checks(r):
    """[(status, name, detail)] for one run."""
    out = []

    def add(ok, name, detail=""):
        out.append(("PASS" if ok else "FAIL", "%s:%s" % (r.name, name), detail))

    add(r.complete, "guest-completed",
        "" if r.complete else "no data or no 'realboot: DONE' (QEMU status %s)" % r.qemu_status)
    if r.nproc:
        add(r.nproc == str(r.cpus), "vcpus-up", "%s of %d" % (r.nproc, r.cpus))
    bad = [l.strip() for l in (r.console + "\n" + r.dmesg).splitlines() if BAD.search(l)]
    add(not bad, "no-warn-bug-lockdep", "; ".join(sorted(set(bad))[:3]))
    if not r.complete:
        return out
    same = r.stats_dd == r.stats_text or r.stats_dd == r.stats_2
    first = next((i for i, (a, b) in enumerate(zip(r.stats_dd or "", r.stats_text)) if a != b),
                 min(len(r.stats_dd or ""), len(r.stats_text)))
    add(same, "stats-cat-equals-dd-bs1",
        "" if same else "dd bs=1 read %s bytes, cat %d; they differ from byte %d" % (
            len(r.stats_dd or ""), len(r.stats_text), first))
    if r.kind == "upstream":
        return out
    add(bool(r.dups_ok), "dup_failures-parses", "; ".join(r.dups_problems[:3]))
    overrun = [l for l in r.trace_stats.splitlines()
               if re.search(r"overrun: [1-9]", l)]
    add(not overrun and r.trace_text != "", "trace-buffer-complete",
        "; ".join(overrun[:2]) if overrun else ("" if r.trace_text else "empty trace"))
    # Per stage: events against counters and bytes.
    per = collections.Counter(f["stage"] for f in r.fails)
    byt = collections.Counter()
    for f in r.fails:
        byt[f["stage"]] += f["wasted"]
    diff = []
    for s in STAGES:
        if per[s] != r.counters.get(STAGE_COUNTER[s]):
            diff.append("%s: %d events, counter %s" % (s, per[s], r.counters.get(STAGE_COUNTER[s])))
        if byt[s] != r.counters.get(STAGE_BYTES[s]):
            diff.append("%s bytes: %d in events, counter %s" % (s, byt[s],
                                                                  r.counters.get(STAGE_BYTES[s])))
    add(not diff, "trace-matches-counters-per-stage",
        "; ".join(diff) if diff else "%d events" % len(r.fails))
    # Per name: duplicate events against dup_failures.
    ev = collections.defaultdict(lambda: collections.Counter())
    for f in r.fails:
        if f["err"] in DUP_ERRS:
            ev[f["name"]][f["stage"]] += 1
            ev[f["name"]]["wasted"] += f["wasted"]
    diff = []
    names = set(ev) | {n for n, d in r.dups.items() if d["failures"]}
    for n in sorted(names):
        d = r.dups.get(n, dict(becoming=0, load=0, wasted=0))
        e = ev.get(n, collections.Counter())
        if (e["becoming"], e["load"], e["wasted"]) != (d["becoming"], d["load"], d["wasted"]):
            diff.append("%s: trace %d/%d/%d B, dup_failures %d/%d/%d B" % (
                n, e["becoming"], e["load"], e["wasted"], d["becoming"], d["load"], d["wasted"]))
    if r.counters.get("Untracked dup failures"):
        diff.append("%d untracked" % r.counters["Untracked dup failures"])
    add(not diff, "trace-matches-dup_failures-per-name",
        "; ".join(diff[:3]) if diff else "%d names" % len(names))
    # The stats table and dup_failures list the same failures.
    t = {n: c for n, c, _ in r.table}
    d = {n: x["failures"] for n, x in r.dups.items() if x["failures"]}
    add(t == d, "stats-table-matches-dup_failures",
        "" if t == d else "differ on %s" % sorted(set(t.items()) ^ set(d.items()))[:3])
    return out


def per_module(r):
    """Rows for one run, most failures + merged first."""
    comms = collections.defaultdict(collections.Counter)
    for f in r.fails:
        if f["err"] in DUP_ERRS:
            comms[f["name"]][f["comm"]] += 1
    loaded_by = {l["name"]: l["comm"] for l in r.loads}
    rows = []
    if r.dups:
        for n, x in r.dups.items():
            rows.append(dict(name=n, failures=x["failures"], becoming=x["becoming"],
                             load=x["load"], merged=x["merged"], wasted=x["wasted"],
                             asked=short(comms[n]) if comms[n] else "-",
                             last="%s[%d]" % (x["comm"], x["pid"]) if x["failures"] else "-",
                             loaded_by=loaded_by.get(n, "-")))
    else:
        for n, c, reason in r.table:
            rows.append(dict(name=n, failures=c, becoming=None, load=None, merged=None,
                             wasted=None, asked=reason, last="-",
                             loaded_by=loaded_by.get(n, "-")))
    rows.sort(key=lambda x: (-(x["failures"] + (x["merged"] or 0)), x["name"]))
    return rows


JLINE = re.compile(r"^\[\s*(?P<t>\d+\.\d+)\] \S+ \(udev-worker\)\[(?P<pid>\d+)\]: (?P<msg>.*)$")
JPROC = re.compile(r"^(?P<dev>.+?): Processing device \(SEQNUM=\d+, ACTION=\w+\)")
JLOAD = re.compile(r"^(Inserted module|Failed to insert module) '(?P<mod>[^']+)'")


def devices_of_failures(r):
    """{module: Counter(device)}: the device whose uevent made the udev
    worker ask for the load that failed, from udev's debug log
    (udev.log_level=debug) and the trace (trace_clock=boot, the journal's
    clock). journald stamps a line when it receives it, a little late, so
    a failure goes with the first load the same worker finished at or
    after it ("Inserted module" or "Failed to insert module"; a duplicate
    of a dependency comes before the module asked for), and that load with
    the device the worker was processing when it logged it."""
    done = collections.defaultdict(list)   # pid -> [(t, device, module)]
    dev = {}
    for line in r.journal.splitlines():
        m = JLINE.match(line)
        if not m:
            continue
        pid, msg = int(m.group("pid")), m.group("msg")
        pm = JPROC.match(msg)
        if pm:
            dev[pid] = pm.group("dev")
            continue
        lm = JLOAD.match(msg)
        if lm:
            done[pid].append((float(m.group("t")), dev.get(pid, "?"), lm.group("mod")))
    if not done:
        return None
    out = collections.defaultdict(collections.Counter)
    for f in r.fails:
        if f["err"] not in DUP_ERRS:
            continue
        d = "?"
        for t, dv, _ in done.get(f["pid"], []):
            if t >= f["ts"]:
                d = dv
                break
        out[f["name"]][d] += 1
    return out


def devsum(counter):
    """'cpu1..cpu7 (7)' for per-CPU devices, else the names."""
    cpus = sorted(int(d[3:]) for d in counter if re.fullmatch(r"cpu\d+", d))
    rest = ["%s" % d + (" x%d" % n if n > 1 else "") for d, n in counter.most_common()
            if not re.fullmatch(r"cpu\d+", d)]
    parts = []
    if cpus:
        parts.append("cpu" + ",".join(str(c) for c in cpus))
    return "; ".join(parts + rest)


def fmt_run(r, p):
    p("== %s: %s stats.c, modules %s, %d vCPUs%s ==" % (
        r.name, "our" if r.kind == "ours" else "upstream's",
        ".ko.xz (kmod decompresses, init_module)" if r.comp == "xz"
        else ".ko (finit_module)", r.cpus,
        ", udev.log_level=debug" if r.extra == "udevdebug" else ""))
    if not r.present:
        p("   not run")
        return
    p("   boot: QEMU status %s after %s s (try %s); udev settled at %s s of guest uptime; %s; "
      "%d modules in /proc/modules" % (r.qemu_status, r.seconds, r.attempts, r.settled or "?",
                                      r.kmod or "kmod ?", r.nmodules))
    if not r.stats_text:
        p("   no statistics came back from the guest")
        return
    c = r.counters
    p("   loaded %s modules; duplicate failures %s on becoming + %s on load; merged loads %s; "
      "wasted %s bytes (%.1f MiB); untracked %s" % (
          c.get("Mods ever loaded"), c.get("Mods failed on becoming"),
          c.get("Mods failed on load"), c.get("Merged loads", "n/a (upstream)"),
          c.get("Virtual mem wasted bytes"), (c.get("Virtual mem wasted bytes") or 0) / 2**20,
          c.get("Untracked dup failures", "n/a")))
    other = [f for f in r.fails if f["err"] not in DUP_ERRS]
    if other:
        p("   failures that are not duplicates: " + short(collections.Counter(
            "%s(%s,%d)" % (f["name"] or "?", f["stage"], f["err"]) for f in other), 6))
    rows = per_module(r)
    if r.kind == "ours":
        p("   %-22s %6s %5s %5s %6s %10s  %-34s %s" % (
            "module", "failed", "becom", "load", "merged", "wasted B",
            "who failed (trace: comm x count)", "last_comm[pid]"))
        for x in rows:
            p("   %-22s %6d %5d %5d %6d %10d  %-34s %s" % (
                x["name"], x["failures"], x["becoming"], x["load"], x["merged"], x["wasted"],
                x["asked"], x["last"]))
        p("   %-22s %6d %5s %5s %6d %10d" % (
            "total", sum(x["failures"] for x in rows), "", "",
            sum(x["merged"] for x in rows), sum(x["wasted"] for x in rows)))
    else:
        p("   %-22s %6s  %s" % ("module", "failed", "reason (upstream lists no bytes, "
                                 "tasks or merged loads)"))
        for x in rows:
            p("   %-22s %6d  %s" % (x["name"], x["failures"], x["asked"]))
        p("   %-22s %6d" % ("total", sum(x["failures"] for x in rows)))
    # Who asked, for everything: loads and failures by task kind, and the
    # kernel's own requests.
    kinds = collections.Counter(task_kind(l["comm"]) for l in r.loads)
    fk = collections.Counter(task_kind(f["comm"]) for f in r.fails if f["err"] in DUP_ERRS)
    p("   modules loaded by: " + (short(kinds, 8) or "-"))
    if r.kind == "ours":
        p("   duplicate failures by: " + (short(fk, 8) or "-"))
    if r.init_failed:
        p("   loaded but init failed (not in /proc/modules, not counted by the stats): " +
          ", ".join(r.init_failed))
    devs = devices_of_failures(r) if r.kind == "ours" else None
    if devs:
        p("   the device each failed load's udev worker was handling (udev debug log):")
        for n, c in sorted(devs.items(), key=lambda x: (-sum(x[1].values()), x[0])):
            p("     %-22s %s" % (n, devsum(c)))
    req = collections.Counter("%s<-%s" % (q["name"], q["site"]) for q in r.reqs)
    p("   kernel request_module() (name<-caller, %d in all): %s" % (len(r.reqs),
                                                                 short(req, 8) or "-"))


def plot(runs, out):
    pts = collections.defaultdict(dict)
    for r in runs.values():
        if r.kind == "ours" and r.stats_text and not r.extra:
            pts[r.comp][r.cpus] = (r.failures(), r.merged() or 0,
                                   (r.wasted() or 0) / 2**20)
    if not any(len(v) > 1 for v in pts.values()):
        return None
    dat = os.path.join(out, "plot.dat")
    cpus = sorted({c for v in pts.values() for c in v})
    with open(dat, "w") as f:
        f.write("# vcpus xz_failures xz_merged xz_wasted_mib plain_failures plain_merged "
                "plain_wasted_mib\n")
        for c in cpus:
            vals = []
            for comp in ("xz", "plain"):
                vals += [str(v) for v in pts[comp].get(c, ("NaN",) * 3)]
            f.write("%d %s\n" % (c, " ".join(vals)))
    png = os.path.join(out, "plot.png")
    script = f"""
set terminal png size 1200,450
set output '{png}'
set multiplot layout 1,2 title 'make realboot: Debian 12 boot (systemd-udevd, kmod 30), our stats.c'
set xlabel 'vCPUs (QEMU TCG)'
set logscale x 2
set xrange [0.8:{cpus[-1] * 1.25}]
set xtics ({', '.join(str(c) for c in cpus)})
set grid
set key top left
set yrange [0:*]
set title 'Duplicate failures and merged loads'
plot '{dat}' using 1:2 with linespoints lw 2 title 'failures, .ko.xz', \\
     '' using 1:3 with linespoints lw 2 title 'merged, .ko.xz', \\
     '' using 1:5 with linespoints lw 2 title 'failures, .ko', \\
     '' using 1:6 with linespoints lw 2 title 'merged, .ko'
set title 'Virtual memory wasted (MiB)'
plot '{dat}' using 1:4 with linespoints lw 2 title '.ko.xz', \\
     '' using 1:7 with linespoints lw 2 title '.ko'
unset multiplot
"""
    try:
        res = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True,
                             timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        return "gnuplot failed: %s" % e
    if res.returncode or not os.path.exists(png) or not os.path.getsize(png):
        return "gnuplot failed: " + res.stderr.strip()
    return png


def main(argv):
    top, out, names = argv[1], argv[2], argv[3:]
    os.makedirs(out, exist_ok=True)
    for f in os.listdir(out):
        if f.startswith("modules-") or f.startswith("plot."):
            os.remove(os.path.join(out, f))
    runs = collections.OrderedDict((n, Run(top, n)) for n in names)
    lines = []
    p = lines.append
    p("make realboot: module statistics of a real boot (Debian 12, systemd-udevd, kmod)")
    p("")
    for r in runs.values():
        fmt_run(r, p)
        p("")
    # Side by side: the same boot with our stats.c and with upstream's.
    for comp in ("xz", "plain"):
        pair = [r for r in runs.values() if r.comp == comp and r.cpus == 8 and r.stats_text
                and not r.extra]
        kinds = {r.kind: r for r in pair}
        if "ours" in kinds and "upstream" in kinds:
            o, u = kinds["ours"], kinds["upstream"]
            p("== side by side, modules %s, 8 vCPUs: what each stats.c reports ==" % comp)
            for label in ("Mods ever loaded", "Mods failed on becoming", "Mods failed on load",
                          "Virtual mem wasted bytes", "Merged loads", "Untracked dup failures"):
                p("   %-26s %12s %12s" % (label, o.counters.get(label, "-"),
                                         u.counters.get(label, "(no line)")))
            p("   %-26s %12d %12d" % ("names in the table", len(o.table), len(u.table)))
            p("   %-26s %12s %12s" % ("dup_failures file", "yes" if o.dups_text else "no",
                                     "yes" if u.dups_text else "no"))
            p("   %-26s %12d %12s" % ("module_load_fail events", len(o.fails),
                                     len(u.fails) or "(no event)"))
            p("")
    # Sweep summary, and CSV.
    with open(os.path.join(out, "summary.csv"), "w") as f:
        f.write("run,kernel,modules,vcpus,completed,seconds,loaded,failed_becoming,failed_load,"
                "dup_failures,merged,wasted_bytes,names,proc_modules\n")
        p("== summary ==")
        p("   %-18s %5s %7s %7s %7s %7s %12s %6s %6s" % (
            "run", "vCPUs", "loaded", "dupfail", "merged", "names", "wasted B", "boot s",
            "lsmod"))
        for r in runs.values():
            c = r.counters
            f.write(",".join(str(x) for x in (
                r.name, r.kind, r.comp, r.cpus, int(r.complete), r.seconds,
                c.get("Mods ever loaded", ""), c.get("Mods failed on becoming", ""),
                c.get("Mods failed on load", ""), r.failures() if r.stats_text else "",
                c.get("Merged loads", ""), c.get("Virtual mem wasted bytes", ""),
                len(r.table), r.nmodules)) + "\n")
            if r.stats_text:
                p("   %-18s %5d %7s %7d %7s %7d %12s %6s %6d" % (
                    r.name, r.cpus, c.get("Mods ever loaded"), r.failures(),
                    c.get("Merged loads", "n/a"), len(r.table),
                    c.get("Virtual mem wasted bytes"), r.seconds, r.nmodules))
            else:
                p("   %-18s %5d  no data (%s)" % (r.name, r.cpus,
                                                  "not run" if not r.present
                                                  else "QEMU status %s" % r.qemu_status))
        p("")
    for r in runs.values():
        if r.stats_text:
            with open(os.path.join(out, "modules-%s.csv" % r.name), "w") as f:
                f.write("module,failures,becoming,load,merged,wasted_bytes,who_failed,last,loaded_by\n")
                for x in per_module(r):
                    f.write(",".join('"%s"' % x[k] if isinstance(x[k], str) else
                                     ("" if x[k] is None else str(x[k]))
                                     for k in ("name", "failures", "becoming", "load", "merged",
                                               "wasted", "asked", "last", "loaded_by")) + "\n")
    res = plot(runs, out)
    if res:
        p("plot: " + res)
    p("")
    # Checks.
    failed = 0
    p("== checks ==")
    with open(os.path.join(out, "checks.txt"), "w") as f:
        for r in runs.values():
            if not r.present:
                continue
            for status, name, detail in checks(r):
                counted = r.kind == "ours"
                if status == "FAIL" and counted:
                    failed += 1
                line = "%s %s%s%s" % (status, name, " -- " + detail if detail else "",
                                      "" if counted else " (upstream: shown, not counted)")
                f.write(line + "\n")
                p("  " + line)
    p("%d checks failed" % failed)
    text = "\n".join(lines) + "\n"
    with open(os.path.join(out, "report.txt"), "w") as f:
        f.write(text)
    sys.stdout.write(text)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
