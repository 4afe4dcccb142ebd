"""course_lib.cnn.CNN: shapes, the MLP's interface, a whole-network gradient check, training with train()."""

import numpy as np
import pytest

from course_lib import init
from course_lib.cnn import CNN
from course_lib.gradcheck import numerical_gradient, relative_error
from course_lib.nn import MLP, softmax_cross_entropy
from course_lib.optim import SGD, Adam
from course_lib.train import evaluate, train


def test_default_shapes_and_parameter_count():
    model = CNN(rng=0)
    assert [p.shape for p in model.params] == [(8, 1, 5, 5), (8,), (16, 8, 5, 5), (16,), (256, 10), (10,)]
    assert model.feature_shape == (16, 4, 4)
    assert sum(p.size for p in model.params) == 8 * 25 + 8 + 16 * 8 * 25 + 16 + 256 * 10 + 10
    assert all(p.dtype == np.float32 for p in model.params)
    assert [w.shape for w in model.weights] == [(8, 1, 5, 5), (16, 8, 5, 5), (256, 10)]
    assert all(np.all(b == 0) for b in model.biases)
    hidden = CNN(channels=(4, 6), hidden=(32,), rng=0)
    assert [p.shape for p in hidden.params][4:] == [(96, 32), (32,), (32, 10), (10,)]


def test_he_initialization_uses_the_receptive_field_fan():
    model = CNN(channels=(32, 64), rng=0, dtype="float64")
    W1, W2, W3 = model.weights
    assert W1.std() == pytest.approx(np.sqrt(2 / 25), rel=0.1)  # fan_in = 1 * 5 * 5
    assert W2.std() == pytest.approx(np.sqrt(2 / (32 * 25)), rel=0.02)  # fan_in = 32 * 5 * 5
    assert W3.std() == pytest.approx(np.sqrt(2 / 1024), rel=0.05)  # dense: fan_in = 64 * 4 * 4
    same = CNN(channels=(32, 64), rng=0, dtype="float64")
    assert all(np.array_equal(p, q) for p, q in zip(model.params, same.params))
    other = CNN(channels=(32, 64), init="xavier_uniform", rng=0, dtype="float64")
    bound = np.sqrt(6 / (32 * 25 + 64 * 25))  # Xavier with the conv fans
    assert np.abs(other.weights[1]).max() <= bound and np.abs(other.weights[1]).max() > 0.99 * bound


def test_forward_shapes_and_flattened_input():
    rng = np.random.default_rng(0)
    model = CNN(rng=0)
    x = rng.random((5, 1, 28, 28), dtype=np.float32)
    logits = model.forward(x)
    assert logits.shape == (5, 10) and logits.dtype == np.float32
    np.testing.assert_array_equal(model.forward(x.reshape(5, 784)), logits)
    np.testing.assert_array_equal(model.predict(x), logits.argmax(axis=1))
    np.testing.assert_allclose(model.logits(x), logits, rtol=1e-6)
    assert model.features(x).shape == (5, 16, 4, 4)
    assert model.features(x, 1).shape == (5, 8, 12, 12)
    assert np.all(model.features(x, 1) >= 0)  # after the ReLU
    np.testing.assert_array_equal(model.forward((x * 255).astype(np.uint8)).shape, (5, 10))  # ints are cast


def test_predict_in_batches_matches_one_pass():
    x = np.random.default_rng(1).random((23, 784), dtype=np.float32)
    model = CNN(rng=1)
    np.testing.assert_array_equal(model.predict(x, batch_size=5), model.forward(x).argmax(axis=1))


def test_whole_network_gradient_check_float64():
    """Every parameter's gradient against central differences of the loss, on a small float64 network with two
    input channels, a non-square image (whose odd pooled sizes drop a row or column) and a hidden dense layer."""
    rng = np.random.default_rng(2)
    model = CNN(channels=(3, 4), kernel_size=3, hidden=(6,), input_shape=(2, 12, 10), rng=3, dtype="float64")
    for b in model.biases:
        b[:] = rng.normal(0, 0.1, b.shape)  # non-zero biases: their gradients are checked too
    x = rng.standard_normal((3, 2, 12, 10))
    y = np.array([1, 4, 7])

    def loss():
        return softmax_cross_entropy(model.forward(x), y)[0]

    _, dlogits = softmax_cross_entropy(model.forward(x), y)
    grads = model.backward(dlogits)
    assert [g.shape for g in grads] == [p.shape for p in model.params]
    for i, (p, g) in enumerate(zip(model.params, grads)):
        assert relative_error(g, numerical_gradient(loss, p)) < 1e-6, f"params[{i}] {p.shape}"


def test_copy_is_independent():
    model = CNN(channels=(2, 3), rng=0)
    twin = model.copy()
    assert all(np.array_equal(p, q) for p, q in zip(model.params, twin.params))
    twin.params[0] += 1
    assert not np.array_equal(model.params[0], twin.params[0])
    assert repr(twin) == repr(model)


def synthetic_bars(n, rng):
    """12x12 images holding one bright bar, horizontal (class 0) or vertical (class 1), at a random place,
    plus noise: a dense layer on raw pixels cannot share what it learns across positions; a conv can."""
    x = rng.normal(0, 0.3, (n, 1, 12, 12)).astype(np.float32)
    y = rng.integers(0, 2, n)
    for k in range(n):
        r, c = rng.integers(1, 11, 2)
        if y[k] == 0:
            x[k, 0, r, max(c - 3, 0):c + 3] += 2.0
        else:
            x[k, 0, max(r - 3, 0):r + 3, c] += 2.0
    return x, y


def test_trains_with_train_and_the_optimizers():
    rng = np.random.default_rng(0)
    x, y = synthetic_bars(600, rng)
    x_val, y_val = synthetic_bars(200, rng)
    model = CNN(channels=(4, 8), kernel_size=3, num_classes=2, input_shape=(1, 12, 12), rng=0)
    val_loss_before = evaluate(model, x_val, y_val)[0]
    history = train(model, Adam(model.params, lr=0.01), x, y, epochs=4, batch_size=32, rng=0, x_val=x_val,
                    y_val=y_val, progress=False)
    assert history.loss[-1] < 0.5 * history.loss[0]
    assert history.val_loss[-1] < 0.5 * val_loss_before
    assert history.val_accuracy[-1] > 0.9
    assert len(history.update_ratio[0]) == 3  # diagnostics: one ratio per weight array (2 conv, 1 dense)
    flat = CNN(channels=(4, 8), kernel_size=3, num_classes=2, input_shape=(1, 12, 12), rng=0)
    history = train(flat, SGD(flat.params, lr=0.05, momentum=0.9), x.reshape(600, 144), y, epochs=2,
                    batch_size=32, rng=0, progress=False)
    assert history.loss[-1] < history.loss[0]


def test_train_checks_the_cnn_input_shape_and_keeps_the_mlp_message():
    model = CNN(rng=0)
    opt = SGD(model.params, lr=0.1)
    with pytest.raises(ValueError, match=r"x must be an array of shape \(n, 1, 28, 28\) or \(n, 784\)"):
        train(model, opt, np.zeros((4, 1, 28, 27)), np.zeros(4, int), epochs=1, progress=False)
    mlp = MLP([784, 10], rng=0)
    with pytest.raises(ValueError, match=r"x must be an array of shape \(n, 784\), got \(4, 1, 28, 28\)"):
        train(mlp, SGD(mlp.params, lr=0.1), np.zeros((4, 1, 28, 28)), np.zeros(4, int), epochs=1, progress=False)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"channels": ()}, ValueError, "channels must list at least one conv layer"),
        ({"channels": (8, 0)}, ValueError, r"channels\[1\] must be a positive int"),
        ({"channels": (8.0, 16)}, TypeError, r"channels\[0\] must be a positive int"),
        ({"kernel_size": 0}, ValueError, "kernel_size must be a positive int"),
        ({"pool": 2.5}, TypeError, "pool must be a positive int"),
        ({"hidden": (0,)}, ValueError, r"hidden\[0\] must be a positive int"),
        ({"input_shape": (28, 28)}, ValueError, r"input_shape must be \(C, H, W\)"),
        ({"input_shape": (1, 12, 12)}, ValueError, "input_shape .* is too small: the conv of block 2"),
        ({"dtype": "float16"}, ValueError, "dtype must be one of"),
        ({"init": "hee"}, ValueError, "unknown initializer 'hee'"),
    ],
)
def test_bad_constructor_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        CNN(**kwargs)


def test_bad_forward_and_backward_input():
    model = CNN(rng=0)
    with pytest.raises(TypeError, match="x must be a numpy array"):
        model.forward([[0.0] * 784])
    with pytest.raises(ValueError, match=r"x must have shape \(batch, 1, 28, 28\) or \(batch, 784\)"):
        model.forward(np.zeros((2, 3, 28, 28)))
    with pytest.raises(ValueError, match="x contains nan or inf"):
        model.forward(np.full((2, 784), np.nan))
    with pytest.raises(RuntimeError, match="call forward"):
        CNN(rng=0).backward(np.zeros((2, 10)))
    model.forward(np.zeros((2, 784)))
    with pytest.raises(ValueError, match=r"dlogits must have the logits' shape \(2, 10\)"):
        model.backward(np.zeros((3, 10)))


def test_init_accepts_the_conv_shapes_the_model_asks_for():
    """The model asks course_lib.init for 4-D shapes; any initializer name works."""
    for name in ("kaiming_uniform", "lecun_normal", "orthogonal", "xavier_normal"):
        model = CNN(channels=(4, 8), init=name, rng=0)
        assert model.weights[0].shape == (4, 1, 5, 5)
        assert init.fan_in_and_fan_out(model.weights[1].shape) == (4 * 25, 8 * 25)


@pytest.mark.parametrize("layer", [0, 1])
def test_without_filters_removes_whole_filters_and_what_read_them(layer):
    """The pruned network equals the original with those filters' weights and biases set to zero (a removed
    channel contributed nothing), and it is smaller."""
    rng = np.random.default_rng(5)
    model = CNN(channels=(4, 6), hidden=(8,), rng=0, dtype="float64")
    for b in model.biases:
        b[:] = rng.normal(0, 0.1, b.shape)
    drop = [1, 3]
    pruned = model.without_filters(layer, drop)
    assert pruned.channels[layer] == model.channels[layer] - 2
    assert sum(p.size for p in pruned.params) < sum(p.size for p in model.params)
    zeroed = model.copy()
    zeroed.params[2 * layer][drop] = 0.0
    zeroed.params[2 * layer + 1][drop] = 0.0
    x = rng.random((3, 784))
    np.testing.assert_allclose(pruned.forward(x), zeroed.forward(x), rtol=1e-12, atol=1e-12)
    kept = [o for o in range(model.channels[layer]) if o not in drop]
    np.testing.assert_array_equal(pruned.filter_norms(layer), model.filter_norms(layer)[kept])
    assert model.filter_norms(layer)[0] == pytest.approx(np.abs(model.weights[layer][0]).sum())


def test_without_filters_bad_input():
    model = CNN(channels=(2, 3), rng=0)
    with pytest.raises(ValueError, match=r"filters must be indices in \[0, 3\)"):
        model.without_filters(1, [3])
    with pytest.raises(ValueError, match="would remove all 2 filters of layer 0"):
        model.without_filters(0, [0, 1])
    with pytest.raises(ValueError, match=r"layer must be an int in \[0, 1\]"):
        model.without_filters(2, [0])


def test_the_batch_last_layout_computes_the_nchw_network():
    """The CNN works in CHWN inside; its logits, features and gradients are those of the same network written in
    PyTorch's NCHW with course_lib.conv's default layout (float64, so that only rounding can differ)."""
    from course_lib.conv import conv2d, conv2d_backward, max_pool2d, max_pool2d_backward

    rng = np.random.default_rng(5)
    model = CNN(channels=(3, 4), kernel_size=3, hidden=(6,), input_shape=(2, 12, 10), rng=3, dtype="float64")
    for b in model.biases:
        b[:] = rng.normal(0, 0.1, b.shape)
    x = rng.standard_normal((5, 2, 12, 10))
    y = np.array([1, 4, 7, 0, 2])
    (W1, b1, W2, b2, W3, b3, W4, b4) = model.params
    z1 = conv2d(x, W1, b1)
    p1, i1 = max_pool2d(z1, 2, return_indices=True)
    a1 = np.maximum(p1, 0)
    z2 = conv2d(a1, W2, b2)
    p2, i2 = max_pool2d(z2, 2, return_indices=True)
    a2 = np.maximum(p2, 0)
    f = a2.reshape(5, -1)  # NCHW flattening: (c, h, w)
    h = np.maximum(f @ W3 + b3, 0)
    logits = h @ W4 + b4
    np.testing.assert_allclose(model.forward(x), logits, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(model.features(x), a2, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(model.features(x, 1), a1, rtol=1e-12, atol=1e-12)
    assert model.features(x).flags.c_contiguous

    _, dlogits = softmax_cross_entropy(logits, y)
    dh = (dlogits @ W4.T) * (h > 0)
    df = dh @ W3.T
    dz2 = max_pool2d_backward(df.reshape(a2.shape) * (p2 > 0), z2, 2, indices=i2)
    da1, dW2, db2 = conv2d_backward(dz2, a1, W2)
    dz1 = max_pool2d_backward(da1 * (p1 > 0), z1, 2, indices=i1)
    _, dW1, db1 = conv2d_backward(dz1, x, W1)
    expected = [dW1, db1, dW2, db2, f.T @ dh, dh.sum(0), h.T @ dlogits, dlogits.sum(0)]
    model.forward(x)
    for i, (g, e) in enumerate(zip(model.backward(dlogits), expected)):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-12, err_msg=f"params[{i}]")
