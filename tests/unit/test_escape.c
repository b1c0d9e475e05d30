/* Escaping by context: every hostile value in every allowed context of every format
 * either reads back byte-identical (and the document keeps exactly its keys), or is
 * refused with a diagnostic naming the template position.
 *
 * Read-back here is libyaml (through our loader, YAML 1.2 core). The same outputs are
 * written to escape-cases.txt for tests/escape/readback.py (PyYAML, a YAML 1.1 reader,
 * and Python's json) and tests/escape/readback.js (HashiCorp's HCL parser), so the
 * verdict does not rest on our own reader alone. */
#include "arena.h"
#include "buf.h"
#include "document.h"
#include "error.h"
#include "template.h"
#include "test.h"
#include "utf8.h"
#include "value.h"

#include <stdlib.h>
#include <string.h>

#define S(lit) { lit, sizeof(lit) - 1 }

static const struct hostile {
	const char *s;
	size_t len;
} hostile[] = {
	S("plain"), S("\"quoted\""), S("it's"), S("back\\slash"), S("new\nline"), S("cr\rhere"),
	S("crlf\r\nend"), S("tab\there"), S("bell\x07" "esc\x1b" "del\x7f"), S("nul\0inside"),
	S("{{mustache}}"), S("}}"), S("key: value"), S("a:b"), S("trailing:"), S("# hash"),
	S("x #comment"), S("---"), S("--- doc"), S("..."), S("${interp}"), S("%{directive}"),
	S("$${kept}"), S("*alias"), S("&anchor"), S("!tag"), S("|literal"), S(">folded"),
	S("?question"), S("@at"), S("%percent"), S("-dash"), S("- item"), S("`tick"),
	S("null"), S("~"), S("true"), S("no"), S("on"), S("yes"), S("0x1F"), S("1e3"), S("0o17"),
	S("017"), S("1:20"), S(".inf"), S("-.5"), S("+1"), S("2024-01-01"), S("<<"), S("="),
	S(""), S(" lead"), S("trail "), S("multi\n\nblank"), S("[a, b]"), S("{a: b}"), S("a,b"),
	S("line\xe2\x80\xa8sep"), S("para\xe2\x80\xa9sep"), S("nel\xc2\x85x"), S("bom\xef\xbb\xbf"),
	S("caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x9a\x80"), S("bad\xff\xfeutf8"), S("\xc0\xaf"),
	S("\xed\xa0\x80"), S("key: \"x\"\nevil: injected"), S("a\n- b"), S("</script>"),
};

struct context_case {
	enum tmpl_format format;
	const char *name;
	const char *template;
	const char *path[3];  /* where the value reads back */
	const char *prefix;   /* text the template puts around the value */
	const char *suffix;
	const char *keys;     /* the root's keys, in order, '|'-separated; "" = the value */
	int accepts_all;      /* every valid UTF-8 value must be accepted */
};

static const struct context_case cases[] = {
	{ TMPL_FORMAT_YAML, "yaml whole value", "a: {{v}}\nz: end\n", { "a" }, "", "", "a|z", 1 },
	{ TMPL_FORMAT_YAML, "yaml double-quoted", "a: \"{{v}}\"\nz: end\n", { "a" }, "", "", "a|z", 1 },
	{ TMPL_FORMAT_YAML, "yaml double-quoted inside text", "a: \"<{{v}}>\"\nz: end\n", { "a" }, "<", ">", "a|z", 1 },
	{ TMPL_FORMAT_YAML, "yaml single-quoted", "a: '{{v}}'\nz: end\n", { "a" }, "", "", "a|z", 0 },
	{ TMPL_FORMAT_YAML, "yaml plain fragment", "a: pre-{{v}}-post\nz: end\n", { "a" }, "pre-", "-post", "a|z", 0 },
	{ TMPL_FORMAT_YAML, "yaml plain fragment at start", "a: {{v}}-post\nz: end\n", { "a" }, "", "-post", "a|z", 0 },
	{ TMPL_FORMAT_YAML, "yaml whole key", "{{v}}: 1\nz: end\n", { NULL }, "", "", "", 1 },
	{ TMPL_FORMAT_YAML, "yaml key fragment", "k_{{v}}: 1\nz: end\n", { NULL }, "k_", "", "", 0 },
	{ TMPL_FORMAT_YAML, "yaml flow sequence", "a: [{{v}}, x]\nz: end\n", { "a", "0" }, "", "", "a|z", 1 },
	{ TMPL_FORMAT_YAML, "yaml flow map", "a: {k: {{v}}, j: x}\nz: end\n", { "a", "k" }, "", "", "a|z", 1 },
	{ TMPL_FORMAT_YAML, "yaml block sequence", "a:\n  - {{v}}\n  - x\nz: end\n", { "a", "0" }, "", "", "a|z", 1 },
	{ TMPL_FORMAT_YAML, "yaml nested map", "a:\n  k: {{v}}\n  j: x\nz: end\n", { "a", "k" }, "", "", "a|z", 1 },
	{ TMPL_FORMAT_YAML, "yaml literal block", "a: |\n  pre {{v}} post\n  next\nz: end\n", { "a" }, "pre ", " post\nnext\n", "a|z", 0 },
	{ TMPL_FORMAT_YAML, "yaml literal block start", "a: |\n  {{v}}\nz: end\n", { "a" }, "", "\n", "a|z", 0 },
	{ TMPL_FORMAT_YAML, "yaml folded block", "a: >\n  pre {{v}} post\nz: end\n", { "a" }, "pre ", " post\n", "a|z", 0 },
	{ TMPL_FORMAT_YAML, "yaml comment after value", "a: x # {{v}}\nz: end\n", { NULL }, "", "", "a|z", 1 },
	{ TMPL_FORMAT_YAML, "yaml comment line", "# {{v}}\na: x\nz: end\n", { NULL }, "", "", "a|z", 1 },
	{ TMPL_FORMAT_JSON, "json whole value", "{\"a\": {{v}}, \"z\": \"end\"}\n", { "a" }, "", "", "a|z", 1 },
	{ TMPL_FORMAT_JSON, "json string", "{\"a\": \"<{{v}}>\", \"z\": \"end\"}\n", { "a" }, "<", ">", "a|z", 1 },
	{ TMPL_FORMAT_JSON, "json key in quotes", "{\"{{v}}\": 1, \"z\": \"end\"}\n", { NULL }, "", "", "", 1 },
	{ TMPL_FORMAT_JSON, "json whole key", "{ {{v}}: 1, \"z\": \"end\"}\n", { NULL }, "", "", "", 1 },
	{ TMPL_FORMAT_JSON, "json array", "{\"a\": [{{v}}, 1], \"z\": \"end\"}\n", { "a", "0" }, "", "", "a|z", 1 },
	{ TMPL_FORMAT_HCL, "hcl whole value", "a = {{v}}\nz = \"end\"\n", { "a" }, "", "", "a|z", 1 },
	{ TMPL_FORMAT_HCL, "hcl string", "a = \"<{{v}}>\"\nz = \"end\"\n", { "a" }, "<", ">", "a|z", 1 },
	{ TMPL_FORMAT_HCL, "hcl list", "a = [{{v}}, \"x\"]\nz = \"end\"\n", { "a", "0" }, "", "", "a|z", 1 },
	{ TMPL_FORMAT_HCL, "hcl hash comment", "a = \"x\" # {{v}}\nz = \"end\"\n", { NULL }, "", "", "a|z", 1 },
	{ TMPL_FORMAT_HCL, "hcl slash comment", "// {{v}}\na = \"x\"\nz = \"end\"\n", { NULL }, "", "", "a|z", 1 },
	{ TMPL_FORMAT_HCL, "hcl block comment", "/* {{v}} */\na = \"x\"\nz = \"end\"\n", { NULL }, "", "", "a|z", 1 },
};

static FILE *cases_out;

static void write_hex(FILE *f, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		fprintf(f, "%02x", (unsigned char)s[i]);
	if (!len)
		fputc('-', f);
}

static const struct value *follow(const struct value *root, const char *const *path)
{
	const struct value *v = root;
	for (size_t i = 0; i < 3 && path[i] && v; i++) {
		if (v->type == VALUE_LIST) {
			size_t k = (size_t)atoi(path[i]);
			v = k < v->as.list.count ? v->as.list.items[k] : NULL;
		} else {
			v = value_map_get(v, path[i], strlen(path[i]));
		}
	}
	return v;
}

/* The root's keys, '|'-joined. */
static void root_keys(const struct value *root, struct buf *out)
{
	if (!root || root->type != VALUE_MAP)
		return;
	for (size_t i = 0; i < root->as.map.count; i++) {
		if (i)
			buf_add_char(out, '|');
		buf_add(out, root->as.map.entries[i].key->as.string.ptr,
			root->as.map.entries[i].key->as.string.len);
	}
}

static void check_case(const struct context_case *c, const struct hostile *h)
{
	struct arena arena = ARENA_INIT;
	struct value *data = value_new(&arena, VALUE_MAP, "data.yaml", 1, 1);
	data->as.map.count = 1;
	data->as.map.entries = arena_alloc(&arena, sizeof(struct value_entry));
	data->as.map.entries[0].key = value_new_string(&arena, "v", 1, "data.yaml", 1, 1);
	data->as.map.entries[0].value = value_new_string(&arena, h->s, h->len, "data.yaml", 1, 4);

	const char *path = c->format == TMPL_FORMAT_YAML ? "t.yaml" : c->format == TMPL_FORMAT_JSON ? "t.json" : "t.tfvars";
	struct tmpl_options opts = { c->format, 1, NULL, NULL };
	struct tmpl_set *set = tmpl_set_new(&opts);
	const struct tmpl *t;
	struct error err = ERROR_INIT;
	struct buf out = BUF_INIT;
	int compiled = tmpl_compile(set, path, c->template, strlen(c->template), &t, &err) == 0;
	CHECK_MSG(compiled, "%s: template does not compile: %s", c->name, err.message);
	if (!compiled)
		goto done;

	struct buf expected = BUF_INIT;
	buf_add_str(&expected, c->prefix);
	buf_add(&expected, h->s, h->len);
	buf_add_str(&expected, c->suffix);
	int valid = utf8_is_valid(h->s, h->len);

	if (tmpl_render(t, data, &out, &err) < 0) {
		/* a refusal must say where, and must be allowed here */
		CHECK_MSG(err.file && strcmp(err.file, path) == 0 && err.line > 0 && err.col > 0 &&
			  strstr(err.message, "data.yaml:1:4"),
			  "%s: refusal does not name both positions: %s", c->name, err.message);
		CHECK_MSG(!(c->accepts_all && valid), "%s: refused a value it must accept (%s)", c->name,
			  err.message);
		buf_release(&expected);
		goto done;
	}
	/* comments show invalid bytes as \xNN; everywhere else they must be refused */
	CHECK_MSG(valid || !c->path[0], "%s: accepted invalid UTF-8", c->name);
	if (c->format == TMPL_FORMAT_HCL)
		goto external;

	struct value *root = NULL;
	struct arena parsed = ARENA_INIT;
	struct error perr = ERROR_INIT;
	int ok = document_load_string(&parsed, out.ptr, out.len, "out", NULL, &root, &perr) == 0;
	CHECK_MSG(ok, "%s: output does not parse: %s\n%s", c->name, perr.message, out.ptr);
	if (ok) {
		struct buf keys = BUF_INIT;
		root_keys(root, &keys);
		if (*c->keys) {
			CHECK_MSG(keys.ptr && strcmp(keys.ptr, c->keys) == 0, "%s: keys changed to [%s]:\n%s",
				  c->name, keys.ptr ? keys.ptr : "", out.ptr);
		} else {
			/* the value is the first key */
			struct buf want = BUF_INIT;
			buf_add(&want, expected.ptr, expected.len);
			buf_add_str(&want, "|z");
			CHECK_MSG(keys.len == want.len && memcmp(keys.ptr, want.ptr, want.len) == 0,
				  "%s: keys are not [value, z]:\n%s", c->name, out.ptr);
			buf_release(&want);
		}
		buf_release(&keys);
		if (c->path[0]) {
			const struct value *v = follow(root, c->path);
			CHECK_MSG(v && v->type == VALUE_STRING && v->as.string.len == expected.len &&
				  memcmp(v->as.string.ptr, expected.ptr, expected.len) == 0,
				  "%s: value does not read back:\n%s", c->name, out.ptr);
		}
	}
	error_clear(&perr);
	arena_release(&parsed);
external:
	fprintf(cases_out, "%s %s ", tmpl_format_name(c->format), *c->keys ? c->keys : "-");
	if (!c->path[0])
		fputc('-', cases_out);
	for (size_t i = 0; i < 3 && c->path[i]; i++)
		fprintf(cases_out, "%s%s", i ? "," : "", c->path[i]);
	fputc(' ', cases_out);
	write_hex(cases_out, expected.ptr, expected.len);
	fputc(' ', cases_out);
	write_hex(cases_out, out.ptr, out.len);
	fprintf(cases_out, " %s\n", c->name);
	buf_release(&expected);
done:
	buf_release(&out);
	error_clear(&err);
	tmpl_set_free(set);
	arena_release(&arena);
}

/* Numbers, bools and null keep their type as whole values, and become their canonical
 * text inside strings. */
static void check_typed(void)
{
	const char *data_text = "i: 42\nf: 1.5\ng: 3.0\nb: true\nn: null\nl: [1, \"two\", null]\n"
				"m: {x: 1, \"y z\": \"no\"}\nbig: 1.0e+300\n";
	struct arena arena = ARENA_INIT;
	struct error err = ERROR_INIT;
	struct value *data;
	CHECK(document_load_string(&arena, data_text, strlen(data_text), "d.yaml", NULL, &data, &err) == 0);
	static const struct { enum tmpl_format f; const char *t; const char *want; } typed[] = {
		{ TMPL_FORMAT_YAML, "i: {{i}}\nf: {{f}}\ng: {{g}}\nb: {{b}}\nn: {{n}}\n",
		  "i: 42\nf: 1.5\ng: 3.0\nb: true\nn: null\n" },
		{ TMPL_FORMAT_YAML, "s: \"{{i}} {{f}} {{b}} {{n}}\"\n", "s: \"42 1.5 true \"\n" },
		{ TMPL_FORMAT_YAML, "l: {{l}}\nm: {{m}}\n", "l: [1, two, null]\nm: {x: 1, y z: \"no\"}\n" },
		{ TMPL_FORMAT_JSON, "{\"l\": {{l}}, \"m\": {{m}}, \"b\": {{big}}}",
		  "{\"l\": [1, \"two\", null], \"m\": {\"x\": 1, \"y z\": \"no\"}, \"b\": 1.0e+300}" },
		{ TMPL_FORMAT_HCL, "l = {{l}}\nm = {{m}}\n", "l = [1, \"two\", null]\nm = {\"x\" = 1, \"y z\" = \"no\"}\n" },
	};
	for (size_t i = 0; i < sizeof typed / sizeof *typed; i++) {
		struct tmpl_options opts = { typed[i].f, 1, NULL, NULL };
		struct tmpl_set *set = tmpl_set_new(&opts);
		const struct tmpl *t;
		struct buf out = BUF_INIT;
		int ok = tmpl_compile(set, "t", typed[i].t, strlen(typed[i].t), &t, &err) == 0 &&
			 tmpl_render(t, data, &out, &err) == 0;
		CHECK_MSG(ok, "typed %zu: %s", i, err.message);
		if (ok)
			CHECK_STR(out.ptr, typed[i].want);
		buf_release(&out);
		error_clear(&err);
		tmpl_set_free(set);
	}
	arena_release(&arena);
}

/* A list or map is refused where only a scalar fits. */
static void check_collection_refused(void)
{
	struct arena arena = ARENA_INIT;
	struct error err = ERROR_INIT;
	struct value *data;
	const char *text = "l: [1, 2]\n";
	CHECK(document_load_string(&arena, text, strlen(text), "d.yaml", NULL, &data, &err) == 0);
	struct tmpl_options opts = { TMPL_FORMAT_YAML, 1, NULL, NULL };
	struct tmpl_set *set = tmpl_set_new(&opts);
	const struct tmpl *t;
	struct buf out = BUF_INIT;
	const char *src = "a: \"{{l}}\"\n";
	CHECK(tmpl_compile(set, "t.yaml", src, strlen(src), &t, &err) == 0);
	CHECK(tmpl_render(t, data, &out, &err) < 0);
	CHECK_STR(err.message, "value of 'l' (from d.yaml:1:4) cannot be written here: it is a list; "
			       "only a tag that is a whole YAML, JSON or HCL value can hold a list or "
			       "map; use a section ({{#name}}...{{/name}}) to write its items");
	buf_release(&out);
	error_clear(&err);
	tmpl_set_free(set);
	arena_release(&arena);
}

static void check_html(void)
{
	struct buf out = BUF_INIT;
	struct arena arena = ARENA_INIT;
	struct value *data = value_new(&arena, VALUE_MAP, NULL, 0, 0);
	data->as.map.count = 1;
	data->as.map.entries = arena_alloc(&arena, sizeof(struct value_entry));
	data->as.map.entries[0].key = value_new_string(&arena, "v", 1, NULL, 0, 0);
	data->as.map.entries[0].value = value_new_string(&arena, "<a href=\"x\">'&'</a>", 19, NULL, 0, 0);
	static const struct { enum tmpl_format f; const char *t; const char *want; } html[] = {
		{ TMPL_FORMAT_HTML, "{{v}}", "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;" },
		{ TMPL_FORMAT_HTML, "{{{v}}}|{{&v}}", "<a href=\"x\">'&'</a>|<a href=\"x\">'&'</a>" },
		{ TMPL_FORMAT_NONE, "{{v}}", "<a href=\"x\">'&'</a>" },
		{ TMPL_FORMAT_YAML, "a: {{{v}}}", "a: <a href=\"x\">'&'</a>" },
	};
	for (size_t i = 0; i < sizeof html / sizeof *html; i++) {
		struct tmpl_options opts = { html[i].f, 1, NULL, NULL };
		struct tmpl_set *set = tmpl_set_new(&opts);
		const struct tmpl *t;
		struct error err = ERROR_INIT;
		buf_clear(&out);
		CHECK(tmpl_compile(set, "t", html[i].t, strlen(html[i].t), &t, &err) == 0 &&
		      tmpl_render(t, data, &out, &err) == 0);
		CHECK_STR(out.ptr, html[i].want);
		error_clear(&err);
		tmpl_set_free(set);
	}
	buf_release(&out);
	arena_release(&arena);
}

int main(int argc, char **argv)
{
	const char *cases_path = argc > 1 ? argv[1] : "escape-cases.txt";
	cases_out = fopen(cases_path, "w");
	if (!cases_out) {
		perror(cases_path);
		return 2;
	}
	for (size_t c = 0; c < sizeof cases / sizeof *cases; c++)
		for (size_t h = 0; h < sizeof hostile / sizeof *hostile; h++)
			check_case(&cases[c], &hostile[h]);
	fclose(cases_out);
	check_typed();
	check_collection_refused();
	check_html();
	return test_report("escaping");
}
