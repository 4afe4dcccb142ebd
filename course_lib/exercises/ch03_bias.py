"""The exercises of chapter 03 (``notebooks/03_bias.ipynb``): ``prior_bias``, ``dead_fraction`` and the main exercise
``train_and_count_dead`` (the output bias from the priors, then a dead-unit count at every step of training)."""

import math

import numpy as np

from ._grading import _as_array, _call, _exercise, _printer, _recording_mlp, _reference_softmax, _Wrong

__all__ = ["check_prior_bias", "check_dead_fraction", "check_train_and_count_dead"]

_START = "chapter 03, section 3 'How to start the biases'"
_DEAD = "chapter 03, section 4 'Dead ReLUs'"


@_exercise("prior_bias")
def _grade_prior_bias(fn):
    rng = np.random.default_rng(3)
    cases = [  # (labels, num_classes, what the case is)
        (np.array([0] * 90 + [1] * 9 + [2] * 1), 3, "90/9/1 examples of 3 classes"),
        (rng.permutation(np.array([0] * 10 + [1] * 60 + [3] * 30)), 5,
         "shuffled labels, 10/60/0/30/0 examples of 5 classes: classes 2 and 4 absent"),
    ]
    for y, k, label in cases:
        case = f" ({label})"
        given = y.copy()
        b = _as_array(_call(fn, given, k, case=case), "the bias")
        if not np.array_equal(given, y):
            raise _Wrong(f"your function changed y{case}", "count the labels without sorting or editing them: the "
                                                            "caller's labels must stay as they were.")
        counts = np.bincount(y, minlength=k)
        present = counts > 0
        if b.shape != (k,):
            dropped = ""
            if b.shape == (int(present.sum()),) or b.shape == (int(y.max()) + 1,):
                dropped = ": the classes absent from y are missing (np.unique lists only the labels that occur, " \
                          "np.bincount without minlength stops at the largest)"
            raise _Wrong(f"result has shape {b.shape}, expected ({k},), one bias per class{dropped}{case}",
                         f"b has num_classes entries in class order, a class absent from y included ({_START}).")
        freq = counts / counts.sum()
        if np.any(np.isnan(b)) or not np.all(np.isfinite(b[present])):
            raise _Wrong(f"the bias contains nan, or inf for a class that occurs{case}",
                         f"a class that occurs has a finite bias: re-read {_START}.")
        if np.allclose(b, freq):
            raise _Wrong(f"you returned the class frequencies{case}",
                         f"softmax(b) should equal them, and softmax exponentiates b: re-read {_START}.")
        p = _reference_softmax(b[None, :])[0]
        if not np.allclose(p, freq, rtol=0, atol=1e-6):  # log(p + 1e-8), a finite stand-in for log 0, passes
            absent = "" if present.all() else " (an absent class has frequency 0: its bias is -inf, np.log(0))"
            raise _Wrong(f"softmax(b) = {np.round(p, 3).tolist()}, expected the class frequencies "
                         f"{np.round(freq, 3).tolist()}{absent}{case}",
                         f"the untrained network should predict the class priors: re-read {_START}.")
    return ("softmax(b) equals the class frequencies, a class absent from y included (frequency 0), and y is left "
            "as it was: the untrained network predicts the priors.")


@_exercise("dead_fraction")
def _grade_dead_fraction(fn):
    a = np.array([[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 2.0, 0.0], [0.0, 3.0, 0.0, 0.0]])
    got = _call(fn, a, case=" (3 examples, 4 units)")
    try:
        got = float(got)
    except (TypeError, ValueError):
        raise _Wrong(f"return a number, got {type(got).__name__}") from None
    if math.isclose(got, 9 / 12):
        raise _Wrong("you returned the fraction of zero values (9 of 12)",
                     f"a unit is dead when it is 0 for every example, not each 0 value on its own: re-read "
                     f"{_DEAD}.")
    if math.isclose(got, 0.0) or math.isclose(got, 0.25):
        raise _Wrong(f"returned {got:.3g}; units 0 and 3 are 0 for every example",
                     "columns are units, rows examples (chapter 00's shape table, 'One layer: many neurons at once').")
    if not math.isclose(got, 0.5):
        raise _Wrong(f"returned {got:.3g}, expected 0.5 (units 0 and 3 of 4)",
                     "return the fraction of the units that are dead, a number in [0, 1].")
    return "counts the units (columns) that are 0 for every example (row)."


check_prior_bias = _printer("prior_bias")
check_dead_fraction = _printer("dead_fraction")


# --------------------------------------------------------------------------------------------------
# main exercise: start the output bias at the priors, train, and count the dead units at every step
# --------------------------------------------------------------------------------------------------


def _imbalanced_clusters(counts=(20, 120, 60)):
    """Three clusters of unequal size (10% / 60% / 30%: the largest class is not class 0)."""
    rng = np.random.default_rng(30)
    y = np.repeat(np.arange(3), counts)
    centers = np.array([[-2.0, 0.0], [2.0, 0.0], [0.0, 2.5]])
    return centers[y] + rng.normal(scale=0.8, size=(len(y), 2)), y


def _reference_dead_run(model, x, y, learning_rate, steps):
    """The reference: (dead counts of shape (steps + 1, hidden layers), losses, final params) from ``model``'s
    parameters, without touching ``model``."""
    from ..nn import MLP, softmax_cross_entropy

    twin = MLP(model.sizes, activation="relu", init="zeros", dtype="float64")
    twin.params = [p.copy() for p in model.params]
    counts = np.bincount(y, minlength=model.sizes[-1])
    twin.biases[-1][:] = np.log(counts / counts.sum())
    dead, losses = [], []
    for t in range(steps + 1):
        logits = twin.forward(x)
        dead.append([int(np.all(a == 0, axis=0).sum()) for a in twin.layer_inputs[1:]])
        if t == steps:
            break
        loss, dlogits = softmax_cross_entropy(logits, y)
        losses.append(loss)
        for param, grad in zip(twin.params, twin.backward(dlogits)):
            param -= learning_rate * grad
    return np.array(dead), losses, twin.params


def _other_counts(records, x, sizes):
    """What typical wrong trackers count at each recorded forward pass: zero values, and examples whose whole layer
    is 0 (rows instead of columns)."""
    from ..nn import MLP

    zeros, rows = [], []
    for _, params in records:
        twin = MLP(sizes, activation="relu", init="zeros", dtype="float64")
        twin.params = params
        twin.forward(x)
        zeros.append([int(np.sum(a == 0)) for a in twin.layer_inputs[1:]])
        rows.append([int(np.all(a == 0, axis=1).sum()) for a in twin.layer_inputs[1:]])
    return np.array(zeros), np.array(rows)


def _run_dead_tracker(fn, sizes, seed, learning_rate, steps):
    x, y = _imbalanced_clusters()
    model = _recording_mlp(sizes, seed=seed)
    start = [p.copy() for p in model.params]
    hidden = len(sizes) - 2
    case = (f" (a {'-'.join(map(str, sizes))} ReLU network, 200 examples in classes of 10%/60%/30%, "
            f"learning_rate {learning_rate}, steps={steps})")
    x_given, y_given = x.copy(), y.copy()
    out = _call(fn, model, x_given, y_given, learning_rate, steps, case=case,
                hint="model.layer_inputs[1:] holds each hidden layer's output after model.forward(x).")
    if not (np.array_equal(x_given, x) and np.array_equal(y_given, y)):
        raise _Wrong(f"your function changed x or y{case}", "only the model's parameters change.")
    if out is None or isinstance(out, (str, bytes)):
        raise _Wrong(f"return the dead counts, an integer array of shape (steps + 1, hidden layers), got "
                     f"{type(out).__name__}{case}")
    dead = np.asarray(out)
    want_shape = (steps + 1, hidden)
    if dead.shape != want_shape:
        rows = " (one row per step without the start, or without the count after the last update)" \
            if dead.shape == (steps, hidden) else " (one column per hidden layer, the output layer not counted)" \
            if dead.shape == (steps + 1, hidden + 1) else " (rows are steps, columns layers)" \
            if dead.shape == want_shape[::-1] else ""
        raise _Wrong(f"result has shape {dead.shape}, expected {want_shape}{rows}{case}",
                     "row t counts each hidden layer's dead units after t updates: row 0 at the start, row steps after "
                     "the last update.")
    if not np.issubdtype(dead.dtype, np.integer):
        what = "fractions" if dead.dtype.kind == "f" and np.all(dead <= 1) and np.any((dead > 0) & (dead < 1)) \
            else "floats"
        raise _Wrong(f"the counts are {what} (dtype {dead.dtype}), expected integers{case}",
                     "count units: np.all(a == 0, axis=0).sum() is an integer; keep it one (an int array, "
                     "np.array(counts, dtype=int)), not a fraction or a float.")
    if not model.backwards:
        raise _Wrong(f"model.backward was never called{case}", "each step: forward, loss, backward, update.")
    first = model.backwards[0][1]
    bias, counts = first[-1], np.bincount(y, minlength=sizes[-1])
    log_priors = np.log(counts / counts.sum())
    if np.allclose(bias, start[-1]):
        raise _Wrong(f"the output bias did not start at the log priors: at the first step it was still "
                     f"{np.round(bias, 3).tolist()}{case}",
                     "set it in place, model.biases[-1][:] = ...: `model.biases[-1] = ...` replaces an entry of a "
                     "new list, and the model never sees it.")
    if np.allclose(bias, counts / counts.sum()):
        raise _Wrong(f"the output bias started at the class frequencies, not at their log{case}",
                     f"softmax(b) should equal the frequencies: b = log(frequencies) ({_START}).")
    if not np.allclose(bias - bias.mean(), log_priors - log_priors.mean(), atol=1e-9):
        raise _Wrong(f"the output bias started at {np.round(bias, 3).tolist()}, expected the log priors "
                     f"{np.round(log_priors, 3).tolist()} (any constant added to all of them is as good){case}",
                     f"count every class of y, in class order: re-read {_START}.")
    if not all(np.array_equal(p, q) for p, q in zip(first[:-1], start[:-1])):
        raise _Wrong(f"parameters other than the output bias changed before the first step{case}",
                     "only the output bias starts at the priors; the weights and the hidden biases stay as given.")
    want, losses, final = _reference_dead_run(_start_model(sizes, start), x, y, learning_rate, steps)
    if len(model.backwards) != steps:
        raise _Wrong(f"your loop made {len(model.backwards)} updates for steps={steps}{case}",
                     "make exactly `steps` full-batch gradient steps.")
    if not all(np.allclose(p, q, rtol=1e-8, atol=1e-10) for p, q in zip(model.params, final)):
        raise _Wrong(f"after {steps} steps the parameters differ from {steps} full-batch gradient steps{case}",
                     "each step: logits = model.forward(x); loss, dlogits = softmax_cross_entropy(logits, y); "
                     "param -= learning_rate * grad for every param and grad of model.backward(dlogits).")
    if not np.array_equal(dead, want):
        zeros, rows = _other_counts(model.forwards, x, sizes)
        if len(zeros) == steps + 1 and np.array_equal(dead, zeros):
            raise _Wrong(f"you counted the zero values (examples x units), not the dead units{case}",
                         f"a unit is dead when it outputs 0 for every example: np.all(a == 0, axis=0) ({_DEAD}).")
        if len(rows) == steps + 1 and np.array_equal(dead, rows):
            raise _Wrong(f"you counted examples (rows) on which the whole layer is 0, not units (columns){case}",
                         "columns are units, rows examples (chapter 00's shape table).")
        if np.array_equal(dead[1:], want[:-1]) or np.array_equal(dead[:-1], want[1:]):
            raise _Wrong(f"your counts are shifted by one step: {dead[:, -1].tolist()} in the last hidden layer, "
                         f"expected {want[:, -1].tolist()}{case}",
                         "row t is measured after t updates: row 0 before the first update, the last row after the "
                         "last one (one more forward pass).")
        if np.all(np.diff(dead, axis=0) >= 0) and np.any(np.diff(want, axis=0) < 0):
            raise _Wrong(f"your counts never go down: {dead[:, -1].tolist()} in the last hidden layer, expected "
                         f"{want[:, -1].tolist()}{case}",
                         "count the units dead at step t only, measured afresh: a unit of a deeper layer comes back "
                         f"when the layers below change its inputs ({_DEAD}).")
        raise _Wrong(f"dead counts of the last hidden layer {dead[:, -1].tolist()}, expected "
                     f"{want[:, -1].tolist()}{case}",
                     f"count, in each hidden layer, the units that output 0 for every example of x ({_DEAD}).")
    return want, losses


def _start_model(sizes, params):
    from ..nn import MLP

    model = MLP(sizes, activation="relu", init="zeros", dtype="float64")
    model.params = [p.copy() for p in params]
    return model


@_exercise("train_and_count_dead")
def _grade_train_and_count_dead(fn):
    dead, losses = _run_dead_tracker(fn, [2, 16, 16, 3], seed=0, learning_rate=3.0, steps=12)
    _run_dead_tracker(fn, [2, 12, 8, 6, 3], seed=1, learning_rate=1.0, steps=5)  # three hidden layers, three widths
    priors = np.array([0.1, 0.6, 0.3])
    entropy = float(-np.sum(priors * np.log(priors)))
    return (f"the output bias starts at the log priors and the dead counts match at every step of 2 runs. At lr 3.0, "
            f"hidden layer 2 had {' '.join(map(str, dead[:, 1]))} dead units of 16 over 12 steps, and the loss ended "
            f"at {losses[-1]:.3f}, near the priors' entropy {entropy:.3f}: the network fell back to the priors.")


check_train_and_count_dead = _printer("train_and_count_dead")
