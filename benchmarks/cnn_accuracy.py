"""Choose the chapter 10 CNN's MNIST recipe on the validation split, then report its test accuracy once, over seeds.

Usage:  python benchmarks/cnn_accuracy.py                  the grid on validation, then the chosen recipe on test
        python benchmarks/cnn_accuracy.py --quick          the chosen recipe only (CHOSEN below), on test
        python benchmarks/cnn_accuracy.py --seeds 0 1 2    the seeds of the final report (default 0, 1, 2)
        python benchmarks/cnn_accuracy.py --threads 1      OpenBLAS threads (default 1, see cnn_epoch.py)

Protocol (the test set is touched once, for the chosen recipe's report):
    1. ``course_lib.data.validation_split`` carves the course's fixed 10,000 validation images out of MNIST's
       60,000 training images (seed 0); the models train on the other 50,000.
    2. The grid (GRID below), each recipe trained with seed 0, scored by the validation accuracy after the last
       epoch: ``CNN(channels=..., hidden=...)`` (conv 5x5 -> pool 2 -> ReLU, twice, then dense), He init,
       float32, Adam (AdamW for a weight decay) with the learning rate annealed to 0 by a cosine schedule, batch
       128, pixels in [0, 1], no augmentation, ``course_lib.train.train``.
       Then every recipe within NEAR (0.1 points, 10 validation images) of the best is trained again with seeds 1
       and 2, and the best mean validation accuracy over seeds 0-2 is chosen: one seed cannot tell apart recipes
       closer than its own spread (a recipe's validation accuracy moves by up to 0.16 points between seeds), and
       with one seed the choice flipped between two recipes 0.01 points apart when only the rounding of the
       gradients changed (the CNN's switch to the batch-last layout).
    3. The chosen recipe's models, trained on the 50,000 with each seed of ``--seeds`` (the seed sets the initial
       weights and the shuffling), are each evaluated once on the 10,000 test images: mean ± sample std (ddof=1).
    Target (issue 16): >= 99.0% MEAN test accuracy over 3 seeds.

Measured (quiet 2-core machine, one BLAS thread, 19 min in all; validation accuracy after the last epoch):
                                                                       seed 0    seeds 0, 1, 2
        channels (8, 16), no hidden layer, Adam lr 0.003, 10 epochs      98.57%
        channels (16, 32), no hidden layer, Adam lr 0.003, 10 epochs     98.89%   98.95% ± 0.05%  (3.3x the products)
        channels (8, 16), hidden [128], Adam lr 0.003, 10 epochs         98.97%   98.92% ± 0.06%
        channels (8, 16), hidden [128], AdamW wd 0.1, lr 0.003, 10 ep.   98.98%   98.97% ± 0.02%  <- chosen
        channels (8, 16), hidden [128], Adam lr 0.003, 15 epochs         98.97%   98.92% ± 0.09%
    The last four are within 0.05 points of each other on the mean of 3 seeds (5 validation images), comparable to
    their seed-to-seed ranges (0.04-0.16 points): what the grid shows is that the small network without a hidden
    layer is behind (98.57%), not which of the others is best. (An earlier version of this benchmark, with one seed
    per recipe, had chosen Adam without weight decay at 99.00% against 98.99%; the same runs with the CNN in its
    batch-last layout, which only changes the rounding of the gradients, gave 98.97% against 98.98%.) The chosen
    recipe fits the training set almost perfectly (final training loss 0.008-0.009): more capacity or epochs do
    not help without regularization that generalizes better (augmentation by shifts would be the next step).
Measured test accuracy of the chosen recipe (step 3; 42-44 s of training per seed, 4.2-4.4 s per epoch):
    seed 0: 99.10%, seed 1: 99.34%, seed 2: 99.26%; mean 99.23% ± 0.12% (sample std): meets the target.
MNIST comes from ``course_lib.data.load_mnist`` (``COURSE_DATA_DIR``, else the course's shared copy next to the
repository, else the cache/download).
"""

import os
import sys

if __name__ == "__main__":  # the thread count must be set before numpy (OpenBLAS) is loaded
    threads = "1"
    for i, arg in enumerate(sys.argv):
        if arg == "--threads" and i + 1 < len(sys.argv):
            threads = sys.argv[i + 1]
    os.environ.setdefault("OPENBLAS_NUM_THREADS", threads)

import argparse  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist"  # the verified copy CI uses
if "COURSE_DATA_DIR" not in os.environ and SHARED_MNIST.is_dir():
    os.environ["COURSE_DATA_DIR"] = str(SHARED_MNIST)

from course_lib.cnn import CNN  # noqa: E402
from course_lib.data import load_mnist, validation_split  # noqa: E402
from course_lib.optim import Adam, AdamW  # noqa: E402
from course_lib.schedules import Scheduler, cosine_annealing  # noqa: E402
from course_lib.train import evaluate, train  # noqa: E402

TARGET = 0.99  # mean test accuracy over the seeds
BATCH_SIZE = 128
GRID = [  # Adam (AdamW when weight_decay > 0) with cosine annealing to 0
    {"channels": (8, 16), "hidden": (), "lr": 0.003, "weight_decay": 0.0, "epochs": 10},
    {"channels": (16, 32), "hidden": (), "lr": 0.003, "weight_decay": 0.0, "epochs": 10},
    {"channels": (8, 16), "hidden": (128,), "lr": 0.003, "weight_decay": 0.0, "epochs": 10},
    {"channels": (8, 16), "hidden": (128,), "lr": 0.003, "weight_decay": 0.1, "epochs": 10},
    {"channels": (8, 16), "hidden": (128,), "lr": 0.003, "weight_decay": 0.0, "epochs": 15},
]
CHOSEN = GRID[3]  # the winner on validation (see the docstring)
NEAR = 0.001  # recipes this close to the best seed-0 validation accuracy get two more seeds
MORE_SEEDS = (1, 2)


def run(seed, recipe, x_train, y_train, x_val=None, y_val=None):
    """Train one model with ``recipe``; return (model, history, seconds)."""
    model = CNN(channels=recipe["channels"], hidden=recipe["hidden"], init="kaiming_normal", rng=seed,
                dtype="float32")
    if recipe["weight_decay"]:
        opt = AdamW(model.params, lr=recipe["lr"], weight_decay=recipe["weight_decay"])
    else:
        opt = Adam(model.params, lr=recipe["lr"])
    steps = recipe["epochs"] * -(-len(y_train) // BATCH_SIZE)
    scheduler = Scheduler(opt, cosine_annealing(recipe["lr"], total_steps=steps))
    start = time.perf_counter()
    history = train(model, opt, x_train, y_train, epochs=recipe["epochs"], batch_size=BATCH_SIZE, rng=seed,
                    scheduler=scheduler, x_val=x_val, y_val=y_val, diagnostics=False, progress=False)
    return model, history, time.perf_counter() - start


def describe(recipe):
    optimizer = f"AdamW wd {recipe['weight_decay']}" if recipe["weight_decay"] else "Adam"
    return (f"channels {recipe['channels']}, hidden {list(recipe['hidden'])}, {optimizer} lr {recipe['lr']} cosine, "
            f"{recipe['epochs']} epochs")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--quick", action="store_true", help="skip the grid: the chosen recipe (CHOSEN) only")
    parser.add_argument("--threads", type=int, default=1, help="OpenBLAS threads (set before numpy is imported)")
    args = parser.parse_args()

    start_all = time.perf_counter()
    (x, y), (x_test, y_test) = load_mnist(dtype="float32")
    (x_train, y_train), (x_val, y_val) = validation_split(x, y)
    print(f"MNIST: {len(y_train)} training, {len(y_val)} validation (validation_split), {len(y_test)} test images; "
          f"CNN: conv 5x5 -> pool 2 -> ReLU (twice) -> dense, He init, float32, batch {BATCH_SIZE}, "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}")

    recipe = CHOSEN
    if not args.quick:
        print("\n1. the grid on validation (seed 0):")
        scores = []
        for candidate in GRID:
            _, history, seconds = run(0, candidate, x_train, y_train, x_val, y_val)
            scores.append(history.val_accuracy[-1])
            curve = " ".join(f"{a:.4f}" for a in history.val_accuracy)
            print(f"  {describe(candidate)}: validation {history.val_accuracy[-1]:.2%}  ({seconds:.0f} s; "
                  f"per epoch: {curve})")
        near = [i for i, score in enumerate(scores) if score >= max(scores) - NEAR]
        print(f"\n   the recipes within {NEAR:.1%} of the best, with seeds 1 and 2 too (validation):")
        means = {}
        for i in near:
            accuracies = [scores[i]] + [run(seed, GRID[i], x_train, y_train, x_val, y_val)[1].val_accuracy[-1]
                                        for seed in MORE_SEEDS]
            means[i] = float(np.mean(accuracies))
            print(f"  {describe(GRID[i])}: {' '.join(f'{a:.2%}' for a in accuracies)}, mean {means[i]:.2%} "
                  f"± {np.std(accuracies, ddof=1):.2%}")
        recipe = GRID[max(means, key=means.get)]
        print(f"  chosen: {describe(recipe)}" + ("" if recipe == CHOSEN else "   (differs from CHOSEN: update it)"))

    print(f"\n2. the chosen recipe ({describe(recipe)}), trained on the {len(y_train)} images, tested once:")
    accuracies, times = [], []
    for seed in args.seeds:
        model, history, seconds = run(seed, recipe, x_train, y_train)
        accuracy = evaluate(model, x_test, y_test)[1]
        accuracies.append(accuracy)
        times.append(seconds)
        print(f"  seed {seed}: test accuracy {accuracy:.2%}  (training loss {history.loss[-1]:.4f})  "
              f"training {seconds:.0f} s ({seconds / recipe['epochs']:.1f} s per epoch)")
    mean = float(np.mean(accuracies))
    std = float(np.std(accuracies, ddof=1)) if len(accuracies) > 1 else 0.0
    verdict = "meets" if mean >= TARGET else "MISSES"
    print(f"test accuracy over seeds {args.seeds}: mean {mean:.2%} ± {std:.2%} (sample std), "
          f"min {min(accuracies):.2%}, max {max(accuracies):.2%}: {verdict} the target mean >= {TARGET:.1%}")
    print(f"time: {sum(times):.0f} s of training for the report, {time.perf_counter() - start_all:.0f} s in all; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
