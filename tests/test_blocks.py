"""Tests of the block subproblems and the triple-inertial step."""

import numpy as np
import pytest
from scipy import linalg, sparse
from scipy.optimize import lsq_linear

from sktiam._activations import Activation
from sktiam._blocks import (
    ActivationBlock,
    BiasBlock,
    HiddenPreactivationBlock,
    PenaltyPreactivationBlock,
    SampleMetric,
    StepSize,
    WeightBlock,
    _feasible_base,
    _rounding_noise,
    _snap,
    inertial_step,
)

N, D_IN, D_OUT = 9, 4, 3


def _weights(rng, n=N):
    w = rng.uniform(0.2, 3.0, n)
    return SampleMetric(np, (w / w.sum())[:, None])


def _weight_block(rng, alpha=0.1, inputs=None):
    inputs = rng.randn(N, D_IN) if inputs is None else inputs
    return WeightBlock(
        np, inputs, rng.randn(N, D_OUT), rng.randn(D_OUT), _weights(rng), 0.7, alpha
    )


def _activation_block(rng, epsilon=0.3, gamma=None):
    """The A block of the box relaxation, or of the penalty one with ``gamma``."""
    activated = np.maximum(rng.randn(N, D_IN), 0)
    box = (activated - epsilon, activated + epsilon) if gamma is None else None
    return ActivationBlock(
        np,
        rng.randn(D_IN, D_OUT),
        rng.randn(D_OUT),
        rng.randn(N, D_OUT),
        *(box or (-np.inf, np.inf)),
        _weights(rng),
        0.7,
        anchor=None if gamma is None else activated,
        gamma=gamma or 0.0,
    )


def _explicit_weight_objective(block, w):
    """f(W) = (rho/2) sum_i s_i ||Z_i - A_i W - b||^2 + (alpha/2) ||W||^2, in full."""
    inputs = block.inputs.toarray() if sparse.issparse(block.inputs) else block.inputs
    residual = block.target - inputs @ w - block.bias
    return 0.5 * block.rho * np.sum(
        block.samples.weights * residual**2
    ) + 0.5 * block.alpha * np.sum(w**2)


def _finite_difference_gradient(function, u, h=1e-6):
    gradient = np.zeros_like(u)
    for index in np.ndindex(u.shape):
        step = np.zeros_like(u)
        step[index] = h
        gradient[index] = (function(u + step) - function(u - step)) / (2 * h)
    return gradient


def test_weight_block_value_and_gradient_match_finite_differences():
    rng = np.random.RandomState(0)
    block = _weight_block(rng)
    w = rng.randn(D_IN, D_OUT)
    value, gradient = block.value_and_gradient(w)
    assert value == pytest.approx(_explicit_weight_objective(block, w))
    expected = _finite_difference_gradient(
        lambda u: _explicit_weight_objective(block, u), w
    )
    np.testing.assert_allclose(gradient, expected, rtol=1e-6, atol=1e-8)


def test_weight_block_with_sparse_inputs_equals_dense():
    rng = np.random.RandomState(1)
    dense = rng.randn(N, D_IN) * (rng.rand(N, D_IN) < 0.4)
    block_sparse = _weight_block(
        np.random.RandomState(2), inputs=sparse.csr_matrix(dense)
    )
    block_dense = _weight_block(np.random.RandomState(2), inputs=dense)
    w = rng.randn(D_IN, D_OUT)
    value_s, gradient_s = block_sparse.value_and_gradient(w)
    value_d, gradient_d = block_dense.value_and_gradient(w)
    assert value_s == pytest.approx(value_d, rel=1e-12)
    np.testing.assert_allclose(gradient_s, gradient_d, rtol=1e-12)
    assert block_sparse.lipschitz_lower_bound(StepSize(1.0)) == pytest.approx(
        block_dense.lipschitz_lower_bound(StepSize(1.0))
    )


def test_activation_block_gradient_is_taken_in_the_sample_metric():
    """The reported gradient G satisfies s_i G_i = d f / d A_i (finite differences)."""
    rng = np.random.RandomState(3)
    block = _activation_block(rng)
    a = rng.randn(N, D_IN)

    def explicit(u):
        residual = block.next_target - u @ block.next_weights - block.next_bias
        return 0.5 * block.rho * np.sum(block.metric.weights * residual**2)

    value, gradient = block.value_and_gradient(a)
    assert value == pytest.approx(explicit(a))
    expected = _finite_difference_gradient(explicit, a)
    np.testing.assert_allclose(
        block.metric.weights * gradient, expected, rtol=1e-6, atol=1e-9
    )


def test_lipschitz_estimates_approach_the_true_constants_from_below():
    """The power iteration's Rayleigh quotient never exceeds the largest
    eigenvalue (numpy.linalg), and warm starts bring it close to it."""
    rng = np.random.RandomState(4)
    weight_block = _weight_block(rng)
    hessian = weight_block.rho * weight_block.inputs.T @ (
        weight_block.samples.weights * weight_block.inputs
    ) + weight_block.alpha * np.eye(D_IN)
    activation_block = _activation_block(rng)
    w = activation_block.next_weights
    for block, true in [
        (weight_block, np.linalg.eigvalsh(hessian).max()),
        (activation_block, activation_block.rho * np.linalg.eigvalsh(w @ w.T).max()),
    ]:
        step = StepSize(1.0)
        estimates = [block.lipschitz_lower_bound(step) for _ in range(10)]
        assert all(e <= true * (1 + 1e-12) for e in estimates)
        assert estimates[-1] == pytest.approx(true, rel=1e-3)


@pytest.mark.parametrize("inertia", [(0.0, 0.0, 0.0), (0.4, 0.2, 0.0), (0.3, 0.6, 0.2)])
@pytest.mark.parametrize("kind", ["weights", "activations", "penalty activations"])
def test_every_accepted_tau_satisfies_the_backtracking_inequality(kind, inertia):
    rng = np.random.RandomState(5)
    for _ in range(20):
        if kind == "weights":
            block = _weight_block(rng)
        elif kind == "activations":
            block = _activation_block(rng)
        else:
            block = _activation_block(rng, gamma=10.0 ** rng.uniform(-2, 1))
        shape = (D_IN, D_OUT) if kind == "weights" else (N, D_IN)
        current = block.project(rng.randn(*shape))
        previous = block.project(current + 0.3 * rng.randn(*shape))
        step = StepSize(tau=10.0 ** rng.uniform(-3, 2))
        p1, p2, _ = inertia
        centre = current + p1 * (current - previous)
        point = current + p2 * (current - previous)
        plus, _, trials = block.prox_linear(centre, point, step)
        assert plus is not None and trials >= 1
        tau = step.tau
        # Recompute every term independently, in the block's metric.
        metric = (
            np.ones((shape[0], 1)) if block.metric is None else block.metric.weights
        )
        value_point, gradient = block.value_and_gradient(point)
        difference = plus - point
        bound = (
            value_point
            + np.sum(metric * gradient * difference)
            + 0.5 * tau * np.sum(metric * difference**2)
        )
        assert block.value(plus) <= bound + 1e-12 * abs(bound)
        # And u+ is the projected step for that tau.
        np.testing.assert_allclose(plus, block.project(centre - gradient / tau))


@pytest.mark.parametrize("inertia", [(0.0, 0.0, 0.0), (0.8, 0.8, 0.0)])
def test_hidden_z_step_is_the_exact_constrained_minimiser(inertia):
    """The clip equals scipy's solution of the same box-constrained quadratic,
    with equal first and second inertia whatever the momentum."""
    rng = np.random.RandomState(6)
    for name in ["relu", "leaky_relu", "tanh", "logistic", "softplus", "elu"]:
        activation = Activation(name, 0.1)
        z_current = rng.randn(N, D_OUT)
        a = activation(np, z_current) + rng.uniform(-0.2, 0.2, (N, D_OUT))
        centre = 2.0 * rng.randn(N, D_OUT)
        weights = _weights(rng)
        block = HiddenPreactivationBlock(np, centre, a, activation, 0.2, weights, 0.9)
        z_current = block.project(z_current)
        z_previous = z_current + rng.randn(N, D_OUT)
        new, report = inertial_step(
            block,
            z_current,
            z_previous,
            inertia,
            StepSize(0.9, adaptive=False),
            True,
        )
        # The same problem as a bounded linear least-squares problem,
        # min ||diag(sqrt(0.9 s)) (z - centre)||^2 over the box, solved by
        # scipy's bounded-variable least squares, which is exact.
        scale = np.sqrt(0.9 * np.broadcast_to(weights.weights, (N, D_OUT))).ravel()
        result = lsq_linear(
            np.diag(scale),
            scale * centre.ravel(),
            bounds=(block.lower.ravel(), block.upper.ravel()),
            method="bvls",
            tol=1e-14,
        )
        np.testing.assert_allclose(new, result.x.reshape(N, D_OUT), atol=1e-10)
        # Feasibility: sigma(Z) lies within epsilon of A.
        assert np.all(np.abs(activation(np, new) - a) <= 0.2 + 1e-9)


def _bias_block(rng, product, target, weights):
    """The bias block of ``(rho/2) sum_i s_i ||Z_i - P_i - b||^2``, rho = 0.8."""
    offset = weights.column_means(target) - weights.column_means(product)
    return BiasBlock(np, offset, 0.8)


def test_bias_step_with_equal_first_and_second_inertia_is_the_exact_minimiser():
    rng = np.random.RandomState(7)
    product, target, weights = rng.randn(N, D_OUT), rng.randn(N, D_OUT), _weights(rng)
    block = _bias_block(rng, product, target, weights)
    current, previous = rng.randn(D_OUT), rng.randn(D_OUT)
    new, _ = inertial_step(
        block, current, previous, (0.4, 0.4, 0.0), StepSize(0.8, adaptive=False), False
    )
    np.testing.assert_allclose(
        new, np.sum(weights.weights * (target - product), axis=0)
    )


def test_bias_block_value_differs_from_the_full_sum_by_a_constant():
    """The block leaves out the part of f that does not depend on b: the
    difference of its values at two points is that of the full weighted sum."""
    rng = np.random.RandomState(17)
    product, target, weights = rng.randn(N, D_OUT), rng.randn(N, D_OUT), _weights(rng)
    block = _bias_block(rng, product, target, weights)

    def full(b):
        return 0.5 * 0.8 * np.sum(weights.weights * (target - product - b) ** 2)

    first, second = rng.randn(D_OUT), rng.randn(D_OUT)
    assert block.value(first) - block.value(second) == pytest.approx(
        full(first) - full(second), rel=1e-12
    )
    value, gradient = block.value_and_gradient(first)
    np.testing.assert_allclose(
        gradient, _finite_difference_gradient(full, first), rtol=1e-6, atol=1e-9
    )


@pytest.mark.parametrize("kind", ["weights", "activations"])
def test_monotone_safeguard_never_raises_the_block_objective(kind):
    rng = np.random.RandomState(8)
    restarted = 0
    for _ in range(30):
        block = _weight_block(rng) if kind == "weights" else _activation_block(rng)
        shape = (D_IN, D_OUT) if kind == "weights" else (N, D_IN)
        current = block.project(rng.randn(*shape))
        # A large, misleading momentum makes the inertial step overshoot.
        previous = current + 3.0 * rng.randn(*shape)
        new, report = inertial_step(
            block, current, previous, (0.9, 0.9, 0.9), StepSize(1.0), True
        )
        assert block.value(new) <= block.value(current)
        np.testing.assert_array_equal(block.project(new), new)
        restarted += report.restarted
    assert restarted > 0  # the safeguard was exercised


def test_weighted_rows_move_like_repeated_rows():
    """A sample of weight 2 takes the same step as two copies of it."""
    rng = np.random.RandomState(9)
    a = np.maximum(rng.randn(4, D_IN), 0)
    z_next, w_next, b_next = (
        rng.randn(4, D_OUT),
        rng.randn(D_IN, D_OUT),
        rng.randn(D_OUT),
    )
    counts = np.array([1, 2, 1, 3])
    weighted = counts[:, None] / counts.sum()
    repeated = np.repeat(np.arange(4), counts)
    uniform = np.full((len(repeated), 1), 1 / len(repeated))
    a_weighted = ActivationBlock(
        np, w_next, b_next, z_next, a - 0.5, a + 0.5, SampleMetric(np, weighted), 0.6
    )
    a_repeated = ActivationBlock(
        np,
        w_next,
        b_next,
        z_next[repeated],
        a[repeated] - 0.5,
        a[repeated] + 0.5,
        SampleMetric(np, uniform),
        0.6,
    )
    step_w, step_r = StepSize(1.0), StepSize(1.0)
    new_w, _ = inertial_step(a_weighted, a, a, (0, 0, 0), step_w, False)
    new_r, _ = inertial_step(
        a_repeated, a[repeated], a[repeated], (0, 0, 0), step_r, False
    )
    np.testing.assert_allclose(new_w[repeated], new_r, rtol=1e-12)
    assert step_w.tau == pytest.approx(step_r.tau, rel=1e-12)


@pytest.mark.parametrize("equal", [True, False])
def test_sample_metric_sums_equal_the_explicit_weighted_sums(equal):
    rng = np.random.RandomState(10)
    raw = np.full(N, 2.5) if equal else rng.uniform(0.2, 3.0, N)
    weights = (raw / raw.sum())[:, None]
    metric = SampleMetric(np, weights)
    assert (metric.uniform is not None) == equal
    a, b, values = rng.randn(N, D_OUT), rng.randn(N, D_OUT), rng.randn(N)
    inputs = rng.randn(N, D_IN)
    assert metric.inner(a, b) == pytest.approx(np.sum(weights * a * b), rel=1e-12)
    assert metric.squared_norm(a) == pytest.approx(np.sum(weights * a**2), rel=1e-12)
    assert metric.mean(values) == pytest.approx(np.sum(weights[:, 0] * values))
    np.testing.assert_allclose(
        metric.column_means(a), np.sum(weights * a, axis=0), rtol=1e-12
    )
    np.testing.assert_allclose(
        metric.transpose_product(inputs, a), inputs.T @ np.diag(weights[:, 0]) @ a
    )
    np.testing.assert_allclose(
        metric.transpose_product(sparse.csr_matrix(inputs), values),
        inputs.T @ (weights[:, 0] * values),
    )


def _step_blocks(rng):
    """One block of each kind that takes an inertial step, with its shape."""
    activation = Activation("relu")
    z = rng.randn(N, D_OUT)
    hidden = HiddenPreactivationBlock(
        np, rng.randn(N, D_OUT), activation(np, z), activation, 0.3, _weights(rng), 0.9
    )
    product, target = rng.randn(N, D_OUT), rng.randn(N, D_OUT)
    return [
        (_weight_block(rng), (D_IN, D_OUT), StepSize(1.0)),
        (_activation_block(rng), (N, D_IN), StepSize(1.0)),
        (hidden, (N, D_OUT), StepSize(0.9, adaptive=False)),
        (
            _bias_block(rng, product, target, _weights(rng)),
            (D_OUT,),
            StepSize(0.8, adaptive=False),
        ),
    ]


@pytest.mark.parametrize("inertia", [(0.8, 0.8, 0.8), (0.3, 0.6, 0.2), (0, 0, 0.5)])
def test_inertial_step_is_the_three_extrapolations_and_changes_no_input(inertia):
    """Without the safeguard, u^{k+1} is the formula of the docstring, computed
    here from copies; u^k, u^{k-1} and the block's data are left untouched."""
    rng = np.random.RandomState(11)
    p1, p2, p3 = inertia
    for block, shape, step in _step_blocks(rng):
        current = block.project(rng.randn(*shape))
        previous = block.project(current + 0.3 * rng.randn(*shape))
        saved = [a.copy() for a in (current, previous)]
        data = {
            k: v.copy() for k, v in vars(block).items() if isinstance(v, np.ndarray)
        }
        reference_step = StepSize(step.tau, adaptive=step.adaptive)
        new, _ = inertial_step(block, current, previous, inertia, step, False)

        centre = current + p1 * (current - previous)
        point = current + p2 * (current - previous)
        plus, _, _ = block.prox_linear(centre, point, reference_step)
        expected = block.project(plus + p3 * (plus - current))
        np.testing.assert_allclose(new, expected, rtol=1e-12, atol=1e-14)
        for before, after in zip(saved, (current, previous), strict=True):
            np.testing.assert_array_equal(before, after)
        for key, value in data.items():
            np.testing.assert_array_equal(value, getattr(block, key))


def test_feasible_base_keeps_an_inside_point_and_rejects_a_far_one():
    rng = np.random.RandomState(12)
    block = _activation_block(rng)
    inside = block.project(rng.randn(N, D_IN))
    assert _feasible_base(block, inside) is inside
    # A rounding error outside the box is feasible: its projection is returned.
    edge = block.upper.copy()
    edge[0, 0] *= 1 + 4 * np.finfo(float).eps
    edge[0, 0] += 4 * np.finfo(float).eps
    base = _feasible_base(block, edge)
    np.testing.assert_array_equal(base, block.upper)
    far = block.upper + 1e-3
    assert _feasible_base(block, far) is None


def test_snap_zeroes_only_the_entries_below_the_rounding_noise():
    target = np.array([[4.0, -8.0], [1.0, 2.0]])
    noise = _rounding_noise(np, target)
    assert noise == 16 * np.finfo(float).eps * 8.0
    residual = np.array([[noise, -noise], [1.01 * noise, -1e-3]])
    snapped = _snap(np, residual.copy(), noise)
    np.testing.assert_array_equal(snapped, [[0.0, 0.0], [1.01 * noise, -1e-3]])


@pytest.mark.parametrize("monotone", [False, True])
def test_no_step_overwrites_an_array_it_did_not_create(monotone):
    """The in-place arithmetic touches only temporaries: the iterates, the
    block's data, its sample weights and its cached products stay as they were,
    also when the safeguard redoes a step (a large, misleading momentum)."""
    rng = np.random.RandomState(13)
    for block, shape, step in _step_blocks(rng):
        current = block.project(rng.randn(*shape))
        previous = current + 3.0 * rng.randn(*shape)
        if isinstance(block, WeightBlock):
            block.remember(current, block.inputs @ current)
        arrays = [current, previous]
        arrays += [v for v in vars(block).values() if isinstance(v, np.ndarray)]
        metric = block.metric or getattr(block, "samples", None)
        arrays += [] if metric is None else [metric.weights]
        arrays += [p for pair in getattr(block, "_products", []) for p in pair]
        saved = [a.copy() for a in arrays]
        for _ in range(3):
            inertial_step(block, current, previous, (0.9, 0.9, 0.9), step, monotone)
        for before, after in zip(saved, arrays, strict=True):
            np.testing.assert_array_equal(before, after)


def test_a_stationary_point_outside_the_box_is_not_given_its_own_value():
    """With a zero gradient at an extrapolated point outside C, u+ = P_C(point)
    differs from the point, and so does its objective value."""
    rng = np.random.RandomState(14)
    block = _activation_block(rng)
    point = block.upper + 0.5
    block.next_target = point @ block.next_weights + block.next_bias
    assert block.value(point) == 0.0
    plus, value, trials = block.prox_linear(point, point, StepSize(1.0))
    np.testing.assert_array_equal(plus, block.upper)
    assert value is None or value == pytest.approx(block.value(plus))
    assert block.value(plus) > 0.0


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")
def test_equal_weights_sums_do_not_overflow_before_they_are_scaled():
    """float32 terms whose sum overflows, but whose mean does not: the uniform
    path sums first and scales after, and must fall back to scaled terms. (The
    estimators run the solver with NumPy's overflow warnings off.)"""
    n = 100
    metric = SampleMetric(np, np.full((n, 1), 1 / n, dtype=np.float32))
    assert metric.uniform is not None
    big = np.full((n, 2), 1e19, dtype=np.float32)
    assert metric.squared_norm(big) == pytest.approx(2e38, rel=1e-5)
    large = np.full((n, 2), 1e37, dtype=np.float32)
    assert metric.mean(large[:, 0]) == pytest.approx(1e37, rel=1e-5)
    np.testing.assert_allclose(metric.column_means(large), [1e37, 1e37], rtol=1e-5)
    ones = np.ones((n, 3), dtype=np.float32)
    np.testing.assert_allclose(
        metric.transpose_product(ones, large), np.full((3, 2), 1e37), rtol=1e-5
    )


def test_penalty_activation_block_value_and_gradient_match_finite_differences():
    rng = np.random.RandomState(20)
    block = _activation_block(rng, gamma=0.6)
    a = rng.randn(N, D_IN)

    def explicit(u):
        residual = block.next_target - u @ block.next_weights - block.next_bias
        s = block.metric.weights
        return 0.5 * 0.7 * np.sum(s * residual**2) + 0.5 * 0.6 * np.sum(
            s * (u - block.anchor) ** 2
        )

    value, gradient = block.value_and_gradient(a)
    assert value == pytest.approx(explicit(a), rel=1e-12)
    np.testing.assert_allclose(
        block.metric.weights * gradient,
        _finite_difference_gradient(explicit, a),
        rtol=1e-6,
        atol=1e-9,
    )
    assert block.anchor_value(a) == pytest.approx(
        0.5 * 0.6 * np.sum(block.metric.weights * (a - block.anchor) ** 2)
    )


def test_penalty_activation_step_converges_to_the_least_squares_solution():
    """Repeated prox-linear steps reach the minimiser of the A block's quadratic,
    which scipy.linalg.lstsq gives row by row from the stacked system
    [sqrt(rho) W'^T; sqrt(gamma) I] a_i = [sqrt(rho)(z'_i - b'); sqrt(gamma) s_i]."""
    rng = np.random.RandomState(21)
    block = _activation_block(rng, gamma=0.6)
    rho, gamma = 0.7, 0.6
    w = block.next_weights
    stacked = np.vstack([np.sqrt(rho) * w.T, np.sqrt(gamma) * np.eye(D_IN)])
    rhs = np.hstack(
        [
            np.sqrt(rho) * (block.next_target - block.next_bias),
            np.sqrt(gamma) * block.anchor,
        ]
    ).T
    expected = linalg.lstsq(stacked, rhs)[0].T
    a = rng.randn(N, D_IN)
    step = StepSize(1.0)
    for _ in range(400):
        a, _ = inertial_step(block, a, a, (0.0, 0.0, 0.0), step, True)
    np.testing.assert_allclose(a, expected, rtol=1e-9, atol=1e-10)
    # The curvature product is rho W' W'^T + gamma I.
    vector = rng.randn(D_IN)
    np.testing.assert_allclose(
        block.curvature_product(vector), (rho * w @ w.T + gamma * np.eye(D_IN)) @ vector
    )


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "tanh", "logistic", "elu"])
@pytest.mark.parametrize("inertia", [(0.0, 0.0, 0.0), (0.8, 0.8, 0.0), (0.6, 0.2, 0.0)])
def test_penalty_z_step_is_the_prox_of_the_activation_penalty(name, inertia):
    """With tau = rho the step is argmin_z (rho/2)||z - c + (p - V)||^2 +
    (gamma/2)||A - sigma(z)||^2, with c and p the two inertial points; with
    p1 = p2 that is the exact minimiser of f, whatever the momentum. Checked
    against a brute-force minimisation entry by entry."""
    rng = np.random.RandomState(23)
    activation = Activation(name, 0.3)
    rho, gamma = 0.9, 0.7
    centre = 2.0 * rng.randn(N, D_OUT)
    a = activation(np, rng.randn(N, D_OUT)) + 0.3 * rng.randn(N, D_OUT)
    block = PenaltyPreactivationBlock(
        np, centre, _weights(rng), rho, activation, a, gamma
    )
    current = rng.randn(N, D_OUT)
    previous = current + rng.randn(N, D_OUT)
    new, report = inertial_step(
        block, current, previous, inertia, StepSize(rho, adaptive=False), False
    )
    p1, p2, _ = inertia
    shifted = (current + p1 * (current - previous)) - (
        current + p2 * (current - previous) - centre
    )
    grid = np.linspace(-12, 12, 240_001)
    for index in np.ndindex(new.shape):
        values = (
            0.5 * rho * (grid - shifted[index]) ** 2
            + 0.5 * gamma * (a[index] - activation(np, grid)) ** 2
        )
        best = grid[np.argmin(values)]
        assert new[index] == pytest.approx(best, abs=2e-4)
        value_new = (
            0.5 * rho * (new[index] - shifted[index]) ** 2
            + 0.5 * gamma * (a[index] - activation(np, np.asarray(new[index]))) ** 2
        )
        assert value_new <= values.min() + 1e-12
    if p1 == p2:
        # The exact minimiser of f: no other point has a lower f.
        for _ in range(20):
            trial = new + 0.05 * rng.randn(*new.shape)
            assert block.value(new) <= block.value(trial) + 1e-14


def test_penalty_z_block_values_are_its_two_terms():
    rng = np.random.RandomState(24)
    activation = Activation("tanh")
    centre, a, u = rng.randn(N, D_OUT), rng.randn(N, D_OUT), rng.randn(N, D_OUT)
    metric = _weights(rng)
    block = PenaltyPreactivationBlock(np, centre, metric, 0.9, activation, a, 0.4)
    s = metric.weights
    coupling = 0.5 * 0.9 * np.sum(s * (u - centre) ** 2)
    anchor = 0.5 * 0.4 * np.sum(s * (a - np.tanh(u)) ** 2)
    assert block.coupling_value(u) == pytest.approx(coupling, rel=1e-12)
    assert block.anchor_value(u) == pytest.approx(anchor, rel=1e-12)
    assert block.value(u) == pytest.approx(coupling + anchor, rel=1e-12)
