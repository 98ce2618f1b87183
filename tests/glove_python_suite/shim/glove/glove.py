"""Import shim for ``glove.glove``: glovefast's Glove and its random-state helper, which returns a
numpy Generator where glove_python's returned a RandomState (a known difference)."""
from glovefast import Glove
from glovefast._util.validation import check_random_state

__all__ = ["Glove", "check_random_state"]
