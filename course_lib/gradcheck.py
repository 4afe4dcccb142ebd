"""Gradient checking: compare an analytic gradient with centered finite differences.

For a scalar function L of an array x, the centered difference

    dL/dx_i  ~  (L(x + h e_i) - L(x - h e_i)) / (2h)

has error O(h^2) (a one-sided difference has O(h)); with float64 and h = 1e-6 both the truncation
error (~h^2) and the rounding error (~eps * |L| / h) are near 1e-10. Use float64: in float32 the rounding
error alone is ~1e-7 / h.

Two tests of agreement are offered (``check_gradients(..., criterion=...)``):

"relative" (the course's default): the relative error of the whole array, scale-free and not fooled by one tiny
entry,
    relative_error(a, n) = ||a - n|| / (||a|| + ||n||)          (0 when both are 0)
passes below ``tolerance`` (1e-7). How to read it, after CS231n ("Gradient checks"; its thresholds are written
for the element-wise error |a_i - n_i| / max(|a_i|, |n_i|), this array-wise error is a milder summary of it):
    > 1e-2          the gradient is probably wrong
    1e-2 .. 1e-4    uncomfortable: look closer
    < 1e-4          usually fine for a function with kinks (ReLU, max, abs): a kink between x - h and x + h
                    spoils that entry's difference (relu's slope is 0 or 1, the difference (relu(h) - relu(-h))/2h
                    is 1/2), so check at points away from kinks
    < 1e-7          right, for a smooth function (tanh, sigmoid, softmax)

"torch" (``torch.autograd.gradcheck``'s test, eps = h = 1e-6): every entry must satisfy
    |a_i - n_i| <= atol + rtol * |n_i|        (atol = 1e-5, rtol = 1e-3: torch.allclose(a, n, rtol, atol))
an element-wise test with an absolute floor: entries smaller than atol pass whatever their relative error, so it
is much looser than 1e-7 and depends on the scale of L.
"""

from dataclasses import dataclass

import numpy as np

from ._checks import as_float, choose

__all__ = ["numerical_gradient", "relative_error", "torch_allclose", "GradCheck", "check_gradients", "check_mlp",
           "format_report", "CRITERIA"]

CRITERIA = ("relative", "torch")


def numerical_gradient(f, x, h=1e-6):
    """Centered finite differences of the scalar ``f()`` with respect to every entry of the array ``x``.

    ``f`` takes no argument: it reads ``x`` (and anything else) from its closure, so one function can
    be checked against each of several arrays. Each entry of ``x`` is moved by +-h in place and restored.
    """
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"x must be a float numpy array (it is perturbed in place), got {type(x).__name__}")
    h = as_float(h, "h", positive=True)
    grad = np.zeros(x.shape, dtype=np.float64)
    if not x.flags.c_contiguous:
        raise ValueError("x must be C-contiguous so that it can be perturbed in place (np.ascontiguousarray)")
    flat = x.reshape(-1)  # a view of a contiguous array: writing to it perturbs x
    for i in range(flat.size):
        saved = flat[i]
        flat[i] = saved + h
        up = float(f())
        flat[i] = saved - h
        down = float(f())
        flat[i] = saved
        grad.reshape(-1)[i] = (up - down) / (2 * h)
    return grad


def relative_error(analytic, numeric):
    """||a - n|| / (||a|| + ||n||): 0 for identical arrays, 1 for opposite ones, 0 when both are 0."""
    analytic, numeric = np.asarray(analytic, dtype=np.float64), np.asarray(numeric, dtype=np.float64)
    if analytic.shape != numeric.shape:
        raise ValueError(f"the gradients have different shapes: {analytic.shape} and {numeric.shape}")
    scale = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    return 0.0 if scale == 0 else float(np.linalg.norm(analytic - numeric) / scale)


def torch_allclose(analytic, numeric, atol=1e-5, rtol=1e-3):
    """``torch.autograd.gradcheck``'s test of one array: True when every entry has
    ``|analytic - numeric| <= atol + rtol * |numeric|`` (``torch.allclose(analytic, numeric, rtol, atol)``)."""
    analytic, numeric = np.asarray(analytic, dtype=np.float64), np.asarray(numeric, dtype=np.float64)
    if analytic.shape != numeric.shape:
        raise ValueError(f"the gradients have different shapes: {analytic.shape} and {numeric.shape}")
    atol, rtol = as_float(atol, "atol", nonnegative=True), as_float(rtol, "rtol", nonnegative=True)
    return bool(np.all(np.abs(analytic - numeric) <= atol + rtol * np.abs(numeric)))


@dataclass(frozen=True)
class GradCheck:
    """The comparison for one array: ``passed`` by the check's criterion; ``torch_passed`` by torch's
    element-wise test (``torch_allclose``, atol 1e-5, rtol 1e-3 unless the check was given others)."""

    name: str
    shape: tuple
    relative_error: float
    max_abs_error: float
    passed: bool
    torch_passed: bool | None = None


def check_gradients(f, arrays, analytic, names=None, h=1e-6, tolerance=1e-7, criterion="relative", atol=1e-5,
                    rtol=1e-3):
    """Check ``analytic[k]`` against the finite-difference gradient of ``f()`` w.r.t. ``arrays[k]``.

    Returns one ``GradCheck`` per array (name, shape, relative error, largest absolute difference, passed,
    torch_passed). ``criterion="relative"``: passed = relative error < ``tolerance``; ``criterion="torch"``:
    passed = torch's element-wise test with ``atol`` and ``rtol`` (see the module's docstring).
    """
    criterion = choose(criterion, "criterion", CRITERIA)
    arrays, analytic = list(arrays), list(analytic)
    if len(arrays) != len(analytic):
        raise ValueError(f"analytic must hold one gradient per array: {len(analytic)} for {len(arrays)} arrays")
    names = [f"param {k}" for k in range(len(arrays))] if names is None else list(names)
    if len(names) != len(arrays):
        raise ValueError(f"names must have one entry per array: {len(names)} for {len(arrays)} arrays")
    results = []
    for name, x, grad in zip(names, arrays, analytic):
        grad = np.asarray(grad)
        if grad.shape != x.shape:
            raise ValueError(f"{name}: the analytic gradient has shape {grad.shape}, the array {x.shape}")
        numeric = numerical_gradient(f, x, h)
        error = relative_error(grad, numeric)
        torch_passed = torch_allclose(grad, numeric, atol, rtol)
        results.append(GradCheck(name, x.shape, error, float(np.max(np.abs(grad - numeric), initial=0.0)),
                                 error < tolerance if criterion == "relative" else torch_passed, torch_passed))
    return results


def check_mlp(model, x, y, h=1e-6, tolerance=1e-7, criterion="relative"):
    """Gradient-check every parameter of a ``course_lib.nn.MLP`` on a batch, with softmax cross-entropy.

    Use a float64 model (``dtype="float64"``) and a small batch: it costs two forward passes per entry.
    """
    from .nn import softmax_cross_entropy

    if model.dtype != np.float64:
        raise ValueError(f"gradient checks need a float64 model, got {model.dtype.name}: finite differences "
                         "in float32 have errors near 1e-7 / h")
    _, dlogits = softmax_cross_entropy(model.forward(x), y)
    grads = model.backward(dlogits)
    names = [f"{kind}{i + 1}" for i in range(len(model.weights)) for kind in ("W", "b")]
    return check_gradients(lambda: softmax_cross_entropy(model.forward(x), y)[0], model.params, grads,
                           names, h, tolerance, criterion)


def format_report(results, noise_floor=1e-7, torch_column=False):
    """A text table of ``check_gradients`` results: name, shape, relative error, verdict.

    An error below ``noise_floor`` (the float64 rule of thumb, 1e-7) prints as ``< 1e-07``: its digits are
    rounding noise, different from one CPU to the next, and all that they say is "the gradients agree".
    The verdict is ``passed`` (by the check's criterion). ``torch_column=True`` adds torch's element-wise test.
    """
    noise_floor = as_float(noise_floor, "noise_floor", positive=True)
    header = f"{'array':>8}  {'shape':>12}  {'relative error':>14}  verdict"
    lines = [header + ("   torch test" if torch_column else "")]
    for r in results:
        error = f"< {noise_floor:.0e}" if r.relative_error < noise_floor else f"{r.relative_error:.1e}"
        line = f"{r.name:>8}  {str(r.shape):>12}  {error:>14}  {'ok' if r.passed else 'WRONG':<7}"
        if torch_column:
            line += "   " + {True: "ok", False: "fails", None: "-"}[r.torch_passed]
        lines.append(line.rstrip())
    return "\n".join(lines)
