"""Chapter 06's evidence: the experiments behind its claims (course_lib.experiments.ch06_regularization): the
full-batch step they share, early stopping against L2 (chosen on validation, tested once), and the training-set
size sweep; and the notation of the chapter (lambda counted once)."""

import json
import pathlib
import re

import numpy as np
import pytest

from course_lib import data
from course_lib.experiments import ch06_regularization as ch06
from course_lib.experiments.ch06_regularization import (
    early_stopping_choices,
    held_out_test_accuracy,
    regularization_experiment,
    training_size_sweep,
    training_trajectory,
)
from course_lib.gradcheck import check_gradients
from course_lib.nn import MLP
from course_lib.optim import SGD
from course_lib.regularization import L1, L2
from course_lib.train import train_step

NOTEBOOK = pathlib.Path(__file__).resolve().parents[1] / "notebooks" / "06_regularization.ipynb"

# --------------------------------------------------------------------------------------------------
# The full-batch step every chapter-06 experiment trains with
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("penalty", [None, L2(1e-2), L1(3e-3, proximal=True)], ids=repr)
def test_full_batch_step_is_train_step_with_sgd_bit_for_bit(penalty):
    x, y = data.moons(40, noise=0.3, rng=0)
    lean, reference = MLP([2, 16, 16, 2], rng=1, dtype="float64"), MLP([2, 16, 16, 2], rng=1, dtype="float64")
    optimizer = SGD(reference.params, lr=0.5)
    for _ in range(20):
        ch06._full_batch_step(lean, x, y, 0.5, penalty)
        train_step(reference, optimizer, x, y, penalty=penalty)
    for a, b in zip(lean.params, reference.params):
        np.testing.assert_array_equal(a, b)


def test_full_batch_step_in_blocks_is_the_full_batch_gradient():
    x, y = data.moons(150, noise=0.3, rng=0)  # 3 blocks of at most 64 rows
    blocks, whole = MLP([2, 16, 2], rng=2, dtype="float64"), MLP([2, 16, 2], rng=2, dtype="float64")
    optimizer = SGD(whole.params, lr=0.5)
    for _ in range(10):
        ch06._full_batch_step(blocks, x, y, 0.5, L2(1e-2))
        train_step(whole, optimizer, x, y, penalty=L2(1e-2))
    for a, b, start in zip(blocks.params, whole.params, MLP([2, 16, 2], rng=2, dtype="float64").params):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-13)
        assert np.abs(a - start).max() > 1e-4  # it trained


def test_penalty_toward_the_start_value_gradient_and_zero_start():
    rng = np.random.default_rng(0)
    params = [rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(4, 2)), rng.normal(size=2)]
    start = [rng.normal(size=(3, 4)), rng.normal(size=(4, 2))]
    penalty = ch06._L2TowardStart(0.3, start)
    value, grads = penalty(params)
    assert value == pytest.approx(0.15 * sum(np.sum((W - W0) ** 2) for W, W0 in zip(params[0::2], start)))
    assert not grads[1].any() and not grads[3].any()  # biases: no penalty
    assert all(r.passed for r in check_gradients(lambda: penalty(params)[0], params, grads))
    at_zero = ch06._L2TowardStart(0.3, [np.zeros((3, 4)), np.zeros((4, 2))])  # W_0 = 0: plain L2
    for a, b in zip(at_zero(params)[1], L2(0.3)(params)[1]):
        np.testing.assert_allclose(a, b)


# --------------------------------------------------------------------------------------------------
# Early stopping: memorizing, growing weights, a validation-chosen stop
# --------------------------------------------------------------------------------------------------


def test_trajectory_continues_section_1s_run_and_memorizes():
    run = training_trajectory(0.0, rng=0)  # the chapter's run: 1300 steps, measured every 10
    assert run["step"].tolist() == list(range(0, 1301, 10))
    at_500 = int(np.searchsorted(run["step"], 500))
    section_1 = regularization_experiment("L2", 0.0)  # 500 steps, same seed: the same network
    assert run["val_accuracy"][at_500] == section_1["val_accuracy"]
    assert run["train_loss"][at_500] == pytest.approx(section_1["train_loss"], rel=1e-12)
    assert section_1["train_accuracy"] < 1.0  # not memorized after 500 steps (95%) ...
    assert run["train_accuracy"][-1] == 1.0 and run["train_loss"][-1] < 0.02  # ... but by step 1300
    assert run["weight_norm"][-1] > run["weight_norm"][0] + 3  # the weights grow while it memorizes
    assert run["distance_from_start"][0] == 0.0 and run["distance_from_start"][-1] > 5
    assert run["val_loss"][-1] > run["val_loss"].min() + 0.2  # validation loss: down, then up
    best = int(np.argmax(run["val_accuracy"]))  # the first maximum
    assert run["best_step"] == run["step"][best] and run["best_val_accuracy"] == run["val_accuracy"][best]
    assert run["best_val_accuracy"] > run["val_accuracy"][-1] + 0.02


def test_best_params_are_the_weights_of_the_best_step():
    run = training_trajectory(0.0, steps=300, eval_every=10, rng=3)
    x, y, x_val, y_val, _ = ch06._moons_task(40, 1000, 0.3, (64, 64), 3)
    model = MLP(run["sizes"], init="zeros", dtype="float64")
    model.params = [p.copy() for p in run["best_params"]]
    assert np.mean(model.predict(x_val) == y_val) == run["best_val_accuracy"]
    model.params = [p.copy() for p in run["final_params"]]
    assert np.mean(model.predict(x_val) == y_val) == run["val_accuracy"][-1]
    with pytest.raises(ValueError):
        run["best_params"][0][0, 0] = 1.0  # cached: read-only


def test_l2_run_shrinks_the_weights_and_anchor_start_keeps_them_near_w0():
    zero = training_trajectory(1e-2, steps=600, eval_every=50, rng=0)
    start = training_trajectory(1e-2, steps=600, eval_every=50, anchor="start", rng=0)
    assert zero["weight_norm"][-1] < 0.5 * zero["weight_norm"][0]  # pulled toward 0
    assert start["distance_from_start"][-1] < 0.5 * zero["distance_from_start"][-1]  # pulled toward W_0
    assert start["weight_norm"][-1] > zero["weight_norm"][0] - 1


def test_early_stopping_choices_use_validation_only_and_are_consistent():
    choices = early_stopping_choices(seeds=(0, 1), strengths=(1e-2, 3e-2), steps=300, n_val=300)
    assert choices["seeds"].tolist() == [0, 1] and choices["task"]["steps"] == 300
    for k, seed in enumerate(choices["seeds"]):
        free = training_trajectory(0.0, steps=300, n_val=300, rng=int(seed))
        assert choices["stop_step"][k] == free["best_step"]
        assert choices["equivalent_strength"][k] == pytest.approx(1 / (0.5 * free["best_step"]))
        by_strength = choices["val_accuracy_by_strength"][k]
        assert choices["chosen_strength"][k] == (1e-2, 3e-2)[int(np.argmax(by_strength))]
        assert choices["chosen_val_accuracy"][k] == by_strength.max()
        weights = [np.concatenate([p.ravel() for p in params if p.ndim >= 2])
                   for params in (free["start_weights"], free["best_params"], free["final_params"])]
        anchored = training_trajectory(choices["equivalent_strength"][k], steps=300, n_val=300, eval_every=300,
                                       anchor="start", rng=int(seed))
        w0, w_stop, w_end = weights
        w_a = np.concatenate([p.ravel() for p in anchored["final_params"] if p.ndim >= 2])
        assert choices["start_weight_norm"][k] == pytest.approx(np.linalg.norm(w0))
        assert choices["anchored_to_stop"][k] == pytest.approx(np.linalg.norm(w_a - w_stop))
        assert choices["final_to_stop"][k] == pytest.approx(np.linalg.norm(w_end - w_stop))
        cosine = (w_a - w0) @ (w_stop - w0) / (np.linalg.norm(w_a - w0) * np.linalg.norm(w_stop - w0))
        assert choices["anchored_cosine"][k] == pytest.approx(cosine)
        fitted = free["train_accuracy"] == 1.0
        step = choices["memorized_step"][k]
        assert (step == -1 and not fitted[-1]) or (fitted[free["step"] >= step].all()
                                                   and (step == 0 or not fitted[free["step"] == step - 10][0]))
    test = held_out_test_accuracy(choices, n_test=500)
    assert set(test) == {"no_penalty", "early_stopping", "l2"} and all(v.shape == (2,) for v in test.values())
    assert all(((v > 0.5) & (v <= 1.0)).all() for v in test.values())


def test_held_out_test_set_is_fresh_and_measures_the_chosen_networks():
    choices = early_stopping_choices(seeds=(2,), strengths=(1e-2,), steps=200, n_val=200)
    test = held_out_test_accuracy(choices, n_test=400)
    x_test, y_test = data.moons(400, noise=0.3, rng=np.random.default_rng([2, 2024]))
    x, _, x_val, _, _ = ch06._moons_task(40, 200, 0.3, (64, 64), 2)
    assert not np.isin(x_test[:, 0], np.r_[x[:, 0], x_val[:, 0]]).any()  # not the training or validation points
    free = training_trajectory(0.0, steps=200, n_val=200, rng=2)
    model = MLP(free["sizes"], init="zeros", dtype="float64")
    model.params = [p.copy() for p in free["best_params"]]
    assert test["early_stopping"][0] == np.mean(model.predict(x_test) == y_test)


def test_the_chapters_early_stopping_claims():
    """What section 5 says, with its configuration (5 seeds, 1300 steps): the network memorizes in every seed; on
    the test set early stopping beats no penalty and L2 beats early stopping in every seed; L2 ends with much
    smaller weights than the early stop; the penalty toward W_0 at 1/(lr tau) ends a little closer to W_0, moving in a
    roughly similar direction (cosine 0.55 to 0.89) but not landing on the early stop (2.5 to 4.3 away), and in seed
    1 the unpenalized network at step 1300 is closer to the early stop than that penalty is."""
    choices = early_stopping_choices()
    assert (choices["final_train_accuracy"] == 1.0).all() and (choices["memorized_step"] > 0).all()
    assert (choices["stop_val_accuracy"] > choices["final_val_accuracy"]).all()
    test = held_out_test_accuracy(choices)
    assert (test["early_stopping"] > test["no_penalty"]).all()
    assert (test["l2"] > test["early_stopping"]).all()
    assert (choices["chosen_weight_norm"] < 0.5 * choices["stop_weight_norm"]).all()
    assert (choices["anchored_distance"] < choices["stop_distance"]).all()
    assert (choices["anchored_distance"] > 0.6 * choices["stop_distance"]).all()
    assert (choices["anchored_cosine"] > 0.5).all() and (choices["anchored_cosine"] < 0.95).all()
    assert (choices["anchored_to_stop"] > 2.0).all()  # similar, not the same place
    assert (choices["anchored_to_stop"] < choices["stop_distance"]).all()
    assert choices["final_to_stop"][1] < choices["anchored_to_stop"][1]  # seed 1: the control is closer
    assert (choices["start_weight_norm"].min() > 14) and (choices["start_weight_norm"].max() < 17)
    lo, hi = min(choices["strengths"]), max(choices["strengths"])
    assert (choices["equivalent_strength"] >= lo / 2).all() and (choices["equivalent_strength"] <= hi).all()


# --------------------------------------------------------------------------------------------------
# More data
# --------------------------------------------------------------------------------------------------


def test_training_size_sweep_shapes_entries_and_the_gap_shrinking():
    sweep = training_size_sweep(sizes=(20, 160), strengths=(0.0, 1e-2), seeds=(0, 1, 2))
    assert sweep["train_accuracy"].shape == (2, 2, 3)
    assert sweep["val_accuracy"][1, 0, 2] == regularization_experiment("L2", 1e-2, n_train=20, rng=2)["val_accuracy"]
    np.testing.assert_allclose(sweep["gap"], sweep["train_accuracy"] - sweep["val_accuracy"])
    free_gap = sweep["gap"][0].mean(axis=1)
    assert free_gap[1] < free_gap[0] - 0.05  # 160 points: a much smaller gap than 20, no penalty needed
    assert sweep["val_accuracy"][0, 1].mean() > sweep["val_accuracy"][0, 0].mean()
    assert (sweep["gap"][1].mean(axis=1) < free_gap).all()  # L2 narrows it at both sizes


@pytest.mark.parametrize("call, error, message", [
    (lambda: training_trajectory(anchor="middle"), ValueError, "unknown anchor"),
    (lambda: training_trajectory(steps=10, eval_every=20), ValueError, "eval_every"),
    (lambda: training_trajectory(strength=-1.0), ValueError, "strength must be >= 0"),
    (lambda: early_stopping_choices(seeds=()), ValueError, "must not be empty"),
    (lambda: early_stopping_choices(strengths=(0.0,)), ValueError, "strengths must be > 0"),
    (lambda: training_size_sweep(sizes=(2,)), ValueError, "sizes"),
    (lambda: training_size_sweep(seeds=()), ValueError, "must not be empty"),
])
def test_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


# --------------------------------------------------------------------------------------------------
# Notation: lambda is counted once
# --------------------------------------------------------------------------------------------------


def test_the_chapter_counts_lambda_once():
    """J = L + lambda Omega with Omega = 1/2 sum W^2: no markdown cell puts lambda inside Omega."""
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    markdown = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    assert r"J(\theta) = L(\theta) + \lambda\, \Omega(W)" in markdown
    assert r"\Omega_{L2}(W) = \tfrac12 \sum_{ij} W_{ij}^2" in markdown
    for wrong in (r"(?<!\\lambda\\,)\\Omega_{L2} = \\frac\{\\lambda\}", r"(?<!\\lambda\\,)\\Omega_{L1} = \\lambda",
                  r"\\partial \\Omega_{L[12]}\}\{\\partial W\} = \\lambda"):  # lambda inside Omega
        assert not re.search(wrong, markdown), wrong
    assert re.search(r"\\lambda\\,\\Omega_{L2} = \\frac\{\\lambda\}\{2\}", markdown)  # the term lambda Omega
    assert L2.__doc__.startswith("strength * Omega, Omega = 1/2 sum W^2")
    assert L1.__doc__.startswith("strength * Omega, Omega = sum |W|")
