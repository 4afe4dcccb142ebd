# Reference solution, chapter 04: one heavy-ball step in PyTorch's form.
# Load it into a notebook cell with:  %load ../solutions/04_momentum_update.py
from course_lib.exercises import check_momentum_update


def momentum_update(w, v, g, lr, beta):
    """v accumulates the gradients (v = beta v + g); w moves along v (w = w - lr v). Returns (w, v)."""
    v = beta * v + g
    return w - lr * v, v


check_momentum_update(momentum_update)
