/* The engine beyond the mustache spec: partials that take the context of the place
 * they are included, standalone indentation in YAML, section neutrality, strict mode,
 * and one compiled template rendered by many threads at once. */
#include "arena.h"
#include "buf.h"
#include "document.h"
#include "error.h"
#include "template.h"
#include "test.h"
#include "value.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

struct partial_source {
	const char *name;
	const char *text;
};

static const struct partial_source *current_partials;

static int load_partial(void *data, const char *name, size_t len, struct buf *source,
			struct buf *path, struct error *err)
{
	(void)data;
	(void)err;
	for (const struct partial_source *p = current_partials; p && p->name; p++) {
		if (strlen(p->name) == len && memcmp(p->name, name, len) == 0) {
			buf_add_str(source, p->text);
			buf_printf(path, "partials/%s", p->name);
			return 0;
		}
	}
	return 1;
}

/* Renders template with data (YAML text); returns the output or the error message. */
static void render(enum tmpl_format format, int strict, const char *template, const char *data_text,
		   const struct partial_source *partials, struct buf *result, int *ok)
{
	struct arena arena = ARENA_INIT;
	struct error err = ERROR_INIT;
	struct value *data;
	buf_clear(result);
	current_partials = partials;
	if (document_load_string(&arena, data_text, strlen(data_text), "data.yaml", NULL, &data, &err) < 0) {
		buf_add_str(result, err.message);
		*ok = 0;
		goto out;
	}
	struct tmpl_options opts = { format, strict, load_partial, NULL };
	struct tmpl_set *set = tmpl_set_new(&opts);
	const struct tmpl *t;
	*ok = tmpl_compile(set, "t", template, strlen(template), &t, &err) == 0 &&
	      tmpl_render(t, data, result, &err) == 0;
	if (!*ok) {
		buf_clear(result);
		struct buf line = BUF_INIT;
		error_format(&err, &line, 0);
		buf_add_str(result, line.ptr);
		buf_release(&line);
	}
	tmpl_set_free(set);
out:
	error_clear(&err);
	arena_release(&arena);
}

#define EXPECT(format, strict, template, data, partials, want_ok, want)                       \
	do {                                                                                 \
		struct buf got_ = BUF_INIT;                                                  \
		int ok_;                                                                     \
		render(format, strict, template, data, partials, &got_, &ok_);               \
		CHECK_MSG(ok_ == (want_ok), "ok=%d for %s: %s", ok_, template, got_.ptr);    \
		CHECK_STR(got_.ptr, want);                                                   \
		buf_release(&got_);                                                          \
	} while (0)

static void check_partial_contexts(void)
{
	static const struct partial_source value_partial[] = { { "v", "{{v}}" }, { NULL, NULL } };
	/* one partial, three places: each gets the escaping of its place */
	EXPECT(TMPL_FORMAT_YAML, 1, "a: \"{{>v}}\"\nb: {{>v}}\nc: x-{{>v}}\n", "v: 'say: \"hi\"'\n",
	       value_partial, 0,
	       "partials/v:1:1: error: value of 'v' (from data.yaml:1:4) cannot be written inside this "
	       "plain scalar: it holds characters that would end the scalar or change its meaning (such "
	       "as ': ', ' #', a line break, or a leading indicator); quote the scalar in the template "
	       "(included from t:3:6)");
	EXPECT(TMPL_FORMAT_YAML, 1, "a: \"{{>v}}\"\nb: {{>v}}\n", "v: 'say: \"hi\"'\n", value_partial, 1,
	       "a: \"say: \\\"hi\\\"\"\nb: \"say: \\\"hi\\\"\"\n");
	EXPECT(TMPL_FORMAT_YAML, 1, "b: {{>v}}\n", "v: 'say \"hi\"'\n", value_partial, 1, "b: say \"hi\"\n");
	EXPECT(TMPL_FORMAT_YAML, 1, "a: \"{{>v}}\"\nb: {{>v}}\n", "v: plain\n", value_partial, 1,
	       "a: \"plain\"\nb: plain\n");

	/* a standalone partial is indented as a block of YAML */
	static const struct partial_source labels[] = {
		{ "labels", "app: {{name}}\ntier: \"{{tier}}\"\n{{#extra}}\n{{k}}: {{v}}\n{{/extra}}\n" },
		{ NULL, NULL } };
	EXPECT(TMPL_FORMAT_YAML, 1, "metadata:\n  labels:\n    {{>labels}}\nspec: {}\n",
	       "name: acme\ntier: 'a\"b'\nextra: [{k: team, v: 'yes'}, {k: 'x: y', v: 1}]\n", labels, 1,
	       "metadata:\n  labels:\n    app: acme\n    tier: \"a\\\"b\"\n    team: \"yes\"\n"
	       "    \"x: y\": 1\nspec: {}\n");

	/* dynamic partials are compiled for the context they are used in, too */
	static const struct partial_source dyn[] = { { "quoted", "{{v}}" }, { NULL, NULL } };
	EXPECT(TMPL_FORMAT_YAML, 1, "a: \"{{>*which}}\"\n", "which: quoted\nv: \"line\\nbreak\"\n", dyn, 1,
	       "a: \"line\\nbreak\"\n");
	EXPECT(TMPL_FORMAT_YAML, 1, "a: {{>*which}}\n", "which: nothere\n", dyn, 0,
	       "t:1:4: error: partial 'nothere' (the value of 'which') not found; create it or fix the value");
}

static void check_sections_in_yaml(void)
{
	/* sections on lines of their own are neutral, also right after a block scalar */
	EXPECT(TMPL_FORMAT_YAML, 1, "script: |\n  echo {{name}}\n{{#env}}\n{{k}}: {{v}}\n{{/env}}\nend: 1\n",
	       "name: x\nenv: [{k: A, v: 'on'}]\n", NULL, 1, "script: |\n  echo x\nA: \"on\"\nend: 1\n");
	/* a multi-line value in a literal block keeps the block's indentation */
	EXPECT(TMPL_FORMAT_YAML, 1, "a:\n  s: |\n    {{text}}\n    end\n", "text: \"one\\ntwo\\n\\nfour\"\n",
	       NULL, 1, "a:\n  s: |\n    one\n    two\n    \n    four\n    end\n");
	/* inline sections that change the context are refused at compile time */
	EXPECT(TMPL_FORMAT_YAML, 1, "a: {{#x}}\"{{/x}}\n", "x: 1\n", NULL, 0,
	       "t:1:4: error: 'x' starts in the place of a value but ends in a double-quoted string, so "
	       "repeating or skipping it would change the YAML around it; open and close it at the same "
	       "place in the structure (for example each on a line of its own)");
	/* inline sections that keep it are fine */
	EXPECT(TMPL_FORMAT_YAML, 1, "hosts: [{{#hosts}}{{.}}, {{/hosts}}last]\n", "hosts: [a, 'yes']\n",
	       NULL, 1, "hosts: [a, \"yes\", last]\n");
}

/* A plain scalar holding values must still read as a string once complete. */
static void check_composed_scalars(void)
{
	const char *data = "major: 1\nminor: 2\nh: 1\nm: 20\nreg: reg.io\ntag: '1.0'\na: '1'\nb: '0'\n";
	EXPECT(TMPL_FORMAT_YAML, 1, "version: {{major}}.{{minor}}\n", data, NULL, 0,
	       "t:1:20: error: value of 'minor' (from data.yaml:2:8) cannot be written into this plain "
	       "scalar: the scalar would read \"1.2\" and YAML reads that as a number, bool, null or "
	       "date, not a string; quote the scalar in the template");
	EXPECT(TMPL_FORMAT_YAML, 1, "at: {{h}}:{{m}}\n", data, NULL, 0,
	       "t:1:11: error: value of 'm' (from data.yaml:4:4) cannot be written into this plain "
	       "scalar: the scalar would read \"1:20\" and YAML reads that as a number, bool, null or "
	       "date, not a string; quote the scalar in the template");
	EXPECT(TMPL_FORMAT_YAML, 1, "{{a}}{{b}}: x\n", data, NULL, 0,
	       "t:1:6: error: value of 'b' (from data.yaml:8:4) cannot be written into this plain "
	       "scalar: the scalar would read \"10\" and YAML reads that as a number, bool, null or "
	       "date, not a string; quote the scalar in the template");
	EXPECT(TMPL_FORMAT_YAML, 1, "l: [{{a}}{{b}}, x]\n", data, NULL, 0,
	       "t:1:10: error: value of 'b' (from data.yaml:8:4) cannot be written into this plain "
	       "scalar: the scalar would read \"10\" and YAML reads that as a number, bool, null or "
	       "date, not a string; quote the scalar in the template");
	EXPECT(TMPL_FORMAT_YAML, 1, "v: {{major}}.{{minor}}", data, NULL, 0,
	       "t:1:14: error: value of 'minor' (from data.yaml:2:8) cannot be written into this plain "
	       "scalar: the scalar would read \"1.2\" and YAML reads that as a number, bool, null or "
	       "date, not a string; quote the scalar in the template");
	EXPECT(TMPL_FORMAT_YAML, 1,
	       "image: {{reg}}:{{tag}}\nname: app-{{major}}\nv: v{{major}}.{{minor}} # c\nk_{{a}}: x\n"
	       "q: \"{{major}}.{{minor}}\"\n", data, NULL, 1,
	       "image: reg.io:1.0\nname: app-1\nv: v1.2 # c\nk_1: x\nq: \"1.2\"\n");
}

static void check_strict(void)
{
	EXPECT(TMPL_FORMAT_NONE, 1, "{{#items}}{{name}}{{/items}}", "items: [{name: a}, {}]\n", NULL, 0,
	       "t:1:11: error: 'name' is not defined in the data; define it, or guard the tag with "
	       "{{#name}}...{{/name}}");
	EXPECT(TMPL_FORMAT_NONE, 0, "{{#items}}{{name}}{{/items}}", "items: [{name: a}, {}]\n", NULL, 1, "a");
	EXPECT(TMPL_FORMAT_NONE, 1, "{{#missing}}x{{/missing}}", "{}\n", NULL, 0,
	       "t:1:1: error: 'missing' is not defined in the data; define it, or guard the tag with "
	       "{{#missing}}...{{/missing}}");
	EXPECT(TMPL_FORMAT_NONE, 1, "{{^present}}x{{/present}}", "present: null\n", NULL, 1, "x");
}

/* ---- threads ---------------------------------------------------------------------------- */

#define THREADS 8
#define RENDERS 200

struct thread_job {
	const struct tmpl *t;
	struct value *data[4];
	const char *expected[4];
	int mismatches;
};

static void *thread_main(void *arg)
{
	struct thread_job *job = arg;
	struct buf out = BUF_INIT;
	struct error err = ERROR_INIT;
	for (int i = 0; i < RENDERS; i++) {
		buf_clear(&out);
		int k = i % 4;
		if (tmpl_render(job->t, job->data[k], &out, &err) < 0 || strcmp(out.ptr, job->expected[k]) != 0)
			job->mismatches++;
		error_clear(&err);
	}
	buf_release(&out);
	return NULL;
}

static void check_threads(void)
{
	const char *src = "spec:\n  containers:\n  {{>container}}\n  note: {{>*dyn}}\n";
	struct tmpl_options opts = { TMPL_FORMAT_YAML, 1, load_partial, NULL };
	struct tmpl_set *set = tmpl_set_new(&opts);
	struct error err = ERROR_INIT;
	const struct tmpl *t;
	static const struct partial_source all[] = {
		{ "container", "- name: {{name}}\n  image: \"{{image}}\"\n  env:\n  {{#env}}\n  - {name: {{k}}, value: {{v}}}\n  {{/env}}\n" },
		{ "n", "{{name}}" }, { NULL, NULL } };
	current_partials = all;
	CHECK(tmpl_compile(set, "t.yaml", src, strlen(src), &t, &err) == 0);
	struct arena arena = ARENA_INIT;
	struct thread_job jobs[THREADS];
	struct buf expected[4] = { BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT };
	struct value *data[4];
	for (int k = 0; k < 4; k++) {
		struct buf text = BUF_INIT;
		buf_printf(&text, "dyn: n\nname: app%d\nimage: 'reg/x:%d'\nenv: [{k: K%d, v: 'v: %d'}]\n", k, k, k, k);
		CHECK(document_load_string(&arena, text.ptr, text.len, "d.yaml", NULL, &data[k], &err) == 0);
		CHECK(tmpl_render(t, data[k], &expected[k], &err) == 0);
		buf_release(&text);
	}
	CHECK_STR(expected[1].ptr, "spec:\n  containers:\n  - name: app1\n    image: \"reg/x:1\"\n    env:\n"
				   "    - {name: K1, value: \"v: 1\"}\n  note: app1\n");
	pthread_t threads[THREADS];
	for (int i = 0; i < THREADS; i++) {
		jobs[i].t = t;
		jobs[i].mismatches = 0;
		for (int k = 0; k < 4; k++) {
			jobs[i].data[k] = data[(k + i) % 4];
			jobs[i].expected[k] = expected[(k + i) % 4].ptr;
		}
		pthread_create(&threads[i], NULL, thread_main, &jobs[i]);
	}
	int mismatches = 0;
	for (int i = 0; i < THREADS; i++) {
		pthread_join(threads[i], NULL);
		mismatches += jobs[i].mismatches;
	}
	CHECK_MSG(mismatches == 0, "%d of %d threaded renders differ", mismatches, THREADS * RENDERS);
	for (int k = 0; k < 4; k++)
		buf_release(&expected[k]);
	error_clear(&err);
	arena_release(&arena);
	tmpl_set_free(set);
}

/* tmpl_uses_name: which names a template (with its partials) reads, and the frames
 * tmpl_render_frames looks in from the top. */
static void check_uses_name(void)
{
	static const struct partial_source partials[] = {
		{ "with", "{{#hashes}}x{{/hashes}}" }, { "without", "{{id}}" }, { NULL, NULL } };
	current_partials = partials;
	struct tmpl_options opts = { TMPL_FORMAT_NONE, 0, load_partial, NULL };
	struct tmpl_set *set = tmpl_set_new(&opts);
	struct error err = ERROR_INIT;
	static const struct { const char *source; int uses; } cases[] = {
		{ "{{hashes.config}}", 1 }, { "{{#customers}}{{hashes.a}}{{/customers}}", 1 },
		{ "{{^hashes}}none{{/hashes}}", 1 }, { "{{>with}}", 1 }, { "{{>without}}", 0 },
		{ "{{>*dynamic}}", 1 }, { "{{hashes_old}} {{id}} {{x.hashes}} hashes", 0 }, { "{{>missing}}", 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const struct tmpl *t;
		int ok = tmpl_compile(set, "t", cases[i].source, strlen(cases[i].source), &t, &err) == 0;
		CHECK_MSG(ok, "%s: %s", cases[i].source, err.message ? err.message : "");
		if (ok)
			CHECK_MSG(tmpl_uses_name(t, "hashes") == cases[i].uses, "%s should %suse hashes",
				  cases[i].source, cases[i].uses ? "" : "not ");
	}
	struct arena arena = ARENA_INIT;
	struct value *bottom, *top;
	const char *b = "id: acme\nhashes: {a: bottom}\n", *tp = "hashes: {a: top}\n";
	CHECK(document_load_string(&arena, b, strlen(b), "b", NULL, &bottom, &err) == 0);
	CHECK(document_load_string(&arena, tp, strlen(tp), "t", NULL, &top, &err) == 0);
	const struct value *frames[2] = { bottom, top };
	const struct tmpl *t;
	struct buf out = BUF_INIT;
	const char *source = "{{id}} {{hashes.a}}";
	CHECK(tmpl_compile(set, "frames", source, strlen(source), &t, &err) == 0);
	CHECK(tmpl_render_frames(t, frames, 2, &out, &err) == 0);
	CHECK_STR(out.ptr, "acme top");
	buf_release(&out);
	arena_release(&arena);
	error_clear(&err);
	tmpl_set_free(set);
}

int main(void)
{
	check_uses_name();
	check_partial_contexts();
	check_sections_in_yaml();
	check_composed_scalars();
	check_strict();
	check_threads();
	return test_report("template");
}
