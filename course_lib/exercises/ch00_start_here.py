"""The exercises of chapter 00 (``notebooks/00_start_here.ipynb``): ``dense_forward``, ``dense_backward`` and the
main exercise ``train_two_layer`` (the backward pass of a two-layer network, then a training loop that learns)."""

import math

import numpy as np

from ._grading import _as_array, _call, _exercise, _printer, _Wrong

__all__ = ["check_dense_forward", "check_dense_backward", "check_train_two_layer"]


@_exercise("dense_forward")
def _grade_dense_forward(fn):
    rng = np.random.default_rng(0)
    for n, fan_in, fan_out in [(1, 3, 2), (4, 5, 3), (7, 2, 6)]:
        x = rng.normal(size=(n, fan_in))
        W = rng.normal(size=(fan_in, fan_out))
        b = rng.normal(size=fan_out)
        case = f" (x {x.shape}, W {W.shape}, b {b.shape})"
        z = _as_array(_call(fn, x, W, b, case=case, hint="x holds one example per row, (batch, fan_in), and W is "
                                                          "(fan_in, fan_out), not PyTorch's (fan_out, fan_in)."),
                      "the result")
        expected = x @ W + b
        if z.shape != expected.shape:
            transposed = ": the shape of the transpose, (fan_out, batch)" if z.shape == expected.shape[::-1] else ""
            raise _Wrong(f"result has shape {z.shape}, expected {expected.shape}{transposed}{case}",
                         "z has one row per example and one column per neuron, (batch, fan_out): check the notation "
                         "in chapter 00's shape table ('One layer: many neurons at once').")
        if np.allclose(z, x @ W):
            raise _Wrong(f"the bias is missing{case}",
                         "every neuron has a bias, added to every example: see the row of b in chapter 00's shape "
                         "table ('One layer: many neurons at once').")
        if not np.allclose(z, expected):
            raise _Wrong(f"wrong values{case}",
                         "each neuron adds up its inputs times their weights, plus its bias (a matrix product, not an "
                         "element-wise one): re-read 'One neuron' and 'One layer: many neurons at once' in chapter 00.")
    return "z = x @ W + b is right on 3 cases of different shapes."


@_exercise("dense_backward")
def _grade_dense_backward(fn):
    rng = np.random.default_rng(1)
    for n, fan_in, fan_out in [(1, 3, 2), (5, 4, 3), (8, 2, 6)]:
        x = rng.normal(size=(n, fan_in))
        W = rng.normal(size=(fan_in, fan_out))
        dz = rng.normal(size=(n, fan_out))
        case = f" (x {x.shape}, W {W.shape}, dz {dz.shape})"
        out = _call(fn, x, W, dz, case=case, hint="check each shape: dx like x, dW like W, db like b (chapter 00, "
                                                   "'Loss and the backward pass').")
        if not isinstance(out, (tuple, list)) or len(out) != 3:
            raise _Wrong(f"return the tuple (dx, dW, db), got {type(out).__name__}{case}")
        dx, dW, db = (_as_array(v, name) for v, name in zip(out, ("dx", "dW", "db")))
        expected = {"dx": dz @ W.T, "dW": x.T @ dz, "db": dz.sum(axis=0)}
        backward = "chapter 00, 'Loss and the backward pass'"
        hints = {"dx": f"dx has x's shape, and each input reaches every neuron through W: re-read da in {backward}.",
                 "dW": f"dW has W's shape (fan_in, fan_out), one entry per weight: re-read dW in {backward}.",
                 "db": f"the bias is added to every example, so every example contributes to its gradient; the 1/n of "
                       f"the mean loss is already in dz: re-read db in {backward}."}
        for name, got in (("dx", dx), ("dW", dW), ("db", db)):
            want = expected[name]
            if got.shape != want.shape:
                raise _Wrong(f"{name} has shape {got.shape}, expected {want.shape}{case}", hints[name])
            if name == "db" and n > 1 and np.allclose(got, dz.mean(axis=0)):
                raise _Wrong(f"db is the mean over the batch, not the sum{case}", hints["db"])
            if not np.allclose(got, want):
                raise _Wrong(f"{name} has wrong values{case}", hints[name])
    return "dx, dW and db are right on 3 cases."


check_dense_forward = _printer("dense_forward")
check_dense_backward = _printer("dense_backward")


# --------------------------------------------------------------------------------------------------
# main exercise: the backward pass of a two-layer network, then a training loop that learns
# --------------------------------------------------------------------------------------------------

_UPDATE = "chapter 00, 'The update: gradient descent'"
_BACKWARD = "chapter 00, 'Loss and the backward pass'"
_NAMES = ("W1", "b1", "W2", "b2")


def _two_layer_loss(x, y, params):
    """Mean softmax cross-entropy of logits = relu(x @ W1 + b1) @ W2 + b2 (the reference)."""
    from ..nn import softmax_cross_entropy

    W1, b1, W2, b2 = params
    return softmax_cross_entropy(np.maximum(x @ W1 + b1, 0.0) @ W2 + b2, y)


def _two_layer_grads(x, y, params):
    """The reference backward pass: (loss, [dW1, db1, dW2, db2])."""
    W1, b1, W2, b2 = params
    z1 = x @ W1 + b1
    h = np.maximum(z1, 0.0)
    loss, dlogits = _two_layer_loss(x, y, params)
    dz1 = (dlogits @ W2.T) * (z1 > 0)
    return loss, [x.T @ dz1, dz1.sum(axis=0), h.T @ dlogits, dlogits.sum(axis=0)]


def _reference_training(x, y, params, learning_rate, steps):
    params = [p.copy() for p in params]
    losses = []
    for _ in range(steps):
        loss, grads = _two_layer_grads(x, y, params)
        losses.append(loss)
        for p, g in zip(params, grads):
            p -= learning_rate * g
    return losses, params


def _small_two_layer(seed, n=6, d=4, hidden=5, classes=3):
    """A small float64 problem with every shape different, and pre-activations far from the ReLU kink."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    y = np.array([0, 2, 1, 1, 0, 2][:n])
    params = [rng.normal(scale=0.7, size=(d, hidden)), rng.normal(scale=0.5, size=hidden),
              rng.normal(scale=0.7, size=(hidden, classes)), rng.normal(scale=0.5, size=classes)]
    return x, y, params


def _losses_of(out, steps, case):
    if out is None or isinstance(out, (str, bytes)) or not hasattr(out, "__len__"):
        raise _Wrong(f"return the list of the {steps} losses, one per step, got {type(out).__name__}{case}")
    losses = _as_array(out, "the losses").ravel()
    if losses.size != steps:
        off = " (one too many: a loop of steps + 1, or a loss after the last update?)" if losses.size == steps + 1 \
            else " (one too few)" if losses.size == steps - 1 else ""
        raise _Wrong(f"returned {losses.size} losses for steps={steps}, expected {steps}{off}{case}",
                     "one loss per update, each measured in the forward pass of that update, before it changes the "
                     f"parameters ({_UPDATE}).")
    return losses


def _run_two_layer(fn, x, y, params, learning_rate, steps, case):
    """Run the learner's loop on copies; return (losses, the arrays it was given, as they are after the run)."""
    given = [p.copy() for p in params]
    arrays = list(given)  # the array objects: a loop that rebinds the list's entries leaves them as they were
    x_given, y_given = x.copy(), y.copy()
    out = _call(fn, x_given, y_given, given, learning_rate, steps, case=case,
                hint=f"params is the list [W1, b1, W2, b2]; W1 is (features, hidden), as in {_BACKWARD}.")
    if not (np.array_equal(x_given, x) and np.array_equal(y_given, y)):
        raise _Wrong(f"your function changed x or y{case}", "only the parameters change; the data stay as given.")
    losses = _losses_of(out, steps, case)
    if steps and all(np.array_equal(p, a) for p, a in zip(params, arrays)):
        rebound = any(g is not a for g, a in zip(given, arrays))
        raise _Wrong(f"the arrays of params did not change{' (the list holds new arrays)' if rebound else ''}{case}",
                     "update them in place, `param -= learning_rate * grad`: `param = param - ...` makes a new array "
                     "and leaves the caller's (the model's) as it was.")
    return losses, arrays


def _gradient_check(x, y, params, given, learning_rate, case):
    """The gradient the learner stepped along, (before - after) / lr, against centered finite differences."""
    from ..gradcheck import numerical_gradient, relative_error

    work = [p.copy() for p in params]
    loss = lambda: _two_layer_loss(x, y, work)[0]  # noqa: E731
    n = len(x)
    for k, name in enumerate(_NAMES):
        used = (params[k] - given[k]) / learning_rate
        numeric = numerical_gradient(loss, work[k])
        error = relative_error(used, numeric)
        if error < 1e-6:
            continue
        what = f"the step of {name} is not -learning_rate * dL/d{name}: relative error {error:.1e} against " \
               f"finite differences{case}"
        if relative_error(used, -numeric) < 1e-6:
            raise _Wrong(f"every parameter moved uphill: {name} moved by +learning_rate * dL/d{name}{case}",
                         f"the gradient points uphill; step against it ({_UPDATE}).")
        if relative_error(used, n * numeric) < 1e-6:
            raise _Wrong(f"d{name} is {n} times too large, n = {n} examples: the gradient of the summed loss{case}",
                         f"the loss is the mean over the batch, so dlogits carries a 1/n ({_BACKWARD}).")
        if name.startswith("b") and relative_error(used, numeric / n) < 1e-6:
            raise _Wrong(f"d{name} is the mean over the batch, not the sum{case}",
                         f"the 1/n of the mean loss is already in dlogits; every example adds to the bias' gradient "
                         f"({_BACKWARD}).")
        hint = (f"between the two layers the gradient passes the ReLU: multiply by relu'(z1), 1 where z1 > 0 "
                f"({_BACKWARD})." if name in ("W1", "b1") else f"re-read d{name} in {_BACKWARD}.")
        raise _Wrong(what, hint)


@_exercise("train_two_layer")
def _grade_train_two_layer(fn):
    # 1. one step on a small problem: the step, divided by -lr, must be the gradient (checked by finite differences)
    x, y, params = _small_two_layer(0)
    learning_rate = 0.1
    case = f" (one step on x {x.shape}, W1 {params[0].shape}, W2 {params[2].shape}, learning_rate {learning_rate})"
    losses, given = _run_two_layer(fn, x, y, params, learning_rate, 1, case)
    want_loss = _two_layer_loss(x, y, params)[0]
    if math.isclose(losses[0], len(x) * want_loss, rel_tol=1e-6):
        raise _Wrong(f"the loss is {losses[0]:.4f} = n times the mean cross-entropy {want_loss:.4f}{case}",
                     "the loss is the mean over the examples (chapter 00, 'Loss and the backward pass').")
    if not math.isclose(losses[0], want_loss, rel_tol=1e-7):
        raise _Wrong(f"the loss returned for step 0 is {losses[0]:.6f}, expected {want_loss:.6f}, the mean "
                     f"cross-entropy before the update{case}",
                     "measure each loss in the forward pass that computes the update's gradient, before the "
                     f"update ({_UPDATE}).")
    _gradient_check(x, y, params, given, learning_rate, case)
    # 2. exactly `steps` updates, each from the parameters the previous one left
    x, y, params = _small_two_layer(1)
    steps = 3
    case = f" (steps={steps}, learning_rate {learning_rate})"
    losses, given = _run_two_layer(fn, x, y, params, learning_rate, steps, case)
    for count in (steps - 1, steps + 1):
        if all(np.allclose(g, p, rtol=1e-9, atol=1e-12)
               for g, p in zip(given, _reference_training(x, y, params, learning_rate, count)[1])):
            raise _Wrong(f"your loop made {count} updates for steps={steps}{case}",
                         "make exactly `steps` updates: range(steps) counts 0, 1, ..., steps - 1.")
    want_losses, want_params = _reference_training(x, y, params, learning_rate, steps)
    for k, name in enumerate(_NAMES):
        if not np.allclose(given[k], want_params[k], rtol=1e-9, atol=1e-12):
            raise _Wrong(f"after {steps} steps {name} differs from {steps} steps of gradient descent{case}",
                         "each step computes the gradient at the parameters the previous step left, then updates "
                         f"every parameter once ({_UPDATE}).")
    if not np.allclose(losses, want_losses, rtol=1e-9):
        raise _Wrong(f"losses {np.round(losses, 4).tolist()}, expected {np.round(want_losses, 4).tolist()}{case}",
                     f"losses[k] is the loss before update k ({_UPDATE}).")
    # 3. the setting that matters: three clusters, a 2-16-3 network, 200 steps at learning rate 0.5
    x, y, params = _three_clusters()
    case = " (three clusters of 300 points, a 2-16-3 ReLU network, 200 steps at learning rate 0.5)"
    losses, given = _run_two_layer(fn, x, y, params, 0.5, 200, case)
    want_losses, want_params = _reference_training(x, y, params, 0.5, 200)
    final, want_final = _two_layer_loss(x, y, given)[0], _two_layer_loss(x, y, want_params)[0]
    if not (np.all(np.isfinite(losses)) and np.allclose(losses, want_losses, rtol=1e-6, atol=1e-9)) \
            or not final <= _TARGET_LOSS:
        raise _Wrong(f"the loss went {losses[0]:.3f} -> {final:.3f}, expected {want_losses[0]:.3f} -> "
                     f"{want_final:.3f} (below {_TARGET_LOSS}){case}",
                     f"the same loop that passed a few steps above should learn here: check that nothing depends on "
                     f"the small shapes ({_UPDATE}).")
    return (f"each step moves every parameter by -lr * its gradient (finite differences agree), exactly `steps` "
            f"updates, and on three clusters the loss falls from {losses[0]:.3f} to {final:.3f} (below "
            f"{_TARGET_LOSS}) in 200 steps.")


_TARGET_LOSS = 0.15


def _three_clusters():
    """The toy problem of chapter 00's training loop (a grader's own seed): 300 points, 3 classes, He-initialized."""
    rng = np.random.default_rng(5)
    centers = np.array([[-2.0, 0.0], [2.0, 0.0], [0.0, 2.5]])
    y = rng.integers(0, 3, size=300)
    x = centers[y] + rng.normal(scale=0.8, size=(300, 2))
    params = [rng.normal(scale=math.sqrt(2 / 2), size=(2, 16)), np.zeros(16),
              rng.normal(scale=math.sqrt(2 / 16), size=(16, 3)), np.zeros(3)]
    return x, y, params


check_train_two_layer = _printer("train_two_layer")
