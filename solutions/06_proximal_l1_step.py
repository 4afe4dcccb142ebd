# Reference solution, chapter 06: one proximal-L1 training step (ISTA), as SGD + L1(strength, proximal=True).
# Load it into a notebook cell with:  %load ../solutions/06_proximal_l1_step.py
import numpy as np

from course_lib.exercises import check_proximal_l1_step


def proximal_l1_step(params, grads, lr, strength):
    """The gradient step on the data loss for every parameter, then the proximal step of the L1 penalty
    strength * sum |W| on the weight matrices only: W = sign(W) max(|W| - lr * strength, 0) (Daubechies, Defrise &
    De Mol 2004; Parikh & Boyd 2014, Sec. 6.5.2). Every array in params is changed in place; returns nothing."""
    for p, g in zip(params, grads):
        p -= lr * g
        if p.ndim >= 2:  # a weight matrix; the biases (1-D) are not penalized
            p[...] = np.sign(p) * np.maximum(np.abs(p) - lr * strength, 0)


check_proximal_l1_step(proximal_l1_step)
