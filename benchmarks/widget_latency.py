"""Latency of the explorers: time from a control change to the new PNG in ``widget.image.value``.

Usage:  python benchmarks/widget_latency.py [--changes 30]

For ``init_explorer()`` at its default settings, moves one slider at a time to random values (each
different from the current one) and times each change until the image bytes are replaced; the
widget updates synchronously in the kernel, so the assignment's duration is the latency the learner
waits for before the browser receives the new image. Prints the median and 95th percentile.
Target on a 2-core laptop-class CPU: median <= 100 ms, p95 <= 200 ms.
The explorers of chapters 06 and 07 train networks when they are built; their construction times (and
the first switch to the other penalty, which trains its curve) are printed too.
"""

import argparse
import statistics
import time

import numpy as np

from course_lib.widgets import (
    REGULARIZATION_STRENGTHS,
    bias_explorer,
    first_layer_explorer,
    importance_explorer,
    init_explorer,
    lr_explorer,
    momentum_explorer,
    neuron_explorer,
    optimizer_explorer,
    pruning_explorer,
    regularization_explorer,
)


def slider_grid(slider):
    """Every value the slider can take."""
    if hasattr(slider, "base"):  # FloatLogSlider: min/max/step are exponents
        return slider.base ** np.arange(slider.min, slider.max + 1e-9, slider.step)
    return np.arange(slider.min, slider.max + slider.step / 2, slider.step)


def measure(widget, slider, changes, rng, grid=None):
    """Set ``slider`` to ``changes`` random values (each different from the current one); return ms each."""
    grid = slider_grid(slider) if grid is None else np.asarray(grid)
    timings = []
    for _ in range(changes):
        value = slider.value
        while value == slider.value if isinstance(value, str) else np.isclose(value, slider.value):
            value = type(slider.value)(rng.choice(grid))
        before = widget.image.value
        start = time.perf_counter()
        slider.value = value
        timings.append((time.perf_counter() - start) * 1000)
        if widget.image.value == before:
            raise SystemExit(f"{slider.description}={value} did not change the image")
    return timings


def report(name, timings):
    timings = sorted(timings)
    p95 = timings[min(len(timings) - 1, int(round(0.95 * (len(timings) - 1))))]
    print(f"{name}: {len(timings)} changes, median {statistics.median(timings):.1f} ms, "
          f"p95 {p95:.1f} ms, max {timings[-1]:.1f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=30, help="slider changes per explorer (>= 20)")
    args = parser.parse_args()
    rng = np.random.default_rng(0)

    explorer = init_explorer()  # defaults: kaiming_normal, relu, scale 1, depth 10, width 256
    explorer.scale_slider.value = 2.0  # warm-up: the first draw builds the figure background
    explorer.scale_slider.value = 1.0
    report("init_explorer (defaults), scale slider over 0.01..100",
           measure(explorer, explorer.scale_slider, args.changes, rng))
    report("init_explorer (defaults), depth slider over 1..20",
           measure(explorer, explorer.depth_slider, args.changes, rng))
    explorer.depth_slider.value = 10
    report("init_explorer (defaults), width slider over 128..384",
           measure(explorer, explorer.width_slider, args.changes, rng, grid=range(128, 385, 16)))
    report("init_explorer, width slider over its full range 16..1024 (for information)",
           measure(explorer, explorer.width_slider, args.changes, rng))

    neuron = neuron_explorer()
    report("neuron_explorer, bias slider", measure(neuron, neuron.bias_slider, args.changes, rng))
    explorer = lr_explorer()
    report("lr_explorer, learning-rate slider", measure(explorer, explorer.lr_slider, args.changes, rng))
    explorer = bias_explorer()
    report("bias_explorer, bias slider", measure(explorer, explorer.b_slider, args.changes, rng))
    report("bias_explorer, w1 slider", measure(explorer, explorer.w1_slider, args.changes, rng))
    explorer = momentum_explorer()
    report("momentum_explorer, momentum slider", measure(explorer, explorer.momentum_slider, args.changes, rng))
    report("momentum_explorer, learning-rate slider", measure(explorer, explorer.lr_slider, args.changes, rng))
    explorer = optimizer_explorer()
    report("optimizer_explorer, learning-rate slider", measure(explorer, explorer.lr_slider, args.changes, rng))
    report("optimizer_explorer, beta2 slider", measure(explorer, explorer.beta2_slider, args.changes, rng))

    start = time.perf_counter()
    explorer = regularization_explorer()
    print(f"regularization_explorer: construction {time.perf_counter() - start:.2f} s "
          "(trains the L2 curve, 10 networks)")
    start = time.perf_counter()
    explorer.kind_buttons.value = "L1"
    print(f"regularization_explorer: first switch to L1 {time.perf_counter() - start:.2f} s (trains the L1 curve)")
    report("regularization_explorer, strength slider (L1)",
           measure(explorer, explorer.strength_slider, args.changes, rng, grid=REGULARIZATION_STRENGTHS))
    report("regularization_explorer, penalty switch L1/L2 (both curves cached)",
           measure(explorer, explorer.kind_buttons, args.changes, rng, grid=["L1", "L2"]))
    report("regularization_explorer, strength slider (L2)",
           measure(explorer, explorer.strength_slider, args.changes, rng, grid=REGULARIZATION_STRENGTHS))
    start = time.perf_counter()
    explorer = pruning_explorer()
    print(f"pruning_explorer: construction {time.perf_counter() - start:.2f} s "
          "(trains the network, prunes it at 2 x 100 sparsities)")
    start = time.perf_counter()
    pruning_explorer()
    print(f"pruning_explorer: a second one {time.perf_counter() - start:.2f} s (network and curves cached)")
    report("pruning_explorer, sparsity slider over 0..0.99",
           measure(explorer, explorer.sparsity_slider, args.changes, rng))
    report("pruning_explorer, scope switch global/per-layer",
           measure(explorer, explorer.scope_buttons, args.changes, rng, grid=["global", "per-layer"]))
    # chapter 08: 11 snapshots of W1 (784 x 256) as the notebook saves them; random weights cost the same to draw
    snapshots = [rng.normal(0.0, 0.05, size=(784, 256)).astype(np.float32)]
    for _ in range(10):
        snapshots.append(snapshots[-1] + rng.normal(0.0, 0.02, size=(784, 256)).astype(np.float32))
    start = time.perf_counter()
    explorer = first_layer_explorer(snapshots, accuracy=np.linspace(0.1, 0.98, 11).tolist())
    print(f"first_layer_explorer: construction {time.perf_counter() - start:.2f} s")
    report("first_layer_explorer (11 snapshots of W1, 784 x 256), epoch slider over 0..10",
           measure(explorer, explorer.epoch_slider, args.changes, rng))
    # chapter 09: every move refits a logistic regression and measures permutation importance
    start = time.perf_counter()
    explorer = importance_explorer()
    print(f"importance_explorer: construction {time.perf_counter() - start:.2f} s")
    report("importance_explorer, units-of-x1 slider over 0.01..100",
           measure(explorer, explorer.scale_slider, args.changes, rng))
    report("importance_explorer, copies-of-x2 slider over 1..4",
           measure(explorer, explorer.copies_slider, args.changes, rng))

if __name__ == "__main__":
    main()
