"""Import shim: glove_python's ``glove`` package names, served by glovefast (test use only)."""
from glovefast import Corpus, Glove

__all__ = ["Corpus", "Glove"]
