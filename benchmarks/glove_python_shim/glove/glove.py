"""``glove.glove`` served by glovefast: its Glove and its random-state helper, which returns a
numpy Generator where glove_python's returned a RandomState (a known difference), unless
``GLOVEFAST_SHIM_REMEDIES`` names ``random_state`` (see the package's docstring)."""
import numpy as np

from glovefast import Glove
from glovefast._util.validation import check_random_state as _glovefast_check_random_state

from . import REMEDIES

if "random_state" in REMEDIES:
    def check_random_state(seed):
        """A ``numpy.random.RandomState`` from a seed or None, or the RandomState given."""
        return seed if isinstance(seed, np.random.RandomState) else np.random.RandomState(seed)
else:
    check_random_state = _glovefast_check_random_state

__all__ = ["Glove", "check_random_state"]
