/* buf: a growable byte buffer used for all text building.
 *
 * A struct buf owns its bytes; buf_release() frees them. The contents are always
 * NUL-terminated (ptr[len] == 0) so they can be handed to C string functions, but a
 * buffer may also hold NUL bytes inside: len is the truth. Allocation failure aborts
 * the process, because every caller would otherwise have to carry an out-of-memory path
 * that no test could reach. */
#ifndef STAMP_BUF_H
#define STAMP_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

struct buf {
	char *ptr;
	size_t len;
	size_t cap;
};

/* An empty buffer points at this shared, never-written byte, so that ptr is a string
 * from the start: an empty buffer printed with %s is "", never "(null)". Nothing is
 * allocated until the first byte is added (cap 0 means "owns nothing"). */
extern char buf_slop[1];
#define BUF_INIT { buf_slop, 0, 0 }

/* Room for extra more bytes and the NUL. Inline: the renderer and the loaders grow a
 * buffer for every piece they append, and the room is almost always there. */
void buf_grow_to(struct buf *b, size_t need);
static inline void buf_grow(struct buf *b, size_t extra)
{
	if (b->len + extra + 1 > b->cap)
		buf_grow_to(b, b->len + extra + 1);
}

static inline void buf_add(struct buf *b, const void *data, size_t len)
{
	buf_grow(b, len);
	if (len)
		memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = 0;
}
void buf_add_str(struct buf *b, const char *s);
void buf_add_char(struct buf *b, char c);
void buf_add_repeat(struct buf *b, char c, size_t count);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
void buf_truncate(struct buf *b, size_t len);
void buf_clear(struct buf *b);
/* Hands the bytes to the caller (who frees them) and leaves b empty. */
char *buf_detach(struct buf *b, size_t *len);
void buf_release(struct buf *b);
/* Reads a whole file; returns 0, or -1 with errno set. max_size 0 means no limit;
 * a larger file fails with errno EFBIG. */
int buf_read_file(struct buf *b, const char *path, size_t max_size);
/* Appends everything fd holds from its offset on; -1 with errno set (EFBIG past
 * max_size, 0: no limit). The text is NUL-terminated on success. */
/* The same for a regular file fstat() says holds `size` bytes: read into place, with
 * one read() when the size holds. */
int buf_read_regular(struct buf *b, int fd, size_t max_size, size_t size);
int buf_read_fd(struct buf *b, int fd, size_t max_size);

#endif
