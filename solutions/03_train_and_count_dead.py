# Reference solution, chapter 03 (main exercise): the output bias from the priors, then dead units at every step.
# Load it into a notebook cell with:  %load ../solutions/03_train_and_count_dead.py
import numpy as np

from course_lib.exercises import check_train_and_count_dead
from course_lib.nn import softmax_cross_entropy


def train_and_count_dead(model, x, y, learning_rate, steps):
    """Start model's output bias at log(class frequencies), then full-batch gradient descent for `steps` steps.

    Returns an int array of shape (steps + 1, hidden layers): row t counts, in each hidden layer, the units that
    output 0 for every example of x after t updates (row 0 at the start).
    """
    counts = np.bincount(y, minlength=model.sizes[-1])
    model.biases[-1][:] = np.log(counts / counts.sum())  # in place: the model holds this array
    dead = []
    for t in range(steps + 1):
        logits = model.forward(x)
        dead.append([np.all(a == 0, axis=0).sum() for a in model.layer_inputs[1:]])  # hidden outputs
        if t == steps:
            break
        loss, dlogits = softmax_cross_entropy(logits, y)
        for param, grad in zip(model.params, model.backward(dlogits)):
            param -= learning_rate * grad
    return np.array(dead, dtype=int)


check_train_and_count_dead(train_and_count_dead)
