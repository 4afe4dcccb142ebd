"""The exercises of chapter 05 (``notebooks/05_adam.ipynb``): ``bias_correction`` and ``rmsprop_update``."""


import numpy as np

from ._grading import _as_array, _call, _exercise, _printer, _Wrong

__all__ = ["check_bias_correction", "check_rmsprop_update"]

_CORRECTION = "chapter 05, 'Bias correction, on the first ten steps'"
_RMSPROP = "chapter 05, section 1 'RMSprop: one step size per weight'"


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
    w, s, g = np.array([1.0, 1.0]), np.array([0.0, 4.0]), np.array([2.0, 1e-6])
    lr, alpha, eps = 0.01, 0.9, 1e-3
    out = _call(fn, w.copy(), s.copy(), g.copy(), lr, alpha, eps, case=" (w=[1, 1], s=[0, 4], g=[2, 1e-6])")
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise _Wrong(f"return the pair (w, s), got {type(out).__name__}")
    new_w, new_s = (_as_array(a, name) for a, name in zip(out, ("w", "s")))
    want_s = alpha * s + (1 - alpha) * g**2
    if np.allclose(new_s, alpha * s + (1 - alpha) * g):
        raise _Wrong("s averages g, not g**2",
                     f"s is the running average of the squared gradient ({_RMSPROP}).")
    if not np.allclose(new_s, want_s):
        raise _Wrong(f"s is {new_s.tolist()}, expected {want_s.tolist()}",
                     f"s is an exponential moving average of g**2 with rate alpha: re-read {_RMSPROP}.")
    want_w = w - lr * g / (np.sqrt(want_s) + eps)
    if np.allclose(new_w, w - lr * g / np.sqrt(want_s + eps)):
        raise _Wrong("eps is inside the square root",
                     "the course follows PyTorch's RMSprop: re-read chapter 05, 'Where eps goes, and when it "
                     "matters'.")
    if np.allclose(new_w, w - lr * g / (np.sqrt(s) + eps)):
        raise _Wrong("you divided by the old s",
                     f"the step divides by the running average that includes the current gradient ({_RMSPROP}).")
    if not np.allclose(new_w, want_w):
        raise _Wrong(f"w is {new_w.tolist()}, expected {want_w.tolist()}", f"re-read the RMSprop step in {_RMSPROP}.")
    return "s = alpha s + (1 - alpha) g^2, then w = w - lr g / (sqrt(s) + eps), as torch.optim.RMSprop."


check_bias_correction = _printer("bias_correction")
check_rmsprop_update = _printer("rmsprop_update")
