"""course_lib.experiments: the numbers behind the interactive explorers, one module per chapter.

Each function here computes what an explorer of ``course_lib.widgets`` shows, so that tests and notebooks can
call it without a screen. This package needs numpy (and course_lib's numeric modules) only: it never imports
ipywidgets, matplotlib or PIL.

Modules, named after the notebooks:

    ch00_start_here             neuron_curve: one neuron, one input
    ch01_initialization         init_explorer_data: activations layer by layer for an initializer and a scale
    ch02_weight_updates         lr_experiment: gradient descent on a two-parameter regression
    ch03_bias                   neuron_2d: one sigmoid or ReLU neuron on 2-D data, its decision line;
                                large_step_experiment, bias_start_experiment: dead ReLUs and bias starts, with controls
    ch04_momentum               momentum_step, equivalent_momentum: the three conventions of momentum;
                                momentum_experiment: the heavy ball or Nesterov on an ill-conditioned quadratic,
                                judged by each method's own stability region; noisy_quadratic_loss: the noise floor
    ch05_adam                   optimizer_race: SGD, momentum, Nesterov, RMSprop and Adam on one surface;
                                lr_sweep, decay_without_curvature, rotated_valley: the chapter's measurements
    ch06_regularization         regularization_experiment, regularization_curve: an L1 or L2 penalty
    ch07_pruning                pruning_setup, pruning_experiment, pruning_curve: magnitude pruning
    ch08_mnist                  first_layer_frame: snapshots of an MNIST network's first layer
    ch09_weights_in_practice    importance_experiment: weight size against permutation importance
    _common                     helpers shared by several chapters (histograms, seeds, read-only arrays)
"""

from .ch00_start_here import neuron_curve
from .ch01_initialization import EXPLORER_INITIALIZERS, MAX_DEPTH, WIDTH_RANGE, init_explorer_data
from .ch02_weight_updates import LR_PROBLEM_SEED, lr_experiment
from .ch03_bias import neuron_2d
from .ch04_momentum import MOMENTUM_FORMS, MOMENTUM_START, equivalent_momentum, momentum_experiment, momentum_step
from .ch05_adam import RACE_SCALES, RACE_START, optimizer_race
from .ch06_regularization import (
    NEAR_ZERO,
    REGULARIZATION_GRID_EXTENT,
    REGULARIZATION_KINDS,
    REGULARIZATION_STRENGTHS,
    WEIGHT_BIN_EDGES,
    regularization_curve,
    regularization_experiment,
)
from .ch07_pruning import PRUNING_SCOPES, PRUNING_SPARSITIES, pruning_curve, pruning_experiment, pruning_setup
from .ch08_mnist import FIRST_LAYER_BINS, first_layer_frame
from .ch09_weights_in_practice import (
    IMPORTANCE_MAX_COPIES,
    IMPORTANCE_SLOTS,
    IMPORTANCE_TRUE_WEIGHTS,
    importance_experiment,
)

__all__ = [
    "neuron_curve",
    "init_explorer_data", "EXPLORER_INITIALIZERS", "MAX_DEPTH", "WIDTH_RANGE",
    "lr_experiment", "LR_PROBLEM_SEED",
    "neuron_2d",
    "momentum_step", "equivalent_momentum", "MOMENTUM_FORMS", "momentum_experiment", "MOMENTUM_START",
    "optimizer_race", "RACE_SCALES", "RACE_START",
    "regularization_experiment", "regularization_curve", "REGULARIZATION_KINDS", "REGULARIZATION_STRENGTHS",
    "NEAR_ZERO", "WEIGHT_BIN_EDGES", "REGULARIZATION_GRID_EXTENT",
    "pruning_setup", "pruning_experiment", "pruning_curve", "PRUNING_SCOPES", "PRUNING_SPARSITIES",
    "first_layer_frame", "FIRST_LAYER_BINS",
    "importance_experiment", "IMPORTANCE_TRUE_WEIGHTS", "IMPORTANCE_MAX_COPIES", "IMPORTANCE_SLOTS",
]
