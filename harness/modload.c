// SPDX-License-Identifier: GPL-2.0
/*
 * modload - load kernel modules from many threads at once, the way udev
 * does on a many-CPU boot, and report exactly what every call returned.
 *
 * Usage: modload [-t threads] [-r rounds] [-i] [-a args] [-u uid -R file] file...
 *
 *   -t N   threads (default 1); thread i loads file (i + round) % nfiles
 *   -r M   rounds (default 1); threads meet at a barrier before each round
 *   -i     use init_module() on the file's bytes instead of finit_module()
 *   -a ARGS module parameters for every load, as in "name=value"
 *   -u UID -R FILE
 *          drop to UID and try to open FILE for reading; report the errno
 *   -k LEN call init_module() with LEN bytes at an unmapped address, so the
 *          kernel fails to read the module (EFAULT)
 *
 * Files ending in .xz are passed with MODULE_INIT_COMPRESSED_FILE.
 * busybox insmod is no use for counting: it retries a failed finit_module()
 * with init_module(), so each failure happens twice in the kernel.
 *
 * Output, one line, machine-readable:
 *   modload calls=N ok=N EEXIST=N EBUSY=N other=N [ERRNAME=N ...]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MODULE_INIT_COMPRESSED_FILE
#define MODULE_INIT_COMPRESSED_FILE 4
#endif

#define MAX_ERRNO 4096

static char **files;
static int nfiles, nthreads = 1, rounds = 1, use_init_module;
static const char *mod_args = "";
static pthread_barrier_t barrier;
static pthread_mutex_t tally_lock = PTHREAD_MUTEX_INITIALIZER;
static long calls, ok, by_errno[MAX_ERRNO];

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

static int load_one(const char *path)
{
	int fd, ret, flags = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "modload: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	if (use_init_module) {
		struct stat st;
		void *p;

		if (fstat(fd, &st) < 0) {
			fprintf(stderr, "modload: %s: %s\n", path, strerror(errno));
			exit(2);
		}
		p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED) {
			fprintf(stderr, "modload: mmap %s: %s\n", path, strerror(errno));
			exit(2);
		}
		ret = syscall(SYS_init_module, p, (unsigned long)st.st_size, mod_args);
		munmap(p, st.st_size);
	} else {
		if (has_suffix(path, ".xz"))
			flags |= MODULE_INIT_COMPRESSED_FILE;
		ret = syscall(SYS_finit_module, fd, mod_args, flags);
	}
	ret = ret < 0 ? errno : 0;
	close(fd);
	return ret;
}

static void *loader(void *arg)
{
	long id = (long)arg;
	int r, err;

	for (r = 0; r < rounds; r++) {
		pthread_barrier_wait(&barrier);
		err = load_one(files[(id + r) % nfiles]);
		pthread_mutex_lock(&tally_lock);
		calls++;
		if (!err)
			ok++;
		else
			by_errno[err < MAX_ERRNO ? err : 0]++;
		pthread_mutex_unlock(&tally_lock);
	}
	return NULL;
}

static int bad_read(unsigned long len)
{
	void *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long ret;

	if (p == MAP_FAILED) {
		fprintf(stderr, "modload: mmap: %s\n", strerror(errno));
		return 2;
	}
	ret = syscall(SYS_init_module, p, len, "");
	printf("modload calls=1 ok=%d EEXIST=0 EBUSY=0 other=%d", ret == 0, ret != 0);
	if (ret)
		printf(" %s=1", strerrorname_np(errno) ?: "E?");
	printf("\n");
	return 0;
}

/* init_module() of @len bytes at NULL: refused before any copy is made. */
static int null_read(unsigned long len)
{
	long ret = syscall(SYS_init_module, NULL, len, "");

	printf("modload calls=1 ok=%d EEXIST=0 EBUSY=0 other=%d", ret == 0, ret != 0);
	if (ret)
		printf(" %s=1", strerrorname_np(errno) ?: "E?");
	printf("\n");
	return 0;
}

/* Open @path as @uid, to read it or to write "1" to it; print what happened. */
static int try_as(uid_t uid, const char *path, int write_it)
{
	const char *what = write_it ? "write" : "read";
	int fd;

	if (setgid(uid) || setuid(uid)) {
		fprintf(stderr, "modload: setuid(%u): %s\n", uid, strerror(errno));
		return 2;
	}
	fd = open(path, write_it ? O_WRONLY : O_RDONLY);
	if (fd < 0) {
		printf("modload %s=%s\n", what, strerrorname_np(errno));
		return 0;
	}
	if (write_it && write(fd, "1", 1) != 1)
		printf("modload write=%s\n", strerrorname_np(errno));
	else
		printf("modload %s=allowed\n", what);
	close(fd);
	return 0;
}

static void bad_usage(void)
{
	fprintf(stderr, "usage: modload [-t threads] [-r rounds] [-i] file...\n"
			"       modload -u uid -R file | -W file\n"
			"       modload -k len\n"
			"       modload -z len|max\n"
			"-e: load under a task name with control characters\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *read_path = NULL;
	int write_it = 0;
	long uid = -1, bad_len = 0, i;
	const char *null_len = NULL;
	pthread_t *tids;
	int opt, e;

	while ((opt = getopt(argc, argv, "t:r:ia:u:R:W:k:z:e")) != -1) {
		switch (opt) {
		case 't':
			nthreads = atoi(optarg);
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'i':
			use_init_module = 1;
			break;
		case 'a':
			mod_args = optarg;
			break;
		case 'u':
			uid = atol(optarg);
			break;
		case 'R':
			read_path = optarg;
			break;
		case 'W':
			read_path = optarg;
			write_it = 1;
			break;
		case 'k':
			bad_len = atol(optarg);
			break;
		case 'z':
			null_len = optarg;
			break;
		case 'e':
			/* Threads inherit it; dup_failures must escape every byte. */
			if (prctl(PR_SET_NAME, "e2e\r\v\f\001 x\\")) {
				fprintf(stderr, "modload: prctl: %s\n", strerror(errno));
				return 2;
			}
			break;
		default:
			bad_usage();
		}
	}
	if (read_path) {
		if (uid < 0)
			bad_usage();
		return try_as(uid, read_path, write_it);
	}
	if (bad_len > 0)
		return bad_read(bad_len);
	if (null_len)
		return null_read(strcmp(null_len, "max") ? strtoul(null_len, NULL, 0) : ~0UL);
	files = argv + optind;
	nfiles = argc - optind;
	if (nfiles < 1 || nthreads < 1 || rounds < 1)
		bad_usage();

	tids = calloc(nthreads, sizeof(*tids));
	if (!tids || pthread_barrier_init(&barrier, NULL, nthreads)) {
		fprintf(stderr, "modload: out of memory\n");
		return 2;
	}
	for (i = 0; i < nthreads; i++) {
		e = pthread_create(&tids[i], NULL, loader, (void *)i);
		if (e) {
			fprintf(stderr, "modload: pthread_create: %s\n", strerror(e));
			return 2;
		}
	}
	for (i = 0; i < nthreads; i++)
		pthread_join(tids[i], NULL);

	printf("modload calls=%ld ok=%ld EEXIST=%ld EBUSY=%ld other=%ld", calls, ok,
	       by_errno[EEXIST], by_errno[EBUSY],
	       calls - ok - by_errno[EEXIST] - by_errno[EBUSY]);
	for (i = 1; i < MAX_ERRNO; i++)
		if (by_errno[i] && i != EEXIST && i != EBUSY)
			printf(" %s=%ld", strerrorname_np(i) ?: "E?", by_errno[i]);
	if (by_errno[0])
		printf(" EUNKNOWN=%ld", by_errno[0]);
	printf("\n");
	return 0;
}
