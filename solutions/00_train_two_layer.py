# Reference solution, chapter 00 (main exercise): the backward pass of a two-layer network, then gradient descent.
# Load it into a notebook cell with:  %load ../solutions/00_train_two_layer.py
import numpy as np

from course_lib.exercises import check_train_two_layer
from course_lib.nn import softmax_cross_entropy


def train_two_layer(x, y, params, learning_rate, steps):
    """Gradient descent on logits = relu(x @ W1 + b1) @ W2 + b2 with the mean softmax cross-entropy.

    Backward pass (chapter 00, 'Loss and the backward pass'), from the top:
        dW2 = h.T @ dlogits,  db2 = dlogits.sum(0),  dh = dlogits @ W2.T,
        dz1 = dh * relu'(z1),  dW1 = x.T @ dz1,  db1 = dz1.sum(0).
    Each parameter is updated in place; losses[k] is the loss before update k.
    """
    W1, b1, W2, b2 = params
    losses = []
    for _ in range(steps):
        z1 = x @ W1 + b1
        h = np.maximum(z1, 0)
        loss, dlogits = softmax_cross_entropy(h @ W2 + b2, y)
        dz1 = (dlogits @ W2.T) * (z1 > 0)
        grads = [x.T @ dz1, dz1.sum(axis=0), h.T @ dlogits, dlogits.sum(axis=0)]
        for param, grad in zip(params, grads):
            param -= learning_rate * grad
        losses.append(loss)
    return losses


check_train_two_layer(train_two_layer)
