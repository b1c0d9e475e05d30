/* suggest: "did you mean" hints. The closest candidate by edit distance, if it is close
 * enough to be a likely typo. Pure function; returns a pointer into candidates. */
#ifndef STAMP_SUGGEST_H
#define STAMP_SUGGEST_H

#include <stddef.h>

/* Levenshtein distance with adjacent transpositions counted as one edit. */
size_t suggest_distance(const char *a, size_t a_len, const char *b, size_t b_len);
/* The candidate within max(1, strlen(word) / 3) edits (at most 3); else the first that
 * starts with the word (of 3 characters or more); else NULL. Ties go to the first
 * candidate. */
const char *suggest_closest(const char *word, size_t len, const char *const *candidates,
			    size_t count);

#endif
