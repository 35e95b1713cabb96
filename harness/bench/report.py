#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make bench's report: medians, a table, results.csv and plot.png.

Usage: report.py OUT KIND...
  reads OUT/KIND.data, written by guest.sh

ratio is ours / upstream: below 1 means ours is faster or smaller. Rows in
ns are timed by the clock; rows in insns come from the boot under QEMU's
"-icount shift=0", where the guest's clock counts instructions. The
*_vs_nostats_pct and *_slowdown_pct rows are each kernel against itself
(or against CONFIG_MODULE_STATS=n), in percent; they have no ratio.
"""
import os
import statistics
import subprocess
import sys


def load(path):
    data = {}
    with open(path) as f:
        for line in f:
            if not line.startswith("R "):
                continue
            w = line.split()
            data.setdefault((w[1], int(w[2])), []).append(w[3:])
    return data


def median(rows, fn):
    vals = [fn(r) for r in rows]
    return statistics.median(vals) if vals else None


def main(argv):
    out, kinds = argv[1], argv[2:]
    raw = {k: load(os.path.join(out, k + ".data")) for k in kinds}
    warned = {}
    for k in kinds:
        with open(os.path.join(out, k + ".data"), errors="replace") as f:
            warned[k] = [line[2:].strip() for line in f if line.startswith("W ")]
    rows = []  # metric, size, upstream, ours, ratio, note for upstream

    def get(kind, metric, size, fn):
        return median(raw.get(kind, {}).get((metric, size), []), fn)

    sizes = sorted({s for k in kinds for (m, s) in raw[k] if m == "insert"})

    # The same workloads timed twice: by the clock ("ns") and, in the
    # "-icount shift=0" boot, in instructions ("insns").
    for unit, p in (("ns", ""), ("insns", "icount_")):
        for n in sizes:
            up = get("upstream", p + "insert", n, lambda r: int(r[3]) / int(r[5]))
            us = get("ours", p + "insert", n, lambda r: int(r[3]) / int(r[5]))
            rows.append((f"insert_{unit}_per_failure", n, up, us, ""))
    for n in sizes:
        for unit, p in (("ns", ""), ("insns", "icount_")):
            metrics = [(f"read_{unit}", 0)]
            if not p:
                metrics += [("read_bytes", 1), ("read_names", 2)]
            for metric, i in metrics:
                up = get("upstream", p + "read", n, lambda r: int(r[i]))
                us = get("ours", p + "read", n, lambda r: int(r[i]))
                note = ""
                names = get("upstream", p + "read", n, lambda r: int(r[2]))
                if names is not None and names < n:
                    note = f"truncated: {int(names)} of {n} names"
                    if warned.get("upstream"):
                        note += ", WARNed"
                rows.append((metric, n, up, us, note))
    loads = sorted({s for k in kinds for (m, s) in raw[k] if m == "load"})
    for n in loads:
        for unit, p in (("ns", ""), ("insns", "icount_")):
            sfx = "" if not p else "_insns"
            base = {k: get(k, p + "load", n, lambda r: int(r[0])) for k in kinds}
            rows.append((f"load_unload_{unit}", n, base.get("upstream"), base.get("ours"),
                         f"CONFIG_MODULE_STATS=n: {base['nostats']:.0f}"
                         if base.get("nostats") else ""))
            hook = {k: get(k, p + "hook_loaded", 0, lambda r: int(r[3]) / int(r[5]))
                    for k in ("upstream", "ours")}
            rows.append((f"load_hook_{unit}", 1, hook.get("upstream"), hook.get("ours"),
                         "the statistics' part of one successful load, timed in the kernel"))
            if base.get("nostats"):
                pct = {k: hook[k] / base["nostats"] * 100 for k in hook
                       if hook[k] is not None}
                rows.append((f"load_hook_of_load{sfx}_pct", 1, pct.get("upstream"),
                             pct.get("ours"),
                             f"load_hook_{unit} against one load+unload with "
                             "CONFIG_MODULE_STATS=n"))
                pct = {k: (base[k] / base["nostats"] - 1) * 100
                       for k in ("upstream", "ours") if base.get(k)}
                rows.append((f"load_vs_nostats{sfx}_pct", n, pct.get("upstream"),
                             pct.get("ours"), f"load_unload_{unit} against "
                             "CONFIG_MODULE_STATS=n"))
    # Loads beside a busy reader: the size of these rows is the number of
    # names listed, each row a median of runs of {loads} loads.
    for rn in sorted({s for k in kinds for (m, s) in raw[k] if m == "load_listed"}):
        per = f"{rn} names listed, {loads[0] if loads else '?'} loads"
        listed = {k: get(k, "load_listed", rn, lambda r: int(r[0])) for k in kinds}
        busy = {k: get(k, "load_busy_reader", rn, lambda r: int(r[0])) for k in kinds}
        rows.append(("load_listed_ns", rn, listed.get("upstream"), listed.get("ours"),
                     f"{per}, no reader"))
        rows.append(("load_busy_reader_ns", rn, busy.get("upstream"), busy.get("ours"),
                     f"{per}, stats read in a loop"))
        pct = {k: (busy[k] / listed[k] - 1) * 100 for k in ("upstream", "ours")
               if busy.get(k) and listed.get(k)}
        rows.append(("busy_reader_slowdown_pct", rn, pct.get("upstream"), pct.get("ours"),
                     "load_busy_reader_ns against load_listed_ns"))
        spin = {k: get(k, "load_busy_spin", rn, lambda r: int(r[0])) for k in kinds}
        pct = {k: (spin[k] / listed[k] - 1) * 100 for k in ("upstream", "ours")
               if spin.get(k) and listed.get(k)}
        rows.append(("busy_spin_slowdown_pct", rn, pct.get("upstream"), pct.get("ours"),
                     "the same beside a process that only spins in userspace"))
        counter = {k: get(k, "load_busy_counter", rn, lambda r: int(r[0])) for k in kinds}
        pct = {k: (counter[k] / listed[k] - 1) * 100 for k in ("upstream", "ours")
               if counter.get(k) and listed.get(k)}
        rows.append(("busy_counter_slowdown_pct", rn, pct.get("upstream"), pct.get("ours"),
                     "the same beside a process that reads modcount in a loop"))
    slab = {k: max(((s, r) for (m, s), rs in raw[k].items() if m == "slab_delta"
                    for r in rs), default=None) for k in ("upstream", "ours") if k in raw}
    per = {k: int(v[1][1]) / int(v[1][0]) for k, v in slab.items() if v and int(v[1][0])}
    if per:
        n = max(v[0] for v in slab.values() if v)
        rows.append(("slab_bytes_per_name", n, per.get("upstream"), per.get("ours"),
                     f"measured over the last {int(slab['ours'][1][0])} names added"
                     if slab.get("ours") else ""))

    def fmt(v):
        if v is None:
            return "-"
        if abs(v) < 1:
            return f"{v:.4f}"
        return f"{v:.1f}" if abs(v) < 100 else f"{v:.0f}"

    with open(os.path.join(out, "results.csv"), "w") as f:
        f.write("metric,size,upstream,ours,ratio\n")
        for metric, n, up, us, _ in rows:
            pct = metric.endswith("_pct")
            ratio = "" if pct or not up or us is None else f"{us / up:.4f}"
            f.write(f"{metric},{n},{'' if up is None else f'{up:.2f}'},"
                    f"{'' if us is None else f'{us:.2f}'},{ratio}\n")

    print(f"{'metric':30}{'size':>7}{'upstream':>14}{'ours':>14}{'ratio':>9}  note")
    for metric, n, up, us, note in rows:
        pct = metric.endswith("_pct")
        ratio = "" if pct or not up or us is None else f"{us / up:.4f}"
        print(f"{metric:30}{n:>7}{fmt(up):>14}{fmt(us):>14}{ratio:>9}  {note}")
    for k in kinds:
        for line in warned[k]:
            print(f"{k} kernel log: {line}")

    # The plot: cost per failure and per read against the number of names.
    plot = os.path.join(out, "plot.png")
    dat = os.path.join(out, "plot.dat")
    with open(dat, "w") as f:
        for n in sizes:
            vals = {m: (up, us) for m, s, up, us, _ in rows if s == n}
            cols = [v or 0 for m in ("insert_ns_per_failure", "read_ns",
                                     "insert_insns_per_failure")
                    for v in vals.get(m, (None, None))]
            f.write(f"{n} {' '.join(str(v) for v in cols)}\n")
    script = f"""
set terminal png size 1500,450
set output '{plot}'
set multiplot layout 1,3
set logscale xy
set xlabel 'module names listed'
set key top left
set grid
set title 'Recording one duplicate failure (ns)'
plot '{dat}' using 1:2 with linespoints title 'upstream 6.12', \\
     '' using 1:3 with linespoints title 'ours'
set title 'Reading stats once (ns); upstream lists 111 names at most'
plot '{dat}' using 1:4 with linespoints title 'upstream 6.12', \\
     '' using 1:5 with linespoints title 'ours'
set title 'Recording one duplicate failure (instructions, -icount)'
plot '{dat}' using 1:6 with linespoints title 'upstream 6.12', \\
     '' using 1:7 with linespoints title 'ours'
unset multiplot
"""
    r = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
    if r.returncode or not os.path.getsize(plot):
        print("gnuplot failed: " + r.stderr.strip())
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
