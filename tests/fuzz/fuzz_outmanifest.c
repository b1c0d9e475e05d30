/* libFuzzer target for `make fuzz`: arbitrary bytes as out/.stamp-manifest. Nothing may
 * crash, leak or read out of bounds, and whatever the parser accepts must obey the
 * out/ path rule and format back to text that parses to the same records (a manifest
 * stamp trusts for a deletion is one it could have written). */
#include "buf.h"
#include "error.h"
#include "outmanifest.h"
#include "outpath.h"

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
