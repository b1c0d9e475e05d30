/* Merging a customer's values. Order matters twice: later layers win over earlier ones
 * (spec over plan, plan over schema defaults), and each derived value is computed from
 * everything above it, so derived values may build on each other in manifest order. */
#include "values.h"

#include "arena.h"
#include "buf.h"
#include "error.h"
#include "manifest.h"
#include "schema.h"
#include "secrets.h"
#include "template.h"
#include "value.h"

#include <string.h>

/* The keys every customer's values have, made once and shared (keys are never changed
 * once made): 10,000 customers need not each hold a copy. */
#define VALUES_KEY(text) { .type = VALUE_STRING, .as.string = { text, sizeof text - 1 } }
static struct value values_key_id = VALUES_KEY("id"), values_key_platform = VALUES_KEY("platform"),
		    values_key_deploy = VALUES_KEY("deploy"), values_key_name = VALUES_KEY("name"),
		    values_key_value = VALUES_KEY("value");

static int values_render(const struct derived *d, const struct tmpl *t, const struct value *root,
			 struct buf *out, struct error_list *errors)
{
	struct error err = ERROR_INIT;
	if (tmpl_render(t, root, out, &err) == 0)
		return 0;
	struct error located = ERROR_INIT;
	error_set(&located, d->where->file, d->where->line, d->where->col, "derived.%s: %s", d->name,
		  err.message);
	error_list_take(errors, &located);
	error_clear(&err);
	return -1;
}

static void values_replace(const struct derived *d, struct buf *text)
{
	for (size_t r = 0; r < d->replace_count; r++) {
		const char *from = d->replace[r].from;
		size_t from_len = strlen(from);
		struct buf out = BUF_INIT;
		size_t i = 0;
		while (i < text->len) {
			if (text->len - i >= from_len && memcmp(text->ptr + i, from, from_len) == 0) {
				buf_add_str(&out, d->replace[r].to);
				i += from_len;
			} else {
				buf_add_char(&out, text->ptr[i++]);
			}
		}
		buf_release(text);
		*text = out;
	}
}

/* The position a derived value takes: its `at` field's, else the spec's start. */
static void values_position(const struct derived *d, const struct value *root, const char *file,
			    const char **at_file, unsigned *line, unsigned *col)
{
	const struct value *at = d->at ? value_map_get(root, d->at, strlen(d->at)) : NULL;
	*at_file = at && at->file ? at->file : file;
	*line = at && at->file ? at->line : 1;
	*col = at && at->file ? at->col : 1;
}

static struct value *values_derive(const struct derived *d, struct value *root, const char *file,
				   struct arena *arena, struct error_list *errors)
{
	const char *at_file;
	unsigned line, col;
	values_position(d, root, file, &at_file, &line, &col);
	struct buf text = BUF_INIT;
	struct value *result = NULL;
	switch (d->kind) {
	case DERIVED_TEMPLATE:
		if (values_render(d, d->template, root, &text, errors) == 0) {
			values_replace(d, &text);
			result = value_new_string(arena, text.ptr ? text.ptr : "", text.len, at_file, line, col);
		}
		break;
	case DERIVED_LIST: {
		const struct value *tail = d->append ? value_map_get(root, d->append, strlen(d->append)) : NULL;
		size_t extra = tail && tail->type == VALUE_LIST ? tail->as.list.count : 0;
		result = value_new(arena, VALUE_LIST, at_file, line, col);
		result->as.list.items = arena_alloc(arena, (d->item_count + extra + 1) * sizeof(struct value *));
		for (size_t i = 0; i < d->item_count; i++) {
			buf_clear(&text);
			if (values_render(d, d->items[i], root, &text, errors) < 0) {
				result = NULL;
				break;
			}
			values_replace(d, &text);
			result->as.list.items[result->as.list.count++] =
				value_new_string(arena, text.ptr ? text.ptr : "", text.len, at_file, line, col);
		}
		for (size_t i = 0; result && i < extra; i++)
			result->as.list.items[result->as.list.count++] = tail->as.list.items[i];
		break;
	}
	case DERIVED_ENTRIES: {
		const struct value *map = value_map_get(root, d->entries, strlen(d->entries));
		result = value_new(arena, VALUE_LIST, at_file, line, col);
		size_t n = map && map->type == VALUE_MAP ? map->as.map.count : 0;
		result->as.list.items = arena_alloc(arena, (n + 1) * sizeof(struct value *));
		for (size_t i = 0; i < n; i++) {
			struct value *k = map->as.map.entries[i].key;
			struct value *entry = value_new_map(arena, k->file, k->line, k->col);
			value_map_set(arena, entry, &values_key_name, k);
			value_map_set(arena, entry, &values_key_value, map->as.map.entries[i].value);
			result->as.list.items[result->as.list.count++] = entry;
		}
		break;
	}
	}
	buf_release(&text);
	return result;
}

static void values_report_shared(const struct value *key, const struct value *first, const char *file,
				 const struct value *earlier_name, const struct value *later_name,
				 struct error_list *errors)
{
	struct error err = ERROR_INIT;
	struct buf shown = BUF_INIT;
	error_quote_value(&shown, key->as.string.ptr, key->as.string.len, 80);
	error_set(&err, key->file ? key->file : file, key->line, key->col, "%s.%s: also set in %s at line %u; a "
		  "name may come from %s or from %s, not both: remove one", later_name->as.string.ptr, shown.ptr,
		  earlier_name->as.string.ptr, first->line, earlier_name->as.string.ptr, later_name->as.string.ptr);
	error_list_take(errors, &err);
	buf_release(&shown);
}

/* disjoint: a key of a later map of a group that an earlier one has too, at its key. */
static void values_check_disjoint(const struct manifest *m, const struct value *spec, const char *file,
				  struct error_list *errors)
{
	for (size_t g = 0; m->disjoint && spec->type == VALUE_MAP && g < m->disjoint->as.list.count; g++) {
		const struct value *group = m->disjoint->as.list.items[g];
		for (size_t j = 1; j < group->as.list.count; j++) {
			const struct value *later_name = group->as.list.items[j];
			const struct value *later = value_map_get(spec, later_name->as.string.ptr, later_name->as.string.len);
			for (size_t i = 0; later && later->type == VALUE_MAP && i < j; i++) {
				const struct value *earlier_name = group->as.list.items[i];
				const struct value *earlier = value_map_get(spec, earlier_name->as.string.ptr,
									    earlier_name->as.string.len);
				for (size_t k = 0; earlier && k < later->as.map.count; k++) {
					const struct value *key = later->as.map.entries[k].key;
					const struct value *first = value_map_get(earlier, key->as.string.ptr, key->as.string.len);
					if (first)
						values_report_shared(key, first, file, earlier_name, later_name, errors);
				}
			}
		}
	}
}

struct value *values_build(const struct manifest *m, const char *id, const char *file,
			   const struct value *spec, struct arena *arena, struct error_list *errors)
{
	size_t before = errors->count;
	struct value *root = value_new_map(arena, file, 1, 1);
	value_map_set(arena, root, &values_key_id, value_new_string(arena, id, strlen(id), file, 1, 1));
	value_map_set(arena, root, &values_key_platform, (struct value *)m->platform);
	value_map_set(arena, root, &values_key_deploy, m->deploy.values);
	const struct value *plan_name = spec->type == VALUE_MAP ? value_map_get(spec, "plan", 4) : NULL;
	const struct value *plan = plan_name && plan_name->type == VALUE_STRING
		? value_map_get(m->plans, plan_name->as.string.ptr, plan_name->as.string.len) : NULL;
	for (size_t i = 0; plan && i < plan->as.map.count; i++)
		value_map_set(arena, root, plan->as.map.entries[i].key, plan->as.map.entries[i].value);
	size_t problems = schema_apply(m->schema, spec, file, root, root, arena, errors);
	if (!plan_name && errors->count == before) {
		/* the plan named by the schema's default: it still goes under the spec */
		const struct value *chosen = value_map_get(root, "plan", 4);
		plan = chosen && chosen->type == VALUE_STRING
			? value_map_get(m->plans, chosen->as.string.ptr, chosen->as.string.len) : NULL;
		for (size_t i = 0; plan && i < plan->as.map.count; i++) {
			const struct value *key = plan->as.map.entries[i].key;
			if (!(spec->type == VALUE_MAP && value_map_get(spec, key->as.string.ptr, key->as.string.len)))
				value_map_set(arena, root, plan->as.map.entries[i].key, plan->as.map.entries[i].value);
		}
	}
	secrets_scan(&m->secrets, spec, file, id, errors);
	values_check_disjoint(m, spec, file, errors);
	/* a spec the loader refused a scalar of has been checked, but has no values */
	if (errors->count != before || problems)
		return NULL;
	for (size_t i = 0; i < m->derived_count; i++) {
		const struct derived *d = &m->derived[i];
		struct value *v = values_derive(d, root, file, arena, errors);
		if (!v)
			return NULL;
		value_map_set(arena, root, d->key, v);
	}
	return root;
}
