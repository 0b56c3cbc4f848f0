"""Property-based tests: any reasonable draw fits and predicts, or gets the
documented error; probabilities sum to 1; shapes and dtypes are as documented.

NumPy's RuntimeWarnings (overflow, invalid value) are errors here.
"""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.exceptions import ConvergenceWarning

from sktiam import TIAMClassifier, TIAMRegressor

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

SMALL = dict(hidden_layer_sizes=(3,), max_iter=3, random_state=0)
SETTINGS = settings(
    max_examples=75,
    deadline=None,
    # The same examples on every run: CI must not pass or fail by chance.
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

#: The errors the documentation promises for data that cannot be learned from.
DOCUMENTED = (
    "Sample weights must contain at least one non-zero number",
    "sample_weight is too small for alpha_",
)


@st.composite
def features(draw):
    n_samples = draw(st.integers(1, 40))
    n_features = draw(st.integers(1, 6))
    dtype = draw(st.sampled_from([np.float32, np.float64, np.int64]))
    if dtype is np.int64:
        elements = st.integers(-1000, 1000)
    else:
        elements = st.floats(-1e4, 1e4, width=32 if dtype is np.float32 else 64)
    return draw(arrays(dtype, (n_samples, n_features), elements=elements))


@st.composite
def sample_weights(draw, n_samples):
    kind = draw(st.sampled_from(["none", "positive", "with zeros"]))
    if kind == "none":
        return None
    low = 0.0 if kind == "with zeros" else 0.1
    return draw(arrays(np.float64, n_samples, elements=st.floats(low, 10.0)))


@st.composite
def classification(draw):
    X = draw(features())
    n_samples = X.shape[0]
    # One class is fitted too, as by MLPClassifier.
    n_classes = draw(st.integers(1, 20))
    as_strings = draw(st.booleans())
    # Imbalanced: each sample picks a class with drawn probabilities.
    weights = np.asarray(
        draw(st.lists(st.floats(0.01, 1.0), min_size=n_classes, max_size=n_classes))
    )
    seed = draw(st.integers(0, 2**16))
    codes = np.random.RandomState(seed).choice(
        n_classes, size=n_samples, p=weights / weights.sum()
    )
    labels = np.array([f"class {c}" for c in codes]) if as_strings else codes * 3 - 7
    return X, labels, draw(sample_weights(n_samples))


@st.composite
def regression(draw):
    X = draw(features())
    n_outputs = draw(st.integers(1, 3))
    shape = (X.shape[0],) if n_outputs == 1 else (X.shape[0], n_outputs)
    y = draw(arrays(np.float64, shape, elements=st.floats(-1e3, 1e3)))
    return X, y, draw(sample_weights(X.shape[0]))


def _fit(model, X, y, sample_weight):
    """Fit, returning None when the documented error for the draw is raised."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            return model.fit(X, y, sample_weight=sample_weight)
        except ValueError as error:
            if any(fragment in str(error) for fragment in DOCUMENTED):
                return None
            raise


def _expected_float_dtype(X):
    return np.float32 if X.dtype == np.float32 else np.float64


def _positive(sample_weight, X):
    """The weights that stay positive in X's float type (float32 flushes 1e-309)."""
    return sample_weight.astype(_expected_float_dtype(X)) > 0


def _refused_rightly(sample_weight, X):
    """A draw may be refused only for weights that are all zero in X's float
    type, or whose rows count, all together, as fewer rows than alpha_
    times output_alpha_factor (at most 2e-3 x 30 and 6.4e-4 x 100 at the
    defaults) over the square root of the dtype's largest value: the
    weight decay over them, alpha / rows, would pass it (a batch of 64 holds
    every row of these draws)."""
    if sample_weight is None:
        return False
    positive = _positive(sample_weight, X)
    limit = np.sqrt(np.finfo(_expected_float_dtype(X)).max)
    return not np.any(positive) or np.sum(sample_weight[positive]) < 0.064 / limit


@SETTINGS
@given(classification())
# Weights that are positive in float64 but flush to zero in float32.
@example(
    draw=(
        np.zeros((5, 1), dtype=np.float32),
        np.array([-4, -4, -4, -4, -7]),
        np.full(5, 2.2e-309),
    )
)
# A positive weight so small that the weight decay over it overflows.
@example(draw=(np.zeros((1, 1)), np.array([-7]), np.array([2.11e-283])))
def test_classifier_fits_and_predicts_or_says_why(draw):
    X, y, sample_weight = draw
    model = _fit(TIAMClassifier(**SMALL), X, y, sample_weight)
    if model is None:
        assert _refused_rightly(sample_weight, X)
        return
    probabilities = model.predict_proba(X)
    assert probabilities.shape == (X.shape[0], len(model.classes_))
    assert probabilities.dtype == _expected_float_dtype(X)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-6)
    assert np.all((probabilities >= 0) & (probabilities <= 1))
    prediction = model.predict(X)
    assert prediction.shape == (X.shape[0],)
    assert prediction.dtype == model.classes_.dtype
    assert set(prediction) <= set(model.classes_)
    log_probabilities = model.predict_log_proba(X)
    assert np.all(np.isfinite(log_probabilities) | (probabilities == 0))


@SETTINGS
@given(regression())
def test_regressor_fits_and_predicts_or_says_why(draw):
    X, y, sample_weight = draw
    model = _fit(TIAMRegressor(**SMALL), X, y, sample_weight)
    if model is None:
        assert _refused_rightly(sample_weight, X)
        return
    prediction = model.predict(X)
    assert prediction.shape == y.shape
    assert prediction.dtype == _expected_float_dtype(X)
    assert np.all(np.isfinite(prediction))
