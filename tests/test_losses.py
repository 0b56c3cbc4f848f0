"""Tests of the output losses and their proximal solvers against scipy.optimize."""

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import logsumexp

from sktiam._losses import LogisticLoss, SoftmaxCrossEntropy, SquaredLoss


def _softmax_objective(z, v, y, rho):
    return logsumexp(z) - y @ z + 0.5 * rho * np.sum((z - v) ** 2)


def _logistic_objective(z, v, y, rho):
    return np.sum(np.logaddexp(0.0, z) - y * z) + 0.5 * rho * np.sum((z - v) ** 2)


def _squared_objective(z, v, y, rho):
    return 0.5 * np.sum((z - y) ** 2) + 0.5 * rho * np.sum((z - v) ** 2)


def _scipy_prox(objective, v, y, rho):
    """Minimise each row's objective with BFGS, to a tight tolerance."""
    rows = []
    for v_row, y_row in zip(v, y, strict=True):
        result = minimize(
            objective,
            v_row,
            args=(v_row, y_row, rho),
            method="BFGS",
            options={"gtol": 1e-11},
        )
        rows.append(result.x)
    return np.array(rows)


@pytest.mark.parametrize("rho", [1e-3, 0.1, 1.0, 10.0])
@pytest.mark.parametrize(
    "loss, objective, kind",
    [
        (SoftmaxCrossEntropy(), _softmax_objective, "onehot"),
        (LogisticLoss(), _logistic_objective, "binary"),
        (SquaredLoss(), _squared_objective, "real"),
    ],
)
def test_output_prox_reaches_scipy_minimum(loss, objective, kind, rho):
    rng = np.random.RandomState(0)
    n, k = 12, 4
    v = 3.0 * rng.randn(n, k)
    if kind == "onehot":
        y = np.eye(k)[rng.randint(0, k, n)]
    elif kind == "binary":
        y = rng.randint(0, 2, (n, k)).astype(float)
    else:
        y = rng.randn(n, k)
    start = v + rng.randn(n, k)
    z, _ = loss.prox(np, v, y, rho, start, tol=1e-10)
    reference = _scipy_prox(objective, v, y, rho)
    ours = np.array([objective(a, b, c, rho) for a, b, c in zip(z, v, y, strict=True)])
    theirs = np.array(
        [objective(a, b, c, rho) for a, b, c in zip(reference, v, y, strict=True)]
    )
    # Never worse than scipy's minimum, and at the same point.
    assert np.all(ours <= theirs + 1e-10)
    np.testing.assert_allclose(z, reference, atol=1e-5 / min(rho, 1.0))


@pytest.mark.parametrize("loss", [SoftmaxCrossEntropy(), LogisticLoss()])
def test_output_prox_converges_from_far_away(loss):
    """Large logits and a tiny rho: Newton still meets the gradient tolerance."""
    rng = np.random.RandomState(1)
    v = 200.0 * rng.randn(50, 5)
    y = np.eye(5)[rng.randint(0, 5, 50)]
    z, n_iter = loss.prox(np, v, y, 1e-4, -v, tol=1e-9)
    assert n_iter < loss.max_iter
    p = loss.output(np, z)
    gradient = p - y + 1e-4 * (z - v)
    assert np.max(np.abs(gradient)) <= 1e-9


def test_loss_values_match_independent_formulas():
    rng = np.random.RandomState(2)
    z = 5 * rng.randn(20, 3)
    y = np.eye(3)[rng.randint(0, 3, 20)]
    softmax = SoftmaxCrossEntropy().value(np, z, y)
    np.testing.assert_allclose(softmax, logsumexp(z, axis=1) - np.sum(y * z, axis=1))
    p = 1 / (1 + np.exp(-z))
    logistic = LogisticLoss().value(np, z, y)
    expected = -np.sum(y * np.log(p) + (1 - y) * np.log(1 - p), axis=1)
    np.testing.assert_allclose(logistic, expected, rtol=1e-10)
    np.testing.assert_allclose(
        SquaredLoss().value(np, z, y), 0.5 * np.sum((z - y) ** 2, axis=1)
    )


def test_softmax_output_is_stable_for_huge_logits():
    z = np.array([[1000.0, 0.0, -1000.0], [-1e5, -1e5, -1e5]])
    p = SoftmaxCrossEntropy().output(np, z)
    np.testing.assert_allclose(p, [[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]])


def test_prox_keeps_float32():
    rng = np.random.RandomState(3)
    v = rng.randn(6, 3).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[rng.randint(0, 3, 6)]
    z, _ = SoftmaxCrossEntropy().prox(np, v, y, 0.5, v, tol=1e-4)
    assert z.dtype == np.float32
