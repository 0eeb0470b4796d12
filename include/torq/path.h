#ifndef TORQ_PATH_H
#define TORQ_PATH_H

#include "torq/buf.h"

/*
 * File-name arithmetic, lexical only (no file system access): paths in a
 * manifest are relative to the file that holds them.
 */

/* Append the directory part of path ("." when it has none) to out. */
void path_dirname(const char *path, struct buf *out);

/*
 * Append rel resolved against the directory of the file `from` to out,
 * with "." and "dir/.." segments folded away. An absolute rel is kept.
 */
void path_relative_to(const char *from, const char *rel, struct buf *out);

#endif
