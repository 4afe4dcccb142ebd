"""The exercises of chapter 00 (``notebooks/00_start_here.ipynb``): ``dense_forward`` and ``dense_backward``."""


import numpy as np

from ._grading import _as_array, _call, _exercise, _printer, _Wrong

__all__ = ["check_dense_forward", "check_dense_backward"]


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
