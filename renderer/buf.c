/* Growable byte buffer. Growth doubles the capacity so that appending n bytes one at a
 * time costs O(n); the terminating NUL is kept after every operation. */
#include "buf.h"

#include "alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char buf_slop[1];

void buf_grow_to(struct buf *b, size_t need)
{
	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	char *p = realloc(b->cap ? b->ptr : NULL, cap);
	if (!p)
		alloc_failed();
	b->ptr = p;
	b->cap = cap;
}

void buf_add_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_add_char(struct buf *b, char c)
{
	buf_grow(b, 1);
	b->ptr[b->len++] = c;
	b->ptr[b->len] = 0;
}

void buf_add_repeat(struct buf *b, char c, size_t count)
{
	buf_grow(b, count);
	memset(b->ptr + b->len, c, count);
	b->len += count;
	b->ptr[b->len] = 0;
}

void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list copy;
	va_copy(copy, ap);
	int n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0)
		return;
	buf_grow(b, (size_t)n);
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void buf_truncate(struct buf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->ptr[len] = 0;
	}
}

void buf_clear(struct buf *b)
{
	buf_truncate(b, 0);
}

char *buf_detach(struct buf *b, size_t *len)
{
	char *p = b->cap ? b->ptr : NULL;
	if (!p) {
		p = malloc(1);
		if (!p)
			alloc_failed();
		p[0] = 0;
	}
	if (len)
		*len = b->len;
	b->ptr = buf_slop;
	b->len = b->cap = 0;
	return p;
}

void buf_release(struct buf *b)
{
	if (b->cap)
		free(b->ptr);
	b->ptr = buf_slop;
	b->len = b->cap = 0;
}

int buf_read_fd(struct buf *b, int fd, size_t max_size)
{
	char chunk[65536];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		if (max_size && b->len + (size_t)n > max_size) {
			errno = EFBIG;
			return -1;
		}
		buf_add(b, chunk, (size_t)n);
	}
	if (!b->cap)
		buf_add(b, "", 0);
	return 0;
}

int buf_read_regular(struct buf *b, int fd, size_t max_size, size_t size)
{
	if (max_size && size > max_size) {
		errno = EFBIG;
		return -1;
	}
	/* one read() asking for a byte more than fstat() said: fewer bytes back is the end
	 * of a regular file (a read returns less only when less is left), which saves the
	 * second read() that would return 0. A file that grew meanwhile is read on. */
	buf_grow(b, size + 1);
	for (;;) {
		size_t want = b->cap - b->len - 1;
		ssize_t n = read(fd, b->ptr + b->len, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		b->len += (size_t)n;
		b->ptr[b->len] = 0;
		if (max_size && b->len > max_size) {
			errno = EFBIG;
			return -1;
		}
		if ((size_t)n < want)
			return 0;
		buf_grow(b, 65536);
	}
}

int buf_read_file(struct buf *b, const char *path, size_t max_size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = buf_read_fd(b, fd, max_size);
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}
