"""Paragraph vectors: glove_python's transform_paragraph / most_similar_paragraph on Python 3."""
import math
from types import SimpleNamespace

import numpy as np
import pytest

from glovefast.vectors import paragraph
from glovefast.errors import (
    CorpusFormatError,
    InvalidParameterError,
    NoDictionaryError,
    NotFittedError,
    UnknownWordError,
)

WORDS = ["cat", "dog", "cow", "hammer", "saw", "drill", "naïve", "日本"]


def fake_model(seed=0, d=6, random_state=3, bias_scale=0.1):
    rng = np.random.default_rng(seed)
    return SimpleNamespace(
        word_vectors=rng.standard_normal((len(WORDS), d)),
        word_biases=bias_scale * rng.standard_normal(len(WORDS)),
        dictionary={w: i for i, w in enumerate(WORDS)},
        learning_rate=0.05,
        max_count=100.0,
        alpha=0.75,
        random_state=random_state,
    )


def glove_python_reference(model, tokens, epochs):
    """glove_python's algorithm transcribed literally (dict in first-occurrence order, scalar loops)."""
    cooc = {}
    for t in tokens:
        if t in model.dictionary:
            cooc[model.dictionary[t]] = cooc.get(model.dictionary[t], 0.0) + model.max_count / 10.0
    word_ids = np.array(list(cooc.keys()), dtype=np.int32)
    values = np.array(list(cooc.values()), dtype=np.float64)
    shuffle = np.arange(len(word_ids), dtype=np.int32)
    vec = np.mean(model.word_vectors[word_ids], axis=0)
    sum_gradients = np.ones_like(vec)
    np.random.RandomState(model.random_state).shuffle(shuffle)
    dim = model.word_vectors.shape[1]
    for _ in range(epochs):
        for j in range(len(word_ids)):
            k = shuffle[j]
            b = word_ids[k]
            count = values[k]
            prediction = 0.0
            for i in range(dim):
                prediction += vec[i] * model.word_vectors[b, i]
            prediction += model.word_biases[b]
            entry_weight = max(1.0, count / model.max_count) ** model.alpha
            loss = entry_weight * (prediction - math.log(count))
            for i in range(dim):
                lr = model.learning_rate / math.sqrt(sum_gradients[i])
                gradient = loss * model.word_vectors[b, i]
                vec[i] = vec[i] - lr * gradient
                sum_gradients[i] += gradient ** 2
    return vec


@pytest.mark.parametrize("tokens", [
    ["cat", "dog", "cat"],
    ["naïve", "日本", "saw", "saw", "drill"],
    ["cow"] * 25 + ["dog"],  # > 10 occurrences: glove_python's max(1, x/x_max) weighting kicks in
])
def test_matches_glove_python_algorithm(tokens):
    model = fake_model()
    ours = paragraph.transform_paragraph(model, tokens, epochs=30)
    reference = glove_python_reference(model, tokens, epochs=30)
    np.testing.assert_allclose(ours, reference, rtol=1e-12, atol=1e-12)
    assert ours.dtype == np.float64 and ours.shape == (6,)


def test_zero_epochs_is_mean_of_distinct_words():
    model = fake_model()
    vec = paragraph.transform_paragraph(model, ["cat", "cat", "dog"], epochs=0)
    np.testing.assert_allclose(vec, model.word_vectors[[0, 1]].mean(axis=0))


def test_deterministic_and_seeded_by_random_state():
    tokens = ["cat", "dog", "cow", "saw", "drill", "hammer"]
    a = paragraph.transform_paragraph(fake_model(random_state=3), tokens)
    b = paragraph.transform_paragraph(fake_model(random_state=3), tokens)
    np.testing.assert_array_equal(a, b)
    c = paragraph.transform_paragraph(fake_model(random_state=4), tokens)
    assert not np.array_equal(a, c)  # the visiting order follows the seed
    none_seed = paragraph.transform_paragraph(fake_model(random_state=None), tokens)
    np.testing.assert_array_equal(none_seed, paragraph.transform_paragraph(fake_model(random_state=0), tokens))


def test_fit_reduces_the_paragraph_loss():
    model = fake_model()
    tokens = ["cat", "dog", "dog", "saw"]
    ids = np.array([0, 1, 4])
    strength = np.array([1, 2, 1]) * model.max_count / 10

    def loss(vec):
        pred = model.word_vectors[ids] @ vec + model.word_biases[ids]
        return float(np.sum((pred - np.log(strength)) ** 2))

    start = paragraph.transform_paragraph(model, tokens, epochs=0)
    fitted = paragraph.transform_paragraph(model, tokens, epochs=200)
    assert loss(fitted) < 0.05 * loss(start)


def test_unknown_words_and_bad_input():
    model = fake_model()
    with pytest.raises(UnknownWordError) as info:
        paragraph.transform_paragraph(model, ["cat", "naïf"])
    assert info.value.word == "naïf" and "ignore_missing=True" in str(info.value)
    assert isinstance(info.value, KeyError)
    np.testing.assert_array_equal(
        paragraph.transform_paragraph(model, ["cat", "naïf", "dog"], ignore_missing=True),
        paragraph.transform_paragraph(model, ["cat", "dog"]),
    )
    with pytest.raises(InvalidParameterError, match="no word in the vocabulary"):
        paragraph.transform_paragraph(model, ["zzz", "yyy"], ignore_missing=True)
    with pytest.raises(InvalidParameterError, match="no word in the vocabulary"):
        paragraph.transform_paragraph(model, [])
    with pytest.raises(CorpusFormatError, match="split it first"):
        paragraph.transform_paragraph(model, "cat dog")
    with pytest.raises(InvalidParameterError, match="epochs"):
        paragraph.transform_paragraph(model, ["cat"], epochs=-1)
    with pytest.raises(InvalidParameterError, match="number"):
        paragraph.most_similar_paragraph(model, ["cat"], number=0)


def test_unfitted_or_dictionary_less_model():
    model = fake_model()
    model.dictionary = None
    with pytest.raises(NoDictionaryError):
        paragraph.transform_paragraph(model, ["cat"])
    model = fake_model()
    model.word_vectors = None
    with pytest.raises(NotFittedError):
        paragraph.most_similar_paragraph(model, ["cat"])


def test_most_similar_paragraph_ranks_by_cosine():
    model = fake_model()
    tokens = ["cat", "dog"]
    vec = paragraph.transform_paragraph(model, tokens, epochs=10)
    result = paragraph.most_similar_paragraph(model, tokens, number=3, epochs=10)
    unit = model.word_vectors / np.linalg.norm(model.word_vectors, axis=1, keepdims=True)
    cos = unit @ (vec / np.linalg.norm(vec))
    expected = np.argsort(-cos)[:3]
    assert [w for w, _ in result] == [WORDS[i] for i in expected]
    np.testing.assert_allclose([s for _, s in result], cos[expected], rtol=1e-10)


# ---------------------------------------------------------------------------- on a trained Glove
@pytest.fixture
def trained(topic_model):
    return topic_model


def test_glove_methods_delegate(trained):
    tokens = ["cat", "dog", "dog", "unknown-token"]
    with pytest.raises(UnknownWordError, match="unknown-token"):
        trained.transform_paragraph(tokens)
    vec = trained.transform_paragraph(tokens, ignore_missing=True, epochs=20)
    np.testing.assert_array_equal(vec, paragraph.transform_paragraph(trained, tokens, epochs=20, ignore_missing=True))
    result = trained.most_similar_paragraph(tokens, number=4, ignore_missing=True, epochs=20)
    assert len(result) == 4
    assert [w for w, _ in result] == [w for w, _ in trained.wv.similar_by_vector(vec, topn=4)]
    scores = [s for _, s in result]
    assert scores == sorted(scores, reverse=True)
    np.testing.assert_allclose(scores[0], max(trained.wv.distances(vec.astype(np.float32)) * -1 + 1), rtol=1e-5)
