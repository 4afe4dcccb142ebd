"""The exercises of chapter 04 (``notebooks/04_momentum.ipynb``): ``momentum_update``, ``optimal_momentum`` and
``nesterov_step`` (the main one: Nesterov's step in PyTorch's form, run against ``SGD(nesterov=True)``)."""

import math

import numpy as np

from ..convergence import measured_rate, nesterov_optimal, quadratic
from ..optim import SGD
from ._grading import _as_array, _call, _exercise, _printer, _Wrong

__all__ = ["check_momentum_update", "check_optimal_momentum", "check_nesterov_step"]

_FORMS = "chapter 04, section 2 'Three ways to write the same update'"
_RATES = "chapter 04, section 3 'Rates on an ill-conditioned quadratic'"


def _changed_inputs(before, after, names):
    """The names of the inputs the learner's function modified (``before`` are copies taken before the call)."""
    return [name for name, a, b in zip(names, before, after) if not np.array_equal(a, b)]


@_exercise("momentum_update")
def _grade_momentum_update(fn):
    cases = [  # (w, v, g, lr, beta): the first has lr != 1 - beta (so that the EMA form is told from beta v + lr g)
        (np.array([[0.5, -1.0, 2.0], [0.0, 3.0, -0.5]]), np.array([[1.0, 0.0, -2.0], [0.5, 0.5, 0.25]]),
         np.array([[-1.0, 2.0, 0.5], [4.0, -3.0, 0.0]]), 0.05, 0.5),
        (np.array([1.0, -2.0]), np.array([0.5, 0.25]), np.array([0.2, -0.4]), 0.1, 0.9),
    ]
    for w, v, g, lr, beta in cases:
        case = f" (w of shape {w.shape}, lr={lr:g}, beta={beta:g})"
        inputs = (w.copy(), v.copy(), g.copy())
        out = _call(fn, *inputs, lr, beta, case=case)
        changed = _changed_inputs((w, v, g), inputs, ("w", "v", "g"))
        if changed:
            raise _Wrong(f"your function changed its input {' and '.join(changed)}{case}",
                         "return new arrays (v = beta * v + ..., not v *= ...): a caller that keeps the old w "
                         "(to plot the path, as section 2 does) would see it change.")
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise _Wrong(f"return the pair (w, v), got {type(out).__name__}")
        new_w, new_v = (_as_array(a, name) for a, name in zip(out, ("w", "v")))
        if new_w.shape != w.shape or new_v.shape != w.shape:
            raise _Wrong(f"w has shape {new_w.shape} and v {new_v.shape}, expected both {w.shape}{case}",
                         "one velocity per weight.")
        v_torch = beta * v + g
        if np.allclose(new_v, beta * v + (1 - beta) * g):
            raise _Wrong(f"that is the EMA form v = beta v + (1 - beta) g{case}",
                         f"this exercise uses PyTorch's form, not the EMA one: re-read it in {_FORMS}.")
        if np.allclose(new_v, beta * v - lr * g):
            raise _Wrong(f"that is the velocity form v = beta v - lr g{case}",
                         f"the velocity form puts lr inside v; this exercise uses PyTorch's form: re-read it in "
                         f"{_FORMS}.")
        if not np.allclose(new_v, v_torch):
            raise _Wrong(f"v is {np.round(new_v, 4).tolist()}, expected {np.round(v_torch, 4).tolist()}{case}",
                         f"re-read PyTorch's velocity update in {_FORMS}.")
        if np.allclose(new_w, w - lr * g):
            raise _Wrong(f"w moved by the gradient alone{case}",
                         f"with momentum the weights move along the velocity, not the raw gradient ({_FORMS}).")
        if np.allclose(new_w, w - lr * v):
            raise _Wrong(f"w moved along the old velocity{case}",
                         f"check the order: the step of w uses the velocity you have just updated ({_FORMS}).")
        if not np.allclose(new_w, w - lr * v_torch):
            raise _Wrong(f"w is {np.round(new_w, 4).tolist()}, expected {np.round(w - lr * v_torch, 4).tolist()}{case}",
                         f"re-read PyTorch's form in {_FORMS}: w moves by lr times the new velocity.")
    return "v = beta v + g, then w = w - lr v, as torch.optim.SGD (two cases; the inputs left unchanged)."


@_exercise("optimal_momentum")
def _grade_optimal_momentum(fn):
    for kappa in (10.0, 100.0, 1e4):
        got = _call(fn, kappa, case=f" for kappa={kappa:g}")
        try:
            got = float(got)
        except (TypeError, ValueError):
            raise _Wrong(f"return a number, got {type(got).__name__}", "one momentum, beta, for one kappa.") from None
        rate = (math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)
        if math.isclose(got, rate):
            raise _Wrong(f"you returned the convergence rate {rate:.4f} for kappa={kappa:g}",
                         f"that rate is what the optimal momentum achieves, not the momentum itself: re-read "
                         f"{_RATES}.")
        if math.isclose(got, (kappa - 1) / (kappa + 1)):
            raise _Wrong(f"you returned gradient descent's rate (kappa - 1)/(kappa + 1) for kappa={kappa:g}",
                         f"with momentum the rate depends on kappa differently: re-read {_RATES}.")
        if not math.isclose(got, rate**2, rel_tol=1e-9):
            raise _Wrong(f"got {got:.4f}, expected {rate**2:.4f} for kappa={kappa:g}",
                         f"re-read the optimal momentum in {_RATES}.")
    return "beta = ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))^2 for kappa = 10, 100, 10^4."


check_momentum_update = _printer("momentum_update")
check_optimal_momentum = _printer("optimal_momentum")


# --------------------------------------------------------------------------------------------------
# main exercise: Nesterov's step in PyTorch's form, run against SGD(nesterov=True)
# --------------------------------------------------------------------------------------------------

_NESTEROV = "chapter 04, section 5 'Nesterov beside the heavy ball'"
_STEP_SOURCE = "chapter 04, section 1 (`show_source(SGD.step)`)"
_NESTEROV_STEPS = 300


def _nesterov_problem():
    """Two parameters of one model, each with its own quadratic loss: the rotated valley of section 3 (eigenvalues
    1 and 100) and a (2, 3) matrix with other curvatures per entry; the gradient functions and the starts."""
    valley = quadratic(100.0, angle=0.3)
    curvature = np.array([[1.0, 4.0, 0.5], [20.0, 2.0, 9.0]])
    gradients = [lambda w: valley @ w, lambda W: curvature * W]
    starts = [np.array([1.0, -0.5]), np.array([[1.0, -2.0, 0.5], [0.3, 0.7, -1.0]])]
    return gradients, starts


def _heavy_ball(where):
    return _Wrong(f"w moved along the new buffer v alone{where}: that is the heavy ball (SGD with nesterov=False)",
                  f"w - lr (g + beta v_old), with the buffer from before the update, is that same step. Nesterov's "
                  f"step looks ahead, with the updated buffer: re-read {_NESTEROV}.")


def _nesterov_diagnosis(fn, w_before, v_before, g, w_got, v_got, lr, beta, where):
    """Why the learner's step differs from PyTorch's, from the state before the step (v_before None on step 1)."""
    first = v_before is None
    v_right = g if first else beta * v_before + g

    def near(a, b):
        return a is not None and b is not None and np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=1e-8,
                                                                                              atol=1e-12)

    w_right = w_before - lr * (g + beta * v_right)
    probe = None
    if first and near(w_got, w_before - lr * g):
        v_probe = 0.5 * g + np.linspace(0.1, 0.2, g.size).reshape(g.shape)  # a buffer left by earlier steps
        w_probe = np.array(w_before, dtype=float)
        try:
            _call(fn, w_probe, g.copy(), {"velocity": v_probe.copy()}, lr, beta)
            probe = w_probe, v_probe
        except _Wrong:
            probe = None
    if near(w_got, w_right) and (near(v_got, -lr * v_right) or near(v_got, lr * v_right)):
        return _Wrong(f"w is right, but state['velocity'] is {'-' if near(v_got, -lr * v_right) else ''}lr times "
                      f"PyTorch's buffer{where}",
                      f"that is the velocity of Sutskever et al.'s form (v = beta v - lr g), where lr lives inside v. "
                      f"PyTorch's buffer has no lr in it: re-read {_NESTEROV} and the table of section 2.")
    if not first and near(v_got, v_right) and near(w_got, w_before - lr * v_right):
        return _heavy_ball(where)
    if first and near(v_got, (1 + beta) * g):
        return _Wrong(f"on the first step the buffer is (1 + beta) g{where}: you set it to g and then also "
                      "applied the update v = beta v + g",
                      f"PyTorch creates the buffer on the first step and that is all it does to it then: re-read "
                      f"the first-step branch in {_STEP_SOURCE}.")
    if first and near(w_got, w_before - lr * g) and probe is not None:
        # the heavy ball, a look-ahead with the old buffer and a plain first step all give w - lr g on step 1: one
        # step from a buffer left by earlier steps tells them apart
        w_probe, v_probe = probe
        if near(w_probe, w_before - lr * (beta * v_probe + g)):
            return _heavy_ball(where)
        return _Wrong(f"your first step is a plain gradient step, w - lr g{where}",
                      f"the buffer is created on the first step, and the first step already uses it (look ahead "
                      f"with the new buffer): re-read {_STEP_SOURCE}.")
    damped = (1 - beta) * g if first else beta * v_before + (1 - beta) * g
    if near(v_got, damped):
        return _Wrong(f"v = beta v + (1 - beta) g{where}: that is dampening = beta (the EMA form of section 2)",
                      f"PyTorch's Nesterov needs dampening = 0 (SGD raises ValueError otherwise): the gradient enters "
                      f"the buffer undamped. Re-read {_NESTEROV}.")
    if not near(v_got, v_right):
        shown = "missing" if v_got is None else np.round(v_got, 4).tolist()
        return _Wrong(f"state['velocity'] is {shown}, expected {np.round(v_right, 4).tolist()}{where}",
                      f"re-read the velocity update of PyTorch's form in {_NESTEROV}.")
    return _Wrong(f"w is {np.round(w_got, 4).tolist()}, expected {np.round(w_right, 4).tolist()}{where}",
                  f"re-read Nesterov's step in PyTorch's form in {_NESTEROV}.")


@_exercise("nesterov_step")
def _grade_nesterov_step(fn):
    lr, beta, theory = nesterov_optimal(1.0, 100.0)  # its best tuning for the valley: lr 4/301, beta 0.793
    gradients, starts = _nesterov_problem()
    reference = [w.copy() for w in starts]
    optimizer = SGD(reference, lr=lr, momentum=beta, nesterov=True)
    weights = [w.copy() for w in starts]
    states = [{}, {}]
    grad_arrays = [np.zeros_like(w) for w in starts]  # one gradient array per parameter, rewritten at every step
    path = [weights[0].copy()]
    for step in range(1, _NESTEROV_STEPS + 1):
        velocities = [None if not s else s["velocity"].copy() for s in optimizer.state]
        optimizer.step([grad(w) for grad, w in zip(gradients, reference)])
        for i, (w, state, g, grad) in enumerate(zip(weights, states, grad_arrays, gradients)):
            where = f" (step {step}, parameter {i} of shape {w.shape})"
            g[...] = grad(w)
            g_before, w_before = g.copy(), w.copy()
            returned = _call(fn, w, g, state, lr, beta, case=where)
            if not np.array_equal(g, g_before):
                raise _Wrong(f"your function changed g{where}",
                             "g belongs to the caller (a model rewrites it at every step): read it, never write to it.")
            if np.array_equal(w, w_before):
                if isinstance(returned, np.ndarray) and returned.shape == w.shape:
                    raise _Wrong(f"you returned a new w, but the caller's w did not change{where}",
                                 "an optimizer updates the weights in place (w -= ..., or w[...] = ...), as SGD.step "
                                 "does with param -= ...; w = w - ... makes a new array the caller never sees.")
                raise _Wrong(f"w did not change{where}", "update w in place: w -= ... (not w = w - ...).")
            if "velocity" not in state:
                raise _Wrong(f"state has no 'velocity' after the step{where}",
                             "keep the buffer in the dict you were given, state['velocity'] = ..., as SGD.step does; "
                             "state = {...} inside your function makes a new dict the caller never sees.")
            v = state["velocity"]
            if isinstance(v, np.ndarray) and np.shares_memory(v, g):
                raise _Wrong(f"state['velocity'] is the array g itself{where}",
                             "the caller rewrites g with the next gradient, and your buffer would change with it: "
                             "store a copy (g.copy()), as SGD.step does on the first step.")
            v = _as_array(v, "state['velocity']")
            w_got = np.array(w, dtype=float)
            if not (np.allclose(w_got, reference[i], rtol=1e-8, atol=1e-12)
                    and v.shape == w.shape and np.allclose(v, optimizer.state[i]["velocity"], rtol=1e-8, atol=1e-12)):
                raise _nesterov_diagnosis(fn, w_before, velocities[i], g_before, w_got, v, lr, beta, where)
        path.append(weights[0].copy())
    rate = measured_rate(np.array(path))
    return (f"v = beta v + g (v = g on the first step), then w -= lr (g + beta v): w and the buffer match "
            f"SGD(nesterov=True) at each of {_NESTEROV_STEPS} steps on two parameters; on the valley of condition "
            f"number 100 the distance shrank by {rate:.3f} per step (theory {theory:.3f}).")


check_nesterov_step = _printer("nesterov_step")
