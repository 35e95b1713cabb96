// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Module loading statistics: what loading modules cost, and what was thrown
 * away because a load failed.
 *
 * Copyright (C) 2023 Luis Chamberlain <mcgrof@kernel.org>
 */

#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/debugfs.h>
#include <linux/hash.h>
#include <linux/math64.h>
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
#include <linux/string_helpers.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <kunit/static_stub.h>
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
 * gets every byte that was allocated for that load and then freed unused:
 * nothing, if the load failed before anything was allocated.
 *
 * All counters are 64-bit atomics that only grow, until a write to the reset
 * file starts a new measurement window. Updating them takes no lock, and
 * reading them never blocks module loading.
 */

/**
 * DOC: duplicate failed modules
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
 * In both places the load first waits for a load of the same name that is
 * in progress to finish. It then fails with -EEXIST if a module of that
 * name is live, or with -EBUSY if none is: the other load failed, or the
 * module is being removed.
 *
 * try_add_failed_module() notes the name and the reason on the load; the
 * failure is recorded when the load is counted as failed, together with its
 * stage counter, in the same measurement window. Every module name that failed
 * this way is listed once, with the number of failures and the set of reasons
 * seen. Recording a failure is a hash table lookup; a name is allocated only
 * the first time it is recorded. At most %MOD_STATS_MAX_TRACKED names are
 * listed, counting the names that so far only had merged loads (see
 * merged_loads below). Once the list is full, no new name is allocated, and
 * failures that cannot be listed, because of the cap or because memory ran out,
 * are still counted, in "Untracked dup failures".
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
 *   * invalid_kread_bytes: bytes allocated for a copy of the module and freed
 *     by init_module() calls that failed while copying it from userspace:
 *     after a fault or a security module's refusal of the bytes read. A call
 *     refused before the copy was allocated (too short for an ELF header, or
 *     no memory) adds nothing, and so does a failed finit_module() read,
 *     whose buffer kernel_read_file() frees without saying how large it was.
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
 * After the counters and averages, ``stats`` has lines that older kernels
 * did not print, "label<TAB>value" like the others:
 *
 *   * "Untracked dup failures": untracked_dup_failures;
 *   * "Merged loads": merged_loads;
 *   * "Window start ns": when the measurement window began (see reset below).
 *
 * Then comes the table of duplicate failures, newest name first, as it
 * always was: a name's place is set when it is first recorded, by a failure
 * or a merged load, and later failures do not move it. Names that only had
 * merged loads are not in the table.
 *
 * ``dup_failures`` lists the same names with who and when, and the names
 * that had merged loads, in the same order. Its first line is a version,
 * ``# module dup_failures v1``; the second names the fields; then each line
 * is one name with ten fields separated by single spaces:
 *
 *   name failures becoming load wasted_bytes first_ns last_ns last_pid last_comm merged
 *
 * ``becoming`` and ``load`` count the failures per reason, ``wasted_bytes``
 * is the memory those loads allocated and freed, ``first_ns`` and
 * ``last_ns`` are the earliest and the latest failure in CLOCK_BOOTTIME
 * nanoseconds, and ``last_pid``/``last_comm`` name the task whose load failed
 * latest. In ``name`` and ``last_comm``, every byte that is not printable
 * ASCII, the space and the backslash are written as a backslash and three
 * octal digits (``\040`` for a space), so that a line always splits into
 * ten fields; ``stats`` escapes names the same way.
 * ``last_comm`` is ``-`` for a name that only had merged loads. ``merged``
 * counts the merged loads of the name. Readers must ignore fields past the
 * ones they know: new ones are added at the end, and the version changes
 * only if a field changes its meaning.
 *
 * Each failure counted above also fires the module:module_load_fail trace
 * event, from main.c and whether or not the statistics are built, in the
 * failing task, with the name if it was read, the stage, the bytes wasted
 * and the error that the load returns: -EEXIST or -EBUSY for a duplicate,
 * any other error for other failures, including -ERESTARTSYS when a signal
 * interrupted a load that waited for another one.
 *
 * Writing ``1`` (with or without a newline) to ``reset`` (root only) starts a
 * new measurement window: every counter and both lists start again from
 * zero, at once, so that a reader sees either the old window or the new one,
 * and each failed load is counted, stage and name, in exactly one window.
 * The ``Window start ns`` line of ``stats`` says when the window began
 * (CLOCK_BOOTTIME, 0 for the window that began at boot), so that a reset is
 * not mistaken for a quiet boot. Any other write is refused with -EINVAL and
 * changes nothing.
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
 * The most module names listed at once. A distribution kernel ships about
 * 6,000 modules; on 64-bit without lock debugging an entry takes 128 bytes
 * of slab for a name of up to 15 characters and 192 bytes for a longer one,
 * so a full list takes 3 MiB at most. The hash table of 4096 heads, 32 KiB
 * on 64-bit, is allocated with the first name.
 */
#define MOD_STATS_MAX_TRACKED	16384
#define MOD_STATS_HASH_BITS	12
#define MOD_STATS_HASH_SIZE	BIT(MOD_STATS_HASH_BITS)

#define MOD_FAIL_NR_REASONS	(FAIL_DUP_MOD_LOAD + 1)

/* The column the table of the stats file gives a name. */
#define MOD_STATS_NAME_COLS	25

/* How names and command names are written: one field, whatever the bytes. */
#define MOD_STATS_ESCAPE	(ESCAPE_OCTAL | ESCAPE_NAP | ESCAPE_APPEND)
#define MOD_STATS_ESCAPE_ALSO	" \\"

/**
 * struct mod_fail_load - a module name with duplicate failures or merged loads
 * @hnode: entry in &mod_stats.names, keyed by @hash
 * @list: entry in &mod_stats.failed, newest first
 * @count: failures of this name, per enum fail_dup_mod_reason
 * @wasted: bytes allocated and freed by those failures
 * @merged: finit_module() calls that waited for a load of this name
 * @last_lock: keeps @first_ns and the "last" fields from one failure
 * @last_pid: pid of the task whose load failed latest
 * @first_ns: CLOCK_BOOTTIME of the earliest failure, 0 if none yet
 * @last_ns: CLOCK_BOOTTIME of the latest failure
 * @last_comm: its command name
 * @hash: stats_hash() of @name
 * @len: length of @name, compared before its bytes
 * @name: the module's name, @len bytes and a NUL
 *
 * Entries are published with RCU list primitives and freed only with the
 * window that holds them, after an SRCU grace period.
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
	u8 len;
	char name[];
};

static_assert(MODULE_NAME_LEN - 1 <= U8_MAX);

/**
 * struct mod_stats - all module load statistics of one measurement window
 * @counters: the counters, indexed by enum mod_stat_item
 * @lock: serialises adding entries to @names and @failed
 * @nr_tracked: entries in @failed; written under @lock
 * @name_bytes: sum of the lengths of their names; written under @lock
 * @name_excess: how far those names exceed the 25 columns of the table of
 *	the stats file, in all; written under @lock
 * @max_tracked: most entries @failed may hold
 * @since_ns: CLOCK_BOOTTIME when this measurement window began, 0 at boot
 * @failed: duplicate failures by name, newest first (RCU list)
 * @names: the same entries, hashed by name (RCU lists), in a table of
 *	%MOD_STATS_HASH_SIZE heads allocated with the first entry
 *
 * The kernel has one instance per measurement window; tests build their own.
 */
struct mod_stats {
	atomic64_t counters[MOD_STAT_COUNT];
	/* Writers adding a name take it; readers walk the lists under SRCU. */
	spinlock_t lock;
	unsigned int nr_tracked;
	unsigned int name_bytes;
	unsigned int name_excess;
	unsigned int max_tracked;
	u64 since_ns;
	struct list_head failed;
	struct hlist_head __rcu *names;
};

/* The window from boot to the first reset. */
static struct mod_stats mod_stats_boot = {
	.lock		= __SPIN_LOCK_UNLOCKED(mod_stats_boot.lock),
	.max_tracked	= MOD_STATS_MAX_TRACKED,
	.failed		= LIST_HEAD_INIT(mod_stats_boot.failed),
};

/*
 * The current window. Hooks and readers use it inside mod_stats_srcu, which
 * also protects the entries of its lists; a reset publishes a new window and
 * frees the old one once they are done. SRCU rather than RCU because
 * recording the first failure of a name allocates, and a reader renders
 * thousands of names and may reschedule between them.
 */
DEFINE_STATIC_SRCU(mod_stats_srcu);
static struct mod_stats __rcu *mod_stats_live = RCU_INITIALIZER(&mod_stats_boot);
/* Serialises resets: the start time and the publication of a window. */
static DEFINE_MUTEX(mod_stats_reset_lock);

#define stats_window(sp)	srcu_dereference(*(sp), &mod_stats_srcu)

static void stats_init(struct mod_stats *s, unsigned int max_tracked)
{
	spin_lock_init(&s->lock);
	INIT_LIST_HEAD(&s->failed);
	s->max_tracked = max_tracked;
}

/* Free an instance nobody uses any more. */
static void stats_free(struct mod_stats *s)
{
	struct mod_fail_load *e, *tmp;

	list_for_each_entry_safe(e, tmp, &s->failed, list)
		kfree(e);
	kvfree(rcu_dereference_protected(s->names, true));
	if (s != &mod_stats_boot)
		kfree(s);
}

static void stats_add(struct mod_stats *s, enum mod_stat_item count,
		      enum mod_stat_item bytes, u64 nbytes)
{
	atomic64_inc(&s->counters[count]);
	atomic64_add(nbytes, &s->counters[bytes]);
}

/* A separate function so that tests can make names collide. */
static u32 stats_hash(const char *name, size_t len)
{
	KUNIT_STATIC_STUB_REDIRECT(stats_hash, name, len);

	return full_name_hash(NULL, name, len);
}

/* The hash table of @s, NULL before its first name. */
static struct hlist_head *stats_names(struct mod_stats *s)
{
	return srcu_dereference_check(s->names, &mod_stats_srcu, lockdep_is_held(&s->lock));
}

/* Called inside mod_stats_srcu, or with @s->lock held. */
static struct mod_fail_load *stats_lookup(struct mod_stats *s, const char *name,
					  size_t len, u32 hash)
{
	struct hlist_head *names = stats_names(s);
	struct mod_fail_load *e;

	/* No table yet: no name has been recorded. */
	if (!names)
		return NULL;
	hlist_for_each_entry_srcu(e, &names[hash_32(hash, MOD_STATS_HASH_BITS)], hnode,
				  srcu_read_lock_held(&mod_stats_srcu) ||
				  lockdep_is_held(&s->lock)) {
		if (e->hash == hash && e->len == len && !memcmp(e->name, name, len))
			return e;
	}
	return NULL;
}

/* A separate function so that tests can make it fail. */
static struct mod_fail_load *mod_fail_alloc(const char *name, size_t len)
{
	struct mod_fail_load *e;

	KUNIT_STATIC_STUB_REDIRECT(mod_fail_alloc, name, len);

	/* A failure to allocate is counted as untracked; no need to warn. */
	e = kzalloc(struct_size(e, name, len + 1), GFP_KERNEL | __GFP_NOWARN);
	if (e) {
		spin_lock_init(&e->last_lock);
		e->len = len;
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
	/* Racing failures may arrive out of order; keep the earliest. */
	if (!e->first_ns || ev->now < e->first_ns)
		e->first_ns = ev->now;
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

/* A separate function so that tests can make it fail. */
static struct hlist_head *stats_alloc_names(void)
{
	KUNIT_STATIC_STUB_REDIRECT(stats_alloc_names);

	/* Empty heads are all zeroes. A failure is counted as untracked. */
	return kvcalloc(MOD_STATS_HASH_SIZE, sizeof(struct hlist_head),
			GFP_KERNEL | __GFP_NOWARN);
}

/*
 * Publish @new, counted, unless another task added its name first or the
 * list is full. Takes over *@table, the table allocated for a window's first
 * name, if @s has none yet. Returns the entry now listed under the name, or NULL.
 */
static struct mod_fail_load *stats_insert(struct mod_stats *s, struct mod_fail_load *new,
					  struct hlist_head **table, size_t len, u32 hash)
{
	struct hlist_head *names;
	struct mod_fail_load *e;

	lockdep_assert_held(&s->lock);
	if (*table && !rcu_access_pointer(s->names)) {
		rcu_assign_pointer(s->names, *table);
		*table = NULL;
	}
	e = stats_lookup(s, new->name, len, hash);
	names = stats_names(s);
	if (e || !names || s->nr_tracked >= s->max_tracked)
		return e;

	new->hash = hash;
	hlist_add_head_rcu(&new->hnode, &names[hash_32(hash, MOD_STATS_HASH_BITS)]);
	list_add_rcu(&new->list, &s->failed);
	WRITE_ONCE(s->nr_tracked, s->nr_tracked + 1);
	WRITE_ONCE(s->name_bytes, s->name_bytes + len);
	if (len > MOD_STATS_NAME_COLS)
		WRITE_ONCE(s->name_excess, s->name_excess + len - MOD_STATS_NAME_COLS);
	return new;
}

/*
 * Count @ev under @name, adding the name if it is new. Returns false if the
 * name is new and could not be added: the list is full or memory is short.
 * Called inside mod_stats_srcu; may sleep to allocate.
 */
static bool stats_record(struct mod_stats *s, const char *name,
			 const struct mod_fail_event *ev)
{
	size_t len = strnlen(name, MODULE_NAME_LEN - 1);
	u32 hash = stats_hash(name, len);
	struct hlist_head *table = NULL;
	struct mod_fail_load *e, *new;

	RCU_LOCKDEP_WARN(!srcu_read_lock_held(&mod_stats_srcu),
			 "module stats recorded outside mod_stats_srcu");
	e = stats_lookup(s, name, len, hash);
	if (e) {
		mod_fail_count(e, ev);
		return true;
	}
	/* A full list allocates nothing; the count is checked again below. */
	if (READ_ONCE(s->nr_tracked) >= s->max_tracked)
		return false;
	/* A new name: allocate outside the lock, then look again. */
	if (!rcu_access_pointer(s->names))
		table = stats_alloc_names();
	new = mod_fail_alloc(name, len);
	/* Counted before it can be published, so no reader sees a zero. */
	if (new)
		mod_fail_count(new, ev);

	spin_lock(&s->lock);
	e = new ? stats_insert(s, new, &table, len, hash) : stats_lookup(s, name, len, hash);
	spin_unlock(&s->lock);

	kvfree(table);
	if (e != new) {
		kfree(new);
		/* Another task added the name meanwhile: count the failure there. */
		if (e)
			mod_fail_count(e, ev);
	}
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

static void stats_bump_loaded(struct mod_stats *s, unsigned int total_size,
			      unsigned int text_size)
{
	stats_add(s, MOD_STAT_MODCOUNT, MOD_STAT_TOTAL_MOD_SIZE, total_size);
	atomic64_add(text_size, &s->counters[MOD_STAT_TOTAL_TEXT_SIZE]);
}

static void stats_bump_kread(struct mod_stats *s, const struct load_info *info)
{
	stats_add(s, MOD_STAT_FAILED_KREADS, MOD_STAT_INVALID_KREAD_BYTES,
		  load_info_read_wasted(info));
}

static void stats_bump_decompress(struct mod_stats *s, unsigned long len)
{
	stats_add(s, MOD_STAT_FAILED_DECOMPRESS, MOD_STAT_INVALID_DECOMPRESS_BYTES, len);
}

/*
 * A load that failed wasted @wasted bytes. If it was a duplicate, its name
 * is recorded too, in the same window as the stage counter, so that a reset
 * never puts the two in different windows.
 */
static void stats_bump_failed(struct mod_stats *s, const struct load_info *info,
			      enum mod_stat_item count, enum mod_stat_item bytes, u64 wasted)
{
	stats_add(s, count, bytes, wasted);
	if (info->dup_name) {
		/* Pairs with smp_rmb() in stats_render(): stage, then name. */
		smp_mb__after_atomic();
		stats_add_failed(s, info->dup_name, info->dup_reason, wasted);
	}
}

static void stats_bump_invalid(struct mod_stats *s, const struct load_info *info, int flags)
{
	stats_bump_failed(s, info, MOD_STAT_FAILED_LOAD_MODULES, MOD_STAT_INVALID_MOD_BYTES,
			  load_info_wasted(info, flags, true));
}

static void stats_bump_becoming(struct mod_stats *s, const struct load_info *info, int flags)
{
	stats_bump_failed(s, info, MOD_STAT_FAILED_BECOMING, MOD_STAT_INVALID_BECOMING_BYTES,
			  load_info_wasted(info, flags, false));
}

/*
 * Whether @len bytes of @str are written as they are: all printable ASCII
 * other than the space and the backslash, the bytes MOD_STATS_ESCAPE leaves
 * alone.
 */
static bool stats_plain(const char *str, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = str[i];

		if (c <= ' ' || c >= 0x7f || c == '\\')
			return false;
	}
	return true;
}

/* Write @len bytes of @str as one field, escaped, right-aligned in @width. */
static void stats_put_field(struct seq_file *m, const char *str, size_t len, int width)
{
	int n;

	if (stats_plain(str, len)) {
		seq_printf(m, "%*.*s", width, (int)len, str);
		return;
	}
	n = string_escape_mem(str, len, NULL, 0, MOD_STATS_ESCAPE, MOD_STATS_ESCAPE_ALSO);
	if (width > n)
		seq_printf(m, "%*s", width - n, "");
	seq_escape_mem(m, str, len, MOD_STATS_ESCAPE, MOD_STATS_ESCAPE_ALSO);
}

/*
 * Between two names of a list: a reader of thousands of names holds only
 * SRCU, so it lets others run. A separate function so that tests can check.
 */
static void stats_next_name(void)
{
	KUNIT_STATIC_STUB_REDIRECT(stats_next_name);

	cond_resched();
}

/*
 * The text of the stats file: at most 21 counter lines of 25 + 1 + 20 + 1
 * bytes and the two lines that head the table, then a row of 68 bytes for
 * each name that fits in its column and is printed as it is; and room for
 * the counter lines once more, to move them through (stats_render()).
 * dup_failures: its two header lines, then about 112 bytes a line besides
 * the name.
 */
#define MOD_STATS_HEAD_BYTES	1152
#define MOD_STATS_ROW_BYTES	68
#define MOD_DUPS_HEAD_BYTES	128
#define MOD_DUPS_ROW_BYTES	112

/* The rows of the table of window @s: one for each name with a failure. */
static void stats_render_rows(struct mod_stats *s, struct seq_file *m)
{
	struct mod_fail_load *e;
	bool header = false;

	list_for_each_entry_srcu(e, &s->failed, list, srcu_read_lock_held(&mod_stats_srcu)) {
		unsigned int reasons = mod_fail_reasons(e);

		stats_next_name();
		/* Names that only had merged loads are in dup_failures. */
		if (!reasons)
			continue;
		if (!header) {
			seq_puts(m, "Duplicate failed modules:\n");
			seq_printf(m, "%25s\t%15s\t%25s\n", "Module-name", "How-many-times",
				   "Reason");
			header = true;
		}
		/* Most names need no escaping: then the row is one call. */
		if (stats_plain(e->name, e->len)) {
			seq_printf(m, "%*s\t%15llu\t%25s\n", MOD_STATS_NAME_COLS, e->name,
				   mod_fail_total(e), mod_fail_reason_names[reasons]);
			continue;
		}
		stats_put_field(m, e->name, e->len, MOD_STATS_NAME_COLS);
		seq_printf(m, "\t%15llu\t%25s\n", mod_fail_total(e),
			   mod_fail_reason_names[reasons]);
	}
}

/*
 * Move the counter lines, written at the end of @m's text after the @rows
 * bytes of the table that start at @start, in front of the table, through
 * the buffer's free tail (stats_file_size() leaves room for them there).
 * Without the room, mark the buffer full: seq_file then renders the text
 * again in a buffer twice as large.
 */
static void stats_move_counters(struct seq_file *m, size_t start, size_t rows)
{
	size_t head = m->count - start - rows;

	if (m->size - m->count < head) {
		seq_commit(m, -1);
		return;
	}
	memcpy(m->buf + m->count, m->buf + start + rows, head);
	memmove(m->buf + start + head, m->buf + start, rows);
	memcpy(m->buf + start, m->buf + m->count, head);
}

/* The counter lines of window @s. */
static void stats_render_counters(struct mod_stats *s, struct seq_file *m)
{
	u64 v[MOD_STAT_COUNT];
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
}

/*
 * Render window @s as the stats file: the counters, then the table of
 * names. Called inside mod_stats_srcu.
 *
 * A duplicate is counted at its stage before its name is counted, so the
 * names are read first and the counters after them: then no name in one
 * text counts a failure that its counters miss. The counter lines, written
 * last, are then moved in front of the table.
 */
static void stats_render(struct mod_stats *s, struct seq_file *m)
{
	size_t start = m->count, rows;

	RCU_LOCKDEP_WARN(!srcu_read_lock_held(&mod_stats_srcu),
			 "module stats rendered outside mod_stats_srcu");
	stats_render_rows(s, m);
	rows = m->count - start;
	/* Pairs with smp_mb__after_atomic() in stats_bump_failed(). */
	smp_rmb();
	stats_render_counters(s, m);
	/* seq_file renders the text again in a larger buffer. */
	if (seq_has_overflowed(m))
		return;
	stats_move_counters(m, start, rows);
}

/*
 * Render window @s as the dup_failures file: a version line, a comment
 * naming the fields, then one line of ten fields per name, newest first.
 * Called inside mod_stats_srcu.
 */
static void stats_render_dups(struct mod_stats *s, struct seq_file *m)
{
	struct mod_fail_load *e;

	RCU_LOCKDEP_WARN(!srcu_read_lock_held(&mod_stats_srcu),
			 "module stats rendered outside mod_stats_srcu");
	seq_puts(m, "# module dup_failures v1\n");
	seq_puts(m, "# name failures becoming load wasted_bytes first_ns last_ns last_pid last_comm");
	seq_puts(m, " merged\n");

	list_for_each_entry_srcu(e, &s->failed, list, srcu_read_lock_held(&mod_stats_srcu)) {
		char comm[TASK_COMM_LEN];
		u64 first_ns, last_ns;
		pid_t pid;

		stats_next_name();
		spin_lock(&e->last_lock);
		first_ns = e->first_ns;
		last_ns = e->last_ns;
		pid = e->last_pid;
		memcpy(comm, e->last_comm, sizeof(comm));
		spin_unlock(&e->last_lock);

		stats_put_field(m, e->name, e->len, 0);
		seq_printf(m, " %llu %llu %llu %llu %llu %llu %d ", mod_fail_total(e),
			   (u64)atomic64_read(&e->count[FAIL_DUP_MOD_BECOMING]),
			   (u64)atomic64_read(&e->count[FAIL_DUP_MOD_LOAD]),
			   (u64)atomic64_read(&e->wasted), first_ns, last_ns, pid);
		if (comm[0])
			stats_put_field(m, comm, strnlen(comm, sizeof(comm)), 0);
		else
			seq_putc(m, '-');
		seq_printf(m, " %llu\n", (u64)atomic64_read(&e->merged));
	}
}

/*
 * Start a new measurement window in *@sp: a reader sees the old window or
 * the new one, whole, never a mix. @retire gets the old window once nobody
 * uses it: stats_free(), or a test's check of what it held.
 */
static int __stats_reset(struct mod_stats __rcu **sp, void (*retire)(struct mod_stats *s))
{
	struct mod_stats *new, *old;

	new = kzalloc(sizeof(*new), GFP_KERNEL);
	if (!new)
		return -ENOMEM;
	stats_init(new, MOD_STATS_MAX_TRACKED);

	mutex_lock(&mod_stats_reset_lock);
	/* Stamped under the lock, so that windows begin in the order published. */
	new->since_ns = stats_now();
	old = rcu_replace_pointer(*sp, new, lockdep_is_held(&mod_stats_reset_lock));
	mutex_unlock(&mod_stats_reset_lock);

	/* Hooks and readers still in the old window finish with it first. */
	synchronize_rcu();
	synchronize_srcu(&mod_stats_srcu);
	retire(old);
	return 0;
}

static int stats_reset(struct mod_stats __rcu **sp)
{
	return __stats_reset(sp, stats_free);
}

/*
 * The hooks below count in the window *@sp: &mod_stats_live for the
 * functions main.c calls, a private one for tests. Each takes the window
 * once, so that everything one call counts goes to the same window.
 *
 * A successful load only adds to counters, so it takes the window inside
 * plain RCU, which costs nothing on most kernels, rather than SRCU with its
 * full barriers; a reset waits for both. A failure may record a name, which
 * allocates, so it takes SRCU.
 */
static void stats_hook_loaded(struct mod_stats __rcu **sp, unsigned int total_size,
			      unsigned int text_size)
{
	rcu_read_lock();
	stats_bump_loaded(rcu_dereference(*sp), total_size, text_size);
	rcu_read_unlock();
}

static void stats_hook_kread(struct mod_stats __rcu **sp, const struct load_info *info)
{
	int idx = srcu_read_lock(&mod_stats_srcu);

	stats_bump_kread(stats_window(sp), info);
	srcu_read_unlock(&mod_stats_srcu, idx);
}

static void stats_hook_decompress(struct mod_stats __rcu **sp, unsigned long len)
{
	int idx = srcu_read_lock(&mod_stats_srcu);

	stats_bump_decompress(stats_window(sp), len);
	srcu_read_unlock(&mod_stats_srcu, idx);
}

static void stats_hook_becoming(struct mod_stats __rcu **sp, const struct load_info *info,
				int flags)
{
	int idx = srcu_read_lock(&mod_stats_srcu);

	stats_bump_becoming(stats_window(sp), info, flags);
	srcu_read_unlock(&mod_stats_srcu, idx);
}

static void stats_hook_invalid(struct mod_stats __rcu **sp, const struct load_info *info,
			       int flags)
{
	int idx = srcu_read_lock(&mod_stats_srcu);

	stats_bump_invalid(stats_window(sp), info, flags);
	srcu_read_unlock(&mod_stats_srcu, idx);
}

static void stats_hook_merged(struct mod_stats __rcu **sp, const char *name,
			      unsigned int merged)
{
	int idx = srcu_read_lock(&mod_stats_srcu);

	stats_add_merged(stats_window(sp), name, merged);
	srcu_read_unlock(&mod_stats_srcu, idx);
}

/**
 * mod_stat_bump_loaded() - account a module that loaded successfully
 * @total_size: bytes of memory the module occupies
 * @text_size: the part of @total_size that holds code
 *
 * Context: Any context except NMI.
 */
void mod_stat_bump_loaded(unsigned int total_size, unsigned int text_size)
{
	stats_hook_loaded(&mod_stats_live, total_size, text_size);
}

/**
 * mod_stat_bump_kread() - account a load that failed reading the module
 * @info: the load; @info->hdr is set if a copy of the module was allocated,
 *	which the caller frees, and @info->len is then its size
 *
 * Context: Any context except NMI.
 */
void mod_stat_bump_kread(const struct load_info *info)
{
	stats_hook_kread(&mod_stats_live, info);
}

/**
 * mod_stat_bump_decompress() - account a load that failed to decompress
 * @len: bytes of the compressed file that was read and freed
 *
 * Context: Any context except NMI.
 */
void mod_stat_bump_decompress(unsigned long len)
{
	stats_hook_decompress(&mod_stats_live, len);
}

/**
 * mod_stat_bump_becoming() - account a load that failed before layout
 * @info: the load, with the length of the module read from userspace
 * @flags: the finit_module() flags of the load
 *
 * If try_add_failed_module() noted the load as a duplicate, its name is
 * recorded too.
 *
 * Context: Process context; may sleep to allocate the first entry of a name.
 */
void mod_stat_bump_becoming(const struct load_info *info, int flags)
{
	stats_hook_becoming(&mod_stats_live, info, flags);
}

/**
 * mod_stat_bump_invalid() - account a load that failed after layout
 * @info: the load, with the length of the module read from userspace
 * @flags: the finit_module() flags of the load
 *
 * If try_add_failed_module() noted the load as a duplicate, its name is
 * recorded too.
 *
 * Context: Process context; may sleep to allocate the first entry of a name.
 */
void mod_stat_bump_invalid(const struct load_info *info, int flags)
{
	stats_hook_invalid(&mod_stats_live, info, flags);
}

/**
 * mod_stat_bump_merged() - account finit_module() calls that shared a load
 * @name: the name mod_stat_save_name() kept, empty if the load never read it,
 *	and not terminated if it is MODULE_NAME_LEN bytes long
 * @merged: how many calls waited for the load and took its result
 *
 * Such calls cost no memory, but each was a redundant request: it is
 * counted, and listed under the name in dup_failures.
 *
 * Context: Process context; may sleep to allocate the first entry of a name.
 */
void mod_stat_bump_merged(const struct mod_stat_name *name, unsigned int merged)
{
	stats_hook_merged(&mod_stats_live, name->name, merged);
}

/**
 * try_add_failed_module() - note that a load failed as a duplicate
 * @name: the module's name, valid until the load is counted as failed
 * @reason: where the duplicate was caught
 * @info: the failing load
 *
 * The failure is recorded under @name, with the bytes it wasted, the time and
 * the current task, when mod_stat_bump_becoming() or mod_stat_bump_invalid()
 * counts the load, in the same window as its stage counter. A failure that
 * cannot be listed by name, because the list is full or memory is short, is
 * counted as untracked instead.
 *
 * Context: Any context.
 */
void try_add_failed_module(const char *name, enum fail_dup_mod_reason reason,
			   struct load_info *info)
{
	info->dup_name = name;
	info->dup_reason = reason;
}

/*
 * What one open file renders: the window its private data (&mod_stats_live)
 * points to, when it is first read. Entries are freed only after an SRCU
 * grace period, so SRCU alone protects the walk, which may reschedule.
 */
static int stats_show_file(struct seq_file *m,
			   void (*render)(struct mod_stats *s, struct seq_file *m))
{
	struct mod_stats __rcu **sp = m->private;
	int idx = srcu_read_lock(&mod_stats_srcu);

	render(stats_window(sp), m);
	srcu_read_unlock(&mod_stats_srcu, idx);
	return 0;
}

/*
 * A buffer for a file of window *@sp, sized when the file is opened from
 * the names it lists then, so that the text is usually rendered once:
 * @dups for dup_failures, else stats. seq_file renders it again in a
 * buffer twice as large if it does not fit: names added meanwhile, escaped
 * names, or in dup_failures very large counters.
 */
static size_t stats_file_size(struct mod_stats __rcu **sp, bool dups)
{
	int idx = srcu_read_lock(&mod_stats_srcu);
	struct mod_stats *s = stats_window(sp);
	size_t nr = READ_ONCE(s->nr_tracked), size;

	if (dups)
		size = MOD_DUPS_HEAD_BYTES + nr * MOD_DUPS_ROW_BYTES + READ_ONCE(s->name_bytes);
	else
		size = 2 * MOD_STATS_HEAD_BYTES + nr * MOD_STATS_ROW_BYTES +
		       READ_ONCE(s->name_excess);
	srcu_read_unlock(&mod_stats_srcu, idx);
	return size;
}

static int mod_stats_show(struct seq_file *m, void *v)
{
	return stats_show_file(m, stats_render);
}

static int mod_stats_open(struct inode *inode, struct file *file)
{
	return single_open_size(file, mod_stats_show, inode->i_private,
				stats_file_size(inode->i_private, false));
}

/* debugfs proxies .read, not .read_iter. */
static const struct file_operations mod_stats_fops = {
	.owner		= THIS_MODULE,
	.open		= mod_stats_open,
	.read		= seq_read,
	.llseek		= seq_lseek,
	.release	= single_release,
};

static int mod_dups_show(struct seq_file *m, void *v)
{
	return stats_show_file(m, stats_render_dups);
}

static int mod_dups_open(struct inode *inode, struct file *file)
{
	return single_open_size(file, mod_dups_show, inode->i_private,
				stats_file_size(inode->i_private, true));
}

static const struct file_operations mod_dups_fops = {
	.owner		= THIS_MODULE,
	.open		= mod_dups_open,
	.read		= seq_read,
	.llseek		= seq_lseek,
	.release	= single_release,
};

static int stats_counter_read(struct mod_stats __rcu **sp, enum mod_stat_item item, u64 *val)
{
	int idx = srcu_read_lock(&mod_stats_srcu);

	*val = atomic64_read(&stats_window(sp)->counters[item]);
	srcu_read_unlock(&mod_stats_srcu, idx);
	return 0;
}

/* A counter file's private data is its enum mod_stat_item. */
static int mod_stat_counter_get(void *data, u64 *val)
{
	return stats_counter_read(&mod_stats_live, (unsigned long)data, val);
}
DEFINE_DEBUGFS_ATTRIBUTE(mod_stat_counter_fops, mod_stat_counter_get, NULL, "%llu\n");

/* Writing "1" or "1\n" starts a new window; anything else is refused. */
static ssize_t mod_stats_reset_write(struct file *file, const char __user *buf,
				     size_t count, loff_t *ppos)
{
	char val[2];
	int err;

	if (!count || count > sizeof(val))
		return -EINVAL;
	if (copy_from_user(val, buf, count))
		return -EFAULT;
	if (val[0] != '1' || (count == 2 && val[1] != '\n'))
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
