# Reference solution, chapter 03: the fraction of dead ReLU units.
# Load it into a notebook cell with:  %load ../solutions/03_dead_fraction.py
import numpy as np

from course_lib.exercises import check_dead_fraction


def dead_fraction(a):
    """a: ReLU outputs, one example per row, one unit per column. A unit is dead when it outputs 0 for
    every example: its gradient is then 0 for all of them and it cannot recover."""
    return float(np.all(a == 0, axis=0).mean())


check_dead_fraction(dead_fraction)
