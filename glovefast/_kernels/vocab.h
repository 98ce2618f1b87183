/* Tokenizer and vocabulary hash table, included by vocab.pyx.
 *
 * A byte-level tokenizer feeds an open-addressing vocabulary hash table, so text files are
 * tokenised and counted with no per-token Python work. Tokens get first-seen ids; Python later
 * re-numbers them by frequency and `gf_remap_tokens` rewrites the id stream in place. The id
 * stream's conventions are in tokens.h.
 */
#ifndef GF_VOCAB_H
#define GF_VOCAB_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tokens.h"

/* ------------------------------------------------------------------------------------------ */
/* vocabulary hash table                                                                       */

/* A word of the table. Probing touches one slot and, when its hash tag matches, this record:
 * words of up to 8 bytes (most of them) are compared through `head` without reading the arena. */
typedef struct {
    uint64_t head;   /* the word's first 8 bytes, zero-padded */
    uint64_t offset; /* where its bytes start in the arena */
    int64_t count;
    uint32_t len;
    uint32_t pad_;
} gf_word;

typedef struct {
    uint64_t *slots; /* 0 = empty, else (hash >> 32) << 32 | (id + 1) */
    uint64_t mask;
    int64_t n, cap;
    gf_word *words;
    char *arena;
    uint64_t arena_len, arena_cap;
    gf_ibuf tokens;
    int last_was_sep; /* collapse runs of empty lines into one separator */
    int drop_tokens;  /* 1: count words only, keep no token stream (the vocabulary pass) */
} gf_vocab;

/* The n < 8 bytes at s, zero-padded, as one little-endian word. When `avail` >= 8 bytes may be
 * read at s (a token inside a chunk), one load and a mask replace the byte loop. */
static inline uint64_t gf_load_short(const unsigned char *s, size_t n, size_t avail) {
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (avail >= 8) {
        uint64_t x;
        memcpy(&x, s, 8);
        return n ? x & (~0ULL >> (64 - 8 * n)) : 0;
    }
#endif
    (void)avail;
    uint64_t k = 0;
    for (size_t i = 0; i < n; i++) k |= (uint64_t)s[i] << (8 * i);
    return k;
}

/* The hash of s[0:n) and its first 8 bytes, zero-padded (*head); `avail` (>= n) bytes may be
 * read at s. The value depends on the bytes only, never on `avail`. */
static inline uint64_t gf_hash_head(const unsigned char *s, size_t n, uint64_t *head, size_t avail) {
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ (n * 0xff51afd7ed558ccdULL);
    uint64_t k;
    if (n < 8) {
        k = gf_load_short(s, n, avail);
        *head = k;
    } else {
        memcpy(head, s, 8);
        size_t r = n & 7;
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        /* the last r bytes are the top of the word's last 8 bytes: no byte loop, no over-read */
        if (r) {
            memcpy(&k, s + n - 8, 8);
            k >>= 8 * (8 - r);
        } else {
            k = 0;
        }
#else
        k = gf_load_short(s + (n - r), r, 0);
#endif
        while (n >= 8) {
            uint64_t x;
            memcpy(&x, s, 8);
            h = (h ^ x) * 0xff51afd7ed558ccdULL;
            h ^= h >> 32;
            s += 8;
            n -= 8;
        }
    }
    h = (h ^ k) * 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 29;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 32;
    return h;
}

static inline int gf_word_is(const gf_vocab *v, const gf_word *w, const char *s, size_t len, uint64_t head) {
    return w->len == len && w->head == head &&
           (len <= 8 || memcmp(v->arena + w->offset + 8, s + 8, len - 8) == 0);
}

/* The slot holding the word (hash, head) or the empty slot where it would go. */
static inline uint64_t gf_vocab_probe(const gf_vocab *v, const char *s, size_t len, uint64_t h, uint64_t head) {
    const uint64_t tag = h & 0xffffffff00000000ULL;
    uint64_t i = h & v->mask, slot;
    while ((slot = v->slots[i]) != 0) {
        if ((slot & 0xffffffff00000000ULL) == tag &&
            gf_word_is(v, &v->words[(slot & 0xffffffffULL) - 1], s, len, head))
            return i;
        i = (i + 1) & v->mask;
    }
    return i;
}

static int gf_vocab_init(gf_vocab *v) {
    memset(v, 0, sizeof(*v));
    v->mask = (1u << 16) - 1;
    v->slots = (uint64_t *)calloc(v->mask + 1, sizeof(uint64_t));
    v->last_was_sep = 1;
    return v->slots ? 0 : -1;
}

static void gf_vocab_free(gf_vocab *v) {
    free(v->slots);
    free(v->words);
    free(v->arena);
    gf_big_free(v->tokens.data);
    memset(v, 0, sizeof(*v));
}

static int gf_vocab_grow_table(gf_vocab *v) {
    uint64_t nmask = v->mask * 2 + 1;
    uint64_t *ns = (uint64_t *)calloc(nmask + 1, sizeof(uint64_t));
    if (!ns) return -1;
    for (int64_t id = 0; id < v->n; id++) { /* hashes are not stored: recompute them */
        uint64_t head;
        uint64_t h = gf_hash_head((const unsigned char *)v->arena + v->words[id].offset, v->words[id].len, &head,
                                  v->words[id].len);
        uint64_t i = h & nmask;
        while (ns[i]) i = (i + 1) & nmask;
        ns[i] = (h & 0xffffffff00000000ULL) | (uint64_t)(id + 1);
    }
    free(v->slots);
    v->slots = ns;
    v->mask = nmask;
    return 0;
}

/* Returns the word's id, or -1 when out of memory; `avail` (>= len) bytes may be read at s. */
static int64_t gf_vocab_add_in(gf_vocab *v, const char *s, size_t len, size_t avail) {
    uint64_t head;
    uint64_t h = gf_hash_head((const unsigned char *)s, len, &head, avail);
    uint64_t i = gf_vocab_probe(v, s, len, h, head);
    if (v->slots[i]) {
        int64_t id = (int64_t)(v->slots[i] & 0xffffffffULL) - 1;
        v->words[id].count++;
        return id;
    }
    if (v->n >= 0x7ffffff0LL || len > 0xffffffffULL) return -1; /* ids must fit int32 */
    if (v->n == v->cap) {
        int64_t cap = v->cap ? v->cap * 2 : 1 << 14;
        gf_word *ws = (gf_word *)realloc(v->words, (size_t)cap * sizeof(gf_word));
        if (!ws) return -1;
        v->words = ws;
        v->cap = cap;
    }
    if (v->arena_len + len > v->arena_cap) {
        uint64_t cap = v->arena_cap ? v->arena_cap : 1 << 20;
        while (cap < v->arena_len + len) cap *= 2;
        char *a = (char *)realloc(v->arena, cap);
        if (!a) return -1;
        v->arena = a;
        v->arena_cap = cap;
    }
    int64_t id = v->n++;
    memcpy(v->arena + v->arena_len, s, len);
    gf_word *w = &v->words[id];
    w->head = head;
    w->offset = v->arena_len;
    w->count = 1;
    w->len = (uint32_t)len;
    w->pad_ = 0;
    v->arena_len += len;
    v->slots[i] = (h & 0xffffffff00000000ULL) | (uint64_t)(id + 1);
    if ((uint64_t)v->n * 2 > v->mask && gf_vocab_grow_table(v) != 0) return -1;
    return id;
}

static int64_t gf_vocab_add(gf_vocab *v, const char *s, size_t len) {
    return gf_vocab_add_in(v, s, len, len);
}

/* 0: token byte, 1: blank, 2: newline. ASCII whitespace only, so UTF-8 text is split exactly
 * where Python's bytes.split() would split it. */
static const unsigned char gf_ws[256] = {
    ['\t'] = 1, ['\n'] = 2, ['\v'] = 1, ['\f'] = 1, ['\r'] = 1, [' '] = 1,
};

/* Index of the first whitespace byte of buf[p:len), or len. Eight bytes at a time where that is
 * safe: bytes below 0x21 are flagged with the classic "has a byte less than n" trick, whose
 * lowest flag is exact; the flagged byte ends the token if it is whitespace (a control character
 * inside a token is passed over). Little-endian loads only; elsewhere one byte at a time. */
static inline int64_t gf_token_end(const char *buf, int64_t p, int64_t len) {
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (p + 8 <= len) {
        uint64_t x;
        memcpy(&x, buf + p, 8);
        uint64_t m = (x - 0x2121212121212121ULL) & ~x & 0x8080808080808080ULL;
        if (!m) {
            p += 8;
            continue;
        }
#if defined(__GNUC__)
        p += __builtin_ctzll(m) >> 3;
#else
        while (!(m & 0x80)) { m >>= 8; p++; }
#endif
        if (gf_ws[(unsigned char)buf[p]]) return p;
        p++;
    }
#endif
    while (p < len && !gf_ws[(unsigned char)buf[p]]) p++;
    return p;
}

/* The id of a word, or -1 when it is not in the table (`avail` >= len bytes may be read at s).
 * Counts are not touched. */
static int64_t gf_vocab_find(const gf_vocab *v, const char *s, size_t len, size_t avail) {
    uint64_t head;
    uint64_t h = gf_hash_head((const unsigned char *)s, len, &head, avail);
    uint64_t slot = v->slots[gf_vocab_probe(v, s, len, h, head)];
    return slot ? (int64_t)(slot & 0xffffffffULL) - 1 : -1;
}

#define GF_ADD (-4) /* `unknown` of gf_vocab_tokenize: add new words (first-seen ids), count all */

/* Tokenise a chunk that ends on whitespace (the caller carries a partial last token over) and
 * append word ids to the stream. With unknown == GF_ADD (the first pass), every word is counted
 * and new words get first-seen ids. Otherwise (the counting pass) the table holds the final
 * vocabulary in id order and a word not in it is `unknown`: GF_DROP leaves no trace
 * (min_count/max_vocab, as gf_remap_tokens does), GF_SKIP keeps its position; any other value
 * stops at the word and returns 1 with its offset and length in *bad_off / *bad_len (a fixed
 * dictionary without ignore_missing). Returns 0, or -1 when out of memory. Separators collapse
 * exactly as gf_vocab_feed + gf_remap_tokens would leave them. */
static int gf_vocab_tokenize(gf_vocab *v, const char *buf, int64_t len, int32_t unknown,
                             int64_t *bad_off, int64_t *bad_len) {
    int64_t p = 0;
    /* every byte yields at most one id or separator */
    if (gf_ibuf_reserve(&v->tokens, len + 1) != 0) return -1;
    int32_t *out = v->tokens.data;
    int64_t n = v->tokens.n;
    int last_sep = v->last_was_sep;
    const int keep = !v->drop_tokens; /* the vocabulary pass may only count */
    while (p < len) {
        unsigned char k = gf_ws[(unsigned char)buf[p]];
        if (k) {
            if (k == 2 && !last_sep) {
                out[n] = GF_SEP;
                n += keep;
                last_sep = 1;
            }
            p++;
            continue;
        }
        int64_t s = p;
        p = gf_token_end(buf, p, len);
        int64_t id;
        if (unknown == GF_ADD) {
            id = gf_vocab_add_in(v, buf + s, (size_t)(p - s), (size_t)(len - s));
            if (id < 0) {
                v->tokens.n = n;
                return -1;
            }
        } else if ((id = gf_vocab_find(v, buf + s, (size_t)(p - s), (size_t)(len - s))) < 0) {
            if (unknown == GF_DROP) continue;
            if (unknown != GF_SKIP) {
                *bad_off = s;
                *bad_len = p - s;
                v->tokens.n = n;
                v->last_was_sep = last_sep;
                return 1;
            }
            id = GF_SKIP;
        }
        out[n] = (int32_t)id;
        n += keep;
        last_sep = 0;
    }
    v->tokens.n = n;
    v->last_was_sep = last_sep;
    return 0;
}

static int gf_vocab_feed(gf_vocab *v, const char *buf, int64_t len) {
    return gf_vocab_tokenize(v, buf, len, GF_ADD, NULL, NULL);
}

/* Keep the last `keep` ids of the stream at its front (the window carried into the next chunk). */
static void gf_vocab_keep_tail(gf_vocab *v, int64_t keep) {
    int64_t n = v->tokens.n;
    if (keep > n) keep = n;
    if (keep && keep < n) memmove(v->tokens.data, v->tokens.data + (n - keep), (size_t)keep * sizeof(int32_t));
    v->tokens.n = keep;
}

/* Map first-seen ids to final ids in place; GF_DROP removes a token (min_count/max_vocab, as
 * Stanford does), GF_SKIP keeps its position. Empty documents collapse. Returns the new length. */
static int64_t gf_remap_tokens(int32_t *tok, int64_t n, const int32_t *remap) {
    int64_t o = 0;
    int last_sep = 1;
    for (int64_t p = 0; p < n; p++) {
        int32_t t = tok[p];
        if (t == GF_SEP) {
            if (!last_sep) {
                tok[o++] = GF_SEP;
                last_sep = 1;
            }
            continue;
        }
        int32_t m = t < 0 ? t : remap[t]; /* GF_SKIP placeholders stay */
        if (m == GF_DROP) continue;
        tok[o++] = m;
        last_sep = 0;
    }
    while (o > 0 && tok[o - 1] == GF_SEP) o--;
    return o;
}

/* ------------------------------------------------------------------------------------------ */
/* tokenizing a chunk on two threads                                                           */

/* A second table for the second half of each chunk, and its ids' ids in the main table. Words
 * keep being counted in the helper; after each chunk its counts are folded into the main table
 * and its ids rewritten, so the main table is always the whole truth between calls. */
typedef struct {
    gf_vocab h;
    int32_t *map;       /* helper id -> main id, for helper ids < mapped */
    int64_t mapped, map_cap;
} gf_vocab_helper;

static int gf_vocab_helper_init(gf_vocab_helper *H) {
    memset(H, 0, sizeof(*H));
    return gf_vocab_init(&H->h);
}

static void gf_vocab_helper_free(gf_vocab_helper *H) {
    gf_vocab_free(&H->h);
    free(H->map);
    H->map = NULL;
}

/* Fold the helper's second half (buf[0:len), already tokenized into H->h) into v, as if v had
 * tokenized it right after its first half: same words, counts, id stream and separator state. */
static int gf_vocab_absorb(gf_vocab *v, gf_vocab_helper *H, const char *buf, int64_t len) {
    gf_vocab *h = &H->h;
    if (h->n > H->map_cap) {
        int64_t cap = H->map_cap ? H->map_cap : 1 << 14;
        while (cap < h->n) cap *= 2;
        int32_t *m = (int32_t *)realloc(H->map, (size_t)cap * sizeof(int32_t));
        if (!m) return -1;
        H->map = m;
        H->map_cap = cap;
    }
    for (int64_t i = H->mapped; i < h->n; i++) {
        int64_t id = gf_vocab_add(v, h->arena + h->words[i].offset, h->words[i].len);
        if (id < 0) return -1;
        v->words[id].count--; /* gf_vocab_add counted an occurrence; the helper's count follows */
        H->map[i] = (int32_t)id;
    }
    H->mapped = h->n;
    for (int64_t i = 0; i < h->n; i++) {
        if (h->words[i].count) {
            v->words[H->map[i]].count += h->words[i].count;
            h->words[i].count = 0;
        }
    }
    /* the helper started as after a separator, so a newline before its first token was not
     * written: it is one here unless v's first half ended on one */
    int64_t p = 0;
    int lead_nl = 0;
    while (p < len && gf_ws[(unsigned char)buf[p]]) lead_nl |= gf_ws[(unsigned char)buf[p++]] == 2;
    const int any_token = p < len;
    if (!v->drop_tokens) {
        if (gf_ibuf_reserve(&v->tokens, h->tokens.n + 1) != 0) return -1;
        int32_t *out = v->tokens.data;
        int64_t n = v->tokens.n;
        if (lead_nl && !v->last_was_sep) out[n++] = GF_SEP;
        const int32_t *in = h->tokens.data;
        const int32_t *map = H->map;
        for (int64_t k = 0; k < h->tokens.n; k++) {
            int32_t t = in[k];
            out[n++] = t < 0 ? t : map[t];
        }
        v->tokens.n = n;
    }
    h->tokens.n = 0;
    v->last_was_sep = any_token ? h->last_was_sep : (v->last_was_sep | lead_nl);
    return 0;
}

/* gf_vocab_feed on two threads: the chunk (ending on whitespace) is cut after the first
 * whitespace byte past its middle; the first part goes into v, the second into the helper at the
 * same time, then the helper is folded into v. Same result as gf_vocab_feed, ids aside: a word
 * first seen in the second part gets its id after the first part's new words (ids are
 * renumbered by frequency later anyway). */
static int gf_vocab_feed_split(gf_vocab *v, gf_vocab_helper *H, const char *buf, int64_t len) {
    int64_t s = len / 2;
    while (s < len && !gf_ws[(unsigned char)buf[s]]) s++;
    if (s + 1 >= len) return gf_vocab_feed(v, buf, len); /* nothing after the cut */
    s++;
    gf_vocab *h = &H->h;
    h->drop_tokens = v->drop_tokens;
    h->last_was_sep = 1;
    h->tokens.n = 0;
    int rc0 = 0, rc1 = 0;
#ifdef _OPENMP
#pragma omp parallel sections num_threads(2)
#endif
    {
#ifdef _OPENMP
#pragma omp section
#endif
        rc0 = gf_vocab_feed(v, buf, s);
#ifdef _OPENMP
#pragma omp section
#endif
        rc1 = gf_vocab_feed(h, buf + s, len - s);
    }
    if (rc0 || rc1) return -1;
    return gf_vocab_absorb(v, H, buf + s, len - s);
}

/* ------------------------------------------------------------------------------------------ */
/* vocabulary order                                                                            */

/* A word as the order sees it: its count (stored as ~count, so ascending order is descending
 * count), its first 8 bytes as a big-endian number (zero-padded: comparing these compares the
 * bytes, a shorter word first when one is a prefix of the other) and where it sits in the
 * caller's list. */
typedef struct {
    uint64_t inv_count;
    uint64_t prefix;
    int64_t pos;
} gf_rank;

/* Bytewise (Python bytes) comparison of two words: < 0, 0 or > 0. */
static inline int gf_bytes_cmp(const char *a, uint64_t la, const char *b, uint64_t lb) {
    int c = memcmp(a, b, (size_t)(la < lb ? la : lb));
    return c != 0 ? c : (la > lb) - (la < lb);
}

/* Sort a[0:n) by the words' bytes (merge sort, scratch b of n records; insertion sort below 16):
 * the runs that share count and prefix, usually a few words, but a crafted input can make one
 * run hold most of the vocabulary. */
static void gf_rank_sort_bytes(gf_rank *a, gf_rank *b, int64_t n, const char *const *bytes, const uint64_t *len) {
    if (n < 16) {
        for (int64_t i = 1; i < n; i++) {
            gf_rank x = a[i];
            int64_t j = i;
            while (j > 0 && gf_bytes_cmp(bytes[x.pos], len[x.pos], bytes[a[j - 1].pos], len[a[j - 1].pos]) < 0) {
                a[j] = a[j - 1];
                j--;
            }
            a[j] = x;
        }
        return;
    }
    int64_t mid = n / 2;
    gf_rank_sort_bytes(a, b, mid, bytes, len);
    gf_rank_sort_bytes(a + mid, b, n - mid, bytes, len);
    memcpy(b, a, (size_t)n * sizeof(gf_rank));
    int64_t i = 0, j = mid, k = 0;
    while (i < mid && j < n) {
        const gf_rank *x = &b[i], *y = &b[j];
        a[k++] = gf_bytes_cmp(bytes[y->pos], len[y->pos], bytes[x->pos], len[x->pos]) < 0 ? b[j++] : b[i++];
    }
    while (i < mid) a[k++] = b[i++];
    while (j < n) a[k++] = b[j++];
}

/* Positions of n distinct words sorted by descending count, ties in bytewise order: the
 * vocabulary's id order. An LSD radix sort of (~count, prefix), 8 bits a pass, skipping the
 * passes whose digit is the same for every word (the high bytes of the counts, mostly), then an
 * insertion sort of each run of words that share count and first 8 bytes. Python's string sorts
 * took longer to order a large vocabulary than counting a small corpus did. Returns 0, or -1
 * when out of memory. */
static int gf_order_words(const char *const *bytes, const uint64_t *len, const int64_t *count, int64_t n,
                          int64_t *out) {
    if (n <= 0) return 0;
    gf_rank *a = (gf_rank *)malloc((size_t)n * sizeof(gf_rank));
    gf_rank *b = (gf_rank *)malloc((size_t)n * sizeof(gf_rank));
    int64_t (*hist)[256] = (int64_t (*)[256])calloc(16, sizeof(*hist));
    if (!a || !b || !hist) { free(a); free(b); free(hist); return -1; }
    for (int64_t i = 0; i < n; i++) {
        uint64_t p = 0;
        const unsigned char *s = (const unsigned char *)bytes[i];
        for (uint64_t k = 0; k < 8; k++) p = p << 8 | (k < len[i] ? s[k] : 0);
        a[i].inv_count = ~(uint64_t)count[i];
        a[i].prefix = p;
        a[i].pos = i;
        for (int d = 0; d < 8; d++) {
            hist[d][(p >> (8 * d)) & 255]++;
            hist[8 + d][(a[i].inv_count >> (8 * d)) & 255]++;
        }
    }
    /* digits 0-7: the prefix, least significant first; 8-15: the count */
    for (int d = 0; d < 16; d++) {
        const int shift = 8 * (d & 7);
        int64_t *h = hist[d];
        uint64_t first = (d < 8 ? a[0].prefix : a[0].inv_count) >> shift & 255;
        if (h[first] == n) continue; /* one digit value: nothing moves */
        int64_t sum = 0;
        for (int v = 0; v < 256; v++) { int64_t x = h[v]; h[v] = sum; sum += x; }
        if (d < 8)
            for (int64_t i = 0; i < n; i++) b[h[a[i].prefix >> shift & 255]++] = a[i];
        else
            for (int64_t i = 0; i < n; i++) b[h[a[i].inv_count >> shift & 255]++] = a[i];
        gf_rank *t = a; a = b; b = t;
    }
    /* words longer than 8 bytes may share count and prefix: order those runs by their bytes */
    for (int64_t lo = 0; lo < n;) {
        int64_t hi = lo + 1;
        while (hi < n && a[hi].inv_count == a[lo].inv_count && a[hi].prefix == a[lo].prefix) hi++;
        if (hi - lo > 1) gf_rank_sort_bytes(a + lo, b, hi - lo, bytes, len);
        lo = hi;
    }
    for (int64_t i = 0; i < n; i++) out[i] = a[i].pos;
    free(a);
    free(b);
    free(hist);
    return 0;
}

#endif /* GF_VOCAB_H */
