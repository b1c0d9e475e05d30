/* summary: what a render needs of a customer it does not parse again.
 *
 * A customer whose spec bytes and template set are as the last render saw them renders
 * the same bytes (output.h), so its files stay as recorded. But the outputs over all
 * customers and the cross-customer rules (unique:) still read its values. Its summary
 * is the part of its merged values they read: id, platform and deploy, the top-level
 * keys the outputs over all customers name, the keys the paths of its own outputs name
 * (a big render keeps only summaries until it writes: customers.h), and the first key
 * of every unique: path.
 * Each node keeps its file, line and column, so a rule reports at the same place as over
 * the parsed spec. The summary is one line of text, kept in out/.stamp-manifest
 * (outmanifest.h); decoding it gives back that part of the tree.
 *
 * The text format, one token per node, tokens separated by one blank:
 *   [@L:C | ~L:C | =L:C:FILE:] then n | T | F | i<int> | r<hex float> | s<string>
 *                                   | l<count> (then count nodes) | m<count> (then key, value...)
 *   @ the node is from the customer's spec, ~ it has a position but no file, = another
 *   file; strings and files are %-escaped (blank, '%', ':', controls and non-ASCII).
 *   P and D, as a value of the top map, stand for the manifest's platform and deploy.
 *
 * struct summary_keys owns its names; summary_keys_release() frees them. Encoded text
 * is appended to the caller's buffer; a decoded tree lives in the caller's arena and
 * shares platform and deploy with the manifest, which must outlive it. */
#ifndef STAMP_SUMMARY_H
#define STAMP_SUMMARY_H

#include <stddef.h>

struct arena;
struct buf;
struct channels;
struct manifest;
struct output_set;
struct value;

struct summary_keys {
	char **names;  /* the top-level keys kept, sorted */
	size_t count;
	int all;       /* every key is kept: the names read cannot be known (a dynamic
			* partial, or an output over all customers that reads hashes) */
};

void summary_keys_init(struct summary_keys *k, const struct manifest *m, const struct output_set *os);
/* With channels (channel.h): the default channel's set's keys, and what the paths of
 * every channel's per-customer outputs name (its customers' summaries give their paths). */
void summary_keys_init_channels(struct summary_keys *k, const struct channels *ch);
void summary_keys_release(struct summary_keys *k);
/* 1 when key (len bytes) is kept. */
int summary_keeps(const struct summary_keys *k, const char *key, size_t len);

/* Appends the summary of values (a customer's merged map), whose spec is `file`. */
void summary_encode(const struct summary_keys *k, const struct manifest *m, const struct value *values,
		    const char *file, struct buf *out);
/* 1 when every node of the summary text is from the customer's spec or has no file
 * (none is marked '='): it reads the same whichever source the spec is named under. */
int summary_spec_only(const char *text, size_t len);
/* Decodes text (len bytes) into arena; `file` is the customer's spec, for the nodes
 * from it. Returns 0 and sets *out, or -1 when the text is not a summary (a damaged or
 * edited manifest): the caller parses the spec instead. */
int summary_decode(struct arena *arena, const char *text, size_t len, const char *file,
		   const struct manifest *m, struct value **out);

#endif
