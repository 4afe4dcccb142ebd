# Reference solution, chapter 07: gradual magnitude pruning during training (Zhu & Gupta 2017, eq. 1), with the
# masks on the gradients (before each step) and on the weights (after each step).
# Load it into a notebook cell with:  %load ../solutions/07_gradual_prune_loop.py
from course_lib.exercises import check_gradual_prune_loop
from course_lib.nn import softmax_cross_entropy
from course_lib.pruning import global_magnitude_prune


def gradual_prune_loop(model, optimizer, x, y, batches, final_sparsity, t0, n_prunes, dt):
    """One optimizer step per batch; at t = t0, t0 + dt, ..., t0 + n dt prune globally to
    s_t = s_f (1 - (1 - (t - t0) / (n dt))^3) before the step. Returns the final masks (True = kept)."""
    masks = [W != 0 for W in model.weights]  # nothing pruned yet
    for t, batch in enumerate(batches):
        if t0 <= t <= t0 + n_prunes * dt and (t - t0) % dt == 0:
            sparsity = final_sparsity * (1 - (1 - (t - t0) / (n_prunes * dt)) ** 3)
            _, masks = global_magnitude_prune(model.weights, sparsity)  # zeros are the smallest: they stay pruned
            for W, mask in zip(model.weights, masks):
                W *= mask  # in place: the optimizer holds these arrays
        _, dlogits = softmax_cross_entropy(model.forward(x[batch]), y[batch])
        grads = model.backward(dlogits)
        for i, mask in enumerate(masks):
            grads[2 * i] = grads[2 * i] * mask  # no gradient for a pruned weight
        optimizer.step(grads)
        for W, mask in zip(model.weights, masks):
            W *= mask  # Adam's running mean would move a pruned weight even with a zero gradient
    return masks


check_gradual_prune_loop(gradual_prune_loop)
