/* Outputs: compile once, render per customer, parse back, hash. Every YAML or JSON output
 * is loaded again with the same strict loader as the specs before it is accepted, so a
 * template bug (or a value that got past escaping) can never reach out/ as a broken or
 * reshaped document. */
#include "output.h"

#include "outpath.h"

#include "array.h"
#include "customers.h"
#include "buf.h"
#include "document.h"
#include "error.h"
#include "manifest.h"
#include "source.h"
#include "suggest.h"
#include "value.h"

#include <stdlib.h>
#include <errno.h>
#include <string.h>

#define OUTPUT_TEMPLATES "templates"
#define OUTPUT_PARTIALS "templates/partials"


static void output_report(struct error_list *errors, const struct value *at, const char *fmt,
			  const char *a, const char *b)
{
	struct error err = ERROR_INIT;
	error_set(&err, at ? at->file : NULL, at ? at->line : 0, at ? at->col : 0, fmt, a, b);
	error_list_take(errors, &err);
}

static int output_compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file under dir, sorted, into the hash: any change to the set (a
 * template, a partial, the manifest less its channels: declaration) changes it. Paths
 * enter the hash relative to the repository root, so the same set hashes the same from
 * the working tree or a revision. */
static void output_hash_tree(struct hash_state *state, const struct manifest *m, const struct source *src,
			     const char *dir, struct error_list *errors)
{
	char **names = NULL;
	size_t n = 0;
	struct error err = ERROR_INIT;
	/* a file left out would make a changed set hash as the old one: every failure to
	 * read is reported */
	if (src->ops->list(src, dir, &names, NULL, &n, &err) < 0) {
		error_list_take(errors, &err);
		return;
	}
	if (n)
		qsort(names, n, sizeof *names, output_compare_names);
	for (size_t i = 0; i < n; i++) {
		struct buf path = BUF_INIT;
		buf_printf(&path, "%s/%s", dir, names[i]);
		enum source_kind kind = src->ops->kind(src, path.ptr);
		if (kind == SOURCE_UNREADABLE) {
			error_set(&err, path.ptr, 0, 0, "cannot read: %s", strerror(errno));
			error_environment(&err);
			error_list_take(errors, &err);
		} else if (kind == SOURCE_DIR) {
			output_hash_tree(state, m, src, path.ptr, errors);
		} else if (kind == SOURCE_FILE || kind == SOURCE_LINK) {
			struct buf content = BUF_INIT;
			enum source_status status = src->ops->read(src, path.ptr, 0, &content, &err);
			if (status == SOURCE_OK && strcmp(path.ptr, MANIFEST_PATH) == 0) {
				struct buf rendered = BUF_INIT;
				manifest_rendered_text(m, content.ptr ? content.ptr : "", content.len, &rendered);
				hash_add(state, path.ptr, path.len);
				hash_add(state, rendered.ptr ? rendered.ptr : "", rendered.len);
				buf_release(&rendered);
			} else if (status == SOURCE_OK) {
				hash_add(state, path.ptr, path.len);
				hash_add(state, content.ptr ? content.ptr : "", content.len);
			} else if (status == SOURCE_FAILED && err.environment) {
				error_list_take(errors, &err);
			}
			error_clear(&err);
			buf_release(&content);
		}
		buf_release(&path);
		free(names[i]);
	}
	free(names);
}

/* Partials, from templates/partials/ of the set's source, for the templates of one
 * format: name itself, name with one of the format's own extensions (a YAML template
 * includes labels.yaml, a text one banner.txt), or name.mustache. */
static int output_load_partial(void *data, const char *name, size_t len, struct buf *source, struct buf *path,
			       struct error *err)
{
	const struct output_partials *partials = data;
	const struct source *src = partials->src;
	const char *suffixes[8] = { "" };
	size_t suffix_count = 1;
	for (const char *ext; suffix_count < 7 && (ext = tmpl_format_extension(partials->format, suffix_count - 1));)
		suffixes[suffix_count++] = ext;
	if (partials->format != TMPL_FORMAT_HTML)
		suffixes[suffix_count++] = ".mustache";
	if (len == 0 || memchr(name, 0, len) || name[0] == '/' || name[0] == '.' || memchr(name, '\\', len))
		return error_set(err, NULL, 0, 0, "partial name \"%.*s\" is not a plain relative name inside "
				 OUTPUT_PARTIALS, (int)len, name);
	for (size_t i = 0; i < len; i++)
		if (name[i] == '/' && i + 1 < len && name[i + 1] == '.')
			return error_set(err, NULL, 0, 0, "partial name \"%.*s\" is not a plain relative name "
					 "inside " OUTPUT_PARTIALS, (int)len, name);
	for (size_t i = 0; i < suffix_count; i++) {
		struct buf relative = BUF_INIT;
		buf_printf(&relative, OUTPUT_PARTIALS "/%.*s%s", (int)len, name, suffixes[i]);
		enum source_kind kind = src->ops->kind(src, relative.ptr);
		if (kind == SOURCE_UNREADABLE) {
			int e = errno;
			buf_clear(path);
			source_name(src, relative.ptr, path);
			buf_release(&relative);
			error_set(err, path->ptr, 0, 0, "cannot read partial: %s", strerror(e));
			error_environment(err);
			return -1;
		}
		if (kind != SOURCE_FILE && kind != SOURCE_LINK) {
			buf_release(&relative);
			continue;
		}
		buf_clear(path);
		source_name(src, relative.ptr, path);
		enum source_status status = src->ops->read(src, relative.ptr, TMPL_MAX_SOURCE, source, err);
		buf_release(&relative);
		if (status == SOURCE_NOT_FILE)
			continue;
		if (status == SOURCE_TOO_LARGE)
			return error_set(err, path->ptr, 0, 0, "cannot read partial: larger than %u bytes",
					 (unsigned)TMPL_MAX_SOURCE);
		if (status != SOURCE_OK)
			return -1;
		return 0;
	}
	return 1;
}

/* when: a map of dotted paths into a customer's values, each to a scalar or a list of
 * scalars. Not with over: all (which renders once, over every customer). */
static int output_when_load(struct output_set *os, struct output_def *d, const char *name, const struct value *when,
			    int over_all, struct error_list *errors)
{
	if (over_all) {
		output_report(errors, when, "outputs.%s.when: an output over all customers is rendered once; when: "
			      "is for per-customer outputs%s", name, "");
		return -1;
	}
	if (when->type != VALUE_MAP || when->as.map.count == 0) {
		output_report(errors, when, "outputs.%s.when: expected a map of value names to what they must be, "
			      "such as {platform.delivery: manifests}%s", name, "");
		return -1;
	}
	d->when = arena_alloc(&os->arena, when->as.map.count * sizeof *d->when);
	for (size_t i = 0; i < when->as.map.count; i++) {
		const struct value *key = when->as.map.entries[i].key, *allowed = when->as.map.entries[i].value;
		int scalars = allowed->type != VALUE_MAP && (allowed->type != VALUE_LIST || allowed->as.list.count);
		for (size_t k = 0; scalars && allowed->type == VALUE_LIST && k < allowed->as.list.count; k++)
			scalars = allowed->as.list.items[k]->type != VALUE_LIST &&
				  allowed->as.list.items[k]->type != VALUE_MAP;
		if (!scalars || key->as.string.len == 0 || key->as.string.ptr[0] == '.' ||
		    key->as.string.ptr[key->as.string.len - 1] == '.' || strstr(key->as.string.ptr, "..")) {
			output_report(errors, scalars ? key : allowed, "outputs.%s.when.%s: expected a dotted value name "
				      "and a scalar, or a list of scalars, it must equal", name, key->as.string.ptr);
			return -1;
		}
		d->when[d->when_count++] = (struct output_when){ key->as.string.ptr, allowed };
	}
	return 0;
}

/* The value at a dotted path of a map, or NULL. */
static const struct value *output_lookup(const struct value *v, const char *path)
{
	while (v && v->type == VALUE_MAP) {
		size_t len = strcspn(path, ".");
		v = value_map_get(v, path, len);
		if (!path[len])
			return v;
		path += len + 1;
	}
	return NULL;
}

static int output_scalar_equal(const struct value *a, const struct value *b, struct buf *x, struct buf *y)
{
	buf_clear(x);
	buf_clear(y);
	return value_scalar_text(a, x) == 0 && value_scalar_text(b, y) == 0 && x->len == y->len &&
	       (x->len == 0 || memcmp(x->ptr, y->ptr, x->len) == 0);
}

int output_applies(const struct output_def *d, const struct value *values)
{
	struct buf x = BUF_INIT, y = BUF_INIT;
	int applies = 1;
	for (size_t i = 0; applies && i < d->when_count; i++) {
		const struct value *v = output_lookup(values, d->when[i].path);
		const struct value *allowed = d->when[i].allowed;
		applies = 0;
		if (!v || v->type == VALUE_LIST || v->type == VALUE_MAP)
			break;
		if (allowed->type != VALUE_LIST)
			applies = output_scalar_equal(v, allowed, &x, &y);
		for (size_t k = 0; !applies && allowed->type == VALUE_LIST && k < allowed->as.list.count; k++)
			applies = output_scalar_equal(v, allowed->as.list.items[k], &x, &y);
	}
	buf_release(&x);
	buf_release(&y);
	return applies;
}

/* Every value the outputs' when: name for path, once each, into names (at most
 * OUTPUT_WHEN_VALUES). */
#define OUTPUT_WHEN_VALUES 64
static size_t output_when_values(const struct output_set *os, const char *path, const char **names)
{
	size_t count = 0;
	for (size_t i = 0; i < os->count; i++)
		for (size_t w = 0; w < os->defs[i].when_count; w++) {
			const struct value *a = os->defs[i].when[w].allowed;
			size_t n = a->type == VALUE_LIST ? a->as.list.count : 1;
			for (size_t j = 0; strcmp(os->defs[i].when[w].path, path) == 0 && j < n; j++) {
				const struct value *x = a->type == VALUE_LIST ? a->as.list.items[j] : a;
				if (x->type != VALUE_STRING)
					continue;
				size_t seen = 0;
				while (seen < count && strcmp(names[seen], x->as.string.ptr) != 0)
					seen++;
				if (seen == count && count < OUTPUT_WHEN_VALUES)
					names[count++] = x->as.string.ptr;
			}
		}
	return count;
}

/* The platform setting at path against the values the outputs name for it. */
static void output_when_setting(const struct output_set *os, const struct manifest *m, const char *path,
				struct error_list *errors)
{
	const char *names[OUTPUT_WHEN_VALUES];
	size_t count = output_when_values(os, path, names);
	const struct value *setting = output_lookup(m->root, path);
	struct buf text = BUF_INIT, known = BUF_INIT, said = BUF_INIT;
	int ok = 0;
	if (setting && value_scalar_text(setting, &text) == 0)
		for (size_t j = 0; !ok && j < count; j++)
			ok = strlen(names[j]) == text.len && memcmp(names[j], text.ptr, text.len) == 0;
	if (!ok) {
		for (size_t j = 0; j < count; j++)
			buf_printf(&known, "%s%s", j ? ", " : "", names[j]);
		const char *hint = setting && text.len ? suggest_closest(text.ptr, text.len, names, count) : NULL;
		if (hint)
			buf_printf(&said, "; did you mean '%s'?", hint);
		struct error err = ERROR_INIT;
		const struct value *at = setting ? setting : m->platform ? m->platform : m->root;
		if (setting)
			error_set(&err, at->file, at->line, at->col, "%s: '%s' is not one of %s (the values the outputs' "
				  "when: name)%s", path, text.ptr ? text.ptr : "", known.ptr, said.ptr ? said.ptr : "");
		else
			error_set(&err, at->file, at->line, at->col, "%s: missing; the outputs' when: read it: set it to "
				  "one of %s", path, known.ptr);
		error_list_take(errors, &err);
	}
	buf_release(&text);
	buf_release(&known);
	buf_release(&said);
}

/* Is (i, w) the first when: of the outputs to name its path? */
static int output_when_first(const struct output_set *os, size_t i, size_t w)
{
	const char *path = os->defs[i].when[w].path;
	for (size_t k = 0; k <= i; k++)
		for (size_t v = 0; v < os->defs[k].when_count && (k < i || v < w); v++)
			if (strcmp(os->defs[k].when[v].path, path) == 0)
				return 0;
	return 1;
}

/* A when: on a platform setting is decided by the manifest alone, the same for every
 * customer: the setting must hold one of the values the outputs name for it, or a typo
 * (delivery: helmm) would silently leave out every output that names it. Each path is
 * checked once, at the first output that names it. */
static void output_when_platform(const struct output_set *os, const struct manifest *m, struct error_list *errors)
{
	for (size_t i = 0; i < os->count; i++)
		for (size_t w = 0; w < os->defs[i].when_count; w++)
			if (strncmp(os->defs[i].when[w].path, "platform.", 9) == 0 && output_when_first(os, i, w))
				output_when_setting(os, m, os->defs[i].when[w].path, errors);
}

int output_set_load(struct output_set *os, const struct manifest *m, const struct source *src,
		    struct error_list *errors)
{
	memset(os, 0, sizeof *os);
	size_t before = errors->count;
	struct hash_state *state = hash_begin();
	hash_add(state, STAMP_VERSION, strlen(STAMP_VERSION));
	output_hash_tree(state, m, src, OUTPUT_TEMPLATES, errors);
	os->set_hash = hash_end(state);

	const struct value *list = m->outputs;
	if (!list || list->type != VALUE_LIST || list->as.list.count == 0) {
		output_report(errors, list ? list : m->root, "outputs: the template set renders nothing; "
			      "add outputs: [{name:, template:, path:}]%s%s", "", "");
		return -1;
	}
	os->count = list->as.list.count;
	os->defs = arena_alloc(&os->arena, os->count * sizeof *os->defs);
	struct tmpl_options path_options = { TMPL_FORMAT_NONE, 1, NULL, NULL };
	for (size_t i = 0; i < os->count; i++) {
		const struct value *item = list->as.list.items[i];
		struct output_def *d = &os->defs[i];
		d->where = item;
		const struct value *name = value_map_get(item, "name", 4);
		const struct value *template = value_map_get(item, "template", 8);
		const struct value *path = value_map_get(item, "path", 4);
		const struct value *over = value_map_get(item, "over", 4);
		const struct value *when = value_map_get(item, "when", 4);
		if (item->type != VALUE_MAP || !name || !template || !path || name->type != VALUE_STRING ||
		    template->type != VALUE_STRING || path->type != VALUE_STRING ||
		    item->as.map.count != 3u + (over != NULL) + (when != NULL)) {
			output_report(errors, item, "outputs: each output is {name:, template:, path:} and "
				      "optionally over: all or when: {VALUE: [ALLOWED, ...]}%s%s", "", "");
			continue;
		}
		if (when && output_when_load(os, d, name->as.string.ptr, when, over != NULL, errors) < 0)
			continue;
		if (over && !(over->type == VALUE_STRING && strcmp(over->as.string.ptr, "all") == 0)) {
			output_report(errors, over, "outputs.%s.over: the only value is all%s", name->as.string.ptr, "");
			continue;
		}
		for (size_t k = 0; k < i; k++)
			if (os->defs[k].name && strcmp(os->defs[k].name, name->as.string.ptr) == 0)
				output_report(errors, name, "outputs: the name %s is used twice; names must be "
					      "unique%s", name->as.string.ptr, "");
		d->name = name->as.string.ptr;
		d->template_path = template->as.string.ptr;
		d->over_all = over != NULL;
		d->format = tmpl_format_for_path(d->template_path);
		if (!os->sets[d->format]) {
			os->partials[d->format] = (struct output_partials){ src, d->format };
			struct tmpl_options opts = { d->format, 1, output_load_partial, &os->partials[d->format] };
			os->sets[d->format] = tmpl_set_new(&opts);
		}
		if (!os->paths)
			os->paths = tmpl_set_new(&path_options);
		struct error err = ERROR_INIT;
		if (tmpl_compile(os->paths, path->file, path->as.string.ptr, path->as.string.len, &d->path, &err) < 0) {
			output_report(errors, path, "outputs.%s.path: %s", d->name, err.message);
			error_clear(&err);
		}
		struct buf relative = BUF_INIT, file = BUF_INIT, source = BUF_INIT;
		buf_printf(&relative, OUTPUT_TEMPLATES "/%s", d->template_path);
		source_name(src, relative.ptr, &file);
		struct error unread = ERROR_INIT;
		if (strstr(d->template_path, "..") || d->template_path[0] == '/') {
			output_report(errors, template, "outputs.%s.template: must be a path inside templates/%s",
				      d->name, "");
		} else if (src->ops->read(src, relative.ptr, TMPL_MAX_SOURCE, &source, &unread) != SOURCE_OK) {
			if (unread.environment)
				error_list_take(errors, &unread);
			else
				output_report(errors, template, "outputs.%s.template: cannot read templates/%s",
					      d->name, d->template_path);
		} else if (tmpl_compile(os->sets[d->format], file.ptr, source.ptr, source.len, &d->template, &err) < 0) {
			error_list_take(errors, &err);
		}
		error_clear(&unread);
		buf_release(&relative);
		buf_release(&file);
		buf_release(&source);
	}
	output_when_platform(os, m, errors);
	for (size_t i = 0; i < os->count; i++) {
		os->defs[i].uses_hashes = os->defs[i].template && tmpl_uses_name(os->defs[i].template, "hashes");
		if (os->defs[i].over_all && os->defs[i].uses_hashes)
			os->aggregates_use_hashes = 1;
	}
	if (errors->count == before)
		return 0;
	/* the caller keeps nothing of a set that failed: what was compiled goes now */
	output_set_release(os);
	return -1;
}

void output_set_release(struct output_set *os)
{
	for (size_t i = 0; i < TMPL_FORMAT_COUNT; i++)
		tmpl_set_free(os->sets[i]);
	tmpl_set_free(os->paths);
	arena_release(&os->arena);
	memset(os, 0, sizeof *os);
}

/* Room for the set's outputs at the first file: a customer's files are at most that
 * many, and 100,000 customers' lists cost their files only, not a fixed 32 each. */
static void output_files_add(const struct output_set *os, struct output_files *files, struct output_file f)
{
	files->items = array_grow(files->items, &files->cap, files->count, sizeof *files->items, os->count);
	files->items[files->count++] = f;
}

void output_files_release(struct output_files *files)
{
	free(files->items);
	memset(files, 0, sizeof *files);
}

/* The byte offset of line:col (1-based, columns in characters) of text. */
static size_t output_offset(const struct buf *text, unsigned line, unsigned col)
{
	size_t i = 0;
	for (unsigned l = 1; l < line && i < text->len; i++)
		if (text->ptr[i] == '\n')
			l++;
	for (unsigned c = 1; c < col && i < text->len && text->ptr[i] != '\n'; c++) {
		i++;
		while (i < text->len && ((unsigned char)text->ptr[i] & 0xc0) == 0x80)
			i++;
	}
	return i;
}

/* A rendered file that does not parse back: say who put the bad text there. The output
 * is rendered again with a trace; when the text at the error came from a spec's value,
 * the diagnostic is at that value (what the user edits), with the file and the template
 * line named after it; otherwise it is at the rendered file, naming the template line
 * whose text ends up there. */
static void output_blame(const struct output_def *d, const struct value *const *frames, size_t count,
			 const struct buf *text, const struct error *parse, struct error *out)
{
	struct tmpl_trace trace = { 0 };
	struct buf again = BUF_INIT;
	struct error ignored = ERROR_INIT;
	struct tmpl_origin origin;
	int traced = tmpl_render_traced(d->template, frames, count, &again, &ignored, &trace) == 0 &&
		     again.len == text->len &&
		     tmpl_trace_at(&trace, output_offset(text, parse->line, parse->col), &origin) == 0;
	const char *why = parse->message;
	if (strncmp(why, "invalid YAML: ", 14) == 0)
		why += 14;
	if (traced && origin.value && origin.value->file && origin.value->line) {
		error_set(out, origin.value->file, origin.value->line, origin.value->col, "this value, rendered by "
			  "%s:%u:%u, makes %s:%u:%u invalid: %s", origin.template_path, origin.line, origin.col,
			  parse->file, parse->line, parse->col, why);
	} else if (traced) {
		error_set(out, origin.template_path, origin.line, origin.col, "this text makes %s:%u:%u invalid: %s%s",
			  parse->file, parse->line, parse->col, why, strchr(why, ';') ? "" : "; fix the template");
	} else {
		error_set(out, parse->file, parse->line, parse->col, "%s (rendered from templates/%s; fix the "
			  "template)", parse->message, d->template_path);
	}
	error_clear(&ignored);
	buf_release(&again);
	tmpl_trace_release(&trace);
}

/* Renders one output over frames (tmpl_render_frames) into a file; parses YAML and JSON
 * back. */
static int output_render_over(const struct output_def *d, const struct value *const *frames, size_t count,
			      int mode, const struct output_keep *keep, struct arena *arena, struct buf *text,
			      struct output_file *file, struct error_list *errors)
{
	struct error err = ERROR_INIT;
	struct buf path = BUF_INIT;
	buf_clear(text);
	if (tmpl_render_frames(d->path, frames, count, &path, &err) < 0 ||
	    tmpl_render_frames(d->template, frames, count, text, &err) < 0) {
		error_list_take(errors, &err);
		buf_release(&path);
		return -1;
	}
	const char *problem = outpath_problem(path.ptr ? path.ptr : "", path.len);
	if (problem) {
		struct error bad = ERROR_INIT;
		struct buf shown = BUF_INIT;
		error_quote_value(&shown, path.ptr ? path.ptr : "", path.len, 200);
		error_set(&bad, d->where->file, d->where->line, d->where->col,
			  "outputs.%s: the path \"%s\" is not a plain relative path under out/ (it %s)", d->name,
			  shown.ptr ? shown.ptr : "", problem);
		buf_release(&shown);
		error_list_take(errors, &bad);
		buf_release(&path);
		return -1;
	}
	if ((mode & OUTPUT_PARSE_BACK) && (d->format == TMPL_FORMAT_YAML || d->format == TMPL_FORMAT_JSON)) {
		struct document_limits limits = { 0, 64 };
		struct buf shown = BUF_INIT;
		buf_add_str(&shown, "out/");
		buf_add(&shown, path.ptr, path.len);
		if (document_check_string(text->ptr ? text->ptr : "", text->len, shown.ptr, &limits, &err) < 0) {
			struct error located = ERROR_INIT;
			output_blame(d, frames, count, text, &err, &located);
			error_list_take(errors, &located);
			error_clear(&err);
			buf_release(&shown);
			buf_release(&path);
			return -1;
		}
		buf_release(&shown);
	}
	file->len = text->len;
	file->hash = hash_bytes(text->ptr ? text->ptr : "", text->len);
	const char *same = NULL;
	int kept = keep && keep->keep(keep->data, path.ptr, file->hash, file->len, &same);
	file->path = same ? same : arena_strndup(arena, path.ptr, path.len);
	file->data = kept || (mode & OUTPUT_KEEP) ? arena_strndup(arena, text->ptr ? text->ptr : "", text->len) : NULL;
	buf_release(&path);
	return 0;
}

static void output_hash_set(struct arena *arena, struct value *hashes, const struct output_def *d, struct hash h)
{
	char hex[HASH_HEX_LEN + 1];
	hash_hex(h, hex);
	value_map_set(arena, hashes, value_new_string(arena, d->name, strlen(d->name), NULL, 0, 0),
		      value_new_string(arena, hex, HASH_HEX_LEN, NULL, 0, 0));
}

/* {hashes: {}}: the frame over a customer's values that its outputs fill as they are
 * rendered; the values themselves are never written */
static struct value *output_hashes_frame(struct arena *arena, struct value **hashes)
{
	struct value *frame = value_new_map(arena, NULL, 0, 0);
	*hashes = value_new_map(arena, NULL, 0, 0);
	value_map_set(arena, frame, value_new_string(arena, "hashes", 6, NULL, 0, 0), *hashes);
	return frame;
}

int output_render_customer(const struct output_set *os, const struct value *values, int mode,
			   const struct output_keep *keep, struct arena *arena, struct output_files *files,
			   struct error_list *errors)
{
	/* the frame dies with the render: kept in the caller's arena, the hashes of 10,000
	 * customers would hold 28 MB to the end of a cold render */
	struct arena scratch = ARENA_INIT;
	struct value *hashes;
	const struct value *frames[2] = { values, output_hashes_frame(&scratch, &hashes) };
	struct buf text = BUF_INIT;
	int rc = 0;
	for (size_t i = 0; i < os->count; i++) {
		const struct output_def *d = &os->defs[i];
		if (d->over_all || !output_applies(d, values))
			continue;
		/* after a failed output, one that reads the hashes would only fail for want of
		 * its hash: a follow-on error, not printed */
		if (rc < 0 && d->uses_hashes)
			continue;
		struct output_file f;
		if (output_render_over(d, frames, 2, mode, keep, arena, &text, &f, errors) < 0) {
			rc = -1;
			continue;
		}
		output_files_add(os, files, f);
		output_hash_set(&scratch, hashes, d, f.hash);
	}
	buf_release(&text);
	arena_release(&scratch);
	return rc;
}

int output_paths_use_hashes(const struct output_set *os)
{
	for (size_t i = 0; i < os->count; i++)
		if (!os->defs[i].over_all && tmpl_uses_name(os->defs[i].path, "hashes"))
			return 1;
	return 0;
}

int output_render_paths(const struct output_set *os, const struct value *values, struct arena *arena,
			struct output_files *files, struct error_list *errors)
{
	struct arena scratch = ARENA_INIT;
	struct value *hashes;
	const struct value *frames[2] = { values, output_hashes_frame(&scratch, &hashes) };
	struct buf path = BUF_INIT;
	int rc = 0;
	for (size_t i = 0; i < os->count; i++) {
		const struct output_def *d = &os->defs[i];
		if (d->over_all || !output_applies(d, values))
			continue;
		struct error err = ERROR_INIT;
		buf_clear(&path);
		if (tmpl_render_frames(d->path, frames, 2, &path, &err) < 0) {
			error_list_take(errors, &err);
			rc = -1;
			continue;
		}
		if (outpath_problem(path.ptr, path.len)) {
			/* the render proper says what is wrong with it, at the output */
			rc = -1;
			continue;
		}
		struct output_file f = { arena_strndup(arena, path.ptr, path.len), NULL, 0, { 0, 0 } };
		output_files_add(os, files, f);
	}
	buf_release(&path);
	arena_release(&scratch);
	return rc;
}

/* A customer as the outputs over all customers see it: its values and, when one of them
 * uses {{hashes.<name>}}, the hash of each of its outputs, from hash_of (what this
 * render made or the last one recorded) or, without it, rendered here. */
static struct value *output_customer_item(const struct output_set *os, const struct customer *c, size_t index,
					  const struct output_hash_source *source, struct arena *arena,
					  struct error_list *errors)
{
	if (!os->aggregates_use_hashes)
		return c->values;
	/* one frame, as output_render_customer() fills it: each output sees those before */
	struct value *hashes;
	const struct value *frames[2] = { c->values, output_hashes_frame(arena, &hashes) };
	struct buf path = BUF_INIT, text = BUF_INIT;
	for (size_t i = 0; i < os->count; i++) {
		const struct output_def *d = &os->defs[i];
		if (d->over_all || !output_applies(d, c->values))
			continue;
		struct hash h;
		struct error err = ERROR_INIT;
		buf_clear(&path);
		if (source && tmpl_render_frames(d->path, frames, 2, &path, &err) == 0 &&
		    source->hash_of(source->data, index, path.ptr ? path.ptr : "", &h) == 0) {
			output_hash_set(arena, hashes, d, h);
			continue;
		}
		error_clear(&err);
		struct output_file f;
		if (output_render_over(d, frames, 2, 0, NULL, arena, &text, &f, errors) == 0)
			output_hash_set(arena, hashes, d, f.hash);
	}
	buf_release(&path);
	buf_release(&text);
	/* the customer's entries and its hashes, in a map of the render's own */
	struct value *item = value_new_map(arena, c->values->file, c->values->line, c->values->col);
	size_t n = c->values->as.map.count;
	item->as.map.entries = arena_alloc(arena, (n + 1) * sizeof *item->as.map.entries);
	item->as.map.entries[0].key = value_new_string(arena, "hashes", 6, NULL, 0, 0);
	item->as.map.entries[0].value = hashes;
	memcpy(item->as.map.entries + 1, c->values->as.map.entries, n * sizeof *item->as.map.entries);
	item->as.map.count = n + 1;
	return item;
}

struct hash output_customer_input(const struct output_set *os, const struct customer *c)
{
	struct hash_state *h = hash_begin();
	hash_add(h, &os->set_hash, sizeof os->set_hash);
	hash_add(h, &c->spec_hash, sizeof c->spec_hash);
	return hash_end(h);
}

int output_render_aggregate(const struct output_set *os, const struct manifest *m,
			    const struct customer *customers, size_t count, const struct output_hash_source *source,
			    int mode, struct arena *arena, struct output_files *files, struct error_list *errors)
{
	struct value *all = value_new_map(arena, NULL, 0, 0);
	struct value *list = value_new(arena, VALUE_LIST, NULL, 0, 0);
	list->as.list.items = arena_alloc(arena, (count + 1) * sizeof(struct value *));
	for (size_t i = 0; i < count; i++)
		list->as.list.items[list->as.list.count++] = output_customer_item(os, &customers[i], i, source, arena,
										errors);
	value_map_set(arena, all, value_new_string(arena, "platform", 8, NULL, 0, 0), (struct value *)m->platform);
	value_map_set(arena, all, value_new_string(arena, "deploy", 6, NULL, 0, 0), m->deploy.values);
	value_map_set(arena, all, value_new_string(arena, "customers", 9, NULL, 0, 0), list);
	struct buf text = BUF_INIT;
	int rc = 0;
	for (size_t i = 0; i < os->count; i++) {
		const struct output_def *d = &os->defs[i];
		if (!d->over_all)
			continue;
		struct output_file f;
		const struct value *frame = all;
		if (output_render_over(d, &frame, 1, mode, NULL, arena, &text, &f, errors) < 0) {
			rc = -1;
			continue;
		}
		output_files_add(os, files, f);
	}
	buf_release(&text);
	return rc;
}
