/* secrets: refusing plaintext credentials in specs. PCRE2 patterns (URLs with a
 * password, PEM private keys, cloud and chat tokens, JWTs) are matched against every key
 * and every string of a spec; a hit names the field and never echoes the secret.
 *
 * The patterns come from the template set's manifest (secret_patterns:) or, when it has
 * none, from the built-in list below. A compiled list is read-only and shared by all
 * threads; secrets_release() frees it. */
#ifndef STAMP_SECRETS_H
#define STAMP_SECRETS_H

#include <stddef.h>

struct error_list;
struct value;

struct secret_rule {
	const char *name; /* "a URL with a password" */
	void *regex;      /* pcre2_code */
};

struct secrets {
	struct secret_rule *rules;
	size_t count;
};

/* From a manifest list of {name:, pattern:} (NULL: the built-in list). Problems in the
 * list go to errors; returns -1 if there were any. */
int secrets_compile(struct secrets *out, const struct value *list, struct error_list *errors);
void secrets_release(struct secrets *s);
/* Adds one error per string of `spec` that looks like a credential. `id` is the
 * customer, for the example reference in the fix. Returns the number found. */
/* 1 when str looks like a credential by one of the patterns (secrets_scan() reports it). */
int secrets_match_string(const struct secrets *s, const char *str, size_t len);
size_t secrets_scan(const struct secrets *s, const struct value *spec, const char *file,
		    const char *id, struct error_list *errors);

#endif
