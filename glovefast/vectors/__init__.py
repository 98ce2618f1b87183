"""Word vectors once trained: :class:`WordVectors` (queries, files), the cosine ranking they share
with the evaluators, evaluation (analogies, word pairs), paragraph vectors, and one loader for
every vector format."""
from glovefast.vectors.word_vectors import WordVectors

__all__ = ["WordVectors"]
