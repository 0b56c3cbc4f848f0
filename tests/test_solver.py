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
from sktiam._relaxations import BoxRelaxation, PenaltyRelaxation
from sktiam._solver import TIAMConfig, TIAMSolver, forward, nesterov_inertia


def _blobs(n=150, seed=0):
    X, y = make_blobs(
        n_samples=n, centers=3, n_features=5, cluster_std=3.0, random_state=seed
    )
    return StandardScaler().fit_transform(X), y


class _Run:
    """A solver, its state and its one full batch, stepped by hand."""

    def __init__(self, solver, state, batch):
        self.solver, self.state, self.batch = solver, state, batch

    def iterate(self, advance=True):
        if advance:
            self.state.relaxation.advance()
        self.solver._reports = []
        self.solver.sweep(self.state, self.batch)

    def objective(self):
        return self.solver.objective(self.state, self.batch)


def _solver(
    activation="relu",
    inertia=(0.3, 0.3, 0.3),
    monotone=True,
    epsilon=1.0,
    decay=0.7,
    alpha=1e-3,
    seed=0,
    relaxation="box",
    gamma=0.5,
    loss=None,
    output_alpha=None,
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
    if relaxation == "box":
        relaxed = BoxRelaxation(0.3, epsilon, decay, 1e-3, None)
    else:
        relaxed = PenaltyRelaxation(0.3, gamma, 1.0, 1.0)
    config = TIAMConfig(
        Activation(activation, 0.1),
        loss or SoftmaxCrossEntropy(),
        alpha,
        inertia,
        monotone,
        1e-10,
        relaxed,
        output_alpha=output_alpha,
    )
    weights = rng.uniform(0.5, 2.0, X.shape[0])
    solver = TIAMSolver(np, config)
    solver.inertia = inertia
    state = solver.initial_state(coefs, intercepts)
    batch = solver.bind(X, targets, weights)
    solver.lift(state, batch)
    return _Run(solver, state, batch), X, targets, weights


def _explicit_objective(run, X, targets, weights):
    """F of docs/algorithm.md, written out from the solver's state."""
    s = weights / weights.sum()
    state, batch = run.state, run.batch
    relaxation = state.relaxation
    rho, alpha = relaxation.rho, run.solver.config.alpha
    inputs = [X, *batch.activations]
    coupling = sum(
        np.sum(s[:, None] * (z - a @ w - b) ** 2)
        for z, a, w, b in zip(
            batch.preactivations, inputs, state.coefs, state.intercepts, strict=True
        )
    )
    z_out = batch.preactivations[-1]
    log_p = z_out - np.log(np.sum(np.exp(z_out), axis=1, keepdims=True))
    loss = -np.sum(s * np.sum(targets * log_p, axis=1))
    penalty = 0.0
    if relaxation.name == "penalty":
        sigma = run.solver.config.activation
        penalty = sum(
            np.sum(s[:, None] * (a - sigma(np, z)) ** 2)
            for z, a in zip(batch.preactivations[:-1], batch.activations, strict=True)
        )
        penalty *= 0.5 * relaxation.gamma
    output_alpha = run.solver.config.output_alpha
    output_alpha = alpha if output_alpha is None else output_alpha
    return (
        loss
        + 0.5 * rho * coupling
        + penalty
        + 0.5 * alpha * sum(np.sum(w**2) for w in state.coefs[:-1])
        + 0.5 * output_alpha * np.sum(state.coefs[-1] ** 2)
    )


@pytest.mark.parametrize("relaxation", ["box", "penalty"])
@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("output_alpha", [None, 0.25], ids=["alpha", "output alpha"])
def test_objective_matches_independent_computation(
    relaxation, activation, output_alpha
):
    """F after each of four iterations; with ``output_alpha`` the output
    layer's L2 term has its own weight."""
    run, X, targets, weights = _solver(
        relaxation=relaxation, activation=activation, output_alpha=output_alpha
    )
    for _ in range(4):
        run.iterate()
        assert run.objective() == pytest.approx(
            _explicit_objective(run, X, targets, weights), rel=1e-10
        )


def test_the_output_layers_weight_block_takes_the_output_alpha():
    """Full batch: the W blocks of the hidden layers minimise with ``alpha``,
    the output layer's with ``output_alpha``, and steps on W_L lower F with
    that term (the blocks' own steps are tested in test_blocks.py)."""
    run, X, targets, weights = _solver(
        relaxation="penalty", alpha=1e-3, output_alpha=2.0, monotone=False
    )
    # The W steps' starting step sizes: rho + alpha_l, the curvature's floor.
    taus = [step.tau for step in run.state.weight_steps]
    rho = run.state.relaxation.rho
    assert taus == [rho + 1e-3, rho + 1e-3, rho + 2.0]
    alphas = [
        run.solver.update_weights(run.state, run.batch, layer).alpha
        for layer in range(3)
    ]
    assert alphas == [1e-3, 1e-3, 2.0]
    before = _explicit_objective(run, X, targets, weights)
    for _ in range(20):
        run.solver.update_weights(run.state, run.batch, 2)
    assert _explicit_objective(run, X, targets, weights) < before


@pytest.mark.parametrize(
    "activation", ["relu", "tanh", "logistic", "leaky_relu", "elu"]
)
def test_constraint_holds_after_every_iteration(activation):
    run, *_ = _solver(activation=activation)
    for iteration in range(12):
        run.iterate(advance=iteration > 0)
        batch = run.batch
        gaps = [
            np.max(np.abs(a - run.solver.config.activation(np, z)))
            for z, a in zip(batch.preactivations[:-1], batch.activations, strict=True)
        ]
        epsilon = run.state.relaxation.epsilon
        assert max(gaps) <= epsilon * (1 + 1e-12) + 1e-12


# Schedules held fixed: epsilon for the box, rho and gamma for the penalty.
FIXED_SCHEDULE = {
    "box": dict(
        batch_size=None,
        box_epsilon=0.3,
        box_epsilon_decay=1.0,
        box_epsilon_min=0.3,
        box_epsilon_cycle=None,
    ),
    "penalty": dict(penalty_growth=1.0, batch_size=None),
}


def _fit_without_stopping(Estimator=TIAMClassifier, y=None, **params):
    """Fit on the blobs for exactly ``max_iter`` iterations (default 60)."""
    X, labels = _blobs()
    # A weight decay of 1e-3 on the objective of means: alpha is divided by
    # the rows (all of them in full batch).
    params = {
        "hidden_layer_sizes": (10, 10),
        "max_iter": 60,
        "alpha": 1e-3 * len(X),
        **params,
    }
    model = Estimator(tol=0.0, n_iter_no_change=1000, random_state=0, **params)
    with pytest.warns(Warning):
        model.fit(X, labels if y is None else y(X))
    return model


def _fixed_schedule_fit(Estimator, relaxation, inertia, y=None, **params):
    return _fit_without_stopping(
        Estimator,
        y,
        relaxation=relaxation,
        center_inertia=inertia[0],
        gradient_inertia=inertia[1],
        extrapolation_inertia=inertia[2],
        **FIXED_SCHEDULE[relaxation],
        **params,
    )


@pytest.mark.parametrize(
    "relaxation, activation, Estimator",
    [
        ("box", "relu", TIAMClassifier),
        *[
            ("penalty", activation, Estimator)
            for activation in ["relu", "tanh", "softplus"]
            for Estimator in [TIAMClassifier, TIAMRegressor]
        ],
    ],
)
def test_monotone_objective_never_increases_at_a_fixed_schedule(
    relaxation, activation, Estimator
):
    """With epsilon (box) or rho and gamma (penalty) fixed, F never increases."""
    inertia = (0.6, 0.6, 0.5) if relaxation == "box" else (0.7, 0.4, 0.5)
    target = None
    if Estimator is TIAMRegressor:

        def target(X):
            return np.sin(X[:, 0]) + X[:, 1] ** 2 / 3

    model = _fixed_schedule_fit(
        Estimator, relaxation, inertia, y=target, activation=activation
    )
    curve = np.array(model.objective_curve_)
    assert np.all(np.diff(curve) <= 1e-12 * np.abs(curve[:-1]))
    assert sum(model.diagnostics_["restarts"]) > 0  # the safeguard did act


@pytest.mark.parametrize("relaxation", ["box", "penalty"])
def test_without_safeguard_the_same_run_can_increase(relaxation):
    """The safeguard matters: without it, strong inertia raises F at some iteration."""
    model = _fixed_schedule_fit(
        TIAMClassifier, relaxation, (0.9, 0.9, 0.9), monotone=False
    )
    assert np.any(np.diff(model.objective_curve_) > 0)


def test_monotone_objective_with_schedule_never_increases_while_epsilon_is_fixed():
    model = _fit_without_stopping(
        relaxation="box",
        batch_size=None,
        center_inertia=0.5,
        gradient_inertia=0.5,
        extrapolation_inertia=0.3,
        max_iter=80,
    )
    curve = np.array(model.objective_curve_)
    epsilon = np.array(model.diagnostics_["epsilon"])
    fixed = epsilon[1:] == epsilon[:-1]
    assert fixed.sum() > 10
    assert np.all(np.diff(curve)[fixed] <= 1e-12 * np.abs(curve[:-1][fixed]))
    assert np.all(
        np.array(model.diagnostics_["max_violation"]) <= epsilon * (1 + 1e-12)
    )


@pytest.mark.parametrize("batch_size", [None, "auto"])
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_continuation_drives_both_residuals_to_zero(activation, batch_size):
    """Growing rho and gamma make the relaxed network the real one: the coupling
    residuals and max |A - sigma(Z)| fall below 1e-3, in full batch and in the
    (here single) batch of a mini-batch epoch."""
    model = _fit_without_stopping(
        hidden_layer_sizes=(10,),
        batch_size=batch_size,
        activation=activation,
        relaxation="penalty",
        penalty_growth=1.2,
        max_penalty_growth=1e6,
        max_iter=500,
    )
    record = model.diagnostics_
    coupling = np.array([max(r) for r in record["coupling_residual"]])
    violation = np.array(record["max_violation"])
    assert coupling[-1] < 1e-3 and violation[-1] < 1e-3
    # They fall as the penalties grow, from values far above the threshold.
    assert coupling[5:20].max() > 1e-2 and violation[5:20].max() > 1e-2
    assert record["rho"][-1] == pytest.approx(model.rho * 1e6)
    assert record["activation_penalty"][-1] == pytest.approx(
        model.activation_penalty * 1e6
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


@pytest.mark.parametrize("hidden", [(7,), ()], ids=["hidden layer", "no hidden layer"])
def test_full_batch_loss_has_the_output_layers_own_l2_term(hidden):
    """Full batch through the estimator: the loss after the last iteration is
    the forward network's log-loss plus alpha / (2 n) times the hidden
    layers' squared norms and alpha * output_alpha_factor / (2 n) times the
    output layer's; with no hidden layer the one layer is the output."""
    X, y = _blobs()
    alpha, factor = 0.5, 3.0
    model = TIAMClassifier(
        hidden_layer_sizes=hidden,
        max_iter=4,
        random_state=0,
        alpha=alpha,
        output_alpha_factor=factor,
        batch_size=None,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    n = X.shape[0]
    squares = [np.sum(w**2) for w in model.coefs_]
    expected = log_loss(y, model.predict_proba(X)) + 0.5 * alpha / n * (
        sum(squares[:-1]) + factor * squares[-1]
    )
    assert model.loss_curve_[-1] == pytest.approx(expected, rel=1e-10)


def test_loss_curve_is_the_forward_networks_log_loss():
    """Full batch: the loss after each iteration (mini-batch epochs report the
    mean of the batch losses, tests/test_minibatch.py)."""
    X, y = _blobs()
    model = TIAMClassifier(
        hidden_layer_sizes=(7,), max_iter=15, random_state=0, alpha=0.0, batch_size=None
    )
    with pytest.warns(Warning):
        model.fit(X, y)
    assert model.loss_curve_[-1] == pytest.approx(
        log_loss(y, model.predict_proba(X)), rel=1e-10
    )


@pytest.mark.parametrize("relaxation", ["box", "penalty"])
def test_regression_output_step_is_the_closed_form(relaxation):
    X, y = make_regression(n_samples=40, n_features=3, random_state=0)
    targets = (y / y.std())[:, None]
    rng = np.random.RandomState(0)
    coefs = [rng.randn(3, 4), rng.randn(4, 1)]
    intercepts = [rng.randn(4), rng.randn(1)]
    relaxed = (
        BoxRelaxation(0.5, 1.0, 1.0, 1.0, None)
        if relaxation == "box"
        else PenaltyRelaxation(0.5, 0.3, 1.0, 1.0)
    )
    config = TIAMConfig(
        Activation("relu"), SquaredLoss(), 0.0, (0.0, 0.0, 0.0), True, 1e-10, relaxed
    )
    solver = TIAMSolver(np, config)
    state = solver.initial_state(coefs, intercepts)
    batch = solver.bind(X, targets, np.ones(40))
    solver.lift(state, batch)
    solver.sweep(state, batch)
    centre = batch.activations[0] @ state.coefs[1] + state.intercepts[1]
    np.testing.assert_allclose(batch.preactivations[1], (targets + 0.5 * centre) / 1.5)


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
    """With box_epsilon_decay=1 the schedule is settled from the start."""
    X, y = _blobs()
    model = TIAMClassifier(
        hidden_layer_sizes=(6,),
        relaxation="box",
        batch_size=None,
        box_epsilon=0.5,
        box_epsilon_decay=1.0,
        box_epsilon_min=1e-3,
        tol=1e-2,
        max_iter=500,
        random_state=0,
    ).fit(X, y)
    assert model.n_iter_ < 500
    assert set(model.diagnostics_["epsilon"]) == {0.5}


def test_an_unconverged_output_prox_is_reported():
    """A Newton budget of one step cannot meet the tolerance: fit says so."""
    run, X, targets, weights = _solver(inertia=(0.0, 0.0, 0.0))
    run.solver.config.loss.max_iter = 1
    with pytest.warns(ConvergenceWarning) as record:
        run.solver.solve(run.state, X, targets, weights, 3, 0.0, 10)
    messages = [str(w.message) for w in record]
    assert any("output prox did not reach" in m for m in messages), messages


def test_nesterov_inertia_is_the_fista_sequence():
    """(t_k - 1) / t_{k+1} with t_{k+1} = (1 + sqrt(1 + 4 t_k^2)) / 2, written out."""
    t = [1.0]
    for _ in range(30):
        t.append((1 + np.sqrt(1 + 4 * t[-1] ** 2)) / 2)
    for k in range(30):
        assert nesterov_inertia(k) == pytest.approx((t[k] - 1) / t[k + 1], rel=1e-14)
    assert nesterov_inertia(0) == 0.0


@pytest.mark.parametrize("relaxation", ["box", "penalty"])
def test_nesterov_schedule_steps_with_the_fista_inertia(relaxation):
    """inertia_schedule="nesterov" takes p1 = p2 = (t_k - 1) / t_{k+1} at
    iteration k and keeps p3: the same iterates as a hand-driven solver."""
    rng = np.random.RandomState(0)
    X, y = rng.randn(40, 3), rng.randn(40)
    params = dict(
        hidden_layer_sizes=(5,),
        max_iter=8,
        tol=0.0,
        random_state=0,
        relaxation=relaxation,
        alpha=6.4e-4,
        output_alpha_factor=1.0,
        extrapolation_inertia=0.2,
        batch_size=None,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduled = TIAMRegressor(inertia_schedule="nesterov", **params).fit(X, y)
        constant = TIAMRegressor(**params).fit(X, y)
    start = TIAMRegressor(**params)
    coefs, intercepts = start._initial_parameters(
        [3, 5, 1], np.dtype("float64"), np.random.RandomState(0)
    )
    config = TIAMConfig(
        Activation("relu", 0.3),
        SquaredLoss(),
        6.4e-4 / 40,  # divided by the rows, all 40 in full batch
        (0.0, 0.0, 0.0),
        True,
        1e-10,
        start._relaxation(),
    )
    solver = TIAMSolver(np, config)
    state = solver.initial_state(coefs, intercepts)
    batch = solver.bind(X, y[:, None], np.ones(40))
    solver.lift(state, batch)
    t = 1.0
    for k in range(8):
        if k:
            state.relaxation.advance()
        t_next = (1 + np.sqrt(1 + 4 * t * t)) / 2
        solver.inertia = ((t - 1) / t_next, (t - 1) / t_next, 0.2)
        solver._reports = []
        solver.sweep(state, batch)
        t = t_next
    for a, b in zip(scheduled.coefs_, state.coefs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    assert not np.allclose(constant.coefs_[0], scheduled.coefs_[0])


def test_an_epsilon_cycle_equals_a_warm_started_refit():
    """A restart rebuilds Z and A by a forward pass and restarts epsilon: what
    a warm-started fit does, so the two must give the same weights."""
    X, y = make_classification(
        n_samples=120, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    params = dict(
        hidden_layer_sizes=(8, 6),
        tol=0.0,
        random_state=0,
        relaxation="box",
        batch_size=None,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cycled = TIAMClassifier(box_epsilon_cycle=7, max_iter=14, **params).fit(X, y)
        warm = TIAMClassifier(max_iter=7, warm_start=True, **params)
        warm.fit(X, y)
        warm.fit(X, y)
    assert cycled.n_iter_ == 14 and warm.n_iter_ == 7
    # Warm-started fits append to the curves, as MLPClassifier's do.
    assert cycled.loss_curve_ == warm.loss_curve_
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
