"""Drop-in cases: code written for MLPClassifier keeps working with TIAMClassifier.

Each test states MLPClassifier's behaviour on the same call, by running it
where that is the clearest statement, and checks that TIAMClassifier does
the same, or, where the documentation says so, better.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import sparse, special
from sklearn.datasets import load_digits, make_blobs, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from sktiam import TIAMClassifier
from sktiam._activations import ACTIVATIONS


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


# -- small probabilities in float32 ---------------------------------------------


@pytest.mark.parametrize("Estimator", [MLPClassifier, TIAMClassifier])
def test_float32_and_float64_probabilities_agree_to_one_percent(Estimator):
    """The issue's case: raw digits 0 and 1, a model sure of most rows.

    MLPClassifier's smallest probability here is 5.5e-6, where the float32
    ``1 - p`` still has two digits, so its two dtypes agree to 1%. TIAM's
    reaches 5e-8, below float32's spacing under 1 (5.96e-8): only a
    probability computed from the logit itself keeps the 1% there.
    """
    X, y = load_digits(n_class=2, return_X_y=True)
    X, y = X[:300], y[:300]
    params = dict(
        hidden_layer_sizes=(5, 3), alpha=1e-5, max_iter=100, tol=0.1, random_state=1
    )
    probabilities = {}
    for dtype in (np.float64, np.float32):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = Estimator(**params).fit(X.astype(dtype), y)
        probabilities[dtype] = model.predict_proba(X.astype(dtype))
        assert probabilities[dtype].dtype == dtype
    np.testing.assert_allclose(
        probabilities[np.float32], probabilities[np.float64], rtol=1e-2, atol=0
    )
    if Estimator is TIAMClassifier:
        # The comparison covers probabilities below 1e-6, which a float32
        # 1 - p, a multiple of 5.96e-8, can miss by 3% or more.
        assert probabilities[np.float64].min() < 1e-6


def _scaled_model(kind, dtype, largest_logit):
    """A fitted model whose logits are scaled to reach ``largest_logit``, with
    its data and its logits computed independently, in float64."""
    if kind == "multilabel":
        X, y = make_multilabel_classification(
            n_samples=60, n_features=3, n_classes=3, random_state=0
        )
        X = StandardScaler().fit_transform(X)
    else:
        X, y = _blobs(centers=2 if kind == "binary" else 3)
    X = X.astype(dtype)
    model = TIAMClassifier(
        hidden_layer_sizes=(6,), activation="relu", max_iter=20, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)

    def logits():
        hidden = X.astype(np.float64)
        for layer, (w, b) in enumerate(
            zip(model.coefs_, model.intercepts_, strict=True)
        ):
            hidden = hidden @ w.astype(np.float64) + b.astype(np.float64)
            if layer < len(model.coefs_) - 1:
                hidden = np.maximum(hidden, 0.0)
        return hidden

    # Scaling the output layer's weights and bias scales the logits.
    scale = dtype(largest_logit / np.abs(logits()).max())
    model.coefs_[-1] = model.coefs_[-1] * scale
    model.intercepts_[-1] = model.intercepts_[-1] * scale
    return model, X, logits()


def _expected(kind, z, log):
    """Probabilities (or their logarithms) of the logits ``z`` by scipy."""
    if kind == "multiclass":
        return special.log_softmax(z, axis=1) if log else special.softmax(z, axis=1)
    if kind == "binary":
        z = np.column_stack([-z[:, 0], z[:, 0]])
    return special.log_expit(z) if log else special.expit(z)


# float32's rounding of the forward pass moves logits of about 30 by ~1e-5.
RTOL = {np.float64: 1e-9, np.float32: 1e-3}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel"])
def test_probabilities_keep_their_relative_precision_however_small(kind, dtype):
    """Logits up to 30 in size: probabilities down to 1e-13 (binary and
    multilabel) or 1e-26 (softmax), all at the rounding of the logits."""
    model, X, z = _scaled_model(kind, dtype, largest_logit=30.0)
    expected = _expected(kind, z, log=False)
    assert expected.min() < 1e-12
    probabilities = model.predict_proba(X)
    assert probabilities.dtype == dtype
    np.testing.assert_allclose(probabilities, expected, rtol=RTOL[dtype], atol=0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel"])
def test_log_probabilities_stay_finite_where_probabilities_underflow(kind, dtype):
    """Logits of 800: e^-800 underflows float64 (and float32), its log not.

    The log-probabilities of near-certain classes, about ``-e^-z``, fall
    below the smallest normal number too, where a float has only absolute
    precision: that is the ``atol``.
    """
    model, X, z = _scaled_model(kind, dtype, largest_logit=800.0)
    assert np.any(model.predict_proba(X) == 0)
    log_probabilities = model.predict_log_proba(X)
    assert log_probabilities.dtype == dtype
    assert np.all(np.isfinite(log_probabilities))
    np.testing.assert_allclose(
        log_probabilities,
        _expected(kind, z, log=True),
        rtol=RTOL[dtype],
        atol=np.finfo(dtype).tiny,
    )


def _narrow_logistic_rows():
    """The first 50 rows of two-class digits, scaled to [0, 1] by a
    MinMaxScaler fitted on the first 200."""
    from sklearn.datasets import load_digits
    from sklearn.preprocessing import MinMaxScaler

    X, y = load_digits(n_class=2, return_X_y=True)
    return MinMaxScaler().fit(X[:200]).transform(X[:50]), y[:50]


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_narrow_networks_of_every_activation_learn_their_training_rows(activation):
    """On 50 rows, for seeds 0-9 and widths 2, 5 and 100, a default fit
    ranks its own training rows (ROC AUC >= 0.95, MLPClassifier's 1.000 on
    the case that failed) and ends no higher than its initial network's
    loss. A single prox-linear A step moved the A of a narrow logistic
    network out of [0, 1] (seed 1, width 5: AUC 0.155, the loss rising
    from 0.707 to 0.94)."""
    from sklearn.metrics import roc_auc_score

    X, y = _narrow_logistic_rows()
    for width in (2, 5, 100):
        for seed in range(10):
            model = TIAMClassifier(
                hidden_layer_sizes=width, activation=activation, random_state=seed
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(X, y)
            auc = roc_auc_score(y, model.predict_proba(X)[:, 1])
            assert auc >= 0.95, (width, seed, auc)
            # One batch per epoch: each entry is the loss before that epoch.
            assert model.loss_curve_[-1] <= model.loss_curve_[0], (width, seed)


# -- sparse multilabel targets --------------------------------------------------


@pytest.mark.parametrize("container", [sparse.csr_matrix, sparse.csc_array])
@pytest.mark.parametrize("batch_size", [None, 16])
def test_sparse_multilabel_targets_fit_as_dense_and_predict_sparse_like_mlp(
    container, batch_size
):
    """MLPClassifier takes a sparse multilabel y and predicts a sparse matrix."""
    X, Y = make_multilabel_classification(n_samples=60, n_classes=4, random_state=0)
    X = StandardScaler().fit_transform(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp = MLPClassifier(max_iter=5, random_state=0).fit(X, container(Y))
        params = dict(max_iter=5, batch_size=batch_size, random_state=0)
        dense = TIAMClassifier(**params).fit(X, Y)
        model = TIAMClassifier(**params).fit(X, container(Y))
    assert sparse.issparse(mlp.predict(X))
    for ours, theirs in zip(model.coefs_, dense.coefs_, strict=True):
        np.testing.assert_array_equal(ours, theirs)
    predicted = model.predict(X)
    assert sparse.issparse(predicted)
    np.testing.assert_array_equal(predicted.toarray(), dense.predict(X))
    assert model.score(X, container(Y)) == dense.score(X, Y)
    np.testing.assert_array_equal(model.classes_, mlp.classes_)


def test_a_sparse_multilabel_matrix_of_0_and_2_fits_as_its_dense_form():
    """scikit-learn calls both multilabel, and reads 2 as 1."""
    X, Y = make_multilabel_classification(n_samples=40, n_classes=3, random_state=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        dense = TIAMClassifier(max_iter=2, random_state=0).fit(X, 2 * Y)
        model = TIAMClassifier(max_iter=2, random_state=0)
        model.fit(X, sparse.csr_matrix(2 * Y))
    np.testing.assert_array_equal(model.coefs_[0], dense.coefs_[0])
    np.testing.assert_array_equal(model.predict(X).toarray(), dense.predict(X))


def test_sparse_multilabel_targets_under_partial_fit_and_early_stopping():
    X, Y = make_multilabel_classification(n_samples=80, n_classes=3, random_state=1)
    X = StandardScaler().fit_transform(X)
    incremental = TIAMClassifier(random_state=0)
    reference = TIAMClassifier(random_state=0)
    for _ in range(3):
        incremental.partial_fit(X, sparse.csr_matrix(Y), classes=[0, 1, 2])
        reference.partial_fit(X, Y, classes=[0, 1, 2])
    np.testing.assert_array_equal(incremental.coefs_[0], reference.coefs_[0])
    assert sparse.issparse(incremental.predict(X))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        stopped = TIAMClassifier(early_stopping=True, max_iter=4, random_state=0)
        stopped.fit(X, sparse.csr_matrix(Y))
    assert len(stopped.validation_scores_) == 4


@pytest.mark.parametrize(
    "y, kind",
    [
        (sparse.csr_matrix(np.arange(30.0)[:, None] % 2), "binary"),
        # scikit-learn's type_of_target calls this sparse one binary.
        (
            sparse.csr_matrix(np.arange(60.0).reshape(30, 2) % 3),
            "multiclass-multioutput",
        ),
        (sparse.coo_array(np.arange(30.0) % 2), "binary"),
    ],
)
def test_sparse_targets_other_than_multilabel_are_refused_by_name(y, kind):
    X = np.random.default_rng(0).normal(size=(30, 3))
    with pytest.raises(TypeError, match=f"multilabel indicator.*this y is {kind}"):
        TIAMClassifier(max_iter=2).fit(X, y)


def test_sparse_regression_targets_are_refused_with_a_type_error():
    """MLPRegressor fails inside NumPy's linear algebra on a sparse y."""
    from sktiam import TIAMRegressor

    X = np.random.default_rng(0).normal(size=(30, 3))
    with pytest.raises(TypeError, match="Sparse data was passed for y"):
        TIAMRegressor(max_iter=2).fit(X, sparse.csr_matrix(X[:, :2]))


# -- MLP's optimiser parameters -------------------------------------------------

#: MLP's parameters that TIAM has not, as docs/user_guide/hyperparameters.rst
#: lists them.
OPTIMISER_PARAMETERS = {
    "solver",
    "learning_rate",
    "learning_rate_init",
    "power_t",
    "momentum",
    "nesterovs_momentum",
    "beta_1",
    "beta_2",
    "epsilon",
    "max_fun",
}


def test_only_mlps_optimiser_parameters_are_missing_and_they_fail_by_name():
    from sklearn.neural_network import MLPRegressor

    from sktiam import TIAMRegressor

    missing = set(MLPClassifier().get_params()) - set(TIAMClassifier().get_params())
    assert missing == OPTIMISER_PARAMETERS
    missing = set(MLPRegressor().get_params()) - set(TIAMRegressor().get_params())
    assert missing == OPTIMISER_PARAMETERS | {"loss"}
    for name in sorted(OPTIMISER_PARAMETERS):
        with pytest.raises(TypeError, match=name):
            TIAMClassifier(**{name: MLPClassifier().get_params()[name]})
        with pytest.raises(ValueError, match=f"Invalid parameter '{name}'"):
            TIAMClassifier().set_params(**{name: MLPClassifier().get_params()[name]})


def test_losses_are_numpy_floats_like_mlps():
    X, y = _blobs()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp = MLPClassifier(max_iter=3).fit(X, y)
        model = TIAMClassifier(max_iter=3).fit(X, y)
    for name in ("loss_", "best_loss_"):
        assert type(getattr(model, name)) is type(getattr(mlp, name)) is np.float64
    assert {type(v) for v in model.loss_curve_} == {type(v) for v in mlp.loss_curve_}
