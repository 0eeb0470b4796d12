#ifndef TORQ_SUGGEST_H
#define TORQ_SUGGEST_H

#include <stddef.h>

/*
 * Edit distance between a and b, compared case-insensitively: the
 * restricted Damerau distance (optimal string alignment), where a swap of
 * two neighbours counts as one edit but a swapped pair is not edited again.
 */
size_t edit_distance(const char *a, const char *b);

/*
 * The candidate closest to word, or NULL when none is close enough to be a
 * plausible misspelling (git help.c's "did you mean"). Returns a borrowed
 * pointer into cands.
 */
const char *suggest(const char *word, const char *const *cands, size_t n);

#endif
