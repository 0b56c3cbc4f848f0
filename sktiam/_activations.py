"""Monotone activations, their interval preimages and their penalty prox.

Each activation supplies ``sigma`` and what the two relaxations of
docs/algorithm.md need from it:

- the box relaxation: the map from an output interval ``[lo, hi]`` to the
  input interval ``{z : lo <= sigma(z) <= hi}``. For a non-decreasing
  ``sigma`` that set is a box, so the constrained step is a clip;
- the penalty relaxation: the elementwise minimiser of
  ``(rho/2)(z - w)^2 + (gamma/2)(a - sigma(z))^2``
  (:meth:`Activation.penalty_prox`), in closed form for the piecewise linear
  activations and by a bracketed, safeguarded Newton solve for the others.

Every function takes the array namespace ``xp`` as its first argument and
never imports an array library itself.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ._backend import clip_into

Array = Any


def device_of(array: Array) -> Any:
    """Return the device of ``array``, for creating new arrays beside it.

    The array API standard spells it ``array.device``; NumPy arrays before
    NumPy 2 and CuPy's lack that attribute, and get None (the default device).
    """
    return getattr(array, "device", None)


def _relu(xp: Any, z: Array, slope: float) -> Array:
    return xp.maximum(z, 0.0)


def _relu_inverse(xp: Any, y: Array, slope: float) -> Array:
    # On [0, inf) the largest z with relu(z) <= y is y itself.
    return xp.maximum(y, 0.0)


def _leaky_relu(xp: Any, z: Array, slope: float) -> Array:
    return xp.where(z >= 0, z, slope * z)


def _leaky_relu_inverse(xp: Any, y: Array, slope: float) -> Array:
    return xp.where(y >= 0, y, y / slope)


def _elu(xp: Any, z: Array, slope: float) -> Array:
    return xp.where(z > 0, z, xp.expm1(xp.minimum(z, 0.0)))


def _elu_inverse(xp: Any, y: Array, slope: float) -> Array:
    return xp.where(y > 0, y, xp.log1p(xp.minimum(y, 0.0)))


def _softplus(xp: Any, z: Array, slope: float) -> Array:
    return xp.logaddexp(xp.zeros_like(z), z)


def _softplus_inverse(xp: Any, y: Array, slope: float) -> Array:
    # log(exp(y) - 1) written so that it neither overflows nor cancels.
    return y + xp.log(-xp.expm1(-y))


def _tanh(xp: Any, z: Array, slope: float) -> Array:
    return xp.tanh(z)


def _tanh_inverse(xp: Any, y: Array, slope: float) -> Array:
    return xp.atanh(y)


def logistic(xp: Any, z: Array) -> Array:
    """Return ``1 / (1 + exp(-z))`` without overflow.

    Written as ``exp(-log(1 + exp(-z)))``, it keeps full relative precision
    for very negative ``z``.
    """
    return xp.exp(-xp.logaddexp(xp.zeros_like(z), -z))


def _logistic(xp: Any, z: Array, slope: float) -> Array:
    return logistic(xp, z)


def _logistic_inverse(xp: Any, y: Array, slope: float) -> Array:
    return xp.log(y) - xp.log1p(-y)


def _identity(xp: Any, z: Array, slope: float) -> Array:
    return z


def _identity_inverse(xp: Any, y: Array, slope: float) -> Array:
    return y


# The first and second derivatives of the smooth activations, for the Newton
# solve of the penalty prox. Each returns ``(sigma(z), sigma'(z), sigma''(z))``.


def _tanh_derivatives(xp: Any, z: Array, slope: float) -> tuple[Array, Array, Array]:
    value = xp.tanh(z)
    first = 1.0 - value * value
    return value, first, -2.0 * value * first


def _logistic_derivatives(
    xp: Any, z: Array, slope: float
) -> tuple[Array, Array, Array]:
    value = logistic(xp, z)
    first = value * (1.0 - value)
    return value, first, first * (1.0 - 2.0 * value)


def _softplus_derivatives(
    xp: Any, z: Array, slope: float
) -> tuple[Array, Array, Array]:
    first = logistic(xp, z)
    return _softplus(xp, z, slope), first, first * (1.0 - first)


def _elu_derivatives(xp: Any, z: Array, slope: float) -> tuple[Array, Array, Array]:
    exponential = xp.exp(xp.minimum(z, 0.0))
    positive = z > 0
    value = xp.where(positive, z, exponential - 1.0)
    first = xp.where(positive, 1.0, exponential)
    second = xp.where(positive, 0.0, exponential)
    return value, first, second


@dataclass(frozen=True)
class _Spec:
    function: Callable[[Any, Array, float], Array]
    inverse: Callable[[Any, Array, float], Array]
    # The range of sigma is (lower, upper); None stands for an unbounded side.
    lower: float | None
    upper: float | None
    # Whether the inverse diverges at the range's edges, so that its argument
    # must be kept strictly inside the range.
    open_range: bool = True
    # Piecewise linear activations: the slopes for z < 0 and z >= 0 (the
    # negative one None when it is the ``negative_slope`` parameter). Their
    # penalty prox has a closed form; the others are smooth and supply their
    # derivatives, and bounds on sigma' and |sigma''| for the Newton solve.
    slopes: tuple[float | None, float] | None = None
    derivatives: Callable[[Any, Array, float], tuple[Array, Array, Array]] | None = None
    max_first: float = 1.0
    max_second: float = 0.0


_SPECS: dict[str, _Spec] = {
    "relu": _Spec(_relu, _relu_inverse, 0.0, None, open_range=False, slopes=(0.0, 1.0)),
    "leaky_relu": _Spec(
        _leaky_relu, _leaky_relu_inverse, None, None, slopes=(None, 1.0)
    ),
    "elu": _Spec(
        _elu, _elu_inverse, -1.0, None, derivatives=_elu_derivatives, max_second=1.0
    ),
    "softplus": _Spec(
        _softplus,
        _softplus_inverse,
        0.0,
        None,
        derivatives=_softplus_derivatives,
        max_second=0.25,
    ),
    "tanh": _Spec(
        _tanh,
        _tanh_inverse,
        -1.0,
        1.0,
        derivatives=_tanh_derivatives,
        # max |tanh''| = 4 / (3 sqrt(3)), at tanh(z) = 1 / sqrt(3).
        max_second=4.0 / (3.0 * math.sqrt(3.0)),
    ),
    "logistic": _Spec(
        _logistic,
        _logistic_inverse,
        0.0,
        1.0,
        derivatives=_logistic_derivatives,
        max_first=0.25,
        # max |s(1 - s)(1 - 2s)| = sqrt(3) / 18, at s = (3 -+ sqrt(3)) / 6.
        max_second=math.sqrt(3.0) / 18.0,
    ),
    "identity": _Spec(_identity, _identity_inverse, None, None, slopes=(1.0, 1.0)),
}

#: Largest number of Newton iterations of the penalty prox of a smooth
#: activation; each one at least halves the bracket, so 100 always suffice.
PENALTY_PROX_MAX_ITER = 100
#: Newton iterations, from each of two starts, of the mini-batch penalty prox
#: of a smooth activation (:meth:`Activation.fixed_penalty_prox`). Chosen from
#: the largest ``|phi'|`` they leave on the benchmark's sets
#: (docs/algorithm.md, "Mini-batch TIAM").
HIDDEN_PROX_ITERATIONS = 6
#: Grid points per bracket that pick the basin of a non-convex penalty prox.
_GRID_POINTS = 17

#: Names of the supported monotone activations.
ACTIVATIONS: tuple[str, ...] = tuple(_SPECS)

#: Activations that are not monotone, so their preimage of an interval is not
#: an interval and the pre-activation step would not be a clip.
NON_MONOTONE_ACTIVATIONS: tuple[str, ...] = ("gelu", "silu", "swish", "mish")


class Activation:
    """A monotone non-decreasing activation ``sigma`` and its interval preimage.

    Parameters
    ----------
    name : str
        One of :data:`ACTIVATIONS`.
    negative_slope : float, default=0.3
        Slope of ``leaky_relu`` for negative inputs; ignored by the others.
        A slope of 0 makes ``leaky_relu`` a ``relu``.
    """

    def __init__(self, name: str, negative_slope: float = 0.3) -> None:
        if name in NON_MONOTONE_ACTIVATIONS:
            raise ValueError(
                f"activation={name!r} is not monotone, so TIAM's pre-activation "
                "step has no interval preimage to project onto. Use one of "
                f"{sorted(ACTIVATIONS)}."
            )
        if name not in _SPECS:
            raise ValueError(
                f"Unknown activation {name!r}. Use one of {sorted(ACTIVATIONS)}."
            )
        if name == "leaky_relu" and negative_slope == 0.0:
            name = "relu"
        self.name = name
        self.negative_slope = float(negative_slope)
        self._spec = _SPECS[name]

    def __call__(self, xp: Any, z: Array) -> Array:
        """Return ``sigma(z)`` elementwise."""
        return self._spec.function(xp, z, self.negative_slope)

    def apply_into(self, xp: Any, z: Array) -> Array:
        """Return ``sigma(z)``, overwriting ``z`` where the activation allows it.

        ``z`` must be an array the caller owns. relu is computed in place;
        the others return ``sigma(z)`` as :meth:`__call__` does.
        """
        if self.name == "relu":
            return clip_into(xp, z, 0.0, None)
        return self(xp, z)

    @property
    def range(self) -> tuple[float | None, float | None]:
        """The infimum and supremum of ``sigma``; None for an unbounded side."""
        return self._spec.lower, self._spec.upper

    @property
    def closed_range(self) -> tuple[float, float] | None:
        """The closed range of ``sigma`` that ``A`` is kept in, or None.

        ``(inf sigma, sup sigma)``, infinite on an unbounded side, for the
        activations whose range is open (elu, softplus, tanh, logistic):
        an ``A`` beyond it has no preimage, and the ``Z`` step would chase
        one to a saturated extreme. None for the ReLU family and identity,
        whose ``A`` is left free (:meth:`activation_box` says why).
        """
        spec = self._spec
        if not spec.open_range:
            return None
        lower = -math.inf if spec.lower is None else spec.lower
        upper = math.inf if spec.upper is None else spec.upper
        if lower == -math.inf and upper == math.inf:
            return None
        return lower, upper

    def activation_box(
        self, xp: Any, activated: Array, epsilon: float
    ) -> tuple[Array, Array]:
        """Return the box of ``A`` around ``sigma(Z)``.

        ``[sigma(Z) - eps, sigma(Z) + eps]``, intersected with the closed range
        ``[inf sigma, sup sigma]`` for the activations whose range is open
        (elu, softplus, tanh, logistic). There an ``A`` beyond the range, for
        instance ``A > 1`` for ``tanh``, has no preimage, and the preimage of
        the range's edge is infinite: the next ``Z`` step would send ``Z`` to
        a saturated extreme. For relu the nearest preimage of an ``A < 0`` is
        ``Z <= 0``, which is harmless, and the box is left as it is.
        """
        lower, upper = activated - epsilon, activated + epsilon
        if not self._spec.open_range:
            return lower, upper
        if self._spec.lower is not None:
            lower = xp.maximum(lower, self._spec.lower)
        if self._spec.upper is not None:
            upper = xp.minimum(upper, self._spec.upper)
        return lower, upper

    def preimage(self, xp: Any, lo: Array, hi: Array) -> tuple[Array, Array]:
        """Return the box ``[z_lo, z_hi]`` of inputs whose outputs lie in ``[lo, hi]``.

        For a non-decreasing ``sigma`` with range ``(inf sigma, sup sigma)``,
        ``z_lo`` is the smallest ``z`` with ``sigma(z) >= lo`` and ``z_hi`` the
        largest ``z`` with ``sigma(z) <= hi``, taken elementwise:

        - ``z_lo = -inf`` where ``lo <= inf sigma``,
        - ``z_hi = +inf`` where ``hi >= sup sigma``.

        Elsewhere the inverse is evaluated on the interval edge clipped to the
        open range of ``sigma``, which keeps both edges finite and ordered.

        Parameters
        ----------
        xp : namespace
            The array namespace.
        lo, hi : array
            Lower and upper edges of the output interval, with ``lo <= hi``.

        Returns
        -------
        z_lo, z_hi : array
            Edges of the input box, possibly infinite.
        """
        spec = self._spec
        lo_inside, hi_inside = lo, hi
        if spec.open_range:
            finfo = xp.finfo(lo.dtype)
            if spec.lower is not None:
                step = finfo.smallest_normal if spec.lower == 0.0 else finfo.eps
                lo_inside = xp.maximum(lo_inside, spec.lower + step)
                hi_inside = xp.maximum(hi_inside, spec.lower + step)
            if spec.upper is not None:
                ceiling = spec.upper - finfo.eps / 2
                lo_inside = xp.minimum(lo_inside, ceiling)
                hi_inside = xp.minimum(hi_inside, ceiling)
        z_lo = spec.inverse(xp, lo_inside, self.negative_slope)
        z_hi = spec.inverse(xp, hi_inside, self.negative_slope)
        if spec.lower is not None:
            z_lo = xp.where(lo <= spec.lower, -xp.inf, z_lo)
        if spec.upper is not None:
            z_hi = xp.where(hi >= spec.upper, xp.inf, z_hi)
        return z_lo, z_hi

    def band_preimage(
        self, xp: Any, activations: Array, epsilon: float
    ) -> tuple[Array, Array]:
        """Return :meth:`preimage` of the band ``[A - eps, A + eps]``.

        What the hidden pre-activation step projects onto. The two edges are
        new arrays, so for relu, the default, they are turned into the box
        in place, sparing the ``n x d`` temporaries of the general formula:
        ``z_lo = -inf`` where ``A - eps <= 0`` and ``A - eps`` elsewhere,
        ``z_hi = max(A + eps, 0)``. The values are those of :meth:`preimage`.
        """
        lo, hi = activations - epsilon, activations + epsilon
        if self.name != "relu":
            return self.preimage(xp, lo, hi)
        lo[lo <= 0.0] = -xp.inf
        return lo, clip_into(xp, hi, 0.0, None)

    def penalty_prox(
        self, xp: Any, centre: Array, target: Array, rho: float, gamma: float
    ) -> tuple[Array, int]:
        """Return the elementwise minimiser of the penalty relaxation's ``Z`` step.

        Solves, for every entry::

            z = argmin_z  (rho/2) (z - w)^2 + (gamma/2) (a - sigma(z))^2

        with ``w = centre`` and ``a = target``. relu, leaky_relu and identity
        are linear on each side of 0, so the minimiser is the better of the
        two branch minimisers, in closed form. The smooth activations are
        solved to a tolerance by :meth:`_smooth_penalty_prox`.

        Parameters
        ----------
        xp : namespace
            The array namespace.
        centre : array
            ``w``, where the coupling term is centred.
        target : array
            ``a``, the activations the penalty pulls ``sigma(z)`` towards.
        rho, gamma : float
            The coupling and activation penalties, both positive.

        Returns
        -------
        z : array
            A new array, the minimiser.
        n_iter : int
            Newton iterations taken: 0 for the closed forms.
        """
        slopes = self._spec.slopes
        if slopes is None:
            return self._smooth_penalty_prox(xp, centre, target, rho, gamma)
        negative = self.negative_slope if slopes[0] is None else slopes[0]
        return self._piecewise_linear_prox(xp, centre, target, rho, gamma, negative), 0

    @staticmethod
    def _piecewise_linear_prox(
        xp: Any, w: Array, a: Array, rho: float, gamma: float, slope: float
    ) -> Array:
        """The penalty prox of ``sigma(z) = z`` for ``z >= 0``, ``slope * z`` below.

        On ``z >= 0`` the objective is a quadratic with minimiser
        ``c = (rho w + gamma a) / (rho + gamma)``, on ``z <= 0`` one with
        minimiser ``(rho w + gamma slope a) / (rho + gamma slope^2)``; each is
        clipped to its half-line, and the one of lower objective is the
        global minimiser (ties go to ``z >= 0``).

        For relu (``slope = 0``) the comparison has a closed form. For
        ``w >= 0`` the positive branch always wins (its clipped minimiser is
        no worse than ``z = 0``, the best of the other). For ``w < 0`` the
        negative branch gives ``z = w`` at objective ``(gamma/2) a^2``, and
        the positive one ``(1/2) (rho gamma / (rho + gamma)) (a - w)^2`` when
        ``c > 0``: it wins exactly when ``a >= -k w`` with
        ``k = (sqrt(rho (rho + gamma)) + rho) / gamma``, which implies
        ``c > 0``.
        """
        positive = rho * w
        positive += gamma * a
        positive /= rho + gamma
        if slope == 1.0:
            return positive
        positive = clip_into(xp, positive, 0.0, None)
        if slope == 0.0:
            k = (math.sqrt(rho * (rho + gamma)) + rho) / gamma
            threshold = k * w
            threshold += a
            negative = (threshold < 0.0) & (w < 0.0)
            return xp.where(negative, w, positive)
        negative = rho * w
        negative += (gamma * slope) * a
        negative /= rho + gamma * slope * slope
        negative = clip_into(xp, negative, None, 0.0)
        # Twice the objective difference between the two branch minimisers.
        first, second = positive - w, negative - w
        difference = rho * (first * first - second * second)
        first, second = a - positive, a - slope * negative
        difference += gamma * (first * first - second * second)
        return xp.where(difference <= 0.0, positive, negative)

    def fixed_penalty_prox(
        self,
        xp: Any,
        centre: Array,
        target: Array,
        rho: float,
        gamma: float,
        iterations: int,
    ) -> tuple[Array, Array]:
        """Return :meth:`penalty_prox` in a fixed amount of work, and its residual.

        The mini-batch ``Z`` step: nothing is read back from the arrays, so
        the work cannot depend on a test of them. The piecewise linear
        activations have their closed form (residual 0). The smooth ones run
        ``iterations`` steps of the bracketed Newton solve of
        :meth:`_smooth_penalty_prox` twice, from its Gauss-Newton start and
        from the far end of its bracket, and keep the lower objective. The
        two starts find the lower basin where ``phi`` has two (saturated
        units); where it is convex they meet. The residual is the largest
        ``|phi'|`` at the result, a 0-d array.
        """
        slopes = self._spec.slopes
        if slopes is not None:
            negative = self.negative_slope if slopes[0] is None else slopes[0]
            solution = self._piecewise_linear_prox(
                xp, centre, target, rho, gamma, negative
            )
            return solution, xp.zeros((), dtype=centre.dtype, device=device_of(centre))
        problem = _PenaltyProblem(self, xp, centre, target, rho, gamma)
        start, far, lower, upper, _ = self._bracket(xp, centre, target, rho, gamma)
        z = problem.fixed_newton(start, lower, upper, iterations)
        other = problem.fixed_newton(far, lower, upper, iterations)
        lower_objective = problem.twice_objective(other) < problem.twice_objective(z)
        z = xp.where(lower_objective, other, z)
        _, gradient, _ = problem.terms(z)
        return z, xp.max(xp.abs(gradient))

    def _bracket(
        self, xp: Any, w: Array, a: Array, rho: float, gamma: float
    ) -> tuple[Array, Array, Array, Array, Array]:
        """Return the Gauss-Newton start, the bracket's far end, the bracket, the gap.

        Every minimiser of ``phi(z) = (rho/2)(z - w)^2 + (gamma/2)(sigma(z) -
        a)^2`` lies between ``w`` and the preimage ``z*`` of ``a`` (past
        either, both terms grow), and within
        ``(gamma/rho) |a - sigma(w)| max sigma'`` of ``w`` (where
        ``phi' = 0``, ``rho |z - w| = gamma |sigma(z) - a| sigma'(z)``): the
        bracket ``[lower, upper]`` is finite, with ``phi'(lower) <= 0 <=
        phi'(upper)``. Its end other than ``w`` is ``far``; the gap is
        ``a - sigma(w)``.
        """
        spec = self._spec
        value, first, _ = spec.derivatives(xp, w, self.negative_slope)
        gap = a - value
        z_lo, z_hi = self.preimage(xp, a, a)
        rising = gap > 0
        reach = xp.minimum(
            (gamma / rho) * spec.max_first * xp.abs(gap),
            xp.abs(xp.where(rising, z_hi, z_lo) - w),
        )
        far = xp.where(rising, w + reach, w - reach)
        # A Gauss-Newton step from w starts the solve on the whole bracket.
        start = w + gamma * gap * first / (rho + gamma * first * first)
        return start, far, xp.minimum(w, far), xp.maximum(w, far), gap

    def _smooth_penalty_prox(
        self, xp: Any, w: Array, a: Array, rho: float, gamma: float
    ) -> tuple[Array, int]:
        """The penalty prox of a smooth activation, by bracketed Newton.

        With ``phi(z) = (rho/2)(z - w)^2 + (gamma/2)(sigma(z) - a)^2``:

        - Every minimiser lies in the bracket of :meth:`_bracket`.
        - Where ``rho >= gamma |a - sigma(w)| max |sigma''|``, ``phi'' > 0`` on
          the bracket: ``phi`` is convex there, and the Newton solve runs on
          the whole bracket. Elsewhere ``phi`` can have two local minima
          (``phi' = rho (z - w) + gamma h(z)`` crosses zero at most three
          times for these activations): :meth:`_nonconvex_penalty_prox`
          finds both and keeps the lower.
        - Newton's step is taken when it stays inside the bracket and
          ``phi'' > 0``, else the bisection step; the bracket shrinks to the
          sign change of ``phi'`` at every iteration, until every step is
          below ``64 eps (1 + |z|)``.
        """
        start, _, lower, upper, gap = self._bracket(xp, w, a, rho, gamma)
        problem = _PenaltyProblem(self, xp, w, a, rho, gamma)
        z, n_iter = problem.bracketed_newton(start, lower, upper)
        convex = rho >= gamma * self._spec.max_second * xp.abs(gap)
        if bool(xp.all(convex)):
            return z, n_iter
        # Boolean indexing takes the non-convex entries alone through the
        # grids: they are few in training, and the grids cost 34 evaluations.
        outside = ~convex
        sub, more = problem.subset(outside).nonconvex_minimiser(
            lower[outside], upper[outside]
        )
        z[outside] = sub
        return z, max(n_iter, more)

    def _sigma_grid(self, xp: Any, lower: Array, upper: Array) -> list[Array]:
        """Points whose activations are equally spaced, clipped to the bracket."""
        spec = self._spec
        bottom, top = self(xp, lower), self(xp, upper)
        finfo = xp.finfo(lower.dtype)
        points = []
        for index in range(_GRID_POINTS):
            value = bottom + (top - bottom) * (index / (_GRID_POINTS - 1))
            if spec.lower is not None:
                value = xp.maximum(value, spec.lower + finfo.eps)
            if spec.upper is not None:
                value = xp.minimum(value, spec.upper - finfo.eps)
            z = spec.inverse(xp, value, self.negative_slope)
            points.append(xp.clip(z, lower, upper))
        points[0], points[-1] = lower, upper
        return points

    def __repr__(self) -> str:
        return f"Activation({self.name!r}, negative_slope={self.negative_slope})"


@dataclass
class _PenaltyProblem:
    """``phi(z) = (rho/2)(z - w)^2 + (gamma/2)(sigma(z) - a)^2``, entry by entry.

    The elementwise problem of :meth:`Activation._smooth_penalty_prox`, with
    the solvers that work on it.
    """

    activation: Activation
    xp: Any
    w: Array
    a: Array
    rho: float
    gamma: float

    def subset(self, mask: Array) -> "_PenaltyProblem":
        """Return the problem of the entries where ``mask`` holds."""
        return _PenaltyProblem(
            self.activation,
            self.xp,
            self.w[mask],
            self.a[mask],
            self.rho,
            self.gamma,
        )

    def twice_objective(self, z: Array) -> Array:
        """Return ``rho (z - w)^2 + gamma (sigma(z) - a)^2``, twice ``phi``."""
        residual = self.activation(self.xp, z) - self.a
        return self.rho * (z - self.w) ** 2 + self.gamma * residual * residual

    def terms(self, z: Array) -> tuple[Array, Array, Array]:
        """Return twice ``phi``, ``phi'`` and ``phi''`` at ``z``."""
        activation, rho, gamma = self.activation, self.rho, self.gamma
        value, first, second = activation._spec.derivatives(
            self.xp, z, activation.negative_slope
        )
        residual = value - self.a
        shift = z - self.w
        objective = rho * shift * shift + gamma * residual * residual
        gradient = rho * shift + gamma * residual * first
        curvature = rho + gamma * (first * first + residual * second)
        return objective, gradient, curvature

    def bracketed_newton(
        self, start: Array, lower: Array, upper: Array
    ) -> tuple[Array, int]:
        """Return a zero of ``phi'`` in ``[lower, upper]`` by safeguarded Newton.

        ``phi'(lower) <= 0 <= phi'(upper)`` is expected; the bracket follows
        the sign of ``phi'`` at each iterate, and a Newton step that leaves
        it, or meets ``phi'' <= 0``, is replaced by bisection.
        """
        xp = self.xp
        z = xp.clip(start, lower, upper)
        tolerance = 64.0 * float(xp.finfo(self.w.dtype).eps)
        for iteration in range(1, PENALTY_PROX_MAX_ITER + 1):
            step, lower, upper = self._newton_step(z, lower, upper)
            moved = xp.abs(step - z)
            z = step
            if bool(xp.all(moved <= tolerance * (1.0 + xp.abs(z)))):
                return z, iteration
        return z, PENALTY_PROX_MAX_ITER

    def fixed_newton(
        self, start: Array, lower: Array, upper: Array, iterations: int
    ) -> Array:
        """Return :meth:`bracketed_newton` after ``iterations`` steps, untested."""
        z = self.xp.clip(start, lower, upper)
        for _ in range(iterations):
            z, lower, upper = self._newton_step(z, lower, upper)
        return z

    def _newton_step(
        self, z: Array, lower: Array, upper: Array
    ) -> tuple[Array, Array, Array]:
        """Return the next iterate of the safeguarded Newton solve and its bracket.

        The bracket shrinks to the sign change of ``phi'`` at ``z``; Newton's
        step is taken when it stays inside and ``phi'' > 0``, else bisection.
        """
        xp = self.xp
        _, gradient, curvature = self.terms(z)
        lower = xp.where(gradient < 0, z, lower)
        upper = xp.where(gradient > 0, z, upper)
        newton = z - gradient / xp.where(curvature > 0, curvature, 1.0)
        inside = (curvature > 0) & (newton >= lower) & (newton <= upper)
        step = xp.where(inside, newton, 0.5 * (lower + upper))
        return xp.where(gradient == 0, z, step), lower, upper

    def nonconvex_minimiser(self, lower: Array, upper: Array) -> tuple[Array, int]:
        """Return the minimiser where ``phi`` may have two local minima.

        Two grids of :data:`_GRID_POINTS` points each cover ``[lower,
        upper]``: one equally spaced in ``z``, which resolves the basin of a
        saturated ``w``, and one equally spaced in ``sigma(z)``, which
        resolves the bend of ``sigma`` where the ``gamma`` term changes. In
        each grid, the first and the last cell where ``phi'`` turns from
        negative to non-negative hold local minimisers; the Newton solve runs
        in all four, and the lowest result, never worse than the best grid
        point, is kept.
        """
        width = (upper - lower) / (_GRID_POINTS - 1)
        grids = (
            [lower + index * width for index in range(_GRID_POINTS)],
            self.activation._sigma_grid(self.xp, lower, upper),
        )
        candidates, best, best_value, n_iter = [], None, None, 0
        for points in grids:
            cells, grid_best, grid_value = self.sign_change_cells(points)
            if best is None:
                best, best_value = grid_best, grid_value
            else:
                better = grid_value < best_value
                best = self.xp.where(better, grid_best, best)
                best_value = self.xp.where(better, grid_value, best_value)
            for cell_lo, cell_hi in cells:
                z, iterations = self.bracketed_newton(
                    0.5 * (cell_lo + cell_hi), cell_lo, cell_hi
                )
                candidates.append(z)
                n_iter = max(n_iter, iterations)
        z, value = best, best_value
        for candidate in candidates:
            candidate_value = self.twice_objective(candidate)
            better = candidate_value <= value
            z = self.xp.where(better, candidate, z)
            value = self.xp.where(better, candidate_value, value)
        return z, n_iter

    def sign_change_cells(
        self, points: list[Array]
    ) -> tuple[list[tuple[Array, Array]], Array, Array]:
        """Return the first and last cells where ``phi'`` turns non-negative.

        ``points`` is an increasing grid from the bracket's lower end to its
        upper end. Each cell ``[z_{j-1}, z_j]`` with
        ``phi'(z_{j-1}) < 0 <= phi'(z_j)`` holds a local minimiser; the first
        and the last such cells hold the two outermost ones the grid sees.
        Also returns the best grid point and its value (twice ``phi``).
        """
        xp = self.xp
        # Where no sign change is seen (rounding at the bracket's far end),
        # both cells default to the last one.
        first_lo = last_lo = points[-2]
        first_hi = last_hi = points[-1]
        found = point_before = gradient_before = None
        best = best_value = None
        for index, point in enumerate(points):
            objective, gradient, _ = self.terms(point)
            if index == 0:
                best, best_value = point, objective
                found = gradient >= 0
                first_lo = xp.where(found, point, first_lo)
                first_hi = xp.where(found, point, first_hi)
            else:
                better = objective < best_value
                best = xp.where(better, point, best)
                best_value = xp.where(better, objective, best_value)
                turns = (gradient_before < 0) & (gradient >= 0)
                newly = turns & ~found
                first_lo = xp.where(newly, point_before, first_lo)
                first_hi = xp.where(newly, point, first_hi)
                found = found | turns
                last_lo = xp.where(turns, point_before, last_lo)
                last_hi = xp.where(turns, point, last_hi)
            point_before, gradient_before = point, gradient
        return [(first_lo, first_hi), (last_lo, last_hi)], best, best_value
