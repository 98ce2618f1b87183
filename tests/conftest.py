"""Shared test set-up."""
import os

import glovefast

# Child processes (CLI runs, benchmark runners, Dask workers) must import the same glovefast as
# the tests, whether it is installed or built in place in a source tree.
PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(glovefast.__file__)))
_path = os.environ.get("PYTHONPATH")
if not _path or _path.split(os.pathsep)[0] != PACKAGE_ROOT:
    os.environ["PYTHONPATH"] = os.pathsep.join([PACKAGE_ROOT] + ([_path] if _path else []))
