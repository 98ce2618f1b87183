"""The compiled kernels: hot loops only (no validation, no orchestration), one Cython module per
stage of the pipeline, each with the C header it includes and a ``.pxd`` declaring it:

* ``vocab`` (vocab.h): tokenising text into the token id stream (tokens.h: its conventions) while
  counting words, and the vocabulary's id order;
* ``cooc`` (cooc.h): counting cooccurrences of a token stream, merging with spilled runs, checking
  a store's entries;
* ``glove`` (glove.h, rng.h): GloVe's shuffled training triples and its Adagrad epoch;
* ``w2v`` (w2v.h, w2v_simd.h): word2vec's epoch, skip-gram and CBOW with negative sampling;
* ``textio`` (textio.h): parsing text vector files;
* ``platform`` (platform.h): compiler and OS differences, and what every training kernel shares:
  the CPU-feature dispatch (AVX2/FMA at run time), the padded vector layout, the thread clamp.

Cython's own runtime code is generated once into ``_cyutility`` (setup.py). A model's kernel
includes platform.h and tokens.h, cimports platform.pxd and tokens.pxd, and reads the id stream
of :class:`glovefast.text.tokens.TokenStream`."""
