/* libFuzzer target for `make fuzz`: arbitrary bytes as out/.stamp-manifest. Nothing may
 * crash, leak or read out of bounds, and whatever the parser accepts must obey the
 * out/ path rule and format back to text that parses to the same records (a manifest
 * stamp trusts for a deletion is one it could have written). Every customer's summary
 * goes through the decoder, and one it accepts encodes back to the same text. */
#include "arena.h"
#include "buf.h"
#include "error.h"
#include "manifest.h"
#include "outmanifest.h"
#include "outpath.h"
#include "summary.h"
#include "value.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0; /* a NUL inside ends the text, as reading a file into a string does */
	struct outmanifest m;
	struct error err = ERROR_INIT;
	if (outmanifest_parse(&m, text, "fuzz", &err) < 0) {
		error_clear(&err);
		return 0;
	}
	for (size_t i = 0; i < m.file_count; i++) {
		if (outpath_problem(m.files[i].path, strlen(m.files[i].path)))
			abort(); /* a path the rule refuses was accepted */
		if (i && strcmp(m.files[i - 1].path, m.files[i].path) >= 0)
			abort(); /* not sorted, or a path twice */
	}
	struct arena arena = ARENA_INIT;
	struct manifest owner;
	memset(&owner, 0, sizeof owner);
	owner.platform = value_new_map(&arena, NULL, 0, 0);
	owner.deploy.values = value_new_map(&arena, NULL, 0, 0);
	struct summary_keys all = { NULL, 0, 1 };
	for (size_t i = 0; i < m.customer_count; i++) {
		struct value *v;
		if (!m.customers[i].summary ||
		    summary_decode(&arena, m.customers[i].summary, m.customers[i].summary_len, "customers/x.yaml",
				   &owner, &v) < 0)
			continue;
		struct buf text = BUF_INIT;
		summary_encode(&all, &owner, v, "customers/x.yaml", &text);
		/* the decoder accepts some spellings the encoder never writes (a leading zero
		 * in a line, "i+1" for "i1"); the canonical text must decode to itself */
		struct value *v2;
		struct buf text2 = BUF_INIT;
		if (summary_decode(&arena, text.ptr, text.len, "customers/x.yaml", &owner, &v2) < 0)
			abort();
		summary_encode(&all, &owner, v2, "customers/x.yaml", &text2);
		if (text.len != text2.len || memcmp(text.ptr, text2.ptr, text.len) != 0)
			abort();
		buf_release(&text);
		buf_release(&text2);
	}
	arena_release(&arena);
	struct buf again = BUF_INIT;
	outmanifest_format(&m, &again);
	struct outmanifest back;
	if (outmanifest_parse(&back, buf_detach(&again, NULL), "fuzz again", &err) < 0)
		abort(); /* what was accepted must format to an acceptable manifest */
	if (back.file_count != m.file_count || back.customer_count != m.customer_count)
		abort();
	for (size_t i = 0; i < m.file_count; i++)
		if (strcmp(back.files[i].path, m.files[i].path) != 0 || strcmp(back.files[i].owner, m.files[i].owner) != 0 ||
		    !hash_equal(back.files[i].hash, m.files[i].hash))
			abort();
	outmanifest_release(&back);
	outmanifest_release(&m);
	return 0;
}
