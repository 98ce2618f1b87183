"""glove_python's ``glove`` package served by glovefast: the import shim under which
``benchmarks/glove_python_suite.py`` runs glove_python's own test suite unmodified. This is
glovefast's code; no line of glove_python is here.

``from glove import Corpus, Glove`` gives glovefast's classes as they are. ``GLOVEFAST_SHIM_REMEDIES``
(names separated by commas) applies the remedies the README's "Moving from glove_python" table
gives, the way a user moving code over would, one known difference each:

* ``word_ids``: ``Corpus.fit`` numbers words by first appearance (``id_order="first_seen"``)
  unless the Corpus was given a dictionary;
* ``diagonal``: ``Corpus.matrix`` is the counted matrix without its diagonal
  (``scipy.sparse.triu(matrix, k=1)``);
* ``random_state``: ``glove.glove.check_random_state`` returns a ``numpy.random.RandomState``.
"""
import os

import glovefast

#: Every remedy the shim knows, by the name ``GLOVEFAST_SHIM_REMEDIES`` uses.
KNOWN_REMEDIES = ("word_ids", "random_state", "diagonal")

REMEDIES = frozenset(name for name in os.environ.get("GLOVEFAST_SHIM_REMEDIES", "").split(",") if name)
if REMEDIES - set(KNOWN_REMEDIES):
    raise ImportError(f"GLOVEFAST_SHIM_REMEDIES names {sorted(REMEDIES - set(KNOWN_REMEDIES))}; "
                      f"the shim knows {', '.join(KNOWN_REMEDIES)}")

Glove = glovefast.Glove

if REMEDIES & {"word_ids", "diagonal"}:
    class Corpus(glovefast.Corpus):
        """glovefast's Corpus with the word-id and diagonal remedies applied after each fit."""

        def __init__(self, dictionary=None):
            super().__init__(dictionary)
            self._given_dictionary = dictionary is not None

        def fit(self, *args, **kwargs):
            if "word_ids" in REMEDIES and not self._given_dictionary:
                kwargs.setdefault("id_order", "first_seen")
            super().fit(*args, **kwargs)
            if "diagonal" in REMEDIES:
                import scipy.sparse

                self.matrix = scipy.sparse.triu(self.matrix, k=1).tocoo()
            return self
else:
    Corpus = glovefast.Corpus

__all__ = ["Corpus", "Glove"]
