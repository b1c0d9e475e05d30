/* The registry is a fixed array of pointers: no allocation in the handler, and a
 * render never watches more than a handful of names at once (the lock, out/'s
 * temporary directory, the one file being written, the new manifest). */
#define _GNU_SOURCE /* gettid, tgkill */
#include "tempfile.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#define TEMPFILE_SLOTS 16

static struct tempfile *volatile tempfile_slots[TEMPFILE_SLOTS];

void tempfile_remove_all(void)
{
	for (int i = TEMPFILE_SLOTS; i-- > 0;) {
		struct tempfile *t = tempfile_slots[i];
		if (!t || !t->active)
			continue;
		t->active = 0;
		unlinkat(t->dirfd, t->name, t->is_dir ? AT_REMOVEDIR : 0);
	}
}

/* Set between tempfile_create_begin() and _end(); the signal that came meanwhile. */
static volatile sig_atomic_t tempfile_creating, tempfile_pending;

/* Why the main thread: it is the one that writes out/ (the other threads render, scan
 * or ask for writeback), so while it runs the handler no file is being written that the
 * removal would miss, and it alone holds the signals back around libgit2's locks. A
 * signal that lands on another thread (the kernel picks any thread that does not block
 * it; tgkill picks one) is passed on to it, and that thread carries on until the process
 * ends. The main thread's id is the process id. */
static void tempfile_signal(int sig)
{
	pid_t pid = getpid();
	if (gettid() != pid) {
		int saved = errno;
		tgkill(pid, pid, sig);
		errno = saved;
		return;
	}
	if (tempfile_creating) {
		tempfile_pending = sig;
		return;
	}
	tempfile_remove_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

static const int tempfile_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };
#define TEMPFILE_SIGNALS (sizeof tempfile_signals / sizeof *tempfile_signals)

void tempfile_create_begin(void)
{
	tempfile_creating = 1;
}

void tempfile_create_end(void)
{
	tempfile_creating = 0;
	if (tempfile_pending)
		tempfile_signal(tempfile_pending);
}

int tempfile_hold_signals(sigset_t *saved)
{
	sigset_t held;
	sigemptyset(&held);
	for (size_t i = 0; i < TEMPFILE_SIGNALS; i++)
		sigaddset(&held, tempfile_signals[i]);
	return pthread_sigmask(SIG_BLOCK, &held, saved) == 0 ? 0 : -1;
}

int tempfile_release_signals(const sigset_t *saved)
{
	return pthread_sigmask(SIG_SETMASK, saved, NULL) == 0 ? 0 : -1;
}

void tempfile_install(void)
{
	/* past a file size limit, write() then fails with EFBIG, which is reported like
	 * any other write error, instead of the process dying of SIGXFSZ mid-render */
	signal(SIGXFSZ, SIG_IGN);
	for (size_t i = 0; i < TEMPFILE_SIGNALS; i++) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = tempfile_signal;
		sa.sa_flags = SA_RESTART; /* a thread that passed it on carries on */
		sigemptyset(&sa.sa_mask);
		sigaction(tempfile_signals[i], &sa, NULL);
	}
}

int tempfile_watch(struct tempfile *t, int dirfd, const char *name, int is_dir)
{
	size_t n = strlen(name);
	if (n >= TEMPFILE_NAME_MAX)
		return -1;
	t->active = 0;
	t->dirfd = dirfd;
	memcpy(t->name, name, n + 1);
	t->is_dir = is_dir;
	for (int i = 0; i < TEMPFILE_SLOTS; i++) {
		if (!tempfile_slots[i]) {
			t->slot = i;
			tempfile_slots[i] = t;
			t->active = 1;
			return 0;
		}
	}
	return -1;
}

void tempfile_forget(struct tempfile *t)
{
	t->active = 0;
	if (t->slot >= 0 && t->slot < TEMPFILE_SLOTS && tempfile_slots[t->slot] == t)
		tempfile_slots[t->slot] = NULL;
	t->slot = -1;
}
