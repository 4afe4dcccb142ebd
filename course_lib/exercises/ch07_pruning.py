"""The exercises of chapter 07 (``notebooks/07_pruning.ipynb``): ``prune_mask``, ``symmetric_quantize`` and the
main exercise, ``gradual_prune_loop`` (Zhu & Gupta's gradual magnitude pruning, run on the chapter's network)."""

import functools
import math

import numpy as np

from ._grading import _as_array, _call, _exercise, _printer, _Wrong

__all__ = ["check_prune_mask", "check_symmetric_quantize", "check_gradual_prune_loop"]

_PRUNING = "chapter 07, section 2 'Magnitude pruning, to an exact sparsity'"
_QUANTIZATION = "chapter 07, section 7 'Quantization: fewer bits per weight'"


def _position(index, shape):
    """'w[1, 0] (position 3 of w.ravel())'."""
    return f"w[{', '.join(str(int(i)) for i in np.unravel_index(index, shape))}] (position {index} of w.ravel())"


@_exercise("prune_mask")
def _grade_prune_mask(fn):
    rng = np.random.default_rng(7)
    cases = [(rng.normal(size=(3, 3)), 0.3), (rng.normal(size=(4, 5)), 0.5), (rng.normal(size=(2, 7)), 0.0),
             (rng.normal(size=(5,)), 1.0), (np.array([[0.5, -0.5, 0.1], [0.5, 2.0, -0.1]]), 0.5),
             (np.array([0.3, -0.2, 0.2, -0.3, 0.2]), 0.4),  # ties of both signs: positions 1 and 2 go, 4 stays
             (np.round(np.random.default_rng(1).normal(size=(6, 8)), 1), 0.5)]  # 1 of 5 weights of |w| = 0.5 goes
    for w, sparsity in cases:
        case = f" (w of shape {w.shape}, sparsity {sparsity})"
        given = w.copy()
        mask = np.asarray(_call(fn, given, sparsity, case=case))
        if not np.array_equal(given, w):
            raise _Wrong(f"your function changed w{case}",
                         "the prompt asks for a mask and leaves w as it is: pruning w itself (w *= mask, w[...] = 0) "
                         "changes the caller's weights. Work on np.abs(w) or a copy.")
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
                         f"a threshold from np.quantile or int(sparsity * n) misses the count on ties or on rounding: "
                         f"re-read how {_PRUNING} reaches the exact count.")
        kept, dropped = np.abs(w[mask]), np.abs(w[~mask])
        if kept.size and dropped.size and dropped.max() > kept.min():
            signed = np.argsort(w.ravel(), kind="stable")[:count]
            if set(signed) == set(np.flatnonzero(~mask.ravel())):
                raise _Wrong(f"the most negative weights were pruned{case}",
                             f"magnitude pruning ranks the weights by size, whatever their sign ({_PRUNING}).")
            raise _Wrong(f"a pruned weight (|w| = {dropped.max():.3f}) is larger than a kept one "
                         f"(|w| = {kept.min():.3f}){case}",
                         f"magnitude pruning removes the weights closest to 0 ({_PRUNING}).")
        want = np.ones(w.size, dtype=bool)
        want[np.argsort(np.abs(w).ravel(), kind="stable")[:count]] = False
        if not np.array_equal(mask.ravel(), want):
            pruned_late = np.flatnonzero(~mask.ravel() & want)[0]
            kept_early = np.flatnonzero(mask.ravel() & ~want)[0]
            raise _Wrong(f"ties broken in another order: of the weights with |w| = {abs(w.ravel()[kept_early]):g}, "
                         f"you pruned {_position(pruned_late, w.shape)} and kept {_position(kept_early, w.shape)}"
                         f"{case}",
                         "the prompt prunes the first of equal |w| in w.ravel() order first. A stable sort keeps equal "
                         "values in the order they come; np.argsort's default sort does not promise that.")
    return ("exactly round(sparsity * n) of the smallest |w| pruned, ties in w.ravel() order, for sparsity 0 to 1; "
            "w left unchanged.")


@_exercise("symmetric_quantize")
def _grade_symmetric_quantize(fn):
    from ..quantization import quantize

    cases = [(np.array([-1.0, -0.5, 0.0, 0.24, 0.26, 1.27]), 8),
             (np.array([-7.5, -2.5, 0.0, 0.5, 1.5, 7.5]), 4),  # scale 1 exactly: halves and the clamp at 7
             (np.array([-2.0, -0.3, 0.0, 0.7, 1.0]), 8),  # the largest |w| is negative: max(w) is not max|w|
             (np.array([[0.1, -3.2, 0.02], [0.4, 1.6, -0.05], [-0.3, 0.8, 0.01]]), 4)]  # one scale per tensor
    not_integer = None  # the first q of a non-integer dtype: reported once every value is right
    for w, bits in cases:
        case = f" (w={w.tolist()}, bits={bits})"
        given = w.copy()
        out = _call(fn, given, bits, case=case)
        if not np.array_equal(given, w):
            raise _Wrong(f"your function changed w{case}",
                         "the prompt leaves w as it is: w /= scale (or np.round(..., out=w)) divides the caller's "
                         "weights. Compute w / scale into a new array.")
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise _Wrong(f"return the pair (q, scale), got {type(out).__name__}")
        raw_q, scale = np.asarray(out[0]), out[1]
        q = _as_array(out[0], "q")
        try:
            scale = float(scale)
        except (TypeError, ValueError):
            raise _Wrong(f"scale should be a number, got {type(scale).__name__}{case}",
                         "return the pair (q, scale), scale one float for the whole tensor (per tensor: one "
                         "range for all the weights, not one per row or column).") from None
        want_q, want_scale, _ = quantize(w, bits, "symmetric")
        qmax = 2 ** (bits - 1) - 1
        if math.isclose(scale, np.abs(w).max() / qmax):
            raise _Wrong(f"scale is max|w| / {qmax}{case}",
                         f"PyTorch's symmetric range for {bits} bits is [{-qmax - 1}, {qmax}], one value more below 0: "
                         f"re-read how {_QUANTIZATION} computes the scale from qmin and qmax.")
        if w.max() < np.abs(w).max() and any(math.isclose(scale, w.max() / d) for d in (qmax, (2 * qmax + 1) / 2)):
            raise _Wrong(f"scale comes from max(w) = {w.max():g}, but the weight {w.min():g} is further from 0{case}",
                         f"the range must cover the weights of both signs, by their magnitude ({_QUANTIZATION}).")
        if not math.isclose(scale, want_scale):
            raise _Wrong(f"scale is {scale:.6g}, expected {want_scale:.6g}{case}",
                         f"re-read the scale of symmetric quantization in {_QUANTIZATION}.")
        if q.shape != w.shape:
            raise _Wrong(f"q has shape {q.shape}, expected {w.shape}{case}", "one integer per weight.")
        if np.array_equal(q, np.clip(np.floor(w / scale + 0.5), -qmax - 1, qmax)) and not np.array_equal(q, want_q):
            raise _Wrong(f"q is {q.astype(int).tolist()}, expected {want_q.tolist()}{case}",
                         "PyTorch rounds halves to even (2.5 to 2, 3.5 to 4); floor(x + 0.5) rounds every half up. "
                         "Which numpy rounding rounds halves to even?")
        if np.any(q > qmax) or np.any(q < -qmax - 1):
            raise _Wrong(f"q is {q.astype(int).tolist()}: outside [{-qmax - 1}, {qmax}]{case}",
                         f"{bits}-bit integers cannot hold it: values beyond the range saturate at its ends "
                         f"({_QUANTIZATION}).")
        if not np.array_equal(q, want_q):
            raise _Wrong(f"q is {q.astype(int).tolist()}, expected {want_q.tolist()}{case}",
                         f"re-read how {_QUANTIZATION} maps a weight to its integer.")
        if not_integer is None and not np.issubdtype(raw_q.dtype, np.integer):
            not_integer = f"q has dtype {raw_q.dtype}: the right values, but not stored as integers{case}"
    if not_integer:
        raise _Wrong(not_integer, "the point of quantization is storing integers (8 bits a weight instead of 32): the "
                                  "prompt asks for an integer array. np.round returns floats.")
    return ("scale = max|w| / ((qmax - qmin) / 2), integer q = clip(round(w / scale)) with PyTorch's rounding, "
            "8 and 4 bits, one scale per tensor; w left unchanged.")


check_prune_mask = _printer("prune_mask")
check_symmetric_quantize = _printer("symmetric_quantize")


# --------------------------------------------------------------------------------------------------
# The main exercise: a gradual magnitude-pruning loop (Zhu & Gupta 2017), run on the chapter's network
# --------------------------------------------------------------------------------------------------

_GRADUAL = "chapter 07, section 3 'Gradual pruning during training'"
_MASK_FIXED = "chapter 07, section 2 'Fine-tuning with the mask fixed'"
# (steps, t0, n_prunes, dt, final_sparsity, least validation accuracy): a short run with n < 10 first (a schedule
# that divides by n // 10 fails there), then 200 steps of the chapter's network, pruned to 90% by step 110.
_GRADUAL_RUNS = ((40, 3, 4, 5, 0.8, None), (200, 10, 10, 10, 0.9, 0.95))


def _is_pruning_step(t, t0, n_prunes, dt):
    return t0 <= t <= t0 + n_prunes * dt and (t - t0) % dt == 0


def _scheduled_zeros(t, final_sparsity, t0, n_prunes, dt, total):
    """Zeros the weights hold at step t: those of the last pruning step <= t (none before t0)."""
    from ..pruning import gradual_sparsity

    if t < t0:
        return 0
    last = t0 + min((t - t0) // dt, n_prunes) * dt
    return int(round(gradual_sparsity(last, final_sparsity, 0.0, t0, n_prunes, dt) * total))


def _step_recorder(model, lr):
    """An Adam on ``model.params`` that records, at every ``step``: which weights are 0, which were 0 at the last
    ``model.forward`` before it (the forward pass of that step; None if there was none), how many of them got a
    nonzero gradient, whether the weights are still the arrays it updates, and the weights just after the update
    (before the learner's code can touch them again). ``model.forward`` is wrapped (on the instance) to record."""
    from ..optim import Adam

    class StepRecorder(Adam):
        def __init__(self):
            super().__init__(model.params, lr=lr)
            self.zeros, self.leaks, self.after, self.unchanged, self.replaced = [], [], [], [], None
            self.forward_zeros, self._last_forward = [], None
            forward = model.forward

            def recording_forward(*args, **kwargs):
                self._last_forward = [np.asarray(W) == 0 for W in model.weights]
                return forward(*args, **kwargs)

            model.forward = recording_forward

        def step(self, grads):
            t, weights = len(self.zeros), model.weights
            self.forward_zeros.append(self._last_forward)
            self._last_forward = None
            if self.replaced is None and any(W is not p for W, p in zip(weights, self.params[0::2])):
                self.replaced = t
            zeros = [np.asarray(W) == 0 for W in weights]
            grads = list(grads)
            self.leaks.append(sum(int(np.count_nonzero(np.asarray(grads[2 * i])[z]))
                                  for i, z in enumerate(zeros) if 2 * i < len(grads)
                                  and np.shape(grads[2 * i]) == z.shape))
            if self.after:  # the kept weights are those the last update left (pruning only zeroes weights)
                self.unchanged.append(all(np.array_equal(np.asarray(W)[~z], A[~z])
                                          for W, A, z in zip(weights, self.after[-1], zeros)))
            self.zeros.append(zeros)
            super().step(grads)
            self.after.append([p.copy() for p in self.params[0::2]])

    return StepRecorder()


def _gradual_setting(steps, seed=2017):
    """The chapter's setting: 600 training and 1500 validation points of 3-class spirals, a 2-64-64-3 float64
    MLP, and ``steps`` mini-batches of 64 indices (fixed seed: the same run for every learner)."""
    from ..data import spirals
    from ..nn import MLP

    rng = np.random.default_rng(seed)
    x, y = spirals(600, classes=3, rng=rng)
    x_val, y_val = spirals(1500, classes=3, rng=rng)
    model = MLP([2, 64, 64, 3], rng=rng, dtype="float64")
    batches = [rng.choice(600, size=64, replace=False) for _ in range(steps)]
    return x, y, x_val, y_val, model, batches


def _schedule_diagnosis(t, zeros, expected, final_sparsity, t0, n_prunes, dt, total):
    """What a wrong number of zeros at step t most likely is, as a hint."""
    at = functools.partial(_scheduled_zeros, final_sparsity=final_sparsity, t0=t0, n_prunes=n_prunes, dt=dt,
                           total=total)
    last = t0 + n_prunes * dt
    if zeros == at(last) and t < last:
        return (f"that is already the final sparsity: pruning all at once (at step {t}) is one-shot pruning. The "
                f"schedule raises the sparsity in n + 1 pruning steps, fast at first, slowly at the end "
                f"({_GRADUAL}).")
    if t == last and zeros == at(t - 1):
        return (f"the last pruning step, t0 + n dt = {last}, is missing: k runs from 0 to n, both ends included "
                f"(a range that stops one step short?).")
    if zeros == at(t + 1) or zeros == at(t - 1):
        early = "early" if zeros == at(t + 1) else "late"
        return (f"your schedule runs one step {early}: the first batch, batches[0], is step t = 0, and pruning "
                f"happens at t = t0 + k dt, before that step's forward pass.")
    return (f"the target is s_t = s_f (1 - (1 - (t - t0) / (n dt))^3) at t = t0, t0 + dt, ..., t0 + n dt, "
            f"unchanged in between, with round(s_t * {total}) zeros; a schedule that adds s_f / n every "
            f"n // 10 steps is the myth of {_GRADUAL}.")


def _check_gradual_run(record, steps, final_sparsity, t0, n_prunes, dt, start, case):
    """Step by step: the arrays, regrowth, the number of zeros, which weights, the gradients."""
    from ..pruning import global_magnitude_prune

    total = sum(W.size for W in start)
    if record.replaced is not None:
        raise _Wrong(f"at step {record.replaced}, model.weights are no longer the arrays the optimizer updates{case}",
                     "change the weights in place (W *= mask, or W[...] = ...): `model.params[i] = W * mask` puts a "
                     "new array in the model, and optimizer.step goes on updating the old one.")
    if len(record.zeros) != steps:
        raise _Wrong(f"optimizer.step was called {len(record.zeros)} times for {steps} batches{case}",
                     "one step per batch: step t trains on the rows batches[t], for t = 0 to len(batches) - 1.")
    for t in range(steps):
        zeros = record.zeros[t]
        count = sum(int(z.sum()) for z in zeros)
        if t > 0:
            regrew = sum(int(np.count_nonzero(before & ~now)) for before, now in zip(record.zeros[t - 1], zeros))
            if regrew:
                raise _Wrong(f"{regrew} weights that were 0 at step {t - 1} are not 0 any more at step {t}: pruned "
                             f"weights regrew{case}",
                             f"Adam's running mean m of a pruned weight is not 0 (it was built up before the pruning), "
                             f"so optimizer.step moves the weight even when its gradient is 0. Mask the gradients "
                             f"before the step and set the pruned weights to 0 again after it ({_MASK_FIXED}).")
            if not record.unchanged[t - 1]:
                raise _Wrong(f"between steps {t - 1} and {t} kept weights changed other than by optimizer.step{case}",
                             "one optimizer.step per batch; between steps, only pruning (setting weights to 0).")
        expected = _scheduled_zeros(t, final_sparsity, t0, n_prunes, dt, total)
        if count != expected:
            raise _Wrong(f"at step {t} the weights held {count} zeros (sparsity {count / total:.4f}); the schedule "
                         f"asks for {expected}{case}",
                         _schedule_diagnosis(t, count, expected, final_sparsity, t0, n_prunes, dt, total))
        seen = record.forward_zeros[t]
        if seen is not None and any(not np.array_equal(f, z) for f, z in zip(seen, zeros)):
            seen_count = sum(int(f.sum()) for f in seen)
            raise _Wrong(f"at step {t} the forward pass ran with {seen_count} zeros, but optimizer.step with {count}: "
                         f"the weights were pruned after the forward pass{case}",
                         "at a pruning step, prune before that step's forward pass: the loss and the gradients of "
                         "step t must come from the pruned network (a weight still in the forward pass shapes the "
                         "gradients of all the others).")
        if _is_pruning_step(t, t0, n_prunes, dt) and count:
            before = start if t == 0 else [np.where(z, 0.0, A) for z, A in zip(record.zeros[t - 1],
                                                                                  record.after[t - 1])]
            _, kept = global_magnitude_prune(before, expected / total)
            if any(not np.array_equal(z, ~k) for z, k in zip(zeros, kept)):
                per_layer = [int(z.sum()) for z in zeros]
                raise _Wrong(f"at pruning step {t} other weights were pruned than the {expected} of smallest |w| "
                             f"in the whole network (zeros per layer: {per_layer}){case}",
                             "rank the weights of all layers together (global pruning, as global_magnitude_prune "
                             f"does), by their magnitude |w| ({_GRADUAL}).")
        if record.leaks[t]:
            later = ""
            if t + 1 < steps:
                back = sum(int(np.count_nonzero(z & ~n)) for z, n in zip(zeros, record.zeros[t + 1]))
                later = f"; at step {t + 1}, {back} of them were not 0 any more" if back else ""
            raise _Wrong(f"at step {t}, {record.leaks[t]} pruned weights got a nonzero gradient{later}{case}",
                         f"the prompt asks for both masks: set the gradients of pruned weights to 0 before "
                         f"optimizer.step, and the pruned weights to 0 after it ({_MASK_FIXED}).")
    return total


@_exercise("gradual_prune_loop")
def _grade_gradual_prune_loop(fn):
    for steps, t0, n_prunes, dt, final_sparsity, least_accuracy in _GRADUAL_RUNS:
        x, y, x_val, y_val, model, batches = _gradual_setting(steps)
        start = [W.copy() for W in model.weights]
        optimizer = _step_recorder(model, lr=0.01)
        case = f" (t0={t0}, n_prunes={n_prunes}, dt={dt}, final_sparsity={final_sparsity}, {steps} batches)"
        try:
            masks = _call(fn, model, optimizer, x.copy(), y.copy(), [b.copy() for b in batches], final_sparsity,
                          t0, n_prunes, dt, case=case)
        except _Wrong as wrong:
            if "ZeroDivisionError" in wrong.what:
                wrong.hint = (f"with n_prunes = {n_prunes}, n_prunes // 10 is 0: the myth of {_GRADUAL}. Zhu & "
                              f"Gupta's s_t divides by n dt, never 0.")
            raise
        model.__dict__.pop("forward", None)  # the recording wrapper: the class's forward again
        total = _check_gradual_run(optimizer, steps, final_sparsity, t0, n_prunes, dt, start, case)
        final_zeros = [np.asarray(W) == 0 for W in model.weights]
        want = int(round(final_sparsity * total))
        if sum(int(z.sum()) for z in final_zeros) != want or any(
                not np.array_equal(f, z) for f, z in zip(final_zeros, optimizer.zeros[-1])):
            raise _Wrong(f"after the last step the model has {sum(int(z.sum()) for z in final_zeros)} zeros, "
                         f"expected exactly round(final_sparsity * {total}) = {want}{case}",
                         f"set the pruned weights to 0 again after every optimizer.step, the last one too "
                         f"({_MASK_FIXED}).")
        if not isinstance(masks, (list, tuple)) or len(masks) != len(final_zeros):
            raise _Wrong(f"return the list of {len(final_zeros)} masks, one per weight matrix, got "
                         f"{type(masks).__name__}{case}")
        for i, (m, z) in enumerate(zip(masks, final_zeros)):
            m = np.asarray(m)
            if m.shape != z.shape or m.dtype != bool:
                raise _Wrong(f"masks[{i}] has shape {m.shape} and dtype {m.dtype}, expected {z.shape} and bool{case}",
                             "one True/False per weight: True where the weight is kept.")
            if not np.array_equal(m, ~z):
                raise _Wrong(f"masks[{i}] is not the final mask{case}",
                             "return the masks in force at the end: True where the weight is kept (not 0).")
        if least_accuracy is not None:
            accuracy = float(np.mean(model.forward(x_val).argmax(axis=1) == y_val))
            if accuracy < least_accuracy:
                raise _Wrong(f"validation accuracy {accuracy:.1%} after {steps} steps, expected at least "
                             f"{least_accuracy:.0%}{case}",
                             "the pruning is right; is every step training on its batch, x[batches[t]], "
                             "y[batches[t]], with the gradient of softmax_cross_entropy?")
    return (f"exact zeros on Zhu & Gupta's schedule at every step (n = 4 and n = 10), the smallest |w| of the whole "
            f"network pruned, pruned weights 0 with 0 gradients throughout; 90% sparse at {accuracy:.1%} validation "
            f"accuracy after 200 steps of the 2-64-64-3 network.")


check_gradual_prune_loop = _printer("gradual_prune_loop")
