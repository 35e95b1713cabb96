// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * KUnit tests for module statistics.
 *
 * Included at the end of stats.c so that it reaches the static functions.
 * Every case builds its own windows and calls the hooks on them; none reads
 * into, resets or frees the statistics of the running kernel, so the suite
 * may run at any time, while modules load.
 */

#include <kunit/test.h>
#include <linux/cpumask.h>
#include <linux/mman.h>
#include <linux/fs.h>
#include <linux/kthread.h>
#include <linux/uio.h>
#include <linux/vmalloc.h>

#define SZ_3G_BYTES	0xc0000000UL

/* Where a test's load_info says its copy of the module was. */
static char stats_test_copy[1];

static void stats_test_free(void *data)
{
	stats_free(data);
}

static struct mod_stats *stats_test_new(struct kunit *test, unsigned int max_tracked)
{
	struct mod_stats *s = kzalloc(sizeof(*s), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, s);
	stats_init(s, max_tracked);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, stats_test_free, s));
	return s;
}

static void stats_test_vfree(void *p)
{
	vfree(p);
}

static char *stats_test_buf(struct kunit *test, size_t size)
{
	char *buf = vzalloc(size);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, stats_test_vfree, buf));
	return buf;
}

/* Render @s into a NUL-terminated buffer of at most @size bytes. */
static char *stats_test_render(struct kunit *test, struct mod_stats *s, size_t size)
{
	struct seq_file m = { };
	int idx;

	m.buf = stats_test_buf(test, size + 1);
	m.size = size;
	idx = srcu_read_lock(&mod_stats_srcu);
	stats_render(s, &m);
	srcu_read_unlock(&mod_stats_srcu, idx);
	KUNIT_ASSERT_FALSE_MSG(test, seq_has_overflowed(&m), "rendering needs more than %zu bytes",
			       size);
	m.buf[m.count] = '\0';
	return m.buf;
}

static u64 stats_test_get(struct mod_stats *s, enum mod_stat_item item)
{
	return atomic64_read(&s->counters[item]);
}

/*
 * The functions below the hooks, called inside mod_stats_srcu as the hooks
 * call them.
 */
static void stats_test_add_failed(struct mod_stats *s, const char *name,
				  enum fail_dup_mod_reason reason, u64 wasted)
{
	int idx = srcu_read_lock(&mod_stats_srcu);

	stats_add_failed(s, name, reason, wasted);
	srcu_read_unlock(&mod_stats_srcu, idx);
}

static void stats_test_add_merged(struct mod_stats *s, const char *name, unsigned int merged)
{
	int idx = srcu_read_lock(&mod_stats_srcu);

	stats_add_merged(s, name, merged);
	srcu_read_unlock(&mod_stats_srcu, idx);
}

static void stats_test_render_dups(struct mod_stats *s, struct seq_file *m)
{
	int idx = srcu_read_lock(&mod_stats_srcu);

	stats_render_dups(s, m);
	srcu_read_unlock(&mod_stats_srcu, idx);
}

/* A duplicate failure that wasted a fixed number of bytes. */
#define DUP_BYTES	100

static void stats_test_fail(struct mod_stats *s, const char *name,
			    enum fail_dup_mod_reason reason)
{
	stats_test_add_failed(s, name, reason, DUP_BYTES);
}

static struct mod_fail_load *stats_test_find(struct mod_stats *s, const char *name)
{
	size_t len = strlen(name);
	struct mod_fail_load *e;
	int idx;

	idx = srcu_read_lock(&mod_stats_srcu);
	e = stats_lookup(s, name, len, stats_hash(name, len));
	srcu_read_unlock(&mod_stats_srcu, idx);
	return e;
}

enum stats_test_hook {
	HOOK_LOADED,
	HOOK_KREAD,
	HOOK_DECOMPRESS,
	HOOK_BECOMING,
	HOOK_INVALID,
};

struct stats_hook_case {
	const char *desc;
	enum stats_test_hook hook;
	int flags;
	/* For kread: the copy of the module was allocated, and freed. */
	bool allocated;
	unsigned long len;
	/* Expected value of every counter after one call, indexed by item. */
	u64 want[MOD_STAT_COUNT];
};

#define LEN		10000UL
#define CLEN		3000UL
/* Compressed bytes count only when the kernel can decompress modules. */
#define CBYTES		(IS_ENABLED(CONFIG_MODULE_DECOMPRESS) ? CLEN : 0)

static const struct stats_hook_case stats_hook_cases[] = {
	{
		.desc = "loaded",
		.hook = HOOK_LOADED,
		.want = {
			[MOD_STAT_MODCOUNT] = 1,
			[MOD_STAT_TOTAL_MOD_SIZE] = LEN,
			[MOD_STAT_TOTAL_TEXT_SIZE] = CLEN,
		},
	}, {
		.desc = "kread",
		.hook = HOOK_KREAD,
		.allocated = true,
		.want = {
			[MOD_STAT_FAILED_KREADS] = 1,
			[MOD_STAT_INVALID_KREAD_BYTES] = LEN,
		},
	}, {
		/* init_module(NULL, 1, ""): too short for an ELF header. */
		.desc = "kread of 1 byte, nothing allocated",
		.hook = HOOK_KREAD,
		.len = 1,
		.want = {
			[MOD_STAT_FAILED_KREADS] = 1,
		},
	}, {
		/* init_module(NULL, ~0UL, ""): vmalloc() fails. */
		.desc = "kread of ~0UL bytes, nothing allocated",
		.hook = HOOK_KREAD,
		.len = ~0UL,
		.want = {
			[MOD_STAT_FAILED_KREADS] = 1,
		},
	}, {
		.desc = "decompress",
		.hook = HOOK_DECOMPRESS,
		.want = {
			[MOD_STAT_FAILED_DECOMPRESS] = 1,
			[MOD_STAT_INVALID_DECOMPRESS_BYTES] = CLEN,
		},
	}, {
		.desc = "becoming",
		.hook = HOOK_BECOMING,
		.want = {
			[MOD_STAT_FAILED_BECOMING] = 1,
			[MOD_STAT_INVALID_BECOMING_BYTES] = LEN,
		},
	}, {
		.desc = "becoming compressed",
		.hook = HOOK_BECOMING,
		.flags = MODULE_INIT_COMPRESSED_FILE,
		.want = {
			[MOD_STAT_FAILED_BECOMING] = 1,
			[MOD_STAT_INVALID_BECOMING_BYTES] = LEN + CBYTES,
		},
	}, {
		.desc = "invalid",
		.hook = HOOK_INVALID,
		.want = {
			[MOD_STAT_FAILED_LOAD_MODULES] = 1,
			[MOD_STAT_INVALID_MOD_BYTES] = 2 * LEN,
		},
	}, {
		.desc = "invalid compressed",
		.hook = HOOK_INVALID,
		.flags = MODULE_INIT_COMPRESSED_FILE,
		.want = {
			[MOD_STAT_FAILED_LOAD_MODULES] = 1,
			[MOD_STAT_INVALID_MOD_BYTES] = 2 * LEN + CBYTES,
		},
	},
};

static void stats_hook_case_desc(const struct stats_hook_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(stats_hook, stats_hook_cases, stats_hook_case_desc);

/* Each hook bumps exactly its own counters by exactly the bytes it wasted. */
static void stats_test_hooks(struct kunit *test)
{
	const struct stats_hook_case *c = test->param_value;
	struct mod_stats *s = stats_test_new(test, 16);
	struct load_info info = { .len = c->len ?: LEN };
	int i;

#ifdef CONFIG_MODULE_DECOMPRESS
	info.compressed_len = CLEN;
#endif
	switch (c->hook) {
	case HOOK_LOADED:
		stats_bump_loaded(s, LEN, CLEN);
		break;
	case HOOK_KREAD:
		/* Only compared with NULL: the copy is gone. */
		if (c->allocated)
			info.hdr = (void *)stats_test_copy;
		stats_bump_kread(s, &info);
		break;
	case HOOK_DECOMPRESS:
		stats_bump_decompress(s, CLEN);
		break;
	case HOOK_BECOMING:
		stats_bump_becoming(s, &info, c->flags);
		break;
	case HOOK_INVALID:
		stats_bump_invalid(s, &info, c->flags);
		break;
	}

	for (i = 0; i < MOD_STAT_COUNT; i++)
		KUNIT_EXPECT_EQ_MSG(test, stats_test_get(s, i), c->want[i], "counter %s",
				    mod_stat_names[i]);
	KUNIT_EXPECT_TRUE(test, list_empty(&s->failed));
}

static const char reasons_golden[] =
	"Duplicate failed modules:\n"
	"              Module-name\t How-many-times\t                   Reason\n"
	"       becoming_then_load\t              3\t          Becoming & Load\n"
	"       load_then_becoming\t              2\t          Becoming & Load\n"
	"                only_load\t              1\t                     Load\n"
	"            only_becoming\t              2\t                 Becoming\n";

/*
 * Reasons accumulate per name and render as one of three strings; the
 * table lists the newest name first, as upstream always has.
 */
static void stats_test_reasons(struct kunit *test)
{
	struct mod_stats *s = stats_test_new(test, 16);
	struct mod_fail_load *e;
	const char *text;

	stats_test_fail(s, "only_becoming", FAIL_DUP_MOD_BECOMING);
	stats_test_fail(s, "only_becoming", FAIL_DUP_MOD_BECOMING);
	stats_test_fail(s, "only_load", FAIL_DUP_MOD_LOAD);
	stats_test_fail(s, "load_then_becoming", FAIL_DUP_MOD_LOAD);
	stats_test_fail(s, "load_then_becoming", FAIL_DUP_MOD_BECOMING);
	stats_test_fail(s, "becoming_then_load", FAIL_DUP_MOD_BECOMING);
	stats_test_fail(s, "becoming_then_load", FAIL_DUP_MOD_LOAD);
	stats_test_fail(s, "becoming_then_load", FAIL_DUP_MOD_LOAD);

	e = stats_test_find(s, "only_becoming");
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_EQ(test, mod_fail_reasons(e), MOD_FAIL_BECOMING);
	KUNIT_EXPECT_EQ(test, mod_fail_total(e), 2);
	e = stats_test_find(s, "only_load");
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_EQ(test, mod_fail_reasons(e), MOD_FAIL_LOAD);
	e = stats_test_find(s, "load_then_becoming");
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_EQ(test, mod_fail_reasons(e), MOD_FAIL_BECOMING | MOD_FAIL_LOAD);
	e = stats_test_find(s, "becoming_then_load");
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_EQ(test, mod_fail_total(e), 3);
	KUNIT_EXPECT_NULL(test, stats_test_find(s, "only"));
	KUNIT_EXPECT_EQ(test, s->nr_tracked, 4);

	text = stats_test_render(test, s, PAGE_SIZE);
	text = strstr(text, "Duplicate failed modules:\n");
	KUNIT_ASSERT_NOT_NULL(test, text);
	KUNIT_EXPECT_STREQ(test, text, reasons_golden);
}

static const char golden_text[] =
	"         Mods ever loaded\t2\n"
	"     Mods failed on kread\t1\n"
	"Mods failed on decompress\t1\n"
	"  Mods failed on becoming\t1\n"
	"      Mods failed on load\t1\n"
	"        Total module size\t3001\n"
	"      Total mod text size\t800\n"
	"       Failed kread bytes\t4096\n"
	"  Failed decompress bytes\t777\n"
	"    Failed becoming bytes\t1000\n"
	"        Failed kmod bytes\t1000\n"
	" Virtual mem wasted bytes\t6873\n"
	"         Average mod size\t1501\n"
	"    Average mod text size\t400\n"
	"     Avg fail kread bytes\t4096\n"
	"  Avg fail becoming bytes\t1000\n"
	"    Avg fail decomp bytes\t777\n"
	"  Average fail load bytes\t1000\n"
	"   Untracked dup failures\t0\n"
	"             Merged loads\t0\n"
	"          Window start ns\t0\n"
	"Duplicate failed modules:\n"
	"              Module-name\t How-many-times\t                   Reason\n"
	"                     beta\t              1\t                     Load\n"
	"                    alpha\t              2\t                 Becoming\n";

/* A known instance renders to exactly this text. */
static void stats_test_golden(struct kunit *test)
{
	struct mod_stats *s = stats_test_new(test, 16);
	struct load_info info = { };

	stats_bump_loaded(s, 1000, 300);
	stats_bump_loaded(s, 2001, 500);
	info.hdr = (void *)stats_test_copy;
	info.len = 4096;
	stats_bump_kread(s, &info);
	info.hdr = NULL;
	stats_bump_decompress(s, 777);
	info.len = 1000;
	stats_bump_becoming(s, &info, 0);
	info.len = 500;
	stats_bump_invalid(s, &info, 0);
	stats_test_fail(s, "alpha", FAIL_DUP_MOD_BECOMING);
	stats_test_fail(s, "beta", FAIL_DUP_MOD_LOAD);
	stats_test_fail(s, "alpha", FAIL_DUP_MOD_BECOMING);

	KUNIT_EXPECT_STREQ(test, stats_test_render(test, s, PAGE_SIZE), golden_text);
}

/* Every counter of an instance nothing has happened to; the window start follows. */
#define STATS_TEST_ZEROS \
	"         Mods ever loaded\t0\n"	\
	"     Mods failed on kread\t0\n"	\
	"Mods failed on decompress\t0\n"	\
	"  Mods failed on becoming\t0\n"	\
	"      Mods failed on load\t0\n"	\
	"        Total module size\t0\n"	\
	"      Total mod text size\t0\n"	\
	"       Failed kread bytes\t0\n"	\
	"  Failed decompress bytes\t0\n"	\
	"    Failed becoming bytes\t0\n"	\
	"        Failed kmod bytes\t0\n"	\
	" Virtual mem wasted bytes\t0\n"	\
	"   Untracked dup failures\t0\n"	\
	"             Merged loads\t0\n"

static const char empty_text[] =
	STATS_TEST_ZEROS
	"          Window start ns\t0\n";

/* An empty instance has no averages and no table. */
static void stats_test_empty(struct kunit *test)
{
	struct mod_stats *s = stats_test_new(test, 16);

	KUNIT_EXPECT_STREQ(test, stats_test_render(test, s, PAGE_SIZE), empty_text);
}

#define MANY_NAMES	10000
#define ROW_MAX		(MODULE_NAME_LEN + 64)

/* Ten thousand names are all listed, newest first, with their counts. */
static void stats_test_many_names(struct kunit *test)
{
	size_t size = (MANY_NAMES + 2) * ROW_MAX;
	struct mod_stats *s = stats_test_new(test, MOD_STATS_MAX_TRACKED);
	char *want = stats_test_buf(test, size);
	char name[MODULE_NAME_LEN];
	const char *text;
	size_t len;
	int i;

	for (i = 0; i < MANY_NAMES; i++) {
		snprintf(name, sizeof(name), "many_%05d", i);
		stats_test_fail(s, name, FAIL_DUP_MOD_BECOMING);
		if (i % 3 == 0)
			stats_test_fail(s, name, FAIL_DUP_MOD_LOAD);
	}
	KUNIT_EXPECT_EQ(test, s->nr_tracked, MANY_NAMES);
	KUNIT_EXPECT_EQ(test, stats_test_get(s, MOD_STAT_UNTRACKED_DUPS), 0);

	len = scnprintf(want, size, "Duplicate failed modules:\n%25s\t%15s\t%25s\n",
			"Module-name", "How-many-times", "Reason");
	for (i = MANY_NAMES - 1; i >= 0; i--) {
		snprintf(name, sizeof(name), "many_%05d", i);
		len += scnprintf(want + len, size - len, "%25s\t%15d\t%25s\n", name,
				 i % 3 ? 1 : 2, i % 3 ? "Becoming" : "Becoming & Load");
	}
	KUNIT_ASSERT_LT(test, len, size - 1);

	text = stats_test_render(test, s, size);
	text = strstr(text, "Duplicate failed modules:\n");
	KUNIT_ASSERT_NOT_NULL(test, text);
	KUNIT_EXPECT_EQ(test, strlen(text), len);
	KUNIT_EXPECT_TRUE(test, !strcmp(text, want));
}

/* A name of the longest length a module can have is kept and shown whole. */
static void stats_test_long_name(struct kunit *test)
{
	struct mod_stats *s = stats_test_new(test, 16);
	char name[MODULE_NAME_LEN + 8];
	char row[ROW_MAX];
	const char *text;

	memset(name, 'n', sizeof(name));
	name[MODULE_NAME_LEN - 1] = '\0';
	stats_test_fail(s, name, FAIL_DUP_MOD_LOAD);
	KUNIT_ASSERT_NOT_NULL(test, stats_test_find(s, name));

	/* Anything longer is cut to the same length, and so is the same name. */
	name[MODULE_NAME_LEN - 1] = 'n';
	name[sizeof(name) - 1] = '\0';
	stats_test_fail(s, name, FAIL_DUP_MOD_LOAD);
	KUNIT_EXPECT_EQ(test, s->nr_tracked, 1);

	name[MODULE_NAME_LEN - 1] = '\0';
	snprintf(row, sizeof(row), "\n%s\t%15d\t%25s\n", name, 2, "Load");
	text = stats_test_render(test, s, PAGE_SIZE);
	KUNIT_ASSERT_GT(test, strlen(text), strlen(row));
	KUNIT_EXPECT_STREQ(test, text + strlen(text) - strlen(row), row);
}

/* One read(2) of @len bytes at @pos of an open seq_file, into @out. */
static ssize_t stats_test_read_at(struct file *file, char *out, size_t len, loff_t pos)
{
	struct kvec kv = { .iov_base = out, .iov_len = len };
	struct iov_iter iter;
	struct kiocb kiocb;

	init_sync_kiocb(&kiocb, file);
	kiocb.ki_pos = pos;
	iov_iter_kvec(&iter, ITER_DEST, &kv, 1, len);
	return seq_read_iter(&kiocb, &iter);
}

/*
 * Read the file @fops of the window *@sp through its file operations,
 * @chunk bytes at a time. Between reads, change the statistics; after the
 * first read, call @mid_read if there is one.
 */
static size_t stats_test_read_file(struct kunit *test, const struct file_operations *fops,
				   struct mod_stats __rcu **sp, size_t chunk, char *out,
				   size_t size, void (*mid_read)(struct mod_stats __rcu **))
{
	struct mod_stats *s;
	struct inode *inode = kunit_kzalloc(test, sizeof(*inode), GFP_KERNEL);
	struct file *file = kunit_kzalloc(test, sizeof(*file), GFP_KERNEL);
	size_t pos = 0;
	ssize_t n;

	KUNIT_ASSERT_NOT_NULL(test, inode);
	KUNIT_ASSERT_NOT_NULL(test, file);
	inode->i_private = sp;
	file->f_mode = FMODE_READ;
	KUNIT_ASSERT_EQ(test, fops->open(inode, file), 0);

	do {
		n = stats_test_read_at(file, out + pos, min(chunk, size - pos), pos);
		KUNIT_EXPECT_GE(test, n, 0);
		KUNIT_EXPECT_LE(test, n, chunk);
		if (n > 0)
			pos += n;
		if (mid_read && pos == n)
			mid_read(sp);
		/* Change the statistics mid-read: the reader must not see it. */
		s = rcu_dereference_protected(*sp, true);
		stats_test_fail(s, "changed_mid_read", FAIL_DUP_MOD_LOAD);
		stats_bump_decompress(s, 1);
	} while (n > 0 && pos < size);

	fops->release(inode, file);
	return pos;
}

/* The same for the stats file. */
static size_t stats_test_read(struct kunit *test, struct mod_stats __rcu **sp, size_t chunk,
			      char *out, size_t size, void (*mid_read)(struct mod_stats __rcu **))
{
	return stats_test_read_file(test, &mod_stats_fops, sp, chunk, out, size, mid_read);
}

/*
 * Open, read whole and release the file @fops of the window *@sp, as a
 * reader in userspace does, changing nothing; the bytes read, or < 0.
 */
static ssize_t stats_test_read_whole(const struct file_operations *fops,
				     struct mod_stats __rcu **sp, char *out, size_t size)
{
	struct inode *inode = kzalloc(sizeof(*inode), GFP_KERNEL);
	struct file *file = kzalloc(sizeof(*file), GFP_KERNEL);
	ssize_t n = -ENOMEM, pos = 0;

	if (!inode || !file)
		goto out;
	inode->i_private = sp;
	file->f_mode = FMODE_READ;
	n = fops->open(inode, file);
	if (n)
		goto out;
	do {
		n = stats_test_read_at(file, out + pos, size - pos, pos);
		if (n > 0)
			pos += n;
	} while (n > 0 && pos < size);
	fops->release(inode, file);
out:
	kfree(file);
	kfree(inode);
	return n < 0 ? n : pos;
}

/* Reads of any size return exactly the bytes of one rendering. */
static void stats_test_chunked_reads(struct kunit *test)
{
	struct mod_stats *s = stats_test_new(test, 128);
	struct mod_stats __rcu *live = RCU_INITIALIZER(s);
	size_t size = 8 * PAGE_SIZE;
	char *out = stats_test_buf(test, size);
	char name[MODULE_NAME_LEN];
	size_t chunk, len, got;
	char *want;
	int i;

	/* Longer than one page, so that seq_file has to grow its buffer. */
	for (i = 0; i < 80; i++) {
		snprintf(name, sizeof(name), "chunk_%02d_%s", i, "padding_to_make_rows_long");
		stats_test_fail(s, name, FAIL_DUP_MOD_BECOMING);
	}

	for (chunk = 1; chunk <= 64; chunk++) {
		want = stats_test_render(test, s, size);
		len = strlen(want);
		KUNIT_ASSERT_GT(test, len, PAGE_SIZE);

		memset(out, 0, size);
		got = stats_test_read(test, &live, chunk, out, size, NULL);
		KUNIT_EXPECT_EQ_MSG(test, got, len, "chunk size %zu", chunk);
		KUNIT_EXPECT_TRUE_MSG(test, !memcmp(out, want, len), "chunk size %zu", chunk);
	}
}

static const char cap_text[] =
	"Duplicate failed modules:\n"
	"              Module-name\t How-many-times\t                   Reason\n"
	"                        c\t              1\t                     Load\n"
	"                        b\t              1\t                 Becoming\n"
	"                        a\t              2\t          Becoming & Load\n";

static int stats_test_allocs;

static struct mod_fail_load *stats_test_alloc_fails(const char *name, size_t len)
{
	stats_test_allocs++;
	return NULL;
}

/*
 * Failures past the cap are counted, not listed; the rest stays exact. A
 * full list allocates nothing for a new name.
 */
static void stats_test_cap(struct kunit *test)
{
	struct mod_stats *s = stats_test_new(test, 3);
	struct load_info info = { .len = 100 };
	const char *text;

	stats_test_fail(s, "a", FAIL_DUP_MOD_BECOMING);
	stats_test_fail(s, "b", FAIL_DUP_MOD_BECOMING);
	stats_test_fail(s, "c", FAIL_DUP_MOD_LOAD);
	stats_test_allocs = 0;
	kunit_activate_static_stub(test, mod_fail_alloc, stats_test_alloc_fails);
	stats_test_fail(s, "d", FAIL_DUP_MOD_BECOMING);
	stats_test_fail(s, "e", FAIL_DUP_MOD_LOAD);
	stats_test_fail(s, "a", FAIL_DUP_MOD_LOAD);
	stats_test_fail(s, "d", FAIL_DUP_MOD_BECOMING);
	kunit_deactivate_static_stub(test, mod_fail_alloc);
	KUNIT_EXPECT_EQ(test, stats_test_allocs, 0);
	stats_bump_becoming(s, &info, 0);

	KUNIT_EXPECT_EQ(test, s->nr_tracked, 3);
	KUNIT_EXPECT_EQ(test, stats_test_get(s, MOD_STAT_UNTRACKED_DUPS), 3);
	KUNIT_EXPECT_EQ(test, stats_test_get(s, MOD_STAT_FAILED_BECOMING), 1);
	KUNIT_EXPECT_EQ(test, stats_test_get(s, MOD_STAT_INVALID_BECOMING_BYTES), 100);
	KUNIT_EXPECT_NULL(test, stats_test_find(s, "d"));

	text = stats_test_render(test, s, PAGE_SIZE);
	KUNIT_EXPECT_NOT_NULL(test, strstr(text, "\n   Untracked dup failures\t3\n"));
	text = strstr(text, "Duplicate failed modules:\n");
	KUNIT_ASSERT_NOT_NULL(test, text);
	KUNIT_EXPECT_STREQ(test, text, cap_text);
}

static struct mod_stats *stats_test_racing_window;
static bool stats_test_racing;

/*
 * Stands in for mod_fail_alloc(): while the entry is allocated, another
 * name takes the last place in the list.
 */
static struct mod_fail_load *stats_test_alloc_racing(const char *name, size_t len)
{
	struct mod_fail_load *e = kzalloc(struct_size(e, name, len + 1), GFP_KERNEL);

	if (e) {
		spin_lock_init(&e->last_lock);
		e->len = len;
		memcpy(e->name, name, len);
	}
	if (!stats_test_racing) {
		stats_test_racing = true;
		stats_test_fail(stats_test_racing_window, "racer", FAIL_DUP_MOD_LOAD);
		stats_test_racing = false;
	}
	return e;
}

/* The cap is checked again once the new entry is allocated. */
static void stats_test_cap_race(struct kunit *test)
{
	struct mod_stats *s = stats_test_new(test, 3);

	stats_test_fail(s, "a", FAIL_DUP_MOD_BECOMING);
	stats_test_fail(s, "b", FAIL_DUP_MOD_BECOMING);
	stats_test_racing_window = s;
	kunit_activate_static_stub(test, mod_fail_alloc, stats_test_alloc_racing);
	stats_test_fail(s, "late", FAIL_DUP_MOD_BECOMING);
	kunit_deactivate_static_stub(test, mod_fail_alloc);

	KUNIT_EXPECT_EQ(test, s->nr_tracked, 3);
	KUNIT_EXPECT_NOT_NULL(test, stats_test_find(s, "racer"));
	KUNIT_EXPECT_NULL(test, stats_test_find(s, "late"));
	KUNIT_EXPECT_EQ(test, stats_test_get(s, MOD_STAT_UNTRACKED_DUPS), 1);
}

/* A failed allocation is counted as untracked and later failures still list. */
static void stats_test_alloc_failure(struct kunit *test)
{
	struct mod_stats *s = stats_test_new(test, 16);
	struct mod_fail_load *e;
	struct load_info info = { .hdr = (void *)stats_test_copy, .len = 10 };

	stats_bump_kread(s, &info);
	stats_test_fail(s, "kept", FAIL_DUP_MOD_BECOMING);

	kunit_activate_static_stub(test, mod_fail_alloc, stats_test_alloc_fails);
	stats_test_fail(s, "lost", FAIL_DUP_MOD_BECOMING);
	stats_test_fail(s, "lost", FAIL_DUP_MOD_LOAD);
	/* A name already listed needs no allocation. */
	stats_test_fail(s, "kept", FAIL_DUP_MOD_BECOMING);
	kunit_deactivate_static_stub(test, mod_fail_alloc);

	KUNIT_EXPECT_EQ(test, stats_test_get(s, MOD_STAT_UNTRACKED_DUPS), 2);
	KUNIT_EXPECT_EQ(test, s->nr_tracked, 1);
	KUNIT_EXPECT_NULL(test, stats_test_find(s, "lost"));
	e = stats_test_find(s, "kept");
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_EQ(test, mod_fail_total(e), 2);

	stats_test_fail(s, "lost", FAIL_DUP_MOD_LOAD);
	e = stats_test_find(s, "lost");
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_EQ(test, mod_fail_total(e), 1);
	KUNIT_EXPECT_EQ(test, stats_test_get(s, MOD_STAT_UNTRACKED_DUPS), 2);
	KUNIT_EXPECT_EQ(test, stats_test_get(s, MOD_STAT_FAILED_KREADS), 1);
	KUNIT_EXPECT_EQ(test, stats_test_get(s, MOD_STAT_INVALID_KREAD_BYTES), 10);
}

static int stats_test_tables;

/* Stands in for stats_alloc_names(): there is no memory for a table. */
static struct hlist_head *stats_test_no_table(void)
{
	stats_test_tables++;
	return NULL;
}

/*
 * The hash table is allocated with a window's first name, not before: a
 * window without duplicates costs no table, and one whose table cannot be
 * allocated counts its failures as untracked until one can.
 */
static void stats_test_table(struct kunit *test)
{
	struct mod_stats *s = stats_test_new(test, 16);
	struct load_info info = { .len = 100 };

	stats_bump_loaded(s, 1000, 300);
	stats_bump_becoming(s, &info, 0);
	stats_test_add_merged(s, "", 1);
	KUNIT_EXPECT_NULL(test, rcu_access_pointer(s->names));
	KUNIT_EXPECT_NULL(test, stats_test_find(s, "none"));
	KUNIT_EXPECT_NULL(test, strstr(stats_test_render(test, s, PAGE_SIZE), "Duplicate"));

	stats_test_tables = 0;
	kunit_activate_static_stub(test, stats_alloc_names, stats_test_no_table);
	stats_test_fail(s, "first", FAIL_DUP_MOD_BECOMING);
	kunit_deactivate_static_stub(test, stats_alloc_names);
	KUNIT_EXPECT_EQ(test, stats_test_tables, 1);
	KUNIT_EXPECT_NULL(test, rcu_access_pointer(s->names));
	KUNIT_EXPECT_EQ(test, s->nr_tracked, 0);
	KUNIT_EXPECT_EQ(test, stats_test_get(s, MOD_STAT_UNTRACKED_DUPS), 1);

	stats_test_fail(s, "first", FAIL_DUP_MOD_LOAD);
	KUNIT_EXPECT_NOT_NULL(test, rcu_access_pointer(s->names));
	KUNIT_EXPECT_EQ(test, s->nr_tracked, 1);
	KUNIT_ASSERT_NOT_NULL(test, stats_test_find(s, "first"));
	KUNIT_EXPECT_EQ(test, mod_fail_total(stats_test_find(s, "first")), 1);

	/* The second name finds the table and allocates none of its own. */
	stats_test_tables = 0;
	kunit_activate_static_stub(test, stats_alloc_names, stats_test_no_table);
	stats_test_fail(s, "second", FAIL_DUP_MOD_LOAD);
	kunit_deactivate_static_stub(test, stats_alloc_names);
	KUNIT_EXPECT_EQ(test, stats_test_tables, 0);
	KUNIT_EXPECT_EQ(test, s->nr_tracked, 2);
	KUNIT_EXPECT_NOT_NULL(test, stats_test_find(s, "second"));
	KUNIT_EXPECT_EQ(test, stats_test_get(s, MOD_STAT_UNTRACKED_DUPS), 1);
}

static struct mod_stats *stats_test_table_stats;
static struct hlist_head *stats_test_table_winner;

/*
 * Stands in for stats_alloc_names(): while this task allocates the table of
 * its first name, another one publishes its own.
 */
static struct hlist_head *stats_test_table_racing(void)
{
	struct mod_stats *s = stats_test_table_stats;
	struct hlist_head *mine = kvcalloc(MOD_STATS_HASH_SIZE, sizeof(*mine), GFP_KERNEL);

	spin_lock(&s->lock);
	rcu_assign_pointer(s->names, stats_test_table_winner);
	spin_unlock(&s->lock);
	return mine;
}

/* Of two tables allocated at once, the one published first stays. */
static void stats_test_table_race(struct kunit *test)
{
	struct mod_stats *s = stats_test_new(test, 16);
	struct mod_fail_load *e;

	stats_test_table_winner = kvcalloc(MOD_STATS_HASH_SIZE, sizeof(struct hlist_head),
					   GFP_KERNEL);
	if (!stats_test_table_winner)
		kunit_skip(test, "no memory for a table");
	stats_test_table_stats = s;
	kunit_activate_static_stub(test, stats_alloc_names, stats_test_table_racing);
	stats_test_fail(s, "late", FAIL_DUP_MOD_BECOMING);
	kunit_deactivate_static_stub(test, stats_alloc_names);

	/* stats_free() frees the winner; the loser was freed on the spot. */
	KUNIT_EXPECT_PTR_EQ(test, rcu_access_pointer(s->names), stats_test_table_winner);
	KUNIT_EXPECT_EQ(test, s->nr_tracked, 1);
	e = stats_test_find(s, "late");
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_EQ(test, mod_fail_total(e), 1);
	KUNIT_EXPECT_EQ(test, stats_test_get(s, MOD_STAT_UNTRACKED_DUPS), 0);
}

static const char dups_header[] =
	"# module dup_failures v1\n"
	"# name failures becoming load wasted_bytes first_ns last_ns last_pid last_comm merged\n";

static void stats_test_free_window(void *data)
{
	struct mod_stats __rcu **sp = data;

	stats_free(rcu_dereference_protected(*sp, true));
}

static u64 stats_test_clock;

static u64 stats_test_now(void)
{
	return stats_test_clock;
}

static void stats_test_reset_window(struct mod_stats __rcu **sp)
{
	stats_test_clock = 7000;
	stats_reset(sp);
}

static const char reset_text[] =
	STATS_TEST_ZEROS
	"          Window start ns\t7000\n";

/*
 * A reset clears every counter and the list at once: a reader that opened
 * the file before it reads the old window whole, a new reader the new one,
 * which says when it began.
 */
static void stats_test_reset(struct kunit *test)
{
	struct mod_stats __rcu **sp = kunit_kzalloc(test, sizeof(*sp), GFP_KERNEL);
	struct mod_stats *s = kzalloc(sizeof(*s), GFP_KERNEL);
	size_t size = 4 * PAGE_SIZE;
	char *out = stats_test_buf(test, size);
	struct load_info info = { .len = 4096 };
	struct mod_fail_load *e;
	struct seq_file m = { };
	const char *before;
	size_t got;

	KUNIT_ASSERT_NOT_NULL(test, sp);
	if (!s)
		KUNIT_FAIL_AND_ABORT(test, "vzalloc failed");
	stats_init(s, 16);
	RCU_INIT_POINTER(*sp, s);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, stats_test_free_window, sp));
	kunit_activate_static_stub(test, stats_now, stats_test_now);

	stats_bump_loaded(s, 1000, 300);
	stats_bump_becoming(s, &info, 0);
	stats_test_fail(s, "before_reset", FAIL_DUP_MOD_BECOMING);
	before = stats_test_render(test, s, size);

	/* The reset happens after the first chunk, while the file is open. */
	got = stats_test_read(test, sp, 16, out, size, stats_test_reset_window);
	KUNIT_EXPECT_EQ(test, got, strlen(before));
	KUNIT_EXPECT_TRUE(test, !memcmp(out, before, got));

	/* stats_test_read() changed the new window after the reset; start again. */
	stats_test_clock = 7000;
	KUNIT_ASSERT_EQ(test, 0, stats_reset(sp));
	s = rcu_dereference_protected(*sp, true);
	KUNIT_EXPECT_STREQ(test, stats_test_render(test, s, size), reset_text);
	KUNIT_EXPECT_TRUE(test, list_empty(&s->failed));
	KUNIT_EXPECT_EQ(test, s->nr_tracked, 0);

	m.buf = stats_test_buf(test, PAGE_SIZE);
	m.size = PAGE_SIZE;
	stats_test_render_dups(s, &m);
	KUNIT_EXPECT_EQ(test, m.count, strlen(dups_header));

	/* The new window counts from zero. */
	stats_test_fail(s, "before_reset", FAIL_DUP_MOD_LOAD);
	e = stats_test_find(s, "before_reset");
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_EQ(test, mod_fail_total(e), 1);
}

/* Each name keeps its bytes, counts per reason, times and latest task. */
static void stats_test_attribution(struct kunit *test)
{
	struct mod_stats *s = stats_test_new(test, 16);
	struct mod_fail_load *e;

	kunit_activate_static_stub(test, stats_now, stats_test_now);
	stats_test_clock = 1000;
	stats_test_add_failed(s, "attr", FAIL_DUP_MOD_BECOMING, 4096);
	stats_test_clock = 3000;
	stats_test_add_failed(s, "attr", FAIL_DUP_MOD_LOAD, 8192 + 1500);
	/*
	 * Failures that raced and are recorded late become neither the last
	 * nor, unless they are earlier, the first.
	 */
	stats_test_clock = 2000;
	stats_test_add_failed(s, "attr", FAIL_DUP_MOD_BECOMING, 4096);
	stats_test_clock = 500;
	stats_test_add_failed(s, "attr", FAIL_DUP_MOD_BECOMING, 4096);

	e = stats_test_find(s, "attr");
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_EQ(test, atomic64_read(&e->count[FAIL_DUP_MOD_BECOMING]), 3);
	KUNIT_EXPECT_EQ(test, atomic64_read(&e->count[FAIL_DUP_MOD_LOAD]), 1);
	KUNIT_EXPECT_EQ(test, mod_fail_total(e), 4);
	KUNIT_EXPECT_EQ(test, atomic64_read(&e->wasted), 4096 + 8192 + 1500 + 4096 + 4096);
	KUNIT_EXPECT_EQ(test, e->first_ns, 500);
	KUNIT_EXPECT_EQ(test, e->last_ns, 3000);
	KUNIT_EXPECT_EQ(test, e->last_pid, task_pid_nr(current));
	KUNIT_EXPECT_STREQ(test, e->last_comm, current->comm);
}

/* The dup_failures file: version, field names, then one line per name. */
static void stats_test_dups_file(struct kunit *test)
{
	struct mod_stats *s = stats_test_new(test, 16);
	char comm[TASK_COMM_LEN];
	struct seq_file m = { };
	char want[512];

	m.buf = stats_test_buf(test, PAGE_SIZE);
	m.size = PAGE_SIZE;
	stats_test_render_dups(s, &m);
	KUNIT_EXPECT_EQ(test, m.count, strlen(dups_header));
	KUNIT_EXPECT_TRUE(test, !strncmp(m.buf, dups_header, m.count));

	/* White space and backslashes in a command name are escaped. */
	get_task_comm(comm, current);
	set_task_comm(current, "udev worker\\1");
	kunit_activate_static_stub(test, stats_now, stats_test_now);
	stats_test_clock = 5000000000ULL;
	stats_test_add_failed(s, "first", FAIL_DUP_MOD_BECOMING, 10);
	stats_test_clock = 6000000000ULL;
	stats_test_add_failed(s, "second", FAIL_DUP_MOD_LOAD, 2ULL * SZ_3G_BYTES);
	stats_test_add_failed(s, "first", FAIL_DUP_MOD_LOAD, 30);
	set_task_comm(current, comm);

	m.count = 0;
	stats_test_render_dups(s, &m);
	KUNIT_ASSERT_FALSE(test, seq_has_overflowed(&m));
	m.buf[m.count] = '\0';
	snprintf(want, sizeof(want),
		 "%ssecond 1 0 1 6442450944 6000000000 6000000000 %d udev\\040worker\\1341 0\n"
		 "first 2 1 1 40 5000000000 6000000000 %d udev\\040worker\\1341 0\n",
		 dups_header, task_pid_nr(current), task_pid_nr(current));
	KUNIT_EXPECT_STREQ(test, m.buf, want);
}

/*
 * Merged loads are counted in total and per name, add no failure, and a
 * name that only had merged loads is in dup_failures but not in stats.
 */
static void stats_test_merged(struct kunit *test)
{
	struct mod_stats *s = stats_test_new(test, 2);
	struct seq_file m = { };
	struct mod_fail_load *e;
	char want[512];

	kunit_activate_static_stub(test, stats_now, stats_test_now);
	stats_test_add_merged(s, "waited", 3);
	stats_test_add_merged(s, "waited", 2);
	/* A load that failed before its name was read: counted, not listed. */
	stats_test_add_merged(s, "", 4);
	KUNIT_EXPECT_EQ(test, stats_test_get(s, MOD_STAT_MERGED_LOADS), 9);
	KUNIT_EXPECT_EQ(test, s->nr_tracked, 1);

	e = stats_test_find(s, "waited");
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_EQ(test, atomic64_read(&e->merged), 5);
	KUNIT_EXPECT_EQ(test, mod_fail_total(e), 0);
	KUNIT_EXPECT_EQ(test, e->first_ns, 0);
	KUNIT_EXPECT_NULL(test, strstr(stats_test_render(test, s, PAGE_SIZE), "waited"));
	KUNIT_EXPECT_NULL(test, strstr(stats_test_render(test, s, PAGE_SIZE),
				       "Duplicate failed modules:"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(stats_test_render(test, s, PAGE_SIZE),
					   "\n             Merged loads\t9\n"));

	/* Its first failure sets the first time; the merged count stays. */
	stats_test_clock = 4000;
	stats_test_add_failed(s, "waited", FAIL_DUP_MOD_BECOMING, 10);
	stats_test_add_merged(s, "other", 1);
	/* The list is full: the merged load is counted but not listed. */
	stats_test_add_merged(s, "third", 1);
	KUNIT_EXPECT_EQ(test, stats_test_get(s, MOD_STAT_MERGED_LOADS), 11);
	KUNIT_EXPECT_EQ(test, stats_test_get(s, MOD_STAT_UNTRACKED_DUPS), 0);
	KUNIT_EXPECT_NULL(test, stats_test_find(s, "third"));

	m.buf = stats_test_buf(test, PAGE_SIZE);
	m.size = PAGE_SIZE;
	stats_test_render_dups(s, &m);
	KUNIT_ASSERT_FALSE(test, seq_has_overflowed(&m));
	m.buf[m.count] = '\0';
	snprintf(want, sizeof(want),
		 "%sother 0 0 0 0 0 0 0 - 1\nwaited 1 1 0 10 4000 4000 %d %s 5\n",
		 dups_header, task_pid_nr(current), current->comm);
	KUNIT_EXPECT_STREQ(test, m.buf, want);
	KUNIT_EXPECT_NOT_NULL(test, strstr(stats_test_render(test, s, PAGE_SIZE),
					   "\n                   waited\t              1\t"));
	KUNIT_EXPECT_NULL(test, strstr(stats_test_render(test, s, PAGE_SIZE), "other"));
}

/*
 * The name of a load's module is kept for merged loads only if a buffer was
 * given and the module was read: the module's own name, which the duplicate
 * checks use, all MODULE_NAME_LEN bytes of it, listed cut to one less.
 */
static void stats_test_save_name(struct kunit *test)
{
	struct module *mod = kunit_kzalloc(test, sizeof(*mod), GFP_KERNEL);
	struct mod_stats *s = stats_test_new(test, 16);
	struct load_info info = { .name = "modinfo_name" };
	char want[MODULE_NAME_LEN];
	struct mod_stat_name name;
	struct mod_fail_load *e;

	KUNIT_ASSERT_NOT_NULL(test, mod);
	strscpy(mod->name, "saved");
	/* No buffer: nothing to do. */
	mod_stat_save_name(&info);
	memset(name.name, 'x', sizeof(name.name));
	mod_stat_want_name(&info, &name);
	KUNIT_EXPECT_EQ(test, name.name[0], '\0');
	KUNIT_EXPECT_PTR_EQ(test, info.stats_name, &name);
	/* The load failed before it found its module. */
	mod_stat_save_name(&info);
	KUNIT_EXPECT_EQ(test, name.name[0], '\0');
	KUNIT_EXPECT_EQ(test, name.name[1], 'x');
	info.mod = mod;
	mod_stat_save_name(&info);
	KUNIT_EXPECT_STREQ(test, name.name, "saved");

	/* A name that fills the module's array has no NUL. */
	memset(mod->name, 'l', sizeof(mod->name));
	mod_stat_save_name(&info);
	KUNIT_EXPECT_EQ(test, memcmp(name.name, mod->name, sizeof(name.name)), 0);
	stats_test_add_merged(s, name.name, 2);
	memset(want, 'l', sizeof(want) - 1);
	want[sizeof(want) - 1] = '\0';
	e = stats_test_find(s, want);
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_EQ(test, atomic64_read(&e->merged), 2);
	KUNIT_EXPECT_EQ(test, s->nr_tracked, 1);
}

#define RACE_THREADS	4
#define RACE_ROUNDS	4096
#define RACE_NAMES	128
#define RACE_LEN	1000UL

struct stats_race {
	struct mod_stats *s;
	struct completion done[RACE_THREADS];
	atomic_t running;
};

static int stats_race_writer(void *data)
{
	struct stats_race *r = data;
	struct load_info info = { .len = RACE_LEN };
	struct completion *done = NULL;
	char name[MODULE_NAME_LEN];
	int i, id;

	id = atomic_inc_return(&r->running) - 1;
	done = &r->done[id];
	for (i = 0; i < RACE_ROUNDS; i++) {
		snprintf(name, sizeof(name), "race_%03d", (i + id * 17) % RACE_NAMES);
		stats_test_add_failed(r->s, name, i & 1 ? FAIL_DUP_MOD_LOAD : FAIL_DUP_MOD_BECOMING,
				      RACE_LEN);
		stats_bump_becoming(r->s, &info, 0);
		if (!(i % 64))
			cond_resched();
	}
	kthread_complete_and_exit(done, 0);
}

static bool stats_race_done(struct stats_race *r)
{
	int i;

	for (i = 0; i < RACE_THREADS; i++)
		if (!completion_done(&r->done[i]))
			return false;
	return true;
}

/* Writers racing with a reader leave exact totals and no duplicate entries. */
static void stats_test_concurrency(struct kunit *test)
{
	struct stats_race *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	const size_t size = 4 * PAGE_SIZE;
	struct mod_fail_load *e;
	struct seq_file m = { };
	unsigned int renders = 0;
	u64 total = 0;
	int i;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs at least 2 CPUs, have %u", num_online_cpus());

	KUNIT_ASSERT_NOT_NULL(test, r);
	r->s = stats_test_new(test, MOD_STATS_MAX_TRACKED);
	m.buf = stats_test_buf(test, size);
	m.size = size;
	for (i = 0; i < RACE_THREADS; i++)
		init_completion(&r->done[i]);

	for (i = 0; i < RACE_THREADS; i++) {
		/* Spread over the CPUs, so that the writers really run together. */
		unsigned int cpu = cpumask_nth(i % num_online_cpus(), cpu_online_mask);
		struct task_struct *t = kthread_create_on_cpu(stats_race_writer, r, cpu,
							      "mod_stats_race/%u");

		/* Threads already started own completions; wait for them below. */
		if (IS_ERR(t)) {
			while (i--)
				wait_for_completion(&r->done[i]);
			KUNIT_FAIL(test, "kthread_create_on_cpu: %ld", PTR_ERR(t));
			return;
		}
		wake_up_process(t);
	}

	while (!stats_race_done(r)) {
		int idx = srcu_read_lock(&mod_stats_srcu);

		m.count = 0;
		stats_render(r->s, &m);
		srcu_read_unlock(&mod_stats_srcu, idx);
		KUNIT_EXPECT_FALSE(test, seq_has_overflowed(&m));
		renders++;
		cond_resched();
	}
	for (i = 0; i < RACE_THREADS; i++)
		wait_for_completion(&r->done[i]);

	kunit_info(test, "%u renders during the race\n", renders);
	KUNIT_EXPECT_GT(test, renders, 0);
	KUNIT_EXPECT_EQ(test, r->s->nr_tracked, RACE_NAMES);
	KUNIT_EXPECT_EQ(test, stats_test_get(r->s, MOD_STAT_UNTRACKED_DUPS), 0);
	KUNIT_EXPECT_EQ(test, stats_test_get(r->s, MOD_STAT_FAILED_BECOMING),
			RACE_THREADS * RACE_ROUNDS);
	KUNIT_EXPECT_EQ(test, stats_test_get(r->s, MOD_STAT_INVALID_BECOMING_BYTES),
			RACE_THREADS * RACE_ROUNDS * RACE_LEN);
	list_for_each_entry(e, &r->s->failed, list) {
		KUNIT_EXPECT_EQ_MSG(test, mod_fail_total(e),
				    RACE_THREADS * RACE_ROUNDS / RACE_NAMES, "%s", e->name);
		KUNIT_EXPECT_EQ(test, mod_fail_reasons(e), MOD_FAIL_BECOMING | MOD_FAIL_LOAD);
		KUNIT_EXPECT_EQ(test, atomic64_read(&e->wasted),
				RACE_THREADS * RACE_ROUNDS / RACE_NAMES * RACE_LEN);
		total += mod_fail_total(e);
	}
	KUNIT_EXPECT_EQ(test, total, RACE_THREADS * RACE_ROUNDS);
}

#define RESET_WRITERS	2
#define RESET_ROUNDS	2048
/* Writers go on past RESET_ROUNDS until this many resets, or ten times as long. */
#define RESET_MIN	8

/* A fresh window in a slot of the test's own, freed when the test ends. */
static struct mod_stats __rcu **stats_test_slot(struct kunit *test)
{
	struct mod_stats __rcu **sp = kunit_kzalloc(test, sizeof(*sp), GFP_KERNEL);
	struct mod_stats *s = kzalloc(sizeof(*s), GFP_KERNEL);

	if (!sp || !s) {
		vfree(s);
		KUNIT_FAIL_AND_ABORT(test, "no memory for a window");
	}
	stats_init(s, MOD_STATS_MAX_TRACKED);
	RCU_INIT_POINTER(*sp, s);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, stats_test_free_window, sp));
	return sp;
}

/* What the windows retired during a test held, as stats_test_audit() saw them. */
struct stats_test_audit {
	atomic_t windows;
	/* Windows that counted at least one duplicate failure. */
	atomic_t used;
	/* Windows where listed + untracked != duplicate failures counted. */
	atomic_t unbalanced;
	atomic64_t counted;
	atomic64_t listed;
	/* Successful loads counted. */
	atomic64_t loaded;
};

static struct stats_test_audit *stats_test_audit_to;

/* Failures listed by name, and failures counted at the two duplicate stages. */
static void stats_test_sums(struct mod_stats *s, u64 *listed, u64 *counted)
{
	struct mod_fail_load *e;
	u64 sum = 0;

	list_for_each_entry(e, &s->failed, list)
		sum += mod_fail_total(e);
	*listed = sum;
	*counted = stats_test_get(s, MOD_STAT_FAILED_BECOMING) +
		   stats_test_get(s, MOD_STAT_FAILED_LOAD_MODULES);
}

/* What __stats_reset() retires in these tests: nobody uses @s any more. */
static void stats_test_audit(struct mod_stats *s)
{
	struct stats_test_audit *a = stats_test_audit_to;
	u64 listed, counted;

	stats_test_sums(s, &listed, &counted);
	atomic_inc(&a->windows);
	if (counted)
		atomic_inc(&a->used);
	if (listed + stats_test_get(s, MOD_STAT_UNTRACKED_DUPS) != counted)
		atomic_inc(&a->unbalanced);
	atomic64_add(counted, &a->counted);
	atomic64_add(listed, &a->listed);
	atomic64_add(stats_test_get(s, MOD_STAT_MODCOUNT), &a->loaded);
	stats_free(s);
}

static struct stats_test_audit *stats_test_start_audit(struct kunit *test)
{
	struct stats_test_audit *a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, a);
	stats_test_audit_to = a;
	return a;
}

/* A reset, as the reset file makes it, that audits the window it retires. */
static int stats_test_audited_reset(struct mod_stats __rcu **sp)
{
	return __stats_reset(sp, stats_test_audit);
}

struct stats_reset_race {
	struct mod_stats __rcu **sp;
	struct completion done[RESET_WRITERS + 1];
	atomic_t started;
	atomic_t writing;
	atomic_t resets;
	atomic64_t writes;
};

/*
 * A load that fails as a duplicate, as load_module() counts it: the name is
 * noted when the duplicate is caught, and everything is counted when the
 * load fails, in whatever window is live then. Then a load that succeeds,
 * counted inside plain RCU rather than SRCU.
 */
static int stats_reset_writer(void *data)
{
	struct stats_reset_race *r = data;
	char name[MODULE_NAME_LEN];
	int i, id;

	id = atomic_inc_return(&r->started) - 1;
	for (i = 0; i < 10 * RESET_ROUNDS; i++) {
		struct load_info info = { .name = name, .len = RACE_LEN };

		if (i >= RESET_ROUNDS && atomic_read(&r->resets) >= RESET_MIN)
			break;
		snprintf(name, sizeof(name), "reset_%03d", (i + id * 31) % RACE_NAMES);
		if (i & 1) {
			try_add_failed_module(name, FAIL_DUP_MOD_LOAD, &info);
			stats_hook_invalid(r->sp, &info, 0);
		} else {
			try_add_failed_module(name, FAIL_DUP_MOD_BECOMING, &info);
			stats_hook_becoming(r->sp, &info, 0);
		}
		stats_hook_loaded(r->sp, 1, 0);
		atomic64_inc(&r->writes);
		if (!(i % 32))
			cond_resched();
	}
	atomic_dec(&r->writing);
	kthread_complete_and_exit(&r->done[id], 0);
}

/* A second task resetting the same windows, audited like the test's own. */
static int stats_reset_resetter(void *data)
{
	struct stats_reset_race *r = data;

	while (atomic_read(&r->writing)) {
		if (stats_test_audited_reset(r->sp))
			break;
		atomic_inc(&r->resets);
		cond_resched();
	}
	kthread_complete_and_exit(&r->done[RESET_WRITERS], 0);
}

static void stats_test_reset_race_threads(struct kunit *test, struct stats_reset_race *r)
{
	int i;

	for (i = 0; i <= RESET_WRITERS; i++) {
		unsigned int cpu = cpumask_nth(i % num_online_cpus(), cpu_online_mask);
		struct task_struct *t;

		/* Writers pinned to different CPUs, the resetter free to run anywhere. */
		if (i < RESET_WRITERS)
			t = kthread_create_on_cpu(stats_reset_writer, r, cpu, "mod_stats_w/%u");
		else
			t = kthread_create(stats_reset_resetter, r, "mod_stats_reset");
		if (IS_ERR(t)) {
			/* Writers stop by themselves, and the resetter with them. */
			while (i--)
				wait_for_completion(&r->done[i]);
			KUNIT_FAIL_AND_ABORT(test, "kthread_create: %ld", PTR_ERR(t));
		}
		wake_up_process(t);
	}
}

/*
 * Two tasks reset while writers count failures on two CPUs and the test
 * reads: no window is freed under its users, each retired window lists
 * exactly the duplicate failures it counted, and no failure is lost or
 * counted twice across all windows.
 */
static void stats_test_reset_race(struct kunit *test)
{
	struct stats_reset_race *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	const size_t size = 8 * PAGE_SIZE;
	struct stats_test_audit *a;
	unsigned int reads = 0;
	ssize_t n;
	char *buf;
	u64 val;
	int i;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs at least 2 CPUs, have %u", num_online_cpus());
	KUNIT_ASSERT_NOT_NULL(test, r);
	r->sp = stats_test_slot(test);
	buf = stats_test_buf(test, size);
	for (i = 0; i <= RESET_WRITERS; i++)
		init_completion(&r->done[i]);
	atomic_set(&r->writing, RESET_WRITERS);
	a = stats_test_start_audit(test);

	stats_test_reset_race_threads(test, r);
	while (atomic_read(&r->writing)) {
		/* Through the files' own operations, as a reader in userspace. */
		/* Whole: not cut at the buffer's end, and from the first line. */
		n = stats_test_read_whole(&mod_dups_fops, r->sp, buf, size);
		KUNIT_EXPECT_TRUE(test, n > 0 && (size_t)n < size &&
				  !strncmp(buf, dups_header, 24));
		n = stats_test_read_whole(&mod_stats_fops, r->sp, buf, size);
		KUNIT_EXPECT_TRUE(test, n > 0 && (size_t)n < size &&
				  !strncmp(buf, "         Mods ever loaded\t", 26));
		KUNIT_EXPECT_EQ(test, 0, stats_counter_read(r->sp, MOD_STAT_FAILED_BECOMING, &val));
		reads++;
		KUNIT_EXPECT_EQ(test, 0, stats_test_audited_reset(r->sp));
		atomic_inc(&r->resets);
	}
	for (i = 0; i <= RESET_WRITERS; i++)
		wait_for_completion(&r->done[i]);
	/* Retire the last window too: now every window has been audited. */
	KUNIT_EXPECT_EQ(test, 0, stats_test_audited_reset(r->sp));
	kunit_info(test, "%d resets and %u reads during %lld failures, %d windows\n",
		   atomic_read(&r->resets), reads, atomic64_read(&r->writes),
		   atomic_read(&a->windows));

	KUNIT_EXPECT_GE(test, atomic_read(&r->resets), RESET_MIN);
	/* The failures really were spread over windows that resets ended. */
	KUNIT_EXPECT_GE(test, atomic_read(&a->used), 2);
	KUNIT_EXPECT_GT(test, reads, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->unbalanced), 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&a->counted), atomic64_read(&r->writes));
	KUNIT_EXPECT_EQ(test, atomic64_read(&a->listed), atomic64_read(&r->writes));
	KUNIT_EXPECT_EQ(test, atomic64_read(&a->loaded), atomic64_read(&r->writes));
	KUNIT_EXPECT_GE(test, atomic64_read(&r->writes), RESET_WRITERS * RESET_ROUNDS);
}

/*
 * A reset that lands between the duplicate check and the failure count of
 * one load leaves the whole failure, stage and name, in the new window, and
 * nothing anywhere else.
 */
static void stats_test_reset_split(struct kunit *test)
{
	static const char name[] = "stats_kunit_split";
	struct mod_stats __rcu **sp = stats_test_slot(test);
	struct load_info info = { .name = name, .len = 100 };
	struct stats_test_audit *a = stats_test_start_audit(test);
	struct mod_fail_load *e;
	struct mod_stats *s;
	u64 listed, counted;
	int idx;

	try_add_failed_module(name, FAIL_DUP_MOD_BECOMING, &info);
	KUNIT_ASSERT_EQ(test, 0, stats_test_audited_reset(sp));
	stats_hook_becoming(sp, &info, 0);

	/* Looked up, not changed: the running kernel's window has no such name. */
	idx = srcu_read_lock(&mod_stats_srcu);
	s = stats_window(&mod_stats_live);
	KUNIT_EXPECT_NULL(test, stats_lookup(s, name, sizeof(name) - 1,
					     stats_hash(name, sizeof(name) - 1)));
	srcu_read_unlock(&mod_stats_srcu, idx);

	KUNIT_EXPECT_EQ(test, atomic_read(&a->windows), 1);
	KUNIT_EXPECT_EQ(test, atomic64_read(&a->listed), 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&a->counted), 0);
	s = rcu_dereference_protected(*sp, true);
	stats_test_sums(s, &listed, &counted);
	KUNIT_EXPECT_EQ(test, listed, 1);
	KUNIT_EXPECT_EQ(test, counted, 1);
	e = stats_test_find(s, name);
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_EQ(test, atomic64_read(&e->wasted), 100);
}

static bool stats_test_stamped_unlocked;

static u64 stats_test_locked_now(void)
{
#ifdef CONFIG_LOCKDEP
	bool held = lockdep_is_held(&mod_stats_reset_lock);
#else
	bool held = mutex_is_locked(&mod_stats_reset_lock);
#endif

	if (!held)
		stats_test_stamped_unlocked = true;
	return 8000;
}

/*
 * A window's start is read while resets are serialised, so that of two
 * racing resets, the one published last has the later start.
 */
static void stats_test_reset_stamp(struct kunit *test)
{
	struct mod_stats __rcu **sp = stats_test_slot(test);

	stats_test_stamped_unlocked = false;
	kunit_activate_static_stub(test, stats_now, stats_test_locked_now);
	KUNIT_ASSERT_EQ(test, 0, stats_reset(sp));
	KUNIT_EXPECT_FALSE_MSG(test, stats_test_stamped_unlocked,
			       "the start of the window was read outside mod_stats_reset_lock");
	KUNIT_EXPECT_EQ(test, rcu_dereference_protected(*sp, true)->since_ns, 8000);
}

/* The hooks main.c calls count in the window they are given, and only there. */
static void stats_test_hooks_in_window(struct kunit *test)
{
	struct mod_stats __rcu **sp = stats_test_slot(test);
	struct mod_stats *s = rcu_dereference_protected(*sp, true);
	struct load_info info = { .name = "live", .len = 1000 };
	struct load_info dup = { .name = "live", .len = 1000 };
	struct mod_fail_load *e;
	u64 val;

	stats_hook_loaded(sp, 300, 100);
	info.hdr = (void *)stats_test_copy;
	info.len = 11;
	stats_hook_kread(sp, &info);
	info.hdr = NULL;
	info.len = 1000;
	stats_hook_decompress(sp, 22);
	/* Not a duplicate: counted, not listed. */
	stats_hook_becoming(sp, &info, 0);
	try_add_failed_module("live", FAIL_DUP_MOD_BECOMING, &dup);
	stats_hook_becoming(sp, &dup, 0);
	dup.dup_name = NULL;
	try_add_failed_module("live", FAIL_DUP_MOD_LOAD, &dup);
	stats_hook_invalid(sp, &dup, 0);
	stats_hook_merged(sp, "live", 3);

	KUNIT_EXPECT_EQ(test, stats_test_get(s, MOD_STAT_MODCOUNT), 1);
	KUNIT_EXPECT_EQ(test, stats_test_get(s, MOD_STAT_TOTAL_MOD_SIZE), 300);
	KUNIT_EXPECT_EQ(test, stats_test_get(s, MOD_STAT_TOTAL_TEXT_SIZE), 100);
	KUNIT_EXPECT_EQ(test, stats_test_get(s, MOD_STAT_INVALID_KREAD_BYTES), 11);
	KUNIT_EXPECT_EQ(test, stats_test_get(s, MOD_STAT_INVALID_DECOMPRESS_BYTES), 22);
	KUNIT_EXPECT_EQ(test, stats_test_get(s, MOD_STAT_FAILED_BECOMING), 2);
	KUNIT_EXPECT_EQ(test, stats_test_get(s, MOD_STAT_INVALID_BECOMING_BYTES), 2000);
	KUNIT_EXPECT_EQ(test, stats_test_get(s, MOD_STAT_FAILED_LOAD_MODULES), 1);
	KUNIT_EXPECT_EQ(test, stats_test_get(s, MOD_STAT_INVALID_MOD_BYTES), 2000);
	KUNIT_EXPECT_EQ(test, stats_test_get(s, MOD_STAT_MERGED_LOADS), 3);
	e = stats_test_find(s, "live");
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_EQ(test, atomic64_read(&e->count[FAIL_DUP_MOD_BECOMING]), 1);
	KUNIT_EXPECT_EQ(test, atomic64_read(&e->count[FAIL_DUP_MOD_LOAD]), 1);
	/* Not read from a compressed file: the load's bytes only, once laid out twice. */
	KUNIT_EXPECT_EQ(test, atomic64_read(&e->wasted), 1000 + 2000);
	KUNIT_EXPECT_EQ(test, atomic64_read(&e->merged), 3);
	KUNIT_EXPECT_EQ(test, s->nr_tracked, 1);

	/* What the per-counter files read. */
	KUNIT_EXPECT_EQ(test, 0, stats_counter_read(sp, MOD_STAT_MERGED_LOADS, &val));
	KUNIT_EXPECT_EQ(test, val, 3);
	KUNIT_EXPECT_EQ(test, 0, stats_counter_read(sp, MOD_STAT_INVALID_MOD_BYTES, &val));
	KUNIT_EXPECT_EQ(test, val, 2000);
}

/* Write @text to the reset file of the window *@sp, from user memory. */
static ssize_t stats_test_write_reset(struct kunit *test, unsigned long ubuf,
				      struct mod_stats __rcu **sp, const char *text)
{
	struct file *file = kunit_kzalloc(test, sizeof(*file), GFP_KERNEL);
	size_t len = strlen(text);
	loff_t pos = 0;

	KUNIT_ASSERT_NOT_NULL(test, file);
	KUNIT_ASSERT_EQ(test, 0, copy_to_user((char __user *)ubuf, text, len));
	file->private_data = sp;
	return mod_stats_reset_fops.write(file, (const char __user *)ubuf, len, &pos);
}

/* What the reset file refuses, changing nothing. */
static const char *const stats_reset_refused[] = {
	"", "0", "0\n", "y", "Y", "t", "on", "yes", "10", "11", "1x", "01", " 1", "1\n\n",
	"1 ", "maybe",
};

/* The reset file takes "1", with or without a newline, and nothing else. */
static void stats_test_reset_file(struct kunit *test)
{
	struct mod_stats __rcu **sp = stats_test_slot(test);
	struct mod_stats *s = rcu_dereference_protected(*sp, true);
	unsigned long ubuf;
	int i;

	ubuf = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			     MAP_ANONYMOUS | MAP_PRIVATE, 0);
	if (IS_ERR_VALUE(ubuf) || !ubuf)
		kunit_skip(test, "no user memory for the test (%ld)", (long)ubuf);

	stats_test_fail(s, "kept", FAIL_DUP_MOD_LOAD);
	for (i = 0; i < ARRAY_SIZE(stats_reset_refused); i++)
		KUNIT_EXPECT_EQ_MSG(test, stats_test_write_reset(test, ubuf, sp,
								 stats_reset_refused[i]),
				    -EINVAL, "writing \"%s\"", stats_reset_refused[i]);
	KUNIT_EXPECT_PTR_EQ(test, rcu_dereference_protected(*sp, true), s);
	KUNIT_EXPECT_NOT_NULL(test, stats_test_find(s, "kept"));

	KUNIT_EXPECT_EQ(test, stats_test_write_reset(test, ubuf, sp, "1\n"), 2);
	s = rcu_dereference_protected(*sp, true);
	KUNIT_EXPECT_TRUE(test, list_empty(&s->failed));
	stats_test_fail(s, "kept", FAIL_DUP_MOD_LOAD);
	KUNIT_EXPECT_EQ(test, stats_test_write_reset(test, ubuf, sp, "1"), 1);
	KUNIT_EXPECT_PTR_NE(test, rcu_dereference_protected(*sp, true), s);
	KUNIT_EXPECT_TRUE(test, list_empty(&rcu_dereference_protected(*sp, true)->failed));
}

/*
 * Two names with the same full_name_hash(), found offline by a birthday
 * search: the short one of each pair is recorded first, so that a lookup
 * of the long one that compared bytes before lengths would read past it.
 */
static const char *const stats_collide_64[] = { "cs3wnd", "collide_long_da0chdvd9dn" };
static const char *const stats_collide_32[] = { "csso1c", "collide_long_2ihadod2dge" };

static void stats_test_collide(struct kunit *test, struct mod_stats *s,
			       const char *const *names, int n)
{
	struct mod_fail_load *e;
	int i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j <= i; j++)
			stats_test_fail(s, names[i], FAIL_DUP_MOD_BECOMING);
	KUNIT_EXPECT_EQ(test, s->nr_tracked, n);
	KUNIT_EXPECT_EQ(test, stats_test_get(s, MOD_STAT_UNTRACKED_DUPS), 0);
	for (i = 0; i < n; i++) {
		e = stats_test_find(s, names[i]);
		KUNIT_ASSERT_NOT_NULL_MSG(test, e, "%s", names[i]);
		KUNIT_EXPECT_STREQ(test, e->name, names[i]);
		KUNIT_EXPECT_EQ_MSG(test, mod_fail_total(e), i + 1, "%s", names[i]);
	}
}

/* Names whose hashes really collide are two entries, each with its own count. */
static void stats_test_collision(struct kunit *test)
{
	struct mod_stats *s = stats_test_new(test, 16);
	const char *const *pair = IS_ENABLED(CONFIG_64BIT) ? stats_collide_64 : stats_collide_32;
	u32 h0 = full_name_hash(NULL, pair[0], strlen(pair[0]));
	u32 h1 = full_name_hash(NULL, pair[1], strlen(pair[1]));

	if (!IS_ENABLED(CONFIG_DCACHE_WORD_ACCESS) || IS_ENABLED(CONFIG_CPU_BIG_ENDIAN) ||
	    IS_ENABLED(CONFIG_HAVE_ARCH_HASH))
		kunit_skip(test, "the pairs collide in the generic little-endian word hash only");
	KUNIT_ASSERT_EQ_MSG(test, h0, h1, "%s and %s no longer collide", pair[0], pair[1]);
	KUNIT_ASSERT_NE(test, strlen(pair[0]), strlen(pair[1]));
	stats_test_collide(test, s, pair, 2);
}

static u32 stats_test_hash_all_same(const char *name, size_t len)
{
	return 42;
}

/* With every name in one bucket, prefixes of each other stay apart. */
static void stats_test_collision_forced(struct kunit *test)
{
	static const char *const names[] = {
		"ab", "abcdefghijklmnopqrstuvwxyz_much_longer_than_ab", "a", "abc", "b",
	};
	struct mod_stats *s = stats_test_new(test, 16);

	kunit_activate_static_stub(test, stats_hash, stats_test_hash_all_same);
	stats_test_collide(test, s, names, ARRAY_SIZE(names));
	KUNIT_EXPECT_NULL(test, stats_test_find(s, "abcd"));
	KUNIT_EXPECT_NULL(test, stats_test_find(s, ""));
}

static int stats_test_yields;
static bool stats_test_yield_in_rcu;

/* Stands in for stats_next_name(). */
static void stats_test_next_name(void)
{
	stats_test_yields++;
	if (IS_ENABLED(CONFIG_DEBUG_LOCK_ALLOC) && rcu_read_lock_held())
		stats_test_yield_in_rcu = true;
	cond_resched();
}

#define YIELD_NAMES	300

/*
 * A reader renders a file once per open, in a buffer sized at open(),
 * letting others run between names, and holds no RCU read lock meanwhile:
 * SRCU alone keeps the names alive.
 */
static void stats_test_render_yields(struct kunit *test)
{
	struct mod_stats *s = stats_test_new(test, MOD_STATS_MAX_TRACKED);
	struct mod_stats __rcu *live = RCU_INITIALIZER(s);
	size_t size = 64 * PAGE_SIZE;
	char *out = stats_test_buf(test, size);
	char name[MODULE_NAME_LEN];
	int i;

	/* Every other name longer than its column in the table. */
	for (i = 0; i < YIELD_NAMES; i++) {
		snprintf(name, sizeof(name), "yield_%04d%s", i,
			 i & 1 ? "_longer_than_its_column_in_the_table_of_stats" : "");
		stats_test_fail(s, name, FAIL_DUP_MOD_BECOMING);
	}
	/* And counters of 19 digits: the counter lines at their longest. */
	for (i = 0; i < MOD_STAT_COUNT; i++)
		atomic64_set(&s->counters[i], 1234567890123456789LL);
	stats_test_yields = 0;
	stats_test_yield_in_rcu = false;
	kunit_activate_static_stub(test, stats_next_name, stats_test_next_name);

	/* Read in small chunks: the text is still rendered only once. */
	KUNIT_EXPECT_GT(test, stats_test_read(test, &live, 100, out, size, NULL), YIELD_NAMES * 60);
	KUNIT_EXPECT_EQ(test, stats_test_yields, YIELD_NAMES);

	/* stats_test_read() added one name while it read. */
	stats_test_yields = 0;
	KUNIT_EXPECT_GT(test, stats_test_read_file(test, &mod_dups_fops, &live, 100, out, size,
						   NULL), YIELD_NAMES * 60);
	KUNIT_EXPECT_EQ(test, stats_test_yields, YIELD_NAMES + 1);
	KUNIT_EXPECT_FALSE(test, stats_test_yield_in_rcu);
	if (!IS_ENABLED(CONFIG_DEBUG_LOCK_ALLOC))
		kunit_info(test, "RCU read locks not checked: needs CONFIG_DEBUG_LOCK_ALLOC\n");
}

static struct mod_stats __rcu **stats_test_mid_slot;
static struct load_info *stats_test_mid_dup;
static int stats_test_mid_names;

/*
 * Stands in for stats_next_name(): while the reader is at the newest name,
 * the oldest one fails again, through the hook a load calls.
 */
static void stats_test_fail_mid_render(void)
{
	if (!stats_test_mid_names++)
		stats_hook_becoming(stats_test_mid_slot, stats_test_mid_dup, 0);
}

/*
 * One text is consistent: a failure that its table counts is in its
 * counters too, even when it lands while the reader is at the table.
 */
static void stats_test_render_consistent(struct kunit *test)
{
	static const char *const names[] = { "mid_0", "mid_1", "mid_2" };
	struct mod_stats __rcu **sp = stats_test_slot(test);
	struct load_info dup[ARRAY_SIZE(names)] = { };
	char *out = stats_test_buf(test, PAGE_SIZE);
	ssize_t n;
	int i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		dup[i].name = names[i];
		dup[i].len = 1000;
		try_add_failed_module(names[i], FAIL_DUP_MOD_BECOMING, &dup[i]);
		stats_hook_becoming(sp, &dup[i], 0);
	}
	stats_test_mid_slot = sp;
	stats_test_mid_dup = &dup[0];
	stats_test_mid_names = 0;
	kunit_activate_static_stub(test, stats_next_name, stats_test_fail_mid_render);

	n = stats_test_read_whole(&mod_stats_fops, sp, out, PAGE_SIZE - 1);
	KUNIT_ASSERT_GT(test, n, 0);
	out[n] = '\0';
	KUNIT_EXPECT_EQ(test, stats_test_mid_names, 3);
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(out, "                    mid_0\t              2\t"),
				  "%s", out);
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(out, "\n  Mods failed on becoming\t4\n"), "%s", out);
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(out, "\n Virtual mem wasted bytes\t4000\n"),
				  "%s", out);
	/* The counters still come first. */
	KUNIT_EXPECT_TRUE(test, str_has_prefix(out, "         Mods ever loaded\t0\n"));
}

/*
 * The counter lines are moved in front of the table through the buffer's
 * free tail: a buffer that holds the text but not the room to move them
 * overflows, and seq_file renders again in a larger one.
 */
static void stats_test_move_room(struct kunit *test)
{
	struct mod_stats *s = stats_test_new(test, MOD_STATS_MAX_TRACKED);
	struct seq_file m = { };
	const char *text;
	size_t len, head;
	int idx;

	stats_test_fail(s, "room_0", FAIL_DUP_MOD_BECOMING);
	stats_test_fail(s, "room_1", FAIL_DUP_MOD_LOAD);
	text = stats_test_render(test, s, PAGE_SIZE);
	len = strlen(text);
	head = strstr(text, "Duplicate failed modules:\n") - text;
	KUNIT_ASSERT_GT(test, head, 0);

	m.buf = stats_test_buf(test, len + head + 1);
	/* Room for the text and all but one byte of the counter lines. */
	m.size = len + head - 1;
	idx = srcu_read_lock(&mod_stats_srcu);
	stats_render(s, &m);
	srcu_read_unlock(&mod_stats_srcu, idx);
	KUNIT_EXPECT_TRUE(test, seq_has_overflowed(&m));

	/* And with that byte, the same text. */
	m.size = len + head;
	m.count = 0;
	idx = srcu_read_lock(&mod_stats_srcu);
	stats_render(s, &m);
	srcu_read_unlock(&mod_stats_srcu, idx);
	KUNIT_ASSERT_FALSE(test, seq_has_overflowed(&m));
	KUNIT_ASSERT_EQ(test, m.count, len);
	m.buf[m.count] = '\0';
	KUNIT_EXPECT_STREQ(test, m.buf, text);
}

/* Names with one byte to escape each, as the table of stats must show them. */
static const struct {
	const char *name;
	const char *row;
} stats_escape_rows[] = {
	{ "sp ace",	"                sp\\040ace" },
	{ "back\\slash",	"            back\\134slash" },
	{ "tab\tx",	"                 tab\\011x" },
	{ "hi\377",	"                   hi\\377" },
	{ "del\177",	"                  del\\177" },
	{ "~!\"#$%&'()*+,-./:;<=>?@[]^_`{|}", "~!\"#$%&'()*+,-./:;<=>?@[]^_`{|}" },
};

/*
 * Every byte of a name or a command name that is not printable ASCII, and
 * the space and the backslash, is escaped, so that fields never split.
 */
static void stats_test_escape(struct kunit *test)
{
	static const char name[] = "m\tn o\\p\377q\n";
	struct mod_stats *s = stats_test_new(test, 16);
	char comm[TASK_COMM_LEN];
	struct seq_file m = { };
	const char *text;
	char want[512];
	int idx, i;

	get_task_comm(comm, current);
	set_task_comm(current, "a\rb\vc\fd\001e\177");
	kunit_activate_static_stub(test, stats_now, stats_test_now);
	stats_test_clock = 1000;
	stats_test_add_failed(s, name, FAIL_DUP_MOD_LOAD, 10);
	set_task_comm(current, comm);

	m.buf = stats_test_buf(test, PAGE_SIZE);
	m.size = PAGE_SIZE;
	idx = srcu_read_lock(&mod_stats_srcu);
	stats_test_render_dups(s, &m);
	srcu_read_unlock(&mod_stats_srcu, idx);
	KUNIT_ASSERT_FALSE(test, seq_has_overflowed(&m));
	m.buf[m.count] = '\0';
	snprintf(want, sizeof(want),
		 "%sm\\011n\\040o\\134p\\377q\\012 1 0 1 10 1000 1000 %d a\\015b\\013c\\014d\\001e\\177 0\n",
		 dups_header, task_pid_nr(current));
	KUNIT_EXPECT_STREQ(test, m.buf, want);

	text = stats_test_render(test, s, PAGE_SIZE);
	text = strstr(text, "Duplicate failed modules:\n");
	KUNIT_ASSERT_NOT_NULL(test, text);
	KUNIT_EXPECT_STREQ(test, text,
			   "Duplicate failed modules:\n"
			   "              Module-name\t How-many-times\t                   Reason\n"
			   "m\\011n\\040o\\134p\\377q\\012\t              1\t                     Load\n");

	/* One byte at a time, and every other printable byte left alone. */
	for (i = 0; i < ARRAY_SIZE(stats_escape_rows); i++) {
		char row[128];

		s = stats_test_new(test, 16);
		stats_test_fail(s, stats_escape_rows[i].name, FAIL_DUP_MOD_LOAD);
		snprintf(row, sizeof(row), "\n%s\t              1\t                     Load\n",
			 stats_escape_rows[i].row);
		text = stats_test_render(test, s, PAGE_SIZE);
		KUNIT_EXPECT_STREQ(test, text + strlen(text) - strlen(row), row);
	}
}

/*
 * Both text files open, render the window they were created for, and close,
 * read through .read into user memory, as read(2) on debugfs reads them:
 * debugfs passes a file's .read on, and not its .read_iter.
 */
static void stats_test_open_files(struct kunit *test)
{
	struct mod_stats *s = stats_test_new(test, 16);
	struct mod_stats __rcu *live = RCU_INITIALIZER(s);
	static const struct file_operations *const fops[] = { &mod_stats_fops, &mod_dups_fops };
	static const char *const want[] = { "Duplicate failed modules:", "\nopened 1 0 1 " };
	char *out = stats_test_buf(test, PAGE_SIZE);
	unsigned long ubuf;
	int i;

	ubuf = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			     MAP_ANONYMOUS | MAP_PRIVATE, 0);
	if (IS_ERR_VALUE(ubuf) || !ubuf)
		kunit_skip(test, "no user memory for the test (%ld)", (long)ubuf);

	stats_test_fail(s, "opened", FAIL_DUP_MOD_LOAD);
	for (i = 0; i < ARRAY_SIZE(fops); i++) {
		struct inode *inode = kunit_kzalloc(test, sizeof(*inode), GFP_KERNEL);
		struct file *file = kunit_kzalloc(test, sizeof(*file), GFP_KERNEL);
		loff_t pos = 0;
		ssize_t n;

		KUNIT_ASSERT_NOT_NULL(test, inode);
		KUNIT_ASSERT_NOT_NULL(test, file);
		KUNIT_ASSERT_NOT_NULL_MSG(test, fops[i]->read, "file %d cannot be read(2)", i);
		inode->i_private = &live;
		file->f_mode = FMODE_READ;
		KUNIT_ASSERT_EQ(test, fops[i]->open(inode, file), 0);
		n = fops[i]->read(file, (char __user *)ubuf, PAGE_SIZE - 1, &pos);
		KUNIT_EXPECT_GT(test, n, 0);
		KUNIT_EXPECT_EQ(test, pos, n);
		if (n > 0)
			KUNIT_EXPECT_EQ(test, 0, copy_from_user(out, (char __user *)ubuf, n));
		out[n > 0 ? n : 0] = '\0';
		KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(out, want[i]), "file %d:\n%s", i, out);
		KUNIT_EXPECT_EQ(test, fops[i]->release(inode, file), 0);
	}
}

/* Byte totals past 4 GiB stay exact on 32-bit kernels too. */
static void stats_test_past_4g(struct kunit *test)
{
	struct mod_stats *s = stats_test_new(test, 16);
	struct load_info info = { .len = SZ_3G_BYTES };
	const char *text;

	stats_bump_invalid(s, &info, 0);
	stats_bump_becoming(s, &info, 0);
	stats_bump_becoming(s, &info, 0);
	info.hdr = (void *)stats_test_copy;
	info.len = U32_MAX;
	stats_bump_kread(s, &info);
	stats_bump_kread(s, &info);

	KUNIT_EXPECT_EQ(test, stats_test_get(s, MOD_STAT_INVALID_MOD_BYTES),
			2ULL * SZ_3G_BYTES);
	KUNIT_EXPECT_EQ(test, stats_test_get(s, MOD_STAT_INVALID_BECOMING_BYTES),
			2ULL * SZ_3G_BYTES);
	KUNIT_EXPECT_EQ(test, stats_test_get(s, MOD_STAT_INVALID_KREAD_BYTES), 2ULL * U32_MAX);

	text = stats_test_render(test, s, PAGE_SIZE);
	KUNIT_EXPECT_NOT_NULL(test, strstr(text, "\n        Failed kmod bytes\t6442450944\n"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(text, "\n    Failed becoming bytes\t6442450944\n"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(text, "\n       Failed kread bytes\t8589934590\n"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(text, "\n Virtual mem wasted bytes\t21474836478\n"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(text, "\n     Avg fail kread bytes\t4294967295\n"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(text, "\n  Avg fail becoming bytes\t3221225472\n"));
}

static struct kunit_case module_stats_test_cases[] = {
	KUNIT_CASE_PARAM(stats_test_hooks, stats_hook_gen_params),
	KUNIT_CASE(stats_test_reasons),
	KUNIT_CASE(stats_test_golden),
	KUNIT_CASE(stats_test_empty),
	KUNIT_CASE_SLOW(stats_test_many_names),
	KUNIT_CASE(stats_test_long_name),
	KUNIT_CASE(stats_test_chunked_reads),
	KUNIT_CASE(stats_test_cap),
	KUNIT_CASE(stats_test_cap_race),
	KUNIT_CASE(stats_test_alloc_failure),
	KUNIT_CASE(stats_test_table),
	KUNIT_CASE(stats_test_table_race),
	KUNIT_CASE(stats_test_attribution),
	KUNIT_CASE(stats_test_dups_file),
	KUNIT_CASE(stats_test_merged),
	KUNIT_CASE(stats_test_save_name),
	KUNIT_CASE(stats_test_hooks_in_window),
	KUNIT_CASE(stats_test_reset_file),
	KUNIT_CASE(stats_test_open_files),
	KUNIT_CASE(stats_test_reset),
	KUNIT_CASE(stats_test_reset_split),
	KUNIT_CASE(stats_test_reset_stamp),
	KUNIT_CASE(stats_test_collision),
	KUNIT_CASE(stats_test_collision_forced),
	KUNIT_CASE(stats_test_render_yields),
	KUNIT_CASE(stats_test_render_consistent),
	KUNIT_CASE(stats_test_move_room),
	KUNIT_CASE(stats_test_escape),
	KUNIT_CASE_SLOW(stats_test_concurrency),
	KUNIT_CASE_SLOW(stats_test_reset_race),
	KUNIT_CASE(stats_test_past_4g),
	{}
};

static struct mod_stats *stats_test_live_at_start;
static u64 stats_test_started_ns;

static int stats_test_suite_init(struct kunit_suite *suite)
{
	stats_test_live_at_start = rcu_access_pointer(mod_stats_live);
	stats_test_started_ns = ktime_get_boottime_ns();
	return 0;
}

/*
 * After each case, before its cleanup runs: the running kernel's window is
 * the one the suite started with, or one that a reset written to debugfs
 * made since, which began after the suite did. A window a case put there
 * would have no start time or the one of the case's own clock.
 */
static void stats_test_exit(struct kunit *test)
{
	int idx = srcu_read_lock(&mod_stats_srcu);
	struct mod_stats *live = stats_window(&mod_stats_live);

	KUNIT_EXPECT_TRUE_MSG(test, live == stats_test_live_at_start ||
			      live->since_ns >= stats_test_started_ns,
			      "the case replaced the statistics of the running kernel");
	srcu_read_unlock(&mod_stats_srcu, idx);
}

static struct kunit_suite module_stats_test_suite = {
	.name = "module_stats",
	.suite_init = stats_test_suite_init,
	.exit = stats_test_exit,
	.test_cases = module_stats_test_cases,
};

kunit_test_suite(module_stats_test_suite);
