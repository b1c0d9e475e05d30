/* libFuzzer target for `make fuzz`: arbitrary bytes as a customer spec, validated and
 * merged against the default template set (templates/stamp.yaml, loaded once from the
 * directory the fuzzer runs in, or STAMP_FUZZ_ROOT). Nothing may crash, leak or read
 * out of bounds; an invalid spec must give at least one diagnostic, none printing
 * "(null)", and a valid one a map of values. */
#include "arena.h"
#include "document.h"
#include "error.h"
#include "manifest.h"
#include "source.h"
#include "value.h"
#include "values.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct manifest *fuzz_manifest(void)
{
	static struct manifest *m;
	static struct source src;
	if (m)
		return m;
	const char *root = getenv("STAMP_FUZZ_ROOT") ? getenv("STAMP_FUZZ_ROOT") : ".";
	int fd = open(root, O_RDONLY | O_DIRECTORY);
	if (fd < 0) {
		perror(root);
		abort();
	}
	source_worktree_open(&src, fd, root);
	struct error_list errors = ERROR_LIST_INIT;
	m = manifest_load(&src, MANIFEST_PATH, &errors);
	if (!m) {
		for (size_t i = 0; i < errors.count; i++)
			fprintf(stderr, "%s:%u:%u: %s\n", errors.items[i].file ? errors.items[i].file : "?",
				errors.items[i].line, errors.items[i].col, errors.items[i].message);
		fprintf(stderr, "%s/templates/stamp.yaml does not load\n", root);
		abort();
	}
	error_list_release(&errors);
	return m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct manifest *m = fuzz_manifest();
	struct arena arena = ARENA_INIT;
	struct value *spec;
	struct error err = ERROR_INIT;
	struct document_limits limits = { 65536, 64 };
	if (document_load_string(&arena, (const char *)data, size, "customers/acme.yaml", &limits, &spec, &err) == 0) {
		struct error_list errors = ERROR_LIST_INIT;
		struct value *values = values_build(m, "acme", "customers/acme.yaml", spec, &arena, &errors);
		if (!values && errors.count == 0)
			abort(); /* refused without saying why */
		if (values && values->type != VALUE_MAP)
			abort();
		/* "(null)" in a message that the spec does not hold is a NULL printed with %s */
		int written = 0;
		for (size_t i = 0; i + 6 <= size && !written; i++)
			written = memcmp(data + i, "(null)", 6) == 0;
		for (size_t i = 0; i < errors.count; i++)
			if (!errors.items[i].message || (!written && strstr(errors.items[i].message, "(null)")))
				abort();
		error_list_release(&errors);
	}
	error_clear(&err);
	arena_release(&arena);
	return 0;
}
