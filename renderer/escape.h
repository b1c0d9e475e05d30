/* escape: writing a string inside one kind of quoted or commented text so that a reader
 * of that format gets exactly the string back, and nothing else.
 *
 * Each function appends to out and returns 0, or returns -1 and sets *why to a static
 * sentence saying what in the string cannot be represented there (the caller turns it
 * into a diagnostic with positions). Nothing is ever dropped or replaced silently. */
#ifndef STAMP_ESCAPE_H
#define STAMP_ESCAPE_H

#include <stddef.h>

struct buf;

/* & < > " ' as entities, everything else as is (the mustache spec's escaping). */
void escape_html(struct buf *out, const char *s, size_t len);
/* Inside "..." in YAML: \" \\ \n \t \r \0, \xNN and \uNNNN for everything that is not
 * printable. Refuses invalid UTF-8. */
int escape_yaml_double_quoted(struct buf *out, const char *s, size_t len, const char **why);
/* Inside '...' in YAML: ' doubled. Refuses line breaks and non-printable characters,
 * which single quotes cannot carry unchanged. */
int escape_yaml_single_quoted(struct buf *out, const char *s, size_t len, const char **why);
/* Inside a comment: line breaks, control characters and invalid bytes as \n, \xNN,
 * \uNNNN so the comment cannot end early. `block_comment` also breaks up a star-slash
 * that would close an HCL block comment. Never fails. */
void escape_comment(struct buf *out, const char *s, size_t len, int block_comment);
/* Inside "..." in JSON (RFC 8259), with U+2028/U+2029 and every non-printable as \uNNNN. */
int escape_json_string(struct buf *out, const char *s, size_t len, const char **why);
/* Inside "..." in HCL: JSON-like escapes plus ${ -> $${ and %{ -> %%{ so a value never
 * becomes an interpolation or a template directive. */
int escape_hcl_string(struct buf *out, const char *s, size_t len, const char **why);

#endif
