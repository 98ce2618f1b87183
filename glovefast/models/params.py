"""Hyper-parameters declared once per model: the spec drives validation, the save schema,
``repr`` and the command line's flags and their help.

A model lists its hyper-parameters as :class:`Param` entries in a :class:`ParamSpec` (as
scikit-learn's ``_parameter_constraints``, with what a saved file and the CLI need beside the
constraint). Every place that used to write a hyper-parameter out by hand asks the spec:

* ``__init__`` stores the keywords (``EmbeddingModel.__init__`` sets every declared default);
* :meth:`ParamSpec.check` validates them when ``fit`` starts (named errors, one message style);
* :meth:`ParamSpec.saved` and :meth:`ParamSpec.schema` give the ``params`` a model file holds and
  what a loader accepts there;
* :meth:`ParamSpec.repr_args` gives the arguments ``repr`` shows (those that differ from the
  defaults, as scikit-learn prints estimators);
* :meth:`ParamSpec.add_arguments` adds a flag per parameter to an argparse group, with its type,
  bounds and help, and :meth:`ParamSpec.from_arguments` reads them back.
"""
import argparse
import math
from dataclasses import dataclass

import numpy as np

from glovefast._util.validation import check_choice, check_float, check_int
from glovefast.errors import InvalidParameterError
from glovefast.io.bundle import Nullable, Object, Scalar

#: The kinds of value a parameter takes.
KINDS = ("int", "float", "bool", "choice", "dtype", "seed", "option")

#: Floating-point precisions a model trains in.
DTYPES = ("float32", "float64")


@dataclass(frozen=True)
class Param:
    """One hyper-parameter.

    Attributes
    ----------
    name : str
        The ``__init__`` keyword and the attribute.
    kind : {"int", "float", "bool", "choice", "dtype", "seed", "option"}
        "seed" is a ``random_state`` (a non-negative integer, a Generator or None), checked when
        ``fit`` draws from it; it is not saved. "option" is any value ``fit`` checks itself
        (a memory budget, a directory); it is not saved and has no flag.
    default
        The value ``__init__`` takes when it is not given.
    help : str
        What it does, in a phrase (the CLI's help; shown after the flag).
    minimum, maximum : number, optional
        Bounds of "int" and "float" values; ``exclusive`` makes the minimum exclusive.
    choices : tuple of str, optional
        The values of a "choice".
    flag : str, optional
        The command line's flag without dashes (``"x-max"`` is ``--x-max``), also the key of its
        default in :data:`glovefast.defaults.TRAIN_DEFAULTS` (dashes as underscores). None: no flag.
    metavar : str, optional
        The flag's value name in the help.
    optional : bool
        None is a valid value too (the model then chooses, e.g. from another parameter).
    runtime : bool
        A setting of the run rather than of the model (threads, verbosity): not saved with it.
    """

    name: str
    kind: str
    default: object
    help: str
    minimum: float = None
    maximum: float = None
    exclusive: bool = False
    choices: tuple = None
    flag: str = None
    metavar: str = None
    optional: bool = False
    runtime: bool = False

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"parameter {self.name}: unknown kind {self.kind!r}")

    @property
    def defaults_key(self):
        """The key of the CLI's default in :data:`glovefast.defaults.TRAIN_DEFAULTS`."""
        return None if self.flag is None else self.flag.replace("-", "_")

    def check(self, value):
        """``value`` validated and converted (int, float, str or numpy dtype); InvalidParameterError
        naming the parameter otherwise. A "seed" or an "option" is returned as given (``fit``
        checks it)."""
        if value is None and self.optional:
            return None
        if self.kind == "int":
            return check_int(self.name, value, minimum=self.minimum, maximum=self.maximum)
        if self.kind == "float":
            value = check_float(self.name, value, minimum=self.minimum, exclusive_minimum=self.exclusive)
            if self.maximum is not None and value > self.maximum:
                raise InvalidParameterError(f"{self.name} must be <= {self.maximum:g}, got {value!r}")
            return value
        if self.kind == "bool":
            if not isinstance(value, (bool, np.bool_)):
                raise InvalidParameterError(f"{self.name} must be True or False, got {value!r}")
            return bool(value)
        if self.kind == "choice":
            check_choice(self.name, value, self.choices)
            return value
        if self.kind == "dtype":
            try:
                dtype = np.dtype(value)
            except TypeError:
                raise InvalidParameterError(f"{self.name} must be float32 or float64, got {value!r}") from None
            if dtype.name not in DTYPES:
                raise InvalidParameterError(f"{self.name} must be float32 or float64, got {dtype}")
            return dtype
        return value

    def saved(self, value):
        """The JSON form of ``value`` in a model file (dtypes by name)."""
        if value is None:
            return None
        if self.kind == "bool":
            return bool(value)
        if self.kind == "int":
            return int(value)
        if self.kind == "float":
            return float(value)
        if self.kind == "dtype":
            return np.dtype(value).name
        return value

    def schema(self):
        """What a model file may hold for this parameter (its range is checked by :meth:`check`
        when the model is rebuilt)."""
        if self.kind == "int":
            scalar = Scalar(int, minimum=self.minimum)
        elif self.kind == "float":
            scalar = Scalar(float)
        elif self.kind == "bool":
            scalar = Scalar(bool)
        elif self.kind == "dtype":
            scalar = Scalar(str, choices=set(DTYPES))
        else:
            scalar = Scalar(str, choices=set(self.choices))
        return Nullable(scalar) if self.optional else scalar

    @property
    def is_saved(self):
        """Whether a model file holds this parameter (not a seed, an option or a runtime setting)."""
        return self.kind not in ("seed", "option") and not self.runtime

    def cli_type(self):
        """An argparse ``type`` for the flag: parses and checks one value, with argparse's messages."""
        if self.kind in ("int", "seed"):
            return int_argument(0 if self.kind == "seed" else self.minimum, self.maximum)
        if self.kind == "float":
            return float_argument(self.minimum, self.exclusive)
        if self.kind == "bool":
            return bool_argument
        raise ValueError(f"--{self.flag}: a {self.kind} flag takes choices, not a type")


def int_argument(minimum, maximum=None):
    """An argparse ``type``: an integer in [minimum, maximum] (no upper bound when None)."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum or (maximum is not None and value > maximum):
            bound = f">= {minimum}" if maximum is None else f"between {minimum} and {maximum}"
            raise argparse.ArgumentTypeError(f"must be an integer {bound}, got {value}")
        return value

    parse.__name__ = "integer"  # argparse names the type in some messages
    return parse


def bool_argument(text):
    """An argparse ``type``: yes/no, true/false, on/off or 1/0."""
    value = _BOOLEANS.get(text.strip().lower())
    if value is None:
        raise argparse.ArgumentTypeError(f"expected yes or no (true/false, 1/0), got {text!r}")
    return value


bool_argument.__name__ = "yes/no"
_BOOLEANS = {"yes": True, "true": True, "on": True, "1": True, "no": False, "false": False, "off": False, "0": False}


def float_argument(minimum, exclusive=False):
    """An argparse ``type``: a finite number >= minimum (> with ``exclusive``; any finite number
    when ``minimum`` is None)."""
    def parse(text):
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
        if minimum is not None and (value < minimum or (exclusive and value == minimum)):
            raise argparse.ArgumentTypeError(f"must be a finite number {'>' if exclusive else '>='} {minimum:g}, "
                                             f"got {text}")
        return value

    parse.__name__ = "number"
    return parse


class ParamSpec:
    """The hyper-parameters of one model, in ``__init__`` order (see the module docstring)."""

    def __init__(self, *params):
        self.params = tuple(params)
        self.by_name = {p.name: p for p in self.params}
        if len(self.by_name) != len(self.params):
            raise ValueError("a parameter is declared twice")

    def __iter__(self):
        return iter(self.params)

    def __getitem__(self, name):
        return self.by_name[name]

    def defaults(self):
        """name -> default, for ``__init__``."""
        return {p.name: p.default for p in self.params}

    def values(self, model):
        """name -> the value ``model`` holds now (``get_params``)."""
        return {p.name: getattr(model, p.name) for p in self.params}

    def check(self, model):
        """name -> validated value of every parameter of ``model`` (InvalidParameterError otherwise)."""
        return {p.name: p.check(getattr(model, p.name)) for p in self.params}

    def saved(self, model):
        """The ``params`` a model file holds: every parameter but the random state, in JSON form."""
        return {p.name: p.saved(getattr(model, p.name)) for p in self.params if p.is_saved}

    def schema(self, required=()):
        """The bundle schema of :meth:`saved`'s object; parameters not in ``required`` may be absent
        (files from versions that did not have them)."""
        fields = {p.name: p.schema() for p in self.params if p.is_saved}
        return Object(fields, optional=[name for name in fields if name not in required])

    def repr_args(self, model):
        """``name=value`` strings of the parameters that differ from their defaults."""
        out = []
        for p in self.params:
            value = getattr(model, p.name)
            default = p.default
            if p.kind == "dtype":
                try:
                    same = np.dtype(value) == np.dtype(default)
                except TypeError:
                    same = False
                text = np.dtype(value).name if same is not False and _is_dtype(value) else repr(value)
            else:
                same = _same(value, default)
                text = repr(value)
            if not same:
                out.append(f"{p.name}={text}")
        return out

    def add_arguments(self, group, defaults, names=None):
        """Add a flag for every parameter that has one (of ``names``, when given) to an argparse
        ``group``; ``defaults`` (a mapping such as :data:`glovefast.defaults.TRAIN_DEFAULTS`, keyed
        by ``Param.defaults_key``) gives the default the help shows. The flags default to None:
        :meth:`from_arguments` tells given values from defaults. Returns the flags added."""
        flags = []
        for p in self.params:
            if p.flag is None or (names is not None and p.name not in names):
                continue
            default = defaults.get(p.defaults_key)
            if p.kind == "bool" and default is not None:
                default = "yes" if default else "no"
            text = p.help + ("" if default is None else f" (default: {default})")
            if p.kind in ("choice", "dtype"):
                group.add_argument(f"--{p.flag}", choices=p.choices or DTYPES, metavar=p.metavar, help=text)
            else:
                group.add_argument(f"--{p.flag}", type=p.cli_type(), metavar=p.metavar, help=text)
            flags.append(f"--{p.flag}")
        return flags

    def given(self, args):
        """flag -> value of the flags given on the command line (not None)."""
        return {f"--{p.flag}": getattr(args, p.defaults_key) for p in self.params
                if p.flag is not None and getattr(args, p.defaults_key) is not None}

    def from_arguments(self, args, defaults):
        """name -> value for the model's ``__init__``: each flag's value, else ``defaults``' value for
        it, else the parameter's own default."""
        out = {}
        for p in self.params:
            if p.flag is None:
                continue
            value = getattr(args, p.defaults_key)
            if value is None:
                value = defaults.get(p.defaults_key, p.default)
            out[p.name] = p.check(value) if p.kind not in ("seed", "option") else value
        return out


def _is_dtype(value):
    try:
        np.dtype(value)
    except TypeError:
        return False
    return True


def _same(value, default):
    if value is default:
        return True
    if isinstance(value, (bool, np.bool_)) or isinstance(default, (bool, np.bool_)):
        return False
    try:
        return bool(value == default) and type(value) in (type(default), int, float)
    except Exception:  # noqa: BLE001 - an array or an object without a usable ==: show it
        return False


__all__ = ["DTYPES", "KINDS", "Param", "ParamSpec", "bool_argument", "float_argument", "int_argument"]
