"""The word2vec kernel (glovefast._kernels.w2v) against a numpy reference of the same updates, and the
properties the kernel promises: windows inside documents, word2vec.c's subsampling, unigram^0.75
negatives, a falling loss, reproducibility with one thread and a seed, epochs that resume."""
import threading

import numpy as np
import pytest

from glovefast._kernels import w2v as _w2v
from glovefast.models.word2vec.epochs import Tables, init_rows, run_epoch

LEVELS = sorted({_w2v.select_simd(level) for level in ("generic", "avx2", "avx512")})
_w2v.select_simd(None)


@pytest.fixture(params=LEVELS)
def simd(request):
    """Every kernel this CPU can run (the automatic choice is restored after)."""
    yield _w2v.select_simd(request.param)
    _w2v.select_simd(None)


def zipf_stream(n_docs, doc_len, n_words, seed, sep=-1):
    """Documents of Zipf-like word ids separated by ``sep``; returns (ids, counts)."""
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, n_words + 1)
    p /= p.sum()
    docs = []
    for _ in range(n_docs):
        docs.append(rng.choice(n_words, size=rng.integers(1, doc_len + 1), p=p).astype(np.int32))
        docs.append(np.array([sep], dtype=np.int32))
    ids = np.concatenate(docs[:-1])
    counts = np.bincount(ids[ids >= 0], minlength=n_words).astype(np.int64)
    # ids by descending count, as the vocabulary numbers them
    order = np.argsort(-counts, kind="stable")
    rank = np.empty(n_words, dtype=np.int32)
    rank[order] = np.arange(n_words, dtype=np.int32)
    ids = np.where(ids >= 0, rank[np.maximum(ids, 0)], ids).astype(np.int32)
    return ids, counts[order]


def params(**kw):
    p = dict(sg=True, cbow_mean=True, dim=10, window=3, negative=3, shrink=True, alpha=0.05, min_alpha=0.0001,
             done_before=0, total=0, seed=7, epoch=0)
    p.update(kw)
    return p


def epoch(syn0, syn1, ids, tables, n_threads=1, trace=None, **kw):
    progress = np.zeros(_w2v.SLOT * n_threads, dtype=np.int64)
    stop = np.zeros(1, dtype=np.int32)
    kw.setdefault("total", int((ids >= 0).sum()))
    return _w2v.train_epoch(syn0, syn1, ids, tables.thresh, tables.table, progress, stop, n_threads=n_threads,
                            trace=trace, **params(**kw))


def read_trace(trace, n, window, negative):
    """Records as dicts (see _w2v.h: gf_w2v_trace_len)."""
    out = []
    for rec in trace[:n]:
        ni = int(rec[3])
        ctx = rec[4:4 + 2 * window]
        no = int(rec[4 + 2 * window])
        outs = rec[5 + 2 * window:5 + 2 * window + 1 + negative]
        assert (ctx[ni:] == -1).all() and (outs[no:] == -1).all()
        out.append({"pos": int(rec[0]), "reach": int(rec[1]), "alpha": float(rec[2:3].view(np.float64)[0]),
                    "ctx": ctx[:ni].copy(), "outs": outs[:no].copy()})
    return out


def expected_contexts(ids, kept, pos, reach):
    """The kept positions of pos's document nearest to it, up to ``reach`` on each side."""
    left, right = [], []
    q = pos - 1
    while q >= 0 and ids[q] >= 0 and len(left) < reach:
        if kept[q]:
            left.append(q)
        q -= 1
    q = pos + 1
    while q < len(ids) and ids[q] >= 0 and len(right) < reach:
        if kept[q]:
            right.append(q)
        q += 1
    return left[::-1] + right


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def reference(syn0, syn1, ids, records, sg, cbow_mean, dim):
    """Replay the kernel's windows in float64, as _w2v.h specifies the updates. Returns the loss."""
    loss = 0.0
    for r in records:
        ctx_ids, outs, a = ids[r["ctx"]], r["outs"], r["alpha"]
        if len(ctx_ids) == 0:
            continue
        labels = np.zeros(len(outs))
        labels[0] = 1.0
        if sg:
            In, Out = syn0[ctx_ids, :dim].copy(), syn1[outs, :dim].copy()
            S = In @ Out.T
            G = (labels - sigmoid(S)) * a
            loss += np.logaddexp(0, np.where(labels == 1, -S, S)).sum()
            np.add.at(syn0, (ctx_ids, slice(0, dim)), G @ Out)
            np.add.at(syn1, (outs, slice(0, dim)), G.T @ In)
        else:
            h = syn0[ctx_ids, :dim].sum(axis=0)
            if cbow_mean:
                h /= len(ctx_ids)
            S = syn1[outs, :dim] @ h
            g = (labels - sigmoid(S)) * a
            loss += np.logaddexp(0, np.where(labels == 1, -S, S)).sum()
            e = np.zeros(dim)
            for o, go in zip(outs, g):  # outputs one after the other: a repeated negative sees the first update
                e += go * syn1[o, :dim]
                syn1[o, :dim] += go * h
            np.add.at(syn0, (ctx_ids, slice(0, dim)), e if cbow_mean else e / len(ctx_ids))
    return loss


@pytest.mark.parametrize("sg,cbow_mean", [(True, True), (False, True), (False, False)])
def test_matches_numpy_reference(simd, sg, cbow_mean):
    window, negative, dim = 3, 4, 13
    ids, counts = zipf_stream(12, 40, 15, seed=1)
    tables = Tables(counts, sample=0.02, ns_exponent=0.75)
    syn0, syn1 = init_rows(len(counts), dim, seed=3)
    syn1[:, :dim] = np.random.default_rng(4).normal(0, 0.3, (len(counts), dim))  # non-zero outputs: every term
    ref0, ref1 = syn0.astype(np.float64), syn1.astype(np.float64)
    trace = np.zeros((len(ids), _w2v.trace_width(window, negative)), dtype=np.int64)
    res = epoch(syn0, syn1, ids, tables, trace=trace, sg=sg, cbow_mean=cbow_mean, dim=dim, window=window,
                negative=negative)
    records = read_trace(trace, res["traced"], window, negative)
    kept = _w2v.keep_mask(ids, tables.thresh, 7, 0)
    assert res["traced"] == res["kept"] == kept.sum() < (ids >= 0).sum()  # subsampling dropped some
    assert [r["pos"] for r in records] == list(np.flatnonzero(kept))
    for r in records:
        assert 1 <= r["reach"] <= window
        assert list(r["ctx"]) == expected_contexts(ids, kept, r["pos"], r["reach"])
        assert r["outs"][0] == ids[r["pos"]] and (r["outs"][1:] != ids[r["pos"]]).all()
    assert len({r["reach"] for r in records}) == window  # shrunk windows: every reach occurs
    ref_loss = reference(ref0, ref1, ids, records, sg, cbow_mean, dim)
    np.testing.assert_allclose(syn0, ref0, rtol=1e-4, atol=2e-5)
    np.testing.assert_allclose(syn1, ref1, rtol=1e-4, atol=2e-5)
    assert res["loss"] == pytest.approx(ref_loss, rel=1e-4)
    assert (syn0[:, dim:] == 0).all() and (syn1[:, dim:] == 0).all()  # padding stays 0
    assert res["examples"] == (sum(len(r["ctx"]) for r in records) if sg else
                               sum(len(r["ctx"]) > 0 for r in records))


def test_unshrunk_windows_use_the_whole_window():
    ids, counts = zipf_stream(5, 30, 10, seed=2)
    tables = Tables(counts, sample=0, ns_exponent=0.75)
    syn0, syn1 = init_rows(len(counts), 8, seed=1)
    trace = np.zeros((len(ids), _w2v.trace_width(4, 2)), dtype=np.int64)
    res = epoch(syn0, syn1, ids, tables, trace=trace, dim=8, window=4, negative=2, shrink=False)
    records = read_trace(trace, res["traced"], 4, 2)
    assert res["kept"] == (ids >= 0).sum()  # sample=0 keeps every token
    assert {r["reach"] for r in records} == {4}


@pytest.mark.parametrize("sg", [True, False])
@pytest.mark.parametrize("n_threads", [1, 3])
def test_documents_never_share_a_window(sg, n_threads):
    # Documents alternate between two disjoint vocabularies whose input vectors live in disjoint
    # columns. Without negatives, an output row only ever adds input rows of its own windows, and
    # an input row only output rows: one window across a separator leaks into the other columns.
    rng = np.random.default_rng(0)
    docs = []
    for k in range(400):
        half = k % 2
        docs.append(rng.integers(0, 5, size=rng.integers(1, 30)).astype(np.int32) * 2 + half)
        docs.append(np.full(rng.integers(1, 3), -1, dtype=np.int32))  # runs of separators too
    ids = np.concatenate(docs)
    counts = np.bincount(ids[ids >= 0], minlength=10).astype(np.int64)
    tables = Tables(counts, sample=0, ns_exponent=0.75)
    syn0, syn1 = init_rows(10, 10, seed=1)
    syn0[0::2, 5:] = 0
    syn0[1::2, :5] = 0
    syn1[0::2, 0] = 1.0  # outputs start on their own side too
    syn1[1::2, 9] = 1.0
    for e in range(2):
        epoch(syn0, syn1, ids, tables, n_threads=n_threads, sg=sg, negative=0, window=5, epoch=e)
    assert np.abs(syn0[0::2, :5]).sum() > 0 and np.abs(syn0[1::2, 5:]).sum() > 0
    assert (syn0[0::2, 5:] == 0).all() and (syn0[1::2, :5] == 0).all()
    assert (syn1[0::2, 5:] == 0).all() and (syn1[1::2, :5] == 0).all()


def test_subsampling_keeps_word2vec_c_fraction():
    counts = np.array([400_000, 100_000, 20_000, 5_000, 1_000, 50], dtype=np.int64)
    ids = np.repeat(np.arange(len(counts), dtype=np.int32), counts)
    np.random.default_rng(0).shuffle(ids)
    sample = 1e-2
    thresh = _w2v.keep_thresholds(counts, sample)
    st = sample * counts.sum()
    p = np.minimum(1.0, (np.sqrt(counts / st) + 1) * st / counts)
    kept = _w2v.keep_mask(ids, thresh, 11, 0)
    freq = np.bincount(ids[kept], minlength=len(counts)) / counts
    sd = np.sqrt(p * (1 - p) / counts)
    assert (np.abs(freq - p) <= 5 * sd + 1e-12).all(), (freq, p)
    assert p[-1] == 1.0 and thresh[-1] == 2**32 - 1 and freq[-1] == 1.0
    other = _w2v.keep_mask(ids, thresh, 11, 1)
    assert (kept != other).any()  # drawn afresh each epoch
    # the kernel keeps exactly these tokens
    tables = Tables(counts, sample, 0.75)
    syn0, syn1 = init_rows(len(counts), 4, seed=0)
    res = epoch(syn0, syn1, ids[:50_000], tables, seed=11, window=2, negative=1, dim=4)
    assert res["kept"] == _w2v.keep_mask(ids[:50_000], thresh, 11, 0).sum()


def test_negatives_follow_unigram_to_the_power():
    counts = np.array([10_000, 3_000, 700, 90, 12, 5, 5, 1, 0], dtype=np.int64)
    for power in (0.75, 0.0, -0.5):
        table = _w2v.alias_table(counts, power)
        draws = _w2v.draw_negatives(table, 2_000_000, 123)
        q = np.where(counts > 0, counts.astype(float) ** power, 0)
        q /= q.sum()
        freq = np.bincount(draws, minlength=len(counts)) / len(draws)
        sd = np.sqrt(q * (1 - q) / len(draws))
        assert (np.abs(freq - q) <= 5 * sd + 1e-12).all(), (power, freq, q)
        assert freq[-1] == 0  # never a word that was never seen
    with pytest.raises(ValueError):
        _w2v.alias_table(np.zeros(3, dtype=np.int64), 0.75)


@pytest.mark.parametrize("sg", [True, False])
def test_loss_is_finite_and_falls(sg):
    # two topics: words 0-9 in some documents, 10-19 in others
    rng = np.random.default_rng(5)
    docs = []
    for k in range(600):
        docs.append(rng.integers(0, 10, size=20).astype(np.int32) + 10 * (k % 2))
        docs.append(np.array([-1], dtype=np.int32))
    ids = np.concatenate(docs)
    counts = np.bincount(ids[ids >= 0], minlength=20).astype(np.int64)
    tables = Tables(counts, 1e-3, 0.75)
    syn0, syn1 = init_rows(20, 16, seed=2)
    n = int((ids >= 0).sum())
    losses = []
    for e in range(6):
        r = epoch(syn0, syn1, ids, tables, sg=sg, dim=16, window=4, negative=5, alpha=0.025, epoch=e,
                  done_before=e * n, total=6 * n)
        assert np.isfinite(r["loss"]) and r["examples"] > 0 and r["tokens"] == n
        losses.append(r["loss"] / r["examples"])
    assert losses[-1] < 0.85 * losses[0], losses
    # the learned vectors separate the topics
    v = syn0[:, :16] / np.linalg.norm(syn0[:, :16], axis=1, keepdims=True)
    sim = v @ v.T
    assert sim[:10, :10].mean() > sim[:10, 10:].mean() + 0.2


def fit(ids, counts, epochs, seed, n_threads=1, rows=None, start=0, total_epochs=None, **kw):
    tables = Tables(counts, 1e-3, 0.75)
    syn0, syn1 = rows if rows is not None else init_rows(len(counts), 12, seed=seed)
    n = int((ids >= 0).sum())
    total = n * (total_epochs or epochs)
    for e in range(start, start + epochs):
        epoch(syn0, syn1, ids, tables, n_threads=n_threads, dim=12, window=4, negative=3, seed=seed, epoch=e,
              done_before=e * n, total=total, **kw)
    return syn0, syn1


@pytest.mark.parametrize("sg", [True, False])
def test_one_thread_and_a_seed_reproduce_bit_for_bit(sg):
    ids, counts = zipf_stream(300, 60, 50, seed=4)
    a = fit(ids, counts, 2, seed=9, sg=sg)
    b = fit(ids, counts, 2, seed=9, sg=sg)
    c = fit(ids, counts, 2, seed=10, sg=sg)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize("sg", [True, False])
def test_five_plus_five_epochs_equal_ten(sg):
    ids, counts = zipf_stream(200, 60, 40, seed=6)
    ten = fit(ids, counts, 10, seed=3, sg=sg)
    rows = fit(ids, counts, 5, seed=3, total_epochs=10, sg=sg)
    rows = (rows[0].copy(), rows[1].copy())  # as a saved and reloaded training state
    resumed = fit(ids, counts, 5, seed=3, rows=rows, start=5, total_epochs=10, sg=sg)
    assert np.array_equal(ten[0], resumed[0]) and np.array_equal(ten[1], resumed[1])


def test_learning_rate_decays_linearly_with_the_tokens_trained():
    ids, counts = zipf_stream(1000, 60, 30, seed=8)
    assert len(ids) > 3 * _w2v.BLOCK
    tables = Tables(counts, 0, 0.75)
    syn0, syn1 = init_rows(len(counts), 8, seed=0)
    n = int((ids >= 0).sum())
    trace = np.zeros((n, _w2v.trace_width(2, 1)), dtype=np.int64)
    res = epoch(syn0, syn1, ids, tables, trace=trace, dim=8, window=2, negative=1, alpha=0.04, min_alpha=0.001,
                done_before=n, total=3 * n)
    records = read_trace(trace, res["traced"], 2, 1)
    tokens_before_block = np.cumsum(ids >= 0) - (ids >= 0)
    for r in records:
        block_start = r["pos"] // _w2v.BLOCK * _w2v.BLOCK
        done = n + tokens_before_block[block_start]
        assert r["alpha"] == pytest.approx(0.04 - 0.039 * done / (3 * n), rel=1e-6)
    assert records[-1]["alpha"] < records[0]["alpha"]


def test_threads_train_every_token_once():
    ids, counts = zipf_stream(3000, 50, 200, seed=3)
    tables = Tables(counts, 1e-3, 0.75)
    syn0, syn1 = init_rows(len(counts), 20, seed=0)
    kept = _w2v.keep_mask(ids, tables.thresh, 7, 0).sum()
    for sg in (True, False):
        r = epoch(syn0, syn1, ids, tables, n_threads=4, sg=sg, dim=20)
        assert r["tokens"] == (ids >= 0).sum() and r["kept"] == kept and np.isfinite(r["loss"])
    assert np.isfinite(syn0).all() and np.isfinite(syn1).all()


def test_stop_flag_ends_the_epoch_early():
    ids, counts = zipf_stream(3000, 50, 100, seed=3)
    tables = Tables(counts, 1e-3, 0.75)
    syn0, syn1 = init_rows(len(counts), 16, seed=0)
    progress = np.zeros(2 * _w2v.SLOT, dtype=np.int64)
    stop = np.ones(1, dtype=np.int32)
    r = _w2v.train_epoch(syn0, syn1, ids, tables.thresh, tables.table, progress, stop, n_threads=2,
                         **params(total=len(ids), dim=16))
    assert r["stopped"] and r["tokens"] == 0 and r["kept"] == 0


def test_keyboard_interrupt_stops_the_kernel_within_a_block():
    # a long epoch (one thread) whose last fifth uses words of its own: a KeyboardInterrupt in the
    # waiting thread stops the kernel long before it gets there, so their input rows never move
    rng = np.random.default_rng(0)
    ids = np.concatenate([rng.integers(0, 500, size=4_000_000), rng.integers(500, 1000, size=1_000_000)])
    ids = ids.astype(np.int32)
    counts = np.bincount(ids, minlength=1000).astype(np.int64)
    tables = Tables(counts, 1e-3, 0.75)
    syn0, syn1 = init_rows(1000, 100, seed=0)
    late = syn0[500:].copy()
    seen = []

    def on_progress(tokens):
        seen.append(tokens)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_epoch(syn0, syn1, ids, tables, n_threads=1, on_progress=on_progress,
                  **params(dim=100, window=5, negative=5, total=len(ids)))
    assert len(seen) == 1 and not np.array_equal(syn0[:500], init_rows(1000, 100, seed=0)[0][:500])
    assert np.array_equal(syn0[500:], late)
    assert not [t for t in threading.enumerate() if t.name == "glovefast-word2vec"]  # the kernel has returned


def test_bad_calls_raise_instead_of_crashing():
    ids, counts = zipf_stream(10, 10, 5, seed=0)
    tables = Tables(counts, 1e-3, 0.75)
    syn0, syn1 = init_rows(5, 8, seed=0)
    with pytest.raises(ValueError, match="not below the vocabulary size"):
        epoch(syn0, syn1, np.append(ids, 5).astype(np.int32), tables, dim=8)
    with pytest.raises(ValueError, match="same shape"):
        epoch(syn0, syn1[:4], ids, tables, dim=8)
    with pytest.raises(ValueError, match="cannot hold"):
        epoch(syn0, syn1, ids, tables, dim=17)
    with pytest.raises(ValueError, match="one thread"):
        epoch(syn0, syn1, ids, tables, n_threads=2, trace=np.zeros((4, _w2v.trace_width(3, 3)), dtype=np.int64),
              dim=8)


def test_empty_stream_and_separators_only():
    counts = np.array([3, 2], dtype=np.int64)
    tables = Tables(counts, 1e-3, 0.75)
    syn0, syn1 = init_rows(2, 8, seed=0)
    before = syn0.copy()
    for ids in (np.zeros(0, dtype=np.int32), np.full(5, -1, dtype=np.int32)):
        r = epoch(syn0, syn1, ids, tables, dim=8, n_threads=2, total=1)
        assert r["tokens"] == 0 and r["examples"] == 0 and r["loss"] == 0
    assert np.array_equal(syn0, before)
