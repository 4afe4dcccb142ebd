# Reference solution, chapter 02: clipping all gradients by their total norm.
# Load it into a notebook cell with:  %load ../solutions/02_clip_grad_norm.py
import numpy as np

from course_lib.exercises import check_clip_grad_norm


def clip_grad_norm(grads, max_norm):
    """Rescale all gradients together, in place, when their total norm exceeds max_norm; return that norm."""
    total = float(np.sqrt(sum(np.sum(g**2) for g in grads)))
    if total > max_norm:
        for g in grads:
            g *= max_norm / total
    return total


check_clip_grad_norm(clip_grad_norm)
