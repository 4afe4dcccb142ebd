"""Weight sharing: an autoencoder whose decoder reuses the encoder's weights, transposed (chapter 09).

    encoder:  h = f(x @ W + b_enc)              W: (n_inputs, n_hidden)
    decoder:  x_hat = h @ W.T + b_dec           the same W, transposed (tied); an untied one has its own W_dec

A weight used in two places gets the sum of the gradients of both uses (the multivariable chain rule; this
is "gradient accumulation" in autograd frameworks, where ``.grad`` is added to, not overwritten):

    dL/dW = x.T @ dz   (through the encoder)   +   dx_hat.T @ h   (through the decoder, transposed)

Tied autoencoders: Vincent et al. 2010, "Stacked Denoising Autoencoders", Sec. 2.2; a tied linear autoencoder
learns the principal subspace (Baldi & Hornik 1989).
"""

import numpy as np

from ._checks import as_dtype, as_int, as_rng, choose
from .init import xavier_uniform
from .nn import ACTIVATIONS

__all__ = ["Autoencoder", "mse_loss"]


def mse_loss(x_hat, x):
    """``(loss, dx_hat)``: half the squared error summed over features, averaged over the batch,
    L = sum((x_hat - x)^2) / (2 n), so dL/dx_hat = (x_hat - x) / n."""
    if not isinstance(x_hat, np.ndarray) or not isinstance(x, np.ndarray) or x_hat.shape != x.shape or x.ndim != 2:
        raise ValueError(f"x_hat and x must be 2-D arrays of the same shape, got "
                         f"{getattr(x_hat, 'shape', type(x_hat).__name__)} and {getattr(x, 'shape', type(x).__name__)}")
    diff = x_hat - x
    return float(0.5 * np.sum(diff.astype(np.float64) ** 2) / len(x)), diff / len(x)


class Autoencoder:
    """``x -> h = f(x W + b_enc) -> x_hat = h W_dec + b_dec`` with ``W_dec = W.T`` when ``tied``.

    ``params``: ``[W, b_enc, b_dec]`` when tied, ``[W, b_enc, W_dec, b_dec]`` when not; ``backward`` returns
    the gradients in that order, so the optimizers of ``course_lib.optim`` train it as they train an MLP.
    """

    def __init__(self, n_inputs, n_hidden, tied=True, activation="relu", rng=None, dtype="float32"):
        n_inputs, n_hidden = as_int(n_inputs, "n_inputs", low=1), as_int(n_hidden, "n_hidden", low=1)
        if not isinstance(tied, bool):
            raise TypeError(f"tied must be True or False, got {tied!r}")
        self.n_inputs, self.n_hidden, self.tied = n_inputs, n_hidden, tied
        self.activation = choose(activation, "activation", ACTIVATIONS)
        self.dtype = as_dtype(dtype)
        rng = as_rng(rng)
        W = xavier_uniform((self.n_inputs, self.n_hidden), rng=rng).astype(self.dtype)
        b_enc, b_dec = np.zeros(self.n_hidden, self.dtype), np.zeros(self.n_inputs, self.dtype)
        if tied:
            self.params = [W, b_enc, b_dec]
        else:
            W_dec = xavier_uniform((self.n_hidden, self.n_inputs), rng=rng).astype(self.dtype)
            self.params = [W, b_enc, W_dec, b_dec]
        self._cache = None

    @property
    def decoder_weight(self):
        """``W.T`` (a view: the same numbers) when tied, else the decoder's own matrix."""
        return self.params[0].T if self.tied else self.params[2]

    def __repr__(self):
        return (f"Autoencoder(n_inputs={self.n_inputs}, n_hidden={self.n_hidden}, tied={self.tied}, "
                f"activation={self.activation!r})")

    def encode(self, x):
        if not isinstance(x, np.ndarray) or x.ndim != 2 or x.shape[1] != self.n_inputs:
            raise ValueError(f"x must be an array of shape (batch, {self.n_inputs}), got "
                             f"{getattr(x, 'shape', type(x).__name__)}")
        x = x.astype(self.dtype, copy=False)
        z = x @ self.params[0] + self.params[1]
        f, _ = ACTIVATIONS[self.activation]
        return x, z, f(z)

    def forward(self, x):
        """The reconstruction ``x_hat``; keeps x, z and h for ``backward``."""
        x, z, h = self.encode(x)
        self._cache = (x, z, h)
        return h @ self.decoder_weight + self.params[-1]

    def backward(self, dx_hat):
        """Gradients in the order of ``params``; a tied W gets the sum of its two uses' gradients."""
        if self._cache is None:
            raise RuntimeError("call forward(x) before backward()")
        x, z, h = self._cache
        if not isinstance(dx_hat, np.ndarray) or dx_hat.shape != x.shape:
            raise ValueError(f"dx_hat must have x's shape {x.shape}, got {getattr(dx_hat, 'shape', None)}")
        dx_hat = dx_hat.astype(self.dtype, copy=False)
        db_dec = dx_hat.sum(axis=0)
        dh = dx_hat @ self.decoder_weight.T
        _, f_prime = ACTIVATIONS[self.activation]
        dz = dh * f_prime(z)
        dW_encoder, db_enc = x.T @ dz, dz.sum(axis=0)
        dW_decoder = h.T @ dx_hat                       # (n_hidden, n_inputs): the gradient of W_dec
        if self.tied:
            return [dW_encoder + dW_decoder.T, db_enc, db_dec]   # one weight, two uses: add
        return [dW_encoder, db_enc, dW_decoder, db_dec]
