"""course_lib.quantization: hand-computed cases, the scale/2 bound, per channel, bad input."""

import numpy as np
import pytest

from course_lib.quantization import dequantize, quantization_error, quantize


def test_symmetric_hand_computed():
    w = np.array([-1.0, 0.0, 0.5, 1.0])
    q, scale, zero_point = quantize(w, bits=8, scheme="symmetric")
    assert scale == pytest.approx(1 / 127.5) and zero_point == 0
    # w / scale = [-127.5, 0, 63.75, 127.5]: round half to even -> [-128, 0, 64, 128], clamped to 127
    np.testing.assert_array_equal(q, [-128, 0, 64, 127])


def test_affine_hand_computed():
    q, scale, zero_point = quantize(np.array([0.0, 1.0, 2.0, 3.0]), bits=2, scheme="affine")
    assert (scale, zero_point) == (1.0, 0)
    np.testing.assert_array_equal(q, [0, 1, 2, 3])
    w = np.array([-1.0, 0.0, 1.0])
    q, scale, zero_point = quantize(w, bits=2, scheme="affine")
    assert scale == pytest.approx(2 / 3) and zero_point == 2  # 0 - round(-1.5) = 2 (half to even)
    np.testing.assert_array_equal(q, [0, 2, 3])  # round([-1.5, 0, 1.5]) + 2 = [0, 2, 4] -> 4 clamped to 3
    np.testing.assert_allclose(dequantize(q, scale, zero_point), [-4 / 3, 0.0, 2 / 3])


@pytest.mark.parametrize("bits", [2, 3, 4, 8, 12, 16])
@pytest.mark.parametrize("scheme", ["symmetric", "affine"])
@pytest.mark.parametrize("axis", [None, 1])
def test_error_is_at_most_half_a_step(bits, scheme, axis):
    w = np.random.default_rng(bits).normal(size=(64, 16)) * np.linspace(0.1, 3, 16)
    q, scale, zero_point = quantize(w, bits, scheme, axis)
    assert q.dtype == np.int32 and q.shape == w.shape
    error = np.abs(w - dequantize(q, scale, zero_point, axis))
    bound = np.broadcast_to(np.reshape(scale, (1, -1)) if axis == 1 else scale, w.shape) / 2
    assert np.all(error <= bound * (1 + 1e-9))
    assert q.min() >= (-(2 ** (bits - 1)) if scheme == "symmetric" else 0)
    assert q.max() <= (2 ** (bits - 1) - 1 if scheme == "symmetric" else 2**bits - 1)


@pytest.mark.parametrize("bits", [2, 3, 4, 8])
@pytest.mark.parametrize("axis", [None, 1])
def test_symmetric_extremes_do_not_depend_on_the_last_bit(bits, axis):
    """-max|w| is exactly half-way between two codes: it always rounds half to even (to qmin), +max|w| to qmax,
    whatever the last bits of max|w| (a float division alone lands an ulp either side for about 1 value in 7)."""
    qmin, qmax = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    m = np.random.default_rng(bits).uniform(0.1, 3.0, size=300)
    w = np.stack([-m, m / 3, m, -m / 7])  # column j: max|w| = m[j], once negative and once positive
    if axis is None:
        codes = np.array([quantize(column, bits, "symmetric")[0] for column in w.T])
    else:
        codes, scale, _ = quantize(w, bits, "symmetric", axis)
        codes = codes.T
        error = np.abs(w - dequantize(codes.T, scale, 0, axis))
        assert np.all(error[[0, 2]] <= scale / 2 * (1 + 1e-12))
    assert np.all(codes[:, 0] == qmin) and np.all(codes[:, 2] == qmax)


def test_per_channel_beats_per_tensor_on_unequal_channels():
    w = np.random.default_rng(0).normal(size=(100, 4)) * np.array([0.01, 0.1, 1.0, 10.0])
    per_tensor = quantization_error(w, 4, "symmetric")
    per_channel = quantization_error(w, 4, "symmetric", axis=1)
    assert per_channel["sqnr_db"] > per_tensor["sqnr_db"]
    q, scale, _ = quantize(w, 4, "symmetric", axis=1)
    assert scale.shape == (4,) and np.all(np.diff(scale) > 0)


def test_more_bits_less_error():
    w = np.random.default_rng(1).normal(size=1000)
    sqnr = [quantization_error(w, b)["sqnr_db"] for b in (2, 4, 6, 8)]
    assert all(b > a + 8 for a, b in zip(sqnr, sqnr[1:]))  # about 6 dB per bit


def test_zero_tensor_and_exact_zero():
    q, scale, zero_point = quantize(np.zeros(3), 8, "affine")
    assert scale > 0 and np.all(dequantize(q, scale, zero_point) == 0)
    w = np.array([-0.3, 0.0, 2.0])
    q, scale, zp = quantize(w, 4, "affine")
    assert dequantize(q, scale, zp)[1] == 0.0  # zero is represented exactly


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: quantize(np.ones(3), bits=1), ValueError, r"bits must be an int in \[2, 16\]"),
        (lambda: quantize(np.ones(3), bits=17), ValueError, r"bits must be an int in \[2, 16\]"),
        (lambda: quantize(np.ones(3), scheme="log"), ValueError, "unknown scheme 'log'"),
        (lambda: quantize(np.array([1.0, np.nan])), ValueError, "nan or inf"),
        (lambda: quantize([1.0, 2.0]), TypeError, "float numpy array"),
        (lambda: quantize(np.ones((2, 2)), axis=2), ValueError, "axis must be None"),
        (lambda: dequantize(np.ones((2, 2)), np.ones(2), np.zeros(2)), ValueError, "needs the axis"),
    ],
)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_fake_quantize_model():
    from course_lib.nn import MLP
    from course_lib.quantization import fake_quantize_model

    model = MLP([4, 16, 3], rng=0, dtype="float64")
    x = np.random.default_rng(0).normal(size=(50, 4))
    logits = model.forward(x)
    errors = [np.abs(fake_quantize_model(model, bits).forward(x) - logits).max() for bits in (2, 4, 8, 16)]
    assert all(b < a for a, b in zip(errors, errors[1:])) and errors[-1] < 1e-3
    assert all(np.array_equal(p, q) for p, q in zip(model.biases, fake_quantize_model(model, 4).biases))
    np.testing.assert_array_equal(model.forward(x), logits)  # the original is untouched


@pytest.mark.parametrize("bits", [1, 2, 3, 4, 5, 8, 12])
def test_pack_bits_round_trip_and_size(bits):
    from course_lib.quantization import pack_bits, unpack_bits

    codes = np.random.default_rng(bits).integers(0, 2**bits, size=37)
    packed = pack_bits(codes, bits)
    assert packed.dtype == np.uint8 and packed.nbytes == -(-37 * bits // 8)
    np.testing.assert_array_equal(unpack_bits(packed, bits, 37), codes)


def test_pack_bits_layout_and_bad_input():
    from course_lib.quantization import pack_bits, unpack_bits

    np.testing.assert_array_equal(pack_bits(np.array([1, 2, 3, 0]), 2), [0b01101100])  # most significant first
    np.testing.assert_array_equal(pack_bits(np.array([15, 1]), 4), [0xF1])
    with pytest.raises(ValueError, match=r"\[0, 15\]"):
        pack_bits(np.array([16]), 4)
    with pytest.raises(ValueError, match=r"\[0, 3\]"):
        pack_bits(np.array([-1]), 2)
    with pytest.raises(TypeError, match="integers"):
        pack_bits(np.array([0.5]), 4)
    with pytest.raises(ValueError, match="not 5"):
        unpack_bits(np.zeros(1, dtype=np.uint8), 2, 5)
