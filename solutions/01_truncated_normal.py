# Reference solution, chapter 01: a true truncated normal, by rejection.
# Load it into a notebook cell with:  %load ../solutions/01_truncated_normal.py
import numpy as np

from course_lib.exercises import check_truncated_normal


def truncated_normal(n, a, b, rng):
    """n samples of N(0, 1) conditioned on a <= x <= b: draw, keep those inside, redraw the rest."""
    samples = np.empty(0)
    while samples.size < n:
        x = rng.standard_normal(n)
        samples = np.concatenate([samples, x[(x >= a) & (x <= b)]])
    return samples[:n]


check_truncated_normal(truncated_normal)
