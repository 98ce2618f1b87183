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
import glob
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


# word2vec's own headers (the other modules do not include them) and the shared ones it includes
_W2V_OWN = {"glovefast/_kernels/w2v.h", "glovefast/_kernels/w2v_simd.h", "glovefast/_kernels/w2v.pxd"}
_W2V_DEPENDS = _W2V_OWN | {"glovefast/_kernels/platform.h", "glovefast/_kernels/rng.h"}

extensions = [
    Extension(
        "glovefast._kernels.core",
        ["glovefast/_kernels/core.pyx"],
        include_dirs=[np.get_include(), "glovefast/_kernels"],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        # the kernels' headers and the .pxd files declaring them (a change rebuilds the module)
        depends=sorted(set(glob.glob("glovefast/_kernels/*.h") + glob.glob("glovefast/_kernels/*.pxd"))
                       - {"glovefast/_kernels/vecparse.h"} - _W2V_OWN),
    ),
    # word2vec's kernel: its own module, built apart from GloVe's
    Extension(
        "glovefast._kernels.w2v",
        ["glovefast/_kernels/w2v.pyx"],
        include_dirs=[np.get_include(), "glovefast/_kernels"],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        depends=sorted(_W2V_DEPENDS),
    ),
    # text word-vector parsing: its own module so the reader and the trainer build independently
    Extension(
        "glovefast._kernels.textio",
        ["glovefast/_kernels/textio.pyx"],
        include_dirs=["glovefast/_kernels"],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION"), ("_GNU_SOURCE", "1")],
        depends=["glovefast/_kernels/vecparse.h"],
    ),
]

setup(
    ext_modules=cythonize(
        extensions,
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
