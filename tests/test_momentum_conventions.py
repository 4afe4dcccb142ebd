"""The three common ways to write heavy-ball momentum (chapter 04), and the mapping between them."""

import numpy as np
import pytest

from course_lib.experiments.ch04_momentum import MOMENTUM_FORMS, equivalent_momentum, momentum_step
from course_lib.optim import SGD


@pytest.mark.parametrize("start", MOMENTUM_FORMS)
def test_momentum_forms_give_identical_trajectories_under_the_mapping(start):
    A = np.diag([1.0, 10.0])  # f(w) = w.T A w / 2, gradient A w
    mapping = equivalent_momentum(start, lr=0.05 if start != "ema" else 0.5, momentum=0.9)
    paths = {}
    for form, (lr, beta) in mapping.items():
        w, v = np.array([1.0, 1.0]), np.zeros(2)
        path = [w]
        for _ in range(50):
            w, v = momentum_step(form, w, v, A @ w, lr, beta)
            path.append(w)
        paths[form] = np.array(path)
    for form in MOMENTUM_FORMS:
        np.testing.assert_allclose(paths[form], paths["pytorch"], rtol=1e-12, atol=1e-14)


def test_pytorch_form_is_what_sgd_does():
    A = np.diag([1.0, 10.0])
    w_sgd = np.array([1.0, 1.0])
    opt = SGD([w_sgd], lr=0.05, momentum=0.9)
    w, v = np.array([1.0, 1.0]), np.zeros(2)
    for _ in range(30):
        w, v = momentum_step("pytorch", w, v, A @ w, 0.05, 0.9)
        opt.step([A @ w_sgd])
    np.testing.assert_allclose(w_sgd, w, rtol=1e-12)


def test_the_forms_differ_without_the_mapping():
    A = np.diag([1.0, 10.0])
    ends = {}
    for form in MOMENTUM_FORMS:
        w, v = np.array([1.0, 1.0]), np.zeros(2)
        for _ in range(20):
            w, v = momentum_step(form, w, v, A @ w, 0.05, 0.9)
        ends[form] = w
    assert not np.allclose(ends["ema"], ends["pytorch"])


def test_momentum_conventions_bad_input():
    with pytest.raises(ValueError, match="unknown form 'nesterov'; valid: velocity, pytorch, ema"):
        equivalent_momentum("nesterov", 0.1, 0.9)
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\)"):
        equivalent_momentum("ema", 0.1, 1.0)
    with pytest.raises(ValueError, match="unknown form"):
        momentum_step("adam", 0.0, 0.0, 0.0, 0.1, 0.9)


