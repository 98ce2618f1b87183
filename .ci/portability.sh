#!/usr/bin/env bash
# Build and test glovefast the way the platforms we cannot run here build it:
#   - clang instead of gcc (macOS's compiler),
#   - without OpenMP (Apple clang without libomp: single-threaded),
#   - -O2 only (not our default -O3),
#   - gf_mul128's portable C path (what compilers without a 128-bit integer, e.g. MSVC on ARM, use),
# then run the whole test suite against that build. The tree is copied first, so a build in place
# in the source tree is left alone. Usage: bash .ci/portability.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
CC=${CC:-clang}
if ! command -v "$CC" >/dev/null; then
    echo "portability: $CC not found (on Debian/Ubuntu: apt-get install clang)" >&2
    exit 2
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== gf_mul128: portable path against the native one ($CC)"
"$CC" -O2 -w -Iglovefast -DWRAP=mul_native -c .ci/mul128_check.c -o "$work/mul_native.o"
"$CC" -O2 -w -Iglovefast -DWRAP=mul_portable -DGF_PORTABLE_MUL128 -c .ci/mul128_check.c -o "$work/mul_portable.o"
"$CC" -O2 -Wall -Werror .ci/mul128_check.c "$work/mul_native.o" "$work/mul_portable.o" -o "$work/mul128_check"
"$work/mul128_check"

echo "== each kernel header on its own: ISO C99 and C11, -Wall -Wextra -pedantic -Wvla -Werror ($CC)"
# One translation unit per header, so a header that leans on another's includes fails here. The
# feature macros are the ones Python.h sets through pyconfig.h on Linux (_GNU_SOURCE, which also
# gives POSIX 2008), since an extension module always includes Python.h first; unused functions
# are expected (static, one header at a time). Compilers without OpenMP headers skip -fopenmp.
omp_flags=("")
echo '#include <omp.h>' | "$CC" -fopenmp -E -x c - >/dev/null 2>&1 && omp_flags+=("-fopenmp")
for h in glovefast/_*.h; do
    for std in c99 c11; do
        for omp in "${omp_flags[@]}"; do
            printf '#include "%s"\nint gf_header_check;\n' "$(basename "$h")" > "$work/tu.c"
            "$CC" -std=$std -D_GNU_SOURCE -Wall -Wextra -pedantic -Wvla -Werror -Wno-unused-function \
                $omp -Iglovefast -c "$work/tu.c" -o "$work/tu.o" || { echo "portability: $h fails -std=$std $omp" >&2; exit 1; }
        done
    done
done
echo "ok: $(ls glovefast/_*.h | tr '\n' ' ')"

echo "== build with $CC, -O2, no OpenMP, portable gf_mul128"
mkdir "$work/src"
git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$work/src"
cd "$work/src"
CC="$CC" CFLAGS="-O2 -DGF_PORTABLE_MUL128" GLOVEFAST_OPENMP=0 \
    python setup.py build_ext --inplace > "$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
grep -E "^$CC .*_core\.c" "$work/build.log" | head -1
if grep -E "_core\.c.*-O3|-fopenmp" "$work/build.log" | grep -v probe >/dev/null; then
    echo "portability: the build did not use the flags asked for" >&2
    exit 1
fi
grep -E "warning:" "$work/build.log" | grep -E "_count\.h|_train\.h" && echo "(warnings above come from our headers)"
python - <<'PY'
import glovefast
assert not glovefast.openmp_enabled(), "built with OpenMP although GLOVEFAST_OPENMP=0"
print(f"built: glovefast {glovefast.__version__} from {glovefast.__file__}, openmp_enabled()={glovefast.openmp_enabled()}, "
      f"kernel: {glovefast.simd_info()}")
PY

echo "== test suite against that build"
GLOVEFAST_EXPECT_OPENMP=0 python -m pytest -q -p no:cacheprovider "$@"
