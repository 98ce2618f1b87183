"""Token id streams: what the reading of token lists feeds ids to.

Ids follow the conventions of the C token stream (``_kernels/tokens.h``): word ids are >= 0,
``SEP`` ends a document, ``SKIP`` holds the position of an unknown word kept in the window,
``DROP`` a word that is removed before windows are formed.
"""
import numpy as np

from glovefast._kernels import core as _core


class IdCounts:
    """What ``reading.read_token_lists`` feeds ids to, keeping only the count of each id (and of
    the tokens, unknown ones included) without the stream: a vocabulary pass."""

    def __init__(self):
        self.n_seen = 0
        self._counts = np.zeros(0, dtype=np.int64)

    def feed_ids(self, ids):
        self.n_seen += int(np.count_nonzero(ids != _core.SEP))
        pos = ids[ids >= 0]
        if pos.size:
            c = np.bincount(pos)
            if c.size > self._counts.size:
                c[:self._counts.size] += self._counts
                self._counts = c.astype(np.int64)
            else:
                self._counts[:c.size] += c

    def stream_counts(self, n):
        out = np.zeros(n, dtype=np.int64)
        m = min(n, self._counts.size)
        out[:m] = self._counts[:m]
        return out


__all__ = ["IdCounts"]
