"""A failing fit loses nothing: divergence, interruption and early stopping.

Each fault is forced on purpose. The model must keep finite parameters that
equal those of an independent, shorter fit that saw no fault, and say what
happened with a warning.
"""

import copy
import warnings

import numpy as np
import pytest
from helpers import assert_same_parameters, fit_quietly
from sklearn.datasets import load_diabetes, make_blobs
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sktiam import TIAMClassifier, TIAMRegressor
from sktiam._minibatch import MiniBatchStep
from sktiam._solver import DIVERGENCE_FACTOR, LOSS_RISE, TIAMSolver

RNG = np.random.RandomState(0)
X = RNG.randn(80, 4)
Y_REAL = X @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.1 * RNG.randn(80)
Y_CLASS = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)
SMALL = dict(hidden_layer_sizes=(6, 5), random_state=0)
#: 400 rows of 6 features, with a smooth target scaled to unit deviation and
#: its sign for classification: enough batches of 40 for inertias to overshoot.
X_MANY = np.random.RandomState(2).randn(400, 6)
_SUM = X_MANY @ np.arange(1.0, 7.0) + np.sin(3 * X_MANY[:, 0])
Y_MANY = _SUM / _SUM.std()
Y_MANY_SIGN = (_SUM > 0).astype(int)
#: Inertias that overshoot in mini-batch, with no safeguard: p1 with p3 = 0.3
#: is an effective momentum of 1.17.
OVERSHOOTING = dict(center_inertia=0.9, gradient_inertia=0.9, extrapolation_inertia=0.3)


def _assert_finite_and_usable(model, X):
    assert all(np.all(np.isfinite(w)) for w in model.coefs_ + model.intercepts_)
    prediction = model.predict(X)
    assert prediction.shape[0] == X.shape[0]
    if prediction.dtype.kind == "f":
        assert np.all(np.isfinite(prediction))


@pytest.mark.parametrize(
    "Estimator, params, scale, y",
    [
        (TIAMRegressor, {"rho": 1e308}, 1.0, Y_REAL),
        (TIAMClassifier, {"rho": 1e308}, 1.0, Y_CLASS),
        (TIAMRegressor, {"rho": 1e308, "batch_size": None}, 1.0, Y_REAL),
        (TIAMClassifier, {"rho": 1e308, "batch_size": None}, 1.0, Y_CLASS),
        (TIAMRegressor, {"batch_size": None}, 1e150, Y_REAL),
        (TIAMRegressor, {"batch_size": None}, 1.0, 1e150 * Y_REAL),
    ],
    ids=[
        "huge rho, regression",
        "huge rho, classification",
        "huge rho, regression, full batch",
        "huge rho, classification, full batch",
        "X times 1e150, full batch",
        "y times 1e150, full batch",
    ],
)
def test_divergence_is_detected_and_the_last_finite_parameters_kept(
    Estimator, params, scale, y
):
    model = Estimator(max_iter=20, **SMALL, **params)
    with pytest.warns(ConvergenceWarning, match="non-finite value") as record:
        model.fit(scale * X, y)
    message = str(record[0].message)
    assert "Standardise" in message and "rho" in message
    stopped = model.n_iter_
    assert stopped < 20
    _assert_finite_and_usable(model, scale * X)
    if stopped > 0:
        # The parameters are those of the last finite iteration: a fit that
        # stops there by max_iter gives the same ones.
        reference = fit_quietly(
            Estimator(max_iter=stopped, **SMALL, **params), scale * X, y
        )
        assert_same_parameters(model, reference)
        assert model.loss_curve_ == reference.loss_curve_


@pytest.mark.parametrize(
    "Estimator, y", [(TIAMClassifier, Y_CLASS), (TIAMRegressor, Y_REAL)]
)
def test_an_injected_infinity_stops_a_full_batch_fit_at_the_last_finite_iteration(
    monkeypatch, Estimator, y
):
    """A sweep steps each A block once: the infinity arrives in iteration 4."""
    original = TIAMSolver.update_activation
    calls = {"n": 0}

    def poisoned(self, state, batch, layer):
        original(self, state, batch, layer)
        calls["n"] += 1
        if calls["n"] == 4 * (len(state.coefs) - 1):  # during iteration 4
            batch.activations[layer][0, 0] = np.inf

    monkeypatch.setattr(TIAMSolver, "update_activation", poisoned)
    model = Estimator(max_iter=10, batch_size=None, **SMALL)
    with pytest.warns(ConvergenceWarning, match="at iteration 4 and stopped"):
        model.fit(X, y)
    monkeypatch.setattr(TIAMSolver, "update_activation", original)
    assert model.n_iter_ == 3
    _assert_finite_and_usable(model, X)
    reference = Estimator(max_iter=3, batch_size=None, **SMALL)
    assert_same_parameters(model, fit_quietly(reference, X, y))


@pytest.mark.parametrize("batch_size, n_batches", [("auto", 1), (20, 4)])
@pytest.mark.parametrize(
    "Estimator, y", [(TIAMClassifier, Y_CLASS), (TIAMRegressor, Y_REAL)]
)
def test_an_injected_infinity_inside_an_epoch_keeps_the_epochs_start(
    monkeypatch, Estimator, y, batch_size, n_batches
):
    """A round of a mini-batch step steps each A block once. The infinity
    arrives in epoch 4, in the first round of its last batch: the batches of
    epoch 4 before it have already moved the weights, and the fit must go
    back to the end of epoch 3, not keep theirs."""
    original = MiniBatchStep.update_activation
    calls = {"n": 0}
    per_batch = Estimator().batch_rounds * len(SMALL["hidden_layer_sizes"])

    def poisoned(self, *args):
        new, tau, direction = original(self, *args)
        calls["n"] += 1
        if calls["n"] == (3 * n_batches + n_batches - 1) * per_batch + 1:
            new = np.array(new, copy=True)
            new[0, 0] = np.inf
        return new, tau, direction

    monkeypatch.setattr(MiniBatchStep, "update_activation", poisoned)
    params = dict(SMALL, batch_size=batch_size, shuffle=False)
    model = Estimator(max_iter=10, **params)
    with pytest.warns(ConvergenceWarning, match="at iteration 4 and stopped"):
        model.fit(X, y)
    monkeypatch.setattr(MiniBatchStep, "update_activation", original)
    assert model.n_iter_ == 3
    _assert_finite_and_usable(model, X)
    reference = Estimator(max_iter=3, **params)
    assert_same_parameters(model, fit_quietly(reference, X, y))


@pytest.mark.parametrize("batch_size, n_batches", [("auto", 1), (20, 4)])
@pytest.mark.parametrize("early_stopping", [False, True])
def test_keyboard_interrupt_keeps_a_usable_model(
    monkeypatch, early_stopping, batch_size, n_batches
):
    """The interrupt arrives in the middle of a batch step, between two
    blocks, in the first round of the last batch of epoch 6."""
    original = MiniBatchStep.update_bias
    calls = {"n": 0}
    per_batch = TIAMClassifier().batch_rounds * (len(SMALL["hidden_layer_sizes"]) + 1)

    def interrupted(self, *args):
        calls["n"] += 1
        if calls["n"] == (6 * n_batches - 1) * per_batch + 2:  # its second layer
            raise KeyboardInterrupt
        return original(self, *args)

    params = dict(
        SMALL,
        max_iter=30,
        early_stopping=early_stopping,
        batch_size=batch_size,
        shuffle=False,
    )
    monkeypatch.setattr(MiniBatchStep, "update_bias", interrupted)
    model = TIAMClassifier(**params)
    with pytest.warns(ConvergenceWarning, match="interrupted by the user after 5"):
        model.fit(X, Y_CLASS)
    monkeypatch.setattr(MiniBatchStep, "update_bias", original)
    assert model.n_iter_ == 5
    _assert_finite_and_usable(model, X)
    reference = fit_quietly(TIAMClassifier(**{**params, "max_iter": 5}), X, Y_CLASS)
    assert_same_parameters(model, reference)


def test_early_stopping_restores_the_best_validation_parameters_not_the_last():
    X_many = np.random.RandomState(1).randn(400, 4)
    y_many = (X_many[:, 0] * X_many[:, 1] > 0).astype(int)
    model = fit_quietly(
        TIAMClassifier(
            hidden_layer_sizes=(8,),
            batch_size=None,
            alpha=0.3,  # 1e-3 on the objective of means over the 300 rows
            output_alpha_factor=1.0,
            center_inertia=0.8,
            gradient_inertia=0.8,
            early_stopping=True,
            validation_fraction=0.25,
            n_iter_no_change=5,
            max_iter=80,
            random_state=0,
        ),
        X_many,
        y_many,
    )
    scores = model.validation_scores_
    best = int(np.argmax(scores))
    # The run went on after its best iteration, to a worse last one.
    assert best < len(scores) - 1 and scores[-1] < scores[best]
    # Rebuild the held-out split independently and score the kept model on it.
    _, X_val, _, y_val = train_test_split(
        X_many,
        y_many,
        test_size=0.25,
        stratify=y_many,
        random_state=np.random.RandomState(0),
    )
    assert model.score(X_val, y_val) == pytest.approx(scores[best])
    assert model.score(X_val, y_val) > scores[-1]


@pytest.mark.parametrize(
    "inertia", [(0.9, 0.9, 0.3), (0.9, 0.0, 0.0)], ids=["extrapolated", "heavy ball"]
)
def test_a_diverging_mini_batch_fit_stops_and_keeps_the_last_good_parameters(inertia):
    """In mini-batch, with no safeguard, these inertias overshoot (p1 with
    p3 = 0.3 is an effective momentum of 1.17) and the weights grow without
    bound while staying finite. The fit stops once the training loss passes
    100 times its lowest value, and keeps the iteration before."""
    params = dict(
        hidden_layer_sizes=(16, 16),
        center_inertia=inertia[0],
        gradient_inertia=inertia[1],
        extrapolation_inertia=inertia[2],
        rho=0.03,
        batch_size=40,
        max_iter=200,
        tol=0.0,
        random_state=0,
    )
    model = TIAMRegressor(**params)
    with pytest.warns(ConvergenceWarning, match="diverged") as record:
        model.fit(X_MANY, Y_MANY)
    message = str(next(w.message for w in record if "diverged" in str(w.message)))
    assert "Lower the inertias" in message
    stopped = model.n_iter_
    assert 0 < stopped < 200
    _assert_finite_and_usable(model, X_MANY)
    reference = fit_quietly(
        TIAMRegressor(**{**params, "max_iter": stopped}), X_MANY, Y_MANY
    )
    assert_same_parameters(model, reference)


def _diabetes_with_raw_targets():
    """Diabetes' training split, features standardised, targets left raw (25-346)."""
    X_all, y_all = load_diabetes(return_X_y=True)
    X_train, _, y_train, _ = train_test_split(X_all, y_all, random_state=0)
    return StandardScaler().fit_transform(X_train), y_train


def test_a_fit_that_ends_with_its_loss_risen_keeps_its_lowest_loss_parameters(
    monkeypatch,
):
    """On raw targets (a mean of 152), this fit's training loss is lowest at
    epoch 2 and then rises and stays up: the stopping rule ends it 11 epochs
    later, 55% above its lowest. The model keeps the parameters of the epoch
    with the lowest loss, equal to those of a fit stopped there, and says
    so; the curves keep every epoch run."""
    X_raw, y_raw = _diabetes_with_raw_targets()
    params = dict(activation_penalty=0.2, random_state=0)
    model = TIAMRegressor(**params)
    with pytest.warns(ConvergenceWarning, match="rose") as record:
        model.fit(X_raw, y_raw)
    curve = np.asarray(model.loss_curve_)
    lowest = int(np.argmin(curve)) + 1
    assert curve[-1] > (1 + LOSS_RISE) * curve.min() + model.tol
    assert len(curve) == model.n_iter_ > lowest
    warning = next(w for w in record if "rose" in str(w.message))
    message = str(warning.message)
    assert f"iteration {lowest}" in message and "standardise the targets" in message
    # It points at the user's call, as the other warnings do.
    assert warning.filename == __file__
    _assert_finite_and_usable(model, X_raw)
    reference = fit_quietly(TIAMRegressor(max_iter=lowest, **params), X_raw, y_raw)
    assert_same_parameters(model, reference)
    # The same fit with the rule switched off keeps its last parameters.
    monkeypatch.setattr("sktiam._solver.LOSS_RISE", np.inf)
    last = fit_quietly(TIAMRegressor(**params), X_raw, y_raw)
    assert last.loss_curve_ == model.loss_curve_
    assert model.score(X_raw, y_raw) > last.score(X_raw, y_raw)


def test_a_fit_that_ends_near_its_lowest_loss_keeps_its_last_parameters():
    """Here the last loss is 2% above the lowest, within the rule's 5%: the
    loss wavers at its floor, and the model keeps the last epoch's
    parameters, as MLPClassifier's do, with no warning of a rise."""
    X_raw, y_raw = _diabetes_with_raw_targets()
    params = dict(activation_penalty=0.3, random_state=0)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        model = TIAMRegressor(**params).fit(X_raw, y_raw)
    assert not any("rose" in str(w.message) for w in record)
    curve = np.asarray(model.loss_curve_)
    lowest = int(np.argmin(curve)) + 1
    assert curve.min() < curve[-1] <= (1 + LOSS_RISE) * curve.min() + model.tol
    assert lowest < model.n_iter_ < model.max_iter
    last = fit_quietly(TIAMRegressor(max_iter=model.n_iter_, **params), X_raw, y_raw)
    assert_same_parameters(model, last)
    at_lowest = fit_quietly(TIAMRegressor(max_iter=lowest, **params), X_raw, y_raw)
    assert not np.array_equal(model.coefs_[0], at_lowest.coefs_[0])


def _warm_start_case(**params):
    """A classifier fitted on the 400 rows, and a copy set to warm-start from it."""
    base = dict(hidden_layer_sizes=(16, 16), batch_size=40, random_state=0)
    model = fit_quietly(TIAMClassifier(**base), X_MANY, Y_MANY_SIGN)
    warm = copy.deepcopy(model)
    warm.set_params(warm_start=True, **params)
    return model, warm


def _spied_start_loss(monkeypatch):
    """Record the training loss each warm start computes for its parameters."""
    seen = []
    start_from = TIAMSolver._start_from

    def spy(self, state, loss):
        seen.append(loss)
        return start_from(self, state, loss)

    monkeypatch.setattr(TIAMSolver, "_start_from", spy)
    return seen


def test_a_warm_start_that_diverges_keeps_the_parameters_it_started_from(
    monkeypatch,
):
    """With extrapolation_inertia=0.3 this warm start's first epoch ends with
    its loss 27% above the loss it started from, and its second diverges.
    The divergence test counts the start's own loss, and a failed fit keeps
    the lowest-loss parameters: the previous fit's, not the first epoch's."""
    seen = _spied_start_loss(monkeypatch)
    model, warm = _warm_start_case(extrapolation_inertia=0.3, max_iter=20)
    with pytest.warns(ConvergenceWarning, match="diverged") as record:
        warm.fit(X_MANY, Y_MANY_SIGN)
    message = str(next(w.message for w in record if "diverged" in str(w.message)))
    assert "the warm start (the previous fit's parameters)" in message
    assert warm.n_iter_ == 1
    (start,) = seen
    assert warm.loss_curve_[-1] > (1 + LOSS_RISE) * start + warm.tol
    assert_same_parameters(warm, model)
    assert warm.score(X_MANY, Y_MANY_SIGN) == model.score(X_MANY, Y_MANY_SIGN)


def test_a_warm_start_is_judged_on_its_own_epochs_when_it_ends_by_its_rules(
    monkeypatch,
):
    """A warm start's momentum and step sizes start afresh, so its first
    epochs can rise a little above its start: here 3.7% and 7.3%. That is no
    failure. The fit keeps its last parameters, as it would without the
    start's loss, and does not warn of a rise."""
    seen = _spied_start_loss(monkeypatch)
    _, warm = _warm_start_case(max_iter=2)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        warm.fit(X_MANY, Y_MANY_SIGN)
    assert not [w for w in record if "Maximum iterations" not in str(w.message)]
    (start,) = seen
    assert warm.loss_curve_[-1] > (1 + LOSS_RISE) * start + warm.tol
    monkeypatch.setattr(TIAMSolver, "_start_from", lambda self, state, loss: None)
    _, unseeded = _warm_start_case(max_iter=2)
    fit_quietly(unseeded, X_MANY, Y_MANY_SIGN)
    assert_same_parameters(warm, unseeded)


@pytest.mark.parametrize("batch_size", [7, None], ids=["mini-batch", "full batch"])
def test_a_fit_failing_in_its_first_iteration_reports_the_kept_parameters_loss(
    batch_size,
):
    """With no iteration completed, loss_ is the training loss of the
    parameters the fit keeps (its initial ones): scikit-learn's log_loss of
    their predictions plus the L2 term, not NaN."""
    params = dict(batch_size=batch_size, max_iter=3, rho=1e308, **SMALL)
    model = TIAMClassifier(**params)
    with pytest.warns(ConvergenceWarning, match="non-finite value"):
        model.fit(X, Y_CLASS)
    assert model.n_iter_ == 0 and model.loss_curve_ == []
    data = log_loss(Y_CLASS, model.predict_proba(X))
    rows = X.shape[0] if batch_size is None else batch_size
    squares = [np.sum(w**2) for w in model.coefs_]
    factor = model.output_alpha_factor
    l2 = 0.5 * model.alpha_ / rows * (sum(squares[:-1]) + factor * squares[-1])
    assert model.loss_ == pytest.approx(data + l2, rel=1e-12)


@pytest.mark.parametrize("batch_size", [7, None], ids=["mini-batch", "full batch"])
def test_a_warm_starts_loss_is_the_weighted_log_loss_plus_the_l2_term(
    monkeypatch, batch_size
):
    """The loss a warm start counts for its parameters is scikit-learn's
    log_loss of their predictions with the sample weights, plus
    (alpha / 2 rows) sum ||W_l||^2 with the output layer's factor, where
    rows is a batch's summed weight (all rows' in full batch)."""
    seen = _spied_start_loss(monkeypatch)
    weights = np.random.RandomState(3).uniform(0.2, 3.0, size=X.shape[0])
    params = dict(batch_size=batch_size, max_iter=3, **SMALL)
    model = fit_quietly(TIAMClassifier(**params), X, Y_CLASS, sample_weight=weights)
    data = log_loss(Y_CLASS, model.predict_proba(X), sample_weight=weights)
    rows = X.shape[0] if batch_size is None else batch_size
    rows *= weights.mean()
    squares = [np.sum(w**2) for w in model.coefs_]
    factor = model.output_alpha_factor
    l2 = 0.5 * model.alpha_ / rows * (sum(squares[:-1]) + factor * squares[-1])
    model.set_params(warm_start=True, max_iter=1)
    fit_quietly(model, X, Y_CLASS, sample_weight=weights)
    assert seen == [pytest.approx(data + l2, rel=1e-12)]


@pytest.mark.parametrize("scale", [3e10, 1e18])
def test_float32_targets_whose_squares_fit_train_without_overflow(scale):
    """float32 targets below the magnitude check's 1.8e19 train. Before, the
    power iterations of the step sizes squared the curvature's image, whose
    entries are of the targets' squares: from 3e10 on, the first epoch
    overflowed, and the fit kept its initial weights with a warning."""
    rng = np.random.RandomState(0)
    X32 = rng.randn(60, 4).astype(np.float32)
    y = scale + (scale / 30) * X32[:, 0]
    model = TIAMRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.filterwarnings("ignore", "TIAM: Maximum iterations")
        model.fit(X32, y)
    assert model.weight_step_ == "proximal"
    assert model.n_iter_ == 5 and np.isfinite(model.loss_)
    assert model.loss_curve_[-1] < model.loss_curve_[0]
    _assert_finite_and_usable(model, X32)


def test_targets_that_overflow_within_an_epoch_warn_and_keep_finite_parameters():
    """float32 targets of 1.5e19 pass the magnitude check (their squares
    fit), but the auxiliaries they drive overflow float32 within the first
    epoch. The fit stops as any overflow does: a warning that says to
    standardise, and the last finite parameters (here the initial ones)."""
    rng = np.random.RandomState(0)
    X32 = rng.randn(60, 4).astype(np.float32)
    y = 1.5e19 + 5e17 * X32[:, 0]
    model = TIAMRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    with pytest.warns(ConvergenceWarning, match="non-finite value") as record:
        model.fit(X32, y)
    message = str(next(w.message for w in record if "non-finite" in str(w.message)))
    assert "Standardise the features and the targets" in message
    _assert_finite_and_usable(model, X32)


def test_a_diverging_fit_with_early_stopping_says_it_keeps_the_best_score():
    """With early stopping a failed fit returns the parameters of its best
    validation score, as an interrupted one does, and its warning says so,
    not the iteration the rule without validation would keep."""
    model = TIAMRegressor(
        hidden_layer_sizes=(16, 16),
        **OVERSHOOTING,
        rho=0.03,
        batch_size=40,
        max_iter=200,
        tol=0.0,
        n_iter_no_change=200,
        early_stopping=True,
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning, match="diverged") as record:
        model.fit(X_MANY, Y_MANY)
    message = str(next(w.message for w in record if "diverged" in str(w.message)))
    assert "keeps the parameters of the best validation score's iteration" in message
    assert model.best_validation_score_ == max(model.validation_scores_)
    _assert_finite_and_usable(model, X_MANY)


def test_partial_fit_after_an_early_stopped_fit_detects_divergence():
    """An early-stopped fit hands partial_fit a fresh solver state, whose
    first loss the divergence test compares with. It was never set there,
    so partial_fit calls with overshooting inertias ran the loss up to 1e138
    silently. Now the first call's loss is counted, and the calls stop at
    the divergence with a warning and finite parameters."""
    model = TIAMRegressor(
        hidden_layer_sizes=(16, 16),
        rho=0.03,
        batch_size=40,
        early_stopping=True,
        max_iter=20,
        random_state=0,
    )
    fit_quietly(model, X_MANY, Y_MANY)
    model.set_params(early_stopping=False, **OVERSHOOTING)
    with pytest.warns(ConvergenceWarning, match="diverged"):
        for _ in range(10):
            model.partial_fit(X_MANY, Y_MANY)
    _assert_finite_and_usable(model, X_MANY)
    assert max(model.loss_curve_) < 1e3


def test_an_interrupt_in_the_first_iteration_takes_no_further_pass(monkeypatch):
    """After an interrupt the user asked to stop: no forward pass computes
    the kept parameters' loss, and loss_ stays NaN, as no iteration ended."""
    from sktiam._minibatch import MiniBatchEpochs

    def interrupted(self, state):
        raise KeyboardInterrupt

    def no_pass(self, state):
        raise AssertionError("a pass over the data after an interrupt")

    monkeypatch.setattr(MiniBatchEpochs, "epoch", interrupted)
    monkeypatch.setattr(MiniBatchEpochs, "loss", no_pass)
    model = TIAMClassifier(max_iter=3, **SMALL)
    with pytest.warns(ConvergenceWarning, match="interrupted by the user"):
        model.fit(X, Y_CLASS)
    assert model.n_iter_ == 0 and np.isnan(model.loss_)


def test_partial_fit_learns_rows_that_drift_from_the_earlier_calls():
    """A stream whose labels flip (concept drift): the first call on the new
    rows has a loss far above the lowest of the earlier calls, 100 times
    and more, but its steps lower the loss of those rows, so it is no
    divergence. Before, every such call was undone with a warning, and
    the model never learned the new rows."""
    rng = np.random.RandomState(0)
    rows = rng.randn(200, 2)
    labels = (rows[:, 0] > 0).astype(int)
    model = TIAMClassifier(hidden_layer_sizes=(8,), random_state=0)
    for _ in range(120):
        model.partial_fit(rows, labels, classes=[0, 1])
    lowest = min(model.loss_curve_)
    assert model.score(rows[:50], 1 - labels[:50]) < 0.1
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        for _ in range(30):
            model.partial_fit(rows[:50], 1 - labels[:50])
    assert model.loss_curve_[120] > DIVERGENCE_FACTOR * lowest
    assert len(model.loss_curve_) == 150
    assert model.score(rows[:50], 1 - labels[:50]) > 0.9


def test_partial_fit_on_the_same_rows_still_detects_divergence():
    """Overshooting inertias without the safeguard diverge on a stream of
    the same rows (batch_size=None: one batch of all of them): a call is
    undone there, with a warning, and the parameters stay finite. A call above the
    threshold is kept only where its steps lowered the rows' loss, which
    the next entry records (an entry is the loss before the call's step)."""
    model = TIAMRegressor(
        hidden_layer_sizes=(16, 16),
        rho=0.03,
        batch_size=None,
        monotone=False,
        random_state=0,
        **OVERSHOOTING,
    )
    with pytest.warns(ConvergenceWarning, match="diverged"):
        for _ in range(30):
            model.partial_fit(X_MANY, Y_MANY)
    _assert_finite_and_usable(model, X_MANY)
    curve = model.loss_curve_
    assert len(curve) < 30
    for i in range(1, len(curve) - 1):
        if curve[i] > DIVERGENCE_FACTOR * min(curve[:i]):
            assert curve[i + 1] <= curve[i]


def test_after_a_drift_the_new_rows_level_is_the_reference():
    """Labels turned to coin flips after a stream of separable rows: the
    loss sits near log 2, over 100 times the old lowest, for good. Once a
    call has shown the rows to be new, later calls are compared with their
    level: steps that do not lower a random batch's loss are not undone."""
    X_blobs, y_blobs = make_blobs(
        300, centers=2, n_features=2, cluster_std=0.5, random_state=0
    )
    model = TIAMClassifier(
        hidden_layer_sizes=(8,), alpha=0.0, batch_size=10, random_state=0
    )
    for _ in range(100):
        model.partial_fit(X_blobs, y_blobs, classes=[0, 1])
    lowest = min(model.loss_curve_)
    rng = np.random.RandomState(1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        for _ in range(60):
            rows = rng.choice(300, 50)
            model.partial_fit(X_blobs[rows], rng.randint(0, 2, 50))
    assert len(model.loss_curve_) == 160
    assert min(model.loss_curve_[100:]) > DIVERGENCE_FACTOR * lowest


def test_a_stream_of_single_rows_keeps_every_call():
    """One row's loss varies far more than a batch's: no call is undone."""
    rng = np.random.RandomState(0)
    rows = rng.randn(40, 2)
    labels = (rows[:, 0] > 0).astype(int)
    model = TIAMClassifier(hidden_layer_sizes=(8,), random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        for i in range(40):
            model.partial_fit(rows[i : i + 1], labels[i : i + 1], classes=[0, 1])
    assert len(model.loss_curve_) == 40 and model.t_ == 40
