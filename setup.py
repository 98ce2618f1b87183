"""Extension definitions for glovefast (metadata lives in pyproject.toml).

OpenMP is used when the compiler accepts it; otherwise the build still succeeds,
single-threaded, with a warning, and ``glovefast.openmp_enabled()`` reports False.

Build settings (environment variables):

- ``GLOVEFAST_OPENMP=0``: build without OpenMP even if the compiler has it (as Apple clang
  without libomp builds it; the portability check uses this).
- ``GLOVEFAST_NATIVE=1``: ``-march=native`` (fast, but the binary runs only on CPUs like this one).
- ``CFLAGS`` with an optimisation level (``-O2``...) replaces the default ``-O3``; with ``-g``,
  debug information is kept (by default it is left out: it made the object file seven times
  larger and took a fifth to a third of the compile's CPU time, for no use in a release build).
"""
import os
import shlex
import sys
import tempfile
import warnings

import setuptools

# pyproject.toml states its licence as a PEP 639 expression, which older setuptools reject with
# a long schema error; say what to do instead (build isolation installs a recent one anyway).
if tuple(int(p) for p in setuptools.__version__.split(".")[:2] if p.isdigit()) < (77, 0):
    sys.exit(f"glovefast needs setuptools >= 77 to build (found {setuptools.__version__}): "
             "run 'pip install -U \"setuptools>=77\"', or install with pip, which fetches it")

import numpy as np  # noqa: E402  (after the version check, which needs neither)
from Cython.Build import cythonize  # noqa: E402
from setuptools import Extension, setup  # noqa: E402
from setuptools.command.build_ext import build_ext  # noqa: E402


def _compiler_accepts(compiler, flags, source="int main(void){return 0;}\n"):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "probe.c")
        with open(path, "w") as fh:
            fh.write(source)
        try:
            objs = compiler.compile([path], output_dir=tmp, extra_postargs=flags)
            # the extension's link gets LDFLAGS (e.g. -L of Homebrew's libomp), this probe's must too
            compiler.link_executable(objs, os.path.join(tmp, "probe"),
                                     extra_postargs=flags + shlex.split(os.environ.get("LDFLAGS", "")))
        except Exception:
            return False
    return True


_OMP_PROBE = "#include <omp.h>\nint main(void){return omp_get_max_threads() > 0 ? 0 : 1;}\n"


def _env_flag(name):
    return os.environ.get(name, "") not in ("", "0")


class BuildExt(build_ext):
    def finalize_options(self):
        super().finalize_options()
        if self.parallel is None:
            # the modules compile independently: one compiler per CPU (pip install -e . too)
            self.parallel = os.cpu_count() or 1

    def build_extensions(self):
        ctype = self.compiler.compiler_type
        want_omp = os.environ.get("GLOVEFAST_OPENMP", "1") != "0"
        if ctype == "msvc":
            compile_args, link_args = ["/O2"] + (["/openmp"] if want_omp else []), []
        else:
            user_flags = os.environ.get("CFLAGS", "").split()
            compile_args = [] if any(f.startswith("-O") for f in user_flags) else ["-O3"]
            if not any(f.startswith("-g") for f in user_flags):
                compile_args.append("-g0")
            compile_args += ["-fno-math-errno", "-fno-trapping-math"]
            link_args = []
            if _env_flag("GLOVEFAST_NATIVE"):
                compile_args.append("-march=native")
                compile_args.append("-DGF_NO_CLONES")
            omp = None
            for flags in (["-fopenmp"], ["-Xpreprocessor", "-fopenmp", "-lomp"]) if want_omp else ():
                if _compiler_accepts(self.compiler, flags, _OMP_PROBE):
                    omp = flags
                    break
            if omp is None:
                reason = ("GLOVEFAST_OPENMP=0 was set" if not want_omp
                          else "the C compiler does not support OpenMP")
                warnings.warn(
                    f"glovefast: {reason}; building single-threaded. "
                    "glovefast.openmp_enabled() will return False. Install an OpenMP runtime "
                    "(e.g. libomp on macOS) and rebuild for multi-threaded counting and training."
                )
                sys.stderr.write("WARNING: glovefast built without OpenMP (single-threaded)\n")
            else:
                compile_args += [f for f in omp if f != "-lomp"]
                link_args += omp if omp[0] == "-fopenmp" else ["-lomp"]
        for ext in self.extensions:
            ext.extra_compile_args = compile_args
            ext.extra_link_args = link_args
        super().build_extensions()


def _kernel(name, headers, macros=()):
    """The extension ``glovefast._kernels.NAME`` from NAME.pyx; ``headers`` are the C headers it
    includes (with their .pxd files: a change to one rebuilds the module)."""
    base = "glovefast/_kernels/"
    depends = [base + h for h in headers] + [base + h.replace(".h", ".pxd") for h in headers]
    return Extension(
        f"glovefast._kernels.{name}",
        [f"{base}{name}.pyx"],
        include_dirs=[np.get_include(), "glovefast/_kernels"],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")] + list(macros),
        depends=sorted(p for p in depends if os.path.exists(p)),
    )


_SHARED = "glovefast._kernels._cyutility"

# One module per stage of the pipeline (glovefast/_kernels/__init__.py), each with its header(s).
extensions = [
    _kernel("platform", ["platform.h"]),
    _kernel("vocab", ["vocab.h", "tokens.h", "platform.h"]),
    _kernel("cooc", ["cooc.h", "tokens.h", "platform.h"]),
    _kernel("glove", ["glove.h", "rng.h", "platform.h"]),
    _kernel("textio", ["textio.h", "platform.h"], [("_GNU_SOURCE", "1")]),
    # word2vec's kernel (the models/word2vec epoch)
    _kernel("w2v", ["w2v.h", "w2v_simd.h", "rng.h", "platform.h"]),
    # Cython's own runtime code (typed memoryviews...), generated by cythonize once for all the
    # modules above instead of into each of them: their C would be 1.2 MB larger apiece
    Extension(_SHARED, [_SHARED.replace(".", "/") + ".c"]),
]

setup(
    ext_modules=cythonize(
        extensions,
        shared_utility_qualified_name=_SHARED,
        compiler_directives={
            "language_level": "3",
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "initializedcheck": False,
        },
    ),
    cmdclass={"build_ext": BuildExt},
)
