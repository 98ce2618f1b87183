"""The peer runners of ``benchmarks.compare``: one module per trainer, each run as
``python -m benchmarks.peers.<name>_run`` in its own process; ``_common`` holds what they share."""
