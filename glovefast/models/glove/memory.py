"""What ``Glove.fit`` needs in memory, checked before anything large is allocated, and where each
part goes under the memory budget.

Parts (bytes):

* **parameters**: W and W~, each ``n_words`` rows of vector, Adagrad sums, bias and bias sum
  (``Glove._init_rows`` layout), in the training precision. Always in RAM.
* **vectors**: the results (``word_vectors``, ``context_vectors`` and both biases), built when
  training ends.
* **conversion**: validating and converting a matrix that is not already a canonical COO with
  int32 ids and float64 counts (nothing for ``Corpus.matrix``; a read buffer for a store).
* **triples**: 16 bytes an update in float32, 24 in float64. In RAM when they fit, else prepared
  by an external shuffle in the remaining working memory and memory-mapped from ``tmp_dir``.
* **rollback**: the parameters of the last finite epoch, restored on divergence or Ctrl-C: a copy
  in RAM when the parameters are small (at most 1/8 of the budget) and it fits, else a checkpoint
  file in ``tmp_dir``.

Peak RSS is about ``parameters + max(vectors, conversion + triples, rollback + triples)`` plus
the interpreter with numpy and scipy (about 60 MB), where ``triples`` is the working memory of
the external shuffle when they do not fit.
"""
from glovefast._util.memory import available_memory, format_bytes, resolve_budget
from glovefast.errors import MemoryBudgetError
from glovefast.models.glove.triples import MIN_WORK_BYTES

#: Share of the budget up to which the rollback copy stays in RAM (a memcpy per epoch); above it
#: a checkpoint file costs one sequential write of the parameters per epoch instead.
ROLLBACK_RAM_SHARE = 8


class TrainingMemory:
    """The memory plan of one fit.

    Parameters
    ----------
    n_words, no_components : int
    row_elements : int
        Elements of one parameter row (vector, Adagrad sums, biases, padding).
    itemsize : int
        Bytes of one element (4 or 8).
    conversion_bytes : int
        What reading the input takes (see the module docstring).
    memory : int, str or None
        The budget (``Glove.fit(memory=...)``); None: :func:`glovefast._util.memory.default_budget`,
        with the parameters checked against the memory available now.

    Raises
    ------
    MemoryBudgetError
        The parameters and vectors alone do not fit.

    Attributes
    ----------
    budget, parameters, vectors, conversion : int
    triples : int
        Bytes of the triples (set by :meth:`place_triples`).
    triples_in_ram, rollback_in_ram : bool
    work : int
        RAM for the external shuffle (0 when the triples are in RAM).
    """

    def __init__(self, n_words, no_components, row_elements, itemsize, conversion_bytes, memory=None):
        self.budget = resolve_budget(memory)
        self.explicit = memory is not None
        self.parameters = 2 * n_words * row_elements * itemsize
        self.vectors = n_words * (2 * no_components + 2) * itemsize
        self.conversion = int(conversion_bytes)
        self.triples = 0
        self.triples_in_ram = True
        self.rollback_in_ram = True
        self.work = 0
        least = self.parameters + max(self.vectors, self.conversion)
        limit = self.budget if self.explicit else available_memory()
        if limit is not None and least > limit:
            where = (f"the memory budget ({format_bytes(self.budget)})" if self.explicit
                     else f"the memory available now ({format_bytes(limit)})")
            raise MemoryBudgetError(
                f"training {n_words:,} words x {no_components:,} dimensions needs at least {format_bytes(least)}: "
                f"{format_bytes(self.parameters)} for the parameters (W and W~ with their Adagrad state) and "
                f"{format_bytes(max(self.vectors, self.conversion))} for "
                f"{'the trained vectors' if self.vectors >= self.conversion else 'converting the matrix'}, more than "
                f"{where}. Lower no_components or the vocabulary (min_count, max_vocab)"
                + (", or raise memory=" if self.explicit else ", or train on a machine with more memory")
            )
        if not self.explicit and limit is not None and least > self.budget:
            # the default budget is half the available memory; let a large model use what it must
            self.budget = limit

    def peak(self, triples, rollback):
        """Peak bytes with ``triples`` bytes of triples (or shuffle work) and ``rollback`` bytes in RAM."""
        return self.parameters + max(self.vectors, self.conversion + triples, rollback + triples)

    def place_triples(self, n_triples, triple_bytes):
        """Decide where the triples and the rollback state go; returns self.

        Raises
        ------
        MemoryBudgetError
            Not even the external shuffle's least working memory fits beside the parameters.
        """
        self.triples = n_triples * triple_bytes
        small = self.parameters <= self.budget // ROLLBACK_RAM_SHARE
        if small and self.peak(self.triples, self.parameters) <= self.budget:
            self.triples_in_ram, self.rollback_in_ram, self.work = True, True, 0
        elif self.peak(self.triples, 0) <= self.budget:
            self.triples_in_ram, self.rollback_in_ram, self.work = True, False, 0
        else:
            self.triples_in_ram = False
            self.rollback_in_ram = small and self.peak(MIN_WORK_BYTES, self.parameters) <= self.budget
            held = self.parameters if self.rollback_in_ram else 0
            self.work = self.budget - self.parameters - max(self.conversion, held)
            if self.work < MIN_WORK_BYTES:
                raise MemoryBudgetError(
                    f"the training triples ({format_bytes(self.triples)}) do not fit in the memory budget "
                    f"({format_bytes(self.budget)}) and shuffling them on disk needs at least "
                    f"{format_bytes(MIN_WORK_BYTES)} beside the {format_bytes(self.parameters)} of parameters"
                    + (f" and {format_bytes(self.conversion)} to read the input" if self.conversion else "")
                    + f": a budget of at least {format_bytes(self.budget - self.work + MIN_WORK_BYTES)}"
                )
        return self

    def describe(self):
        """One line for the log."""
        triples = (f"triples {format_bytes(self.triples)} in RAM" if self.triples_in_ram else
                   f"triples {format_bytes(self.triples)} shuffled on disk in {format_bytes(self.work)} of RAM")
        return (f"memory budget {format_bytes(self.budget)}: parameters {format_bytes(self.parameters)}, vectors "
                f"{format_bytes(self.vectors)}, {triples}, rollback {'in RAM' if self.rollback_in_ram else 'on disk'}")


__all__ = ["ROLLBACK_RAM_SHARE", "TrainingMemory"]
