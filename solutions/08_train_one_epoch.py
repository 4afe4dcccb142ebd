# Reference solution, chapter 08: one training epoch from the pieces (what `train` does for one epoch).
# Load it into a notebook cell with:  %load ../solutions/08_train_one_epoch.py
import numpy as np

from course_lib.exercises import check_train_one_epoch
from course_lib.nn import softmax_cross_entropy


def train_one_epoch(model, optimizer, x, y, batch_size, rng):
    """Visit every example once, in an order shuffled by rng, in mini-batches of batch_size (the last one smaller):
    forward, mean softmax cross-entropy, backward, one optimizer step per batch. Returns the epoch's training loss
    and accuracy: each example's loss and prediction from its batch's forward pass, before that batch's step."""
    n = len(x)
    order = rng.permutation(n)  # a new order every epoch; x and y stay as they are
    total_loss, correct = 0.0, 0
    for start in range(0, n, batch_size):  # the last slice is shorter, and it counts
        batch = order[start:start + batch_size]
        logits = model.forward(x[batch])
        loss, dlogits = softmax_cross_entropy(logits, y[batch])  # the batch's MEAN loss and its gradient
        optimizer.step(model.backward(dlogits))
        total_loss += loss * len(batch)  # weighed by the batch's size: every example counts once
        correct += int(np.sum(logits.argmax(axis=1) == y[batch]))  # measured before the step
    return total_loss / n, correct / n


check_train_one_epoch(train_one_epoch)
