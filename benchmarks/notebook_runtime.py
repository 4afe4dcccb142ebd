"""How long each notebook takes to execute top to bottom in a fresh kernel.

Usage:  python benchmarks/notebook_runtime.py [notebooks/01_initialization.ipynb ...]

Executes copies in memory (the files are not modified) with the same client nbconvert uses, and
prints the wall time per notebook, kernel start included, and the total. Chapter budgets are in the
issues (for example: chapters 00 and 01 together under 30 s on a 2-core machine).
"""

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist"  # the verified copy CI uses (chapters 08 and 09)
if "COURSE_DATA_DIR" not in os.environ and SHARED_MNIST.is_dir():
    os.environ["COURSE_DATA_DIR"] = str(SHARED_MNIST)  # the kernels inherit it


def run(path):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def main():
    paths = [Path(p).resolve() for p in sys.argv[1:]] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    total = 0.0
    for path in paths:
        seconds = run(path)
        total += seconds
        print(f"{path.name:32s} {seconds:6.1f} s")
    print(f"{'total':32s} {total:6.1f} s")


if __name__ == "__main__":
    main()
