"""Latency of the explorers: time from a control change to the new PNG in ``widget.image.value``.

Usage:  python benchmarks/widget_latency.py [--changes 30]

The widgets update synchronously in the kernel, so the duration of ``control.value = v`` is the latency the
learner waits for before the browser receives the new image. Each line gives the median, the 95th percentile and
the maximum over the changes.

``init_explorer()``: each control is moved alone from the default settings (kaiming_normal, relu, scale 1,
depth 10, width 256) over its whole range: shuffled passes over every value it can take (at least one full
pass, at least ``--changes`` changes), each change to a value different from the current one. Target, on this
2-core machine when quiet: median <= 50 ms, p95 <= 200 ms per change. Then, for information: the worst corner
(width 1024 and depth 20, where every layer is a 1024 x 1024 matrix), the first visit of each initializer there
(orthogonal needs 20 QR decompositions of 1024 x 1024), and the peak resident memory of the process.
``neuron_explorer()``: its bias slider, target median <= 50 ms.
The other explorers: random values of one control at a time, for information. The explorers of chapters 06
and 07 train networks when they are built; their construction times (and the first switch to the other
penalty, which trains its curve) are printed too.
"""

import argparse
import resource
import statistics
import time

import numpy as np

from course_lib.experiments.ch01_initialization import _UNIT_SCALE_NETS
from course_lib.widgets import (
    REGULARIZATION_STRENGTHS,
    bias_explorer,
    filter_explorer,
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
from course_lib.widgets.ch07_pruning import quantization_explorer


def slider_grid(slider):
    """Every value the slider can take."""
    if hasattr(slider, "base"):  # FloatLogSlider: min/max/step are exponents
        return slider.base ** np.arange(slider.min, slider.max + 1e-9, slider.step)
    return np.arange(slider.min, slider.max + slider.step / 2, slider.step)


def options(control):
    """The values a Dropdown or ToggleButtons can take (options given as (label, value) pairs or as values)."""
    return [o[1] if isinstance(o, tuple) else o for o in control.options]


def whole_range(control):
    """The range of a control, in words: "all 10 options" or "0.01..100 (81 values)"."""
    if hasattr(control, "options"):
        return f"all {len(control.options)} options"
    grid = slider_grid(control)
    return f"{grid[0]:.3g}..{grid[-1]:.4g} ({len(grid)} values)"


def tour(control, changes, rng):
    """Values for ``control`` that visit every value it can take: shuffled passes over them, each value different
    from the one before; at least one full pass and at least ``changes`` values."""
    if hasattr(control, "options"):
        grid = list(control.options)
    else:
        grid = [type(control.value)(value) for value in slider_grid(control)]
    values, previous = [], control.value
    while len(values) < max(changes, len(grid) - 1):
        for index in rng.permutation(len(grid)):
            if not same(grid[index], previous):
                values.append(grid[index])
                previous = grid[index]
    return values[:max(changes, len(grid) - 1)]


def same(a, b):
    """Whether two control values are the same (floats: up to rounding)."""
    return a == b if isinstance(a, str) else bool(np.isclose(a, b))


def timed_change(widget, control, value):
    """Set ``control`` to ``value``; return the milliseconds until the new image is there."""
    before = widget.image.value
    start = time.perf_counter()
    control.value = value
    elapsed = (time.perf_counter() - start) * 1000
    if widget.image.value == before:
        raise SystemExit(f"{control.description}={value} did not change the image")
    return elapsed


def measure(widget, slider, changes, rng, grid=None):
    """Set ``slider`` to ``changes`` random values (each different from the current one); return ms each."""
    grid = slider_grid(slider) if grid is None else np.asarray(grid)
    timings = []
    for _ in range(changes):
        value = slider.value
        while same(value, slider.value):
            value = type(slider.value)(rng.choice(grid))
        timings.append(timed_change(widget, slider, value))
    return timings


def report(name, timings, target=None):
    """Print the median, 95th percentile and maximum of ``timings``, and beside them ``target``, (median, p95)
    in ms (either may be None), with whether it is met."""
    timings = sorted(timings)
    median = statistics.median(timings)
    p95 = timings[min(len(timings) - 1, int(round(0.95 * (len(timings) - 1))))]
    line = f"{name}: {len(timings)} changes, median {median:.1f} ms, p95 {p95:.1f} ms, max {timings[-1]:.1f} ms"
    if target is not None:
        median_target, p95_target = target
        met = (median_target is None or median <= median_target) and (p95_target is None or p95 <= p95_target)
        wanted = " and ".join(f"{statistic} <= {limit} ms" for statistic, limit in zip(("median", "p95"), target)
                              if limit is not None)
        line += f"  [target {wanted}: {'met' if met else 'MISSED'}]"
    print(line)


def peak_rss_mb():
    """The largest resident memory this process has had so far, in MB (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def init_explorer_latency(changes, rng):
    """The init explorer's lines: every control over its whole range from the defaults, then the worst corner."""
    print(f"peak RSS before the init explorer: {peak_rss_mb():.0f} MB")
    explorer = init_explorer()  # defaults: kaiming_normal, relu, scale 1, depth 10, width 256
    defaults = {control: control.value for control in explorer.controls}
    for control in explorer.controls:
        timings = [timed_change(explorer, control, value) for value in tour(control, changes, rng)]
        report(f"init_explorer (defaults), {control.description} over {whole_range(control)}", timings,
               target=(50, 200))
        control.value = defaults[control]

    _UNIT_SCALE_NETS.clear()  # the weight cache starts empty: each width below is drawn for the first time
    firsts = [f"{width} {timed_change(explorer, explorer.width_slider, width):.0f} ms"
              for width in explorer.width_slider.options if width != explorer.width_slider.value]
    print(f"init_explorer (defaults), first visit of each width (for information): {', '.join(firsts)}")
    explorer.width_slider.value = defaults[explorer.width_slider]

    start = time.perf_counter()
    explorer.width_slider.value = 1024
    explorer.depth_slider.value = 20
    print(f"init_explorer, worst corner (width 1024, depth 20), reaching it from the defaults (kaiming_normal): "
          f"{time.perf_counter() - start:.2f} s (for information)")
    dropdown = explorer.initializer_dropdown
    firsts = [f"{name} {timed_change(explorer, dropdown, name) / 1000:.2f} s"
              for name in dropdown.options if name != dropdown.value]
    print(f"init_explorer, worst corner, first visit of each initializer (for information): {', '.join(firsts)}")
    print(f"peak RSS after the init explorer's worst corner: {peak_rss_mb():.0f} MB")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=30, help="slider changes per explorer (>= 20)")
    args = parser.parse_args()
    rng = np.random.default_rng(0)

    init_explorer_latency(args.changes, rng)

    neuron = neuron_explorer()
    report("neuron_explorer, bias slider", measure(neuron, neuron.bias_slider, args.changes, rng), target=(50, None))
    explorer = lr_explorer()
    report("lr_explorer, learning-rate slider", measure(explorer, explorer.lr_slider, args.changes, rng))
    explorer = bias_explorer()
    report("bias_explorer, bias slider", measure(explorer, explorer.b_slider, args.changes, rng))
    report("bias_explorer, w1 slider", measure(explorer, explorer.w1_slider, args.changes, rng))
    report("bias_explorer, activation switch sigmoid/ReLU",
           measure(explorer, explorer.activation_dropdown, args.changes, rng,
                   grid=list(explorer.activation_dropdown.options)))
    explorer.activation_dropdown.value = "relu"
    report("bias_explorer (ReLU), bias slider", measure(explorer, explorer.b_slider, args.changes, rng))
    explorer = momentum_explorer()
    report("momentum_explorer, momentum slider", measure(explorer, explorer.momentum_slider, args.changes, rng))
    report("momentum_explorer, learning-rate slider", measure(explorer, explorer.lr_slider, args.changes, rng))
    report("momentum_explorer, condition-number slider 1..1000",
           measure(explorer, explorer.condition_slider, args.changes, rng))
    explorer = momentum_explorer(nesterov=True)
    report("momentum_explorer (Nesterov), learning-rate slider",
           measure(explorer, explorer.lr_slider, args.changes, rng))
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
    start = time.perf_counter()
    explorer = quantization_explorer()
    print(f"quantization_explorer: construction {time.perf_counter() - start:.2f} s")
    report("quantization_explorer, bits slider", measure(explorer, explorer.bits_slider, args.changes, rng))
    for name in ["scheme_buttons", "granularity_buttons", "layer_buttons"]:
        control = getattr(explorer, name)
        report(f"quantization_explorer, {control.description or name} switch",
               measure(explorer, control, args.changes, rng, grid=options(control)))
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
    # chapter 10: 11 snapshots of the first conv layer (8 filters 5 x 5) and one 28 x 28 digit
    filters = [rng.normal(0.0, 0.28, size=(8, 1, 5, 5)).astype(np.float32) for _ in range(11)]
    start = time.perf_counter()
    explorer = filter_explorer(filters, rng.random((28, 28)).astype(np.float32), epochs=np.linspace(0, 1, 11))
    print(f"filter_explorer: construction {time.perf_counter() - start:.2f} s")
    report("filter_explorer (11 snapshots of 8 filters 5 x 5), epoch slider",
           measure(explorer, explorer.epoch_slider, args.changes, rng, grid=options(explorer.epoch_slider)))

if __name__ == "__main__":
    main()
