"""Chapter 08's evidence: class templates, the most confident mistakes, the expected pre-activation std and the
first-layer weights training never moved (course_lib.experiments.ch08_mnist)."""

import numpy as np
import pytest

from course_lib.experiments.ch08_mnist import (
    class_templates,
    expected_preactivation_std,
    frozen_first_layer_weights,
    most_confident_mistakes,
)
from course_lib.nn import MLP, softmax_cross_entropy
from course_lib.optim import Adam


def test_a_template_dotted_with_an_image_is_the_linear_networks_logit():
    rng = np.random.default_rng(0)
    W1, W2 = rng.normal(size=(784, 16)), rng.normal(size=(16, 10))
    templates = class_templates(W1, W2)
    assert templates.shape == (10, 28, 28)
    x = rng.random((5, 784))
    logits = x @ templates.reshape(10, 784).T
    np.testing.assert_allclose(logits, x @ W1 @ W2, rtol=1e-10)
    np.testing.assert_allclose(templates[3].ravel(), W1 @ W2[:, 3], rtol=1e-12)  # class 3 is W2's column 3


def test_templates_ignore_the_relu_so_they_match_a_network_only_where_every_unit_fires():
    net = MLP([784, 8, 10], rng=1, dtype="float64")
    W1, W2 = net.weights
    templates = class_templates(W1, W2).reshape(10, 784)
    x = np.random.default_rng(2).random((50, 784))
    linear = x @ templates.T + net.biases[0] @ W2 + net.biases[1]
    assert not np.allclose(net.forward(x), linear)  # some units are off: the ReLU matters
    for b in net.biases:
        b[...] = 0
    net.biases[0][...] = 1e6  # every unit on for these x: the network is linear, the templates are exact
    np.testing.assert_allclose(net.forward(x) - (1e6 * np.ones(8)) @ W2, x @ templates.T, rtol=1e-6, atol=1e-6)


def test_mistakes_come_most_confident_first_and_exclude_right_answers():
    probabilities = np.array([[0.9, 0.1, 0.0],    # right (label 0)
                              [0.2, 0.7, 0.1],    # wrong, confidence 0.7
                              [0.05, 0.05, 0.9],  # wrong, 0.9
                              [0.4, 0.35, 0.25],  # wrong, 0.4
                              [0.1, 0.1, 0.8]])   # right (label 2)
    labels = np.array([0, 0, 1, 2, 2])
    indices, confidence = most_confident_mistakes(probabilities, labels)
    np.testing.assert_array_equal(indices, [2, 1, 3])
    np.testing.assert_allclose(confidence, [0.9, 0.7, 0.4])
    top, top_confidence = most_confident_mistakes(probabilities, labels, count=1)
    np.testing.assert_array_equal(top, [2])
    assert most_confident_mistakes(probabilities, np.array([0, 1, 2, 1, 2]))[0].tolist() == [3]


def test_equally_confident_mistakes_keep_their_order():
    probabilities = np.array([[0.2, 0.8], [0.8, 0.2], [0.2, 0.8], [0.3, 0.7]])
    indices, _ = most_confident_mistakes(probabilities, np.array([0, 1, 0, 0]))
    np.testing.assert_array_equal(indices, [0, 1, 2, 3])


@pytest.mark.parametrize("kwargs, error, message", [
    ({"probabilities": [[0.5, 0.5]]}, TypeError, "probabilities must be a float numpy array"),
    ({"labels": np.array([0.0, 1.0])}, ValueError, "labels must be 2 integer classes"),
    ({"labels": np.array([0, 2])}, ValueError, r"labels must lie in \[0, 2\)"),
    ({"count": -1}, ValueError, "count must be an int"),
])
def test_bad_mistake_arguments_name_the_argument(kwargs, error, message):
    arguments = {"probabilities": np.array([[0.6, 0.4], [0.3, 0.7]]), "labels": np.array([1, 0]), **kwargs}
    with pytest.raises(error, match=message):
        most_confident_mistakes(**arguments)


def test_expected_preactivation_std_uses_the_mean_square_not_the_variance():
    rng = np.random.default_rng(0)
    x = 0.5 + 0.1 * rng.standard_normal((2000, 400))  # mean 0.5, variance 0.01: E[x^2] = 0.26
    weight_std = np.sqrt(2 / 400)  # He
    expected = expected_preactivation_std(x, weight_std)
    assert expected == pytest.approx(np.sqrt(2 * 0.26), rel=0.01)
    measured = (x @ rng.normal(0.0, weight_std, size=(400, 2000))).std()  # many units: close to the expectation
    assert measured == pytest.approx(expected, rel=0.03)
    assert measured > 3 * np.sqrt(400 * weight_std**2 * x.var())  # the variance alone would predict 0.14


def test_expected_preactivation_std_of_standardized_inputs_under_he_is_sqrt_2():
    x = np.random.default_rng(1).standard_normal((500, 784))
    x = (x - x.mean()) / x.std()
    assert expected_preactivation_std(x, np.sqrt(2 / 784)) == pytest.approx(np.sqrt(2), rel=1e-6)


@pytest.mark.parametrize("call, error, message", [
    (lambda: class_templates(np.zeros((784, 4)), np.zeros((5, 10))), ValueError, "do not chain"),
    (lambda: class_templates(np.zeros((780, 4)), np.zeros((4, 10))), ValueError, "not a square number"),
    (lambda: class_templates(np.zeros((784, 4), dtype=int), np.zeros((4, 10))), TypeError, "W1 must be a float"),
    (lambda: expected_preactivation_std(np.zeros(784), 0.05), ValueError, "x must be a non-empty 2-D array"),
    (lambda: expected_preactivation_std(np.zeros((2, 784)), -1.0), ValueError, "weight_std"),
])
def test_bad_template_and_std_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_frozen_weights_are_those_of_never_lit_pixels_and_of_units_that_never_fire():
    rng = np.random.default_rng(0)
    x = rng.random((40, 6))
    x[:, 0] = 0.0       # pixel 0: never lit
    x[1:, 1] = 0.0      # pixel 1: lit in one image only
    net = MLP([6, 4, 3], rng=1, dtype="float64")
    net.biases[0][:] = 5.0     # units 0-2 fire on every image
    net.biases[0][3] = -100.0  # unit 3 never fires
    W1_start = net.weights[0].copy()
    optimizer = Adam(net.params, lr=0.01)
    y = rng.integers(0, 3, size=40)
    for _ in range(20):
        _, dlogits = softmax_cross_entropy(net.forward(x), y)
        optimizer.step(net.backward(dlogits))
    result = frozen_first_layer_weights(W1_start, net.weights[0], x, net.layer_output(x, 1),
                                        edges=(0, 1, 2, 10))
    np.testing.assert_array_equal(result["dead"], [False, False, False, True])
    np.testing.assert_array_equal(result["lit_counts"][:2], [0, 1])
    assert result["frozen"][0].all() and result["frozen"][:, 3].all()   # no gradient, no Adam step
    assert not result["frozen"][2:, :3].any()                          # lit often, live units: all moved
    labels = [row[0] for row in result["rows"]]
    assert labels == ["0", "1", "2-9", "more than 9"]
    assert result["rows"][0][1:] == (1, 3, 1)         # pixel 0: frozen on the 3 live units and the dead one
    assert result["rows"][3][1:] == (4, 0, 4)         # pixels 2-5 (lit in 40 images): frozen only on the dead unit
    assert sum(live + dead for _, _, live, dead in result["rows"]) == result["frozen"].sum()


def test_a_unit_that_died_after_moving_is_dead_but_not_frozen():
    W1_start = np.zeros((3, 2))
    W1_end = np.array([[0.5, 0.0], [0.0, -0.2], [0.1, 0.0]])   # unit 1 moved on pixel 1, then died
    x = np.ones((5, 3))
    hidden = np.zeros((5, 2))
    hidden[:, 0] = 1.0
    result = frozen_first_layer_weights(W1_start, W1_end, x, hidden)
    np.testing.assert_array_equal(result["dead"], [False, True])
    assert result["rows"][-1] == ("more than 1,000", 0, 0, 0)
    assert result["rows"][1] == ("1-10", 3, 1, 2)   # pixels lit in 5 images: one frozen weight live, two dead


@pytest.mark.parametrize("kwargs, message", [
    ({"W1_end": np.zeros((3, 3))}, "must have one shape"),
    ({"x": np.zeros((5, 4))}, "x must be"),
    ({"hidden": np.zeros((4, 2))}, "hidden must be"),
    ({"edges": (1, 10)}, "edges must increase from 0"),
    ({"edges": (0, 10, 10)}, "edges must increase from 0"),
])
def test_bad_frozen_weight_arguments_name_the_argument(kwargs, message):
    arguments = {"W1_start": np.zeros((3, 2)), "W1_end": np.zeros((3, 2)), "x": np.zeros((5, 3)),
                 "hidden": np.zeros((5, 2)), **kwargs}
    with pytest.raises(ValueError, match=message):
        frozen_first_layer_weights(**arguments)
