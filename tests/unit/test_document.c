/* The value model as loaded from YAML and JSON: core-schema resolution, positions, key
 * order, and every refusal the loader makes. */
#include "arena.h"
#include "buf.h"
#include "document.h"
#include "error.h"
#include "test.h"
#include "value.h"

#include <math.h>
#include <string.h>

static struct value *load(struct arena *arena, const char *text, struct error *err)
{
	struct value *root = NULL;
	if (document_load_string(arena, text, strlen(text), "in.yaml", NULL, &root, err) < 0)
		return NULL;
	return root;
}

static void check_core_schema(void)
{
	struct arena arena = ARENA_INIT;
	struct error err = ERROR_INIT;
	struct value *root = load(&arena,
		"s1: no\ns2: on\ns3: yes\ns4: 'true'\nb: true\nB: FALSE\nn1: null\nn2: ~\nn3:\n"
		"i: 42\nneg: -7\noct: 0o17\nhex: 0x1F\nleading: 017\nf: 1.5\ne: 1e3\ninf: -.inf\n"
		"nan: .nan\nt: !!str 12\nx: !!float 3\nsexa: 1:20\ndate: 2024-01-01\n", &err);
	CHECK_MSG(root != NULL, "%s", err.message);
	if (!root)
		goto out;
	static const struct { const char *key; enum value_type type; } want[] = {
		{ "s1", VALUE_STRING }, { "s2", VALUE_STRING }, { "s3", VALUE_STRING },
		{ "s4", VALUE_STRING }, { "b", VALUE_BOOL }, { "B", VALUE_BOOL }, { "n1", VALUE_NULL },
		{ "n2", VALUE_NULL }, { "n3", VALUE_NULL }, { "i", VALUE_INT }, { "neg", VALUE_INT },
		{ "oct", VALUE_INT }, { "hex", VALUE_INT }, { "leading", VALUE_INT }, { "f", VALUE_FLOAT },
		{ "e", VALUE_FLOAT }, { "inf", VALUE_FLOAT }, { "nan", VALUE_FLOAT }, { "t", VALUE_STRING },
		{ "x", VALUE_FLOAT }, { "sexa", VALUE_STRING }, { "date", VALUE_STRING },
	};
	for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
		struct value *v = value_map_get(root, want[i].key, strlen(want[i].key));
		CHECK_MSG(v && v->type == want[i].type, "%s is %s, want %s", want[i].key,
			  v ? value_type_name(v->type) : "missing", value_type_name(want[i].type));
	}
	CHECK(value_map_get(root, "oct", 3)->as.integer == 15);
	CHECK(value_map_get(root, "hex", 3)->as.integer == 31);
	CHECK(value_map_get(root, "leading", 7)->as.integer == 17);
	CHECK(value_map_get(root, "e", 1)->as.real == 1000.0);
	CHECK(isinf(value_map_get(root, "inf", 3)->as.real));
	CHECK(value_map_get(root, "b", 1)->as.boolean == 1);
	CHECK(value_map_get(root, "B", 1)->as.boolean == 0);
	/* key order is the source order; positions are 1-based */
	CHECK_STR(root->as.map.entries[0].key->as.string.ptr, "s1");
	CHECK_STR(root->as.map.entries[21].key->as.string.ptr, "date");
	struct value *f = value_map_get(root, "f", 1);
	CHECK(f->line == 15 && f->col == 4);
	CHECK_STR(f->file, "in.yaml");
out:
	error_clear(&err);
	arena_release(&arena);
}

static void check_json(void)
{
	struct arena arena = ARENA_INIT;
	struct error err = ERROR_INIT;
	struct value *root = load(&arena, "{\"a\": [1, 2.5, \"x\\ny\", null, true], \"b\": {\"c\": \"\\u00e9\"}}", &err);
	CHECK_MSG(root != NULL, "%s", err.message);
	if (root) {
		struct value *a = value_map_get(root, "a", 1);
		CHECK(a && a->type == VALUE_LIST && a->as.list.count == 5);
		CHECK(a->as.list.items[2]->as.string.len == 3 && memcmp(a->as.list.items[2]->as.string.ptr, "x\ny", 3) == 0);
		struct value *c = value_map_get(value_map_get(root, "b", 1), "c", 1);
		CHECK_STR(c->as.string.ptr, "\xc3\xa9");
	}
	error_clear(&err);
	arena_release(&arena);
}

/* Every refusal: the message, and where it points. */
static void check_refusals(void)
{
	static const struct { const char *text; unsigned line, col; const char *message; } bad[] = {
		{ "a: 1\na: 2\n", 2, 1, "duplicate key \"a\" (first defined at line 1); remove one of them" },
		{ "x:\n  - {b: 1, b: 2}\n", 2, 12, "duplicate key \"b\" (first defined at line 2); remove one of them" },
		/* the outer map's keys outlive the inner maps read between them */
		{ "a: {b: 1, a: 2}\nb: {a: 1}\na: 3\n", 3, 1, "duplicate key \"a\" (first defined at line 1); remove one of them" },
		{ "\"\": 1\n'': 2\n", 2, 1, "duplicate key \"\" (first defined at line 1); remove one of them" },
		{ "a: &x 1\nb: *x\n", 1, 4, "anchors ('&x') are not supported; write the value out" },
		{ "a: !!python/object x\n", 1, 4,
		  "tag '!!python/object' is not allowed here; only the YAML core schema's tags are accepted (remove the tag, or quote the value)" },
		{ "<<: {a: 1}\n", 1, 1, "merge keys ('<<') are YAML 1.1 and not supported; write the keys out" },
		{ "a: 1\n---\nb: 2\n", 2, 1, "more than one document; keep one document per file" },
		{ "a: 99999999999999999999\n", 1, 4, "number \"99999999999999999999\" is out of range; quote it to keep it as a string" },
		{ "a: 1e999\n", 1, 4, "number \"1e999\" is out of range; quote it to keep it as a string" },
		{ "? [a]\n: 1\n", 1, 3, "a map key must be a scalar, not a list or map" },
		{ "a: !!int x\n", 1, 4, "tag '!!int' does not match the value; remove the tag or fix the value" },
		{ "a: \x01\n", 1, 4, "invalid YAML: control characters are not allowed; save the file as UTF-8 without control characters" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct arena arena = ARENA_INIT;
		struct error err = ERROR_INIT;
		struct value *root = load(&arena, bad[i].text, &err);
		CHECK_MSG(root == NULL, "case %zu accepted", i);
		CHECK_MSG(err.line == bad[i].line && err.col == bad[i].col, "case %zu at %u:%u, want %u:%u",
			  i, err.line, err.col, bad[i].line, bad[i].col);
		CHECK_STR(err.message, bad[i].message);
		error_clear(&err);
		/* checking without a tree refuses the same thing at the same place */
		CHECK_MSG(document_check_string(bad[i].text, strlen(bad[i].text), "out.yaml", NULL, &err) < 0,
			  "case %zu accepted when only checked", i);
		CHECK_MSG(err.line == bad[i].line && err.col == bad[i].col, "case %zu checked at %u:%u, want %u:%u",
			  i, err.line, err.col, bad[i].line, bad[i].col);
		CHECK_STR(err.message, bad[i].message);
		CHECK_STR(err.file, "out.yaml");
		error_clear(&err);
		arena_release(&arena);
	}
	/* and accepts what loads: keys that differ only deeper, equal keys in sibling maps, a
	 * key equal to a value, nested lists of maps, quoted and tagged scalars */
	static const char *const good[] = {
		"a: {b: 1}\nc: {b: 1}\n",
		"ab: 1\na: 2\nb: {ab: 1, a: 1}\n\"a\\0\": 1\n",
		"a: a\nb: [a, a, {a: a}]\n",
		"- {x: 1, y: [1, 2]}\n- {x: 1, y: [1, 2]}\n",
		"k: !!str 12\nq: \"a: b\"\ns: 'x'\nn: !!float 1\n",
		"[1, 2, 3]\n",
		"",
	};
	for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
		struct arena arena = ARENA_INIT;
		struct error err = ERROR_INIT;
		CHECK_MSG(load(&arena, good[i], &err) != NULL, "good case %zu refused: %s", i,
			  err.message ? err.message : "");
		CHECK_MSG(document_check_string(good[i], strlen(good[i]), "out.yaml", NULL, &err) == 0,
			  "good case %zu refused when only checked: %s", i, err.message ? err.message : "");
		error_clear(&err);
		arena_release(&arena);
	}
}

static void check_limits(void)
{
	struct buf deep = BUF_INIT;
	for (int i = 0; i < 10000; i++)
		buf_add_char(&deep, '[');
	for (int i = 0; i < 10000; i++)
		buf_add_char(&deep, ']');
	struct arena arena = ARENA_INIT;
	struct error err = ERROR_INIT;
	struct value *root;
	struct document_limits limits = { 1 << 20, 64 };
	CHECK(document_load_string(&arena, deep.ptr, deep.len, "deep.yaml", &limits, &root, &err) < 0);
	CHECK_STR(err.message, "nesting deeper than 64 levels; flatten the document");
	error_clear(&err);
	struct document_limits small = { 100, 64 };
	CHECK(document_load_string(&arena, deep.ptr, deep.len, "deep.yaml", &small, &root, &err) < 0);
	CHECK_STR(err.message, "file is larger than 100 bytes; split it");
	error_clear(&err);
	/* empty documents are null; a BOM is accepted */
	CHECK(document_load_string(&arena, "", 0, "e.yaml", NULL, &root, &err) == 0 && root->type == VALUE_NULL);
	CHECK(document_load_string(&arena, "\xef\xbb\xbf" "a: 1\n", 8, "b.yaml", NULL, &root, &err) == 0 &&
	      root->type == VALUE_MAP);
	buf_release(&deep);
	arena_release(&arena);
}

static void check_truthiness(void)
{
	struct arena arena = ARENA_INIT;
	struct error err = ERROR_INIT;
	struct value *root = load(&arena, "f: false\nn: null\nel: []\nem: {}\nes: ''\nz: 0\nt: x\n", &err);
	CHECK(root != NULL);
	if (root) {
		CHECK(!value_is_truthy(value_map_get(root, "f", 1)));
		CHECK(!value_is_truthy(value_map_get(root, "n", 1)));
		CHECK(!value_is_truthy(value_map_get(root, "el", 2)));
		CHECK(!value_is_truthy(value_map_get(root, "em", 2)));
		CHECK(!value_is_truthy(value_map_get(root, "es", 2)));
		CHECK(value_is_truthy(value_map_get(root, "z", 1)));
		CHECK(value_is_truthy(value_map_get(root, "t", 1)));
	}
	error_clear(&err);
	arena_release(&arena);
}

int main(void)
{
	check_core_schema();
	check_json();
	check_refusals();
	check_limits();
	check_truthiness();
	return test_report("document");
}
