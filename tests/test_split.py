"""course_lib.data.validation_split: the course's one fixed validation split."""

import numpy as np
import pytest

from course_lib.data import MNIST_VALIDATION_SIZE, validation_split


def _data(n=100):
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    return x, np.arange(n) % 10


def test_split_is_a_partition_in_original_order_and_copies():
    x, y = _data()
    (x_train, y_train), (x_val, y_val) = validation_split(x, y, size=30)
    assert x_train.shape == (70, 3) and x_val.shape == (30, 3)
    rows = np.concatenate([x_train[:, 0], x_val[:, 0]]) // 3
    assert sorted(rows.tolist()) == list(range(100))  # every example once
    assert np.all(np.diff(x_train[:, 0]) > 0) and np.all(np.diff(x_val[:, 0]) > 0)  # original order kept
    assert np.array_equal(y_val, (x_val[:, 0] // 3).astype(int) % 10)  # labels travel with their images
    x_val[:] = -1
    assert x.min() == 0  # a copy


def test_same_seed_same_split_other_seed_other_split():
    x, y = _data()
    a = validation_split(x, y, size=30)[1][0]
    b = validation_split(x, y, size=30)[1][0]
    c = validation_split(x, y, size=30, rng=1)[1][0]
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_the_default_split_is_fixed():
    # numpy's PCG64 stream is stable: the course's split of 60,000 examples is the same everywhere
    x, y = np.arange(60_000), np.zeros(60_000, dtype=int)
    (_, _), (x_val, _) = validation_split(x, y)
    assert len(x_val) == MNIST_VALIDATION_SIZE == 10_000
    assert x_val[:5].tolist() == np.sort(np.random.default_rng(0).permutation(60_000)[:10_000])[:5].tolist()


@pytest.mark.parametrize("kwargs, error, words", [
    ({"size": 0}, ValueError, "size must be an int in [1, 99]"),
    ({"size": 100}, ValueError, "size must be an int in [1, 99]"),
    ({"size": 0.2}, TypeError, "size must be"),
    ({"size": 30, "rng": "zero"}, TypeError, "rng must be"),
])
def test_bad_arguments_are_named(kwargs, error, words):
    x, y = _data()
    with pytest.raises(error, match=words.replace("[", r"\[").replace("]", r"\]")):
        validation_split(x, y, **kwargs)


def test_mismatched_or_too_small_data():
    x, y = _data()
    with pytest.raises(ValueError, match="one row per example"):
        validation_split(x, y[:-1])
    with pytest.raises(ValueError, match="y must be 1-D"):
        validation_split(x, y.reshape(10, 10))
    with pytest.raises(ValueError, match="at least 2 examples"):
        validation_split(x[:1], y[:1], size=1)
