"""course_lib.exercises: each checker accepts its reference solution and rejects typical mistakes."""

import runpy
from pathlib import Path

import numpy as np
import pytest

import course_lib
from course_lib.exercises import EXERCISES, grade

SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions"


def solution_file(name):
    matches = sorted(SOLUTIONS.glob(f"[0-9][0-9]_{name}.py"))
    assert len(matches) == 1, f"expected one solutions/NN_{name}.py, found {matches}"
    return matches[0]


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_reference_solution_passes(name, capsys):
    namespace = runpy.run_path(str(solution_file(name)))
    printed = capsys.readouterr().out
    assert printed.startswith(f"PASS {name}"), printed
    result = grade(name, namespace[name])
    assert result.passed and result.status == "pass"


def test_every_solution_belongs_to_an_exercise():
    names = {p.stem.split("_", 1)[1] for p in SOLUTIONS.glob("[0-9][0-9]_*.py")}
    assert names == set(EXERCISES)


def stub(*args):
    raise NotImplementedError


def crashes(*args):
    raise KeyError("oops")


def sloppy_truncation(n, a, b, rng):
    return np.clip(rng.standard_normal(n), a, b)


WRONG = {
    "dense_forward": [lambda x, W, b: x @ W, lambda x, W, b: W @ x + b, lambda x, W, b: x * W.sum() + b],
    "dense_backward": [
        lambda x, W, dz: (dz @ W.T, x.T @ dz, dz.mean(axis=0)),  # db as a mean
        lambda x, W, dz: (dz @ W, x.T @ dz, dz.sum(axis=0)),  # missing transpose
        lambda x, W, dz: (dz @ W.T, x.T @ dz),  # two values
    ],
    "xavier_std": [lambda i, o: (2 / i) ** 0.5, lambda i, o: (1 / i) ** 0.5, lambda i, o: 2 / (i + o),
                   lambda i, o: "x"],
    "he_normal": [
        lambda shape, rng: rng.normal(0, (2 / shape[1]) ** 0.5, shape),  # wrong fan
        lambda shape, rng: np.random.normal(0, (2 / shape[0]) ** 0.5, shape),  # global state
        lambda shape, rng: rng.normal(0, (2 / sum(shape)) ** 0.5, shape),  # Xavier
        lambda shape, rng: rng.normal(0, (2 / shape[0]) ** 0.5, shape[::-1]),  # transposed
    ],
    "truncated_normal": [sloppy_truncation, lambda n, a, b, rng: rng.uniform(a, b, n),
                         lambda n, a, b, rng: rng.standard_normal(n)],
}


@pytest.mark.parametrize("name, wrong", [(name, f) for name, fs in WRONG.items() for f in fs])
def test_typical_wrong_answers_fail_with_a_hint(name, wrong):
    result = grade(name, wrong)
    assert result.status == "fail", result.message
    assert result.message.startswith(f"FAIL {name}:")
    assert "Traceback" not in result.message


def test_every_exercise_has_wrong_answers_tested():
    assert set(WRONG) == set(EXERCISES)


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_untouched_stub_is_not_done(name, capsys):
    result = grade(name, stub)
    assert result.status == "not done" and "not done yet" in result.message
    getattr(__import__("course_lib.exercises", fromlist=["x"]), f"check_{name}")(stub)  # prints, never raises
    assert "NOT DONE" in capsys.readouterr().out


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_exceptions_become_one_line_feedback(name):
    result = grade(name, crashes)
    assert result.status == "fail" and "your function raised KeyError: 'oops'" in result.message
    assert "Traceback" not in result.message


def test_non_callable_and_unknown_exercise():
    assert grade("dense_forward", 42).status == "fail"
    with pytest.raises(ValueError, match="unknown exercise"):
        grade("nope", stub)


def test_show_source_prints_the_code(capsys):
    course_lib.show_source(course_lib.init.xavier_normal)
    out = capsys.readouterr().out
    assert out.startswith("# course_lib.init.xavier_normal\ndef xavier_normal(")
    assert "sqrt(2.0 / (fan_in + fan_out))" in out
    with pytest.raises(TypeError, match="show_source needs"):
        course_lib.show_source(42)
