"""course_lib.exercises: each checker accepts its reference solution and rejects typical mistakes."""

import functools
import math
import re
import runpy
from pathlib import Path

import numpy as np
import pytest

import course_lib
from course_lib import exercises, init, nn
from course_lib.exercises import EXERCISES, Result, grade
from course_lib.exercises._grading import SOLUTION_FILES

SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions"


def solution_file(name):
    matches = sorted(SOLUTIONS.glob(f"[0-9][0-9]_{name}.py"))
    assert len(matches) == 1, f"expected one solutions/NN_{name}.py, found {matches}"
    return matches[0]


# --------------------------------------------------------------------------------------------------
# reference solutions
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_every_exercise_has_a_solution_file(name):
    path = solution_file(name)
    assert path.name[:2].isdigit() and path.name[2] == "_"


def test_every_solution_file_belongs_to_an_exercise():
    names = {p.stem.split("_", 1)[1] for p in SOLUTIONS.glob("*.py")}
    assert names == set(EXERCISES)
    assert all(p.name[:2].isdigit() and p.name[2] == "_" for p in SOLUTIONS.glob("*.py"))


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_reference_solution_passes(name, capsys):
    namespace = runpy.run_path(str(solution_file(name)))  # the file calls its checker, as in a notebook cell
    printed = capsys.readouterr().out
    assert printed.startswith(f"PASS {name}:"), printed
    assert printed.count("\n") == 1  # one line of feedback
    result = grade(name, namespace[name])
    assert isinstance(result, Result)
    assert result.status == "pass" and result.passed
    assert result.message == printed.rstrip("\n")


# --------------------------------------------------------------------------------------------------
# typical wrong answers
# --------------------------------------------------------------------------------------------------


def clipped_normal(n, a, b, rng):
    return np.clip(rng.standard_normal(n), a, b)


def rejection_without_redraw(n, a, b, rng):
    x = rng.standard_normal(n)
    return x[(x >= a) & (x <= b)]


def clip_each_separately(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g**2) for g in grads)))
    for g in grads:
        g *= max_norm / np.linalg.norm(g)
    return total


def clip_not_in_place(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g**2) for g in grads)))
    grads = [g * max_norm / total for g in grads]
    return total


def clip_always(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g**2) for g in grads)))
    for g in grads:
        g *= max_norm / total
    return total


# chapters 00-03: realistic wrong answers of the main exercises (train_two_layer, kaiming_normal, sgd_epochs,
# train_and_count_dead) and of the audited short ones; each flag of a *_variant function makes one mistake


def two_layer_variant(x, y, params, lr, steps, *, db_mean=False, no_relu=False, sum_loss=False, ascent=False,
                      extra=0, rebind=False, loss_after=False, center_x=False):
    W1, b1, W2, b2 = params
    if center_x:  # "normalizes" the caller's data in place
        x -= x.mean(axis=0)
    losses = []
    for _ in range(steps + extra):
        z1 = x @ W1 + b1
        h = np.maximum(z1, 0)
        loss, dlogits = nn.softmax_cross_entropy(h @ W2 + b2, y)
        if sum_loss:  # the gradient of the summed loss
            dlogits = dlogits * len(x)
        dz1 = dlogits @ W2.T if no_relu else (dlogits @ W2.T) * (z1 > 0)
        total = (lambda d: d.mean(axis=0)) if db_mean else (lambda d: d.sum(axis=0))
        grads = [x.T @ dz1, total(dz1), h.T @ dlogits, total(dlogits)]
        for k, (param, grad) in enumerate(zip(params, grads)):
            if rebind:
                params[k] = param - lr * grad
            elif ascent:
                param += lr * grad
            else:
                param -= lr * grad
        W1, b1, W2, b2 = params
        losses.append(nn.softmax_cross_entropy(np.maximum(x @ W1 + b1, 0) @ W2 + b2, y)[0] if loss_after else loss)
    return losses


def two_layer_one_update_short(x, y, params, lr, steps):  # range(1, steps): one update too few, steps losses
    losses = two_layer_variant(x, y, params, lr, steps - 1) if steps > 1 else two_layer_variant(x, y, params, lr, 1)
    return losses + [losses[-1]] * (steps - len(losses))


def kaiming_variant(shape, gain, mode, rng, *, fan=None, dist="normal", own_rng=False, gain_power=1):
    fan_in, fan_out = shape
    fan = {"fan_in": fan_in, "fan_out": fan_out}[fan or mode]
    std = gain**gain_power / math.sqrt(fan)
    rng = np.random.default_rng(0) if own_rng else rng
    if dist == "uniform":  # the same variance: bound = sqrt(3) std
        return rng.uniform(-math.sqrt(3) * std, math.sqrt(3) * std, shape)
    if dist == "rescaled truncation":  # cut at +-2, then rescaled to the right std: the tails are missing
        z = rng.standard_normal(3 * fan_in * fan_out)
        z = z[np.abs(z) <= 2][: fan_in * fan_out].reshape(shape)
        return z / z.std() * std
    return rng.normal(0.0, std, shape)


def truncated_symmetric(n, a, b, rng):  # assumes a = -b: keeps |x| <= max(|a|, |b|)
    c = max(abs(a), abs(b))
    out = np.empty(0)
    while out.size < n:
        x = rng.standard_normal(n)
        out = np.concatenate([out, x[np.abs(x) <= c]])
    return out[:n]


def truncated_fixed_bounds(n, a, b, rng):  # ignores a and b: always [-2, 2]
    out = np.empty(0)
    while out.size < n:
        x = rng.standard_normal(n)
        out = np.concatenate([out, x[np.abs(x) <= 2]])
    return out[:n]


def truncated_refill_uniform(n, a, b, rng):  # the rejected values refilled from U(a, b)
    x = rng.standard_normal(n)
    outside = (x < a) | (x > b)
    x[outside] = rng.uniform(a, b, outside.sum())
    return x


def truncated_reflect(n, a, b, rng):  # an outside value mirrored to -x (and redrawn if still outside)
    x = rng.standard_normal(n)
    outside = (x < a) | (x > b)
    x[outside] = -x[outside]
    still = (x < a) | (x > b)
    while still.any():
        x[still] = rng.standard_normal(still.sum())
        still = (x < a) | (x > b)
    return x


def truncated_vectorized_redraw(n, a, b, rng):  # right: redraw only the outside values, in place
    x = rng.standard_normal(n)
    outside = (x < a) | (x > b)
    while outside.any():
        x[outside] = rng.standard_normal(outside.sum())
        outside = (x < a) | (x > b)
    return x


def softmax_in_place(z):
    z -= z.max(axis=1, keepdims=True)  # overwrites the caller's logits
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def softmax_mean_shift(z):  # shifts by the row mean: overflows on a row with a large spread
    e = np.exp(z - z.mean(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def prior_bias_sorting_y(y, num_classes):
    y.sort()  # sorts the caller's labels
    return np.log(np.bincount(y, minlength=num_classes) / len(y))


def sgd_variant(model, x, y, lr, batch_size, epochs, rng, *, drop_last=False, same_order=False, no_shuffle=False,
                replace=False, sum_loss=False, naive=False, rebind=False, loss_after=False, ascent=False):
    losses = []
    fixed = rng.permutation(len(x))
    for _ in range(epochs):
        if same_order:
            order = fixed
        elif no_shuffle:
            order = np.arange(len(x))
        elif replace:  # n draws with replacement
            order = rng.integers(0, len(x), len(x))
        else:
            order = rng.permutation(len(x))
        stop = len(x) - len(x) % batch_size if drop_last else len(x)
        for start in range(0, stop, batch_size):
            batch = order[start:start + batch_size]
            logits = model.forward(x[batch])
            if naive:  # exp of the raw logits
                p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
                loss = float(-np.mean(np.log(p[np.arange(len(batch)), y[batch]])))
                dlogits = p.copy()
                dlogits[np.arange(len(batch)), y[batch]] -= 1.0
                dlogits /= len(batch)
            else:
                loss, dlogits = nn.softmax_cross_entropy(logits, y[batch])
            if sum_loss:
                dlogits = dlogits * len(batch)
            for param, grad in zip(model.params, model.backward(dlogits)):
                if rebind:
                    param = param - lr * grad
                elif ascent:
                    param += lr * grad
                else:
                    param -= lr * grad
            losses.append(nn.softmax_cross_entropy(model.forward(x[batch]), y[batch])[0] if loss_after else loss)
    return losses


def sgd_shuffling_an_index_array(model, x, y, lr, batch_size, epochs, rng):  # right: another valid use of rng
    order = np.arange(len(x))
    losses = []
    for _ in range(epochs):
        rng.shuffle(order)
        for start in range(0, len(x), batch_size):
            batch = order[start:start + batch_size]
            loss, dlogits = nn.softmax_cross_entropy(model.forward(x[batch]), y[batch])
            for param, grad in zip(model.params, model.backward(dlogits)):
                param -= lr * grad
            losses.append(loss)
    return losses


def dead_variant(model, x, y, lr, steps, *, rebind_bias=False, frequencies=False, count="units", no_last=False,
                 with_output=False, ever=False):
    counts = np.bincount(y, minlength=model.sizes[-1])
    priors = counts / counts.sum()
    if rebind_bias:
        model.biases[-1] = np.log(priors)  # replaces an entry of a new list: the model never sees it
    else:
        model.biases[-1][:] = priors if frequencies else np.log(priors)
    dead, seen = [], None
    for t in range(steps if no_last else steps + 1):
        logits = model.forward(x)
        layers = model.layer_inputs[1:] + ([logits] if with_output else [])
        if ever:  # a unit once dead counted dead for ever
            now = [np.all(a == 0, axis=0) for a in layers]
            seen = now if seen is None else [s | n for s, n in zip(seen, now)]
            dead.append([int(s.sum()) for s in seen])
        else:
            dead.append([{"units": lambda a: int(np.all(a == 0, axis=0).sum()),
                          "fractions": lambda a: float(np.all(a == 0, axis=0).mean()),
                          "floats": lambda a: float(np.all(a == 0, axis=0).sum()),
                          "zero values": lambda a: int(np.sum(a == 0)),
                          "rows": lambda a: int(np.all(a == 0, axis=1).sum())}[count](a) for a in layers])
        if t == steps:
            break
        _, dlogits = nn.softmax_cross_entropy(logits, y)
        for param, grad in zip(model.params, model.backward(dlogits)):
            param -= lr * grad
    return np.array(dead)


# name -> [(wrong answer, a fragment of the expected message)]
WRONG = {
    "dense_forward": [
        (lambda x, W, b: x @ W, "the bias is missing"),
        (lambda x, W, b: W @ x + b, "the shapes do not fit"),
        (lambda x, W, b: (x @ W + b).T, "result has shape (2, 1), expected (1, 2)"),
        (lambda x, W, b: x @ W - b, "wrong values"),
        (lambda x, W, b: None, "result has shape ()"),
    ],
    "dense_backward": [
        (lambda x, W, dz: (dz @ W.T, x.T @ dz, dz.mean(axis=0)), "db is the mean over the batch, not the sum"),
        (lambda x, W, dz: (dz @ W, x.T @ dz, dz.sum(axis=0)), "the shapes do not fit"),
        (lambda x, W, dz: (dz @ W.T, dz.T @ x, dz.sum(axis=0)), "dW has shape (2, 3), expected (3, 2)"),
        (lambda x, W, dz: (2 * dz @ W.T, x.T @ dz, dz.sum(axis=0)), "dx has wrong values"),
        (lambda x, W, dz: (dz @ W.T, x.T @ dz), "return the tuple (dx, dW, db)"),
        (lambda x, W, dz: [dz @ W.T, x.T @ dz], "return the tuple (dx, dW, db), got list"),
    ],
    "xavier_std": [
        (lambda fan_in, fan_out: math.sqrt(2 / fan_in), "that is He's formula"),
        (lambda fan_in, fan_out: math.sqrt(1 / fan_in), "that is LeCun's formula"),
        (lambda fan_in, fan_out: 2 / (fan_in + fan_out), "you returned the variance, not the standard deviation"),
        (lambda fan_in, fan_out: math.sqrt(1 / (fan_in + fan_out)), "expected"),
        (lambda fan_in, fan_out: "0.05", "expected"),  # a string that parses as a wrong number
        (lambda fan_in, fan_out: "x", "return a number, got str"),
    ],
    "he_normal": [
        (lambda shape, rng: rng.normal(0, math.sqrt(2 / shape[1]), shape), "you used the wrong fan"),
        (lambda shape, rng: np.random.normal(0, math.sqrt(2 / shape[0]), shape), "different weights"),
        (lambda shape, rng: np.random.default_rng().normal(0, math.sqrt(2 / shape[0]), shape), "different weights"),
        (lambda shape, rng: rng.normal(0, math.sqrt(2 / sum(shape)), shape), "that is Xavier's"),
        (lambda shape, rng: rng.normal(0, 2 / shape[0], shape), "you used the variance 2 / fan_in as the std"),
        (lambda shape, rng: rng.normal(0, math.sqrt(1 / shape[0]), shape), "expected 0.0447 for fan_in = 1000"),
        (lambda shape, rng: rng.normal(0, math.sqrt(2 / shape[0]), shape[::-1]), "result has shape (400, 1000)"),
        (lambda shape, rng: rng.normal(1, math.sqrt(2 / shape[0]), shape), "the mean is"),
        # a uniform of the same variance: the std check alone let it through
        (lambda shape, rng: rng.uniform(-1, 1, shape) * math.sqrt(6 / shape[0]), "not a normal distribution"),
        # a generator of its own, seeded: reproducible, but it ignores rng
        (lambda shape, rng: np.random.default_rng(0).normal(0, math.sqrt(2 / shape[0]), shape),
         "generators of different seeds gave the same weights"),
    ],
    "truncated_normal": [
        (clipped_normal, "sit exactly on a bound: that is clipping, not truncation"),
        (lambda n, a, b, rng: rng.standard_normal(n), "samples outside [a, b]"),
        (lambda n, a, b, rng: rng.uniform(a, b, n), "std is"),
        (rejection_without_redraw, "samples, expected 200000"),
        (lambda n, a, b, rng: np.full(n, np.nan), "nan or inf"),
        (truncated_symmetric, "your samples look cut to a symmetric interval"),  # assumes a = -b
        (truncated_fixed_bounds, "use a and b as given"),  # ignores the bounds it is given
        (truncated_refill_uniform, "the mean is 0.35"),  # refills from U(a, b): passed the std check on [-2, 2]
        (truncated_reflect, "expected 0.2687 for N(0, 1) truncated to [-1.0, 2.5]"),  # refills by mirroring
    ],
    "stable_softmax": [
        (lambda z: np.exp(z) / np.exp(z).sum(axis=1, keepdims=True), "the result contains nan or inf"),
        (lambda z: np.exp(z - z.max()) / np.exp(z - z.max()).sum(axis=1, keepdims=True), "nan or inf"),
        (lambda z: np.exp(z - z.max(axis=1, keepdims=True)) / np.exp(z - z.max(axis=1, keepdims=True)).sum(),
         "rows do not sum to 1"),
        (lambda z: z - z.max(axis=1, keepdims=True), "rows do not sum to 1"),
        (softmax_in_place, "your function changed z"),  # `z -= z.max(...)` overwrites the caller's logits
        (softmax_mean_shift, "one row with a large spread"),  # the row mean keeps exp finite only for small spreads
    ],
    "clip_grad_norm": [
        (clip_each_separately, "you clipped each gradient on its own"),
        (clip_not_in_place, "the gradients did not change"),
        (clip_always, "a gradient below max_norm was changed"),
        (lambda grads, max_norm: None, "return the total norm before clipping"),
    ],
    "prior_bias": [
        (lambda y, k: np.bincount(y, minlength=k) / len(y), "you returned the class frequencies"),
        (lambda y, k: np.zeros(k), "expected the class frequencies"),
        # np.unique counts only the classes that occur: the absent ones silently disappear
        (lambda y, k: np.log(np.unique(y, return_counts=True)[1] / len(y)), "the classes absent from y are missing"),
        # np.bincount without minlength stops at the largest label that occurs
        (lambda y, k: np.log(np.bincount(y) / len(y)), "result has shape (4,), expected (5,)"),
        (prior_bias_sorting_y, "your function changed y"),  # sorts the caller's labels in place
        # Laplace smoothing: a finite bias for absent classes, but no longer the priors
        (lambda y, k: np.log((np.bincount(y, minlength=k) + 1) / (len(y) + k)), "expected the class frequencies"),
    ],
    "dead_fraction": [
        (lambda a: float(np.mean(a == 0)), "you returned the fraction of zero values"),
        (lambda a: float(np.all(a == 0, axis=1).mean()), "units 0 and 3"),
        (lambda a: int(np.all(a == 0, axis=0).sum()), "expected 0.5"),
        (lambda a: float(np.any(a == 0, axis=0).mean()), "expected 0.5"),  # 0 for some example, not for all
    ],
    "train_two_layer": [
        (functools.partial(two_layer_variant, db_mean=True), "db1 is the mean over the batch, not the sum"),
        (functools.partial(two_layer_variant, no_relu=True), "the step of W1 is not -learning_rate * dL/dW1"),
        (functools.partial(two_layer_variant, sum_loss=True), "6 times too large, n = 6 examples"),
        (functools.partial(two_layer_variant, ascent=True), "every parameter moved uphill"),
        (functools.partial(two_layer_variant, extra=1), "returned 2 losses for steps=1, expected 1"),
        (two_layer_one_update_short, "your loop made 2 updates for steps=3"),
        (functools.partial(two_layer_variant, rebind=True), "the arrays of params did not change"),
        (functools.partial(two_layer_variant, loss_after=True), "the mean cross-entropy before the update"),
        (functools.partial(two_layer_variant, center_x=True), "your function changed x or y"),
    ],
    "kaiming_normal": [
        (functools.partial(kaiming_variant, dist="uniform"), "not a normal distribution (excess kurtosis -1.20"),
        (functools.partial(kaiming_variant, dist="rescaled truncation"), "its tails are cut"),
        (functools.partial(kaiming_variant, fan="fan_in"), "you used the other fan for shape=(300, 800)"),  # no mode
        (functools.partial(kaiming_variant, fan="fan_out"), "you used the other fan for shape=(1000, 400)"),
        (functools.partial(kaiming_variant, gain_power=0), "the gain is missing"),
        (functools.partial(kaiming_variant, gain_power=2), "the gain is squared once too often"),
        (functools.partial(kaiming_variant, own_rng=True), "generators of different seeds gave the same weights"),
        (lambda shape, gain, mode, rng: np.random.normal(0, gain / math.sqrt(shape[0]), shape),
         "generators of the same seed gave different weights"),
        (lambda shape, gain, mode, rng: rng.normal(0, gain * math.sqrt(2 / sum(shape)), shape), "that is Xavier's"),
    ],
    "sgd_epochs": [
        (functools.partial(sgd_variant, drop_last=True), "the last, smaller batch is missing"),
        (functools.partial(sgd_variant, same_order=True), "every epoch took the examples in the same order"),
        (functools.partial(sgd_variant, no_shuffle=True), "took the examples in their stored order"),
        (functools.partial(sgd_variant, replace=True), "did not see every example exactly once"),
        (functools.partial(sgd_variant, sum_loss=True), "the gradient of the batch's summed loss"),
        (functools.partial(sgd_variant, naive=True), "a loss is nan or inf (logits near 1000"),
        (functools.partial(sgd_variant, rebind=True), "the parameters did not change"),
        (functools.partial(sgd_variant, loss_after=True), "mean cross-entropy before the update"),
        (functools.partial(sgd_variant, ascent=True), "every parameter moved uphill"),
    ],
    "train_and_count_dead": [
        (functools.partial(dead_variant, rebind_bias=True), "the output bias did not start at the log priors"),
        (functools.partial(dead_variant, frequencies=True), "started at the class frequencies, not at their log"),
        (functools.partial(dead_variant, count="fractions"), "the counts are fractions"),
        (functools.partial(dead_variant, count="floats"), "the counts are floats (dtype float64), expected integers"),
        (functools.partial(dead_variant, count="zero values"), "you counted the zero values"),
        (functools.partial(dead_variant, count="rows"), "you counted examples (rows)"),
        (functools.partial(dead_variant, no_last=True), "result has shape (12, 2), expected (13, 2)"),
        (functools.partial(dead_variant, with_output=True), "the output layer not counted"),
        (functools.partial(dead_variant, ever=True), "your counts never go down"),
    ],
    "momentum_update": [
        (lambda w, v, g, lr, beta: (w - lr * (beta * v + (1 - beta) * g), beta * v + (1 - beta) * g), "EMA form"),
        (lambda w, v, g, lr, beta: (w + beta * v - lr * g, beta * v - lr * g), "velocity form"),
        (lambda w, v, g, lr, beta: (w - lr * g, beta * v + g), "w moved by the gradient alone"),
        (lambda w, v, g, lr, beta: (w - lr * v, beta * v + g), "w moved along the old velocity"),
        (lambda w, v, g, lr, beta: w - lr * g, "return the pair (w, v)"),
    ],
    "optimal_momentum": [
        (lambda k: (k**0.5 - 1) / (k**0.5 + 1), "you returned the convergence rate"),
        (lambda k: (k - 1) / (k + 1), "gradient descent's rate"),
        (lambda k: 0.9, "expected"),
    ],
    "bias_correction": [
        (lambda m, v, t, b1, b2: (m, v), "m_hat equals m"),
        (lambda m, v, t, b1, b2: (m / (1 - b1 ** (t - 1)) if t > 1 else m / (1 - b1), v / (1 - b2**t)), "beta1**(t-1)"),
        (lambda m, v, t, b1, b2: (m / (1 - b1**t), v / (1 - b1**t)), "v_hat is corrected with beta1"),
        (lambda m, v, t, b1, b2: m / (1 - b1**t), "return the pair (m_hat, v_hat)"),
    ],
    "rmsprop_update": [
        (lambda w, s, g, lr, a, eps: (w - lr * g / np.sqrt(a * s + (1 - a) * g**2 + eps), a * s + (1 - a) * g**2),
         "eps is inside the square root"),
        (lambda w, s, g, lr, a, eps: (w - lr * g / (np.sqrt(s) + eps), a * s + (1 - a) * g**2), "the old s"),
        (lambda w, s, g, lr, a, eps: (w, a * s + (1 - a) * g), "s averages g, not g**2"),
        (lambda w, s, g, lr, a, eps: (w - lr * g, a * s + (1 - a) * g**2), "expected"),
    ],
    "l2_penalty": [
        (lambda W, s: (s * np.sum(W**2), s * W), "has no 1/2"),
        (lambda W, s: (0.5 * s * np.sum(W**2), 2 * s * W), "grad is 2 * strength * W"),
        (lambda W, s: (s * np.sum(np.abs(W)), s * np.sign(W)), "that is L1's"),
        (lambda W, s: (0.5 * s * np.sum(W**2), s * W.sum(axis=0)), "grad has shape"),
        (lambda W, s: s * W, "return the pair (penalty, grad)"),
    ],
    "soft_threshold": [
        (lambda w, t: w - t * np.sign(w), "crossed zero"),
        (lambda w, t: np.where(np.abs(w) > t, w, 0.0), "hard thresholding"),
        (lambda w, t: np.maximum(np.abs(w) - t, 0), "negative weights became positive"),
        (lambda w, t: w * 0.5, "expected"),
    ],
    "prune_mask": [
        (lambda w, s: ~reference_prune_mask(w, s), "upside down"),
        (lambda w, s: np.abs(w) > np.quantile(np.abs(w), s), "expected round(sparsity * n)"),
        (lambda w, s: reference_prune_mask(w, int(s * w.size) / w.size), "expected round(sparsity * n)"),
        (lambda w, s: signed_prune_mask(w, s), "most negative weights"),
        (lambda w, s: reference_prune_mask(w, s).astype(int), "expected bool"),
        (lambda w, s: reference_prune_mask(w, s).ravel(), "mask has shape"),
    ],
    "symmetric_quantize": [
        (lambda w, b: (np.round(w / (np.abs(w).max() / (2 ** (b - 1) - 1))), np.abs(w).max() / (2 ** (b - 1) - 1)),
         "max|w| / 127"),
        (lambda w, b: (np.clip(np.floor(w / quant_scale(w, b) + 0.5), -(2 ** (b - 1)), 2 ** (b - 1) - 1),
                       quant_scale(w, b)), "rounds halves to even"),
        (lambda w, b: (np.round(w / quant_scale(w, b)), quant_scale(w, b)), "outside ["),
        (lambda w, b: np.round(w / quant_scale(w, b)), "return the pair (q, scale)"),
    ],
}


def reference_prune_mask(w, sparsity):
    keep = np.ones(w.size, dtype=bool)
    keep[np.argsort(np.abs(w).ravel(), kind="stable")[: int(round(sparsity * w.size))]] = False
    return keep.reshape(w.shape)


def signed_prune_mask(w, sparsity):
    keep = np.ones(w.size, dtype=bool)
    keep[np.argsort(w.ravel(), kind="stable")[: int(round(sparsity * w.size))]] = False
    return keep.reshape(w.shape)


def quant_scale(w, bits):
    return np.abs(w).max() / ((2**bits - 1) / 2)


def test_log_counts_are_a_right_prior_bias():
    """Adding a constant to every logit changes no softmax: log(counts) is as right as log(frequencies)."""
    assert grade("prior_bias", lambda y, k: np.log(np.bincount(y, minlength=k))).passed


@pytest.mark.parametrize("name, right", [
    # other calls of the generator: the statistical checks must not depend on the order of the draws
    ("he_normal", lambda shape, rng: math.sqrt(2 / shape[0]) * rng.standard_normal(shape[::-1]).T),
    ("kaiming_normal", lambda shape, gain, mode, rng: np.stack(  # one row at a time
        [rng.normal(0, gain / math.sqrt(shape[mode == "fan_out"]), shape[1]) for _ in range(shape[0])])),
    ("truncated_normal", truncated_vectorized_redraw),
    ("sgd_epochs", sgd_shuffling_an_index_array),
    # a finite stand-in for log 0, and the losses or counts as other containers
    ("prior_bias", lambda y, k: np.log(np.bincount(y, minlength=k) / len(y) + 1e-8)),
    ("train_two_layer", lambda x, y, params, lr, steps: np.array(two_layer_variant(x, y, params, lr, steps))),
    ("train_and_count_dead", lambda *args: dead_variant(*args).tolist()),
], ids=lambda value: value if isinstance(value, str) else "")
def test_chapters_00_to_03_accept_other_right_forms(name, right):
    result = grade(name, right)
    assert result.passed, result.message


def test_every_exercise_has_wrong_answers_tested():
    assert set(WRONG) == set(EXERCISES)
    too_few = {name: len(cases) for name, cases in WRONG.items() if len(cases) < 3}
    assert not too_few, f"every grader is tested with at least three realistic wrong answers: {too_few}"


@pytest.mark.parametrize(
    "name, wrong, expected", [(name, f, message) for name, cases in WRONG.items() for f, message in cases],
)
def test_typical_wrong_answers_fail_with_a_reason(name, wrong, expected):
    result = grade(name, wrong)
    assert result.status == "fail" and not result.passed, result.message
    assert result.message.startswith(f"FAIL {name}:")
    assert expected in result.message
    assert "Traceback" not in result.message


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_checker_prints_fail_and_does_not_raise(name, capsys):
    wrong = WRONG[name][0][0]
    getattr(exercises, f"check_{name}")(wrong)
    assert capsys.readouterr().out.startswith(f"FAIL {name}:")


# --------------------------------------------------------------------------------------------------
# stubs, exceptions, non-callables
# --------------------------------------------------------------------------------------------------


def stub(*args):
    raise NotImplementedError  # the untouched exercise cell


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_untouched_stub_is_not_done(name, capsys):
    result = grade(name, stub)
    assert result.status == "not done" and not result.passed
    assert result.message.startswith(f"NOT DONE {name}:") and "not done yet" in result.message
    getattr(exercises, f"check_{name}")(stub)  # prints, never raises: the notebook runs on
    assert capsys.readouterr().out.startswith(f"NOT DONE {name}:")


def raiser(error):
    def answer(*args):
        raise error

    return answer


ERRORS = [KeyError("oops"), ValueError("bad shape"), ZeroDivisionError("division by zero"), IndexError("index 5"),
          TypeError("unsupported operand"), AttributeError("no attribute 'T'"), AssertionError("mine"),
          RuntimeError("boom")]


@pytest.mark.parametrize("name", sorted(EXERCISES))
@pytest.mark.parametrize("error", ERRORS, ids=lambda e: type(e).__name__)
def test_exceptions_become_one_line_feedback(name, error, capsys):
    result = grade(name, raiser(error))
    assert result.status == "fail"
    assert f"your function raised {type(error).__name__}: {error}" in result.message
    assert "Traceback" not in result.message and 'File "' not in result.message
    getattr(exercises, f"check_{name}")(raiser(error))  # the printing checker does not raise either
    assert "Traceback" not in capsys.readouterr().out


def test_an_exception_in_real_code_is_reported_too():
    def dense_forward(x, W, b):
        return x @ W + b[5]  # IndexError

    result = grade("dense_forward", dense_forward)
    assert result.status == "fail" and "your function raised IndexError" in result.message
    assert "Traceback" not in result.message


@pytest.mark.parametrize("name", sorted(EXERCISES))
@pytest.mark.parametrize("value", [42, None, "dense_forward", np.zeros(3)], ids=["int", "None", "str", "array"])
def test_non_callable_fails(name, value, capsys):
    result = grade(name, value)
    assert result.status == "fail"
    assert result.message.startswith(f"FAIL {name}: pass the function itself")
    getattr(exercises, f"check_{name}")(value)
    assert capsys.readouterr().out.startswith(f"FAIL {name}:")


def test_unknown_exercise():
    with pytest.raises(ValueError, match="unknown exercise 'nope'; valid: .*dense_backward, dense_forward"):
        grade("nope", stub)


def test_printing_checkers_are_public():
    for name in EXERCISES:
        check = getattr(exercises, f"check_{name}")
        assert check.__name__ == f"check_{name}" and f"check_{name}" in exercises.__all__


def test_the_package_exposes_the_same_names_as_the_old_module():
    """exercises.py became a package (_grading and one module per chapter); its names stayed (new exercises add)."""
    assert exercises.__all__[:24] == [
        "Result", "grade", "EXERCISES", "check_dense_forward", "check_dense_backward", "check_xavier_std",
        "check_he_normal", "check_truncated_normal", "check_stable_softmax", "check_clip_grad_norm",
        "check_prior_bias", "check_dead_fraction", "check_momentum_update", "check_optimal_momentum",
        "check_bias_correction", "check_rmsprop_update", "check_l2_penalty", "check_soft_threshold",
        "check_prune_mask", "check_symmetric_quantize", "check_accuracy_from_logits", "check_confusion_matrix",
        "check_tied_weight_grad", "check_permutation_drop"]
    assert all(hasattr(exercises, name) for name in exercises.__all__)
    assert len(EXERCISES) == len(exercises.__all__) - 3  # one checker per registered exercise


# --------------------------------------------------------------------------------------------------
# show_source
# --------------------------------------------------------------------------------------------------


def test_show_source_prints_the_code(capsys):
    course_lib.show_source(init.xavier_normal)
    out = capsys.readouterr().out
    assert out.startswith("# course_lib.init.xavier_normal\ndef xavier_normal(")
    assert "sqrt(2.0 / (fan_in + fan_out))" in out and out.endswith("\n")


def test_show_source_of_a_class_and_bad_input(capsys):
    course_lib.show_source(nn.MLP)
    out = capsys.readouterr().out
    assert out.startswith("# course_lib.nn.MLP\nclass MLP:") and "def backward(self, dlogits):" in out
    with pytest.raises(TypeError, match="show_source needs a function, class or module defined in Python"):
        course_lib.show_source(42)
    with pytest.raises(TypeError, match="show_source needs"):
        course_lib.show_source(len)  # a builtin has no Python source


# --------------------------------------------------------------------------------------------------
# chapter 08: typical wrong answers (added to WRONG, so that the tests above that take WRONG[name] cover them)
# --------------------------------------------------------------------------------------------------


def reference_confusion(y_true, y_pred, classes):
    C = np.zeros((classes, classes), dtype=int)
    np.add.at(C, (y_true, y_pred), 1)
    return C


def confusion_counting_pairs_once(y_true, y_pred, classes):
    C = np.zeros((classes, classes), dtype=int)
    C[y_true, y_pred] += 1  # buffered: a pair that occurs 3 times adds 1
    return C


def confusion_of_the_classes_seen(y_true, y_pred, classes):
    seen = np.unique(np.concatenate([y_true, y_pred]))
    return reference_confusion(y_true, y_pred, len(seen))


def confusion_numbering_the_classes_seen(y_true, y_pred, classes):  # np.unique's codes: absent classes shift the rest
    _, codes = np.unique(np.concatenate([y_true, y_pred]), return_inverse=True)
    C = np.zeros((classes, classes), dtype=int)
    np.add.at(C, (codes[:len(y_true)], codes[len(y_true):]), 1)
    return C


def confusion_in_floats(y_true, y_pred, classes):  # np.zeros makes float64 counts
    C = np.zeros((classes, classes))
    np.add.at(C, (y_true, y_pred), 1)
    return C


def accuracy_softmax_in_place(logits, y):  # a "stable softmax" first, in the caller's logits
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    return float(np.mean((p / p.sum(axis=1, keepdims=True)).argmax(axis=1) == y))


def epoch_variant(model, optimizer, x, y, batch_size, rng, *, shuffle="permutation", drop_last=False, sum_loss=False,
                  full_batch=False, accuracy="during", loss_kind="weighted", evaluate_between=False, percent=False):
    """train_one_epoch, right with the defaults; each keyword makes one of the usual mistakes."""
    n = len(x)
    order = {"permutation": lambda: rng.permutation(n), "none": lambda: np.arange(n),
             "with replacement": lambda: rng.integers(0, n, size=n),
             "own generator": lambda: np.random.default_rng(0).permutation(n),
             "global": lambda: np.random.permutation(n)}[shuffle]()
    size = n if full_batch else batch_size
    stop = n - n % size if drop_last else n
    losses, lengths, correct, correct_after = [], [], 0, 0
    for start in range(0, stop, size):
        batch = order[start:start + size]
        logits = model.forward(x[batch])
        loss, dlogits = nn.softmax_cross_entropy(logits, y[batch])
        if evaluate_between:  # the running accuracy on all of x, between forward and backward
            model.predict(x)
        optimizer.step(model.backward(dlogits * len(batch) if sum_loss else dlogits))
        losses.append(loss)
        lengths.append(len(batch))
        correct += int(np.sum(logits.argmax(axis=1) == y[batch]))
        if accuracy == "after each step":
            correct_after += int(np.sum(model.predict(x[batch]) == y[batch]))
    epoch_loss = {"weighted": float(np.dot(losses, lengths) / n), "mean of means": float(np.mean(losses)),
                  "last": losses[-1]}[loss_kind]
    epoch_accuracy = {"during": correct / n, "after each step": correct_after / n,
                      "after the epoch": float(np.mean(model.predict(x) == y))}[accuracy]
    return epoch_loss, 100 * epoch_accuracy if percent else epoch_accuracy


def epoch_shuffling_copies(model, optimizer, x, y, batch_size, rng):  # right: shuffled copies of x and y, sliced
    order = rng.permutation(len(x))
    xs, ys = x[order], y[order]
    total, correct = 0.0, 0
    for start in range(0, len(x), batch_size):
        xb, yb = xs[start:start + batch_size], ys[start:start + batch_size]
        logits = model.forward(xb)
        loss, dlogits = nn.softmax_cross_entropy(logits, yb)
        optimizer.step(model.backward(dlogits))
        total, correct = total + loss * len(yb), correct + int(np.sum(logits.argmax(axis=1) == yb))
    return total / len(x), correct / len(x)


def epoch_with_train_step(model, optimizer, x, y, batch_size, rng):  # right: an index array shuffled, train_step
    from course_lib.train import train_step

    order = np.arange(len(x))
    rng.shuffle(order)
    steps = [train_step(model, optimizer, x[order[i:i + batch_size]], y[order[i:i + batch_size]])
             for i in range(0, len(x), batch_size)]
    sizes = [len(order[i:i + batch_size]) for i in range(0, len(x), batch_size)]
    return sum(s.loss * k for s, k in zip(steps, sizes)) / len(x), sum(s.correct for s in steps) / len(x)


WRONG_CH08 = {
    "accuracy_from_logits": [
        (lambda logits, y: 100 * np.mean(logits.argmax(axis=1) == y), "a percentage"),
        (lambda logits, y: int(np.sum(logits.argmax(axis=1) == y)), "the number of right predictions"),
        (lambda logits, y: np.mean(logits.argmax(axis=0) == y), "the argmax over axis 0"),
        (lambda logits, y: np.mean(logits.max(axis=1) == y), "got 0, expected 0.6"),
        (lambda logits, y: np.mean(logits.argmin(axis=1) == y), "expected 0.6"),
        (lambda logits, y: logits.argmax(axis=1) == y, "return one number"),
    ],
    "confusion_matrix": [
        (confusion_counting_pairs_once, "counted once, however often it occurs"),
        (confusion_of_the_classes_seen, "result has shape (3, 3), expected (4, 4)"),
        (lambda t, p, k: reference_confusion(t, p, k).T, "rows and columns are swapped"),
        (lambda t, p, k: reference_confusion(t, p, k) / len(t), "you returned fractions"),
        (lambda t, p, k: np.histogram2d(t, p, bins=k)[0], "expected [[3, 2, 0, 0]"),
        (lambda t, p, k: reference_confusion(t, p, k)[:, :-1], "result has shape (4, 3)"),
        (confusion_in_floats, "stored as float64 numbers"),  # float counts where integers are asked
        (confusion_numbering_the_classes_seen, "numbered in the order seen"),  # class 0 absent: rows shift
        (lambda t, p, k: np.bincount(t * k + p).reshape(k, k), "could not reshape its counts to (4, 4)"),  # no
    ],  # minlength: the absent last class has no counts
    "train_one_epoch": [
        (functools.partial(epoch_variant, shuffle="none"), "no shuffle"),  # batches in the order of x
        (functools.partial(epoch_variant, drop_last=True), "the last, smaller batch of 3 examples is missing"),
        (functools.partial(epoch_variant, sum_loss=True), "those of the summed loss"),  # dlogits * batch size
        (functools.partial(epoch_variant, full_batch=True), "one optimizer step for the whole epoch"),
        (functools.partial(epoch_variant, accuracy="after the epoch"),  # evaluation after training, as the
         "the trained model's, measured on x after the epoch"),  # epoch's training accuracy
        (functools.partial(epoch_variant, accuracy="after each step"), "measured on each batch after its step"),
        (functools.partial(epoch_variant, evaluate_between=True),  # an evaluation between forward and backward
         "a forward pass on other data between them"),  # replaces the batch's cache: backward fails
        (functools.partial(epoch_variant, loss_kind="mean of means"), "the mean of the batch means"),
        (functools.partial(epoch_variant, loss_kind="last"), "the last batch's"),
        (functools.partial(epoch_variant, percent=True), "is a percentage"),
        (functools.partial(epoch_variant, shuffle="with replacement"), "trained on twice"),  # rng.integers
        (functools.partial(epoch_variant, shuffle="own generator"), "generators of different seeds"),
        (functools.partial(epoch_variant, shuffle="global"), "generators of the same seed gave different"),
    ],
}
WRONG_CH08["accuracy_from_logits"] += [
    (lambda logits, y: np.mean(logits[np.arange(len(y)), y] == logits.max(axis=1)),  # "is the true logit the
     "a tie counted as right"),  # largest?": a tie counts as right whichever tied class is true
    (accuracy_softmax_in_place, "your function changed logits"),  # logits -= max: the caller's logits
    (lambda logits, y: np.mean(logits.shape[1] - 1 - logits[:, ::-1].argmax(axis=1) == y),  # the last of the
     "you predicted the last of the tied classes"),  # tied classes: another tie order than the prompt's
]
WRONG.update(WRONG_CH08)


@pytest.mark.parametrize("right", [functools.partial(epoch_variant), epoch_shuffling_copies, epoch_with_train_step],
                         ids=["loop", "shuffled copies", "rng.shuffle and train_step"])
def test_train_one_epoch_accepts_other_right_forms(right):
    """Another valid use of rng, shuffled copies of the data, the library's train_step: all right."""
    result = grade("train_one_epoch", right)
    assert result.passed, result.message


def test_accuracy_from_logits_accepts_softmax_first_and_labels_as_lists():
    assert grade("accuracy_from_logits", lambda z, y: float(np.mean(nn.softmax(z).argmax(axis=1) == y))).passed
    assert grade("confusion_matrix", lambda t, p, k: reference_confusion(t, p, k).tolist()).passed


# --------------------------------------------------------------------------------------------------
# chapter 09: typical wrong answers (added to WRONG, so that the tests above that take WRONG[name] cover them)
# --------------------------------------------------------------------------------------------------


def drop_shuffling_x_in_place(predict, x, y, feature, rng):
    baseline = np.mean(predict(x) == y)
    rng.shuffle(x[:, feature])  # the caller's x is shuffled
    return baseline - np.mean(predict(x) == y)


def drop_shuffling_whole_rows(predict, x, y, feature, rng):
    return np.mean(predict(x) == y) - np.mean(predict(x[rng.permutation(len(x))]) == y)


def drop_zeroing_the_feature(predict, x, y, feature, rng):
    zeroed = x.copy()
    zeroed[:, feature] = 0.0
    return np.mean(predict(x) == y) - np.mean(predict(zeroed) == y)


def tied_grad_transposed_unless_square(x, h, dz, dx_hat):
    right = x.T @ dz + dx_hat.T @ h
    return right if right.shape[0] == right.shape[1] else right.T  # passes the square case, then has W.T's shape


def shuffled_column(x, feature, permutation):
    shuffled = x.copy()
    shuffled[:, feature] = x[permutation, feature]
    return shuffled


def tied_grad_relu_mask_in_place(x, h, dz, dx_hat):  # applies the ReLU's derivative to dz again, in the caller's dz
    dz *= h > 0
    return x.T @ dz + dx_hat.T @ h


def freeze_variant(*, held="trainable", zero_grads=False, restore=False, unfreeze=True, shift=0, fresh_each_step=False,
                   reinit_head=False, new_network=False, sum_loss=False, keep_head_optimizer=False):
    """freeze_then_fine_tune, right with the defaults; each keyword makes one of the usual mistakes. ``held``: which
    parameters the frozen phase's optimizer holds: "trainable" (params[2:]), "all" (with zero_grads: the zeroed-
    gradient freeze), "head frozen" (all but the last layer's), "b1 forgotten" (params[1:]), "only the head"."""
    def freeze_then_fine_tune(model, make_optimizer, x, y, batches, frozen_steps):
        if new_network:  # a new network with the reused layer: the model given is never trained
            from course_lib.transfer import reuse_layers

            model = reuse_layers(model, model.sizes, n_layers=1, rng=0)
        n = len(model.params)
        if reinit_head:  # "a new head for the new task": the model given already has one
            model.params[2][...] = np.random.default_rng(0).normal(0.0, math.sqrt(2 / model.sizes[1]),
                                                                    model.params[2].shape)
        first = {"trainable": list(range(2, n)), "all": list(range(n)), "head frozen": list(range(n - 2)),
                 "b1 forgotten": list(range(1, n)), "only the head": [n - 2, n - 1]}[held]
        held_now = first
        optimizer = make_optimizer([model.params[i] for i in first])
        frozen_copies = [model.params[0].copy(), model.params[1].copy()]
        losses = []
        for t, batch in enumerate(batches):
            if unfreeze and (t == frozen_steps + shift or (fresh_each_step and t > frozen_steps)):
                held_now = [0, 1] if keep_head_optimizer else list(range(n))
                new = make_optimizer([model.params[i] for i in held_now])
                optimizers = [(optimizer, first), (new, held_now)] if keep_head_optimizer else [(new, held_now)]
            elif t == 0:
                optimizers = [(optimizer, first)]
            loss, dlogits = nn.softmax_cross_entropy(model.forward(x[batch]), y[batch])
            grads = model.backward(dlogits * len(batch) if sum_loss else dlogits)
            if zero_grads and t < frozen_steps:
                grads[0][...], grads[1][...] = 0.0, 0.0
            for opt, indices in optimizers:
                opt.step([grads[i] for i in indices])
            if restore and t < frozen_steps:  # W1, b1 put back after each step: unchanged, but held
                model.params[0][...], model.params[1][...] = frozen_copies
            losses.append(loss)
        return losses

    return freeze_then_fine_tune


def freeze_with_the_library(model, make_optimizer, x, y, batches, frozen_steps):  # right: trainable_params, train_step
    from course_lib.train import train_step
    from course_lib.transfer import trainable_params

    indices, params = trainable_params(model, frozen=[0])
    optimizer, losses = make_optimizer(params), []
    for t, batch in enumerate(batches):
        if t == frozen_steps:
            indices, optimizer = list(range(len(model.params))), make_optimizer(model.params)
        losses.append(train_step(model, optimizer, x[batch], y[batch], trainable=indices).loss)
    return losses


def freeze_by_feature_extraction(model, make_optimizer, x, y, batches, frozen_steps):  # right: layer 0's output once
    features = model.layer_output(x, 1)
    head = nn.MLP(model.sizes[1:], dtype="float64")
    head.params = model.params[2:]  # the same arrays: training the head trains the model
    optimizer, losses = make_optimizer(head.params), []
    for t, batch in enumerate(batches):
        net, inputs = (head, features) if t < frozen_steps else (model, x)
        if t == frozen_steps:
            optimizer = make_optimizer(model.params)
        loss, dlogits = nn.softmax_cross_entropy(net.forward(inputs[batch]), y[batch])
        optimizer.step(net.backward(dlogits))
        losses.append(loss)
    return losses


WRONG_CH09 = {
    "tied_weight_grad": [
        (lambda x, h, dz, dx_hat: x.T @ dz, "only the encoder's gradient"),
        (lambda x, h, dz, dx_hat: dx_hat.T @ h, "only the decoder's gradient"),
        (lambda x, h, dz, dx_hat: (x.T @ dz + dx_hat.T @ h) / 2, "you averaged the two gradients"),
        (lambda x, h, dz, dx_hat: x.T @ dz + h.T @ dx_hat, "the decoder's gradient is not transposed"),
        (tied_grad_transposed_unless_square, "W.T's; expected W's shape (6, 3)"),
        (lambda x, h, dz, dx_hat: x.T @ dz - dx_hat.T @ h, "wrong values"),
    ],
    "permutation_drop": [
        (drop_shuffling_x_in_place, "your function changed x"),
        (drop_shuffling_whole_rows, "expected 0"),
        (lambda predict, x, y, f, rng: np.mean(predict(shuffled_column(x, f, rng.permutation(len(x)))) == y),
         "the accuracy after shuffling, not its drop"),
        (lambda predict, x, y, f, rng: np.mean(predict(shuffled_column(x, f, rng.permutation(len(x)))) == y)
         - np.mean(predict(x) == y), "the drop has the wrong sign"),
        (drop_zeroing_the_feature, "replacing the feature by 0"),
        (lambda predict, x, y, f, rng: np.mean(predict(x) == y) - np.mean(predict(shuffled_column(
            x, f, np.random.default_rng().permutation(len(x)))) == y), "generators of the same seed"),
        (lambda predict, x, y, f, rng: predict(x) != predict(shuffled_column(x, f, rng.permutation(len(x)))),
         "return one number"),
    ],
    "freeze_then_fine_tune": [
        (freeze_variant(held="all", zero_grads=True), "changed during the frozen phase"),  # zeroed gradients: decay
        (freeze_variant(held="all", zero_grads=True, restore=True),  # zeroed and restored: the optimizer's state
         "stayed unchanged, but the optimizer of the frozen phase held them"),  # for W1, b1 (AdamW's t) goes stale
        (freeze_variant(held="head frozen"), "you froze the wrong layer"),  # the head frozen, W1 trained
        (freeze_variant(held="b1 forgotten"), "b1 changed during the frozen phase"),  # W1 frozen, b1 not
        (freeze_variant(held="only the head"), "W2, b2 did not train: only layer 0"),  # 3 layers: froze all but head
        (freeze_variant(unfreeze=False), "W1 never trained"),  # never unfrozen
        (freeze_variant(shift=1), "1 frozen step(s) too many"),  # off by one: t > frozen_steps
        (freeze_variant(shift=-1), "1 frozen step(s) too few"),  # off by one: t == frozen_steps - 1
        (freeze_variant(fresh_each_step=True), "a new one every step"),  # make_optimizer inside the loop
        (freeze_variant(keep_head_optimizer=True), "several optimizers stepped"),  # the head's + one for W1, b1
        (freeze_variant(reinit_head=True), "the head was re-initialized"),  # a new head over the given one
        (freeze_variant(new_network=True), "did not train the model you were given"),  # reuse_layers: a new net
        (freeze_variant(sum_loss=True), "those of the summed loss"),  # dlogits * batch size
    ],
}
WRONG_CH09["tied_weight_grad"] += [
    (lambda x, h, dz, dx_hat: (x.T @ dz + dx_hat.T @ h) / len(x), "you divided by the batch size"),  # a mean
    (lambda x, h, dz, dx_hat: x.T @ (dz * (h > 0)) + dx_hat.T @ h, "multiplied dz by the ReLU's derivative"),
    (tied_grad_relu_mask_in_place, "your function changed its input dz"),  # dz *= h > 0: the caller's dz
]
WRONG.update(WRONG_CH09)


@pytest.mark.parametrize("right", [freeze_variant(), freeze_with_the_library, freeze_by_feature_extraction],
                         ids=["loop", "trainable_params and train_step", "feature extraction"])
def test_freeze_then_fine_tune_accepts_other_right_forms(right):
    """The library's trainable_params and train_step, or the frozen layer's output computed once: the same run."""
    result = grade("freeze_then_fine_tune", right)
    assert result.passed, result.message


# --------------------------------------------------------------------------------------------------
# chapters 04, 05, 06: the main exercises (nesterov_step, adamw_step, proximal_l1_step) and more wrong answers for
# the short ones; cases of graders already in WRONG are appended to their lists
# --------------------------------------------------------------------------------------------------


def nesterov_right(w, g, state, lr, beta, *, damped=False, double_first=False, plain_first=False, alias=False):
    """PyTorch's Nesterov step, or one of the usual mistakes in it (keyword flags)."""
    if "velocity" not in state:
        state["velocity"] = g if alias else g.copy()
        if double_first:  # the buffer set to g and then updated too: (1 + beta) g
            state["velocity"][...] = beta * state["velocity"] + g
        if plain_first:  # no look-ahead on the first step
            w -= lr * g
            return
    else:
        state["velocity"][...] = beta * state["velocity"] + (1 - beta if damped else 1) * g
    w -= lr * (g + beta * state["velocity"])


def nesterov_zero_buffer(w, g, state, lr, beta):  # right: a buffer of zeros updated once is g on the first step
    v = state.setdefault("velocity", np.zeros_like(w))
    v[...] = beta * v + g
    w -= lr * (g + beta * v)


def nesterov_bengio_form(w, g, state, lr, beta):  # right: w + lr beta v_old - lr (1 + beta) v_new is the same step
    old = state.get("velocity", np.zeros_like(w))
    state["velocity"] = beta * old + g
    w += lr * beta * old - lr * (1 + beta) * state["velocity"]


def nesterov_heavy_ball(w, g, state, lr, beta):
    v = state.setdefault("velocity", np.zeros_like(w))
    v[...] = beta * v + g
    w -= lr * v


def nesterov_old_buffer(w, g, state, lr, beta):  # the look-ahead with the buffer from before the update
    v = state.setdefault("velocity", np.zeros_like(w))
    old = v.copy()
    v[...] = beta * v + g
    w -= lr * (g + beta * old)


def nesterov_sutskever_velocity(w, g, state, lr, beta):  # Sutskever's velocity (lr inside v) stored as the buffer
    v = state.setdefault("velocity", np.zeros_like(w))
    v[...] = beta * v - lr * g
    w += beta * v - lr * g


def nesterov_not_in_place(w, g, state, lr, beta):
    v = state.setdefault("velocity", np.zeros_like(w))
    v[...] = beta * v + g
    w = w - lr * (g + beta * v)
    return w


def nesterov_new_state(w, g, state, lr, beta):
    state = {"velocity": g.copy()}  # a new dict: the caller's stays empty
    w -= lr * (g + beta * state["velocity"])


def adamw_variant(w, g, state, lr, betas, eps, weight_decay, *, decay="decoupled", correct=True, eps_inside=False,
                  t_after=False, shared=None, in_place=True):
    """An AdamW step, right with the defaults; each keyword makes one of the usual mistakes."""
    beta1, beta2 = betas
    if not state:
        state.update(t=0, m=np.zeros_like(w), v=np.zeros_like(w))
    st = state if shared is None else shared  # shared: one step counter t for every parameter (a global)
    st.setdefault("t", 0)
    if decay == "L2":
        g = g + weight_decay * w
    elif decay == "L2 in place":
        g += weight_decay * w
    elif decay == "no lr":
        w *= 1 - weight_decay
    elif decay == "decoupled":
        w *= 1 - lr * weight_decay
    if not t_after:
        st["t"] += 1
    m = state["m"] = beta1 * state["m"] + (1 - beta1) * g
    v = state["v"] = beta2 * state["v"] + (1 - beta2) * g**2
    m_hat, v_hat = (m / (1 - beta1 ** st["t"]), v / (1 - beta2 ** st["t"])) if correct else (m, v)
    if t_after:
        st["t"] += 1
    step = lr * m_hat / (np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps)
    if in_place:
        w -= step
    else:
        w = w - step
    if decay == "after":
        w *= 1 - lr * weight_decay
    return None if in_place else w


def adamw_keras_form(w, g, state, lr, betas, eps, weight_decay):  # right: the corrections folded into lr and eps
    beta1, beta2 = betas
    if not state:
        state.update(t=0, m=np.zeros_like(w), v=np.zeros_like(w))
    w *= 1 - lr * weight_decay
    state["t"] += 1
    t = state["t"]
    state["m"] = beta1 * state["m"] + (1 - beta1) * g
    state["v"] = beta2 * state["v"] + (1 - beta2) * g**2
    lr_t = lr * np.sqrt(1 - beta2**t) / (1 - beta1**t)
    w -= lr_t * state["m"] / (np.sqrt(state["v"]) + eps * np.sqrt(1 - beta2**t))


def proximal_variant(params, grads, lr, strength, *, shrink="soft", threshold="lr", order="after", biases=False,
                     rebind=False, scale_grads=False):
    """A proximal-L1 step, right with the defaults; each keyword makes one of the usual mistakes."""
    t = lr * strength if threshold == "lr" else strength
    for i, (p, g) in enumerate(zip(params, grads)):
        penalized = p.ndim >= 2 or biases
        if rebind:  # new arrays put into the list: the model never sees them
            params[i] = np.sign(p - lr * g) * np.maximum(np.abs(p - lr * g) - t, 0) if penalized else p - lr * g
            continue
        if scale_grads:
            g *= lr  # the caller's gradient, scaled in place
            p -= g
        elif shrink == "subgradient":
            p -= lr * (g + (strength * np.sign(p) if penalized else 0.0))
            continue
        elif order == "after":
            p -= lr * g
        if penalized:
            if shrink == "soft":
                new = np.sign(p) * np.maximum(np.abs(p) - t, 0)
            elif shrink == "past zero":
                new = p - t * np.sign(p)
            else:  # "hard"
                new = np.where(np.abs(p) > t, p, 0.0)
            p[...] = new
        if order == "before":
            p -= lr * g


def proximal_with_library(params, grads, lr, strength):  # right: the library's soft_threshold, p[...] = ...
    from course_lib.regularization import soft_threshold

    for p, g in zip(params, grads):
        p -= lr * g
        if p.ndim >= 2:
            p[...] = soft_threshold(p, lr * strength)


def momentum_in_place(w, v, g, lr, beta):
    v *= beta
    v += g
    w -= lr * v
    return w, v


def bias_correction_in_place(m, v, t, beta1, beta2):
    m /= 1 - beta1**t
    v /= 1 - beta2**t
    return m, v


def rmsprop_in_place(w, s, g, lr, alpha, eps):
    s *= alpha
    s += (1 - alpha) * g**2
    return w - lr * g / (np.sqrt(s) + eps), s


def l2_gradient_aliasing_w(W, strength):
    grad = W  # not a copy: scaling grad scales W
    grad *= strength
    return 0.5 * strength * np.sum(W**2), grad


def soft_threshold_in_place(w, threshold):
    w[np.abs(w) <= threshold] = 0.0
    w -= threshold * np.sign(w)
    return w


WRONG_CH04_06 = {
    "nesterov_step": [
        (nesterov_heavy_ball, "that is the heavy ball"),  # forgot the look-ahead: nesterov=False
        (nesterov_old_buffer, "that is the heavy ball"),  # g + beta v_old: the heavy ball again
        (nesterov_sutskever_velocity, "is -lr times PyTorch's buffer"),  # Sutskever's form written as PyTorch's
        (lambda *a: nesterov_right(*a, damped=True), "that is dampening = beta"),  # the EMA form's (1 - beta) g
        (lambda *a: nesterov_right(*a, double_first=True), "the buffer is (1 + beta) g"),  # first step: g, updated
        (lambda *a: nesterov_right(*a, plain_first=True), "your first step is a plain gradient step"),  # no look-ahead
        (lambda *a: nesterov_right(*a, alias=True), "state['velocity'] is the array g itself"),  # buffer = g, no copy
        (nesterov_not_in_place, "the caller's w did not change"),  # w = w - ...: a new array
        (nesterov_new_state, "state has no 'velocity'"),  # state = {...}: a new dict
    ],
    "adamw_step": [
        (lambda *a: adamw_variant(*a, decay="L2"), "that is Adam + L2"),  # the decay added to the gradient
        (lambda *a: adamw_variant(*a, decay="L2 in place"), "your function changed g"),  # g += wd * w
        (lambda *a: adamw_variant(*a, decay="no lr"), "the decay is not multiplied by lr"),  # w *= 1 - wd
        (lambda *a: adamw_variant(*a, decay="none"), "Adam without weight decay"),  # no decay at all
        (lambda *a: adamw_variant(*a, decay="after"), "after the Adam step"),  # decays the stepped w
        (lambda *a: adamw_variant(*a, t_after=True), "with t = 0, 1 - beta1**t is 0"),  # t starts at 0
        (lambda *a: adamw_variant(*a, eps_inside=True), "eps is inside the square root"),  # TensorFlow's place
        (lambda *a: adamw_variant(*a, correct=False), "not bias-corrected"),  # bias correction omitted
        (lambda *a, _s={}: adamw_variant(*a, shared=_s), "shared by the two parameters"),  # one t, m, v for all
        (lambda *a: adamw_variant(*a, in_place=False), "only the decay reached the caller's w"),  # w = w - step
    ],
    "proximal_l1_step": [
        (lambda *a: proximal_variant(*a, shrink="subgradient"), "that is the subgradient step"),  # + strength sign(W)
        (lambda *a: proximal_variant(*a, threshold="no lr"), "the threshold is strength, not lr * strength"),
        (lambda *a: proximal_variant(*a, shrink="past zero"), "weights crossed zero"),  # shrinks past 0: sign flips
        (lambda *a: proximal_variant(*a, shrink="hard"), "hard thresholding"),  # pruning, not shrinking
        (lambda *a: proximal_variant(*a, order="before"), "soft-thresholded before the data step"),  # wrong order
        (lambda *a: proximal_variant(*a, biases=True), "the biases were soft-thresholded too"),  # biases penalized
        (lambda *a: proximal_variant(*a, rebind=True), "you put new arrays into the list"),  # params[i] = new
        (lambda *a: proximal_variant(*a, scale_grads=True), "your function changed grads"),  # g *= lr
    ],
    "momentum_update": [
        (momentum_in_place, "your function changed its input w and v"),  # v *= beta; w -= lr * v
        (lambda w, v, g, lr, beta: (w - lr * (beta * v + lr * g), beta * v + lr * g), "v is"),  # lr inside, + sign
        (lambda w, v, g, lr, beta: (w - 0.1 * (0.9 * v + g), 0.9 * v + g), "expected"),  # hard-coded lr and beta
    ],
    "optimal_momentum": [
        (lambda k: (1 - 1 / math.sqrt(k)) ** 2, "expected"),  # the rate's approximation 1 - 1/sqrt(kappa), squared
    ],
    "bias_correction": [
        (bias_correction_in_place, "your function changed its input m and v"),  # m /= ...
        (lambda m, v, t, b1, b2: (m / (1 - 0.9**t), v / (1 - 0.999**t)), "with beta1=0.8"),  # hard-coded betas
    ],
    "rmsprop_update": [
        (rmsprop_in_place, "your function changed its input s"),  # s *= alpha
        (lambda w, s, g, lr, a, eps: (w - lr * g / (np.sqrt((1 - a) * s + a * g**2) + eps), (1 - a) * s + a * g**2),
         "alpha weighs the new g**2"),  # alpha and 1 - alpha swapped
        (lambda w, s, g, lr, a, eps: (w - lr * g / (np.sqrt(0.9 * s + 0.1 * g**2) + eps), 0.9 * s + 0.1 * g**2),
         "expected"),  # hard-coded alpha
    ],
    "l2_penalty": [
        (l2_gradient_aliasing_w, "your function changed W"),  # grad = W; grad *= strength
        (lambda W, s: (0.5 * s * np.sum(W**2), s * W.T), "grad has shape (3, 2)"),  # transposed
    ],
    "soft_threshold": [
        (soft_threshold_in_place, "your function changed w"),  # zeroes and shrinks the caller's w
        (lambda w, t: np.maximum(w - t, 0), "negative weights were all set to 0"),  # ReLU-style, one-sided
        (lambda w, t: np.sign(w).ravel() * np.maximum(np.abs(w).ravel() - t, 0), "result has shape (6,)"),  # flattens
        (lambda w, t: np.sign(w) * np.maximum(np.abs(w) - t, 1e-12), "near 0 but not exactly 0"),  # leaves 1e-12
    ],
}
for _name, _cases in WRONG_CH04_06.items():
    WRONG.setdefault(_name, []).extend(_cases)


# WRONG_CH04_06's cases join WRONG after test_typical_wrong_answers_fail_with_a_reason was parametrized: they run here
@pytest.mark.parametrize(
    "name, wrong, expected", [(name, f, message) for name, group in WRONG_CH04_06.items() for f, message in group],
)
def test_chapter_04_to_06_wrong_answers_fail_with_a_reason(name, wrong, expected):
    test_typical_wrong_answers_fail_with_a_reason(name, wrong, expected)


@pytest.mark.parametrize("name, right", [
    ("nesterov_step", nesterov_zero_buffer), ("nesterov_step", nesterov_bengio_form),
    ("adamw_step", adamw_variant), ("adamw_step", adamw_keras_form),
    ("proximal_l1_step", proximal_variant), ("proximal_l1_step", proximal_with_library),
])
def test_main_exercises_of_chapters_04_to_06_accept_other_right_forms(name, right):
    """A zero buffer, Bengio's rewriting of Nesterov, Adam's corrections folded into lr and eps, the library's
    soft_threshold: all right."""
    result = grade(name, right)
    assert result.passed, result.message


# --------------------------------------------------------------------------------------------------
# chapter 07: the main exercise (gradual_prune_loop) and more wrong answers for prune_mask and symmetric_quantize;
# cases of graders already in WRONG are appended to their lists
# --------------------------------------------------------------------------------------------------


def gradual_variant(*, schedule="cubic", mask_grads=True, rezero=True, at_once=False, stop_short=False,
                    one_based=False, per_layer=False, replace_arrays=False, steps_short=False, prune_after=False,
                    flip_masks=False, prune_mid=False):
    """Zhu & Gupta's gradual pruning loop, right, or with one of the usual mistakes (keyword flags)."""
    from course_lib.pruning import global_magnitude_prune

    def prune(model, sparsity):
        if per_layer:  # every matrix to the same sparsity, instead of ranking all weights together
            masks = [reference_prune_mask(W, sparsity) for W in model.weights]
        else:
            _, masks = global_magnitude_prune(model.weights, sparsity)
        for i, (W, m) in enumerate(zip(model.weights, masks)):
            if replace_arrays:
                model.params[2 * i] = W * m  # a new array: the optimizer keeps updating the old one
            else:
                W *= m
        return masks

    def target(t, s_f, t0, n, dt, myth_sparsity):
        if schedule == "myth":  # the myth box's schedule: + s_f / n every n // 10 steps
            return min(myth_sparsity + s_f / n, s_f) if t % (n // 10) == 0 else None
        if schedule == "myth, guarded":  # the same, with the division by zero avoided
            return min(myth_sparsity + s_f / n, s_f) if t % max(1, n // 10) == 0 else None
        last = t0 + n * dt - (1 if stop_short else 0)  # stop_short: a range that ends before t0 + n dt
        if t0 <= t <= last and (t - t0) % dt == 0:
            return s_f if at_once else s_f * (1 - (1 - (t - t0) / (n * dt)) ** 3)
        return None

    def loop(model, optimizer, x, y, batches, s_f, t0, n, dt):
        masks, sparsity = [np.ones(W.shape, dtype=bool) for W in model.weights], 0.0
        for t, batch in enumerate(batches[:-1] if steps_short else batches, start=1 if one_based else 0):
            s = target(t + 1 if prune_after else t, s_f, t0, n, dt, sparsity)
            if s is not None and not prune_after and not prune_mid:
                sparsity, masks = s, prune(model, s)
            _, dlogits = nn.softmax_cross_entropy(model.forward(x[batch]), y[batch])
            grads = model.backward(dlogits)
            if s is not None and prune_mid:  # wrong: pruned after the forward pass, the new mask on the gradients
                sparsity, masks = s, prune(model, s)
            if mask_grads:
                grads = [g * masks[i // 2] if i % 2 == 0 else g for i, g in enumerate(grads)]
            optimizer.step(grads)
            if rezero:
                for W, m in zip(model.weights, masks):
                    W *= m
            if s is not None and prune_after:  # right too: prune at the end of step t for step t + 1
                sparsity, masks = s, prune(model, s)
        return [~m for m in masks] if flip_masks else masks

    return loop


def prune_mask_ties_last_first(w, sparsity):  # ties broken from the end: the stable sort of the reversed array
    order = w.size - 1 - np.argsort(np.abs(w).ravel()[::-1], kind="stable")
    keep = np.ones(w.size, dtype=bool)
    keep[order[: int(round(sparsity * w.size))]] = False
    return keep.reshape(w.shape)


def prune_mask_pruning_w(w, sparsity):  # right mask, but w is pruned too
    mask = reference_prune_mask(w, sparsity)
    w *= mask
    return mask


def quantize_dividing_w(w, bits):  # right values, but w /= scale changes the caller's weights
    scale = quant_scale(w, bits)
    w /= scale
    return np.clip(np.round(w), -(2 ** (bits - 1)), 2 ** (bits - 1) - 1).astype(np.int32), scale


def quantize_per_column(w, bits):  # one scale per column where the prompt asks for one per tensor
    scale = np.abs(w).max(axis=0) / ((2**bits - 1) / 2)
    return np.clip(np.round(w / scale), -(2 ** (bits - 1)), 2 ** (bits - 1) - 1).astype(np.int32), scale


WRONG_CH07 = {
    "gradual_prune_loop": [
        (gradual_variant(schedule="myth"), "n_prunes // 10 is 0"),  # the myth box: divides by n // 10
        (gradual_variant(schedule="myth, guarded"), "a schedule that adds s_f / n every"),  # linear, every step
        (gradual_variant(mask_grads=False, rezero=False), "pruned weights got a nonzero gradient; at step 9"),
        (gradual_variant(rezero=False), "pruned weights regrew"),  # masked gradients only: Adam's m regrows them
        (gradual_variant(mask_grads=False), "pruned weights got a nonzero gradient"),  # weights re-zeroed only
        (gradual_variant(at_once=True), "pruning all at once"),  # s_f at t0: one-shot pruning
        (gradual_variant(stop_short=True), "the last pruning step, t0 + n dt = 23, is missing"),  # off by one
        (gradual_variant(one_based=True), "one step early"),  # off by one: steps counted from 1
        (gradual_variant(steps_short=True), "optimizer.step was called 39 times for 40 batches"),  # off by one
        (gradual_variant(per_layer=True), "smallest |w| in the whole network"),  # per-layer, not global
        (gradual_variant(replace_arrays=True), "no longer the arrays the optimizer updates"),  # params[i] = W * m
        (gradual_variant(flip_masks=True), "masks[0] is not the final mask"),  # True = pruned
        (gradual_variant(prune_mid=True), "pruned after the forward pass"),  # forward and backward on the old mask
    ],
    "prune_mask": [
        (prune_mask_ties_last_first, "ties broken in another order"),  # the last of equal |w| pruned first
        (prune_mask_pruning_w, "your function changed w"),  # w *= mask: the caller's weights pruned
    ],
    "symmetric_quantize": [
        (lambda w, b: max_w_quantize(w, b), "scale comes from max(w)"),  # max(w) where max|w| belongs
        (lambda w, b: (np.clip(np.round(w / quant_scale(w, b)), -(2 ** (b - 1)), 2 ** (b - 1) - 1), quant_scale(w, b)),
         "not stored as integers"),  # float q: np.round returns floats
        (quantize_dividing_w, "your function changed w"),  # w /= scale
        (quantize_per_column, "scale should be a number"),  # per column, not per tensor
    ],
}
for _name, _cases in WRONG_CH07.items():
    WRONG.setdefault(_name, []).extend(_cases)


# WRONG_CH07's cases join WRONG after test_typical_wrong_answers_fail_with_a_reason was parametrized: they run here
@pytest.mark.parametrize(
    "name, wrong, expected", [(name, f, message) for name, group in WRONG_CH07.items() for f, message in group],
)
def test_chapter_07_wrong_answers_fail_with_a_reason(name, wrong, expected):
    test_typical_wrong_answers_fail_with_a_reason(name, wrong, expected)


def gradual_with_the_library(model, optimizer, x, y, batches, s_f, t0, n, dt):
    from course_lib.pruning import Pruner, global_magnitude_prune, gradual_sparsity

    pruner = Pruner(model, [np.ones(W.shape, dtype=bool) for W in model.weights])
    for t, batch in enumerate(batches):
        if t0 <= t <= t0 + n * dt and (t - t0) % dt == 0:
            pruner = Pruner(model, global_magnitude_prune(model.weights, gradual_sparsity(t, s_f, 0.0, t0, n, dt))[1])
        _, dlogits = nn.softmax_cross_entropy(model.forward(x[batch]), y[batch])
        optimizer.step(pruner.mask_gradients(model.backward(dlogits)))
        pruner.apply()
    return pruner.masks


@pytest.mark.parametrize("right", [gradual_variant(), gradual_variant(prune_after=True), gradual_with_the_library])
def test_gradual_prune_loop_accepts_other_right_forms(right):
    """Pruning at the end of the step before, or with Pruner and gradual_sparsity: the same run."""
    result = grade("gradual_prune_loop", right)
    assert result.passed, result.message


def test_prune_mask_and_quantize_accept_other_right_forms():
    """Ties by a stable sort of -|w| reversed, q as int8 or as a list of ints: all right."""
    def prune_mask_by_lexsort(w, sparsity):
        keep = np.ones(w.size, dtype=bool)
        keep[np.lexsort((np.arange(w.size), np.abs(w).ravel()))[: int(round(sparsity * w.size))]] = False
        return keep.reshape(w.shape)

    assert grade("prune_mask", prune_mask_by_lexsort).passed
    for convert in (lambda q: q.astype(np.int8), lambda q: q.astype(int).tolist()):
        result = grade("symmetric_quantize", lambda w, b, c=convert: (
            c(np.clip(np.round(w / quant_scale(w, b)), -(2 ** (b - 1)), 2 ** (b - 1) - 1)), quant_scale(w, b)))
        assert result.passed, result.message


# WRONG_CH08 and WRONG_CH09 are added to WRONG after test_typical_wrong_answers_fail_with_a_reason was
# parametrized (at its definition, above), so their cases run here, through the same test.
@pytest.mark.parametrize(
    "name, wrong, expected",
    [(name, f, message) for cases in (WRONG_CH08, WRONG_CH09) for name, group in cases.items() for f, message in group],
)
def test_chapter_08_and_09_wrong_answers_fail_with_a_reason(name, wrong, expected):
    test_typical_wrong_answers_fail_with_a_reason(name, wrong, expected)


def test_permutation_drop_accepts_an_in_place_shuffle_of_a_copy_and_tied_grad_as_lists():
    def shuffle_a_copy(predict, x, y, feature, rng):
        shuffled = x.copy()
        rng.shuffle(shuffled[:, feature])  # shuffles the column of the copy in place: as right as a permutation
        return np.mean(predict(x) == y) - np.mean(predict(shuffled) == y)

    assert grade("permutation_drop", shuffle_a_copy).passed
    assert grade("tied_weight_grad", lambda x, h, dz, dx_hat: (x.T @ dz + dx_hat.T @ h).tolist()).passed


# --------------------------------------------------------------------------------------------------
# hints that teach: a FAIL diagnoses, points to what to re-read, names the solution file, and keeps the answer there
# --------------------------------------------------------------------------------------------------

STUCK = re.compile(r"\n  Stuck\? `%load \.\./(solutions/\d\d_\w+\.py)` loads the reference solution\.$")


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_every_exercise_knows_its_existing_solution_file(name):
    path = SOLUTIONS.parent / SOLUTION_FILES[name]
    assert path.is_file() and path == solution_file(name)


@pytest.mark.parametrize(
    "name, wrong", [(name, f) for name, cases in WRONG.items() for f, _ in cases]
    + [(name, value) for name in sorted(EXERCISES) for value in (None, raiser(RuntimeError("boom")))],
)
def test_every_fail_ends_by_naming_the_existing_solution_file(name, wrong):
    message = grade(name, wrong).message
    assert message.startswith(f"FAIL {name}:")
    found = STUCK.search(message)
    assert found, message
    assert found.group(1) == SOLUTION_FILES[name] and (SOLUTIONS.parent / found.group(1)).is_file()
    assert found.group(1).endswith(f"_{name}.py")


def test_not_done_and_pass_do_not_change():
    """Notebooks are committed with their NOT DONE output: its text stays as it was, without the solution line."""
    assert grade("dense_forward", stub).message == (
        "NOT DONE dense_forward: not done yet. Replace `raise NotImplementedError` with your code and run the cell "
        "again.")
    assert grade("dense_forward", lambda x, W, b: x @ W + b).message == (
        "PASS dense_forward: z = x @ W + b is right on 3 cases of different shapes.")


def max_w_quantize(w, bits):  # max(w) where max|w| belongs: right as long as the largest weight is positive
    scale = w.max() / ((2**bits - 1) / 2)
    return np.clip(np.round(w / scale), -(2 ** (bits - 1)), 2 ** (bits - 1) - 1), scale


# (name, realistic wrong answer, the diagnosis it must get, answer strings the message must not contain)
TEACHING = [
    ("dense_forward", lambda x, W, b: W @ x + b, "the shapes do not fit", ["x @ W + b", "x @ W", "compute"]),
    ("dense_forward", lambda x, W, b: (x @ W + b).T, "expected (1, 2): the shape of the transpose", ["x @ W + b"]),
    ("dense_forward", lambda x, W, b: x @ W, "the bias is missing", ["x @ W + b", "add b"]),
    ("dense_backward", lambda x, W, dz: (dz @ W.T, x.T @ dz, dz.mean(axis=0)), "db is the mean over the batch",
     ["dz.sum(axis=0)", "sum(axis=0)"]),
    ("dense_backward", lambda x, W, dz: (dz @ W.T, dz.T @ x, dz.sum(axis=0)), "dW has shape (2, 3), expected (3, 2)",
     ["x.T @ dz", "dz @ W.T"]),
    ("xavier_std", lambda fan_in, fan_out: math.sqrt(2 / fan_in), "that is He's formula",
     ["2 / (fan_in + fan_out)", "Var ="]),
    ("xavier_std", lambda fan_in, fan_out: 2 / (fan_in + fan_out), "the variance, not the standard deviation",
     ["square root", "sqrt(2 / (fan_in + fan_out))"]),
    ("he_normal", lambda shape, rng: rng.normal(0, math.sqrt(2 / shape[1]), shape), "you used the wrong fan",
     ["shape[0]", "sqrt(2 / fan_in)", "fan_in ="]),
    ("he_normal", lambda shape, rng: rng.normal(0, math.sqrt(1 / shape[0]), shape), "expected 0.0447",
     ["sqrt(2 / fan_in)"]),
    ("truncated_normal", clipped_normal, "that is clipping, not truncation", ["redraw"]),
    ("stable_softmax", lambda z: np.exp(z) / np.exp(z).sum(axis=1, keepdims=True), "nan or inf",
     ["each row's maximum", "max(axis=1", "z - z.max"]),
    ("clip_grad_norm", clip_not_in_place, "the gradients did not change", ["g *= factor", "*="]),
    ("clip_grad_norm", clip_each_separately, "each gradient on its own", ["max_norm / total_norm"]),
    ("prior_bias", lambda y, k: np.bincount(y, minlength=k) / len(y), "the class frequencies",
     ["take their log", "log(count"]),
    ("momentum_update", lambda w, v, g, lr, beta: (w - lr * (beta * v + (1 - beta) * g), beta * v + (1 - beta) * g),
     "EMA form", ["v = beta v + g", "beta * v + g"]),
    ("optimal_momentum", lambda k: (k**0.5 - 1) / (k**0.5 + 1), "the convergence rate", ["square", "^2"]),
    ("bias_correction", lambda m, v, t, b1, b2: (m, v), "m_hat equals m", ["1 - beta1**t", "divide"]),
    ("rmsprop_update", lambda w, s, g, lr, a, eps: (w - lr * g / np.sqrt(a * s + (1 - a) * g**2 + eps),
                                                    a * s + (1 - a) * g**2), "eps is inside", ["sqrt(s) + eps"]),
    ("l2_penalty", lambda W, s: (s * np.sum(W**2), s * W), "has no 1/2", ["(strength / 2) * sum", "sum W^2."]),
    ("soft_threshold", lambda w, t: w - t * np.sign(w), "crossed zero", ["max(|w| - threshold, 0)", "np.sign"]),
    ("prune_mask", lambda w, s: np.abs(w) > np.quantile(np.abs(w), s), "expected round(sparsity * n)",
     ["argsort", "drop the first"]),
    ("symmetric_quantize", max_w_quantize, "scale comes from max(w) = 1, but the weight -2 is further from 0",
     ["max|w| /", "np.abs(w)", "(qmax - qmin) / 2"]),
    ("symmetric_quantize", WRONG["symmetric_quantize"][0][0], "scale is max|w| / 127",
     ["(qmax - qmin) / 2", "max|w| / 127.5"]),
    ("accuracy_from_logits", lambda logits, y: logits.argmax(axis=1) == y, "return one number",
     ["argmax(axis=1)", "np.mean("]),
    ("confusion_matrix", confusion_counting_pairs_once, "counted once, however often it occurs",
     ["np.add.at(C", "(y_true, y_pred), 1)"]),
    ("tied_weight_grad", lambda x, h, dz, dx_hat: x.T @ dz, "only the encoder's gradient",
     ["dx_hat.T @ h", "x.T @ dz + "]),
    ("permutation_drop", drop_shuffling_x_in_place, "your function changed x", ["x.copy()", "x_shuffled"]),
]


@pytest.mark.parametrize("name, wrong, diagnosis, answers", TEACHING, ids=[f"{t[0]}-{t[2][:30]}" for t in TEACHING])
def test_a_fail_diagnoses_names_the_solution_and_keeps_the_answer_out(name, wrong, diagnosis, answers):
    message = grade(name, wrong).message
    assert message.startswith(f"FAIL {name}:") and diagnosis in message, message
    assert f"`%load ../{SOLUTION_FILES[name]}`" in message
    assert "Hint: " in message, message  # every one of these mistakes gets a pointer, not only a verdict
    for answer in answers:
        assert answer not in message, f"{answer!r} gives the answer away:\n{message}"


def test_matmul_shape_error_gets_the_course_message():
    message = grade("dense_forward", lambda x, W, b: W @ x + b).message
    lines = message.split("\n")
    assert lines[0] == ("FAIL dense_forward: the shapes do not fit: an operation in your function got arrays whose "
                        "shapes do not match; it was given x (1, 3), W (3, 2), b (2,)")
    assert lines[1].startswith("  Hint: ") and "shape table of chapter 00" in lines[1]
    assert "W of shape (fan_in, fan_out)" in lines[1]
    assert lines[2].startswith("  (numpy said: matmul:") and "gufunc" not in message and len(lines[2]) < 140
    assert lines[3].startswith("  Stuck?") and len(lines) == 4
    assert "your function raised" not in message and "Traceback" not in message


@pytest.mark.parametrize("name, wrong, given, numpy_words", [
    ("stable_softmax", lambda z: np.exp(z) / np.exp(z).sum(axis=1), "z (3, 4)", "could not be broadcast"),
    ("he_normal", lambda shape, rng: rng.normal(size=shape).reshape(shape[1], 3), "shape = (1000, 400)",
     "cannot reshape"),
    ("dense_backward", lambda x, W, dz: (np.dot(dz, W), x.T @ dz, dz.sum(axis=0)), "x (1, 3), W (3, 2), dz (1, 2)",
     "not aligned"),
    ("tied_weight_grad", lambda x, h, dz, dx_hat: x @ dz, "x (3, 4), h (3, 4), dz (3, 4), dx_hat (3, 4)", "matmul"),
    ("clip_grad_norm", lambda grads, max_norm: grads[0] @ np.ones(3), "grads [(2,), (2, 1)], max_norm = 1.0",
     "matmul"),
])
def test_numpy_shape_errors_become_one_course_message(name, wrong, given, numpy_words):
    message = grade(name, wrong).message
    assert message.startswith(f"FAIL {name}: the shapes do not fit") and f"it was given {given}" in message, message
    assert "shape table of chapter 00" in message and numpy_words in message.split("\n")[2]
    assert "gufunc" not in message and "Traceback" not in message


def test_other_value_errors_stay_as_they_were():
    message = grade("dense_forward", raiser(ValueError("bad shape"))).message
    assert "your function raised ValueError: bad shape" in message and "the shapes do not fit" not in message


# --------------------------------------------------------------------------------------------------
# chapter 10: conv_output_size and the main exercise conv2d (im2col); typical wrong answers
# --------------------------------------------------------------------------------------------------


def conv2d_variant(flip=False, patch_order="cuv", rounding="floor", bias=True, pad="both"):
    """The reference im2col conv2d with one typical mistake: ``flip`` the kernel (a true convolution),
    ``patch_order="uvc"`` (patches flattened channel-last, W flattened channel-first: channels mixed up),
    ``rounding="ceil"`` (an output size rounded up), ``bias=False`` (b ignored), ``pad="one side"``."""
    def conv2d(x, W, b, stride, padding):
        N, C_in, H, Wd = x.shape
        C_out, _, kH, kW = W.shape
        size = (lambda n, k: -(-(n + 2 * padding - k) // stride) + 1) if rounding == "ceil" else (
            lambda n, k: (n + 2 * padding - k) // stride + 1)
        H_out, W_out = size(H, kH), size(Wd, kW)
        widths = (padding, padding) if pad == "both" else (0, 2 * padding)
        xp = np.pad(x, ((0, 0), (0, 0), widths, widths))
        xp = np.pad(xp, ((0, 0), (0, 0), (0, kH + stride), (0, kW + stride)))  # room for a rounded-up size
        K = W[:, :, ::-1, ::-1] if flip else W
        cols = np.empty((C_in, kH, kW, N, H_out, W_out))
        for u in range(kH):
            for v in range(kW):
                cols[:, u, v] = xp[:, :, u:u + stride * H_out:stride, v:v + stride * W_out:stride].transpose(1, 0, 2, 3)
        if patch_order == "uvc":
            cols = cols.transpose(1, 2, 0, 3, 4, 5)
        y = K.reshape(C_out, -1) @ cols.reshape(C_in * kH * kW, -1)
        if bias and b is not None:
            y = y + b[:, None]
        return y.reshape(C_out, N, H_out, W_out).transpose(1, 0, 2, 3)

    return conv2d


def conv2d_padding_in_place(x, W, b, stride, padding):  # normalizes the caller's images first: x /= x.std()
    x /= x.std()
    return conv2d_variant()(x, W, b, stride, padding)


WRONG_CH10 = {
    "conv_output_size": [
        (lambda size, kernel, stride, padding: math.ceil((size + 2 * padding - kernel) / stride) + 1,
         "that rounds up"),  # ceil where the floor belongs
        (lambda size, kernel, stride, padding: (size + 2 * padding - kernel) // stride, "one too few"),  # no + 1
        (lambda size, kernel, stride, padding: (size + padding - kernel) // stride + 1,
         "padding counts on both sides (2p)"),  # p zeros on one side only
        (lambda size, kernel, stride, padding: (size + 2 * padding - kernel + 1) // stride,
         "expected 4 (size=10, kernel=4, stride=3, padding=2) (right on 5 of the 7 cases)"),  # no padding diagnosis
        (lambda size, kernel, stride, padding: (size + 2 * padding - kernel) / stride + 1,
         "a size must be an int"),  # true division: a float, even when it is whole
    ],
    "conv2d": [
        (conv2d_variant(flip=True), "a true convolution, with the kernel flipped"),  # signal processing's convolution
        (conv2d_variant(rounding="ceil"), "the output size is wrong"),  # windows that stick out counted
        (conv2d_variant(patch_order="uvc"), "the channels are mixed up"),  # patch (u, v, c), W rows (c, u, v)
        (conv2d_variant(bias=False), "the bias is missing"),
        (conv2d_variant(pad="one side"), "wrong values with stride 2 and padding 1"),  # 2p zeros at the end only
        (conv2d_padding_in_place, "your function changed its input"),  # x modified in place
        (lambda x, W, b, stride, padding: conv2d_variant()(x, W, b, stride, padding).transpose(1, 0, 2, 3),
         "the batch and channel axes are swapped"),  # (C_out, N, H_out, W_out)
    ],
}
for _name, _cases in WRONG_CH10.items():
    WRONG.setdefault(_name, []).extend(_cases)


# WRONG_CH10's cases join WRONG after test_typical_wrong_answers_fail_with_a_reason was parametrized: they run here
@pytest.mark.parametrize(
    "name, wrong, expected", [(name, f, message) for name, group in WRONG_CH10.items() for f, message in group],
)
def test_chapter_10_wrong_answers_fail_with_a_reason(name, wrong, expected):
    test_typical_wrong_answers_fail_with_a_reason(name, wrong, expected)


def conv2d_by_loops(x, W, b, stride, padding):
    """A right answer without im2col: the formula, one output position at a time (the grader accepts it)."""
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    C_out, _, kH, kW = W.shape
    H_out, W_out = (xp.shape[2] - kH) // stride + 1, (xp.shape[3] - kW) // stride + 1
    y = np.zeros((x.shape[0], C_out, H_out, W_out))
    for i in range(H_out):
        for j in range(W_out):
            patch = xp[:, :, i * stride:i * stride + kH, j * stride:j * stride + kW]
            y[:, :, i, j] = np.einsum("ncuv,ocuv->no", patch, W)
    return y if b is None else y + b[None, :, None, None]


def test_conv2d_accepts_other_right_forms():
    assert grade("conv2d", conv2d_by_loops).passed
    assert grade("conv2d", conv2d_variant()).passed
    from course_lib.conv import conv2d as reference  # a right answer computed in float32: rounding, not a mistake

    def in_float32(x, W, b, stride, padding):
        b = None if b is None else b.astype(np.float32)
        return reference(x.astype(np.float32), W.astype(np.float32), b, stride=stride, padding=padding)

    assert grade("conv2d", in_float32).passed
