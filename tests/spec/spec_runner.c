/* Mustache conformance: runs every case of the official spec files (read at run time
 * from $MUSTACHE_SPEC/specs, default ../shared/mustache-spec) through the engine in
 * spec mode (HTML escaping, missing names empty). Lambdas need code in the data and are
 * the one optional module not run; a missing spec directory prints a skipped line. */
#include "arena.h"
#include "buf.h"
#include "document.h"
#include "error.h"
#include "template.h"
#include "test.h"
#include "value.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

struct spec_partials {
	const struct value *map;
};

static int spec_load_partial(void *data, const char *name, size_t len, struct buf *source,
			     struct buf *path, struct error *err)
{
	(void)err;
	struct spec_partials *p = data;
	const struct value *v = value_map_get(p->map, name, len);
	if (!v || v->type != VALUE_STRING)
		return 1;
	buf_add(source, v->as.string.ptr, v->as.string.len);
	buf_printf(path, "%.*s", (int)len, name);
	return 0;
}

static void spec_show(const char *label, const char *s, size_t len)
{
	fprintf(stderr, "    %s: \"", label);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\n')
			fputs("\\n", stderr);
		else if (c == '\r')
			fputs("\\r", stderr);
		else if (c == '\t')
			fputs("\\t", stderr);
		else
			fputc(c, stderr);
	}
	fputs("\"\n", stderr);
}

static void spec_run_file(const char *path, const char *file_name)
{
	struct arena arena = ARENA_INIT;
	struct error err = ERROR_INIT;
	struct value *root;
	if (document_load_file(&arena, path, NULL, &root, &err) < 0) {
		fprintf(stderr, "%s:%u:%u: cannot load spec file: %s\n", path, err.line, err.col, err.message);
		test_failed++;
		error_clear(&err);
		arena_release(&arena);
		return;
	}
	const struct value *tests = value_map_get(root, "tests", 5);
	for (size_t i = 0; tests && i < tests->as.list.count; i++) {
		const struct value *tc = tests->as.list.items[i];
		const struct value *name = value_map_get(tc, "name", 4);
		const struct value *data = value_map_get(tc, "data", 4);
		const struct value *template = value_map_get(tc, "template", 8);
		const struct value *expected = value_map_get(tc, "expected", 8);
		const struct value *partials = value_map_get(tc, "partials", 8);
		struct spec_partials sp = { partials };
		struct tmpl_options opts = { TMPL_FORMAT_HTML, 0, spec_load_partial, &sp };
		struct tmpl_set *set = tmpl_set_new(&opts);
		const struct tmpl *t;
		struct buf out = BUF_INIT;
		int ok = tmpl_compile(set, file_name, template->as.string.ptr, template->as.string.len,
				      &t, &err) == 0 &&
			 tmpl_render(t, data, &out, &err) == 0;
		if (ok && out.len == expected->as.string.len &&
		    memcmp(out.ptr, expected->as.string.ptr, out.len) == 0) {
			test_passed++;
		} else {
			test_failed++;
			fprintf(stderr, "FAIL %s: %s\n", file_name, name->as.string.ptr);
			spec_show("template", template->as.string.ptr, template->as.string.len);
			spec_show("expected", expected->as.string.ptr, expected->as.string.len);
			if (ok)
				spec_show("actual  ", out.ptr ? out.ptr : "", out.len);
			else
				fprintf(stderr, "    error: %s:%u:%u: %s\n", err.file ? err.file : "", err.line,
					err.col, err.message);
		}
		error_clear(&err);
		buf_release(&out);
		tmpl_set_free(set);
	}
	arena_release(&arena);
}

static int spec_compare(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	const char *root = getenv("MUSTACHE_SPEC");
	if (!root || !*root)
		root = "../shared/mustache-spec";
	struct buf dir = BUF_INIT;
	buf_printf(&dir, "%s/specs", root);
	DIR *d = opendir(dir.ptr);
	if (!d) {
		printf("mustache spec: skipped (no spec files at %s; set MUSTACHE_SPEC)\n", dir.ptr);
		buf_release(&dir);
		return test_report("mustache spec");
	}
	char *names[64];
	size_t count = 0;
	struct dirent *e;
	while ((e = readdir(d)) && count < 64) {
		size_t n = strlen(e->d_name);
		if (n > 5 && strcmp(e->d_name + n - 5, ".json") == 0 && !strstr(e->d_name, "lambdas"))
			names[count++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, count, sizeof *names, spec_compare);
	for (size_t i = 0; i < count; i++) {
		struct buf path = BUF_INIT;
		buf_printf(&path, "%s/%s", dir.ptr, names[i]);
		spec_run_file(path.ptr, names[i]);
		buf_release(&path);
		free(names[i]);
	}
	buf_release(&dir);
	return test_report("mustache spec");
}
