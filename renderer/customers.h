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
#include "source.h"

#include <stddef.h>
#include <stdint.h>

struct channels;
struct manifest;
struct summary_keys;
struct value;

#define CUSTOMERS_DIR "customers"
#define CUSTOMERS_MAX_BYTES (256 * 1024)
#define CUSTOMERS_MAX_DEPTH 32

struct customer {
	char *id;
	char *file;           /* "customers/<id>.yaml" */
	struct value *spec;   /* as loaded; NULL if it did not load (or was not parsed) */
	struct value *values; /* merged; NULL if anything was wrong. For a reused customer,
			       * its summary decoded, once customers_expand() ran */
	struct hash spec_hash;/* of the spec file's bytes */
	const char *summary;  /* with reuse: its summary (summary.h), the last render's when
			       * reused (pointing into its manifest), else made from values */
	size_t summary_len;
	int reused;           /* not parsed: its inputs are as the last render saw them */
	int lean;             /* parsed and valid, but past the load's hold (customers_reuse):
			       * only its summary was kept; customers_values() parses it again */
	struct source_blob blob; /* the spec's blob id, when has_blob (see customers_reuse) */
	int has_blob;
	size_t channel;       /* the channel (channel.h) its spec names, or the default one;
			       * 0 without channels */
	int summary_as_before; /* parsed, and its summary is the text the last render recorded
				* for it (customers_reuse.summary_before): what the rules across
				* customers and the outputs over all customers read is unchanged */
};

/* How customers_load() avoids parsing what the last render already checked. */
struct customers_reuse {
	const struct summary_keys *keys; /* what to keep of each customer parsed */
	/* The summary the last render recorded for c (c->spec_hash is set), when c's inputs
	 * are the ones it rendered, setting c->channel to the channel it followed then; NULL
	 * to parse c. */
	const char *(*summary_of)(void *data, struct customer *c, size_t *len);
	void *data;
	/* Each spec read gets its blob id (c->blob), which a source over a revision names
	 * without reading: the other side of a diff compares them. */
	int blob_ids;
	/* For a spec the source names by its blob id (c->blob set): 1 with *spec_hash set when
	 * the bytes of that id were hashed already (by the other side of a diff), so the spec
	 * is not read unless it is parsed; 0 to read it. May be NULL. */
	int (*spec_hash_of)(void *data, const struct customer *c, struct hash *spec_hash);
	/* The summary the last render recorded for c, whatever c's inputs are now; NULL when
	 * there is none to compare with. A customer parsed whose summary is that text again
	 * claims what it claimed then (customer.summary_as_before). May be NULL. */
	const char *(*summary_before)(void *data, const struct customer *c, size_t *len);
	/* How many bytes of parsed values the load keeps in all (CUSTOMERS_HOLD_ALL: no
	 * limit; 0: none). Past them, a customer parsed keeps only its summary (lean), so
	 * that 100,000 customers do not sit in memory at once; the rules across customers
	 * read the summaries. */
	size_t hold;
};
#define CUSTOMERS_HOLD_ALL SIZE_MAX

struct customers {
	struct customer *items; /* sorted by id */
	size_t count;
	struct arena *arenas;
	size_t arena_count;
	size_t reused;            /* customers not parsed */
	size_t lean;              /* customers parsed whose values were not kept */
	size_t held;              /* bytes the load kept, against customers_reuse.hold */
	const struct summary_keys *keys; /* from the reuse, for the summaries made later */
	const struct channels *channels; /* the sets specs follow; NULL: the manifest's only */
	int expanded;             /* customers_expand() ran */
	struct error_list errors; /* every problem, sorted by file and position */
};

/* Loads every customer of src (or only `only`, when not NULL) with `jobs` threads (0: all
 * cores). With channels (may be NULL), a spec's `channel:` field picks the set it is
 * validated against (a name channels declares; no field: the default channel), and m
 * is the default channel's manifest, whose unique: rules hold across every channel. With reuse, a customer whose spec hashes as the last render saw it is not
 * parsed or validated again (it was valid then, against the same rules); the rules
 * across customers then take its summary, and are skipped when every customer parsed
 * has the summary it had then (nothing they could refuse changed). Returns 0 when everything is valid, 1 when errors
 * holds problems, -1 when the directory cannot be read at all (errors says why). */
int customers_load(struct customers *out, const struct manifest *m, const struct channels *channels,
		   const struct source *src, int jobs, const char *only, const struct customers_reuse *reuse);
/* The manifest customer x is validated and rendered with: its channel's, else m. */
const struct manifest *customers_manifest(const struct customers *c, const struct manifest *m,
					  const struct customer *x);
/* Gives every reused customer its values (its summary decoded; a summary that does not
 * decode sends it back to its spec). For the outputs over all customers. Returns as
 * customers_load(). */
int customers_expand(struct customers *c, const struct manifest *m, const struct source *src);
/* Gives customer `index` its full values (a reused one is parsed from its spec after
 * all), to render it. -1 when it is invalid after all (c->errors says why). */
int customers_parse(struct customers *c, const struct manifest *m, const struct source *src, size_t index);
/* The full values of customer `index`, parsed again from its spec into arena, for a lean
 * one (or whose values are a summary); the spec must hash as it did when loaded. Safe
 * from several threads: c is only read. -1 when it does not load (errors says why). */
int customers_values(const struct customers *c, const struct manifest *m, const struct source *src, size_t index,
		     struct arena *arena, struct value **values, struct error_list *errors);
void customers_release(struct customers *c);
/* The customer with this id, or NULL (the items are sorted by id). */
const struct customer *customers_find(const struct customers *c, const char *id);
/* 1 if name is a DNS-1123 label (what a customer id must be). */
int customers_valid_id(const char *name, size_t len);

#endif
