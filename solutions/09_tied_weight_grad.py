# Reference solution, chapter 09: the gradient of a tied weight, used by the encoder and (transposed) the decoder.
# Load it into a notebook cell with:  %load ../solutions/09_tied_weight_grad.py
from course_lib.exercises import check_tied_weight_grad


def tied_weight_grad(x, h, dz, dx_hat):
    """z = x @ W gives x.T @ dz; x_hat = h @ W.T gives (h.T @ dx_hat).T = dx_hat.T @ h. One weight, two uses:
    the multivariable chain rule adds the two gradients (autograd frameworks accumulate .grad the same way)."""
    return x.T @ dz + dx_hat.T @ h


check_tied_weight_grad(tied_weight_grad)
