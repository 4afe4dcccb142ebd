# Reference solution, chapter 07: a magnitude-pruning mask with exactly round(sparsity * n) zeros.
# Load it into a notebook cell with:  %load ../solutions/07_prune_mask.py
import numpy as np

from course_lib.exercises import check_prune_mask


def prune_mask(w, sparsity):
    """True where a weight is kept. Sorting (not a threshold) gives the exact count even when magnitudes tie;
    a stable sort keeps equal magnitudes in w.ravel() order, so the first of them is pruned first."""
    count = int(round(sparsity * w.size))
    keep = np.ones(w.size, dtype=bool)
    keep[np.argsort(np.abs(w).ravel(), kind="stable")[:count]] = False
    return keep.reshape(w.shape)


check_prune_mask(prune_mask)
