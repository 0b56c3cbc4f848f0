"""Bad input gets a clear error, raised before any training work.

One table: each case names the method it calls, the input that is wrong, the
exception type and a fragment of the message a user reads. A fit that gets as
far as the solver would be a bug, so the solver is replaced by a function that
fails the test.
"""

import re
import warnings

import numpy as np
import pytest
import scipy.special
from helpers import fit_quietly
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning, NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

import sktiam._estimators
from sktiam import TIAMClassifier, TIAMRegressor

RNG = np.random.RandomState(0)
X = RNG.randn(40, 3)
Y_CLASS = np.arange(40) % 3
Y_REAL = X @ np.array([1.0, -2.0, 0.5])
SMALL = dict(hidden_layer_sizes=(4,), max_iter=3, random_state=0)


def _with(values, row=0, column=0, value=np.nan):
    changed = np.array(values, dtype=float)
    changed[(row, column) if changed.ndim == 2 else row] = value
    return changed


def _fitted(Estimator):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        y = Y_CLASS if Estimator is TIAMClassifier else Y_REAL
        return Estimator(**SMALL).fit(X, y)


def fit(Estimator=TIAMClassifier, X=X, y=None, sample_weight=None, **params):
    y = (Y_CLASS if Estimator is TIAMClassifier else Y_REAL) if y is None else y

    def call():
        Estimator(**{**SMALL, **params}).fit(X, y, sample_weight=sample_weight)

    call.fits = True
    return call


def fit_without_y():
    def call():
        TIAMClassifier(**SMALL).fit(X, None)

    call.fits = True
    return call


def method(name, Estimator=TIAMClassifier, X=X, fitted=True):
    def call():
        model = _fitted(Estimator) if fitted else Estimator(**SMALL)
        if name == "score":
            y = Y_CLASS if Estimator is TIAMClassifier else Y_REAL
            return model.score(X, y[: len(X)])
        return getattr(model, name)(X)

    return call


STRINGS = np.array([["a", "b", "c"]] * 40, dtype=object)
MULTICLASS_MULTIOUTPUT = np.c_[np.arange(40) % 3, np.arange(40) % 4]

CASES = [
    # values in X
    ("X with NaN", fit(X=_with(X)), ValueError, "Input X contains NaN"),
    ("X with +inf", fit(X=_with(X, value=np.inf)), ValueError, "infinity"),
    ("X with -inf", fit(X=_with(X, value=-np.inf)), ValueError, "infinity"),
    (
        "X near the float limit",
        fit(X=_with(X, value=1e300)),
        ValueError,
        "values as large as 1e\\+300",
    ),
    (
        "float32 X beyond its square root limit",
        fit(X=_with(X, value=1e30).astype(np.float32)),
        ValueError,
        "overflows float32",
    ),
    (
        "regression y near the float limit",
        fit(TIAMRegressor, y=_with(Y_REAL, value=1e300)),
        ValueError,
        "y contains values as large as",
    ),
    # the shape and type of X
    ("X empty", fit(X=np.empty((0, 3)), y=[]), ValueError, "0 sample"),
    ("X 1-D", fit(X=X[:, 0]), ValueError, "Expected 2D array"),
    ("X 3-D", fit(X=X[:, :, None]), ValueError, "dim 3"),
    ("X without features", fit(X=X[:, :0]), ValueError, "0 feature"),
    ("X of strings", fit(X=STRINGS), ValueError, "X must be numeric"),
    ("X complex", fit(X=X + 1j), ValueError, "Complex data not supported"),
    ("X None", fit(X=None), ValueError, "needs training data X"),
    # y
    (
        "regression y with NaN",
        fit(TIAMRegressor, y=_with(Y_REAL)),
        ValueError,
        "Input y contains NaN",
    ),
    (
        "regression y of strings",
        fit(TIAMRegressor, y=np.array(["a"] * 40)),
        ValueError,
        "numeric targets",
    ),
    (
        "regression y of numbers written as strings",
        fit(TIAMRegressor, y=Y_REAL.astype(str)),
        ValueError,
        "y has dtype <U",
    ),
    (
        "regression y of dates",
        fit(TIAMRegressor, y=np.arange(40).astype("datetime64[D]")),
        ValueError,
        "y has dtype datetime64.*Convert it to numbers first",
    ),
    (
        "regression y of durations",
        fit(TIAMRegressor, y=np.arange(40).astype("timedelta64[s]")),
        ValueError,
        "y has dtype timedelta64",
    ),
    ("y shorter than X", fit(y=Y_CLASS[:30]), ValueError, "inconsistent numbers"),
    ("y None", fit_without_y(), ValueError, "requires y to be passed"),
    (
        "multiclass-multioutput y",
        fit(y=MULTICLASS_MULTIOUTPUT),
        ValueError,
        "does not support multiclass-multioutput",
    ),
    ("float y for the classifier", fit(y=Y_REAL), ValueError, "Unknown label type"),
    # sample_weight
    (
        "negative sample_weight",
        fit(sample_weight=-np.ones(40)),
        ValueError,
        "Negative values",
    ),
    (
        "all-zero sample_weight",
        fit(sample_weight=np.zeros(40)),
        ValueError,
        "at least one non-zero",
    ),
    (
        "sample_weight with NaN",
        fit(sample_weight=_with(np.ones(40))),
        ValueError,
        "sample_weight contains NaN",
    ),
    (
        "sample_weight of the wrong length",
        fit(sample_weight=np.ones(30)),
        ValueError,
        "expected \\(40,\\)",
    ),
    (
        "sample_weight summing to infinity",
        fit(sample_weight=np.full(40, 1e307)),
        ValueError,
        "sums to infinity",
    ),
    # predict, predict_proba and score
    (
        "predict with a wrong number of features",
        method("predict", X=X[:, :2]),
        ValueError,
        "X has 2 features, but TIAMClassifier is expecting 3",
    ),
    (
        "predict_proba with a wrong number of features",
        method("predict_proba", X=X[:, :2]),
        ValueError,
        "expecting 3 features",
    ),
    (
        "score with a wrong number of features",
        method("score", X=X[:, :2]),
        ValueError,
        "expecting 3 features",
    ),
    (
        "regressor predict with a wrong number of features",
        method("predict", TIAMRegressor, X=X[:, :1]),
        ValueError,
        "expecting 3 features",
    ),
    (
        "predict with NaN",
        method("predict", X=_with(X)),
        ValueError,
        "Input X contains NaN",
    ),
    (
        "predict before fit",
        method("predict", fitted=False),
        NotFittedError,
        "not fitted yet",
    ),
    (
        "predict_proba before fit",
        method("predict_proba", fitted=False),
        NotFittedError,
        "not fitted yet",
    ),
    (
        "score before fit",
        method("score", fitted=False),
        NotFittedError,
        "not fitted yet",
    ),
    (
        "regressor predict before fit",
        method("predict", TIAMRegressor, fitted=False),
        NotFittedError,
        "not fitted yet",
    ),
    # parameters
    ("rho zero", fit(rho=0.0), InvalidParameterError, "'rho' parameter"),
    ("rho negative", fit(rho=-1.0), InvalidParameterError, "'rho' parameter"),
    (
        "center_inertia of 1",
        fit(center_inertia=1.0),
        InvalidParameterError,
        "'center_inertia' parameter",
    ),
    (
        "gradient_inertia negative",
        fit(gradient_inertia=-0.1),
        InvalidParameterError,
        "'gradient_inertia' parameter",
    ),
    (
        "extrapolation_inertia above 1",
        fit(extrapolation_inertia=1.5),
        InvalidParameterError,
        "'extrapolation_inertia' parameter",
    ),
    (
        "epsilon_min above epsilon",
        fit(relaxation="box", batch_size=None, box_epsilon=0.1, box_epsilon_min=1.0),
        InvalidParameterError,
        "epsilon_min=1.0 must not exceed box_epsilon=0.1",
    ),
    (
        "unknown activation",
        fit(activation="cube"),
        InvalidParameterError,
        "'activation' parameter",
    ),
    (
        "non-monotone activation",
        fit(activation="gelu"),
        InvalidParameterError,
        "not monotone",
    ),
    (
        "hidden layer of size 0",
        fit(hidden_layer_sizes=(3, 0)),
        InvalidParameterError,
        "positive integers",
    ),
    (
        "hidden layer of size True",
        fit(hidden_layer_sizes=(True,)),
        InvalidParameterError,
        "positive integers",
    ),
    (
        "hidden layer of a negative size",
        fit(hidden_layer_sizes=-3),
        InvalidParameterError,
        "'hidden_layer_sizes' parameter",
    ),
    (
        "validation_fraction leaving 1 sample",
        fit(early_stopping=True, validation_fraction=0.01),
        InvalidParameterError,
        "leaves 1 validation samples out of 40 .* to at least 0.05,",
    ),
    (
        "validation_fraction leaving 1 sample of 3",
        fit(TIAMRegressor, X=X[:3], y=Y_REAL[:3], early_stopping=True),
        InvalidParameterError,
        "leaves 1 validation samples out of 3 .* to at least 0.666,",
    ),
    (
        "float64 y beyond float32's squares, with float32 X",
        fit(TIAMRegressor, X=X.astype(np.float32), y=1e30 * Y_REAL),
        ValueError,
        r"y contains values as large as .* overflows float32 above 1.84e\+19 "
        r"\(y is float64; the model computes in float32\)",
    ),
    (
        "float64 weights beyond float32, with float32 X",
        fit(X=X.astype(np.float32), sample_weight=np.full(40, 1e39)),
        ValueError,
        "sample_weight contains values as large as 1e.39, beyond float32",
    ),
    (
        "sample weights so small that alpha over them overflows",
        fit(sample_weight=np.full(40, 1e-320)),
        ValueError,
        r"sample_weight is too small for alpha_=0.002 \(times "
        r"output_alpha_factor=30 on the output layer\).* rows, which makes",
    ),
    (
        "alpha so large that over a batch it passes the safe range",
        fit(alpha=1e160),
        ValueError,
        r"alpha_=1e\+160 \(times output_alpha_factor=30 on the output layer\) "
        r"over a batch of 40 rows .* Lower alpha or output_alpha_factor",
    ),
    (
        "float32 sample weights so small that alpha over them overflows",
        fit(X=X.astype(np.float32), sample_weight=np.full(40, 1e-40)),
        ValueError,
        r"sample_weight is too small .* beyond what float32 holds safely",
    ),
    (
        "validation_fraction of 0 with early stopping",
        fit(early_stopping=True, validation_fraction=0.0),
        InvalidParameterError,
        "leaves 0 validation samples out of 40 .* to at least 0.05,",
    ),
    (
        "validation_fraction of 1",
        fit(validation_fraction=1.0),
        InvalidParameterError,
        "'validation_fraction' parameter",
    ),
    (
        "validation_fraction leaving no training sample",
        fit(early_stopping=True, validation_fraction=0.99),
        InvalidParameterError,
        "leaves no training samples: all 40 .* at most 0.975,",
    ),
    (
        "early stopping on two samples",
        fit(TIAMRegressor, X=X[:2], y=Y_REAL[:2], early_stopping=True),
        InvalidParameterError,
        "needs at least 3 samples .* there are 2",
    ),
    ("unknown device", fit(device="tpu"), InvalidParameterError, "'device' parameter"),
    ("max_iter zero", fit(max_iter=0), InvalidParameterError, "'max_iter' parameter"),
]


@pytest.mark.parametrize(
    "call, error, message", [case[1:] for case in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_gets_a_clear_error(monkeypatch, call, error, message):
    def no_training(*args, **kwargs):
        raise AssertionError("training started on bad input")

    # The cases of predict, predict_proba and score fit a model first.
    if getattr(call, "fits", False):
        monkeypatch.setattr(sktiam._estimators, "TIAMSolver", no_training)
    with pytest.raises(error, match=message):
        call()


def test_the_table_covers_at_least_thirty_cases():
    assert len(CASES) >= 30


def test_a_column_vector_y_warns_like_scikit_learn():
    with pytest.warns(DataConversionWarning, match="column-vector y"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            TIAMRegressor(**SMALL).fit(X, Y_REAL[:, None])


@pytest.mark.parametrize(
    "change, message",
    [
        ({"hidden_layer_sizes": (5,)}, "needs the network of the previous fit"),
        ({"y": np.arange(40) % 4}, "classes of the previous fit"),
    ],
)
def test_warm_start_rejects_a_changed_network(change, message):
    model = TIAMClassifier(**{**SMALL, "warm_start": True})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, Y_CLASS)
    y = change.pop("y", Y_CLASS)
    model.set_params(**change)
    with pytest.raises(ValueError, match=message):
        model.fit(X, y)


def test_warm_start_names_the_classes_as_the_user_gave_them():
    model = TIAMClassifier(**{**SMALL, "warm_start": True})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, Y_CLASS)
    with pytest.raises(
        ValueError, match=re.escape("fit [0, 1, 2]; y has classes [0, 1, 2, 3]")
    ):
        model.fit(X, np.arange(40) % 4)


@pytest.mark.parametrize(
    "Estimator, first, second, message",
    [
        (
            TIAMClassifier,
            (X, np.c_[Y_CLASS == 0, Y_CLASS == 1].astype(int)),
            (X, np.c_[Y_CLASS == 0, Y_CLASS == 1, Y_CLASS == 2].astype(int)),
            "which had 2 label columns; y has 3",
        ),
        (
            TIAMRegressor,
            (X, Y_REAL),
            (X, np.c_[Y_REAL, Y_REAL]),
            "y gives 2 output(s) where the previous fit had 1",
        ),
        (
            TIAMRegressor,
            (X, Y_REAL),
            (X[:, :2], Y_REAL),
            "X has 2 features, but TIAMRegressor is expecting 3 features",
        ),
    ],
    ids=["two labels to three", "one target to two", "fewer features"],
)
def test_warm_start_says_which_end_of_the_network_changed(
    Estimator, first, second, message
):
    """Layer sizes that change at the input or the output come from the
    data, not from hidden_layer_sizes: the message says which, and does not
    ask to change hidden_layer_sizes back."""
    model = Estimator(**{**SMALL, "warm_start": True})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(*first)
    with pytest.raises(ValueError, match=re.escape(message)) as raised:
        model.fit(*second)
    assert "hidden_layer_sizes" not in str(raised.value)


def test_an_unknown_activation_lists_only_the_usable_ones():
    """The non-monotone activations are refused by name with their own
    message, so the list shown for an unknown name leaves them out."""
    from sktiam._activations import ACTIVATIONS, NON_MONOTONE_ACTIVATIONS

    with pytest.raises(InvalidParameterError) as raised:
        TIAMClassifier(activation="cube").fit(X, Y_CLASS)
    message = str(raised.value)
    assert all(f"'{name}'" in message for name in ACTIVATIONS)
    assert not any(f"'{name}'" in message for name in NON_MONOTONE_ACTIVATIONS)


@pytest.mark.parametrize(
    "incremental", [False, True], ids=["warm start", "partial_fit"]
)
def test_switching_between_multilabel_and_single_label_targets_is_named(incremental):
    """LabelBinarizer's own error ("not fitted with multilabel input")
    names neither the warm start nor partial_fit."""
    single = (Y_CLASS == 0).astype(int)
    multilabel = np.c_[Y_CLASS == 0, Y_CLASS == 1].astype(int)
    for first, second, message in [
        (single, multilabel, "which were single-label; y is multilabel"),
        (multilabel, single, "which were multilabel; y is single-label"),
    ]:
        model = TIAMClassifier(**{**SMALL, "warm_start": not incremental})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, first)
        with pytest.raises(ValueError, match=message):
            if incremental:
                model.partial_fit(X, second)
            else:
                model.fit(X, second)


def test_predict_takes_values_that_fit_refuses_to_square():
    """fit refuses X above the square root of the float limit, which its
    subproblems square; prediction squares nothing, and gives the forward
    network's output for any X it keeps finite, as MLPClassifier does."""
    model = _fitted(TIAMClassifier)
    X_large = _with(X, value=1e200)
    with pytest.raises(ValueError, match="values as large as 1e\\+200"):
        fit(X=X_large)()
    (w_hidden, w_out), (b_hidden, b_out) = model.coefs_, model.intercepts_
    output = np.maximum(X_large @ w_hidden + b_hidden, 0.0) @ w_out + b_out
    np.testing.assert_allclose(
        model.predict_proba(X_large), scipy.special.softmax(output, axis=1)
    )
    assert model.predict_proba(X_large)[0].max() == 1.0


def test_predict_refuses_rows_whose_output_overflows():
    model = _fitted(TIAMClassifier)
    model.coefs_[-1] = model.coefs_[-1] * 1e300
    with pytest.raises(ValueError, match="output overflowed for some rows of X"):
        model.predict(_with(X, value=1e100))


def test_partial_fit_names_a_change_of_relaxation_since_the_last_call():
    model = fit_quietly(
        TIAMClassifier(relaxation="box", batch_size=None, **SMALL), X, Y_CLASS
    )
    model.set_params(relaxation="penalty")
    with pytest.raises(ValueError, match="relaxation='box'.*Call fit"):
        model.partial_fit(X, Y_CLASS)


@pytest.mark.parametrize("Estimator", [TIAMClassifier, TIAMRegressor])
def test_validation_fraction_of_0_without_early_stopping_fits_like_mlp(Estimator):
    """MLP's constraint is [0, 1): the fraction is unused without early
    stopping, and a grid or settings copied from MLP code may hold 0."""
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    y = Y_CLASS if Estimator is TIAMClassifier else Y_REAL
    mlp = {TIAMClassifier: MLPClassifier, TIAMRegressor: MLPRegressor}[Estimator]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp(validation_fraction=0.0, max_iter=2).fit(X, y)
        reference = Estimator(max_iter=2, random_state=0).fit(X, y)
        model = Estimator(validation_fraction=0.0, max_iter=2, random_state=0)
        model.fit(X, y)
    np.testing.assert_array_equal(model.coefs_[0], reference.coefs_[0])


def test_tiny_sample_weights_train_without_weight_decay():
    """Only the L2 term counts the weights as rows; the data terms use their
    ratios, so weights of 1e-320 train as equal weights do."""
    params = dict(SMALL, alpha=0.0, max_iter=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        tiny = TIAMClassifier(**params).fit(X, Y_CLASS, np.full(40, 1e-320))
        plain = TIAMClassifier(**params).fit(X, Y_CLASS)
    np.testing.assert_allclose(tiny.coefs_[0], plain.coefs_[0], rtol=1e-10)


def test_the_box_schedule_is_not_checked_under_the_penalty_relaxation():
    """The box's parameters are unused with relaxation="penalty": a grid over
    relaxation and box_epsilon must not fail on the penalty's points."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = TIAMClassifier(**SMALL, box_epsilon=0.01).fit(X, Y_CLASS)
        reference = TIAMClassifier(**SMALL).fit(X, Y_CLASS)
    np.testing.assert_array_equal(model.coefs_[0], reference.coefs_[0])
