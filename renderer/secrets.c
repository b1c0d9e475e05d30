/* Credential detection. The built-in patterns are deliberately specific (a fixed
 * prefix, a length, a charset) so that ordinary values such as image tags or hostnames
 * never trip them; a template set can replace the list. */
#include "secrets.h"

#include "alloc.h"

#include "buf.h"
#include "error.h"
#include "value.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	const char *pattern;
} secrets_builtin[] = {
	{ "a URL with a password", "[A-Za-z][A-Za-z0-9+.-]*://[^/\\s:@]*:[^/\\s@]+@" },
	{ "a PEM private key", "-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----" },
	{ "an AWS access key", "\\b(AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}\\b" },
	{ "a DigitalOcean token", "\\bdo[opr]_v1_[a-f0-9]{64}\\b" },
	{ "a GitHub token", "\\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\\b" },
	{ "a GitLab token", "\\bglpat-[A-Za-z0-9_-]{20,}\\b" },
	{ "a Slack token", "\\bxox[abposr]-[A-Za-z0-9-]{10,}" },
	{ "a Slack webhook URL", "hooks\\.slack\\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]+" },
	{ "a Stripe secret key", "\\b[rs]k_(live|test)_[A-Za-z0-9]{16,}\\b" },
	{ "a Google API key", "\\bAIza[0-9A-Za-z_-]{35}\\b" },
	{ "a JSON Web Token", "\\beyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{16,}" },
};

static int secrets_add(struct secrets *s, const char *name, const char *pattern, size_t len,
		       const struct value *at, struct error_list *errors)
{
	int code;
	PCRE2_SIZE offset;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, len, PCRE2_UTF, &code, &offset, NULL);
	if (!re && code == PCRE2_ERROR_HEAP_FAILED)
		alloc_failed();
	if (!re) {
		PCRE2_UCHAR message[256];
		pcre2_get_error_message(code, message, sizeof message);
		struct error err = ERROR_INIT;
		error_set(&err, at ? at->file : NULL, at ? at->line : 0, at ? at->col : 0,
			  "secret_patterns: invalid regex at offset %zu: %s; fix the pattern", (size_t)offset,
			  (const char *)message);
		error_list_take(errors, &err);
		return -1;
	}
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	s->rules = realloc(s->rules, (s->count + 1) * sizeof *s->rules);
	if (!s->rules)
		alloc_failed();
	s->rules[s->count].name = name;
	s->rules[s->count].regex = re;
	s->count++;
	return 0;
}

int secrets_compile(struct secrets *out, const struct value *list, struct error_list *errors)
{
	out->rules = NULL;
	out->count = 0;
	int rc = 0;
	if (!list) {
		for (size_t i = 0; i < sizeof secrets_builtin / sizeof *secrets_builtin; i++)
			secrets_add(out, secrets_builtin[i].name, secrets_builtin[i].pattern,
				    strlen(secrets_builtin[i].pattern), NULL, errors);
		return 0;
	}
	if (list->type != VALUE_LIST) {
		struct error err = ERROR_INIT;
		error_set(&err, list->file, list->line, list->col,
			  "secret_patterns: expected a list of {name: ..., pattern: ...}");
		error_list_take(errors, &err);
		return -1;
	}
	for (size_t i = 0; i < list->as.list.count; i++) {
		const struct value *item = list->as.list.items[i];
		const struct value *name = value_map_get(item, "name", 4);
		const struct value *pattern = value_map_get(item, "pattern", 7);
		if (!name || !pattern || name->type != VALUE_STRING || pattern->type != VALUE_STRING ||
		    item->as.map.count != 2) {
			struct error err = ERROR_INIT;
			error_set(&err, item->file, item->line, item->col,
				  "secret_patterns[%zu]: expected exactly name: (what it finds) and pattern: "
				  "(a PCRE2 regex)", i);
			error_list_take(errors, &err);
			rc = -1;
			continue;
		}
		if (secrets_add(out, name->as.string.ptr, pattern->as.string.ptr, pattern->as.string.len,
				pattern, errors) < 0)
			rc = -1;
	}
	return rc;
}

void secrets_release(struct secrets *s)
{
	for (size_t i = 0; i < s->count; i++)
		pcre2_code_free(s->rules[i].regex);
	free(s->rules);
	s->rules = NULL;
	s->count = 0;
}

/* One match data serves every pattern of a scan: only "matched or not" is asked, and a
 * match with too small an ovector still returns 0, not an error. Every pattern is
 * compiled for UTF-8, and pcre2_match() checks the whole subject for valid UTF-8 before
 * each match: once the first pattern's match has checked it, the others skip the check
 * (a fifth of the instructions of a spec's secret scan). */
static const char *secrets_match(const struct secrets *s, void *md, const char *str, size_t len)
{
	uint32_t options = 0;
	for (size_t i = 0; i < s->count; i++) {
		int rc = pcre2_match(s->rules[i].regex, (PCRE2_SPTR)str, len, 0, options, md, NULL);
		if (rc >= 0)
			return s->rules[i].name;
		if (rc != PCRE2_ERROR_NOMATCH)
			alloc_failed(); /* a secret must never pass for want of memory */
		options = PCRE2_NO_UTF_CHECK; /* checked, and found valid */
	}
	return NULL;
}

int secrets_match_string(const struct secrets *s, const char *str, size_t len)
{
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	if (!md)
		alloc_failed();
	int found = secrets_match(s, md, str, len) != NULL;
	pcre2_match_data_free(md);
	return found;
}

static void secrets_report(const char *name, const struct value *at, const char *file, const char *path,
			   const char *id, int is_key, struct error_list *errors)
{
	/* the example reference reuses the variable's name when the path ends in one */
	const char *last = strrchr(path, '.');
	last = last ? last + 1 : path;
	int env_name = *last && !is_key;
	for (const char *p = last; *p && env_name; p++)
		env_name = (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_';
	struct buf example = BUF_INIT;
	if (env_name) {
		buf_printf(&example, "%s: %s/", last, id);
		for (const char *p = last; *p; p++)
			buf_add_char(&example, *p == '_' ? '-' : (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p));
	} else {
		buf_printf(&example, "SOME_NAME: %s/some-name", id);
	}
	struct error err = ERROR_INIT;
	error_set(&err, at->file ? at->file : file, at->line, at->col,
		  "%s%s%s looks like %s; never put credentials in a spec: store the value in the "
		  "secret store and reference it under secrets: (for example %s)",
		  path, *path ? ": " : "", is_key ? "the key" : "the value", name, example.ptr);
	error_list_take(errors, &err);
	buf_release(&example);
}

static size_t secrets_walk(const struct secrets *s, void *md, const struct value *v, const char *file,
			   struct buf *path, const char *id, struct error_list *errors)
{
	size_t found = 0;
	size_t mark = path->len;
	if (v->type == VALUE_STRING) {
		const char *name = secrets_match(s, md, v->as.string.ptr, v->as.string.len);
		if (name) {
			secrets_report(name, v, file, path->ptr ? path->ptr : "", id, 0, errors);
			found++;
		}
	} else if (v->type == VALUE_LIST) {
		for (size_t i = 0; i < v->as.list.count; i++) {
			buf_printf(path, "[%zu]", i);
			found += secrets_walk(s, md, v->as.list.items[i], file, path, id, errors);
			buf_truncate(path, mark);
		}
	} else if (v->type == VALUE_MAP) {
		for (size_t i = 0; i < v->as.map.count; i++) {
			const struct value *k = v->as.map.entries[i].key;
			if (mark)
				buf_add_char(path, '.');
			const char *name = secrets_match(s, md, k->as.string.ptr, k->as.string.len);
			if (name) {
				/* the key itself is the secret: do not put it in the path either */
				buf_add_str(path, "(key)");
				secrets_report(name, k, file, path->ptr, id, 1, errors);
				found++;
			} else {
				error_quote_value(path, k->as.string.ptr, k->as.string.len, 60);
				found += secrets_walk(s, md, v->as.map.entries[i].value, file, path, id, errors);
			}
			buf_truncate(path, mark);
		}
	}
	return found;
}

size_t secrets_scan(const struct secrets *s, const struct value *spec, const char *file,
		    const char *id, struct error_list *errors)
{
	struct buf path = BUF_INIT;
	buf_add_str(&path, "");
	path.len = 0;
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	if (!md)
		alloc_failed();
	size_t found = secrets_walk(s, md, spec, file, &path, id, errors);
	pcre2_match_data_free(md);
	buf_release(&path);
	return found;
}
