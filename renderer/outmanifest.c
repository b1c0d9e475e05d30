/* The manifest's text format, one record a line, sorted so that the file diffs well:
 *   stamp-manifest 1
 *   version <stamp version>
 *   set <hash>
 *   channel <name> <hash> <commit | WORKTREE>
 *   customer <id> <hash> [^<channel>] [<summary>]
 *   file <hash> <owner> <path>
 * Fields are cut out of the text in place with NULs. Format 1 had no summaries; it is
 * still read (each customer is then parsed once, and the next render writes format 2).
 * The channels, and the channel a customer followed, are written only when channels are
 * declared. */
#include "outmanifest.h"

#include "alloc.h"
#include "array.h"
#include "buf.h"
#include "customers.h"
#include "error.h"
#include "outpath.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The version: printable, no blank (the fields are blank-separated). */
static int outmanifest_word_ok(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

static int outmanifest_compare_customers(const void *a, const void *b)
{
	return strcmp(((const struct outmanifest_customer *)a)->id, ((const struct outmanifest_customer *)b)->id);
}

static int outmanifest_compare_files(const void *a, const void *b)
{
	return strcmp(((const struct outmanifest_file *)a)->path, ((const struct outmanifest_file *)b)->path);
}

/* 1 in strict order, 0 out of order, -1 in order with a repeat. */
static int outmanifest_ordered_files(const struct outmanifest *m)
{
	int repeat = 0;
	for (size_t i = 1; i < m->file_count; i++) {
		int c = strcmp(m->files[i - 1].path, m->files[i].path);
		if (c > 0)
			return 0;
		repeat |= c == 0;
	}
	return repeat ? -1 : 1;
}

static int outmanifest_ordered_customers(const struct outmanifest *m)
{
	int repeat = 0;
	for (size_t i = 1; i < m->customer_count; i++) {
		int c = strcmp(m->customers[i - 1].id, m->customers[i].id);
		if (c > 0)
			return 0;
		repeat |= c == 0;
	}
	return repeat ? -1 : 1;
}

/* One line, NUL-terminated; NULL when it is fine, else what is wrong with it. */
static const char *outmanifest_line(struct outmanifest *m, char *p, size_t n, unsigned line)
{
	if (line == 1)
		return strcmp(p, "stamp-manifest " OUTMANIFEST_FORMAT) == 0 || strcmp(p, "stamp-manifest 1") == 0
		       ? NULL : "is not a stamp manifest (or of a newer format)";
	if (n > 8 && memcmp(p, "version ", 8) == 0) {
		if (m->version)
			return "names the version twice";
		m->version = p + 8;
		return outmanifest_word_ok(m->version) ? NULL : "has a malformed version";
	}
	if (n == 4 + HASH_HEX_LEN && memcmp(p, "set ", 4) == 0)
		return hash_parse(p + 4, HASH_HEX_LEN, &m->set_hash) < 0 ? "has a malformed hash" : NULL;
	if (n > 8 && memcmp(p, "channel ", 8) == 0) {
		char *name = p + 8, *hash = strchr(name, ' ');
		char *commit = hash && strlen(hash) > 1 + HASH_HEX_LEN + 1 ? hash + 1 + HASH_HEX_LEN : NULL;
		if (!commit || *commit != ' ')
			return "is not 'channel <name> <hash> <commit>'";
		*hash++ = 0;
		*commit++ = 0;
		struct outmanifest_channel c = { NULL, { 0, 0 }, NULL };
		if (!customers_valid_id(name, strlen(name)) || outmanifest_channel(m, name))
			return "has a malformed or repeated channel name";
		if (hash_parse(hash, HASH_HEX_LEN, &c.set) < 0)
			return "has a malformed hash";
		if (!outmanifest_word_ok(commit))
			return "has a malformed commit";
		size_t cap = m->channel_count;
		m->channels = array_grow(m->channels, &cap, m->channel_count, sizeof *m->channels, 1);
		c.name = alloc_check(strdup(name));
		c.commit = alloc_check(strdup(commit));
		m->channels[m->channel_count++] = c;
		return NULL;
	}
	if (n > 9 + HASH_HEX_LEN + 1 && memcmp(p, "customer ", 9) == 0) {
		struct outmanifest_customer *c = &m->customers[m->customer_count++];
		c->id = p + 9;
		char *hash = strchr(c->id, ' ');
		if (!hash || (size_t)(p + n - hash) < 1 + HASH_HEX_LEN ||
		    (hash[1 + HASH_HEX_LEN] != 0 && hash[1 + HASH_HEX_LEN] != ' '))
			return "is not 'customer <id> <hash> [^<channel>] [<summary>]'";
		*hash++ = 0;
		c->channel = NULL;
		c->summary = NULL;
		c->summary_len = 0;
		if (hash[HASH_HEX_LEN] == ' ') {
			hash[HASH_HEX_LEN] = 0;
			char *rest = hash + HASH_HEX_LEN + 1;
			if (*rest == '^') { /* the channel it followed */
				c->channel = rest + 1;
				rest = strchr(rest, ' ');
				if (rest)
					*rest++ = 0;
				if (!customers_valid_id(c->channel, strlen(c->channel)))
					return "has a malformed channel name";
			}
			if (rest && *rest) {
				c->summary = rest;
				c->summary_len = (size_t)(p + n - c->summary);
			}
		}
		if (!customers_valid_id(c->id, strlen(c->id)))
			return "has a malformed customer id";
		return hash_parse(hash, HASH_HEX_LEN, &c->input) < 0 ? "has a malformed hash" : NULL;
	}
	if (n > 5 + HASH_HEX_LEN + 2 && memcmp(p, "file ", 5) == 0 && p[5 + HASH_HEX_LEN] == ' ') {
		struct outmanifest_file *f = &m->files[m->file_count++];
		char *owner = p + 5 + HASH_HEX_LEN + 1;
		char *space = strchr(owner, ' ');
		if (hash_parse(p + 5, HASH_HEX_LEN, &f->hash) < 0)
			return "has a malformed hash";
		if (!space)
			return "is not 'file <hash> <owner> <path>'";
		*space = 0;
		f->owner = owner;
		f->path = space + 1;
		if (strcmp(owner, "-") != 0 && !customers_valid_id(owner, strlen(owner)))
			return "has a malformed owner";
		const char *problem = outpath_problem(f->path, strlen(f->path));
		if (problem)
			return "names a path that is not a plain path under out/";
		return NULL;
	}
	return n ? "is not a manifest record" : NULL;
}

/* Moves len bytes of a record just parsed to *w, over what the lines before it no longer
 * need, and NUL-terminates them there. */
static char *outmanifest_move(char **w, const char *s, size_t len)
{
	char *to = *w;
	memmove(to, s, len);
	to[len] = 0;
	*w += len + 1;
	return to;
}

/* Once a line is parsed, its strings move down to *w: the words "file" and "customer"
 * and the hex hashes, which the records hold in binary, are gone, and a file's owner
 * when it is the file before's is kept once. A manifest of 1.4 million files (100,000
 * customers) keeps 60 of its 116 MB. Nothing of a line is read after it is parsed, and
 * *w never passes it. */
static void outmanifest_compact(struct outmanifest *m, char **w, size_t customers, size_t files, int version)
{
	if (version)
		m->version = outmanifest_move(w, m->version, strlen(m->version));
	if (m->customer_count > customers) {
		struct outmanifest_customer *c = &m->customers[m->customer_count - 1];
		c->id = outmanifest_move(w, c->id, strlen(c->id));
		if (c->channel)
			c->channel = outmanifest_move(w, c->channel, strlen(c->channel));
		if (c->summary)
			c->summary = outmanifest_move(w, c->summary, c->summary_len);
	}
	if (m->file_count > files) {
		struct outmanifest_file *f = &m->files[m->file_count - 1];
		const struct outmanifest_file *before = files ? &m->files[files - 1] : NULL;
		size_t owner = strlen(f->owner), path = strlen(f->path);
		if (before && strcmp(before->owner, f->owner) == 0)
			f->owner = before->owner;
		else
			f->owner = outmanifest_move(w, f->owner, owner);
		f->path = outmanifest_move(w, f->path, path);
	}
}

/* The text shrunk to what the records point to; they point into it again if it moved. */
static void outmanifest_shrink(struct outmanifest *m, size_t used)
{
	uintptr_t before = (uintptr_t)m->text;
	char *text = realloc(m->text, used ? used : 1);
	if (!text || (uintptr_t)text == before) {
		m->text = text ? text : m->text;
		return;
	}
	m->text = text;
#define OUTMANIFEST_MOVED(ptr) ((ptr) = text + ((uintptr_t)(ptr) - before))
	if (m->version)
		OUTMANIFEST_MOVED(m->version);
	for (size_t i = 0; i < m->customer_count; i++) {
		OUTMANIFEST_MOVED(m->customers[i].id);
		if (m->customers[i].channel)
			OUTMANIFEST_MOVED(m->customers[i].channel);
		if (m->customers[i].summary)
			OUTMANIFEST_MOVED(m->customers[i].summary);
	}
	for (size_t i = 0; i < m->file_count; i++) {
		OUTMANIFEST_MOVED(m->files[i].path);
		OUTMANIFEST_MOVED(m->files[i].owner);
	}
#undef OUTMANIFEST_MOVED
}

int outmanifest_parse(struct outmanifest *m, char *text, const char *name, struct error *err)
{
	memset(m, 0, sizeof *m);
	m->text = text;
	size_t lines = 1;
	size_t length = strlen(m->text);
	for (const char *c = m->text, *end = m->text + length; (c = memchr(c, '\n', (size_t)(end - c))); c++)
		lines++;
	m->customers = alloc_check(malloc(lines * sizeof *m->customers));
	m->files = alloc_check(malloc(lines * sizeof *m->files));
	unsigned line = 0;
	char *p = m->text, *w = m->text;
	const char *problem = NULL;
	while (!problem) {
		char *e = memchr(p, '\n', (size_t)(m->text + length - p));
		if (!e && !*p)
			break;
		if (!e)
			e = m->text + length;
		int last = *e == 0;
		*e = 0;
		line++;
		size_t customers = m->customer_count, files = m->file_count;
		const char *version = m->version;
		problem = outmanifest_line(m, p, (size_t)(e - p), line);
		if (!problem)
			outmanifest_compact(m, &w, customers, files, m->version != version);
		if (last)
			break;
		p = e + 1;
	}
	if (!problem)
		outmanifest_shrink(m, (size_t)(w - m->text));
	if (!problem && line == 0)
		problem = "is empty";
	if (!problem && (!m->version || line < 3))
		problem = "ends before its version and set lines";
	if (problem) {
		error_set(err, name, line, 1, "%s; the manifest is damaged: run stamp render, which rebuilds it",
			  problem);
		outmanifest_release(m);
		return -1;
	}
	/* stamp writes them in order: then one pass (one comparison a pair) finds repeats,
	 * and nothing is sorted */
	int files_ordered = outmanifest_ordered_files(m);
	if (files_ordered < 0)
		problem = "names a file twice";
	if (!files_ordered) {
		qsort(m->files, m->file_count, sizeof *m->files, outmanifest_compare_files);
		if (outmanifest_ordered_files(m) < 0)
			problem = "names a file twice";
	}
	int customers_ordered = outmanifest_ordered_customers(m);
	if (!customers_ordered) {
		qsort(m->customers, m->customer_count, sizeof *m->customers, outmanifest_compare_customers);
		customers_ordered = outmanifest_ordered_customers(m);
	}
	if (customers_ordered < 0 && !problem)
		problem = "names a customer twice";
	if (problem) {
		error_set(err, name, 0, 0, "%s; the manifest is damaged: run stamp render, which rebuilds it",
			  problem);
		outmanifest_release(m);
		return -1;
	}
	return 0;
}

const struct outmanifest_channel *outmanifest_channel(const struct outmanifest *m, const char *name)
{
	for (size_t i = 0; i < m->channel_count; i++)
		if (strcmp(m->channels[i].name, name) == 0)
			return &m->channels[i];
	return NULL;
}

void outmanifest_release(struct outmanifest *m)
{
	for (size_t i = 0; i < m->channel_count; i++) {
		free(m->channels[i].name);
		free(m->channels[i].commit);
	}
	free(m->channels);
	free(m->customers);
	free(m->files);
	free(m->text);
	memset(m, 0, sizeof *m);
}

const struct outmanifest_customer *outmanifest_customer(const struct outmanifest *m, const char *id)
{
	struct outmanifest_customer key = { (char *)id, { 0, 0 }, NULL, NULL, 0 };
	if (!m->customer_count)
		return NULL;
	return bsearch(&key, m->customers, m->customer_count, sizeof key, outmanifest_compare_customers);
}

const struct outmanifest_file *outmanifest_file(const struct outmanifest *m, const char *path)
{
	struct outmanifest_file key = { (char *)path, NULL, { 0, 0 } };
	if (!m->file_count)
		return NULL;
	return bsearch(&key, m->files, m->file_count, sizeof key, outmanifest_compare_files);
}

static void outmanifest_file_at(const struct outmanifest *m, size_t i, struct outmanifest_file *out)
{
	if (m->file_at)
		m->file_at(m->file_data, i, out);
	else
		*out = m->files[i];
}

/* The next piece of the text at cursor *at: the header, then the customers and the
 * files, about `room` bytes at a time (a line is never split). */
static int outmanifest_format_piece(const struct outmanifest *m, size_t *at, struct buf *out, size_t room)
{
	char hex[HASH_HEX_LEN + 1];
	size_t start = out->len;
	if (*at == 0) {
		buf_add_str(out, "stamp-manifest " OUTMANIFEST_FORMAT "\n");
		buf_printf(out, "version %s\n", m->version ? m->version : "");
		hash_hex(m->set_hash, hex);
		buf_printf(out, "set %s\n", hex);
		for (size_t i = 0; i < m->channel_count; i++) {
			hash_hex(m->channels[i].set, hex);
			buf_printf(out, "channel %s %s %s\n", m->channels[i].name, hex, m->channels[i].commit);
		}
		(*at)++;
	}
	for (; *at <= m->customer_count && out->len - start < room; (*at)++) {
		const struct outmanifest_customer *c = &m->customers[*at - 1];
		hash_hex(c->input, hex);
		buf_add_str(out, "customer ");
		buf_add_str(out, c->id);
		buf_add_char(out, ' ');
		buf_add(out, hex, HASH_HEX_LEN);
		if (c->channel) {
			buf_add_str(out, " ^");
			buf_add_str(out, c->channel);
		}
		if (c->summary_len) {
			buf_add_char(out, ' ');
			buf_add(out, c->summary, c->summary_len);
		}
		buf_add_char(out, '\n');
	}
	if (*at <= m->customer_count)
		return 1; /* the room is full before the files */
	/* 140,000 file lines on every render that changes anything: the room for a batch is
	 * made once and each line copied in place */
	size_t first = *at - 1 - m->customer_count, last = first;
	size_t total = 0;
	struct outmanifest_file f;
	while (last < m->file_count && out->len - start + total < room) {
		outmanifest_file_at(m, last, &f);
		total += 5 + HASH_HEX_LEN + 1 + strlen(f.owner) + 1 + strlen(f.path) + 1;
		last++;
	}
	if (last == first)
		return first < m->file_count;
	buf_grow(out, total);
	char *p = out->ptr + out->len;
	for (size_t i = first; i < last; i++) {
		outmanifest_file_at(m, i, &f);
		size_t owner = strlen(f.owner), path = strlen(f.path);
		memcpy(p, "file ", 5);
		hash_hex(f.hash, p + 5); /* its NUL is overwritten next */
		p += 5 + HASH_HEX_LEN;
		*p++ = ' ';
		memcpy(p, f.owner, owner);
		p += owner;
		*p++ = ' ';
		memcpy(p, f.path, path);
		p += path;
		*p++ = '\n';
	}
	out->len += total;
	out->ptr[out->len] = 0;
	*at += last - first;
	return last < m->file_count;
}

void outmanifest_format(const struct outmanifest *m, struct buf *out)
{
	size_t at = 0;
	while (outmanifest_format_piece(m, &at, out, (size_t)-1 / 2))
		;
}

int outmanifest_format_next(const struct outmanifest *m, size_t *at, struct buf *out)
{
	return outmanifest_format_piece(m, at, out, OUTMANIFEST_PIECE);
}

static void outmanifest_change_add(struct outmanifest_changes *c, const struct outmanifest_file *f, int removed)
{
	c->items = array_grow(c->items, &c->cap, c->count, sizeof *c->items, 256);
	c->items[c->count++] = (struct outmanifest_change){ f->path, f->owner, removed };
}

void outmanifest_diff(const struct outmanifest *old, const struct outmanifest *new,
		      struct outmanifest_changes *changes)
{
	size_t i = 0, j = 0;
	while (i < old->file_count || j < new->file_count) {
		int order = i == old->file_count ? 1 : j == new->file_count ? -1
			: strcmp(old->files[i].path, new->files[j].path);
		if (order < 0) {
			outmanifest_change_add(changes, &old->files[i++], 1);
		} else if (order > 0) {
			outmanifest_change_add(changes, &new->files[j++], 0);
		} else {
			if (!hash_equal(old->files[i].hash, new->files[j].hash))
				outmanifest_change_add(changes, &new->files[j], 0);
			i++;
			j++;
		}
	}
}
