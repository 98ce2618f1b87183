"""The compiled kernels: Cython modules and the C headers they include, hot loops only (no
validation, no orchestration). ``core`` holds tokenizing and the vocabulary hash, cooccurrence
counting and merging, and GloVe's training triples and Adagrad update; ``w2v`` holds word2vec's
epoch (skip-gram and CBOW with negative sampling); ``textio`` parses text vector files. Each
header has a ``.pxd`` so another Cython module can cimport it; ``platform.h`` holds the compiler
and operating-system differences."""
