#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The historical defects of upstream's stats.c, as they would look in ours.

Usage: mutations.py list
       mutations.py file NAME          (the file the mutation edits)
       mutations.py check PROJECT TREE (each mutation still fits the code)
       mutations.py apply NAME TREE    (edits the mutation's file in TREE)

Each mutation is a list of literal replacements, each of which must match
exactly once, so a mutation that no longer fits the code fails loudly
instead of testing nothing. KERNELS names the KUnit kernels (harness/kunit.sh) that must catch
it: a 32-bit counter only shows on i386, a decompression bug only where
modules can be decompressed, a use-after-free only under KASAN.
"""
import os
import sys

STATS = "kernel/module/stats.c"
SUITE = "kernel/module/tests/stats_kunit.c"
INTERNAL = "kernel/module/internal.h"
MAIN = "kernel/module/main.c"

# "edits" is a list of (old, new) literal replacements, each of which must
# match exactly once; "file" is the file they apply to (default: stats.c).
# "caught_by" names the checks that must fail, as KERNEL:CASE (a case, or a
# parameter of one as CASE.PARAM), KERNEL:kernel-log:TEXT (a report in the
# kernel's log that mentions TEXT) or KERNEL:build:TEXT (the kernel does not
# build, with a compiler error that mentions TEXT). Failing other checks only
# does not count.
MUTATIONS = [
    {
        "name": "uaf-read-path",
        "caught_by": ['x86_64:kernel-log:use-after-free'],
        "what": "a reset frees the window while hooks and readers still use it",
        "kernels": "x86_64",
        "edits": [("\tsynchronize_srcu(&mod_stats_srcu);\n\tretire(old);",
                   "\tretire(old);")],
    },
    {
        "name": "truncating-buffer",
        "caught_by": ['um:stats_test_many_names', 'x86_64:stats_test_many_names'],
        "what": "the list is cut off once the text reaches 8 KiB",
        "kernels": "um x86_64",
        "edits": [("\t\t/* Names that only had merged loads are in dup_failures. */\n"
                   "\t\tif (!reasons)\n",
                   "\t\tif (m->count > 8192 - 128)\n\t\t\tbreak;\n"
                   "\t\tif (!reasons)\n")],
    },
    {
        "name": "warn-on-read",
        "caught_by": ['um:kernel-log:stats_render_counters+', 'x86_64:kernel-log:stats_render_counters+'],
        "what": "rendering WARNs when more than 111 names are listed",
        "kernels": "um x86_64",
        "edits": [("\tfor (i = 0; i < MOD_STAT_COUNT; i++)\n\t\tv[i] = atomic64_read",
                   "\tWARN_ON_ONCE(s->nr_tracked > 111);\n"
                   "\tfor (i = 0; i < MOD_STAT_COUNT; i++)\n\t\tv[i] = atomic64_read")],
    },
    {
        "name": "32-bit-byte-counter",
        "caught_by": ['i386:stats_test_past_4g'],
        "what": "byte counts pass through an unsigned long, 32 bits on i386",
        "kernels": "i386",
        "edits": [("\t\t      enum mod_stat_item bytes, u64 nbytes)",
                   "\t\t      enum mod_stat_item bytes, unsigned long nbytes)")],
    },
    {
        "name": "decompress-branch-typo",
        "caught_by": ['x86_64:stats_test_hooks.becoming compressed'],
        "what": "a compressed module's bytes go to invalid_mod_bytes on becoming",
        "kernels": "x86_64",
        "edits": [("\t\t\t  load_info_wasted(info, flags, false));\n}\n",
                   "\t\t\t  load_info_wasted(info, 0, false));\n"
                   "\tatomic64_add(load_info_wasted(info, flags, false) - info->len,\n"
                   "\t\t     &s->counters[MOD_STAT_INVALID_MOD_BYTES]);\n}\n")],
    },
    {
        "name": "decompress-build-break",
        "what": "a field misnamed under CONFIG_MODULE_DECOMPRESS: only that build breaks",
        "caught_by": ['x86_64:build:compressed_size'],
        "kernels": "um x86_64",
        "file": INTERNAL,
        "edits": [("\t\twasted += info->compressed_len;\n",
                   "\t\twasted += info->compressed_size;\n")],
    },
    # The defects of the maintainer review, each put back as it was.
    {
        "name": "collision-reads-past-name",
        "caught_by": ['x86_64:kernel-log:stats_lookup'],
        "what": "a lookup reads the stored name at the length of the one looked up",
        "kernels": "x86_64",
        "edits": [("e->hash == hash && e->len == len && !memcmp(e->name, name, len)",
                   "e->hash == hash && !e->name[len] && !memcmp(e->name, name, len)")],
    },
    {
        "name": "collision-ignores-length",
        "caught_by": ['um:stats_test_collision_forced'],
        "what": "a lookup compares bytes only, so a prefix matches a longer name",
        "kernels": "um",
        "edits": [("e->hash == hash && e->len == len && !memcmp(e->name, name, len)",
                   "e->hash == hash && !memcmp(e->name, name, len)")],
    },
    {
        "name": "render-under-rcu",
        "caught_by": ['x86_64:stats_test_render_yields'],
        "what": "the whole list is rendered inside rcu_read_lock()",
        "kernels": "x86_64",
        "edits": [("\tlist_for_each_entry_srcu(e, &s->failed, list, "
                   "srcu_read_lock_held(&mod_stats_srcu)) {\n\t\tunsigned int reasons",
                   "\trcu_read_lock();\n\tlist_for_each_entry_srcu(e, &s->failed, list, "
                   "srcu_read_lock_held(&mod_stats_srcu)) {\n\t\tunsigned int reasons"),
                  ("\t\t\t   mod_fail_reason_names[reasons]);\n\t}\n}\n",
                   "\t\t\t   mod_fail_reason_names[reasons]);\n\t}\n\trcu_read_unlock();\n}\n")],
    },
    {
        "name": "buffer-sized-for-short-names",
        "what": "the stats file's buffer leaves out names longer than their column",
        "caught_by": ['um:stats_test_render_yields'],
        "kernels": "um",
        "edits": [(" + nr * MOD_STATS_ROW_BYTES +\n\t\t       READ_ONCE(s->name_excess);",
                   " + nr * MOD_STATS_ROW_BYTES;")],
    },
    {
        "name": "reader-never-yields",
        "caught_by": ['um:stats_test_render_yields'],
        "what": "a reader of thousands of names never lets others run",
        "kernels": "um",
        "edits": [("\t\tstats_next_name();\n\t\t/* Names that only",
                   "\t\t/* Names that only")],
    },
    {
        "name": "reset-split",
        "caught_by": ['um:stats_test_reset_split', 'x86_64:stats_test_reset_race'],
        "what": "a duplicate's name is recorded in the window live when it was caught",
        "kernels": "um x86_64",
        "edits": [("\tinfo->dup_name = name;\n\tinfo->dup_reason = reason;\n",
                   "\tint idx = srcu_read_lock(&mod_stats_srcu);\n\n"
                   "\tstats_add_failed(stats_window(&mod_stats_live), name, reason,\n"
                   "\t\t\t stats_wasted(info, 0, reason == FAIL_DUP_MOD_LOAD));\n"
                   "\tsrcu_read_unlock(&mod_stats_srcu, idx);\n"),
                  ("\tif (info->dup_name) {\n"
                   "\t\t/* Pairs with smp_rmb() in stats_render(): stage, then name. */\n"
                   "\t\tsmp_mb__after_atomic();\n"
                   "\t\tstats_add_failed(s, info->dup_name, info->dup_reason, wasted);\n"
                   "\t}\n", "")],
    },
    {
        "name": "stamp-outside-lock",
        "caught_by": ['um:stats_test_reset_stamp'],
        "what": "a window's start is read before resets are serialised",
        "kernels": "um",
        "edits": [("\tmutex_lock(&mod_stats_reset_lock);\n"
                   "\t/* Stamped under the lock, so that windows begin in the order published. */\n"
                   "\tnew->since_ns = stats_now();\n",
                   "\tnew->since_ns = stats_now();\n\tmutex_lock(&mod_stats_reset_lock);\n")],
    },
    {
        "name": "suite-swaps-live",
        "caught_by": ['um:stats_test_hooks_in_window'],
        "what": "a KUnit case counts in the running kernel's window",
        "kernels": "um",
        "file": SUITE,
        "edits": [("\tu64 val;\n\n\tstats_hook_loaded(sp, 300, 100);",
                   "\tu64 val;\n\n\ts = rcu_replace_pointer(mod_stats_live, s, true);\n"
                   "\tRCU_INIT_POINTER(*sp, s);\n\tsp = &mod_stats_live;\n"
                   "\ts = rcu_dereference_protected(*sp, true);\n"
                   "\tstats_hook_loaded(sp, 300, 100);")],
    },
    {
        "name": "counters-before-names",
        "caught_by": ['um:stats_test_render_consistent', 'x86_64:stats_test_render_consistent'],
        "what": "the counters are read before the names, so one text lists failures "
                "its counters miss",
        "kernels": "um x86_64",
        "edits": [("\tstats_render_rows(s, m);\n\trows = m->count - start;\n",
                   "\tstats_render_counters(s, m);\n\tstats_render_rows(s, m);\n"
                   "\treturn;\n\trows = m->count - start;\n")],
    },
    {
        "name": "move-without-room",
        "caught_by": ['um:stats_test_move_room'],
        "what": "the counter lines are moved through the buffer's tail without checking "
                "that it has room for them",
        "kernels": "um",
        "edits": [("\tif (m->size - m->count < head) {\n\t\tseq_commit(m, -1);\n\t\treturn;\n\t}\n", "")],
    },
    {
        "name": "no-room-to-move",
        "caught_by": ['um:stats_test_render_yields'],
        "what": "the stats file's buffer leaves no room to move the counter lines through, "
                "so every text is rendered twice",
        "kernels": "um",
        "edits": [("\t\tsize = 2 * MOD_STATS_HEAD_BYTES + nr * MOD_STATS_ROW_BYTES +\n",
                   "\t\tsize = MOD_STATS_HEAD_BYTES + nr * MOD_STATS_ROW_BYTES +\n")],
    },
    {
        "name": "render-per-read",
        "caught_by": ['e2e:stats.reads_during_storm'],
        "what": "the stats file is rendered again on every read(), as upstream's is, so a "
                "read in chunks stitches texts of different moments",
        "kernels": "e2e",
        "edits": [("/* debugfs proxies .read, not .read_iter. */\n"
                   "static const struct file_operations mod_stats_fops = {\n"
                   "\t.owner\t\t= THIS_MODULE,\n\t.open\t\t= mod_stats_open,\n"
                   "\t.read\t\t= seq_read,\n",
                   "static ssize_t mod_stats_read_each(struct file *file, char __user *ubuf,\n"
                   "\t\t\t\t   size_t count, loff_t *ppos)\n{\n"
                   "\tstruct seq_file m = { .private = file_inode(file)->i_private };\n"
                   "\tssize_t ret;\n\n"
                   "\tm.size = stats_file_size(m.private, false);\n"
                   "\tm.buf = kvmalloc(m.size, GFP_KERNEL);\n"
                   "\tif (!m.buf)\n\t\treturn -ENOMEM;\n"
                   "\tstats_show_window(&m, stats_render);\n"
                   "\tret = simple_read_from_buffer(ubuf, count, ppos, m.buf, m.count);\n"
                   "\tkvfree(m.buf);\n\treturn ret;\n}\n\n"
                   "/* debugfs proxies .read, not .read_iter. */\n"
                   "static const struct file_operations mod_stats_fops = {\n"
                   "\t.owner\t\t= THIS_MODULE,\n\t.open\t\t= mod_stats_open,\n"
                   "\t.read\t\t= mod_stats_read_each,\n")],
    },
    {
        "name": "decompress-bytes-as-becoming",
        "caught_by": ['e2e:stats.corrupt_xz'],
        "what": "a failed decompression adds its bytes to the becoming stage's",
        "kernels": "e2e",
        "edits": [("\tstats_add(s, MOD_STAT_FAILED_DECOMPRESS, MOD_STAT_INVALID_DECOMPRESS_BYTES, len);",
                   "\tstats_add(s, MOD_STAT_FAILED_DECOMPRESS, MOD_STAT_INVALID_BECOMING_BYTES, len);")],
    },
    {
        "name": "kread-bytes-always",
        "caught_by": ['e2e:stats.empty_file', 'e2e:stats.short_read', 'e2e:stats.huge_read'],
        "what": "a failed read counts the length asked for, whether or not a copy was made",
        "kernels": "e2e",
        "file": INTERNAL,
        "edits": [("\treturn info->hdr ? info->len : 0;\n",
                   "\treturn info->len ?: 1;\n")],
    },
    {
        "name": "kread-bytes-halved",
        "caught_by": ['e2e:stats.fault_read', 'e2e:trace.module_load_fail'],
        "what": "a failed read's bytes are halved on their way to the counter and the event",
        "kernels": "e2e",
        "file": INTERNAL,
        "edits": [("\treturn info->hdr ? info->len : 0;\n",
                   "\treturn info->hdr ? info->len / 2 : 0;\n")],
    },
    {
        "name": "plain-failure-bytes-dropped",
        "caught_by": ['e2e:stats.bad_elf', 'e2e:stats.wrong_vermagic'],
        "what": "a load that fails while becoming, not as a duplicate, wastes no byte",
        "kernels": "e2e",
        "edits": [("\tstats_add(s, count, bytes, wasted);\n\tif (info->dup_name) {",
                   "\tstats_add(s, count, bytes, info->dup_name ? wasted : 0);\n"
                   "\tif (info->dup_name) {")],
    },
    {
        "name": "render-outside-srcu",
        "caught_by": ['x86_64:kernel-log:suspicious RCU usage'],
        "what": "a reader renders a window after leaving the section that keeps it",
        "kernels": "x86_64",
        "edits": [("\tint idx = srcu_read_lock(&mod_stats_srcu);\n\n"
                   "\trender(stats_window(sp), m);\n\tsrcu_read_unlock(&mod_stats_srcu, idx);\n",
                   "\tint idx = srcu_read_lock(&mod_stats_srcu);\n"
                   "\tstruct mod_stats *s = stats_window(sp);\n\n"
                   "\tsrcu_read_unlock(&mod_stats_srcu, idx);\n\trender(s, m);\n")],
    },
    {
        "name": "merged-name-from-modinfo",
        "caught_by": ['um:stats_test_save_name'],
        "what": "merged loads are listed under modinfo's name, not the one the duplicate checks use",
        "kernels": "um",
        "file": INTERNAL,
        "edits": [("\tif (info->stats_name && info->mod)\n"
                   "\t\tmemcpy(info->stats_name->name, info->mod->name, sizeof(info->stats_name->name));\n",
                   "\tif (info->stats_name && info->name)\n"
                   "\t\tstrscpy(info->stats_name->name, info->name, sizeof(info->stats_name->name));\n")],
    },
    {
        "name": "read-iter-only",
        "what": "the text files give .read_iter only, which debugfs does not pass on",
        "caught_by": ['um:stats_test_open_files'],
        "kernels": "um",
        "edits": [("/* debugfs proxies .read, not .read_iter. */\n"
                   "static const struct file_operations mod_stats_fops = {\n"
                   "\t.owner\t\t= THIS_MODULE,\n\t.open\t\t= mod_stats_open,\n"
                   "\t.read\t\t= seq_read,\n",
                   "/* debugfs proxies .read, not .read_iter. */\n"
                   "static const struct file_operations mod_stats_fops = {\n"
                   "\t.owner\t\t= THIS_MODULE,\n\t.open\t\t= mod_stats_open,\n"
                   "\t.read_iter\t= seq_read_iter,\n")],
    },
    {
        "name": "kread-counts-unallocated",
        "caught_by": ['um:stats_test_hooks.kread of 1 byte, nothing allocated'],
        "what": "a refused init_module() adds its length to invalid_kread_bytes",
        "kernels": "um",
        "file": INTERNAL,
        "edits": [("\treturn info->hdr ? info->len : 0;\n",
                   "\treturn info->len;\n")],
    },
    {
        "name": "escape-white-space-only",
        "caught_by": ['um:stats_test_escape'],
        "what": "only space, tab, newline and backslash are escaped",
        "kernels": "um",
        "edits": [("#define MOD_STATS_ESCAPE\t(ESCAPE_OCTAL | ESCAPE_NAP | ESCAPE_APPEND)\n"
                   "#define MOD_STATS_ESCAPE_ALSO\t\" \\\\\"\n",
                   "#define MOD_STATS_ESCAPE\tESCAPE_OCTAL\n"
                   "#define MOD_STATS_ESCAPE_ALSO\t\" \\t\\n\\\\\"\n")],
    },
    {
        "name": "plain-name-with-backslash",
        "what": "a name with a backslash is taken for one that needs no escaping",
        "caught_by": ['um:stats_test_escape'],
        "kernels": "um",
        "edits": [("\t\tif (c <= ' ' || c >= 0x7f || c == '\\\\')\n",
                   "\t\tif (c <= ' ' || c >= 0x7f)\n")],
    },
    {
        "name": "cap-checked-after-alloc",
        "caught_by": ['um:stats_test_cap'],
        "what": "a full list allocates and frees an entry for every new name",
        "kernels": "um",
        "edits": [("\tif (READ_ONCE(s->nr_tracked) >= s->max_tracked)\n\t\treturn false;\n",
                   "")],
    },
    {
        "name": "cap-unchecked-under-lock",
        "caught_by": ['um:stats_test_cap_race'],
        "what": "a name allocated while the list filled up is added past the cap",
        "kernels": "um",
        "edits": [("\tif (e || !names || s->nr_tracked >= s->max_tracked)\n",
                   "\tif (e || !names)\n")],
    },
    {
        "name": "reset-takes-y",
        "caught_by": ['um:stats_test_reset_file'],
        "what": "reset accepts what kstrtobool() takes for true",
        "kernels": "um",
        "edits": [("\tif (val[0] != '1' || (count == 2 && val[1] != '\\n'))\n",
                   "\tif (!strchr(\"1yYtT\", val[0]) || (count == 2 && val[1] != '\\n'))\n")],
    },
    {
        "name": "oldest-first",
        "caught_by": ['um:stats_test_reasons', 'um:stats_test_golden'],
        "what": "the table lists the oldest name first",
        "kernels": "um",
        "edits": [("\tlist_add_rcu(&new->list, &s->failed);\n",
                   "\tlist_add_tail_rcu(&new->list, &s->failed);\n")],
    },
    {
        "name": "eager-hash-table",
        "caught_by": ['um:stats_test_table'],
        "what": "every window has its hash table from the start, as upstream's list sat in .bss",
        "kernels": "um",
        "edits": [("\tINIT_LIST_HEAD(&s->failed);\n\ts->max_tracked = max_tracked;\n",
                   "\tINIT_LIST_HEAD(&s->failed);\n"
                   "\trcu_assign_pointer(s->names, kvcalloc(MOD_STATS_HASH_SIZE,\n"
                   "\t\t\t\t\t\t  sizeof(struct hlist_head), GFP_KERNEL));\n"
                   "\ts->max_tracked = max_tracked;\n")],
    },
    {
        "name": "load-bytes-once",
        "caught_by": ['e2e:stats.unknown_symbol'],
        "what": "a load that failed after layout counts its copy only, not the final allocation",
        "kernels": "e2e",
        "edits": [("\t\t\t  load_info_wasted(info, flags, true));\n",
                   "\t\t\t  load_info_wasted(info, flags, false));\n")],
    },
    {
        "name": "load-event-bytes-once",
        "caught_by": ['e2e:trace.module_load_fail'],
        "what": "the event of a load that failed after layout reports its copy only",
        "kernels": "e2e",
        "file": MAIN,
        "edits": [("\t\t\t       load_info_wasted(info, flags, true), err);\n",
                   "\t\t\t       load_info_wasted(info, flags, false), err);\n")],
    },
    {
        "name": "table-replaced",
        "caught_by": ['um:stats_test_table_race'],
        "what": "a table allocated while another task published one replaces it",
        "kernels": "um",
        "edits": [("\tif (*table && !rcu_access_pointer(s->names)) {\n",
                   "\tif (*table) {\n")],
    },
    {
        "name": "success-path-outside-rcu",
        "caught_by": ['x86_64:kernel-log:suspicious RCU usage'],
        "what": "a successful load takes the window without a read-side section",
        "kernels": "x86_64",
        "edits": [("\trcu_read_lock();\n\tstats_bump_loaded(rcu_dereference(*sp), total_size, text_size);\n"
                   "\trcu_read_unlock();\n",
                   "\tstats_bump_loaded(rcu_dereference(*sp), total_size, text_size);\n")],
    },
]


def main(argv):
    if argv[1:] == ["list"]:
        for m in MUTATIONS:
            if not m.get("caught_by"):
                sys.exit(f"mutations.py: {m['name']} names no check that must catch it")
            print(f"{m['name']}\t{m['kernels']}\t{m['what']}\t{'|'.join(m['caught_by'])}")
        return 0
    if len(argv) == 4 and argv[1] == "check":
        # The file is the project's own if it has it, else the tree's (the
        # files only the series makes); each edit must match exactly once.
        bad = 0
        for m in MUTATIONS:
            f = m.get("file", STATS)
            path = os.path.join(argv[2], f)
            if not os.path.exists(path):
                path = os.path.join(argv[3], f)
            try:
                text = open(path).read()
                counts = [text.count(old) for old, _ in m["edits"]]
            except OSError as e:
                counts = [str(e)]
            if all(n == 1 for n in counts):
                print(f"PASS mutation-fits:{m['name']}")
            else:
                bad = 1
                print(f"FAIL mutation-fits:{m['name']} -- the code to change occurs {counts} "
                      f"times in {path}, not once each")
        return bad
    if len(argv) == 3 and argv[1] == "file":
        found = [m for m in MUTATIONS if m["name"] == argv[2]]
        if not found:
            sys.exit(f"mutations.py: no mutation named {argv[2]}")
        print(found[0].get("file", STATS))
        return 0
    if len(argv) == 4 and argv[1] == "apply":
        found = [m for m in MUTATIONS if m["name"] == argv[2]]
        if not found:
            sys.exit(f"mutations.py: no mutation named {argv[2]}")
        m = found[0]
        path = os.path.join(argv[3], m.get("file", STATS))
        with open(path) as f:
            text = f.read()
        for old, new in m["edits"]:
            n = text.count(old)
            if n != 1:
                sys.exit(f"mutations.py: {m['name']}: the code to change occurs {n} times "
                         f"in {path}, not once; update harness/mutations.py")
            text = text.replace(old, new)
        with open(path, "w") as f:
            f.write(text)
        return 0
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
