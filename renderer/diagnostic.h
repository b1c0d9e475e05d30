/* diagnostic: one error as the user's tool reads it. text is the compiler's line
 * (error_format); json is one object per line (file, line, column, severity, message,
 * fix, related) for editors and bots; github is an Actions workflow command, which
 * GitHub and Gitea Actions turn into an annotation on the line.
 *
 * The message's fix is what follows its first "; " (every message says what is wrong,
 * then how to fix it); related is the first file:line:col the message names (the other
 * customer that claims a host, say). Nothing is allocated past a call. */
#ifndef STAMP_DIAGNOSTIC_H
#define STAMP_DIAGNOSTIC_H

struct buf;
struct error;

enum diagnostic_style { DIAGNOSTIC_TEXT, DIAGNOSTIC_JSON, DIAGNOSTIC_GITHUB };

/* Appends the diagnostic and a line break. */
void diagnostic_format(const struct error *err, enum diagnostic_style style, int color, struct buf *out);

#endif
