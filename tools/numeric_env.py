"""One numeric code path for executing and testing the notebooks, whatever x86-64 CPU runs them.

The notebooks are stored with their outputs and nbval compares them strictly, so a re-run must print the same
digits. On one machine numpy is deterministic; across machines it is not: OpenBLAS picks a matrix-product kernel
for the CPU it finds (Haswell, Zen, SkylakeX with AVX-512, ...), and numpy picks a SIMD version of its ufuncs
(exp, tanh, sums) the same way. Different kernels add the same numbers in a different order, which changes the
last bits of a float32 result; a chaotic computation (a diverging training run, a saturated deep net) then
turns those bits into different printed digits. That is what made CI (another CPU) disagree with the outputs
stored on a development machine.

On an x86-64 CPU with AVX2 and FMA (every x86-64 machine of the last ten years), this pins both choices to the
AVX2 ones:
    OPENBLAS_CORETYPE=Haswell                                  OpenBLAS's AVX2 kernels, not its AVX-512 ones
    NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_ICL AVX512_SPR"   numpy's AVX2 loops (X86_V3), not its AVX-512 ones
Elsewhere (ARM, an old CPU) it changes nothing. The notebooks also print rounded numbers, and
tests/test_numeric_portability.py re-runs them on another code path to show that what they print does not
depend on these bits; this pinning covers the chaotic cells that no rounding could make stable.

    python tools/numeric_env.py COMMAND ...     run COMMAND with these variables (make notebooks does)
The root conftest.py applies them to pytest, so the nbval kernels start with them (test_environment).
"""

import os
import sys

PINNED = {
    "OPENBLAS_CORETYPE": "Haswell",
    "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
}

# A different, equally valid code path (SSE/AVX kernels, no AVX2 loops) for the portability test.
OTHER_PATH = {
    "OPENBLAS_CORETYPE": "Sandybridge",
    "NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR",
}


def cpu_has_avx2_and_fma():
    """Whether /proc/cpuinfo lists avx2 and fma (False off Linux or off x86-64)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return {"avx2", "fma"} <= flags
    except OSError:
        pass
    return False


def pinned_environment(environ=None):
    """A copy of ``environ`` (default os.environ) with the pinned variables, where the CPU allows them."""
    env = dict(os.environ if environ is None else environ)
    if cpu_has_avx2_and_fma():
        env.update(PINNED)
    return env


def test_environment(environ=None):
    """What pytest runs with: the pinned path, or OTHER_PATH when COURSE_NUMERIC_PATH=other (the portability
    test sets that for the pytest it starts, so that its kernels take the other path)."""
    env = dict(os.environ if environ is None else environ)
    if env.get("COURSE_NUMERIC_PATH") == "other":
        env.update(OTHER_PATH)
        return env
    return pinned_environment(env)


def main(argv):
    if not argv:
        print(__doc__)
        return 2
    os.execvpe(argv[0], argv, pinned_environment())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
