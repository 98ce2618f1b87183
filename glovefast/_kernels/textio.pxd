# Declarations of textio.h (parsing text word-vector files).
from libc.stdint cimport int64_t

cdef extern from "textio.h" nogil:
    ctypedef struct gf_chunk:
        int64_t begin
        int64_t end
        int64_t rows
        int64_t lines
        int64_t row0
        int64_t quota
        char *words
        int64_t words_len
        int64_t err_pos
        int64_t err_line
        int err_kind
    void gf_vecparse_init()
    int gf_split(const char *buf, int64_t length, int n, gf_chunk *chunks)
    void gf_count(const char *buf, gf_chunk *chunks, int n, int nthreads)
    void gf_parse(const char *buf, gf_chunk *chunks, int n, int nthreads, int dim, float *o32, double *o64,
                  int release)
    int gf_blank(const char *p, const char *e)
