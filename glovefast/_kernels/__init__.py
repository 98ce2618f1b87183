"""The compiled kernels: hot loops only (no validation, no orchestration), one Cython module per
stage of the pipeline, each with the C header it includes and a ``.pxd`` declaring it:

* ``vocab`` (vocab.h): tokenising text into the token id stream (tokens.h: its conventions) while
  counting words, and the vocabulary's id order;
* ``cooc`` (cooc.h): counting cooccurrences of a token stream, merging with spilled runs;
* ``glove`` (glove.h, rng.h): GloVe's shuffled training triples and its Adagrad epoch;
* ``textio`` (textio.h): parsing text vector files;
* ``platform`` (platform.h): compiler and OS differences, and what every training kernel shares:
  the CPU-feature dispatch (AVX2/FMA at run time), the padded vector layout, the thread clamp.

A new model's kernel (word2vec's) includes platform.h and tokens.h, cimports platform.pxd and
tokens.pxd, and reads the id stream of :class:`glovefast.text.tokens.TokenStream`."""
