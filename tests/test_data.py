"""course_lib.data: the synthetic 2-D datasets, and what the package exposes (names, command line)."""

import inspect
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from course_lib import data
from course_lib.nn import MLP

DATASETS = {
    "moons": (data.moons, 2),
    "circles": (data.circles, 2),
    "spirals": (data.spirals, 3),
    "xor": (data.xor, 2),
    "shifted_blobs": (data.shifted_blobs, 2),
}


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_shapes_balance_and_seeding(name):
    make, classes = DATASETS[name]
    x, y = make(n=301, rng=0)
    assert x.shape == (301, 2) and x.dtype == np.float64
    assert y.shape == (301,) and y.dtype == np.int64
    counts = np.bincount(y)
    assert len(counts) == classes and counts.max() - counts.min() <= 1
    x2, y2 = make(n=301, rng=0)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(make(n=301, rng=1)[0], x)


@pytest.mark.parametrize("name", ["moons", "circles", "xor"])
def test_not_linearly_separable(name):
    """The best linear classifier (least squares on +-1 targets, with bias) stays well below 100%."""
    x, y = DATASETS[name][0](n=400, rng=0)
    features = np.column_stack([x, np.ones(len(x))])
    w, *_ = np.linalg.lstsq(features, 2.0 * y - 1, rcond=None)
    assert ((features @ w > 0) == y).mean() < 0.9


def test_shifted_blobs_boundary_is_away_from_the_origin():
    x, y = data.shifted_blobs(n=400, noise=0.3, rng=0)
    assert np.linalg.norm(x.mean(axis=0) - [3.0, 3.0]) < 0.2
    # with a bias a line separates them; the mean of each class is on its side of the center
    assert (x[y == 1] @ [1, 1]).mean() > 6 > (x[y == 0] @ [1, 1]).mean()


def test_spirals_can_be_learned_by_a_small_mlp():
    x, y = data.spirals(n=300, rng=0)
    model = MLP([2, 64, 3], rng=0, dtype="float64")
    from course_lib.nn import softmax_cross_entropy
    from course_lib.optim import SGD

    opt = SGD(model.params, lr=1.0)
    for _ in range(2000):
        _, dlogits = softmax_cross_entropy(model.forward(x), y)
        opt.step(model.backward(dlogits))
    assert (model.predict(x) == y).mean() > 0.95


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: data.moons(n=1), "n must be an int >= 2"),
        (lambda: data.xor(n=3), "n must be an int >= 4"),
        (lambda: data.moons(noise=-1), "noise must be >= 0"),
        (lambda: data.circles(factor=1.5), "factor must be in"),
        (lambda: data.spirals(classes=1), "classes must be an int >= 2"),
        (lambda: data.spirals(classes=np.int64(1)), "classes must be an int >= 2"),
        (lambda: data.shifted_blobs(center=(1, 2, 3)), "center must be two finite numbers"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: data.moons(n=200.0), "n must be an int >= 2, got 200.0"),
        (lambda: data.xor(n=True), "n must be an int >= 4, got True"),
        (lambda: data.spirals(classes=3.0), "classes must be an int >= 2, got 3.0"),
    ],
)
def test_a_count_that_is_not_an_int_is_a_type_error(call, match):
    with pytest.raises(TypeError, match=match):
        call()


# --- the package: its names and its command line -----------------------------------------------------------

PUBLIC_NAMES = {  # what course_lib.data exposed as a single module (data.py), before it became a package
    "moons", "circles", "spirals", "xor", "shifted_blobs",
    "load_mnist", "fetch_mnist", "mnist_cache_dir",
    "MNISTFileError", "MNISTChecksumError", "MNISTNotFoundError", "MNISTDownloadError",
    "MNIST_MIRRORS", "MNIST_FILES", "MNIST_SHA256", "MNIST_COUNTS",
}
SPLIT_NAMES = ["validation_split", "MNIST_VALIDATION_SIZE", "MNIST_VALIDATION_SEED"]  # added since, in split.py
ALL = ["moons", "circles", "spirals", "xor", "shifted_blobs", "load_mnist", "fetch_mnist", "mnist_cache_dir",
       "MNISTFileError", "MNISTChecksumError", "MNISTNotFoundError", "MNISTDownloadError"]


def test_the_package_exposes_the_same_names_as_the_old_module():
    from course_lib.data import mnist, split, toy

    assert data.__all__ == ALL + SPLIT_NAMES
    public = {name for name in vars(data) if not name.startswith("_")} - {"mnist", "toy", "split"}  # the submodules
    assert public == PUBLIC_NAMES | set(SPLIT_NAMES)
    assert all(getattr(data, name) is getattr(split, name) for name in SPLIT_NAMES)
    for name in PUBLIC_NAMES:  # the same objects as in the module that defines them
        assert getattr(data, name) is getattr(mnist if hasattr(mnist, name) else toy, name)
    # chapter 08 shows this one: show_source(data._read_verified)
    assert data._read_verified is mnist._read_verified
    assert inspect.getsource(data._read_verified).startswith("@functools.lru_cache(maxsize=4)\ndef _read_verified(")


def test_python_m_course_lib_data_help_runs():
    done = subprocess.run([sys.executable, "-W", "error::RuntimeWarning", "-m", "course_lib.data", "--help"],
                          cwd=Path(__file__).parents[1], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: python -m course_lib.data") and "download" in done.stdout
    assert done.stderr == ""
