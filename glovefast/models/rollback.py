"""The parameters of the last finite epoch, restored when training diverges or is interrupted.

Small parameters are copied in RAM before every epoch (a memcpy). Large ones are written to a
checkpoint file in ``tmp_dir`` instead (one sequential write per epoch, read back only on a
rollback), so training never holds a second copy of W and W~: without it the peak stays near
one copy of the parameters. Divergence cannot be undone more cheaply: every epoch updates
nearly every row, so an undo log of the touched rows would be the whole copy again. The file is
created already unlinked and disappears on every exit path.
"""
import numpy as np

from glovefast._util.files import read_exactly, temp_file, write_all


class Rollback:
    """Saves and restores ``arrays`` (C-contiguous numpy arrays, modified in place by training).

    Parameters
    ----------
    arrays : sequence of numpy.ndarray
    in_ram : bool
        Keep the copy in RAM; otherwise in a checkpoint file in ``directory``.
    directory : str
        Where the checkpoint file goes (needed when ``in_ram`` is False).
    """

    def __init__(self, arrays, in_ram, directory=None):
        self.arrays = list(arrays)
        self.in_ram = in_ram
        self.directory = directory
        self._copies = None
        self._fh = None
        self.saved = False

    def save(self):
        """Remember the arrays' current values."""
        # Until this save completes the checkpoint is mixed; the arrays themselves are then the
        # state to keep (nothing trains while saving), so restore() must leave them alone.
        self.saved = False
        if self.in_ram:
            if self._copies is None:
                self._copies = [a.copy() for a in self.arrays]
            else:
                for copy, a in zip(self._copies, self.arrays):
                    np.copyto(copy, a)
        else:
            need = sum(a.nbytes for a in self.arrays)
            what = "the rollback checkpoint of the parameters"
            if self._fh is None:
                self._fh = temp_file(self.directory, what, need)
            for k, a in enumerate(self.arrays):
                if k == 0:
                    self._fh.seek(0)
                write_all(self._fh, a, self.directory, what, need)
        self.saved = True

    def forget(self):
        """The arrays now hold the state to keep (an epoch completed): :meth:`restore` leaves them
        alone until the next :meth:`save`, so an interruption between two epochs undoes nothing."""
        self.saved = False

    def restore(self):
        """Put the saved values back (nothing happens if nothing was saved, or after :meth:`forget`)."""
        if not self.saved:
            return
        if self.in_ram:
            for copy, a in zip(self._copies, self.arrays):
                np.copyto(a, copy)
        else:
            offset = 0
            for a in self.arrays:
                read_exactly(self._fh, a, offset, self.directory, "the rollback checkpoint")
                offset += a.nbytes

    def close(self):
        self._copies = None
        if self._fh is not None:
            self._fh.close()
            self._fh = None


__all__ = ["Rollback"]
