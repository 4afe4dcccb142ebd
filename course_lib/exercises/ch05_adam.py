"""The exercises of chapter 05 (``notebooks/05_adam.ipynb``): ``bias_correction``, ``rmsprop_update`` and ``adamw_step``
(the main one: a full AdamW step, run against ``course_lib.optim.AdamW`` for 100 steps)."""


import numpy as np

from ..optim import AdamW
from ._grading import _as_array, _call, _exercise, _printer, _Wrong

__all__ = ["check_bias_correction", "check_rmsprop_update", "check_adamw_step"]

_CORRECTION = "chapter 05, 'Bias correction, on the first ten steps'"
_RMSPROP = "chapter 05, section 1 'RMSprop: one step size per weight'"


@_exercise("bias_correction")
def _grade_bias_correction(fn):
    for t, beta1, beta2 in ((1, 0.9, 0.999), (2, 0.9, 0.999), (10, 0.9, 0.999), (3, 0.8, 0.99)):
        m = np.array([(1 - beta1**t) * 0.5, -(1 - beta1**t)])  # moments of constant gradients 0.5 and -1
        v = np.array([(1 - beta2**t) * 0.25, (1 - beta2**t) * 1.0])
        case = f" at step t={t}" + (f" with beta1={beta1:g}, beta2={beta2:g}" if beta1 != 0.9 else "")
        inputs = (m.copy(), v.copy())
        out = _call(fn, *inputs, t, beta1, beta2, case=case)
        changed = [name for name, a, b in zip(("m", "v"), (m, v), inputs) if not np.array_equal(a, b)]
        if changed:
            raise _Wrong(f"your function changed its input {' and '.join(changed)}{case}",
                         "return new arrays (m / ..., not m /= ...): m and v are Adam's running means, and the next "
                         "step needs them uncorrected.")
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise _Wrong(f"return the pair (m_hat, v_hat), got {type(out).__name__}")
        m_hat, v_hat = (_as_array(a, name) for a, name in zip(out, ("m_hat", "v_hat")))
        if np.allclose(m_hat, m) and t > 0:
            raise _Wrong(f"m_hat equals m{case}",
                         f"m starts at 0, so in the first steps it is too small: re-read {_CORRECTION}.")
        if t > 1 and np.allclose(m_hat, m / (1 - beta1 ** (t - 1))):
            raise _Wrong(f"you used beta1**(t-1){case}",
                         f"t counts the steps from 1: the first step has t = 1, not 0 ({_CORRECTION}).")
        if not np.allclose(m_hat, [0.5, -1.0]):
            raise _Wrong(f"m_hat is {np.round(m_hat, 4).tolist()}, expected [0.5, -1.0]{case}",
                         f"for a constant gradient the corrected moment equals that gradient, at every step: re-read "
                         f"{_CORRECTION}.")
        if np.allclose(v_hat, v / (1 - beta1**t)):
            raise _Wrong(f"v_hat is corrected with beta1{case}",
                         f"v is the average of g**2 with its own decay rate: check which beta it uses "
                         f"({_CORRECTION}).")
        if not np.allclose(v_hat, [0.25, 1.0]):
            raise _Wrong(f"v_hat is {np.round(v_hat, 4).tolist()}, expected [0.25, 1.0]{case}",
                         f"v is corrected as m is, with v's own decay rate: re-read {_CORRECTION}.")
    return "m / (1 - beta1^t) and v / (1 - beta2^t): a constant gradient is recovered exactly from step 1."


@_exercise("rmsprop_update")
def _grade_rmsprop_update(fn):
    cases = [  # (w, s, g, lr, alpha, eps): an s of 0 and a gradient below eps; then a matrix, another alpha
        (np.array([1.0, 1.0]), np.array([0.0, 4.0]), np.array([2.0, 1e-6]), 0.01, 0.9, 1e-3),
        (np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -3.0]]), np.array([[1.0, 0.25, 0.0], [9.0, 4.0, 0.01]]),
         np.array([[-0.5, 3.0, 0.1], [2.0, -1.0, 0.2]]), 0.1, 0.99, 1e-8),
    ]
    for w, s, g, lr, alpha, eps in cases:
        case = f" (w of shape {w.shape}, lr={lr:g}, alpha={alpha:g}, eps={eps:g})"
        inputs = (w.copy(), s.copy(), g.copy())
        out = _call(fn, *inputs, lr, alpha, eps, case=case)
        changed = [name for name, a, b in zip(("w", "s", "g"), (w, s, g), inputs) if not np.array_equal(a, b)]
        if changed:
            raise _Wrong(f"your function changed its input {' and '.join(changed)}{case}",
                         "return new arrays (s = alpha * s + ..., not s *= ...): the caller keeps the old ones.")
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise _Wrong(f"return the pair (w, s), got {type(out).__name__}")
        new_w, new_s = (_as_array(a, name) for a, name in zip(out, ("w", "s")))
        if new_w.shape != w.shape or new_s.shape != w.shape:
            raise _Wrong(f"w has shape {new_w.shape} and s {new_s.shape}, expected both {w.shape}{case}",
                         "one running average per weight.")
        want_s = alpha * s + (1 - alpha) * g**2
        if np.allclose(new_s, alpha * s + (1 - alpha) * g):
            raise _Wrong(f"s averages g, not g**2{case}",
                         f"s is the running average of the squared gradient ({_RMSPROP}).")
        if np.allclose(new_s, (1 - alpha) * s + alpha * g**2):
            raise _Wrong(f"alpha weighs the new g**2, not the old average{case}",
                         f"alpha is the share of s that is kept (0.99: a long memory): re-read {_RMSPROP}.")
        if not np.allclose(new_s, want_s):
            raise _Wrong(f"s is {np.round(new_s, 4).tolist()}, expected {np.round(want_s, 4).tolist()}{case}",
                         f"s is an exponential moving average of g**2 with rate alpha: re-read {_RMSPROP}.")
        want_w = w - lr * g / (np.sqrt(want_s) + eps)
        if np.allclose(new_w, w - lr * g / np.sqrt(want_s + eps)):
            raise _Wrong(f"eps is inside the square root{case}",
                         "the course follows PyTorch's RMSprop: re-read chapter 05, 'Where eps goes, and when it "
                         "matters'.")
        if np.allclose(new_w, w - lr * g / (np.sqrt(s) + eps)):
            raise _Wrong(f"you divided by the old s{case}",
                         f"the step divides by the running average that includes the current gradient ({_RMSPROP}).")
        if not np.allclose(new_w, want_w):
            raise _Wrong(f"w is {np.round(new_w, 4).tolist()}, expected {np.round(want_w, 4).tolist()}{case}",
                         f"re-read the RMSprop step in {_RMSPROP}.")
    return ("s = alpha s + (1 - alpha) g^2, then w = w - lr g / (sqrt(s) + eps), as torch.optim.RMSprop "
            "(two cases; the inputs left unchanged).")


check_bias_correction = _printer("bias_correction")
check_rmsprop_update = _printer("rmsprop_update")


# --------------------------------------------------------------------------------------------------
# main exercise: a full AdamW step, run against course_lib.optim.AdamW for 100 steps
# --------------------------------------------------------------------------------------------------

_ADAMW = "chapter 05, section 3 'Adam + L2 is not AdamW'"
_ADAM = "chapter 05, section 2 'Adam = momentum + RMSprop + bias correction'"
_STATE = "chapter 05, section 4 'State is per parameter'"
_ADAMW_STEPS = 100
_ADAMW_SETTINGS = dict(lr=0.01, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.1)


def _adamw_problem():
    """Two parameters, a (3, 4) matrix and a (4,) vector, each with a noisy quadratic loss whose gradients span four
    orders of magnitude (rows of size 1, 1e-2 and 1e-4: eps matters in the smallest); fixed noise (seed 5)."""
    rng = np.random.default_rng(5)
    scales = [np.array([[1.0], [1e-2], [1e-4]]), np.array([3.0, 1e-3, 0.3, 1e-4])]
    targets = [rng.normal(size=(3, 4)), rng.normal(size=4)]
    noise = [rng.normal(size=(_ADAMW_STEPS, 3, 4)), rng.normal(size=(_ADAMW_STEPS, 4))]
    starts = [np.array([[1.0, -2.0, 0.5, 3.0], [-1.0, 0.25, 2.0, -0.5], [0.75, -1.5, 1.0, 0.1]]),
              np.array([2.0, -1.0, 0.5, -3.0])]

    def gradient(i, w, step):
        return scales[i] * ((w - targets[i]) + 0.5 * noise[i][step])

    return gradient, starts


def _adam_update(w, g, m, v, t, lr, betas, eps, weight_decay, *, decay="decoupled", correct=True, eps_inside=False):
    """The new w after one step of Adam from (m, v, t) before it, t the steps done, in a variant: ``decay`` one of
    "decoupled" (AdamW), "L2" (Adam + L2), "no lr" (w * (1 - weight_decay)), "after" (decay the stepped w), "none"."""
    beta1, beta2 = betas
    if decay == "L2":
        g = g + weight_decay * w
    m, v, t = beta1 * m + (1 - beta1) * g, beta2 * v + (1 - beta2) * g**2, t + 1
    m_hat, v_hat = (m / (1 - beta1**t), v / (1 - beta2**t)) if correct else (m, v)
    step = lr * m_hat / (np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps)
    if decay == "decoupled":
        return w * (1 - lr * weight_decay) - step
    if decay == "no lr":
        return w * (1 - weight_decay) - step
    if decay == "after":
        return (w - step) * (1 - lr * weight_decay)
    return w - step


def _adamw_diagnosis(w_before, g, ref_state, w_got, step, i, where):
    """Why the learner's w differs from AdamW's after this step, from AdamW's state before it."""
    m, v, t = (ref_state["exp_avg"], ref_state["exp_avg_sq"], ref_state["step"]) if ref_state else (0.0, 0.0, 0)
    settings = _ADAMW_SETTINGS

    def matches(steps_done=t, **variant):
        want = _adam_update(w_before, g, m, v, steps_done, **settings, **variant)
        return np.allclose(w_got, want, rtol=1e-7, atol=1e-12)

    if not np.all(np.isfinite(w_got)):
        hint = ("with t = 0, 1 - beta1**t is 0 and the correction divides by it: t counts the steps from 1, so "
                f"increment it before the correction ({_ADAM})." if step == 1 else
                f"re-read the Adam step in {_ADAM}.")
        return _Wrong(f"w contains nan or inf{where}", hint)
    if matches(decay="L2"):
        return _Wrong(f"that is Adam + L2: the decay went into the gradient{where}",
                      f"then it is divided by sqrt(v_hat) like the gradient; AdamW decays the weights themselves, "
                      f"outside the adaptive step: re-read {_ADAMW}.")
    if matches(decay="no lr"):
        return _Wrong(f"the decay is not multiplied by lr: w * (1 - weight_decay){where}",
                      f"PyTorch's AdamW (and the course's) decays by lr * weight_decay * w per step: re-read "
                      f"'The paper's lambda is not PyTorch's weight_decay' in {_ADAMW}.")
    if matches(decay="none"):
        return _Wrong(f"the weights did not decay: that is Adam without weight decay{where}",
                      f"AdamW shrinks every weight by the factor 1 - lr * weight_decay at each step ({_ADAMW}).")
    if matches(decay="after"):
        return _Wrong(f"you decayed the weights after the Adam step{where}",
                      f"AdamW decays the weights from before the step, lr * weight_decay * w_(t-1) (Loshchilov & "
                      f"Hutter 2019, Algorithm 2, line 12), then takes the Adam step: re-read {_ADAMW}.")
    if matches(correct=False):
        return _Wrong(f"m and v are not bias-corrected{where}",
                      f"they start at 0 and are too small in the first steps: re-read {_ADAM} and 'Bias correction, "
                      f"on the first ten steps'.")
    if matches(eps_inside=True):
        return _Wrong(f"eps is inside the square root{where}",
                      "it only shows where sqrt(v_hat) is near eps (the gradients of size 1e-4 here). The course "
                      "follows PyTorch: re-read chapter 05, 'Where eps goes, and when it matters'.")
    if t > 0 and matches(steps_done=t - 1):  # the step count as it was: the correction with t one too small
        return _Wrong(f"the bias correction used t one step behind{where}",
                      f"t counts this step too: the first step has t = 1 ({_ADAM}).")
    if matches(steps_done=t + 1):
        return _Wrong(f"the bias correction used t one step ahead{where}"
                      + (": is t (or m, v) shared by the two parameters?" if i == 1 else ""),
                      f"each parameter keeps its own m, v and t in its own state dict: re-read {_STATE}.")
    if np.allclose(w_got, w_before * (1 - settings["lr"] * settings["weight_decay"]), rtol=1e-12, atol=0):
        return _Wrong(f"only the decay reached the caller's w, not the Adam step{where}",
                      "w *= ... changes the caller's array, but w = w - ... makes a new one the caller never sees: "
                      "take the step in place too (w -= ...).")
    expected = _adam_update(w_before, g, m, v, t, **settings)
    return _Wrong(f"w differs from AdamW's by up to {np.abs(w_got - expected).max():.2g}{where}",
                  f"re-read the Adam step in {_ADAM} and AdamW's decay in {_ADAMW}.")


@_exercise("adamw_step")
def _grade_adamw_step(fn):
    gradient, starts = _adamw_problem()
    reference = [w.copy() for w in starts]
    optimizer = AdamW(reference, **_ADAMW_SETTINGS)
    weights = [w.copy() for w in starts]
    states = [{}, {}]
    s = _ADAMW_SETTINGS
    for step in range(1, _ADAMW_STEPS + 1):
        before = [{k: (x.copy() if isinstance(x, np.ndarray) else x) for k, x in st.items()} for st in optimizer.state]
        optimizer.step([gradient(i, w, step - 1) for i, w in enumerate(reference)])
        for i, (w, state) in enumerate(zip(weights, states)):
            where = f" (step {step}, parameter {i} of shape {w.shape})"
            g = gradient(i, w, step - 1)
            g_before, w_before = g.copy(), w.copy()
            returned = _call(fn, w, g, state, s["lr"], s["betas"], s["eps"], s["weight_decay"], case=where)
            if not np.array_equal(g, g_before):
                raise _Wrong(f"your function changed g{where}",
                             "g belongs to the caller: read it, never write to it (g += weight_decay * w is "
                             "Adam + L2, and changes the caller's gradient too).")
            if np.array_equal(w, w_before):
                if isinstance(returned, np.ndarray) and returned.shape == w.shape:
                    raise _Wrong(f"you returned a new w, but the caller's w did not change{where}",
                                 "an optimizer updates the weights in place (w *= ..., w -= ..., or w[...] = ...), as "
                                 "Adam.step does; w = w - ... makes a new array the caller never sees.")
                raise _Wrong(f"w did not change{where}", "update w in place: w -= ... (not w = w - ...).")
            if step == 1 and not state:
                raise _Wrong(f"state is still empty after the first step{where}",
                             "keep m, v and t in the dict you were given (state['exp_avg'] = ...), as Adam.step does; "
                             "state = {...} inside your function makes a new dict the caller never sees.")
            w_got = np.array(w, dtype=float)
            if not np.allclose(w_got, reference[i], rtol=1e-7, atol=1e-12):
                raise _adamw_diagnosis(w_before, g_before, before[i], w_got, step, i, where)
    moved = [float(np.abs(w - w0).max()) for w, w0 in zip(weights, starts)]
    return (f"decay w by 1 - lr weight_decay, then Adam's bias-corrected step with eps outside the root: w matches "
            f"AdamW({', '.join(f'{k}={v}' for k, v in s.items())}) at each of {_ADAMW_STEPS} steps on two parameters "
            f"with their own state (largest move {max(moved):.2f}).")


check_adamw_step = _printer("adamw_step")
