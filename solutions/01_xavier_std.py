# Reference solution, chapter 01: the standard deviation of Xavier/Glorot normal.
# Load it into a notebook cell with:  %load ../solutions/01_xavier_std.py
import math

from course_lib.exercises import check_xavier_std


def xavier_std(fan_in, fan_out):
    """Glorot & Bengio 2010, eq. (12): Var[W] = 2 / (fan_in + fan_out), the compromise between
    1/fan_in (keeps the forward signal) and 1/fan_out (keeps the backward signal)."""
    return math.sqrt(2.0 / (fan_in + fan_out))


check_xavier_std(xavier_std)
