"""Optimizers that update a list of numpy arrays in place, with the semantics of ``torch.optim``.

    opt = SGD(model.params, lr=0.1)
    loss, dlogits = softmax_cross_entropy(model.forward(x), y)
    opt.step(model.backward(dlogits))        # every array in model.params changes in place

``opt.lr`` may be changed between steps (that is what a learning-rate schedule does). State (momentum
buffers, moment estimates) is kept per parameter, in ``opt.state[i]``; ``state_dict()`` and
``load_state_dict()`` save and restore it for a bit-exact resume.
``step`` checks that the gradients match the parameters (count, shapes, dtypes) and are finite; a
bad gradient raises ``ValueError`` and leaves every parameter unchanged.

Speed: ``MLP.params`` are views of one flat array (W1, b1, W2, b2, ... end to end), and so are the
gradients ``MLP.backward`` returns. ``Adam`` notices that and applies its update once to the whole flat
array, instead of once per parameter: the same arithmetic on every entry (the same result, bit for bit),
with a few long numpy operations instead of many short ones. ``opt.state[i]`` still holds parameter i's
own state (views of the flat state arrays).
"""

import math

import numpy as np

from ._checks import as_float
from .nn import _all_finite

__all__ = ["Optimizer", "SGD", "RMSprop", "Adam", "AdamW", "MOMENTUM_FORMS", "momentum_step",
           "equivalent_momentum"]


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
        self._flat_views, self._flat_state = {}, None  # for updating all parameters at once (see _groups)
        self._work = {}  # scratch arrays of step, by shape and dtype (see _work_array)

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

    def _groups(self, grads):
        """What ``step`` loops over: ``(param, grad, state)`` per parameter, after checking ``grads``.

        When the parameters are consecutive pieces of one flat array, and the gradients too (as
        ``MLP.params`` and the gradients of ``MLP.backward`` are), there is a single group instead: the
        flat parameter array, the flat gradient array, and a ``_FlatState`` with every parameter's
        state at once. An elementwise update then costs a few numpy calls over one long array instead
        of a few calls per parameter: for [784, 256, 10], one pass over 203530 numbers instead of four
        passes, three of them too short for numpy to be efficient (256, 2560 and 10 numbers).
        """
        grads = self._check_grads(grads, finite=False)
        flat_param = self._remembered_flat_view("params", self.params)
        flat_grad = None if flat_param is None else self._remembered_flat_view("grads", grads)
        if flat_grad is None or not _all_finite(flat_grad):  # one check of the flat gradient covers all
            self._check_finite(grads)  # one by one: raises naming the first gradient with nan or inf
        if flat_grad is not None and (self._flat_state is None or not self._flat_state.is_current(self.state)):
            self._flat_state = _FlatState.of(self.state, self.params)
        if flat_grad is None or self._flat_state is None:
            return zip(self.params, grads, self.state)
        return [(flat_param, flat_grad, self._flat_state)]

    def _remembered_flat_view(self, name, arrays):
        """``_flat_view(arrays)``, remembered while the same arrays come back (MLP.backward returns the
        same gradient arrays at every call), since finding it costs more than a small update."""
        seen, flat = self._flat_views.get(name, ((), None))
        if len(seen) != len(arrays) or any(a is not b for a, b in zip(arrays, seen)):
            seen, flat = self._flat_views[name] = (tuple(arrays), _flat_view(arrays))
        return flat

    def _work_array(self, param):
        """A scratch array of ``param``'s shape and dtype for ``step``'s intermediate results, made at the first
        step and reused (it holds nothing between steps, and is not part of ``state``)."""
        key = (param.shape, param.dtype.str)
        if key not in self._work:
            self._work[key] = np.empty_like(param)
        return self._work[key]

    def __getstate__(self):
        # A copy (copy.deepcopy, pickle) gets new arrays, which are no views of one flat array any more:
        # what was found about the old ones must not be copied. The copy finds its own at its first step.
        state = dict(self.__dict__)
        state["_flat_views"], state["_flat_state"], state["_work"] = {}, None, {}
        return state

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
        """Update every parameter in place from its gradient."""
        for param, grad, state in zip(self.params, self._check_grads(grads), self.state):
            if self.weight_decay:
                grad = grad + self.weight_decay * param
            if self.momentum:
                if "velocity" not in state:
                    state["velocity"] = grad.copy()
                else:
                    state["velocity"] *= self.momentum
                    state["velocity"] += (1 - self.dampening) * grad
                grad = grad + self.momentum * state["velocity"] if self.nesterov else state["velocity"]
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
        self.alpha = _unit_interval(alpha, "alpha")
        self.eps = as_float(eps, "eps", positive=True)
        self.weight_decay = as_float(weight_decay, "weight_decay", nonnegative=True)
        self.momentum = as_float(momentum, "momentum", nonnegative=True)
        if not isinstance(centered, bool):
            raise TypeError(f"centered must be True or False, got {centered!r}")
        self.centered = centered

    def step(self, grads):
        """Update every parameter in place from its gradient."""
        for param, grad, state in zip(self.params, self._check_grads(grads), self.state):
            if self.weight_decay:
                grad = grad + self.weight_decay * param
            if not state:
                state["square_avg"] = np.zeros_like(param)
                if self.centered:
                    state["grad_avg"] = np.zeros_like(param)
                if self.momentum:
                    state["momentum_buffer"] = np.zeros_like(param)
            square_avg = state["square_avg"]
            square_avg *= self.alpha
            square_avg += (1 - self.alpha) * grad * grad
            if self.centered:
                state["grad_avg"] *= self.alpha
                state["grad_avg"] += (1 - self.alpha) * grad
                denom = np.sqrt(square_avg - state["grad_avg"] ** 2) + self.eps
            else:
                denom = np.sqrt(square_avg) + self.eps
            if self.momentum:
                buffer = state["momentum_buffer"]
                buffer *= self.momentum
                buffer += grad / denom
                param -= self.lr * buffer
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
    """

    decoupled = False

    HYPERPARAMETERS = ("lr", "betas", "eps", "weight_decay")

    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr)
        try:
            beta1, beta2 = betas
        except (TypeError, ValueError):
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}") from None
        self.betas = (_unit_interval(beta1, "betas[0]"), _unit_interval(beta2, "betas[1]"))
        self.eps = as_float(eps, "eps", positive=True)
        self.weight_decay = as_float(weight_decay, "weight_decay", nonnegative=True)

    def step(self, grads):
        """Update every parameter in place from its gradient."""
        beta1, beta2 = self.betas
        for param, grad, state in self._groups(grads):  # one group per parameter, or all at once
            if self.weight_decay:
                if self.decoupled:
                    param *= 1 - self.lr * self.weight_decay
                else:
                    grad = grad + self.weight_decay * param
            if not state:
                state["step"] = 0
                state["exp_avg"] = np.zeros_like(param)
                state["exp_avg_sq"] = np.zeros_like(param)
            state["step"] += 1
            t = state["step"]
            exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
            # The bias corrections are folded into two numbers, so that the arrays are gone over fewer times
            # (Kingma & Ba 2015, end of Section 2, "the efficiency of Algorithm 1 can ... be improved"):
            #     lr * m_hat / (sqrt(v_hat) + eps)  =  step_size * m / (sqrt(v) + eps_hat)
            #     with  step_size = lr * sqrt(1 - beta2^t) / (1 - beta1^t),  eps_hat = eps * sqrt(1 - beta2^t)
            # (multiply the numerator and the denominator by sqrt(1 - beta2^t)): PyTorch's formula exactly, up
            # to rounding. (math.sqrt of a Python float, not np.sqrt: a numpy float64 scalar would turn float32
            # arrays into float64 ones here, several times slower.)
            root_correction2 = math.sqrt(1 - beta2**t)
            step_size = self.lr * root_correction2 / (1 - beta1**t)
            eps_hat = self.eps * root_correction2
            # Each line computes what its comment says, in place: results go into one work array made once
            # (out=... names where a result goes), so that a step makes no new arrays.
            tmp = self._work_array(param)
            exp_avg *= beta1
            exp_avg += np.multiply(grad, 1 - beta1, out=tmp)          # m = beta1 m + (1 - beta1) g
            exp_avg_sq *= beta2
            np.multiply(grad, 1 - beta2, out=tmp)
            exp_avg_sq += np.multiply(tmp, grad, out=tmp)             # v = beta2 v + (1 - beta2) g^2
            denom = np.sqrt(exp_avg_sq, out=tmp)
            denom += eps_hat                                          # denom = sqrt(v) + eps_hat
            update = np.divide(exp_avg, denom, out=tmp)
            update *= step_size                                       # update = step_size m / denom
            param -= update


class AdamW(Adam):
    """AdamW, as ``torch.optim.AdamW`` (Loshchilov & Hutter 2019, "Decoupled Weight Decay
    Regularization", Algorithm 2): the weights decay directly, outside the adaptive scaling,

        param <- param * (1 - lr * weight_decay)
        then the Adam update of the raw gradient (no L2 term in g).

    With Adam + L2, the decay is divided by sqrt(v_hat) like the gradient, so weights with large
    gradients are barely decayed; AdamW decays every weight at the same rate. Chapter 05 shows they differ.
    """

    decoupled = True

    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(params, lr, betas, eps, weight_decay)


def _flat_view(arrays):
    """The 1-D array of which ``arrays`` are consecutive pieces (in order, without gaps), or None.

    ``arrays`` qualify when each is a C-contiguous view of the same owner array and each starts where
    the previous one ends, as ``MLP.params`` do (W1, b1, W2, b2, ... end to end in one flat array).
    """
    owner = arrays[0].base
    if not isinstance(owner, np.ndarray) or not owner.flags.c_contiguous:
        return None
    start = (arrays[0].ctypes.data - owner.ctypes.data) // owner.itemsize
    size = sum(a.size for a in arrays)
    flat = owner.reshape(-1)[start:start + size]
    address = flat.ctypes.data
    for a in arrays:
        if a.base is not owner or a.dtype != owner.dtype or not a.flags.c_contiguous or a.ctypes.data != address:
            return None
        address += a.nbytes
    return flat if flat.size == size else None


class _FlatState(dict):
    """The optimizer state of every parameter at once, for parameters that are pieces of one flat array.

    Its arrays are flat too. Setting an array here also sets, in each parameter's own state dict
    (``opt.state[i]``), the piece of it that belongs to that parameter (a view, so in-place updates of
    the flat array are seen there); setting a number (the step count) sets it for every parameter.
    """

    def __init__(self, states, shapes):
        super().__init__()
        self.states, self.shapes, self.pieces = states, shapes, {}

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        if isinstance(value, np.ndarray):
            ends = np.cumsum([math.prod(shape) for shape in self.shapes])
            pieces = [value[end - math.prod(shape):end].reshape(shape) for end, shape in zip(ends, self.shapes)]
        else:
            pieces = [value] * len(self.states)
        self.pieces[key] = pieces
        for state, piece in zip(self.states, pieces):
            state[key] = piece

    def is_current(self, states):
        """Whether ``states`` still are the per-parameter states this holds: the same dicts, with the
        same keys, each holding what was set through this (nobody replaced an entry since)."""
        return states is self.states and all(
            state.keys() == self.pieces.keys() and all(state[key] is pieces[i] for key, pieces in self.pieces.items())
            for i, state in enumerate(states))

    @classmethod
    def of(cls, states, params):
        """The per-parameter ``states`` as one ``_FlatState``; None if they differ in keys or numbers.

        State arrays that are not yet pieces of one flat array (after ``load_state_dict``, say) are
        copied into a new one, and each parameter's state then holds its piece of it.
        """
        if any(state.keys() != states[0].keys() for state in states):
            return None
        for key, first in states[0].items():
            if not isinstance(first, np.ndarray) and any(state[key] != first for state in states):
                return None
        flat = cls(states, [p.shape for p in params])
        for key, first in list(states[0].items()):
            values = [state[key] for state in states]
            if isinstance(first, np.ndarray):
                whole = _flat_view(values)
                flat[key] = np.concatenate([v.ravel() for v in values]) if whole is None else whole
            else:
                flat[key] = first
        return flat


def _unit_interval(value, name):
    """A coefficient in [0, 1), like beta1, beta2 and alpha."""
    value = as_float(value, name)
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {value}")
    return value


# --------------------------------------------------------------------------------------------------
# The three common ways to write heavy-ball momentum, and how their hyperparameters map
# --------------------------------------------------------------------------------------------------
#
#   form          velocity update                     weight update     used by
#   "velocity"    v = mu * v - lr * g                 w = w + v         Sutskever et al. 2013, CS231n
#   "pytorch"     v = beta * v + g                    w = w - lr * v    torch.optim.SGD
#   "ema"         v = beta * v + (1 - beta) * g       w = w - lr' * v   Andrew Ng's course, many blogs
#
# With a constant learning rate the three give the same trajectory when
#   mu = beta,   lr (velocity) = lr (pytorch),   lr' (ema) = lr / (1 - beta),
# all starting from v = 0 (the pytorch form's first step, v = g, is then the same). With a learning rate
# that changes between steps, the "velocity" form differs: lr is inside v there, so old gradients keep
# the old lr.

MOMENTUM_FORMS = ("velocity", "pytorch", "ema")


def momentum_step(form, w, v, g, lr, momentum):
    """One heavy-ball step in the given ``form`` (see the table above); returns the new ``(w, v)``."""
    if form == "velocity":
        v = momentum * v - lr * g
        return w + v, v
    if form == "pytorch":
        v = momentum * v + g
        return w - lr * v, v
    if form == "ema":
        v = momentum * v + (1 - momentum) * g
        return w - lr * v, v
    raise ValueError(f"unknown form {form!r}; valid: {', '.join(MOMENTUM_FORMS)}")


def equivalent_momentum(form, lr, momentum):
    """The (lr, momentum) of every form that gives the same trajectory as ``form`` with ``lr, momentum``
    (constant learning rate): ``{"velocity": (lr, mu), "pytorch": (lr, beta), "ema": (lr', beta)}``."""
    lr = as_float(lr, "lr", nonnegative=True)
    momentum = _unit_interval(momentum, "momentum")
    if form not in MOMENTUM_FORMS:
        raise ValueError(f"unknown form {form!r}; valid: {', '.join(MOMENTUM_FORMS)}")
    base_lr = lr * (1 - momentum) if form == "ema" else lr  # the velocity/pytorch learning rate
    return {"velocity": (base_lr, momentum), "pytorch": (base_lr, momentum),
            "ema": (base_lr / (1 - momentum), momentum)}
