"""glovefast's benchmark scripts, run as modules from the repository root.

    python -m benchmarks.compare --corpus ../shared/corpus/real8.txt.gz
    python -m benchmarks.counting --help

Each script measures one target (see benchmarks/README.md); ``_measure`` holds what they share:
peak memory of a process, and the environment of the fresh child processes the scripts measure in.
"""
