"""The memory estimate bounds what a fit allocates, and a fit refuses early."""

import tracemalloc
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning

import sktiam._estimators
import sktiam._memory
from sktiam import TIAMClassifier, TIAMRegressor
from sktiam._memory import InsufficientMemoryError, training_state_bytes

SHAPES = [
    (TIAMClassifier, 2000, 20, (50, 50), 10, np.float64),
    (TIAMClassifier, 2500, 30, (120,), 3, np.float64),
    (TIAMRegressor, 3000, 50, (30, 80, 30), 1, np.float32),
    (TIAMClassifier, 1000, 300, (10,), 2, np.float64),
    (TIAMClassifier, 3000, 10, (5,), 20, np.float64),
    (TIAMClassifier, 4000, 10, (64, 64, 64), 2, np.float32),
]


@pytest.mark.parametrize("Estimator, n, d, hidden, k, dtype", SHAPES)
def test_estimate_bounds_the_measured_peak(Estimator, n, d, hidden, k, dtype):
    """tracemalloc sees every NumPy allocation: the estimate must lie above the
    peak of a fit, and not far above it."""
    if Estimator is TIAMClassifier:
        X, y = make_classification(
            n_samples=n, n_features=d, n_informative=6, n_classes=k, random_state=0
        )
    else:
        X, y = make_regression(n_samples=n, n_features=d, random_state=0)
    X = X.astype(dtype)
    model = Estimator(hidden_layer_sizes=hidden, max_iter=3, random_state=0)
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, y)
        peak = tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()
    units = [d, *hidden, model.n_outputs_]
    estimate = training_state_bytes(n, units, np.dtype(dtype).itemsize, False)
    assert peak <= estimate <= 1.6 * peak


def test_estimate_counts_the_state_of_the_paper():
    """Current and previous Z and A are about 3 n sum d_l numbers or more."""
    units = [784, 100, 100, 10]
    n = 10_000
    state = 3 * n * sum(units[1:])
    assert training_state_bytes(n, units, 8, False) >= 8 * state
    copied = training_state_bytes(n, units, 8, True)
    assert copied - training_state_bytes(n, units, 8, False) == 8 * n * 784


@pytest.mark.parametrize("dtype, advice", [(np.float64, "float32"), (np.float32, "")])
def test_fit_refuses_before_allocating_when_memory_is_short(monkeypatch, dtype, advice):
    monkeypatch.setattr(sktiam._memory, "available_bytes", lambda backend: 10_000)

    def no_solver(*args, **kwargs):
        raise AssertionError("the solver was built: the check came too late")

    monkeypatch.setattr(sktiam._estimators, "TIAMSolver", no_solver)
    X, y = make_classification(n_samples=500, random_state=0)
    with pytest.raises(InsufficientMemoryError, match="fewer samples") as error:
        TIAMClassifier(random_state=0).fit(X.astype(dtype), y)
    assert isinstance(error.value, MemoryError)
    assert isinstance(error.value, ValueError)
    assert ("float32" in str(error.value)) == bool(advice)
    assert "500 samples" in str(error.value)


def test_fit_runs_when_the_free_memory_is_unknown_or_enough(monkeypatch):
    X, y = make_classification(n_samples=60, random_state=0)
    for free in (None, 10**12):
        monkeypatch.setattr(
            sktiam._memory, "available_bytes", lambda backend, free=free: free
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            TIAMClassifier(hidden_layer_sizes=(5,), max_iter=2).fit(X, y)
