/* Edit distance for hints: the optimal string alignment variant, so that "rednre" and
 * "render" are one transposition apart. Words are short; a full table is fine. */
#include "suggest.h"

#include "alloc.h"

#include <stdlib.h>
#include <string.h>

size_t suggest_distance(const char *a, size_t n, const char *b, size_t m)
{
	if (n > 256 || m > 256)
		return (size_t)-1;
	size_t *d = malloc((n + 1) * (m + 1) * sizeof *d);
	if (!d)
		alloc_failed();
#define D(i, j) d[(i) * (m + 1) + (j)]
	for (size_t i = 0; i <= n; i++)
		D(i, 0) = i;
	for (size_t j = 0; j <= m; j++)
		D(0, j) = j;
	for (size_t i = 1; i <= n; i++) {
		for (size_t j = 1; j <= m; j++) {
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t best = D(i - 1, j) + 1;
			if (D(i, j - 1) + 1 < best)
				best = D(i, j - 1) + 1;
			if (D(i - 1, j - 1) + cost < best)
				best = D(i - 1, j - 1) + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    D(i - 2, j - 2) + 1 < best)
				best = D(i - 2, j - 2) + 1;
			D(i, j) = best;
		}
	}
	size_t result = D(n, m);
#undef D
	free(d);
	return result;
}

const char *suggest_closest(const char *word, size_t len, const char *const *candidates,
			    size_t count)
{
	size_t limit = len / 3;
	if (limit < 1)
		limit = 1;
	if (limit > 3)
		limit = 3;
	const char *best = NULL;
	size_t best_distance = limit + 1;
	for (size_t i = 0; i < count; i++) {
		size_t dist = suggest_distance(word, len, candidates[i], strlen(candidates[i]));
		if (dist < best_distance) {
			best = candidates[i];
			best_distance = dist;
		}
	}
	/* none is close, but one starts with the word: "bluebird" for "bluebird-music" */
	for (size_t i = 0; !best && len >= 3 && i < count; i++)
		if (strncmp(candidates[i], word, len) == 0 && candidates[i][len])
			best = candidates[i];
	return best;
}
