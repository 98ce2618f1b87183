# cython: language_level=3
"""What the kernels were built with and run on: OpenMP, the CPU's features, the padded vector layout
(see platform.h), for the Python side and for tests."""
from cython cimport floating
from libc.stdint cimport int64_t

#: Vector components per SIMD lane group: vectors are stored padded to a multiple of it.
LANES = GF_LANES


def openmp_enabled():
    """True when the extension was compiled with OpenMP (multi-threaded counting and training)."""
    return bool(gf_openmp_enabled())


def cpu_has_avx2_fma():
    """True when this CPU runs AVX2 and FMA instructions (the kernels' fast paths)."""
    return bool(gf_cpu_has_avx2_fma())


def have_clones():
    """True when the portable loops were built with an AVX2+FMA clone chosen at load time."""
    return bool(gf_have_clones())


def padded_dim(int64_t d):
    """Slots a vector of ``d`` components takes in a parameter row: ``d`` rounded up to :data:`LANES`."""
    if d < 0:
        raise ValueError(f"a dimension is >= 0, got {d}")
    return gf_padded_dim(d)


def all_finite(floating[:, ::1] a not None):
    """Whether every element is finite (no temporary array, stops at the first NaN/inf)."""
    cdef Py_ssize_t i, j
    cdef bint ok = True
    with nogil:
        for i in range(a.shape[0]):
            for j in range(a.shape[1]):
                # x - x is 0 for finite x, NaN for NaN and inf
                if a[i, j] - a[i, j] != 0:
                    ok = False
                    break
            if not ok:
                break
    return ok
