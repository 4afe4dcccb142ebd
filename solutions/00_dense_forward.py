# Reference solution, chapter 00: one dense layer, forward.
# Load it into a notebook cell with:  %load ../solutions/00_dense_forward.py
from course_lib.exercises import check_dense_forward


def dense_forward(x, W, b):
    """z = x @ W + b: x is (batch, fan_in), W is (fan_in, fan_out), b is (fan_out,) and broadcasts over rows."""
    return x @ W + b


check_dense_forward(dense_forward)
