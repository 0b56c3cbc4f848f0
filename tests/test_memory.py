"""The memory estimate bounds what a fit allocates, and a fit refuses early."""

import tracemalloc
import warnings

import numpy as np
import pytest
from helpers import fit_quietly
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning

import sktiam._estimators
import sktiam._kernels
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


def _traced_peak(model, X, y):
    """Return the peak that tracemalloc sees during ``model.fit(X, y)``.

    The process's threadpool controller, which the first factorisation makes
    once (it inspects every loaded library, so its size depends on what the
    process has imported), is made before tracing starts: it is not the
    fit's state.
    """
    sktiam._kernels._threadpool_controller()
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        fit_quietly(model, X, y)
        return tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    "batch_size, weight_step, activation_step",
    [
        (None, None, None),
        (64, None, None),
        (256, None, None),
        (64, "proximal", None),
        (256, "proximal", None),
        (64, None, "exact"),
        (64, None, "cg"),
    ],
)
@pytest.mark.parametrize("Estimator, n, d, hidden, k, dtype", SHAPES)
def test_estimate_bounds_the_measured_peak(
    Estimator, n, d, hidden, k, dtype, batch_size, weight_step, activation_step
):
    """tracemalloc sees every NumPy allocation: the estimate must lie above the
    peak of a fit, full-batch or mini-batch, with either W step or the exact
    A step, and not far above it. None is the estimator's default step."""
    if Estimator is TIAMClassifier:
        X, y = make_classification(
            n_samples=n, n_features=d, n_informative=6, n_classes=k, random_state=0
        )
    else:
        X, y = make_regression(n_samples=n, n_features=d, random_state=0)
    X = X.astype(dtype)
    model = Estimator(
        hidden_layer_sizes=hidden, max_iter=3, batch_size=batch_size, random_state=0
    )
    if weight_step is not None:
        model.set_params(weight_step=weight_step)
    if activation_step is not None:
        model.set_params(activation_step=activation_step)
    peak = _traced_peak(model, X, y)
    units = [d, *hidden, model.n_outputs_]
    itemsize = np.dtype(dtype).itemsize
    estimate = training_state_bytes(
        n,
        units,
        itemsize,
        False,
        batch_size,
        model.batch_rounds,
        model.weight_step_,
        model.activation_step,
    )
    assert peak <= estimate <= 1.6 * peak


@pytest.mark.parametrize("Estimator", [TIAMClassifier, TIAMRegressor])
def test_mini_batch_state_does_not_grow_with_the_data(Estimator):
    """Batches of 256 at n = 20,000 and n = 200,000: the peak above the input
    arrays grows by at most 64 bytes per extra row. A few numbers per row (the
    encoded targets, the weights, the shuffle order) fit in that; the state of
    the layers, sum(d_l) = 65 numbers per row here, would not."""
    rng = np.random.RandomState(0)
    peaks = []
    for n in (20_000, 200_000):
        X = rng.randn(n, 5)
        y = X[:, 0] + 0.1 * rng.randn(n)
        if Estimator is TIAMClassifier:
            y = (y > 0).astype(int)
        model = Estimator(
            hidden_layer_sizes=(32, 32), batch_size=256, max_iter=1, random_state=0
        )
        peaks.append(_traced_peak(model, X, y))
        estimate = training_state_bytes(n, [5, 32, 32, 1], 8, False, 256)
        assert peaks[-1] <= estimate
    assert (peaks[1] - peaks[0]) / 180_000 <= 64


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
        TIAMClassifier(random_state=0, batch_size=None).fit(X.astype(dtype), y)
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


@pytest.mark.parametrize("activation_step", ["exact", "cg"])
def test_estimate_counts_the_squares_of_a_solved_a_step(activation_step):
    """One hidden layer of 400 units: the A step's 400 x 400 arrays are most
    of the peak above the prox-linear step's, and the estimate bounds it."""
    X, y = make_classification(
        n_samples=600, n_features=20, n_informative=6, n_classes=3, random_state=0
    )
    model = TIAMClassifier(
        hidden_layer_sizes=(400,),
        max_iter=2,
        activation_step=activation_step,
        random_state=0,
    )
    peak = _traced_peak(model, X, y)
    units = [20, 400, 3]
    plain = training_state_bytes(600, units, 8, False, 64, model.batch_rounds)
    estimate = training_state_bytes(
        600, units, 8, False, 64, model.batch_rounds, "prox-linear", activation_step
    )
    assert plain < peak <= estimate <= 1.6 * peak
