"""course_lib.exercises: each checker accepts its reference solution and rejects typical mistakes."""

import math
import re
import runpy
from pathlib import Path

import numpy as np
import pytest

import course_lib
from course_lib import exercises, init, nn
from course_lib.exercises import EXERCISES, Result, grade
from course_lib.exercises._grading import SOLUTION_FILES

SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions"


def solution_file(name):
    matches = sorted(SOLUTIONS.glob(f"[0-9][0-9]_{name}.py"))
    assert len(matches) == 1, f"expected one solutions/NN_{name}.py, found {matches}"
    return matches[0]


# --------------------------------------------------------------------------------------------------
# reference solutions
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_every_exercise_has_a_solution_file(name):
    path = solution_file(name)
    assert path.name[:2].isdigit() and path.name[2] == "_"


def test_every_solution_file_belongs_to_an_exercise():
    names = {p.stem.split("_", 1)[1] for p in SOLUTIONS.glob("*.py")}
    assert names == set(EXERCISES)
    assert all(p.name[:2].isdigit() and p.name[2] == "_" for p in SOLUTIONS.glob("*.py"))


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_reference_solution_passes(name, capsys):
    namespace = runpy.run_path(str(solution_file(name)))  # the file calls its checker, as in a notebook cell
    printed = capsys.readouterr().out
    assert printed.startswith(f"PASS {name}:"), printed
    assert printed.count("\n") == 1  # one line of feedback
    result = grade(name, namespace[name])
    assert isinstance(result, Result)
    assert result.status == "pass" and result.passed
    assert result.message == printed.rstrip("\n")


# --------------------------------------------------------------------------------------------------
# typical wrong answers
# --------------------------------------------------------------------------------------------------


def clipped_normal(n, a, b, rng):
    return np.clip(rng.standard_normal(n), a, b)


def rejection_without_redraw(n, a, b, rng):
    x = rng.standard_normal(n)
    return x[(x >= a) & (x <= b)]


def clip_each_separately(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g**2) for g in grads)))
    for g in grads:
        g *= max_norm / np.linalg.norm(g)
    return total


def clip_not_in_place(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g**2) for g in grads)))
    grads = [g * max_norm / total for g in grads]
    return total


def clip_always(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g**2) for g in grads)))
    for g in grads:
        g *= max_norm / total
    return total


# name -> [(wrong answer, a fragment of the expected message)]
WRONG = {
    "dense_forward": [
        (lambda x, W, b: x @ W, "the bias is missing"),
        (lambda x, W, b: W @ x + b, "the shapes do not fit"),
        (lambda x, W, b: (x @ W + b).T, "result has shape (2, 1), expected (1, 2)"),
        (lambda x, W, b: x @ W - b, "wrong values"),
        (lambda x, W, b: None, "result has shape ()"),
    ],
    "dense_backward": [
        (lambda x, W, dz: (dz @ W.T, x.T @ dz, dz.mean(axis=0)), "db is the mean over the batch, not the sum"),
        (lambda x, W, dz: (dz @ W, x.T @ dz, dz.sum(axis=0)), "the shapes do not fit"),
        (lambda x, W, dz: (dz @ W.T, dz.T @ x, dz.sum(axis=0)), "dW has shape (2, 3), expected (3, 2)"),
        (lambda x, W, dz: (2 * dz @ W.T, x.T @ dz, dz.sum(axis=0)), "dx has wrong values"),
        (lambda x, W, dz: (dz @ W.T, x.T @ dz), "return the tuple (dx, dW, db)"),
        (lambda x, W, dz: [dz @ W.T, x.T @ dz], "return the tuple (dx, dW, db), got list"),
    ],
    "xavier_std": [
        (lambda fan_in, fan_out: math.sqrt(2 / fan_in), "that is He's formula"),
        (lambda fan_in, fan_out: math.sqrt(1 / fan_in), "that is LeCun's formula"),
        (lambda fan_in, fan_out: 2 / (fan_in + fan_out), "you returned the variance, not the standard deviation"),
        (lambda fan_in, fan_out: math.sqrt(1 / (fan_in + fan_out)), "expected"),
        (lambda fan_in, fan_out: "0.05", "expected"),  # a string that parses as a wrong number
        (lambda fan_in, fan_out: "x", "return a number, got str"),
    ],
    "he_normal": [
        (lambda shape, rng: rng.normal(0, math.sqrt(2 / shape[1]), shape), "you used the wrong fan"),
        (lambda shape, rng: np.random.normal(0, math.sqrt(2 / shape[0]), shape), "different weights"),
        (lambda shape, rng: np.random.default_rng().normal(0, math.sqrt(2 / shape[0]), shape), "different weights"),
        (lambda shape, rng: rng.normal(0, math.sqrt(2 / sum(shape)), shape), "that is Xavier's"),
        (lambda shape, rng: rng.normal(0, 2 / shape[0], shape), "you used the variance 2 / fan_in as the std"),
        (lambda shape, rng: rng.normal(0, math.sqrt(1 / shape[0]), shape), "expected 0.0447 for fan_in = 1000"),
        (lambda shape, rng: rng.normal(0, math.sqrt(2 / shape[0]), shape[::-1]), "result has shape (400, 1000)"),
        (lambda shape, rng: rng.normal(1, math.sqrt(2 / shape[0]), shape), "the mean is"),
    ],
    "truncated_normal": [
        (clipped_normal, "sit exactly on a bound: that is clipping, not truncation"),
        (lambda n, a, b, rng: rng.standard_normal(n), "samples outside [a, b]"),
        (lambda n, a, b, rng: rng.uniform(a, b, n), "std is"),
        (rejection_without_redraw, "samples, expected 200000"),
        (lambda n, a, b, rng: np.full(n, np.nan), "nan or inf"),
    ],
    "stable_softmax": [
        (lambda z: np.exp(z) / np.exp(z).sum(axis=1, keepdims=True), "the result contains nan or inf"),
        (lambda z: np.exp(z - z.max()) / np.exp(z - z.max()).sum(axis=1, keepdims=True), "nan or inf"),
        (lambda z: np.exp(z - z.max(axis=1, keepdims=True)) / np.exp(z - z.max(axis=1, keepdims=True)).sum(),
         "rows do not sum to 1"),
        (lambda z: z - z.max(axis=1, keepdims=True), "rows do not sum to 1"),
    ],
    "clip_grad_norm": [
        (clip_each_separately, "you clipped each gradient on its own"),
        (clip_not_in_place, "the gradients did not change"),
        (clip_always, "a gradient below max_norm was changed"),
        (lambda grads, max_norm: None, "return the total norm before clipping"),
    ],
    "prior_bias": [
        (lambda y, k: np.bincount(y, minlength=k) / len(y), "you returned the class frequencies"),
        (lambda y, k: np.zeros(k), "expected the class frequencies"),
    ],
    "dead_fraction": [
        (lambda a: float(np.mean(a == 0)), "you returned the fraction of zero values"),
        (lambda a: float(np.all(a == 0, axis=1).mean()), "units 0 and 3"),
        (lambda a: int(np.all(a == 0, axis=0).sum()), "expected 0.5"),
    ],
    "momentum_update": [
        (lambda w, v, g, lr, beta: (w - lr * (beta * v + (1 - beta) * g), beta * v + (1 - beta) * g), "EMA form"),
        (lambda w, v, g, lr, beta: (w + beta * v - lr * g, beta * v - lr * g), "velocity form"),
        (lambda w, v, g, lr, beta: (w - lr * g, beta * v + g), "w moved by the gradient alone"),
        (lambda w, v, g, lr, beta: (w - lr * v, beta * v + g), "expected"),
        (lambda w, v, g, lr, beta: w - lr * g, "return the pair (w, v)"),
    ],
    "optimal_momentum": [
        (lambda k: (k**0.5 - 1) / (k**0.5 + 1), "you returned the convergence rate"),
        (lambda k: (k - 1) / (k + 1), "gradient descent's rate"),
        (lambda k: 0.9, "expected"),
    ],
    "bias_correction": [
        (lambda m, v, t, b1, b2: (m, v), "m_hat equals m"),
        (lambda m, v, t, b1, b2: (m / (1 - b1 ** (t - 1)) if t > 1 else m / (1 - b1), v / (1 - b2**t)), "beta1**(t-1)"),
        (lambda m, v, t, b1, b2: (m / (1 - b1**t), v / (1 - b1**t)), "v_hat is corrected with beta1"),
        (lambda m, v, t, b1, b2: m / (1 - b1**t), "return the pair (m_hat, v_hat)"),
    ],
    "rmsprop_update": [
        (lambda w, s, g, lr, a, eps: (w - lr * g / np.sqrt(a * s + (1 - a) * g**2 + eps), a * s + (1 - a) * g**2),
         "eps is inside the square root"),
        (lambda w, s, g, lr, a, eps: (w - lr * g / (np.sqrt(s) + eps), a * s + (1 - a) * g**2), "the old s"),
        (lambda w, s, g, lr, a, eps: (w, a * s + (1 - a) * g), "s averages g, not g**2"),
        (lambda w, s, g, lr, a, eps: (w - lr * g, a * s + (1 - a) * g**2), "expected"),
    ],
    "l2_penalty": [
        (lambda W, s: (s * np.sum(W**2), s * W), "has no 1/2"),
        (lambda W, s: (0.5 * s * np.sum(W**2), 2 * s * W), "grad is 2 * strength * W"),
        (lambda W, s: (s * np.sum(np.abs(W)), s * np.sign(W)), "that is L1's"),
        (lambda W, s: (0.5 * s * np.sum(W**2), s * W.sum(axis=0)), "grad has shape"),
        (lambda W, s: s * W, "return the pair (penalty, grad)"),
    ],
    "soft_threshold": [
        (lambda w, t: w - t * np.sign(w), "crossed zero"),
        (lambda w, t: np.where(np.abs(w) > t, w, 0.0), "hard thresholding"),
        (lambda w, t: np.maximum(np.abs(w) - t, 0), "negative weights became positive"),
        (lambda w, t: w * 0.5, "expected"),
    ],
    "prune_mask": [
        (lambda w, s: ~reference_prune_mask(w, s), "upside down"),
        (lambda w, s: np.abs(w) > np.quantile(np.abs(w), s), "expected round(sparsity * n)"),
        (lambda w, s: reference_prune_mask(w, int(s * w.size) / w.size), "expected round(sparsity * n)"),
        (lambda w, s: signed_prune_mask(w, s), "most negative weights"),
        (lambda w, s: reference_prune_mask(w, s).astype(int), "expected bool"),
        (lambda w, s: reference_prune_mask(w, s).ravel(), "mask has shape"),
    ],
    "symmetric_quantize": [
        (lambda w, b: (np.round(w / (np.abs(w).max() / (2 ** (b - 1) - 1))), np.abs(w).max() / (2 ** (b - 1) - 1)),
         "max|w| / 127"),
        (lambda w, b: (np.clip(np.floor(w / quant_scale(w, b) + 0.5), -(2 ** (b - 1)), 2 ** (b - 1) - 1),
                       quant_scale(w, b)), "rounds halves to even"),
        (lambda w, b: (np.round(w / quant_scale(w, b)), quant_scale(w, b)), "outside ["),
        (lambda w, b: np.round(w / quant_scale(w, b)), "return the pair (q, scale)"),
    ],
}


def reference_prune_mask(w, sparsity):
    keep = np.ones(w.size, dtype=bool)
    keep[np.argsort(np.abs(w).ravel(), kind="stable")[: int(round(sparsity * w.size))]] = False
    return keep.reshape(w.shape)


def signed_prune_mask(w, sparsity):
    keep = np.ones(w.size, dtype=bool)
    keep[np.argsort(w.ravel(), kind="stable")[: int(round(sparsity * w.size))]] = False
    return keep.reshape(w.shape)


def quant_scale(w, bits):
    return np.abs(w).max() / ((2**bits - 1) / 2)


def test_log_counts_are_a_right_prior_bias():
    """Adding a constant to every logit changes no softmax: log(counts) is as right as log(frequencies)."""
    assert grade("prior_bias", lambda y, k: np.log(np.bincount(y, minlength=k))).passed


def test_every_exercise_has_wrong_answers_tested():
    assert set(WRONG) == set(EXERCISES)


@pytest.mark.parametrize(
    "name, wrong, expected", [(name, f, message) for name, cases in WRONG.items() for f, message in cases],
)
def test_typical_wrong_answers_fail_with_a_reason(name, wrong, expected):
    result = grade(name, wrong)
    assert result.status == "fail" and not result.passed, result.message
    assert result.message.startswith(f"FAIL {name}:")
    assert expected in result.message
    assert "Traceback" not in result.message


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_checker_prints_fail_and_does_not_raise(name, capsys):
    wrong = WRONG[name][0][0]
    getattr(exercises, f"check_{name}")(wrong)
    assert capsys.readouterr().out.startswith(f"FAIL {name}:")


# --------------------------------------------------------------------------------------------------
# stubs, exceptions, non-callables
# --------------------------------------------------------------------------------------------------


def stub(*args):
    raise NotImplementedError  # the untouched exercise cell


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_untouched_stub_is_not_done(name, capsys):
    result = grade(name, stub)
    assert result.status == "not done" and not result.passed
    assert result.message.startswith(f"NOT DONE {name}:") and "not done yet" in result.message
    getattr(exercises, f"check_{name}")(stub)  # prints, never raises: the notebook runs on
    assert capsys.readouterr().out.startswith(f"NOT DONE {name}:")


def raiser(error):
    def answer(*args):
        raise error

    return answer


ERRORS = [KeyError("oops"), ValueError("bad shape"), ZeroDivisionError("division by zero"), IndexError("index 5"),
          TypeError("unsupported operand"), AttributeError("no attribute 'T'"), AssertionError("mine"),
          RuntimeError("boom")]


@pytest.mark.parametrize("name", sorted(EXERCISES))
@pytest.mark.parametrize("error", ERRORS, ids=lambda e: type(e).__name__)
def test_exceptions_become_one_line_feedback(name, error, capsys):
    result = grade(name, raiser(error))
    assert result.status == "fail"
    assert f"your function raised {type(error).__name__}: {error}" in result.message
    assert "Traceback" not in result.message and 'File "' not in result.message
    getattr(exercises, f"check_{name}")(raiser(error))  # the printing checker does not raise either
    assert "Traceback" not in capsys.readouterr().out


def test_an_exception_in_real_code_is_reported_too():
    def dense_forward(x, W, b):
        return x @ W + b[5]  # IndexError

    result = grade("dense_forward", dense_forward)
    assert result.status == "fail" and "your function raised IndexError" in result.message
    assert "Traceback" not in result.message


@pytest.mark.parametrize("name", sorted(EXERCISES))
@pytest.mark.parametrize("value", [42, None, "dense_forward", np.zeros(3)], ids=["int", "None", "str", "array"])
def test_non_callable_fails(name, value, capsys):
    result = grade(name, value)
    assert result.status == "fail"
    assert result.message.startswith(f"FAIL {name}: pass the function itself")
    getattr(exercises, f"check_{name}")(value)
    assert capsys.readouterr().out.startswith(f"FAIL {name}:")


def test_unknown_exercise():
    with pytest.raises(ValueError, match="unknown exercise 'nope'; valid: .*dense_backward, dense_forward"):
        grade("nope", stub)


def test_printing_checkers_are_public():
    for name in EXERCISES:
        check = getattr(exercises, f"check_{name}")
        assert check.__name__ == f"check_{name}" and f"check_{name}" in exercises.__all__


def test_the_package_exposes_the_same_names_as_the_old_module():
    """exercises.py became a package (_grading and one module per chapter); its names stayed."""
    assert exercises.__all__ == [
        "Result", "grade", "EXERCISES", "check_dense_forward", "check_dense_backward", "check_xavier_std",
        "check_he_normal", "check_truncated_normal", "check_stable_softmax", "check_clip_grad_norm",
        "check_prior_bias", "check_dead_fraction", "check_momentum_update", "check_optimal_momentum",
        "check_bias_correction", "check_rmsprop_update", "check_l2_penalty", "check_soft_threshold",
        "check_prune_mask", "check_symmetric_quantize", "check_accuracy_from_logits", "check_confusion_matrix",
        "check_tied_weight_grad", "check_permutation_drop"]
    assert all(hasattr(exercises, name) for name in exercises.__all__)
    assert len(EXERCISES) == len(exercises.__all__) - 3  # one checker per registered exercise


# --------------------------------------------------------------------------------------------------
# show_source
# --------------------------------------------------------------------------------------------------


def test_show_source_prints_the_code(capsys):
    course_lib.show_source(init.xavier_normal)
    out = capsys.readouterr().out
    assert out.startswith("# course_lib.init.xavier_normal\ndef xavier_normal(")
    assert "sqrt(2.0 / (fan_in + fan_out))" in out and out.endswith("\n")


def test_show_source_of_a_class_and_bad_input(capsys):
    course_lib.show_source(nn.MLP)
    out = capsys.readouterr().out
    assert out.startswith("# course_lib.nn.MLP\nclass MLP:") and "def backward(self, dlogits):" in out
    with pytest.raises(TypeError, match="show_source needs a function, class or module defined in Python"):
        course_lib.show_source(42)
    with pytest.raises(TypeError, match="show_source needs"):
        course_lib.show_source(len)  # a builtin has no Python source


# --------------------------------------------------------------------------------------------------
# chapter 08: typical wrong answers (added to WRONG, so that the tests above that take WRONG[name] cover them)
# --------------------------------------------------------------------------------------------------


def reference_confusion(y_true, y_pred, classes):
    C = np.zeros((classes, classes), dtype=int)
    np.add.at(C, (y_true, y_pred), 1)
    return C


def confusion_counting_pairs_once(y_true, y_pred, classes):
    C = np.zeros((classes, classes), dtype=int)
    C[y_true, y_pred] += 1  # buffered: a pair that occurs 3 times adds 1
    return C


def confusion_of_the_classes_seen(y_true, y_pred, classes):
    seen = np.unique(np.concatenate([y_true, y_pred]))
    return reference_confusion(y_true, y_pred, len(seen))


WRONG_CH08 = {
    "accuracy_from_logits": [
        (lambda logits, y: 100 * np.mean(logits.argmax(axis=1) == y), "a percentage"),
        (lambda logits, y: int(np.sum(logits.argmax(axis=1) == y)), "the number of right predictions"),
        (lambda logits, y: np.mean(logits.argmax(axis=0) == y), "the argmax over axis 0"),
        (lambda logits, y: np.mean(logits.max(axis=1) == y), "got 0, expected 0.6"),
        (lambda logits, y: np.mean(logits.argmin(axis=1) == y), "expected 0.6"),
        (lambda logits, y: logits.argmax(axis=1) == y, "return one number"),
    ],
    "confusion_matrix": [
        (confusion_counting_pairs_once, "counted once, however often it occurs"),
        (confusion_of_the_classes_seen, "result has shape (3, 3), expected (4, 4)"),
        (lambda t, p, k: reference_confusion(t, p, k).T, "rows and columns are swapped"),
        (lambda t, p, k: reference_confusion(t, p, k) / len(t), "you returned fractions"),
        (lambda t, p, k: np.histogram2d(t, p, bins=k)[0], "expected [[3, 2, 0, 0]"),
        (lambda t, p, k: reference_confusion(t, p, k)[:, :-1], "result has shape (4, 3)"),
    ],
}
WRONG.update(WRONG_CH08)


def test_accuracy_from_logits_accepts_softmax_first_and_labels_as_lists():
    assert grade("accuracy_from_logits", lambda z, y: float(np.mean(nn.softmax(z).argmax(axis=1) == y))).passed
    assert grade("confusion_matrix", lambda t, p, k: reference_confusion(t, p, k).tolist()).passed


# --------------------------------------------------------------------------------------------------
# chapter 09: typical wrong answers (added to WRONG, so that the tests above that take WRONG[name] cover them)
# --------------------------------------------------------------------------------------------------


def drop_shuffling_x_in_place(predict, x, y, feature, rng):
    baseline = np.mean(predict(x) == y)
    rng.shuffle(x[:, feature])  # the caller's x is shuffled
    return baseline - np.mean(predict(x) == y)


def drop_shuffling_whole_rows(predict, x, y, feature, rng):
    return np.mean(predict(x) == y) - np.mean(predict(x[rng.permutation(len(x))]) == y)


def drop_zeroing_the_feature(predict, x, y, feature, rng):
    zeroed = x.copy()
    zeroed[:, feature] = 0.0
    return np.mean(predict(x) == y) - np.mean(predict(zeroed) == y)


def tied_grad_transposed_unless_square(x, h, dz, dx_hat):
    right = x.T @ dz + dx_hat.T @ h
    return right if right.shape[0] == right.shape[1] else right.T  # passes the square case, then has W.T's shape


def shuffled_column(x, feature, permutation):
    shuffled = x.copy()
    shuffled[:, feature] = x[permutation, feature]
    return shuffled


WRONG_CH09 = {
    "tied_weight_grad": [
        (lambda x, h, dz, dx_hat: x.T @ dz, "only the encoder's gradient"),
        (lambda x, h, dz, dx_hat: dx_hat.T @ h, "only the decoder's gradient"),
        (lambda x, h, dz, dx_hat: (x.T @ dz + dx_hat.T @ h) / 2, "you averaged the two gradients"),
        (lambda x, h, dz, dx_hat: x.T @ dz + h.T @ dx_hat, "the decoder's gradient is not transposed"),
        (tied_grad_transposed_unless_square, "W.T's; expected W's shape (6, 3)"),
        (lambda x, h, dz, dx_hat: x.T @ dz - dx_hat.T @ h, "wrong values"),
    ],
    "permutation_drop": [
        (drop_shuffling_x_in_place, "your function changed x"),
        (drop_shuffling_whole_rows, "expected 0"),
        (lambda predict, x, y, f, rng: np.mean(predict(shuffled_column(x, f, rng.permutation(len(x)))) == y),
         "the accuracy after shuffling, not its drop"),
        (lambda predict, x, y, f, rng: np.mean(predict(shuffled_column(x, f, rng.permutation(len(x)))) == y)
         - np.mean(predict(x) == y), "the drop has the wrong sign"),
        (drop_zeroing_the_feature, "replacing the feature by 0"),
        (lambda predict, x, y, f, rng: np.mean(predict(x) == y) - np.mean(predict(shuffled_column(
            x, f, np.random.default_rng().permutation(len(x)))) == y), "generators of the same seed"),
        (lambda predict, x, y, f, rng: predict(x) != predict(shuffled_column(x, f, rng.permutation(len(x)))),
         "return one number"),
    ],
}
WRONG.update(WRONG_CH09)


# WRONG_CH08 and WRONG_CH09 are added to WRONG after test_typical_wrong_answers_fail_with_a_reason was
# parametrized (at its definition, above), so their cases run here, through the same test.
@pytest.mark.parametrize(
    "name, wrong, expected",
    [(name, f, message) for cases in (WRONG_CH08, WRONG_CH09) for name, group in cases.items() for f, message in group],
)
def test_chapter_08_and_09_wrong_answers_fail_with_a_reason(name, wrong, expected):
    test_typical_wrong_answers_fail_with_a_reason(name, wrong, expected)


def test_permutation_drop_accepts_an_in_place_shuffle_of_a_copy_and_tied_grad_as_lists():
    def shuffle_a_copy(predict, x, y, feature, rng):
        shuffled = x.copy()
        rng.shuffle(shuffled[:, feature])  # shuffles the column of the copy in place: as right as a permutation
        return np.mean(predict(x) == y) - np.mean(predict(shuffled) == y)

    assert grade("permutation_drop", shuffle_a_copy).passed
    assert grade("tied_weight_grad", lambda x, h, dz, dx_hat: (x.T @ dz + dx_hat.T @ h).tolist()).passed


# --------------------------------------------------------------------------------------------------
# hints that teach: a FAIL diagnoses, points to what to re-read, names the solution file, and keeps the answer there
# --------------------------------------------------------------------------------------------------

STUCK = re.compile(r"\n  Stuck\? `%load \.\./(solutions/\d\d_\w+\.py)` loads the reference solution\.$")


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_every_exercise_knows_its_existing_solution_file(name):
    path = SOLUTIONS.parent / SOLUTION_FILES[name]
    assert path.is_file() and path == solution_file(name)


@pytest.mark.parametrize(
    "name, wrong", [(name, f) for name, cases in WRONG.items() for f, _ in cases]
    + [(name, value) for name in sorted(EXERCISES) for value in (None, raiser(RuntimeError("boom")))],
)
def test_every_fail_ends_by_naming_the_existing_solution_file(name, wrong):
    message = grade(name, wrong).message
    assert message.startswith(f"FAIL {name}:")
    found = STUCK.search(message)
    assert found, message
    assert found.group(1) == SOLUTION_FILES[name] and (SOLUTIONS.parent / found.group(1)).is_file()
    assert found.group(1).endswith(f"_{name}.py")


def test_not_done_and_pass_do_not_change():
    """Notebooks are committed with their NOT DONE output: its text stays as it was, without the solution line."""
    assert grade("dense_forward", stub).message == (
        "NOT DONE dense_forward: not done yet. Replace `raise NotImplementedError` with your code and run the cell "
        "again.")
    assert grade("dense_forward", lambda x, W, b: x @ W + b).message == (
        "PASS dense_forward: z = x @ W + b is right on 3 cases of different shapes.")


def max_w_quantize(w, bits):  # max(w) where max|w| belongs: right as long as the largest weight is positive
    scale = w.max() / ((2**bits - 1) / 2)
    return np.clip(np.round(w / scale), -(2 ** (bits - 1)), 2 ** (bits - 1) - 1), scale


# (name, realistic wrong answer, the diagnosis it must get, answer strings the message must not contain)
TEACHING = [
    ("dense_forward", lambda x, W, b: W @ x + b, "the shapes do not fit", ["x @ W + b", "x @ W", "compute"]),
    ("dense_forward", lambda x, W, b: (x @ W + b).T, "expected (1, 2): the shape of the transpose", ["x @ W + b"]),
    ("dense_forward", lambda x, W, b: x @ W, "the bias is missing", ["x @ W + b", "add b"]),
    ("dense_backward", lambda x, W, dz: (dz @ W.T, x.T @ dz, dz.mean(axis=0)), "db is the mean over the batch",
     ["dz.sum(axis=0)", "sum(axis=0)"]),
    ("dense_backward", lambda x, W, dz: (dz @ W.T, dz.T @ x, dz.sum(axis=0)), "dW has shape (2, 3), expected (3, 2)",
     ["x.T @ dz", "dz @ W.T"]),
    ("xavier_std", lambda fan_in, fan_out: math.sqrt(2 / fan_in), "that is He's formula",
     ["2 / (fan_in + fan_out)", "Var ="]),
    ("xavier_std", lambda fan_in, fan_out: 2 / (fan_in + fan_out), "the variance, not the standard deviation",
     ["square root", "sqrt(2 / (fan_in + fan_out))"]),
    ("he_normal", lambda shape, rng: rng.normal(0, math.sqrt(2 / shape[1]), shape), "you used the wrong fan",
     ["shape[0]", "sqrt(2 / fan_in)", "fan_in ="]),
    ("he_normal", lambda shape, rng: rng.normal(0, math.sqrt(1 / shape[0]), shape), "expected 0.0447",
     ["sqrt(2 / fan_in)"]),
    ("truncated_normal", clipped_normal, "that is clipping, not truncation", ["redraw"]),
    ("stable_softmax", lambda z: np.exp(z) / np.exp(z).sum(axis=1, keepdims=True), "nan or inf",
     ["each row's maximum", "max(axis=1", "z - z.max"]),
    ("clip_grad_norm", clip_not_in_place, "the gradients did not change", ["g *= factor", "*="]),
    ("clip_grad_norm", clip_each_separately, "each gradient on its own", ["max_norm / total_norm"]),
    ("prior_bias", lambda y, k: np.bincount(y, minlength=k) / len(y), "the class frequencies",
     ["take their log", "log(count"]),
    ("momentum_update", lambda w, v, g, lr, beta: (w - lr * (beta * v + (1 - beta) * g), beta * v + (1 - beta) * g),
     "EMA form", ["v = beta v + g", "beta * v + g"]),
    ("optimal_momentum", lambda k: (k**0.5 - 1) / (k**0.5 + 1), "the convergence rate", ["square", "^2"]),
    ("bias_correction", lambda m, v, t, b1, b2: (m, v), "m_hat equals m", ["1 - beta1**t", "divide"]),
    ("rmsprop_update", lambda w, s, g, lr, a, eps: (w - lr * g / np.sqrt(a * s + (1 - a) * g**2 + eps),
                                                    a * s + (1 - a) * g**2), "eps is inside", ["sqrt(s) + eps"]),
    ("l2_penalty", lambda W, s: (s * np.sum(W**2), s * W), "has no 1/2", ["(strength / 2) * sum", "sum W^2."]),
    ("soft_threshold", lambda w, t: w - t * np.sign(w), "crossed zero", ["max(|w| - threshold, 0)", "np.sign"]),
    ("prune_mask", lambda w, s: np.abs(w) > np.quantile(np.abs(w), s), "expected round(sparsity * n)",
     ["argsort", "drop the first"]),
    ("symmetric_quantize", max_w_quantize, "scale comes from max(w) = 1, but the weight -2 is further from 0",
     ["max|w| /", "np.abs(w)", "(qmax - qmin) / 2"]),
    ("symmetric_quantize", WRONG["symmetric_quantize"][0][0], "scale is max|w| / 127",
     ["(qmax - qmin) / 2", "max|w| / 127.5"]),
    ("accuracy_from_logits", lambda logits, y: logits.argmax(axis=1) == y, "return one number",
     ["argmax(axis=1)", "np.mean("]),
    ("confusion_matrix", confusion_counting_pairs_once, "counted once, however often it occurs",
     ["np.add.at(C", "(y_true, y_pred), 1)"]),
    ("tied_weight_grad", lambda x, h, dz, dx_hat: x.T @ dz, "only the encoder's gradient",
     ["dx_hat.T @ h", "x.T @ dz + "]),
    ("permutation_drop", drop_shuffling_x_in_place, "your function changed x", ["x.copy()", "x_shuffled"]),
]


@pytest.mark.parametrize("name, wrong, diagnosis, answers", TEACHING, ids=[f"{t[0]}-{t[2][:30]}" for t in TEACHING])
def test_a_fail_diagnoses_names_the_solution_and_keeps_the_answer_out(name, wrong, diagnosis, answers):
    message = grade(name, wrong).message
    assert message.startswith(f"FAIL {name}:") and diagnosis in message, message
    assert f"`%load ../{SOLUTION_FILES[name]}`" in message
    assert "Hint: " in message, message  # every one of these mistakes gets a pointer, not only a verdict
    for answer in answers:
        assert answer not in message, f"{answer!r} gives the answer away:\n{message}"


def test_matmul_shape_error_gets_the_course_message():
    message = grade("dense_forward", lambda x, W, b: W @ x + b).message
    lines = message.split("\n")
    assert lines[0] == ("FAIL dense_forward: the shapes do not fit: an operation in your function got arrays whose "
                        "shapes do not match; it was given x (1, 3), W (3, 2), b (2,)")
    assert lines[1].startswith("  Hint: ") and "shape table of chapter 00" in lines[1]
    assert "W of shape (fan_in, fan_out)" in lines[1]
    assert lines[2].startswith("  (numpy said: matmul:") and "gufunc" not in message and len(lines[2]) < 140
    assert lines[3].startswith("  Stuck?") and len(lines) == 4
    assert "your function raised" not in message and "Traceback" not in message


@pytest.mark.parametrize("name, wrong, given, numpy_words", [
    ("stable_softmax", lambda z: np.exp(z) / np.exp(z).sum(axis=1), "z (3, 4)", "could not be broadcast"),
    ("he_normal", lambda shape, rng: rng.normal(size=shape).reshape(shape[1], 3), "shape = (1000, 400)",
     "cannot reshape"),
    ("dense_backward", lambda x, W, dz: (np.dot(dz, W), x.T @ dz, dz.sum(axis=0)), "x (1, 3), W (3, 2), dz (1, 2)",
     "not aligned"),
    ("tied_weight_grad", lambda x, h, dz, dx_hat: x @ dz, "x (3, 4), h (3, 4), dz (3, 4), dx_hat (3, 4)", "matmul"),
    ("clip_grad_norm", lambda grads, max_norm: grads[0] @ np.ones(3), "grads [(2,), (2, 1)], max_norm = 1.0",
     "matmul"),
])
def test_numpy_shape_errors_become_one_course_message(name, wrong, given, numpy_words):
    message = grade(name, wrong).message
    assert message.startswith(f"FAIL {name}: the shapes do not fit") and f"it was given {given}" in message, message
    assert "shape table of chapter 00" in message and numpy_words in message.split("\n")[2]
    assert "gufunc" not in message and "Traceback" not in message


def test_other_value_errors_stay_as_they_were():
    message = grade("dense_forward", raiser(ValueError("bad shape"))).message
    assert "your function raised ValueError: bad shape" in message and "the shapes do not fit" not in message
