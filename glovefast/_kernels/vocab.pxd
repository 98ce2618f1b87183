# Declarations of vocab.h (tokenizer and vocabulary hash table).
from libc.stdint cimport int32_t, int64_t, uint32_t, uint64_t

from glovefast._kernels.tokens cimport gf_ibuf

cdef extern from "vocab.h" nogil:
    ctypedef struct gf_word:
        uint64_t offset
        int64_t count
        uint32_t len

    ctypedef struct gf_vocab:
        int64_t n
        gf_word *words
        char *arena
        gf_ibuf tokens
        int last_was_sep
        int drop_tokens

    ctypedef struct gf_vocab_helper:
        gf_vocab h

    int gf_vocab_init(gf_vocab *v)
    int gf_vocab_helper_init(gf_vocab_helper *H)
    void gf_vocab_helper_free(gf_vocab_helper *H)
    int gf_vocab_feed_split(gf_vocab *v, gf_vocab_helper *H, const char *buf, int64_t length)
    void gf_vocab_free(gf_vocab *v)
    int gf_vocab_feed(gf_vocab *v, const char *buf, int64_t length)
    int64_t gf_vocab_add(gf_vocab *v, const char *s, size_t length)
    int gf_vocab_tokenize(gf_vocab *v, const char *buf, int64_t length, int32_t unknown,
                          int64_t *bad_off, int64_t *bad_len)
    void gf_vocab_keep_tail(gf_vocab *v, int64_t keep)
    int64_t gf_remap_tokens(int32_t *tok, int64_t n, const int32_t *remap)
    int gf_order_words(const char *const *bytes, const uint64_t *len, const int64_t *count, int64_t n,
                       int64_t *out)
