"""The solver under scikit-learn's array API dispatch, proven on array-api-strict.

array-api-strict implements the standard and nothing else, so a fit that runs
under it uses nothing CuPy lacks. Its arithmetic is NumPy's, so its results
must equal the NumPy run's.
"""

import warnings

import numpy as np
import pytest
import sklearn
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning

from sktiam import TIAMClassifier, TIAMRegressor
from sktiam._backend import gpu_available, to_numpy

xp = pytest.importorskip("array_api_strict")
StrictArray = type(xp.asarray(0.0))

PARAMS = dict(hidden_layer_sizes=(12, 9), max_iter=12, random_state=0)


def _fit(estimator, X, y, **fit_params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y, **fit_params)


def _strict(array, device=None):
    return xp.asarray(array, device=device)


def _classification(n_classes):
    X, y = make_classification(
        n_samples=90,
        n_features=7,
        n_informative=4,
        n_classes=n_classes,
        random_state=1,
    )
    return X, y


CASES = [
    ("multiclass", TIAMClassifier, lambda: _classification(3)),
    ("binary", TIAMClassifier, lambda: _classification(2)),
    (
        "regression",
        TIAMRegressor,
        lambda: make_regression(n_samples=90, n_features=7, random_state=1),
    ),
    (
        "two outputs",
        TIAMRegressor,
        lambda: make_regression(
            n_samples=90, n_features=7, n_targets=2, random_state=1
        ),
    ),
]


#: ``weight_step="proximal"`` at batches of 10 rows: the layer of 12 inputs
#: solves in the rows' space, those of 7 and 9 inputs in the columns'.
PROXIMAL = dict(weight_step="proximal", batch_size=10)


@pytest.mark.parametrize("name, Estimator, data", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize(
    "early_stopping, step",
    [(False, {}), (True, {}), (False, PROXIMAL)],
    ids=["plain", "early stopping", "proximal W step"],
)
def test_strict_fit_and_predict_equal_numpy(
    name, Estimator, data, early_stopping, step
):
    X, y = data()
    weights = np.random.RandomState(0).uniform(0.5, 2.0, X.shape[0])
    weights[:5] = 0.0  # rows of zero weight are dropped by indexing
    params = dict(
        PARAMS, early_stopping=early_stopping, validation_fraction=0.2, **step
    )
    reference = _fit(Estimator(**params), X, y, sample_weight=weights)
    with sklearn.config_context(array_api_dispatch=True):
        model = _fit(
            Estimator(**params), _strict(X), _strict(y), sample_weight=_strict(weights)
        )
        methods = ["predict"]
        if Estimator is TIAMClassifier:
            methods += ["predict_proba", "predict_log_proba"]
        outputs = {m: getattr(model, m)(_strict(X)) for m in methods}
    assert model.n_iter_ == reference.n_iter_
    np.testing.assert_allclose(model.loss_curve_, reference.loss_curve_, rtol=1e-10)
    for fitted, expected in zip(
        model.coefs_ + model.intercepts_,
        reference.coefs_ + reference.intercepts_,
        strict=True,
    ):
        assert type(fitted) is StrictArray
        np.testing.assert_allclose(to_numpy(fitted), expected, rtol=1e-10, atol=1e-10)
    for method, output in outputs.items():
        assert type(output) is StrictArray
        np.testing.assert_allclose(
            to_numpy(output),
            getattr(reference, method)(X),
            rtol=1e-10,
            atol=1e-10,
            err_msg=method,
        )


@pytest.mark.parametrize("name, Estimator, data", CASES, ids=[c[0] for c in CASES])
def test_strict_warm_start_in_order_equals_numpy(name, Estimator, data):
    """Batches in order are slices of the rows (``shuffle=False``), and a warm
    start computes its starting loss a batch at a time: both index 2-D
    arrays as the standard allows."""
    X, y = data()
    params = dict(PARAMS, shuffle=False, batch_size=16)
    reference = _fit(Estimator(**params), X, y)
    _fit(reference.set_params(warm_start=True, max_iter=3), X, y)
    with sklearn.config_context(array_api_dispatch=True):
        model = _fit(Estimator(**params), _strict(X), _strict(y))
        _fit(model.set_params(warm_start=True, max_iter=3), _strict(X), _strict(y))
    np.testing.assert_allclose(model.loss_curve_, reference.loss_curve_, rtol=1e-10)
    for fitted, expected in zip(
        model.coefs_ + model.intercepts_,
        reference.coefs_ + reference.intercepts_,
        strict=True,
    ):
        np.testing.assert_allclose(to_numpy(fitted), expected, rtol=1e-10, atol=1e-10)


def test_strict_partial_fit_takes_its_classes_in_the_namespace_of_x():
    """``classes`` given as an array of X's namespace, as a user under dispatch
    would: classes_ stays a NumPy array, as fit makes it, and the calls
    that follow (with classes again, or without) train as on NumPy."""
    X, y = _classification(3)
    params = dict(PARAMS, max_iter=1)
    reference = TIAMClassifier(**params)
    for _ in range(2):
        reference.partial_fit(X, y, classes=np.array([0, 1, 2]))
    reference.partial_fit(X, y)
    with sklearn.config_context(array_api_dispatch=True):
        model = TIAMClassifier(**params)
        for _ in range(2):
            model.partial_fit(_strict(X), _strict(y), classes=_strict([0, 1, 2]))
        model.partial_fit(_strict(X), _strict(y))
    assert isinstance(model.classes_, np.ndarray)
    np.testing.assert_array_equal(model.classes_, reference.classes_)
    np.testing.assert_allclose(model.loss_curve_, reference.loss_curve_, rtol=1e-10)


def test_strict_x_with_string_labels_predicts_a_numpy_array_of_them():
    """String labels cannot enter an array API namespace: predict returns
    them as a NumPy array, equal to the NumPy model's, and score works."""
    X, y = _classification(3)
    labels = np.array(["ant", "bee", "cat"])[y]
    reference = _fit(TIAMClassifier(**PARAMS), X, labels)
    with sklearn.config_context(array_api_dispatch=True):
        model = _fit(TIAMClassifier(**PARAMS), _strict(X), labels)
        predicted = model.predict(_strict(X))
        score = model.score(_strict(X), labels)
    assert isinstance(predicted, np.ndarray) and predicted.dtype.kind == "U"
    np.testing.assert_array_equal(predicted, reference.predict(X))
    assert score == reference.score(X, labels)


@pytest.mark.parametrize("Estimator", [TIAMClassifier, TIAMRegressor])
def test_float32_on_another_device_stays_float32_there(Estimator):
    X, y = _classification(3)
    X = X.astype(np.float32)
    device = xp.Device("device1")
    reference = _fit(Estimator(**PARAMS), X, y)
    with sklearn.config_context(array_api_dispatch=True):
        model = _fit(Estimator(**PARAMS), _strict(X, device), _strict(y, device))
        prediction = model.predict(_strict(X, device))
    # The strict namespace runs the generic kernels, NumPy its own: the same
    # arithmetic in another order, whose float32 rounding 12 epochs carry to
    # about 1e-4.
    for fitted, expected in zip(model.coefs_, reference.coefs_, strict=True):
        assert fitted.dtype == xp.float32 and fitted.device == device
        np.testing.assert_allclose(to_numpy(fitted), expected, rtol=5e-4, atol=1e-5)
    assert prediction.device == device
    np.testing.assert_allclose(
        to_numpy(prediction), reference.predict(X), rtol=5e-4, atol=1e-4
    )


def test_predict_refuses_another_namespace_than_fit():
    X, y = _classification(3)
    with sklearn.config_context(array_api_dispatch=True):
        model = _fit(TIAMClassifier(**PARAMS), _strict(X), _strict(y))
        with pytest.raises(ValueError, match=r"TIAMClassifier.predict\(\) must use"):
            model.predict(X)


def test_dispatch_leaves_numpy_input_unchanged():
    X, y = _classification(3)
    reference = _fit(TIAMClassifier(**PARAMS), X, y)
    with sklearn.config_context(array_api_dispatch=True):
        model = _fit(TIAMClassifier(**PARAMS), X, y)
        prediction = model.predict_proba(X)
    assert type(prediction) is np.ndarray
    for fitted, expected in zip(model.coefs_, reference.coefs_, strict=True):
        assert type(fitted) is np.ndarray
        np.testing.assert_array_equal(fitted, expected)


@pytest.mark.skipif(not gpu_available(), reason="needs CuPy and a visible GPU")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cupy_input_gives_cupy_output(dtype):
    import cupy

    X, y = _classification(3)
    X = X.astype(dtype)
    reference = _fit(TIAMClassifier(**PARAMS), X, y)
    with sklearn.config_context(array_api_dispatch=True):
        model = _fit(TIAMClassifier(**PARAMS), cupy.asarray(X), cupy.asarray(y))
        probabilities = model.predict_proba(cupy.asarray(X))
        labels = model.predict(cupy.asarray(X))
    assert isinstance(probabilities, cupy.ndarray) and isinstance(labels, cupy.ndarray)
    assert all(isinstance(c, cupy.ndarray) for c in model.coefs_)
    tolerance = 1e-8 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(
        probabilities.get(), reference.predict_proba(X), rtol=tolerance, atol=tolerance
    )
