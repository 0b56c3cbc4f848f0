"""Tests of the activations and their interval preimages."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, special

from sktiam._activations import (
    ACTIVATIONS,
    NON_MONOTONE_ACTIVATIONS,
    PENALTY_PROX_MAX_ITER,
    Activation,
)

# The range (inf sigma, sup sigma) of each activation, written out here
# independently of the module under test.
RANGES = {
    "relu": (0.0, np.inf),
    "leaky_relu": (-np.inf, np.inf),
    "elu": (-1.0, np.inf),
    "softplus": (0.0, np.inf),
    "tanh": (-1.0, 1.0),
    "logistic": (0.0, 1.0),
    "identity": (-np.inf, np.inf),
}

# Textbook formulas, written differently from the implementation.
REFERENCE = {
    "relu": lambda z: (z + np.abs(z)) / 2,
    "leaky_relu": lambda z: 0.55 * z + 0.45 * np.abs(z),
    "elu": lambda z: np.where(z > 0, z, np.exp(np.minimum(z, 0.0)) - 1.0),
    "softplus": lambda z: np.where(
        z > 30, z + np.log1p(np.exp(-np.abs(z))), np.log1p(np.exp(np.minimum(z, 30)))
    ),
    "tanh": lambda z: special.expit(2 * z) * 2 - 1,
    "logistic": special.expit,
    "identity": lambda z: 1.0 * z,
}


def _interval(centre, half_width):
    lo, hi = centre - half_width, centre + half_width
    return np.array([lo]), np.array([hi])


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_matches_reference(name):
    z = np.linspace(-30, 30, 1001)
    sigma = Activation(name, negative_slope=0.1)
    np.testing.assert_allclose(
        sigma(np, z), REFERENCE[name](z), rtol=1e-12, atol=1e-300
    )


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_is_monotone(name):
    z = np.linspace(-50, 50, 20001)
    values = Activation(name, negative_slope=0.1)(np, z)
    assert np.all(np.diff(values) >= 0)


# Interval centres drawn over and beyond each range, including the saturated
# ends of tanh and logistic (centres within 1e-12 of +-1, 0 and 1).
centres = st.one_of(
    st.floats(-20, 20),
    st.sampled_from([-1.0, 0.0, 1.0]).flatmap(
        lambda edge: st.floats(-1e-12, 1e-12).map(lambda d: edge + d)
    ),
)
half_widths = st.one_of(st.floats(1e-12, 1e-6), st.floats(1e-6, 5.0))


@pytest.mark.parametrize("name", ACTIVATIONS)
@settings(max_examples=300, deadline=None)
@given(centre=centres, half_width=half_widths)
def test_preimage_maps_back_into_interval(name, centre, half_width):
    """Every z of the box has sigma(z) in [lo, hi] (up to rounding of sigma)."""
    inf_sigma, sup_sigma = RANGES[name]
    lo, hi = _interval(centre, half_width)
    if hi[0] <= inf_sigma or lo[0] >= sup_sigma:
        return  # the interval misses the range: no preimage to speak of
    sigma = Activation(name, negative_slope=0.1)
    z_lo, z_hi = sigma.preimage(np, lo, hi)
    assert z_lo[0] <= z_hi[0]
    # Sample the box; an infinite side is sampled 60 units deep.
    if np.isfinite(z_lo[0]) and np.isfinite(z_hi[0]):
        z = np.linspace(z_lo[0], z_hi[0], 101)
    elif np.isfinite(z_lo[0]):
        z = np.linspace(z_lo[0], z_lo[0] + 60.0, 101)
    elif np.isfinite(z_hi[0]):
        z = np.linspace(z_hi[0] - 60.0, z_hi[0], 101)
    else:
        z = np.linspace(-60.0, 60.0, 101)
    values = REFERENCE[name](z)
    tolerance = 8 * np.finfo(float).eps * (1.0 + np.abs(values))
    assert np.all(values >= lo[0] - tolerance)
    assert np.all(values <= hi[0] + tolerance)
    # Infinite edges only where the interval reaches past the range.
    if np.isneginf(z_lo[0]):
        assert lo[0] <= inf_sigma
    if np.isposinf(z_hi[0]):
        assert hi[0] >= sup_sigma


@pytest.mark.parametrize("name", ACTIVATIONS)
@settings(max_examples=200, deadline=None)
@given(centre=st.floats(-3, 3), half_width=st.floats(1e-3, 2.0))
def test_preimage_is_the_whole_preimage(name, centre, half_width):
    """Brute force: every grid point whose output lies in [lo, hi] is in the box."""
    lo, hi = _interval(centre, half_width)
    sigma = Activation(name, negative_slope=0.1)
    z_lo, z_hi = sigma.preimage(np, lo, hi)
    z = np.linspace(-40, 40, 40001)
    values = REFERENCE[name](z)
    margin = 1e-9 * (1.0 + np.abs(values))
    inside = (values >= lo[0] + margin) & (values <= hi[0] - margin)
    assert np.all(z[inside] >= z_lo[0] - 1e-9)
    assert np.all(z[inside] <= z_hi[0] + 1e-9)


@pytest.mark.parametrize(
    "name, lo, hi",
    [
        ("tanh", [1 - 1e-15, -1 + 1e-15], [1 - 1e-16, -1 + 2e-15]),
        ("logistic", [1 - 1e-15, 1e-300], [1 - 1e-16, 2e-300]),
    ],
)
def test_saturated_preimage_is_finite_and_ordered(name, lo, hi):
    """Intervals deep in a saturated end still give finite, ordered edges."""
    lo, hi = np.array(lo), np.array(hi)
    z_lo, z_hi = Activation(name).preimage(np, lo, hi)
    assert np.all(np.isfinite(z_lo)) and np.all(np.isfinite(z_hi))
    assert np.all(z_lo <= z_hi)
    assert np.all(np.abs(z_lo) > 15)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_preimage_keeps_float32(name):
    lo = np.array([0.1, 0.5], dtype=np.float32)
    z_lo, z_hi = Activation(name, 0.1).preimage(np, lo, lo + np.float32(0.2))
    assert z_lo.dtype == np.float32 and z_hi.dtype == np.float32


@pytest.mark.parametrize("name", NON_MONOTONE_ACTIVATIONS)
def test_non_monotone_activation_is_rejected(name):
    with pytest.raises(ValueError, match="not monotone"):
        Activation(name)


def test_unknown_activation_is_rejected():
    with pytest.raises(ValueError, match="Unknown activation 'cube'"):
        Activation("cube")


def test_leaky_relu_with_zero_slope_is_relu():
    z = np.linspace(-2, 2, 9)
    np.testing.assert_array_equal(
        Activation("leaky_relu", 0.0)(np, z), np.maximum(z, 0)
    )


@pytest.mark.parametrize(
    "name, low, high",
    [
        ("elu", -1.0, np.inf),
        ("softplus", 0.0, np.inf),
        ("tanh", -1.0, 1.0),
        ("logistic", 0.0, 1.0),
        ("leaky_relu", -np.inf, np.inf),
        ("identity", -np.inf, np.inf),
    ],
)
@settings(max_examples=50, deadline=None)
@given(z=st.floats(-30, 30), epsilon=st.floats(1e-3, 100.0))
def test_activation_box_holds_sigma_and_stays_in_the_range(name, low, high, z, epsilon):
    """The A box is [sigma(z) - eps, sigma(z) + eps] cut to [inf sigma, sup sigma]
    where the range is open, the ranges written out here by hand."""
    activation = Activation(name, 0.1)
    activated = activation(np, np.array([z]))
    lower, upper = activation.activation_box(np, activated, epsilon)
    assert activation.range == (
        None if np.isinf(low) else low,
        None if np.isinf(high) else high,
    )
    np.testing.assert_allclose(lower, np.maximum(activated - epsilon, low))
    np.testing.assert_allclose(upper, np.minimum(activated + epsilon, high))
    assert lower[0] <= activated[0] <= upper[0]


def test_relu_activation_box_is_not_cut():
    """relu's range is closed at 0, whose preimage is finite: no cut."""
    activated = np.array([0.0, 0.5])
    lower, upper = Activation("relu").activation_box(np, activated, 1.0)
    np.testing.assert_array_equal(lower, [-1.0, -0.5])
    np.testing.assert_array_equal(upper, [1.0, 1.5])


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_band_preimage_equals_the_preimage_of_the_band(name):
    """The in-place path for relu gives exactly the general formula's box."""
    rng = np.random.RandomState(0)
    activations = np.concatenate(
        [rng.uniform(-0.5, 1.5, 200), [0.0, -0.0, 0.3, 0.29, 0.31, -0.3]]
    ).reshape(-1, 2)
    if name in ("tanh", "logistic"):
        activations = np.clip(activations, 0.01, 0.99)
    activation = Activation(name, 0.1)
    given = activations.copy()
    z_lo, z_hi = activation.band_preimage(np, activations, 0.3)
    expected_lo, expected_hi = activation.preimage(
        np, activations - 0.3, activations + 0.3
    )
    np.testing.assert_array_equal(z_lo, expected_lo)
    np.testing.assert_array_equal(z_hi, expected_hi)
    np.testing.assert_array_equal(activations, given)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_apply_into_equals_the_activation(name):
    z = np.random.RandomState(1).randn(40, 3) * 4
    activation = Activation(name, 0.1)
    expected = REFERENCE[name](z)
    np.testing.assert_allclose(activation.apply_into(np, z.copy()), expected)
    np.testing.assert_array_equal(
        activation.apply_into(np, z.copy()), activation(np, z)
    )


def _brute_force_penalty_prox(sigma, w, a, rho, gamma):
    """Global minimiser of (rho/2)(z - w)^2 + (gamma/2)(a - sigma(z))^2 by search.

    A grid of 400,001 points over [-40, 40] (every minimiser lies between w
    and the preimage of a, within (gamma/rho)|a - sigma(w)| of w) finds the
    basin; scipy's bounded scalar minimiser refines it within the two cells
    around the best grid point.
    """

    def phi(z):
        return 0.5 * rho * (z - w) ** 2 + 0.5 * gamma * (a - sigma(z)) ** 2

    grid = np.linspace(-40.0, 40.0, 400_001)
    j = int(np.argmin(phi(grid)))
    lower, upper = grid[max(j - 1, 0)], grid[min(j + 1, grid.size - 1)]
    result = optimize.minimize_scalar(
        lambda z: float(phi(np.asarray(z))),
        bounds=(lower, upper),
        method="bounded",
        options={"xatol": 1e-12},
    )
    best = result.x if result.fun <= phi(grid[j]) else grid[j]
    return float(best), float(phi(np.asarray(best))), phi


# Cases per activation: ordinary ones, both relu branches, and targets at or
# beyond the edges of a bounded range (saturated units).
PENALTY_CASES = [
    # (w, a, rho, gamma)
    (0.7, 0.2, 0.5, 0.5),
    (-1.5, 0.8, 0.3, 2.0),
    (2.0, -0.5, 1.0, 0.1),
    (-3.0, 1.0, 0.1, 1.0),
    (4.0, -1.0, 0.2, 3.0),
    (-0.4, -0.2, 2.0, 0.5),
    (6.0, 1.3, 0.1, 10.0),
    (-6.0, -1.4, 0.1, 10.0),
    (0.0, 0.0, 1.0, 1.0),
    (-2.5, 0.999, 0.05, 5.0),
    (1.2, 0.0001, 0.3, 4.0),
]


@pytest.mark.parametrize("name", ACTIVATIONS)
@pytest.mark.parametrize("case", PENALTY_CASES)
def test_penalty_prox_is_the_global_minimiser(name, case):
    """The Z step of the penalty relaxation equals a brute-force minimiser."""
    w, a, rho, gamma = case
    activation = Activation(name, 0.3)
    reference = REFERENCE[name] if name != "leaky_relu" else None

    def sigma(z):
        if reference is not None:
            return reference(z)
        return np.where(z >= 0, z, 0.3 * z)

    z, _ = activation.penalty_prox(np, np.array([w]), np.array([a]), rho, gamma)
    best, best_value, phi = _brute_force_penalty_prox(sigma, w, a, rho, gamma)
    value = float(phi(z[0]))
    assert value <= best_value + 1e-12 * (1.0 + abs(best_value))
    assert z[0] == pytest.approx(best, abs=1e-6)


def test_relu_penalty_prox_takes_both_branches():
    """Negative centres with a small target stay on the negative branch; a large
    target pulls them to the positive one."""
    activation = Activation("relu")
    w = np.array([-1.0, -1.0, 2.0, 2.0])
    a = np.array([0.1, 3.0, 0.5, -1.0])
    z, _ = activation.penalty_prox(np, w, a, 1.0, 1.0)
    # Branch z <= 0: the minimiser is min(w, 0); branch z >= 0: max(mean, 0).
    np.testing.assert_allclose(z, [-1.0, 1.0, 1.25, 0.5])
    assert z[0] < 0 < z[1]


@pytest.mark.parametrize("name", ["tanh", "logistic", "softplus", "elu"])
def test_smooth_penalty_prox_converges_to_a_stationary_point(name):
    """On many random entries at once, the Newton solve stops at phi' = 0 to
    rounding, well before its iteration limit, and beats every grid point."""
    rng = np.random.RandomState(7)
    activation = Activation(name)
    w = 3.0 * rng.randn(2000)
    a = activation(np, 3.0 * rng.randn(2000)) + 0.5 * rng.randn(2000)
    rho, gamma = 0.3, 2.0
    z, n_iter = activation.penalty_prox(np, w, a, rho, gamma)
    assert n_iter < PENALTY_PROX_MAX_ITER
    reference = REFERENCE[name]
    h = 1e-6
    derivative = (reference(z + h) - reference(z - h)) / (2 * h)
    gradient = rho * (z - w) + gamma * (reference(z) - a) * derivative
    assert np.max(np.abs(gradient)) < 1e-6

    def phi(zz):
        return 0.5 * rho * (zz - w) ** 2 + 0.5 * gamma * (a - reference(zz)) ** 2

    grid = np.linspace(-25, 25, 5001)[:, None]
    assert np.all(phi(z) <= phi(grid).min(axis=0) + 1e-12)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_penalty_prox_keeps_float32(name):
    activation = Activation(name)
    w = np.linspace(-3, 3, 7, dtype=np.float32)
    z, _ = activation.penalty_prox(np, w, 0.5 * w, 0.5, 1.0)
    assert z.dtype == np.float32
