/* libFuzzer target for `make fuzz`: arbitrary bytes as a template in every format (the
 * first byte picks format and strictness), compiled and rendered over fixed hostile
 * data. Nothing may crash, hang, leak or read out of bounds; errors are fine. (The YAML
 * loader has its own target, fuzz_document.c.) */
#include "arena.h"
#include "buf.h"
#include "document.h"
#include "error.h"
#include "template.h"
#include "value.h"

#include <stdint.h>
#include <string.h>

static int fuzz_loader(void *data, const char *name, size_t len, struct buf *source,
		       struct buf *path, struct error *err)
{
	(void)data;
	(void)err;
	if (len != 1 || name[0] != 'p')
		return 1;
	buf_add_str(source, "x: {{v}}\n- {{#l}}{{.}}{{/l}}\n\"{{v}}\" {{>p}}");
	buf_add_str(path, "p");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct arena arena;
	static struct value *values;
	if (size < 1)
		return 0;
	if (!values) {
		struct error e = ERROR_INIT;
		const char *text = "v: \"a: b\\n#\"\nl: [1, 'x y', null]\nm: {k: v}\nw: '1'\nname: p\n";
		document_load_string(&arena, text, strlen(text), "d.yaml", NULL, &values, &e);
	}
	struct tmpl_options options = { (enum tmpl_format)(data[0] % 5), data[0] & 8, fuzz_loader, NULL };
	struct tmpl_set *set = tmpl_set_new(&options);
	const struct tmpl *t;
	struct error err = ERROR_INIT;
	struct buf out = BUF_INIT;
	if (tmpl_compile(set, "t", (const char *)data + 1, size - 1, &t, &err) == 0)
		tmpl_render(t, values, &out, &err);
	buf_release(&out);
	error_clear(&err);
	tmpl_set_free(set);
	return 0;
}
