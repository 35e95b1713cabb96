#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The historical defects of upstream's stats.c, as they would look in ours.

Usage: mutations.py list
       mutations.py apply NAME FILE    (edits FILE in place)

Each mutation is a literal replacement that must match exactly once, so a
mutation that no longer fits the code fails loudly instead of testing
nothing. KERNELS names the KUnit kernels (harness/kunit.sh) that must catch
it: a 32-bit counter only shows on i386, a decompression bug only where
modules can be decompressed, a use-after-free only under KASAN.
"""
import sys

MUTATIONS = [
    {
        "name": "uaf-read-path",
        "what": "a reset frees the window while hooks and readers still use it",
        "kernels": "x86_64",
        "old": "\tsynchronize_srcu(&mod_stats_srcu);\n\tstats_free(old);",
        "new": "\tstats_free(old);",
    },
    {
        "name": "truncating-buffer",
        "what": "the list is cut off once the text reaches 8 KiB",
        "kernels": "um x86_64",
        "old": "\t\t/* Names that only had merged loads are in dup_failures. */\n"
               "\t\tif (!reasons)\n",
        "new": "\t\tif (m->count > 8192 - 128)\n\t\t\tbreak;\n"
               "\t\tif (!reasons)\n",
    },
    {
        "name": "warn-on-read",
        "what": "rendering WARNs when more than 111 names are listed",
        "kernels": "um x86_64",
        "old": "\tfor (i = 0; i < MOD_STAT_COUNT; i++)\n\t\tv[i] = atomic64_read",
        "new": "\tWARN_ON_ONCE(s->nr_tracked > 111);\n"
               "\tfor (i = 0; i < MOD_STAT_COUNT; i++)\n\t\tv[i] = atomic64_read",
    },
    {
        "name": "32-bit-byte-counter",
        "what": "byte counts pass through an unsigned long, 32 bits on i386",
        "kernels": "i386",
        "old": "\t\t      enum mod_stat_item bytes, u64 nbytes)",
        "new": "\t\t      enum mod_stat_item bytes, unsigned long nbytes)",
    },
    {
        "name": "decompress-branch-typo",
        "what": "a compressed module's bytes go to invalid_mod_bytes on becoming",
        "kernels": "x86_64",
        "old": "\tu64 wasted = stats_wasted(info, stats_compressed_len(info, flags), false);\n",
        "new": "\tu64 wasted = stats_wasted(info, 0, false);\n\n"
               "\tatomic64_add(stats_compressed_len(info, flags),\n"
               "\t\t     &s->counters[MOD_STAT_INVALID_MOD_BYTES]);\n",
    },
]


def main(argv):
    if argv[1:] == ["list"]:
        for m in MUTATIONS:
            print(f"{m['name']}\t{m['kernels']}\t{m['what']}")
        return 0
    if len(argv) == 4 and argv[1] == "apply":
        found = [m for m in MUTATIONS if m["name"] == argv[2]]
        if not found:
            sys.exit(f"mutations.py: no mutation named {argv[2]}")
        m = found[0]
        with open(argv[3]) as f:
            text = f.read()
        n = text.count(m["old"])
        if n != 1:
            sys.exit(f"mutations.py: {m['name']}: the code to change occurs {n} times "
                     f"in {argv[3]}, not once; update harness/mutations.py")
        with open(argv[3], "w") as f:
            f.write(text.replace(m["old"], m["new"]))
        return 0
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
