"""glovefast's benchmark scripts, run as modules from the repository root (or as files).

    python -m benchmarks.compare --corpus ../shared/corpus/real8.txt.gz
    python -m benchmarks.counting --help
    python benchmarks/counting.py --help

Each script measures one target (see benchmarks/README.md); ``_measure`` holds what they share:
where the data is, peak memory of a process, the fresh child processes the scripts measure in,
and how results are summarised and written.
"""
