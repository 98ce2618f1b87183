"""glovefast: GloVe and word2vec word embeddings at C speed, with glove_python's Corpus/Glove API and
gensim's Word2Vec names."""
from glovefast._kernels.glove import simd_info
from glovefast._kernels.platform import openmp_enabled
from glovefast.cooc.store import CooccurrenceStore
from glovefast.corpus import Corpus
from glovefast.models.glove.model import Glove
from glovefast.models.word2vec.model import Word2Vec
from glovefast.text.tokens import TokenStream
from glovefast.text.vocabulary import Vocabulary
from glovefast.vectors.word_vectors import WordVectors
from glovefast.vectors.loading import detect_format, load_vectors
from glovefast.vectors.evaluation import evaluate_all, evaluate_word_analogies, evaluate_word_pairs
from glovefast.errors import *  # noqa: F401,F403
from glovefast.errors import __all__ as _errors_all

__version__ = "0.1.0"

__all__ = ["Corpus", "Glove", "Word2Vec", "WordVectors", "TokenStream", "Vocabulary", "CooccurrenceStore", "detect_format", "load_vectors", "evaluate_all", "evaluate_word_analogies", "evaluate_word_pairs", "openmp_enabled", "simd_info", "__version__"] + list(_errors_all)
