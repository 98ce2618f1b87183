"""Which class reads each kind of glovefast bundle.

Every bundle records its ``kind`` (``"glovefast.WordVectors"``, ``"glovefast.Glove"``,
``"glovefast.Corpus"``...; see :mod:`glovefast.io.bundle`). The class that writes a kind
registers itself here (:func:`register`), so a loader finds the class from the file instead of
naming every kind: :func:`glovefast.load_vectors` asks it for the file's word vectors
(``cls.read_word_vectors(path, mmap)``), and a new model is read without changing the loaders.
"""

_CLASSES = {}


def register(cls):
    """Class decorator: files of kind ``cls.NPZ_KIND`` are read by ``cls``. Returns ``cls``."""
    _CLASSES[cls.NPZ_KIND] = cls
    return cls


def class_for(kind):
    """The class registered for ``kind``, or None."""
    return _CLASSES.get(kind)


__all__ = ["class_for", "register"]
