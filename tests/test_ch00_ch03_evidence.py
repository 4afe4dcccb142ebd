"""Chapters 00 and 03: the evidence behind their claims (issue 13), the ReLU bias explorer, Leaky ReLU."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from course_lib import data
from course_lib.diagnostics import dead_fraction
from course_lib.exercises._grading import SOLUTION_FILES
from course_lib.experiments.ch03_bias import (
    bias_start_experiment,
    he_scaled_biases,
    inactive_fraction,
    large_step_experiment,
    neuron_2d,
)
from course_lib.nn import ACTIVATIONS, LEAKY_RELU_SLOPE, MLP, leaky_relu, relu, softmax_cross_entropy
from course_lib.widgets.ch03_bias import bias_explorer

ROOT = Path(__file__).resolve().parents[1]
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def blobs():
    return data.shifted_blobs(n=200, center=(3.0, 3.0), rng=0)


@pytest.fixture(scope="module")
def moons():
    return data.moons(n=120, rng=1)


# ---------------------------------------------------------------------------------------------------------
# Chapters 00 and 03 name the exact solution file of every exercise
# ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("notebook", ["00_start_here.ipynb", "03_bias.ipynb"])
def test_every_exercise_names_its_exact_solution_file(notebook):
    cells = json.loads((ROOT / "notebooks" / notebook).read_text())["cells"]
    checked = 0
    for i, cell in enumerate(cells):
        source = "".join(cell["source"])
        if cell["cell_type"] != "code" or not re.search(r"^check_\w+\(", source, re.M):
            continue
        name = re.search(r"^check_(\w+)\(", source, re.M).group(1)
        text_above = next("".join(c["source"]) for c in reversed(cells[:i]) if c["cell_type"] == "markdown")
        assert f"%load ../{SOLUTION_FILES[name]}" in text_above, f"the exercise {name} does not name its file"
        checked += 1
    assert checked == 3  # the two short exercises and the main one (issue 15)
    markdown = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    assert "NAME.py" not in markdown
    for path in re.findall(r"%load \.\./(solutions/\S+\.py)", markdown):
        assert (ROOT / path).is_file(), f"{notebook} names {path}, which does not exist"


# ---------------------------------------------------------------------------------------------------------
# Chapter 00: the printed loss and accuracy come from the same parameters
# ---------------------------------------------------------------------------------------------------------

def test_chapter_00_prints_loss_and_accuracy_of_the_same_parameters():
    """'before update 0' is the untrained network: its loss and its accuracy, from one forward pass."""
    cells = json.loads((ROOT / "notebooks" / "00_start_here.ipynb").read_text())["cells"]
    code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    loop = next(i for i, source in enumerate(code) if "for step in range(201)" in source)
    printed = "".join("".join(o.get("text", "")) for c in cells if c["cell_type"] == "code"
                      and "for step in range(201)" in "".join(c["source"]) for o in c["outputs"])
    first = re.search(r"before update\s+0: loss ([\d.]+), accuracy ([\d.]+)%", printed)
    assert first and "after update  200" in printed, printed
    namespace = {}
    for source in code[:loop]:  # the cells above, without the explorer and the checkers (they draw nothing)
        lines = [line for line in source.splitlines() if not re.match(r"(\w+_explorer|check_\w+|show_source)\(", line)]
        exec("\n".join(lines), namespace)
    setup = code[loop].split("learning_rate")[0]  # the data and the untrained model, as the loop cell makes them
    exec(setup, namespace)
    logits = namespace["model"].forward(namespace["points"])
    labels = namespace["labels"]
    assert float(first.group(1)) == pytest.approx(softmax_cross_entropy(logits, labels)[0], abs=5e-4)
    assert float(first.group(2)) == pytest.approx(100 * np.mean(logits.argmax(axis=1) == labels), abs=0.05)


# ---------------------------------------------------------------------------------------------------------
# Leaky ReLU
# ---------------------------------------------------------------------------------------------------------

def test_leaky_relu_is_pytorchs_default_and_its_derivative_is_right():
    assert LEAKY_RELU_SLOPE == 0.01
    f, f_prime = ACTIVATIONS["leaky_relu"]
    z = np.array([-3.0, -0.5, 0.25, 2.0])
    np.testing.assert_allclose(f(z), [-0.03, -0.005, 0.25, 2.0])
    h = 1e-6
    np.testing.assert_allclose(f_prime(z), (f(z + h) - f(z - h)) / (2 * h), rtol=1e-6)
    assert f is leaky_relu


def test_an_mlp_with_leaky_relu_passes_gradient_through_a_unit_with_negative_input():
    model = MLP([2, 4, 2], activation="leaky_relu", rng=0, dtype="float64")
    model.biases[0][:] = [-100.0, 0.0, 0.0, 0.0]  # unit 0: z < 0 on every example
    x = np.array([[0.5, -1.0], [1.0, 0.3], [-0.2, 0.8]])
    _, dlogits = softmax_cross_entropy(model.forward(x), np.array([0, 1, 1]))
    leaky_grads = [g.copy() for g in model.backward(dlogits)]
    relu_model = model.copy()
    relu_model.activation = "relu"
    _, dlogits = softmax_cross_entropy(relu_model.forward(x), np.array([0, 1, 1]))
    relu_grads = relu_model.backward(dlogits)
    assert relu_grads[1][0] == 0 and np.all(relu_grads[0][:, 0] == 0)  # ReLU: dead, no gradient
    assert leaky_grads[1][0] != 0  # Leaky ReLU: a gradient still arrives


# ---------------------------------------------------------------------------------------------------------
# The bias explorer with a ReLU unit
# ---------------------------------------------------------------------------------------------------------

def test_neuron_2d_with_relu(blobs):
    x, y = blobs
    data_relu = neuron_2d(1.0, 1.0, -6.0, x, y, activation="relu")
    np.testing.assert_allclose(data_relu["a"], relu(data_relu["z"]))
    assert data_relu["active_fraction"] == pytest.approx(np.mean(x.sum(axis=1) > 6.0))
    assert 0.3 < data_relu["active_fraction"] < 0.7
    sigmoid_data = neuron_2d(1.0, 1.0, -6.0, x, y)
    assert sigmoid_data["accuracy"] == data_relu["accuracy"]  # z > 0 predicts class 1 for both
    assert np.all((sigmoid_data["a"] > 0) & (sigmoid_data["a"] < 1))
    dead = neuron_2d(1.0, 1.0, -(x.sum(axis=1).max() + 0.1), x, y, activation="relu")
    assert dead["active_fraction"] == 0 and np.all(dead["a"] == 0)
    with pytest.raises(ValueError, match="unknown activation 'tanh'"):
        neuron_2d(1.0, 1.0, 0.0, x, y, activation="tanh")


def test_bias_explorer_for_a_relu_unit(blobs):
    x, y = blobs
    explorer = bias_explorer(x, y, w1=1.0, w2=1.0, b=-6.0, activation="relu")
    assert explorer.activation_dropdown.value == "relu"
    assert 0.3 < explorer.data["active_fraction"] < 0.7
    np.testing.assert_allclose(explorer.data["a"], np.maximum(explorer.data["z"], 0))

    before = bytes(explorer.image.value)
    explorer.b_slider.value = -12.0  # the kink leaves the data: a dead unit
    assert explorer.data["active_fraction"] == 0 and np.all(explorer.data["a"] == 0)
    assert bytes(explorer.image.value).startswith(PNG) and bytes(explorer.image.value) != before

    explorer.b_slider.value = 0.0  # every example on the active side
    assert explorer.data["active_fraction"] == 1.0
    assert explorer._title.get_text().startswith(f"active (z > 0) on {len(y)} of {len(y)} examples (100%)")
    np.testing.assert_allclose(explorer.data["a"], explorer.data["z"])

    before = bytes(explorer.image.value)
    explorer.activation_dropdown.value = "sigmoid"
    assert np.all(explorer.data["a"] < 1) and bytes(explorer.image.value) != before
    explorer.activation_dropdown.value = "relu"  # and back: the same picture as before the switch
    assert bytes(explorer.image.value) == before


def test_bias_explorer_title_never_rounds_a_few_active_examples_to_0_or_100_percent():
    x, y = data.shifted_blobs(n=400, center=(3.0, 3.0), rng=np.random.default_rng(3))  # the notebook's data
    explorer = bias_explorer(x, y, w1=1.0, w2=1.0, b=-6.0, activation="relu")
    sums = x.sum(axis=1)  # z = x1 + x2 + b
    steps = [b for b in np.arange(-12.0, 0.25, 0.25) if 0 < np.sum(sums + b > 0) < len(y)]  # the slider's grid
    few = next(b for b in steps if f"{np.mean(sums + b > 0):.0%}" == "0%")
    almost_all = next(b for b in steps if f"{np.mean(sums + b > 0):.0%}" == "100%")
    for b, share in [(few, "<1%"), (almost_all, ">99%")]:
        explorer.b_slider.value = b
        active = int(np.sum(sums + b > 0))
        assert explorer._title.get_text().startswith(f"active (z > 0) on {active} of {len(y)} examples ({share})")


# ---------------------------------------------------------------------------------------------------------
# Dead units after one large step, with the control
# ---------------------------------------------------------------------------------------------------------

def test_inactive_fraction_is_the_dead_fraction_for_relu():
    z = np.array([[-1.0, 2.0, 0.0, -3.0], [-0.5, -1.0, 0.0, 4.0]])
    assert inactive_fraction(z) == 0.5  # units 0 and 2 are <= 0 on both examples
    assert inactive_fraction(z) == dead_fraction(relu(z))
    assert dead_fraction(leaky_relu(z)) == 0.25  # leaky outputs are not 0: only the unit with z = 0 counts
    with pytest.raises(ValueError, match="z must have shape"):
        inactive_fraction(np.zeros(3))


def test_large_step_experiment_and_its_control(moons):
    x, y = moons
    control = large_step_experiment(x, y, "relu", large_lr=None, epochs=4, seed=0)
    damaged = large_step_experiment(x, y, "relu", large_lr=30.0, epochs=4, seed=0)
    assert control["dead"].shape == (5, 2) and control["accuracy"].shape == (5,) and control["loss"].shape == (5,)
    # same network: the same initial weights, the same dead units at init
    assert control["dead_at_init"] == damaged["dead_at_init"]
    np.testing.assert_array_equal(control["weight_norm"][0], damaged["weight_norm"][0])
    np.testing.assert_array_equal(control["dead"][0], control["dead_at_init"])  # no step: row 0 is the init
    np.testing.assert_array_equal(control["weight_norm"][1], control["weight_norm"][0])
    # the step kills units and makes the weights larger
    assert damaged["dead"][0][0] > control["dead"][0][0]
    assert np.all(damaged["weight_norm"][1] > damaged["weight_norm"][0])
    # a dead unit of the first layer gets no gradient: none comes back, its dead fraction never falls
    assert damaged["revived"][0] == 0
    assert np.all(np.diff(damaged["dead"][:, 0]) >= 0)
    # deterministic
    again = large_step_experiment(x, y, "relu", large_lr=30.0, epochs=4, seed=0)
    np.testing.assert_array_equal(again["accuracy"], damaged["accuracy"])


def test_units_back_counts_units_that_died_after_the_step_and_came_back(moons):
    x, y = moons
    run = large_step_experiment(x, y, "relu", large_lr=30.0, epochs=8, seed=2)
    for layer, history in enumerate(run["inactive"]):
        assert history.shape == (9, 64)
        np.testing.assert_array_equal(run["dead"][:, layer], history.mean(axis=1))
        assert run["revived"][layer] == np.sum(history.any(axis=0) & ~history[-1])
    layer_2 = run["inactive"][1]
    inactive_right_after_step_only = int(np.sum(layer_2[0] & ~layer_2[-1]))
    assert run["revived"][1] > inactive_right_after_step_only  # some died during training, then came back
    assert run["revived"][0] == 0 and not np.any(run["inactive"][0][:-1] & ~run["inactive"][0][-1])


def test_large_step_experiment_measures_accuracy_on_the_same_parameters(moons):
    x, y = moons
    run = large_step_experiment(x, y, "leaky_relu", large_lr=None, epochs=2, seed=3)
    model = MLP([2, 64, 64, 2], activation="leaky_relu", rng=3, dtype="float64")
    logits = model.forward(x)
    assert run["accuracy"][0] == np.mean(logits.argmax(axis=1) == y)
    assert run["loss"][0] == pytest.approx(softmax_cross_entropy(logits, y)[0])
    assert run["dead"][0].tolist() == [inactive_fraction(z) for z in model.pre_activations[:-1]]


@pytest.mark.parametrize("kwargs, error, match", [
    ({"large_lr": -1.0}, ValueError, "large_lr must be > 0"),
    ({"activation": "gelu"}, ValueError, "unknown activation 'gelu'"),
    ({"epochs": 0}, ValueError, "epochs"),
])
def test_large_step_experiment_bad_input(moons, kwargs, error, match):
    x, y = moons
    with pytest.raises(error, match=match):
        large_step_experiment(x, y, **kwargs)


# ---------------------------------------------------------------------------------------------------------
# The myth box: random He-scaled biases, and the controls that draw them in one layer only
# ---------------------------------------------------------------------------------------------------------

def test_he_scaled_biases_draw_every_layer_and_set_only_the_listed_ones():
    everywhere = MLP([2, 512, 512, 2], rng=0, dtype="float64")
    first_only = MLP([2, 512, 512, 2], rng=0, dtype="float64")
    second_only = MLP([2, 512, 512, 2], rng=0, dtype="float64")
    he_scaled_biases(everywhere, [0, 1, 2], rng=5)
    he_scaled_biases(first_only, [0], rng=5)
    he_scaled_biases(second_only, [1], rng=5)
    np.testing.assert_array_equal(first_only.biases[0], everywhere.biases[0])
    assert np.all(first_only.biases[1] == 0) and np.all(first_only.biases[2] == 0)
    np.testing.assert_array_equal(second_only.biases[1], everywhere.biases[1])  # the same draw, whatever is set
    assert np.all(second_only.biases[0] == 0)
    assert np.std(everywhere.biases[0]) == pytest.approx(np.sqrt(2 / 2), rel=0.1)  # sqrt(2 / fan_in)
    assert np.std(everywhere.biases[1]) == pytest.approx(np.sqrt(2 / 512), rel=0.1)


def test_bias_start_experiment(moons):
    x, y = moons
    x_val, y_val = data.moons(n=60, rng=2)
    zeros = bias_start_experiment(x, y, x_val, y_val, epochs=3, seed=1)
    recipe = bias_start_experiment(x, y, x_val, y_val, random_layers=[0, 1, 2], epochs=3, seed=1)
    assert zeros["val_accuracy"].shape == (3,) and np.all((0 <= zeros["val_accuracy"]) & (zeros["val_accuracy"] <= 1))
    # zero biases: every first-layer kink passes through the origin, which the moons surround: no unit is dead
    assert zeros["dead_at_start"][0] == 0
    assert recipe["dead_at_start"][0] > 0  # a first-layer bias drawn very negative starts its unit dead
    again = bias_start_experiment(x, y, x_val, y_val, random_layers=[0, 1, 2], epochs=3, seed=1)
    np.testing.assert_array_equal(again["val_accuracy"], recipe["val_accuracy"])
