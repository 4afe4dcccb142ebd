"""course_lib.optim: every optimizer and option against an independent scalar implementation of the
torch.optim equations, written here element by element in plain Python floats."""

import itertools
import math

import numpy as np
import pytest

from course_lib.optim import SGD, Adam, AdamW, RMSprop

STEPS = 6
LR_SCHEDULE = [0.1, 0.1, 0.1, 0.05, 0.05, 0.02]  # the learning rate changes between steps


def sgd_scalar(p, grads, lrs, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
    v = None
    for g, lr in zip(grads, lrs):
        g = g + weight_decay * p
        if momentum:
            v = g if v is None else momentum * v + (1 - dampening) * g
            g = g + momentum * v if nesterov else v
        p = p - lr * g
    return p


def rmsprop_scalar(p, grads, lrs, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
    s = m = b = 0.0
    for g, lr in zip(grads, lrs):
        g = g + weight_decay * p
        s = alpha * s + (1 - alpha) * g * g
        if centered:
            m = alpha * m + (1 - alpha) * g
            d = math.sqrt(s - m * m) + eps
        else:
            d = math.sqrt(s) + eps
        if momentum:
            b = momentum * b + g / d
            p = p - lr * b
        else:
            p = p - lr * g / d
    return p


def adam_scalar(p, grads, lrs, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False):
    m = v = 0.0
    for t, (g, lr) in enumerate(zip(grads, lrs), start=1):
        if decoupled:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g * g
        m_hat, v_hat = m / (1 - betas[0] ** t), v / (1 - betas[1] ** t)
        p = p - lr * m_hat / (math.sqrt(v_hat) + eps)
    return p


def run(make_optimizer, reference, options):
    rng = np.random.default_rng(7)
    params = [rng.normal(size=(3, 2)), rng.normal(size=(2,))]
    initial = [p.copy() for p in params]
    grads = [[rng.normal(size=p.shape) for p in params] for _ in range(STEPS)]
    opt = make_optimizer(params, lr=LR_SCHEDULE[0], **options)
    for step in range(STEPS):
        opt.lr = LR_SCHEDULE[step]
        opt.step(grads[step])
    for k, (p, p0) in enumerate(zip(params, initial)):
        expected = np.array([reference(p0[i], [grads[s][k][i] for s in range(STEPS)], LR_SCHEDULE, **options)
                             for i in np.ndindex(p0.shape)]).reshape(p0.shape)
        np.testing.assert_allclose(p, expected, rtol=1e-12, atol=1e-14)


SGD_OPTIONS = [
    dict(momentum=m, dampening=d, nesterov=n, weight_decay=w)
    for m, d, n, w in itertools.product([0.0, 0.9], [0.0, 0.5], [False, True], [0.0, 0.1])
    if not (n and (m == 0 or d != 0)) and not (m == 0 and d != 0)
]


@pytest.mark.parametrize("options", SGD_OPTIONS, ids=str)
def test_sgd_matches_the_torch_equations(options):
    run(SGD, sgd_scalar, options)


RMSPROP_OPTIONS = [
    dict(alpha=a, eps=e, weight_decay=w, momentum=m, centered=c)
    for a, e, w, m, c in itertools.product([0.99, 0.9], [1e-8, 1e-3], [0.0, 0.1], [0.0, 0.5], [False, True])
]


@pytest.mark.parametrize("options", RMSPROP_OPTIONS, ids=str)
def test_rmsprop_matches_the_torch_equations(options):
    run(RMSprop, rmsprop_scalar, options)


ADAM_OPTIONS = [dict(betas=b, eps=e, weight_decay=w)
                for b, e, w in itertools.product([(0.9, 0.999), (0.5, 0.9), (0.0, 0.0)], [1e-8, 1e-2], [0.0, 0.1])]


@pytest.mark.parametrize("options", ADAM_OPTIONS, ids=str)
def test_adam_matches_the_torch_equations(options):
    run(Adam, adam_scalar, options)


def test_adam_eps_where_it_matters():
    """Gradients the size of eps, where its placement decides the step: after the square root of the
    bias-corrected v (PyTorch), which Adam.step computes as eps * sqrt(1 - beta2^t) added to sqrt(v). Keras's
    form (its epsilon added to sqrt(v) itself) differs by far more than the tolerance."""
    rng = np.random.default_rng(3)
    p0 = rng.normal(size=8)
    grads = [rng.normal(size=8) * 1e-8 for _ in range(STEPS)]
    for dtype in (np.float64, np.float32):
        p = p0.astype(dtype)
        opt = Adam([p], lr=LR_SCHEDULE[0], eps=1e-8)
        for step in range(STEPS):
            opt.lr = LR_SCHEDULE[step]
            opt.step([grads[step].astype(dtype)])
        expected = np.array([adam_scalar(p0[i], [float(g[i].astype(dtype)) for g in grads], LR_SCHEDULE, eps=1e-8)
                             for i in range(8)])
        np.testing.assert_allclose(p - p0.astype(dtype), expected - p0, rtol=1e-10 if dtype == np.float64 else 1e-3)
    keras = p0.copy()
    m = v = np.zeros(8)
    for t, (g, lr) in enumerate(zip(grads, LR_SCHEDULE), start=1):
        m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
        keras -= lr * math.sqrt(1 - 0.999**t) / (1 - 0.9**t) * m / (np.sqrt(v) + 1e-8)
    assert np.abs((keras - p0) / (expected - p0) - 1).max() > 0.1


@pytest.mark.parametrize("options", [dict(weight_decay=w, betas=b) for w in (0.0, 0.01, 0.5)
                                     for b in ((0.9, 0.999), (0.8, 0.99))], ids=str)
def test_adamw_matches_the_torch_equations(options):
    run(AdamW, lambda p, g, lrs, **o: adam_scalar(p, g, lrs, decoupled=True, **o), options)


def test_adam_l2_and_adamw_differ():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=5), None
    b = a.copy()
    grads = [rng.normal(size=5) * 100 for _ in range(20)]
    adam, adamw = Adam([a], lr=0.01, weight_decay=0.1), AdamW([b], lr=0.01, weight_decay=0.1)
    for g in grads:
        adam.step([g])
        adamw.step([g])
    assert np.abs(a - b).max() > 1e-3


def test_adamw_default_weight_decay_is_pytorchs():
    assert AdamW([np.zeros(2)]).weight_decay == 0.01 and Adam([np.zeros(2)]).weight_decay == 0.0


@pytest.mark.parametrize("make", [lambda p: SGD(p, lr=0.1, momentum=0.9, nesterov=True),
                                  lambda p: RMSprop(p, lr=0.01, momentum=0.5, centered=True),
                                  lambda p: Adam(p, lr=0.01), lambda p: AdamW(p, lr=0.01)])
def test_state_dict_resumes_bit_for_bit(make):
    rng = np.random.default_rng(1)
    params = [rng.normal(size=(4, 3)), rng.normal(size=3)]
    grads = [[rng.normal(size=p.shape) for p in params] for _ in range(10)]
    opt = make(params)
    for g in grads[:5]:
        opt.step(g)
    saved_params, saved_state = [p.copy() for p in params], opt.state_dict()
    for g in grads[5:]:
        opt.step(g)
    resumed_params = [p.copy() for p in saved_params]
    resumed = make(resumed_params)
    resumed.load_state_dict(saved_state)
    for g in grads[5:]:
        resumed.step(g)
    for p, q in zip(params, resumed_params):
        np.testing.assert_array_equal(p, q)
    for saved, live in zip(saved_state["state"], resumed.state):  # copies, not views of the live state
        assert all(not np.shares_memory(saved[k], live[k]) for k in live if isinstance(live[k], np.ndarray))


def test_load_state_dict_bad_input():
    opt = Adam([np.zeros((2, 2))], lr=0.1)
    opt.step([np.ones((2, 2))])
    other = Adam([np.zeros(3)], lr=0.1)
    with pytest.raises(ValueError, match=r"state 'exp_avg' of parameter 0 has shape \(2, 2\)"):
        other.load_state_dict(opt.state_dict())
    with pytest.raises(ValueError, match="other hyperparameters"):
        SGD([np.zeros((2, 2))], lr=0.1).load_state_dict(opt.state_dict())
    with pytest.raises(ValueError, match="keys 'hyperparameters' and 'state'"):
        opt.load_state_dict({"state": []})


def test_state_is_per_parameter():
    """One optimizer for two layers of different shapes: each keeps its own moments (the shared-state myth)."""
    W1, W2 = np.zeros((4, 3)), np.zeros((3, 2))
    opt = Adam([W1, W2], lr=0.1)
    opt.step([np.ones((4, 3)), np.ones((3, 2))])
    assert opt.state[0]["exp_avg"].shape == (4, 3) and opt.state[1]["exp_avg"].shape == (3, 2)


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda p: Adam(p, lr=-1), ValueError, "lr must be >= 0"),
        (lambda p: Adam(p, betas=(1.0, 0.999)), ValueError, r"betas\[0\] must be in \[0, 1\)"),
        (lambda p: Adam(p, betas=(0.9, -0.1)), ValueError, r"betas\[1\] must be in \[0, 1\)"),
        (lambda p: Adam(p, betas=0.9), ValueError, "betas must be a pair"),
        (lambda p: Adam(p, eps=0), ValueError, "eps must be > 0"),
        (lambda p: AdamW(p, eps=-1e-8), ValueError, "eps must be > 0"),
        (lambda p: RMSprop(p, alpha=1.0), ValueError, r"alpha must be in \[0, 1\)"),
        (lambda p: RMSprop(p, eps=0.0), ValueError, "eps must be > 0"),
        (lambda p: SGD(p, lr=0.1, nesterov=True), ValueError, "nesterov needs momentum > 0"),
        (lambda p: SGD(p, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), ValueError, "dampening = 0"),
        (lambda p: SGD(p, lr=0.1, momentum=-0.5), ValueError, "momentum must be >= 0"),
        (lambda p: SGD(p, lr=0.1, nesterov=1), TypeError, "nesterov must be True or False"),
    ],
)
def test_bad_hyperparameters(make, error, match):
    with pytest.raises(error, match=match):
        make([np.zeros(2)])


@pytest.mark.parametrize("make", [lambda p: SGD(p, lr=0.1, momentum=0.9), lambda p: RMSprop(p),
                                  lambda p: Adam(p), lambda p: AdamW(p)])
def test_bad_gradients_change_nothing(make):
    params = [np.ones((2, 2)), np.ones(2)]
    opt = make(params)
    opt.step([np.ones((2, 2)), np.ones(2)])
    before_params, before_state = [p.copy() for p in params], opt.state_dict()
    for grads, match in [([np.ones((2, 2))], "grads has 1 arrays"), ([np.ones((2, 3)), np.ones(2)], "shape"),
                         ([np.ones((2, 2), dtype=np.float32), np.ones(2)], "dtype"),
                         ([np.full((2, 2), np.nan), np.ones(2)], "nan or inf")]:
        with pytest.raises(ValueError, match=match):
            opt.step(grads)
    for p, q in zip(params, before_params):
        np.testing.assert_array_equal(p, q)
    for s, t in zip(opt.state, before_state["state"]):
        for key in s:
            np.testing.assert_array_equal(s[key], t[key])


# --------------------------------------------------------------------------------------------------
# Optimizers on an MLP
# --------------------------------------------------------------------------------------------------

import copy  # noqa: E402

from course_lib.nn import MLP, _all_finite, softmax_cross_entropy  # noqa: E402


def batches(model, steps, seed=0):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        x = rng.normal(size=(16, model.sizes[0]))
        y = rng.integers(0, model.sizes[-1], size=16)
        yield x, y


def test_a_deep_copy_of_model_and_optimizer_trains_on_its_own():
    model = MLP([5, 6, 3], rng=0)
    opt = Adam(model.params, lr=0.01)
    data = list(batches(model, 6))
    for x, y in data[:3]:
        opt.step(model.backward(softmax_cross_entropy(model.forward(x), y)[1]))
    model_copy, opt_copy = copy.deepcopy((model, opt))
    before = [p.copy() for p in model.params]
    for x, y in data[3:]:
        opt_copy.step(model_copy.backward(softmax_cross_entropy(model_copy.forward(x), y)[1]))
    for p, q in zip(model.params, before):
        np.testing.assert_array_equal(p, q)  # the original did not move
    for x, y in data[3:]:
        opt.step(model.backward(softmax_cross_entropy(model.forward(x), y)[1]))
    for p, q in zip(model.params, model_copy.params):
        np.testing.assert_array_equal(p, q)  # and the copy moved as the original does


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_all_finite(dtype):
    a = np.ones((30, 20), dtype=dtype)
    assert _all_finite(a)
    for bad in (np.nan, np.inf, -np.inf):
        b = a.copy()
        b[7, 3] = bad
        assert not _all_finite(b)
    huge = np.full((4, 5), np.finfo(dtype).max / 2, dtype=dtype)  # finite, though their sum overflows
    assert _all_finite(huge) and _all_finite(a[:, ::3]) and _all_finite(np.zeros((0, 3), dtype=dtype))


@pytest.mark.parametrize("make", [lambda p: SGD(p, lr=0.05, momentum=0.9, nesterov=True),
                                  lambda p: RMSprop(p, lr=0.01, momentum=0.5, centered=True),
                                  lambda p: Adam(p, lr=0.01, weight_decay=0.1), lambda p: AdamW(p, lr=0.01)])
def test_optimizers_on_an_mlp_equal_the_scalar_equations(make):
    """On a real MLP (gradient arrays that backward overwrites at every call), each parameter follows the
    scalar reference of its optimizer: no state is shared between parameters or steps that should not be."""
    model = MLP([5, 6, 3], rng=0, dtype="float64")
    opt = make(model.params)
    start, seen = [p.copy() for p in model.params], []
    for x, y in batches(model, 8):
        grads = model.backward(softmax_cross_entropy(model.forward(x), y)[1])
        seen.append([g.copy() for g in grads])
        opt.step(grads)
    hyper = opt.state_dict()["hyperparameters"]
    reference = {SGD: sgd_scalar, RMSprop: rmsprop_scalar, Adam: adam_scalar, AdamW: adam_scalar}[type(opt)]
    kwargs = {k: v for k, v in hyper.items() if k != "lr"}
    if isinstance(opt, Adam):
        kwargs["decoupled"] = isinstance(opt, AdamW)
    for i, p0 in enumerate(start):
        for index in [(0,) * p0.ndim, tuple(s - 1 for s in p0.shape)]:
            expected = reference(float(p0[index]), [float(g[i][index]) for g in seen], [hyper["lr"]] * 8, **kwargs)
            assert float(model.params[i][index]) == pytest.approx(expected, rel=1e-12, abs=1e-15)
