"""The exercises of chapter 09 (``notebooks/09_weights_in_practice.ipynb``): ``tied_weight_grad`` and
``permutation_drop``."""

import math

import numpy as np

from ._grading import _as_array, _call, _exercise, _printer, _Wrong

__all__ = ["check_tied_weight_grad", "check_permutation_drop"]


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


check_tied_weight_grad = _printer("tied_weight_grad")
check_permutation_drop = _printer("permutation_drop")
