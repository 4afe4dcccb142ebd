"""Optimizers that update a list of numpy arrays in place, with the semantics of ``torch.optim``.

    opt = SGD(model.params, lr=0.1)
    loss, dlogits = softmax_cross_entropy(model.forward(x), y)
    opt.step(model.backward(dlogits))        # every array in model.params changes in place

Each ``step`` is written as the equations in its class's docstring, one parameter at a time. ``opt.lr`` may
be changed between steps (that is what a learning-rate schedule does). State (momentum buffers, moment
estimates) is kept per parameter, in ``opt.state[i]``; ``state_dict()`` and ``load_state_dict()`` save and
restore it for a bit-exact resume. ``step`` checks that the gradients match the parameters (count, shapes,
dtypes) and are finite; a bad gradient raises ``ValueError`` and leaves every parameter unchanged.
"""

import numpy as np

from ._checks import as_float, as_unit_interval
from .nn import _all_finite

__all__ = ["Optimizer", "SGD", "RMSprop", "Adam", "AdamW"]


class Optimizer:
    """What every optimizer shares: the parameter list, a validated ``lr``, the gradient checks."""

    def __init__(self, params, lr):
        if isinstance(params, np.ndarray) or not hasattr(params, "__iter__"):
            raise TypeError("params must be a list of numpy arrays, e.g. model.params")
        self.params = list(params)
        if not self.params:
            raise ValueError("params is empty: nothing to optimize")
        for i, p in enumerate(self.params):
            if not isinstance(p, np.ndarray) or not np.issubdtype(p.dtype, np.floating):
                raise TypeError(f"params[{i}] must be a float numpy array, got {type(p).__name__}")
            if not p.flags.writeable:
                raise ValueError(f"params[{i}] is read-only; the optimizer updates it in place")
        self.lr = lr
        self.state = [{} for _ in self.params]  # per parameter: momentum buffers, moment estimates, ...

    HYPERPARAMETERS = ("lr",)

    def state_dict(self):
        """A copy of the hyperparameters and the per-parameter state; ``load_state_dict`` of it resumes
        training bit for bit."""
        return {
            "hyperparameters": {name: getattr(self, name) for name in self.HYPERPARAMETERS},
            "state": [{k: v.copy() if isinstance(v, np.ndarray) else v for k, v in s.items()} for s in self.state],
        }

    def load_state_dict(self, state_dict):
        """Restore what ``state_dict`` returned (for an optimizer of the same class on same-shaped params)."""
        try:
            hyperparameters, states = state_dict["hyperparameters"], state_dict["state"]
        except (TypeError, KeyError):
            raise ValueError("state_dict must be what state_dict() returned: "
                             "keys 'hyperparameters' and 'state'") from None
        if set(hyperparameters) != set(self.HYPERPARAMETERS):
            raise ValueError(f"state_dict is for other hyperparameters: {sorted(hyperparameters)}, "
                             f"expected {sorted(self.HYPERPARAMETERS)}")
        if len(states) != len(self.params):
            raise ValueError(f"state_dict has state for {len(states)} parameters, the optimizer has {len(self.params)}")
        for i, (state, param) in enumerate(zip(states, self.params)):
            for key, value in state.items():
                if isinstance(value, np.ndarray) and value.shape != param.shape:
                    raise ValueError(f"state {key!r} of parameter {i} has shape {value.shape}, "
                                     f"the parameter {param.shape}")
        for name, value in hyperparameters.items():
            setattr(self, name, value)
        self.state = [{k: v.copy() if isinstance(v, np.ndarray) else v for k, v in s.items()} for s in states]

    @property
    def lr(self):
        """The learning rate; a schedule may set it between steps."""
        return self._lr

    @lr.setter
    def lr(self, value):
        self._lr = as_float(value, "lr", nonnegative=True)

    def _check_grads(self, grads, finite=True):
        """``grads`` as a list, after checking its length, each array's type, shape and dtype, and (if
        ``finite``) that every entry is finite."""
        if isinstance(grads, np.ndarray) or not hasattr(grads, "__iter__"):
            raise TypeError("grads must be a list of arrays, one per parameter (e.g. model.backward(dlogits))")
        grads = list(grads)
        if len(grads) != len(self.params):
            raise ValueError(f"grads has {len(grads)} arrays but there are {len(self.params)} parameters")
        for i, (p, g) in enumerate(zip(self.params, grads)):
            if not isinstance(g, np.ndarray):
                raise TypeError(f"grads[{i}] must be a numpy array, got {type(g).__name__}")
            if g.shape != p.shape:
                raise ValueError(f"grads[{i}] has shape {g.shape} but params[{i}] has shape {p.shape}")
            if g.dtype != p.dtype:
                raise ValueError(f"grads[{i}] has dtype {g.dtype} but params[{i}] has dtype {p.dtype}")
        if finite:
            self._check_finite(grads)
        return grads

    @staticmethod
    def _check_finite(grads):
        for i, g in enumerate(grads):
            if not _all_finite(g):
                raise ValueError(f"grads[{i}] contains nan or inf; no parameter was updated "
                                 "(lower the learning rate, clip the gradients, or check the loss)")


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, as ``torch.optim.SGD``:

        g = grad + weight_decay * param                   (L2 penalty (weight_decay / 2) ||param||^2)
        if momentum:
            v = g                                          on the first step
            v = momentum * v + (1 - dampening) * g         afterwards
            g = g + momentum * v  if nesterov  else  v
        param <- param - lr * g

    Robbins & Monro 1951 (SGD); Polyak 1964 (heavy-ball momentum); Sutskever et al. 2013 (Nesterov
    momentum in this form). The velocity v is kept per parameter. Chapter 04 maps this form onto the
    other common conventions.
    """

    HYPERPARAMETERS = ("lr", "momentum", "dampening", "nesterov", "weight_decay")

    def __init__(self, params, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
        super().__init__(params, lr)
        self.momentum = as_float(momentum, "momentum", nonnegative=True)
        self.dampening = as_float(dampening, "dampening", nonnegative=True)
        self.weight_decay = as_float(weight_decay, "weight_decay", nonnegative=True)
        if not isinstance(nesterov, bool):
            raise TypeError(f"nesterov must be True or False, got {nesterov!r}")
        if nesterov and (self.momentum == 0 or self.dampening != 0):
            raise ValueError("nesterov needs momentum > 0 and dampening = 0 (as in torch.optim.SGD)")
        self.nesterov = nesterov

    def step(self, grads):
        """One SGD step of every parameter, in place: the equations above."""
        for param, grad, state in zip(self.params, self._check_grads(grads), self.state):
            if self.weight_decay:
                grad = grad + self.weight_decay * param
            if self.momentum:
                v = state.get("velocity")
                if v is None:  # the first step: v = g
                    v = state["velocity"] = grad.copy()
                else:
                    v[...] = self.momentum * v + (1 - self.dampening) * grad
                grad = grad + self.momentum * v if self.nesterov else v
            param -= self.lr * grad


class RMSprop(Optimizer):
    """RMSprop, as ``torch.optim.RMSprop`` (Hinton, Coursera lecture 6e, 2012; Graves 2013 for ``centered``):

        g = grad + weight_decay * param
        s = alpha * s + (1 - alpha) * g^2                 (s starts at 0)
        if centered: m = alpha * m + (1 - alpha) * g;  d = sqrt(s - m^2) + eps
        else:        d = sqrt(s) + eps
        if momentum: b = momentum * b + g / d;  param <- param - lr * b
        else:        param <- param - lr * g / d

    eps is added *outside* the square root, as in PyTorch (TensorFlow adds it inside).
    """

    HYPERPARAMETERS = ("lr", "alpha", "eps", "weight_decay", "momentum", "centered")

    def __init__(self, params, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
        super().__init__(params, lr)
        self.alpha = as_unit_interval(alpha, "alpha")
        self.eps = as_float(eps, "eps", positive=True)
        self.weight_decay = as_float(weight_decay, "weight_decay", nonnegative=True)
        self.momentum = as_float(momentum, "momentum", nonnegative=True)
        if not isinstance(centered, bool):
            raise TypeError(f"centered must be True or False, got {centered!r}")
        self.centered = centered

    def step(self, grads):
        """One RMSprop step of every parameter, in place: the equations above."""
        for param, grad, state in zip(self.params, self._check_grads(grads), self.state):
            if self.weight_decay:
                grad = grad + self.weight_decay * param
            if not state:
                state["square_avg"] = np.zeros_like(param)
                if self.centered:
                    state["grad_avg"] = np.zeros_like(param)
                if self.momentum:
                    state["momentum_buffer"] = np.zeros_like(param)
            s = state["square_avg"]
            s[...] = self.alpha * s + (1 - self.alpha) * grad**2  # running mean of g^2
            if self.centered:
                m = state["grad_avg"]
                m[...] = self.alpha * m + (1 - self.alpha) * grad  # running mean of g
                denom = np.sqrt(s - m**2) + self.eps
            else:
                denom = np.sqrt(s) + self.eps
            if self.momentum:
                b = state["momentum_buffer"]
                b[...] = self.momentum * b + grad / denom
                param -= self.lr * b
            else:
                param -= self.lr * grad / denom


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam`` (Kingma & Ba 2015, Algorithm 1), with L2 regularization added to the
    gradient (``weight_decay``; see ``AdamW`` for the decoupled form):

        g = grad + weight_decay * param
        t = t + 1
        m = beta1 * m + (1 - beta1) * g                    (m, v start at 0)
        v = beta2 * v + (1 - beta2) * g^2
        m_hat = m / (1 - beta1^t),   v_hat = v / (1 - beta2^t)        (bias correction)
        param <- param - lr * m_hat / (sqrt(v_hat) + eps)

    eps is added after the square root of the bias-corrected v, as in PyTorch.

    lr is a step size per coordinate, not a factor on the gradient: m_hat / sqrt(v_hat) does not change when every
    gradient is multiplied by the same number, the first step is lr * g / (|g| + eps), and a step is usually at most
    about lr (at most lr (1 - beta1) / sqrt(1 - beta2) = 3.16 lr with the defaults, for a gradient after a long run
    of zeros; Kingma & Ba 2015, Section 2.1). The scaling is per coordinate, so it depends on the axes: chapter 05
    rotates an ill-conditioned valley by 45 degrees, and Adam falls from ahead of momentum to behind it.
    """

    decoupled = False

    HYPERPARAMETERS = ("lr", "betas", "eps", "weight_decay")

    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr)
        try:
            beta1, beta2 = betas
        except (TypeError, ValueError):
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}") from None
        self.betas = (as_unit_interval(beta1, "betas[0]"), as_unit_interval(beta2, "betas[1]"))
        self.eps = as_float(eps, "eps", positive=True)
        self.weight_decay = as_float(weight_decay, "weight_decay", nonnegative=True)

    def step(self, grads):
        """One Adam step of every parameter, in place: the equations above."""
        beta1, beta2 = self.betas
        for param, grad, state in zip(self.params, self._check_grads(grads), self.state):
            if not state:
                state.update(step=0, exp_avg=np.zeros_like(param), exp_avg_sq=np.zeros_like(param))
            if self.weight_decay and self.decoupled:
                param *= 1 - self.lr * self.weight_decay  # AdamW: the weight itself decays
            elif self.weight_decay:
                grad = grad + self.weight_decay * param  # Adam + L2: the penalty's gradient joins g
            state["step"] += 1
            t, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
            m[...] = beta1 * m + (1 - beta1) * grad  # running mean of g
            v[...] = beta2 * v + (1 - beta2) * grad**2  # running mean of g^2
            m_hat = m / (1 - beta1**t)  # bias corrections: m and v start at 0
            v_hat = v / (1 - beta2**t)
            param -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class AdamW(Adam):
    """AdamW, as ``torch.optim.AdamW`` (Loshchilov & Hutter 2019, "Decoupled Weight Decay
    Regularization", Algorithm 2): the weights decay directly, outside the adaptive scaling,

        param <- param * (1 - lr * weight_decay)
        then the Adam update of the raw gradient (no L2 term in g).

    With Adam + L2, the decay is divided by sqrt(v_hat) like the gradient: a weight whose gradient is noise of size
    sigma decays by about lr * weight_decay / sigma per step, so weights with large gradients are barely decayed and
    those with tiny ones fast. AdamW decays every weight by lr * weight_decay per step. Chapter 05 measures both.

    The paper's decay (Algorithm 2, line 12) is eta_t * lambda * param, with eta_t the schedule multiplier, not the
    learning rate alpha; PyTorch and this class decay by lr * weight_decay * param, with lr = alpha * eta_t. The
    paper's lambda is therefore weight_decay = lambda / alpha here (alpha = 1e-3: lambda = 1e-4 is weight_decay 0.1).
    """

    decoupled = True

    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(params, lr, betas, eps, weight_decay)
