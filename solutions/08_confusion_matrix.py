# Reference solution, chapter 08: the confusion matrix, rows = true classes, columns = predicted ones.
# Load it into a notebook cell with:  %load ../solutions/08_confusion_matrix.py
import numpy as np

from course_lib.exercises import check_confusion_matrix


def confusion_matrix(y_true, y_pred, classes):
    """C[i, j] = how many examples of true class i were predicted as class j. np.add.at adds once per
    example, repeats included (C[y_true, y_pred] += 1 would add once per distinct pair)."""
    C = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(C, (y_true, y_pred), 1)
    return C


check_confusion_matrix(confusion_matrix)
