/* tempfile: the files that must not outlive a failed run (the lock, temporaries, a new
 * file half written), removed whatever ends the process: a return, a catchable signal
 * (INT, TERM, HUP, PIPE: removed, then the signal is raised again, so the exit status
 * is 128+signal as the shell sees it) or an allocation failure (alloc.h).
 *
 * This is process-wide state by nature, so it lives here alone. A struct tempfile is
 * owned by its caller (it must stay put while registered); the registry only points at
 * it. Register and unregister from the main thread, the one that writes out/: a signal
 * is handled there (one that lands on another thread is passed on to it), and the
 * handler only reads, with async-signal-safe calls (unlinkat). Entries are removed
 * newest first, so a directory registered before the files in it is removed after them. */
#ifndef STAMP_TEMPFILE_H
#define STAMP_TEMPFILE_H

#include <signal.h>

#define TEMPFILE_NAME_MAX 256

struct tempfile {
	int dirfd;
	char name[TEMPFILE_NAME_MAX];
	int is_dir;
	volatile sig_atomic_t active;
	int slot;
};

/* Installs the signal handlers (once, from main). */
void tempfile_install(void);
/* Starts watching dirfd/name; -1 when the name is too long or the registry full. */
int tempfile_watch(struct tempfile *t, int dirfd, const char *name, int is_dir);
/* Stops watching (the file stays, or was removed by the caller). */
void tempfile_forget(struct tempfile *t);
/* Removes every watched entry; safe in a signal handler. */
void tempfile_remove_all(void);

/* Between these two, the main thread creates a name and watches it: a signal that comes
 * meanwhile waits for tempfile_create_end(), which handles it, so that a name created
 * and not yet watched does not outlive the process. No system call: cheap enough to
 * bracket every file a render creates. */
void tempfile_create_begin(void);
void tempfile_create_end(void);

/* Holds back INT, TERM, HUP and PIPE (in the calling thread) while a library makes and
 * renames lock files of its own, which a signal would leave behind for a person to
 * remove (libgit2's ref and index locks). A signal that came meanwhile ends the
 * process, as usual, when tempfile_release_signals() restores the mask. */
int tempfile_hold_signals(sigset_t *saved);
int tempfile_release_signals(const sigset_t *saved);

#endif
