# Reference solution, chapter 00: one dense layer, backward.
# Load it into a notebook cell with:  %load ../solutions/00_dense_backward.py
from course_lib.exercises import check_dense_backward


def dense_backward(x, W, dz):
    """Gradients of z = x @ W + b, given dz = dL/dz of shape (batch, fan_out).

    dx = dz @ W.T      (batch, fan_in): how the loss changes with each input
    dW = x.T @ dz      (fan_in, fan_out): sums the per-example outer products x_i^T dz_i
    db = dz.sum(0)     (fan_out,): b is added to every example, so its gradient sums over the batch
    """
    return dz @ W.T, x.T @ dz, dz.sum(axis=0)


check_dense_backward(dense_backward)
