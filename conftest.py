"""pytest set-up shared by the unit tests and nbval.

The nbval kernels inherit this process's environment: pin numpy's and OpenBLAS's code path there, so that a
notebook prints on any x86-64 CI machine the digits stored when it was executed (see tools/numeric_env.py).
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "tools"))

import numeric_env  # noqa: E402

os.environ.update(numeric_env.test_environment())
