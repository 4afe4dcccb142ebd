# Reference solution, chapter 09: permutation importance of one feature, the accuracy lost when it is shuffled.
# Load it into a notebook cell with:  %load ../solutions/09_permutation_drop.py
import numpy as np

from course_lib.exercises import check_permutation_drop


def permutation_drop(predict, x, y, feature, rng):
    """Shuffle column `feature` of a COPY of x across the rows (its values and distribution stay, their link with
    the labels goes), then return how much accuracy that costs."""
    baseline = np.mean(predict(x) == y)
    shuffled = x.copy()
    shuffled[:, feature] = x[rng.permutation(len(x)), feature]
    return float(baseline - np.mean(predict(shuffled) == y))


check_permutation_drop(permutation_drop)
