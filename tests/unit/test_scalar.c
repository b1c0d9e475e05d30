/* Scalar resolution, plain-safety and float printing; the buffer and the hint helper. */
#include "buf.h"
#include "scalar.h"
#include "suggest.h"
#include "test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void check_float(double d, const char *want)
{
	struct buf b = BUF_INIT;
	scalar_format_float(d, &b);
	CHECK_STR(b.ptr, want);
	if (isfinite(d))
		CHECK_MSG(strtod(b.ptr, NULL) == d, "%s does not round-trip", b.ptr);
	buf_release(&b);
}

static void check_floats(void)
{
	check_float(1.21, "1.21");
	check_float(0.1, "0.1");
	check_float(3.0, "3.0");
	check_float(-2.0, "-2.0");
	check_float(1e300, "1.0e+300");
	check_float(1.5e-10, "1.5e-10");
	check_float(0.30000000000000004, "0.30000000000000004");
	check_float(INFINITY, ".inf");
	check_float(-INFINITY, "-.inf");
	check_float(NAN, ".nan");
	/* every printed float is a float again under the core schema */
	const double samples[] = { 3.0, 1e300, 1.5e-10, 123456789.0, 0.5 };
	for (size_t i = 0; i < sizeof samples / sizeof *samples; i++) {
		struct buf b = BUF_INIT;
		scalar_format_float(samples[i], &b);
		struct scalar_resolved r;
		CHECK(scalar_resolve_core(b.ptr, b.len, &r) == 0 && r.kind == SCALAR_FLOAT && r.real == samples[i]);
		CHECK_MSG(scalar_is_special_yaml11(b.ptr, b.len), "%s is not a float under YAML 1.1", b.ptr);
		buf_release(&b);
	}
}

static void check_plain_safety(void)
{
	static const char *const safe[] = { "acme", "web-1", "a.b.c", "reg.io/app", "hello world",
					    "v1.2.3", "x_y", "caf\xc3\xa9", "a:b", "0.1.42-rc" };
	static const char *const unsafe[] = { "", "yes", "No", "on", "OFF", "y", "true", "null", "~",
					      "12", "0x1F", "1e3", "3.0", ".inf", "2024-01-01",
					      "1:20", "<<", "=", "-", "- x", "a: b", "a #b", "#x",
					      "*x", "&x", "!x", "|x", ">x", "'x", "\"x", "%x", "@x",
					      "`x", "{x", "[x", " x", "x ", "a\nb", "tab\t", "---",
					      "...", "x:", "017", "+1", "0o17", "0b101", "1_000",
					      "1.2.3" /* a float under the YAML 1.1 spec's own regex */ };
	for (size_t i = 0; i < sizeof safe / sizeof *safe; i++)
		CHECK_MSG(scalar_plain_safe(safe[i], strlen(safe[i]), 0), "\"%s\" should be plain", safe[i]);
	for (size_t i = 0; i < sizeof unsafe / sizeof *unsafe; i++)
		CHECK_MSG(!scalar_plain_safe(unsafe[i], strlen(unsafe[i]), 0), "\"%s\" must be quoted", unsafe[i]);
	CHECK(!scalar_plain_safe("a,b", 3, 1));
	CHECK(!scalar_plain_safe("a:b", 3, 1));
	CHECK(scalar_plain_safe("a,b", 3, 0));
	CHECK(scalar_fragment_safe("500", 3, 0, 0));
	CHECK(!scalar_fragment_safe("a: b", 4, 0, 0));
	CHECK(!scalar_fragment_safe("-x", 2, 1, 0));
	CHECK(scalar_fragment_safe("-x", 2, 0, 0));
	CHECK(!scalar_fragment_safe("x ", 2, 0, 0));
	CHECK(!scalar_fragment_safe("x:", 2, 0, 0));
}

static void check_buf_and_suggest(void)
{
	struct buf b = BUF_INIT;
	for (int i = 0; i < 1000; i++)
		buf_printf(&b, "%d,", i);
	CHECK(b.len == 3890 && b.ptr[b.len] == 0);
	buf_add(&b, "\0x", 2);
	CHECK(b.len == 3892 && b.ptr[3890] == 0 && b.ptr[3891] == 'x');
	buf_truncate(&b, 3);
	CHECK_STR(b.ptr, "0,1");
	size_t len;
	char *p = buf_detach(&b, &len);
	CHECK(len == 3 && b.ptr && b.ptr[0] == 0 && b.len == 0 && b.cap == 0);
	free(p);
	/* an empty buffer is a string from the start: printed, it is "", never "(null)" */
	struct buf empty = BUF_INIT, shown = BUF_INIT;
	buf_printf(&shown, "[%s]", empty.ptr);
	CHECK_STR(shown.ptr, "[]");
	buf_clear(&empty);
	buf_truncate(&empty, 0);
	CHECK(empty.cap == 0 && empty.ptr[0] == 0);
	char *nothing = buf_detach(&empty, NULL);
	CHECK(nothing && nothing[0] == 0);
	free(nothing);
	buf_release(&empty);
	buf_release(&shown);
	CHECK(shown.ptr && shown.ptr[0] == 0 && shown.cap == 0);

	static const char *const words[] = { "render", "check", "diff", "commit", "show", "mustache" };
	CHECK_STR(suggest_closest("rednre", 6, words, 6), "render");
	CHECK_STR(suggest_closest("comit", 5, words, 6), "commit");
	CHECK_STR(suggest_closest("mustach", 7, words, 6), "mustache");
	CHECK(suggest_closest("xyzzy", 5, words, 6) == NULL);
	CHECK(suggest_distance("ab", 2, "ba", 2) == 1);
	CHECK(suggest_distance("kitten", 6, "sitting", 7) == 3);
}

int main(void)
{
	check_floats();
	check_plain_safety();
	check_buf_and_suggest();
	return test_report("scalar");
}
