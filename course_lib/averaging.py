"""Averaging the weights along a training run: an exponential moving average, and the plain mean of the iterates.

With a constant learning rate, SGD's iterates do not settle at a minimum: they keep bouncing around it, the
noise of the mini-batch gradients times the learning rate. An average of the iterates sits closer to the middle
than the iterates do, without lowering the learning rate.

* ``IterateAverage``, the plain (Polyak-Ruppert) average of the iterates from some step on:
  ``w_bar = (1/K) sum_k w_k``, kept as a running mean, ``w_bar <- w_bar + (w - w_bar) / k``. Polyak & Juditsky
  1992 ("Acceleration of stochastic approximation by averaging") and Ruppert 1988 prove that, with step sizes that
  decrease more slowly than 1/t (e.g. lr_t proportional to t^(-a), 1/2 < a < 1), near a strongly convex
  (non-degenerate) minimum, it reaches the optimal asymptotic rate of SGD (the variance of the best possible
  estimator). A constant learning rate, as in chapter 09's run, is not covered by that theorem. Stochastic
  weight averaging (SWA, Izmailov et al. 2018, "Averaging weights leads to wider optima and better
  generalization") is this equal average, over the last part of a deep network's training with a constant or
  cyclical learning rate (its running mean is Algorithm 1's ``w_SWA <- (w_SWA n_models + w) / (n_models + 1)``;
  ``torch.optim.swa_utils.AveragedModel`` by default).
* ``ExponentialMovingAverage``: after each step ``w_ema <- d w_ema + (1 - d) w``, which weights the iterate of
  ``s`` steps ago by ``(1 - d) d^s``: an average over roughly the last ``1 / (1 - d)`` steps that forgets the
  start. Kingma & Ba 2015 (Adam), Section 7.2 "Temporal averaging", give it with ``w_ema`` starting at 0 and
  the bias correction ``w_ema / (1 - d^t)``, as for Adam's moments; Tarvainen & Valpola 2017 ("Mean teachers are
  better role models") use the EMA of the weights as their teacher network. Started instead from a copy of the
  weights (the default here, as timm's ``ModelEmaV2`` does; ``torch.optim.swa_utils.AveragedModel`` with
  ``get_ema_multi_avg_fn`` copies them at its first update), it keeps the weight ``d^t`` on that copy: a bias
  toward the start that fades as ``d^t``.

Both read the arrays they were given (e.g. ``model.params``) at each ``update()``; ``average()`` returns copies,
and ``copy_to(params)`` writes the average into other arrays, e.g. a copy of the model used for evaluation.
Evaluate an averaged ReLU network as it is (no batch norm here, so nothing needs recomputing, unlike SWA's
``update_bn``).
"""

import numpy as np

from ._checks import as_unit_interval

__all__ = ["ExponentialMovingAverage", "IterateAverage"]


def _check_params(params, name="params"):
    if isinstance(params, np.ndarray) or not hasattr(params, "__iter__"):
        raise TypeError(f"{name} must be a list of numpy arrays, e.g. model.params")
    params = list(params)
    if not params:
        raise ValueError(f"{name} is empty: nothing to average")
    for i, p in enumerate(params):
        if not isinstance(p, np.ndarray) or not np.issubdtype(p.dtype, np.floating):
            raise TypeError(f"{name}[{i}] must be a float numpy array, got {type(p).__name__}")
    return params


class _Average:
    """What both averages share: the tracked arrays, the average kept in float64, ``copy_to``."""

    def __init__(self, params):
        self.params = _check_params(params)
        self.updates = 0  # how many times update() was called

    def _current(self):
        """The tracked arrays' values now, as float64 (read only: never written through)."""
        return [np.asarray(p, dtype=np.float64) for p in self.params]

    def average(self):
        """The averaged arrays (new arrays, in the dtypes of the tracked ones)."""
        return [a.astype(p.dtype) for a, p in zip(self._averages(), self.params)]

    def copy_to(self, params):
        """Write the average into ``params`` (arrays of the tracked arrays' shapes), in place."""
        params = _check_params(params)
        if [p.shape for p in params] != [p.shape for p in self.params]:
            raise ValueError(f"params must have the shapes {[p.shape for p in self.params]}, "
                             f"got {[p.shape for p in params]}")
        for target, value in zip(params, self._averages()):
            target[...] = value


class ExponentialMovingAverage(_Average):
    """An exponential moving average of ``params``, updated by ``update()`` after each optimizer step:

        w_ema <- decay * w_ema + (1 - decay) * w

    ``bias_correction=False`` (default): ``w_ema`` starts as a copy of ``params`` (their values now), so after
    ``t`` updates ``w_ema = decay^t w_0 + (1 - decay) sum_{s=1..t} decay^(t-s) w_s``: ``w_0`` keeps the weight
    ``decay^t``. ``bias_correction=True``: ``w_ema`` starts at 0 and ``average()`` returns ``w_ema / (1 - decay^t)``
    (Kingma & Ba 2015, Section 7.2): the weights ``(1 - decay) decay^(t-s) / (1 - decay^t)`` of the iterates after
    each update sum to 1, and ``w_0`` gets none. Before the first update, the corrected average is ``w_0``.
    """

    def __init__(self, params, decay=0.99, bias_correction=False):
        super().__init__(params)
        self.decay = as_unit_interval(decay, "decay")
        if not isinstance(bias_correction, bool):
            raise TypeError(f"bias_correction must be True or False, got {bias_correction!r}")
        self.bias_correction = bias_correction
        start = [np.array(p, dtype=np.float64) for p in self.params]  # copies: the params will change
        self._ema = [np.zeros_like(w) for w in start] if bias_correction else start
        self._start = start if bias_correction else None

    def update(self):
        """Fold the tracked arrays' current values into the average: ``w_ema <- d w_ema + (1 - d) w``."""
        d = self.decay
        for ema, w in zip(self._ema, self._current()):
            ema[...] = d * ema + (1 - d) * w
        self.updates += 1

    def _averages(self):
        if not self.bias_correction:
            return self._ema
        if self.updates == 0:
            return self._start
        return [ema / (1 - self.decay ** self.updates) for ema in self._ema]


class IterateAverage(_Average):
    """The plain mean of the values ``params`` had at each ``update()`` (Polyak & Juditsky 1992; SWA's average):

        k <- k + 1,     w_bar <- w_bar + (w - w_bar) / k

    Call ``update()`` only over the part of training to average (e.g. the last half of the steps, or once per
    epoch as SWA does). ``average()`` before the first update raises ``RuntimeError``.
    """

    def __init__(self, params):
        super().__init__(params)
        self._mean = [np.zeros_like(w) for w in self._current()]

    def update(self):
        """Add the tracked arrays' current values to the mean."""
        self.updates += 1
        for mean, w in zip(self._mean, self._current()):
            mean += (w - mean) / self.updates

    def _averages(self):
        if self.updates == 0:
            raise RuntimeError("no iterate averaged yet: call update() first")
        return self._mean
