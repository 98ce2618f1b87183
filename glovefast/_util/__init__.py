"""Helpers every stage shares: input validation, memory budgets, progress and logging, Ctrl-C and
SIGTERM handling, temporary files and atomic writes. Imports nothing of glovefast but
:mod:`glovefast.errors`."""
