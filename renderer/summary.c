/* Summaries: which keys, and the one-line text (see summary.h for the format). The
 * decoder trusts nothing: out/.stamp-manifest is a file anyone can edit, so every count,
 * number and escape is checked, nesting is bounded, and any doubt is a -1 that sends the
 * caller back to the spec. */
#include "summary.h"

#include "alloc.h"
#include "arena.h"
#include "array.h"
#include "buf.h"
#include "channel.h"
#include "manifest.h"
#include "output.h"
#include "value.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SUMMARY_MAX_DEPTH 64

/* ---- which keys ----------------------------------------------------------------------- */

static void summary_add_key(void *data, const char *name, size_t len)
{
	struct summary_keys *k = data;
	if (summary_keeps(k, name, len))
		return;
	size_t cap = k->count; /* grown one at a time: a template set names a few keys */
	k->names = array_grow(k->names, &cap, k->count, sizeof *k->names, 1);
	k->names[k->count++] = alloc_check(strndup(name, len));
	for (size_t i = k->count - 1; i > 0 && strcmp(k->names[i - 1], k->names[i]) > 0; i--) {
		char *t = k->names[i];
		k->names[i] = k->names[i - 1];
		k->names[i - 1] = t;
	}
}

/* What a per-customer output's when: reads decides whether it is rendered, so whether
 * its path is one of the customer's: the first key of each. */
static void summary_add_when(struct summary_keys *k, const struct output_def *d)
{
	for (size_t w = 0; w < d->when_count; w++)
		summary_add_key(k, d->when[w].path, strcspn(d->when[w].path, "."));
}

/* What the outputs of os name in their paths and when: (a render of more customers than
 * it keeps the values of learns their paths from their summaries: customers.h); with
 * aggregates, also the paths and templates of the outputs over all customers (only the
 * default channel's set renders those). */
static void summary_add_outputs(struct summary_keys *k, const struct output_set *os, int aggregates)
{
	for (size_t i = 0; i < os->count && !k->all; i++) {
		const struct output_def *d = &os->defs[i];
		if ((!d->over_all || aggregates) &&
		    (tmpl_names(d->path, summary_add_key, k) < 0 ||
		     (d->over_all && tmpl_names(d->template, summary_add_key, k) < 0)))
			k->all = 1;
		summary_add_when(k, d);
	}
}

void summary_keys_init(struct summary_keys *k, const struct manifest *m, const struct output_set *os)
{
	memset(k, 0, sizeof *k);
	/* an output over all customers that reads hashes renders each customer's paths, or
	 * its outputs, to learn them: that takes everything */
	k->all = os->aggregates_use_hashes;
	summary_add_outputs(k, os, 1);
	for (size_t u = 0; m->unique && m->unique->type == VALUE_LIST && u < m->unique->as.list.count; u++) {
		const struct value *name = m->unique->as.list.items[u];
		if (name->type != VALUE_STRING)
			continue;
		summary_add_key(k, name->as.string.ptr, strcspn(name->as.string.ptr, ".["));
	}
}

void summary_keys_init_channels(struct summary_keys *k, const struct channels *ch)
{
	const struct channel_set *main = channels_default_set(ch);
	summary_keys_init(k, main->manifest, main->outputs);
	for (size_t s = 0; s < ch->set_count; s++)
		summary_add_outputs(k, ch->sets[s].outputs, 0);
}

void summary_keys_release(struct summary_keys *k)
{
	for (size_t i = 0; i < k->count; i++)
		free(k->names[i]);
	free(k->names);
	memset(k, 0, sizeof *k);
}

int summary_keeps(const struct summary_keys *k, const char *key, size_t len)
{
	if (k->all)
		return 1;
	for (size_t i = 0; i < k->count; i++)
		if (strlen(k->names[i]) == len && memcmp(k->names[i], key, len) == 0)
			return 1;
	return 0;
}

/* ---- encoding -------------------------------------------------------------------------- */

static void summary_escape(struct buf *out, const char *s, size_t len, int colon)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7f || c == '%' || (colon && c == ':')) {
			buf_add_char(out, '%');
			buf_add_char(out, hex[c >> 4]);
			buf_add_char(out, hex[c & 15]);
		} else {
			buf_add_char(out, (char)c);
		}
	}
}

static void summary_encode_position(struct buf *out, const struct value *v, const char *file);

static void summary_encode_node(struct buf *out, const struct value *v, const char *file)
{
	summary_encode_position(out, v, file);
	switch (v->type) {
	case VALUE_NULL:
		buf_add_char(out, 'n');
		break;
	case VALUE_BOOL:
		buf_add_char(out, v->as.boolean ? 'T' : 'F');
		break;
	case VALUE_INT:
		buf_printf(out, "i%" PRId64, v->as.integer);
		break;
	case VALUE_FLOAT:
		buf_printf(out, "r%a", v->as.real);
		break;
	case VALUE_STRING:
		buf_add_char(out, 's');
		summary_escape(out, v->as.string.ptr, v->as.string.len, 0);
		break;
	case VALUE_LIST:
		buf_printf(out, "l%zu", v->as.list.count);
		for (size_t i = 0; i < v->as.list.count; i++) {
			buf_add_char(out, ' ');
			summary_encode_node(out, v->as.list.items[i], file);
		}
		break;
	case VALUE_MAP:
		buf_printf(out, "m%zu", v->as.map.count);
		for (size_t i = 0; i < v->as.map.count; i++) {
			buf_add_char(out, ' ');
			summary_encode_node(out, v->as.map.entries[i].key, file);
			buf_add_char(out, ' ');
			summary_encode_node(out, v->as.map.entries[i].value, file);
		}
		break;
	}
}

static void summary_encode_position(struct buf *out, const struct value *v, const char *file)
{
	if (v->file && strcmp(v->file, file) == 0) {
		buf_printf(out, "@%u:%u", v->line, v->col);
	} else if (v->file) {
		buf_printf(out, "=%u:%u:", v->line, v->col);
		summary_escape(out, v->file, strlen(v->file), 1);
		buf_add_char(out, ':');
	} else if (v->line || v->col) {
		buf_printf(out, "~%u:%u", v->line, v->col);
	}
}

/* Is this entry of a customer's values in its summary? */
static int summary_entry_kept(const struct summary_keys *k, const struct manifest *m, const struct value_entry *e)
{
	const struct value *key = e->key;
	return e->value == m->platform || e->value == m->deploy.values ||
	       (key->as.string.len == 2 && memcmp(key->as.string.ptr, "id", 2) == 0) ||
	       summary_keeps(k, key->as.string.ptr, key->as.string.len);
}

void summary_encode(const struct summary_keys *k, const struct manifest *m, const struct value *values,
		    const char *file, struct buf *out)
{
	size_t kept = 0;
	for (size_t i = 0; i < values->as.map.count; i++)
		kept += summary_entry_kept(k, m, &values->as.map.entries[i]);
	summary_encode_position(out, values, file);
	buf_printf(out, "m%zu", kept);
	for (size_t i = 0; i < values->as.map.count; i++) {
		const struct value_entry *e = &values->as.map.entries[i];
		if (!summary_entry_kept(k, m, e))
			continue;
		buf_add_char(out, ' ');
		summary_encode_node(out, e->key, file);
		buf_add_char(out, ' ');
		if (e->value == m->platform)
			buf_add_char(out, 'P');
		else if (e->value == m->deploy.values)
			buf_add_char(out, 'D');
		else
			summary_encode_node(out, e->value, file);
	}
}

/* ---- decoding -------------------------------------------------------------------------- */

struct summary_reader {
	const char *p, *end;
	struct arena *arena;
	const char *file;
	const struct manifest *m;
};

/* The next token, and the blank after it (or the end). */
static int summary_token(struct summary_reader *r, const char **tok, size_t *len)
{
	if (r->p >= r->end)
		return -1;
	const char *blank = memchr(r->p, ' ', (size_t)(r->end - r->p));
	const char *stop = blank ? blank : r->end;
	if (stop == r->p)
		return -1; /* two blanks, or one at the start */
	*tok = r->p;
	*len = (size_t)(stop - r->p);
	r->p = blank ? blank + 1 : r->end;
	if (blank && r->p == r->end)
		return -1; /* a blank at the end */
	return 0;
}

static int summary_number(const char **p, const char *end, unsigned *out)
{
	unsigned long long n = 0;
	const char *start = *p;
	while (*p < end && **p >= '0' && **p <= '9' && *p - start < 10)
		n = n * 10 + (unsigned long long)(*(*p)++ - '0');
	if (*p == start || n > 0xffffffffull)
		return -1;
	*out = (unsigned)n;
	return 0;
}

static int summary_hex(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Unescapes s..end into the arena; a ':' ends a file name (*stop set) when stop is given. */
static char *summary_unescape(struct arena *arena, const char *s, const char *end, const char **stop, size_t *len)
{
	char *out = arena_alloc(arena, (size_t)(end - s) + 1);
	size_t n = 0;
	const char *p = s;
	for (; p < end; p++) {
		unsigned char c = (unsigned char)*p;
		if (stop && c == ':')
			break;
		if (c == '%') {
			if (end - p < 3 || summary_hex(p[1]) < 0 || summary_hex(p[2]) < 0)
				return NULL;
			out[n++] = (char)(summary_hex(p[1]) << 4 | summary_hex(p[2]));
			p += 2;
		} else if (c <= 0x20 || c >= 0x7f) {
			return NULL;
		} else {
			out[n++] = (char)c;
		}
	}
	if (stop) {
		if (p == end)
			return NULL;
		*stop = p;
	}
	out[n] = 0;
	*len = n;
	return out;
}

static int summary_decode_node(struct summary_reader *r, int depth, int top_value, struct value **out)
{
	const char *t, *e;
	size_t len;
	if (depth > SUMMARY_MAX_DEPTH || summary_token(r, &t, &len) < 0)
		return -1;
	e = t + len;
	const char *file = NULL;
	unsigned line = 0, col = 0;
	if (*t == '@' || *t == '~' || *t == '=') {
		char kind = *t++;
		if (summary_number(&t, e, &line) < 0 || t >= e || *t++ != ':' || summary_number(&t, e, &col) < 0)
			return -1;
		if (kind == '@') {
			file = r->file;
		} else if (kind == '=') {
			size_t n;
			if (t >= e || *t++ != ':' || !(file = summary_unescape(r->arena, t, e, &t, &n)))
				return -1;
			t++; /* the ':' after the name */
		}
	}
	if (t >= e)
		return -1;
	char type = *t++;
	size_t rest = (size_t)(e - t);
	struct value *v;
	switch (type) {
	case 'P':
	case 'D':
		if (!top_value || rest || file || line || col)
			return -1;
		*out = (struct value *)(type == 'P' ? r->m->platform : r->m->deploy.values);
		return *out ? 0 : -1;
	case 'n':
	case 'T':
	case 'F':
		if (rest)
			return -1;
		v = value_new(r->arena, type == 'n' ? VALUE_NULL : VALUE_BOOL, file, line, col);
		v->as.boolean = type == 'T';
		break;
	case 'i':
	case 'r': {
		char number[64];
		if (!rest || rest >= sizeof number)
			return -1;
		memcpy(number, t, rest);
		number[rest] = 0;
		char *stop;
		errno = 0;
		v = value_new(r->arena, type == 'i' ? VALUE_INT : VALUE_FLOAT, file, line, col);
		if (type == 'i')
			v->as.integer = strtoll(number, &stop, 10);
		else
			v->as.real = strtod(number, &stop);
		if (errno || *stop || (type == 'r' && !isfinite(v->as.real)))
			return -1;
		break;
	}
	case 's': {
		size_t n;
		char *s = summary_unescape(r->arena, t, e, NULL, &n);
		if (!s)
			return -1;
		v = value_new(r->arena, VALUE_STRING, file, line, col);
		v->as.string.ptr = s;
		v->as.string.len = n;
		break;
	}
	case 'l':
	case 'm': {
		unsigned count;
		if (summary_number(&t, e, &count) < 0 || t != e)
			return -1;
		size_t nodes = (size_t)count * (type == 'm' ? 2 : 1);
		/* each node takes at least two bytes: a count larger than what is left is a lie */
		if (nodes > (size_t)(r->end - r->p) / 2 + 1)
			return -1;
		v = value_new(r->arena, type == 'l' ? VALUE_LIST : VALUE_MAP, file, line, col);
		if (type == 'l') {
			v->as.list.items = arena_alloc(r->arena, (count + 1) * sizeof *v->as.list.items);
			for (unsigned i = 0; i < count; i++)
				if (summary_decode_node(r, depth + 1, 0, &v->as.list.items[i]) < 0)
					return -1;
			v->as.list.count = count;
		} else {
			v->as.map.entries = arena_alloc(r->arena, (count + 1) * sizeof *v->as.map.entries);
			for (unsigned i = 0; i < count; i++) {
				struct value_entry *entry = &v->as.map.entries[i];
				if (summary_decode_node(r, depth + 1, 0, &entry->key) < 0 || entry->key->type != VALUE_STRING ||
				    summary_decode_node(r, depth + 1, depth == 0, &entry->value) < 0)
					return -1;
			}
			v->as.map.count = count;
		}
		break;
	}
	default:
		return -1;
	}
	*out = v;
	return 0;
}

int summary_spec_only(const char *text, size_t len)
{
	/* a token starts the text or follows a blank, and blanks inside strings and file
	 * names are escaped, so " =" is only ever a position naming another file */
	if (len && text[0] == '=')
		return 0;
	for (const char *p = text, *end = text + len; (p = memchr(p, ' ', (size_t)(end - p))) && p + 1 < end; p++)
		if (p[1] == '=')
			return 0;
	return 1;
}

int summary_decode(struct arena *arena, const char *text, size_t len, const char *file,
		   const struct manifest *m, struct value **out)
{
	struct summary_reader r = { text, text + len, arena, file, m };
	struct value *v;
	if (summary_decode_node(&r, 0, 0, &v) < 0 || r.p != r.end || v->type != VALUE_MAP)
		return -1;
	const struct value *id = value_map_get(v, "id", 2);
	if (!id || id->type != VALUE_STRING)
		return -1;
	*out = v;
	return 0;
}
