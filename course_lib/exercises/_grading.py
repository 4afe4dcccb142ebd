"""The machinery shared by every chapter's exercises: the registry, grading, and the printing checkers.

A chapter module registers each grader with ``@_exercise(name)`` (into ``EXERCISES``) and makes its printer
with ``check_NAME = _printer(name)``; ``course_lib.exercises`` imports every chapter module, so that every
exercise is registered once the package is imported.
"""

import inspect
import re
from typing import NamedTuple

import numpy as np

__all__ = ["Result", "grade", "EXERCISES", "SOLUTION_FILES"]


class Result(NamedTuple):
    status: str  # "pass", "fail" or "not done"
    message: str

    @property
    def passed(self):
        return self.status == "pass"


class _Wrong(Exception):
    """Raised by a grader: what was wrong, and a hint."""

    def __init__(self, what, hint="", detail=""):
        super().__init__(what)
        self.what, self.hint, self.detail = what, hint, detail


EXERCISES = {}  # name -> grader(fn) returning the pass message or raising _Wrong
SOLUTION_FILES = {}  # name -> its reference solution, "solutions/NN_name.py", NN the chapter of the grader's module


def _exercise(name):
    def register(grader):
        chapter = re.search(r"\bch(\d\d)_\w+$", grader.__module__)
        if chapter is None:
            raise ValueError(f"{grader.__module__} is no chapter module chNN_...: where is {name}'s solution?")
        EXERCISES[name] = grader
        SOLUTION_FILES[name] = f"solutions/{chapter.group(1)}_{name}.py"
        return grader

    return register


def _stuck(name):
    """The last line of every FAIL: where the answer is (not in the hint)."""
    return f"\n  Stuck? `%load ../{SOLUTION_FILES[name]}` loads the reference solution."


def grade(name, function):
    """Run exercise ``name``'s reference cases on ``function``; return a Result (never raises)."""
    if name not in EXERCISES:
        raise ValueError(f"unknown exercise {name!r}; valid: {', '.join(sorted(EXERCISES))}")
    if not callable(function):
        return Result("fail", f"FAIL {name}: pass the function itself, e.g. check_{name}({name}), "
                              f"not {type(function).__name__}.{_stuck(name)}")
    try:
        detail = EXERCISES[name](function)
    except NotImplementedError:
        return Result("not done", f"NOT DONE {name}: not done yet. Replace `raise NotImplementedError` "
                                  "with your code and run the cell again.")
    except _Wrong as wrong:
        hint = f"\n  Hint: {wrong.hint}" if wrong.hint else ""
        numpy_line = f"\n  {wrong.detail}" if wrong.detail else ""
        return Result("fail", f"FAIL {name}: {wrong.what}{hint}{numpy_line}{_stuck(name)}")
    return Result("pass", f"PASS {name}: {detail}")


# numpy's words for "these shapes do not fit": matmul (core dimension, gufunc), broadcasting, reshape, np.dot
_SHAPE_ERRORS = re.compile(r"mismatch in its core dimension|gufunc signature|could not be broadcast|cannot reshape"
                           r"|not aligned|does not have enough dimensions")
SHAPE_CONVENTION = ("re-read the shape table of chapter 00 ('One layer: many neurons at once'): one example per row, "
                    "W of shape (fan_in, fan_out), b of shape (fan_out,). A @ B needs A's last size equal to B's "
                    "first; + and * need shapes that broadcast.")


def _describe(value):
    """How the shape message names one input: its shape, or its value if it is a number."""
    if isinstance(value, np.ndarray):
        return str(value.shape)
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, np.ndarray) for v in value):
        return "[" + ", ".join(str(v.shape) for v in value) + "]"
    if isinstance(value, (bool, int, float, np.number)) or (
            isinstance(value, tuple) and all(isinstance(v, (int, np.integer)) for v in value)):
        return f"= {value}"
    return None  # a generator, a function: no shape to tell


def _inputs(function, args):
    """'x (1, 3), W (3, 2), b (2,)': the inputs the learner's function was given, under its own parameter names."""
    try:
        names = [p.name for p in inspect.signature(function).parameters.values()
                 if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        names = []
    names += [f"argument {i + 1}" for i in range(len(names), len(args))]
    described = ((name, _describe(arg)) for name, arg in zip(names, args))
    return ", ".join(f"{name} {text}" for name, text in described if text is not None)


def _numpy_said(error):
    """numpy's message, shortened to one line without the gufunc signature."""
    said = re.sub(r",? with gufunc signature \S+", "", str(error)).replace("\n", " ")
    return f"(numpy said: {said[:140]}{'...' if len(said) > 140 else ''})"


def _call(function, *args, case="", hint=""):
    """Call the learner's function; report an exception as one line instead of a traceback.

    numpy's shape errors become the course's words: the shapes do not fit, the shapes the function was given, and
    the shape convention to re-read; numpy's own message comes last, shortened."""
    try:
        with np.errstate(all="ignore"):
            return function(*args)
    except NotImplementedError:
        raise
    except ValueError as error:
        if not _SHAPE_ERRORS.search(str(error)):
            raise _Wrong(f"your function raised ValueError: {error}{case}", hint) from None
        given = _inputs(function, args)
        raise _Wrong("the shapes do not fit: an operation in your function got arrays whose shapes do not match"
                     + (f"; it was given {given}" if given else ""),
                     f"{hint} Then {SHAPE_CONVENTION}" if hint else SHAPE_CONVENTION[0].upper() + SHAPE_CONVENTION[1:],
                     _numpy_said(error)) from None
    except Exception as error:  # noqa: BLE001 - any error of the learner's code becomes feedback
        raise _Wrong(f"your function raised {type(error).__name__}: {error}{case}", hint) from None


def _as_array(value, what):
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise _Wrong(f"{what} should be a numpy array, got {type(value).__name__}") from None


def _printer(name):
    def check(function):
        print(grade(name, function).message)

    check.__name__ = f"check_{name}"
    check.__doc__ = f"Check your ``{name}`` on reference cases and print the verdict."
    return check


# a reference used by the graders of chapters 02 (stable_softmax) and 03 (prior_bias)
def _reference_softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# used by the graders that run a learner's training loop on a course_lib MLP (chapters 02 and 03)
def _recording_mlp(sizes, seed, bias_init=0.0):
    """A float64 ReLU ``course_lib.nn.MLP`` that records, at every ``forward`` and ``backward`` call, the batch and a
    copy of the parameters, so that a grader can check each step of the learner's loop against its reference."""
    from ..nn import MLP

    class RecordingMLP(MLP):
        def forward(self, x):
            self.forwards.append((np.array(x, dtype=float), [p.copy() for p in self.params]))
            return super().forward(x)

        def backward(self, dlogits):
            batch = self.layer_inputs[0].copy() if self._cache is not None else None
            self.backwards.append((batch, [p.copy() for p in self.params]))
            return super().backward(dlogits)

    model = RecordingMLP(sizes, activation="relu", init="kaiming_normal", bias_init=bias_init, rng=seed,
                         dtype="float64")
    model.forwards, model.backwards = [], []
    return model


def _rows_to_indices(batch, x):
    """The index in ``x`` of each row of ``batch`` (x's rows are distinct), or None for a row that is not in x."""
    where = {row.tobytes(): i for i, row in enumerate(np.asarray(x, dtype=float))}
    return [where.get(row.tobytes()) for row in np.asarray(batch, dtype=float)]
