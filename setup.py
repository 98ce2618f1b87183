"""Extension definitions for glovefast (metadata lives in pyproject.toml).

OpenMP is used when the compiler accepts it; otherwise the build still succeeds,
single-threaded, with a warning, and ``glovefast.openmp_enabled()`` reports False.
``GLOVEFAST_NATIVE=1`` opts into ``-march=native`` (non-portable binaries).
"""
import os
import sys
import tempfile
import warnings

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


def _compiler_accepts(compiler, flags, source="int main(void){return 0;}\n"):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "probe.c")
        with open(path, "w") as fh:
            fh.write(source)
        try:
            objs = compiler.compile([path], output_dir=tmp, extra_postargs=flags)
            compiler.link_executable(objs, os.path.join(tmp, "probe"), extra_postargs=flags)
        except Exception:
            return False
    return True


_OMP_PROBE = "#include <omp.h>\nint main(void){return omp_get_max_threads() > 0 ? 0 : 1;}\n"


class BuildExt(build_ext):
    def build_extensions(self):
        ctype = self.compiler.compiler_type
        if ctype == "msvc":
            compile_args, link_args = ["/O2", "/openmp"], []
        else:
            compile_args = ["-O3", "-fno-math-errno", "-fno-trapping-math"]
            link_args = []
            if os.environ.get("GLOVEFAST_NATIVE", "") not in ("", "0"):
                compile_args.append("-march=native")
                compile_args.append("-DGF_NO_CLONES")
            omp = None
            for flags in (["-fopenmp"], ["-Xpreprocessor", "-fopenmp", "-lomp"]):
                if _compiler_accepts(self.compiler, flags, _OMP_PROBE):
                    omp = flags
                    break
            if omp is None:
                warnings.warn(
                    "glovefast: the C compiler does not support OpenMP; building single-threaded. "
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


extensions = [
    Extension(
        "glovefast._core",
        ["glovefast/_core.pyx"],
        include_dirs=[np.get_include(), "glovefast"],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    ),
    # text word-vector parsing: its own module so the reader and the trainer build independently
    Extension(
        "glovefast._textio",
        ["glovefast/_textio.pyx"],
        include_dirs=["glovefast"],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION"), ("_GNU_SOURCE", "1")],
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
