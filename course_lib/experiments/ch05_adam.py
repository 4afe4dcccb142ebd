"""Chapter 05 (Adam): five optimizers on one surface, the numbers behind ``widgets.optimizer_explorer``."""

import numpy as np

from .._checks import as_float

__all__ = ["optimizer_race", "RACE_SCALES", "RACE_START"]

RACE_SCALES = np.array([1.0, 25.0])  # f(w) = 1/2 (w1^2 + 25 w2^2): axis-aligned, condition number 25
RACE_START = (-2.5, 1.5)


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
