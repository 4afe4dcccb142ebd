# Reference solution, chapter 02 (main exercise): mini-batch SGD, one new permutation per epoch.
# Load it into a notebook cell with:  %load ../solutions/02_sgd_epochs.py
import numpy as np

from course_lib.exercises import check_sgd_epochs


def sgd_epochs(model, x, y, learning_rate, batch_size, epochs, rng):
    """Train ``model`` (a course_lib MLP) by mini-batch SGD; return the batch losses, one per step.

    Each epoch walks through a new permutation of the examples in slices of batch_size (the last one may be
    smaller). Each step: the batch's mean cross-entropy, computed stably with log-softmax (chapter 02, section 1):
        log p = z - max(z) - log(sum(exp(z - max(z)))),   loss = -mean(log p[i, y_i]),
        dlogits = (softmax(z) - onehot(y)) / batch size,
    then grads = model.backward(dlogits) and param -= learning_rate * grad, in place.
    """
    losses = []
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            batch = order[start:start + batch_size]
            xb, yb = x[batch], y[batch]
            logits = model.forward(xb)
            shifted = logits - logits.max(axis=1, keepdims=True)
            log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            rows = np.arange(len(batch))
            losses.append(float(-log_p[rows, yb].mean()))
            dlogits = np.exp(log_p)
            dlogits[rows, yb] -= 1.0
            dlogits /= len(batch)
            for param, grad in zip(model.params, model.backward(dlogits)):
                param -= learning_rate * grad
    return losses


check_sgd_epochs(sgd_epochs)
