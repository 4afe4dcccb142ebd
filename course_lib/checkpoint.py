"""Save and resume training: a model's weights, its optimizer's state and the shuffling generator, in one ``.npz``.

    save_checkpoint("run.npz", model, optimizer, rng=rng, epoch=2)
    ...                                              # later, in a fresh process
    model, optimizer, rng = MLP(sizes, ...), Adam(model.params, lr=1e-3), np.random.default_rng()
    info = load_checkpoint("run.npz", model, optimizer, rng=rng)      # info["epoch"] == 2

Resuming is exact (bit for bit) when everything that the next step depends on is restored: the parameters, the
optimizer's per-parameter state (momentum buffers, Adam's moments *and its step count t*, which sets the bias
correction), its hyperparameters (``lr`` included, as a schedule left it), the scheduler's step count, and the
state of the generator that shuffles the batches (``rng.bit_generator.state``). This follows PyTorch's pattern:
``torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), ...})`` and ``load_state_dict``
(PyTorch tutorial "Saving and loading a general checkpoint for inference and/or resuming training").

The file is a plain ``.npz`` (a zip of ``.npy`` arrays) read with ``allow_pickle=False``: arrays are stored as
arrays, everything else (hyperparameters, scalar state, the generator's state) as JSON text. It is written
atomically: to a temporary file in the same directory, then ``os.replace``d onto the target, so that a crash
while saving leaves the previous checkpoint intact and never a partial file. Loading reads and checks the whole
file before it changes anything: every array's CRC, shape and dtype; the optimizer's class, the values of its
hyperparameters (a throw-away optimizer of the same class is built with them, so ``lr = -1`` is refused) and, for
the optimizers of ``course_lib.optim``, the per-parameter state: empty for every parameter (before the first step)
or, for every one, each entry that ``step`` reads (Adam: ``step``, ``exp_avg`` and ``exp_avg_sq``); the
generator's state (set on a scratch generator). A truncated or corrupted file, another architecture, a missing
key or state entry, or a bad value raises ``ValueError`` naming the file, and the model, optimizer, generator and
scheduler are left as they were.
"""

import json
import os
import tempfile
import zipfile

import numpy as np

from ._checks import as_int
from .optim import SGD, Adam, RMSprop

__all__ = ["save_checkpoint", "load_checkpoint", "CHECKPOINT_FORMAT"]

CHECKPOINT_FORMAT = "course_lib.checkpoint/1"


def _check_path(path):
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or a path, got {type(path).__name__}")
    path = os.fspath(path)
    if not path.endswith(".npz"):
        raise ValueError(f"path must end with .npz, got {path!r}")
    return path


def _check_params(model):
    params = getattr(model, "params", None)
    if not isinstance(params, list) or not params or not all(isinstance(p, np.ndarray) for p in params):
        raise TypeError(f"model must have a non-empty list of numpy arrays in .params (e.g. an MLP), "
                        f"got {type(model).__name__}")
    return params


def _check_optimizer(optimizer):
    if not all(hasattr(optimizer, a) for a in ("state_dict", "load_state_dict", "params", "HYPERPARAMETERS")):
        raise TypeError(f"optimizer must be a course_lib.optim optimizer (with state_dict and load_state_dict), "
                        f"got {type(optimizer).__name__}")


def _check_rng(rng):
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator (its state is saved or restored), "
                        f"got {type(rng).__name__}")


def _check_scheduler(scheduler):
    if not hasattr(scheduler, "steps_taken"):
        raise TypeError(f"scheduler must be a course_lib.schedules.Scheduler, got {type(scheduler).__name__}")


def _text(value):
    """A str as a 0-d unicode array (loadable without pickle)."""
    return np.array(value)


def save_checkpoint(path, model, optimizer=None, *, rng=None, scheduler=None, epoch=None):
    """Write ``model.params`` (and, if given, the optimizer's state, the generator's state, the scheduler's step
    count and the epoch number) to the ``.npz`` file ``path``, atomically.

    Keys: ``format``; ``param/<i>`` (one array per parameter); ``optimizer/class``, ``optimizer/hyperparameters``
    (JSON), ``optimizer/scalars`` (JSON: the non-array state of each parameter, e.g. Adam's step count) and
    ``optimizer/state/<i>/<name>`` (the state arrays); ``rng/state`` (JSON of ``rng.bit_generator.state``);
    ``scheduler/steps_taken``; ``epoch``. Returns ``path``.
    """
    path = _check_path(path)
    arrays = {"format": _text(CHECKPOINT_FORMAT)}
    for i, param in enumerate(_check_params(model)):
        arrays[f"param/{i}"] = param
    if optimizer is not None:
        _check_optimizer(optimizer)
        state_dict = optimizer.state_dict()
        arrays["optimizer/class"] = _text(type(optimizer).__name__)
        arrays["optimizer/hyperparameters"] = _text(json.dumps(state_dict["hyperparameters"]))
        scalars = []
        for i, state in enumerate(state_dict["state"]):
            scalars.append({})
            for name, value in state.items():
                if isinstance(value, np.ndarray):
                    arrays[f"optimizer/state/{i}/{name}"] = value
                else:
                    scalars[-1][name] = value
        arrays["optimizer/scalars"] = _text(json.dumps(scalars))
    if rng is not None:
        _check_rng(rng)
        arrays["rng/state"] = _text(json.dumps(rng.bit_generator.state))
    if scheduler is not None:
        _check_scheduler(scheduler)
        arrays["scheduler/steps_taken"] = np.array(as_int(scheduler.steps_taken, "scheduler.steps_taken", low=0))
    if epoch is not None:
        arrays["epoch"] = np.array(as_int(epoch, "epoch", low=0))

    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=".checkpoint-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, **arrays)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)  # atomic on POSIX and Windows: the old file or the new one, never half
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
    return path


def _read(path):
    """Every array of the file, read and CRC-checked now (np.load of an .npz is lazy), without pickle."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}
    except FileNotFoundError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as error:
        raise ValueError(f"{path}: not a readable checkpoint (truncated or corrupted?): {error}") from None


def _get(arrays, key, path):
    if key not in arrays:
        raise ValueError(f"{path}: the key {key!r} is missing (not a complete course_lib checkpoint)")
    return arrays[key]


def _json(arrays, key, path):
    value = _get(arrays, key, path)
    try:
        return json.loads(str(value))
    except (json.JSONDecodeError, TypeError) as error:
        raise ValueError(f"{path}: {key!r} is not valid JSON: {error}") from None


def _integer(arrays, key, path):
    value = _get(arrays, key, path)
    if value.shape != () or not np.issubdtype(value.dtype, np.integer) or value < 0:
        raise ValueError(f"{path}: {key!r} must be one integer >= 0, got {value!r}")
    return int(value)


def _matching(saved, target, what, path):
    """``saved`` after checking that it has ``target``'s shape and dtype."""
    if saved.shape != target.shape:
        raise ValueError(f"{path}: {what} has shape {saved.shape}, the model's has {target.shape} "
                         "(a checkpoint of another architecture?)")
    if saved.dtype != target.dtype:
        raise ValueError(f"{path}: {what} has dtype {saved.dtype}, the model's has {target.dtype}")
    return saved


def _tuples(value):
    """JSON gives lists where the optimizer had tuples (Adam's betas)."""
    return tuple(value) if isinstance(value, list) else value


def _state_entries(optimizer, hyperparameters):
    """What each parameter's state must hold once the optimizer has stepped, for the optimizers of
    ``course_lib.optim`` (read from their ``step``): ``(required, allowed)`` as dicts name -> "array" or "int".
    ``required``: what ``step`` reads (with the file's hyperparameters); ``allowed`` adds entries ``step`` would only
    read with other hyperparameters (e.g. a momentum buffer after momentum was set to 0). None: another class,
    whose state is not checked beyond shapes and dtypes."""
    if isinstance(optimizer, Adam):  # AdamW too
        entries = {"step": "int", "exp_avg": "array", "exp_avg_sq": "array"}
        return entries, entries
    if isinstance(optimizer, RMSprop):
        required = {"square_avg": "array"}
        if hyperparameters["centered"]:
            required["grad_avg"] = "array"
        if hyperparameters["momentum"]:
            required["momentum_buffer"] = "array"
        return required, {"square_avg": "array", "grad_avg": "array", "momentum_buffer": "array"}
    if isinstance(optimizer, SGD):
        return ({"velocity": "array"} if hyperparameters["momentum"] else {}), {"velocity": "array"}
    return None


def _check_state_entries(states, optimizer, hyperparameters, path):
    """Every parameter's state is empty (no step yet), or each holds every entry ``step`` reads, of the right kind."""
    spec = _state_entries(optimizer, hyperparameters)
    if spec is None:
        return
    required, allowed = spec
    name = type(optimizer).__name__
    empty = [i for i, state in enumerate(states) if not state]
    if len(empty) == len(states):
        return  # the optimizer has not stepped yet: step() creates the state
    if empty:  # step() fills every parameter's state at once: a part missing is a damaged file
        raise ValueError(f"{path}: the {name} state of parameter(s) {empty} is empty, the others' is not "
                         f"({name} needs all of {sorted(required)} for every parameter, or none before the first step)")
    for i, state in enumerate(states):
        missing = sorted(set(required) - set(state))
        if missing:
            raise ValueError(f"{path}: the {name} state of parameter {i} lacks {missing} (it has {sorted(state)}; "
                             f"{name} needs all of {sorted(required)}, or none before the first step)")
        unknown = sorted(set(state) - set(allowed))
        if unknown:
            raise ValueError(f"{path}: the {name} state of parameter {i} has unexpected entries {unknown}")
        for key, value in state.items():
            if allowed[key] == "array" and not isinstance(value, np.ndarray):
                raise ValueError(f"{path}: the {name} state {key!r} of parameter {i} must be an array "
                                 f"('optimizer/state/{i}/{key}'), got {value!r} in 'optimizer/scalars'")
            if allowed[key] == "int" and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise ValueError(f"{path}: the {name} state {key!r} of parameter {i} must be an int >= 0 "
                                 f"(in 'optimizer/scalars'), got {value!r}")


def _checked_hyperparameters(hyperparameters, optimizer, path):
    """The values, after building a throw-away optimizer of the same class with them: its constructor checks them
    (``lr >= 0``, ``0 <= beta < 1``, ``eps > 0``, ...), so a bad value is refused before the optimizer changes."""
    scratch_params = [np.zeros(1, dtype=optimizer.params[0].dtype)]
    try:
        scratch = type(optimizer)(scratch_params, **hyperparameters)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{path}: the saved hyperparameters {hyperparameters!r} are not valid for a "
                         f"{type(optimizer).__name__}: {error}") from None
    return {name: getattr(scratch, name) for name in hyperparameters}


def _optimizer_state(arrays, optimizer, path):
    """The optimizer's state_dict, rebuilt from the file and checked against ``optimizer``."""
    saved_class = str(_get(arrays, "optimizer/class", path))
    if saved_class != type(optimizer).__name__:
        raise ValueError(f"{path}: the optimizer state is of a {saved_class}, the optimizer is a "
                         f"{type(optimizer).__name__}")
    hyperparameters = _json(arrays, "optimizer/hyperparameters", path)
    if not isinstance(hyperparameters, dict) or set(hyperparameters) != set(optimizer.HYPERPARAMETERS):
        raise ValueError(f"{path}: the optimizer's hyperparameters must be {sorted(optimizer.HYPERPARAMETERS)}, "
                         f"got {hyperparameters!r}")
    hyperparameters = {name: _tuples(value) for name, value in hyperparameters.items()}
    for name, value in hyperparameters.items():
        current = getattr(optimizer, name)
        if type(value) is not type(current) or (isinstance(value, tuple) and len(value) != len(current)):
            raise ValueError(f"{path}: the optimizer's hyperparameter {name!r} is {value!r}, "
                             f"expected a {type(current).__name__} like {current!r}")
    hyperparameters = _checked_hyperparameters(hyperparameters, optimizer, path)
    scalars = _json(arrays, "optimizer/scalars", path)
    if not isinstance(scalars, list) or len(scalars) != len(optimizer.params):
        count = len(scalars) if isinstance(scalars, list) else "no list of"
        raise ValueError(f"{path}: the optimizer state is for {count} parameters, the optimizer has "
                         f"{len(optimizer.params)}")
    states = [dict(s) for s in scalars]
    prefix = "optimizer/state/"
    for key, value in arrays.items():
        if key.startswith(prefix):
            index, _, name = key[len(prefix):].partition("/")
            if not index.isdigit() or int(index) >= len(states) or not name:
                raise ValueError(f"{path}: unexpected key {key!r}")
            states[int(index)][name] = _matching(value, optimizer.params[int(index)], key, path)
    _check_state_entries(states, optimizer, hyperparameters, path)
    return {"hyperparameters": hyperparameters, "state": states}


def load_checkpoint(path, model, optimizer=None, *, rng=None, scheduler=None):
    """Restore what ``save_checkpoint`` wrote into ``model`` (and ``optimizer``, ``rng``, ``scheduler`` if given).

    The parameters are copied *into* ``model.params`` (``p[...] = saved``), so an optimizer built on them stays
    attached. Each object given must have been saved; the optimizer must be of the saved class, and every array
    must have the shape and dtype of the one it replaces; the hyperparameters must be valid values for that class,
    and each parameter's state empty or complete (every entry its ``step`` reads). All of that is checked before
    anything is changed: on ``ValueError`` the model, optimizer, generator and scheduler are as they were. Returns
    a dict with ``epoch`` (None if none was saved).
    """
    path = _check_path(path)
    params = _check_params(model)
    if optimizer is not None:
        _check_optimizer(optimizer)
    if rng is not None:
        _check_rng(rng)
    if scheduler is not None:
        _check_scheduler(scheduler)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no checkpoint at {path}")
    arrays = _read(path)

    saved_format = str(_get(arrays, "format", path))
    if saved_format != CHECKPOINT_FORMAT:
        raise ValueError(f"{path}: format {saved_format!r}, expected {CHECKPOINT_FORMAT!r}")
    n_saved = sum(key.startswith("param/") for key in arrays)
    if n_saved != len(params):
        raise ValueError(f"{path}: {n_saved} parameter arrays saved, the model has {len(params)} "
                         "(a checkpoint of another architecture?)")
    new_params = [_matching(_get(arrays, f"param/{i}", path), p, f"param/{i}", path) for i, p in enumerate(params)]
    new_optimizer = None if optimizer is None else _optimizer_state(arrays, optimizer, path)
    new_rng = None
    if rng is not None:
        new_rng = _json(arrays, "rng/state", path)
        saved_name = new_rng.get("bit_generator") if isinstance(new_rng, dict) else None
        if saved_name != type(rng.bit_generator).__name__:
            raise ValueError(f"{path}: the saved generator state is for {saved_name}, rng uses "
                             f"{type(rng.bit_generator).__name__}")
        try:
            type(rng.bit_generator)().state = new_rng  # tried on a scratch generator first
        except (TypeError, ValueError, KeyError) as error:
            raise ValueError(f"{path}: 'rng/state' is not a valid {saved_name} state: {error}") from None
    steps_taken = None if scheduler is None else _integer(arrays, "scheduler/steps_taken", path)
    epoch = _integer(arrays, "epoch", path) if "epoch" in arrays else None

    # Everything is read and checked; from here on nothing can fail halfway.
    if optimizer is not None:
        optimizer.load_state_dict(new_optimizer)
    for param, saved in zip(params, new_params):
        param[...] = saved
    if hasattr(model, "clear_cache"):
        model.clear_cache()  # what the last forward kept belongs to the old weights
    if rng is not None:
        rng.bit_generator.state = new_rng
    if scheduler is not None:
        scheduler.steps_taken = steps_taken
    return {"epoch": epoch}
