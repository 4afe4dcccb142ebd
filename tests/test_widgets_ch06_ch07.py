"""The explorers of chapters 06 and 07: regularization_explorer and pruning_explorer, and their pure functions."""

import math

import numpy as np
import pytest

from course_lib.nn import MLP
from course_lib.widgets import (
    PRUNING_SPARSITIES,
    REGULARIZATION_STRENGTHS,
    pruning_curve,
    pruning_experiment,
    pruning_explorer,
    pruning_setup,
    regularization_curve,
    regularization_experiment,
    regularization_explorer,
)

PNG = b"\x89PNG\r\n\x1a\n"


# --------------------------------------------------------------------------------------------------
# Chapter 06: regularization
# --------------------------------------------------------------------------------------------------


def test_no_penalty_overfits_a_moderate_one_closes_the_gap_a_huge_one_underfits():
    free = regularization_experiment("L2", 0.0)
    assert free["train_accuracy"] >= 0.95  # 40 points, 4352 weights: (almost) every training point fitted
    assert free["gap"] >= 0.08  # ... and clearly worse on new data
    assert free["gap"] == pytest.approx(free["train_accuracy"] - free["val_accuracy"])
    for kind, strength in (("L2", 1e-2), ("L1", 3e-3)):
        moderate = regularization_experiment(kind, strength)
        assert moderate["gap"] < free["gap"] / 2, kind
        assert moderate["val_accuracy"] > free["val_accuracy"], kind  # better on new data, not only a smaller gap
    large = regularization_experiment("L2", 0.1)
    assert large["train_accuracy"] < free["train_accuracy"] - 0.1  # under-fitting: the training set is not fitted
    assert large["val_accuracy"] < regularization_experiment("L2", 1e-2)["val_accuracy"]
    for kind in ("L1", "L2"):
        huge = regularization_experiment(kind, 1.0)
        assert huge["train_accuracy"] <= 0.6 and huge["near_zero_fraction"] == 1.0  # every weight ~0: chance


def test_l1_sets_weights_to_zero_l2_shrinks_them():
    free = regularization_experiment("L2", 0.0)
    for strength in (1e-3, 3e-3, 1e-2):
        l1, l2 = regularization_experiment("L1", strength), regularization_experiment("L2", strength)
        assert l1["near_zero_fraction"] > l2["near_zero_fraction"] + 0.3, strength
        assert l1["zero_fraction"] > 0.5 and l2["zero_fraction"] == 0.0  # L1's proximal step: exact zeros
        assert l2["weight_std"] < free["weight_std"]  # L2: a narrower bell
    data = regularization_experiment("L1", 3e-3)
    assert data["near_zero_fraction"] == pytest.approx(np.mean(np.abs(data["weights"]) < 1e-2))
    assert data["weights"].shape == (2 * 64 + 64 * 64 + 64 * 2,)  # weight matrices only, no biases
    assert data["weight_counts"].sum() == data["weights"].size
    assert len(data["bin_edges"]) == len(data["weight_counts"]) + 1
    assert data["penalty"] == pytest.approx(3e-3 * np.abs(data["weights"]).sum())


def test_only_the_penalty_changes_and_results_are_deterministic():
    from course_lib.experiments.ch06_regularization import _regularization_run

    l1_free, l2_free = regularization_experiment("L1", 0.0), regularization_experiment("L2", 0.0)
    np.testing.assert_array_equal(l1_free["weights"], l2_free["weights"])  # strength 0: the same training
    np.testing.assert_array_equal(l2_free["initial_weights"], regularization_experiment("L1", 0.1)["initial_weights"])
    np.testing.assert_array_equal(l2_free["x_train"], regularization_experiment("L2", 0.3)["x_train"])
    cached = regularization_experiment("L2", 3e-3)
    fresh = _regularization_run.__wrapped__("L2", 3e-3, 40, 1000, 0.3, (64, 64), 500, 0.5, 0)  # not from the cache
    for key in ("train_accuracy", "val_accuracy", "train_loss", "val_loss", "near_zero_fraction"):
        assert fresh[key] == cached[key], key
    np.testing.assert_array_equal(fresh["weights"], cached["weights"])
    assert not np.array_equal(regularization_experiment("L2", 3e-3, rng=1)["weights"], cached["weights"])  # new draw
    with pytest.raises(ValueError):  # cached arrays are read-only: a learner cannot corrupt the cache
        cached["weights"][0] = 1.0


def test_regularization_runs_in_float64(monkeypatch):
    """float64, so that the accuracies chapter 06 prints do not depend on the CPU's numeric code path."""
    import course_lib.nn
    from course_lib.experiments.ch06_regularization import _regularization_run

    made = []

    class Recording(course_lib.nn.MLP):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self.dtype)

    monkeypatch.setattr(course_lib.nn, "MLP", Recording)
    _regularization_run.__wrapped__("L2", 1e-3, 8, 8, 0.3, (4,), 2, 0.5, 0)
    assert made == [np.dtype("float64")]


def test_regularization_curve():
    curve = regularization_curve("L2")
    assert curve["strength"].tolist() == list(REGULARIZATION_STRENGTHS)
    assert curve["val_accuracy"][0] == regularization_experiment("L2", 0.0)["val_accuracy"]
    np.testing.assert_allclose(curve["gap"], curve["train_accuracy"] - curve["val_accuracy"])


@pytest.mark.parametrize("kwargs, error, message", [
    ({"kind": "L3"}, ValueError, "unknown kind 'L3'"),
    ({"kind": 2}, TypeError, "kind must be a string"),
    ({"strength": -1e-3}, ValueError, "strength must be >= 0"),
    ({"strength": math.nan}, ValueError, "strength must be finite"),
    ({"strength": math.inf}, ValueError, "strength must be finite"),
    ({"strength": "0.1"}, TypeError, "strength must be a real number"),
    ({"n_train": 0}, ValueError, "n_train must be an int"),
    ({"steps": 1.5}, TypeError, "steps must be an int"),
    ({"lr": 0}, ValueError, "lr must be > 0"),
    ({"hidden": 64}, TypeError, "hidden must be a tuple"),
    ({"rng": -1}, ValueError, "rng as a seed must be >= 0"),
])
def test_regularization_bad_inputs(kwargs, error, message):
    with pytest.raises(error, match=message):
        regularization_experiment(**kwargs)


def test_regularization_explorer_controls_change_data_and_image():
    explorer = regularization_explorer()
    assert explorer.data["kind"] == "L2" and explorer.data["strength"] == 0.0
    assert explorer.data["val_accuracy"] == regularization_experiment("L2", 0.0)["val_accuracy"]
    assert set(explorer.curves) == {"L2"}  # the other penalty's curve is made when it is first shown
    assert bytes(explorer.image.value).startswith(PNG)
    for control, value in [(explorer.strength_slider, 1e-2), (explorer.kind_buttons, "L1"),
                           (explorer.strength_slider, 3e-3)]:
        before_image, before = bytes(explorer.image.value), explorer.data
        control.value = value
        assert bytes(explorer.image.value) != before_image
        assert explorer.data is not before and not np.array_equal(explorer.data["weights"], before["weights"])
    assert (explorer.data["kind"], explorer.data["strength"]) == ("L1", 3e-3)
    assert set(explorer.curves) == {"L1", "L2"}
    assert explorer.update() is None and explorer.update({"name": "value"}) is None
    with pytest.raises(ValueError, match="strength must be one of the slider's values"):
        regularization_explorer(strength=0.005)
    with pytest.raises(ValueError, match="unknown kind"):
        regularization_explorer(kind="L0")


# --------------------------------------------------------------------------------------------------
# Chapter 07: pruning
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def setup():
    return pruning_setup()


def _params(model):
    return [p.copy() for p in model.params]


def test_pruning_setup_is_trained_and_returns_fresh_copies(setup):
    assert setup["accuracy"] >= 0.97 and setup["train_accuracy"] >= 0.97
    assert setup["model"].sizes == [2, 64, 64, 3]
    # the explorers compare settings, so they score on the validation set; the test set is another draw
    assert setup["x_val"].shape == setup["x_test"].shape == (1500, 2)
    assert not np.array_equal(setup["x_val"], setup["x_test"])
    assert setup["accuracy"] == np.mean(setup["model"].predict(setup["x_val"]) == setup["y_val"])
    again = pruning_setup()
    assert again["model"] is not setup["model"]
    again["model"].weights[1][...] = 0  # change one copy ...
    fresh = pruning_setup()["model"]
    for p, q in zip(fresh.params, setup["model"].params):  # ... the next caller still gets the trained network
        np.testing.assert_array_equal(p, q)


@pytest.mark.parametrize("scope", ["global", "per-layer"])
def test_sparsity_zero_keeps_the_trained_accuracy(setup, scope):
    data = pruning_experiment(None, 0.0, scope)
    assert data["accuracy"] == setup["accuracy"]
    assert data["n_nonzero"] == data["n_weights"] == 2 * 64 + 64 * 64 + 64 * 3
    assert all(m.all() for m in data["masks"])


@pytest.mark.parametrize("sparsity", [0.1, 0.37, 0.5, 0.9, 0.99, 1.0])
def test_pruned_counts_are_exact(setup, sparsity):
    per_layer = pruning_experiment(None, sparsity, "per-layer")
    for W, mask, fraction in zip(per_layer["weights"], per_layer["masks"], per_layer["layer_sparsity"]):
        assert np.count_nonzero(W == 0) == round(sparsity * W.size) == np.count_nonzero(~mask)
        assert fraction == np.count_nonzero(W == 0) / W.size
    glob = pruning_experiment(None, sparsity, "global")
    zeros = sum(np.count_nonzero(W == 0) for W in glob["weights"])
    assert zeros == round(sparsity * glob["n_weights"]) == glob["n_weights"] - glob["n_nonzero"]
    assert glob["total_sparsity"] == zeros / glob["n_weights"]
    for W, mask, trained in zip(glob["weights"], glob["masks"], setup["model"].weights):
        np.testing.assert_array_equal(W, np.where(mask, trained, 0))  # the kept weights keep their values


def test_global_pruning_spares_the_small_layers_and_beats_per_layer(setup):
    glob, per_layer = pruning_experiment(None, 0.5, "global"), pruning_experiment(None, 0.5, "per-layer")
    w1, w2, w3 = glob["layer_sparsity"]
    assert w2 > 0.5 > w1  # the hidden layer's weights are the smallest: global pruning takes them first
    assert glob["accuracy"] > per_layer["accuracy"]
    for scope in ("global", "per-layer"):
        assert pruning_experiment(None, 0.99, scope)["accuracy"] < setup["accuracy"] - 0.3


def test_pruning_never_changes_the_model(setup):
    model = setup["model"]
    before = _params(model)
    for scope in ("global", "per-layer"):
        pruning_experiment(model, 0.9, scope, setup["x_val"], setup["y_val"])
    for p, q in zip(model.params, before):
        np.testing.assert_array_equal(p, q)


def test_pruning_curve_and_determinism(setup):
    curve = pruning_curve(scope="per-layer")
    assert curve["sparsity"].tolist() == list(PRUNING_SPARSITIES) and curve["accuracy"].shape == (100,)
    assert curve["accuracy"][50] == pruning_experiment(None, 0.5, "per-layer")["accuracy"]
    assert pruning_curve(scope="per-layer")["accuracy"] is curve["accuracy"]  # cached
    own = pruning_curve(setup["model"], "per-layer", [0.0, 0.5], setup["x_val"], setup["y_val"])
    np.testing.assert_array_equal(own["accuracy"], curve["accuracy"][[0, 50]])
    first, second = pruning_experiment(None, 0.6, "global"), pruning_experiment(None, 0.6, "global")
    assert first["accuracy"] == second["accuracy"]
    for a, b in zip(first["masks"], second["masks"]):
        np.testing.assert_array_equal(a, b)


def test_pruning_a_model_of_your_own():
    from course_lib.data import spirals

    x, y = spirals(90, classes=3, rng=1)
    model = MLP([2, 8, 3], rng=0)
    data = pruning_experiment(model, 0.25, "per-layer", x, y)
    assert [W.shape for W in data["weights"]] == [(2, 8), (8, 3)]
    assert [np.count_nonzero(W == 0) for W in data["weights"]] == [4, 6]  # round(0.25 * 16), round(0.25 * 24)
    assert 0.0 <= data["accuracy"] <= 1.0


@pytest.mark.parametrize("args, kwargs, error, message", [
    ((None, 1.5), {}, ValueError, r"sparsity must be in \[0, 1\], got 1.5"),
    ((None, -0.1), {}, ValueError, r"sparsity must be in \[0, 1\]"),
    ((None, math.nan), {}, ValueError, "sparsity must be finite"),
    ((None, "half"), {}, TypeError, "sparsity must be a real number"),
    ((None, 0.5, "layer"), {}, ValueError, "unknown scope 'layer'"),
    (("my model", 0.5), {}, TypeError, "model must be a course_lib.nn.MLP"),
    ((MLP([2, 4, 3], rng=0), 0.5), {}, ValueError, "pass the data to score it on too"),
    ((None, 0.5), {"x": np.zeros((3, 2))}, ValueError, "x and y go with a model of your own"),
    ((MLP([2, 4, 3], rng=0), 0.5), {"x": np.zeros((3, 5)), "y": np.zeros(3, int)}, ValueError,
     r"x must have shape \(n, 2\)"),
])
def test_pruning_bad_inputs(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        pruning_experiment(*args, **kwargs)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"n_train": 2}, ValueError, r"n_train must be an int in \[3, 100000\], got 2"),
    ({"n_test": 600.0}, TypeError, "n_test must be an int"),
    ({"epochs": True}, TypeError, "epochs must be an int"),
    ({"hidden": 64}, TypeError, "hidden must be a tuple"),
    ({"hidden": (64, 0)}, ValueError, r"hidden widths must be an int in \[1, 4096\], got 0"),
    ({"hidden": (64.0,)}, TypeError, "hidden widths must be an int"),
])
def test_pruning_setup_bad_inputs(kwargs, error, message):
    with pytest.raises(error, match=message):
        pruning_setup(**kwargs)


def test_pruning_explorer_controls_change_data_and_image(setup):
    explorer = pruning_explorer(sparsity=0.5, scope="global")
    before_model = _params(explorer.model)
    assert explorer.data["sparsity"] == 0.5 and explorer.data["scope"] == "global"
    assert explorer.dense_accuracy == setup["accuracy"]
    assert explorer.x is not None and np.array_equal(explorer.x, setup["x_val"])  # default data: validation
    assert bytes(explorer.image.value).startswith(PNG)
    for control, value in [(explorer.sparsity_slider, 0.9), (explorer.scope_buttons, "per-layer"),
                           (explorer.sparsity_slider, 0.0)]:
        before_image, before = bytes(explorer.image.value), explorer.data
        control.value = value
        assert bytes(explorer.image.value) != before_image
        assert explorer.data is not before
        assert (explorer.data["sparsity"], explorer.data["scope"]) == (explorer.sparsity_slider.value,
                                                                       explorer.scope_buttons.value)
    assert explorer.data["accuracy"] == setup["accuracy"]  # back at sparsity 0
    for p, q in zip(explorer.model.params, before_model):  # every move pruned a copy
        np.testing.assert_array_equal(p, q)
    assert set(explorer.curves) == {"global", "per-layer"}
    assert explorer.update() is None and explorer.update({"name": "value"}) is None
    with pytest.raises(ValueError, match=r"sparsity must be in \[0, 0.99\]"):
        pruning_explorer(sparsity=1.0)
    with pytest.raises(ValueError, match="unknown scope"):
        pruning_explorer(scope="local")


def test_pruning_explorer_labels_its_accuracy_and_keeps_the_label_clear_of_w3(setup):
    """The accuracy axis reads "validation accuracy" (the default: pass a validation set), with a model of your own
    too, or the ``label`` given; its y-label does not overlap the W3 panel (the still image's old fault)."""
    model = setup["model"]
    own = pruning_explorer(sparsity=0.9, model=model, x=setup["x_val"], y=setup["y_val"])
    named = pruning_explorer(sparsity=0.9, model=model, x=setup["x_val"], y=setup["y_val"], label="test accuracy")
    for explorer, label in ((own, "validation accuracy"), (named, "test accuracy")):
        fig = explorer._figure.fig
        *layers, ax_acc = fig.axes
        assert ax_acc.get_ylabel() == label
        assert explorer.data["accuracy"] == pytest.approx(own.data["accuracy"])
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        ylabel_box = ax_acc.yaxis.label.get_window_extent(renderer)
        w3_box = layers[2].get_window_extent(renderer)
        assert ylabel_box.x0 > w3_box.x1, (ylabel_box, w3_box)
    with pytest.raises(TypeError, match="label must be a non-empty str"):
        pruning_explorer(label="")
