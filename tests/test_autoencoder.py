"""course_lib.autoencoder: tied weights get the sum of both uses' gradients, checked numerically."""

import numpy as np
import pytest

from course_lib.autoencoder import Autoencoder, mse_loss
from course_lib.gradcheck import check_gradients
from course_lib.optim import Adam


@pytest.mark.parametrize("tied", [True, False])
@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
def test_gradients_match_finite_differences(tied, activation):
    rng = np.random.default_rng(0)
    x = rng.random((6, 5))
    model = Autoencoder(5, 3, tied=tied, activation=activation, rng=1, dtype="float64")
    model.params[1][...] = 0.1  # keep ReLU units away from the kink at 0
    _, dx_hat = mse_loss(model.forward(x), x)
    grads = model.backward(dx_hat)
    results = check_gradients(lambda: mse_loss(model.forward(x), x)[0], model.params, grads,
                              names=[f"p{i}" for i in range(len(grads))])
    assert all(r.passed for r in results), [(r.name, r.relative_error) for r in results]


def test_tied_gradient_is_the_sum_of_encoder_and_decoder_uses():
    rng = np.random.default_rng(2)
    x = rng.random((4, 6))
    model = Autoencoder(6, 2, tied=True, activation="sigmoid", rng=0, dtype="float64")
    _, dx_hat = mse_loss(model.forward(x), x)
    dW = model.backward(dx_hat)[0]
    _, z, h = model.encode(x)
    W = model.params[0]
    dz = (dx_hat @ W) * h * (1 - h)
    encoder_only, decoder_only = x.T @ dz, (h.T @ dx_hat).T
    np.testing.assert_allclose(dW, encoder_only + decoder_only, rtol=1e-12)
    assert not np.allclose(dW, encoder_only) and not np.allclose(dW, decoder_only)


def test_tied_has_half_the_weights_and_the_decoder_is_the_transpose():
    tied, untied = Autoencoder(784, 32, rng=0), Autoencoder(784, 32, tied=False, rng=0)
    assert sum(p.size for p in tied.params) == 784 * 32 + 32 + 784
    assert sum(p.size for p in untied.params) == 2 * 784 * 32 + 32 + 784
    assert np.shares_memory(tied.decoder_weight, tied.params[0])
    np.testing.assert_array_equal(tied.decoder_weight, tied.params[0].T)


def test_training_reduces_reconstruction_error():
    rng = np.random.default_rng(3)
    basis = rng.normal(size=(3, 12))
    x = rng.normal(size=(200, 3)) @ basis               # data on a 3-D subspace
    model = Autoencoder(12, 3, activation="identity", rng=0, dtype="float64")
    opt = Adam(model.params, lr=0.01)
    first = mse_loss(model.forward(x), x)[0]
    for _ in range(1500):
        _, dx_hat = mse_loss(model.forward(x), x)
        opt.step(model.backward(dx_hat))
    assert mse_loss(model.forward(x), x)[0] < 0.01 * first


def test_bad_input():
    with pytest.raises(ValueError, match="n_hidden"):
        Autoencoder(5, 0)
    with pytest.raises(TypeError, match="n_inputs must be a positive int"):
        Autoencoder(5.0, 2)
    with pytest.raises(TypeError, match="tied"):
        Autoencoder(5, 2, tied="yes")
    model = Autoencoder(5, 2)
    with pytest.raises(ValueError, match=r"shape \(batch, 5\)"):
        model.forward(np.zeros((3, 4)))
    with pytest.raises(RuntimeError, match="forward"):
        model.backward(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="same shape"):
        mse_loss(np.zeros((2, 3)), np.zeros((2, 4)))
