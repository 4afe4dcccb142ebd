"""Seconds per training epoch of the 784-256-10 ReLU MLP, against the floor of its matrix products.

Usage:  python benchmarks/mlp_epoch.py [--repeats 5] [--data auto|mnist|random]

One epoch: 60000 images in shuffled mini-batches of 128 (the last one has 96), float32, Adam. Printed:
  course_lib   the epoch written as a learner writes it, with the public pieces only:
                   logits = model.forward(x[batch]); loss, dlogits = softmax_cross_entropy(logits, y[batch])
                   opt.step(model.backward(dlogits))
  floor        only the five matrix products of each batch, same shapes, numpy float32, into arrays made
               beforehand: forward x @ W1, h @ W2; backward h.T @ dz2, dz2 @ W2.T, x.T @ dz1. Nothing
               written in numpy can do an epoch faster than its products, so course_lib / floor says how
               much the rest (bias, ReLU, softmax, the optimizer, Python) costs on top.
  PyTorch      the same epoch with torch.nn and torch.optim.Adam, if torch can be imported (optional: it
               is not a dependency of the course).
Each time is the best of ``--repeats`` runs (course_lib and the floor are interleaved, so a busy moment
of the machine hits both alike); the median is shown too. Each timed epoch is the first epoch of a new
model and optimizer (made before the clock starts), so that every run does the same work: later on,
Adam's exp_avg of weights whose gradient stays 0 (dead units, always-black pixels) sinks to the smallest
float32 denormals and stays there (0.9 * x rounds back to x; torch's update does the same), and
arithmetic on denormals is slow. On random data with random labels most of exp_avg ends up there
within a few epochs, and epochs get slower; on MNIST about 1.5% does.

Memory: the peak resident set size of the process (``resource.getrusage(...).ru_maxrss``), taken
before torch is imported, minus the resident size before the data existed and minus the training
data's own bytes (so what load_mnist keeps besides, such as the test set, counts as "above"); and, with
``tracemalloc`` (which sees numpy's allocations), the most one epoch of a new model holds at once.

Targets (issue 6, on a 2-core machine): course_lib <= 2.0 x the floor; <= 1 GiB above the dataset.
"""

import argparse
import os
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist"  # the verified copy CI uses
if "COURSE_DATA_DIR" not in os.environ and SHARED_MNIST.is_dir():
    os.environ["COURSE_DATA_DIR"] = str(SHARED_MNIST)

from course_lib.nn import MLP, softmax_cross_entropy  # noqa: E402
from course_lib.optim import Adam  # noqa: E402

SIZES = [784, 256, 10]
N_TRAIN, BATCH_SIZE = 60000, 128


def rss_mib():
    """Peak resident set size of this process so far, in MiB (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_data(which):
    """(x, y, description): 60000 float32 images of 784 pixels and their labels.

    The timing does not depend on the pixel values, so seeded random data serve when MNIST is absent.
    """
    if which in ("auto", "mnist"):
        try:
            from course_lib.data import load_mnist

            (x, y), _ = load_mnist(download=False, dtype="float32")
            return x, y, "the MNIST training set (course_lib.data.load_mnist)"
        except (ImportError, OSError, RuntimeError, ValueError) as error:
            if which == "mnist":
                raise
            reason = f"{type(error).__name__}: {error}".splitlines()[0][:100]
            print(f"(MNIST not available through course_lib.data.load_mnist: {reason})")
    rng = np.random.default_rng(0)
    x = rng.random((N_TRAIN, SIZES[0]), dtype=np.float32)
    y = rng.integers(0, SIZES[-1], size=N_TRAIN)
    return x, y, "random float32 data, seed 0 (the timing does not depend on the values)"


# --------------------------------------------------------------------------------------------------
# The three epochs
# --------------------------------------------------------------------------------------------------


def course_epoch(model, opt, x, y, rng):
    """One epoch with course_lib's public pieces, as a learner writes it."""
    order = rng.permutation(len(y))
    for start in range(0, len(y), BATCH_SIZE):
        batch = order[start:start + BATCH_SIZE]
        logits = model.forward(x[batch])
        loss, dlogits = softmax_cross_entropy(logits, y[batch])
        opt.step(model.backward(dlogits))


def make_floor(x):
    """The floor: a function that does only the matrix products of one epoch, into arrays made here."""
    rng = np.random.default_rng(1)
    W1 = rng.standard_normal((784, 256), dtype=np.float32) * 0.05
    W2 = rng.standard_normal((256, 10), dtype=np.float32) * 0.05
    h, z2 = np.empty((BATCH_SIZE, 256), np.float32), np.empty((BATCH_SIZE, 10), np.float32)
    dh, dW1, dW2 = np.empty_like(h), np.empty_like(W1), np.empty_like(W2)

    def epoch():
        for start in range(0, len(x), BATCH_SIZE):
            xb = x[start:start + BATCH_SIZE]
            n = len(xb)
            np.matmul(xb, W1, out=h[:n])  # forward
            np.matmul(h[:n], W2, out=z2[:n])
            np.matmul(h[:n].T, z2[:n], out=dW2)  # backward (z2 stands in for dz2: same shape)
            np.matmul(z2[:n], W2.T, out=dh[:n])
            np.matmul(xb.T, dh[:n], out=dW1)

    return epoch


def make_torch_epoch(x, y):
    """(a function that returns a new model's epoch in PyTorch, a description), or (None, None) without torch."""
    try:
        import torch
    except ImportError:
        return None, None
    torch.manual_seed(0)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))
    generator = torch.Generator().manual_seed(0)

    def new_epoch():
        model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)

        def epoch():
            order = torch.randperm(len(yt), generator=generator)
            for start in range(0, len(yt), BATCH_SIZE):
                batch = order[start:start + BATCH_SIZE]
                loss = torch.nn.functional.cross_entropy(model(xt[batch]), yt[batch])
                opt.zero_grad()
                loss.backward()
                opt.step()

        return epoch

    return new_epoch, f"torch {torch.__version__}, {torch.get_num_threads()} threads"


def seconds(run):
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed epochs of each kind; the best is reported")
    parser.add_argument("--data", choices=["auto", "mnist", "random"], default="auto",
                        help="auto: MNIST through course_lib.data.load_mnist if it is on disk, else random data")
    args = parser.parse_args()

    rss_before_data = rss_mib()
    x, y, source = load_data(args.data)
    data_mib = (x.nbytes + y.nbytes) / 2**20
    print(f"data: {source}, x {x.shape} {x.dtype}, {data_mib:.0f} MiB")
    print(f"model: MLP({SIZES}, relu, kaiming_normal, float32), Adam(lr=1e-3), batch {BATCH_SIZE}, "
          f"{-(-len(y) // BATCH_SIZE)} steps per epoch")

    rng = np.random.default_rng(0)
    floor_epoch = make_floor(x)

    def new_course_epoch():
        """The first epoch of a new model and optimizer, made here, before the clock starts."""
        model = MLP(SIZES, rng=0, dtype="float32")
        opt = Adam(model.params, lr=1e-3)
        return lambda: course_epoch(model, opt, x, y, rng)

    # Untimed first (BLAS threads, memory, caches warm up); tracemalloc sees what one epoch allocates.
    tracemalloc.start()
    new_course_epoch()()
    epoch_peak_mib = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    floor_epoch()

    times = {"course_lib": [], "floor": []}
    for _ in range(args.repeats):
        times["floor"].append(seconds(floor_epoch))
        times["course_lib"].append(seconds(new_course_epoch()))
    peak_mib = rss_mib()  # before torch is imported: torch's libraries would count otherwise

    new_torch_epoch, torch_info = make_torch_epoch(x, y)
    if new_torch_epoch is not None:
        new_torch_epoch()()  # untimed, like the others
        # In a round of their own, with the floor again in between: the machine may be busier now.
        times["PyTorch"], times["floor (again)"] = [], []
        for _ in range(args.repeats):
            times["floor (again)"].append(seconds(floor_epoch))
            times["PyTorch"].append(seconds(new_torch_epoch()))

    # Each ratio divides by the floor measured next to it (the machine may be busier at one time).
    floor = {"course_lib": min(times["floor"]), "PyTorch": min(times.get("floor (again)", [np.nan]))}
    print(f"\nseconds per epoch, best of {args.repeats} (median in brackets):")
    for name, values in times.items():
        best = min(values)
        ratio = "" if name.startswith("floor") else f"   {best / floor[name]:.2f} x floor"
        extra = f"   ({torch_info})" if name == "PyTorch" else ""
        print(f"  {name:14s} {best:6.3f} s  ({statistics.median(values):.3f}){ratio}{extra}")
    print(f"  ratio course_lib / floor: {min(times['course_lib']) / floor['course_lib']:.2f}   (target <= 2.0)")

    print("\nmemory:")
    print(f"  peak resident set size (ru_maxrss) {peak_mib:7.0f} MiB; before the data existed "
          f"{rss_before_data:.0f} MiB; the data {data_mib:.0f} MiB")
    print(f"  above the dataset (peak - before - data) {peak_mib - rss_before_data - data_mib:7.0f} MiB   "
          "(target <= 1024 MiB)")
    print(f"  tracemalloc (numpy's allocations): one epoch of a new model holds at most {epoch_peak_mib:.1f} MiB "
          "at once (Adam's state, the gradient arrays, the batches and temporaries)")


if __name__ == "__main__":
    main()
