"""The machinery shared by every chapter's exercises: the registry, grading, and the printing checkers.

A chapter module registers each grader with ``@_exercise(name)`` (into ``EXERCISES``) and makes its printer
with ``check_NAME = _printer(name)``; ``course_lib.exercises`` imports every chapter module, so that every
exercise is registered once the package is imported.
"""

from typing import NamedTuple

import numpy as np

__all__ = ["Result", "grade", "EXERCISES"]


class Result(NamedTuple):
    status: str  # "pass", "fail" or "not done"
    message: str

    @property
    def passed(self):
        return self.status == "pass"


class _Wrong(Exception):
    """Raised by a grader: what was wrong, and a hint."""

    def __init__(self, what, hint=""):
        super().__init__(what)
        self.what, self.hint = what, hint


EXERCISES = {}  # name -> grader(fn) returning the pass message or raising _Wrong


def _exercise(name):
    def register(grader):
        EXERCISES[name] = grader
        return grader

    return register


def grade(name, function):
    """Run exercise ``name``'s reference cases on ``function``; return a Result (never raises)."""
    if name not in EXERCISES:
        raise ValueError(f"unknown exercise {name!r}; valid: {', '.join(sorted(EXERCISES))}")
    if not callable(function):
        return Result("fail", f"FAIL {name}: pass the function itself, e.g. check_{name}({name}), "
                              f"not {type(function).__name__}.")
    try:
        detail = EXERCISES[name](function)
    except NotImplementedError:
        return Result("not done", f"NOT DONE {name}: not done yet. Replace `raise NotImplementedError` "
                                  "with your code and run the cell again.")
    except _Wrong as wrong:
        hint = f"\n  Hint: {wrong.hint}" if wrong.hint else ""
        return Result("fail", f"FAIL {name}: {wrong.what}{hint}")
    return Result("pass", f"PASS {name}: {detail}")


def _call(function, *args, case="", hint=""):
    """Call the learner's function; report an exception as one line instead of a traceback."""
    try:
        with np.errstate(all="ignore"):
            return function(*args)
    except NotImplementedError:
        raise
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
