"""Tests of the TIAM sweep: objective, safeguard, constraints and convergence."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_blobs, make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.preprocessing import LabelBinarizer, StandardScaler

from sktiam import TIAMClassifier, TIAMRegressor
from sktiam._activations import Activation
from sktiam._losses import SoftmaxCrossEntropy, SquaredLoss
from sktiam._solver import TIAMConfig, TIAMSolver, forward


def _blobs(n=150, seed=0):
    X, y = make_blobs(
        n_samples=n, centers=3, n_features=5, cluster_std=3.0, random_state=seed
    )
    return StandardScaler().fit_transform(X), y


def _solver(
    activation="relu",
    inertia=(0.3, 0.3, 0.3),
    monotone=True,
    epsilon=1.0,
    decay=0.7,
    alpha=1e-3,
    seed=0,
):
    X, y = _blobs(seed=seed)
    targets = LabelBinarizer().fit_transform(y).astype(float)
    rng = np.random.RandomState(seed)
    sizes = [X.shape[1], 8, 6, 3]
    coefs = [
        rng.uniform(-0.5, 0.5, (a, b))
        for a, b in zip(sizes[:-1], sizes[1:], strict=True)
    ]
    intercepts = [rng.uniform(-0.5, 0.5, b) for b in sizes[1:]]
    config = TIAMConfig(
        Activation(activation, 0.1),
        SoftmaxCrossEntropy(),
        0.3,
        alpha,
        inertia,
        monotone,
        epsilon,
        decay,
        1e-3,
        1e-10,
    )
    weights = rng.uniform(0.5, 2.0, X.shape[0])
    return (
        TIAMSolver(np, config, X, targets, weights, coefs, intercepts),
        X,
        targets,
        weights,
    )


def _explicit_objective(solver, X, targets, weights):
    """F of docs/algorithm.md, written out from the solver's state."""
    s = weights / weights.sum()
    rho, alpha = solver.config.rho, solver.config.alpha
    inputs = [X, *solver.activations]
    coupling = sum(
        np.sum(s[:, None] * (z - a @ w - b) ** 2)
        for z, a, w, b in zip(
            solver.preactivations, inputs, solver.coefs, solver.intercepts, strict=True
        )
    )
    z_out = solver.preactivations[-1]
    log_p = z_out - np.log(np.sum(np.exp(z_out), axis=1, keepdims=True))
    loss = -np.sum(s * np.sum(targets * log_p, axis=1))
    return (
        loss
        + 0.5 * rho * coupling
        + 0.5 * alpha * sum(np.sum(w**2) for w in solver.coefs)
    )


def test_objective_matches_independent_computation():
    solver, X, targets, weights = _solver()
    for _ in range(4):
        solver.tighten_epsilon()
        solver.iterate()
        assert solver.objective() == pytest.approx(
            _explicit_objective(solver, X, targets, weights), rel=1e-10
        )


@pytest.mark.parametrize(
    "activation", ["relu", "tanh", "logistic", "leaky_relu", "elu"]
)
def test_constraint_holds_after_every_iteration(activation):
    solver, *_ = _solver(activation=activation)
    for iteration in range(12):
        if iteration:
            solver.tighten_epsilon()
        solver.iterate()
        gaps = [
            np.max(np.abs(a - solver.config.activation(np, z)))
            for z, a in zip(solver.preactivations[:-1], solver.activations, strict=True)
        ]
        assert max(gaps) <= solver.epsilon * (1 + 1e-12) + 1e-12


def test_monotone_objective_never_increases_at_fixed_epsilon():
    X, y = _blobs()
    model = TIAMClassifier(
        hidden_layer_sizes=(10, 10),
        center_inertia=0.6,
        gradient_inertia=0.6,
        extrapolation_inertia=0.5,
        epsilon=0.3,
        epsilon_decay=1.0,
        epsilon_min=0.3,
        epsilon_cycle=None,
        max_iter=60,
        tol=0.0,
        n_iter_no_change=1000,
        random_state=0,
    )
    with pytest.warns(Warning):
        model.fit(X, y)
    curve = np.array(model.objective_curve_)
    assert np.all(np.diff(curve) <= 1e-12 * np.abs(curve[:-1]))
    assert sum(model.diagnostics_["restarts"]) > 0  # the safeguard did act


def test_without_safeguard_the_same_run_can_increase():
    """The safeguard matters: without it, strong inertia raises F at some iteration."""
    X, y = _blobs()
    model = TIAMClassifier(
        hidden_layer_sizes=(10, 10),
        center_inertia=0.9,
        gradient_inertia=0.9,
        extrapolation_inertia=0.9,
        epsilon=0.3,
        epsilon_decay=1.0,
        epsilon_min=0.3,
        epsilon_cycle=None,
        max_iter=60,
        tol=0.0,
        n_iter_no_change=1000,
        random_state=0,
        monotone=False,
    )
    with pytest.warns(Warning):
        model.fit(X, y)
    assert np.any(np.diff(model.objective_curve_) > 0)


def test_monotone_objective_with_schedule_never_increases_while_epsilon_is_fixed():
    X, y = _blobs()
    model = TIAMClassifier(
        hidden_layer_sizes=(10, 10),
        center_inertia=0.5,
        gradient_inertia=0.5,
        extrapolation_inertia=0.3,
        max_iter=80,
        tol=0.0,
        n_iter_no_change=1000,
        random_state=0,
    )
    with pytest.warns(Warning):
        model.fit(X, y)
    curve = np.array(model.objective_curve_)
    epsilon = np.array(model.diagnostics_["epsilon"])
    fixed = epsilon[1:] == epsilon[:-1]
    assert fixed.sum() > 10
    assert np.all(np.diff(curve)[fixed] <= 1e-12 * np.abs(curve[:-1][fixed]))
    assert np.all(
        np.array(model.diagnostics_["max_violation"]) <= epsilon * (1 + 1e-12)
    )


def test_zero_inertia_converges():
    """Plain proximal alternating minimisation also trains the network."""
    X, y = _blobs(n=300)
    model = TIAMClassifier(
        hidden_layer_sizes=(20,),
        center_inertia=0.0,
        gradient_inertia=0.0,
        extrapolation_inertia=0.0,
        max_iter=300,
        random_state=0,
    ).fit(X, y)
    assert model.loss_curve_[-1] < 0.5 * model.loss_curve_[0]
    assert model.score(X, y) > 0.9


def test_loss_curve_is_the_forward_networks_log_loss():
    X, y = _blobs()
    model = TIAMClassifier(
        hidden_layer_sizes=(7,), max_iter=15, random_state=0, alpha=0.0
    )
    with pytest.warns(Warning):
        model.fit(X, y)
    assert model.loss_curve_[-1] == pytest.approx(
        log_loss(y, model.predict_proba(X)), rel=1e-10
    )


def test_regression_output_step_is_the_closed_form():
    X, y = make_regression(n_samples=40, n_features=3, random_state=0)
    targets = (y / y.std())[:, None]
    rng = np.random.RandomState(0)
    coefs = [rng.randn(3, 4), rng.randn(4, 1)]
    intercepts = [rng.randn(4), rng.randn(1)]
    config = TIAMConfig(
        Activation("relu"),
        SquaredLoss(),
        0.5,
        0.0,
        (0.0, 0.0, 0.0),
        True,
        1.0,
        1.0,
        1.0,
        1e-10,
    )
    solver = TIAMSolver(np, config, X, targets, np.ones(40), coefs, intercepts)
    solver.iterate()
    centre = solver.activations[0] @ solver.coefs[1] + solver.intercepts[1]
    np.testing.assert_allclose(solver.preactivations[1], (targets + 0.5 * centre) / 1.5)


def test_regressor_objective_and_loss_curves_are_finite():
    X, y = make_regression(n_samples=60, n_features=4, noise=1.0, random_state=0)
    model = TIAMRegressor(hidden_layer_sizes=(10,), max_iter=20, random_state=0)
    with pytest.warns(Warning):
        model.fit(X, y / y.std())
    assert np.all(np.isfinite(model.loss_curve_)) and np.all(
        np.isfinite(model.objective_curve_)
    )


def test_best_loss_is_tracked_from_the_first_iteration():
    X, y = _blobs()
    model = TIAMClassifier(hidden_layer_sizes=(6,), max_iter=5, random_state=0)
    with pytest.warns(Warning):
        model.fit(X, y)
    assert model.best_loss_ == min(model.loss_curve_)


def test_constant_epsilon_schedule_can_stop_early():
    """With epsilon_decay=1 the schedule is settled from the start."""
    X, y = _blobs()
    model = TIAMClassifier(
        hidden_layer_sizes=(6,),
        epsilon=0.5,
        epsilon_decay=1.0,
        epsilon_min=1e-3,
        tol=1e-2,
        max_iter=500,
        random_state=0,
    ).fit(X, y)
    assert model.n_iter_ < 500
    assert set(model.diagnostics_["epsilon"]) == {0.5}


def test_an_unconverged_output_prox_is_reported():
    """A Newton budget of one step cannot meet the tolerance: fit says so."""
    solver, *_ = _solver(inertia=(0.0, 0.0, 0.0))
    solver.config.loss.max_iter = 1
    with pytest.warns(ConvergenceWarning, match="output prox did not reach"):
        solver.solve(3, 0.0, 10)


def test_inertia_schedule_replaces_the_constant_inertia():
    """A schedule that returns the constant inertia gives the same iterates; one
    that returns zero gives the zero-inertia run."""

    rng = np.random.RandomState(0)
    X, y = rng.randn(40, 3), rng.randn(40)
    params = dict(hidden_layer_sizes=(5,), max_iter=8, random_state=0)

    class Scheduled(TIAMRegressor):
        _inertia_schedule = staticmethod(lambda k: (0.0, 0.0, 0.0))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        zero = TIAMRegressor(center_inertia=0.0, gradient_inertia=0.0, **params).fit(
            X, y
        )
        scheduled = Scheduled(**params).fit(X, y)
        default = TIAMRegressor(**params).fit(X, y)
    for a, b in zip(zero.coefs_, scheduled.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(default.coefs_[0], scheduled.coefs_[0])


def test_an_epsilon_cycle_equals_a_warm_started_refit():
    """A restart rebuilds Z and A by a forward pass and restarts epsilon: what
    a warm-started fit does, so the two must give the same weights."""
    X, y = make_classification(
        n_samples=120, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    params = dict(hidden_layer_sizes=(8, 6), tol=0.0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cycled = TIAMClassifier(epsilon_cycle=7, max_iter=14, **params).fit(X, y)
        warm = TIAMClassifier(max_iter=7, warm_start=True, **params)
        warm.fit(X, y)
        first_cycle = list(warm.loss_curve_)
        warm.fit(X, y)
    assert cycled.n_iter_ == 14
    assert cycled.loss_curve_ == first_cycle + warm.loss_curve_
    for a, b in zip(cycled.coefs_, warm.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)
    epsilons = cycled.diagnostics_["epsilon"]
    assert epsilons[0] == epsilons[7] == 100.0 and epsilons[6] < 100.0


@pytest.mark.parametrize("name", ["identity", "relu", "tanh"])
def test_forward_pass_leaves_the_given_product_and_inputs_as_they_were(name):
    rng = np.random.RandomState(3)
    inputs = rng.randn(7, 4)
    coefs = [rng.randn(4, 5), rng.randn(5, 2)]
    intercepts = [rng.randn(5), rng.randn(2)]
    product = inputs @ coefs[0]
    saved = [a.copy() for a in (inputs, product, *coefs, *intercepts)]
    activation = Activation(name)
    output = forward(np, activation, coefs, intercepts, inputs, first_product=product)
    hidden = activation(np, inputs @ coefs[0] + intercepts[0])
    np.testing.assert_allclose(output, hidden @ coefs[1] + intercepts[1])
    for before, after in zip(
        saved, (inputs, product, *coefs, *intercepts), strict=True
    ):
        np.testing.assert_array_equal(before, after)
