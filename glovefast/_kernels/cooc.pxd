# Declarations of cooc.h (the cooccurrence counter).
from libc.stdint cimport int32_t, int64_t, uint64_t

cdef extern from "cooc.h" nogil:
    ctypedef struct gf_entry:
        uint64_t key
        int64_t val

    ctypedef struct gf_run:
        gf_entry *e
        int64_t n

    ctypedef struct gf_cooc_thread:
        gf_run run

    ctypedef struct gf_cooc:
        uint64_t dense_size
        int64_t V
        int nthreads
        int window
        int symmetric
        int finished
        int64_t *rownnz
        gf_cooc_thread *th

    gf_cooc *gf_cooc_new(int64_t V, int window, int harmonic, int symmetric, int nthreads,
                         uint64_t dense_bytes, int64_t buf_cap)
    void gf_cooc_free(gf_cooc *c)
    int gf_cooc_count(gf_cooc *c, const int32_t *tok, int64_t start, int64_t n)
    int64_t gf_cooc_finish(gf_cooc *c)
    int64_t gf_cooc_emit(gf_cooc *c, int32_t *rows, int32_t *cols, double *data)
    int gf_cooc_direct_ok(const gf_cooc *c)
    int64_t gf_cooc_pending(const gf_cooc *c)
    int64_t gf_cooc_direct_prepare(gf_cooc *c)
    void gf_cooc_direct_emit(gf_cooc *c, int32_t *rows, int32_t *cols, double *data)
    int gf_cooc_packs(int64_t V)
    void gf_cooc_set_force_wide(int wide)
    int64_t gf_emit_merge(const gf_cooc *c, uint64_t V, int64_t r0, int64_t r1, const gf_entry *const *runs,
                          const int64_t *lens, int nruns, int64_t *pos, int32_t *rows, int32_t *cols,
                          double *data, int64_t *fix, gf_entry *ent)
