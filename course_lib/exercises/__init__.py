"""Exercises with instant feedback.

In a notebook, a learner writes a function and passes it to its checker::

    def dense_forward(x, W, b):
        raise NotImplementedError  # your code here

    check_dense_forward(dense_forward)

The checker runs the function on reference cases and prints one of:
    PASS      what was checked;
    NOT DONE  the function still raises NotImplementedError (the stub), so the notebook runs on;
    FAIL      what was wrong on which case, and a hint. Never a traceback: an exception raised by the
              learner's code is reported as one line.

Tests (and instructors) use ``grade(name, function) -> Result`` to get the verdict without printing.
Reference solutions are in ``solutions/`` (load one into a cell with ``%load``: each
exercise and each FAIL names its file, e.g. ``%load ../solutions/00_dense_forward.py``).

Layout: ``_grading`` holds the shared machinery (``Result``, ``grade``, the registry ``EXERCISES``); each chapter
has a module named after its notebook (``ch01_initialization`` for ``01_initialization.ipynb``, ...) with its
graders and ``check_*`` printers. Importing this package imports every chapter module, which registers its
exercises.
"""

from ._grading import EXERCISES, Result, grade
from .ch00_start_here import check_dense_backward, check_dense_forward, check_train_two_layer
from .ch01_initialization import check_he_normal, check_kaiming_normal, check_truncated_normal, check_xavier_std
from .ch02_weight_updates import check_clip_grad_norm, check_sgd_epochs, check_stable_softmax
from .ch03_bias import check_dead_fraction, check_prior_bias, check_train_and_count_dead
from .ch04_momentum import check_momentum_update, check_nesterov_step, check_optimal_momentum
from .ch05_adam import check_adamw_step, check_bias_correction, check_rmsprop_update
from .ch06_regularization import check_l2_penalty, check_proximal_l1_step, check_soft_threshold
from .ch07_pruning import check_gradual_prune_loop, check_prune_mask, check_symmetric_quantize
from .ch08_mnist import check_accuracy_from_logits, check_confusion_matrix, check_train_one_epoch
from .ch09_weights_in_practice import check_freeze_then_fine_tune, check_permutation_drop, check_tied_weight_grad
from .ch10_convolutional_weights import check_conv2d, check_conv_output_size

__all__ = ["Result", "grade", "EXERCISES", "check_dense_forward", "check_dense_backward",
           "check_xavier_std", "check_he_normal", "check_truncated_normal", "check_stable_softmax",
           "check_clip_grad_norm", "check_prior_bias", "check_dead_fraction", "check_momentum_update",
           "check_optimal_momentum", "check_bias_correction", "check_rmsprop_update", "check_l2_penalty",
           "check_soft_threshold", "check_prune_mask", "check_symmetric_quantize",
           "check_accuracy_from_logits", "check_confusion_matrix", "check_tied_weight_grad", "check_permutation_drop"]
__all__ += ["check_train_two_layer", "check_kaiming_normal", "check_sgd_epochs",
            "check_train_and_count_dead"]  # main exercises, ch. 00-03
__all__ += ["check_nesterov_step", "check_adamw_step", "check_proximal_l1_step"]  # main exercises, ch. 04-06
__all__ += ["check_gradual_prune_loop"]  # the main exercise of chapter 07
__all__ += ["check_train_one_epoch", "check_freeze_then_fine_tune"]  # the main exercises of chapters 08, 09
__all__ += ["check_conv_output_size", "check_conv2d"]  # chapter 10 (check_conv2d: its main exercise)
