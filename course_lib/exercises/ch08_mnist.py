"""The exercises of chapter 08 (``notebooks/08_mnist.ipynb``): ``accuracy_from_logits`` and ``confusion_matrix``."""

import math

import numpy as np

from ._grading import _as_array, _call, _exercise, _printer, _Wrong

__all__ = ["check_accuracy_from_logits", "check_confusion_matrix"]

_ROWS = "chapter 00's shape table ('One layer: many neurons at once')"
_ERRORS = "chapter 08, section 8 'What the network gets wrong'"


@_exercise("accuracy_from_logits")
def _grade_accuracy_from_logits(fn):
    rng = np.random.default_rng(8)
    cases = [rng.normal(size=(10, 10)), rng.normal(size=(7, 3)), rng.normal(size=(12, 10))]  # square first
    for logits in cases:
        n, classes = logits.shape
        y = rng.integers(0, classes, size=n)
        predicted = logits.argmax(axis=1)
        y[: n // 2] = predicted[: n // 2]  # at least half right ...
        if n == classes:  # ... and the other half what the argmax over the wrong axis would give
            y[n // 2:] = logits.argmax(axis=0)[n // 2:]
        case = f" (logits of shape {logits.shape})"
        got = _call(fn, logits.copy(), y.copy(), case=case, hint=f"logits has one row per example and one column "
                                                                  f"per class ({_ROWS}); y one class per example.")
        try:
            got = float(got)
        except (TypeError, ValueError):
            raise _Wrong(f"return one number, the fraction of right predictions, got {type(got).__name__}{case}",
                         "the accuracy is one number in [0, 1], the fraction of examples predicted right.") from None
        want = float(np.mean(predicted == y))
        if math.isclose(got, 100 * want) and want:
            raise _Wrong(f"you returned {got:g}, a percentage{case}", "return the fraction in [0, 1]; "
                                                                        "format it as a percentage with :.1%.")
        if math.isclose(got, want * n) and n > 1 and want:
            raise _Wrong(f"you returned {got:g}, the number of right predictions{case}",
                         "the accuracy is a fraction of the examples, in [0, 1].")
        if n == classes and math.isclose(got, float(np.mean(logits.argmax(axis=0) == y))) and not math.isclose(
                got, want):
            raise _Wrong(f"that is the argmax over axis 0, one per class{case}",
                         f"one example per row, one class per column ({_ROWS}): an example's prediction is read "
                         "along its row.")
        if not math.isclose(got, want, abs_tol=1e-12):
            raise _Wrong(f"got {got:.4g}, expected {want:.4g}{case}",
                         "the prediction is a class index, the class with the largest logit, not a logit value.")
    return "the fraction of rows whose largest logit is at the true class, on 3 cases (the largest logit is the " \
           "most probable class: no softmax needed)."


@_exercise("confusion_matrix")
def _grade_confusion_matrix(fn):
    from ..mnist_tools import confusion_matrix

    # 4 classes; class 3 never occurs (its row and column must still be there), repeated pairs, and 0 -> 1
    # confused twice while 1 -> 0 never is (a transposed matrix shows)
    y_true = np.array([0, 0, 0, 1, 1, 2, 2, 2, 0, 1, 2, 0])
    y_pred = np.array([0, 1, 1, 1, 1, 2, 0, 2, 0, 2, 2, 0])
    classes = 4
    case = f" (y_true={y_true.tolist()}, y_pred={y_pred.tolist()}, classes={classes})"
    got = _as_array(_call(fn, y_true.copy(), y_pred.copy(), classes, case=case), "the result")
    want = confusion_matrix(y_true, y_pred, classes)
    if got.shape != want.shape:
        hint = ("make a (classes, classes) array: every class gets a row and a column, even one that never occurs."
                if got.shape == (3, 3) else "C has one row per true class and one column per predicted class.")
        raise _Wrong(f"result has shape {got.shape}, expected {want.shape}{case}", hint)
    if np.allclose(got, want / len(y_true)) or np.allclose(got, want / np.maximum(want.sum(axis=1, keepdims=True), 1)):
        raise _Wrong(f"you returned fractions{case}", "C[i, j] counts the examples: integers that sum to n.")
    if np.array_equal(got, want.T):
        raise _Wrong(f"rows and columns are swapped{case}",
                     f"rows are the true classes, columns the predicted ones ({_ERRORS}).")
    once = np.zeros_like(want)
    once[y_true, y_pred] += 1
    if np.array_equal(got, once):
        raise _Wrong(f"each (true, predicted) pair was counted once, however often it occurs{case}",
                     "`+=` with index arrays adds 1 only once per distinct pair (numpy buffers the writes): a "
                     "repeated pair must count every time. See 'unbuffered' in numpy's documentation of ufunc.at, "
                     "or count example by example.")
    if not np.array_equal(got, want):
        raise _Wrong(f"got {got.astype(int).tolist()}, expected {want.tolist()}{case}",
                     "C[i, j] = the number of examples of true class i predicted as class j.")
    return "C[i, j] counts true class i predicted as j: repeats counted, every class kept, rows = true classes."


check_accuracy_from_logits = _printer("accuracy_from_logits")
check_confusion_matrix = _printer("confusion_matrix")
