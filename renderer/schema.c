/* Schema compilation (from the manifest) and application (to a spec). Every rule reports
 * its problem as "path: what is wrong; how to fix it" at the offending node, and
 * validation goes on after a problem so that one run shows them all. */
#include "schema.h"

#include "alloc.h"

#include "arena.h"
#include "buf.h"
#include "error.h"
#include "manifest.h"
#include "scalar.h"
#include "secrets.h"
#include "suggest.h"
#include "template.h"
#include "utf8.h"
#include "value.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- compiling -------------------------------------------------------------------------- */

struct schema_compiler {
	struct arena *arena;
	const struct value *root;
	struct tmpl_set *templates;
	struct error_list *errors;
};

static void schema_report(struct error_list *errors, const struct value *at, const char *fallback_file,
			  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void schema_report(struct error_list *errors, const struct value *at, const char *fallback_file,
			  const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	struct error err = ERROR_INIT;
	error_set(&err, at && at->file ? at->file : fallback_file, at ? at->line : 0, at ? at->col : 0,
		  "%s", msg.ptr);
	error_list_take(errors, &err);
	buf_release(&msg);
}

static const char *const schema_type_names[] = {
	[SCHEMA_STRING] = "string", [SCHEMA_INT] = "int", [SCHEMA_FLOAT] = "float",
	[SCHEMA_BOOL] = "bool", [SCHEMA_LIST] = "list", [SCHEMA_MAP] = "map",
	[SCHEMA_OBJECT] = "object",
};

static const char *const schema_rule_keys[] = {
	"type", "required", "default", "enum", "enum_from", "pattern", "hint", "min", "max",
	"min_length", "max_length", "min_items", "max_items", "unique", "key_pattern", "key_hint",
	"prefix", "not_under", "items", "values", "fields", "description", "reserved", "credential_names",
};

/* credential_names: true: names that say they hold a credential (DB_PASSWORD,
 * GITHUB_TOKEN, STRIPE_SECRET_KEY, SSH_PRIVATE_KEY, ...) */
#define SCHEMA_CREDENTIAL_NAMES "(?i)(PASSW(OR)?D|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL|_KEY$|^KEY$)"

static void *schema_regex(struct schema_compiler *c, const struct value *v, const char *path)
{
	if (v->type != VALUE_STRING) {
		schema_report(c->errors, v, NULL, "%s: a pattern must be a string (a PCRE2 regex)", path);
		return NULL;
	}
	int code;
	PCRE2_SIZE offset;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)v->as.string.ptr, v->as.string.len, PCRE2_UTF, &code,
				       &offset, NULL);
	if (!re && code == PCRE2_ERROR_HEAP_FAILED)
		alloc_failed();
	if (!re) {
		PCRE2_UCHAR message[256];
		pcre2_get_error_message(code, message, sizeof message);
		schema_report(c->errors, v, NULL, "%s: invalid regex at offset %zu: %s; fix the pattern", path,
			      (size_t)offset, (const char *)message);
		return NULL;
	}
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	return re;
}

static const struct tmpl *schema_template(struct schema_compiler *c, const struct value *v,
					  const char *path)
{
	if (v->type != VALUE_STRING) {
		schema_report(c->errors, v, NULL, "%s: expected a string (a mustache template)", path);
		return NULL;
	}
	const struct tmpl *t;
	struct error err = ERROR_INIT;
	if (tmpl_compile(c->templates, v->file ? v->file : "manifest", v->as.string.ptr, v->as.string.len,
			 &t, &err) < 0) {
		schema_report(c->errors, v, NULL, "%s: %s", path, err.message);
		error_clear(&err);
		return NULL;
	}
	return t;
}

static int schema_size(struct schema_compiler *c, const struct value *v, const char *path, size_t *out)
{
	if (v->type != VALUE_INT || v->as.integer < 0) {
		schema_report(c->errors, v, NULL, "%s: expected a number of 0 or more", path);
		return 0;
	}
	*out = (size_t)v->as.integer;
	return 1;
}

/* reserved: {NAME: output}: the keys the templates set themselves, each with the
 * output that sets it, which must be one of the manifest's outputs. */
static void schema_compile_reserved(struct schema_compiler *c, struct schema *s, const struct value *v,
				    const char *path)
{
	if (v->type != VALUE_MAP) {
		schema_report(c->errors, v, NULL, "%s: expected a map of each reserved key to the output that sets "
			      "it (PORT: deployment)", path);
		return;
	}
	const struct value *outputs = value_map_get(c->root, "outputs", 7);
	const char *names[256];
	size_t n = 0;
	for (size_t i = 0; outputs && outputs->type == VALUE_LIST && i < outputs->as.list.count && n < 256; i++) {
		const struct value *name = value_map_get(outputs->as.list.items[i], "name", 4);
		if (name && name->type == VALUE_STRING)
			names[n++] = name->as.string.ptr;
	}
	for (size_t i = 0; i < v->as.map.count; i++) {
		const struct value *output = v->as.map.entries[i].value;
		int known = 0;
		for (size_t k = 0; output->type == VALUE_STRING && k < n && !known; k++)
			known = strcmp(names[k], output->as.string.ptr) == 0;
		if (known)
			continue;
		const char *hint = output->type == VALUE_STRING
			? suggest_closest(output->as.string.ptr, output->as.string.len, names, n) : NULL;
		schema_report(c->errors, output, NULL, "%s.%s: expected the name of the output that sets it%s%s%s",
			      path, v->as.map.entries[i].key->as.string.ptr, hint ? "; did you mean '" : "",
			      hint ? hint : "", hint ? "'?" : "");
	}
	s->reserved = v;
}

/* credential_names: true (the names above), or {pattern:, allow: [names], hint:}. */
static void schema_compile_credentials(struct schema_compiler *c, struct schema *s, const struct value *v,
				       const char *path)
{
	static const struct value default_pattern = { .type = VALUE_STRING,
		.as.string = { SCHEMA_CREDENTIAL_NAMES, sizeof SCHEMA_CREDENTIAL_NAMES - 1 } };
	const struct value *pattern = NULL;
	if (v->type == VALUE_BOOL) {
		pattern = v->as.boolean ? &default_pattern : NULL;
	} else if (v->type == VALUE_MAP) {
		pattern = value_map_get(v, "pattern", 7);
		if (!pattern)
			pattern = &default_pattern;
		for (size_t i = 0; i < v->as.map.count; i++) {
			const struct value *k = v->as.map.entries[i].key, *x = v->as.map.entries[i].value;
			if (strcmp(k->as.string.ptr, "allow") == 0) {
				int ok = x->type == VALUE_LIST;
				for (size_t j = 0; ok && j < x->as.list.count; j++)
					ok = x->as.list.items[j]->type == VALUE_STRING;
				if (ok)
					s->credential_allow = x;
				else
					schema_report(c->errors, x, NULL, "%s.allow: expected a list of names", path);
			} else if (strcmp(k->as.string.ptr, "hint") == 0 && x->type == VALUE_STRING) {
				s->credential_hint = x->as.string.ptr;
			} else if (strcmp(k->as.string.ptr, "pattern") != 0) {
				static const char *const keys[] = { "pattern", "allow", "hint" };
				const char *hint = suggest_closest(k->as.string.ptr, k->as.string.len, keys, 3);
				schema_report(c->errors, k, NULL, "%s: unknown key '%s'%s%s%s", path, k->as.string.ptr,
					      hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
			}
		}
	} else {
		schema_report(c->errors, v, NULL, "%s: expected true, or {pattern:, allow: [names], hint:}", path);
		return;
	}
	if (pattern)
		s->credential_pattern = schema_regex(c, pattern, path);
}

static struct schema *schema_compile_rule(struct schema_compiler *c, const struct value *def,
					  const char *path);

static void schema_compile_fields(struct schema_compiler *c, struct schema *s, const struct value *fields,
				  const char *path)
{
	if (fields->type != VALUE_MAP) {
		schema_report(c->errors, fields, NULL, "%s: expected a map of field names to rules", path);
		return;
	}
	s->field_count = fields->as.map.count;
	s->fields = arena_alloc(c->arena, (s->field_count ? s->field_count : 1) * sizeof *s->fields);
	for (size_t i = 0; i < fields->as.map.count; i++) {
		const struct value *k = fields->as.map.entries[i].key;
		struct buf sub = BUF_INIT;
		buf_printf(&sub, "%s%s%s", path, *path ? "." : "", k->as.string.ptr);
		s->fields[i].name = k->as.string.ptr;
		s->fields[i].len = k->as.string.len;
		s->fields[i].key = value_new_string(c->arena, k->as.string.ptr, k->as.string.len, NULL, 0, 0);
		s->fields[i].schema = schema_compile_rule(c, fields->as.map.entries[i].value, sub.ptr);
		buf_release(&sub);
	}
}

static struct schema *schema_compile_rule(struct schema_compiler *c, const struct value *def,
					  const char *path)
{
	struct schema *s = arena_alloc(c->arena, sizeof *s);
	s->where = def;
	if (def->type != VALUE_MAP) {
		schema_report(c->errors, def, NULL, "%s: a field's rule must be a map (type: ..., ...)", path);
		return s;
	}
	const struct value *type = value_map_get(def, "type", 4);
	const struct value *fields = value_map_get(def, "fields", 6);
	s->type = fields ? SCHEMA_OBJECT : SCHEMA_STRING;
	if (type) {
		size_t n = sizeof schema_type_names / sizeof *schema_type_names;
		size_t k = 0;
		while (k < n && !(type->type == VALUE_STRING && strcmp(type->as.string.ptr, schema_type_names[k]) == 0))
			k++;
		if (k == n) {
			const char *hint = type->type == VALUE_STRING
				? suggest_closest(type->as.string.ptr, type->as.string.len, schema_type_names, n) : NULL;
			schema_report(c->errors, type, NULL, "%s.type: unknown type%s%s%s; use string, int, "
				      "float, bool, list, map or object", path, hint ? " (did you mean '" : "",
				      hint ? hint : "", hint ? "'?)" : "");
		} else {
			s->type = (enum schema_type)k;
		}
	} else if (!fields) {
		schema_report(c->errors, def, NULL, "%s: the rule has no type; add type: string (or int, "
			      "float, bool, list, map, object)", path);
	}
	for (size_t i = 0; i < def->as.map.count; i++) {
		const struct value *k = def->as.map.entries[i].key;
		const struct value *v = def->as.map.entries[i].value;
		const char *key = k->as.string.ptr;
		struct buf sub = BUF_INIT;
		buf_printf(&sub, "%s.%s", path, key);
		size_t nk = sizeof schema_rule_keys / sizeof *schema_rule_keys;
		size_t known = 0;
		while (known < nk && strcmp(key, schema_rule_keys[known]) != 0)
			known++;
		if (known == nk) {
			const char *hint = suggest_closest(key, k->as.string.len, schema_rule_keys, nk);
			schema_report(c->errors, k, NULL, "%s: unknown rule%s%s%s", sub.ptr,
				      hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
		} else if (strcmp(key, "unique") == 0 && v->type == VALUE_STRING) {
			s->unique_field = v->as.string.ptr; /* checked below, once items: is known */
		} else if (strcmp(key, "reserved") == 0) {
			schema_compile_reserved(c, s, v, sub.ptr);
		} else if (strcmp(key, "credential_names") == 0) {
			schema_compile_credentials(c, s, v, sub.ptr);
		} else if (strcmp(key, "required") == 0 || strcmp(key, "unique") == 0) {
			if (v->type != VALUE_BOOL)
				schema_report(c->errors, v, NULL, "%s: expected true or false", sub.ptr);
			else if (key[0] == 'r')
				s->required = v->as.boolean;
			else
				s->unique = v->as.boolean;
		} else if (strcmp(key, "default") == 0) {
			s->default_value = v;
			if (v->type == VALUE_STRING && strstr(v->as.string.ptr, "{{"))
				s->default_template = schema_template(c, v, sub.ptr);
		} else if (strcmp(key, "enum") == 0) {
			if (v->type != VALUE_LIST || v->as.list.count == 0)
				schema_report(c->errors, v, NULL, "%s: expected a list of allowed values", sub.ptr);
			else
				s->enum_values = v;
		} else if (strcmp(key, "enum_from") == 0) {
			const struct value *src = v->type == VALUE_STRING
				? value_map_get(c->root, v->as.string.ptr, v->as.string.len) : NULL;
			if (!src || src->type != VALUE_MAP || src->as.map.count == 0) {
				schema_report(c->errors, v, NULL, "%s: must name a non-empty map of the manifest "
					      "(such as plans)", sub.ptr);
			} else {
				struct value *list = value_new(c->arena, VALUE_LIST, v->file, v->line, v->col);
				list->as.list.count = src->as.map.count;
				list->as.list.items = arena_alloc(c->arena, src->as.map.count * sizeof(struct value *));
				for (size_t e = 0; e < src->as.map.count; e++)
					list->as.list.items[e] = src->as.map.entries[e].key;
				s->enum_values = list;
			}
		} else if (strcmp(key, "pattern") == 0) {
			s->pattern = schema_regex(c, v, sub.ptr);
			s->pattern_text = v->type == VALUE_STRING ? v->as.string.ptr : NULL;
		} else if (strcmp(key, "key_pattern") == 0) {
			s->key_pattern = schema_regex(c, v, sub.ptr);
		} else if (strcmp(key, "hint") == 0 || strcmp(key, "key_hint") == 0 ||
			   strcmp(key, "description") == 0) {
			if (v->type != VALUE_STRING)
				schema_report(c->errors, v, NULL, "%s: expected a string", sub.ptr);
			else if (key[0] == 'h')
				s->hint = v->as.string.ptr;
			else if (key[0] == 'k')
				s->key_hint = v->as.string.ptr;
		} else if (strcmp(key, "min") == 0 || strcmp(key, "max") == 0) {
			if (v->type != VALUE_INT) {
				schema_report(c->errors, v, NULL, "%s: expected an integer", sub.ptr);
			} else if (key[1] == 'i') {
				s->has_min = 1;
				s->min = v->as.integer;
			} else {
				s->has_max = 1;
				s->max = v->as.integer;
			}
		} else if (strcmp(key, "min_length") == 0) {
			s->has_min_length = schema_size(c, v, sub.ptr, &s->min_length);
		} else if (strcmp(key, "max_length") == 0) {
			s->has_max_length = schema_size(c, v, sub.ptr, &s->max_length);
		} else if (strcmp(key, "min_items") == 0) {
			s->has_min_items = schema_size(c, v, sub.ptr, &s->min_items);
		} else if (strcmp(key, "max_items") == 0) {
			s->has_max_items = schema_size(c, v, sub.ptr, &s->max_items);
		} else if (strcmp(key, "prefix") == 0) {
			s->prefix = schema_template(c, v, sub.ptr);
		} else if (strcmp(key, "not_under") == 0) {
			s->not_under = schema_template(c, v, sub.ptr);
		} else if (strcmp(key, "items") == 0) {
			s->items = schema_compile_rule(c, v, sub.ptr);
		} else if (strcmp(key, "values") == 0) {
			s->values = schema_compile_rule(c, v, sub.ptr);
		} else if (strcmp(key, "fields") == 0) {
			schema_compile_fields(c, s, v, path);
		}
		buf_release(&sub);
	}
	if (s->type == SCHEMA_LIST && !s->items)
		schema_report(c->errors, def, NULL, "%s: a list needs items: (the rule for each item)", path);
	if (s->unique_field) {
		int found = 0;
		for (size_t f = 0; s->items && f < s->items->field_count && !found; f++)
			found = strcmp(s->items->fields[f].name, s->unique_field) == 0;
		if (!found || s->type != SCHEMA_LIST)
			schema_report(c->errors, value_map_get(def, "unique", 6), NULL, "%s.unique: %s is not a field "
				      "of this list's items; name one, or write unique: true", path, s->unique_field);
	}
	if ((s->reserved || s->credential_pattern) && s->type != SCHEMA_MAP)
		schema_report(c->errors, def, NULL, "%s: reserved: and credential_names: are rules of a map", path);
	if (s->type == SCHEMA_MAP && !s->values)
		schema_report(c->errors, def, NULL, "%s: a map needs values: (the rule for each value)", path);
	if (s->type == SCHEMA_OBJECT && !fields)
		schema_report(c->errors, def, NULL, "%s: an object needs fields:", path);
	if (s->required && s->default_value)
		schema_report(c->errors, def, NULL, "%s: a field cannot be both required and have a default; "
			      "drop one", path);
	return s;
}

struct schema *schema_compile(struct arena *arena, const struct value *definition,
			      const struct value *enum_sources, struct tmpl_set *templates,
			      const struct secrets *secrets, struct error_list *errors)
{
	size_t before = errors->count;
	struct schema_compiler c = { arena, enum_sources, templates, errors };
	struct schema *s = arena_alloc(arena, sizeof *s);
	s->type = SCHEMA_OBJECT;
	s->where = definition;
	s->secrets = secrets;
	schema_compile_fields(&c, s, definition, "");
	if (errors->count != before) {
		schema_release(s);
		return NULL;
	}
	return s;
}

void schema_release(struct schema *s)
{
	if (!s)
		return;
	pcre2_code_free(s->pattern);
	pcre2_code_free(s->key_pattern);
	pcre2_code_free(s->credential_pattern);
	s->pattern = s->key_pattern = s->credential_pattern = NULL;
	schema_release(s->items);
	schema_release(s->values);
	for (size_t i = 0; i < s->field_count; i++)
		schema_release(s->fields[i].schema);
}

/* ---- applying ----------------------------------------------------------------------------- */

struct schema_run {
	const char *file;
	const struct value *context;
	struct arena *arena;
	struct error_list *errors;
	size_t problems;
	void *match; /* pcre2_match_data */
	const struct secrets *secrets;
};

static void schema_problem(struct schema_run *run, const struct value *at, const char *path,
			   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void schema_problem(struct schema_run *run, const struct value *at, const char *path,
			   const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	if (*path)
		buf_printf(&msg, "%s: ", path);
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	struct error err = ERROR_INIT;
	error_set(&err, at && at->file ? at->file : run->file, at ? at->line : 1, at ? at->col : 1, "%s",
		  msg.ptr);
	error_list_take(run->errors, &err);
	run->problems++;
	buf_release(&msg);
}

/* The value as the user wrote it, escaped, in quotes when it is a string. */
static void schema_show(struct buf *out, const struct value *v)
{
	if (v->type == VALUE_STRING) {
		buf_add_char(out, '"');
		error_quote_value(out, v->as.string.ptr, v->as.string.len, 80);
		buf_add_char(out, '"');
	} else if (v->text) {
		error_quote_value(out, v->text, strlen(v->text), 80);
	} else if (v->type == VALUE_LIST || v->type == VALUE_MAP) {
		buf_add_str(out, v->type == VALUE_LIST ? "a list" : "a map");
	} else {
		struct buf text = BUF_INIT;
		value_scalar_text(v, &text);
		error_quote_value(out, text.ptr ? text.ptr : "", text.len, 80);
		buf_release(&text);
	}
}

/* Appends ".key" to a field path, or ."key" (escaped) when the key is not a plain word,
 * so that a hostile key cannot make the path ambiguous. */
static void schema_path_key(struct buf *path, const struct value *k)
{
	int word = k->as.string.len > 0;
	for (size_t i = 0; i < k->as.string.len && word; i++) {
		char c = k->as.string.ptr[i];
		word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		       c == '_' || c == '-';
	}
	if (path->len)
		buf_add_char(path, '.');
	if (word) {
		buf_add(path, k->as.string.ptr, k->as.string.len);
	} else {
		buf_add_char(path, '"');
		error_quote_value(path, k->as.string.ptr, k->as.string.len, 60);
		buf_add_char(path, '"');
	}
}

/* Only "matched or not" is asked, so one small match data per run serves every
 * pattern (a match that does not fit the ovector still returns 0). */
static int schema_match(struct schema_run *run, void *re, const char *s, size_t len)
{
	int rc = pcre2_match(re, (PCRE2_SPTR)s, len, 0, 0, run->match, NULL);
	if (rc < 0 && rc != PCRE2_ERROR_NOMATCH)
		alloc_failed(); /* out of memory or a limit: never a "does not match" diagnostic */
	return rc >= 0;
}

static int schema_render(struct schema_run *run, const struct tmpl *t, const struct schema *s,
			 const char *path, struct buf *out)
{
	struct error err = ERROR_INIT;
	if (tmpl_render(t, run->context, out, &err) < 0) {
		schema_problem(run, s->where, path, "the template set's rule cannot be evaluated: %s",
			       err.message);
		error_clear(&err);
		return -1;
	}
	return 0;
}

static const char *schema_article_type(enum schema_type t)
{
	switch (t) {
	case SCHEMA_STRING: return "a string";
	case SCHEMA_INT: return "an integer";
	case SCHEMA_FLOAT: return "a number";
	case SCHEMA_BOOL: return "true or false";
	case SCHEMA_LIST: return "a list";
	case SCHEMA_MAP: case SCHEMA_OBJECT: return "a map";
	}
	return "?";
}

static const char *schema_article_value(const struct value *v)
{
	switch (v->type) {
	case VALUE_NULL: return "null";
	case VALUE_BOOL: return "a bool";
	case VALUE_INT: return "an integer";
	case VALUE_FLOAT: return "a float";
	case VALUE_STRING: return "a string";
	case VALUE_LIST: return "a list";
	case VALUE_MAP: return "a map";
	}
	return "?";
}

static struct value *schema_apply_node(struct schema_run *run, const struct schema *s,
				       const struct value *v, const char *path, struct value *into);

static void schema_apply_string(struct schema_run *run, const struct schema *s, const struct value *v,
				const char *path)
{
	const char *str = v->as.string.ptr;
	size_t len = v->as.string.len;
	struct buf shown = BUF_INIT;
	schema_show(&shown, v);
	size_t chars = 0;
	for (size_t i = 0; i < len; i++)
		chars += ((unsigned char)str[i] & 0xc0) != 0x80;
	if (s->has_min_length && chars < s->min_length)
		schema_problem(run, v, path, "%s is shorter than %zu characters", shown.ptr, s->min_length);
	if (s->has_max_length && chars > s->max_length)
		schema_problem(run, v, path, "%s is longer than %zu characters; shorten it", shown.ptr,
			       s->max_length);
	if (s->pattern && !schema_match(run, s->pattern, str, len)) {
		if (s->hint)
			schema_problem(run, v, path, "%s %s", shown.ptr, s->hint);
		else
			schema_problem(run, v, path, "%s does not match the pattern %s", shown.ptr, s->pattern_text);
		buf_release(&shown);
		return; /* one problem per value: the rules below assume the pattern holds */
	}
	if (s->prefix) {
		struct buf prefix = BUF_INIT;
		if (schema_render(run, s->prefix, s, path, &prefix) == 0 &&
		    (len < prefix.len || memcmp(str, prefix.ptr, prefix.len) != 0))
			schema_problem(run, v, path, "%s must start with \"%s\"; refer only to this "
				       "customer's own entries", shown.ptr, prefix.ptr ? prefix.ptr : "");
		buf_release(&prefix);
	}
	if (s->not_under) {
		struct buf domain = BUF_INIT;
		if (schema_render(run, s->not_under, s, path, &domain) == 0 && domain.len) {
			int same = len == domain.len && strncasecmp(str, domain.ptr, len) == 0;
			int under = len > domain.len && str[len - domain.len - 1] == '.' &&
				    strncasecmp(str + len - domain.len, domain.ptr, domain.len) == 0;
			if (same || under)
				schema_problem(run, v, path, "%s is %s the platform domain %s; hosts there come "
					       "from subdomain:, not from custom domains", shown.ptr,
					       same ? "the same as" : "under", domain.ptr);
		}
		buf_release(&domain);
	}
	buf_release(&shown);
}

static int schema_scalar_equal(const struct value *a, const struct value *b)
{
	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case VALUE_STRING:
		return a->as.string.len == b->as.string.len &&
		       memcmp(a->as.string.ptr, b->as.string.ptr, a->as.string.len) == 0;
	case VALUE_INT: return a->as.integer == b->as.integer;
	case VALUE_BOOL: return a->as.boolean == b->as.boolean;
	case VALUE_FLOAT: return a->as.real == b->as.real;
	case VALUE_NULL: return 1;
	default: return 0;
	}
}

static void schema_check_enum(struct schema_run *run, const struct schema *s, const struct value *v,
			      const char *path)
{
	const struct value *allowed = s->enum_values;
	for (size_t i = 0; i < allowed->as.list.count; i++)
		if (schema_scalar_equal(allowed->as.list.items[i], v))
			return;
	struct buf list = BUF_INIT, shown = BUF_INIT;
	const char *names[64];
	size_t n = 0;
	for (size_t i = 0; i < allowed->as.list.count; i++) {
		struct buf one = BUF_INIT;
		value_scalar_text(allowed->as.list.items[i], &one);
		buf_printf(&list, "%s%s", i ? ", " : "", one.ptr ? one.ptr : "");
		buf_release(&one);
		if (allowed->as.list.items[i]->type == VALUE_STRING && n < 64)
			names[n++] = allowed->as.list.items[i]->as.string.ptr;
	}
	schema_show(&shown, v);
	const char *hint = v->type == VALUE_STRING
		? suggest_closest(v->as.string.ptr, v->as.string.len, names, n) : NULL;
	if (hint)
		schema_problem(run, v, path, "%s is not one of %s; did you mean '%s'?", shown.ptr, list.ptr, hint);
	else
		schema_problem(run, v, path, "%s is not one of %s", shown.ptr, list.ptr);
	buf_release(&list);
	buf_release(&shown);
}

static int schema_type_matches(const struct schema *s, const struct value *v)
{
	switch (s->type) {
	case SCHEMA_STRING: return v->type == VALUE_STRING;
	case SCHEMA_INT: return v->type == VALUE_INT;
	case SCHEMA_FLOAT: return v->type == VALUE_FLOAT || v->type == VALUE_INT;
	case SCHEMA_BOOL: return v->type == VALUE_BOOL;
	case SCHEMA_LIST: return v->type == VALUE_LIST;
	case SCHEMA_MAP: case SCHEMA_OBJECT: return v->type == VALUE_MAP;
	}
	return 0;
}

/* What a quoted string would be without its quotes. */
static enum scalar_kind schema_unquoted_kind(const struct value *v)
{
	struct scalar_resolved r;
	if (scalar_resolve_core(v->as.string.ptr, v->as.string.len, &r) < 0)
		return SCALAR_STRING;
	return r.kind;
}

static void schema_type_problem(struct schema_run *run, const struct schema *s, const struct value *v,
				const char *path)
{
	struct buf shown = BUF_INIT;
	schema_show(&shown, v);
	if (v->type == VALUE_NULL && (!v->text || !*v->text)) {
		/* "key:" with nothing after it */
		schema_problem(run, v, path, "expected %s, got an empty value; write one after the colon, or "
			       "remove the key", schema_article_type(s->type));
	} else if (s->type == SCHEMA_STRING && v->text) {
		/* YAML 1.2 read it as a number, bool or null: quoting keeps the text */
		struct buf quoted = BUF_INIT;
		error_quote_value(&quoted, v->text, strlen(v->text), 80);
		int plain = v->type == VALUE_NULL && strcmp(shown.ptr, "null") == 0;
		schema_problem(run, v, path, "expected a string, got %s%s%s%s; quote it to keep it as text: \"%s\"",
			       schema_article_value(v), plain ? "" : " (", plain ? "" : shown.ptr, plain ? "" : ")",
			       quoted.ptr);
		buf_release(&quoted);
	} else if (s->type == SCHEMA_BOOL && v->type == VALUE_STRING) {
		schema_problem(run, v, path, "expected true or false, got the string %s (YAML 1.2 reads only "
			       "true and false as booleans)", shown.ptr);
	} else if (v->type == VALUE_LIST || v->type == VALUE_MAP) {
		schema_problem(run, v, path, "expected %s, got %s", schema_article_type(s->type),
			       schema_article_value(v));
	} else if (v->type == VALUE_STRING && (s->type == SCHEMA_INT || s->type == SCHEMA_FLOAT) &&
		   schema_unquoted_kind(v) == (s->type == SCHEMA_INT ? SCALAR_INT : SCALAR_FLOAT)) {
		schema_problem(run, v, path, "expected %s, got a string (%s); remove the quotes",
			       schema_article_type(s->type), shown.ptr);
	} else if (v->type == VALUE_NULL && strcmp(shown.ptr, "null") == 0) {
		schema_problem(run, v, path, "expected %s, got null", schema_article_type(s->type));
	} else {
		schema_problem(run, v, path, "expected %s, got %s (%s)", schema_article_type(s->type),
			       schema_article_value(v), shown.ptr);
	}
	buf_release(&shown);
}

/* min_items / max_items, for lists ("items") and maps ("entries"). */
static void schema_check_count(struct schema_run *run, const struct schema *s, const struct value *v,
			       const char *path, size_t count, const char *noun)
{
	if (s->has_min_items && count < s->min_items)
		schema_problem(run, v, path, "has %zu %s, at least %zu needed", count, noun, s->min_items);
	if (s->has_max_items && count > s->max_items)
		schema_problem(run, v, path, "has %zu %s, at most %zu allowed", count, noun, s->max_items);
}

/* Items of a unique list are the same when equal, strings compared without case (hosts
 * are case-insensitive). */
static int schema_same_item(const struct value *a, const struct value *b)
{
	if (a->type == VALUE_STRING && b->type == VALUE_STRING)
		return a->as.string.len == b->as.string.len &&
		       strncasecmp(a->as.string.ptr, b->as.string.ptr, a->as.string.len) == 0;
	return schema_scalar_equal(a, b);
}

static struct value *schema_apply_object(struct schema_run *run, const struct schema *s,
					 const struct value *v, const char *path, struct value *into)
{
	struct value *out = into ? into : value_new_map(run->arena, v->file, v->line, v->col);
	const char *names[256];
	size_t n = s->field_count < 256 ? s->field_count : 256;
	for (size_t i = 0; i < n; i++)
		names[i] = s->fields[i].name;
	/* provided fields, checked and added in the schema's order */
	for (size_t f = 0; f < s->field_count; f++) {
		const struct schema_field *field = &s->fields[f];
		const struct value *given = value_map_get(v, field->name, field->len);
		if (!given)
			continue;
		struct buf sub = BUF_INIT;
		buf_printf(&sub, "%s%s%s", path, *path ? "." : "", field->name);
		struct value *key = NULL;
		for (size_t e = 0; e < v->as.map.count; e++)
			if (v->as.map.entries[e].value == given)
				key = v->as.map.entries[e].key;
		struct value *existing = value_map_get(out, field->name, field->len);
		struct value *checked = schema_apply_node(run, field->schema, given, sub.ptr, NULL);
		if (checked)
			value_map_set(run->arena, out, key, value_merge(run->arena, existing, checked));
		buf_release(&sub);
	}
	/* unknown fields */
	for (size_t e = 0; e < v->as.map.count; e++) {
		const struct value *k = v->as.map.entries[e].key;
		int known = 0;
		for (size_t f = 0; f < s->field_count && !known; f++)
			known = s->fields[f].len == k->as.string.len &&
				memcmp(s->fields[f].name, k->as.string.ptr, k->as.string.len) == 0;
		if (known)
			continue;
		struct buf sub = BUF_INIT, shown = BUF_INIT;
		buf_add_str(&sub, path);
		schema_path_key(&sub, k);
		const char *hint = suggest_closest(k->as.string.ptr, k->as.string.len, names, n);
		if (hint) {
			schema_problem(run, k, sub.ptr, "unknown field; did you mean '%s'?", hint);
		} else {
			struct buf all = BUF_INIT;
			for (size_t i = 0; i < n; i++)
				buf_printf(&all, "%s%s", i ? ", " : "", names[i]);
			schema_problem(run, k, sub.ptr, "unknown field; the fields here are %s", all.ptr ? all.ptr : "(none)");
			buf_release(&all);
		}
		buf_release(&sub);
		buf_release(&shown);
	}
	/* missing fields: required ones are problems, the rest take their defaults */
	for (size_t f = 0; f < s->field_count; f++) {
		const struct schema_field *field = &s->fields[f];
		if (value_map_get(v, field->name, field->len))
			continue;
		struct buf sub = BUF_INIT;
		buf_printf(&sub, "%s%s%s", path, *path ? "." : "", field->name);
		/* one key node for every customer: keys are never changed once made */
		struct value *key = field->key;
		if (field->schema->required) {
			schema_problem(run, v, sub.ptr, "required field is missing; add %s: to %s", field->name,
				       *path ? path : "the spec");
		} else if (field->schema->default_template) {
			struct buf text = BUF_INIT;
			if (schema_render(run, field->schema->default_template, field->schema, sub.ptr, &text) == 0) {
				/* no line: the spec does not hold it (a message names the file alone) */
				struct value *dv = value_new_string(run->arena, text.ptr ? text.ptr : "", text.len,
								    v->file, 0, 0);
				struct value *checked = schema_apply_node(run, field->schema, dv, sub.ptr, NULL);
				if (checked)
					value_map_set(run->arena, out, key, checked);
			}
			buf_release(&text);
		} else if (field->schema->default_value) {
			/* a plan's value for the field wins over the schema's default */
			struct value *existing = value_map_get(out, field->name, field->len);
			struct value *dflt = (struct value *)field->schema->default_value;
			value_map_set(run->arena, out, key,
				      existing ? value_merge(run->arena, dflt, existing) : dflt);
		}
		buf_release(&sub);
	}
	return out;
}

/* A key of a map with credential_names: that matches, is not allowed, and has a value. */
static int schema_looks_like_credential(struct schema_run *run, const struct schema *s, const struct value *k,
					const struct value *value)
{
	if (!s->credential_pattern || !schema_match(run, s->credential_pattern, k->as.string.ptr, k->as.string.len))
		return 0;
	if (value->type == VALUE_NULL || (value->type == VALUE_STRING && value->as.string.len == 0))
		return 0; /* nothing to leak */
	if (value->type == VALUE_STRING && run->secrets &&
	    secrets_match_string(run->secrets, value->as.string.ptr, value->as.string.len))
		return 0; /* the value's own pattern says what it is (secrets.h): one message */
	for (size_t i = 0; s->credential_allow && i < s->credential_allow->as.list.count; i++) {
		const struct value *name = s->credential_allow->as.list.items[i];
		if (name->as.string.len == k->as.string.len && memcmp(name->as.string.ptr, k->as.string.ptr,
								      k->as.string.len) == 0)
			return 0;
	}
	return 1;
}

static struct value *schema_apply_node(struct schema_run *run, const struct schema *s,
				       const struct value *v, const char *path, struct value *into)
{
	if (v->invalid) {
		run->problems++; /* a problem the loader has reported: counted, not said again */
		return NULL;
	}
	if (!schema_type_matches(s, v)) {
		schema_type_problem(run, s, v, path);
		return NULL;
	}
	struct buf sub = BUF_INIT, shown = BUF_INIT;
	struct value *result = (struct value *)v;
	switch (s->type) {
	case SCHEMA_STRING:
		schema_apply_string(run, s, v, path);
		break;
	case SCHEMA_INT:
		if (s->has_min && v->as.integer < s->min)
			schema_problem(run, v, path, "%" PRId64 " is less than the minimum %" PRId64,
				       v->as.integer, s->min);
		if (s->has_max && v->as.integer > s->max)
			schema_problem(run, v, path, "%" PRId64 " is more than the maximum %" PRId64,
				       v->as.integer, s->max);
		break;
	case SCHEMA_LIST: {
		size_t count = v->as.list.count;
		schema_check_count(run, s, v, path, count, "items");
		struct value *list = value_new(run->arena, VALUE_LIST, v->file, v->line, v->col);
		list->as.list.items = arena_alloc(run->arena, (count ? count : 1) * sizeof(struct value *));
		int ok = 1;
		for (size_t i = 0; i < count; i++) {
			const struct value *item = v->as.list.items[i];
			buf_clear(&sub);
			buf_printf(&sub, "%s[%zu]", path, i);
			struct value *checked = schema_apply_node(run, s->items, item, sub.ptr, NULL);
			ok = ok && checked;
			if (checked)
				list->as.list.items[list->as.list.count++] = checked;
			for (size_t j = 0; s->unique_field && j < i; j++) {
				const struct value *a = value_map_get(v->as.list.items[j], s->unique_field,
								      strlen(s->unique_field));
				const struct value *b = value_map_get(item, s->unique_field, strlen(s->unique_field));
				if (a && b && schema_same_item(a, b)) {
					buf_clear(&shown);
					schema_show(&shown, b);
					buf_printf(&sub, ".%s", s->unique_field);
					schema_problem(run, b, sub.ptr, "%s is also the %s of %s[%zu] (line %u); each item "
						       "needs its own, rename one", shown.ptr, s->unique_field, path, j,
						       a->line);
					break;
				}
			}
			for (size_t j = 0; s->unique && j < i; j++) {
				if (schema_same_item(v->as.list.items[j], item)) {
					buf_clear(&shown);
					schema_show(&shown, item);
					schema_problem(run, item, sub.ptr, "%s is listed twice (also at line %u); "
						       "remove one", shown.ptr, v->as.list.items[j]->line);
					break;
				}
			}
		}
		result = ok ? list : NULL;
		break;
	}
	case SCHEMA_MAP: {
		size_t count = v->as.map.count;
		schema_check_count(run, s, v, path, count, "entries");
		struct value *map = value_new_map(run->arena, v->file, v->line, v->col);
		int ok = 1;
		for (size_t i = 0; i < count; i++) {
			const struct value *k = v->as.map.entries[i].key;
			buf_clear(&sub);
			buf_add_str(&sub, path);
			schema_path_key(&sub, k);
			if (s->key_pattern && !schema_match(run, s->key_pattern, k->as.string.ptr, k->as.string.len)) {
				schema_problem(run, k, sub.ptr, "the key %s", s->key_hint ? s->key_hint
					       : "does not match the allowed key pattern");
				ok = 0;
				continue;
			}
			const struct value *setter = s->reserved
				? value_map_get(s->reserved, k->as.string.ptr, k->as.string.len) : NULL;
			if (setter) {
				schema_problem(run, k, sub.ptr, "the templates set %s themselves (the %s output); "
					       "remove it from %s", k->as.string.ptr, setter->as.string.ptr,
					       *path ? path : "the spec");
				ok = 0;
				continue;
			}
			if (schema_looks_like_credential(run, s, k, v->as.map.entries[i].value)) {
				/* the value is never shown: it may be the credential */
				schema_problem(run, k, sub.ptr, "the name says it holds a credential, and %s is written in "
					       "plain text into git; %s, or allow the name in credential_names.allow of "
					       MANIFEST_PATH, *path ? path : "the spec",
					       s->credential_hint ? s->credential_hint : "move it to secrets: as a reference");
				ok = 0;
				continue;
			}
			struct value *checked = schema_apply_node(run, s->values, v->as.map.entries[i].value,
								  sub.ptr, NULL);
			ok = ok && checked;
			if (checked)
				value_map_set(run->arena, map, (struct value *)k, checked);
		}
		result = ok ? map : NULL;
		break;
	}
	case SCHEMA_OBJECT:
		result = schema_apply_object(run, s, v, path, into);
		break;
	default:
		break;
	}
	if (s->enum_values && v->type != VALUE_LIST && v->type != VALUE_MAP)
		schema_check_enum(run, s, v, path);
	buf_release(&sub);
	buf_release(&shown);
	return result;
}

size_t schema_apply(const struct schema *schema, const struct value *spec, const char *file,
		    struct value *out, const struct value *context, struct arena *arena,
		    struct error_list *errors)
{
	struct schema_run run = { file, context, arena, errors, 0, NULL, schema->secrets };
	if (spec->type != VALUE_MAP) {
		schema_problem(&run, spec, "", "a spec must be a map of fields (plan:, image:, ...), "
			       "not %s", spec->type == VALUE_NULL ? "an empty document" : schema_article_value(spec));
		return run.problems;
	}
	run.match = pcre2_match_data_create(1, NULL);
	if (!run.match)
		alloc_failed();
	schema_apply_object(&run, schema, spec, "", out);
	pcre2_match_data_free(run.match);
	return run.problems;
}
