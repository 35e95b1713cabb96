// SPDX-License-Identifier: GPL-2.0
/*
 * Module load statistics (CONFIG_MODULE_STATS), seen from userspace.
 *
 * Every case loads copies of test_modules/mst_template.ko under names of its
 * own, written to a temporary directory, and checks what the debugfs files
 * under /sys/kernel/debug/modules say against what the loads returned and
 * the sizes of the files loaded. Counters are compared before and after,
 * so the test runs on a machine that has been up for days; only the
 * reset_window case resets the statistics, and it says so. The modules a
 * case loaded are unloaded when it ends.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <assert.h>
#include <ftw.h>
#include <grp.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/elf.h>
#include <linux/magic.h>

#include "../kselftest_harness.h"

#ifndef MODULE_INIT_COMPRESSED_FILE
#define MODULE_INIT_COMPRESSED_FILE 4
#endif

#define STATS_DIR	"/sys/kernel/debug/modules"
#define TRACE_DIR	"/sys/kernel/tracing"
#define TRACE_INSTANCE	TRACE_DIR "/instances/mod_stats_test"
#define EVENT_DIR	TRACE_INSTANCE "/events/module/module_load_fail"
#define TEMPLATE	"mst_template"
/* A name of 55 bytes, the longest MODULE_NAME_LEN allows on 64-bit. */
#define LONGEST_NAME	55
#define MAX_LOADED	512
#define NR_DISTINCT	200
#define RACERS		8
/* At most this many cycles of loads in the storm that reads_during_storm reads in. */
#define STORM_CYCLES	40

/* The per-counter files, and their lines in the stats file. */
enum counter {
	C_MODCOUNT, C_FAILED_KREADS, C_FAILED_DECOMPRESS, C_FAILED_BECOMING,
	C_FAILED_LOAD, C_TOTAL_SIZE, C_TEXT_SIZE, C_KREAD_BYTES,
	C_DECOMPRESS_BYTES, C_BECOMING_BYTES, C_LOAD_BYTES, C_UNTRACKED,
	C_MERGED, NR_COUNTERS
};

static const char *const counter_files[] = {
	[C_MODCOUNT]		= "modcount",
	[C_FAILED_KREADS]	= "failed_kreads",
	[C_FAILED_DECOMPRESS]	= "failed_decompress",
	[C_FAILED_BECOMING]	= "failed_becoming",
	[C_FAILED_LOAD]		= "failed_load_modules",
	[C_TOTAL_SIZE]		= "total_mod_size",
	[C_TEXT_SIZE]		= "total_text_size",
	[C_KREAD_BYTES]		= "invalid_kread_bytes",
	[C_DECOMPRESS_BYTES]	= "invalid_decompress_bytes",
	[C_BECOMING_BYTES]	= "invalid_becoming_bytes",
	[C_LOAD_BYTES]		= "invalid_mod_bytes",
	[C_UNTRACKED]		= "untracked_dup_failures",
	[C_MERGED]		= "merged_loads",
};

static_assert(ARRAY_SIZE(counter_files) == NR_COUNTERS, "a file for each counter");

/*
 * The counter lines of the stats file, in the order it prints them. The
 * averages are shown only when both of their counters are non-zero.
 */
enum line {
	L_MODCOUNT, L_FAILED_KREADS, L_FAILED_DECOMPRESS, L_FAILED_BECOMING,
	L_FAILED_LOAD, L_TOTAL_SIZE, L_TEXT_SIZE, L_KREAD_BYTES,
	L_DECOMPRESS_BYTES, L_BECOMING_BYTES, L_LOAD_BYTES, L_WASTED,
	L_AVG_SIZE, L_AVG_TEXT, L_AVG_KREAD, L_AVG_BECOMING, L_AVG_DECOMPRESS,
	L_AVG_LOAD, L_UNTRACKED, L_MERGED, L_SINCE, NR_LINES
};

static const struct {
	const char *label;
	int counter;		/* the counter it shows, or -1 */
	int bytes, count;	/* an average: of these two counters */
} lines[NR_LINES] = {
	[L_MODCOUNT]		= { "Mods ever loaded", C_MODCOUNT },
	[L_FAILED_KREADS]	= { "Mods failed on kread", C_FAILED_KREADS },
	[L_FAILED_DECOMPRESS]	= { "Mods failed on decompress", C_FAILED_DECOMPRESS },
	[L_FAILED_BECOMING]	= { "Mods failed on becoming", C_FAILED_BECOMING },
	[L_FAILED_LOAD]		= { "Mods failed on load", C_FAILED_LOAD },
	[L_TOTAL_SIZE]		= { "Total module size", C_TOTAL_SIZE },
	[L_TEXT_SIZE]		= { "Total mod text size", C_TEXT_SIZE },
	[L_KREAD_BYTES]		= { "Failed kread bytes", C_KREAD_BYTES },
	[L_DECOMPRESS_BYTES]	= { "Failed decompress bytes", C_DECOMPRESS_BYTES },
	[L_BECOMING_BYTES]	= { "Failed becoming bytes", C_BECOMING_BYTES },
	[L_LOAD_BYTES]		= { "Failed kmod bytes", C_LOAD_BYTES },
	[L_WASTED]		= { "Virtual mem wasted bytes", -1 },
	[L_AVG_SIZE]		= { "Average mod size", -1, C_TOTAL_SIZE, C_MODCOUNT },
	[L_AVG_TEXT]		= { "Average mod text size", -1, C_TEXT_SIZE, C_MODCOUNT },
	[L_AVG_KREAD]		= { "Avg fail kread bytes", -1, C_KREAD_BYTES, C_FAILED_KREADS },
	[L_AVG_BECOMING]	= { "Avg fail becoming bytes", -1, C_BECOMING_BYTES,
				    C_FAILED_BECOMING },
	[L_AVG_DECOMPRESS]	= { "Avg fail decomp bytes", -1, C_DECOMPRESS_BYTES,
				    C_FAILED_DECOMPRESS },
	[L_AVG_LOAD]		= { "Average fail load bytes", -1, C_LOAD_BYTES, C_FAILED_LOAD },
	[L_UNTRACKED]		= { "Untracked dup failures", C_UNTRACKED },
	[L_MERGED]		= { "Merged loads", C_MERGED },
	[L_SINCE]		= { "Window start ns", -1 },
};

static bool is_average(int line)
{
	return line >= L_AVG_SIZE && line <= L_AVG_LOAD;
}

#define R_BECOMING	1
#define R_LOAD		2
static const char *const reasons[] = { "", "Becoming", "Load", "Becoming & Load" };

static const char table_title[] = "Duplicate failed modules:";
static const char table_header[] =
	"              Module-name\t How-many-times\t                   Reason";
static const char dups_header[] =
	"# module dup_failures v1\n"
	"# name failures becoming load wasted_bytes first_ns last_ns last_pid last_comm merged\n";

struct counters {
	unsigned long long v[NR_COUNTERS];
	unsigned int missing;	/* a bit per counter file that could not be read */
};

struct row {
	char *name;
	unsigned long long count;
	int reason;
};

/* The stats file, parsed; problem[0] is set if it is not well formed. */
struct stats {
	unsigned long long v[NR_LINES];
	unsigned int seen;	/* a bit per line present */
	struct row *rows;
	int nr_rows;
	char problem[256];
};

struct dup {
	char *name;
	unsigned long long failures, becoming, load, wasted, first_ns, last_ns, merged;
	long pid;
	char *comm;
};

struct dups {
	struct dup *recs;
	int nr;
	char problem[256];
};

/* What a set of loads returned. */
struct tally {
	int calls, ok, other;
	int err[256];		/* by errno; err[0] counts errnos past the end */
};

static void tally_add(struct tally *t, int err)
{
	t->calls++;
	if (!err)
		t->ok++;
	else
		t->err[err < 256 ? err : 0]++;
	if (err && err != EEXIST && err != EBUSY)
		t->other++;
}

static int dup_errors(const struct tally *t)
{
	return t->err[EEXIST] + t->err[EBUSY];
}

/* The whole of @path, read @chunk bytes at a time, NUL-terminated. */
static char *read_file(const char *path, size_t chunk, size_t *lenp)
{
	size_t len = 0, size = 65536;
	char *buf = malloc(size + 1);
	ssize_t n;
	int fd;

	if (!buf)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	for (;;) {
		while (size - len < chunk) {
			char *p = realloc(buf, size * 2 + 1);

			if (!p)
				goto fail;
			buf = p;
			size *= 2;
		}
		n = read(fd, buf + len, chunk);
		if (n < 0)
			goto fail;
		if (!n)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	if (lenp)
		*lenp = len;
	return buf;
fail:
	close(fd);
	free(buf);
	return NULL;
}

static int write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, buf, len);
	if (close(fd) || n < 0 || (size_t)n != len)
		return -1;
	return 0;
}

static int write_str(const char *path, const char *s)
{
	return write_file(path, s, strlen(s));
}

/* The clock dup_failures and the window's start are told in. */
static unsigned long long boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static long long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : st.st_size;
}

static void read_counters(struct counters *c)
{
	char path[128], *text;
	int i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < NR_COUNTERS; i++) {
		snprintf(path, sizeof(path), STATS_DIR "/%s", counter_files[i]);
		text = read_file(path, 4096, NULL);
		if (text) {
			char *end;

			errno = 0;
			c->v[i] = strtoull(text, &end, 10);
			if (errno || end == text || strcmp(end, "\n"))
				text[0] = '\0';
		}
		if (!text || !text[0])
			c->missing |= 1u << i;
		free(text);
	}
}

/* after - before of counter @i, or a value no check expects if unreadable. */
static long long delta(const struct counters *before, const struct counters *after, int i)
{
	if ((before->missing | after->missing) & (1u << i))
		return LLONG_MIN;
	return (long long)(after->v[i] - before->v[i]);
}

/* The counters other than @allowed (a bit per counter) that changed. */
static unsigned int changed_besides(const struct counters *before,
				    const struct counters *after, unsigned int allowed)
{
	unsigned int changed = 0;
	int i;

	for (i = 0; i < NR_COUNTERS; i++) {
		/* Upstream's statistics have fewer counters: not a change. */
		if ((before->missing & after->missing) & (1u << i))
			continue;
		if (!(allowed & (1u << i)) && delta(before, after, i))
			changed |= 1u << i;
	}
	return changed;
}

#define BIT(c)	(1u << (c))

static bool all_digits(const char *s, size_t n)
{
	size_t i;

	if (!n)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static void problem(char *out, size_t size, int line, const char *what, const char *text,
		    size_t len)
{
	if (!out[0])
		snprintf(out, size, "line %d: %s: '%.*s'", line, what,
			 (int)(len > 80 ? 80 : len), text);
}

/* A counter line: "%25s\t%llu", the label padded on the left. */
static int parse_counter_line(const char *s, size_t len, unsigned long long *val)
{
	const char *tab = memchr(s, '\t', len);
	size_t lablen;
	int i;

	if (!tab || tab - s != 25 || !all_digits(tab + 1, s + len - tab - 1))
		return -1;
	while (*s == ' ')
		s++;
	lablen = tab - s;
	for (i = 0; i < NR_LINES; i++)
		if (strlen(lines[i].label) == lablen && !memcmp(lines[i].label, s, lablen))
			break;
	if (i == NR_LINES)
		return -1;
	*val = strtoull(tab + 1, NULL, 10);
	return i;
}

/* A row: the name right-aligned in 25 columns, the count in 15, the reason in 25. */
static int parse_row(const char *s, size_t len, struct row *row)
{
	const char *t1 = memchr(s, '\t', len), *t2, *name, *r;
	int i;

	if (!t1)
		return -1;
	t2 = memchr(t1 + 1, '\t', s + len - t1 - 1);
	if (!t2 || t2 - t1 - 1 != 15 || s + len - t2 - 1 != 25)
		return -1;
	for (name = s; name < t1 && *name == ' '; name++)
		;
	if (name == t1 || memchr(name, ' ', t1 - name) || (t1 - s > 25 && name != s))
		return -1;
	for (r = t1 + 1; *r == ' '; r++)
		;
	if (!all_digits(r, t2 - r))
		return -1;
	row->count = strtoull(r, NULL, 10);
	for (r = t2 + 1; *r == ' '; r++)
		;
	row->reason = 0;
	for (i = 1; i < 4; i++)
		if (strlen(reasons[i]) == (size_t)(s + len - r) &&
		    !memcmp(reasons[i], r, s + len - r))
			row->reason = i;
	if (!row->reason)
		return -1;
	row->name = strndup(name, t1 - name);
	return row->name ? 0 : -1;
}

/*
 * Parse the text of the stats file. The counter lines come first, in their
 * order, then the table if any name failed. Every line must be whole.
 */
static void parse_stats(const char *text, struct stats *st)
{
	const char *s = text, *nl;
	int n = 0, last = -1, i, state = 0;
	struct row *rows;

	memset(st, 0, sizeof(*st));
	if (!text || !*text) {
		snprintf(st->problem, sizeof(st->problem), "empty");
		return;
	}
	for (; *s; s = nl + 1) {
		size_t len;

		n++;
		nl = strchr(s, '\n');
		if (!nl) {
			problem(st->problem, sizeof(st->problem), n, "no newline at the end", s,
				strlen(s));
			break;
		}
		len = nl - s;
		if (state == 0) {
			unsigned long long val;

			i = parse_counter_line(s, len, &val);
			if (i >= 0) {
				if (i <= last)
					problem(st->problem, sizeof(st->problem), n,
						"counter twice or out of order", s, len);
				last = i;
				st->v[i] = val;
				st->seen |= 1u << i;
				continue;
			}
			if (len == strlen(table_title) && !memcmp(s, table_title, len)) {
				state = 1;
				continue;
			}
			problem(st->problem, sizeof(st->problem), n,
				"neither a counter nor the table", s, len);
			continue;
		}
		if (state == 1) {
			if (len != strlen(table_header) || memcmp(s, table_header, len))
				problem(st->problem, sizeof(st->problem), n, "not the table header",
					s, len);
			state = 2;
			continue;
		}
		rows = realloc(st->rows, (st->nr_rows + 1) * sizeof(*st->rows));
		if (!rows) {
			snprintf(st->problem, sizeof(st->problem), "out of memory");
			return;
		}
		st->rows = rows;
		if (parse_row(s, len, &st->rows[st->nr_rows]))
			problem(st->problem, sizeof(st->problem), n, "not a table row", s, len);
		else
			st->nr_rows++;
	}
	if (state == 1)
		problem(st->problem, sizeof(st->problem), n, "table without a header", "", 0);
	/* Upstream's lines are required; ours after them are checked where used. */
	for (i = 0; i <= L_WASTED; i++)
		if (!(st->seen & (1u << i)))
			problem(st->problem, sizeof(st->problem), n, "missing counter",
				lines[i].label, strlen(lines[i].label));
}

static void free_stats(struct stats *st)
{
	int i;

	for (i = 0; i < st->nr_rows; i++)
		free(st->rows[i].name);
	free(st->rows);
	st->rows = NULL;
	st->nr_rows = 0;
}

static const struct row *find_row(const struct stats *st, const char *name)
{
	int i;

	for (i = 0; i < st->nr_rows; i++)
		if (!strcmp(st->rows[i].name, name))
			return &st->rows[i];
	return NULL;
}

/* How many rows name @name. */
static int rows_named(const struct stats *st, const char *name)
{
	int i, n = 0;

	for (i = 0; i < st->nr_rows; i++)
		n += !strcmp(st->rows[i].name, name);
	return n;
}

static unsigned long long row_count(const struct stats *st, const char *name)
{
	const struct row *r = find_row(st, name);

	return r ? r->count : 0;
}

static unsigned long long rows_sum(const struct stats *st)
{
	unsigned long long sum = 0;
	int i;

	for (i = 0; i < st->nr_rows; i++)
		sum += st->rows[i].count;
	return sum;
}

static void read_stats(struct stats *st, size_t chunk)
{
	char *text = read_file(STATS_DIR "/stats", chunk, NULL);

	parse_stats(text, st);
	if (!text)
		snprintf(st->problem, sizeof(st->problem), "cannot read: %s", strerror(errno));
	free(text);
}

/* Parse dup_failures: its two header lines, then ten fields a line. */
static void parse_dups(const char *text, struct dups *d)
{
	const char *s, *nl;
	int n = 2;

	memset(d, 0, sizeof(*d));
	if (!text || strncmp(text, dups_header, strlen(dups_header))) {
		snprintf(d->problem, sizeof(d->problem), "no dup_failures v1 header: '%.60s'",
			 text ? text : "(unreadable)");
		return;
	}
	for (s = text + strlen(dups_header); *s; s = nl + 1) {
		char line[512], name[256], comm[128], nums[8][32];
		struct dup *r;
		int i;

		n++;
		nl = strchr(s, '\n');
		if (!nl) {
			problem(d->problem, sizeof(d->problem), n, "no newline", s, strlen(s));
			return;
		}
		/* A copy of the line: sscanf() measures the string it is given. */
		if (nl - s >= (long)sizeof(line)) {
			problem(d->problem, sizeof(d->problem), n, "line too long", s, nl - s);
			continue;
		}
		memcpy(line, s, nl - s);
		line[nl - s] = '\0';
		if (sscanf(line, "%255s %31s %31s %31s %31s %31s %31s %31s %127s %31s", name,
			   nums[0], nums[1], nums[2], nums[3], nums[4], nums[5], nums[6], comm,
			   nums[7]) != 10 || memchr(s, '\t', nl - s)) {
			problem(d->problem, sizeof(d->problem), n, "not ten fields", s, nl - s);
			continue;
		}
		for (i = 0; i < 8; i++)
			if (!all_digits(nums[i], strlen(nums[i])))
				break;
		/* Exactly ten fields, separated by single spaces. */
		if (i < 8 || strlen(name) + strlen(comm) + 9 +
		    strlen(nums[0]) + strlen(nums[1]) + strlen(nums[2]) + strlen(nums[3]) +
		    strlen(nums[4]) + strlen(nums[5]) + strlen(nums[6]) + strlen(nums[7]) !=
		    (size_t)(nl - s)) {
			problem(d->problem, sizeof(d->problem), n, "bad fields", s, nl - s);
			continue;
		}
		r = realloc(d->recs, (d->nr + 1) * sizeof(*d->recs));
		if (!r) {
			snprintf(d->problem, sizeof(d->problem), "out of memory");
			return;
		}
		d->recs = r;
		r = &d->recs[d->nr];
		r->name = strdup(name);
		r->comm = strdup(comm);
		if (!r->name || !r->comm) {
			free(r->name);
			free(r->comm);
			snprintf(d->problem, sizeof(d->problem), "out of memory");
			return;
		}
		d->nr++;
		r->failures = strtoull(nums[0], NULL, 10);
		r->becoming = strtoull(nums[1], NULL, 10);
		r->load = strtoull(nums[2], NULL, 10);
		r->wasted = strtoull(nums[3], NULL, 10);
		r->first_ns = strtoull(nums[4], NULL, 10);
		r->last_ns = strtoull(nums[5], NULL, 10);
		r->pid = strtol(nums[6], NULL, 10);
		r->merged = strtoull(nums[7], NULL, 10);
	}
}

static void read_dups(struct dups *d)
{
	char *text = read_file(STATS_DIR "/dup_failures", 4096, NULL);

	parse_dups(text, d);
	free(text);
}

static void free_dups(struct dups *d)
{
	int i;

	for (i = 0; i < d->nr; i++) {
		free(d->recs[i].name);
		free(d->recs[i].comm);
	}
	free(d->recs);
	d->recs = NULL;
	d->nr = 0;
}

static const struct dup *find_dup(const struct dups *d, const char *name)
{
	static const struct dup none;
	int i;

	for (i = 0; i < d->nr; i++)
		if (!strcmp(d->recs[i].name, name))
			return &d->recs[i];
	return &none;
}

static int dup_index(const struct dups *d, const char *name)
{
	int i;

	for (i = 0; i < d->nr; i++)
		if (!strcmp(d->recs[i].name, name))
			return i;
	return -1;
}

/* Everything the statistics say at one moment, as far as one reader sees it. */
struct snapshot {
	struct counters c;
	struct stats st;
	struct dups d;
};

static void snap(struct snapshot *s)
{
	read_counters(&s->c);
	read_stats(&s->st, 65536);
	read_dups(&s->d);
}

static void free_snap(struct snapshot *s)
{
	free_stats(&s->st);
	free_dups(&s->d);
}

/* The fields of an ELF header or section header, of either class. */
struct elf_shdr {
	size_t name, offset, size;
};

static bool elf_is64(const unsigned char *buf)
{
	return buf[EI_CLASS] == ELFCLASS64;
}

static void elf_shdr(const unsigned char *buf, const unsigned char *p, struct elf_shdr *sh)
{
	/* Copied out: a section header need not be aligned in the file. */
	if (elf_is64(buf)) {
		struct elf64_shdr s;

		memcpy(&s, p, sizeof(s));
		*sh = (struct elf_shdr){ s.sh_name, s.sh_offset, s.sh_size };
	} else {
		struct elf32_shdr s;

		memcpy(&s, p, sizeof(s));
		*sh = (struct elf_shdr){ s.sh_name, s.sh_offset, s.sh_size };
	}
}

/* A section of an ELF file of either class: its bytes, or NULL. */
static unsigned char *elf_section(unsigned char *buf, size_t len, const char *want,
				  size_t *size)
{
	size_t shoff, shentsize, shnum, shstrndx, i;
	struct elf_shdr strtab, sh;

	if (len < sizeof(struct elf64_hdr) || memcmp(buf, ELFMAG, SELFMAG))
		return NULL;
	if (elf_is64(buf)) {
		struct elf64_hdr e;

		memcpy(&e, buf, sizeof(e));
		shoff = e.e_shoff;
		shentsize = e.e_shentsize;
		shnum = e.e_shnum;
		shstrndx = e.e_shstrndx;
	} else {
		struct elf32_hdr e;

		memcpy(&e, buf, sizeof(e));
		shoff = e.e_shoff;
		shentsize = e.e_shentsize;
		shnum = e.e_shnum;
		shstrndx = e.e_shstrndx;
	}
	if (shentsize < (elf_is64(buf) ? sizeof(struct elf64_shdr) : sizeof(struct elf32_shdr)) ||
	    shstrndx >= shnum || shoff > len || shnum > (len - shoff) / shentsize)
		return NULL;
	elf_shdr(buf, buf + shoff + shstrndx * shentsize, &strtab);
	if (strtab.offset > len || strtab.size > len - strtab.offset)
		return NULL;
	for (i = 0; i < shnum; i++) {
		const char *names = (const char *)buf + strtab.offset;

		elf_shdr(buf, buf + shoff + i * shentsize, &sh);
		if (sh.name >= strtab.size ||
		    strnlen(names + sh.name, strtab.size - sh.name) == strtab.size - sh.name ||
		    strcmp(names + sh.name, want))
			continue;
		if (sh.offset > len || sh.size > len - sh.offset)
			return NULL;
		*size = sh.size;
		return buf + sh.offset;
	}
	return NULL;
}

static unsigned char *find_bytes(unsigned char *p, size_t len, const char *s, size_t n)
{
	return memmem(p, len, s, n);
}

/* What a case works with: its directory, the template module, what it loaded. */
struct mst {
	char dir[256];
	char comm[16];
	unsigned char *tmpl;
	size_t tmpl_len;
	int ncpus;
	bool have_xz;
	char *loaded[MAX_LOADED];
	int nr_loaded;
	bool trace_instance;	/* made by the trace case, removed by teardown */
	bool stats;		/* the kernel has the statistics */
};

/* The statistics, seen through debugfs: every case needs them. */
FIXTURE(stats) {
	struct mst m;
};

/* The trace event, which kernels without the statistics fire too. */
FIXTURE(trace) {
	struct mst m;
};

/* How make_module() breaks a copy: */
enum {
	BAD_VERMAGIC	= 1,	/* refused before layout: a foreign vermagic */
	BAD_SYMBOL	= 2,	/* refused after layout: a symbol no kernel exports */
};

/* A module of the template renamed @name, broken as @bad says, at @path. */
static int make_module(struct mst *self, const char *name, const char *path, int bad)
{
	size_t len = self->tmpl_len, sz, name_len = strlen(name);
	unsigned char *buf = malloc(len), *sec, *p;
	bool is64 = elf_is64(self->tmpl);
	/* MODULE_NAME_LEN: 64 bytes less an unsigned long. */
	size_t max_name = (is64 ? 56 : 60) - 1;
	int ret = -1;

	if (!buf)
		return -1;
	memcpy(buf, self->tmpl, len);
	if (name_len > max_name)
		goto out;
	/* The name struct module carries, in a zero-padded array. */
	sec = elf_section(buf, len, ".gnu.linkonce.this_module", &sz);
	p = sec ? find_bytes(sec, sz, TEMPLATE, sizeof(TEMPLATE)) : NULL;
	if (!p || (size_t)(sec + sz - p) < max_name + 1)
		goto out;
	memset(p, 0, max_name + 1);
	memcpy(p, name, name_len);
	/* The name in .modinfo comes first: take it away, so the one above counts. */
	sec = elf_section(buf, len, ".modinfo", &sz);
	p = sec ? find_bytes(sec, sz, "name=" TEMPLATE, sizeof("name=" TEMPLATE)) : NULL;
	if (!p)
		goto out;
	p[0] = 'X';
	if (bad & BAD_VERMAGIC) {
		/* Past the release, which modversions ignore: "SMP" becomes "XMP". */
		p = find_bytes(sec, sz, "vermagic=", 9);
		p = p ? memchr(p, ' ', sec + sz - p) : NULL;
		if (!p || p + 1 >= sec + sz || !p[1])
			goto out;
		p[1] = p[1] == 'X' ? 'Y' : 'X';
	}
	if (bad & BAD_SYMBOL) {
		/* The template calls msleep(): it now needs msleeq(). */
		sec = elf_section(buf, len, ".strtab", &sz);
		p = sec ? find_bytes(sec, sz, "\0msleep\0", 8) : NULL;
		if (!p)
			goto out;
		p[6] = 'q';
	}
	ret = write_file(path, buf, len);
out:
	free(buf);
	return ret;
}

static int run(const char *cmd)
{
	int status = system(cmd);

	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* @path compressed with xz to @path.xz, with the CRC the kernel checks. */
static int make_xz(const char *path)
{
	char cmd[PATH_MAX * 2 + 64];

	snprintf(cmd, sizeof(cmd), "xz -C crc32 -c '%s' >'%s.xz'", path, path);
	return run(cmd);
}

static int remember(struct mst *self, const char *name)
{
	char *copy = strdup(name);

	if (!copy || self->nr_loaded == MAX_LOADED) {
		free(copy);
		return -1;
	}
	self->loaded[self->nr_loaded++] = copy;
	return 0;
}

static void unload(const char *name)
{
	int i;

	/* A module in its init cannot go yet: give it a few seconds. */
	for (i = 0; i < 50; i++) {
		if (!syscall(__NR_delete_module, name, O_NONBLOCK) || errno == ENOENT)
			return;
		usleep(100000);
	}
}

static int load_file(const char *path, const char *args)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), flags = 0, err;
	size_t n = strlen(path);

	/* An error of open() is told apart from any of the load by err[0]. */
	if (fd < 0)
		return 1000 + errno;
	if (n > 3 && !strcmp(path + n - 3, ".xz"))
		flags |= MODULE_INIT_COMPRESSED_FILE;
	err = syscall(__NR_finit_module, fd, args, flags) ? errno : 0;
	close(fd);
	return err;
}

/* Loads from many threads at once, as udev makes them on a large machine. */
struct storm {
	char **files;
	int nfiles, threads, rounds;
	const char *args;
	pthread_barrier_t barrier;
	pthread_mutex_t lock;
	struct tally t;
	int done;
	/*
	 * With @cycles set, the threads go on, a whole cycle of @nfiles rounds
	 * at a time, until @stop is set or @cycles cycles are done: then each
	 * file is loaded @threads times a cycle. @cycles_done says how many.
	 */
	int cycles, stop, stopping, cycles_done;
};

struct storm_thread {
	struct storm *s;
	long id;
};

static void *storm_thread(void *arg)
{
	struct storm_thread *st = arg;
	struct storm *s = st->s;
	cpu_set_t cpus, one;
	int r, err, cpu, nth;

	/* Each thread on a CPU of its own, as far as they go. */
	if (!sched_getaffinity(0, sizeof(cpus), &cpus) && CPU_COUNT(&cpus)) {
		nth = st->id % CPU_COUNT(&cpus);
		for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
			if (CPU_ISSET(cpu, &cpus) && !nth--)
				break;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
	}
	for (r = 0; r < s->rounds; r++) {
		if (s->cycles && r && !(r % s->nfiles)) {
			/* All threads stop at the same cycle, or none does. */
			if (pthread_barrier_wait(&s->barrier) == PTHREAD_BARRIER_SERIAL_THREAD) {
				s->stopping = __atomic_load_n(&s->stop, __ATOMIC_ACQUIRE) ||
					      r / s->nfiles == s->cycles;
				if (!s->stopping)
					s->cycles_done++;
			}
			pthread_barrier_wait(&s->barrier);
			if (s->stopping)
				break;
		}
		pthread_barrier_wait(&s->barrier);
		err = load_file(s->files[(st->id + r) % s->nfiles], s->args);
		pthread_mutex_lock(&s->lock);
		tally_add(&s->t, err);
		pthread_mutex_unlock(&s->lock);
	}
	return NULL;
}

struct storm_run {
	struct storm s;
	pthread_t tids[RACERS];
	struct storm_thread args[RACERS];
	pthread_t waiter;
};

static void *storm_waiter(void *arg)
{
	struct storm_run *sr = arg;
	int i;

	for (i = 0; i < sr->s.threads; i++)
		pthread_join(sr->tids[i], NULL);
	__atomic_store_n(&sr->s.done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int storm_start(struct storm_run *sr, char **files, int nfiles, int threads,
		       int rounds, const char *args, int cycles)
{
	int i;

	memset(sr, 0, sizeof(*sr));
	sr->s.files = files;
	sr->s.nfiles = nfiles;
	sr->s.threads = threads;
	sr->s.rounds = rounds;
	sr->s.args = args ? args : "";
	if (threads < 1 || threads > RACERS)
		return -1;
	if (cycles) {
		sr->s.cycles = cycles;
		sr->s.cycles_done = 1;
		sr->s.rounds = nfiles * (cycles + 1);
	}
	pthread_mutex_init(&sr->s.lock, NULL);
	if (pthread_barrier_init(&sr->s.barrier, NULL, threads))
		return -1;
	for (i = 0; i < threads; i++) {
		sr->args[i].s = &sr->s;
		sr->args[i].id = i;
		if (pthread_create(&sr->tids[i], NULL, storm_thread, &sr->args[i]))
			return -1;
	}
	return pthread_create(&sr->waiter, NULL, storm_waiter, sr);
}

static bool storm_done(struct storm_run *sr)
{
	return __atomic_load_n(&sr->s.done, __ATOMIC_ACQUIRE);
}

static void storm_wait(struct storm_run *sr)
{
	pthread_join(sr->waiter, NULL);
}

/* Load @files from @threads threads, @rounds each, and wait for them. */
static struct tally storm(char **files, int nfiles, int threads, int rounds,
			  const char *args)
{
	struct storm_run *sr = calloc(1, sizeof(*sr));
	struct tally t = { .other = -1 };

	/*
	 * If only some threads started, they wait at a barrier for ever: sr
	 * is left to them, and the case fails on the tally.
	 */
	if (!sr || storm_start(sr, files, nfiles, threads, rounds, args, 0))
		return t;
	storm_wait(sr);
	t = sr->s.t;
	free(sr);
	return t;
}

static bool stats_present(void)
{
	return !access(STATS_DIR "/stats", F_OK);
}

/*
 * What every case needs: root, a kernel that loads the test's unsigned
 * modules, the template module and a directory. @need_stats: the case
 * needs the statistics too, and skips without them. False if it skipped.
 */
static bool mst_setup(struct __test_metadata *_metadata, struct mst *self, bool need_stats)
{
	char exe[PATH_MAX], path[PATH_MAX + 64], *text, *slash, *tmp;
	struct statfs fs;
	ssize_t n;
	size_t len;

	if (geteuid())
		SKIP(return false, "must be run as root");
	self->stats = !statfs("/sys/kernel/debug", &fs) && fs.f_type == DEBUGFS_MAGIC &&
		      stats_present();
	if (need_stats && (statfs("/sys/kernel/debug", &fs) || fs.f_type != DEBUGFS_MAGIC))
		SKIP(return false,
		     "no debugfs at /sys/kernel/debug (CONFIG_DEBUG_FS, or mount it)");
	if (need_stats && !self->stats)
		SKIP(return false, "no " STATS_DIR "/stats: CONFIG_MODULE_STATS=n");
	text = read_file("/sys/module/module/parameters/sig_enforce", 64, NULL);
	if (text && text[0] == 'Y') {
		free(text);
		SKIP(return false,
		     "module signatures are enforced: the test's modules are not signed");
	}
	free(text);
	text = read_file("/sys/kernel/security/lockdown", 256, NULL);
	if (text && !strstr(text, "[none]")) {
		free(text);
		SKIP(return false, "the kernel is locked down: it loads no unsigned module");
	}
	free(text);

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	ASSERT_GT(n, 0);
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	ASSERT_NE(NULL, slash);
	*slash = '\0';
	snprintf(path, sizeof(path), "%s/test_modules/" TEMPLATE ".ko", exe);
	self->tmpl = (unsigned char *)read_file(path, 65536, &self->tmpl_len);
	/* lib.mk builds no module without the kernel's build tree, KDIR. */
	if (!self->tmpl)
		SKIP(return false,
		     "no %.200s: build the test with KDIR= the build tree of this kernel", path);
	ASSERT_NE(NULL, elf_section(self->tmpl, self->tmpl_len, ".modinfo", &len))
		TH_LOG("%s is not a module", path);

	self->ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	self->have_xz = run("xz --version >/dev/null 2>&1") == 0;
	text = read_file("/proc/self/comm", 64, NULL);
	ASSERT_NE(NULL, text);
	text[strcspn(text, "\n")] = '\0';
	snprintf(self->comm, sizeof(self->comm), "%s", text);
	free(text);
	/* Last: teardown removes it, and runs only once setup is done. */
	tmp = getenv("TMPDIR");
	snprintf(self->dir, sizeof(self->dir), "%.200s/mod_stats.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	ASSERT_NE(NULL, mkdtemp(self->dir)) TH_LOG("%s: %s", self->dir, strerror(errno));
	return true;
}

FIXTURE_SETUP(stats)
{
	mst_setup(_metadata, &self->m, true);
}

FIXTURE_SETUP(trace)
{
	mst_setup(_metadata, &self->m, false);
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path);
}

/* Unload what the case loaded, remove its files and its trace instance. */
static void mst_teardown(struct mst *self)
{
	int i;

	if (self->trace_instance) {
		write_str(EVENT_DIR "/enable", "0");
		rmdir(TRACE_INSTANCE);
	}
	for (i = self->nr_loaded - 1; i >= 0; i--) {
		unload(self->loaded[i]);
		free(self->loaded[i]);
	}
	if (self->dir[0])
		nftw(self->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	free(self->tmpl);
}

FIXTURE_TEARDOWN(stats)
{
	mst_teardown(&self->m);
}

FIXTURE_TEARDOWN(trace)
{
	mst_teardown(&self->m);
}

/* A module named @name in the case's directory; its path in @path. */
static int module_file(struct mst *self, const char *name, const char *file,
		       char *path, size_t size)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "%s", file);
	snprintf(path, size, "%s/%s", self->dir, rel);
	/* Left loaded by a run that was killed, as on a timeout. */
	unload(name);
	if (remember(self, name))
		return -1;
	return make_module(self, name, path, 0);
}

#define NO_RACE	"one CPU online: loads cannot race"
#define NO_XZ	"no xz to compress the test modules"

/* A module loaded, then loaded again: a duplicate found while becoming. */
TEST_F(stats, sequential_duplicate)
{
	const struct row *r;
	struct snapshot a, b;
	int want;
	char path[PATH_MAX];
	long long size;

	ASSERT_EQ(0, module_file(&self->m, "mst_seq", "seq.ko", path, sizeof(path)));
	size = file_size(path);
	snap(&a);
	ASSERT_EQ(0, load_file(path, ""));
	ASSERT_EQ(EEXIST, load_file(path, ""));
	snap(&b);

	EXPECT_EQ(1, delta(&a.c, &b.c, C_MODCOUNT));
	EXPECT_EQ(1, delta(&a.c, &b.c, C_FAILED_BECOMING));
	EXPECT_EQ(size, delta(&a.c, &b.c, C_BECOMING_BYTES));
	EXPECT_EQ(0, changed_besides(&a.c, &b.c, BIT(C_MODCOUNT) | BIT(C_TOTAL_SIZE) |
				     BIT(C_TEXT_SIZE) | BIT(C_FAILED_BECOMING) |
				     BIT(C_BECOMING_BYTES)));
	EXPECT_STREQ("", b.st.problem);
	EXPECT_EQ(1, row_count(&b.st, "mst_seq") - row_count(&a.st, "mst_seq"));
	EXPECT_EQ(1, rows_named(&b.st, "mst_seq"));
	/* Found while becoming; and never after layout, unless it was before. */
	r = find_row(&a.st, "mst_seq");
	want = R_BECOMING | (r ? r->reason : 0);
	r = find_row(&b.st, "mst_seq");
	EXPECT_TRUE(r && r->reason == want);
	EXPECT_STREQ("", b.d.problem);
	EXPECT_EQ(1, find_dup(&b.d, "mst_seq")->becoming - find_dup(&a.d, "mst_seq")->becoming);
	EXPECT_EQ(size, find_dup(&b.d, "mst_seq")->wasted - find_dup(&a.d, "mst_seq")->wasted);
	free_snap(&a);
	free_snap(&b);
}

/*
 * Eight loaders, each with a copy of one module of its own, at once: one
 * wins, the others fail as duplicates while becoming or after layout.
 */
static void race(struct __test_metadata *_metadata, struct mst *self, bool xz)
{
	const char *name = xz ? "mst_racexz" : "mst_race";
	char *files[RACERS], path[PATH_MAX];
	long long ulen = 0, clen = 0, fb, fl;
	struct snapshot a, b;
	struct tally t;
	int i;

	for (i = 0; i < RACERS; i++) {
		char file[32];

		snprintf(file, sizeof(file), "copy%d.ko", i);
		ASSERT_EQ(0, module_file(self, name, file, path, sizeof(path)));
		ulen = file_size(path);
		if (xz) {
			ASSERT_EQ(0, make_xz(path));
			strcat(path, ".xz");
			clen = file_size(path);
		}
		files[i] = strdup(path);
		ASSERT_NE(NULL, files[i]);
	}
	snap(&a);
	t = storm(files, RACERS, RACERS, 1, "");
	snap(&b);
	if (xz && t.err[EOPNOTSUPP] == RACERS)
		SKIP(goto out, "the kernel cannot decompress modules: CONFIG_MODULE_DECOMPRESS=n");
	if (xz && t.err[EINVAL] == RACERS && delta(&a.c, &b.c, C_FAILED_DECOMPRESS) == RACERS)
		SKIP(goto out, "the kernel decompresses modules of another format than xz");

	fb = delta(&a.c, &b.c, C_FAILED_BECOMING);
	fl = delta(&a.c, &b.c, C_FAILED_LOAD);
	TH_LOG("%d loads: %d ok, %d EEXIST, %d EBUSY, %d other; failed: %lld becoming, %lld load",
	       t.calls, t.ok, t.err[EEXIST], t.err[EBUSY], t.other, fb, fl);
	ASSERT_EQ(RACERS, t.calls);
	EXPECT_EQ(1, t.ok);
	EXPECT_EQ(0, t.other);
	EXPECT_EQ(0, changed_besides(&a.c, &b.c, BIT(C_MODCOUNT) | BIT(C_TOTAL_SIZE) |
				     BIT(C_TEXT_SIZE) | BIT(C_FAILED_BECOMING) |
				     BIT(C_BECOMING_BYTES) | BIT(C_FAILED_LOAD) |
				     BIT(C_LOAD_BYTES)));
	EXPECT_STREQ("", b.d.problem);
	EXPECT_EQ(dup_errors(&t), fb + fl);
	EXPECT_EQ(fb * (ulen + clen), delta(&a.c, &b.c, C_BECOMING_BYTES));
	EXPECT_EQ(fl * (2 * ulen + clen), delta(&a.c, &b.c, C_LOAD_BYTES));
	EXPECT_EQ(1, delta(&a.c, &b.c, C_MODCOUNT));
	EXPECT_STREQ("", b.st.problem);
	EXPECT_EQ(1, rows_named(&b.st, name));
	EXPECT_EQ(dup_errors(&t), row_count(&b.st, name) - row_count(&a.st, name));
	EXPECT_EQ(fb, find_dup(&b.d, name)->becoming - find_dup(&a.d, name)->becoming);
	EXPECT_EQ(fl, find_dup(&b.d, name)->load - find_dup(&a.d, name)->load);
	EXPECT_EQ(delta(&a.c, &b.c, C_BECOMING_BYTES) + delta(&a.c, &b.c, C_LOAD_BYTES),
		  find_dup(&b.d, name)->wasted - find_dup(&a.d, name)->wasted);
out:
	for (i = 0; i < RACERS; i++)
		free(files[i]);
	free_snap(&a);
	free_snap(&b);
}

TEST_F(stats, race_plain)
{
	if (self->m.ncpus < 2)
		SKIP(return, NO_RACE);
	race(_metadata, &self->m, false);
}

TEST_F(stats, race_xz)
{
	if (self->m.ncpus < 2)
		SKIP(return, NO_RACE);
	if (!self->m.have_xz)
		SKIP(return, NO_XZ);
	race(_metadata, &self->m, true);
}

static void load_bad(struct __test_metadata *_metadata, const char *path, int want_err,
		     int counter, int bytes, long long want_bytes)
{
	struct snapshot a, b;
	int err;

	snap(&a);
	err = load_file(path, "");
	snap(&b);
	/* Without an error to expect, any error will do. */
	EXPECT_TRUE(want_err ? err == want_err : err != 0) TH_LOG("error %d", err);
	EXPECT_EQ(1, delta(&a.c, &b.c, counter));
	EXPECT_EQ(want_bytes, delta(&a.c, &b.c, bytes));
	EXPECT_EQ(0, changed_besides(&a.c, &b.c, BIT(counter) | BIT(bytes)));
	/* Not a duplicate: no name is counted, or recorded. */
	EXPECT_STREQ("", b.st.problem);
	EXPECT_STREQ("", b.d.problem);
	EXPECT_EQ(rows_sum(&a.st), rows_sum(&b.st));
	EXPECT_EQ(a.st.nr_rows, b.st.nr_rows);
	EXPECT_EQ(a.d.nr, b.d.nr);
	free_snap(&a);
	free_snap(&b);
}

/* A truncated xz stream: read whole, then fails to decompress. */
TEST_F(stats, corrupt_xz)
{
	char path[PATH_MAX], *buf;
	size_t len;
	int err;

	if (!self->m.have_xz)
		SKIP(return, NO_XZ);
	ASSERT_EQ(0, module_file(&self->m, "mst_corrupt", "corrupt.ko", path, sizeof(path)));
	ASSERT_EQ(0, make_xz(path));
	strcat(path, ".xz");
	buf = read_file(path, 65536, &len);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, write_file(path, buf, len / 2));
	free(buf);
	err = load_file(path, "");
	if (err == EOPNOTSUPP)
		SKIP(return, "the kernel cannot decompress modules: CONFIG_MODULE_DECOMPRESS=n");
	/* A stream that ends early is invalid input to the decompressor. */
	load_bad(_metadata, path, EINVAL, C_FAILED_DECOMPRESS, C_DECOMPRESS_BYTES, len / 2);
}

/* Not an ELF file: refused while becoming, with nothing to name. */
TEST_F(stats, bad_elf)
{
	char path[PATH_MAX], buf[4096];

	memset(buf, 'E', sizeof(buf));
	snprintf(path, sizeof(path), "%s/badelf.ko", self->m.dir);
	ASSERT_EQ(0, write_file(path, buf, sizeof(buf)));
	load_bad(_metadata, path, ENOEXEC, C_FAILED_BECOMING, C_BECOMING_BYTES, sizeof(buf));
}

/* A module for another kernel: refused while becoming, not a duplicate. */
TEST_F(stats, wrong_vermagic)
{
	char path[PATH_MAX];
	struct dups d;

	snprintf(path, sizeof(path), "%s/vermagic.ko", self->m.dir);
	unload("mst_vermagic");
	remember(&self->m, "mst_vermagic");
	ASSERT_EQ(0, make_module(&self->m, "mst_vermagic", path, BAD_VERMAGIC));
	load_bad(_metadata, path, ENOEXEC, C_FAILED_BECOMING, C_BECOMING_BYTES,
		 file_size(path));
	read_dups(&d);
	EXPECT_STREQ("", d.problem);
	EXPECT_EQ(-1, dup_index(&d, "mst_vermagic"));
	free_dups(&d);
}

/*
 * A module that needs a symbol no kernel exports: it fails after layout,
 * having wasted its copy and its final allocation, and it is no duplicate.
 */
TEST_F(stats, unknown_symbol)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/symbol.ko", self->m.dir);
	unload("mst_symbol");
	remember(&self->m, "mst_symbol");
	ASSERT_EQ(0, make_module(&self->m, "mst_symbol", path, BAD_SYMBOL));
	load_bad(_metadata, path, ENOENT, C_FAILED_LOAD, C_LOAD_BYTES, 2 * file_size(path));
}

/* An empty file: a failed read, and no byte was allocated. */
TEST_F(stats, empty_file)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/empty.ko", self->m.dir);
	ASSERT_EQ(0, write_file(path, "", 0));
	load_bad(_metadata, path, 0, C_FAILED_KREADS, C_KREAD_BYTES, 0);
}

/* init_module() of @len bytes at @addr; the errno, counted as one kread failure. */
static void init_module_at(struct __test_metadata *_metadata, void *addr, unsigned long len,
			   int want_err, long long want_bytes)
{
	struct counters a, b;
	int err;

	read_counters(&a);
	err = syscall(__NR_init_module, addr, len, "") ? errno : 0;
	read_counters(&b);
	EXPECT_EQ(want_err, err);
	EXPECT_EQ(1, delta(&a, &b, C_FAILED_KREADS));
	EXPECT_EQ(want_bytes, delta(&a, &b, C_KREAD_BYTES));
	EXPECT_EQ(0, changed_besides(&a, &b, BIT(C_FAILED_KREADS) | BIT(C_KREAD_BYTES)));
}

/* A copy of 12345 bytes allocated, then the read faults: all of it wasted. */
TEST_F(stats, fault_read)
{
	void *p = mmap(NULL, 12345, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, p);
	init_module_at(_metadata, p, 12345, EFAULT, 12345);
	munmap(p, 12345);
}

/* Too short for an ELF header: refused before a copy is made. */
TEST_F(stats, short_read)
{
	init_module_at(_metadata, NULL, 1, ENOEXEC, 0);
}

/* Too large to allocate: refused before a copy is made. */
TEST_F(stats, huge_read)
{
	init_module_at(_metadata, NULL, ~0UL, ENOMEM, 0);
}

/*
 * Eight loads of one file while the first one's init sleeps: the kernel
 * merges them onto the load in progress at no cost. A load that comes after
 * the first finished is a real duplicate, and loads merged onto it return
 * its error. Each call is one of: the load that succeeded, a counted
 * failure, or a merged load.
 */
TEST_F_TIMEOUT(stats, merged_loads, 120)
{
	char path[PATH_MAX], *files[1] = { path };
	long long failed, merged;
	struct snapshot a, b;
	struct tally t;
	int late;

	ASSERT_EQ(0, module_file(&self->m, "mst_merge", "merge.ko", path, sizeof(path)));
	snap(&a);
	t = storm(files, 1, RACERS, 1, "init_delay_ms=500");
	snap(&b);
	TH_LOG("%d loads: %d ok, %d EEXIST, %d EBUSY, %d other", t.calls, t.ok,
	       t.err[EEXIST], t.err[EBUSY], t.other);
	ASSERT_EQ(RACERS, t.calls);
	late = dup_errors(&t);
	failed = delta(&a.c, &b.c, C_FAILED_BECOMING) + delta(&a.c, &b.c, C_FAILED_LOAD);
	merged = delta(&a.c, &b.c, C_MERGED);
	EXPECT_EQ(1, delta(&a.c, &b.c, C_MODCOUNT));
	EXPECT_GE(t.ok, 1);
	EXPECT_EQ(RACERS, t.ok + late);
	if (late) {
		EXPECT_GE(failed, 1);
		EXPECT_LE(failed, late);
	} else {
		EXPECT_EQ(0, failed);
	}
	EXPECT_GE(merged, 1) TH_LOG("no load merged although the first slept 500 ms");
	EXPECT_EQ(RACERS, 1 + failed + merged);
	EXPECT_EQ(0, changed_besides(&a.c, &b.c, BIT(C_MODCOUNT) | BIT(C_TOTAL_SIZE) |
				     BIT(C_TEXT_SIZE) | BIT(C_MERGED) |
				     BIT(C_FAILED_BECOMING) | BIT(C_BECOMING_BYTES) |
				     BIT(C_FAILED_LOAD) | BIT(C_LOAD_BYTES)));
	EXPECT_STREQ("", b.st.problem);
	EXPECT_STREQ("", b.d.problem);
	EXPECT_EQ(merged, find_dup(&b.d, "mst_merge")->merged -
			  find_dup(&a.d, "mst_merge")->merged);
	EXPECT_EQ(failed, row_count(&b.st, "mst_merge") - row_count(&a.st, "mst_merge"));
	free_snap(&a);
	free_snap(&b);
}

/*
 * @n module files of distinct names @prefix..., one of every length from
 * 10 to LONGEST_NAME, then short ones. Their paths in @files, sizes in @sizes.
 */
static int distinct_modules(struct mst *self, const char *prefix, int n,
			    char **files, char **names, long long *sizes)
{
	char name[64], path[PATH_MAX];
	int i, len;

	for (i = 0; i < n; i++) {
		len = 10 + i;
		if (len <= LONGEST_NAME) {
			snprintf(name, sizeof(name), "%s_l%02d", prefix, len);
			memset(name + strlen(name), 'x', len - strlen(name));
			name[len] = '\0';
		} else {
			snprintf(name, sizeof(name), "%s_d%03d", prefix, i);
		}
		snprintf(path, sizeof(path), "%s.ko", name);
		if (module_file(self, name, path, path, sizeof(path)))
			return -1;
		files[i] = strdup(path);
		names[i] = strdup(name);
		if (!files[i] || !names[i])
			return -1;
		sizes[i] = file_size(path);
	}
	return 0;
}

/* The sizes /proc/modules gives of the modules @names, summed, or -1. */
static long long proc_modules_size(char **names, int n)
{
	char *text = read_file("/proc/modules", 4096, NULL), *line, *save = NULL;
	long long sum = 0, size;
	char name[64];
	int i, found = 0;

	if (!text)
		return -1;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%63s %lld", name, &size) != 2)
			continue;
		for (i = 0; i < n; i++)
			if (!strcmp(names[i], name)) {
				sum += size;
				found++;
			}
	}
	free(text);
	return found == n ? sum : -1;
}

/*
 * Two hundred modules of distinct names, up to the longest a name can be,
 * loaded once and then once again: every name is listed, whole, once.
 * Upstream's stats file lists 111 at most, and WARNs past that.
 */
TEST_F_TIMEOUT(stats, distinct_names, 600)
{
	char *files[NR_DISTINCT], *names[NR_DISTINCT];
	long long sizes[NR_DISTINCT], total = 0, proc;
	struct snapshot a, b, c;
	struct tally t;
	int i, bad = 0, pos, prev = INT_MAX;

	ASSERT_EQ(0, distinct_modules(&self->m, "mst_n", NR_DISTINCT, files, names, sizes));
	ASSERT_EQ(LONGEST_NAME, strlen(names[LONGEST_NAME - 10]));
	for (i = 0; i < NR_DISTINCT; i++)
		total += sizes[i];
	snap(&a);
	t = storm(files, NR_DISTINCT, 1, NR_DISTINCT, "");
	snap(&b);
	EXPECT_EQ(NR_DISTINCT, t.ok);
	EXPECT_EQ(NR_DISTINCT, delta(&a.c, &b.c, C_MODCOUNT));
	proc = proc_modules_size(names, NR_DISTINCT);
	EXPECT_GT(proc, 0);
	/* /proc/modules leaves out the init sections, freed after init. */
	EXPECT_GE(delta(&a.c, &b.c, C_TOTAL_SIZE), proc);
	EXPECT_GT(delta(&a.c, &b.c, C_TEXT_SIZE), 0);
	EXPECT_LE(delta(&a.c, &b.c, C_TEXT_SIZE), delta(&a.c, &b.c, C_TOTAL_SIZE));

	t = storm(files, NR_DISTINCT, 1, NR_DISTINCT, "");
	snap(&c);
	EXPECT_EQ(NR_DISTINCT, t.err[EEXIST]);
	EXPECT_EQ(NR_DISTINCT, delta(&b.c, &c.c, C_FAILED_BECOMING));
	EXPECT_EQ(total, delta(&b.c, &c.c, C_BECOMING_BYTES));
	EXPECT_STREQ("", c.st.problem);
	EXPECT_STREQ("", c.d.problem);
	for (i = 0; i < NR_DISTINCT; i++) {
		const struct row *r = find_row(&c.st, names[i]);
		const struct dup *d = find_dup(&c.d, names[i]);

		if (!r || rows_named(&c.st, names[i]) != 1 ||
		    r->count - row_count(&b.st, names[i]) != 1 || !(r->reason & R_BECOMING) ||
		    d->failures - find_dup(&b.d, names[i])->failures != 1 ||
		    d->wasted - find_dup(&b.d, names[i])->wasted != (unsigned long long)sizes[i]) {
			if (!bad++)
				TH_LOG("%s: row %s, count %llu", names[i], r ? "listed" : "missing",
				       r ? r->count : 0);
		}
		/* Newest first: each name above the one loaded before it. */
		pos = dup_index(&c.d, names[i]);
		if (pos < 0 || pos >= prev) {
			if (!bad++)
				TH_LOG("%s at line %d of dup_failures, after %d", names[i], pos,
				       prev);
		}
		prev = pos;
	}
	EXPECT_EQ(0, bad) TH_LOG("%d of %d names wrong", bad, NR_DISTINCT);
	EXPECT_NE(NULL, find_row(&c.st, names[LONGEST_NAME - 10]));
	for (i = 0; i < NR_DISTINCT; i++) {
		free(files[i]);
		free(names[i]);
	}
	free_snap(&a);
	free_snap(&b);
	free_snap(&c);
}

/*
 * One read of the stats file is one text: every line whole, and no more
 * failures listed by name than its own counters hold.
 */
static bool consistent(struct __test_metadata *_metadata, const char *text, char **names,
		       int n, const struct stats *before, int max, const char *how)
{
	unsigned long long counted;
	struct stats st;
	int i, bad = 0;

	parse_stats(text, &st);
	counted = st.v[L_FAILED_BECOMING] + st.v[L_FAILED_LOAD];
	if (st.problem[0]) {
		TH_LOG("%s: %s", how, st.problem);
		bad++;
	} else if (rows_sum(&st) > counted) {
		TH_LOG("%s: the table lists %llu failures, its counters %llu", how,
		       rows_sum(&st), counted);
		bad++;
	}
	for (i = 0; i < n && !bad; i++) {
		unsigned long long was = row_count(before, names[i]);

		if (rows_named(&st, names[i]) != 1 || row_count(&st, names[i]) < was ||
		    row_count(&st, names[i]) > was + max) {
			TH_LOG("%s: %s listed %d times, count %llu, %llu before", how, names[i],
			       rows_named(&st, names[i]), row_count(&st, names[i]), was);
			bad++;
		}
	}
	free_stats(&st);
	return !bad;
}

/*
 * Reads of the stats file whole and in chunks of 4096, 7 and 1 bytes while
 * four loaders make duplicate loads of 200 modules, 800 a cycle, until the
 * reader has read each way twice; then at rest.
 * A file that renders again on each read(), as upstream's does, stitches
 * texts of different moments together.
 */
TEST_F_TIMEOUT(stats, reads_during_storm, 600)
{
	static const size_t chunks[] = { 65536, 4096, 7, 1 };
	char *files[NR_DISTINCT], *names[NR_DISTINCT], *text, *rest;
	long long sizes[NR_DISTINCT];
	int i, j, reads = 0, during = 0, bad = 0, cycles;
	struct storm_run *sr;
	struct stats before, after;
	struct tally t;

	ASSERT_EQ(0, distinct_modules(&self->m, "mst_s", NR_DISTINCT, files, names, sizes));
	t = storm(files, NR_DISTINCT, 1, NR_DISTINCT, "");
	ASSERT_EQ(NR_DISTINCT, t.ok);
	t = storm(files, NR_DISTINCT, 1, NR_DISTINCT, "");
	ASSERT_EQ(NR_DISTINCT, t.err[EEXIST]);
	read_stats(&before, 65536);
	ASSERT_STREQ("", before.problem);

	sr = calloc(1, sizeof(*sr));
	ASSERT_NE(NULL, sr);
	ASSERT_EQ(0, storm_start(sr, files, NR_DISTINCT, 4, 0, "", STORM_CYCLES));
	while (!storm_done(sr)) {
		for (j = 0; j < 4; j++) {
			char how[64];
			bool running = !storm_done(sr);

			/* No ASSERT while loaders run: teardown would race them. */
			text = read_file(STATS_DIR "/stats", chunks[j], NULL);
			if (!text) {
				TH_LOG("read %d: %s", reads, strerror(errno));
				bad++;
				__atomic_store_n(&sr->s.stop, 1, __ATOMIC_RELEASE);
				break;
			}
			running = running && !storm_done(sr);
			during += running;
			snprintf(how, sizeof(how), "read %d in chunks of %zu%s", reads, chunks[j],
				 running ? " during the storm" : "");
			/* Each name fails four times a cycle. */
			bad += !consistent(_metadata, text, names, NR_DISTINCT, &before,
					   4 * STORM_CYCLES, how);
			free(text);
			reads++;
		}
		if (during >= 8 || bad)
			__atomic_store_n(&sr->s.stop, 1, __ATOMIC_RELEASE);
	}
	storm_wait(sr);
	t = sr->s.t;
	cycles = sr->s.cycles_done;
	free(sr);
	TH_LOG("%d reads, %d of them while %d cycles of loads ran", reads, during, cycles);
	EXPECT_EQ(4 * NR_DISTINCT * cycles, t.calls);
	EXPECT_EQ(4 * NR_DISTINCT * cycles, t.err[EEXIST]);
	EXPECT_EQ(0, bad);
	EXPECT_GE(during, 8) TH_LOG("the storm ended before the reads could overlap it");

	/* At rest: every way of reading gives the same text, exact counts. */
	rest = read_file(STATS_DIR "/stats", 65536, NULL);
	ASSERT_NE(NULL, rest);
	for (j = 1; j < 4; j++) {
		text = read_file(STATS_DIR "/stats", chunks[j], NULL);
		ASSERT_NE(NULL, text);
		EXPECT_STREQ(rest, text) TH_LOG("chunks of %zu differ from one read", chunks[j]);
		free(text);
	}
	parse_stats(rest, &after);
	EXPECT_STREQ("", after.problem);
	for (i = 0, bad = 0; i < NR_DISTINCT; i++)
		bad += row_count(&after, names[i]) - row_count(&before, names[i]) != 4 * cycles;
	EXPECT_EQ(0, bad) TH_LOG("%d names without exactly %d more failures", bad, 4 * cycles);
	free(rest);
	free_stats(&before);
	free_stats(&after);
	for (i = 0; i < NR_DISTINCT; i++) {
		free(files[i]);
		free(names[i]);
	}
}

/* The counter lines of the stats file say what the per-counter files say. */
TEST_F(stats, counter_lines)
{
	struct counters c1, c2;
	unsigned long long want;
	struct stats st;
	int i, tries;

	/* Loads elsewhere may change them: read until nothing moved meanwhile. */
	for (tries = 0; tries < 10; tries++) {
		read_counters(&c1);
		read_stats(&st, 65536);
		read_counters(&c2);
		if (!memcmp(&c1, &c2, sizeof(c1)))
			break;
		free_stats(&st);
	}
	ASSERT_LT(tries, 10);
	ASSERT_EQ(0, c1.missing) TH_LOG("unreadable counter files: %#x", c1.missing);
	ASSERT_STREQ("", st.problem);
	for (i = 0; i < NR_LINES; i++) {
		bool shown = true;

		if (lines[i].counter >= 0) {
			want = c1.v[lines[i].counter];
		} else if (i == L_WASTED) {
			want = c1.v[C_KREAD_BYTES] + c1.v[C_DECOMPRESS_BYTES] +
			       c1.v[C_BECOMING_BYTES] + c1.v[C_LOAD_BYTES];
		} else if (is_average(i)) {
			unsigned long long bytes = c1.v[lines[i].bytes];
			unsigned long long count = c1.v[lines[i].count];

			shown = bytes && count;
			want = shown ? (bytes + count - 1) / count : 0;
		} else {
			/* The window's start: checked by reset_window. */
			continue;
		}
		EXPECT_EQ(shown, !!(st.seen & (1u << i))) TH_LOG("%s", lines[i].label);
		EXPECT_EQ(want, st.v[i]) TH_LOG("%s", lines[i].label);
	}
	EXPECT_TRUE(st.seen & (1u << L_SINCE));
	free_stats(&st);
}

static const char *const stat_files[] = { "stats", "dup_failures", "reset" };

/* Every file is root's: 0400, and the reset file 0200. */
TEST_F(stats, file_modes)
{
	char path[128];
	struct stat s;
	int i;

	for (i = 0; i < NR_COUNTERS + 3; i++) {
		const char *f = i < NR_COUNTERS ? counter_files[i] : stat_files[i - NR_COUNTERS];

		snprintf(path, sizeof(path), STATS_DIR "/%s", f);
		ASSERT_EQ(0, stat(path, &s)) TH_LOG("%s: %s", path, strerror(errno));
		EXPECT_EQ(strcmp(f, "reset") ? 0400 : 0200, s.st_mode & 07777) TH_LOG("%s", f);
		EXPECT_EQ(0, s.st_uid) TH_LOG("%s", f);
	}
}

/*
 * Nobody but root reads or resets. The files are opened relative to their
 * directory, opened before dropping root, so that what refuses is the files'
 * own mode, not that of the debugfs mount above them.
 */
TEST_F(stats, nonroot_refused)
{
	int dir = open(STATS_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC), status, i;
	struct stat s;
	pid_t pid;

	ASSERT_LE(0, dir);
	ASSERT_EQ(0, fstat(dir, &s));
	ASSERT_TRUE(s.st_mode & 0001) TH_LOG("%s is mode %o", STATS_DIR, s.st_mode & 07777);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fails = 0, fd;

		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(100);
		/* The directory itself is open to all. */
		fd = openat(dir, ".", O_RDONLY | O_DIRECTORY);
		if (fd < 0)
			_exit(101);
		close(fd);
		for (i = 0; i < NR_COUNTERS + 3; i++) {
			const char *f = i < NR_COUNTERS ? counter_files[i] :
				stat_files[i - NR_COUNTERS];
			int flags = strcmp(f, "reset") ? O_RDONLY : O_WRONLY;

			fd = openat(dir, f, flags);
			if (fd >= 0 || errno != EACCES) {
				fprintf(stderr, "#      %s: opened by uid 65534 (%s)\n", f,
					fd >= 0 ? "allowed" : strerror(errno));
				fails++;
			}
			/* Nor may anyone write to a file that is only read. */
			fd = openat(dir, f, O_WRONLY);
			if (fd >= 0 || errno != EACCES) {
				fprintf(stderr, "#      %s: opened for writing by uid 65534\n", f);
				fails++;
			}
		}
		_exit(fails);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	close(dir);
}

/* A duplicate of this process: its dup_failures line is whole and true. */
TEST_F(stats, dup_failures_fields)
{
	char path[PATH_MAX];
	unsigned long long t0, t1;
	struct dups a, b;
	struct stats st;
	const struct dup *r;
	int i, bad = 0;

	ASSERT_EQ(0, module_file(&self->m, "mst_fields", "fields.ko", path, sizeof(path)));
	ASSERT_EQ(0, load_file(path, ""));
	read_dups(&a);
	t0 = boottime_ns();
	ASSERT_EQ(EEXIST, load_file(path, ""));
	t1 = boottime_ns();
	read_dups(&b);
	read_stats(&st, 65536);
	ASSERT_STREQ("", b.problem);
	ASSERT_STREQ("", st.problem);
	r = find_dup(&b, "mst_fields");
	EXPECT_EQ(1, r->failures - find_dup(&a, "mst_fields")->failures);
	EXPECT_EQ(1, r->becoming - find_dup(&a, "mst_fields")->becoming);
	EXPECT_EQ(file_size(path), r->wasted - find_dup(&a, "mst_fields")->wasted);
	EXPECT_EQ(getpid(), r->pid);
	EXPECT_STREQ(self->m.comm, r->comm);
	/* When it failed, by the boot-time clock, as this process saw it. */
	EXPECT_LE(t0, r->last_ns);
	EXPECT_GE(t1, r->last_ns);
	EXPECT_LE(r->first_ns, r->last_ns);
	EXPECT_LT(0, r->first_ns);
	/* The failures listed in both files are the same, name for name. */
	for (i = 0; i < b.nr; i++) {
		const struct dup *d = &b.recs[i];
		const struct row *row = find_row(&st, d->name);
		int reason = (d->becoming ? R_BECOMING : 0) | (d->load ? R_LOAD : 0);

		if (d->failures != d->becoming + d->load ||
		    (d->failures ? !row || row->count != d->failures || row->reason != reason ||
		     !d->first_ns || d->first_ns > d->last_ns || d->pid <= 0 :
		     row || !d->merged || d->first_ns || d->last_ns || d->pid ||
		     strcmp(d->comm, "-"))) {
			if (!bad++)
				TH_LOG("%s: %llu failures, row %llu", d->name, d->failures,
				       row ? row->count : 0);
		}
	}
	for (i = 0; i < st.nr_rows; i++)
		bad += dup_index(&b, st.rows[i].name) < 0;
	EXPECT_EQ(0, bad);
	free_dups(&a);
	free_dups(&b);
	free_stats(&st);
}

/* A task name with control characters and a space, escaped into one field. */
TEST_F(stats, escaped_comm)
{
	char path[PATH_MAX];
	struct dups d;

	ASSERT_EQ(0, module_file(&self->m, "mst_escape", "escape.ko", path, sizeof(path)));
	ASSERT_EQ(0, load_file(path, ""));
	ASSERT_EQ(0, prctl(PR_SET_NAME, "mst\r\v\f\001 x\\"));
	EXPECT_EQ(EEXIST, load_file(path, ""));
	prctl(PR_SET_NAME, self->m.comm);
	read_dups(&d);
	EXPECT_STREQ("", d.problem);
	ASSERT_LE(0, dup_index(&d, "mst_escape"));
	EXPECT_STREQ("mst\\015\\013\\014\\001\\040x\\134", find_dup(&d, "mst_escape")->comm);
	free_dups(&d);
}

struct event {
	char name[64], stage[16];
	unsigned long long wasted;
	int err, pid;
	bool syscall;	/* its stack shows the system call that failed */
};

/* The module_load_fail events of a trace, each with its stack. */
static int parse_trace(char *text, struct event *ev, int max, char *why, size_t size)
{
	char *line, *save = NULL;
	int n = 0, last = -1;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *p = strstr(line, ": module_load_fail: "), *dash;

		if (line[0] == '#')
			continue;
		if (p && n < max) {
			struct event *e = &ev[n];

			memset(e, 0, sizeof(*e));
			*p = '\0';
			if (sscanf(p + 20, "name=%63s stage=%15s wasted=%llu err=%d", e->name,
				   e->stage, &e->wasted, &e->err) != 4) {
				/* An empty name: the field is followed by the next one. */
				if (sscanf(p + 20, "name= stage=%15s wasted=%llu err=%d", e->stage,
					   &e->wasted, &e->err) != 3) {
					snprintf(why, size, "bad event: %.80s", p + 20);
					return -1;
				}
				e->name[0] = '\0';
			}
			p = strchr(line, '[');
			if (!p) {
				snprintf(why, size, "no CPU field: %.80s", line);
				return -1;
			}
			while (p > line && p[-1] == ' ')
				p--;
			*p = '\0';
			dash = strrchr(line, '-');
			e->pid = dash ? atoi(dash + 1) : 0;
			last = n++;
		} else if (strstr(line, "<stack trace>")) {
			continue;
		} else if (!strncmp(line, " => ", 4)) {
			if (last >= 0 && strstr(line, "init_module"))
				ev[last].syscall = true;
		} else if (strstr(line, "LOST")) {
			snprintf(why, size, "events lost");
			return -1;
		}
	}
	return n;
}

/*
 * Every failed load is traced at that moment, with the stack of the task
 * that asked, in a trace instance of the test's own; with the statistics,
 * each as its stage counter counted it. Kernels without the statistics
 * fire the event too.
 */
TEST_F(trace, module_load_fail)
{
	char seq[PATH_MAX], bad[PATH_MAX], xz[PATH_MAX], sym[PATH_MAX], xzdup[PATH_MAX + 4];
	char buf[4096], *text, why[128] = "";
	int n, i, j, nwant, err_xz = 0, err_xzdup = 0, err_bad, err_dup, err_fault, err_sym;
	int stages[4] = { };
	struct counters a, b;
	struct event ev[16];
	bool xz_loads;
	unsigned long long bytes[4] = { };
	static const char *const stage_names[] = { "kread", "decompress", "becoming", "load" };
	static const int counts[4][2] = {
		{ C_FAILED_KREADS, C_KREAD_BYTES }, { C_FAILED_DECOMPRESS, C_DECOMPRESS_BYTES },
		{ C_FAILED_BECOMING, C_BECOMING_BYTES }, { C_FAILED_LOAD, C_LOAD_BYTES },
	};
	void *p;

	if (access(TRACE_DIR "/instances", F_OK))
		SKIP(return, "no tracefs at " TRACE_DIR " (CONFIG_FTRACE, or mount it)");
	rmdir(TRACE_INSTANCE);
	ASSERT_EQ(0, mkdir(TRACE_INSTANCE, 0700)) TH_LOG("%s", strerror(errno));
	self->m.trace_instance = true;
	ASSERT_EQ(0, access(EVENT_DIR, F_OK)) TH_LOG("no module:module_load_fail event");
	/* This process's events only, whatever else loads modules meanwhile. */
	snprintf(buf, sizeof(buf), "%d", getpid());
	ASSERT_EQ(0, write_str(TRACE_INSTANCE "/set_event_pid", buf));
	EXPECT_EQ(0, write_str(EVENT_DIR "/trigger", "stacktrace"));
	ASSERT_EQ(0, write_str(EVENT_DIR "/enable", "1"));

	ASSERT_EQ(0, module_file(&self->m, "mst_trace", "trace.ko", seq, sizeof(seq)));
	snprintf(sym, sizeof(sym), "%s/tracesym.ko", self->m.dir);
	unload("mst_tracesym");
	ASSERT_EQ(0, remember(&self->m, "mst_tracesym"));
	ASSERT_EQ(0, make_module(&self->m, "mst_tracesym", sym, BAD_SYMBOL));
	memset(buf, 'E', sizeof(buf));
	snprintf(bad, sizeof(bad), "%s/badelf.ko", self->m.dir);
	ASSERT_EQ(0, write_file(bad, buf, sizeof(buf)));
	p = mmap(NULL, 12345, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	if (self->m.have_xz) {
		ASSERT_EQ(0, module_file(&self->m, "mst_tracexz", "tracexz.ko", xz, sizeof(xz)));
		ASSERT_EQ(0, make_xz(xz));
		strcat(xz, ".xz");
		text = read_file(xz, 65536, NULL);
		ASSERT_NE(NULL, text);
		ASSERT_EQ(0, write_file(xz, text, file_size(xz) / 2));
		free(text);
		/* And a whole one of the module the case loads first. */
		ASSERT_EQ(0, make_xz(seq));
		snprintf(xzdup, sizeof(xzdup), "%s.xz", seq);
	}

	if (self->m.stats)
		read_counters(&a);
	ASSERT_EQ(0, load_file(seq, ""));
	err_dup = load_file(seq, "");
	err_bad = load_file(bad, "");
	err_fault = syscall(__NR_init_module, p, 12345, "") ? errno : 0;
	err_sym = load_file(sym, "");
	if (self->m.have_xz) {
		err_xz = load_file(xz, "");
		err_xzdup = load_file(xzdup, "");
	}
	if (self->m.stats)
		read_counters(&b);
	write_str(EVENT_DIR "/enable", "0");
	write_str(EVENT_DIR "/trigger", "!stacktrace");
	text = read_file(TRACE_INSTANCE "/trace", 65536, NULL);
	if (!rmdir(TRACE_INSTANCE))
		self->m.trace_instance = false;
	munmap(p, 12345);
	ASSERT_NE(NULL, text);
	n = parse_trace(text, ev, 16, why, sizeof(why));
	free(text);
	ASSERT_LE(0, n) TH_LOG("%s", why);

	EXPECT_EQ(EEXIST, err_dup);
	EXPECT_EQ(ENOEXEC, err_bad);
	EXPECT_EQ(EFAULT, err_fault);
	EXPECT_EQ(ENOENT, err_sym);
	/* A kernel that cannot decompress refuses both before reading. */
	xz_loads = self->m.have_xz && err_xz != EOPNOTSUPP;
	if (xz_loads) {
		EXPECT_EQ(EINVAL, err_xz);
		EXPECT_EQ(EEXIST, err_xzdup);
	} else if (self->m.have_xz) {
		EXPECT_EQ(EOPNOTSUPP, err_xzdup);
		TH_LOG("no xz decompression in the kernel: no compressed load to trace");
	}

	/* The event each failed load must fire, once, in this order of checks. */
	struct {
		const char *name, *stage;
		int err;
		long long wasted;
		int seen;
	} want[] = {
		{ "mst_trace", "becoming", -err_dup, file_size(seq) },
		{ "", "becoming", -err_bad, sizeof(buf) },
		{ "", "kread", -err_fault, 12345 },
		{ "mst_tracesym", "load", -err_sym, 2 * file_size(sym) },
		/* The compressed file is wasted too. */
		{ "", "decompress", -err_xz, xz_loads ? file_size(xz) : 0 },
		{ "mst_trace", "becoming", -err_xzdup,
		  xz_loads ? file_size(seq) + file_size(xzdup) : 0 },
	};
	nwant = xz_loads ? 6 : 4;
	EXPECT_EQ(nwant, n);
	for (i = 0; i < n; i++) {
		int s;

		for (s = 0; s < 4; s++)
			if (!strcmp(ev[i].stage, stage_names[s]))
				break;
		ASSERT_LT(s, 4) TH_LOG("stage %s", ev[i].stage);
		stages[s]++;
		bytes[s] += ev[i].wasted;
		EXPECT_EQ(getpid(), ev[i].pid);
		EXPECT_TRUE(ev[i].syscall) TH_LOG("event %d: no init_module in its stack", i);
		for (j = 0; j < nwant; j++)
			if (!want[j].seen && !strcmp(want[j].name, ev[i].name) &&
			    !strcmp(want[j].stage, ev[i].stage) && want[j].err == ev[i].err &&
			    want[j].wasted == (long long)ev[i].wasted)
				break;
		EXPECT_LT(j, nwant) TH_LOG("unexpected event: name=%s stage=%s wasted=%llu err=%d",
					   ev[i].name, ev[i].stage, ev[i].wasted, ev[i].err);
		if (j < nwant)
			want[j].seen++;
	}
	for (j = 0; j < nwant; j++)
		EXPECT_EQ(1, want[j].seen)
			TH_LOG("no event name=%s stage=%s wasted=%lld err=%d", want[j].name,
			       want[j].stage, want[j].wasted, want[j].err);
	/* As many events and bytes per stage as the counters took. */
	if (!self->m.stats) {
		TH_LOG("no statistics to compare the events with: CONFIG_MODULE_STATS=n");
		return;
	}
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(stages[i], delta(&a, &b, counts[i][0])) TH_LOG("%s", stage_names[i]);
		EXPECT_EQ(bytes[i], delta(&a, &b, counts[i][1])) TH_LOG("%s", stage_names[i]);
	}
}

/* The counters of @c that differ from @want, as "name=value ...", or "". */
static void counters_differ(const struct counters *c, const unsigned long long *want,
			    char *out, size_t size)
{
	size_t len = 0;
	int i;

	out[0] = '\0';
	for (i = 0; i < NR_COUNTERS && len < size; i++)
		if (c->v[i] != want[i] || (c->missing & (1u << i)))
			len += snprintf(out + len, size - len, "%s=%llu (want %llu) ",
					counter_files[i], c->v[i], want[i]);
}

/*
 * The reset file: anything but "1" is refused and loses nothing; "1" starts
 * a window of its own, empty, from which the next failure counts alone.
 */
TEST_F(stats, reset_window)
{
	char path[PATH_MAX], *before, *after, why[512];
	unsigned long long last = 0, want[NR_COUNTERS], t0, t1;
	struct counters c;
	struct stats st;
	struct dups d;
	long long size;
	int i, fd;

	/* What the running kernel counted since boot is lost: only on request. */
	if (!getenv("MOD_STATS_RESET") || strcmp(getenv("MOD_STATS_RESET"), "1"))
		SKIP(return, "resets the running kernel's statistics; run with MOD_STATS_RESET=1");
	ASSERT_EQ(0, module_file(&self->m, "mst_reset", "reset.ko", path, sizeof(path)));
	size = file_size(path);
	ASSERT_EQ(0, load_file(path, ""));
	ASSERT_EQ(EEXIST, load_file(path, ""));

	before = read_file(STATS_DIR "/stats", 65536, NULL);
	fd = open(STATS_DIR "/reset", O_WRONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, write(fd, "0", 1));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
	after = read_file(STATS_DIR "/stats", 65536, NULL);
	ASSERT_NE(NULL, before);
	EXPECT_STREQ(before, after) TH_LOG("a refused reset changed the statistics");
	free(before);
	free(after);

	read_dups(&d);
	EXPECT_STREQ("", d.problem);
	for (i = 0; i < d.nr; i++)
		if (d.recs[i].last_ns > last)
			last = d.recs[i].last_ns;
	free_dups(&d);
	TH_LOG("resetting the module statistics");
	t0 = boottime_ns();
	ASSERT_EQ(0, write_str(STATS_DIR "/reset", "1"));
	t1 = boottime_ns();
	read_counters(&c);
	read_stats(&st, 65536);
	read_dups(&d);
	memset(want, 0, sizeof(want));
	counters_differ(&c, want, why, sizeof(why));
	EXPECT_STREQ("", why);
	EXPECT_STREQ("", st.problem);
	EXPECT_EQ(0, st.nr_rows);
	EXPECT_GT(st.v[L_SINCE], last) TH_LOG("the window starts before the last failure");
	EXPECT_LE(t0, st.v[L_SINCE]);
	EXPECT_GE(t1, st.v[L_SINCE]);
	EXPECT_STREQ("", d.problem);
	EXPECT_EQ(0, d.nr);
	free_stats(&st);
	free_dups(&d);

	EXPECT_EQ(EEXIST, load_file(path, ""));
	read_counters(&c);
	read_stats(&st, 65536);
	want[C_FAILED_BECOMING] = 1;
	want[C_BECOMING_BYTES] = size;
	counters_differ(&c, want, why, sizeof(why));
	EXPECT_STREQ("", why);
	EXPECT_EQ(1, st.nr_rows);
	EXPECT_EQ(1, row_count(&st, "mst_reset"));
	free_stats(&st);
}

TEST_HARNESS_MAIN
