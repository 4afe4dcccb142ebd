"""Memory of the explorers: the peak resident memory of a kernel that runs one explorer at its largest settings.

Usage:  python benchmarks/widget_memory.py [--only init_explorer]

Each explorer runs in a new Python process, as in a fresh kernel: the process imports course_lib.widgets, builds the
explorer, moves every control over every value it can take (one control at a time, from the defaults), and for
the init explorer also visits its largest corner (width 1024, depth 20) with every initializer. It then prints
its peak resident set size (``ru_maxrss``), and the size right after the imports for comparison. Target (a Binder
session has about 2 GB for all of a learner's kernels): every explorer <= 300 MB.
"""

import argparse
import json
import resource
import subprocess
import sys
from pathlib import Path

TARGET_MB = 300

# What each child process runs: build the explorer, visit every value of every control, report memory.
CHILD = r'''
import json, resource, sys
sys.path.insert(0, {benchmarks!r})
from widget_latency import slider_grid
import numpy as np
from course_lib import widgets as w
rss = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
after_imports = rss()
name = {name!r}
if name == "first_layer_explorer":  # chapter 08's 11 snapshots of W1 (784 x 256), as widget_latency makes them
    rng = np.random.default_rng(0)
    snapshots = [rng.normal(0.0, 0.05, size=(784, 256)).astype(np.float32)]
    for _ in range(10):
        snapshots.append(snapshots[-1] + rng.normal(0.0, 0.02, size=(784, 256)).astype(np.float32))
    explorer = w.first_layer_explorer(snapshots, accuracy=np.linspace(0.1, 0.98, 11).tolist())
elif name == "filter_explorer":  # chapter 10's 11 snapshots of 8 filters 5 x 5, as widget_latency makes them
    rng = np.random.default_rng(0)
    explorer = w.filter_explorer([rng.normal(0.0, 0.28, size=(8, 1, 5, 5)).astype(np.float32) for _ in range(11)],
                                 rng.random((28, 28)).astype(np.float32), epochs=np.linspace(0, 1, 11))
elif name == "quantization_explorer":  # chapter 07's, imported from its chapter module
    from course_lib.widgets.ch07_pruning import quantization_explorer
    explorer = quantization_explorer()
else:
    explorer = getattr(w, name)()
for control in explorer.controls:
    default = control.value
    if hasattr(control, "options"):  # options are values, or (label, value) pairs
        values = [option[1] if isinstance(option, tuple) else option for option in control.options]
    elif isinstance(default, bool):  # a checkbox
        values = [not default]
    else:
        values = [type(default)(v) for v in slider_grid(control)]
    for value in values:
        control.value = value
    control.value = default
if name == "init_explorer":  # the largest corner: every layer a 1024 x 1024 matrix, with every initializer
    explorer.width_slider.value, explorer.depth_slider.value = 1024, 20
    for initializer in explorer.initializer_dropdown.options:
        explorer.initializer_dropdown.value = initializer
print(json.dumps({{"after_imports": after_imports, "peak": rss()}}))
'''

EXPLORERS = ["init_explorer", "neuron_explorer", "lr_explorer", "bias_explorer", "momentum_explorer",
             "optimizer_explorer", "regularization_explorer", "pruning_explorer", "quantization_explorer",
             "first_layer_explorer",
             "importance_explorer", "filter_explorer"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=EXPLORERS, help="measure this explorer only")
    args = parser.parse_args()
    benchmarks = str(Path(__file__).resolve().parent)
    worst = 0.0
    for name in [args.only] if args.only else EXPLORERS:
        code = CHILD.format(benchmarks=benchmarks, name=name)
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        if result.returncode:
            raise SystemExit(f"{name}: the child process failed:\n{result.stderr[-3000:]}")
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        worst = max(worst, figures["peak"])
        verdict = "met" if figures["peak"] <= TARGET_MB else "MISSED"
        print(f"{name:24s} peak {figures['peak']:5.0f} MB  (after the imports {figures['after_imports']:4.0f} MB)"
              f"  [target <= {TARGET_MB} MB: {verdict}]")
    print(f"largest: {worst:.0f} MB; this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
