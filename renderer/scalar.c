/* Scalar resolution and plain-safety. The regexes are the schemas' own definitions
 * (YAML 1.2 core, chapter 10.3; YAML 1.1 type repository), compiled once with JIT. The
 * match data is kept per thread so that resolving a scalar allocates nothing. */
#include "scalar.h"

#include "alloc.h"

#include "buf.h"
#include "utf8.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Groups: 1 null, 2 bool, 3 decimal int, 4 octal int, 5 hex int, 6 float, 7 inf, 8 nan */
static const char scalar_core_pattern[] =
	"^(?:(~|null|Null|NULL|)"
	"|(true|True|TRUE|false|False|FALSE)"
	"|([-+]?[0-9]+)"
	"|(0o[0-7]+)"
	"|(0x[0-9a-fA-F]+)"
	"|([-+]?(?:\\.[0-9]+|[0-9]+(?:\\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)"
	"|([-+]?\\.(?:inf|Inf|INF))"
	"|(\\.(?:nan|NaN|NAN))"
	")$";

static const char scalar_yaml11_pattern[] =
	"^(?:~|null|Null|NULL|"
	"y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"
	"|[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+"
	"|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+"
	"|[-+]?(?:[0-9][0-9_]*)?\\.[0-9_.]*(?:[eE][-+]?[0-9]+)?"
	"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\\.[0-9_]*"
	"|[-+]?\\.(?:inf|Inf|INF)|\\.(?:nan|NaN|NAN)"
	"|[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"
	"|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \\t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9]"
	"(?:\\.[0-9]*)?(?:[ \\t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?"
	"|<<|=)$";

static pcre2_code *scalar_core_regex;
static pcre2_code *scalar_yaml11_regex;
static pthread_once_t scalar_once = PTHREAD_ONCE_INIT;
static pthread_key_t scalar_match_key;

static pcre2_code *scalar_compile(const char *pattern)
{
	int code;
	PCRE2_SIZE offset;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0, &code,
				       &offset, NULL);
	if (!re) {
		fprintf(stderr, "stamp: error: internal regex failed to compile at %zu\n", (size_t)offset);
		alloc_failed();
	}
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* falls back to the interpreter */
	return re;
}

static void scalar_free_match(void *p)
{
	pcre2_match_data_free(p);
}

static void scalar_init(void)
{
	scalar_core_regex = scalar_compile(scalar_core_pattern);
	scalar_yaml11_regex = scalar_compile(scalar_yaml11_pattern);
	if (pthread_key_create(&scalar_match_key, scalar_free_match) != 0)
		alloc_failed(); /* out of thread-specific keys: a process limit */
}

static pcre2_match_data *scalar_match_data(void)
{
	pthread_once(&scalar_once, scalar_init);
	pcre2_match_data *md = pthread_getspecific(scalar_match_key);
	if (!md) {
		md = pcre2_match_data_create(10, NULL);
		if (!md)
			alloc_failed();
		if (pthread_setspecific(scalar_match_key, md) != 0)
			alloc_failed();
	}
	return md;
}

/* Returns the number of the first group that matched, 0 for no match. */
static int scalar_match(pcre2_code *const *re, const char *s, size_t len)
{
	pcre2_match_data *md = scalar_match_data(); /* compiles the regexes on first use */
	int rc = pcre2_match(*re, (PCRE2_SPTR)s, len, 0, 0, md, NULL);
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc < 0)
		alloc_failed(); /* out of memory or a limit: never taken for "no match" */
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
	for (int g = 1; g < rc; g++)
		if (ov[2 * g] != PCRE2_UNSET)
			return g;
	return rc > 0 ? -1 : 0; /* matched with no group: still "special" */
}

static int scalar_parse_int(const char *s, size_t len, int base, int64_t *out)
{
	char tmp[80];
	if (len >= sizeof tmp)
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = 0;
	errno = 0;
	char *end;
	long long v = strtoll(tmp, &end, base);
	if (errno == ERANGE || *end)
		return -1;
	*out = v;
	return 0;
}

int scalar_resolve_core(const char *s, size_t len, struct scalar_resolved *out)
{
	memset(out, 0, sizeof *out);
	out->kind = SCALAR_STRING;
	if (len > 0 && !memchr("~nNtTfF0123456789+-.", s[0], 20))
		return 0; /* fast path: no core pattern starts with anything else */
	if (memchr(s, 0, len))
		return 0;
	switch (scalar_match(&scalar_core_regex, s, len)) {
	case 1:
		out->kind = SCALAR_NULL;
		return 0;
	case 2:
		out->kind = SCALAR_BOOL;
		out->boolean = s[0] == 't' || s[0] == 'T';
		return 0;
	case 3:
		out->kind = SCALAR_INT;
		return scalar_parse_int(s, len, 10, &out->integer);
	case 4:
		out->kind = SCALAR_INT;
		return scalar_parse_int(s + 2, len - 2, 8, &out->integer);
	case 5:
		out->kind = SCALAR_INT;
		return scalar_parse_int(s + 2, len - 2, 16, &out->integer);
	case 6: {
		char *tmp = malloc(len + 1);
		if (!tmp)
			alloc_failed();
		memcpy(tmp, s, len);
		tmp[len] = 0;
		out->kind = SCALAR_FLOAT;
		errno = 0;
		out->real = strtod(tmp, NULL);
		free(tmp);
		return errno == ERANGE && isinf(out->real) ? -1 : 0;
	}
	case 7:
		out->kind = SCALAR_FLOAT;
		out->real = s[0] == '-' ? -INFINITY : INFINITY;
		return 0;
	case 8:
		out->kind = SCALAR_FLOAT;
		out->real = NAN;
		return 0;
	default:
		return 0;
	}
}

int scalar_is_special_yaml11(const char *s, size_t len)
{
	if (len > 0 && !memchr("~nNyYtTfFoO0123456789+-.<=", s[0], 26))
		return 0;
	if (memchr(s, 0, len))
		return 0;
	return scalar_match(&scalar_yaml11_regex, s, len) != 0;
}

static int scalar_is_core_string(const char *s, size_t len)
{
	struct scalar_resolved r;
	if (scalar_resolve_core(s, len, &r) < 0)
		return 0;
	return r.kind == SCALAR_STRING;
}

/* Every character printable and none a tab: a plain scalar may not hold anything else
 * without a reader normalising it. */
static int scalar_all_printable(const char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f) { /* printable ASCII, most of every value */
			i++;
			continue;
		}
		size_t n = utf8_sequence_length(s + i, len - i);
		if (!n || !utf8_is_printable(utf8_decode(s + i, n)))
			return 0;
		i += n;
	}
	return 1;
}

static int scalar_has_structure(const char *s, size_t len, int flow)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == ':' && (i + 1 == len || s[i + 1] == ' '))
			return 1;
		if (c == '#' && i > 0 && s[i - 1] == ' ')
			return 1;
		if (flow && strchr(",[]{}:", c))
			return 1;
	}
	return 0;
}

int scalar_plain_safe(const char *s, size_t len, int flow)
{
	if (len == 0 || len > 1024)
		return 0;
	if (!scalar_all_printable(s, len))
		return 0;
	unsigned char first = (unsigned char)s[0];
	if (strchr("?:,[]{}#&*!|>'\"%@`", first) || first == ' ')
		return 0;
	if (first == '-' && (len == 1 || s[1] == ' '))
		return 0;
	if (s[len - 1] == ' ')
		return 0;
	if (len >= 3 && (memcmp(s, "---", 3) == 0 || memcmp(s, "...", 3) == 0))
		return 0;
	if (scalar_has_structure(s, len, flow))
		return 0;
	return scalar_is_core_string(s, len) && !scalar_is_special_yaml11(s, len);
}

int scalar_fragment_safe(const char *s, size_t len, int at_start, int flow)
{
	if (len == 0)
		return 1;
	if (!scalar_all_printable(s, len))
		return 0;
	if (s[0] == ' ' || s[len - 1] == ' ' || s[0] == '#' || s[len - 1] == ':')
		return 0;
	if (at_start) {
		unsigned char first = (unsigned char)s[0];
		if (strchr("-?:,[]{}#&*!|>'\"%@`", first))
			return 0;
		if (len >= 3 && (memcmp(s, "---", 3) == 0 || memcmp(s, "...", 3) == 0))
			return 0;
	}
	return !scalar_has_structure(s, len, flow);
}

void scalar_format_float(double d, struct buf *out)
{
	if (isnan(d)) {
		buf_add_str(out, ".nan");
		return;
	}
	if (isinf(d)) {
		buf_add_str(out, d < 0 ? "-.inf" : ".inf");
		return;
	}
	char tmp[40];
	for (int precision = 1; precision <= 17; precision++) {
		snprintf(tmp, sizeof tmp, "%.*g", precision, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	char *e = strchr(tmp, 'e');
	if (strchr(tmp, '.')) {
		buf_add_str(out, tmp);
	} else if (e) {
		buf_add(out, tmp, (size_t)(e - tmp));
		buf_add_str(out, ".0");
		buf_add_str(out, e);
	} else {
		buf_add_str(out, tmp);
		buf_add_str(out, ".0");
	}
}
