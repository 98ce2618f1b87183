"""word2vec with negative sampling (skip-gram and CBOW, issue 19): one epoch around the compiled
kernel ``glovefast._kernels.w2v`` (``epochs``: the parameter rows, the per-word tables and an
epoch that Ctrl-C stops within a block). The model class comes next, on this module."""
