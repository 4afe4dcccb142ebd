# Reference solution, chapter 06: the L2 penalty and its gradient.
# Load it into a notebook cell with:  %load ../solutions/06_l2_penalty.py
import numpy as np

from course_lib.exercises import check_l2_penalty


def l2_penalty(W, strength):
    """(strength / 2) * sum of squared weights; the 1/2 makes the gradient exactly strength * W, which is
    why an SGD step on it equals weight decay."""
    return 0.5 * strength * np.sum(W**2), strength * W


check_l2_penalty(l2_penalty)
