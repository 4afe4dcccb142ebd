"""course_lib.checkpoint: resuming is bit for bit, the write is atomic, and a bad file is refused whole."""

import json
import os

import numpy as np
import pytest

from course_lib import checkpoint
from course_lib.checkpoint import load_checkpoint, save_checkpoint
from course_lib.nn import MLP
from course_lib.optim import SGD, Adam, AdamW, RMSprop
from course_lib.schedules import Scheduler, cosine_annealing
from course_lib.train import train

OPTIMIZERS = {
    "SGD + momentum": lambda params: SGD(params, lr=0.05, momentum=0.9),
    "Adam": lambda params: Adam(params, lr=1e-2),
    "AdamW": lambda params: AdamW(params, lr=1e-2, weight_decay=0.1),
    "RMSprop, centered, momentum": lambda params: RMSprop(params, lr=1e-3, momentum=0.5, centered=True),
}


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 12))
    return x, (x[:, 0] + x[:, 1] > 0).astype(int) + (x[:, 2] > 1).astype(int)


def _run(model, optimizer, data, epochs, rng, scheduler=None):
    x, y = data
    train(model, optimizer, x, y, epochs=epochs, batch_size=16, rng=rng, scheduler=scheduler, diagnostics=False,
          progress=False)


def _fresh(make, seed=1, dtype="float64"):
    model = MLP([12, 10, 3], rng=seed, dtype=dtype)
    return model, make(model.params)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_resuming_from_a_checkpoint_is_bit_for_bit(tmp_path, data, name):
    make = OPTIMIZERS[name]
    straight, straight_optimizer = _fresh(make)
    _run(straight, straight_optimizer, data, 4, np.random.default_rng(5))

    first, first_optimizer = _fresh(make)
    first_rng = np.random.default_rng(5)
    _run(first, first_optimizer, data, 2, first_rng)
    path = save_checkpoint(tmp_path / "run.npz", first, first_optimizer, rng=first_rng, epoch=2)

    resumed, resumed_optimizer = _fresh(make, seed=99)  # other weights, an empty optimizer, another generator
    resumed_rng = np.random.default_rng(12345)
    info = load_checkpoint(path, resumed, resumed_optimizer, rng=resumed_rng)
    assert info == {"epoch": 2}
    _run(resumed, resumed_optimizer, data, 2, resumed_rng)
    for a, b in zip(straight.params, resumed.params):
        assert np.array_equal(a, b)


def test_without_the_optimizer_state_the_resumed_run_differs(tmp_path, data):
    straight, straight_optimizer = _fresh(OPTIMIZERS["Adam"])
    _run(straight, straight_optimizer, data, 4, np.random.default_rng(5))
    first, first_optimizer = _fresh(OPTIMIZERS["Adam"])
    rng = np.random.default_rng(5)
    _run(first, first_optimizer, data, 2, rng)
    save_checkpoint(tmp_path / "run.npz", first, rng=rng)
    resumed, fresh_adam = _fresh(OPTIMIZERS["Adam"], seed=99)
    resumed_rng = np.random.default_rng(0)
    load_checkpoint(tmp_path / "run.npz", resumed, rng=resumed_rng)
    _run(resumed, fresh_adam, data, 2, resumed_rng)
    assert not np.array_equal(straight.params[0], resumed.params[0])


def test_the_scheduler_step_count_and_the_learning_rate_are_restored(tmp_path, data):
    model, optimizer = _fresh(OPTIMIZERS["SGD + momentum"])
    scheduler = Scheduler(optimizer, cosine_annealing(0.05, 100))
    _run(model, optimizer, data, 1, 0, scheduler=scheduler)
    save_checkpoint(tmp_path / "run.npz", model, optimizer, scheduler=scheduler)
    other, other_optimizer = _fresh(OPTIMIZERS["SGD + momentum"])
    other_scheduler = Scheduler(other_optimizer, cosine_annealing(0.05, 100))
    assert load_checkpoint(tmp_path / "run.npz", other, other_optimizer, scheduler=other_scheduler) == {"epoch": None}
    assert other_scheduler.steps_taken == scheduler.steps_taken == 8
    assert other_optimizer.lr == optimizer.lr != 0.05


def test_the_loaded_arrays_are_written_into_the_models_own_arrays(tmp_path):
    model, optimizer = _fresh(OPTIMIZERS["Adam"])
    save_checkpoint(tmp_path / "a.npz", model)
    other, other_optimizer = _fresh(OPTIMIZERS["Adam"], seed=7)
    arrays = list(other.params)
    load_checkpoint(tmp_path / "a.npz", other)
    assert all(a is b for a, b in zip(arrays, other.params))  # the optimizer built on them stays attached
    assert all(a is b for a, b in zip(other_optimizer.params, other.params))
    assert all(np.array_equal(a, b) for a, b in zip(model.params, other.params))


def test_the_file_is_one_npz_readable_without_pickle(tmp_path, data):
    model, optimizer = _fresh(OPTIMIZERS["Adam"])
    rng = np.random.default_rng(3)
    _run(model, optimizer, data, 1, rng)
    save_checkpoint(tmp_path / "run.npz", model, optimizer, rng=rng, epoch=1)
    assert os.listdir(tmp_path) == ["run.npz"]
    with np.load(tmp_path / "run.npz", allow_pickle=False) as archive:
        assert "param/0" in archive.files and "optimizer/state/0/exp_avg" in archive.files
        assert json.loads(str(archive["optimizer/scalars"]))[0] == {"step": 8}
        assert json.loads(str(archive["rng/state"])) == rng.bit_generator.state


def test_the_write_is_atomic_a_failure_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    model, optimizer = _fresh(OPTIMIZERS["Adam"])
    path = tmp_path / "run.npz"
    save_checkpoint(path, model, optimizer)
    before = path.read_bytes()

    def failing_savez(file, **arrays):
        file.write(b"PK\x03\x04 half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(checkpoint.np, "savez", failing_savez)
    model.params[0] += 1.0
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, model, optimizer)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["run.npz"]


def test_a_truncated_file_is_refused_and_the_model_is_unchanged(tmp_path):
    model, optimizer = _fresh(OPTIMIZERS["Adam"])
    path = save_checkpoint(tmp_path / "run.npz", model, optimizer)
    data = (tmp_path / "run.npz").read_bytes()
    (tmp_path / "run.npz").write_bytes(data[: len(data) // 2])
    other, other_optimizer = _fresh(OPTIMIZERS["Adam"], seed=7)
    before = [p.copy() for p in other.params]
    with pytest.raises(ValueError, match="run.npz.*truncated or corrupted"):
        load_checkpoint(path, other, other_optimizer)
    assert all(np.array_equal(a, b) for a, b in zip(before, other.params))


def test_a_corrupted_array_is_refused_before_anything_is_loaded(tmp_path):
    model, optimizer = _fresh(OPTIMIZERS["Adam"])
    path = tmp_path / "run.npz"
    save_checkpoint(path, model, optimizer)
    data = bytearray(path.read_bytes())
    with np.load(path) as archive:  # corrupt bytes inside the last parameter's data (stored uncompressed)
        last = archive["param/3"].tobytes()
    position = bytes(data).find(last)
    assert position > 0
    data[position + 3] ^= 0xFF
    path.write_bytes(bytes(data))
    other, other_optimizer = _fresh(OPTIMIZERS["Adam"], seed=7)
    before = [p.copy() for p in other.params]
    with pytest.raises(ValueError, match="run.npz"):
        load_checkpoint(path, other, other_optimizer)
    assert all(np.array_equal(a, b) for a, b in zip(before, other.params))
    assert other_optimizer.state == [{} for _ in other.params]


def test_another_architecture_is_refused_whole(tmp_path):
    model, _ = _fresh(OPTIMIZERS["Adam"])
    save_checkpoint(tmp_path / "run.npz", model)
    wider = MLP([12, 11, 3], rng=0, dtype="float64")
    before = [p.copy() for p in wider.params]
    with pytest.raises(ValueError, match=r"run.npz: param/0 has shape \(12, 10\), the model's has \(12, 11\)"):
        load_checkpoint(tmp_path / "run.npz", wider)
    assert all(np.array_equal(a, b) for a, b in zip(before, wider.params))  # not even W1's first rows
    deeper = MLP([12, 10, 10, 3], rng=0, dtype="float64")
    with pytest.raises(ValueError, match="4 parameter arrays saved, the model has 6"):
        load_checkpoint(tmp_path / "run.npz", deeper)


def test_another_dtype_is_refused(tmp_path):
    model, _ = _fresh(OPTIMIZERS["Adam"], dtype="float32")
    save_checkpoint(tmp_path / "run.npz", model)
    other = MLP([12, 10, 3], rng=0, dtype="float64")
    with pytest.raises(ValueError, match="dtype float32, the model's has float64"):
        load_checkpoint(tmp_path / "run.npz", other)


def test_missing_parts_and_other_optimizers_are_named(tmp_path):
    model, optimizer = _fresh(OPTIMIZERS["Adam"])
    save_checkpoint(tmp_path / "weights.npz", model)
    with pytest.raises(ValueError, match="weights.npz: the key 'optimizer/class' is missing"):
        load_checkpoint(tmp_path / "weights.npz", model, optimizer)
    with pytest.raises(ValueError, match="'rng/state' is missing"):
        load_checkpoint(tmp_path / "weights.npz", model, rng=np.random.default_rng())
    save_checkpoint(tmp_path / "sgd.npz", model, SGD(model.params, lr=0.1, momentum=0.9))
    with pytest.raises(ValueError, match="state is of a SGD, the optimizer is a Adam"):
        load_checkpoint(tmp_path / "sgd.npz", model, optimizer)
    np.savez(tmp_path / "other.npz", weights=np.zeros(3))
    with pytest.raises(ValueError, match="other.npz: the key 'format' is missing"):
        load_checkpoint(tmp_path / "other.npz", model)


def test_a_state_array_of_the_wrong_shape_is_refused_before_the_model_changes(tmp_path):
    model, optimizer = _fresh(OPTIMIZERS["SGD + momentum"])
    optimizer.step([np.ones_like(p) for p in model.params])
    save_checkpoint(tmp_path / "run.npz", model, optimizer)
    with np.load(tmp_path / "run.npz") as archive:
        arrays = dict(archive)
    arrays["optimizer/state/1/velocity"] = np.zeros(4)
    np.savez(tmp_path / "bad.npz", **arrays)
    other, other_optimizer = _fresh(OPTIMIZERS["SGD + momentum"], seed=7)
    before = [p.copy() for p in other.params]
    with pytest.raises(ValueError, match="optimizer/state/1/velocity has shape"):
        load_checkpoint(tmp_path / "bad.npz", other, other_optimizer)
    assert all(np.array_equal(a, b) for a, b in zip(before, other.params))


@pytest.mark.parametrize("call, error, match", [
    (lambda m, o, p: save_checkpoint(p / "run.txt", m), ValueError, "path must end with .npz"),
    (lambda m, o, p: save_checkpoint(3, m), TypeError, "path"),
    (lambda m, o, p: save_checkpoint(p / "run.npz", [np.zeros(3)]), TypeError, "model"),
    (lambda m, o, p: save_checkpoint(p / "run.npz", m, o, rng=0), TypeError, "rng"),
    (lambda m, o, p: save_checkpoint(p / "run.npz", m, "adam"), TypeError, "optimizer"),
    (lambda m, o, p: save_checkpoint(p / "run.npz", m, epoch=-1), ValueError, "epoch"),
    (lambda m, o, p: save_checkpoint(p / "run.npz", m, scheduler=o), TypeError, "scheduler"),
    (lambda m, o, p: load_checkpoint(p / "missing.npz", m), FileNotFoundError, "missing.npz"),
    (lambda m, o, p: load_checkpoint(p / "missing.npz", m, rng=1), TypeError, "rng"),
])
def test_bad_arguments_are_named(tmp_path, call, error, match):
    model, optimizer = _fresh(OPTIMIZERS["Adam"])
    with pytest.raises(error, match=match):
        call(model, optimizer, tmp_path)
    assert not (tmp_path / "run.npz").exists()


def _rewrite(source, target, change):
    """A copy of the checkpoint ``source`` at ``target``, its arrays (a dict) passed through ``change`` first."""
    with np.load(source, allow_pickle=False) as archive:
        arrays = dict(archive)
    change(arrays)
    np.savez(target, **arrays)
    return target


def _scalars(update):
    """A ``change`` for ``_rewrite`` that edits the JSON list of optimizer/scalars in place."""
    def change(arrays):
        scalars = json.loads(str(arrays["optimizer/scalars"]))
        update(scalars)
        arrays["optimizer/scalars"] = np.array(json.dumps(scalars))
    return change


def _hyperparameters(update):
    def change(arrays):
        hyperparameters = json.loads(str(arrays["optimizer/hyperparameters"]))
        hyperparameters.update(update)
        arrays["optimizer/hyperparameters"] = np.array(json.dumps(hyperparameters))
    return change


def _snapshot(model, optimizer, rng):
    return [p.copy() for p in model.params], optimizer.state_dict(), rng.bit_generator.state


def _assert_unchanged(snapshot, model, optimizer, rng):
    params, state_dict, rng_state = snapshot
    assert all(np.array_equal(a, b) for a, b in zip(params, model.params))
    now = optimizer.state_dict()
    assert now["hyperparameters"] == state_dict["hyperparameters"]
    assert len(now["state"]) == len(state_dict["state"])
    for a, b in zip(now["state"], state_dict["state"]):
        assert a.keys() == b.keys()
        assert all(np.array_equal(a[k], b[k]) for k in a)
    assert rng.bit_generator.state == rng_state


def _stepped_target(make, data, seed=7):
    """A model and an optimizer that has stepped (so that "unchanged" is a claim about real state), a generator."""
    model, optimizer = _fresh(make, seed=seed)
    rng = np.random.default_rng(seed)
    _run(model, optimizer, data, 1, rng)
    return model, optimizer, rng


@pytest.mark.parametrize("what, change, match", [
    ("exp_avg_sq", lambda arrays: arrays.pop("optimizer/state/2/exp_avg_sq"),
     r"bad.npz: the Adam state of parameter 2 lacks \['exp_avg_sq'\]"),
    ("step", _scalars(lambda scalars: scalars[0].pop("step")),
     r"bad.npz: the Adam state of parameter 0 lacks \['step'\]"),
    ("step as a float", _scalars(lambda scalars: scalars[1].update(step=8.0)), r"bad.npz: .*'step' .* int >= 0"),
    ("a negative step", _scalars(lambda scalars: scalars[1].update(step=-1)), r"bad.npz: .*'step' .* int >= 0"),
    ("an unknown entry", lambda arrays: arrays.update({"optimizer/state/0/velocity": arrays["param/0"]}),
     r"bad.npz: .*unexpected entries \['velocity'\]"),
])
def test_an_incomplete_adam_state_is_refused_and_nothing_changes(tmp_path, data, what, change, match):
    model, optimizer = _fresh(OPTIMIZERS["Adam"])
    _run(model, optimizer, data, 1, np.random.default_rng(5))
    good = save_checkpoint(tmp_path / "run.npz", model, optimizer, rng=np.random.default_rng(5))
    bad = _rewrite(good, tmp_path / "bad.npz", change)
    other, other_optimizer, other_rng = _stepped_target(OPTIMIZERS["Adam"], data)
    snapshot = _snapshot(other, other_optimizer, other_rng)
    with pytest.raises(ValueError, match=match):
        load_checkpoint(bad, other, other_optimizer, rng=other_rng)
    _assert_unchanged(snapshot, other, other_optimizer, other_rng)
    load_checkpoint(good, other, other_optimizer, rng=other_rng)  # the intact file loads, and the next step runs
    _run(other, other_optimizer, data, 1, other_rng)


@pytest.mark.parametrize("name, key", [("SGD + momentum", "optimizer/state/1/velocity"),
                                       ("RMSprop, centered, momentum", "optimizer/state/3/grad_avg"),
                                       ("RMSprop, centered, momentum", "optimizer/state/0/momentum_buffer")])
def test_a_missing_state_entry_of_sgd_or_rmsprop_is_refused(tmp_path, data, name, key):
    model, optimizer = _fresh(OPTIMIZERS[name])
    _run(model, optimizer, data, 1, np.random.default_rng(5))
    good = save_checkpoint(tmp_path / "run.npz", model, optimizer)
    bad = _rewrite(good, tmp_path / "bad.npz", lambda arrays: arrays.pop(key))
    other, other_optimizer, other_rng = _stepped_target(OPTIMIZERS[name], data)
    snapshot = _snapshot(other, other_optimizer, other_rng)
    index, entry = key.split("/")[2:]
    match = (rf"bad.npz: the \w+ state of parameter\(s\) \[{index}\] is empty"
             if name.startswith("SGD")  # velocity is SGD's only entry: that parameter's state is left empty
             else rf"bad.npz: the \w+ state of parameter {index} lacks \['{entry}'\]")
    with pytest.raises(ValueError, match=match):
        load_checkpoint(bad, other, other_optimizer)
    _assert_unchanged(snapshot, other, other_optimizer, other_rng)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_an_optimizer_saved_before_its_first_step_loads_and_steps(tmp_path, data, name):
    model, optimizer = _fresh(OPTIMIZERS[name])
    save_checkpoint(tmp_path / "run.npz", model, optimizer)  # every state empty: allowed
    other, other_optimizer, _ = _stepped_target(OPTIMIZERS[name], data)
    load_checkpoint(tmp_path / "run.npz", other, other_optimizer)
    assert other_optimizer.state == [{} for _ in other.params]
    _run(other, other_optimizer, data, 1, np.random.default_rng(0))
    assert all(other_optimizer.state)


@pytest.mark.parametrize("update, match", [
    ({"lr": -1.0}, "lr"),
    ({"eps": 0.0}, "eps"),
    ({"betas": [0.9, 1.5]}, r"betas\[1\]"),
    ({"weight_decay": float("nan")}, "weight_decay"),
])
def test_an_invalid_hyperparameter_is_refused_before_the_optimizer_changes(tmp_path, data, update, match):
    model, optimizer = _fresh(OPTIMIZERS["Adam"])
    _run(model, optimizer, data, 1, np.random.default_rng(5))
    good = save_checkpoint(tmp_path / "run.npz", model, optimizer)
    changed = {"eps": 1e-6, "betas": [0.8, 0.99], **update}  # other valid values besides the bad one
    bad = _rewrite(good, tmp_path / "bad.npz", _hyperparameters(changed))
    other, other_optimizer, other_rng = _stepped_target(OPTIMIZERS["Adam"], data)
    snapshot = _snapshot(other, other_optimizer, other_rng)
    with pytest.raises(ValueError, match=rf"bad.npz: the saved hyperparameters .* not valid for a Adam: .*{match}"):
        load_checkpoint(bad, other, other_optimizer, rng=other_rng)
    _assert_unchanged(snapshot, other, other_optimizer, other_rng)
    assert other_optimizer.eps == 1e-8 and other_optimizer.betas == (0.9, 0.999)


def test_a_negative_scheduler_step_count_is_refused(tmp_path, data):
    model, optimizer = _fresh(OPTIMIZERS["SGD + momentum"])
    scheduler = Scheduler(optimizer, cosine_annealing(0.05, 100))
    save_checkpoint(tmp_path / "run.npz", model, optimizer, scheduler=scheduler)
    bad = _rewrite(tmp_path / "run.npz", tmp_path / "bad.npz",
                   lambda arrays: arrays.update({"scheduler/steps_taken": np.array(-3)}))
    with pytest.raises(ValueError, match="bad.npz: 'scheduler/steps_taken' must be one integer >= 0"):
        load_checkpoint(bad, model, optimizer, scheduler=scheduler)
    assert scheduler.steps_taken == 0
