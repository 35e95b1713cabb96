// SPDX-License-Identifier: GPL-2.0
/*
 * make bench's guest tool, linked statically into the bench initramfs.
 *
 *   benchtool loads FILE NAME N   load FILE and unload NAME, N times; print
 *                                 the mean ns of one load+unload
 *   benchtool reader FILE         read FILE whole, over and over, until killed
 *   benchtool spin                use a CPU in userspace until killed: what
 *                                 the reader costs loads for taking a CPU
 *                                 alone, without entering the kernel
 *   benchtool read FILE R         read FILE whole R times; print the mean ns
 *                                 of one read, the bytes and the table rows
 *                                 of the last read
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static char buf[4 << 20];

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "benchtool: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* The whole file, read in 64 KiB pieces; returns its length. */
static size_t read_whole(const char *path)
{
	size_t len = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		die(path);
	while (len < sizeof(buf) - 1 &&
	       (n = read(fd, buf + len, sizeof(buf) - 1 - len < 65536 ?
			 sizeof(buf) - 1 - len : 65536)) > 0)
		len += n;
	if (n < 0)
		die(path);
	close(fd);
	buf[len] = '\0';
	return len;
}

static int loads(const char *path, const char *name, long n)
{
	unsigned long long start;
	long i;

	start = now_ns();
	for (i = 0; i < n; i++) {
		int fd = open(path, O_RDONLY);

		if (fd < 0)
			die(path);
		if (syscall(SYS_finit_module, fd, "", 0))
			die("finit_module");
		close(fd);
		if (syscall(SYS_delete_module, name, O_NONBLOCK))
			die("delete_module");
	}
	printf("%llu\n", (now_ns() - start) / n);
	return 0;
}

static int reads(const char *path, long r)
{
	unsigned long long start;
	size_t len = 0;
	long i, rows = 0;
	char *p;

	start = now_ns();
	for (i = 0; i < r; i++)
		len = read_whole(path);
	printf("%llu %zu ", (now_ns() - start) / r, len);
	p = strstr(buf, "Module-name");
	if (p)
		for (p = strchr(p, '\n'); p && p[1]; p = strchr(p + 1, '\n'))
			rows++;
	printf("%ld\n", rows);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "loads"))
		return loads(argv[2], argv[3], atol(argv[4]));
	if (argc == 3 && !strcmp(argv[1], "reader"))
		for (;;)
			read_whole(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "spin"))
		for (volatile unsigned long n = 0;; n++)
			;
	if (argc == 4 && !strcmp(argv[1], "read"))
		return reads(argv[2], atol(argv[3]));
	fprintf(stderr, "usage: benchtool loads FILE NAME N | reader FILE | spin | read FILE R\n");
	return 2;
}
