# Reference solution, chapter 06: soft thresholding, the proximal step of the L1 penalty.
# Load it into a notebook cell with:  %load ../solutions/06_soft_threshold.py
import numpy as np

from course_lib.exercises import check_soft_threshold


def soft_threshold(w, threshold):
    """Shrink every weight toward 0 by `threshold` and stop at 0: weights smaller than the threshold become
    exactly 0 (a subgradient step would overshoot them to the other side instead)."""
    return np.sign(w) * np.maximum(np.abs(w) - threshold, 0)


check_soft_threshold(soft_threshold)
