/* make bench, part two: stamp render at scale, against the floor of a plain C loop that
 * creates the same files with the same sizes, measured in the same run.
 *
 *   bench_render STAMP REPO_TEMPLATES N RUNS [BASELINE_STAMP]
 *   bench_render --generate DIR N     (only the N specs, into DIR/customers)
 *   bench_render --measure COMMAND [ARG...]
 *                                     (runs it; prints its wall seconds and peak RSS in KiB,
 *                                     its output sent to /dev/null; for bench_git.sh)
 *
 * With BASELINE_STAMP (another build of stamp, e.g. the commit before a change), its
 * cold, no-op and one-changed renders alternate with this one's, on the same disk.
 *
 * Floors for how out/ is written, same run: new files created in place against the
 * same files written to a temporary name and renamed (what stamp does for a replaced
 * file; both on the first 20,000 files), and what making them durable costs: one
 * syncfs() after all the files against an fsync() per file (timed on the first 1,000
 * files, and scaled).
 *
 * Generates N customers shaped like customers/ (generator below), then reports medians
 * of RUNS runs of: a cold render into an empty out/, a no-op render, a render after one
 * customer changed, a render after one template changed; the peak RSS of stamp; and the
 * floor. Every cold run (and every floor run) writes into a directory of its own, made
 * fresh, because creating many files right after deleting many is several times slower
 * on ext4 for a while; directories are removed only at the end. Each cold render starts
 * with nothing of the disk's left to write back, as the floor does: the copy of the specs
 * it renders is flushed first, untimed.
 *
 * A second reference, also measured in the same run: libyaml's event parser alone over
 * the same YAML and JSON bytes, on all cores. Render must parse back every output before
 * it writes anything, so the floor plus that parse is the least a render can cost. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <pthread.h>
#include <unistd.h>
#include <yaml.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int compare(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, compare);
	return v[n / 2];
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* snprintf that refuses to truncate. */
static void fmt(char *out, size_t size, const char *format, ...) __attribute__((format(printf, 3, 4)));

static void fmt(char *out, size_t size, const char *format, ...)
{
	va_list ap;
	va_start(ap, format);
	int n = vsnprintf(out, size, format, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size) {
		fprintf(stderr, "bench: path too long\n");
		exit(1);
	}
}

/* Commands are started by a helper forked first thing, while this process is small. A
 * child's peak RSS counts what it shared with its parent before exec: forked from the
 * bench after the parse floor has read every output, stamp's no-op render would report
 * the bench's 145 MiB as its own. */
static int spawn_requests = -1, spawn_replies = -1;

struct spawn_reply {
	int status;   /* from wait4, or -1 when the helper could not fork */
	long rss;     /* KiB */
	double seconds;
	double user, sys;             /* the command's own CPU seconds */
	double all_user, all_sys, idle; /* every core's, from /proc/stat, over the same time */
};

/* Every core's user, system (irq included) and idle (iowait included) time so far, in
 * seconds. */
static void cpu_totals(double *user, double *sys, double *idle)
{
	unsigned long long u = 0, ni = 0, sy = 0, id = 0, io = 0, irq = 0, soft = 0;
	FILE *f = fopen("/proc/stat", "r");
	if (!f || fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu", &u, &ni, &sy, &id, &io, &irq, &soft) != 7)
		u = ni = sy = id = io = irq = soft = 0;
	if (f)
		fclose(f);
	double tick = (double)sysconf(_SC_CLK_TCK);
	*user = (double)(u + ni) / tick;
	*sys = (double)(sy + irq + soft) / tick;
	*idle = (double)(id + io) / tick;
}

static void spawn_serve(int requests, int replies)
{
	size_t len;
	static char command[16384];
	while (read(requests, &len, sizeof len) == (ssize_t)sizeof len) {
		if (len >= sizeof command || read(requests, command, len) != (ssize_t)len)
			_exit(1);
		command[len] = 0;
		struct spawn_reply reply = { -1, 0, 0, 0, 0, 0, 0, 0 };
		double u0, s0, i0;
		cpu_totals(&u0, &s0, &i0);
		double start = now();
		pid_t pid = fork();
		if (pid == 0) {
			execl("/bin/sh", "sh", "-c", command, (char *)NULL);
			_exit(127);
		}
		struct rusage usage;
		if (pid > 0 && wait4(pid, &reply.status, 0, &usage) == pid) {
			reply.seconds = now() - start;
			reply.rss = usage.ru_maxrss;
			reply.user = (double)usage.ru_utime.tv_sec + (double)usage.ru_utime.tv_usec / 1e6;
			reply.sys = (double)usage.ru_stime.tv_sec + (double)usage.ru_stime.tv_usec / 1e6;
			double u1, s1, i1;
			cpu_totals(&u1, &s1, &i1);
			reply.all_user = u1 - u0;
			reply.all_sys = s1 - s0;
			reply.idle = i1 - i0;
		}
		if (write(replies, &reply, sizeof reply) != (ssize_t)sizeof reply)
			_exit(1);
	}
	_exit(0);
}

static void spawn_start(void)
{
	int requests[2], replies[2];
	if (pipe(requests) < 0 || pipe(replies) < 0)
		die("pipe");
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(requests[1]);
		close(replies[0]);
		spawn_serve(requests[0], replies[1]);
	}
	close(requests[0]);
	close(replies[1]);
	spawn_requests = requests[1];
	spawn_replies = replies[0];
}

static struct spawn_reply last_reply; /* of the last run(): its CPU figures */

/* Runs a shell command; returns wall seconds, and the peak RSS (KiB) in *rss. */
static double run(const char *command, long *rss)
{
	size_t len = strlen(command);
	struct spawn_reply reply;
	if (write(spawn_requests, &len, sizeof len) != (ssize_t)sizeof len ||
	    write(spawn_requests, command, len) != (ssize_t)len ||
	    read(spawn_replies, &reply, sizeof reply) != (ssize_t)sizeof reply)
		die("the command helper");
	if (reply.status < 0)
		die("fork");
	if (!WIFEXITED(reply.status) || WEXITSTATUS(reply.status) != 0) {
		fprintf(stderr, "bench: command failed: %s\n", command);
		exit(1);
	}
	if (rss)
		*rss = reply.rss;
	last_reply = reply;
	return reply.seconds;
}

static void write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len || close(fd) < 0)
		die(path);
}

/* The generator: N specs like the example customers (every plan, custom domains on
 * some, env and secret references on all). */
static void generate(const char *dir, int n)
{
	static const char *const plans[] = { "starter", "standard", "business" };
	char path[4096], text[2048];
	fmt(path, sizeof path, "%s/customers", dir);
	if (mkdir(path, 0777) < 0 && errno != EEXIST)
		die(path);
	for (int i = 0; i < n; i++) {
		int len = snprintf(text, sizeof text,
				   "plan: %s\nimage:\n  tag: \"0.1.%d\"\n%s%d%s"
				   "env:\n  NODE_ENV: production\n  LOG_LEVEL: info\n  TIMEZONE: America/Chicago\n"
				   "secrets:\n  JWT_SECRET: c%06d/jwt-secret\n  SMTP_PASSWORD: c%06d/smtp/password\n",
				   plans[i % 3], i % 60, i % 4 == 0 ? "domains: [shop" : "# no custom domain ",
				   i, i % 4 == 0 ? ".example.com]\n" : "\n", i, i);
		fmt(path, sizeof path, "%s/customers/c%06d.yaml", dir, i);
		write_file(path, text, (size_t)len);
	}
}

struct sizes {
	char **paths;
	size_t *bytes;
	size_t count;
};

/* The files of a rendered out/ (from its manifest's file lines) and their sizes. */
static void read_sizes(const char *repo, struct sizes *s)
{
	char path[4096], line[8192];
	fmt(path, sizeof path, "%s/out/.stamp-manifest", repo);
	FILE *f = fopen(path, "r");
	if (!f)
		die(path);
	size_t cap = 0;
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, "file ", 5) != 0)
			continue;
		line[strcspn(line, "\n")] = 0;
		char *rel = strchr(strchr(line + 5 + 33, ' ') + 1, 0) ? strchr(line + 5 + 33, ' ') + 1 : NULL;
		if (!rel)
			continue;
		if (s->count == cap) {
			cap = cap ? cap * 2 : 1024;
			s->paths = realloc(s->paths, cap * sizeof *s->paths);
			s->bytes = realloc(s->bytes, cap * sizeof *s->bytes);
		}
		fmt(path, sizeof path, "%s/out/%s", repo, rel);
		struct stat st;
		if (stat(path, &st) < 0)
			die(path);
		s->paths[s->count] = strdup(rel);
		s->bytes[s->count] = (size_t)st.st_size;
		s->count++;
	}
	fclose(f);
}

/* The floor: the same files, same sizes, same directories, made by a plain loop. */
enum floor_mode { FLOOR_IN_PLACE, FLOOR_RENAME, FLOOR_FSYNC };

static double floor_run(const char *dir, const struct sizes *s, enum floor_mode mode, size_t limit)
{
	static char data[1 << 16];
	memset(data, 'x', sizeof data);
	char path[4096], temp[4096];
	fmt(temp, sizeof temp, "%s/.tmp", dir);
	double start = now();
	for (size_t i = 0; i < s->count && i < limit; i++) {
		fmt(path, sizeof path, "%s/%s", dir, s->paths[i]);
		for (char *p = path + strlen(dir) + 1; (p = strchr(p, '/')); p++) {
			*p = 0;
			mkdir(path, 0777);
			*p = '/';
		}
		size_t len = s->bytes[i] < sizeof data ? s->bytes[i] : sizeof data;
		if (mode == FLOOR_IN_PLACE) {
			write_file(path, data, len);
		} else if (mode == FLOOR_RENAME) {
			write_file(temp, data, len);
			if (rename(temp, path) < 0)
				die(path);
		} else {
			int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
			if (fd < 0 || write(fd, data, len) != (ssize_t)len || fsync(fd) < 0 || close(fd) < 0)
				die(path);
		}
	}
	return now() - start;
}

/* One syncfs of the filesystem dir is on, timed. */
static double sync_run(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		die(dir);
	double start = now();
	if (syncfs(fd) < 0)
		die("syncfs");
	close(fd);
	return now() - start;
}

/* The parse-back reference: every YAML/JSON file of a rendered out/, read into memory
 * first, then parsed with libyaml's event parser (no tree) by one thread per core. */
struct parse_job {
	char **data;
	size_t *lens;
	size_t count;
	size_t next;
	pthread_mutex_t lock;
};

static void *parse_worker(void *arg)
{
	struct parse_job *job = arg;
	for (;;) {
		pthread_mutex_lock(&job->lock);
		size_t i = job->next++;
		pthread_mutex_unlock(&job->lock);
		if (i >= job->count)
			return NULL;
		yaml_parser_t parser;
		yaml_event_t event;
		yaml_parser_initialize(&parser);
		yaml_parser_set_input_string(&parser, (const unsigned char *)job->data[i], job->lens[i]);
		for (int done = 0; !done;) {
			if (!yaml_parser_parse(&parser, &event)) {
				fprintf(stderr, "bench: a rendered file does not parse\n");
				exit(1);
			}
			done = event.type == YAML_STREAM_END_EVENT;
			yaml_event_delete(&event);
		}
		yaml_parser_delete(&parser);
	}
}

static double parse_run(const char *repo, const struct sizes *s)
{
	struct parse_job job = { calloc(s->count, sizeof(char *)), calloc(s->count, sizeof(size_t)), 0, 0,
				 PTHREAD_MUTEX_INITIALIZER };
	char path[4096];
	for (size_t i = 0; i < s->count; i++) {
		size_t len = strlen(s->paths[i]);
		if (!(len > 5 && strcmp(s->paths[i] + len - 5, ".yaml") == 0) &&
		    !(len > 5 && strcmp(s->paths[i] + len - 5, ".json") == 0))
			continue;
		fmt(path, sizeof path, "%s/out/%s", repo, s->paths[i]);
		FILE *f = fopen(path, "rb");
		if (!f)
			die(path);
		char *data = malloc(s->bytes[i] + 1);
		if (fread(data, 1, s->bytes[i], f) != s->bytes[i])
			die(path);
		fclose(f);
		job.data[job.count] = data;
		job.lens[job.count++] = s->bytes[i];
	}
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	if (cores < 1)
		cores = 1;
	pthread_t threads[64];
	if (cores > 64)
		cores = 64;
	double start = now();
	for (long i = 0; i < cores; i++)
		pthread_create(&threads[i], NULL, parse_worker, &job);
	for (long i = 0; i < cores; i++)
		pthread_join(threads[i], NULL);
	double elapsed = now() - start;
	for (size_t i = 0; i < job.count; i++)
		free(job.data[i]);
	free(job.data);
	free(job.lens);
	return elapsed;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "--measure") == 0) {
		/* forked from this small process, so the peak is the command's own */
		double start = now();
		pid_t pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			int null = open("/dev/null", O_WRONLY);
			if (null < 0 || dup2(null, 1) < 0)
				_exit(127);
			execvp(argv[2], argv + 2);
			_exit(127);
		}
		int status;
		struct rusage usage;
		if (wait4(pid, &status, 0, &usage) != pid)
			die("wait4");
		double elapsed = now() - start;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "bench: command failed: %s\n", argv[2]);
			return 1;
		}
		printf("%.4f %ld\n", elapsed, usage.ru_maxrss);
		return 0;
	}
	spawn_start();
	if (argc == 4 && strcmp(argv[1], "--generate") == 0) {
		generate(argv[2], atoi(argv[3]));
		return 0;
	}
	if (argc < 5 || argc > 7) {
		fprintf(stderr, "usage: bench_render STAMP TEMPLATES_DIR N RUNS [BASELINE_STAMP [BASELINE_TEMPLATES_DIR]]\n"
				"       bench_render --generate DIR N\n");
		return 2;
	}
	const char *stamp = argv[1], *templates = argv[2], *baseline = argc >= 6 ? argv[5] : NULL;
	/* the baseline renders its own revision's template set, which it understands */
	const char *base_templates = argc == 7 ? argv[6] : templates;
	int n = atoi(argv[3]), runs = atoi(argv[4]);
	char base[] = "/tmp/stamp-bench-XXXXXX";
	if (!mkdtemp(base))
		die("mkdtemp");
	char repo[4096], command[16384];
	fmt(repo, sizeof repo, "%s/source", base);
	mkdir(repo, 0777);
	generate(repo, n);
	fmt(command, sizeof command, "cp -R '%s' '%s/templates'", templates, repo);
	run(command, NULL);
	if (baseline) {
		fmt(command, sizeof command, "cp -R '%s' '%s/base-templates'", base_templates, base);
		run(command, NULL);
	}

	double cold[32], floor_s[32], parse[32], noop[32], one[32], tmpl[32];
	double base_cold[32], base_noop[32], base_one[32], inplace[32], renamed[32], synced[32], fsynced[32];
	/* where a cold render's CPU goes: its own, the kernel's work for it outside it (the
	 * writeback of the files it makes durable), and what the cores left idle */
	double cold_user[32], cold_sys[32], cold_others[32], cold_idle[32], durable[32];
	long rss, peak = 0, peak_cold = 0, peak_noop = 0, peak_one = 0, peak_tmpl = 0;
	char last[4096] = "", base_last[4096] = "";
	if (runs > 32)
		runs = 32;
	/* the renders after the cold one are short beside it, and a single run of them at
	 * 100,000 customers (where the cold render runs once) is one draw of the machine's
	 * noise: they are always the median of at least three */
	int warm = runs < 3 ? 3 : runs;
	/* the floor needs the sizes of a real rendering: one untimed render first */
	char first[4096];
	fmt(first, sizeof first, "%s/sizes", base);
	fmt(command, sizeof command, "mkdir '%s' && cp -R '%s/templates' '%s/customers' '%s/' && '%s' -C '%s' -q render",
	    first, repo, repo, first, stamp, first);
	run(command, NULL);
	struct sizes sizes = { 0 };
	read_sizes(first, &sizes);
	/* cold renders and floor runs alternate, so that both see the same disk */
	for (int r = 0; r < runs; r++) {
		char dir[4096];
		fmt(dir, sizeof dir, "%s/cold%d", base, r);
		fmt(command, sizeof command, "mkdir '%s' && cp -R '%s/templates' '%s/customers' '%s/'",
		    dir, repo, repo, dir);
		run(command, NULL);
		/* the copy just made is on disk before the clock starts, as the floor's disk
		 * is clean when it starts: else the render's own flushes (syncfs, for the whole
		 * filesystem) write back 10,000 copied specs in its time */
		sync_run(dir);
		fmt(command, sizeof command, "'%s' -C '%s' -q render", stamp, dir);
		cold[r] = run(command, &rss);
		peak_cold = rss > peak_cold ? rss : peak_cold;
		cold_user[r] = last_reply.user;
		cold_sys[r] = last_reply.sys;
		cold_others[r] = last_reply.all_user + last_reply.all_sys - last_reply.user - last_reply.sys;
		cold_idle[r] = last_reply.idle;
		fmt(last, sizeof last, "%s", dir);
		if (baseline) {
			fmt(dir, sizeof dir, "%s/base%d", base, r);
			fmt(command, sizeof command, "mkdir '%s' && cp -R '%s/base-templates' '%s/templates' && "
			    "cp -R '%s/customers' '%s/'", dir, base, dir, repo, dir);
			run(command, NULL);
			sync_run(dir);
			fmt(command, sizeof command, "'%s' -C '%s' -q render", baseline, dir);
			base_cold[r] = run(command, NULL);
			fmt(base_last, sizeof base_last, "%s", dir);
		}
		fmt(dir, sizeof dir, "%s/floor%d", base, r);
		mkdir(dir, 0777);
		floor_s[r] = floor_run(dir, &sizes, FLOOR_IN_PLACE, (size_t)-1);
		synced[r] = sync_run(dir);
		durable[r] = floor_s[r] + synced[r];
		/* the two ways of creating a new file, on the first 20,000 files each */
		fmt(dir, sizeof dir, "%s/inplace%d", base, r);
		mkdir(dir, 0777);
		inplace[r] = floor_run(dir, &sizes, FLOOR_IN_PLACE, 20000);
		fmt(dir, sizeof dir, "%s/renamed%d", base, r);
		mkdir(dir, 0777);
		renamed[r] = floor_run(dir, &sizes, FLOOR_RENAME, 20000);
		sync_run(dir);
		fmt(dir, sizeof dir, "%s/fsynced%d", base, r);
		mkdir(dir, 0777);
		fsynced[r] = floor_run(dir, &sizes, FLOOR_FSYNC, 1000);
		parse[r] = parse_run(first, &sizes);
	}
	/* the floors wrote and read gigabytes since the specs were written: at 100,000
	 * customers they are no longer in the page cache, and a first no-op would time
	 * 100,000 reads from the disk (65 s on this machine) instead of stamp. One untimed
	 * run reads them back, as they are in a checkout that was just made */
	fmt(command, sizeof command, "'%s' -C '%s' -q render", stamp, last);
	run(command, NULL);
	for (int r = 0; r < warm; r++) {
		fmt(command, sizeof command, "'%s' -C '%s' -q render", stamp, last);
		noop[r] = run(command, &rss);
		peak_noop = rss > peak_noop ? rss : peak_noop;
		if (baseline) {
			fmt(command, sizeof command, "'%s' -C '%s' -q render", baseline, base_last);
			base_noop[r] = run(command, NULL);
		}
	}
	for (int r = 0; r < warm; r++) {
		fmt(command, sizeof command, "sed -i 's/LOG_LEVEL: .*/LOG_LEVEL: run%d/' '%s/customers/c%06d.yaml'",
			 r, last, n / 2);
		run(command, NULL);
		fmt(command, sizeof command, "'%s' -C '%s' -q render", stamp, last);
		one[r] = run(command, &rss);
		peak_one = rss > peak_one ? rss : peak_one;
		if (baseline) {
			fmt(command, sizeof command, "sed -i 's/LOG_LEVEL: .*/LOG_LEVEL: run%d/' '%s/customers/c%06d.yaml'",
			    r, base_last, n / 2);
			run(command, NULL);
			fmt(command, sizeof command, "'%s' -C '%s' -q render", baseline, base_last);
			base_one[r] = run(command, NULL);
		}
	}
	for (int r = 0; r < warm; r++) {
		fmt(command, sizeof command, "echo '# run %d' >> '%s/templates/customer/service.yaml'", r, last);
		run(command, NULL);
		fmt(command, sizeof command, "'%s' -C '%s' -q render", stamp, last);
		tmpl[r] = run(command, &rss);
		peak_tmpl = rss > peak_tmpl ? rss : peak_tmpl;
	}
	double with_parse[32];
	for (int r = 0; r < runs; r++)
		with_parse[r] = floor_s[r] + parse[r];
	double c = median(cold, runs), f = median(floor_s, runs), fp = median(with_parse, runs);
	printf("render: %d customers, %zu files, median of %d run%s", n, sizes.count, runs, runs == 1 ? "" : "s");
	printf(warm == runs ? "\n" : " (the no-op, one changed and template renders: median of %d)\n", warm);
	printf("  cold render          %8.3f s   (floor, plain create: %.3f s; ratio %.2fx)\n", c, f, c / f);
	printf("  libyaml parse alone  %8.3f s   (floor + parse: %.3f s; cold ratio to it %.2fx)\n",
	       median(parse, runs), fp, c / fp);
	double fd = median(durable, runs);
	printf("  durable floor        %8.3f s   (plain create, then one syncfs; cold ratio to it %.2fx)\n", fd, c / fd);
	printf("  cold render CPU      user %.2f s, system %.2f s; the rest of the machine %.2f s; cores idle %.2f s "
	       "(%ld cores)\n", median(cold_user, runs), median(cold_sys, runs), median(cold_others, runs),
	       median(cold_idle, runs), sysconf(_SC_NPROCESSORS_ONLN));
	printf("  no-op render         %8.3f s\n", median(noop, warm));
	printf("  one customer changed %8.3f s\n", median(one, warm));
	printf("  one template changed %8.3f s\n", median(tmpl, warm));
	peak = peak_cold > peak_noop ? peak_cold : peak_noop;
	peak = peak_one > peak ? peak_one : peak;
	peak = peak_tmpl > peak ? peak_tmpl : peak;
	printf("  peak RSS             %8.1f MiB   (cold %.1f, no-op %.1f, one changed %.1f, one template %.1f)\n",
	       (double)peak / 1024.0, (double)peak_cold / 1024.0, (double)peak_noop / 1024.0, (double)peak_one / 1024.0,
	       (double)peak_tmpl / 1024.0);
	double fsync_file = median(fsynced, runs) / (double)(sizes.count < 1000 ? sizes.count : 1000);
	size_t some = sizes.count < 20000 ? sizes.count : 20000;
	printf("  new files (floors, %zu files): in place %.3f s, temporary + rename %.3f s (%.2fx)\n", some,
	       median(inplace, runs), median(renamed, runs), median(renamed, runs) / median(inplace, runs));
	printf("  durable (floors): one syncfs after all %zu files %.3f s; an fsync per file %.2f ms each, "
	       "%.1f s for all\n", sizes.count, median(synced, runs), fsync_file * 1e3,
	       fsync_file * (double)sizes.count);
	if (baseline) {
		double bc = median(base_cold, runs), bn = median(base_noop, warm), bo = median(base_one, warm);
		printf("  baseline %s, same run:\n", baseline);
		printf("    cold render        %8.3f s   (this build %.2fx)\n", bc, c / bc);
		printf("    no-op render       %8.3f s   (this build %.2fx)\n", bn, median(noop, warm) / bn);
		printf("    one changed        %8.3f s   (this build %.2fx)\n", bo, median(one, warm) / bo);
	}
	fflush(stdout);
	fmt(command, sizeof command, "rm -rf '%s'", base);
	run(command, NULL);
	return 0;
}
