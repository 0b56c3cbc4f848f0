"""Tests of the scikit-learn surface: targets, inputs, attributes and composition."""

import pickle
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from helpers import assert_same_parameters, fit_quietly
from scipy import sparse
from sklearn.base import clone
from sklearn.datasets import (
    load_breast_cancer,
    make_blobs,
    make_multilabel_classification,
    make_regression,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import InvalidParameterError

from sktiam import TIAMClassifier, TIAMRegressor, UnscaledInputWarning

SMALL = dict(hidden_layer_sizes=(12, 8), max_iter=40, random_state=0)


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _blobs(n=120, centers=3, seed=0):
    X, y = make_blobs(n_samples=n, centers=centers, n_features=4, random_state=seed)
    return StandardScaler().fit_transform(X), y


@pytest.mark.parametrize("labels", [[0, 1], [-1, 1], ["no", "yes"]])
def test_binary_labels_of_any_type(labels):
    X, y = _blobs(centers=2)
    y_named = np.array(labels)[y]
    model = TIAMClassifier(**SMALL).fit(X, y_named)
    assert list(model.classes_) == sorted(labels)
    assert model.out_activation_ == "logistic" and model.n_outputs_ == 1
    assert set(model.predict(X)) <= set(labels)
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(np.exp(model.predict_log_proba(X)), proba, rtol=1e-12)


def test_multiclass_string_labels():
    X, y = _blobs(centers=4)
    names = np.array(["ant", "bee", "cat", "dog"])[y]
    model = TIAMClassifier(**SMALL).fit(X, names)
    assert model.out_activation_ == "softmax" and model.n_outputs_ == 4
    assert model.score(X, names) > 0.9
    np.testing.assert_allclose(model.predict_proba(X).sum(axis=1), 1.0)
    np.testing.assert_allclose(
        np.exp(model.predict_log_proba(X)), model.predict_proba(X), rtol=1e-12
    )


def test_multilabel_indicator_targets():
    X, Y = make_multilabel_classification(n_samples=150, n_classes=4, random_state=0)
    model = TIAMClassifier(**SMALL).fit(X, Y)
    assert model.out_activation_ == "logistic" and model.n_outputs_ == 4
    predicted = model.predict(X)
    assert predicted.shape == Y.shape and set(np.unique(predicted)) <= {0, 1}
    proba = model.predict_proba(X)
    assert proba.shape == Y.shape and np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_array_equal(predicted, (proba > 0.5).astype(int))


def test_multiclass_multioutput_is_rejected():
    X, y = _blobs()
    Y = np.column_stack([y, (y + 1) % 3])
    with pytest.raises(ValueError, match="multiclass-multioutput"):
        TIAMClassifier(**SMALL).fit(X, Y)


@pytest.mark.parametrize("n_targets", [1, 3])
def test_regressor_one_or_several_outputs(n_targets):
    X, y = make_regression(
        n_samples=150, n_features=5, n_targets=n_targets, random_state=0
    )
    y = y / y.std(axis=0)
    model = TIAMRegressor(**{**SMALL, "max_iter": 200}).fit(X, y)
    assert model.predict(X).shape == y.shape
    assert model.n_outputs_ == n_targets and model.out_activation_ == "identity"
    assert model.score(X, y) > 0.8


@pytest.mark.parametrize(
    "model_dtype, X_dtype", [(np.float64, np.float32), (np.float32, np.float64)]
)
def test_prediction_promotes_x_and_the_model_to_the_wider_dtype_like_mlp(
    model_dtype, X_dtype
):
    """MLPClassifier's products promote float32 and float64 to float64; the
    prediction equals the forward pass with both in float64, written out."""
    X, y = _blobs()
    model = TIAMRegressor(**SMALL).fit(X.astype(model_dtype), X[:, 0] ** 2)
    predicted = model.predict(X.astype(X_dtype))
    assert predicted.dtype == np.float64
    layer = X.astype(X_dtype).astype(np.float64)
    for i, (w, b) in enumerate(zip(model.coefs_, model.intercepts_, strict=True)):
        layer = layer @ w.astype(np.float64) + b.astype(np.float64)
        if i < len(model.coefs_) - 1:
            layer = np.maximum(layer, 0.0)
    np.testing.assert_allclose(predicted, layer[:, 0], rtol=1e-12, atol=1e-12)
    classifier = TIAMClassifier(**SMALL).fit(X.astype(model_dtype), y)
    assert classifier.predict_proba(X.astype(X_dtype)).dtype == np.float64


def test_float32_stays_float32():
    X, y = _blobs()
    X32 = X.astype(np.float32)
    model = TIAMClassifier(**SMALL).fit(X32, y)
    assert all(c.dtype == np.float32 for c in model.coefs_ + model.intercepts_)
    assert model.predict_proba(X32).dtype == np.float32
    regressor = TIAMRegressor(**SMALL).fit(X32, X32[:, 0] ** 2)
    assert regressor.predict(X32).dtype == np.float32
    # The float32 fit learns as well as the float64 one.
    model64 = TIAMClassifier(**SMALL).fit(X, y)
    assert model.score(X32, y) >= model64.score(X, y) - 0.02


def _guarded(container):
    """A sparse class whose instances refuse to become dense."""

    def refuse(self, *args, **kwargs):
        raise AssertionError("sparse input was densified")

    return type(
        f"Guarded{container.__name__}",
        (container,),
        {"toarray": refuse, "todense": refuse, "__array__": refuse},
    )


@pytest.mark.parametrize(
    "container", [sparse.csr_matrix, sparse.csc_matrix, sparse.csr_array]
)
def test_sparse_input_is_never_densified(container):
    rng = np.random.RandomState(0)
    dense = rng.randn(100, 20) * (rng.rand(100, 20) < 0.2)
    y = (dense[:, 0] + dense[:, 1] > 0).astype(int)
    params = {**SMALL, "max_iter": 15}
    expected = TIAMClassifier(**params).fit(dense, y)
    X = _guarded(container)(dense)
    with pytest.raises(AssertionError, match="densified"):
        np.asarray(X.toarray())  # the guard works
    model = TIAMClassifier(**params).fit(X, y)
    for got, want in zip(model.coefs_, expected.coefs_, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-9)
    np.testing.assert_array_equal(model.predict(X), expected.predict(dense))


def test_pandas_dataframe_sets_feature_names():
    X, y = _blobs()
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    model = TIAMClassifier(**SMALL).fit(frame, pd.Series(y))
    np.testing.assert_array_equal(model.feature_names_in_, ["a", "b", "c", "d"])
    np.testing.assert_array_equal(model.predict(frame), model.predict(X))


def test_fitted_attributes():
    X, y = _blobs()
    model = TIAMClassifier(**SMALL).fit(X, y)
    assert model.n_layers_ == 4 and model.n_features_in_ == 4
    assert [c.shape for c in model.coefs_] == [(4, 12), (12, 8), (8, 3)]
    assert [b.shape for b in model.intercepts_] == [(12,), (8,), (3,)]
    assert len(model.loss_curve_) == len(model.objective_curve_) == model.n_iter_
    assert model.best_loss_ == min(model.loss_curve_)
    assert model.validation_scores_ is None and model.best_validation_score_ is None
    keys = ["max_violation", "coupling_residual", "weight_step_sizes", "rho"]
    for key in [*keys, "activation_penalty", "prox_iterations"]:
        assert len(model.diagnostics_[key]) == model.n_iter_
    assert len(model.diagnostics_["coupling_residual"][0]) == 3
    box = TIAMClassifier(relaxation="box", batch_size=None, **SMALL).fit(X, y)
    assert len(box.diagnostics_["epsilon"]) == box.n_iter_
    assert "activation_penalty" not in box.diagnostics_


def test_model_holds_no_per_sample_state_and_pickles_small():
    sizes = []
    for n in (200, 20_000):
        X, y = _blobs(n=n)
        model = TIAMClassifier(
            hidden_layer_sizes=(12, 8), max_iter=3, tol=0.0, random_state=0
        )
        model.fit(X, y)
        assert not any(
            isinstance(v, np.ndarray) and v.shape[:1] == (n,)
            for v in vars(model).values()
        )
        sizes.append(len(pickle.dumps(model)))
    # Equal up to the few bytes that t_, the count of samples seen, takes.
    assert abs(sizes[0] - sizes[1]) <= 8


def test_clone_of_fitted_model_is_unfitted_with_equal_params():
    X, y = _blobs()
    model = TIAMClassifier(rho=0.5, center_inertia=0.2, **SMALL).fit(X, y)
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    assert not hasattr(copy, "coefs_")


def test_pipeline_and_grid_search_over_rho_and_inertia():
    X, y = _blobs(n=90)
    pipeline = make_pipeline(
        StandardScaler(),
        TIAMClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0),
    )
    grid = GridSearchCV(
        pipeline,
        {
            "tiamclassifier__rho": [0.1, 1.0],
            "tiamclassifier__gradient_inertia": [0.0, 0.5],
        },
        cv=3,
    )
    grid.fit(X, y)
    assert len(grid.cv_results_["params"]) == 4
    assert grid.best_params_["tiamclassifier__rho"] in (0.1, 1.0)
    assert grid.score(X, y) > 0.9


def test_verbose_prints_one_line_per_iteration(capsys):
    X, y = _blobs()
    model = TIAMClassifier(
        hidden_layer_sizes=(6,), max_iter=5, tol=0.0, verbose=True, random_state=0
    )
    model.fit(X, y)
    lines = [
        line
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("Iteration")
    ]
    assert len(lines) == 5
    assert (
        "loss = " in lines[0]
        and "objective = " in lines[0]
        and "rho = " in lines[0]
        and "activation_penalty = " in lines[0]
    )


def test_verbose_2_shows_a_progress_bar_on_stderr(capsys):
    pytest.importorskip("tqdm")
    X, y = _blobs()
    model = TIAMClassifier(
        hidden_layer_sizes=(6,), max_iter=5, tol=0.0, verbose=2, random_state=0
    )
    model.fit(X, y)
    captured = capsys.readouterr()
    assert "Iteration" not in captured.out
    assert "TIAM" in captured.err and "5/5" in captured.err
    assert "loss=" in captured.err and "activation_penalty=" in captured.err


def test_verbose_2_without_tqdm_prints_the_lines(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    X, y = _blobs()
    TIAMClassifier(
        hidden_layer_sizes=(6,), max_iter=4, tol=0.0, verbose=2, random_state=0
    ).fit(X, y)
    captured = capsys.readouterr()
    assert captured.out.count("Iteration") == 4 and captured.err == ""


def test_convergence_warning_when_max_iter_is_reached():
    X, y = _blobs()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        with pytest.raises(ConvergenceWarning, match="Maximum iterations \\(3\\)"):
            TIAMClassifier(hidden_layer_sizes=(6,), max_iter=3, random_state=0).fit(
                X, y
            )


def test_early_stopping_keeps_the_best_validation_parameters():
    X, y = _blobs(n=300)
    model = TIAMClassifier(
        hidden_layer_sizes=(10,),
        early_stopping=True,
        validation_fraction=0.2,
        max_iter=60,
        random_state=0,
    ).fit(X, y)
    assert model.best_validation_score_ == max(model.validation_scores_)
    assert model.best_loss_ is None
    # Rebuild the same held-out split and score the returned model on it.
    _, X_val, _, y_val = train_test_split(
        X, y, test_size=0.2, stratify=y, random_state=np.random.RandomState(0)
    )
    assert model.score(X_val, y_val) == pytest.approx(model.best_validation_score_)


def test_warm_start_continues_and_rejects_a_changed_network():
    X, y = _blobs()
    model = TIAMClassifier(
        hidden_layer_sizes=(6,), max_iter=5, tol=0.0, warm_start=True, random_state=0
    )
    model.fit(X, y)
    first = [c.copy() for c in model.coefs_]
    model.fit(X, y)
    assert not np.allclose(first[-1], model.coefs_[-1])
    model.set_params(hidden_layer_sizes=(7,))
    with pytest.raises(
        ValueError, match="warm_start=True needs the network of the previous fit"
    ):
        model.fit(X, y)
    model.set_params(hidden_layer_sizes=(6,))
    with pytest.raises(ValueError, match="classes of the previous fit"):
        model.fit(X, np.where(y == 2, 3, y))


@pytest.mark.parametrize(
    "params, error, message",
    [
        ({"activation": "gelu"}, ValueError, "not monotone"),
        ({"activation": "cube"}, InvalidParameterError, "activation"),
        ({"rho": 0.0}, InvalidParameterError, "rho"),
        ({"center_inertia": 1.0}, InvalidParameterError, "center_inertia"),
        (
            {
                "relaxation": "box",
                "batch_size": None,
                "box_epsilon": 0.1,
                "box_epsilon_min": 0.5,
            },
            ValueError,
            "epsilon_min=0.5 must not exceed",
        ),
        ({"hidden_layer_sizes": (10, 0)}, ValueError, "positive integers"),
    ],
)
def test_invalid_parameters_are_named(params, error, message):
    X, y = _blobs()
    with pytest.raises(error, match=message):
        TIAMClassifier(**{**SMALL, **params}).fit(X, y)


def test_auto_alpha_falls_from_its_ceiling_to_mlp_default_as_rows_outnumber_weights():
    from sktiam._estimators import auto_alpha

    # The ceiling up to as many rows as first-layer weights, then ceiling *
    # weights / rows, and never below MLPClassifier's 1e-4.
    assert auto_alpha(100, 6400, 2e-3) == 2e-3
    assert auto_alpha(6400, 6400, 2e-3) == 2e-3
    assert auto_alpha(12800, 6400, 2e-3) == pytest.approx(1e-3, rel=1e-15)
    assert auto_alpha(64000, 6400, 2e-3) == pytest.approx(2e-4, rel=1e-15)
    assert auto_alpha(128000, 6400, 2e-3) == pytest.approx(1e-4, rel=1e-15)
    assert auto_alpha(10**7, 6400, 2e-3) == 1e-4
    assert auto_alpha(6400, 6400, 6.4e-4) == 6.4e-4
    assert auto_alpha(12800, 6400, 6.4e-4) == pytest.approx(3.2e-4, rel=1e-15)
    assert auto_alpha(40960, 6400, 6.4e-4) == pytest.approx(1e-4, rel=1e-15)
    assert auto_alpha(81920, 6400, 6.4e-4) == 1e-4


def test_regressor_alpha_auto_is_its_own_alpha_scaled_by_weights_over_rows():
    # 200 rows, 4 features and 10 first-layer units: 40 weights, so the
    # regressor's "auto" is 6.4e-4 * 40 / 200, above the floor of 1e-4.
    X, y = make_regression(n_samples=200, n_features=4, noise=1.0, random_state=0)
    y = y / y.std()
    params = dict(hidden_layer_sizes=(10,), max_iter=15, random_state=0)
    auto = TIAMRegressor(**params).fit(X, y)
    assert auto.alpha == "auto" and auto.alpha_ == pytest.approx(6.4e-4 * 40 / 200)
    chosen = TIAMRegressor(alpha=6.4e-4 * 40 / 200, **params).fit(X, y)
    for a, b in zip(auto.coefs_, chosen.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)
    # Few rows for the weights: the ceiling itself.
    few = TIAMRegressor(hidden_layer_sizes=(100,), max_iter=2, random_state=0)
    assert fit_quietly(few, X, y).alpha_ == 6.4e-4
    # No hidden layer: the first layer's weights are the output layer's, 4 x 1.
    linear = TIAMRegressor(hidden_layer_sizes=(), max_iter=2, random_state=0)
    assert fit_quietly(linear, X[:20], y[:20]).alpha_ == pytest.approx(6.4e-4 * 4 / 20)


@pytest.mark.parametrize(
    "classes, fraction, held_out",
    [
        ("a class of one row", 0.1, 12),
        ("more classes than validation rows", 0.01, 2),
    ],
)
def test_early_stopping_draws_an_unstratified_split_where_strata_are_too_small(
    classes, fraction, held_out
):
    """Where a stratified split cannot be drawn (scikit-learn's splitter
    refuses it), the validation set is drawn without stratification, as
    MLPClassifier draws it for several classes, with a warning that says
    why; the validation set is then the unstratified split's rows."""
    from sklearn.model_selection import train_test_split

    X, y = _blobs(n=120)
    if classes == "a class of one row":
        y = y.copy()
        y[y == 2] = 1
        y[0] = 2
    model = TIAMClassifier(
        early_stopping=True,
        validation_fraction=fraction,
        hidden_layer_sizes=(6,),
        max_iter=3,
        random_state=0,
    )
    with pytest.warns(UserWarning, match="without stratification"):
        fit_quietly(model, X, y)
    # The split the model drew, recomputed: the same generator state, no strata.
    _, validation = train_test_split(
        np.arange(120),
        random_state=check_random_state(0),
        test_size=fraction,
    )
    assert validation.size == held_out
    assert model.best_validation_score_ == pytest.approx(
        model.score(X[validation], y[validation])
    )


def test_a_warm_start_that_switches_early_stopping_keeps_its_attributes_apt():
    """best_loss_ is None with early stopping, and the validation attributes
    are None without it, also when a warm start switches the mode; each
    then describes the fits of its own mode."""
    X, y = _blobs(n=120)
    model = TIAMClassifier(warm_start=True, max_iter=3, tol=0.0, random_state=0)
    fit_quietly(model, X, y)
    assert model.best_loss_ == min(model.loss_curve_)
    assert model.validation_scores_ is None and model.best_validation_score_ is None
    fit_quietly(model.set_params(early_stopping=True), X, y)
    assert model.best_loss_ is None
    assert len(model.validation_scores_) == 3
    assert model.best_validation_score_ == max(model.validation_scores_)
    fit_quietly(model.set_params(early_stopping=False), X, y)
    assert model.validation_scores_ is None and model.best_validation_score_ is None
    assert model.best_loss_ == min(model.loss_curve_[-3:])
    assert len(model.loss_curve_) == 9


def test_early_stopping_stratifies_where_it_can():
    X, y = _blobs(n=120)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        fit_quietly(
            TIAMClassifier(early_stopping=True, max_iter=2, random_state=0), X, y
        )


def test_alpha_auto_trains_as_the_alpha_it_chose():
    # 300 rows, 4 features and 10 first-layer units: 40 weights, so "auto"
    # is 2e-3 * 40 / 300; with early stopping, of the 270 training rows.
    X, y = _blobs(n=300)
    params = dict(hidden_layer_sizes=(10,), max_iter=15, random_state=0)
    auto = TIAMClassifier(**params).fit(X, y)
    assert auto.alpha == "auto" and auto.alpha_ == pytest.approx(2e-3 * 40 / 300)
    chosen = TIAMClassifier(alpha=2e-3 * 40 / 300, **params).fit(X, y)
    for a, b in zip(auto.coefs_, chosen.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)
    other = TIAMClassifier(alpha=2e-3, **params).fit(X, y)
    assert not np.array_equal(auto.coefs_[0], other.coefs_[0])
    assert other.alpha_ == 2e-3
    held_out = TIAMClassifier(early_stopping=True, **params).fit(X, y)
    assert held_out.alpha_ == pytest.approx(2e-3 * 40 / 270)
    # partial_fit counts the rows of each call.
    streamed = TIAMClassifier(**params).partial_fit(X[:100], y[:100], [0, 1, 2])
    assert streamed.alpha_ == pytest.approx(2e-3 * 40 / 100)
    assert streamed.partial_fit(X, y).alpha_ == pytest.approx(2e-3 * 40 / 300)
    with pytest.raises(InvalidParameterError, match="alpha"):
        TIAMClassifier(alpha="large").fit(X, y)


def test_weight_step_auto_is_proximal_where_rows_outnumber_first_layer_weights():
    # 4 features and 10 first-layer units: 40 weights.
    X, y = _blobs(n=300)
    params = dict(hidden_layer_sizes=(10,), max_iter=5, random_state=0)
    fits = {}
    for rows in (30, 40, 41, 300):
        auto = fit_quietly(
            TIAMClassifier(weight_step="auto", **params), X[:rows], y[:rows]
        )
        assert auto.weight_step_ == ("proximal" if rows > 40 else "prox-linear")
        fits[rows] = auto
    # "auto" trains as the step it chose, and the choice matters.
    for rows, step, other in (
        (300, "proximal", "prox-linear"),
        (30, "prox-linear", "proximal"),
    ):
        chosen = fit_quietly(
            TIAMClassifier(weight_step=step, **params), X[:rows], y[:rows]
        )
        assert chosen.weight_step_ == step
        assert_same_parameters(fits[rows], chosen)
        moved = fit_quietly(
            TIAMClassifier(weight_step=other, **params), X[:rows], y[:rows]
        )
        assert not np.array_equal(moved.coefs_[0], chosen.coefs_[0])
    # Rows count by their sample weights, as alpha="auto"'s do: 30 rows of
    # weight 2 are 60 rows.
    weighted = fit_quietly(
        TIAMClassifier(weight_step="auto", **params),
        X[:30],
        y[:30],
        sample_weight=np.full(30, 2.0),
    )
    assert weighted.weight_step_ == "proximal"
    # "auto" is the regressor's default, not the classifier's. 20 rows of a
    # regression on one feature: 10 weights.
    assert TIAMRegressor().weight_step == "auto"
    assert TIAMClassifier().weight_step == "prox-linear"
    regressor = fit_quietly(TIAMRegressor(**params), X[:20, :1], X[:20, 1])
    assert regressor.weight_step_ == "proximal"
    regressor = fit_quietly(TIAMRegressor(**params), X[:20], X[:20, 1])
    assert regressor.weight_step_ == "prox-linear"
    # Full batch takes the paper's step whatever weight_step says, and
    # weight_step_ says so: its fit is the same with either setting.
    full = {"batch_size": None, **params}
    for step in ("auto", "proximal"):
        model = fit_quietly(TIAMClassifier(weight_step=step, **full), X, y)
        assert model.weight_step_ == "prox-linear"
        paper = fit_quietly(TIAMClassifier(weight_step="prox-linear", **full), X, y)
        assert_same_parameters(model, paper)
    with pytest.raises(InvalidParameterError, match="weight_step"):
        TIAMClassifier(weight_step="exact").fit(X, y)


def test_sample_weight_counts_as_repeated_samples():
    X, y = _blobs(n=60)
    weights = np.random.RandomState(0).randint(0, 3, len(y))
    weighted = TIAMClassifier(**SMALL).fit(X, y, sample_weight=weights)
    repeated = TIAMClassifier(**SMALL).fit(
        np.repeat(X, weights, axis=0), np.repeat(y, weights)
    )
    np.testing.assert_allclose(
        weighted.predict_proba(X), repeated.predict_proba(X), rtol=1e-7
    )


def test_unscaled_features_warn_once_and_say_what_to_do():
    """Raw breast_cancer: column ranges from 0.029 to 4069."""
    X, y = load_breast_cancer(return_X_y=True)
    model = TIAMClassifier(hidden_layer_sizes=(8,), max_iter=2, random_state=0)
    with pytest.warns(UnscaledInputWarning, match="StandardScaler") as record:
        fit_quietly(model, X, y)
    assert len([w for w in record if w.category is UnscaledInputWarning]) == 1
    ranges = X.max(axis=0) - X.min(axis=0)
    assert f"{ranges.max() / ranges.min():.3g}" in str(record[0].message)
    # Standardised, or merely on one scale, the data raise nothing.
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnscaledInputWarning)
        fit_quietly(model, StandardScaler().fit_transform(X), y)
        fit_quietly(model, X / X.std(axis=0), y)
        fit_quietly(model, sparse.csr_matrix(X / X.std(axis=0)), y)
    with pytest.warns(UnscaledInputWarning):
        fit_quietly(model, sparse.csr_matrix(X), y)


def test_unscaled_float32_ranges_whose_ratio_overflows_float32_warn():
    """Ranges of 1 and 1.4e-45 (float32's smallest subnormal): their ratio,
    7e44, is beyond float32's largest number, 3.4e38."""
    tiny = np.finfo(np.float32).smallest_subnormal
    X = np.array([[0.0, 1.0], [tiny, tiny]], dtype=np.float32)
    model = TIAMClassifier(hidden_layer_sizes=(3,), max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.warns(UnscaledInputWarning) as record:
            fit_quietly(model, X, [0, 1])
    assert f"factor of {1.0 / float(tiny):.3g} " in str(record[0].message)


def test_constant_and_one_hot_columns_do_not_count_as_unscaled():
    """A constant column (whose computed spread may be rounding noise) is
    left out, and the one-hot column of a rare category (range 1, standard
    deviation 0.03) is on the same scale as standardised columns."""
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    rare = np.zeros(len(X))
    rare[0] = 1.0
    X = np.column_stack([X, np.full(len(X), 0.1), rare])
    model = TIAMClassifier(hidden_layer_sizes=(8,), max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnscaledInputWarning)
        fit_quietly(model, X, y)
        fit_quietly(model, sparse.csr_matrix(X), y)


def test_diagnostics_line_up_with_the_loss_curve_across_warm_starts():
    """Entry i of every record is iteration i's, whatever a warm start
    changes: keys of another batch mode or relaxation hold None where they
    were not recorded."""
    X, y = _blobs()
    y = X[:, 0] ** 2
    model = TIAMRegressor(hidden_layer_sizes=(8,), batch_size=None, max_iter=4)
    model.set_params(warm_start=True)
    fit_quietly(model, X, y)
    fit_quietly(model.set_params(batch_size=32), X, y)
    fit_quietly(model.set_params(relaxation="box", batch_size=None), X, y)
    fit_quietly(model.set_params(relaxation="penalty", batch_size=32), X, y)
    model.partial_fit(X, y)
    n = len(model.loss_curve_)
    assert n == 17
    for key, values in model.diagnostics_.items():
        assert len(values) == n, key
    assert model.diagnostics_["epsilon"][:4] == [None] * 4
    assert None not in model.diagnostics_["epsilon"][8:12]
    residuals = model.diagnostics_["output_prox_residual"]
    assert residuals[:4] == [None] * 4 and None not in residuals[4:8]
    assert residuals[8:12] == [None] * 4 and None not in residuals[12:]
