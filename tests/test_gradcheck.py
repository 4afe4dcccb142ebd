"""course_lib.gradcheck: passes on every layer and loss, catches a wrong gradient."""

import numpy as np
import pytest

from course_lib.gradcheck import (
    check_gradients,
    check_mlp,
    format_report,
    numerical_gradient,
    relative_error,
    torch_allclose,
)
from course_lib.nn import ACTIVATIONS, MLP, log_softmax, softmax_cross_entropy


def test_numerical_gradient_of_a_known_function():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    grad = numerical_gradient(lambda: float(np.sum(x**3)), x)
    np.testing.assert_allclose(grad, 3 * x**2, rtol=1e-8)
    np.testing.assert_array_equal(x, [[1.0, -2.0], [0.5, 3.0]])  # restored


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_check_mlp_passes_for_every_activation(activation):
    rng = np.random.default_rng(0)
    model = MLP([3, 5, 4, 2], activation=activation, bias_init=0.1, rng=rng, dtype="float64")
    results = check_mlp(model, rng.normal(size=(6, 3)), rng.integers(0, 2, 6))
    assert [r.name for r in results] == ["W1", "b1", "W2", "b2", "W3", "b3"]
    assert all(r.passed for r in results), format_report(results)


def test_check_catches_a_wrong_gradient():
    rng = np.random.default_rng(1)
    W, x = rng.normal(size=(3, 2)), rng.normal(size=(4, 3))

    def loss():
        return float(np.sum(np.tanh(x @ W)))

    right = x.T @ (1 - np.tanh(x @ W) ** 2)
    wrong = x.T @ (1 - np.tanh(x @ W))  # a typical slip: derivative of tanh written as 1 - a
    assert check_gradients(loss, [W], [right])[0].passed
    result = check_gradients(loss, [W], [wrong], names=["W"])[0]
    assert not result.passed and result.relative_error > 1e-2
    assert "WRONG" in format_report([result])


def test_log_softmax_and_cross_entropy_as_layers():
    rng = np.random.default_rng(2)
    z, y = rng.normal(size=(4, 3)), np.array([0, 2, 1, 1])
    _, dz = softmax_cross_entropy(z, y)
    assert check_gradients(lambda: softmax_cross_entropy(z, y)[0], [z], [dz])[0].passed
    upstream = rng.normal(size=(4, 3))  # d/dz of sum(upstream * log_softmax(z))
    p = np.exp(log_softmax(z))
    analytic = upstream - p * upstream.sum(axis=1, keepdims=True)
    assert check_gradients(lambda: float(np.sum(upstream * log_softmax(z))), [z], [analytic])[0].passed


def test_relative_error_and_bad_input():
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(np.ones(3), -np.ones(3)) == 1.0
    with pytest.raises(ValueError, match="different shapes"):
        relative_error(np.zeros(3), np.zeros(2))
    with pytest.raises(TypeError, match="float numpy array"):
        numerical_gradient(lambda: 0.0, np.zeros(3, dtype=int))
    with pytest.raises(ValueError, match="C-contiguous"):
        numerical_gradient(lambda: 0.0, np.zeros((3, 4)).T)
    with pytest.raises(ValueError, match="one gradient per array"):
        check_gradients(lambda: 0.0, [np.zeros(2)], [])
    with pytest.raises(ValueError, match="analytic gradient has shape"):
        check_gradients(lambda: 0.0, [np.zeros(2)], [np.zeros(3)])
    with pytest.raises(ValueError, match="float64 model"):
        check_mlp(MLP([2, 2], rng=0), np.zeros((1, 2)), np.array([0]))


def test_report_prints_noise_level_errors_as_below_the_floor_and_real_ones_with_digits():
    from course_lib.gradcheck import GradCheck

    results = [GradCheck("W1", (2, 3), 3.1e-10, 1e-12, True), GradCheck("b1", (3,), 0.76, 0.5, False)]
    lines = format_report(results).splitlines()
    assert "< 1e-07" in lines[1] and "3.1e-10" not in lines[1] and lines[1].endswith("ok")
    assert "7.6e-01" in lines[2] and lines[2].endswith("WRONG")
    with pytest.raises(ValueError, match="noise_floor"):
        format_report(results, noise_floor=0)


def test_torch_allclose_is_torchs_element_wise_test():
    """|a - n| <= atol + rtol * |n| for every entry, atol 1e-5 and rtol 1e-3 (torch.autograd.gradcheck)."""
    n = np.array([1.0, -2.0, 0.0])
    assert torch_allclose(n + np.array([1.0e-3 + 0.9e-5, 0.0, 0.0]), n)
    assert not torch_allclose(n + np.array([1.0e-3 + 1.1e-5, 0.0, 0.0]), n)
    assert torch_allclose(np.array([1e-6, 0.0, 0.0]), np.zeros(3))  # relative error 1, but below atol
    assert not torch_allclose(np.array([2e-5]), np.zeros(1))
    assert torch_allclose(np.array([2e-5]), np.zeros(1), atol=1e-4)
    with pytest.raises(ValueError, match="different shapes"):
        torch_allclose(np.zeros(2), np.zeros(3))


def test_the_torch_criterion_depends_on_the_scale_of_the_loss_and_the_relative_one_does_not():
    rng = np.random.default_rng(1)
    W, x = rng.normal(size=(3, 2)), rng.normal(size=(4, 3))
    wrong = x.T @ (1 - np.tanh(x @ W))
    for scale in [1.0, 1e-6]:
        def loss(scale=scale):
            return scale * float(np.sum(np.tanh(x @ W)))

        relative = check_gradients(loss, [W], [scale * wrong])[0]
        torch = check_gradients(loss, [W], [scale * wrong], criterion="torch")[0]
        assert not relative.passed and relative.relative_error > 0.5
        assert torch.relative_error == relative.relative_error and torch.torch_passed == torch.passed
        assert torch.passed == (scale < 1e-3)  # below atol, torch's test passes a wrong gradient
    with pytest.raises(ValueError, match="criterion"):
        check_gradients(loss, [W], [wrong], criterion="elementwise")


def test_a_relu_kink_spoils_the_finite_difference_of_a_right_gradient():
    """Chapter 02: a point at the origin with zero biases puts every ReLU on its kink (z = 0); the finite
    difference there is 1/2, backprop's slope 0. bias_init=0.1 moves z off the kink."""
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(size=(8, 2)), np.zeros((1, 2))])
    y = rng.integers(0, 3, 9)
    kinked = {r.name: r for r in check_mlp(MLP([2, 16, 16, 3], rng=0, dtype="float64"), x, y)}
    assert not kinked["b1"].passed and not kinked["b2"].passed and kinked["b1"].relative_error > 1e-2
    assert kinked["W1"].passed and kinked["W2"].passed and kinked["W3"].passed and kinked["b3"].passed
    assert all(r.passed for r in check_mlp(MLP([2, 16, 16, 3], bias_init=0.1, rng=0, dtype="float64"), x, y))


def test_report_with_and_without_the_torch_column():
    from course_lib.gradcheck import GradCheck

    results = [GradCheck("W1", (2, 3), 3.1e-10, 1e-12, True, True), GradCheck("b1", (3,), 0.12, 0.5, False, False)]
    plain = format_report(results).splitlines()
    assert plain[0] == "   array         shape  relative error  verdict"  # the table notebooks 06 and 09 print
    assert plain[1] == "      W1        (2, 3)         < 1e-07  ok"
    wide = format_report(results, torch_column=True).splitlines()
    assert wide[0].endswith("torch test") and wide[1].endswith("ok        ok") and wide[2].endswith("WRONG     fails")
    assert format_report([GradCheck("W", (1,), 0.5, 0.1, False)], torch_column=True).endswith("-")
