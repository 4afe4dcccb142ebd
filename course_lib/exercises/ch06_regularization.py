"""The exercises of chapter 06 (``notebooks/06_regularization.ipynb``): ``l2_penalty``, ``soft_threshold`` and
``proximal_l1_step`` (the main one: a proximal-L1 training step, run in a training loop against
``SGD`` + ``L1(proximal=True)``)."""

import math

import numpy as np

from ..data import toy
from ..nn import MLP, softmax_cross_entropy
from ..optim import SGD
from ..regularization import L1
from ..train import train_step
from ._grading import _as_array, _call, _exercise, _printer, _Wrong

__all__ = ["check_l2_penalty", "check_soft_threshold", "check_proximal_l1_step"]

_PENALTIES = "chapter 06, section 2 'The two penalties and their gradients'"
_L1 = "chapter 06, section 3 'L1 sets weights to exactly 0; L2 only shrinks them'"


@_exercise("l2_penalty")
def _grade_l2_penalty(fn):
    W = np.array([[1.0, -2.0, 0.5], [0.5, 3.0, -1.5]])  # not square: a transposed gradient has the wrong shape
    strength = 0.1
    case = " (W=[[1, -2, 0.5], [0.5, 3, -1.5]], strength=0.1)"
    given = W.copy()
    out = _call(fn, given, strength, case=case)
    if not np.array_equal(given, W):
        raise _Wrong(f"your function changed W{case}",
                     "W is the model's weight matrix: compute the gradient as a new array (grad = strength * W), "
                     "never grad = W; grad *= strength, which scales the weights themselves.")
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise _Wrong(f"return the pair (penalty, grad), got {type(out).__name__}")
    try:
        value = float(out[0])
    except (TypeError, ValueError):
        raise _Wrong(f"the penalty should be a number, got {type(out[0]).__name__}") from None
    grad = _as_array(out[1], "grad")
    want_value, want_grad = 0.5 * strength * np.sum(W**2), strength * W
    if grad.shape != W.shape:
        raise _Wrong(f"grad has shape {grad.shape}, expected W's shape {W.shape}", "one gradient entry per weight.")
    if math.isclose(value, strength * np.sum(W**2)) and np.allclose(grad, want_grad):
        raise _Wrong(f"penalty {value:g} has no 1/2, but your gradient is strength * W",
                     f"penalty and gradient must match: differentiate your penalty and compare; re-read how "
                     f"{_PENALTIES} scales the L2 penalty.")
    if np.allclose(grad, 2 * want_grad):
        raise _Wrong("grad is 2 * strength * W",
                     f"differentiate the penalty as {_PENALTIES} writes it: check the constant factor.")
    if np.allclose(grad, strength * np.sign(W)):
        raise _Wrong("grad is strength * sign(W): that is L1's",
                     f"L1 and L2 have different gradients: compare them in {_PENALTIES}.")
    if not math.isclose(value, want_value):
        raise _Wrong(f"penalty is {value:g}, expected {want_value:g}", f"re-read the L2 penalty in {_PENALTIES}.")
    if not np.allclose(grad, want_grad):
        raise _Wrong(f"grad is {grad.tolist()}, expected {want_grad.tolist()}",
                     f"the gradient is the derivative of the penalty with respect to each weight ({_PENALTIES}).")
    return "penalty (strength/2) sum W^2 and gradient strength W: the gradient of that penalty."


@_exercise("soft_threshold")
def _grade_soft_threshold(fn):
    cases = [  # a vector with weights on both sides of 0, inside and outside the threshold, one on it; then a matrix
        (np.array([-1.5, -0.2, 0.0, 0.05, 0.25, 0.3, 2.0]), 0.25,
         "w=[-1.5, -0.2, 0, 0.05, 0.25, 0.3, 2], threshold=0.25"),
        (np.array([[0.5, -0.05, -3.0], [0.1, 1.0, -0.4]]), 0.1, "w of shape (2, 3), threshold=0.1"),
    ]
    for w, threshold, text in cases:
        case = f" ({text})"
        given = w.copy()
        got = _as_array(_call(fn, given, threshold, case=case), "the result")
        if not np.array_equal(given, w):
            raise _Wrong(f"your function changed w{case}",
                         "return a new array (the library's soft_threshold does): the caller may still need the "
                         "weights before the step.")
        want = np.sign(w) * np.maximum(np.abs(w) - threshold, 0)
        if got.shape != w.shape:
            raise _Wrong(f"result has shape {got.shape}, expected {w.shape}{case}", "one result per weight.")
        if np.allclose(got, w - threshold * np.sign(w)):
            raise _Wrong(f"small weights crossed zero: {np.round(got, 3).tolist()}{case}",
                         f"that is a subgradient step: soft thresholding shrinks |w| by threshold but never past 0. "
                         f"Re-read {_L1}.")
        if np.allclose(got, np.where(np.abs(w) > threshold, w, 0)):
            raise _Wrong(f"large weights were not shrunk{case}",
                         "that is hard thresholding (pruning); soft thresholding also moves the survivors "
                         "toward 0 by threshold.")
        if np.allclose(got, np.maximum(np.abs(w) - threshold, 0)):
            raise _Wrong(f"negative weights became positive{case}",
                         f"shrinking changes a weight's magnitude, not its sign ({_L1}).")
        if np.allclose(got, np.maximum(w - threshold, 0)):
            raise _Wrong(f"negative weights were all set to 0{case}",
                         f"max(w - threshold, 0) treats the two signs differently; shrinking toward 0 is symmetric: "
                         f"a weight of -1.5 becomes -1.25 at threshold 0.25 ({_L1}).")
        if not np.allclose(got, want):
            raise _Wrong(f"got {np.round(got, 3).tolist()}, expected {np.round(want, 3).tolist()}{case}",
                         f"re-read soft thresholding in {_L1}.")
        if not np.all(got[want == 0] == 0):
            near = got[(want == 0) & (got != 0)]
            raise _Wrong(f"{near.size} entries with |w| <= threshold are near 0 but not exactly 0 (the largest "
                         f"{np.abs(near).max():.1e}){case}",
                         f"the prompt asks for exactly 0: that is how L1 zeroes weights ({_L1}), and a weight of "
                         f"1e-12 is still a weight to store and multiply. Clip at 0 (np.maximum(|w| - threshold, 0)) "
                         f"instead of subtracting a small amount or adding an epsilon.")
    return (f"sign(w) max(|w| - t, 0): {int(np.sum(want == 0))} of {w.size} weights exactly 0 in the last case, the "
            "others shrunk by t (the proximal step of L1); w left unchanged.")


check_l2_penalty = _printer("l2_penalty")
check_soft_threshold = _printer("soft_threshold")


# --------------------------------------------------------------------------------------------------
# main exercise: a proximal-L1 training step, run in a training loop against SGD + L1(proximal=True)
# --------------------------------------------------------------------------------------------------

_PROXIMAL_STEPS = 60
_PROXIMAL_LR, _PROXIMAL_STRENGTH = 0.5, 0.005


def _soft(w, threshold):
    return np.sign(w) * np.maximum(np.abs(w) - threshold, 0)


def _proximal_variants(before, grads, lr, strength):
    """What each way of taking the step gives, from the parameters before it: {name: new parameter list}."""
    t = lr * strength
    stepped = [p - lr * g for p, g in zip(before, grads)]
    weight = [p.ndim >= 2 for p in before]

    def per_weight(weights_new, biases_new=None):
        biases_new = biases_new or stepped
        return [w if is_w else b for w, b, is_w in zip(weights_new, biases_new, weight)]

    return {
        "right": per_weight([_soft(u, t) for u in stepped]),
        "subgradient": per_weight([p - lr * (g + strength * np.sign(p)) for p, g in zip(before, grads)]),
        "no lr": per_weight([_soft(u, strength) for u in stepped]),
        "past zero": per_weight([u - t * np.sign(u) for u in stepped]),
        "hard": per_weight([np.where(np.abs(u) > t, u, 0.0) for u in stepped]),
        "first": per_weight([_soft(p, t) - lr * g for p, g in zip(before, grads)]),
        "biases too": [_soft(u, t) for u in stepped],
        "no data step": per_weight([_soft(p, t) for p in before], before),
        "biases still": per_weight([_soft(u, t) for u in stepped], before),
    }


_PROXIMAL_DIAGNOSES = {
    "subgradient": ("that is the subgradient step w - lr (g + strength sign(w))",
                    f"it moves a small weight by lr * strength, across 0, instead of stopping it there: the proximal "
                    f"step takes the data step, then soft-thresholds. Re-read {_L1}."),
    "no lr": ("the threshold is strength, not lr * strength",
              f"the proximal step of lr * strength * |w|, after a step of size lr, shrinks by lr * strength ({_L1})."),
    "past zero": ("weights crossed zero: you shrank every weight by lr * strength, small ones past 0",
                  f"soft thresholding stops at 0: a weight within lr * strength of 0 becomes exactly 0 ({_L1})."),
    "hard": ("large weights were not shrunk: that is hard thresholding",
             "soft thresholding also moves the weights it keeps toward 0 by lr * strength."),
    "first": ("you soft-thresholded before the data step",
              f"the proximal step comes after the gradient step on the data loss: step, then threshold ({_L1})."),
    "biases too": ("the biases were soft-thresholded too",
                   "the penalty is on the weight matrices (2-D arrays) only; the biases (1-D) take the plain gradient "
                   "step: re-read chapter 06, 'Weights, not biases: why'."),
    "no data step": ("the weights did not take the gradient step on the data loss",
                     f"every parameter first moves by -lr * grad, then the weights are soft-thresholded ({_L1})."),
    "biases still": ("the biases did not move",
                     "the biases take the plain gradient step (they are only left out of the thresholding)."),
}


@_exercise("proximal_l1_step")
def _grade_proximal_l1_step(fn):
    lr, strength = _PROXIMAL_LR, _PROXIMAL_STRENGTH
    x, y = toy.moons(64, noise=0.2, rng=0)
    model = MLP([2, 16, 16, 2], rng=0, dtype="float64")
    penalty = L1(strength, proximal=True)
    for step in range(1, _PROXIMAL_STEPS + 1):
        where = f" (training step {step})"
        reference = model.copy()  # the library's step from the same state: no drift to amplify over the steps
        train_step(reference, SGD(reference.params, lr=lr), x, y, penalty=penalty)
        _, dlogits = softmax_cross_entropy(model.forward(x), y)
        grads = model.backward(dlogits)
        before, grads_before = [p.copy() for p in model.params], [g.copy() for g in grads]
        params = list(model.params)  # the learner's list: the model's own arrays
        _call(fn, params, grads, lr, strength, case=where)
        if any(not np.array_equal(g, g0) for g, g0 in zip(grads, grads_before)):
            raise _Wrong(f"your function changed grads{where}",
                         "the gradients belong to the caller: read them, never write to them (g *= lr and g += ... "
                         "do).")
        if all(np.array_equal(p, p0) for p, p0 in zip(model.params, before)):
            replaced = any(q is not p for q, p in zip(params, model.params))
            raise _Wrong(f"the model's parameters did not change{where}",
                         "you put new arrays into the list; the model keeps the old ones. Update each array in place "
                         "(p -= ..., W[...] = ...)." if replaced else
                         "update each array in place: p -= lr * g, then W[...] = the thresholded W.")
        got = [np.array(p, dtype=float) for p in model.params]
        if all(np.allclose(a, b, rtol=1e-9, atol=1e-12) and np.all(a[b == 0] == 0)
               for a, b in zip(got, reference.params)):
            continue
        variants = _proximal_variants(before, grads_before, lr, strength)
        for name, (what, hint) in _PROXIMAL_DIAGNOSES.items():
            if all(np.allclose(a, b, rtol=1e-9, atol=1e-12) for a, b in zip(got, variants[name])):
                raise _Wrong(what + where, hint)
        worst = max(range(len(got)), key=lambda i: np.abs(got[i] - reference.params[i]).max())
        kind = "weight matrix" if got[worst].ndim >= 2 else "bias"
        zeros_got, zeros_want = int(np.sum(got[worst] == 0)), int(np.sum(reference.params[worst] == 0))
        raise _Wrong(f"params[{worst}] (a {kind}) differs from the proximal step's by up to "
                     f"{np.abs(got[worst] - reference.params[worst]).max():.2g}, with {zeros_got} entries exactly 0 "
                     f"(expected {zeros_want}){where}",
                     f"every parameter: p - lr * grad; then the weights (2-D): soft threshold at lr * strength "
                     f"({_L1}).")
    zeros = sum(int(np.sum(W == 0)) for W in model.weights)
    total = sum(W.size for W in model.weights)
    accuracy = float(np.mean(model.predict(x) == y))
    return (f"the data step, then soft thresholding of the weights at lr * strength: the same network as SGD + "
            f"L1(proximal=True) after each of {_PROXIMAL_STEPS} training steps of a 2-16-16-2 network on moons; "
            f"{zeros} of its {total} weights are exactly 0, training accuracy {accuracy:.0%}.")


check_proximal_l1_step = _printer("proximal_l1_step")
