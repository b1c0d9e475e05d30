/* Loading the template set's manifest. The schema itself is compiled by schema.c; here
 * are the top-level sections, the derived values and the checks that tie them together
 * (every plan is a map, enum_from names a real section, ...). */
#include "manifest.h"

#include "alloc.h"

#include "buf.h"
#include "document.h"
#include "error.h"
#include "gitrepo.h"
#include "schema.h"
#include "source.h"
#include "suggest.h"
#include "template.h"
#include "value.h"

#include <stdlib.h>
#include <string.h>

static const char *const manifest_sections[] = {
	"platform", "plans", "schema", "derived", "unique", "secret_patterns", "outputs",
	"deploy", "disjoint", "channels", "default_channel",
};

static void manifest_report(struct error_list *errors, const struct value *at, const char *fmt,
			    const char *a, const char *b)
{
	struct error err = ERROR_INIT;
	error_set(&err, at->file, at->line, at->col, fmt, a, b);
	error_list_take(errors, &err);
}

static const struct tmpl *manifest_template(struct manifest *m, const struct value *v, const char *what,
					    struct error_list *errors)
{
	if (v->type != VALUE_STRING) {
		manifest_report(errors, v, "%s: expected a string (a mustache template)%s", what, "");
		return NULL;
	}
	const struct tmpl *t;
	struct error err = ERROR_INIT;
	if (tmpl_compile(m->templates, m->path, v->as.string.ptr, v->as.string.len, &t, &err) < 0) {
		struct error located = ERROR_INIT;
		error_set(&located, v->file, v->line, v->col, "%s: %s", what, err.message);
		error_list_take(errors, &located);
		error_clear(&err);
		return NULL;
	}
	return t;
}

static const char *manifest_field_name(const struct value *v, const char *what, struct error_list *errors)
{
	if (v->type != VALUE_STRING || v->as.string.len == 0) {
		manifest_report(errors, v, "%s: expected a field name%s", what, "");
		return NULL;
	}
	return v->as.string.ptr;
}

static void manifest_derived(struct manifest *m, const struct value *section, struct error_list *errors)
{
	if (section->type != VALUE_MAP) {
		manifest_report(errors, section, "derived: expected a map of names to definitions%s%s", "", "");
		return;
	}
	m->derived_count = section->as.map.count;
	m->derived = arena_alloc(&m->arena, (m->derived_count ? m->derived_count : 1) * sizeof *m->derived);
	for (size_t i = 0; i < section->as.map.count; i++) {
		const struct value *k = section->as.map.entries[i].key;
		const struct value *def = section->as.map.entries[i].value;
		struct derived *d = &m->derived[i];
		struct buf what = BUF_INIT;
		buf_printf(&what, "derived.%s", k->as.string.ptr);
		d->name = k->as.string.ptr;
		d->len = k->as.string.len;
		d->key = value_new_string(&m->arena, d->name, d->len, NULL, 0, 0);
		d->where = def;
		if (def->type == VALUE_STRING) {
			d->kind = DERIVED_TEMPLATE;
			d->template = manifest_template(m, def, what.ptr, errors);
			buf_release(&what);
			continue;
		}
		if (def->type != VALUE_MAP) {
			manifest_report(errors, def, "%s: expected a template string, or a map with template:, "
					"list: or entries:%s", what.ptr, "");
			buf_release(&what);
			continue;
		}
		static const char *const keys[] = { "template", "replace", "at", "list", "append", "entries" };
		for (size_t e = 0; e < def->as.map.count; e++) {
			const struct value *key = def->as.map.entries[e].key;
			const struct value *v = def->as.map.entries[e].value;
			const char *name = key->as.string.ptr;
			if (strcmp(name, "template") == 0) {
				d->kind = DERIVED_TEMPLATE;
				d->template = manifest_template(m, v, what.ptr, errors);
			} else if (strcmp(name, "replace") == 0) {
				if (v->type != VALUE_MAP) {
					manifest_report(errors, v, "%s.replace: expected a map of text to its "
							"replacement%s", what.ptr, "");
					continue;
				}
				d->replace_count = v->as.map.count;
				d->replace = arena_alloc(&m->arena, (v->as.map.count + 1) * sizeof *d->replace);
				for (size_t r = 0; r < v->as.map.count; r++) {
					const struct value *to = v->as.map.entries[r].value;
					d->replace[r].from = v->as.map.entries[r].key->as.string.ptr;
					if (to->type != VALUE_STRING || !*d->replace[r].from)
						manifest_report(errors, to, "%s.replace: replace non-empty text by a "
								"string%s", what.ptr, "");
					d->replace[r].to = to->type == VALUE_STRING ? to->as.string.ptr : "";
				}
			} else if (strcmp(name, "at") == 0) {
				d->at = manifest_field_name(v, what.ptr, errors);
			} else if (strcmp(name, "list") == 0) {
				d->kind = DERIVED_LIST;
				if (v->type != VALUE_LIST) {
					manifest_report(errors, v, "%s.list: expected a list of templates%s", what.ptr, "");
					continue;
				}
				d->item_count = v->as.list.count;
				d->items = arena_alloc(&m->arena, (v->as.list.count + 1) * sizeof *d->items);
				for (size_t t = 0; t < v->as.list.count; t++)
					d->items[t] = manifest_template(m, v->as.list.items[t], what.ptr, errors);
			} else if (strcmp(name, "append") == 0) {
				d->append = manifest_field_name(v, what.ptr, errors);
			} else if (strcmp(name, "entries") == 0) {
				d->kind = DERIVED_ENTRIES;
				d->entries = manifest_field_name(v, what.ptr, errors);
			} else {
				const char *hint = suggest_closest(name, key->as.string.len, keys, 6);
				struct error err = ERROR_INIT;
				error_set(&err, key->file, key->line, key->col, "%s: unknown key '%s'%s%s%s", what.ptr,
					  name, hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
				error_list_take(errors, &err);
			}
		}
		if (d->kind == DERIVED_TEMPLATE && !d->template && !value_map_get(def, "template", 8))
			manifest_report(errors, def, "%s: needs template:, list: or entries:%s", what.ptr, "");
		buf_release(&what);
	}
}

static struct value *manifest_string(struct arena *arena, const char *s)
{
	return value_new_string(arena, s, strlen(s), NULL, 0, 0);
}

/* deploy: (manifest.h). Its values are checked here, where the user writes them, so that
 * stamp commit --branch can trust them and the templates get them as they are. */
static void manifest_deploy(struct manifest *m, struct error_list *errors)
{
	struct manifest_deploy *d = &m->deploy;
	d->branch = "main";
	d->section = value_map_get(m->root, "deploy", 6);
	const struct value *s = d->section;
	if (s && s->type != VALUE_MAP) {
		manifest_report(errors, s, "deploy: expected a map, e.g. {branch: main, path: out}%s%s", "", "");
		s = NULL;
	}
	static const char *const keys[] = { "branch", "path" };
	for (size_t i = 0; s && i < s->as.map.count; i++) {
		const struct value *key = s->as.map.entries[i].key;
		const struct value *v = s->as.map.entries[i].value;
		if (strcmp(key->as.string.ptr, "branch") == 0) {
			d->branch_at = v;
			int valid = v->type == VALUE_STRING ? gitrepo_branch_name_is_valid(v->as.string.ptr) : 0;
			if (valid < 0)
				alloc_failed();
			if (!valid)
				manifest_report(errors, v, "deploy.branch: %s%s is not a branch name git accepts (git "
						"check-ref-format --branch NAME says); name the branch Argo CD reads",
						v->type == VALUE_STRING ? v->as.string.ptr : "a non-string", "");
			else
				d->branch = v->as.string.ptr;
		} else if (strcmp(key->as.string.ptr, "path") == 0) {
			d->path_at = v;
			int out = v->type == VALUE_STRING && strcmp(v->as.string.ptr, "out") == 0;
			d->at_root = v->type == VALUE_STRING && strcmp(v->as.string.ptr, ".") == 0;
			if (!out && !d->at_root)
				manifest_report(errors, v, "deploy.path: %s%s is neither out (the files are under out/ on the "
						"branch) nor . (at its root, as stamp commit --branch writes them); use one of them",
						v->type == VALUE_STRING ? v->as.string.ptr : "a non-string", "");
		} else {
			const char *hint = suggest_closest(key->as.string.ptr, key->as.string.len, keys, 2);
			struct error err = ERROR_INIT;
			error_set(&err, key->file, key->line, key->col, "deploy: unknown key '%s'%s%s%s",
				  key->as.string.ptr, hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
			error_list_take(errors, &err);
		}
	}
	d->values = value_new_map(&m->arena, m->path, 1, 1);
	value_map_set(&m->arena, d->values, manifest_string(&m->arena, "branch"), manifest_string(&m->arena, d->branch));
	value_map_set(&m->arena, d->values, manifest_string(&m->arena, "path"),
		      manifest_string(&m->arena, d->at_root ? "." : "out"));
	value_map_set(&m->arena, d->values, manifest_string(&m->arena, "prefix"),
		      manifest_string(&m->arena, d->at_root ? "" : "out/"));
}

/* disjoint: [[env, secrets], ...]: each group names map fields of the spec that may not
 * share a key (a variable set in both would reach the container twice). */
static void manifest_disjoint(struct manifest *m, const struct value *schema, struct error_list *errors)
{
	const struct value *d = value_map_get(m->root, "disjoint", 8);
	if (!d)
		return;
	if (d->type != VALUE_LIST) {
		manifest_report(errors, d, "disjoint: expected a list of groups of map fields, e.g. [[env, "
				"secrets]]%s%s", "", "");
		return;
	}
	for (size_t g = 0; g < d->as.list.count; g++) {
		const struct value *group = d->as.list.items[g];
		if (group->type != VALUE_LIST || group->as.list.count < 2) {
			manifest_report(errors, group, "disjoint: each group is a list of two or more map fields, "
					"e.g. [env, secrets]%s%s", "", "");
			continue;
		}
		for (size_t i = 0; i < group->as.list.count; i++) {
			const struct value *name = group->as.list.items[i];
			const struct value *rule = name->type == VALUE_STRING && schema && schema->type == VALUE_MAP
				? value_map_get(schema, name->as.string.ptr, name->as.string.len) : NULL;
			const struct value *type = rule && rule->type == VALUE_MAP ? value_map_get(rule, "type", 4) : NULL;
			if (!type || type->type != VALUE_STRING || strcmp(type->as.string.ptr, "map") != 0)
				manifest_report(errors, name, "disjoint: %s%s is not a map field of the schema",
						name->type == VALUE_STRING ? name->as.string.ptr : "this", "");
		}
	}
	m->disjoint = d;
}

int manifest_check_hydrated(const struct manifest *m, const char *branch, struct error *err)
{
	const struct manifest_deploy *d = &m->deploy;
	if (!d->section)
		return error_set(err, m->path, 1, 1, "stamp commit --branch %s: with no deploy: section, the template "
				 "set says Argo CD reads out/ on main, not the root of %s; add deploy: {branch: %s, path: .} "
				 "and use {{deploy.branch}} and {{deploy.prefix}} in the Applications", branch, branch, branch);
	if (!d->at_root) {
		/* the files would sit at the root, the Applications point at out/ */
		const struct value *at = d->path_at ? d->path_at : d->section;
		return error_set(err, at->file, at->line, at->col, "deploy: says Argo CD reads out/ on %s, but --branch "
				 "%s puts the files at that branch's root; set deploy: {branch: %s, path: .}, or commit "
				 "without --branch", d->branch, branch, branch);
	}
	if (strcmp(d->branch, branch) != 0) {
		const struct value *at = d->branch_at ? d->branch_at : d->section;
		return error_set(err, at->file, at->line, at->col, "deploy.branch is %s, so the Applications point "
				 "Argo CD at %s, not at %s (--branch %s); set branch: %s, or commit with --branch %s",
				 d->branch, d->branch, branch, branch, branch, d->branch);
	}
	return 0;
}

struct manifest *manifest_load(const struct source *src, const char *path, struct error_list *errors)
{
	struct manifest *m = calloc(1, sizeof *m);
	if (!m)
		alloc_failed();
	size_t before = errors->count;
	struct tmpl_options opts = { TMPL_FORMAT_NONE, 1, NULL, NULL };
	m->templates = tmpl_set_new(&opts);
	struct buf name = BUF_INIT, text = BUF_INIT;
	source_name(src, path, &name);
	m->path = arena_strdup(&m->arena, name.ptr);
	struct error err = ERROR_INIT;
	enum source_status read = src->ops->read(src, path, document_default_limits.max_bytes, &text, &err);
	if (read == SOURCE_TOO_LARGE || read == SOURCE_NOT_FILE)
		error_set(&err, m->path, 0, 0, read == SOURCE_TOO_LARGE ? "file is larger than 4194304 bytes; split it"
			  : "cannot read: not a regular file");
	if (read != SOURCE_OK || document_load_string(&m->arena, text.ptr ? text.ptr : "", text.len, m->path, NULL,
						       &m->root, &err) < 0) {
		buf_release(&name);
		buf_release(&text);
		error_list_take(errors, &err);
		goto fail;
	}
	buf_release(&name);
	buf_release(&text);
	if (m->root->type != VALUE_MAP) {
		manifest_report(errors, m->root, "the manifest must be a map with platform:, plans: and "
				"schema:%s%s", "", "");
		goto fail;
	}
	size_t n = sizeof manifest_sections / sizeof *manifest_sections;
	for (size_t i = 0; i < m->root->as.map.count; i++) {
		const struct value *k = m->root->as.map.entries[i].key;
		size_t known = 0;
		while (known < n && strcmp(k->as.string.ptr, manifest_sections[known]) != 0)
			known++;
		if (known == n) {
			const char *hint = suggest_closest(k->as.string.ptr, k->as.string.len, manifest_sections, n);
			struct error e = ERROR_INIT;
			error_set(&e, k->file, k->line, k->col, "%s: unknown section%s%s%s", k->as.string.ptr,
				  hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
			error_list_take(errors, &e);
		}
	}
	m->platform = value_map_get(m->root, "platform", 8);
	m->plans = value_map_get(m->root, "plans", 5);
	const struct value *schema = value_map_get(m->root, "schema", 6);
	if (!m->platform || m->platform->type != VALUE_MAP)
		manifest_report(errors, m->platform ? m->platform : m->root,
				"platform: required, a map of platform-wide settings (domain, registry, ...)%s%s", "", "");
	if (!m->plans || m->plans->type != VALUE_MAP || m->plans->as.map.count == 0) {
		manifest_report(errors, m->plans ? m->plans : m->root,
				"plans: required, a map of plan names to their settings%s%s", "", "");
	} else {
		for (size_t i = 0; i < m->plans->as.map.count; i++) {
			const struct value *plan = m->plans->as.map.entries[i].value;
			if (plan->type != VALUE_MAP)
				manifest_report(errors, plan, "plans.%s: a plan must be a map of settings%s",
						m->plans->as.map.entries[i].key->as.string.ptr, "");
		}
	}
	/* before the schema, whose credential names defer to these patterns */
	secrets_compile(&m->secrets, value_map_get(m->root, "secret_patterns", 15), errors);
	if (!schema || schema->type != VALUE_MAP)
		manifest_report(errors, schema ? schema : m->root,
				"schema: required, a map of spec fields to their rules%s%s", "", "");
	else
		m->schema = schema_compile(&m->arena, schema, m->root, m->templates, &m->secrets, errors);
	const struct value *derived = value_map_get(m->root, "derived", 7);
	if (derived)
		manifest_derived(m, derived, errors);
	m->outputs = value_map_get(m->root, "outputs", 7);
	if (m->outputs && m->outputs->type != VALUE_LIST)
		manifest_report(errors, m->outputs, "outputs: expected a list of {name:, template:, path:}%s%s", "", "");
	m->unique = value_map_get(m->root, "unique", 6);
	if (m->unique && m->unique->type != VALUE_LIST)
		manifest_report(errors, m->unique, "unique: expected a list of value names%s%s", "", "");
	manifest_deploy(m, errors);
	manifest_disjoint(m, schema, errors);
	if (errors->count == before)
		return m;
fail:
	manifest_free(m);
	return NULL;
}

void manifest_free(struct manifest *m)
{
	if (!m)
		return;
	schema_release(m->schema);
	secrets_release(&m->secrets);
	tmpl_set_free(m->templates);
	arena_release(&m->arena);
	free(m);
}

/* Which lines of the manifest's text a top-level section spans: from its key to the
 * line before the next top-level key (or the end). 0 when it is written at column 1 of
 * a block map (so the lines are its own), -1 when it is absent or written otherwise. */
static int manifest_section_lines(const struct manifest *m, const char *name, unsigned *first, unsigned *next)
{
	for (size_t i = 0; m->root && i < m->root->as.map.count; i++) {
		const struct value *k = m->root->as.map.entries[i].key;
		if (strcmp(k->as.string.ptr, name) != 0)
			continue;
		if (k->col != 1 || !k->line)
			return -1;
		*first = k->line;
		*next = i + 1 < m->root->as.map.count ? m->root->as.map.entries[i + 1].key->line : 0;
		return *next == 0 || *next > *first ? 0 : -1;
	}
	return -1;
}

void manifest_rendered_text(const struct manifest *m, const char *text, size_t len, struct buf *out)
{
	static const char *const rollout[] = { "channels", "default_channel" };
	unsigned first[2], next[2];
	int skip[2];
	for (size_t k = 0; k < 2; k++)
		skip[k] = manifest_section_lines(m, rollout[k], &first[k], &next[k]) == 0;
	unsigned line = 1;
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - text) + 1 : len;
		int dropped = 0;
		for (size_t k = 0; k < 2; k++)
			dropped |= skip[k] && line >= first[k] && (next[k] == 0 || line < next[k]);
		if (!dropped)
			buf_add(out, text + i, end - i);
		i = end;
		line++;
	}
}
