/* Strict UTF-8. YAML and JSON both require valid Unicode, so every byte that reaches an
 * output is checked here before anything else looks at it. */
#include "utf8.h"

size_t utf8_sequence_length(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	if (len == 0)
		return 0;
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	size_t n;
	uint32_t min;
	uint32_t cp;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2; min = 0x80; cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3; min = 0x800; cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4; min = 0x10000; cp = c & 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

uint32_t utf8_decode(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	if (n == 1)
		return s[0];
	uint32_t cp = s[0] & (n == 2 ? 0x1f : n == 3 ? 0x0f : 0x07);
	for (size_t i = 1; i < n; i++)
		cp = (cp << 6) | (s[i] & 0x3f);
	return cp;
}

int utf8_is_valid(const char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t n = utf8_sequence_length(s + i, len - i);
		if (!n)
			return 0;
		i += n;
	}
	return 1;
}

int utf8_is_printable(uint32_t cp)
{
	if (cp < 0x20 || cp == 0x7f)
		return 0;
	if (cp >= 0x80 && cp <= 0x9f)
		return 0;
	if (cp == 0x2028 || cp == 0x2029 || cp == 0xfeff)
		return 0;
	if (cp >= 0xfdd0 && cp <= 0xfdef)
		return 0;
	if ((cp & 0xfffe) == 0xfffe)
		return 0;
	return 1;
}
