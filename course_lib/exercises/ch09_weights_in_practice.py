"""The exercises of chapter 09 (``notebooks/09_weights_in_practice.ipynb``): ``tied_weight_grad`` and
``permutation_drop``."""

import math

import numpy as np

from ._grading import _as_array, _call, _exercise, _printer, _Wrong

__all__ = ["check_tied_weight_grad", "check_permutation_drop"]

_TIED = "chapter 09, section 2 'Weight sharing: one matrix, two uses'"
_IMPORTANCE = "chapter 09, section 3 'Is a large weight an important feature?'"


@_exercise("tied_weight_grad")
def _grade_tied_weight_grad(fn):
    rng = np.random.default_rng(9)
    for n, n_inputs, n_hidden in [(3, 4, 4), (4, 6, 3), (1, 5, 2)]:  # the first one square: W and W.T alike
        x, dx_hat = rng.normal(size=(n, n_inputs)), rng.normal(size=(n, n_inputs))
        h, dz = rng.random(size=(n, n_hidden)), rng.normal(size=(n, n_hidden))
        case = f" (x {x.shape}, h {h.shape}, dz {dz.shape}, dx_hat {dx_hat.shape})"
        hint = f"W is used twice, by the encoder (z = x @ W) and by the decoder (x_hat = h @ W.T): re-read {_TIED}."
        got = _as_array(_call(fn, x.copy(), h.copy(), dz.copy(), dx_hat.copy(), case=case, hint=hint), "the result")
        encoder, decoder = x.T @ dz, dx_hat.T @ h
        want = encoder + decoder
        if got.shape == (n_hidden, n_inputs) and n_hidden != n_inputs:
            raise _Wrong(f"result has shape {got.shape}, W.T's; expected W's shape {want.shape}{case}",
                         f"a gradient has its weight's shape, (n_inputs, n_hidden) here: check the decoder's term, "
                         f"where W appears transposed ({_TIED}).")
        if got.shape != want.shape:
            raise _Wrong(f"result has shape {got.shape}, expected W's shape {want.shape}{case}", hint)
        if np.allclose(got, encoder):
            raise _Wrong(f"that is only the encoder's gradient x.T @ dz{case}",
                         f"W is also used by the decoder (as W.T), and that use has a gradient too ({_TIED}).")
        if np.allclose(got, decoder):
            raise _Wrong(f"that is only the decoder's gradient dx_hat.T @ h{case}",
                         f"W is also used by the encoder, and that use has a gradient too ({_TIED}).")
        if np.allclose(got, want / 2):
            raise _Wrong(f"you averaged the two gradients{case}",
                         f"the chain rule does not average the contributions of a weight's uses: re-read how it "
                         f"combines them in {_TIED}.")
        if n_hidden == n_inputs and np.allclose(got, encoder + decoder.T):
            raise _Wrong(f"the decoder's gradient is not transposed{case}",
                         f"the decoder uses W.T: check how a transpose in the forward pass shows up in the gradient "
                         f"with respect to W ({_TIED}).")
        if not np.allclose(got, want):
            raise _Wrong(f"wrong values{case}", f"re-read the gradient of a tied weight in {_TIED}.")
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
                    hint=f"re-read the recipe of permutation importance in {_IMPORTANCE}.")
        if not np.array_equal(data, x):
            raise _Wrong(f"your function changed x{case}: the caller's data are shuffled now",
                         f"the caller's x must stay as it was: work on a copy ({_IMPORTANCE}).")
        try:
            return float(got)
        except (TypeError, ValueError):
            raise _Wrong(f"return one number, the accuracy drop, got {type(got).__name__}{case}",
                         "the drop is one accuracy minus another, a number.") from None

    ignored = run(2, 0)
    if math.isclose(ignored, 1.0):
        raise _Wrong("for a feature the model ignores you returned 1.0: the accuracy after shuffling, not its drop",
                     "the importance is how much the accuracy falls when the feature is shuffled: 0 for a feature "
                     "the model ignores.")
    if ignored > 0.05:
        raise _Wrong(f"shuffling a feature the model ignores dropped the accuracy by {ignored:.3f}; expected 0",
                     "only this one feature should lose its link with the labels; permuting whole rows or the "
                     "labels breaks the link of every feature.")
    for feature in (0, 1):
        got = run(feature, 1)
        want = _shuffle_reference(x, y, feature, predict, np.random.default_rng(100), 20)
        zeroed = x.copy()
        zeroed[:, feature] = 0.0
        if math.isclose(got, -want, abs_tol=0.03):
            raise _Wrong(f"the drop has the wrong sign: {got:.3f} for feature {feature}",
                         "the drop is positive when the feature matters: check the order of your subtraction.")
        if math.isclose(got, 1.0 - want, abs_tol=0.03):
            raise _Wrong(f"you returned the accuracy after shuffling feature {feature} ({got:.3f}), not its drop",
                         f"the importance is the fall in accuracy, not the accuracy itself ({_IMPORTANCE}).")
        if math.isclose(got, 1.0 - np.mean(predict(zeroed) == y), abs_tol=0.01) and not math.isclose(got, want,
                                                                                                    abs_tol=0.03):
            raise _Wrong(f"feature {feature}: a drop of {got:.3f} is what replacing the feature by 0 (or its mean) "
                         "gives",
                         "a permutation keeps the feature's values and distribution and breaks only their link with "
                         f"the labels; a constant makes inputs the model never saw ({_IMPORTANCE}).")
        if not math.isclose(got, want, abs_tol=0.03):
            raise _Wrong(f"feature {feature}: drop {got:.3f}, expected about {want:.3f}",
                         f"re-read the recipe of permutation importance in {_IMPORTANCE}.")
    if run(0, 7) != run(0, 7) or run(1, 8) != run(1, 8):
        raise _Wrong("two calls with generators of the same seed gave different drops",
                     "draw the permutation from the generator `rng` your function is given, not from np.random's "
                     "global state: the same seed must give the same drop.")
    return ("0 for an ignored feature, the expected drops for the two others, x left unchanged, reproducible with "
            "rng.")


check_tied_weight_grad = _printer("tied_weight_grad")
check_permutation_drop = _printer("permutation_drop")
