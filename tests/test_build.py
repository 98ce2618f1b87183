"""How this glovefast was built: checks that release builds are what they claim to be."""
import os

import pytest

import glovefast


@pytest.mark.skipif("GLOVEFAST_EXPECT_OPENMP" not in os.environ,
                    reason="set GLOVEFAST_EXPECT_OPENMP=1 or 0 to check how this build was made (wheel CI does)")
def test_openmp_as_the_build_intended():
    # A wheel that silently lost OpenMP still passes every other test, single-threaded.
    expected = os.environ["GLOVEFAST_EXPECT_OPENMP"] == "1"
    assert glovefast.openmp_enabled() is expected

