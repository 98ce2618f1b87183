"""``python -m glovefast``: the same command line as the ``glovefast`` console script."""
import sys

from glovefast.cli import main

if __name__ == "__main__":
    sys.exit(main())
