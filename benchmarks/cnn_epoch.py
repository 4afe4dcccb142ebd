"""Seconds per training epoch of the chapter 10 CNN, against the floor of its matrix products.

Usage:  python benchmarks/cnn_epoch.py [--repeats 3] [--data auto|mnist|random] [--channels 8 16] [--threads N]

The model: ``course_lib.cnn.CNN(channels=(8, 16), hidden=(128,))``, the network benchmarks/cnn_accuracy.py chose:
conv 5x5 (8 filters) -> max pool 2 -> ReLU -> conv 5x5 (16 filters) -> max pool 2 -> ReLU -> dense 256 -> 128
-> ReLU -> dense 128 -> 10, float32, Adam. One epoch: 60000 images in shuffled mini-batches of 128, written as a
learner writes it:
    logits = model.forward(x[batch]); loss, dlogits = softmax_cross_entropy(logits, y[batch])
    opt.step(model.backward(dlogits))
Printed:
  course_lib   that epoch.
  floor        only the matrix products of each batch, the same shapes, numpy float32, into arrays made
               beforehand: forward  W1 @ cols1 (8, 25) @ (25, 576 n),  W2 @ cols2 (16, 200) @ (200, 64 n),
               the dense a @ W (n, 256) @ (256, 128), (n, 128) @ (128, 10); backward  dY1 @ cols1.T,
               dY2 @ cols2.T, W2.T @ dY2, and a.T @ dz, dz @ W.T per dense layer (the first conv needs no
               input gradient). im2col's copies,
               col2im, pooling, ReLU, softmax, Adam and Python are what course_lib / floor measures on top.
Each time is the best of ``--repeats`` runs, course_lib and the floor interleaved (a busy moment of the machine
hits both alike); the median is shown too. Each timed epoch is the first epoch of a new model and optimizer.

Memory: the peak resident set size of the process (``resource.getrusage(...).ru_maxrss``) above what it was
before the data existed, minus the training data's own bytes; and, with ``tracemalloc`` (which sees numpy's
allocations), the most one epoch of a new model holds at once.

Threads: ``--threads N`` sets OpenBLAS's thread count (through OPENBLAS_NUM_THREADS, before numpy is imported).
On a machine whose cores are busy with other work, 1 thread is faster and far steadier for these small products:
a multi-threaded product waits for a thread that the operating system has given to another process.

Target (issue 16): course_lib <= 2.5 x the floor; an epoch of a few seconds to ~15 s.

Measured (quiet 2-core machine, load 1.1-1.2, best of 3; the CNN trains in course_lib.conv's batch-last layout):
    OpenBLAS's default threads (2):  course_lib 4.72 s, floor 2.28 s, ratio 2.07
    --threads 1:                     course_lib 4.94 s, floor 3.35 s, ratio 1.48
    memory: peak RSS 125 MiB above the 180 MiB dataset; tracemalloc at most 37.6 MiB during an epoch.
Before the batch-last layout and the faster pooling (NCHW, masked copies): 7.59 s / 2.72 s = 2.79 with 2 threads,
8.30 s / 3.33 s = 2.49 with 1. (The optimizer here is Adam; the chosen recipe's AdamW adds one multiply per weight.)
"""

import argparse
import os
import sys

if __name__ == "__main__":  # the thread count must be set before numpy (OpenBLAS) is loaded
    for i, arg in enumerate(sys.argv):
        if arg == "--threads" and i + 1 < len(sys.argv):
            os.environ["OPENBLAS_NUM_THREADS"] = sys.argv[i + 1]
        elif arg.startswith("--threads="):
            os.environ["OPENBLAS_NUM_THREADS"] = arg.split("=", 1)[1]

import statistics  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist"  # the verified copy CI uses
if "COURSE_DATA_DIR" not in os.environ and SHARED_MNIST.is_dir():
    os.environ["COURSE_DATA_DIR"] = str(SHARED_MNIST)

from mlp_epoch import load_data, rss_mib  # noqa: E402  (the same data and memory probe as the MLP's benchmark)

from course_lib.cnn import CNN  # noqa: E402
from course_lib.nn import softmax_cross_entropy  # noqa: E402
from course_lib.optim import Adam  # noqa: E402

BATCH_SIZE, KERNEL = 128, 5


def course_epoch(model, opt, x, y, rng):
    """One epoch with course_lib's public pieces, as a learner writes it."""
    order = rng.permutation(len(y))
    for start in range(0, len(y), BATCH_SIZE):
        batch = order[start:start + BATCH_SIZE]
        logits = model.forward(x[batch])
        loss, dlogits = softmax_cross_entropy(logits, y[batch])
        opt.step(model.backward(dlogits))


def make_floor(n_examples, model):
    """The floor: a function that does only the matrix products of one epoch (same shapes), into arrays made here."""
    rng = np.random.default_rng(1)
    f32 = np.float32

    def rand(*shape):
        return rng.standard_normal(shape, dtype=f32)

    (_, H, W), k = model.input_shape, model.kernel_size
    c1, c2 = model.channels
    p1 = (H - k + 1) * (W - k + 1)  # positions of the first conv's output (576)
    h2, w2 = (H - k + 1) // 2 - k + 1, (W - k + 1) // 2 - k + 1
    p2 = h2 * w2  # of the second (64)
    n_features = int(np.prod(model.feature_shape))
    n = BATCH_SIZE
    W1, W2 = rand(c1, k * k), rand(c2, c1 * k * k)
    cols1, cols2 = rand(k * k, p1 * n), rand(c1 * k * k, p2 * n)
    Y1, Y2 = np.empty((c1, p1 * n), f32), np.empty((c2, p2 * n), f32)
    dW1, dW2, dcols2 = np.empty_like(W1), np.empty_like(W2), np.empty_like(cols2)
    widths = [n_features] + list(model.hidden) + [model.num_classes]
    dense = [rand(a, b) for a, b in zip(widths[:-1], widths[1:])]  # the dense weights
    acts = [rand(n, width) for width in widths]  # each dense layer's input, and the logits
    d_acts, d_dense = [np.empty_like(a) for a in acts], [np.empty_like(W) for W in dense]

    def batch(m):
        """The products of a batch of m <= n images (the last batch is smaller)."""
        c1m, c2m, Y1m, Y2m = cols1[:, :p1 * m], cols2[:, :p2 * m], Y1[:, :p1 * m], Y2[:, :p2 * m]
        np.matmul(W1, c1m, out=Y1m)  # forward
        np.matmul(W2, c2m, out=Y2m)
        for i, W in enumerate(dense):
            np.matmul(acts[i][:m], W, out=acts[i + 1][:m])
        for i in reversed(range(len(dense))):  # backward (the forward outputs stand in for the gradients)
            np.matmul(acts[i][:m].T, acts[i + 1][:m], out=d_dense[i])
            np.matmul(acts[i + 1][:m], dense[i].T, out=d_acts[i][:m])
        np.matmul(Y2m, c2m.T, out=dW2)
        np.matmul(W2.T, Y2m, out=dcols2[:, :p2 * m])
        np.matmul(Y1m, c1m.T, out=dW1)

    def epoch():
        for start in range(0, n_examples, n):
            batch(min(n, n_examples - start))

    return epoch


def seconds(run):
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed epochs of each kind; the best is reported")
    parser.add_argument("--data", choices=["auto", "mnist", "random"], default="auto")
    parser.add_argument("--channels", type=int, nargs=2, default=[8, 16], help="filters of the two conv layers")
    parser.add_argument("--hidden", type=int, nargs="*", default=[128], help="widths of the hidden dense layers")
    parser.add_argument("--threads", type=int, default=None,
                        help="OpenBLAS threads (default: OpenBLAS's own choice, one per core)")
    args = parser.parse_args()

    rss_before_data = rss_mib()
    x, y, source = load_data(args.data)
    data_mib = (x.nbytes + y.nbytes) / 2**20
    print(f"data: {source}, x {x.shape} {x.dtype}, {data_mib:.0f} MiB")
    channels, hidden = tuple(args.channels), tuple(args.hidden)

    def new_course_epoch():
        """The first epoch of a new model and optimizer, made here, before the clock starts."""
        model = CNN(channels=channels, hidden=hidden, rng=0, dtype="float32")
        opt = Adam(model.params, lr=1e-3)
        rng = np.random.default_rng(0)
        return lambda: course_epoch(model, opt, x, y, rng)

    model = CNN(channels=channels, hidden=hidden, rng=0)
    n_params = sum(p.size for p in model.params)
    print(f"model: {model!r}, {n_params} parameters; Adam(lr=1e-3), batch {BATCH_SIZE}, "
          f"{-(-len(y) // BATCH_SIZE)} steps per epoch")
    print(f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")
    floor_epoch = make_floor(len(y), model)

    tracemalloc.start()  # untimed first epoch (caches, memory warm up); tracemalloc sees what it allocates
    new_course_epoch()()
    epoch_peak_mib = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    floor_epoch()

    times = {"course_lib": [], "floor": []}
    for _ in range(args.repeats):
        times["floor"].append(seconds(floor_epoch))
        times["course_lib"].append(seconds(new_course_epoch()))
    peak_mib = rss_mib()

    print(f"\nseconds per epoch, best of {args.repeats} (median in brackets):")
    for name, values in times.items():
        print(f"  {name:12s} {min(values):6.2f} s  ({statistics.median(values):.2f})")
    ratio = min(times["course_lib"]) / min(times["floor"])
    print(f"  ratio course_lib / floor: {ratio:.2f}   (target <= 2.5)")
    print(f"  load average over the last minute at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

    print("\nmemory:")
    print(f"  peak resident set size (ru_maxrss) {peak_mib:.0f} MiB; before the data existed "
          f"{rss_before_data:.0f} MiB; the data {data_mib:.0f} MiB")
    print(f"  above the dataset (peak - before - data): {peak_mib - rss_before_data - data_mib:.0f} MiB")
    print(f"  tracemalloc: one epoch of a new model holds at most {epoch_peak_mib:.1f} MiB at once "
          "(a batch's im2col columns, activations, gradients, Adam's state, the floor's arrays not included)")


if __name__ == "__main__":
    main()
