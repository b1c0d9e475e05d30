/* customers: every customers/<id>.yaml of the repository, found by a stated rule, loaded
 * and merged (values.h) on all cores, then checked against each other (values the
 * manifest declares unique, such as hosts or "services[].domains[]", may be claimed
 * once: by one customer, in one place). A spec is read with document_load_recover(), so
 * an out-of-range number is one error and the rest of the file is still checked.
 *
 * Which files count (README.md "Customer specs"): names ending in .yaml whose stem is a
 * DNS-1123 label. Dotfiles and names not ending in .yaml or .yml (README.md, editor
 * backups such as acme.yaml~) are skipped; subdirectories are skipped. Refused with a
 * diagnostic: a .yml file, a stem that is not a DNS label, a symlink leading outside the
 * repository, anything that is not a regular file, files over 256 KiB.
 *
 * struct customers owns its customers, their arenas (one per worker thread) and their
 * errors; customers_release() frees everything. */
#ifndef STAMP_CUSTOMERS_H
#define STAMP_CUSTOMERS_H

#include "arena.h"
#include "error.h"
#include "hash.h"

#include <stddef.h>

struct manifest;
struct source;
struct value;

#define CUSTOMERS_DIR "customers"
#define CUSTOMERS_MAX_BYTES (256 * 1024)
#define CUSTOMERS_MAX_DEPTH 32

struct customer {
	char *id;
	char *file;           /* "customers/<id>.yaml" */
	struct value *spec;   /* as loaded; NULL if it did not load */
	struct value *values; /* merged; NULL if anything was wrong */
	struct hash spec_hash;/* of the spec file's bytes */
};

struct customers {
	struct customer *items; /* sorted by id */
	size_t count;
	struct arena *arenas;
	size_t arena_count;
	struct error_list errors; /* every problem, sorted by file and position */
};

/* Loads every customer of src (or only `only`, when not NULL) with `jobs` threads (0: all
 * cores). Returns 0 when everything is valid, 1 when errors holds problems, -1 when the
 * directory cannot be read at all (errors says why). */
int customers_load(struct customers *out, const struct manifest *m, const struct source *src, int jobs,
		   const char *only);
void customers_release(struct customers *c);
/* The customer with this id, or NULL (the items are sorted by id). */
const struct customer *customers_find(const struct customers *c, const char *id);
/* 1 if name is a DNS-1123 label (what a customer id must be). */
int customers_valid_id(const char *name, size_t len);

#endif
