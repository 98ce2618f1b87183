# Declarations of tokens.h (the token id stream), for any Cython module that reads or writes it.
from libc.stdint cimport int32_t, int64_t

cdef extern from "tokens.h" nogil:
    ctypedef struct gf_ibuf:
        int32_t *data
        int64_t n
        int64_t cap

    int GF_SEP
    int GF_SKIP
    int GF_DROP
    int gf_ibuf_reserve(gf_ibuf *b, int64_t extra)
