"""Chapter 05 (Adam): the experiments behind the chapter's claims, and the numbers behind the optimizer explorer.

    decay_without_curvature      Adam + L2 against AdamW (and SGD, the control) on weights whose loss is flat
    loshchilov_hutter_adamw      Algorithm 2 of Loshchilov & Hutter (2019), line by line, to compare with AdamW
    lr_sweep, make_optimizer     a learning-rate sweep per optimizer on the spirals, before the race
    rotated_valley_sweep         the same ill-conditioned quadratic, axis-aligned and rotated
    optimizer_race               five optimizers on one surface (the explorer)
"""

import numpy as np

from .._checks import as_float, as_int, as_rng, choose

__all__ = ["optimizer_race", "RACE_SCALES", "RACE_START",
           "DECAY_OPTIMIZERS", "decay_without_curvature", "loshchilov_hutter_adamw",
           "SWEEP_OPTIMIZERS", "SWEEP_LRS", "make_optimizer", "lr_sweep",
           "VALLEY_OPTIMIZERS", "VALLEY_LRS", "rotated_valley", "rotated_valley_sweep"]

RACE_SCALES = np.array([1.0, 25.0])  # f(w) = 1/2 (w1^2 + 25 w2^2): axis-aligned, condition number 25
RACE_START = (-2.5, 1.5)


# --------------------------------------------------------------------------------------------------
# Adam + L2 against AdamW, where the loss has no curvature
# --------------------------------------------------------------------------------------------------

DECAY_OPTIMIZERS = ("Adam + L2", "AdamW", "SGD + L2", "SGD, decoupled decay")


def decay_without_curvature(sigmas=(10.0, 0.01), lr=0.01, weight_decay=0.1, steps=5000, checkpoints=None,
                            weights_per_sigma=1000, rng=None):
    """How fast weight decay shrinks weights whose loss is flat, under each of DECAY_OPTIMIZERS.

    Every weight starts at 1 and its loss gradient is pure noise, g ~ N(0, sigma^2), with no curvature, so
    only the decay moves the weights' mean. ``weights_per_sigma`` weights share each sigma, in pairs of twins that
    get opposite noise, so that the noise cancels in the mean; all optimizers see the same noise. The decay term
    lambda * w is

        Adam + L2             added to g, then divided by sqrt(v_hat) ~ sigma: the mean shrinks by about
                              lr * lambda / sigma per step (while lambda |w| << sigma)
        AdamW                 w <- w (1 - lr * lambda) (Loshchilov & Hutter 2019, as torch.optim.AdamW):
                              lr * lambda per step, whatever sigma
        SGD + L2              added to g: w <- w - lr (g + lambda w) = (1 - lr lambda) w - lr g
        SGD, decoupled decay  w <- w (1 - lr lambda), then w <- w - lr g: the same update as SGD + L2

    Returns ``(checkpoints, means)``: the steps at which the means were taken (from 0) and a dict
    {optimizer: array (len(checkpoints), len(sigmas)) of the mean weight per sigma}.
    """
    from ..optim import SGD, Adam, AdamW

    sigmas = np.array([as_float(s, "sigmas", positive=True) for s in sigmas])
    lr, weight_decay = as_float(lr, "lr", positive=True), as_float(weight_decay, "weight_decay", nonnegative=True)
    steps = as_int(steps, "steps", low=1)
    n = as_int(weights_per_sigma, "weights_per_sigma", low=1)
    checkpoints = np.unique([0, steps] if checkpoints is None else
                            [as_int(int(c), "checkpoints", 0, steps) for c in checkpoints])
    rng = as_rng(rng)
    weights = {name: np.ones((len(sigmas), n)) for name in DECAY_OPTIMIZERS}
    optimizers = {
        "Adam + L2": Adam([weights["Adam + L2"]], lr=lr, weight_decay=weight_decay),
        "AdamW": AdamW([weights["AdamW"]], lr=lr, weight_decay=weight_decay),
        "SGD + L2": SGD([weights["SGD + L2"]], lr=lr, weight_decay=weight_decay),
        "SGD, decoupled decay": SGD([weights["SGD, decoupled decay"]], lr=lr),
    }
    means = {name: [] for name in DECAY_OPTIMIZERS}
    for step in range(steps + 1):
        if step in checkpoints:
            for name in DECAY_OPTIMIZERS:
                means[name].append(weights[name].mean(axis=1))
        if step == steps:
            break
        half = sigmas[:, None] * rng.standard_normal((len(sigmas), n - n // 2))
        noise = np.concatenate([half, -half[:, :n // 2]], axis=1)  # twins: opposite noise, which cancels in the mean
        weights["SGD, decoupled decay"] *= 1 - lr * weight_decay
        for opt in optimizers.values():
            opt.step([noise])
    return checkpoints, {name: np.array(rows) for name, rows in means.items()}


def loshchilov_hutter_adamw(theta, grad_fn, alpha, weight_decay, multipliers, betas=(0.9, 0.999), eps=1e-8):
    """AdamW as Algorithm 2 of Loshchilov & Hutter, "Decoupled Weight Decay Regularization" (ICLR 2019), written
    line by line; returns theta after one step per entry of ``multipliers``.

        g_t = grad f(theta_{t-1})                                   (line 6, without the L2 term)
        m_t = beta1 m_{t-1} + (1 - beta1) g_t,  v_t = beta2 v_{t-1} + (1 - beta2) g_t^2     (lines 7-8)
        m_hat = m_t / (1 - beta1^t),  v_hat = v_t / (1 - beta2^t)                            (lines 9-10)
        eta_t = the schedule multiplier of step t                   (line 11)
        theta_t = theta_{t-1} - eta_t (alpha m_hat / (sqrt(v_hat) + eps) + lambda theta_{t-1})   (line 12)

    The decay is eta_t * lambda * theta: the schedule multiplier, not the learning rate alpha. torch.optim.AdamW
    (and course_lib's) decays by lr * lambda * theta with lr = alpha * eta_t, so the same decay needs
    PyTorch's weight_decay = lambda / alpha.
    """
    theta = np.array(theta, dtype=float)
    alpha, weight_decay = as_float(alpha, "alpha", positive=True), as_float(weight_decay, "weight_decay")
    beta1, beta2 = betas
    m, v = np.zeros_like(theta), np.zeros_like(theta)
    for t, eta in enumerate(multipliers, start=1):
        g = grad_fn(theta)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        theta = theta - eta * (alpha * m_hat / (np.sqrt(v_hat) + eps) + weight_decay * theta)
    return theta


# --------------------------------------------------------------------------------------------------
# The race on the spirals: a learning-rate sweep per optimizer first
# --------------------------------------------------------------------------------------------------

SWEEP_OPTIMIZERS = ("SGD", "momentum 0.9", "RMSprop", "Adam", "AdamW")
SWEEP_LRS = 10.0 ** np.arange(-3.0, 0.6, 0.5)  # 0.001 to 3.16, a factor sqrt(10) apart


def make_optimizer(name, params, lr):
    """The optimizer ``name`` (one of SWEEP_OPTIMIZERS) on ``params`` with learning rate ``lr``; every other
    hyperparameter at PyTorch's default (AdamW: weight_decay 0.01; momentum: 0.9)."""
    from ..optim import SGD, Adam, AdamW, RMSprop

    makers = {"SGD": lambda: SGD(params, lr=lr), "momentum 0.9": lambda: SGD(params, lr=lr, momentum=0.9),
              "RMSprop": lambda: RMSprop(params, lr=lr), "Adam": lambda: Adam(params, lr=lr),
              "AdamW": lambda: AdamW(params, lr=lr)}
    return makers[choose(name, "optimizer", makers)]()


def lr_sweep(x, y, lrs=SWEEP_LRS, names=SWEEP_OPTIMIZERS, seeds=(0, 1), epochs=30, batch_size=32, hidden=64):
    """Train a 2-``hidden``-3 MLP on ``(x, y)`` with each optimizer at each learning rate, once per seed (the seed
    draws the initial weights and the order of the batches). Returns {name: array, one entry per lr}: the
    training loss of the last epoch (the mean over its batches), averaged over the seeds; inf where a run
    diverged. This is the criterion the chapter picks each optimizer's learning rate on."""
    from ..nn import MLP
    from ..train import train

    results = {}
    for name in names:
        choose(name, "optimizer", SWEEP_OPTIMIZERS)
        final = np.zeros((len(seeds), len(lrs)))
        for i, seed in enumerate(seeds):
            for j, lr in enumerate(lrs):
                model = MLP([x.shape[1], hidden, int(np.max(y)) + 1], rng=seed, dtype="float64")
                history = train(model, make_optimizer(name, model.params, float(lr)), x, y, epochs=epochs,
                                batch_size=batch_size, rng=seed, diagnostics=False, progress=False)
                final[i, j] = np.inf if history.diverged_at_step is not None else history.loss[-1]
        results[name] = final.mean(axis=0)
    return results


# --------------------------------------------------------------------------------------------------
# A rotated valley: Adam's per-coordinate scaling depends on the axes
# --------------------------------------------------------------------------------------------------

VALLEY_OPTIMIZERS = ("SGD", "momentum 0.9", "Adam")
VALLEY_LRS = 10.0 ** np.arange(-3.0, 1.01, 0.25)  # 1e-3 to 10, a factor 10^(1/4) apart


def rotated_valley(angle, condition=1000.0):
    """The Hessian H = R diag(1, condition) R^T of f(w) = 1/2 w^T H w, with R the rotation by ``angle`` degrees,
    and R itself. At angle 0 the valley's axes are the coordinate axes; at 45 each coordinate mixes both."""
    angle = np.deg2rad(as_float(angle, "angle"))
    condition = as_float(condition, "condition", positive=True)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return rotation @ np.diag([1.0, condition]) @ rotation.T, rotation


def _steps_to_target(name, lr, hessian, start, target, max_steps):
    """Steps until f(w) <= target * f(start) (inf if not within max_steps, or if the run blows up)."""
    from ..optim import SGD, Adam

    w = start.copy()
    opt = {"SGD": lambda: SGD([w], lr=lr), "momentum 0.9": lambda: SGD([w], lr=lr, momentum=0.9),
           "Adam": lambda: Adam([w], lr=lr)}[name]()
    goal = target * 0.5 * w @ hessian @ w
    for step in range(1, max_steps + 1):
        opt.step([hessian @ w])
        loss = 0.5 * w @ hessian @ w
        if loss <= goal:
            return step
        if not loss < 1e12:  # diverging (or nan)
            return np.inf
    return np.inf


def rotated_valley_sweep(angles=(0.0, 45.0), condition=1000.0, lrs=VALLEY_LRS, names=VALLEY_OPTIMIZERS,
                         start=RACE_START, target=1e-4, max_steps=2000):
    """For each optimizer, angle and learning rate: the steps until the loss of the valley ``rotated_valley(angle,
    condition)`` falls below ``target`` times its start (inf: not within ``max_steps``). The start is rotated with
    the valley, so each run sees the same problem in other coordinates: plain gradient descent and momentum,
    which only add and scale gradients, take the same steps at every angle. Adam divides each coordinate by its
    own sqrt(v_hat), which depends on the axes. Returns {(name, angle): array, one entry per lr}."""
    results = {}
    for angle in angles:
        hessian, rotation = rotated_valley(angle, condition)
        rotated_start = rotation @ np.asarray(start, dtype=float)
        for name in names:
            choose(name, "optimizer", VALLEY_OPTIMIZERS)
            results[name, float(angle)] = np.array([
                _steps_to_target(name, float(lr), hessian, rotated_start, target, max_steps) for lr in lrs])
    return results


# --------------------------------------------------------------------------------------------------
# The explorer's race
# --------------------------------------------------------------------------------------------------


def optimizer_race(lr, beta1=0.9, beta2=0.999, steps=60):
    """Run SGD, SGD with momentum beta1, Nesterov, RMSprop (alpha = beta2) and Adam (beta1, beta2), all with
    learning rate ``lr``, on f(w) = 1/2 (w1^2 + 25 w2^2) from RACE_START. Returns {name: {"path", "loss"}}.
    Every run uses the course's optimizer classes; a run that overflows stops early."""
    from ..optim import SGD, Adam, RMSprop

    lr = as_float(lr, "lr", positive=True)
    beta1, beta2 = as_float(beta1, "beta1"), as_float(beta2, "beta2")
    for name, value in (("beta1", beta1), ("beta2", beta2)):
        if not 0 <= value < 1:
            raise ValueError(f"{name} must be in [0, 1), got {value}")
    makers = {
        "SGD": lambda p: SGD(p, lr=lr),
        "momentum": lambda p: SGD(p, lr=lr, momentum=beta1),
        "Nesterov": lambda p: SGD(p, lr=lr, momentum=beta1, nesterov=beta1 > 0),
        "RMSprop": lambda p: RMSprop(p, lr=lr, alpha=beta2),
        "Adam": lambda p: Adam(p, lr=lr, betas=(beta1, beta2)),
    }
    results = {}
    for name, make in makers.items():
        w = np.array(RACE_START, dtype=float)
        opt = make([w])
        path = [w.copy()]
        with np.errstate(over="ignore", invalid="ignore"):
            for _ in range(steps):
                grad = RACE_SCALES * w
                if not np.all(np.isfinite(grad)) or np.abs(w).max() > 1e6:
                    break
                opt.step([grad])
                path.append(w.copy())
        path = np.array(path)
        results[name] = {"path": path, "loss": 0.5 * (path**2 * RACE_SCALES).sum(axis=1)}
    return results
