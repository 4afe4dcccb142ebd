"""Learning-rate schedules: the learning rate as a function of the step number.

Each schedule is a plain function ``lr_at(step) -> float`` (build one with the functions below), so it
can be printed, plotted and tested on its own; ``Scheduler`` applies one to any optimizer by setting
``opt.lr`` before each step. Steps count from 0.

=====================  =======================================================================
step_decay             lr0 * gamma ** (step // step_size)          (torch StepLR)
cosine_annealing       eta_min + (lr0 - eta_min) (1 + cos(pi t / T)) / 2, t = min(step, T)
                       (Loshchilov & Hutter 2017, "SGDR", eq. 5, without restarts; torch CosineAnnealingLR)
triangular_cyclical    base + (max - base) * max(0, 1 - |step / step_size - 2 cycle - 1|),
                       cycle = step // (2 step_size)  (Smith 2017, "Cyclical Learning Rates", Sec. 3.1)
linear_warmup          lr_at(step) * min(1, (step + 1) / warmup_steps)   (after Goyal et al. 2017, "Accurate,
                       Large Minibatch SGD", Sec. 2.2, "gradual warmup", which ramps from the small-batch
                       rate eta to k eta over 5 epochs; this common variant starts at lr / warmup_steps:
                       torch LinearLR with start_factor = 1 / warmup_steps, total_iters = warmup_steps - 1)
exponential_range      lr_min * (lr_max / lr_min) ** (step / (total_steps - 1)), the learning rate of a
                       range test (Smith 2017, Sec. 3.3, sweeps linearly; fastai's lr_find sweeps
                       geometrically, which spreads the steps evenly over several decades)
=====================  =======================================================================
"""

import math

from ._checks import as_float

__all__ = ["step_decay", "cosine_annealing", "triangular_cyclical", "linear_warmup", "constant", "exponential_range",
           "Scheduler"]


def _as_step(step):
    if isinstance(step, bool) or not isinstance(step, int) or step < 0:
        raise ValueError(f"step must be an int >= 0, got {step!r}")
    return step


def _positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


def step_decay(lr0, step_size, gamma=0.1):
    """Multiply the learning rate by ``gamma`` every ``step_size`` steps."""
    lr0 = as_float(lr0, "lr0", nonnegative=True)
    step_size = _positive_int(step_size, "step_size")
    gamma = as_float(gamma, "gamma", positive=True)

    def lr_at(step):
        return lr0 * gamma ** (_as_step(step) // step_size)

    return lr_at


def cosine_annealing(lr0, total_steps, eta_min=0.0):
    """From ``lr0`` down to ``eta_min`` along half a cosine over ``total_steps``; ``eta_min`` after that.
    At ``total_steps / 2`` it is exactly the midpoint ``(lr0 + eta_min) / 2``."""
    lr0 = as_float(lr0, "lr0", nonnegative=True)
    total_steps = _positive_int(total_steps, "total_steps")
    eta_min = as_float(eta_min, "eta_min", nonnegative=True)

    def lr_at(step):
        t = min(_as_step(step), total_steps)
        return eta_min + (lr0 - eta_min) * (1 + math.cos(math.pi * t / total_steps)) / 2

    return lr_at


def triangular_cyclical(base_lr, max_lr, step_size):
    """Smith's triangular policy: up from ``base_lr`` to ``max_lr`` in ``step_size`` steps, back down in
    ``step_size`` steps, repeat. Troughs at steps 0, 2 step_size, 4 step_size, ...; peaks at odd multiples."""
    base_lr = as_float(base_lr, "base_lr", nonnegative=True)
    max_lr = as_float(max_lr, "max_lr", nonnegative=True)
    if max_lr < base_lr:
        raise ValueError(f"max_lr must be >= base_lr, got base_lr={base_lr}, max_lr={max_lr}")
    step_size = _positive_int(step_size, "step_size")

    def lr_at(step):
        step = _as_step(step)
        cycle = step // (2 * step_size)
        x = abs(step / step_size - 2 * cycle - 1)
        return base_lr + (max_lr - base_lr) * max(0.0, 1.0 - x)

    return lr_at


def linear_warmup(lr_at, warmup_steps):
    """Ramp the learning rate up linearly during the first ``warmup_steps`` steps, then follow ``lr_at``.

    ``lr_at`` is a schedule (a function of the step) or a number (a constant rate). Step ``s`` gets
    ``lr_at(s) * min(1, (s + 1) / warmup_steps)``: ``lr_at(0) / warmup_steps`` first, the full rate from step
    ``warmup_steps - 1`` on. Large early steps, taken where the loss surface is still steep, are what warmup avoids
    (after Goyal et al. 2017, Sec. 2.2, whose "gradual warmup" starts from the small-batch rate eta and rises by a
    constant amount per step to k eta, for a batch k times larger, over 5 epochs; starting from lr / warmup_steps
    instead is the common variant, torch's
    ``LinearLR(start_factor=1 / warmup_steps, total_iters=warmup_steps - 1)``)."""
    if not callable(lr_at):
        lr_at = constant(lr_at)
    warmup_steps = _positive_int(warmup_steps, "warmup_steps")

    def warmed_up(step):
        step = _as_step(step)
        return lr_at(step) * min(1.0, (step + 1) / warmup_steps)

    return warmed_up


def constant(lr):
    """The same learning rate at every step."""
    lr = as_float(lr, "lr", nonnegative=True)

    def lr_at(step):
        _as_step(step)
        return lr

    return lr_at


def exponential_range(lr_min, lr_max, total_steps):
    """From ``lr_min`` at step 0 to ``lr_max`` at step ``total_steps - 1``, by the same factor at every step:
    the sweep of a learning-rate range test (one short run, the loss recorded against the rate)."""
    lr_min = as_float(lr_min, "lr_min", positive=True)
    lr_max = as_float(lr_max, "lr_max", positive=True)
    if lr_max <= lr_min:
        raise ValueError(f"lr_max must be > lr_min, got lr_min={lr_min}, lr_max={lr_max}")
    total_steps = _positive_int(total_steps, "total_steps")
    if total_steps < 2:
        raise ValueError(f"total_steps must be >= 2 (a sweep from lr_min to lr_max), got {total_steps}")

    def lr_at(step):
        return lr_min * (lr_max / lr_min) ** (min(_as_step(step), total_steps - 1) / (total_steps - 1))

    return lr_at


class Scheduler:
    """Sets ``optimizer.lr = lr_at(step)`` for step 0, 1, 2, ...: call ``scheduler.step()`` once before
    each optimizer step. Works with any optimizer that has an ``lr`` attribute."""

    def __init__(self, optimizer, lr_at):
        if not hasattr(optimizer, "lr"):
            raise TypeError(f"optimizer must have an lr attribute, got {type(optimizer).__name__}")
        if not callable(lr_at):
            raise TypeError("lr_at must be a function of the step number, e.g. cosine_annealing(0.1, 1000)")
        self.optimizer, self.lr_at, self.steps_taken = optimizer, lr_at, 0

    def step(self):
        """Set the learning rate for the next optimizer step and return it."""
        self.optimizer.lr = self.lr_at(self.steps_taken)
        self.steps_taken += 1
        return self.optimizer.lr
