/* Summaries (summary.h): what is kept of a customer's values survives the trip through
 * the manifest's text exactly (types, bytes, files, lines, columns), what is not kept is
 * left out, and text that is not a summary is refused, never half-read. */
#include "test.h"

#include "arena.h"
#include "buf.h"
#include "manifest.h"
#include "summary.h"
#include "value.h"

#include <stdlib.h>

static const char spec[] = "customers/acme.yaml";
static const char other[] = "templates/odd:name.yaml";

static struct value *key(struct arena *a, const char *name, unsigned line, unsigned col)
{
	return value_new_string(a, name, strlen(name), spec, line, col);
}

/* Two trees are the same: types, scalars, positions and files (by name). */
static int same(const struct value *a, const struct value *b)
{
	if (a == b)
		return 1;
	if (a->type != b->type || a->line != b->line || a->col != b->col || !a->file != !b->file ||
	    (a->file && strcmp(a->file, b->file) != 0))
		return 0;
	switch (a->type) {
	case VALUE_NULL:
		return 1;
	case VALUE_BOOL:
		return a->as.boolean == b->as.boolean;
	case VALUE_INT:
		return a->as.integer == b->as.integer;
	case VALUE_FLOAT:
		return a->as.real == b->as.real;
	case VALUE_STRING:
		return a->as.string.len == b->as.string.len &&
		       memcmp(a->as.string.ptr, b->as.string.ptr, a->as.string.len) == 0 &&
		       a->as.string.ptr[a->as.string.len] == 0;
	case VALUE_LIST:
		if (a->as.list.count != b->as.list.count)
			return 0;
		for (size_t i = 0; i < a->as.list.count; i++)
			if (!same(a->as.list.items[i], b->as.list.items[i]))
				return 0;
		return 1;
	case VALUE_MAP:
		if (a->as.map.count != b->as.map.count)
			return 0;
		for (size_t i = 0; i < a->as.map.count; i++)
			if (!same(a->as.map.entries[i].key, b->as.map.entries[i].key) ||
			    !same(a->as.map.entries[i].value, b->as.map.entries[i].value))
				return 0;
		return 1;
	}
	return 0;
}

int main(void)
{
	struct arena a = ARENA_INIT;
	struct manifest m;
	memset(&m, 0, sizeof m);
	m.platform = value_new_map(&a, other, 1, 1);
	m.deploy.values = value_new_map(&a, other, 2, 1);

	/* a customer's values: id, platform, deploy, then what the templates read and more */
	struct value *values = value_new_map(&a, spec, 1, 1);
	value_map_set(&a, values, key(&a, "id", 1, 1), value_new_string(&a, "acme", 4, spec, 1, 1));
	value_map_set(&a, values, key(&a, "platform", 0, 0), (struct value *)m.platform);
	value_map_set(&a, values, key(&a, "deploy", 0, 0), m.deploy.values);
	struct value *hosts = value_new(&a, VALUE_LIST, NULL, 0, 0);
	static const char odd[] = "a b%c:d\n\x1b\xc3\xa9\x00z";
	struct value *items[3] = { value_new_string(&a, "acme.example.com", 16, NULL, 0, 0),
				   value_new_string(&a, odd, sizeof odd - 1, spec, 4, 11),
				   value_new_string(&a, "", 0, spec, 5, 3) };
	hosts->as.list.items = items;
	hosts->as.list.count = 3;
	value_map_set(&a, values, key(&a, "hosts", 0, 0), hosts);
	struct value *port = value_new(&a, VALUE_INT, other, 61, 20);
	port->as.integer = -9007199254740993LL;
	value_map_set(&a, values, key(&a, "port", 7, 1), port);
	struct value *ratio = value_new(&a, VALUE_FLOAT, spec, 8, 8);
	ratio->as.real = 0.1;
	value_map_set(&a, values, key(&a, "ratio", 8, 1), ratio);
	struct value *flag = value_new(&a, VALUE_BOOL, NULL, 9, 2);
	flag->as.boolean = 1;
	value_map_set(&a, values, key(&a, "flag", 9, 1), flag);
	struct value *nested = value_new_map(&a, spec, 10, 1);
	value_map_set(&a, nested, key(&a, "off", 11, 3), value_new(&a, VALUE_BOOL, spec, 11, 8));
	value_map_set(&a, nested, key(&a, "none", 12, 3), value_new(&a, VALUE_NULL, spec, 12, 9));
	value_map_set(&a, values, key(&a, "nested", 10, 1), nested);
	struct value *env = value_new_map(&a, spec, 13, 1);
	value_map_set(&a, env, key(&a, "LOG_LEVEL", 14, 3), value_new_string(&a, "debug", 5, spec, 14, 14));
	value_map_set(&a, values, key(&a, "env", 13, 1), env);

	char *names[] = { "flag", "hosts", "nested", "port", "ratio" };
	struct summary_keys keys = { names, 5, 0 };
	struct buf text = BUF_INIT;
	summary_encode(&keys, &m, values, spec, &text);
	CHECK_MSG(!memchr(text.ptr, '\n', text.len) && !memchr(text.ptr, '\0', text.len) &&
		  !memchr(text.ptr, '\x1b', text.len), "not one printable line: %s", text.ptr);
	CHECK_MSG(strstr(text.ptr, "LOG_LEVEL") == NULL, "env is kept: %s", text.ptr);
	CHECK_MSG(strstr(text.ptr, "splatform P ") && strstr(text.ptr, "sdeploy D "), "platform and deploy not shared: %s", text.ptr);

	struct value *back;
	CHECK(summary_decode(&a, text.ptr, text.len, spec, &m, &back) == 0);
	/* what was kept, in order: everything but env */
	struct value *want = value_new_map(&a, spec, 1, 1);
	for (size_t i = 0; i + 1 < values->as.map.count; i++)
		value_map_set(&a, want, values->as.map.entries[i].key, values->as.map.entries[i].value);
	CHECK(back && same(back, want));
	CHECK(back && value_map_get(back, "platform", 8) == m.platform); /* shared, not copied */
	const struct value *h = back ? value_map_get(back, "hosts", 5) : NULL;
	CHECK(h && h->as.list.count == 3 && h->as.list.items[1]->file == spec); /* the spec's own name */
	CHECK(h && h->as.list.items[0]->file == NULL && h->as.list.items[0]->line == 0);
	/* and the same text again */
	struct buf again = BUF_INIT;
	if (back)
		summary_encode(&keys, &m, back, spec, &again);
	CHECK_STR(again.ptr, text.ptr);

	/* port is from another file: the text names it, so it reads differently under
	 * another source's label; a string holding " =" (escaped as it is) does not count */
	CHECK_MSG(!summary_spec_only(text.ptr, text.len), "another file's node not seen: %s", text.ptr);
	struct value *plain = value_new_map(&a, spec, 1, 1);
	value_map_set(&a, plain, key(&a, "id", 1, 1), value_new_string(&a, "acme", 4, spec, 1, 1));
	value_map_set(&a, plain, key(&a, "platform", 0, 0), (struct value *)m.platform);
	value_map_set(&a, plain, key(&a, "deploy", 0, 0), m.deploy.values);
	value_map_set(&a, plain, key(&a, "hosts", 3, 1), value_new_string(&a, "a =b=", 5, spec, 3, 8));
	value_map_set(&a, plain, key(&a, "flag", 0, 0), value_new_string(&a, "=", 1, NULL, 0, 0));
	struct buf plain_text = BUF_INIT;
	summary_encode(&keys, &m, plain, spec, &plain_text);
	CHECK_MSG(summary_spec_only(plain_text.ptr, plain_text.len), "spec-only summary refused: %s", plain_text.ptr);
	CHECK(!summary_spec_only("=1:2:f: sx", 10) && !summary_spec_only("m1 sid =1:2:f: sx", 17) &&
	      summary_spec_only("m1 sid s=x", 10));
	buf_release(&plain_text);

	/* every key, when the names read are not known */
	struct summary_keys all = { NULL, 0, 1 };
	buf_clear(&again);
	summary_encode(&all, &m, values, spec, &again);
	CHECK(summary_decode(&a, again.ptr, again.len, spec, &m, &back) == 0 && same(back, values));

	/* not summaries: each is refused whole */
	static const char *const bad[] = {
		"", " ", "m1 sid sacme ", " m1 sid sacme", "m1 sid  sacme", "m1 sid", "m2 sid sacme",
		"sacme", "l1 sacme", "m1 sid P", "m1 sname sacme", "m1 sid i5",
		"m2 sid sacme sx l1 P", "m2 sid sacme sx m1 sy D", "m1 sid s%4", "m1 sid s%zz", "m1 sid s%e9",
		"m1 sid sac\x01me", "m1 sid sac\xc3\xa9me", "m2 sid sacme sx i12a", "m2 sid sacme sx r1e999",
		"m2 sid sacme sx rnan", "m2 sid sacme sx i99999999999999999999", "m2 sid sacme sx ni",
		"m1 sid @1sacme", "m1 sid @1:sacme", "m1 sid @99999999999:1sacme", "m1 sid =1:1:file",
		"m1 sid =1:1:filesacme", "m1 sid =1:1sacme", "m1 sid ~1:1", "m2 sid sacme sx l99999",
		"m4294967295 sid sacme", "m1 sid sacme sx", "m1 i3 sacme", "m1 sid x", "m1 sid Tx",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		CHECK_MSG(summary_decode(&a, bad[i], strlen(bad[i]), spec, &m, &back) < 0, "accepted \"%s\"", bad[i]);
	/* nesting past the limit */
	struct buf deep = BUF_INIT;
	buf_add_str(&deep, "m2 sid sacme sx");
	for (int i = 0; i < 100; i++)
		buf_add_str(&deep, " l1");
	buf_add_str(&deep, " sy");
	CHECK(summary_decode(&a, deep.ptr, deep.len, spec, &m, &back) < 0);
	/* and a good one, for contrast with the above */
	static const char good[] = "@1:1m2 sid @1:1sacme sx =3:4:other%3Afile:l2 ~2:5T n";
	CHECK(summary_decode(&a, good, sizeof good - 1, spec, &m, &back) == 0);
	const struct value *x = back ? value_map_get(back, "x", 1) : NULL;
	CHECK(x && x->type == VALUE_LIST && x->file && strcmp(x->file, "other:file") == 0 && x->line == 3 &&
	      x->col == 4 && x->as.list.items[0]->type == VALUE_BOOL && x->as.list.items[0]->file == NULL &&
	      x->as.list.items[0]->line == 2 && x->as.list.items[1]->type == VALUE_NULL);

	buf_release(&deep);
	buf_release(&again);
	buf_release(&text);
	arena_release(&a);
	return test_report("summary");
}
