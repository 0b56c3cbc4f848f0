"""Drop-in cases: code written for MLPClassifier keeps working with TIAMClassifier.

Each test states MLPClassifier's behaviour on the same call, by running it
where that is the clearest statement, and checks that TIAMClassifier does
the same, or, where the documentation says so, better.
"""

import warnings

import numpy as np
import pandas as pd
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


# -- a target of one class ----------------------------------------------------

ONE_CLASS = dict(hidden_layer_sizes=(6,), max_iter=30, random_state=0)


def _one_class(n=40, label="only"):
    X, _ = _blobs(n)
    return X, np.full(n, label)


@pytest.mark.parametrize("batch_size", [16, None], ids=["mini-batch", "full batch"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_one_class_is_fitted_and_predicted_like_mlp(batch_size, dtype):
    X, y = _one_class()
    X = X.astype(dtype)
    mlp = MLPClassifier(**ONE_CLASS)
    model = TIAMClassifier(batch_size=batch_size, **ONE_CLASS)
    for estimator in (mlp, model):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            estimator.fit(X, y)
    np.testing.assert_array_equal(model.classes_, mlp.classes_)
    np.testing.assert_array_equal(model.predict(X), mlp.predict(X))
    assert model.score(X, y) == mlp.score(X, y) == 1.0
    # One column per class, of ones, where MLPClassifier returns two.
    assert mlp.predict_proba(X).shape == (len(X), 2)
    probabilities = model.predict_proba(X)
    assert probabilities.dtype == dtype
    np.testing.assert_array_equal(probabilities, np.ones((len(X), 1)))
    np.testing.assert_array_equal(model.predict_log_proba(X), np.zeros((len(X), 1)))
    assert model.n_outputs_ == 1 and model.out_activation_ == "softmax"


def test_one_class_with_early_stopping_and_pandas_fits_without_warnings():
    X, y = _one_class()
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    labels = pd.Series(y, name="target")
    predictions = []
    for estimator in (
        MLPClassifier(early_stopping=True, **ONE_CLASS),
        TIAMClassifier(early_stopping=True, **ONE_CLASS),
    ):
        # No warning at all: no feature names lost, no convergence trouble
        # (the validation score is 1 from the start, so both stop early).
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            estimator.fit(frame, labels)
            predictions.append(estimator.predict(frame))
            assert estimator.score(frame, labels) == 1.0
        assert estimator.n_iter_ < ONE_CLASS["max_iter"]
    np.testing.assert_array_equal(predictions[1], predictions[0])
    assert set(predictions[1]) == {"only"}


@pytest.mark.parametrize("batch_size", [16, None], ids=["mini-batch", "full batch"])
def test_one_class_partial_fit_like_mlp(batch_size):
    X, y = _one_class()
    for estimator in (
        MLPClassifier(**ONE_CLASS),
        TIAMClassifier(batch_size=batch_size, **ONE_CLASS),
    ):
        estimator.partial_fit(X[:20], y[:20], classes=["only"])
        # A later call continues the one-class model, with or without classes.
        estimator.partial_fit(X[20:], y[20:])
        estimator.partial_fit(X[20:], y[20:], classes=["only"])
        np.testing.assert_array_equal(estimator.predict(X), y)
        with pytest.raises(ValueError, match="`y` has classes not in"):
            estimator.partial_fit(X[:5], np.full(5, "other"))
    assert estimator.predict_proba(X).shape == (len(X), 1)


def test_one_class_warm_start_keeps_its_class_like_mlp():
    X, y = _one_class()
    for estimator in (
        MLPClassifier(warm_start=True, **ONE_CLASS),
        TIAMClassifier(warm_start=True, **ONE_CLASS),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            estimator.fit(X, y).fit(X, y)
            np.testing.assert_array_equal(estimator.predict(X), y)
            with pytest.raises(ValueError, match="classes"):
                estimator.fit(X, np.arange(len(X)) % 2)


def test_one_class_with_sample_weight():
    X, y = _one_class()
    weights = np.r_[np.zeros(10), np.linspace(0.5, 2.0, 30)]
    model = TIAMClassifier(**ONE_CLASS).fit(X, y, sample_weight=weights)
    np.testing.assert_array_equal(model.predict(X), y)
    np.testing.assert_array_equal(model.predict_proba(X), np.ones((len(X), 1)))
    assert model.score(X, y, sample_weight=weights) == 1.0


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_weights_leaving_one_class_train_on_it_like_mlp(n_classes, seed):
    """scikit-learn's check_classifiers_one_label_sample_weights, over seeds.

    y holds several classes, so classes_ does, but only the rows of the last
    have weight: the model learns to predict it everywhere, as MLPClassifier
    does, rather than being refused.
    """
    rng = np.random.RandomState(seed)
    X_train, X_test = rng.uniform(size=(12, 10)), rng.uniform(size=(12, 10))
    y = np.arange(12) % n_classes
    weights = (y == n_classes - 1).astype(float)
    for estimator in (MLPClassifier(random_state=0), TIAMClassifier(random_state=0)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            estimator.fit(X_train, y, sample_weight=weights)
        np.testing.assert_array_equal(estimator.classes_, np.arange(n_classes))
        np.testing.assert_array_equal(
            estimator.predict(X_test), np.full(12, n_classes - 1)
        )
