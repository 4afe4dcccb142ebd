"""Exercises with instant feedback.

In a notebook, a learner writes a function and passes it to its checker::

    def dense_forward(x, W, b):
        raise NotImplementedError  # your code here

    check_dense_forward(dense_forward)

The checker runs the function on reference cases and prints one of:
    PASS      what was checked;
    NOT DONE  the function still raises NotImplementedError (the stub), so the notebook runs on;
    FAIL      what was wrong on which case, and a hint. Never a traceback: an exception raised by the
              learner's code is reported as one line.

Tests (and instructors) use ``grade(name, function) -> Result`` to get the verdict without printing.
Reference solutions are in ``solutions/`` (load one into a cell with ``%load ../solutions/NAME.py``).
"""

import math
from typing import NamedTuple

import numpy as np

from .init import truncated_normal_std

__all__ = ["Result", "grade", "EXERCISES", "check_dense_forward", "check_dense_backward",
           "check_xavier_std", "check_he_normal", "check_truncated_normal", "check_stable_softmax",
           "check_clip_grad_norm", "check_prior_bias", "check_dead_fraction", "check_momentum_update",
           "check_optimal_momentum", "check_bias_correction", "check_rmsprop_update", "check_l2_penalty",
           "check_soft_threshold", "check_prune_mask", "check_symmetric_quantize"]


class Result(NamedTuple):
    status: str  # "pass", "fail" or "not done"
    message: str

    @property
    def passed(self):
        return self.status == "pass"


class _Wrong(Exception):
    """Raised by a grader: what was wrong, and a hint."""

    def __init__(self, what, hint=""):
        super().__init__(what)
        self.what, self.hint = what, hint


EXERCISES = {}  # name -> grader(fn) returning the pass message or raising _Wrong


def _exercise(name):
    def register(grader):
        EXERCISES[name] = grader
        return grader

    return register


def grade(name, function):
    """Run exercise ``name``'s reference cases on ``function``; return a Result (never raises)."""
    if name not in EXERCISES:
        raise ValueError(f"unknown exercise {name!r}; valid: {', '.join(sorted(EXERCISES))}")
    if not callable(function):
        return Result("fail", f"FAIL {name}: pass the function itself, e.g. check_{name}({name}), "
                              f"not {type(function).__name__}.")
    try:
        detail = EXERCISES[name](function)
    except NotImplementedError:
        return Result("not done", f"NOT DONE {name}: not done yet. Replace `raise NotImplementedError` "
                                  "with your code and run the cell again.")
    except _Wrong as wrong:
        hint = f"\n  Hint: {wrong.hint}" if wrong.hint else ""
        return Result("fail", f"FAIL {name}: {wrong.what}{hint}")
    return Result("pass", f"PASS {name}: {detail}")


def _call(function, *args, case="", hint=""):
    """Call the learner's function; report an exception as one line instead of a traceback."""
    try:
        with np.errstate(all="ignore"):
            return function(*args)
    except NotImplementedError:
        raise
    except Exception as error:  # noqa: BLE001 - any error of the learner's code becomes feedback
        raise _Wrong(f"your function raised {type(error).__name__}: {error}{case}", hint) from None


def _as_array(value, what):
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise _Wrong(f"{what} should be a numpy array, got {type(value).__name__}") from None


def _printer(name):
    def check(function):
        print(grade(name, function).message)

    check.__name__ = f"check_{name}"
    check.__doc__ = f"Check your ``{name}`` on reference cases and print the verdict."
    return check


# --------------------------------------------------------------------------------------------------
# Chapter 00
# --------------------------------------------------------------------------------------------------


@_exercise("dense_forward")
def _grade_dense_forward(fn):
    rng = np.random.default_rng(0)
    for n, fan_in, fan_out in [(1, 3, 2), (4, 5, 3), (7, 2, 6)]:
        x = rng.normal(size=(n, fan_in))
        W = rng.normal(size=(fan_in, fan_out))
        b = rng.normal(size=fan_out)
        case = f" (x {x.shape}, W {W.shape}, b {b.shape})"
        z = _as_array(_call(fn, x, W, b, case=case, hint="x is (batch, fan_in), W is (fan_in, fan_out): "
                                                          "compute x @ W + b."), "the result")
        expected = x @ W + b
        if z.shape != expected.shape:
            raise _Wrong(f"result has shape {z.shape}, expected {expected.shape}{case}",
                         "W has shape (fan_in, fan_out) and x one example per row: z = x @ W + b.")
        if np.allclose(z, x @ W):
            raise _Wrong(f"the bias is missing{case}", "add b; it broadcasts over the rows of x @ W.")
        if not np.allclose(z, expected):
            raise _Wrong(f"wrong values{case}", "z = x @ W + b (matrix product, not element-wise *).")
    return "z = x @ W + b is right on 3 cases of different shapes."


@_exercise("dense_backward")
def _grade_dense_backward(fn):
    rng = np.random.default_rng(1)
    for n, fan_in, fan_out in [(1, 3, 2), (5, 4, 3), (8, 2, 6)]:
        x = rng.normal(size=(n, fan_in))
        W = rng.normal(size=(fan_in, fan_out))
        dz = rng.normal(size=(n, fan_out))
        case = f" (x {x.shape}, W {W.shape}, dz {dz.shape})"
        out = _call(fn, x, W, dz, case=case, hint="check each shape: dx like x, dW like W, db like b.")
        if not isinstance(out, (tuple, list)) or len(out) != 3:
            raise _Wrong(f"return the tuple (dx, dW, db), got {type(out).__name__}{case}")
        dx, dW, db = (_as_array(v, name) for v, name in zip(out, ("dx", "dW", "db")))
        expected = {"dx": dz @ W.T, "dW": x.T @ dz, "db": dz.sum(axis=0)}
        hints = {"dx": "dx = dz @ W.T: each input feeds every unit through W.",
                 "dW": "dW = x.T @ dz: shape (fan_in, fan_out), like W.",
                 "db": "db = dz.sum(axis=0): the bias is added to every example, so its gradient sums them."}
        for name, got in (("dx", dx), ("dW", dW), ("db", db)):
            want = expected[name]
            if got.shape != want.shape:
                raise _Wrong(f"{name} has shape {got.shape}, expected {want.shape}{case}", hints[name])
            if name == "db" and n > 1 and np.allclose(got, dz.mean(axis=0)):
                raise _Wrong(f"db is the mean over the batch, not the sum{case}", hints["db"])
            if not np.allclose(got, want):
                raise _Wrong(f"{name} has wrong values{case}", hints[name])
    return "dx, dW and db are right on 3 cases."


# --------------------------------------------------------------------------------------------------
# Chapter 01
# --------------------------------------------------------------------------------------------------


@_exercise("xavier_std")
def _grade_xavier_std(fn):
    for fan_in, fan_out in [(784, 256), (256, 10), (100, 100)]:
        case = f" for fan_in={fan_in}, fan_out={fan_out}"
        got = _call(fn, fan_in, fan_out, case=case)
        try:
            got = float(got)
        except (TypeError, ValueError):
            raise _Wrong(f"return a number, got {type(got).__name__}{case}") from None
        want = math.sqrt(2.0 / (fan_in + fan_out))
        if math.isclose(got, math.sqrt(2.0 / fan_in)) and fan_in != fan_out:
            raise _Wrong(f"you returned sqrt(2 / fan_in) = {got:.4g}{case}: that is He's formula",
                         "Glorot & Bengio average the two fans: Var = 2 / (fan_in + fan_out).")
        if math.isclose(got, math.sqrt(1.0 / fan_in)) and fan_in != fan_out:
            raise _Wrong(f"you returned sqrt(1 / fan_in) = {got:.4g}{case}: that is LeCun's formula",
                         "Xavier's variance is 2 / (fan_in + fan_out).")
        if math.isclose(got, 2.0 / (fan_in + fan_out)):
            raise _Wrong(f"you returned the variance, not the standard deviation{case}", "take the square root.")
        if not math.isclose(got, want, rel_tol=1e-9):
            raise _Wrong(f"got {got:.4g}, expected {want:.4g}{case}", "std = sqrt(2 / (fan_in + fan_out)).")
    return "std = sqrt(2 / (fan_in + fan_out)) on 3 layer shapes."


def _sample(fn, what, *args, case=""):
    return _as_array(_call(fn, *args, case=case), what)


@_exercise("he_normal")
def _grade_he_normal(fn):
    shape = (1000, 400)  # fan_in != fan_out, so a wrong fan shows
    case = f" for shape={shape}"
    w = _sample(fn, "the weights", shape, np.random.default_rng(0), case=case)
    if w.shape != shape:
        raise _Wrong(f"result has shape {w.shape}, expected {shape}", "draw an array of exactly `shape`.")
    again = _sample(fn, "the weights", shape, np.random.default_rng(0), case=case)
    if not np.array_equal(w, again):
        raise _Wrong("two calls with generators of the same seed gave different weights",
                     "draw with the rng you are given (rng.normal(...)), not np.random.")
    std, want = float(w.std()), math.sqrt(2.0 / shape[0])
    if abs(float(w.mean())) > 0.1 * want:
        raise _Wrong(f"the mean is {w.mean():.3g}; He weights have mean 0")
    if math.isclose(std, math.sqrt(2.0 / shape[1]), rel_tol=0.03):
        raise _Wrong(f"std is {std:.4f} = sqrt(2 / fan_out): you used the wrong fan",
                     "shape is (fan_in, fan_out): fan_in = shape[0].")
    if math.isclose(std, math.sqrt(2.0 / sum(shape)), rel_tol=0.03):
        raise _Wrong(f"std is {std:.4f}: that is Xavier's sqrt(2 / (fan_in + fan_out))", "He uses sqrt(2 / fan_in).")
    if math.isclose(std, 2.0 / shape[0], rel_tol=0.03):
        raise _Wrong(f"std is {std:.4g}: you used the variance 2 / fan_in as the std", "take the square root.")
    if not math.isclose(std, want, rel_tol=0.03):
        raise _Wrong(f"std is {std:.4f}, expected {want:.4f} = sqrt(2 / fan_in)")
    return f"shape {shape}, mean ~0, std {std:.4f} ~ sqrt(2 / fan_in) = {want:.4f}, reproducible with rng."


@_exercise("truncated_normal")
def _grade_truncated_normal(fn):
    n, a, b = 200_000, -2.0, 2.0
    case = f" for n={n}, a={a}, b={b}"
    x = _sample(fn, "the samples", n, a, b, np.random.default_rng(0), case=case).ravel()
    if x.size != n:
        raise _Wrong(f"got {x.size} samples, expected {n}", "keep drawing until you have n accepted samples.")
    if not np.all(np.isfinite(x)):
        raise _Wrong("some samples are nan or inf")
    if x.min() < a or x.max() > b:
        raise _Wrong(f"samples outside [a, b]: min {x.min():.3f}, max {x.max():.3f}",
                     "reject (and redraw) every sample outside [a, b].")
    on_bounds = float(np.mean((x == a) | (x == b)))
    if on_bounds > 0.001:
        raise _Wrong(f"{on_bounds:.1%} of the samples sit exactly on a bound: that is clipping, not truncation",
                     "redraw the samples outside [a, b] instead of moving them onto the bounds.")
    std, want = float(x.std()), truncated_normal_std(1.0, a, b)
    if not math.isclose(std, want, rel_tol=0.02):
        raise _Wrong(f"std is {std:.4f}, expected {want:.4f} for N(0, 1) truncated to [-2, 2]",
                     "draw from the standard normal and keep only the samples inside [a, b].")
    return f"{n} samples in [{a}, {b}], none piled on the bounds, std {std:.4f} (exact: {want:.4f})."


# --------------------------------------------------------------------------------------------------
# Chapter 02
# --------------------------------------------------------------------------------------------------


def _reference_softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@_exercise("stable_softmax")
def _grade_stable_softmax(fn):
    rng = np.random.default_rng(2)
    cases = [
        ("small logits", rng.normal(size=(3, 4))),
        ("logits near 1000", np.array([[1000.0, 999.0, 998.0], [1000.0, 1000.0, 0.0]])),
        ("rows of very different size", np.array([[1000.0, 999.0], [0.0, -1.0], [-1000.0, -1001.0]])),
    ]
    for label, z in cases:
        case = f" ({label}: {z.tolist()})" if z.size <= 6 else f" ({label})"
        p = _as_array(_call(fn, z.copy(), case=case), "the result")
        if p.shape != z.shape:
            raise _Wrong(f"result has shape {p.shape}, expected {z.shape}{case}", "one probability per logit.")
        if not np.all(np.isfinite(p)):
            raise _Wrong(f"the result contains nan or inf{case}",
                         "exp(1000) overflows: subtract each row's maximum before exp (it cancels in the ratio).")
        if not np.allclose(p.sum(axis=1), 1.0):
            raise _Wrong(f"rows do not sum to 1{case}", "normalize over each row (axis=1), one example per row.")
        if not np.allclose(p, _reference_softmax(z), atol=1e-12):
            raise _Wrong(f"wrong values{case}", "subtract each row's own maximum, not one maximum for the batch.")
    return "finite and exact for small logits, logits near 1000, and rows of very different size."


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
                     "total = sqrt(sum of the squares of every entry of every gradient).")
    norms = [float(np.linalg.norm(g)) for g in grads]
    if math.isclose(norms[0], 1.0, rel_tol=1e-4) and math.isclose(norms[1], 1.0, rel_tol=1e-4):
        raise _Wrong("you clipped each gradient on its own",
                     "clipping by norm rescales all gradients by one factor, max_norm / total_norm.")
    if math.isclose(norms[0], 3.0) and math.isclose(norms[1], 4.0):
        raise _Wrong("the gradients did not change", "scale them in place: g *= factor (not g = g * factor).")
    if not (math.isclose(norms[0], 0.6, rel_tol=1e-4) and math.isclose(norms[1], 0.8, rel_tol=1e-4)):
        raise _Wrong(f"after clipping the norms are {norms[0]:.4g} and {norms[1]:.4g}, expected 0.6 and 0.8",
                     "multiply every gradient by max_norm / total_norm.")
    small = [np.array([0.3, 0.4])]
    _call(fn, small, 1.0, case=" (norm 0.5, max_norm 1)")
    if not np.allclose(small[0], [0.3, 0.4]):
        raise _Wrong("a gradient below max_norm was changed", "clip only when total_norm > max_norm.")
    return "returns the total norm, rescales all gradients together, in place, and only above max_norm."


# --------------------------------------------------------------------------------------------------
# Chapter 03
# --------------------------------------------------------------------------------------------------


@_exercise("prior_bias")
def _grade_prior_bias(fn):
    y = np.array([0] * 90 + [1] * 9 + [2] * 1)
    b = _as_array(_call(fn, y, 3, case=" (90/9/1 examples of 3 classes)"), "the bias")
    if b.shape != (3,):
        raise _Wrong(f"result has shape {b.shape}, expected (3,)", "one bias per class.")
    if not np.all(np.isfinite(b)):
        raise _Wrong("the bias contains nan or inf")
    p = _reference_softmax(b[None, :])[0]
    if np.allclose(b, [0.9, 0.09, 0.01]):
        raise _Wrong("you returned the class frequencies", "softmax(b) should equal them: take their log.")
    if not np.allclose(p, [0.9, 0.09, 0.01], atol=1e-9):
        raise _Wrong(f"softmax(b) = {np.round(p, 3).tolist()}, expected the class frequencies [0.9, 0.09, 0.01]",
                     "b_k = log(count_k / n) makes softmax(b) equal the class frequencies.")
    return "softmax(b) equals the class frequencies, so the untrained network predicts the priors."


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
                     "a unit is dead when it is 0 for every example: test whole columns.")
    if math.isclose(got, 0.0) or math.isclose(got, 0.25):
        raise _Wrong(f"returned {got:.3g}; units 0 and 3 are 0 for every example", "columns are units, rows examples.")
    if not math.isclose(got, 0.5):
        raise _Wrong(f"returned {got:.3g}, expected 0.5 (units 0 and 3 of 4)")
    return "counts the units (columns) that are 0 for every example (row)."


# --------------------------------------------------------------------------------------------------
# Chapter 04
# --------------------------------------------------------------------------------------------------


@_exercise("momentum_update")
def _grade_momentum_update(fn):
    w, v, g = np.array([1.0, -2.0]), np.array([0.5, 0.25]), np.array([0.2, -0.4])
    out = _call(fn, w.copy(), v.copy(), g.copy(), 0.1, 0.9, case=" (w=[1, -2], v=[0.5, 0.25], g=[0.2, -0.4])")
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise _Wrong(f"return the pair (w, v), got {type(out).__name__}")
    new_w, new_v = (_as_array(a, name) for a, name in zip(out, ("w", "v")))
    v_torch = 0.9 * v + g
    if np.allclose(new_v, 0.9 * v + 0.1 * g):
        raise _Wrong("that is the EMA form v = beta v + (1 - beta) g",
                     "the PyTorch form adds the whole gradient: v = beta v + g.")
    if np.allclose(new_v, 0.9 * v - 0.1 * g):
        raise _Wrong("that is the velocity form v = mu v - lr g", "here v = beta v + g, and w = w - lr v.")
    if not np.allclose(new_v, v_torch):
        raise _Wrong(f"v is {new_v.tolist()}, expected {v_torch.tolist()}", "v = beta * v + g.")
    if np.allclose(new_w, w - 0.1 * g):
        raise _Wrong("w moved by the gradient alone", "move w along the new velocity: w = w - lr * v.")
    if not np.allclose(new_w, w - 0.1 * v_torch):
        raise _Wrong(f"w is {new_w.tolist()}, expected {(w - 0.1 * v_torch).tolist()}",
                     "w = w - lr * v, with the new v.")
    return "v = beta v + g, then w = w - lr v, as torch.optim.SGD."


@_exercise("optimal_momentum")
def _grade_optimal_momentum(fn):
    for kappa in (10.0, 100.0, 1e4):
        got = _call(fn, kappa, case=f" for kappa={kappa:g}")
        try:
            got = float(got)
        except (TypeError, ValueError):
            raise _Wrong(f"return a number, got {type(got).__name__}") from None
        rate = (math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)
        if math.isclose(got, rate):
            raise _Wrong(f"you returned the convergence rate {rate:.4f} for kappa={kappa:g}",
                         "the optimal momentum is the square of that rate.")
        if math.isclose(got, (kappa - 1) / (kappa + 1)):
            raise _Wrong(f"you returned gradient descent's rate (kappa - 1)/(kappa + 1) for kappa={kappa:g}",
                         "use sqrt(kappa).")
        if not math.isclose(got, rate**2, rel_tol=1e-9):
            raise _Wrong(f"got {got:.4f}, expected {rate**2:.4f} for kappa={kappa:g}",
                         "beta = ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))^2.")
    return "beta = ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))^2 for kappa = 10, 100, 10^4."


# --------------------------------------------------------------------------------------------------
# Chapter 05
# --------------------------------------------------------------------------------------------------


@_exercise("bias_correction")
def _grade_bias_correction(fn):
    beta1, beta2 = 0.9, 0.999
    for t in (1, 2, 10):
        m = np.array([(1 - beta1**t) * 0.5, -(1 - beta1**t)])  # moments of constant gradients 0.5 and -1
        v = np.array([(1 - beta2**t) * 0.25, (1 - beta2**t) * 1.0])
        case = f" at step t={t}"
        out = _call(fn, m.copy(), v.copy(), t, beta1, beta2, case=case)
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise _Wrong(f"return the pair (m_hat, v_hat), got {type(out).__name__}")
        m_hat, v_hat = (_as_array(a, name) for a, name in zip(out, ("m_hat", "v_hat")))
        if np.allclose(m_hat, m) and t > 0:
            raise _Wrong(f"m_hat equals m{case}", "divide m by 1 - beta1**t.")
        if t > 1 and np.allclose(m_hat, m / (1 - beta1 ** (t - 1))):
            raise _Wrong(f"you used beta1**(t-1){case}", "t counts from 1: the first step divides by 1 - beta1.")
        if not np.allclose(m_hat, [0.5, -1.0]):
            raise _Wrong(f"m_hat is {np.round(m_hat, 4).tolist()}, expected [0.5, -1.0]{case}",
                         "m_hat = m / (1 - beta1**t): for a constant gradient it equals that gradient.")
        if not np.allclose(v_hat, [0.25, 1.0]):
            raise _Wrong(f"v_hat is {np.round(v_hat, 4).tolist()}, expected [0.25, 1.0]{case}",
                         "v_hat = v / (1 - beta2**t), with beta2, not beta1.")
    return "m / (1 - beta1^t) and v / (1 - beta2^t): a constant gradient is recovered exactly from step 1."


@_exercise("rmsprop_update")
def _grade_rmsprop_update(fn):
    w, s, g = np.array([1.0, 1.0]), np.array([0.0, 4.0]), np.array([2.0, 1e-6])
    lr, alpha, eps = 0.01, 0.9, 1e-3
    out = _call(fn, w.copy(), s.copy(), g.copy(), lr, alpha, eps, case=" (w=[1, 1], s=[0, 4], g=[2, 1e-6])")
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise _Wrong(f"return the pair (w, s), got {type(out).__name__}")
    new_w, new_s = (_as_array(a, name) for a, name in zip(out, ("w", "s")))
    want_s = alpha * s + (1 - alpha) * g**2
    if np.allclose(new_s, alpha * s + (1 - alpha) * g):
        raise _Wrong("s averages g, not g**2", "s is the running average of the squared gradient.")
    if not np.allclose(new_s, want_s):
        raise _Wrong(f"s is {new_s.tolist()}, expected {want_s.tolist()}", "s = alpha * s + (1 - alpha) * g**2.")
    want_w = w - lr * g / (np.sqrt(want_s) + eps)
    if np.allclose(new_w, w - lr * g / np.sqrt(want_s + eps)):
        raise _Wrong("eps is inside the square root", "PyTorch's RMSprop adds eps after it: sqrt(s) + eps.")
    if np.allclose(new_w, w - lr * g / (np.sqrt(s) + eps)):
        raise _Wrong("you divided by the old s", "update s first, then use the new s.")
    if not np.allclose(new_w, want_w):
        raise _Wrong(f"w is {new_w.tolist()}, expected {want_w.tolist()}", "w = w - lr * g / (sqrt(s) + eps).")
    return "s = alpha s + (1 - alpha) g^2, then w = w - lr g / (sqrt(s) + eps), as torch.optim.RMSprop."


# --------------------------------------------------------------------------------------------------
# Chapter 06
# --------------------------------------------------------------------------------------------------


@_exercise("l2_penalty")
def _grade_l2_penalty(fn):
    W = np.array([[1.0, -2.0], [0.5, 3.0]])
    strength = 0.1
    out = _call(fn, W.copy(), strength, case=" (W=[[1, -2], [0.5, 3]], strength=0.1)")
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
                     "the derivative of strength * W^2 is 2 strength W: with gradient strength * W, "
                     "the penalty is (strength / 2) * sum W^2.")
    if np.allclose(grad, 2 * want_grad):
        raise _Wrong("grad is 2 * strength * W", "with penalty (strength / 2) sum W^2 the gradient is strength * W.")
    if np.allclose(grad, strength * np.sign(W)):
        raise _Wrong("grad is strength * sign(W): that is L1's", "L2's gradient is proportional to W itself.")
    if not math.isclose(value, want_value):
        raise _Wrong(f"penalty is {value:g}, expected {want_value:g}", "(strength / 2) * np.sum(W**2).")
    if not np.allclose(grad, want_grad):
        raise _Wrong(f"grad is {grad.tolist()}, expected {want_grad.tolist()}", "grad = strength * W.")
    return "penalty (strength/2) sum W^2 and gradient strength W: the gradient of that penalty."


@_exercise("soft_threshold")
def _grade_soft_threshold(fn):
    w = np.array([-1.5, -0.2, 0.0, 0.05, 0.3, 2.0])
    threshold = 0.25
    case = " (w=[-1.5, -0.2, 0, 0.05, 0.3, 2], threshold=0.25)"
    got = _as_array(_call(fn, w.copy(), threshold, case=case), "the result")
    want = np.sign(w) * np.maximum(np.abs(w) - threshold, 0)
    if got.shape != w.shape:
        raise _Wrong(f"result has shape {got.shape}, expected {w.shape}{case}")
    if np.allclose(got, w - threshold * np.sign(w)):
        raise _Wrong(f"small weights crossed zero: {np.round(got, 3).tolist()}{case}",
                     "that is a subgradient step; stop at zero: max(|w| - threshold, 0), with w's sign.")
    if np.allclose(got, np.where(np.abs(w) > threshold, w, 0)):
        raise _Wrong(f"large weights were not shrunk{case}",
                     "that is hard thresholding (pruning); soft thresholding also moves the survivors "
                     "toward 0 by threshold.")
    if np.allclose(got, np.maximum(np.abs(w) - threshold, 0)):
        raise _Wrong(f"negative weights became positive{case}", "multiply by np.sign(w).")
    if not np.allclose(got, want):
        raise _Wrong(f"got {np.round(got, 3).tolist()}, expected {np.round(want, 3).tolist()}{case}",
                     "sign(w) * max(|w| - threshold, 0).")
    return (f"sign(w) max(|w| - t, 0): {int(np.sum(want == 0))} of {w.size} weights exactly 0, the others shrunk "
            "by t (the proximal step of L1).")


# --------------------------------------------------------------------------------------------------
# Chapter 07
# --------------------------------------------------------------------------------------------------


@_exercise("prune_mask")
def _grade_prune_mask(fn):
    rng = np.random.default_rng(7)
    cases = [(rng.normal(size=(3, 3)), 0.3), (rng.normal(size=(4, 5)), 0.5), (rng.normal(size=(2, 7)), 0.0),
             (rng.normal(size=(5,)), 1.0), (np.array([[0.5, -0.5, 0.1], [0.5, 2.0, -0.1]]), 0.5)]
    for w, sparsity in cases:
        case = f" (w of shape {w.shape}, sparsity {sparsity})"
        mask = np.asarray(_call(fn, w.copy(), sparsity, case=case))
        if mask.shape != w.shape:
            raise _Wrong(f"mask has shape {mask.shape}, expected {w.shape}{case}", "one True/False per weight.")
        if mask.dtype != bool:
            raise _Wrong(f"mask has dtype {mask.dtype}, expected bool{case}", "True where the weight is kept.")
        count = int(round(sparsity * w.size))
        zeros = int(np.sum(~mask))
        if zeros == w.size - count and zeros != count:
            raise _Wrong(f"{zeros} weights pruned, expected {count}{case}: the mask is upside down",
                         "True means kept: keep the large weights.")
        if zeros != count:
            raise _Wrong(f"{zeros} weights pruned, expected round(sparsity * n) = {count}{case}",
                         "a threshold from np.quantile or int(sparsity * n) misses the count on ties "
                         "or on rounding: sort the magnitudes (np.argsort) and drop the first count.")
        kept, dropped = np.abs(w[mask]), np.abs(w[~mask])
        if kept.size and dropped.size and dropped.max() > kept.min():
            signed = np.argsort(w.ravel(), kind="stable")[:count]
            if set(signed) == set(np.flatnonzero(~mask.ravel())):
                raise _Wrong(f"the most negative weights were pruned{case}", "rank by magnitude: np.abs(w).")
            raise _Wrong(f"a pruned weight (|w| = {dropped.max():.3f}) is larger than a kept one "
                         f"(|w| = {kept.min():.3f}){case}", "drop the weights with the smallest |w|.")
    return "exactly round(sparsity * n) of the smallest |w| pruned, for sparsity 0 to 1 and with ties."


@_exercise("symmetric_quantize")
def _grade_symmetric_quantize(fn):
    from .quantization import quantize

    cases = [(np.array([-1.0, -0.5, 0.0, 0.24, 0.26, 1.27]), 8),
             (np.array([-7.5, -2.5, 0.0, 0.5, 1.5, 7.5]), 4)]  # scale 1 exactly: halves and the clamp at 7
    for w, bits in cases:
        case = f" (w={w.tolist()}, bits={bits})"
        out = _call(fn, w.copy(), bits, case=case)
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise _Wrong(f"return the pair (q, scale), got {type(out).__name__}")
        q, scale = _as_array(out[0], "q"), out[1]
        try:
            scale = float(scale)
        except (TypeError, ValueError):
            raise _Wrong(f"scale should be a number, got {type(scale).__name__}") from None
        want_q, want_scale, _ = quantize(w, bits, "symmetric")
        qmax = 2 ** (bits - 1) - 1
        if math.isclose(scale, np.abs(w).max() / qmax):
            raise _Wrong(f"scale is max|w| / {qmax}{case}",
                         f"PyTorch's symmetric range is [-{qmax + 1}, {qmax}]: scale = max|w| / ((qmax - qmin) / 2) "
                         f"= max|w| / {(2 * qmax + 1) / 2}.")
        if not math.isclose(scale, want_scale):
            raise _Wrong(f"scale is {scale:.6g}, expected {want_scale:.6g}{case}", "max|w| / ((qmax - qmin) / 2).")
        if q.shape != w.shape:
            raise _Wrong(f"q has shape {q.shape}, expected {w.shape}{case}")
        if np.array_equal(q, np.clip(np.floor(w / scale + 0.5), -qmax - 1, qmax)) and not np.array_equal(q, want_q):
            raise _Wrong(f"q is {q.astype(int).tolist()}, expected {want_q.tolist()}{case}",
                         "np.round rounds halves to even, as PyTorch does; floor(x + 0.5) does not.")
        if np.any(q > qmax) or np.any(q < -qmax - 1):
            raise _Wrong(f"q is {q.astype(int).tolist()}: outside [{-qmax - 1}, {qmax}]{case}", "clamp with np.clip.")
        if not np.array_equal(q, want_q):
            raise _Wrong(f"q is {q.astype(int).tolist()}, expected {want_q.tolist()}{case}",
                         "q = clip(round(w / scale), qmin, qmax).")
    return "scale = max|w| / ((qmax - qmin) / 2), q = clip(round(w / scale)) with PyTorch's rounding, 8 and 4 bits."


# --------------------------------------------------------------------------------------------------
# Chapter 08
# --------------------------------------------------------------------------------------------------
# (graders of chapter 08 go here)


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
        got = _call(fn, logits.copy(), y.copy(), case=case, hint="the predicted class of row i is "
                                                                  "logits[i].argmax(); compare it with y[i].")
        try:
            got = float(got)
        except (TypeError, ValueError):
            raise _Wrong(f"return one number, the fraction of right predictions, got {type(got).__name__}{case}",
                         "np.mean(logits.argmax(axis=1) == y) is a number in [0, 1].") from None
        want = float(np.mean(predicted == y))
        if math.isclose(got, 100 * want) and want:
            raise _Wrong(f"you returned {got:g}, a percentage{case}", "return the fraction in [0, 1]; "
                                                                        "format it as a percentage with :.1%.")
        if math.isclose(got, want * n) and n > 1 and want:
            raise _Wrong(f"you returned {got:g}, the number of right predictions{case}", "divide by the number "
                                                                                         "of examples (np.mean).")
        if n == classes and math.isclose(got, float(np.mean(logits.argmax(axis=0) == y))) and not math.isclose(
                got, want):
            raise _Wrong(f"that is the argmax over axis 0, one per class{case}",
                         "one example per row: the prediction is the argmax over axis=1, the classes.")
        if not math.isclose(got, want, abs_tol=1e-12):
            raise _Wrong(f"got {got:.4g}, expected {want:.4g}{case}",
                         "the prediction is the class with the largest logit (argmax), not the logit itself.")
    return "the fraction of rows whose largest logit is at the true class, on 3 cases (the largest logit is the " \
           "most probable class: no softmax needed)."


@_exercise("confusion_matrix")
def _grade_confusion_matrix(fn):
    from .mnist_tools import confusion_matrix

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
                     "rows are the true classes, columns the predicted ones: C[y_true[n], y_pred[n]] += 1.")
    once = np.zeros_like(want)
    once[y_true, y_pred] += 1
    if np.array_equal(got, once):
        raise _Wrong(f"each (true, predicted) pair was counted once, however often it occurs{case}",
                     "C[y_true, y_pred] += 1 with index arrays adds 1 once per distinct pair (numpy buffers the "
                     "writes): loop over the examples, or use np.add.at(C, (y_true, y_pred), 1).")
    if not np.array_equal(got, want):
        raise _Wrong(f"got {got.astype(int).tolist()}, expected {want.tolist()}{case}",
                     "C[i, j] = the number of examples of true class i predicted as class j.")
    return "C[i, j] counts true class i predicted as j: repeats counted, every class kept, rows = true classes."


# --------------------------------------------------------------------------------------------------
# Chapter 09
# --------------------------------------------------------------------------------------------------
# (graders of chapter 09 go here)


@_exercise("tied_weight_grad")
def _grade_tied_weight_grad(fn):
    rng = np.random.default_rng(9)
    for n, n_inputs, n_hidden in [(3, 4, 4), (4, 6, 3), (1, 5, 2)]:  # the first one square: W and W.T alike
        x, dx_hat = rng.normal(size=(n, n_inputs)), rng.normal(size=(n, n_inputs))
        h, dz = rng.random(size=(n, n_hidden)), rng.normal(size=(n, n_hidden))
        case = f" (x {x.shape}, h {h.shape}, dz {dz.shape}, dx_hat {dx_hat.shape})"
        hint = "W is used twice: z = x @ W (encoder) and x_hat = h @ W.T (decoder); add both uses' gradients."
        got = _as_array(_call(fn, x.copy(), h.copy(), dz.copy(), dx_hat.copy(), case=case, hint=hint), "the result")
        encoder, decoder = x.T @ dz, dx_hat.T @ h
        want = encoder + decoder
        if got.shape == (n_hidden, n_inputs) and n_hidden != n_inputs:
            raise _Wrong(f"result has shape {got.shape}, W.T's; expected W's shape {want.shape}{case}",
                         "the gradient of W has W's shape (n_inputs, n_hidden): transpose the decoder's h.T @ dx_hat.")
        if got.shape != want.shape:
            raise _Wrong(f"result has shape {got.shape}, expected W's shape {want.shape}{case}", hint)
        if np.allclose(got, encoder):
            raise _Wrong(f"that is only the encoder's gradient x.T @ dz{case}",
                         "W is also used by the decoder (as W.T): add its gradient, dx_hat.T @ h.")
        if np.allclose(got, decoder):
            raise _Wrong(f"that is only the decoder's gradient dx_hat.T @ h{case}",
                         "W is also used by the encoder: add its gradient, x.T @ dz.")
        if np.allclose(got, want / 2):
            raise _Wrong(f"you averaged the two gradients{case}",
                         "a weight used twice gets the SUM of both uses' gradients (the chain rule adds them).")
        if n_hidden == n_inputs and np.allclose(got, encoder + decoder.T):
            raise _Wrong(f"the decoder's gradient is not transposed{case}",
                         "the decoder uses W.T, so its gradient with respect to W is (h.T @ dx_hat).T = dx_hat.T @ h.")
        if not np.allclose(got, want):
            raise _Wrong(f"wrong values{case}", "dW = x.T @ dz + dx_hat.T @ h.")
    return "dW = x.T @ dz + dx_hat.T @ h: both uses of the tied weight add up, on 3 cases (one square)."


def _shuffle_reference(x, y, feature, predict, rng, repeats):
    baseline = np.mean(predict(x) == y)
    drops = []
    for _ in range(repeats):
        shuffled = x.copy()
        shuffled[:, feature] = x[rng.permutation(len(x)), feature]
        drops.append(baseline - np.mean(predict(shuffled) == y))
    return float(np.mean(drops))


@_exercise("permutation_drop")
def _grade_permutation_drop(fn):
    rng = np.random.default_rng(9)
    x = rng.normal(size=(4000, 3))
    w = np.array([1.0, 0.5, 0.0])  # feature 2 is ignored by the model
    y = (x @ w > 0).astype(int)

    def predict(a):  # the model: right on every example of (x, y)
        return (np.asarray(a) @ w > 0).astype(int)

    def run(feature, seed):
        data = x.copy()
        case = f" (feature {feature})"
        got = _call(fn, predict, data, y.copy(), feature, np.random.default_rng(seed), case=case,
                    hint="shuffle a copy of column `feature` with rng.permutation, predict, compare the accuracies.")
        if not np.array_equal(data, x):
            raise _Wrong(f"your function changed x{case}: the caller's data are shuffled now",
                         "shuffle a copy: x_shuffled = x.copy(), then x_shuffled[:, feature] = ...")
        try:
            return float(got)
        except (TypeError, ValueError):
            raise _Wrong(f"return one number, the accuracy drop, got {type(got).__name__}{case}") from None

    ignored = run(2, 0)
    if math.isclose(ignored, 1.0):
        raise _Wrong("for a feature the model ignores you returned 1.0: the accuracy after shuffling, not its drop",
                     "return baseline accuracy - accuracy after shuffling (0 for an ignored feature).")
    if ignored > 0.05:
        raise _Wrong(f"shuffling a feature the model ignores dropped the accuracy by {ignored:.3f}; expected 0",
                     "shuffle only column `feature` (x[:, feature]); permuting whole rows (x[perm]) or the labels "
                     "moves every feature away from its label.")
    for feature in (0, 1):
        got = run(feature, 1)
        want = _shuffle_reference(x, y, feature, predict, np.random.default_rng(100), 20)
        zeroed = x.copy()
        zeroed[:, feature] = 0.0
        if math.isclose(got, -want, abs_tol=0.03):
            raise _Wrong(f"the drop has the wrong sign: {got:.3f} for feature {feature}",
                         "drop = baseline accuracy - accuracy after shuffling (positive when the feature matters).")
        if math.isclose(got, 1.0 - want, abs_tol=0.03):
            raise _Wrong(f"you returned the accuracy after shuffling feature {feature} ({got:.3f}), not its drop",
                         "return baseline accuracy - accuracy after shuffling.")
        if math.isclose(got, 1.0 - np.mean(predict(zeroed) == y), abs_tol=0.01) and not math.isclose(got, want,
                                                                                                    abs_tol=0.03):
            raise _Wrong(f"feature {feature}: a drop of {got:.3f} is what replacing the feature by 0 (or its mean) "
                         "gives",
                         "permute the column (rng.permutation): the feature keeps its values and distribution, "
                         "only their link with the labels is broken.")
        if not math.isclose(got, want, abs_tol=0.03):
            raise _Wrong(f"feature {feature}: drop {got:.3f}, expected about {want:.3f}",
                         "shuffle column `feature` of a copy of x across the rows, then baseline - shuffled accuracy.")
    if run(0, 7) != run(0, 7) or run(1, 8) != run(1, 8):
        raise _Wrong("two calls with generators of the same seed gave different drops",
                     "shuffle with the rng you are given (rng.permutation), not np.random.")
    return ("0 for an ignored feature, the expected drops for the two others, x left unchanged, reproducible with "
            "rng.")


check_dense_forward = _printer("dense_forward")
check_dense_backward = _printer("dense_backward")
check_xavier_std = _printer("xavier_std")
check_he_normal = _printer("he_normal")
check_truncated_normal = _printer("truncated_normal")
check_stable_softmax = _printer("stable_softmax")
check_clip_grad_norm = _printer("clip_grad_norm")
check_prior_bias = _printer("prior_bias")
check_dead_fraction = _printer("dead_fraction")
check_momentum_update = _printer("momentum_update")
check_optimal_momentum = _printer("optimal_momentum")
check_bias_correction = _printer("bias_correction")
check_rmsprop_update = _printer("rmsprop_update")
check_l2_penalty = _printer("l2_penalty")
check_soft_threshold = _printer("soft_threshold")
check_prune_mask = _printer("prune_mask")
check_symmetric_quantize = _printer("symmetric_quantize")

# chapter 08 printers (and their names in __all__)
check_accuracy_from_logits = _printer("accuracy_from_logits")
check_confusion_matrix = _printer("confusion_matrix")
__all__ += ["check_accuracy_from_logits", "check_confusion_matrix"]

# chapter 09 printers (and their names in __all__)
check_tied_weight_grad = _printer("tied_weight_grad")
check_permutation_drop = _printer("permutation_drop")
__all__ += ["check_tied_weight_grad", "check_permutation_drop"]
