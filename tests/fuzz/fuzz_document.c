/* libFuzzer target for `make fuzz`: arbitrary bytes as a YAML document, read by the
 * loader with a spec's limits. Nothing may crash, hang, leak or read out of bounds; a
 * failure must come with a message and a position inside the text, a success with a
 * tree whose every scalar is NUL-terminated at its length. */
#include "arena.h"
#include "document.h"
#include "error.h"
#include "value.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_walk(const struct value *v, int depth)
{
	if (depth > 100)
		abort(); /* the limit below lets no deeper tree through */
	switch (v->type) {
	case VALUE_STRING:
		if (v->as.string.ptr[v->as.string.len] != 0)
			abort();
		break;
	case VALUE_LIST:
		for (size_t i = 0; i < v->as.list.count; i++)
			fuzz_walk(v->as.list.items[i], depth + 1);
		break;
	case VALUE_MAP:
		for (size_t i = 0; i < v->as.map.count; i++) {
			if (v->as.map.entries[i].key->type != VALUE_STRING)
				abort();
			fuzz_walk(v->as.map.entries[i].value, depth + 1);
		}
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena arena = ARENA_INIT;
	struct value *root;
	struct error err = ERROR_INIT;
	struct document_limits limits = { 65536, 64 };
	/* YAML breaks lines at CR as well as LF (and at NEL, LS, PS: 2 or 3 bytes each) */
	unsigned lines = 1;
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n' || data[i] == '\r' || data[i] == 0x85 || data[i] == 0xa8 || data[i] == 0xa9;
	if (document_load_string(&arena, (const char *)data, size, "f.yaml", &limits, &root, &err) < 0) {
		if (!err.message || err.line > lines + 1)
			abort();
	} else {
		fuzz_walk(root, 0);
	}
	error_clear(&err);
	arena_release(&arena);
	return 0;
}
