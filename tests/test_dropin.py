"""Drop-in cases: code written for MLPClassifier keeps working with TIAMClassifier.

Each test states MLPClassifier's behaviour on the same call, by running it
where that is the clearest statement, and checks that TIAMClassifier does
the same, or, where the documentation says so, better.
"""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from sktiam import TIAMClassifier


def _blobs(n=60, centers=2, seed=0):
    X, y = make_blobs(n_samples=n, centers=centers, n_features=3, random_state=seed)
    return StandardScaler().fit_transform(X), y


# -- n_iter_no_change=np.inf ----------------------------------------------------

# A tol no loss can improve by: every iteration counts as one without
# improvement, so only n_iter_no_change decides when training stops.
NEVER_IMPROVES = dict(hidden_layer_sizes=(6,), tol=1e3, max_iter=8, random_state=0)


def _models(batch_size, **params):
    """An MLPClassifier and a TIAMClassifier of the same parameters."""
    params = {**NEVER_IMPROVES, **params}
    return MLPClassifier(**params), TIAMClassifier(batch_size=batch_size, **params)


@pytest.mark.parametrize("batch_size", [16, None], ids=["mini-batch", "full batch"])
def test_a_finite_n_iter_no_change_stops_early_under_the_large_tol(batch_size):
    """The control of the next test: without inf, the large tol stops early."""
    X, y = _blobs()
    for model in _models(batch_size, n_iter_no_change=2):
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            model.fit(X, y)
        assert model.n_iter_ < NEVER_IMPROVES["max_iter"], type(model).__name__


@pytest.mark.parametrize("batch_size", [16, None], ids=["mini-batch", "full batch"])
def test_n_iter_no_change_inf_runs_max_iter_and_warns(batch_size):
    X, y = _blobs()
    for model in _models(batch_size, n_iter_no_change=np.inf):
        with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
            model.fit(X, y)
        assert model.n_iter_ == NEVER_IMPROVES["max_iter"], type(model).__name__


@pytest.mark.parametrize("batch_size", [16, None], ids=["mini-batch", "full batch"])
def test_n_iter_no_change_inf_continues_a_warm_start_to_a_larger_max_iter(
    batch_size,
):
    X, y = _blobs()
    for model in _models(batch_size, n_iter_no_change=np.inf, warm_start=True):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, y)
            model.set_params(max_iter=12).fit(X, y)
        # Each fit runs its own max_iter; the loss curve appends.
        assert model.n_iter_ == 12, type(model).__name__
        assert len(model.loss_curve_) == 8 + 12, type(model).__name__
