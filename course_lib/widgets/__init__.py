"""course_lib.widgets: the interactive explorers of the notebooks, one module per chapter.

Each explorer is a small ipywidgets class (an ``Explorer``, ``_base.py``) built on a pure function of
``course_lib.experiments`` that computes its numbers (so tests and notebooks can call it without a screen).
When a control changes, the explorer recomputes and redraws a matplotlib figure into a PNG ``widgets.Image``.
The figure is made once; a change redraws only the artists that change, on top of a background drawn once
(``BlittedFigure``), which keeps a redraw well under 100 ms (``benchmarks/widget_latency.py`` measures it).

Modules, named after the notebooks:

    ch00_start_here             neuron_explorer: one neuron, one input
    ch01_initialization         init_explorer: activations layer by layer for an initializer and a scale
    ch02_weight_updates         lr_explorer: gradient descent on a two-parameter regression
    ch03_bias                   bias_explorer: one sigmoid or ReLU neuron on 2-D data, its decision line
    ch04_momentum               momentum_explorer: the heavy ball or Nesterov on a quadratic of any condition number
    ch05_adam                   optimizer_explorer: SGD, momentum, Nesterov, RMSprop and Adam on one surface
    ch06_regularization         regularization_explorer: an L1 or L2 penalty on an over-sized network
    ch07_pruning                pruning_explorer: magnitude pruning of a trained network
    ch08_mnist                  first_layer_explorer: snapshots of an MNIST network's first layer
    ch09_weights_in_practice    importance_explorer: weight size against permutation importance
    ch10_convolutional_weights  filter_explorer: snapshots of a CNN's first-layer filters and their feature maps
    _base                       Explorer (the shared base class) and BlittedFigure

The experiment functions and constants are importable from here too (``from course_lib.widgets import
regularization_curve``), as they were when explorers and experiments shared one module.
"""

from ..experiments import (
    EXPLORER_INITIALIZERS,
    FIRST_LAYER_BINS,
    IMPORTANCE_MAX_COPIES,
    IMPORTANCE_SLOTS,
    IMPORTANCE_TRUE_WEIGHTS,
    LR_PROBLEM_SEED,
    MAX_DEPTH,
    MOMENTUM_START,
    NEAR_ZERO,
    PRUNING_SCOPES,
    PRUNING_SPARSITIES,
    RACE_SCALES,
    RACE_START,
    REGULARIZATION_GRID_EXTENT,
    REGULARIZATION_KINDS,
    REGULARIZATION_STRENGTHS,
    WEIGHT_BIN_EDGES,
    WIDTH_RANGE,
    first_layer_frame,
    importance_experiment,
    init_explorer_data,
    lr_experiment,
    momentum_experiment,
    neuron_2d,
    neuron_curve,
    optimizer_race,
    pruning_curve,
    pruning_experiment,
    pruning_setup,
    regularization_curve,
    regularization_experiment,
)
from .ch00_start_here import NeuronExplorer, neuron_explorer
from .ch01_initialization import EXPLORER_WIDTHS, InitExplorer, init_explorer
from .ch02_weight_updates import LrExplorer, lr_explorer
from .ch03_bias import BiasExplorer, bias_explorer
from .ch04_momentum import MomentumExplorer, momentum_explorer
from .ch05_adam import OptimizerExplorer, optimizer_explorer
from .ch06_regularization import RegularizationExplorer, regularization_explorer
from .ch07_pruning import PruningExplorer, pruning_explorer
from .ch08_mnist import FirstLayerExplorer, first_layer_explorer
from .ch09_weights_in_practice import ImportanceExplorer, importance_explorer
from .ch10_convolutional_weights import FilterExplorer, filter_explorer

__all__ = [
    "neuron_explorer", "NeuronExplorer", "neuron_curve",
    "init_explorer", "InitExplorer", "EXPLORER_WIDTHS", "init_explorer_data", "EXPLORER_INITIALIZERS", "MAX_DEPTH",
    "WIDTH_RANGE",
    "lr_explorer", "LrExplorer", "lr_experiment", "LR_PROBLEM_SEED",
    "bias_explorer", "BiasExplorer", "neuron_2d",
    "momentum_explorer", "MomentumExplorer", "momentum_experiment", "MOMENTUM_START",
    "optimizer_explorer", "OptimizerExplorer", "optimizer_race", "RACE_SCALES", "RACE_START",
    "regularization_explorer", "RegularizationExplorer", "regularization_experiment", "regularization_curve",
    "REGULARIZATION_KINDS", "REGULARIZATION_STRENGTHS", "NEAR_ZERO", "WEIGHT_BIN_EDGES", "REGULARIZATION_GRID_EXTENT",
    "pruning_explorer", "PruningExplorer", "pruning_setup", "pruning_experiment", "pruning_curve", "PRUNING_SCOPES",
    "PRUNING_SPARSITIES",
    "first_layer_explorer", "FirstLayerExplorer", "first_layer_frame", "FIRST_LAYER_BINS",
    "importance_explorer", "ImportanceExplorer", "importance_experiment", "IMPORTANCE_TRUE_WEIGHTS",
    "IMPORTANCE_MAX_COPIES", "IMPORTANCE_SLOTS",
    "filter_explorer", "FilterExplorer",
]
