/* The token id stream that tokenizers produce and the counters (and, later, other models) read.
 *
 * Conventions: id >= 0 is a word, GF_SEP (-1) separates documents (windows never cross it),
 * GF_SKIP (-2) is an unknown word that still occupies its position (glove_python's
 * ignore_missing semantics), GF_DROP (-3) marks a word a remap table removes without a trace.
 */
#ifndef GF_TOKENS_H
#define GF_TOKENS_H

#include <stdint.h>
#include <stdlib.h>

#include "platform.h"

#define GF_SEP (-1)
#define GF_SKIP (-2)
#define GF_DROP (-3)

/* ------------------------------------------------------------------------------------------ */
/* growable int32 buffer (a gf_big buffer: free data with gf_big_free)                        */

typedef struct {
    int32_t *data;
    int64_t n, cap;
} gf_ibuf;

static inline int gf_ibuf_reserve(gf_ibuf *b, int64_t extra) {
    if (b->n + extra <= b->cap) return 0;
    int64_t cap = b->cap ? b->cap : 1 << 16;
    while (cap < b->n + extra) cap += cap / 2 + 1;
    int32_t *p = (int32_t *)gf_big_realloc(b->data, (size_t)cap * sizeof(int32_t));
    if (!p) return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

#endif /* GF_TOKENS_H */
