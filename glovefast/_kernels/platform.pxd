# Declarations of platform.h (compiler and operating-system differences).
cdef extern from "platform.h" nogil:
    int gf_openmp_enabled()
    size_t gf_page_size()
    void gf_release_pages(void *p, size_t n)
    void *gf_big_alloc(size_t bytes)
    void *gf_big_realloc(void *p, size_t bytes)
    void gf_big_free(void *p)
