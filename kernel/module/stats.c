// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Module loading statistics: what loading modules cost, and what was thrown
 * away because a load failed.
 */

#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/debugfs.h>
#include <linux/hashtable.h>
#include <linux/math64.h>
#include <linux/kstrtox.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/rculist.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>
#include <linux/stringhash.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/vmalloc.h>
#include <kunit/static_stub.h>
#include <trace/events/module.h>
#include <uapi/linux/module.h>

#include "internal.h"

/**
 * DOC: module debugging statistics overview
 *
 * With CONFIG_MODULE_STATS the kernel keeps counters of how much memory module
 * loading used and how much of it was spent on loads that failed. They exist
 * to find waste during boot, where userspace (udev above all) and kernel
 * auto-loading through request_module() often ask for the same module many
 * times at once, and to tell which of the two asked.
 *
 * A finit_module() call may allocate memory three times before it can fail:
 *
 *   a) kernel_read_file() reads the whole file into a vmalloc() buffer;
 *   b) for a compressed file, module_decompress() builds a second, vmap()ed
 *      copy, and the first buffer is freed;
 *   c) layout_and_allocate() allocates the module's final home.
 *
 * A failure is counted once, at the stage it happened, and its byte counter
 * gets every byte that was allocated for that load and then freed unused.
 *
 * All counters are 64-bit atomics that only grow, until a write to the reset
 * file starts a new measurement window. Updating them takes no lock, and
 * reading them never blocks module loading.
 */

/**
 * DOC: dup_failed_modules - tracks duplicate failed modules
 *
 * Most failed loads on a typical boot are duplicates: a module of the same
 * name is already loaded, or another task is loading it right now. The
 * memory such a load allocated is freed without ever being used. There are
 * two places where a duplicate is caught, and each is one "reason":
 *
 *   a) FAIL_DUP_MOD_BECOMING ("Becoming"): at the end of early_mod_check(),
 *      before layout_and_allocate(). The file's buffer (and, for a
 *      compressed file, its decompressed copy) was wasted.
 *   b) FAIL_DUP_MOD_LOAD ("Load"): in add_unformed_module(), after
 *      layout_and_allocate(). The module's final allocation was wasted too.
 *
 * Every module name that failed this way is tracked once, with the number of
 * failures and the set of reasons seen. Recording a failure is a hash table
 * lookup; a name is allocated only the first time it fails. At most
 * %MOD_STATS_MAX_TRACKED names are tracked. Failures that cannot be tracked,
 * because that cap was reached or memory ran out, are still counted, in
 * "Untracked dup failures".
 *
 * A non-empty list points at work to do in userspace or in the kernel: each
 * entry is a module that was asked for again before its first load finished.
 */

/**
 * DOC: module statistics debugfs counters
 *
 * The files live in /sys/kernel/debug/modules/ and are readable by root only.
 * ``stats`` renders everything below in one text file; each counter also has
 * a file of its own that holds one decimal number.
 *
 * The memory wasted by failed loads is the sum of the four ``invalid_*``
 * byte counters. ``stats`` shows it as "Virtual mem wasted bytes".
 *
 *   * total_mod_size: bytes of memory used by every module that was loaded
 *     successfully.
 *   * total_text_size: the part of total_mod_size that holds code (.text and
 *     .init.text).
 *   * invalid_kread_bytes: bytes lost to loads that failed while reading the
 *     module from userspace. Rare unless memory is short.
 *   * invalid_decompress_bytes: bytes of compressed files whose decompression
 *     failed. A corrupt file or a broken compressor; memory pressure at worst.
 *   * invalid_becoming_bytes: bytes of module copies thrown away between a
 *     successful read and layout_and_allocate(): a bad signature, ELF or
 *     version magic, a blacklisted module, or, most often, a duplicate of a
 *     module that is loaded or being loaded. For a compressed file, the size
 *     of the compressed file read is added as well.
 *   * invalid_mod_bytes: bytes lost by loads that failed after
 *     layout_and_allocate(). Twice the module's size, because both the copy
 *     read from userspace and the final allocation are freed, plus the size
 *     of the compressed file if there was one.
 *   * modcount: modules loaded successfully.
 *   * failed_kreads: loads that failed while reading the module.
 *   * failed_decompress: loads that failed to decompress.
 *   * failed_becoming: loads that failed after the read and before
 *     layout_and_allocate().
 *   * failed_load_modules: loads that failed after layout_and_allocate().
 *     These usually mean two loads of one module raced past
 *     early_mod_check() together, as when a request is issued per CPU.
 *   * untracked_dup_failures: duplicate failures that were counted but could
 *     not be listed by name (see the cap above).
 *   * merged_loads: finit_module() calls that found a load of the same file
 *     in progress, waited for it and returned its result. They waste no
 *     memory and are not failures, but each was a redundant request.
 *
 * ``dup_failures`` lists the same names as the table in ``stats``, with who
 * and when, and the names that had merged loads. Its first line is a
 * version, ``# module dup_failures v2``; the second names the fields; then
 * each line is one name, in the order first seen, with ten fields separated
 * by single spaces:
 *
 *   name failures becoming load wasted_bytes first_ns last_ns last_pid last_comm merged
 *
 * ``becoming`` and ``load`` count the failures per reason, ``wasted_bytes``
 * is the memory those loads allocated and freed, the times are
 * CLOCK_BOOTTIME in nanoseconds, and ``last_pid``/``last_comm`` name the task
 * whose load failed latest. White space and backslashes in ``last_comm`` are
 * escaped as octal (``\040``); it is ``-`` for a name that only had merged
 * loads. ``merged`` counts the merged loads of the name. A new version adds
 * fields at the end.
 *
 * Each failure counted above also fires the module:module_load_fail trace
 * event, in the failing task, with the name if it was read, the stage, the
 * bytes wasted and the error, so that a tracer can show who asked.
 *
 * Writing ``1`` to ``reset`` (root only) starts a new measurement window:
 * every counter and both lists start again from zero, at once, so that a
 * reader sees either the old window or the new one. The ``Window start ns``
 * line of ``stats`` says when the window began (CLOCK_BOOTTIME, 0 for the
 * window that began at boot), so that a reset is not mistaken for a quiet
 * boot. Any other value written is refused with -EINVAL and changes nothing.
 */

enum mod_stat_item {
	MOD_STAT_TOTAL_MOD_SIZE,
	MOD_STAT_TOTAL_TEXT_SIZE,
	MOD_STAT_INVALID_KREAD_BYTES,
	MOD_STAT_INVALID_DECOMPRESS_BYTES,
	MOD_STAT_INVALID_BECOMING_BYTES,
	MOD_STAT_INVALID_MOD_BYTES,
	MOD_STAT_MODCOUNT,
	MOD_STAT_FAILED_KREADS,
	MOD_STAT_FAILED_DECOMPRESS,
	MOD_STAT_FAILED_BECOMING,
	MOD_STAT_FAILED_LOAD_MODULES,
	MOD_STAT_UNTRACKED_DUPS,
	MOD_STAT_MERGED_LOADS,
	MOD_STAT_COUNT,
};

/* Names of the per-counter debugfs files. */
static const char *const mod_stat_names[] = {
	[MOD_STAT_TOTAL_MOD_SIZE]		= "total_mod_size",
	[MOD_STAT_TOTAL_TEXT_SIZE]		= "total_text_size",
	[MOD_STAT_INVALID_KREAD_BYTES]		= "invalid_kread_bytes",
	[MOD_STAT_INVALID_DECOMPRESS_BYTES]	= "invalid_decompress_bytes",
	[MOD_STAT_INVALID_BECOMING_BYTES]	= "invalid_becoming_bytes",
	[MOD_STAT_INVALID_MOD_BYTES]		= "invalid_mod_bytes",
	[MOD_STAT_MODCOUNT]			= "modcount",
	[MOD_STAT_FAILED_KREADS]		= "failed_kreads",
	[MOD_STAT_FAILED_DECOMPRESS]		= "failed_decompress",
	[MOD_STAT_FAILED_BECOMING]		= "failed_becoming",
	[MOD_STAT_FAILED_LOAD_MODULES]		= "failed_load_modules",
	[MOD_STAT_UNTRACKED_DUPS]		= "untracked_dup_failures",
	[MOD_STAT_MERGED_LOADS]			= "merged_loads",
};

static_assert(ARRAY_SIZE(mod_stat_names) == MOD_STAT_COUNT);

/* The "label<TAB>value" lines of the stats file, in their historical order. */
static const struct {
	const char *label;
	enum mod_stat_item item;
} mod_stat_lines[] = {
	{ "Mods ever loaded",		MOD_STAT_MODCOUNT },
	{ "Mods failed on kread",	MOD_STAT_FAILED_KREADS },
	{ "Mods failed on decompress",	MOD_STAT_FAILED_DECOMPRESS },
	{ "Mods failed on becoming",	MOD_STAT_FAILED_BECOMING },
	{ "Mods failed on load",	MOD_STAT_FAILED_LOAD_MODULES },
	{ "Total module size",		MOD_STAT_TOTAL_MOD_SIZE },
	{ "Total mod text size",	MOD_STAT_TOTAL_TEXT_SIZE },
	{ "Failed kread bytes",		MOD_STAT_INVALID_KREAD_BYTES },
	{ "Failed decompress bytes",	MOD_STAT_INVALID_DECOMPRESS_BYTES },
	{ "Failed becoming bytes",	MOD_STAT_INVALID_BECOMING_BYTES },
	{ "Failed kmod bytes",		MOD_STAT_INVALID_MOD_BYTES },
};

/* Averages, each shown only when both of its counters are non-zero. */
static const struct {
	const char *label;
	enum mod_stat_item bytes;
	enum mod_stat_item count;
} mod_stat_averages[] = {
	{ "Average mod size", MOD_STAT_TOTAL_MOD_SIZE, MOD_STAT_MODCOUNT },
	{ "Average mod text size", MOD_STAT_TOTAL_TEXT_SIZE, MOD_STAT_MODCOUNT },
	{ "Avg fail kread bytes", MOD_STAT_INVALID_KREAD_BYTES, MOD_STAT_FAILED_KREADS },
	{ "Avg fail becoming bytes", MOD_STAT_INVALID_BECOMING_BYTES, MOD_STAT_FAILED_BECOMING },
	{ "Avg fail decomp bytes", MOD_STAT_INVALID_DECOMPRESS_BYTES, MOD_STAT_FAILED_DECOMPRESS },
	{ "Average fail load bytes", MOD_STAT_INVALID_MOD_BYTES, MOD_STAT_FAILED_LOAD_MODULES },
};

#define MOD_FAIL_BECOMING	BIT(FAIL_DUP_MOD_BECOMING)
#define MOD_FAIL_LOAD		BIT(FAIL_DUP_MOD_LOAD)
#define MOD_FAIL_REASONS	(MOD_FAIL_BECOMING | MOD_FAIL_LOAD)

/* Indexed by the set of reasons a name has failed for. */
static const char *const mod_fail_reason_names[] = {
	[MOD_FAIL_BECOMING]			= "Becoming",
	[MOD_FAIL_LOAD]				= "Load",
	[MOD_FAIL_BECOMING | MOD_FAIL_LOAD]	= "Becoming & Load",
};

static_assert(ARRAY_SIZE(mod_fail_reason_names) == MOD_FAIL_REASONS + 1);

/*
 * The most module names tracked at once. A distribution kernel ships about
 * 6,000 modules; an entry is 128 bytes of slab (192 for names longer than 19
 * characters) on 64-bit without lock debugging, so the list stays below 3 MiB.
 */
#define MOD_STATS_MAX_TRACKED	16384
#define MOD_STATS_HASH_BITS	12

#define MOD_FAIL_NR_REASONS	(FAIL_DUP_MOD_LOAD + 1)

/**
 * struct mod_fail_load - a module name that failed to load as a duplicate
 * @hnode: entry in &mod_stats.names, keyed by @hash
 * @list: entry in &mod_stats.failed, oldest first
 * @count: failures of this name, per enum fail_dup_mod_reason
 * @wasted: bytes allocated and freed by those failures
 * @merged: finit_module() calls that waited for a load of this name
 * @last_lock: keeps @first_ns and the "last" fields from one failure
 * @last_pid: pid of the task whose load failed latest
 * @first_ns: CLOCK_BOOTTIME of the first failure, 0 if none yet
 * @last_ns: CLOCK_BOOTTIME of the latest failure
 * @last_comm: its command name
 * @hash: full_name_hash() of @name
 * @name: the module's name, NUL-terminated
 *
 * Entries are published with RCU and never freed while the instance that
 * holds them is in use.
 */
struct mod_fail_load {
	struct hlist_node hnode;
	struct list_head list;
	atomic64_t count[MOD_FAIL_NR_REASONS];
	atomic64_t wasted;
	atomic64_t merged;
	/* Taken by each failure of this name, to update the times and task. */
	spinlock_t last_lock;
	pid_t last_pid;
	u64 first_ns;
	u64 last_ns;
	char last_comm[TASK_COMM_LEN];
	u32 hash;
	char name[];
};

/**
 * struct mod_stats - all module load statistics of one instance
 * @counters: the counters, indexed by enum mod_stat_item
 * @lock: serialises adding entries to @names and @failed
 * @nr_tracked: entries in @failed, under @lock
 * @max_tracked: most entries @failed may hold
 * @since_ns: CLOCK_BOOTTIME when this measurement window began, 0 at boot
 * @failed: duplicate failures by name, in the order first seen (RCU)
 * @names: the same entries, hashed by name (RCU)
 *
 * The kernel has one instance per measurement window; tests build their own.
 */
struct mod_stats {
	atomic64_t counters[MOD_STAT_COUNT];
	/* Writers adding a name take it; readers walk the list under RCU. */
	spinlock_t lock;
	unsigned int nr_tracked;
	unsigned int max_tracked;
	u64 since_ns;
	struct list_head failed;
	DECLARE_HASHTABLE(names, MOD_STATS_HASH_BITS);
};

/* The window from boot to the first reset. */
static struct mod_stats mod_stats_boot = {
	.lock		= __SPIN_LOCK_UNLOCKED(mod_stats_boot.lock),
	.max_tracked	= MOD_STATS_MAX_TRACKED,
	.failed		= LIST_HEAD_INIT(mod_stats_boot.failed),
};

/*
 * The current window. Hooks and readers use it inside mod_stats_srcu; a
 * reset publishes a new one and frees the old one once they are done. SRCU
 * rather than RCU because recording the first failure of a name allocates.
 */
DEFINE_STATIC_SRCU(mod_stats_srcu);
static struct mod_stats __rcu *mod_stats_live = RCU_INITIALIZER(&mod_stats_boot);
/* Serialises resets. */
static DEFINE_MUTEX(mod_stats_reset_lock);

#define live_stats()	srcu_dereference(mod_stats_live, &mod_stats_srcu)

static void stats_init(struct mod_stats *s, unsigned int max_tracked)
{
	spin_lock_init(&s->lock);
	INIT_LIST_HEAD(&s->failed);
	hash_init(s->names);
	s->max_tracked = max_tracked;
}

/* Free an instance nobody uses any more. */
static void stats_free(struct mod_stats *s)
{
	struct mod_fail_load *e, *tmp;

	list_for_each_entry_safe(e, tmp, &s->failed, list)
		kfree(e);
	if (s != &mod_stats_boot)
		vfree(s);
}

static void stats_add(struct mod_stats *s, enum mod_stat_item count,
		      enum mod_stat_item bytes, u64 nbytes)
{
	atomic64_inc(&s->counters[count]);
	atomic64_add(nbytes, &s->counters[bytes]);
}

/* Bytes of the compressed file behind @info, if it was one. */
static u64 stats_compressed_len(const struct load_info *info, int flags)
{
#ifdef CONFIG_MODULE_DECOMPRESS
	if (flags & MODULE_INIT_COMPRESSED_FILE)
		return info->compressed_len;
#endif
	return 0;
}

/*
 * Bytes a failed load allocated and freed: the module read from userspace,
 * the final allocation too if it got that far, and the compressed file.
 */
static u64 stats_wasted(const struct load_info *info, u64 compressed, bool laid_out)
{
	return (u64)info->len * (laid_out ? 2 : 1) + compressed;
}

static void stats_bump_loaded(struct mod_stats *s, unsigned int total_size,
			      unsigned int text_size)
{
	stats_add(s, MOD_STAT_MODCOUNT, MOD_STAT_TOTAL_MOD_SIZE, total_size);
	atomic64_add(text_size, &s->counters[MOD_STAT_TOTAL_TEXT_SIZE]);
}

/*
 * Each failed load is counted at one stage and, at that moment, reported by
 * the module_load_fail trace event, so that a tracer can see who called.
 */
static void stats_bump_kread(struct mod_stats *s, unsigned long len, int err)
{
	stats_add(s, MOD_STAT_FAILED_KREADS, MOD_STAT_INVALID_KREAD_BYTES, len);
	trace_module_load_fail("", MODULE_LOAD_FAIL_KREAD, len, err);
}

static void stats_bump_decompress(struct mod_stats *s, unsigned long len, int err)
{
	stats_add(s, MOD_STAT_FAILED_DECOMPRESS, MOD_STAT_INVALID_DECOMPRESS_BYTES, len);
	trace_module_load_fail("", MODULE_LOAD_FAIL_DECOMPRESS, len, err);
}

static void stats_bump_invalid(struct mod_stats *s, const struct load_info *info,
			       int flags, int err)
{
	u64 wasted = stats_wasted(info, stats_compressed_len(info, flags), true);

	stats_add(s, MOD_STAT_FAILED_LOAD_MODULES, MOD_STAT_INVALID_MOD_BYTES, wasted);
	trace_module_load_fail(info->name ?: "", MODULE_LOAD_FAIL_LOAD, wasted, err);
}

static void stats_bump_becoming(struct mod_stats *s, const struct load_info *info,
				int flags, int err)
{
	u64 wasted = stats_wasted(info, stats_compressed_len(info, flags), false);

	stats_add(s, MOD_STAT_FAILED_BECOMING, MOD_STAT_INVALID_BECOMING_BYTES, wasted);
	trace_module_load_fail(info->name ?: "", MODULE_LOAD_FAIL_BECOMING, wasted, err);
}

static struct mod_fail_load *stats_lookup(struct mod_stats *s, const char *name,
					  size_t len, u32 hash)
{
	struct mod_fail_load *e;

	hash_for_each_possible_rcu(s->names, e, hnode, hash, lockdep_is_held(&s->lock)) {
		if (e->hash == hash && !e->name[len] && !memcmp(e->name, name, len))
			return e;
	}
	return NULL;
}

/* A separate function so that tests can make it fail. */
static struct mod_fail_load *mod_fail_alloc(const char *name, size_t len)
{
	struct mod_fail_load *e;

	KUNIT_STATIC_STUB_REDIRECT(mod_fail_alloc, name, len);

	e = kzalloc(struct_size(e, name, len + 1), GFP_KERNEL);
	if (e) {
		spin_lock_init(&e->last_lock);
		memcpy(e->name, name, len);
	}
	return e;
}

/* A separate function so that tests can set the time. */
static u64 stats_now(void)
{
	KUNIT_STATIC_STUB_REDIRECT(stats_now);

	return ktime_get_boottime_ns();
}

/*
 * What happened to a load of @e's name: one duplicate failure by the current
 * task, or, if @merged is not 0, that many finit_module() calls that waited
 * for the load and took its result.
 */
struct mod_fail_event {
	enum fail_dup_mod_reason reason;
	unsigned int merged;
	u64 wasted;
	u64 now;
	pid_t pid;
	char comm[TASK_COMM_LEN];
};

static void mod_fail_count(struct mod_fail_load *e, const struct mod_fail_event *ev)
{
	if (ev->merged) {
		atomic64_add(ev->merged, &e->merged);
		return;
	}
	atomic64_inc(&e->count[ev->reason]);
	atomic64_add(ev->wasted, &e->wasted);

	spin_lock(&e->last_lock);
	if (!e->first_ns)
		e->first_ns = ev->now;
	/* Racing failures may arrive out of order; keep the latest. */
	if (ev->now >= e->last_ns) {
		e->last_ns = ev->now;
		e->last_pid = ev->pid;
		memcpy(e->last_comm, ev->comm, sizeof(e->last_comm));
	}
	spin_unlock(&e->last_lock);
}

static u64 mod_fail_total(struct mod_fail_load *e)
{
	u64 total = 0;
	int i;

	for (i = 0; i < MOD_FAIL_NR_REASONS; i++)
		total += atomic64_read(&e->count[i]);
	return total;
}

static unsigned int mod_fail_reasons(struct mod_fail_load *e)
{
	unsigned int mask = 0;
	int i;

	for (i = 0; i < MOD_FAIL_NR_REASONS; i++)
		if (atomic64_read(&e->count[i]))
			mask |= BIT(i);
	return mask;
}

/*
 * Count @ev under @name, adding the name if it is new. Returns false if the
 * name is new and could not be added: the list is full or memory is short.
 */
static bool stats_record(struct mod_stats *s, const char *name,
			 const struct mod_fail_event *ev)
{
	size_t len = strnlen(name, MODULE_NAME_LEN - 1);
	u32 hash = full_name_hash(NULL, name, len);
	struct mod_fail_load *e, *new;

	rcu_read_lock();
	e = stats_lookup(s, name, len, hash);
	if (e)
		mod_fail_count(e, ev);
	rcu_read_unlock();
	if (e)
		return true;

	/* A new name: allocate outside the lock, then look again. */
	new = mod_fail_alloc(name, len);

	spin_lock(&s->lock);
	e = stats_lookup(s, name, len, hash);
	if (!e && new && s->nr_tracked < s->max_tracked) {
		new->hash = hash;
		/* Counted before it is published, so no reader sees a zero. */
		mod_fail_count(new, ev);
		hash_add_rcu(s->names, &new->hnode, hash);
		list_add_tail_rcu(&new->list, &s->failed);
		s->nr_tracked++;
		e = new;
		new = NULL;
	} else if (e) {
		mod_fail_count(e, ev);
	}
	spin_unlock(&s->lock);

	kfree(new);
	return e;
}

static void stats_add_failed(struct mod_stats *s, const char *name,
			     enum fail_dup_mod_reason reason, u64 wasted)
{
	struct mod_fail_event ev = {
		.reason = reason,
		.wasted = wasted,
		.now = stats_now(),
		.pid = task_pid_nr(current),
	};

	/* As the tracepoints do: the current task's own name, without its lock. */
	memcpy(ev.comm, current->comm, sizeof(ev.comm));
	if (!stats_record(s, name, &ev))
		atomic64_inc(&s->counters[MOD_STAT_UNTRACKED_DUPS]);
}

static void stats_add_merged(struct mod_stats *s, const char *name,
			     unsigned int merged)
{
	struct mod_fail_event ev = { .merged = merged };

	atomic64_add(merged, &s->counters[MOD_STAT_MERGED_LOADS]);
	/* The name is unknown if the load failed before reading it. */
	if (name && *name)
		stats_record(s, name, &ev);
}

static void stats_render(struct mod_stats *s, struct seq_file *m)
{
	u64 v[MOD_STAT_COUNT];
	struct mod_fail_load *e;
	bool header = false;
	u64 wasted;
	int i;

	for (i = 0; i < MOD_STAT_COUNT; i++)
		v[i] = atomic64_read(&s->counters[i]);

	for (i = 0; i < ARRAY_SIZE(mod_stat_lines); i++)
		seq_printf(m, "%25s\t%llu\n", mod_stat_lines[i].label,
			   v[mod_stat_lines[i].item]);

	wasted = v[MOD_STAT_INVALID_KREAD_BYTES] + v[MOD_STAT_INVALID_DECOMPRESS_BYTES] +
		 v[MOD_STAT_INVALID_BECOMING_BYTES] + v[MOD_STAT_INVALID_MOD_BYTES];
	seq_printf(m, "%25s\t%llu\n", "Virtual mem wasted bytes", wasted);

	for (i = 0; i < ARRAY_SIZE(mod_stat_averages); i++) {
		u64 bytes = v[mod_stat_averages[i].bytes];
		u64 count = v[mod_stat_averages[i].count];

		if (bytes && count)
			seq_printf(m, "%25s\t%llu\n", mod_stat_averages[i].label,
				   div64_u64(bytes + count - 1, count));
	}

	seq_printf(m, "%25s\t%llu\n", "Untracked dup failures", v[MOD_STAT_UNTRACKED_DUPS]);
	seq_printf(m, "%25s\t%llu\n", "Merged loads", v[MOD_STAT_MERGED_LOADS]);
	seq_printf(m, "%25s\t%llu\n", "Window start ns", s->since_ns);

	rcu_read_lock();
	list_for_each_entry_rcu(e, &s->failed, list) {
		unsigned int reasons = mod_fail_reasons(e);

		/* Names that only had merged loads are in dup_failures. */
		if (!reasons)
			continue;
		if (!header) {
			seq_puts(m, "Duplicate failed modules:\n");
			seq_printf(m, "%25s\t%15s\t%25s\n", "Module-name", "How-many-times",
				   "Reason");
			header = true;
		}
		seq_printf(m, "%25s\t%15llu\t%25s\n", e->name, mod_fail_total(e),
			   mod_fail_reason_names[reasons]);
	}
	rcu_read_unlock();
}

/*
 * The dup_failures file: a version line, a comment naming the fields, then
 * one line per name in the order first seen. The command name has its white
 * space and backslashes escaped as octal (\040), and is "-" while the name
 * has had no failure, so that a line splits on white space into exactly ten
 * fields.
 */
static void stats_render_dups(struct mod_stats *s, struct seq_file *m)
{
	struct mod_fail_load *e;

	seq_puts(m, "# module dup_failures v2\n");
	seq_puts(m, "# name failures becoming load wasted_bytes first_ns last_ns last_pid last_comm");
	seq_puts(m, " merged\n");

	rcu_read_lock();
	list_for_each_entry_rcu(e, &s->failed, list) {
		char comm[TASK_COMM_LEN];
		u64 first_ns, last_ns;
		pid_t pid;

		spin_lock(&e->last_lock);
		first_ns = e->first_ns;
		last_ns = e->last_ns;
		pid = e->last_pid;
		memcpy(comm, e->last_comm, sizeof(comm));
		spin_unlock(&e->last_lock);

		seq_printf(m, "%s %llu %llu %llu %llu %llu %llu %d ", e->name, mod_fail_total(e),
			   (u64)atomic64_read(&e->count[FAIL_DUP_MOD_BECOMING]),
			   (u64)atomic64_read(&e->count[FAIL_DUP_MOD_LOAD]),
			   (u64)atomic64_read(&e->wasted), first_ns, last_ns, pid);
		if (comm[0])
			seq_escape(m, comm, " \t\n\\");
		else
			seq_putc(m, '-');
		seq_printf(m, " %llu\n", (u64)atomic64_read(&e->merged));
	}
	rcu_read_unlock();
}

/*
 * Start a new measurement window in *@sp: a reader sees the old window or
 * the new one, whole, never a mix.
 */
static int stats_reset(struct mod_stats __rcu **sp)
{
	struct mod_stats *new, *old;

	new = vzalloc(sizeof(*new));
	if (!new)
		return -ENOMEM;
	stats_init(new, MOD_STATS_MAX_TRACKED);
	new->since_ns = stats_now();

	mutex_lock(&mod_stats_reset_lock);
	old = rcu_replace_pointer(*sp, new, lockdep_is_held(&mod_stats_reset_lock));
	mutex_unlock(&mod_stats_reset_lock);

	/* Hooks and readers still in the old window finish with it first. */
	synchronize_srcu(&mod_stats_srcu);
	stats_free(old);
	return 0;
}

/**
 * mod_stat_bump_loaded() - account a module that loaded successfully
 * @total_size: bytes of memory the module occupies
 * @text_size: the part of @total_size that holds code
 *
 * Context: Any context.
 */
void mod_stat_bump_loaded(unsigned int total_size, unsigned int text_size)
{
	int idx = srcu_read_lock(&mod_stats_srcu);

	stats_bump_loaded(live_stats(), total_size, text_size);
	srcu_read_unlock(&mod_stats_srcu, idx);
}

/**
 * mod_stat_bump_kread() - account a load that failed reading the module
 * @len: bytes allocated for the read and freed, 0 if unknown
 * @err: the error the load returns
 *
 * Context: Any context.
 */
void mod_stat_bump_kread(unsigned long len, int err)
{
	int idx = srcu_read_lock(&mod_stats_srcu);

	stats_bump_kread(live_stats(), len, err);
	srcu_read_unlock(&mod_stats_srcu, idx);
}

/**
 * mod_stat_bump_decompress() - account a load that failed to decompress
 * @len: bytes of the compressed file that was read and freed
 * @err: the error the load returns
 *
 * Context: Any context.
 */
void mod_stat_bump_decompress(unsigned long len, int err)
{
	int idx = srcu_read_lock(&mod_stats_srcu);

	stats_bump_decompress(live_stats(), len, err);
	srcu_read_unlock(&mod_stats_srcu, idx);
}

/**
 * mod_stat_bump_becoming() - account a load that failed before layout
 * @info: the load, with the length of the module read from userspace
 * @flags: the finit_module() flags of the load
 * @err: the error the load returns
 *
 * Context: Any context.
 */
void mod_stat_bump_becoming(struct load_info *info, int flags, int err)
{
	int idx = srcu_read_lock(&mod_stats_srcu);

	stats_bump_becoming(live_stats(), info, flags, err);
	srcu_read_unlock(&mod_stats_srcu, idx);
}

/**
 * mod_stat_bump_invalid() - account a load that failed after layout
 * @info: the load, with the length of the module read from userspace
 * @flags: the finit_module() flags of the load
 * @err: the error the load returns
 *
 * Context: Any context.
 */
void mod_stat_bump_invalid(struct load_info *info, int flags, int err)
{
	int idx = srcu_read_lock(&mod_stats_srcu);

	stats_bump_invalid(live_stats(), info, flags, err);
	srcu_read_unlock(&mod_stats_srcu, idx);
}

/**
 * mod_stat_save_name() - keep the name of a load for mod_stat_bump_merged()
 * @info: the load, about to free its copy of the module
 *
 * Copies the module's name, if it was read, to @info->stats_name, if the
 * caller of load_module() asked for it there.
 *
 * Context: Any context.
 */
void mod_stat_save_name(const struct load_info *info)
{
	if (info->stats_name && info->name)
		strscpy(info->stats_name, info->name, MODULE_NAME_LEN);
}

/**
 * mod_stat_bump_merged() - account finit_module() calls that shared a load
 * @name: the module's name, or an empty string if the load never read it
 * @merged: how many calls waited for the load and took its result
 *
 * Such calls cost no memory, but each was a redundant request: it is
 * counted, and listed under @name in dup_failures.
 *
 * Context: Process context; may sleep to allocate the first entry of @name.
 */
void mod_stat_bump_merged(const char *name, unsigned int merged)
{
	int idx = srcu_read_lock(&mod_stats_srcu);

	stats_add_merged(live_stats(), name, merged);
	srcu_read_unlock(&mod_stats_srcu, idx);
}

/**
 * try_add_failed_module() - record a load that failed as a duplicate
 * @name: the module's name
 * @reason: where the duplicate was caught
 * @info: the failed load, for the bytes it wasted
 *
 * Records the failure under @name with the bytes it wasted, the time and the
 * current task. A failure that cannot be listed by name, because the list is
 * full or memory is short, is counted as untracked instead.
 *
 * Context: Process context; may sleep to allocate the first entry of @name.
 */
void try_add_failed_module(const char *name, enum fail_dup_mod_reason reason,
			   const struct load_info *info)
{
	u64 compressed = 0;
	int idx;

#ifdef CONFIG_MODULE_DECOMPRESS
	/* Set only when this load decompressed its file. */
	compressed = info->compressed_len;
#endif
	idx = srcu_read_lock(&mod_stats_srcu);
	stats_add_failed(live_stats(), name, reason,
			 stats_wasted(info, compressed, reason == FAIL_DUP_MOD_LOAD));
	srcu_read_unlock(&mod_stats_srcu, idx);
}

/* Render the window that the file's private data (&mod_stats_live) points to. */
static int stats_show_window(struct seq_file *m,
			     void (*render)(struct mod_stats *s, struct seq_file *m))
{
	struct mod_stats __rcu **sp = m->private;
	int idx = srcu_read_lock(&mod_stats_srcu);

	render(srcu_dereference(*sp, &mod_stats_srcu), m);
	srcu_read_unlock(&mod_stats_srcu, idx);
	return 0;
}

static int mod_stats_show(struct seq_file *m, void *v)
{
	return stats_show_window(m, stats_render);
}
DEFINE_SHOW_ATTRIBUTE(mod_stats);

static int mod_dups_show(struct seq_file *m, void *v)
{
	return stats_show_window(m, stats_render_dups);
}
DEFINE_SHOW_ATTRIBUTE(mod_dups);

/* A counter file's private data is its enum mod_stat_item. */
static int mod_stat_counter_get(void *data, u64 *val)
{
	int idx = srcu_read_lock(&mod_stats_srcu);

	*val = atomic64_read(&live_stats()->counters[(unsigned long)data]);
	srcu_read_unlock(&mod_stats_srcu, idx);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(mod_stat_counter_fops, mod_stat_counter_get, NULL, "%llu\n");

/* Writing 1 (or y) starts a new window; anything else is refused. */
static ssize_t mod_stats_reset_write(struct file *file, const char __user *buf,
				     size_t count, loff_t *ppos)
{
	bool reset;
	int err;

	err = kstrtobool_from_user(buf, count, &reset);
	if (err)
		return err;
	if (!reset)
		return -EINVAL;
	err = stats_reset(file->private_data);
	return err ?: count;
}

static const struct file_operations mod_stats_reset_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= mod_stats_reset_write,
	.llseek	= noop_llseek,
};

static int __init module_stats_init(void)
{
	unsigned long i;

	for (i = 0; i < MOD_STAT_COUNT; i++)
		debugfs_create_file_unsafe(mod_stat_names[i], 0400, mod_debugfs_root,
					   (void *)i, &mod_stat_counter_fops);
	debugfs_create_file("stats", 0400, mod_debugfs_root, &mod_stats_live, &mod_stats_fops);
	debugfs_create_file("dup_failures", 0400, mod_debugfs_root, &mod_stats_live,
			    &mod_dups_fops);
	debugfs_create_file("reset", 0200, mod_debugfs_root, &mod_stats_live,
			    &mod_stats_reset_fops);
	return 0;
}
module_init(module_stats_init);

#ifdef CONFIG_MODULE_STATS_KUNIT_TEST
#include "tests/stats_kunit.c"
#endif
