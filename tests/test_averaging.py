"""course_lib.averaging: the EMA formula by hand, its bias toward the start with and without the correction, the
plain average equal to np.mean, and bad arguments."""

import numpy as np
import pytest

from course_lib.averaging import ExponentialMovingAverage, IterateAverage


def test_the_ema_by_hand():
    w = np.array([2.0, -1.0])
    ema = ExponentialMovingAverage([w], decay=0.5)
    for value in ([4.0, 1.0], [8.0, 3.0]):
        w[...] = value
        ema.update()
    # w_ema: (2, -1) -> 0.5 (2, -1) + 0.5 (4, 1) = (3, 0) -> 0.5 (3, 0) + 0.5 (8, 3) = (5.5, 1.5)
    np.testing.assert_array_equal(ema.average()[0], [5.5, 1.5])
    assert ema.updates == 2


def test_without_correction_the_start_keeps_weight_decay_to_the_t():
    w = np.array([10.0])
    ema = ExponentialMovingAverage([w], decay=0.9)
    w[...] = 0.0
    for t in range(1, 6):
        ema.update()
        assert ema.average()[0][0] == pytest.approx(10.0 * 0.9**t)  # only the start's weight remains


def test_with_correction_the_start_gets_no_weight_and_a_constant_is_exact():
    w = np.array([10.0])
    corrected = ExponentialMovingAverage([w], decay=0.9, bias_correction=True)
    np.testing.assert_array_equal(corrected.average()[0], [10.0])  # before any update: the start
    w[...] = 3.0
    for _ in range(5):
        corrected.update()
        assert corrected.average()[0][0] == pytest.approx(3.0, rel=1e-12)
    # by hand, decay 0.5, iterates 4 then 8: raw 0.5 * (0.5 * 4) + 0.5 * 8 = 5, divided by 1 - 0.25
    w = np.array([0.0])
    corrected = ExponentialMovingAverage([w], decay=0.5, bias_correction=True)
    for value in (4.0, 8.0):
        w[...] = value
        corrected.update()
    assert corrected.average()[0][0] == pytest.approx(5.0 / 0.75)


def test_the_ema_does_not_alias_the_weights():
    w = np.array([1.0, 2.0])
    ema = ExponentialMovingAverage([w], decay=0.5)
    w += 100.0  # no update: the average must not follow
    np.testing.assert_array_equal(ema.average()[0], [1.0, 2.0])


def test_the_tail_average_is_np_mean_of_the_iterates():
    rng = np.random.default_rng(0)
    W, b = rng.normal(size=(3, 4)), rng.normal(size=4)
    average = IterateAverage([W, b])
    iterates = []
    for _ in range(37):
        W += rng.normal(size=W.shape)
        b += rng.normal(size=b.shape)
        average.update()
        iterates.append((W.copy(), b.copy()))
    W_bar, b_bar = average.average()
    np.testing.assert_allclose(W_bar, np.mean([it[0] for it in iterates], axis=0), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(b_bar, np.mean([it[1] for it in iterates], axis=0), rtol=1e-12, atol=1e-12)


def test_averages_keep_the_dtype_and_copy_to_writes_in_place():
    w = np.ones(3, dtype=np.float32)
    ema = ExponentialMovingAverage([w], decay=0.5)
    w[...] = 3.0
    ema.update()
    assert ema.average()[0].dtype == np.float32
    target = np.zeros(3, dtype=np.float32)
    ema.copy_to([target])
    np.testing.assert_array_equal(target, [2.0, 2.0, 2.0])
    with pytest.raises(ValueError, match="shapes"):
        ema.copy_to([np.zeros(4, dtype=np.float32)])


def test_the_tail_average_needs_an_update():
    with pytest.raises(RuntimeError, match="update"):
        IterateAverage([np.zeros(2)]).average()


@pytest.mark.parametrize("make, error, match", [
    (lambda: ExponentialMovingAverage([np.zeros(2)], decay=1.0), ValueError, "decay"),
    (lambda: ExponentialMovingAverage([np.zeros(2)], decay=-0.1), ValueError, "decay"),
    (lambda: ExponentialMovingAverage([np.zeros(2)], decay="0.9"), TypeError, "decay"),
    (lambda: ExponentialMovingAverage([np.zeros(2)], bias_correction=1), TypeError, "bias_correction"),
    (lambda: ExponentialMovingAverage(np.zeros(2)), TypeError, "params"),
    (lambda: IterateAverage([]), ValueError, "params"),
    (lambda: IterateAverage([np.zeros(2, dtype=int)]), TypeError, r"params\[0\]"),
])
def test_bad_arguments_are_named(make, error, match):
    with pytest.raises(error, match=match):
        make()
