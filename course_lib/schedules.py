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
=====================  =======================================================================
"""

import math

from ._checks import as_float

__all__ = ["step_decay", "cosine_annealing", "triangular_cyclical", "Scheduler"]


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
