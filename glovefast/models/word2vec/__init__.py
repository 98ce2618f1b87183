"""word2vec with negative sampling (skip-gram and CBOW, issue 19): the public model
(:class:`~glovefast.models.word2vec.model.Word2Vec`, ``model``) around the compiled kernel
``glovefast._kernels.w2v`` (``epochs``: the parameter rows, the per-word tables and an epoch that
Ctrl-C stops within a block). See docs/word2vec.md."""
