"""Cooccurrence counting: in a memory budget (spilled runs and their k-way merge), into RAM or an
on-disk :class:`~glovefast.cooc.store.CooccurrenceStore`, or on a Dask cluster through a shared
work directory."""
