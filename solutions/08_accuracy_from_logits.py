# Reference solution, chapter 08: accuracy from the logits, as a fraction in [0, 1].
# Load it into a notebook cell with:  %load ../solutions/08_accuracy_from_logits.py
import numpy as np

from course_lib.exercises import check_accuracy_from_logits


def accuracy_from_logits(logits, y):
    """One example per row: its prediction is the class of its largest logit (softmax keeps the order, so
    it is not needed); the accuracy is the mean of the right predictions."""
    return float(np.mean(np.argmax(logits, axis=1) == y))


check_accuracy_from_logits(accuracy_from_logits)
