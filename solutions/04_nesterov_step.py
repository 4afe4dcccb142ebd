# Reference solution, chapter 04: one step of Nesterov's momentum in PyTorch's form, as SGD(nesterov=True).
# Load it into a notebook cell with:  %load ../solutions/04_nesterov_step.py
from course_lib.exercises import check_nesterov_step


def nesterov_step(w, g, state, lr, beta):
    """v = beta v + g (v = a copy of g on the first step, as PyTorch creates its buffer), then the look-ahead step
    w = w - lr (g + beta v), in place (Sutskever et al. 2013, in PyTorch's form). Returns nothing."""
    if "velocity" not in state:
        state["velocity"] = g.copy()  # a copy: the caller rewrites g at the next step
    else:
        state["velocity"][...] = beta * state["velocity"] + g
    w -= lr * (g + beta * state["velocity"])


check_nesterov_step(nesterov_step)
