"""Choose chapter 08's MNIST recipe on a validation split, then report its test accuracy once, over seeds.

Usage:  python benchmarks/mnist_accuracy.py                 the grid on validation, then the chosen recipe on test
        python benchmarks/mnist_accuracy.py --quick         the chosen recipe only (CHOSEN below), on test
        python benchmarks/mnist_accuracy.py --seeds 0 1 2   the seeds of the final report (default 0-4)
        python benchmarks/mnist_accuracy.py --retrain-all   also retrain on all 60,000 images and report test
        python benchmarks/mnist_accuracy.py --grid-only --lrs 0.007 --schedules cosine   more grid points only

Protocol (the test set is touched once, for the chosen recipe's report; Goodfellow et al. 2016, §5.3, §7.8):
    1. ``course_lib.data.validation_split`` carves the course's fixed 10,000 validation images out of MNIST's
       60,000 training images (seed 0); the models train on the other 50,000.
    2. The grid, every recipe over seeds 0, 1, 2, scored by the validation accuracy after the last epoch:
       Adam lr in {0.001, 0.002, 0.003, 0.005} x {cosine annealing to 0, constant}, 10 epochs, batch 128,
       MLP([784, 256, 10], activation="relu", init="kaiming_normal", dtype="float32"), pixels in [0, 1], no
       augmentation, no weight decay. The recipe with the best MEAN validation accuracy is chosen.
    3. The chosen recipe's models, trained on the 50,000 with seeds 0-4 (the seed sets the initial weights and
       the shuffling), are each evaluated once on the 10,000 test images: mean ± sample std (ddof=1), min-max.
       Chapter 08's main run is one more model of this recipe (its own seed, 8), read against this spread.
       The headline is these models, trained on the 50,000 as chapter 08's is. (``--retrain-all``: the same
       recipe and epochs retrained on all 60,000 images, the "retrain on all the data" variant of §7.8;
       reported separately, not the headline.)
    Target: >= 98.2% MEAN test accuracy.

Measured (2 cores shared with other jobs, load 7-12, so the times are high; the grid's validation accuracy
after epoch 5 / 8 / 10, means over seeds 0-2, then after epoch 10 as mean ± sample std [min-max]):
    lr 0.001 cosine    97.19% / 97.47% / 97.54%   97.54% ± 0.09% [97.45%-97.62%]
    lr 0.002 cosine    97.55% / 97.77% / 97.80%   97.80% ± 0.11% [97.70%-97.91%]
    lr 0.003 cosine    97.70% / 97.94% / 97.96%   97.96% ± 0.05% [97.91%-98.00%]
    lr 0.005 cosine    97.79% / 98.06% / 98.12%   98.12% ± 0.06% [98.06%-98.17%]   <- chosen
    lr 0.001 constant  97.08% / 97.40% / 97.57%   97.57% ± 0.19% [97.42%-97.78%]
    lr 0.002 constant  97.27% / 97.50% / 97.65%   97.65% ± 0.07% [97.57%-97.71%]
    lr 0.003 constant  97.29% / 97.53% / 97.73%   97.73% ± 0.23% [97.52%-97.97%]
    lr 0.005 constant  97.09% / 97.31% / 97.34%   97.34% ± 0.02% [97.32%-97.36%]
    lr 0.007 cosine    97.67% / 98.03% / 98.08%   98.08% ± 0.08% [97.99%-98.14%]   (``--grid-only --lrs 0.007
                       --schedules cosine``: 0.005 sat at the grid's edge; a run at 0.01 was stopped unfinished)
    The validation curves flatten by epoch 8-10 (0.005 cosine: +0.06 points from epoch 8 to 10, one std), but a
    cosine schedule flattens them by construction (its steps shrink to 0), so a longer schedule was checked
    outside this grid: lr 0.005 annealed to 0 over 15 epochs, seeds 0-2, 98.13% ± 0.03% on validation against
    98.12% ± 0.06% over 10 epochs. No gain: 10 epochs stay.
Final report, lr 0.005 cosine trained on the 50,000, seeds 0-4 (validation / test):
    98.12/98.18, 98.06/98.36, 98.17/98.28, 97.97/98.18, 98.06/98.13%
    test accuracy 98.23% ± 0.09% (sample std, ddof=1) [98.13%-98.36%]: meets the target >= 98.2% (narrowly)
    --retrain-all (same recipe and epochs, all 60,000 images): 98.32, 98.32, 98.35, 98.39, 98.37% -> 98.35% ± 0.03%
    [98.32%-98.39%]; more data helps by about 0.1 point.
    Time: 129 s per model (12.9 s per epoch) under that load; about 14 s per model on a quiet machine (the
    grid's first three models took under 45 s). The full run (grid, final report and --retrain-all) took 79
    minutes under that load; ``--quick`` trains 5 models.
The previous version of this file chose lr 0.003 cosine by TEST accuracy (seeds 0-4 on all 60,000 images:
98.24-98.37%, mean 98.29%); chapter 08 quoted one more run of it, 98.4% to one decimal, a draw near the top of
that spread (seed noise, not a measured selection bias). Those figures are withdrawn. No inflation from choosing
on test is visible here: the validation-chosen recipe retrained on all 60,000 (--retrain-all, 98.35% ± 0.03%)
scores above the test-chosen one; choosing on test is still the mistake the protocol avoids.
MNIST comes from ``course_lib.data.load_mnist`` (``COURSE_DATA_DIR``, else the course's shared copy next to
the repository, else the cache/download).
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist"  # the verified copy CI uses
if "COURSE_DATA_DIR" not in os.environ and SHARED_MNIST.is_dir():
    os.environ["COURSE_DATA_DIR"] = str(SHARED_MNIST)

from course_lib.data import load_mnist, validation_split  # noqa: E402
from course_lib.nn import MLP  # noqa: E402
from course_lib.optim import Adam  # noqa: E402
from course_lib.schedules import Scheduler, constant, cosine_annealing  # noqa: E402
from course_lib.train import evaluate, train  # noqa: E402

TARGET = 0.982  # mean test accuracy over the seeds
GRID_LRS = (0.001, 0.002, 0.003, 0.005)
GRID_SCHEDULES = ("cosine", "constant")
GRID_SEEDS = (0, 1, 2)
EPOCHS = 10
BATCH_SIZE = 128
CHOSEN = {"lr": 0.005, "schedule": "cosine"}  # the grid's winner on validation (see the docstring)


def build(seed, lr, schedule, epochs, n_train, batch_size=BATCH_SIZE):
    """The chapter 08 model, its Adam optimizer and the learning-rate scheduler (cosine to 0, or constant)."""
    model = MLP([784, 256, 10], activation="relu", init="kaiming_normal", rng=seed, dtype="float32")
    opt = Adam(model.params, lr=lr)
    steps = epochs * -(-n_train // batch_size)
    lr_at = cosine_annealing(lr, total_steps=steps) if schedule == "cosine" else constant(lr)
    return model, opt, Scheduler(opt, lr_at)


def fit(seed, lr, schedule, x, y, x_val=None, y_val=None, epochs=EPOCHS, batch_size=BATCH_SIZE):
    """Train one model; return (model, history, training seconds)."""
    model, opt, scheduler = build(seed, lr, schedule, epochs, len(y), batch_size)
    start = time.perf_counter()
    history = train(model, opt, x, y, epochs=epochs, batch_size=batch_size, rng=seed, scheduler=scheduler,
                    x_val=x_val, y_val=y_val, diagnostics=False, progress=False)
    return model, history, time.perf_counter() - start


def spread(values):
    """'mean ± std [min-max]' in percent; std is the sample standard deviation (ddof=1)."""
    values = np.asarray(values, dtype=float)
    std = values.std(ddof=1) if len(values) > 1 else float("nan")
    return f"{values.mean():.2%} ± {std:.2%} [{values.min():.2%}-{values.max():.2%}]"


def name(lr, schedule):
    return f"lr {lr:<5} {schedule:<8}"


def run_grid(x_tr, y_tr, x_val, y_val, models, lrs=GRID_LRS, schedules=GRID_SCHEDULES):
    """Every recipe of the grid over GRID_SEEDS; print validation accuracy; return the best recipe."""
    print(f"\nGrid on validation ({len(y_tr)} training, {len(y_val)} validation images), {EPOCHS} epochs, "
          f"seeds {list(GRID_SEEDS)}: validation accuracy after epoch 5 / 8 / {EPOCHS} (means), "
          f"then after epoch {EPOCHS} as mean ± sample std [min-max]")
    results = {}
    for schedule in schedules:
        for lr in lrs:
            curves = []
            for seed in GRID_SEEDS:
                model, history, _ = fit(seed, lr, schedule, x_tr, y_tr, x_val, y_val)
                models[(lr, schedule, seed)] = model
                curves.append(history.val_accuracy)
            curves = np.array(curves)
            results[(lr, schedule)] = curves[:, -1]
            means = " / ".join(f"{curves[:, e - 1].mean():.2%}" for e in (5, 8, EPOCHS))
            best_epoch = int(curves.mean(axis=0).argmax()) + 1
            print(f"  {name(lr, schedule)}  {means}   {spread(curves[:, -1])}   "
                  f"(best mean at epoch {best_epoch})", flush=True)
    lr, schedule = max(results, key=lambda k: results[k].mean())
    print(f"chosen on validation: {name(lr, schedule).strip()} (mean validation accuracy "
          f"{results[(lr, schedule)].mean():.2%})")
    return lr, schedule


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4],
                        help="seeds of the final test report (default 0-4)")
    parser.add_argument("--quick", action="store_true",
                        help=f"skip the grid: report the chosen recipe {CHOSEN} only")
    parser.add_argument("--retrain-all", action="store_true",
                        help="also retrain the chosen recipe on all 60,000 training images and report test")
    parser.add_argument("--lrs", type=float, nargs="+", default=list(GRID_LRS), help="the grid's learning rates")
    parser.add_argument("--schedules", nargs="+", choices=GRID_SCHEDULES, default=list(GRID_SCHEDULES),
                        help="the grid's schedules")
    parser.add_argument("--grid-only", action="store_true", help="stop after the grid (no test set)")
    args = parser.parse_args()
    if len(args.seeds) < 2:
        parser.error("give at least 2 seeds (a spread needs two); 3 or more for the report")

    total_start = time.perf_counter()
    (x_train, y_train), (x_test, y_test) = load_mnist(dtype="float32")
    (x_tr, y_tr), (x_val, y_val) = validation_split(x_train, y_train)
    print(f"MNIST: {len(y_train)} training images split into {len(y_tr)} training + {len(y_val)} validation "
          f"(course_lib.data.validation_split, seed 0); {len(y_test)} test images, touched once per final model")
    print(f"MLP [784, 256, 10] relu, He init, float32; Adam; {EPOCHS} epochs of batch {BATCH_SIZE}")

    models = {}
    if args.quick:
        lr, schedule = CHOSEN["lr"], CHOSEN["schedule"]
        print(f"--quick: no grid; the recipe chosen on validation earlier: {name(lr, schedule).strip()}")
    else:
        lr, schedule = run_grid(x_tr, y_tr, x_val, y_val, models, args.lrs, args.schedules)
        if args.grid_only:
            return
        if (lr, schedule) != (CHOSEN["lr"], CHOSEN["schedule"]):
            print(f"NOTE: the grid now chooses {name(lr, schedule).strip()}, not CHOSEN = {CHOSEN}: update CHOSEN")

    print(f"\nFinal report: {name(lr, schedule).strip()}, trained on the {len(y_tr)}, "
          f"seeds {args.seeds}, each evaluated once on the test set")
    tests, seconds = [], []
    for seed in args.seeds:
        model = models.get((lr, schedule, seed))
        if model is None:
            model, history, took = fit(seed, lr, schedule, x_tr, y_tr)
            seconds.append(took)
        val_accuracy = evaluate(model, x_val, y_val)[1]
        test_accuracy = evaluate(model, x_test, y_test)[1]
        tests.append(test_accuracy)
        print(f"  seed {seed}: validation {val_accuracy:.2%}, test {test_accuracy:.2%}", flush=True)
    print(f"test accuracy over {len(tests)} seeds: {spread(tests)} (mean ± sample std, ddof=1 [min-max])")
    if seconds:
        print(f"training time {np.mean(seconds):.1f} s per model ({np.mean(seconds) / EPOCHS:.2f} s per epoch)")
    verdict = "MEETS" if np.mean(tests) >= TARGET else "MISSES"
    print(f"mean test accuracy {np.mean(tests):.2%}: {verdict} the target >= {TARGET:.1%}")

    if args.retrain_all:
        print(f"\n--retrain-all: the same recipe and {EPOCHS} epochs on all {len(y_train)} training images")
        retrained = []
        for seed in args.seeds:
            model, _, _ = fit(seed, lr, schedule, x_train, y_train)
            retrained.append(evaluate(model, x_test, y_test)[1])
            print(f"  seed {seed}: test {retrained[-1]:.2%}", flush=True)
        print(f"test accuracy over {len(retrained)} seeds, retrained on 60,000: {spread(retrained)}")
    print(f"\nwall time {time.perf_counter() - total_start:.0f} s")


if __name__ == "__main__":
    main()
