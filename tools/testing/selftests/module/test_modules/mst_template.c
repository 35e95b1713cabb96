// SPDX-License-Identifier: GPL-2.0
/*
 * A module that does nothing. The module statistics selftest (mod_stats)
 * loads copies of it under many names, over and over.
 */
#include <linux/delay.h>
#include <linux/init.h>
#include <linux/module.h>

static unsigned int init_delay_ms;
module_param(init_delay_ms, uint, 0);
MODULE_PARM_DESC(init_delay_ms, "Milliseconds the init function sleeps");

static int __init mst_init(void)
{
	/* A slow init keeps the load in progress for concurrent loaders. */
	if (init_delay_ms)
		msleep(init_delay_ms);
	return 0;
}

static void __exit mst_exit(void)
{
}

module_init(mst_init);
module_exit(mst_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Module statistics test module");
