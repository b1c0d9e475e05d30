/* The path rule. Checked byte by byte rather than with a regex: a path is split into
 * segments anyway to name which one is wrong. */
#include "outpath.h"

#include <string.h>

const char *outpath_problem(const char *path, size_t len)
{
	if (len == 0)
		return "is empty";
	if (len > OUTPATH_MAX)
		return "is longer than 4095 bytes";
	if (path[0] == '/')
		return "is absolute";
	if (path[0] == '.')
		return "starts with '.', which out/ keeps for stamp's own files (out/.stamp-*)";
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len) {
			unsigned char c = (unsigned char)path[i];
			if (c < 0x20 || c == 0x7f)
				return c == 0 ? "holds a NUL byte" : "holds a control character";
			if (c != '/')
				continue;
		}
		size_t n = i - start;
		if (n == 0)
			return "has an empty segment ('//' or a trailing '/')";
		if (n == 1 && path[start] == '.')
			return "has a '.' segment";
		if (n == 2 && path[start] == '.' && path[start + 1] == '.')
			return "has a '..' segment";
		if (n > 255)
			return "has a segment longer than 255 bytes";
		start = i + 1;
	}
	return NULL;
}
