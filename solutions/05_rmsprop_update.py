# Reference solution, chapter 05: one RMSprop step, as torch.optim.RMSprop.
# Load it into a notebook cell with:  %load ../solutions/05_rmsprop_update.py
import numpy as np

from course_lib.exercises import check_rmsprop_update


def rmsprop_update(w, s, g, lr, alpha, eps):
    """s tracks the mean squared gradient per weight; each weight's step is its gradient divided by the
    root of that mean, so steep and flat directions move at similar speeds. eps goes after the root."""
    s = alpha * s + (1 - alpha) * g**2
    return w - lr * g / (np.sqrt(s) + eps), s


check_rmsprop_update(rmsprop_update)
