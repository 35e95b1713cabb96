// SPDX-License-Identifier: GPL-2.0
/*
 * A module that does nothing. The end-to-end test of module statistics
 * builds it under many names and loads it over and over.
 */
#include <linux/init.h>
#include <linux/module.h>

static int __init mst_init(void)
{
	return 0;
}

static void __exit mst_exit(void)
{
}

module_init(mst_init);
module_exit(mst_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Module statistics test module");
