# Reference solution, chapter 09: freeze the reused layer 0 for frozen_steps steps, then fine-tune every layer.
# Load it into a notebook cell with:  %load ../solutions/09_freeze_then_fine_tune.py
from course_lib.exercises import check_freeze_then_fine_tune
from course_lib.nn import softmax_cross_entropy


def freeze_then_fine_tune(model, make_optimizer, x, y, batches, frozen_steps):
    """One optimizer step per batch. Steps 0 .. frozen_steps - 1: the optimizer holds only the trainable parameters
    (every layer but layer 0, whose W1, b1 are model.params[0:2]), so nothing it does (a gradient step, AdamW's
    decay, momentum) can reach W1 and b1; zeroed gradients would not stop the decay or the momentum. From step
    frozen_steps on: a new optimizer over every parameter, its state fresh. Returns the batch losses."""
    trainable = model.params[2:]  # layer l owns params[2 l] and params[2 l + 1]
    optimizer = make_optimizer(trainable)
    losses = []
    for t, batch in enumerate(batches):
        if t == frozen_steps:  # unfreeze: a new optimizer over all the parameters
            optimizer = make_optimizer(model.params)
        loss, dlogits = softmax_cross_entropy(model.forward(x[batch]), y[batch])
        grads = model.backward(dlogits)
        optimizer.step(grads[2:] if t < frozen_steps else grads)  # the gradients of the parameters it holds
        losses.append(loss)
    return losses


check_freeze_then_fine_tune(freeze_then_fine_tune)
