"""Tests of the mini-batch kernels: NumPy's against the generic ones, and the
fixed-count proxes against brute-force minimisers."""

import array_api_compat.numpy as xp
import numpy as np
import pytest
from scipy.optimize import minimize, minimize_scalar
from scipy.special import expit, log_softmax, logsumexp

from sktiam._activations import HIDDEN_PROX_ITERATIONS, Activation
from sktiam._kernels import (
    NEWTON_EXIT_RESIDUAL,
    OUTPUT_PROX_STEP_CAP,
    ArrayKernels,
    NumpyKernels,
    output_prox_iterations,
)
from sktiam._losses import LogisticLoss, SoftmaxCrossEntropy, SquaredLoss
from sktiam._minibatch import PROX_RESIDUAL_TOLERANCE

GENERIC = ArrayKernels(xp)
NUMPY = NumpyKernels(xp)
RHO, GAMMA = 0.1, 0.1  # the defaults


def _rng(seed=0):
    return np.random.RandomState(seed)


def _close(got, expected, rtol=1e-12, atol=1e-13):
    np.testing.assert_allclose(np.asarray(got), np.asarray(expected), rtol, atol)


def _logits(rng, n_rows=300, n_classes=10, scale=4.0):
    """Rows of logits as a network's output gives them, some confidently wrong."""
    v = scale * rng.randn(n_rows, n_classes)
    y = np.eye(n_classes)[rng.randint(n_classes, size=n_rows)]
    return v, y


@pytest.mark.parametrize(
    "name, arguments",
    [
        ("dot", lambda r: (r.randn(50), r.randn(50))),
        ("total", lambda r: (r.randn(7, 5),)),
        ("squared_norm", lambda r: (r.randn(7, 5),)),
        ("column_sums", lambda r: (r.randn(7, 5),)),
        ("affine", lambda r: (r.randn(7, 4), r.randn(4, 3), r.randn(3))),
        (
            "residual",
            lambda r: (r.randn(7, 4), r.randn(4, 3), r.randn(3), r.randn(7, 3)),
        ),
        ("scaled_step", lambda r: (r.randn(7, 3), r.randn(7, 3), 0.3, np.float64(2.0))),
        ("extrapolate", lambda r: (r.randn(4, 3), r.randn(4, 3), 0.95)),
        (
            "weight_step",
            lambda r: (
                r.randn(4, 3),
                r.randn(4, 3),
                r.randn(4, 3),
                (0.1 / 7, 1e-3, 0.0),
                np.float64(2.5),
                r.randn(4, 3),
            ),
        ),
        (
            "weight_step",
            lambda r: (
                r.randn(4, 3),
                r.randn(4, 3),
                r.randn(4, 3),
                (0.1 / 7, 0.0, 0.3),
                np.float64(2.5),
                r.randn(4, 3),
            ),
        ),
        ("step_size", lambda r: (np.float64(1.3), np.float64(4.0))),
        ("step_size", lambda r: (np.float64(1.3), np.float64(2.0))),
    ],
)
def test_numpy_kernels_equal_the_generic_ones(name, arguments):
    """Each NumPy kernel computes what the generic one does, to rounding,
    and leaves every input it is not allowed to overwrite unchanged."""
    args = arguments(_rng())
    copies = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]
    expected = getattr(GENERIC, name)(*args)
    got = getattr(NUMPY, name)(*copies)
    _close(got, expected)


@pytest.mark.parametrize("loss", [SoftmaxCrossEntropy(), LogisticLoss(), SquaredLoss()])
def test_numpy_output_step_equals_the_generic_one(loss):
    v, y = _logits(_rng())
    if isinstance(loss, LogisticLoss):
        y = (_rng(1).rand(*v.shape) < 0.3).astype(float)
    got = NUMPY.output_step(loss, v, y, RHO)
    expected = GENERIC.output_step(loss, v, y, RHO)
    for g, e in zip(got, expected, strict=True):
        _close(g, e, rtol=1e-10, atol=1e-12)


class _CountingExp:
    """NumPy, with its calls of ``exp`` counted: one per Newton iteration."""

    def __init__(self):
        self.calls = 0

    def exp(self, *args, **kwargs):
        self.calls += 1
        return np.exp(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(np, name)


@pytest.mark.parametrize("loss", [SoftmaxCrossEntropy(), LogisticLoss()])
def test_numpy_output_prox_stops_where_newton_has_converged(loss):
    """Rows the network already predicts: Newton converges before the fixed
    count, the NumPy loop stops there, and its result is the full count's
    (the generic loop's) to rounding."""
    rng = _rng(2)
    v, y = _logits(rng, n_rows=64, scale=0.5)
    if isinstance(loss, LogisticLoss):
        y = (rng.rand(*v.shape) < 0.5).astype(float)
        v = 3.0 * (2.0 * y - 1.0) + 0.5 * rng.randn(*v.shape)
    else:
        v += 6.0 * y
    counting = _CountingExp()
    kernels = NumpyKernels(xp)
    kernels.np = counting
    got = kernels.output_step(loss, v, y, RHO)
    expected = GENERIC.output_step(loss, v, y, RHO)
    evaluations = output_prox_iterations(RHO) + 1
    assert counting.calls < evaluations
    for g, e in zip(got[:2], expected[:2], strict=True):
        _close(g, e, rtol=1e-13, atol=1e-13)
    assert float(got[2]) <= NEWTON_EXIT_RESIDUAL


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "tanh", "softplus"])
def test_numpy_penalty_prox_equals_the_generic_one(name):
    rng = _rng()
    activation = Activation(name)
    w = 2.0 * rng.randn(64, 30)
    a = activation(xp, w) + 0.5 * rng.randn(64, 30)
    arguments = (activation, w, a, RHO, GAMMA, HIDDEN_PROX_ITERATIONS)
    got = NUMPY.penalty_prox(*arguments)
    expected = GENERIC.penalty_prox(*arguments)
    for g, e in zip(got, expected, strict=True):
        _close(g, e)


@pytest.mark.parametrize("kernels", [GENERIC, NUMPY], ids=["generic", "numpy"])
def test_power_estimate_is_the_rayleigh_quotient_of_two_iterations(kernels):
    rng = _rng()
    factor = rng.randn(6, 6)
    matrix = factor @ factor.T + 0.1 * np.eye(6)
    start = rng.rand(6)
    estimate, direction = kernels.power_estimate(lambda v: matrix @ v, start)
    # Written out: v1 = M v0 / |M v0|, then the quotient of M at v1; the
    # next start is M v1, normalised (its scale is the kernels' choice).
    first = matrix @ start
    vector = first / np.linalg.norm(first)
    image = matrix @ vector
    _close(estimate, vector @ image / (vector @ vector))
    direction = np.asarray(direction)
    _close(direction / np.abs(direction).max(), image / np.abs(image).max())
    # Normalised, so that the warm starts keep their scale: by the largest
    # entry on the generic kernels, by the length on NumPy's.
    scale = np.abs(direction).max() if kernels is GENERIC else np.linalg.norm(direction)
    _close(scale, 1.0)
    assert float(estimate) <= np.linalg.eigvalsh(matrix)[-1] * (1 + 1e-12)


@pytest.mark.parametrize("kernels", [GENERIC, NUMPY], ids=["generic", "numpy"])
def test_power_estimate_of_a_zero_curvature_is_zero_and_keeps_the_vector(kernels):
    """A batch of zeros: no NaN enters the estimate or the next warm start."""
    start = np.linspace(1.0, 2.0, 5)
    estimate, direction = kernels.power_estimate(lambda v: 0.0 * v, start)
    assert float(estimate) == 0.0
    np.testing.assert_array_equal(direction, start)


@pytest.mark.parametrize("kernels", [GENERIC, NUMPY], ids=["generic", "numpy"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_power_estimate_does_not_square_the_image(kernels, dtype):
    """A curvature whose image's squares overflow, but not the image itself:
    the estimate is its top eigenvalue, as numpy's eigvalsh finds in float64."""
    scale = np.sqrt(np.finfo(dtype).max)  # 1.8e19 in float32, 1.3e154 in float64
    matrix = np.diag([3.0, 2.0, 1.0, 0.5]) * scale
    start = np.ones(4, dtype=dtype)
    estimate = start
    # Under the fit's errstate: the NumPy kernels try the length first.
    with np.errstate(over="ignore"):
        for _ in range(30):  # 30 warm-started calls of two iterations
            estimate, start = kernels.power_estimate(
                lambda v: (matrix @ v.astype(np.float64)).astype(dtype), start
            )
    assert np.isfinite(float(estimate))
    top = np.linalg.eigvalsh(matrix)[-1]
    assert abs(float(estimate) / top - 1.0) < 1e-5


@pytest.mark.parametrize("kernels", [GENERIC, NUMPY], ids=["generic", "numpy"])
def test_power_estimate_of_an_overflowing_curvature_is_not_finite(kernels):
    """An overflow must show, for the epoch's check, not pass as a small tau."""
    with np.errstate(over="ignore", invalid="ignore"):
        estimate, _ = kernels.power_estimate(lambda v: 1e300 * v, np.full(4, 1e10))
    assert not np.isfinite(float(estimate))


def test_output_prox_iterations_reach_the_minimiser_from_anywhere():
    """Every entry of the prox lies within 1 / rho of V: ceil(1 / (rho cap))
    capped steps can get there, and two more converge. Rows as wrong as
    they can be, at several rho."""
    for rho in (1.0, 0.3, 0.1, 0.03):
        v = np.array([[-30.0, 30.0, 0.0], [30.0, -30.0, 5.0], [0.0, 0.0, 0.0]])
        y = np.eye(3)[[0, 0, 2]]
        _, _, residual = NUMPY.output_step(SoftmaxCrossEntropy(), v, y, rho)
        assert residual < PROX_RESIDUAL_TOLERANCE, rho
        binary = np.array([[-40.0], [40.0], [3.0]])
        _, _, residual = NUMPY.output_step(
            LogisticLoss(), binary, np.array([[1.0], [0.0], [1.0]]), rho
        )
        assert residual < PROX_RESIDUAL_TOLERANCE, rho
    for rho in (1.0, 0.1, 0.03):
        needed = np.ceil(1 / (rho * OUTPUT_PROX_STEP_CAP))
        assert output_prox_iterations(rho) > needed


@pytest.mark.parametrize("kernels", [GENERIC, NUMPY], ids=["generic", "numpy"])
def test_fixed_count_softmax_prox_is_the_minimiser_scipy_finds(kernels):
    """Row by row, from the lifted start: scipy's Newton-CG, with the exact
    Hessian and a line search, on the row objective, against the fixed count."""
    v, y = _logits(_rng(), n_rows=60)
    losses, z, residual = kernels.output_step(SoftmaxCrossEntropy(), v, y, RHO)
    _close(losses, logsumexp(v, axis=1) - np.sum(y * v, axis=1))
    assert residual < PROX_RESIDUAL_TOLERANCE
    for row in range(len(v)):
        centre, target = v[row], y[row]

        def objective(zr, centre=centre, target=target):
            shift = zr - centre
            value = -np.sum(target * log_softmax(zr)) + 0.5 * RHO * shift @ shift
            gradient = np.exp(log_softmax(zr)) - target + RHO * shift
            return value, gradient

        def hessian(zr):
            p = np.exp(log_softmax(zr))
            return np.diag(p + RHO) - np.outer(p, p)

        best = minimize(
            objective,
            centre,
            jac=True,
            hess=hessian,
            method="Newton-CG",
            options={"xtol": 1e-13},
        ).x
        # Newton-CG stops near a gradient of 1e-8; three dense Newton steps
        # take its result to rounding.
        for _ in range(3):
            best = best - np.linalg.solve(hessian(best), objective(best)[1])
        assert np.max(np.abs(objective(best)[1])) < 1e-14
        # The objective is rho-strongly convex: |z - z*| <= |grad(z)| / rho.
        assert np.linalg.norm(z[row] - best) <= PROX_RESIDUAL_TOLERANCE / RHO
        np.testing.assert_allclose(
            z[row], best, atol=np.linalg.norm(objective(z[row])[1]) / RHO + 1e-13
        )


def test_fixed_count_output_prox_is_within_tolerance_of_the_solve_to_tolerance():
    """Against the full-batch prox, Newton with a line search to a gradient
    tolerance of 1e-10, on the same rows."""
    v, y = _logits(_rng(2), n_rows=500)
    for loss, targets in (
        (SoftmaxCrossEntropy(), y),
        (LogisticLoss(), (_rng(3).rand(*v.shape) < 0.5).astype(float)),
    ):
        solved, _ = loss.prox(xp, v, targets, RHO, v, 1e-10)
        _, fixed, residual = NUMPY.output_step(loss, v, targets, RHO)
        assert residual < PROX_RESIDUAL_TOLERANCE
        assert np.max(np.abs(fixed - solved)) <= PROX_RESIDUAL_TOLERANCE / RHO


def test_fixed_count_logistic_prox_is_the_minimiser_scipy_finds():
    v = np.linspace(-30, 30, 41)[:, None] * np.ones((1, 2))
    y = np.zeros_like(v)
    y[::2, 0] = 1.0
    y[1::3, 1] = 1.0
    _, z, _ = NUMPY.output_step(LogisticLoss(), v, y, RHO)
    for (i, j), centre in np.ndenumerate(v):

        def objective(t, i=i, j=j, centre=centre):
            return np.logaddexp(0.0, t) - y[i, j] * t + 0.5 * RHO * (t - centre) ** 2

        best = minimize_scalar(
            objective, bracket=(centre - 20, centre + 20), tol=1e-14
        ).x
        assert abs(z[i, j] - best) < 1e-6, (centre, y[i, j])
    # And the loss it reports is the logistic loss at V.
    losses, _, _ = NUMPY.output_step(LogisticLoss(), v, y, RHO)
    _close(losses, np.sum(np.logaddexp(0.0, v) - y * v, axis=1))
    _close(expit(0.0), 0.5)


def _global_minimiser(activation, w, a, rho, gamma):
    """The elementwise penalty prox by brute force: a dense grid over a wide
    interval, refined by a bounded scalar search in the best cell."""
    grid = np.linspace(min(w, -30.0) - 5, max(w, 30.0) + 5, 20001)

    def phi(z):
        return (
            0.5 * rho * (z - w) ** 2
            + 0.5 * gamma * (a - activation(xp, np.asarray(z))) ** 2
        )

    values = phi(grid)
    best = int(np.argmin(values))
    low, high = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    return minimize_scalar(
        phi, bounds=(low, high), method="bounded", options={"xatol": 1e-13}
    ).x


@pytest.mark.parametrize("name", ["tanh", "logistic", "elu", "softplus"])
@pytest.mark.parametrize("gamma, spread", [(GAMMA, 0.3), (1.0, 0.5)])
def test_fixed_count_hidden_prox_is_the_global_minimiser(name, gamma, spread):
    """At the defaults, from the lifted start: ``w`` is a pre-activation and
    ``a`` its activation moved as an A step moves it. Then at a tenfold
    penalty on the activation, where ``phi`` has two local minima for
    saturated units and the two starts must find the lower."""
    rng = _rng()
    activation = Activation(name)
    w = 3.0 * rng.randn(80)
    a = activation(xp, w) + spread * rng.randn(80)
    z, residual = NUMPY.penalty_prox(
        activation, w, a, RHO, gamma, HIDDEN_PROX_ITERATIONS
    )
    assert residual < PROX_RESIDUAL_TOLERANCE

    def phi(value, index):
        return (
            0.5 * RHO * (value - w[index]) ** 2
            + 0.5 * gamma * (a[index] - activation(xp, np.asarray(value))) ** 2
        )

    for index in range(len(w)):
        best = _global_minimiser(activation, w[index], a[index], RHO, gamma)
        # The lowest objective, in the right basin; where phi is nearly flat
        # at its minimum, z itself is determined only to about 1e-5.
        assert phi(z[index], index) <= phi(best, index) + 1e-10, index
        assert abs(z[index] - best) < 1e-4, (w[index], a[index])


def _relu_step(kernels, inertia=(0.0, 0.0, 0.0), **options):
    """A mini-batch step of a relu network with the squared loss, at the
    default penalties and no weight decay; ``options`` go to the step."""
    from sktiam._minibatch import MiniBatchStep

    return MiniBatchStep(
        xp,
        Activation("relu"),
        SquaredLoss(),
        RHO,
        GAMMA,
        0.0,
        inertia,
        kernels,
        **options,
    )


def _activation_problem(seed=0, rows=12, width=9, following=4):
    """A random A_l subproblem: W', b', Z' of the next layer, the current A
    and its anchor sigma(Z_l)."""
    rng = _rng(seed)
    return dict(
        weights=rng.randn(width, following),
        bias=rng.randn(following),
        target=rng.randn(rows, following),
        current=rng.randn(rows, width),
        anchor=rng.randn(rows, width),
    )


@pytest.mark.parametrize("kernels", [GENERIC, NUMPY], ids=["generic", "numpy"])
@pytest.mark.parametrize("activation_step", ["exact", "cg"])
def test_activation_step_is_the_least_squares_solution(kernels, activation_step):
    """The A subproblem, ``(rho/2)||Z' - A W' - b'||^2 + (gamma/2)||A - S||^2``
    per row, is the least-squares problem ``[sqrt(rho) W'^T; sqrt(gamma) I] a
    = [sqrt(rho)(z' - b'); sqrt(gamma) s]``: scipy's lstsq against the exact
    step, and against CG run for as many iterations as the layer is wide."""
    from scipy.linalg import lstsq

    from sktiam._minibatch import Parameters

    problem = _activation_problem()
    width = problem["weights"].shape[0]
    step = _relu_step(kernels, activation_step=activation_step, cg_iterations=width)
    parameters = Parameters(
        (np.zeros((3, width)), problem["weights"]),
        (np.zeros(width), problem["bias"]),
        (),
        (),
    )
    residual = problem["current"] @ problem["weights"] + problem["bias"]
    residual -= problem["target"]
    new, _, _ = step.update_activation(
        parameters, 0, problem["current"], residual, problem["anchor"], 1.0, None
    )
    system = np.vstack(
        [np.sqrt(RHO) * problem["weights"].T, np.sqrt(GAMMA) * np.eye(width)]
    )
    right = np.hstack(
        [
            np.sqrt(RHO) * (problem["target"] - problem["bias"]),
            np.sqrt(GAMMA) * problem["anchor"],
        ]
    )
    expected = lstsq(system, right.T)[0].T
    np.testing.assert_allclose(new, expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("kernels", [GENERIC, NUMPY], ids=["generic", "numpy"])
@pytest.mark.parametrize("rows", [7, 15], ids=["rows < columns", "rows > columns"])
@pytest.mark.parametrize("weighted", [False, True], ids=["equal", "weighted"])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_proximal_weight_step_is_the_least_squares_solution(
    kernels, rows, weighted, sparse
):
    """With the centre and the gradient point equal, ``alpha = 0`` and no
    third inertia, ``weight_step="proximal"``'s ``W`` minimises
    ``(rho/2) sum_i s_i ||A_i W + b - Z_i||^2 + (mu/2) ||W - C||^2``, the
    least-squares problem ``[sqrt(rho s_i) A_i; sqrt(mu) I] W = [sqrt(rho
    s_i) (Z_i - b); sqrt(mu) C]``: scipy's lstsq against the step, in both
    of the spaces it solves in (a layer of 11 inputs, batches of 7 and 15
    rows), with equal and unequal weights, and with sparse inputs."""
    import scipy.sparse
    from scipy.linalg import lstsq

    from sktiam._minibatch import PROXIMAL_WEIGHT_FRACTION, Rows

    rng = _rng(5)
    columns, outputs, tau = 11, 4, 2.5
    inputs = rng.randn(rows, columns)
    inputs[inputs < 0.3] = 0.0  # sparse enough to be stored so
    centre, bias = rng.randn(columns, outputs), rng.randn(outputs)
    target = rng.randn(rows, outputs)
    weights = rng.uniform(0.2, 2.0, rows) if weighted else np.ones(rows)
    weights /= weights.sum()
    step = _relu_step(kernels, (0.6, 0.6, 0.0), weight_step="proximal")
    batch = Rows(
        scipy.sparse.csr_matrix(inputs) if sparse else inputs,
        target,
        weights[:, None] if weighted else None,
    )
    residual = inputs @ centre + bias - target
    new = step.proximal_weights(
        centre - 1.0, centre, centre, batch.inputs, residual, batch, 0.0, tau
    )
    mu = PROXIMAL_WEIGHT_FRACTION * tau
    root = np.sqrt(RHO * weights)[:, None]
    system = np.vstack([root * inputs, np.sqrt(mu) * np.eye(columns)])
    right = np.vstack([root * (target - bias), np.sqrt(mu) * centre])
    np.testing.assert_allclose(new, lstsq(system, right)[0], rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("rows", [7, 15], ids=["rows < columns", "rows > columns"])
def test_proximal_weight_step_with_decay_and_three_inertias(rows):
    """With a gradient point apart from the centre, a weight decay and a
    third inertia, the step is docs/algorithm.md's formula, ``W+ = C - (rho
    A^T S A + mu I)^-1 rho A^T S R(P) - (alpha/tau) P`` and ``W+ + p3 (W+ -
    W)``, computed here with an explicit inverse."""
    from sktiam._minibatch import PROXIMAL_WEIGHT_FRACTION, Rows

    rng = _rng(6)
    columns, outputs, tau, alpha, p3 = 11, 4, 2.5, 0.3, 0.2
    inputs = rng.randn(rows, columns)
    coef, centre, point = (rng.randn(columns, outputs) for _ in range(3))
    bias, target = rng.randn(outputs), rng.randn(rows, outputs)
    step = _relu_step(NUMPY, (0.6, 0.3, p3), weight_step="proximal")
    residual = inputs @ point + bias - target
    new = step.proximal_weights(
        coef, centre, point, inputs, residual, Rows(inputs, target, None), alpha, tau
    )
    mu = PROXIMAL_WEIGHT_FRACTION * tau
    curvature = (RHO / rows) * inputs.T @ inputs + mu * np.eye(columns)
    plus = centre - np.linalg.inv(curvature) @ ((RHO / rows) * inputs.T @ residual)
    plus -= (alpha / tau) * point
    np.testing.assert_allclose(new, plus + p3 * (plus - coef), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("kernels", [GENERIC, NUMPY], ids=["generic", "numpy"])
def test_conjugate_gradient_lowers_its_objective_at_every_iteration(kernels):
    """Row by row, CG minimises q(x) = x M x^T / 2 - g x^T over Krylov spaces
    that grow with each iteration: q falls at every iteration (the residual's
    norm need not), and at as many iterations as M is wide the residual is
    below 1e-10."""
    rng = _rng(4)
    # The A step's matrix: W' W'^T + (gamma / rho) I.
    following = rng.randn(12, 8)
    matrix = following @ following.T + (GAMMA / RHO) * np.eye(12)
    rows = rng.randn(5, 12)

    def objective(x):
        return 0.5 * np.sum((x @ matrix) * x, axis=1) - np.sum(rows * x, axis=1)

    previous = objective(np.zeros_like(rows))
    for iterations in range(1, 13):
        solution = kernels.conjugate_gradient(matrix, rows, iterations)
        value = objective(solution)
        assert np.all(value < previous + 1e-12), iterations
        previous = value
    assert np.max(np.abs(solution @ matrix - rows)) < 1e-10


@pytest.mark.parametrize("kernels", [ArrayKernels(xp), NumpyKernels(xp)])
def test_a_solve_with_an_overflowed_or_indefinite_matrix_gives_nan(kernels):
    """An overflow upstream reaches a solve as a non-finite entry, or, at
    scales near it, as a matrix that rounding left indefinite. The solve
    gives NaN for every entry, which the epoch's finiteness check reports,
    and not LAPACK's numbers or its error; a positive definite matrix gives
    the solution."""
    rows = np.arange(6.0).reshape(2, 3)
    matrix = np.array([[4.0, 1.0, 0.0], [1.0, 3.0, 0.5], [0.0, 0.5, 2.0]])
    np.testing.assert_allclose(
        kernels.solve(matrix, rows), np.linalg.solve(matrix, rows.T).T
    )
    overflowed = matrix.copy()
    overflowed[0, 0] = np.inf
    assert np.all(np.isnan(kernels.solve(overflowed, rows)))
    if isinstance(kernels, NumpyKernels):
        indefinite = matrix - 5.0 * np.eye(3)
        assert np.all(np.isnan(kernels.solve(indefinite, rows)))
