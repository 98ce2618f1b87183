"""Embedding models and what their training loops share: the model-agnostic epoch loop
(divergence and Ctrl-C safety, progress, callbacks) and the rollback to the last finite epoch.
Each model lives in its own subpackage (:mod:`glovefast.models.glove`)."""
