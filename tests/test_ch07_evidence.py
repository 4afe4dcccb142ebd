"""Chapter 07's evidence: the experiments behind its claims (course_lib.experiments.ch07_pruning: retraining after
pruning, the lottery ticket, gradual pruning against a small dense network, storage formats, quantization) and the
quantization explorer (course_lib.widgets.ch07_pruning)."""

import numpy as np
import pytest

from course_lib import data
from course_lib.experiments.ch07_pruning import (
    QUANT_BIN_EDGES,
    QUANT_BITS,
    RETRAIN_SIZES,
    STORAGE_FORMATS,
    connected_units,
    decode_weights,
    encode_weights,
    equal_parameter_sparsity,
    gradual_prune,
    lottery_ticket,
    prune_and_retrain,
    pruning_setup,
    quantization_curve,
    quantization_experiment,
    storage_nbytes,
    train_sparse,
)
from course_lib.nn import MLP
from course_lib.pruning import global_magnitude_prune, magnitude_prune
from course_lib.quantization import dequantize, fake_quantize_model, quantize
from course_lib.widgets.ch07_pruning import quantization_explorer

PNG = b"\x89PNG"


@pytest.fixture(scope="module")
def spirals():
    rng = np.random.default_rng(0)
    x, y = data.spirals(n=192, classes=3, rng=rng)
    x_val, y_val = data.spirals(n=96, classes=3, rng=rng)
    return x, y, x_val, y_val


def _n_params(sizes):
    return sum(p.size for p in MLP(list(sizes), rng=0).params)


# --------------------------------------------------------------------------------------------------
# equal parameter counts, training with a mask, prune and retrain
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [10, 12, 16, 21])
def test_equal_parameter_sparsity_leaves_exactly_as_many_parameters(width):
    sparsity, n_parameters = equal_parameter_sparsity(width)
    assert n_parameters == _n_params((2, width, width, 3))
    big = MLP(list(RETRAIN_SIZES), rng=0, dtype="float64")
    _, masks = global_magnitude_prune(big.weights, sparsity)
    assert sum(int(m.sum()) for m in masks) + sum(b.size for b in big.biases) == n_parameters
    assert equal_parameter_sparsity(12)[0] == pytest.approx(1 - 100 / 4416)  # the chapter's 97.7%


def test_equal_parameter_sparsity_refuses_what_cannot_match():
    with pytest.raises(ValueError, match="cannot match"):
        equal_parameter_sparsity(8)  # 123 parameters, fewer than the 131 biases of 2-64-64-3
    with pytest.raises(ValueError, match="cannot match"):
        equal_parameter_sparsity(70)


def test_train_sparse_keeps_the_mask_starts_where_told_and_is_deterministic(spirals):
    x, y, x_val, y_val = spirals
    start = MLP(list(RETRAIN_SIZES), rng=5, dtype="float64").params
    masks = [magnitude_prune(W, 0.8)[1] for W in start[0::2]]
    net, curve = train_sparse(RETRAIN_SIZES, x, y, 4, start=start, masks=masks, rng=1, x_val=x_val, y_val=y_val,
                              eval_every=3)
    for W, m in zip(net.weights, masks):
        assert np.all(W[~m] == 0) and np.all(W[m] != 0)
    assert len(curve) == 2 and all(0 <= a <= 1 for a in curve)  # after epochs 3 and 4
    again, curve_again = train_sparse(RETRAIN_SIZES, x, y, 4, start=start, masks=masks, rng=1, x_val=x_val,
                                      y_val=y_val, eval_every=3)
    assert curve == curve_again and all(np.array_equal(p, q) for p, q in zip(net.params, again.params))
    assert all(np.array_equal(p, q) for p, q in zip(start, MLP(list(RETRAIN_SIZES), rng=5, dtype="float64").params))
    untrained, no_curve = train_sparse(RETRAIN_SIZES, x, y, 0, start=start)
    assert no_curve == [] and all(np.array_equal(p, q) for p, q in zip(untrained.params, start))
    with pytest.raises(ValueError, match="start must hold"):
        train_sparse(RETRAIN_SIZES, x, y, 1, start=start[:2])
    with pytest.raises(ValueError, match="x must have shape"):
        train_sparse((3, 4, 3), x, y, 1)
    with pytest.raises(ValueError, match="give both x_val"):
        train_sparse(RETRAIN_SIZES, x, y, 1, x_val=x_val)


def test_prune_and_retrain_meets_the_sparsity_and_one_round_is_one_shot_fine_tuning(spirals):
    x, y, *_ = spirals
    dense, _ = train_sparse(RETRAIN_SIZES, x, y, 2, rng=0)
    before = [p.copy() for p in dense.params]
    iterative = prune_and_retrain(dense, 0.95, 4, 4, x, y, rng=3)
    assert sum(np.count_nonzero(W) for W in iterative.weights) == 4416 - round(0.95 * 4416)
    one_shot = prune_and_retrain(dense, 0.95, 1, 4, x, y, rng=3)
    _, masks = global_magnitude_prune(dense.weights, 0.95)
    by_hand, _ = train_sparse(RETRAIN_SIZES, x, y, 4, start=dense.params, masks=masks, rng=4)  # round 1: seed 3 + 1
    assert all(np.array_equal(p, q) for p, q in zip(one_shot.params, by_hand.params))
    assert all(np.array_equal(p, q) for p, q in zip(dense.params, before))  # the dense network is not changed
    with pytest.raises(ValueError, match="multiple of rounds"):
        prune_and_retrain(dense, 0.9, 3, 4, x, y)
    with pytest.raises(ValueError, match="sparsity"):
        prune_and_retrain(dense, 1.5, 1, 1, x, y)


# --------------------------------------------------------------------------------------------------
# the lottery ticket
# --------------------------------------------------------------------------------------------------


def test_lottery_ticket_rewinds_to_theta_0_and_its_controls_differ(spirals):
    x, y, x_val, y_val = spirals
    theta_0 = MLP(list(RETRAIN_SIZES), rng=7, dtype="float64").params
    dense, _ = train_sparse(RETRAIN_SIZES, x, y, 2, start=theta_0, rng=7)
    result = lottery_ticket(dense, theta_0, 0.9, x, y, x_val, y_val, epochs=3, eval_every=2, rng=7)
    _, masks = global_magnitude_prune(dense.weights, 0.9)
    assert result["kept"] == 442 and result["epochs"] == [2, 3]
    assert [len(result[name]) for name in ("ticket", "random reinit", "rescaled reinit")] == [2, 2, 2]
    ticket_norms = [np.linalg.norm(W * m) for W, m in zip(theta_0[0::2], masks)]
    np.testing.assert_allclose(result["start_norm"]["ticket"], ticket_norms)
    np.testing.assert_allclose(result["start_norm"]["rescaled reinit"], ticket_norms)
    # the same seed as theta_0, yet a different random start
    assert not np.allclose(result["start_norm"]["random reinit"], ticket_norms)
    assert result == lottery_ticket(dense, theta_0, 0.9, x, y, x_val, y_val, epochs=3, eval_every=2, rng=7)
    with pytest.raises(ValueError, match="theta_0"):
        lottery_ticket(dense, theta_0[:4], 0.9, x, y, x_val, y_val, epochs=1)


# --------------------------------------------------------------------------------------------------
# gradual pruning, connected units
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scope", ["global", "per-layer"])
def test_gradual_prune_ends_at_the_exact_sparsity(spirals, scope):
    x, y, *_ = spirals
    net = gradual_prune(x, y, 0.9, scope, epochs=9, t0=0, n_prunes=2, dt=3, rng=0)  # s_f at epoch 6
    if scope == "global":
        assert sum(np.count_nonzero(W == 0) for W in net.weights) == round(0.9 * 4416)
    else:
        assert [np.count_nonzero(W == 0) for W in net.weights] == [round(0.9 * W.size) for W in net.weights]
    with pytest.raises(ValueError, match="unknown scope"):
        gradual_prune(x, y, 0.9, "local", epochs=1)


def test_connected_units_counts_units_with_a_weight_in_and_a_weight_out():
    W1 = np.array([[1.0, 0.0, 2.0, 0.0]])          # units 0 and 2 get an input
    W2 = np.array([[0.0], [3.0], [1.0], [1.0]])     # units 1, 2 and 3 send an output
    W3 = np.array([[1.0]])
    assert connected_units([W1, W2, W3]) == [1, 1]  # only unit 2 of layer 1; the one unit of layer 2


# --------------------------------------------------------------------------------------------------
# storage formats
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", STORAGE_FORMATS)
def test_every_format_decodes_to_what_it_stores(fmt):
    w = np.random.default_rng(2).normal(size=(64, 10))
    if fmt.startswith("csr"):
        w, _ = magnitude_prune(w, 0.9)
    stored = encode_weights(w, fmt)
    decoded = decode_weights(stored, fmt, w.shape)
    assert decoded.shape == w.shape and decoded.dtype == np.float64
    if fmt in ("float32", "csr float32"):
        np.testing.assert_array_equal(decoded, w.astype(np.float32))
    elif fmt == "float16":
        np.testing.assert_array_equal(decoded, w.astype(np.float16))
    else:  # the symmetric per-channel round trip of quantize / dequantize
        bits = 8 if fmt == "csr int8" else int(fmt[3:])
        q, scale, zero_point = quantize(w, bits, "symmetric", axis=1)
        np.testing.assert_allclose(decoded, dequantize(q, scale.astype(np.float32), zero_point, axis=1))
    if fmt.startswith("csr"):
        assert np.all(decoded[w == 0] == 0)


def test_byte_counts():
    w = np.random.default_rng(3).normal(size=(64, 64))
    sizes = {fmt: storage_nbytes(encode_weights(w, fmt)) for fmt in ("float32", "float16", "int8", "int4", "int2")}
    assert sizes == {"float32": 16384, "float16": 8192, "int8": 4096 + 256, "int4": 2048 + 256, "int2": 1024 + 256}
    pruned, _ = magnitude_prune(w, 0.9)
    nnz = np.count_nonzero(pruned)  # 410
    assert storage_nbytes(encode_weights(pruned, "csr float32")) == 4 * nnz + nnz + 2 * 65  # uint8 columns
    assert storage_nbytes(encode_weights(pruned, "csr int8")) == nnz + 256 + nnz + 2 * 65
    assert storage_nbytes(encode_weights(pruned, "float32")) == 16384  # zeros stored densely cost as much
    with pytest.raises(ValueError, match="unknown fmt"):
        encode_weights(w, "int3")
    with pytest.raises(ValueError, match="2-D float"):
        encode_weights(np.ones(3), "int8")


# --------------------------------------------------------------------------------------------------
# quantization experiment and explorer
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def setup():
    return pruning_setup()


@pytest.mark.parametrize("scheme", ["symmetric", "affine"])
@pytest.mark.parametrize("granularity", ["per tensor", "per channel"])
def test_quantization_experiment(setup, scheme, granularity):
    model, x, y = setup["model"], setup["x_val"], setup["y_val"]
    for bits in (2, 5, 8):
        data_ = quantization_experiment(model, bits, scheme, granularity, 1, x, y)
        assert data_["histogram"].sum() == pytest.approx(1) and data_["quantized_histogram"].sum() == pytest.approx(1)
        assert data_["histogram"].shape == (len(QUANT_BIN_EDGES) - 1,)
        assert data_["max_error"] <= data_["half_step"] * (1 + 1e-9)
        if granularity == "per tensor":
            assert data_["levels"] <= 2**bits
        axis = None if granularity == "per tensor" else 1
        expected = np.mean(fake_quantize_model(model, bits, scheme, axis).predict(x) == y)
        assert data_["accuracy"] == pytest.approx(expected)
        scales = 1 if granularity == "per tensor" else 64
        assert data_["nbytes"] == -(-4096 * bits // 8) + scales * (4 + (scheme == "affine"))
        assert data_["float32_nbytes"] == 16384


def test_quantization_curve_and_bad_input(setup):
    curve = quantization_curve(scheme="affine", granularity="per channel")
    assert curve["bits"].tolist() == list(QUANT_BITS)
    assert curve["float_accuracy"] == pytest.approx(setup["accuracy"])
    assert curve["accuracy"][-1] >= setup["accuracy"] - 0.01  # 8 bits: as good as float, to a point or two
    assert quantization_curve(scheme="affine", granularity="per channel")["accuracy"] is curve["accuracy"]  # cached
    with pytest.raises(ValueError, match="bits"):
        quantization_experiment(bits=9)
    with pytest.raises(ValueError, match="unknown granularity"):
        quantization_experiment(granularity="per row")
    with pytest.raises(ValueError, match="layer"):
        quantization_experiment(layer=3)


def test_quantization_explorer_controls_change_data_and_image(setup):
    explorer = quantization_explorer(bits=4, scheme="symmetric", granularity="per tensor", layer=1)
    assert np.array_equal(explorer.x, setup["x_val"]) and np.array_equal(explorer.y, setup["y_val"])  # validation
    assert bytes(explorer.image.value).startswith(PNG)
    assert (explorer.data["bits"], explorer.data["scheme"], explorer.data["granularity"]) == (4, "symmetric",
                                                                                               "per tensor")
    before_params = [p.copy() for p in explorer.model.params]
    for control, value in [(explorer.bits_slider, 2), (explorer.scheme_buttons, "affine"),
                           (explorer.granularity_buttons, "per channel"), (explorer.layer_buttons, 0),
                           (explorer.bits_slider, 8)]:
        before_image, before = bytes(explorer.image.value), explorer.data
        control.value = value
        assert bytes(explorer.image.value) != before_image and explorer.data is not before
        assert (explorer.data["bits"], explorer.data["scheme"], explorer.data["granularity"],
                explorer.data["layer"]) == (explorer.bits_slider.value, explorer.scheme_buttons.value,
                                            explorer.granularity_buttons.value, explorer.layer_buttons.value)
        curve = explorer.curves[explorer.data["scheme"], explorer.data["granularity"]]
        assert explorer.data["accuracy"] == curve["accuracy"][explorer.data["bits"] - QUANT_BITS[0]]
    assert explorer.data["levels"] > 2**2  # W1 per channel: every unit has its own grid
    for p, q in zip(explorer.model.params, before_params):  # every move quantized a copy
        np.testing.assert_array_equal(p, q)
    with pytest.raises(ValueError, match="bits"):
        quantization_explorer(bits=1)
    with pytest.raises(ValueError, match="unknown scheme"):
        quantization_explorer(scheme="log")
