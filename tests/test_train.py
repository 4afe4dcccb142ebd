"""course_lib.train: the mini-batch loop and its history."""

import numpy as np
import pytest

from course_lib import data
from course_lib.nn import MLP
from course_lib.optim import SGD
from course_lib.schedules import Scheduler, cosine_annealing
from course_lib.train import evaluate, train


def test_training_on_moons_reaches_97_percent():
    x, y = data.moons(n=400, noise=0.1, rng=0)
    x_val, y_val = data.moons(n=200, noise=0.1, rng=1)
    model = MLP([2, 32, 32, 2], rng=0, dtype="float64")
    history = train(model, SGD(model.params, lr=0.3), x, y, epochs=60, batch_size=32, rng=0,
                    x_val=x_val, y_val=y_val, progress=False)
    assert history.accuracy[-1] >= 0.97 and history.val_accuracy[-1] >= 0.97
    assert history.loss[-1] < history.loss[0] / 5
    assert evaluate(model, x_val, y_val)[1] == history.val_accuracy[-1]


def test_history_records_per_step_and_per_epoch():
    x, y = data.xor(n=100, rng=0)
    model = MLP([2, 8, 2], rng=0)
    opt = SGD(model.params, lr=0.1)
    history = train(model, opt, x, y, epochs=3, batch_size=32, rng=0,
                    scheduler=Scheduler(opt, cosine_annealing(0.1, 12)), progress=False)
    steps = 3 * 4  # ceil(100 / 32) = 4 batches per epoch
    assert len(history.loss) == len(history.accuracy) == 3 and history.val_loss == []
    assert len(history.lr) == len(history.grad_norm) == len(history.update_ratio) == steps
    assert history.lr[0] == pytest.approx(0.1) and history.lr[6] == pytest.approx(0.05)
    assert all(len(r) == 2 and all(v > 0 for v in r) for r in history.update_ratio)


def test_update_ratio_is_the_relative_change_of_the_weights():
    x, y = data.xor(n=32, rng=0)
    model = MLP([2, 4, 2], rng=0, dtype="float64")
    W_before = model.params[0].copy()
    history = train(model, SGD(model.params, lr=0.5), x, y, epochs=1, batch_size=32, rng=0, progress=False)
    expected = np.linalg.norm(model.params[0] - W_before) / np.linalg.norm(W_before)
    assert history.update_ratio[0][0] == pytest.approx(expected)


def test_shuffling_is_seeded():
    x, y = data.moons(n=100, rng=0)

    def run(seed):
        model = MLP([2, 8, 2], rng=0)
        return train(model, SGD(model.params, lr=0.1), x, y, epochs=2, batch_size=10, rng=seed, progress=False).loss

    assert run(5) == run(5) and run(5) != run(6)


def test_clipping_caps_the_gradient_and_divergence_stops_training():
    x, y = data.moons(n=200, rng=0)
    model = MLP([2, 16, 2], rng=0, dtype="float64")
    history = train(model, SGD(model.params, lr=0.1), x, y, epochs=2, rng=0, clip_norm=1e-3, progress=False)
    assert max(history.grad_norm) > 1e-3  # recorded before clipping
    model = MLP([2, 64, 64, 2], rng=0, dtype="float32")
    history = train(model, SGD(model.params, lr=1e6), x * 100, y, epochs=5, rng=0, progress=False)
    assert history.diverged_at_step is not None and len(history.loss) < 5


def test_progress_line_on_a_terminal(capsys):
    x, y = data.xor(n=40, rng=0)
    model = MLP([2, 4, 2], rng=0)
    train(model, SGD(model.params, lr=0.1), x, y, epochs=2, rng=0, progress=True)
    err = capsys.readouterr().err
    assert "epoch 2/2 [====================] loss" in err


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"epochs": 0}, ValueError, "epochs must be a positive int"),
        ({"batch_size": 0}, ValueError, "batch_size must be a positive int"),
        ({"x": np.zeros((5, 3))}, ValueError, r"x must be an array of shape \(n, 2\)"),
        ({"y": np.zeros(5)}, ValueError, "labels of x must be 10 integers"),
        ({"x_val": np.zeros((4, 2))}, ValueError, "give both x_val and y_val"),
        ({"model": "mlp"}, TypeError, "model must be a course_lib.nn.MLP"),
        ({"optimizer": "other"}, ValueError, "optimizer must be built on model.params"),
    ],
)
def test_bad_input(kwargs, error, match):
    model = MLP([2, 4, 2], rng=0)
    args = {"model": model, "optimizer": SGD(model.params, lr=0.1), "x": np.zeros((10, 2)),
            "y": np.zeros(10, dtype=int), "epochs": 1, "progress": False}
    if kwargs.get("optimizer") == "other":
        kwargs = {"optimizer": SGD(MLP([2, 4, 2], rng=0).params, lr=0.1)}
    args.update(kwargs)
    with pytest.raises(error, match=match):
        train(**args)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("options", [{}, {"clip_norm": 0.5}], ids=["plain", "clipped"])
def test_reused_gradient_arrays_do_not_change_what_train_computes(dtype, options):
    """MLP.backward writes into the same arrays at every call and Adam updates all parameters at once
    from them; a reference loop with new gradient arrays at every step and the per-parameter update
    gives the same parameters, bit for bit, and the same history."""
    import copy

    from course_lib.clip import clip_grad_norm
    from course_lib.nn import softmax_cross_entropy
    from course_lib.optim import Adam

    x, y = data.spirals(n=150, rng=0)
    model = MLP([2, 16, 16, 3], rng=0, dtype=dtype)
    reference = copy.deepcopy(model)
    reference.params = [p.copy() for p in model.params]  # separate arrays: the per-parameter path
    history = train(model, Adam(model.params, lr=0.01), x, y, epochs=3, batch_size=32, rng=0, progress=False,
                    **options)

    opt, rng, losses = Adam(reference.params, lr=0.01), np.random.default_rng(0), []
    for _ in range(3):
        order = rng.permutation(len(y))
        for start in range(0, len(y), 32):
            batch = order[start:start + 32]
            loss, dlogits = softmax_cross_entropy(reference.forward(x[batch]), y[batch])
            grads = [g.copy() for g in reference.backward(dlogits)]  # new arrays every step
            if options:
                clip_grad_norm(grads, options["clip_norm"])
            opt.step(grads)
            losses.append(loss * len(batch))
    for p, q in zip(model.params, reference.params):
        np.testing.assert_array_equal(p, q)
    assert history.loss[-1] == float(np.sum(losses[-5:]) / len(y))


# --------------------------------------------------------------------------------------------------
# train_step: the one step that train(), the experiments, fine-tuning and the benchmarks share
# --------------------------------------------------------------------------------------------------

from course_lib.nn import softmax_cross_entropy  # noqa: E402
from course_lib.regularization import L1, L2, soft_threshold  # noqa: E402
from course_lib.train import train_step  # noqa: E402


def _batch(n=16, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 2)), rng.integers(0, 2, size=n)


def test_train_step_is_forward_loss_backward_step():
    x, y = _batch()
    model, reference = MLP([2, 8, 2], rng=0, dtype="float64"), MLP([2, 8, 2], rng=0, dtype="float64")
    opt, reference_opt = SGD(model.params, lr=0.1, momentum=0.9), SGD(reference.params, lr=0.1, momentum=0.9)
    for _ in range(3):
        logits = reference.forward(x)
        loss, dlogits = softmax_cross_entropy(logits, y)
        reference_opt.step(reference.backward(dlogits))
        step = train_step(model, opt, x, y)
        assert step.loss == loss and step.correct == int(np.sum(logits.argmax(axis=1) == y))
        assert step.grad_norm is None and step.update_ratio is None and step.penalty is None
        for p, q in zip(model.params, reference.params):
            np.testing.assert_array_equal(p, q)


def test_train_step_diagnostics_and_clipping():
    x, y = _batch()
    model = MLP([2, 8, 2], rng=0, dtype="float64")
    before = [W.copy() for W in model.weights]
    step = train_step(model, SGD(model.params, lr=0.1), x, y, diagnostics=True)
    assert step.grad_norm > 0 and len(step.update_ratio) == 2
    for ratio, W, W0 in zip(step.update_ratio, model.weights, before):
        assert ratio == pytest.approx(np.linalg.norm(W - W0) / np.linalg.norm(W0))
    clipped = train_step(model, SGD(model.params, lr=0.1), x, y, clip_norm=1e-3)
    assert clipped.grad_norm > 1e-3  # the norm before clipping is reported


def test_train_step_reports_divergence_and_changes_nothing():
    x, y = _batch()
    model = MLP([2, 8, 2], rng=0, dtype="float64")
    model.params[0][...] = 1e300
    before = [p.copy() for p in model.params]
    assert train_step(model, SGD(model.params, lr=0.1), x * 1e10, y) is None
    for p, q in zip(model.params, before):
        np.testing.assert_array_equal(p, q)


def test_train_step_with_a_penalty_adds_its_gradient():
    x, y = _batch()
    model, reference = MLP([2, 8, 2], rng=0, dtype="float64"), MLP([2, 8, 2], rng=0, dtype="float64")
    step = train_step(model, SGD(model.params, lr=0.1), x, y, penalty=L2(0.01))
    _, dlogits = softmax_cross_entropy(reference.forward(x), y)
    grads = [g + (0.01 * p if p.ndim == 2 else 0) for g, p in zip(reference.backward(dlogits), reference.params)]
    SGD(reference.params, lr=0.1).step(grads)
    for p, q in zip(model.params, reference.params):
        np.testing.assert_array_equal(p, q)
    assert step.penalty == pytest.approx(0.005 * sum(float(np.sum(W**2)) for W in MLP([2, 8, 2], rng=0).weights),
                                         rel=1e-6)


def test_train_step_with_proximal_l1_gives_exact_zeros():
    x, y = _batch()
    model, reference = MLP([2, 8, 2], rng=0, dtype="float64"), MLP([2, 8, 2], rng=0, dtype="float64")
    train_step(model, SGD(model.params, lr=0.5), x, y, penalty=L1(0.5, proximal=True))
    _, dlogits = softmax_cross_entropy(reference.forward(x), y)
    SGD(reference.params, lr=0.5).step(reference.backward(dlogits))
    for p, q in zip(model.params, reference.params):
        expected = soft_threshold(q, 0.5 * 0.5) if q.ndim == 2 else q  # biases are not penalized
        np.testing.assert_array_equal(p, expected)
    assert np.mean(model.weights[0] == 0) > 0.2  # exact zeros


def test_train_step_trainable_drops_the_frozen_gradients():
    x, y = _batch()
    model = MLP([2, 8, 2], rng=0, dtype="float64")
    frozen = [p.copy() for p in model.params[:2]]
    opt = SGD(model.params[2:], lr=0.1)
    train_step(model, opt, x, y, trainable=[2, 3])
    for p, q in zip(model.params[:2], frozen):
        np.testing.assert_array_equal(p, q)


def test_train_equals_a_loop_of_train_steps():
    x, y = _batch(64, seed=3)
    model, reference = MLP([2, 8, 2], rng=0), MLP([2, 8, 2], rng=0)
    history = train(model, SGD(model.params, lr=0.1), x, y, epochs=2, batch_size=16, rng=5, progress=False)
    opt, rng, losses = SGD(reference.params, lr=0.1), np.random.default_rng(5), []
    for _ in range(2):
        order, total = rng.permutation(64), 0.0
        for start in range(0, 64, 16):
            batch = order[start:start + 16]
            total += train_step(reference, opt, x[batch], y[batch]).loss * 16
        losses.append(total / 64)
    assert history.loss == losses
    for p, q in zip(model.params, reference.params):
        np.testing.assert_array_equal(p, q)
    fast = MLP([2, 8, 2], rng=0)
    quiet = train(fast, SGD(fast.params, lr=0.1), x, y, epochs=2, batch_size=16, rng=5, progress=False,
                  diagnostics=False)
    assert quiet.loss == history.loss and quiet.grad_norm == [] and quiet.update_ratio == []
