/* outpath: what a path under out/ may be. One rule for every path stamp is about to
 * write, read or delete there, whether it came from an output's path: template, from
 * out/.stamp-manifest or from the pending journal (files anyone can edit): relative,
 * made of non-empty segments that are neither "." nor "..", no NUL, control byte or
 * DEL, at most 4,095 bytes with segments of at most 255, and no leading '.' (out/'s top
 * level keeps stamp's own files, out/.stamp-*). Pure functions; nothing to free. */
#ifndef STAMP_OUTPATH_H
#define STAMP_OUTPATH_H

#include <stddef.h>

#define OUTPATH_MAX 4095

/* NULL when path (len bytes) is acceptable, else why it is not, as a phrase ("has a
 * '..' segment"). */
const char *outpath_problem(const char *path, size_t len);

#endif
