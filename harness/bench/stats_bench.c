// SPDX-License-Identifier: GPL-2.0
/*
 * make bench's probe, built into the bench kernels only; not part of the
 * series. It records duplicate failures the way early_mod_check() does:
 * try_add_failed_module() under module_mutex, then mod_stat_bump_becoming().
 * Both kernels run this same file against their own stats.c, so a timing
 * covers exactly the code a real duplicate failure runs there.
 *
 * /sys/kernel/debug/modstats_bench/ctl:
 *   write "populate N"  give N distinct names one failure each
 *   write "time M"      M more failures, over the names in turn, timed
 *   write "loaded M"    what do_init_module() accounts for a module that
 *                       loaded, and free_copy() for its name, M times, timed
 *   read                "names N last_ns T count M" of the last timing
 */

#include <linux/debugfs.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "internal.h"

static DEFINE_MUTEX(bench_lock);
#ifdef MODSTATS_OURS
static struct mod_stat_name bench_name;
/* What load_info::mod points to: the module in the load's copy. */
static struct module bench_mod = { .name = "bench_loaded" };
#endif
static unsigned int bench_names;
static unsigned int bench_count;
static u64 bench_last_ns;

static void bench_fail(unsigned int i)
{
	char name[MODULE_NAME_LEN];
	struct load_info info = { .name = name, .len = 4096 };

	snprintf(name, sizeof(name), "bench_%06u", i);
	mutex_lock(&module_mutex);
#ifdef MODSTATS_OURS
	try_add_failed_module(name, FAIL_DUP_MOD_BECOMING, &info);
#else
	try_add_failed_module(name, FAIL_DUP_MOD_BECOMING);
#endif
	mutex_unlock(&module_mutex);
	mod_stat_bump_becoming(&info, 0);
}

/* The statistics side of one successful load, in each kernel's own code. */
static void bench_loaded(void)
{
#ifdef MODSTATS_OURS
	struct load_info info = { .name = "bench_loaded", .mod = &bench_mod, .len = 4096 };

	mod_stat_want_name(&info, &bench_name);
	mod_stat_save_name(&info);
	mod_stat_bump_loaded(8192, 4096);
#else
	mod_stat_add_long(4096, &total_text_size);
	mod_stat_add_long(8192, &total_mod_size);
	mod_stat_inc(&modcount);
#endif
}

static ssize_t bench_write(struct file *file, const char __user *ubuf,
			   size_t count, loff_t *ppos)
{
	char buf[32];
	unsigned int n, i;
	u64 start;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';

	mutex_lock(&bench_lock);
	if (sscanf(buf, "populate %u", &n) == 1) {
		for (i = bench_names; i < n; i++) {
			bench_fail(i);
			cond_resched();
		}
		if (n > bench_names)
			bench_names = n;
	} else if (sscanf(buf, "time %u", &n) == 1 && bench_names) {
		start = ktime_get_ns();
		for (i = 0; i < n; i++)
			bench_fail(i % bench_names);
		bench_last_ns = ktime_get_ns() - start;
		bench_count = n;
	} else if (sscanf(buf, "loaded %u", &n) == 1 && n) {
		start = ktime_get_ns();
		for (i = 0; i < n; i++)
			bench_loaded();
		bench_last_ns = ktime_get_ns() - start;
		bench_count = n;
	} else {
		count = -EINVAL;
	}
	mutex_unlock(&bench_lock);
	return count;
}

static ssize_t bench_read(struct file *file, char __user *ubuf, size_t count,
			  loff_t *ppos)
{
	char buf[96];
	int len;

	mutex_lock(&bench_lock);
	len = scnprintf(buf, sizeof(buf), "names %u last_ns %llu count %u\n",
			bench_names, bench_last_ns, bench_count);
	mutex_unlock(&bench_lock);
	return simple_read_from_buffer(ubuf, count, ppos, buf, len);
}

static const struct file_operations bench_fops = {
	.read	= bench_read,
	.write	= bench_write,
	.llseek	= default_llseek,
};

static int __init stats_bench_init(void)
{
	struct dentry *dir = debugfs_create_dir("modstats_bench", NULL);

	debugfs_create_file("ctl", 0600, dir, NULL, &bench_fops);
	return 0;
}
late_initcall(stats_bench_init);
