# Declarations of glove.h (GloVe's Adagrad update, its row layout and the shuffled training triples).
from libc.stdint cimport int32_t, int64_t, uint32_t, uint64_t

cdef extern from "glove.h" nogil:
    int64_t GF_GLOVE_ROW(int64_t dp)
    int64_t GF_GLOVE_BIAS(int64_t dp)
    int64_t GF_GLOVE_WEIGHT(int64_t dp)

    ctypedef struct gf_triple32:
        uint32_t i
        uint32_t j
        float logx
        float fx

    ctypedef struct gf_triple64:
        uint32_t i
        uint32_t j
        double logx
        double fx

    double gf_train_f32(float *W, float *C, int64_t stride, int dp, const gf_triple32 *t, int64_t n,
                        float lr, float max_loss, const float *R, int sum_mode)
    double gf_train_f64(double *W, double *C, int64_t stride, int dp, const gf_triple64 *t, int64_t n,
                        double lr, double max_loss, const double *R, int sum_mode)
    int gf_build32(const int32_t *rows, const int32_t *cols, const double *counts, int64_t nnz, int expand,
                   double x_max, double alpha, uint64_t seed, gf_triple32 *out, int64_t n, int nthreads)
    int gf_build64(const int32_t *rows, const int32_t *cols, const double *counts, int64_t nnz, int expand,
                   double x_max, double alpha, uint64_t seed, gf_triple64 *out, int64_t n, int nthreads)
    int64_t gf_n_buckets(int64_t n, int64_t tsize)
    int64_t gf_count_triples(const int32_t *rows, const int32_t *cols, int64_t nnz, int expand)
    int gf_bucket_hist(uint64_t seed, int64_t k0, int64_t k1, int64_t nb, int64_t *hist, int nthreads)
    int gf_scatter32(const int32_t *rows, const int32_t *cols, const double *counts, int64_t nnz, int expand,
                     double x_max, double alpha, uint64_t seed, int64_t k0, int64_t nb, int64_t *pos,
                     int relative, gf_triple32 *out, int64_t n, int nthreads)
    int gf_scatter64(const int32_t *rows, const int32_t *cols, const double *counts, int64_t nnz, int expand,
                     double x_max, double alpha, uint64_t seed, int64_t k0, int64_t nb, int64_t *pos,
                     int relative, gf_triple64 *out, int64_t n, int nthreads)
    void gf_shuffle_buckets32(gf_triple32 *out, const int64_t *start, int64_t b0, int64_t nbl, uint64_t seed,
                              int nthreads)
    void gf_shuffle_buckets64(gf_triple64 *out, const int64_t *start, int64_t b0, int64_t nbl, uint64_t seed,
                              int nthreads)
    int gf_use_avx2_kernel()
    int gf_select_f32_kernel(int avx2)
