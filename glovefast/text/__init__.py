"""The shared front of the pipeline: corpus sources (files, compression, encoding checks),
reading text or token lists into the C tokenizer, and the :class:`~glovefast.text.vocabulary.Vocabulary`."""
