"""The exercises of chapter 09 (``notebooks/09_weights_in_practice.ipynb``): ``tied_weight_grad``,
``permutation_drop`` and the main exercise ``freeze_then_fine_tune`` (a reused layer frozen, bit for bit, under
AdamW's decay and SGD's momentum, then every layer fine-tuned with a fresh optimizer, checked step by step)."""

import functools
import math

import numpy as np

from ._grading import _as_array, _call, _exercise, _printer, _Wrong

__all__ = ["check_tied_weight_grad", "check_permutation_drop", "check_freeze_then_fine_tune"]

_TIED = "chapter 09, section 2 'Weight sharing: one matrix, two uses'"
_IMPORTANCE = "chapter 09, section 3 'Is a large weight an important feature?'"
_FREEZE = "chapter 09, section 1 ('Freezing, done right' and the myth box after it)"


@_exercise("tied_weight_grad")
def _grade_tied_weight_grad(fn):
    rng = np.random.default_rng(9)
    for n, n_inputs, n_hidden in [(3, 4, 4), (4, 6, 3), (1, 5, 2)]:  # the first one square: W and W.T alike
        x, dx_hat = rng.normal(size=(n, n_inputs)), rng.normal(size=(n, n_inputs))
        h = np.maximum(rng.normal(size=(n, n_hidden)), 0.0)  # a ReLU's output: exact zeros where z < 0
        h[0, 0], h[-1, -1] = 0.0, 0.5  # at least one zero and one positive value in every case
        dz = rng.normal(size=(n, n_hidden))
        case = f" (x {x.shape}, h {h.shape}, dz {dz.shape}, dx_hat {dx_hat.shape})"
        hint = f"W is used twice, by the encoder (z = x @ W) and by the decoder (x_hat = h @ W.T): re-read {_TIED}."
        given = [x.copy(), h.copy(), dz.copy(), dx_hat.copy()]
        got = _as_array(_call(fn, *given, case=case, hint=hint), "the result")
        changed = [name for name, a, b in zip(("x", "h", "dz", "dx_hat"), (x, h, dz, dx_hat), given)
                   if not np.array_equal(a, b)]
        if changed:
            raise _Wrong(f"your function changed its input {' and '.join(changed)}{case}",
                         "the inputs are the caller's arrays (the backward pass needs them again): compute new "
                         "arrays (a = b * c), do not modify them in place (b *= c).")
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
        if n > 1 and np.allclose(got, want / n):
            raise _Wrong(f"you divided by the batch size {n}{case}",
                         "dz and dx_hat are already the gradients of the loss (a mean loss has its 1/n in them): "
                         "the weight's gradient sums the examples' contributions, as x.T @ dz does for any layer.")
        if np.allclose(got, x.T @ (dz * (h > 0)) + decoder):
            raise _Wrong(f"you multiplied dz by the ReLU's derivative (h > 0){case}",
                         "dz is already the gradient with respect to z, after the activation: the derivative f'(z) "
                         "is in it, and applying it again zeroes the examples where h = 0.")
        if n_hidden == n_inputs and np.allclose(got, encoder + decoder.T):
            raise _Wrong(f"the decoder's gradient is not transposed{case}",
                         f"the decoder uses W.T: check how a transpose in the forward pass shows up in the gradient "
                         f"with respect to W ({_TIED}).")
        if not np.allclose(got, want):
            raise _Wrong(f"wrong values{case}", f"re-read the gradient of a tied weight in {_TIED}.")
    return ("dW = x.T @ dz + dx_hat.T @ h: both uses of the tied weight add up, on 3 cases (one square, one of a "
            "single example); the inputs left unchanged.")


# One permutation's drop has a standard deviation of 0.0073 for feature 0 and 0.0049 for feature 1 (measured over 3000
# permutations); the grader's reference is the mean of 20. A tolerance of 0.04 is 5.4 standard deviations of feature
# 0's: a right function fails with a probability below 1e-7, whatever calls of rng give its permutation.
_DROP_TOLERANCE = 0.04


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
        if math.isclose(got, -want, abs_tol=_DROP_TOLERANCE):
            raise _Wrong(f"the drop has the wrong sign: {got:.3f} for feature {feature}",
                         "the drop is positive when the feature matters: check the order of your subtraction.")
        if math.isclose(got, 1.0 - want, abs_tol=_DROP_TOLERANCE):
            raise _Wrong(f"you returned the accuracy after shuffling feature {feature} ({got:.3f}), not its drop",
                         f"the importance is the fall in accuracy, not the accuracy itself ({_IMPORTANCE}).")
        if math.isclose(got, 1.0 - np.mean(predict(zeroed) == y), abs_tol=0.01) and not math.isclose(
                got, want, abs_tol=_DROP_TOLERANCE):
            raise _Wrong(f"feature {feature}: a drop of {got:.3f} is what replacing the feature by 0 (or its mean) "
                         "gives",
                         "a permutation keeps the feature's values and distribution and breaks only their link with "
                         f"the labels; a constant makes inputs the model never saw ({_IMPORTANCE}).")
        if not math.isclose(got, want, abs_tol=_DROP_TOLERANCE):
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


# --------------------------------------------------------------------------------------------------
# main exercise: freeze the reused layer, then fine-tune every layer; checked step by step
# --------------------------------------------------------------------------------------------------

_D_IN, _HIDDEN, _CLASSES = 12, 16, 4


@functools.lru_cache(maxsize=1)
def _transfer_task():
    """A small transfer task (fixed seed 9): 12 inputs, 16 shared features relu(x A), 4 classes read from them by
    B_source (the source task, 3000 examples) or B_target (the new task: 200 training examples, 2000 validation).
    The source network MLP([12, 16, 4]) (float64) is trained on the source task with ``fine_tune`` (Adam, 600
    steps). Returns the source network's parameters and the new task's data."""
    from ..nn import MLP
    from ..transfer import fine_tune

    rng = np.random.default_rng(9)
    A = rng.normal(size=(_D_IN, _HIDDEN)) / math.sqrt(_D_IN)
    B_source, B_target = rng.normal(size=(_HIDDEN, _CLASSES)), rng.normal(size=(_HIDDEN, _CLASSES))

    def task(n, B):
        x = rng.normal(size=(n, _D_IN))
        features = np.maximum(x @ A, 0.0) - 1 / math.sqrt(2 * math.pi)  # centred: every class occurs
        return x, (features @ B).argmax(axis=1)

    x_source, y_source = task(3000, B_source)
    x_new, y_new = task(200, B_target)
    x_val, y_val = task(2000, B_target)
    source = MLP([_D_IN, _HIDDEN, _CLASSES], rng=0, dtype="float64")
    fine_tune(source, x_source, y_source, steps=600, batch_size=50, lr=1e-2, rng=0)
    for a in (x_new, y_new, x_val, y_val, *source.params):
        a.flags.writeable = False  # cached: a grader must not change them
    return source, x_new, y_new, x_val, y_val


def _param_names(n_params):
    return [f"{'Wb'[i % 2]}{i // 2 + 1}" for i in range(n_params)]


def _recording_factory(model, optimizer_class, settings, log):
    """``make_optimizer(params)`` for the learner: a new ``optimizer_class(params, **settings)`` that records, at
    every ``step``, which optimizer it is, which of ``model.params`` it holds (by identity; None for a foreign
    array), how many steps it had made before, and copies of all model parameters before and after, and the
    gradients it was given."""
    index_of = {id(p): i for i, p in enumerate(model.params)}
    made = []

    class Recording(optimizer_class):
        def step(self, grads):
            grads = list(grads)
            entry = dict(optimizer=self.number, holds=self.holds, own_steps=self.steps_made,
                         before=[p.copy() for p in model.params],
                         grads=[np.array(g, dtype=float) for g in grads])
            super().step(grads)
            entry["after"] = [p.copy() for p in model.params]
            log.append(entry)
            self.steps_made += 1

    def make_optimizer(params):
        optimizer = Recording(params, **settings)
        optimizer.number, optimizer.steps_made = len(made), 0
        optimizer.holds = tuple(index_of.get(id(p)) for p in optimizer.params)
        made.append(optimizer)
        return optimizer

    return make_optimizer, made


def _names(indices, names):
    return ", ".join(names[i] for i in sorted(indices))


def _check_freeze_structure(log, n_params, frozen_steps, steps, case):
    """Which optimizer made each step, over which parameters: the frozen phase's over exactly the trainable ones,
    the fine-tuning's one new optimizer over all of them, from step frozen_steps on."""
    names = _param_names(n_params)
    trainable, everything = set(range(2, n_params)), set(range(n_params))
    first_full = next((t for t, e in enumerate(log) if set(e["holds"]) == everything), None)
    if first_full is not None and 0 < first_full < frozen_steps and all(
            set(e["holds"]) == trainable for e in log[:first_full]) and log[first_full]["own_steps"] == 0:
        raise _Wrong(f"every layer trains from step {first_full} on, expected from step {frozen_steps}: "
                     f"{frozen_steps - first_full} frozen step(s) too few{case}",
                     f"steps 0 to frozen_steps - 1 (the first frozen_steps batches) are frozen; the optimizer over "
                     f"all parameters starts at step frozen_steps ({_FREEZE}).")
    for t, entry in enumerate(log[:frozen_steps]):
        held = set(entry["holds"])
        extra, missing = held - trainable, trainable - held
        if not extra and not missing:
            continue
        left = log[frozen_steps]["before"] if len(log) > frozen_steps else log[-1]["after"]  # as the phase left them
        W1_moved = [i for i in (0, 1) if not np.array_equal(left[i], log[0]["before"][i])]
        if extra and missing and not (held & trainable):
            raise _Wrong(f"during the frozen phase the optimizer held {_names(held, names)} and not "
                         f"{_names(missing, names)}: you froze the wrong layer{case}",
                         f"the layer to freeze is layer 0, the reused one: W1 = model.params[0] and b1 = "
                         f"model.params[1]; every layer above it trains ({_FREEZE}).")
        if extra and W1_moved:
            raise _Wrong(f"{_names(W1_moved, names)} changed during the frozen phase (steps 0 to "
                         f"{frozen_steps - 1}): the optimizer of the frozen phase held {_names(extra, names)}{case}",
                         f"an optimizer changes every parameter it holds, whatever its gradient: AdamW decays it "
                         f"(w *= 1 - lr * weight_decay), SGD's weight decay and momentum move it, even with a zero "
                         f"gradient. Freeze by giving the optimizer only the trainable parameters ({_FREEZE}).")
        if extra:
            raise _Wrong(f"{_names(extra, names)} stayed unchanged, but the optimizer of the frozen phase held "
                         f"{'it' if len(extra) == 1 else 'them'}{case}",
                         f"give make_optimizer only the trainable parameters: an optimizer that holds a frozen one "
                         f"keeps state for it (AdamW counts its steps; momentum buffers), stale when the layer is "
                         f"unfrozen, and moves it unless its changes are undone ({_FREEZE}).")
        raise _Wrong(f"at step {t}, a step of the frozen phase, {_names(missing, names)} did not train: only layer 0 "
                     f"(W1, b1) is frozen{case}",
                     "freeze only the reused layer, layer 0: every layer above it, not only the last, trains during "
                     f"the frozen phase ({_FREEZE}).")
    if first_full is None:
        held_later = set().union(*(set(e["holds"]) for e in log[frozen_steps:])) if len(log) > frozen_steps else set()
        if 0 not in held_later:
            raise _Wrong(f"W1 never trained: no optimizer step after step {frozen_steps - 1} held it{case}",
                         f"after the frozen_steps frozen steps, unfreeze: make a new optimizer over all the "
                         f"parameters, make_optimizer(model.params), and train every layer ({_FREEZE}).")
        raise _Wrong(f"no optimizer held all of model.params during fine-tuning (the steps held "
                     f"{_names(held_later, names)}){case}",
                     "fine-tuning trains every layer with one new optimizer: make_optimizer(model.params).")
    if first_full > frozen_steps:
        raise _Wrong(f"every layer trains from step {first_full} on, expected from step {frozen_steps}: "
                     f"{first_full - frozen_steps} frozen step(s) too many{case}",
                     f"steps count from 0: steps 0 to frozen_steps - 1 are frozen, and step frozen_steps (the "
                     f"batch batches[frozen_steps]) is the first one that trains every layer ({_FREEZE}).")
    tuning = log[frozen_steps:]
    if tuning[0]["own_steps"]:
        raise _Wrong(f"the fine-tuning optimizer had already made {tuning[0]['own_steps']} steps before step "
                     f"{frozen_steps}: it brings stale state into the fine-tuning{case}",
                     "make a new optimizer when you unfreeze: make_optimizer(model.params).")
    used = sorted({e["optimizer"] for e in tuning})
    if len(used) > 1:
        raise _Wrong(f"{len(used)} different optimizers made the {len(tuning)} fine-tuning steps: a new one every "
                     f"step{case}" if len(used) == len(tuning) else
                     f"{len(used)} different optimizers made the {len(tuning)} fine-tuning steps{case}",
                     "make the fine-tuning optimizer once, at the unfreezing, and keep it: a new optimizer starts "
                     "from an empty state (AdamW's m, v and t, SGD's momentum buffers) and forgets every step before.")
    for t, entry in enumerate(tuning, start=frozen_steps):
        if set(entry["holds"]) != everything or len(entry["holds"]) != n_params:
            raise _Wrong(f"at step {t} the optimizer held {_names(set(entry['holds']), names)}, expected all "
                         f"{n_params} parameters once{case}", "fine-tune with make_optimizer(model.params).")


def _reference_step(sizes, params, xb, yb):
    """The batch's mean softmax cross-entropy and its gradients, at ``params``."""
    from ..nn import MLP, softmax_cross_entropy

    twin = MLP(sizes, init="zeros", dtype="float64")
    twin.params = [p.copy() for p in params]
    loss, dlogits = softmax_cross_entropy(twin.forward(xb), yb)
    return loss, [g.copy() for g in twin.backward(dlogits)]


def _run_freeze(fn, optimizer_class, settings, sizes, frozen_steps, steps, seed, case):
    """Run the learner's function on a network whose layer 0 is the source's; check every step. Returns the model."""
    from ..transfer import reuse_layers

    source, x, y, _, _ = _transfer_task()
    model = reuse_layers(source, sizes, n_layers=1, rng=seed)
    arrays, start = list(model.params), [p.copy() for p in model.params]
    rng = np.random.default_rng(seed)
    batches = [rng.choice(len(x), size=20, replace=False) for _ in range(steps)]
    log = []
    make_optimizer, made = _recording_factory(model, optimizer_class, settings, log)
    x_given, y_given, batches_given = x.copy(), y.copy(), [b.copy() for b in batches]
    losses = _call(fn, model, make_optimizer, x_given, y_given, batches_given, frozen_steps, case=case,
                   hint="one step per batch: model.forward(x[batch]), softmax_cross_entropy, model.backward, then "
                        "optimizer.step with the gradients of the parameters that optimizer holds, in its order.")
    names = _param_names(len(arrays))
    if not (np.array_equal(x_given, x) and np.array_equal(y_given, y)
            and all(np.array_equal(a, b) for a, b in zip(batches_given, batches))):
        raise _Wrong(f"your function changed x, y or batches{case}", "read the data; do not modify it.")
    foreign = [e for e in made if None in e.holds]
    replaced = [i for i, (p, q) in enumerate(zip(model.params, arrays)) if p is not q]
    if foreign or replaced or len(model.params) != len(arrays):
        raise _Wrong("the optimizers did not train the model you were given: "
                     + (f"model.params[{replaced[0]}] ({names[replaced[0]]}) was replaced by a new array"
                        if replaced else "make_optimizer was given arrays that are not in model.params") + case,
                     "train `model` itself: make_optimizer(model.params[...]) with its own arrays, not copies and "
                     "not the parameters of a new network (reuse_layers or MLP make a new one, with a new head).")
    if len(log) != steps:
        several = len({e["optimizer"] for e in log[frozen_steps:]}) > 1 and len(log) > steps
        raise _Wrong(f"optimizer.step was called {len(log)} times for {steps} batches"
                     + (" (several optimizers stepped on the same batch)" if several else "") + case,
                     "one step per batch, in order: step t trains on x[batches[t]], y[batches[t]]; for the "
                     "fine-tuning, one new optimizer over all the parameters, make_optimizer(model.params).")
    differ = [i for i in range(len(arrays)) if not np.array_equal(log[0]["before"][i], start[i])]
    if differ:
        raise _Wrong(f"before the first step, {_names(differ, names)} {'was' if len(differ) == 1 else 'were'} no "
                     f"longer the model's: "
                     f"{'the head was re-initialized' if min(differ) >= 2 else 'the parameters were changed'}{case}",
                     "the model you are given already holds the reused layer 0 and its new head: train it from "
                     "where it is, without re-initializing anything.")
    _check_freeze_structure(log, len(arrays), frozen_steps, steps, case)
    if not isinstance(losses, (list, tuple, np.ndarray)) or len(losses) != steps:
        raise _Wrong(f"return the list of the {steps} batch losses, one per step, got {type(losses).__name__}{case}")
    losses = _as_array(losses, "the losses").ravel()
    for t, entry in enumerate(log):
        moved = [i for i, (a, b) in enumerate(zip(log[t - 1]["after"], entry["before"]))
                 if t and not np.array_equal(a, b)]
        if moved:
            raise _Wrong(f"between steps {t - 1} and {t}, {_names(moved, names)} changed other than by "
                         f"optimizer.step{case}", "only the optimizer changes the parameters.")
        batch = batches[t]
        loss, grads = _reference_step(sizes, entry["before"], x[batch], y[batch])
        want = [grads[i] for i in entry["holds"]]
        got = entry["grads"]
        if len(got) != len(want) or any(g.shape != w.shape for g, w in zip(got, want)):
            raise _Wrong(f"at step {t} optimizer.step got gradients that do not match its parameters{case}")
        if not all(np.allclose(g, w, rtol=1e-7, atol=1e-12) for g, w in zip(got, want)):
            summed = all(np.allclose(g, len(batch) * w, rtol=1e-7, atol=1e-12) for g, w in zip(got, want))
            raise _Wrong(f"at step {t} the gradients given to optimizer.step are "
                         + ("those of the summed loss, 20 times the mean's" if summed
                            else "not those of the batch's mean loss") + case,
                         "step t: logits = model.forward(x[batches[t]]); loss, dlogits = "
                         "softmax_cross_entropy(logits, y[batches[t]]); grads = model.backward(dlogits); pass the "
                         "gradients of the parameters the optimizer holds, in the order it holds them.")
        if not math.isclose(losses[t], loss, rel_tol=1e-7, abs_tol=1e-12):
            raise _Wrong(f"losses[{t}] is {losses[t]:.6g}, expected {loss:.6g}, the batch's mean loss before step "
                         f"{t}{case}", "return the loss softmax_cross_entropy gives for each batch, before its step.")
    return model, log


@_exercise("freeze_then_fine_tune")
def _grade_freeze_then_fine_tune(fn):
    from ..nn import MLP
    from ..optim import SGD, AdamW

    _, _, _, x_val, y_val = _transfer_task()
    runs = [  # (optimizer, its settings, sizes, frozen_steps, steps)
        (AdamW, dict(lr=0.02, weight_decay=0.1), [_D_IN, _HIDDEN, _CLASSES], 30, 80),
        (SGD, dict(lr=0.05, momentum=0.9, weight_decay=1e-3), [_D_IN, _HIDDEN, 16, _CLASSES], 25, 60),
    ]
    accuracies = []
    for optimizer_class, settings, sizes, frozen_steps, steps in runs:
        described = ", ".join(f"{k}={v:g}" for k, v in settings.items())
        case = (f" ({optimizer_class.__name__}({described}), an MLP{sizes}, frozen_steps={frozen_steps}, "
                f"{steps} batches)")
        model, log = _run_freeze(fn, optimizer_class, settings, sizes, frozen_steps, steps, seed=len(sizes), case=case)
        at_unfreezing = MLP(sizes, init="zeros", dtype="float64")
        at_unfreezing.params = [p.copy() for p in log[frozen_steps]["before"]]
        accuracies.append([float(np.mean(net.forward(x_val).argmax(axis=1) == y_val))
                           for net in (at_unfreezing, model)])
    (adamw_frozen, adamw_tuned), (sgd_frozen, sgd_tuned) = accuracies
    return (f"W1 and b1 bit for bit unchanged through the frozen steps, under AdamW's decay and under SGD's momentum "
            f"and decay (a 3-layer network too), then one new optimizer over every layer; every step's gradient "
            f"checked. Validation accuracy on the new task: {adamw_frozen:.1%} after the frozen phase, "
            f"{adamw_tuned:.1%} after fine-tuning (AdamW); {sgd_frozen:.1%} and {sgd_tuned:.1%} (SGD).")


check_freeze_then_fine_tune = _printer("freeze_then_fine_tune")
