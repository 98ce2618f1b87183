# Declarations of w2v.h (word2vec with negative sampling: skip-gram and CBOW).
from libc.stdint cimport int32_t, int64_t, uint32_t, uint64_t

cdef extern from "w2v.h" nogil:
    enum:
        GF_W2V_BLOCK
        GF_W2V_SLOT
        GF_W2V_GENERIC
        GF_W2V_AVX2
        GF_W2V_AVX512

    ctypedef struct gf_alias:
        uint32_t prob
        int32_t alias

    ctypedef struct gf_w2v_params:
        int sg
        int cbow_mean
        int dim
        int stride
        int window
        int negative
        int shrink
        double alpha
        double min_alpha
        int64_t done_before
        int64_t total
        uint64_t seed
        int64_t epoch
        int n_threads

    ctypedef struct gf_w2v_result:
        double loss
        int64_t examples
        int64_t tokens
        int64_t kept
        int stopped

    ctypedef struct gf_w2v_trace:
        int64_t *rec
        int64_t cap
        int64_t n

    int64_t gf_w2v_trace_len(int window, int negative)
    uint64_t gf_w2v_keep_key(uint64_t seed, int64_t epoch)
    int gf_w2v_keep(const uint32_t *thresh, uint64_t key, int64_t pos, int32_t w)
    int32_t gf_w2v_draw(const gf_alias *table, uint64_t n_words, uint64_t *s)
    void gf_w2v_keep_table(const int64_t *counts, int64_t n, double sample, double total, uint32_t *thresh)
    int gf_w2v_alias_table(const int64_t *counts, int64_t n, double power, gf_alias *table)
    int gf_w2v_simd()
    int gf_w2v_select(int level)
    int gf_w2v_cols(int level, int dim)
    int gf_w2v_epoch(float *syn0, float *syn1, const int32_t *ids, int64_t n, const uint32_t *thresh,
                     const gf_alias *table, int64_t n_words, const gf_w2v_params *p, volatile int64_t *progress,
                     volatile int32_t *stop, gf_w2v_trace *trace, gf_w2v_result *out)
