# Reference solution, chapter 05: one AdamW step, as torch.optim.AdamW (and course_lib.optim.AdamW).
# Load it into a notebook cell with:  %load ../solutions/05_adamw_step.py
import numpy as np

from course_lib.exercises import check_adamw_step


def adamw_step(w, g, state, lr, betas, eps, weight_decay):
    """One AdamW step of the weights w, in place (Loshchilov & Hutter 2019, Algorithm 2, in PyTorch's form): decay
    w by the factor 1 - lr * weight_decay, then Adam's step with the raw gradient g (Kingma & Ba 2015, Algorithm 1):
    running means m of g and v of g**2, both corrected for their start at 0, and eps added after the square root.
    ``state`` is this parameter's own dict: empty before the first step, then holding m, v and the step count t."""
    beta1, beta2 = betas
    if not state:
        state.update(step=0, exp_avg=np.zeros_like(w), exp_avg_sq=np.zeros_like(w))
    w *= 1 - lr * weight_decay  # decoupled decay: outside the adaptive step
    state["step"] += 1  # t counts from 1
    t, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
    m[...] = beta1 * m + (1 - beta1) * g
    v[...] = beta2 * v + (1 - beta2) * g**2
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    w -= lr * m_hat / (np.sqrt(v_hat) + eps)


check_adamw_step(adamw_step)
