"""The training triples: every entry (and its transpose) exactly once, with log x and f(x), in a
seeded uniform order that does not depend on the number of threads."""
import numpy as np
import pytest

from glovefast._kernels.glove import build_triples


def small_matrix(n_words=30, nnz=200, seed=0):
    rng = np.random.default_rng(seed)
    cells = set()
    while len(cells) < nnz:
        i, j = sorted(rng.integers(0, n_words, size=2))
        cells.add((int(i), int(j)))
    cells = sorted(cells)
    rows = np.array([c[0] for c in cells], dtype=np.int32)
    cols = np.array([c[1] for c in cells], dtype=np.int32)
    counts = rng.uniform(0.1, 50.0, size=len(cells))
    return rows, cols, counts


def as_set(triples):
    return sorted(zip(triples["i"].tolist(), triples["j"].tolist(), triples["logx"].tolist(), triples["fx"].tolist()))


@pytest.mark.parametrize("double", [False, True])
@pytest.mark.parametrize("expand", [False, True])
def test_every_entry_once_with_log_and_weight(double, expand):
    rows, cols, counts = small_matrix()
    x_max, alpha = 10.0, 0.75
    t = build_triples(rows, cols, counts, expand, x_max, alpha, 123, double, 2)
    want = []
    for r, c, x in zip(rows.tolist(), cols.tolist(), counts.tolist()):
        f = min(1.0, (x / x_max) ** alpha)
        want.append((r, c, np.log(x), f))
        if expand and r != c:
            want.append((c, r, np.log(x), f))
    assert len(t) == len(want)
    got = as_set(t)
    want.sort()
    assert [g[:2] for g in got] == [w[:2] for w in want]
    tol = 1e-12 if double else 1e-6
    np.testing.assert_allclose([g[2] for g in got], [w[2] for w in want], rtol=tol, atol=tol)
    np.testing.assert_allclose([g[3] for g in got], [w[3] for w in want], rtol=tol, atol=tol)


def test_order_depends_on_the_seed_not_the_thread_count():
    rows, cols, counts = small_matrix(n_words=300, nnz=20000, seed=1)
    ref = build_triples(rows, cols, counts, True, 10.0, 0.75, 7, False, 1)
    for threads in (2, 3, 8):
        np.testing.assert_array_equal(build_triples(rows, cols, counts, True, 10.0, 0.75, 7, False, threads), ref)
    other = build_triples(rows, cols, counts, True, 10.0, 0.75, 8, False, 2)
    assert not np.array_equal(other, ref)


def test_order_is_uniform():
    # Where does the first stored entry land? Over many seeds every position is equally likely.
    # The matrix is large enough for several scatter buckets (256 KB each), and positions are
    # binned; a chi-square test at a loose level catches a biased shuffle (e.g. one that keeps
    # each bucket's entries near their original place).
    rows, cols, counts = small_matrix(n_words=300, nnz=20000, seed=2)
    n = len(build_triples(rows, cols, counts, True, 10.0, 0.75, 0, False, 1))
    assert n * 16 > 2 * (256 << 10)  # several buckets
    bins, trials = 20, 1000
    hits = np.zeros(bins, dtype=np.int64)
    for seed in range(trials):
        t = build_triples(rows, cols, counts, True, 10.0, 0.75, seed, False, 2)
        pos = np.flatnonzero((t["i"] == rows[0]) & (t["j"] == cols[0]))
        assert len(pos) == 1
        hits[pos[0] * bins // n] += 1
    expected = trials / bins
    chi2 = float(((hits - expected) ** 2 / expected).sum())
    # bins - 1 degrees of freedom: mean 19, sd ~6.2; 6 sd is far beyond chance
    assert chi2 < (bins - 1) + 6 * np.sqrt(2 * (bins - 1)), (chi2, hits)
