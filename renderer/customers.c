/* Finding, loading and cross-checking customer specs. Files are read with a size cap
 * and never followed blindly: symlinks are resolved and must stay inside the repository,
 * and only regular files are read (a FIFO named acme.yaml cannot hang a run). */
#include "customers.h"

#include "alloc.h"
#include "pool.h"

#include "array.h"
#include "buf.h"
#include "channel.h"
#include "document.h"
#include "manifest.h"
#include "source.h"
#include "summary.h"
#include "value.h"
#include "values.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

struct customers_slot {
	struct customer customer;
	struct error_list errors;
};

struct customers_job {
	const struct manifest *manifest;
	const struct channels *channels;
	const struct source *source;
	const struct customers_reuse *reuse;
	struct customers_slot *slots;
	size_t count;
	size_t next;
	size_t held;    /* bytes of values kept so far, against reuse->hold */
	pthread_mutex_t lock;
};

struct customers_worker {
	struct customers_job *job;
	struct arena *arena;
};

int customers_valid_id(const char *s, size_t len)
{
	if (len == 0 || len > 63)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!alnum && !(c == '-' && i > 0 && i + 1 < len))
			return 0;
	}
	return 1;
}

static void customers_report(struct error_list *errors, const char *file, const char *fmt, const char *a)
{
	struct error err = ERROR_INIT;
	error_set(&err, file, 0, 0, fmt, a);
	error_list_take(errors, &err);
}

/* A file that could not be looked at (source.h SOURCE_UNREADABLE): the environment's
 * failure, which must not pass for a problem of the spec. */
static void customers_unreadable(struct error_list *errors, const char *file, int e)
{
	struct error err = ERROR_INIT;
	error_set(&err, file, 0, 0, "cannot read: %s", strerror(e));
	error_environment(&err);
	error_list_take(errors, &err);
}

static char *customers_strdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		alloc_failed();
	return p;
}

/* Reads a spec with every guard: regular file only, bounded size, no blocking. The
 * spec's name is its source's label + path. */
static int customers_read(const struct source *src, const char *file, struct buf *text, struct error_list *errors)
{
	struct error err = ERROR_INIT;
	enum source_status status = src->ops->read(src, file + strlen(src->label), CUSTOMERS_MAX_BYTES, text, &err);
	if (status == SOURCE_OK)
		return 0;
	if (status == SOURCE_NOT_FILE)
		customers_report(errors, file, "%s", "is not a regular file; a spec must be a plain file");
	else if (status == SOURCE_TOO_LARGE)
		customers_report(errors, file, "%s", "is larger than 256 KiB; a spec is a few lines of YAML");
	else
		error_list_take(errors, &err);
	error_clear(&err);
	return -1;
}

const struct manifest *customers_manifest(const struct customers *c, const struct manifest *m,
					  const struct customer *x)
{
	return c->channels ? channels_set_of(c->channels, x->channel)->manifest : m;
}

/* With channels, the spec's channel: field is stamp's, not the template set's: it picks
 * c's channel and is taken out of what the set's schema sees (a copy of the top map
 * without it). 0, or -1 after reporting a name that is not a channel. */
static int customers_channel(struct customer *c, const struct channels *ch, struct arena *arena,
			     const struct value **spec, struct error_list *errors)
{
	c->channel = ch->default_channel;
	const struct value *top = *spec;
	if (!top || top->type != VALUE_MAP)
		return 0;
	size_t at = 0;
	while (at < top->as.map.count && strcmp(top->as.map.entries[at].key->as.string.ptr, "channel") != 0)
		at++;
	if (at == top->as.map.count)
		return 0;
	const struct value *name = top->as.map.entries[at].value;
	long found = name->type == VALUE_STRING ? channels_find(ch, name->as.string.ptr, name->as.string.len) : -1;
	if (found < 0) {
		const char *hint = name->type == VALUE_STRING
				   ? channels_closest(ch, name->as.string.ptr, name->as.string.len) : NULL;
		struct buf said = BUF_INIT, known = BUF_INIT;
		for (size_t i = 0; i < ch->count; i++)
			buf_printf(&known, "%s%s", i ? ", " : "", ch->items[i].name);
		if (name->type == VALUE_STRING)
			error_quote_value(&said, name->as.string.ptr, name->as.string.len, 64);
		struct error err = ERROR_INIT;
		if (hint)
			error_set(&err, name->file, name->line, name->col, "channel: '%s' is not a channel of "
				  MANIFEST_PATH "; did you mean '%s'?", said.ptr, hint);
		else
			error_set(&err, name->file, name->line, name->col, "channel: %s%s%s is not a channel of "
				  MANIFEST_PATH "; name one of %s, or remove the line to follow %s",
				  name->type == VALUE_STRING ? "'" : "a ", name->type == VALUE_STRING ? said.ptr :
				  value_type_name(name->type), name->type == VALUE_STRING ? "'" : "", known.ptr,
				  ch->items[ch->default_channel].name);
		error_list_take(errors, &err);
		buf_release(&said);
		buf_release(&known);
		return -1;
	}
	c->channel = (size_t)found;
	struct value *rest = value_new_map(arena, top->file, top->line, top->col);
	rest->as.map.entries = arena_alloc(arena, top->as.map.count * sizeof *rest->as.map.entries);
	for (size_t i = 0; i < top->as.map.count; i++)
		if (i != at)
			rest->as.map.entries[rest->as.map.count++] = top->as.map.entries[i];
	*spec = rest;
	return 0;
}

/* Loads one customer into arena; with scratch, it is parsed there and only its summary
 * is kept in arena (it is lean), scratch being emptied after. */
static void customers_process(struct customers_slot *slot, const struct manifest *m, const struct channels *ch,
			      const struct source *src, const struct customers_reuse *reuse, struct arena *arena,
			      struct arena *scratch)
{
	struct customer *c = &slot->customer;
	if (!c->reused && reuse && reuse->spec_hash_of &&
	    src->ops->blob(src, c->file + strlen(src->label), &c->blob) == 0) {
		c->has_blob = 1;
		/* the same bytes as a spec hashed already: its summary may spare the read */
		if (reuse->spec_hash_of(reuse->data, c, &c->spec_hash) &&
		    (c->summary = reuse->summary_of(reuse->data, c, &c->summary_len))) {
			c->reused = 1;
			return;
		}
	}
	struct buf text = BUF_INIT;
	if (customers_read(src, c->file, &text, &slot->errors) < 0) {
		buf_release(&text);
		return;
	}
	struct hash seen = hash_bytes(text.ptr, text.len);
	if (reuse && reuse->blob_ids && !c->has_blob)
		c->has_blob = source_blob_of(text.ptr, text.len, &c->blob) == 0;
	if (c->reused || c->lean) { /* parsed again: the same bytes, or a race */
		if (!hash_equal(seen, c->spec_hash)) {
			customers_report(&slot->errors, c->file, "%s", "changed while stamp ran; run stamp again");
			buf_release(&text);
			return;
		}
	} else {
		c->spec_hash = seen;
		if (reuse && reuse->summary_of && (c->summary = reuse->summary_of(reuse->data, c, &c->summary_len))) {
			c->reused = 1;
			buf_release(&text);
			return;
		}
	}
	struct document_limits limits = { CUSTOMERS_MAX_BYTES, CUSTOMERS_MAX_DEPTH };
	struct error err = ERROR_INIT;
	struct arena *nodes = scratch ? scratch : arena;
	if (document_load_recover(nodes, text.ptr ? text.ptr : "", text.len, c->file, &limits, &c->spec, &err,
				  &slot->errors) < 0) {
		error_list_take(&slot->errors, &err);
		buf_release(&text);
		c->spec = NULL;
		if (scratch)
			arena_release(scratch);
		return;
	}
	buf_release(&text);
	const struct value *spec = c->spec;
	if (ch && ch->count && customers_channel(c, ch, nodes, &spec, &slot->errors) < 0)
		spec = NULL;
	if (ch)
		m = channels_set_of(ch, c->channel)->manifest;
	c->values = spec ? values_build(m, c->id, c->file, spec, nodes, &slot->errors) : NULL;
	if (c->values && reuse && reuse->keys) {
		struct buf summary = BUF_INIT;
		summary_encode(reuse->keys, m, c->values, c->file, &summary);
		c->summary = arena_strndup(arena, summary.ptr, summary.len);
		c->summary_len = summary.len;
		buf_release(&summary);
		size_t before_len = 0;
		const char *before = reuse->summary_before ? reuse->summary_before(reuse->data, c, &before_len) : NULL;
		c->summary_as_before = before && before_len == c->summary_len &&
				       memcmp(before, c->summary, before_len) == 0;
	}
	if (scratch) { /* the summary stays, the nodes go (their problems are said already) */
		c->lean = c->values != NULL;
		c->values = NULL;
		c->spec = NULL;
		arena_release(scratch);
	}
}

static void customers_worker_main(void *arg, size_t worker)
{
	struct customers_worker *w = &((struct customers_worker *)arg)[worker];
	struct customers_job *job = w->job;
	struct arena scratch = ARENA_INIT;
	size_t grew = 0;
	for (;;) {
		pthread_mutex_lock(&job->lock);
		job->held += grew;
		size_t i = job->next++;
		int lean = job->reuse && job->reuse->keys && job->held >= job->reuse->hold;
		pthread_mutex_unlock(&job->lock);
		if (i >= job->count)
			break;
		size_t before = w->arena->total;
		customers_process(&job->slots[i], job->manifest, job->channels, job->source, job->reuse, w->arena,
				  lean ? &scratch : NULL);
		grew = w->arena->total - before;
	}
	arena_release(&scratch);
}

static int customers_compare(const void *a, const void *b)
{
	return strcmp(((const struct customers_slot *)a)->customer.id,
		      ((const struct customers_slot *)b)->customer.id);
}

/* Applies the naming rules to one directory entry; adds a slot for a spec to load. */
static void customers_consider(const struct source *src, const char *name, enum source_kind kind,
			       struct customers_slot **slots, size_t *count, size_t *cap, struct error_list *errors)
{
	size_t len = strlen(name);
	if (name[0] == '.')
		return;
	int yaml = len > 5 && strcmp(name + len - 5, ".yaml") == 0;
	int yml = len > 4 && strcmp(name + len - 4, ".yml") == 0;
	if (!yaml && !yml)
		return;
	struct buf relative = BUF_INIT, path = BUF_INIT;
	buf_printf(&relative, CUSTOMERS_DIR "/%s", name);
	source_name(src, relative.ptr, &path);
	if (kind == SOURCE_UNREADABLE) {
		customers_unreadable(errors, path.ptr, errno);
		goto out;
	}
	if (kind == SOURCE_NONE) {
		customers_report(errors, path.ptr, "cannot read: %s", "it disappeared while stamp ran");
		goto out;
	}
	if (kind == SOURCE_DIR) {
		customers_report(errors, path.ptr, "%s", "is a directory; a spec is a file customers/<id>.yaml");
		goto out;
	}
	if (yml) {
		struct buf twin = BUF_INIT;
		buf_printf(&twin, CUSTOMERS_DIR "/%.*s.yaml", (int)(len - 4), name);
		enum source_kind twin_kind = src->ops->kind(src, twin.ptr);
		if (twin_kind == SOURCE_UNREADABLE)
			customers_unreadable(errors, twin.ptr, errno);
		else if (twin_kind != SOURCE_NONE)
			customers_report(errors, path.ptr, "has a twin %s; keep only the .yaml file", twin.ptr);
		else
			customers_report(errors, path.ptr, "specs use the .yaml extension; rename it to %s", twin.ptr);
		buf_release(&twin);
		goto out;
	}
	if (!customers_valid_id(name, len - 5)) {
		customers_report(errors, path.ptr, "the file name must be the customer id, a DNS label "
				 "(a-z, 0-9, '-', at most 63, starting and ending with a letter or digit); "
				 "rename it%s", "");
		goto out;
	}
	if (kind == SOURCE_LINK) {
		struct buf target = BUF_INIT;
		struct error err = ERROR_INIT;
		int rc = src->ops->link_target(src, relative.ptr, &target, &err);
		if (rc < 0)
			customers_report(errors, path.ptr, "is a symlink that leads nowhere (%s); replace it "
					 "with the spec", err.message);
		else if (rc > 0)
			customers_report(errors, path.ptr, "is a symlink to %s, outside the repository; "
					 "replace it with the spec", target.ptr);
		error_clear(&err);
		buf_release(&target);
		if (rc != 0)
			goto out;
	}
	*slots = array_grow(*slots, cap, *count, sizeof **slots, 64);
	struct customers_slot *slot = &(*slots)[(*count)++];
	memset(slot, 0, sizeof *slot);
	slot->customer.id = customers_strdup(name);
	slot->customer.id[len - 5] = 0;
	slot->customer.file = buf_detach(&path, NULL);
out:
	buf_release(&relative);
	buf_release(&path);
}

/* ---- uniqueness across customers -------------------------------------------------------- */

struct customers_claim {
	const char *text; /* lowercased, in the table's arena */
	size_t len;
	const struct value *where;
	const struct customer *owner;
};

static uint64_t customers_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return h;
}

static void customers_claim(struct customers_claim *table, size_t cap, struct arena *texts, const char *name,
			    const struct value *v, const struct customer *owner, struct error_list *errors)
{
	char *lower = arena_alloc(texts, v->as.string.len + 1);
	for (size_t i = 0; i < v->as.string.len; i++) {
		char ch = v->as.string.ptr[i];
		lower[i] = ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
	}
	lower[v->as.string.len] = 0;
	size_t i = (size_t)(customers_hash(lower, v->as.string.len) & (cap - 1));
	while (table[i].text) {
		if (table[i].len == v->as.string.len && memcmp(table[i].text, lower, table[i].len) == 0) {
			const struct value *prior = table[i].where;
			if (table[i].owner == owner && prior->line && v->line &&
			    (prior->line != v->line || prior->col != v->col)) {
				/* the same customer twice, in two places (two services, one domain) */
				struct error err = ERROR_INIT;
				struct buf shown = BUF_INIT;
				error_quote_value(&shown, v->as.string.ptr, v->as.string.len, 80);
				error_set(&err, v->file ? v->file : owner->file, v->line, v->col, "%s: \"%s\" is also "
					  "claimed at line %u of this spec; each must be claimed once, remove one", name,
					  shown.ptr, prior->line);
				error_list_take(errors, &err);
				buf_release(&shown);
			} else if (table[i].owner != owner) {
				const struct value *first = table[i].where;
				struct error err = ERROR_INIT;
				struct buf shown = BUF_INIT, at = BUF_INIT;
				error_quote_value(&shown, v->as.string.ptr, v->as.string.len, 80);
				/* a value with no line is a default the spec does not write (the
				 * subdomain from the file name): say so, so the fix is clear */
				buf_add_str(&at, first->file ? first->file : table[i].owner->file);
				if (first->line)
					buf_printf(&at, ":%u:%u (customer %s)", first->line, first->col, table[i].owner->id);
				else
					buf_printf(&at, " (customer %s, by default: its spec does not set it)",
						   table[i].owner->id);
				error_set(&err, v->file ? v->file : owner->file, v->line, v->col,
					  "%s: \"%s\"%s is already claimed by %s; each must belong to one customer, "
					  "%s", name, shown.ptr, v->line ? "" : " (by default: this spec does not set it)",
					  at.ptr, !v->line || !first->line ? "change one of them (setting the field in a spec overrides its default)" : "change one of them");
				buf_release(&at);
				error_list_take(errors, &err);
				buf_release(&shown);
			}
			return;
		}
		i = (i + 1) & (cap - 1);
	}
	table[i].text = lower;
	table[i].len = v->as.string.len;
	table[i].where = v;
	table[i].owner = owner;
}

/* Every string a unique: entry names in one customer's values: a value's name (a string,
 * or a list of strings), or a path through lists, "services[].domains[]". */
struct customers_found {
	struct { const struct value *value; const struct customer *owner; } *items;
	size_t count, cap;
};

static void customers_collect(const struct value *v, const char *path, const struct customer *owner,
			      struct customers_found *found)
{
	if (!*path) {
		size_t n = v->type == VALUE_LIST ? v->as.list.count : 1;
		for (size_t k = 0; k < n; k++) {
			const struct value *item = v->type == VALUE_LIST ? v->as.list.items[k] : v;
			if (item->type != VALUE_STRING)
				continue;
			found->items = array_grow(found->items, &found->cap, found->count, sizeof *found->items, 64);
			found->items[found->count].value = item;
			found->items[found->count++].owner = owner;
		}
		return;
	}
	const char *dot = strchr(path, '.');
	size_t len = dot ? (size_t)(dot - path) : strlen(path);
	const char *rest = dot ? dot + 1 : path + len;
	int each = len > 2 && memcmp(path + len - 2, "[]", 2) == 0;
	const struct value *x = value_map_get(v, path, each ? len - 2 : len);
	if (!x)
		return;
	if (!each) {
		customers_collect(x, rest, owner, found);
		return;
	}
	for (size_t k = 0; x->type == VALUE_LIST && k < x->as.list.count; k++)
		customers_collect(x->as.list.items[k], rest, owner, found);
}

static void customers_check_unique(struct customers *c, const struct manifest *m)
{
	if (!m->unique || m->unique->type != VALUE_LIST)
		return;
	for (size_t u = 0; u < m->unique->as.list.count; u++) {
		const struct value *name = m->unique->as.list.items[u];
		if (name->type != VALUE_STRING)
			continue;
		struct customers_found found = { 0 };
		for (size_t i = 0; i < c->count; i++)
			if (c->items[i].values)
				customers_collect(c->items[i].values, name->as.string.ptr, &c->items[i], &found);
		/* open addressing, at most half full */
		size_t cap = 64;
		while (cap < found.count * 2)
			cap *= 2;
		struct customers_claim *table = calloc(cap, sizeof *table);
		if (!table)
			alloc_failed();
		struct arena texts = ARENA_INIT;
		for (size_t k = 0; k < found.count; k++)
			customers_claim(table, cap, &texts, name->as.string.ptr, found.items[k].value, found.items[k].owner,
					&c->errors);
		arena_release(&texts);
		free(table);
		free(found.items);
	}
}

/* A reused customer read from its spec after all: the same bytes (or an error), parsed
 * and validated, with a summary of its own. */
static void customers_parse_again(struct customers *c, const struct manifest *m, const struct source *src, size_t i)
{
	struct customer *x = &c->items[i];
	struct customers_slot slot = { *x, ERROR_LIST_INIT };
	slot.customer.values = NULL;
	struct customers_reuse again = { .keys = c->keys };
	customers_process(&slot, m, c->channels, src, c->keys ? &again : NULL, &c->arenas[0], NULL);
	slot.customer.lean = 0;
	*x = slot.customer;
	error_list_append(&c->errors, &slot.errors);
}

struct customers_expand_job {
	struct customers *customers;
	const struct manifest *manifest;
	size_t next;
	pthread_mutex_t lock;
};

static void customers_expand_main(void *arg, size_t worker)
{
	struct customers_expand_job *job = arg;
	struct customers *c = job->customers;
	for (;;) {
		pthread_mutex_lock(&job->lock);
		size_t start = job->next;
		job->next += 256; /* a summary decodes in about a microsecond: take a batch */
		pthread_mutex_unlock(&job->lock);
		if (start >= c->count)
			return;
		for (size_t i = start; i < c->count && i < start + 256; i++) {
			struct customer *x = &c->items[i];
			struct value *v;
			if (!(x->reused || x->lean) || x->values ||
			    summary_decode(&c->arenas[worker], x->summary, x->summary_len, x->file,
					   customers_manifest(c, job->manifest, x), &v) < 0)
				continue;
			const struct value *id = value_map_get(v, "id", 2);
			if (strcmp(id->as.string.ptr, x->id) == 0)
				x->values = v;
		}
	}
}

/* Decodes the summaries, on the threads the load used; one that does not decode (or
 * names another customer) is parsed from its spec afterwards, on this thread. */
static void customers_expand_into(struct customers *c, const struct manifest *m, const struct source *src)
{
	if (c->expanded)
		return;
	c->expanded = 1;
	struct customers_expand_job job = { c, m, 0, PTHREAD_MUTEX_INITIALIZER };
	pool_run(c->arena_count, customers_expand_main, &job);
	for (size_t i = 0; i < c->count; i++)
		if ((c->items[i].reused || c->items[i].lean) && !c->items[i].values)
			customers_parse_again(c, m, src, i);
}

int customers_parse(struct customers *c, const struct manifest *m, const struct source *src, size_t index)
{
	struct customer *x = &c->items[index];
	if (x->reused && !x->spec)
		customers_parse_again(c, m, src, index);
	return x->values ? 0 : -1;
}

int customers_load(struct customers *out, const struct manifest *m, const struct channels *channels,
		   const struct source *src, int jobs, const char *only, const struct customers_reuse *reuse)
{
	memset(out, 0, sizeof *out);
	out->channels = channels;
	char **names = NULL;
	enum source_kind *kinds = NULL;
	size_t name_count = 0;
	struct error err = ERROR_INIT;
	if (src->ops->list(src, CUSTOMERS_DIR, &names, &kinds, &name_count, &err) < 0) {
		error_list_take(&out->errors, &err);
		return -1;
	}
	struct customers_slot *slots = NULL;
	size_t count = 0, cap = 0;
	for (size_t i = 0; i < name_count; i++) {
		const char *name = names[i];
		size_t n = only ? strlen(only) : 0;
		if (!only || (strncmp(name, only, n) == 0 && strcmp(name + n, ".yaml") == 0))
			customers_consider(src, name, kinds[i], &slots, &count, &cap, &out->errors);
		free(names[i]);
	}
	free(names);
	free(kinds);
	if (count)
		qsort(slots, count, sizeof *slots, customers_compare);

	size_t workers = pool_threads(jobs);
	if (workers > count)
		workers = count ? count : 1;
	out->arena_count = workers;
	out->arenas = alloc_check(calloc(workers, sizeof *out->arenas));
	out->keys = reuse ? reuse->keys : NULL;
	struct customers_job job = { m, channels, src, reuse, slots, count, 0, 0, PTHREAD_MUTEX_INITIALIZER };
	struct customers_worker *ws = alloc_check(calloc(workers, sizeof *ws));
	for (size_t i = 0; i < workers; i++) {
		ws[i].job = &job;
		ws[i].arena = &out->arenas[i];
	}
	pool_run(workers, customers_worker_main, ws);
	free(ws);
	out->held = job.held;

	out->items = calloc(count ? count : 1, sizeof *out->items);
	if (!out->items)
		alloc_failed();
	out->count = count;
	size_t as_before = 0;
	for (size_t i = 0; i < count; i++) {
		out->items[i] = slots[i].customer;
		out->reused += (size_t)out->items[i].reused;
		out->lean += (size_t)out->items[i].lean;
		as_before += (size_t)out->items[i].summary_as_before;
		error_list_append(&out->errors, &slots[i].errors);
	}
	free(slots);
	/* the rules across customers held for the customers of the last render among
	 * themselves (it checked them, with the same rules): a reused one, or a parsed one
	 * whose summary, which holds every value those rules read, is as it was. Any other
	 * parsed one is checked against all */
	if (out->reused + as_before < out->count) {
		if (out->reused || out->lean)
			customers_expand_into(out, m, src);
		customers_check_unique(out, m);
	}
	error_list_sort(&out->errors);
	return out->errors.count ? 1 : 0;
}

int customers_expand(struct customers *c, const struct manifest *m, const struct source *src)
{
	customers_expand_into(c, m, src);
	error_list_sort(&c->errors);
	return c->errors.count ? 1 : 0;
}

int customers_values(const struct customers *c, const struct manifest *m, const struct source *src, size_t index,
		     struct arena *arena, struct value **values, struct error_list *errors)
{
	struct customers_slot slot = { c->items[index], ERROR_LIST_INIT };
	slot.customer.values = NULL;
	slot.customer.spec = NULL;
	slot.customer.lean = 1; /* its bytes are known: they must hash the same */
	customers_process(&slot, m, c->channels, src, NULL, arena, NULL);
	*values = slot.customer.values;
	error_list_append(errors, &slot.errors);
	return *values ? 0 : -1;
}

static int customers_compare_id(const void *key, const void *item)
{
	return strcmp(key, ((const struct customer *)item)->id);
}

const struct customer *customers_find(const struct customers *c, const char *id)
{
	return c->count ? bsearch(id, c->items, c->count, sizeof *c->items, customers_compare_id) : NULL;
}

void customers_release(struct customers *c)
{
	for (size_t i = 0; i < c->count; i++) {
		free(c->items[i].id);
		free(c->items[i].file);
	}
	free(c->items);
	for (size_t i = 0; i < c->arena_count; i++)
		arena_release(&c->arenas[i]);
	free(c->arenas);
	error_list_release(&c->errors);
	memset(c, 0, sizeof *c);
}
