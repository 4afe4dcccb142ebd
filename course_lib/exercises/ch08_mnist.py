"""The exercises of chapter 08 (``notebooks/08_mnist.ipynb``): ``accuracy_from_logits``, ``confusion_matrix`` and the
main exercise ``train_one_epoch`` (one epoch from the pieces, checked step by step, then on MNIST to a stated
accuracy)."""

import functools
import math

import numpy as np

from ._grading import _as_array, _call, _exercise, _printer, _Wrong

__all__ = ["check_accuracy_from_logits", "check_confusion_matrix", "check_train_one_epoch"]

_ROWS = "chapter 00's shape table ('One layer: many neurons at once')"
_ERRORS = "chapter 08, section 8 'What the network gets wrong'"


@_exercise("accuracy_from_logits")
def _grade_accuracy_from_logits(fn):
    rng = np.random.default_rng(8)
    cases = [rng.normal(size=(10, 10)), rng.normal(size=(7, 3)), rng.normal(size=(12, 10))]  # square first
    more = np.random.default_rng(80)  # whole numbers: many rows with two or more equal largest logits; one example
    cases += [np.round(more.normal(size=(12, 4))), more.normal(size=(1, 5))]
    for logits in cases:
        n, classes = logits.shape
        y = rng.integers(0, classes, size=n)
        predicted = logits.argmax(axis=1)
        y[: n // 2] = predicted[: n // 2]  # at least half right ...
        if n == classes:  # ... and the other half what the argmax over the wrong axis would give
            y[n // 2:] = logits.argmax(axis=0)[n // 2:]
        top = logits == logits.max(axis=1, keepdims=True)
        tied = np.flatnonzero(top.sum(axis=1) > 1)
        for k, i in enumerate(tied):  # two tied rows labelled with their last tied class, the others the first:
            y[i] = np.flatnonzero(top[i])[-1 if k < 2 else 0]  # argmax, "last of the ties" and "any" all differ
        label = "with ties for the largest logit" if len(tied) else ""
        case = f" (logits of shape {logits.shape}{', ' + label if label else ''})"
        given = (logits.copy(), y.copy())
        got = _call(fn, *given, case=case, hint=f"logits has one row per example and one column per class ({_ROWS}); "
                                                 f"y one class per example.")
        if not (np.array_equal(given[0], logits) and np.array_equal(given[1], y)):
            raise _Wrong(f"your function changed {'logits' if not np.array_equal(given[0], logits) else 'y'}{case}",
                         "the caller's logits and labels must stay as they were: `logits -= ...` overwrites them; "
                         "and no softmax is needed to find the largest logit.")
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
        if len(tied) and math.isclose(got, float(np.mean(top[np.arange(n), y]))):
            raise _Wrong(f"a tie counted as right whenever the true class is among the largest logits{case}",
                         "the prediction is one class, np.argmax's: on a tie, the first of the tied classes (the "
                         "lowest index), as model.predict does.")
        last_of_ties = classes - 1 - logits[:, ::-1].argmax(axis=1)
        if len(tied) and math.isclose(got, float(np.mean(last_of_ties == y))):
            raise _Wrong(f"on a tie you predicted the last of the tied classes{case}",
                         "the prompt's rule is np.argmax's (and model.predict's): on a tie, the first of the tied "
                         "classes, the lowest index.")
        if not math.isclose(got, want, abs_tol=1e-12):
            raise _Wrong(f"got {got:.4g}, expected {want:.4g}{case}",
                         "the prediction is a class index, the class with the largest logit (on a tie the first one, "
                         "as np.argmax), not a logit value.")
    return "the fraction of rows whose largest logit is at the true class, on 5 cases (ties to the first class, as " \
           "np.argmax; the inputs left unchanged; no softmax needed)."


@_exercise("confusion_matrix")
def _grade_confusion_matrix(fn):
    from ..mnist_tools import confusion_matrix

    cases = [
        # 4 classes; class 3 never occurs (its row and column must still be there), repeated pairs, and 0 -> 1
        # confused twice while 1 -> 0 never is (a transposed matrix shows)
        (np.array([0, 0, 0, 1, 1, 2, 2, 2, 0, 1, 2, 0]), np.array([0, 1, 1, 1, 1, 2, 0, 2, 0, 2, 2, 0]), 4),
        # 5 classes; class 0 is never the true class (only predicted), class 2 never occurs: absent classes first
        # and in the middle, so that numbering the classes seen shifts every row
        (np.array([1, 1, 3, 4, 4, 4, 3, 1]), np.array([0, 1, 3, 4, 0, 4, 1, 1]), 5),
    ]
    for y_true, y_pred, classes in cases:
        case = f" (y_true={y_true.tolist()}, y_pred={y_pred.tolist()}, classes={classes})"
        given = (y_true.copy(), y_pred.copy())
        try:
            raw = _call(fn, *given, classes, case=case)
        except _Wrong as wrong:
            if "cannot reshape" not in wrong.detail:
                raise
            raise _Wrong(f"your function could not reshape its counts to ({classes}, {classes}){case}",
                         "every class needs its counts, even one that never occurs (here the last): np.bincount "
                         "counts only up to the largest value it is given, unless told how many to count.",
                         wrong.detail) from None
        if not (np.array_equal(given[0], y_true) and np.array_equal(given[1], y_pred)):
            raise _Wrong(f"your function changed y_true or y_pred{case}",
                         "count the labels without sorting or editing them: the caller's labels stay as they were.")
        got = _as_array(raw, "the result")
        want = confusion_matrix(y_true, y_pred, classes)
        if got.shape != want.shape:
            seen = len(np.unique(np.concatenate([y_true, y_pred])))
            hint = ("make a (classes, classes) array: every class gets a row and a column, even one that never occurs."
                    if got.shape == (seen, seen) else "C has one row per true class and one column per predicted "
                                                      "class, classes of each.")
            raise _Wrong(f"result has shape {got.shape}, expected {want.shape}{case}", hint)
        if np.allclose(got, want / len(y_true)) or np.allclose(got, want / np.maximum(want.sum(axis=1, keepdims=True),
                                                                                       1)):
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
        seen = np.unique(np.concatenate([y_true, y_pred]))
        shifted = np.zeros_like(want)
        np.add.at(shifted, (np.searchsorted(seen, y_true), np.searchsorted(seen, y_pred)), 1)
        if not np.array_equal(shifted, want) and np.array_equal(got, shifted):
            raise _Wrong(f"the classes were numbered in the order seen, so every class after an absent one moved{case}",
                         "class i is row i and column i, whichever classes occur: index C with the labels "
                         "themselves.")
        if not np.array_equal(got, want):
            raise _Wrong(f"got {got.astype(int).tolist()}, expected {want.tolist()}{case}",
                         "C[i, j] = the number of examples of true class i predicted as class j.")
        dtype = np.asarray(raw).dtype
        if dtype.kind not in "iu":
            raise _Wrong(f"the counts are right but stored as {dtype} numbers{case}",
                         "counts are integers: np.zeros((classes, classes)) makes floats; give it dtype=int.")
    return "C[i, j] counts true class i predicted as j: repeats counted, every class kept (absent ones too, first, " \
           "middle or last), rows = true classes, integers."


check_accuracy_from_logits = _printer("accuracy_from_logits")
check_confusion_matrix = _printer("confusion_matrix")


# --------------------------------------------------------------------------------------------------
# main exercise: one training epoch from the pieces, checked step by step, then on MNIST to a stated accuracy
# --------------------------------------------------------------------------------------------------

_LOOP = "chapter 08, section 2 'Training to 98%' (what `train` does)"
_MNIST_TRAIN, _MNIST_VAL = 3000, 2000  # the subset the second run trains on, and the images it is measured on
# One epoch of the reference loop on this subset (a 784-64-10 float64 network, seed 8, Adam lr 2e-3, batches of
# 50), over 40 shuffling seeds: validation accuracy 84.6% to 87.2%, mean 86.1%, std 0.67 points. The bar, 82%, is
# 6 standard deviations below the mean: a right loop passes whatever calls of rng give its batches. On the synthetic
# stand-in (20 seeds): 94.8% to 98.5%, mean 97.2%, std 1.0 points; its bar, 90%, is 7 standard deviations below.
_LEAST_ACCURACY = {"MNIST": 0.82, "synthetic": 0.90}


@functools.lru_cache(maxsize=1)
def _epoch_data():
    """``(name, x_train, y_train, x_val, y_val)``: 3000 training and 2000 validation images of MNIST (the first of
    the course's split, ``validation_split``'s seed 0; pixels / 255, float64), found by ``load_mnist`` without
    downloading (``COURSE_DATA_DIR`` or the cache); if MNIST is not there, a synthetic stand-in of the same shapes:
    ten random templates (15% of the pixels each), each image one of them with half of its pixels kept, all dimmed at
    random, and half of all pixels lit at random."""
    try:
        from ..data import load_mnist
        from ..data.split import MNIST_VALIDATION_SEED, MNIST_VALIDATION_SIZE

        (x, y), _ = load_mnist(download=False, progress=False)
        order = np.random.default_rng(MNIST_VALIDATION_SEED).permutation(len(y))
        train = np.sort(order[MNIST_VALIDATION_SIZE:])[:_MNIST_TRAIN]
        val = np.sort(order[:MNIST_VALIDATION_SIZE])[:_MNIST_VAL]
        data = ("MNIST", x[train] / 255.0, y[train], x[val] / 255.0, y[val])
    except (OSError, ValueError):  # not found (MNISTNotFoundError is a FileNotFoundError), or not readable
        rng = np.random.default_rng(8)
        templates = rng.random((10, 784)) < 0.15

        def images(n):
            labels = rng.integers(0, 10, size=n)
            lit = templates[labels] * (rng.random((n, 784)) < 0.5) * rng.random((n, 784))  # half its strokes, dimmed
            noise = (rng.random((n, 784)) < 0.5) * rng.random((n, 784))  # half the pixels lit at random
            return np.clip(lit + noise, 0.0, 1.0), labels

        data = ("synthetic", *images(_MNIST_TRAIN), *images(_MNIST_VAL))
    for a in data[1:]:
        a.flags.writeable = False  # cached: a grader must not change them
    return data



def _epoch_model(sizes, seed):
    """A float64 ReLU MLP that keeps, at every ``backward`` call, the batch of the forward pass before it."""
    from ..nn import MLP

    class EpochMLP(MLP):
        def backward(self, dlogits):
            self.backward_batches.append(np.array(self.layer_inputs[0]) if self._cache is not None else None)
            return super().backward(dlogits)

    model = EpochMLP(sizes, rng=seed, dtype="float64")
    model.backward_batches = []
    return model


def _epoch_optimizer(model, optimizer_class, settings):
    """``optimizer_class(model.params, **settings)`` that records, at every ``step``, how many backward calls came
    before it, the parameters before and after the step and the gradients it was given."""

    class Recording(optimizer_class):
        def step(self, grads):
            grads = list(grads)
            self.records.append(dict(backwards=len(model.backward_batches), before=[p.copy() for p in model.params],
                                     grads=[np.array(g, dtype=float) for g in grads]))
            super().step(grads)
            self.records[-1]["after"] = [p.copy() for p in model.params]

    optimizer = Recording(model.params, **settings)
    optimizer.records = []
    return optimizer


def _loss_and_grads(sizes, params, xb, yb):
    """The batch's mean softmax cross-entropy, its gradients and the number of right predictions, at ``params``."""
    from ..nn import MLP, softmax_cross_entropy

    twin = MLP(sizes, init="zeros", dtype="float64")
    twin.params = [p.copy() for p in params]
    logits = twin.forward(xb)
    loss, dlogits = softmax_cross_entropy(logits, yb)
    return loss, [g.copy() for g in twin.backward(dlogits)], int(np.sum(logits.argmax(axis=1) == yb))


def _epoch_batches(model, records, x, batch_size, case):
    """The rows of x each step trained on (from the backward call before it); checks count, sizes and coverage."""
    n = len(x)
    expected = -(-n // batch_size)
    steps = len(records)
    if steps != expected:
        if steps == 1:
            what = "one optimizer step for the whole epoch: that is one step of full-batch gradient descent"
        elif steps == n // batch_size:
            what = f"the last, smaller batch of {n % batch_size} examples is missing"
        else:
            what = f"expected ceil({n} / {batch_size}) = {expected}"
        raise _Wrong(f"your epoch made {steps} optimizer step{'s' if steps != 1 else ''} for {n} examples in batches "
                     f"of {batch_size}: "
                     f"{what}{case}",
                     f"one step per mini-batch: slices [i:i + batch_size] of the shuffled order for i in "
                     f"range(0, n, batch_size); the last slice is shorter, and it counts ({_LOOP}).")
    where = {row.tobytes(): i for i, row in enumerate(np.asarray(x, dtype=float))}  # x's rows are distinct
    batches = []
    for k, record in enumerate(records):
        batch = model.backward_batches[record["backwards"] - 1] if record["backwards"] else None
        rows = [where.get(row.tobytes()) for row in np.asarray(batch, dtype=float)] if batch is not None else [None]
        if None in rows:
            raise _Wrong(f"step {k} did not train on rows of x{case}",
                         "before each step: logits = model.forward(x[batch]), then backward on that batch.")
        batches.append(np.array(rows))
    sizes = [len(b) for b in batches]
    want_sizes = [batch_size] * (expected - 1) + [n - batch_size * (expected - 1)]
    if sizes != want_sizes:
        raise _Wrong(f"your batches have {', '.join(map(str, sizes[:6]))}{', ...' if len(sizes) > 6 else ''} "
                     f"examples; expected {batch_size} each, the last one {want_sizes[-1]}{case}",
                     "cut the shuffled order into slices of batch_size, the last one shorter.")
    seen = np.concatenate(batches)
    if not np.array_equal(np.sort(seen), np.arange(n)):
        twice = int(n - len(np.unique(seen)))
        raise _Wrong(f"{twice} examples were trained on twice in the epoch, and as many not at all{case}",
                     "an epoch visits every example exactly once: a permutation of the indices (rng.permutation), "
                     "not draws with replacement.")
    if np.array_equal(seen, np.arange(n)):
        raise _Wrong(f"no shuffle: the batches take the examples in the order of x{case}",
                     f"shuffle the order of the examples with rng at the start of the epoch ({_LOOP}): examples "
                     "stored by class, or in any fixed order, give batches that are not random samples.")
    return batches


def _epoch_result(out, case):
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise _Wrong(f"return the pair (loss, accuracy), got {type(out).__name__}{case}",
                     "two numbers: the epoch's mean training loss and its training accuracy.")
    values = []
    for value, name in zip(out, ("loss", "accuracy")):
        try:
            values.append(float(value))
        except (TypeError, ValueError):
            raise _Wrong(f"the {name} should be a number, got {type(value).__name__}{case}") from None
    return values


def _run_epoch(fn, x, y, sizes, optimizer_class, settings, batch_size, seed, case):
    """Run the learner's epoch on a recording model and optimizer; check every step and the returned loss and
    accuracy. Returns the model and the batches (as index arrays)."""
    model = _epoch_model(sizes, seed)
    start = [p.copy() for p in model.params]
    optimizer = _epoch_optimizer(model, optimizer_class, settings)
    x_given, y_given = x.copy(), y.copy()
    try:
        out = _call(fn, model, optimizer, x_given, y_given, batch_size, np.random.default_rng(seed), case=case)
    except _Wrong as wrong:
        if "dlogits must have the logits' shape" in wrong.what:
            wrong.hint = ("model.backward uses what the last model.forward kept: a forward pass on other data "
                          "between them (an evaluation, a prediction on x) replaces the batch's. Measure the batch "
                          "on the logits of its own forward pass.")
        raise
    if not (np.array_equal(x_given, x) and np.array_equal(y_given, y)):
        raise _Wrong(f"your function changed x or y{case}",
                     "shuffle an index array (rng.permutation(len(x))) and take x[batch], y[batch]: copies.")
    loss, accuracy = _epoch_result(out, case)
    records = optimizer.records
    batches = _epoch_batches(model, records, x, batch_size, case)
    names = [f"{'Wb'[i % 2]}{i // 2 + 1}" for i in range(len(start))]
    losses, corrects = [], []
    for k, (record, batch) in enumerate(zip(records, batches)):
        previous = start if k == 0 else records[k - 1]["after"]
        moved = [names[i] for i, (a, b) in enumerate(zip(previous, record["before"])) if not np.array_equal(a, b)]
        if moved:
            when = "before the first step" if k == 0 else f"between steps {k - 1} and {k}"
            raise _Wrong(f"{', '.join(moved)} changed {when} other than by optimizer.step{case}",
                         "only optimizer.step changes the parameters: start from the model as it is given.")
        batch_loss, want, correct = _loss_and_grads(sizes, record["before"], x[batch], y[batch])
        got = record["grads"]
        if not all(np.allclose(g, w, rtol=1e-7, atol=1e-12) for g, w in zip(got, want)):
            summed = all(np.allclose(g, len(batch) * w, rtol=1e-7, atol=1e-12) for g, w in zip(got, want))
            raise _Wrong(f"at step {k} the gradients given to optimizer.step are "
                         + (f"those of the summed loss, {len(batch)} times the mean's: with the same lr, steps "
                            f"{len(batch)} times too large" if summed else "not those of the batch's mean loss")
                         + case,
                         "the loss is the batch's mean softmax cross-entropy (softmax_cross_entropy gives it and its "
                         "dlogits); model.backward(dlogits) right after the forward pass on the same batch.")
        losses.append(batch_loss)
        corrects.append(correct)
    n, sizes_ = len(x), np.array([len(b) for b in batches])
    want_loss, want_accuracy = float(np.dot(losses, sizes_) / n), sum(corrects) / n
    final = _loss_and_grads(sizes, records[-1]["after"], x, y)
    if not math.isclose(loss, want_loss, rel_tol=1e-7, abs_tol=1e-12):
        if math.isclose(loss, float(np.mean(losses)), rel_tol=1e-7):
            raise _Wrong(f"the loss {loss:.6g} is the mean of the batch means; expected {want_loss:.6g}{case}",
                         "the last batch is smaller: weigh each batch's mean loss by its size (the sum of loss * "
                         "len(batch), divided by n), so that every example counts once, as train's history does.")
        if math.isclose(loss, losses[-1], rel_tol=1e-7):
            raise _Wrong(f"the loss {loss:.6g} is the last batch's; expected the epoch's, {want_loss:.6g}{case}")
        if math.isclose(loss, final[0], rel_tol=1e-7):
            raise _Wrong(f"the loss {loss:.6g} is the trained model's loss on x after the epoch; expected the training "
                         f"loss measured during the epoch, {want_loss:.6g}{case}",
                         "the epoch's training loss averages each batch's loss, measured on its forward pass before "
                         "its step: no second pass over the data.")
        raise _Wrong(f"the loss is {loss:.6g}, expected {want_loss:.6g}{case}",
                     "the mean over the n examples of their loss, each measured on its batch before that batch's "
                     "step.")
    if not math.isclose(accuracy, want_accuracy, abs_tol=1e-12):
        if math.isclose(accuracy, 100 * want_accuracy):
            raise _Wrong(f"the accuracy {accuracy:g} is a percentage{case}", "return the fraction in [0, 1].")
        if math.isclose(accuracy, sum(corrects)):
            raise _Wrong(f"the accuracy {accuracy:g} is the number of right predictions{case}",
                         "return the fraction in [0, 1].")
        if math.isclose(accuracy, final[2] / n):
            raise _Wrong(f"the accuracy {accuracy:.4f} is the trained model's, measured on x after the epoch; "
                         f"expected the training accuracy measured during the epoch, {want_accuracy:.4f}{case}",
                         "count each batch's right predictions from the logits of its forward pass, before its step "
                         "(as train's history does); evaluating the model after the epoch is another measurement.")
        after_step = sum(_loss_and_grads(sizes, r["after"], x[b], y[b])[2] for r, b in zip(records, batches))
        if math.isclose(accuracy, after_step / n):
            raise _Wrong(f"the accuracy {accuracy:.4f} was measured on each batch after its step; expected "
                         f"{want_accuracy:.4f}{case}",
                         "count the right predictions from the logits the step was computed from, before the update.")
        raise _Wrong(f"the accuracy is {accuracy:.4f}, expected {want_accuracy:.4f}{case}",
                     "the fraction of the n examples whose largest logit, in their batch's forward pass before its "
                     "step, is at the true class.")
    return model, batches


@_exercise("train_one_epoch")
def _grade_train_one_epoch(fn):
    from ..optim import SGD, Adam

    # 1. eleven examples, batches of 4 (4, 4, 3), plain SGD: every step, the loss and the accuracy checked; twice
    # with the same seed (the same batches) and once with another (other batches)
    rng = np.random.default_rng(80)
    x, y = rng.normal(size=(11, 5)), np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 2, 0])
    sizes, case = [5, 8, 3], " (11 examples, batch_size 4, SGD(lr=0.5))"
    _, first = _run_epoch(fn, x, y, sizes, SGD, dict(lr=0.5), 4, seed=1, case=case)
    _, again = _run_epoch(fn, x, y, sizes, SGD, dict(lr=0.5), 4, seed=1, case=case)
    _, other = _run_epoch(fn, x, y, sizes, SGD, dict(lr=0.5), 4, seed=2, case=case)
    if any(not np.array_equal(a, b) for a, b in zip(first, again)):
        raise _Wrong(f"two epochs with generators of the same seed gave different batches{case}",
                     "draw the order from the generator `rng` your function is given, not from np.random's global "
                     "state: the same seed must give the same epoch.")
    if all(np.array_equal(a, b) for a, b in zip(first, other)):
        raise _Wrong(f"generators of different seeds gave the same batches{case}",
                     "shuffle with the `rng` your function is given, not with a generator of your own.")
    # 2. the setting that matters: one epoch of a 784-64-10 network on 3000 MNIST images, every step checked
    name, x, y, x_val, y_val = _epoch_data()
    sizes = [784, 64, 10]
    case = f" (one epoch on {len(y)} {name} images, batch_size 50, a 784-64-10 network, Adam(lr=0.002))"
    model, _ = _run_epoch(fn, x, y, sizes, Adam, dict(lr=0.002), 50, seed=8, case=case)
    accuracy = float(np.mean(model.forward(x_val).argmax(axis=1) == y_val))
    least = _LEAST_ACCURACY[name]
    if accuracy < least:
        raise _Wrong(f"after the epoch the validation accuracy is {accuracy:.1%}, expected at least {least:.0%}{case}")
    return (f"every step a shuffled mini-batch (the last one smaller) and the gradient of its mean loss; loss and "
            f"accuracy measured during the epoch; one epoch on {len(y)} {name} images reached {accuracy:.1%} on "
            f"{len(y_val)} validation images (at least {least:.0%} asked).")


check_train_one_epoch = _printer("train_one_epoch")
