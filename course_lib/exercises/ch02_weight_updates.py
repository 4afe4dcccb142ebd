"""The exercises of chapter 02 (``notebooks/02_weight_updates.ipynb``): ``stable_softmax``, ``clip_grad_norm`` and the
main exercise ``sgd_epochs`` (a mini-batch SGD loop whose every step passes a gradient check)."""

import math

import numpy as np

from ..gradcheck import numerical_gradient, relative_error
from ..nn import MLP, softmax_cross_entropy
from ._grading import (
    _as_array,
    _call,
    _exercise,
    _printer,
    _recording_mlp,
    _reference_softmax,
    _rows_to_indices,
    _Wrong,
)

__all__ = ["check_stable_softmax", "check_clip_grad_norm", "check_sgd_epochs"]

_CLIPPING = "chapter 02, section 4 'Exploding gradients and clipping'"
_ROWS = "chapter 00's shape table ('One layer: many neurons at once')"


@_exercise("stable_softmax")
def _grade_stable_softmax(fn):
    rng = np.random.default_rng(2)
    cases = [
        ("small logits", rng.normal(size=(3, 4))),
        ("logits near 1000", np.array([[1000.0, 999.0, 998.0], [1000.0, 1000.0, 0.0]])),
        ("rows of very different size", np.array([[1000.0, 999.0], [0.0, -1.0], [-1000.0, -1001.0]])),
        ("one row with a large spread", np.array([[1500.0, 0.0, -1500.0]])),  # its mean is 0: a mean shift overflows
    ]
    for label, z in cases:
        case = f" ({label}: {z.tolist()})" if z.size <= 6 else f" ({label})"
        given = z.copy()
        p = _as_array(_call(fn, given, case=case), "the result")
        if not np.array_equal(given, z):
            raise _Wrong(f"your function changed z{case}",
                         "z is the caller's logits: `z -= ...` overwrites them; `shifted = z - ...` makes a new array.")
        if p.shape != z.shape:
            raise _Wrong(f"result has shape {p.shape}, expected {z.shape}{case}", "one probability per logit.")
        if not np.all(np.isfinite(p)):
            raise _Wrong(f"the result contains nan or inf{case}",
                         "exp(1000) overflows to inf. Softmax does not change when the same constant is subtracted "
                         "from every logit of a row: which constant keeps every exp finite, whatever the row's spread? "
                         "(Exercise 1 of chapter 02.)")
        if not np.allclose(p.sum(axis=1), 1.0):
            raise _Wrong(f"rows do not sum to 1{case}",
                         f"one example per row ({_ROWS}): each row is its own distribution; check the axis of your "
                         "sum.")
        if not np.allclose(p, _reference_softmax(z), atol=1e-12):
            raise _Wrong(f"wrong values{case}",
                         "each row is its own softmax: a shift may only change a row by a constant of that row, or "
                         "the probabilities change (Exercise 1 of chapter 02).")
    return ("finite and exact for small logits, logits near 1000, rows of very different size and a row spread over "
            "+-1500; z left as it was.")


@_exercise("clip_grad_norm")
def _grade_clip_grad_norm(fn):
    grads = [np.array([3.0, 0.0]), np.array([[0.0], [4.0]])]  # total norm 5
    total = _call(fn, grads, 1.0, case=" (norm 5, max_norm 1)")
    try:
        total = float(total)
    except (TypeError, ValueError):
        raise _Wrong(f"return the total norm before clipping, got {type(total).__name__}") from None
    if not math.isclose(total, 5.0, rel_tol=1e-9):
        raise _Wrong(f"returned {total:.4g}, expected the total norm before clipping, 5",
                     f"the total norm treats all the gradients as one long vector: re-read {_CLIPPING}.")
    norms = [float(np.linalg.norm(g)) for g in grads]
    if math.isclose(norms[0], 1.0, rel_tol=1e-4) and math.isclose(norms[1], 1.0, rel_tol=1e-4):
        raise _Wrong("you clipped each gradient on its own",
                     f"clipping by the total norm keeps the direction of the whole gradient, so every gradient gets "
                     f"the same factor: re-read {_CLIPPING}.")
    if math.isclose(norms[0], 3.0) and math.isclose(norms[1], 4.0):
        raise _Wrong("the gradients did not change",
                     "the caller's arrays must change: `g = g * factor` makes a new array and leaves the caller's "
                     "as it was; numpy's augmented assignments (+=, -=, ...) work in place.")
    if not (math.isclose(norms[0], 0.6, rel_tol=1e-4) and math.isclose(norms[1], 0.8, rel_tol=1e-4)):
        raise _Wrong(f"after clipping the norms are {norms[0]:.4g} and {norms[1]:.4g}, expected 0.6 and 0.8",
                     f"after clipping the total norm should be max_norm, the direction unchanged: check your factor "
                     f"({_CLIPPING}).")
    small = [np.array([0.3, 0.4])]
    _call(fn, small, 1.0, case=" (norm 0.5, max_norm 1)")
    if not np.allclose(small[0], [0.3, 0.4]):
        raise _Wrong("a gradient below max_norm was changed",
                     f"gradients whose total norm is within max_norm are left alone ({_CLIPPING}).")
    return "returns the total norm, rescales all gradients together, in place, and only above max_norm."


check_stable_softmax = _printer("stable_softmax")
check_clip_grad_norm = _printer("clip_grad_norm")


# --------------------------------------------------------------------------------------------------
# main exercise: a mini-batch SGD loop whose steps pass a gradient check
# --------------------------------------------------------------------------------------------------

_SGD = "chapter 02, section 3 (mini-batch SGD and the batch size)"
_GRADCHECK = "chapter 02, section 2 (checking a gradient)"


def _batch_loss_and_grads(sizes, params, xb, yb):
    """The reference: mean softmax cross-entropy of the batch and its gradients, at ``params``."""
    twin = MLP(sizes, activation="relu", init="zeros", dtype="float64")
    twin.params = [p.copy() for p in params]
    loss, dlogits = softmax_cross_entropy(twin.forward(xb), yb)
    return loss, [g.copy() for g in twin.backward(dlogits)], twin


def _run_sgd(fn, x, y, model, learning_rate, batch_size, epochs, seed, case):
    """Run the learner's loop; check the data, the number of steps, the epochs and every step's gradient.

    Returns the losses. Steps are found from the calls of model.backward: each records its batch (the input of
    the forward pass before it) and the parameters; the next record (or the model at the end) holds the result."""
    x_given, y_given = x.copy(), y.copy()
    out = _call(fn, model, x_given, y_given, learning_rate, batch_size, epochs, np.random.default_rng(seed),
                case=case, hint="call model.forward(xb), then model.backward(dlogits) on the same batch.")
    if not (np.array_equal(x_given, x) and np.array_equal(y_given, y)):
        raise _Wrong(f"your function changed x or y{case}",
                     "shuffle an index array (rng.permutation(len(x))) and take x[batch], y[batch]: both are copies.")
    n = len(x)
    per_epoch = -(-n // batch_size)
    steps = epochs * per_epoch
    if out is None or isinstance(out, (str, bytes)) or not hasattr(out, "__len__"):
        raise _Wrong(f"return the list of the batch losses, one per step, got {type(out).__name__}{case}")
    losses = _as_array(out, "the losses").ravel()
    records = model.backwards
    if len(records) != steps:
        dropped = " (the last, smaller batch is missing)" if len(records) == epochs * (n // batch_size) else ""
        raise _Wrong(f"your loop made {len(records)} steps (calls of model.backward), expected {steps}: "
                     f"{epochs} epochs of ceil({n} / {batch_size}) = {per_epoch} batches{dropped}{case}",
                     f"walk through each epoch's order in slices [i:i + batch_size] for i in range(0, n, batch_size); "
                     f"the last slice is shorter, and it counts ({_SGD}).")
    if losses.size != steps:
        raise _Wrong(f"returned {losses.size} losses for {steps} steps{case}", "one batch loss per step.")
    if not np.all(np.isfinite(losses)):
        raise _Wrong(f"a loss is nan or inf{case}",
                     "exp(1000) overflows: compute the cross-entropy with log-softmax, subtracting each row's maximum "
                     "first (section 1 and Exercise 1).")
    orders = []
    for e in range(epochs):
        indices, sizes = [], []
        for k in range(e * per_epoch, (e + 1) * per_epoch):
            batch = records[k][0]
            if batch is None:
                raise _Wrong(f"step {k} called model.backward without a forward pass{case}",
                             "each step: logits = model.forward(xb), then the loss, then model.backward(dlogits).")
            found = _rows_to_indices(batch, x)
            if None in found:
                raise _Wrong(f"step {k}'s batch holds rows that are not examples of x{case}",
                             "take the batch's rows from x as given: x[batch_indices].")
            indices += found
            sizes.append(len(found))
        if sorted(indices) != list(range(n)):
            raise _Wrong(f"epoch {e} did not see every example exactly once: {n - len(set(indices))} of {n} missing"
                         f"{case}",
                         f"an epoch is one pass over a permutation of the examples (rng.permutation(n)), not {n} "
                         f"draws with replacement ({_SGD}).")
        want_sizes = [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])
        if sizes != want_sizes:
            raise _Wrong(f"epoch {e}'s batches have sizes {sizes}, expected {want_sizes}{case}",
                         f"consecutive slices of batch_size, the last one smaller ({_SGD}).")
        orders.append(indices)
    if orders[0] == list(range(n)):
        raise _Wrong(f"the first epoch took the examples in their stored order{case}",
                     "shuffle each epoch: order = rng.permutation(len(x)).")
    if epochs > 1 and all(order == orders[0] for order in orders):
        raise _Wrong(f"every epoch took the examples in the same order{case}",
                     "draw a new permutation at the start of every epoch, not once before the loop.")
    for k, (batch, params) in enumerate(records):
        after = records[k + 1][1] if k + 1 < steps else model.params
        yb = y[_rows_to_indices(batch, x)]
        loss, grads, twin = _batch_loss_and_grads(model.sizes, params, batch, yb)
        at = f" at step {k} (a batch of {len(batch)}){case}"
        used = [(p - a) / learning_rate for p, a in zip(params, after)]
        if k == 0:  # the gradient check itself: finite differences of the batch's mean loss
            j = _first_failing_check(twin, batch, yb, used)
        else:
            j = next((j for j, (u, g) in enumerate(zip(used, grads)) if not np.allclose(u, g, rtol=1e-7, atol=1e-10)),
                     None)
        if j is not None:
            _explain_step(used, grads, j, k, records, x, y, model.sizes, learning_rate, at)
        if not math.isclose(losses[k], loss, rel_tol=1e-7):
            raise _Wrong(f"the loss returned for step {k} is {losses[k]:.6g}, expected {loss:.6g}, the batch's mean "
                         f"cross-entropy before the update{case}",
                         "losses[k] is the loss of step k's batch, from the forward pass that computes its gradient.")
    return losses


def _first_failing_check(twin, batch, yb, used):
    """The index of the first parameter whose step disagrees with the finite differences of the batch loss, or None."""
    def batch_loss():
        return softmax_cross_entropy(twin.forward(batch), yb)[0]

    for j, (param, step) in enumerate(zip(twin.params, used)):
        if relative_error(step, numerical_gradient(batch_loss, param)) > 1e-6:
            return j
    return None


def _explain_step(used, grads, j, k, records, x, y, sizes, learning_rate, at):
    name = f"{'Wb'[j % 2]}{j // 2 + 1}"
    if all(np.allclose(u, 0.0) for u in used):
        raise _Wrong(f"the parameters did not change{at}",
                     "update them in place, `param -= learning_rate * grad`: `param = param - ...` makes a new array "
                     "that the model never sees.")
    if all(np.allclose(u, -g) for u, g in zip(used, grads)):
        raise _Wrong(f"every parameter moved uphill{at}", "step against the gradient: param -= learning_rate * grad.")
    batch = records[k][0]
    if all(np.allclose(u, len(batch) * g) for u, g in zip(used, grads)):
        raise _Wrong(f"the step is {len(batch)} times the gradient of the mean loss: the gradient of the batch's "
                     f"summed loss{at}",
                     "the loss is the mean over the batch, so dlogits = (softmax - onehot) / batch size.")
    if k > 0:
        previous = _batch_loss_and_grads(sizes, records[k - 1][1], records[k - 1][0],
                                         y[_rows_to_indices(records[k - 1][0], x)])[1]
        if all(np.allclose(u, g) for u, g in zip(used, previous)):
            raise _Wrong(f"the step used the previous step's gradient{at}",
                         "model.backward writes into the same arrays at every call: use its result right away, or "
                         "copy it.")
    raise _Wrong(f"the step of {name} is not -learning_rate times the gradient of the batch's mean loss{at}",
                 f"a step: logits = model.forward(xb); loss and dlogits of the batch; grads = model.backward(dlogits); "
                 f"every param -= learning_rate * grad, once ({_GRADCHECK}).")


@_exercise("sgd_epochs")
def _grade_sgd_epochs(fn):
    # 1. ten examples, batches of 4 (4, 4, 2), three epochs: every step checked; large logits in the second run
    rng = np.random.default_rng(20)
    x = rng.normal(size=(10, 3))
    y = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 2])
    case = " (10 examples, batch_size 4, 3 epochs, learning_rate 0.1)"
    _run_sgd(fn, x, y, _recording_mlp([3, 6, 3], seed=0, bias_init=0.1), 0.1, 4, 3, seed=0, case=case)
    loud = _recording_mlp([3, 6, 3], seed=1, bias_init=0.1)
    loud.weights[-1][:] *= 3000.0  # logits above 800 in every row: exp() overflows unless the row maximum is subtracted
    case = " (logits near 1000, 10 examples, batch_size 5, 1 epoch, learning_rate 0.001)"
    _run_sgd(fn, x, y, loud, 0.001, 5, 1, seed=1, case=case)
    # 2. the setting that matters: three clusters, 300 points, batches of 32 (the last of 12), 5 epochs. Every step is
    # checked as above, so a right loop passes whatever order its generator gives the batches
    rng = np.random.default_rng(21)
    centers = np.array([[-2.0, 0.0], [2.0, 0.0], [0.0, 2.5]])
    y = rng.integers(0, 3, size=300)
    x = centers[y] + rng.normal(scale=0.8, size=(300, 2))
    model = _recording_mlp([2, 16, 3], seed=2)
    case = " (three clusters of 300 points, a 2-16-3 ReLU network, batch_size 32, 5 epochs, learning_rate 0.2)"
    _run_sgd(fn, x, y, model, 0.2, 32, 5, seed=2, case=case)
    final = softmax_cross_entropy(MLP.forward(model, x), y)[0]
    if not final < _SGD_TARGET:
        raise _Wrong(f"after 5 epochs the loss on all 300 points is {final:.3f}, expected below {_SGD_TARGET}{case}")
    return (f"every step of 3 runs is -lr * the gradient of its batch's mean loss (finite differences agree), each "
            f"epoch a new permutation in batches with the last one smaller, finite for large logits; on three "
            f"clusters the loss falls to {final:.3f} (below {_SGD_TARGET}) in 5 epochs.")


_SGD_TARGET = 0.2  # 1000 orders of the batches (other seeds): the loss ended between 0.07 and 0.124
check_sgd_epochs = _printer("sgd_epochs")
