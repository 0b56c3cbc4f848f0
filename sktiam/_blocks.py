"""The block subproblems of TIAM and the triple-inertial step.

One TIAM iteration sweeps the blocks ``W_l -> b_l -> Z_l -> A_l`` for
``l = 1..L``. Each block ``u`` solves ``min f_u(u) + i_C(u)``, where ``f_u``
collects the terms of the relaxed objective::

    F = sum_i s_i R(Z_L,i; Y_i)
        + (rho / 2) sum_l sum_i s_i ||Z_l,i - A_{l-1},i W_l - b_l||^2
        + (gamma / 2) sum_{l<L} sum_i s_i ||A_l,i - sigma(Z_l,i)||^2
        + sum_l (alpha_l / 2) ||W_l||^2

that contain ``u``, with ``alpha_l`` the weight decay of layer ``l`` (the
output layer's may differ from the hidden layers'). The ``gamma`` term
belongs to the penalty relaxation; the box relaxation has ``gamma = 0`` and
the constraint
``|A_l - sigma(Z_l)| <= eps`` instead (:mod:`sktiam._relaxations`). The
``s_i`` are the sample weights divided by their sum (``1/n`` without
weights), so every data term is a weighted mean.

Per-sample blocks (``Z_l`` and ``A_l``) measure their steps in the metric
``||D||_s^2 = sum_i s_i ||D_i||^2``. With unit weights this is the Euclidean
metric divided by ``n``, so the step sizes ``tau`` here are ``n`` times the
Euclidean ones (the hidden ``Z`` step takes ``tau = rho`` here, ``rho / n`` in
the Euclidean metric); the iterates are the same. The metric makes a sample
of weight 2 move exactly as two copies of it would.

Every block offers ``value``, ``value_and_gradient`` (the gradient taken in
the block's metric), ``inner``, ``project`` and ``descent``, the projected
gradient step. :func:`inertial_step` performs the triple-inertial prox-linear
step with backtracking for every block.

An iteration works on ``n x d`` arrays, and at large ``n`` its time goes to
writing them as much as to the matrix products. So the weighted sums are dot
products (:class:`SampleMetric`), and the temporaries a function creates are
updated in place (``+=``, :func:`~sktiam._backend.clip_into`) instead of
being followed by new ones. Only arrays the function itself created are
overwritten, never a state variable, a cached product or a block's data.
"""

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from ._activations import Activation, device_of
from ._backend import clip_into, host_floats

Array = Any


class NonFiniteError(ArithmeticError):
    """A block's objective, gradient or curvature overflowed.

    Raised instead of stepping on an infinite or NaN quantity, which would
    leave the block stuck, or carry NaN into the iterates. The solver catches
    it, restores the last finite parameters and warns.
    """


def _finite(value: float, what: str) -> float:
    """Return ``value``, or raise :class:`NonFiniteError` if it is not finite."""
    if not math.isfinite(value):
        raise NonFiniteError(f"the {what} is {value}")
    return value


@dataclass
class StepSize:
    """Step size ``tau`` of one block and its backtracking rule.

    Backtracking looks for the smallest ``tau = tau_0 * grow**j`` that
    satisfies the descent inequality, with ``tau_0``
    the last accepted ``tau`` times ``shrink`` so that steps can grow again.
    A block whose gradient has a known Lipschitz constant uses it as a fixed
    ``tau`` and does not backtrack.

    Parameters
    ----------
    tau : float or 0-d array
        The last accepted step size, or the fixed one. Mini-batch epochs
        (:mod:`sktiam._minibatch`) keep it on the device as a 0-d array.
    adaptive : bool
        Whether to backtrack.
    shrink : float
        Factor below 1 applied to ``tau`` before each backtracking search.
    grow : float
        Factor above 1 applied to ``tau`` after each rejected trial.
    max_trials : int
        Largest number of trials; when all fail the block keeps ``u^k``.
    direction : array or None
        The power iteration's last vector, warm start of the next estimate of
        the largest curvature.
    power_iterations : int
        Power iterations per estimate.
    """

    tau: float
    adaptive: bool = True
    shrink: float = 0.5
    grow: float = 2.0
    max_trials: int = 60
    direction: Any = None
    power_iterations: int = 3


@dataclass
class StepReport:
    """What one block step did: accepted ``tau``, trials, restart, failure."""

    tau: float
    trials: int
    restarted: bool
    failed: bool


class SampleMetric:
    """The weighted sums over samples, ``sum_i s_i (...)``, of one training set.

    Every data term of F and every per-sample block's metric is such a sum,
    over arrays of shape (n, d). In float64 they are computed as dot products
    of the flattened arrays, which read each operand once and write no
    ``n x d`` temporary, where an element-wise product followed by a sum
    writes two. In float32 the sum stays NumPy's pairwise sum of one
    product (BLAS's single-precision dot accumulates sequentially, with
    errors growing with ``n d``).

    Without sample weights (all ``s_i`` equal) the weight is a scalar factor,
    applied after the sum; if that unscaled sum overflows, the sum is taken
    again of the scaled terms. With weights, the weighted operand is formed
    once.

    Parameters
    ----------
    xp : namespace
        The array namespace.
    weights : array of shape (n, 1)
        The normalised sample weights ``s``, summing to 1.
    equal : bool or None, default=None
        Whether all weights are equal, when the caller knows (then each is
        taken as ``1 / n``); None finds out.
    """

    def __init__(self, xp: Any, weights: Array, equal: bool | None = None) -> None:
        self.xp = xp
        self.weights = weights
        #: The common weight ``s_i`` when all are equal, else None: read from
        #: the weights, or ``1 / n`` when the caller says they are equal.
        self.uniform: float | None = None
        if equal is None:
            first = weights[0, 0]
            if bool(xp.all(weights == first)):
                self.uniform = float(first)
        elif equal:
            self.uniform = 1.0 / weights.shape[0]

    def _sum_of_products(self, a: Array, b: Array) -> float:
        """Return the sum of ``a * b`` over all entries."""
        xp = self.xp
        if a.dtype == xp.float64:
            return float(xp.reshape(a, (-1,)) @ xp.reshape(b, (-1,)))
        return float(xp.sum(a * b))

    def inner(self, a: Array, b: Array) -> float:
        """Return ``sum_i s_i <a_i, b_i>`` for ``a`` and ``b`` of shape (n, d)."""
        if self.uniform is None:
            return self._sum_of_products(a, self.weights * b)
        total = self._sum_of_products(a, b)
        if not math.isfinite(total):
            return float(self.xp.sum(self.weights * (a * b)))
        return self.uniform * total

    def squared_norm(self, a: Array) -> float:
        """Return ``sum_i s_i ||a_i||^2``."""
        return self.inner(a, a)

    def mean(self, values: Array) -> float:
        """Return ``sum_i s_i v_i`` for a vector ``v`` of shape (n,)."""
        if self.uniform is None:
            return self._sum_of_products(values, self.weights[:, 0])
        total = float(self.xp.sum(values))
        if not math.isfinite(total):
            return float(self.xp.sum(self.weights[:, 0] * values))
        return self.uniform * total

    def column_means(self, a: Array) -> Array:
        """Return ``sum_i s_i a_i``, of shape (d,), for ``a`` of shape (n, d)."""
        xp = self.xp
        if self.uniform is not None:
            totals = xp.sum(a, axis=0)
            if bool(xp.all(xp.isfinite(totals))):
                return self.uniform * totals
        return xp.sum(self.weights * a, axis=0)

    def input_means(self, inputs: Array) -> Array:
        """Return ``sum_i s_i x_i``, of shape (d,); ``inputs`` may be sparse."""
        if self.uniform is not None and not hasattr(inputs, "tocsr"):
            return self.column_means(inputs)
        return inputs.T @ self.weights[:, 0]

    def transpose_product(self, inputs: Array, a: Array, checked: bool = True) -> Array:
        """Return ``inputs^T S a`` with ``S = diag(s)``; ``a`` of shape (n, d) or (n,).

        ``inputs`` may be a sparse matrix. With equal weights the sum is scaled
        after it is taken; ``checked`` takes it again over the scaled terms
        when that sum overflows, at the cost of reading the product back. A
        caller that checks the result itself passes ``checked=False``.
        """
        xp = self.xp
        if self.uniform is not None:
            product = inputs.T @ a
            if not checked or bool(xp.all(xp.isfinite(product))):
                return self.uniform * product
        weights = self.weights if a.ndim == 2 else self.weights[:, 0]
        return inputs.T @ (weights * a)


class _Block(ABC):
    """A block subproblem ``min f(u) + i_C(u)``; subclasses define ``f`` and ``C``."""

    xp: Any
    #: The sample metric of per-sample blocks; None for the Euclidean one.
    metric: SampleMetric | None = None
    #: Whether the step with ``centre = point`` is the exact minimiser of
    #: ``f`` over ``C``, whatever that common point is: a fixed step
    #: ``tau = L`` on an ``f`` whose curvature is ``L`` times the identity.
    exact_when_centred: bool = False

    @abstractmethod
    def value(self, u: Array) -> float:
        """Return ``f(u)``."""

    def value_and_gradient(self, u: Array) -> tuple[float, Array]:
        """Return ``f(u)`` and its gradient in the block's metric."""
        raise NotImplementedError(f"{type(self).__name__} takes no gradient step")

    def gradient(self, u: Array) -> Array:
        """Return the gradient of ``f`` at ``u`` in the block's metric."""
        return self.value_and_gradient(u)[1]

    def project(self, u: Array) -> Array:
        """Return the projection onto ``C``; the identity when unconstrained."""
        return u

    def project_into(self, u: Array) -> Array:
        """Return the projection onto ``C``, overwriting ``u`` where possible.

        Only for arrays the caller owns: ``u`` may be changed.
        """
        return u

    def outside(self, u: Array) -> bool:
        """Return whether some entry of ``u`` lies outside ``C`` (exactly)."""
        return False

    def descent(
        self, centre: Array, gradient: Array, tau: float, overwrite: bool = False
    ) -> Array:
        """Return ``P_C(centre - gradient / tau)``.

        A new array, or with ``overwrite=True`` the memory of ``gradient``,
        which the caller then no longer needs.
        """
        if overwrite:
            gradient /= -tau
            candidate = gradient
        else:
            candidate = gradient / -tau
        candidate += centre
        return self.project_into(candidate)

    def lipschitz_lower_bound(self, step: StepSize) -> float:
        """Return an estimate from below of the gradient's Lipschitz constant.

        ``step.power_iterations`` power iterations on the block's curvature,
        warm-started from the last vector, give a Rayleigh quotient, at most
        the constant. Backtracking never starts below 0.6 times it: below
        half the constant a step expands the error along the top curvature
        direction, and the iteration oscillates instead of converging.

        The iterations run where the arrays are, and the quotient's terms come
        to the host in one transfer. When they are not finite or vanish (an
        overflow, or a zero curvature), the iterations are redone one by one,
        with the checks that tell the two apart.
        """
        xp = self.xp
        vector = step.direction
        if vector is None:
            vector = xp.ones(
                self.curvature_dimension(), dtype=self.dtype, device=self.device
            )
        start = vector
        for iteration in range(step.power_iterations):
            image = self.curvature_product(vector)
            if iteration == step.power_iterations - 1:
                break
            vector = image / xp.sqrt(xp.sum(image * image))
        norm_squared, squared, product = host_floats(
            xp.stack(
                [
                    xp.sum(image * image),
                    xp.sum(vector * vector),
                    xp.sum(vector * image),
                ]
            )
        )
        terms = (norm_squared, squared, product)
        if all(math.isfinite(t) for t in terms) and norm_squared > 0 and squared > 0:
            step.direction = image / math.sqrt(norm_squared)
            return product / squared
        return self._checked_lower_bound(step, start)

    def _checked_lower_bound(self, step: StepSize, vector: Array) -> float:
        """The power iterations of :meth:`lipschitz_lower_bound`, checked one by one."""
        xp = self.xp
        estimate = 0.0
        for _ in range(step.power_iterations):
            image = self.curvature_product(vector)
            scale = 1.0
            norm = float(xp.sqrt(xp.sum(image * image)))
            if not math.isfinite(norm):
                # The squares overflowed, not necessarily the curvature:
                # normalise by the largest entry first.
                scale = _finite(float(xp.max(xp.abs(image))), "largest curvature")
                image = image / scale
                norm = float(xp.sqrt(xp.sum(image * image)))
            squared = float(xp.sum(vector * vector))
            if norm == 0.0 or squared == 0.0:
                return estimate
            estimate = _finite(
                scale * float(xp.sum(vector * image)) / squared, "largest curvature"
            )
            vector = image / norm
        step.direction = vector
        return estimate

    def curvature_dimension(self) -> int:
        """Return the size of the vectors :meth:`curvature_product` acts on."""
        raise NotImplementedError(f"{type(self).__name__} does not backtrack")

    def curvature_product(self, vector: Array) -> Array:
        """Return the block's curvature applied to ``vector``."""
        raise NotImplementedError(f"{type(self).__name__} does not backtrack")

    def inner(self, a: Array, b: Array) -> float:
        """Return ``<a, b>`` in the block's metric."""
        if self.metric is None:
            xp = self.xp
            return float(xp.reshape(a, (-1,)) @ xp.reshape(b, (-1,)))
        return self.metric.inner(a, b)

    def prox_linear(
        self, centre: Array, point: Array, step: StepSize
    ) -> tuple[Array | None, float | None, int]:
        """Return ``u+ = P_C(centre - grad f(point) / tau)``, ``tau`` by backtracking.

        The accepted ``tau`` is the first that satisfies::

            f(u+) <= f(point) + <grad f(point), u+ - point> + (tau/2) ||u+ - point||^2

        The blocks that backtrack have a quadratic ``f``, so with
        ``d = u+ - point`` the test is evaluated in the equivalent form
        ``curvature(d) <= (tau/2) ||d||^2``, where
        ``curvature(d) = f(point + d) - f(point) - <grad f(point), d>`` is
        computed without cancellation. The difference of two nearly equal
        objective values would let rounding decide between two trials.

        Returns ``(u+, f(u+), trials)``, or ``(None, None, trials)`` when no
        trial is accepted. For a fixed step ``f(u+)`` is not evaluated and is
        returned as None.
        """
        value_at_point, gradient = self.value_and_gradient(point)
        _finite(value_at_point, "block objective")
        if not step.adaptive:
            return self.descent(centre, gradient, step.tau, overwrite=True), None, 1
        tau = max(step.tau * step.shrink, 0.6 * self.lipschitz_lower_bound(step))
        if _finite(self.inner(gradient, gradient), "gradient norm") == 0.0:
            # Stationary: the first trial is accepted whatever tau is.
            step.tau = tau
            # f(point) is f(u+) only when u+ = P_C(centre) is the point itself.
            same = centre is point and not self.outside(centre)
            return self.project(centre), value_at_point if same else None, 0
        # Equality is accepted whatever the rounding: a step that moves a
        # single column makes the curvature equal to the lower bound exactly.
        tie = 1.0 + 64.0 * float(self.xp.finfo(gradient.dtype).eps)
        for trial in range(1, step.max_trials + 1):
            candidate = self.descent(centre, gradient, tau)
            difference = candidate - point
            curvature = _finite(
                self.curvature(point, candidate, difference), "curvature"
            )
            if curvature <= 0.5 * tau * self.inner(difference, difference) * tie:
                step.tau = tau
                value = value_at_point + self.inner(gradient, difference) + curvature
                return candidate, value, trial
            tau *= step.grow
        return None, None, step.max_trials

    def curvature(self, point: Array, candidate: Array, difference: Array) -> float:
        """Return ``f(candidate) - f(point) - <grad f(point), candidate - point>``.

        Only the blocks that backtrack need it; their ``f`` is quadratic.
        """
        raise NotImplementedError(f"{type(self).__name__} does not backtrack")


class WeightBlock(_Block):
    """Block ``W_l``, with ``A = A_{l-1}``, ``Z = Z_l`` and ``b = b_l``::

        f(W) = (rho/2) sum_i s_i ||Z_i - A_i W - b||^2 + (alpha/2) ||W||^2

    Unconstrained. The gradient is ``rho A^T S (A W + b - Z) + alpha W`` with
    ``S = diag(s)``. ``A`` may be a scipy sparse matrix (the input layer).

    The block remembers the last product ``A W`` it computed, so that the
    bias and pre-activation steps that follow reuse it.
    """

    def __init__(
        self,
        xp: Any,
        inputs: Array,
        target: Array,
        bias: Array,
        samples: SampleMetric,
        rho: float,
        alpha: float,
    ) -> None:
        self.xp = xp
        self.inputs = inputs
        self.target = target
        self.bias = bias
        # The metric of the data term; the block itself is Euclidean.
        self.samples = samples
        self.rho = rho
        self.alpha = alpha
        self._products: list[tuple[Array, Array]] = []
        self._noise = _rounding_noise(xp, target)

    def remember(self, u: Array, product: Array) -> None:
        """Record ``A u``, computed elsewhere, for :meth:`product` to reuse."""
        self._products = [(u, product), *self._products[:2]]

    def product(self, u: Array) -> Array:
        """Return ``A u``, reusing a recent product when ``u`` is the same array."""
        for known, product in self._products:
            if known is u:
                return product
        product = self.inputs @ u
        self._products = [(u, product), *self._products[:2]]
        return product

    def curvature(self, point: Array, candidate: Array, difference: Array) -> float:
        """Return ``(rho/2) sum_i s_i ||A_i d||^2 + (alpha/2) ||d||^2``.

        ``A candidate`` is not formed as ``A point + A d``: its rounding would
        differ from that of ``A candidate``, and the coupling residuals that
        are exactly zero would stop being so.
        """
        change = self.inputs @ difference
        return 0.5 * self.rho * self.samples.squared_norm(
            change
        ) + 0.5 * self.alpha * self.inner(difference, difference)

    def _residual(self, u: Array) -> Array:
        residual = self.product(u) + self.bias
        residual -= self.target
        return _snap(self.xp, residual, self._noise)

    @property
    def dtype(self):
        return self.target.dtype

    @property
    def device(self):
        return device_of(self.target)

    def curvature_dimension(self) -> int:
        return self.inputs.shape[1]

    def curvature_product(self, vector: Array) -> Array:
        """Return ``(rho A^T S A + alpha I) v``, the curvature on one column.

        Unchecked for overflow: :meth:`lipschitz_lower_bound` checks its
        result.
        """
        image = self.samples.transpose_product(
            self.inputs, self.inputs @ vector, checked=False
        )
        return self.rho * image + self.alpha * vector

    def value(self, u: Array) -> float:
        residual = self._residual(u)
        return 0.5 * self.rho * self.samples.squared_norm(
            residual
        ) + 0.5 * self.alpha * self.inner(u, u)

    def value_and_gradient(self, u: Array) -> tuple[float, Array]:
        residual = self._residual(u)
        value = 0.5 * self.rho * self.samples.squared_norm(
            residual
        ) + 0.5 * self.alpha * self.inner(u, u)
        gradient = self.rho * self.samples.transpose_product(self.inputs, residual)
        return value, gradient + self.alpha * u

    def gradient(self, u: Array) -> Array:
        gradient = self.rho * self.samples.transpose_product(
            self.inputs, self._residual(u)
        )
        return gradient + self.alpha * u


class BiasBlock(_Block):
    """Block ``b_l``: ``f(b) = (rho/2) sum_i s_i ||Z_i - P_i - b||^2`` with ``P = A W``.

    Unconstrained. With ``c = sum_i s_i (Z_i - P_i)``, the weighted column
    mean of ``Z - P`` (the ``s_i`` sum to 1),
    ``f(b) = (rho/2) ||b - c||^2`` plus a term that does not depend on ``b``,
    which :meth:`value` leaves out: only differences of ``f`` are ever
    compared. The gradient ``rho (b - c)`` has Lipschitz constant exactly
    ``rho``, so the step takes ``tau = rho`` and does not backtrack; with
    equal first and second inertia it is the exact minimiser ``c``. The block
    needs only the column means of ``Z`` and ``P``, and ``P``'s mean is
    ``(sum_i s_i A_i) W``: no ``n x d`` product.

    Parameters
    ----------
    xp : namespace
        The array namespace.
    offset : array of shape (d,)
        ``c``.
    rho : float
        The coupling penalty.
    """

    exact_when_centred = True

    def __init__(self, xp: Any, offset: Array, rho: float) -> None:
        self.xp = xp
        self.offset = offset
        self.rho = rho

    def value(self, u: Array) -> float:
        difference = u - self.offset
        return 0.5 * self.rho * float(difference @ difference)

    def value_and_gradient(self, u: Array) -> tuple[float, Array]:
        difference = u - self.offset
        return 0.5 * self.rho * float(difference @ difference), self.rho * difference


class _BoxBlock(_Block):
    """A per-sample block whose feasible set is the box ``[lower, upper]``."""

    lower: Array
    upper: Array

    def project(self, u: Array) -> Array:
        return self.xp.clip(u, self.lower, self.upper)

    def project_into(self, u: Array) -> Array:
        return clip_into(self.xp, u, self.lower, self.upper)

    def outside(self, u: Array) -> bool:
        xp = self.xp
        return bool(xp.any(u < self.lower)) or bool(xp.any(u > self.upper))


class _HiddenPreactivation(_Block):
    """A hidden ``Z_l`` block, with ``V = A_{l-1} W_l + b_l``: the coupling term.

    ``f(Z) = (rho/2) sum_i s_i ||Z_i - V_i||^2`` plus the relaxation's own term
    (:meth:`anchor_value`, none for the box). In the sample metric the
    coupling's gradient is ``rho (Z - V)``, with Lipschitz constant exactly
    ``rho``: ``tau = rho``, no backtracking. With equal first and second
    inertia the step is the exact minimiser of ``f``.
    """

    exact_when_centred = True

    def __init__(self, xp: Any, centre: Array, samples: SampleMetric, rho: float):
        self.xp = xp
        self.centre = centre
        self.metric = samples
        self.rho = rho

    def coupling_value(self, u: Array) -> float:
        """Return ``(rho/2) sum_i s_i ||u_i - V_i||^2``, the coupling term of F."""
        return 0.5 * self.rho * self.metric.squared_norm(u - self.centre)

    def anchor_value(self, u: Array) -> float:
        """Return the relaxation's own term of F at ``Z = u``: none for the box."""
        return 0.0

    def value(self, u: Array) -> float:
        return self.coupling_value(u) + self.anchor_value(u)

    def value_and_gradient(self, u: Array) -> tuple[float, Array]:
        """Return the coupling term and its gradient ``rho (u - V)``."""
        difference = u - self.centre
        value = 0.5 * self.rho * self.metric.squared_norm(difference)
        difference *= self.rho
        return value, difference


class HiddenPreactivationBlock(_HiddenPreactivation, _BoxBlock):
    """Block ``Z_l`` of a hidden layer: ``f(Z) = (rho/2) sum_i s_i ||Z_i - V_i||^2``.

    ``V = A_{l-1} W_l + b_l``. The constraint ``A_l - eps <= sigma(Z) <= A_l + eps``
    is the box ``[z_lo, z_hi]`` of :meth:`Activation.band_preimage`, so the
    projection is a clip, and with equal first and second inertia the step is
    the exact minimiser ``P_C(V)``.
    """

    def __init__(
        self,
        xp: Any,
        centre: Array,
        activations: Array,
        activation: Activation,
        epsilon: float,
        samples: SampleMetric,
        rho: float,
    ) -> None:
        super().__init__(xp, centre, samples, rho)
        self.lower, self.upper = activation.band_preimage(xp, activations, epsilon)


class PenaltyPreactivationBlock(_HiddenPreactivation):
    """Block ``Z_l`` of a hidden layer under the penalty relaxation::

        f(Z) = (rho/2) sum_i s_i ||Z_i - V_i||^2
               + (gamma/2) sum_i s_i ||A_i - sigma(Z_i)||^2

    with ``V = A_{l-1} W_l + b_l`` and ``A = A_l``. Unconstrained, and not
    quadratic. The prox-linear step linearises the coupling term and keeps
    the ``gamma`` term whole::

        u+ = argmin_z (tau/2) ||z - (centre - grad(point) / tau)||^2
                      + (gamma/2) ||A - sigma(z)||^2,   tau = rho,

    an elementwise problem solved by :meth:`Activation.penalty_prox`. With
    ``centre = point`` the step is the exact minimiser of ``f``. No
    backtracking: ``tau = rho`` majorises the linearised term exactly.
    """

    def __init__(
        self,
        xp: Any,
        centre: Array,
        samples: SampleMetric,
        rho: float,
        activation: Activation,
        activations: Array,
        gamma: float,
    ) -> None:
        super().__init__(xp, centre, samples, rho)
        self.activations = activations
        self.activation = activation
        self.gamma = gamma
        self.newton_iterations = 0

    def anchor_value(self, u: Array) -> float:
        """Return ``(gamma/2) sum_i s_i ||A_i - sigma(u_i)||^2``, the penalty term."""
        gap = self.activation.apply_into(self.xp, self.xp.asarray(u, copy=True))
        gap -= self.activations
        return 0.5 * self.gamma * self.metric.squared_norm(gap)

    def prox_linear(
        self, centre: Array, point: Array, step: StepSize
    ) -> tuple[Array | None, float | None, int]:
        """Return the ``gamma`` term's prox at ``centre - (point - V) rho / tau``."""
        shifted = point - self.centre
        shifted *= -self.rho / step.tau
        shifted += centre
        solution, self.newton_iterations = self.activation.penalty_prox(
            self.xp, shifted, self.activations, step.tau, self.gamma
        )
        return solution, None, 1


class OutputBlock(_Block):
    """Block ``Z_L``: ``f(Z) = sum_i s_i [R(Z_i; Y_i) + (rho/2) ||Z_i - V_i||^2]``.

    The minimiser is the proximal map of the loss at ``V``, computed row by
    row by the loss (:mod:`sktiam._losses`), so the step is exact: the first
    and second inertia have no effect on it, and only the third extrapolates.
    """

    def __init__(
        self,
        xp: Any,
        centre: Array,
        targets: Array,
        loss: Any,
        samples: SampleMetric,
        rho: float,
        tol: float,
    ) -> None:
        self.xp = xp
        self.centre = centre
        self.targets = targets
        self.loss = loss
        self.metric = samples
        self.rho = rho
        self.tol = tol
        self.newton_iterations = 0

    def value(self, u: Array) -> float:
        data = self.metric.mean(self.loss.value(self.xp, u, self.targets))
        return data + 0.5 * self.rho * self.metric.squared_norm(u - self.centre)

    def prox_linear(
        self, centre: Array, point: Array, step: StepSize
    ) -> tuple[Array | None, float | None, int]:
        """Return the exact minimiser, warm-started at ``point``."""
        solution, self.newton_iterations = self.loss.prox(
            self.xp, self.centre, self.targets, self.rho, point, self.tol
        )
        return solution, None, 1


class ActivationBlock(_BoxBlock):
    """Block ``A_l``::

        f(A) = (rho/2) sum_i s_i ||Z'_i - A_i W' - b'||^2
               + (gamma/2) sum_i s_i ||A_i - S_i||^2,    S = sigma(Z_l),

    ``Z', W', b'`` belong to layer ``l + 1``. Under the box relaxation
    ``gamma = 0`` and the constraint is the box ``[lower, upper]``:
    ``[sigma(Z_l) - eps, sigma(Z_l) + eps]`` within the range of ``sigma``
    (:meth:`Activation.activation_box`). Under the penalty relaxation there
    is no constraint (``lower = -inf``, ``upper = inf``) and ``gamma > 0``.
    Either way ``f`` is quadratic, with curvature
    ``rho W' W'^T + gamma I`` on each row; in the sample metric the gradient
    is ``rho (A W' + b' - Z') W'^T + gamma (A - S)``, and its step is found
    by backtracking.
    """

    def __init__(
        self,
        xp: Any,
        next_weights: Array,
        next_bias: Array,
        next_target: Array,
        lower: Array | float,
        upper: Array | float,
        samples: SampleMetric,
        rho: float,
        anchor: Array | None = None,
        gamma: float = 0.0,
    ) -> None:
        self.xp = xp
        self.next_weights = next_weights
        self.next_bias = next_bias
        self.next_target = next_target
        self.lower, self.upper = lower, upper
        self.metric = samples
        self.rho = rho
        self.anchor = anchor
        self.gamma = gamma if anchor is not None else 0.0
        self._constrained = not (
            isinstance(lower, float)
            and isinstance(upper, float)
            and lower == -math.inf
            and upper == math.inf
        )
        self._noise = _rounding_noise(xp, next_target)

    def project(self, u: Array) -> Array:
        return super().project(u) if self._constrained else u

    def project_into(self, u: Array) -> Array:
        return super().project_into(u) if self._constrained else u

    def outside(self, u: Array) -> bool:
        return self._constrained and super().outside(u)

    def _residual(self, u: Array) -> Array:
        residual = u @ self.next_weights
        residual += self.next_bias
        residual -= self.next_target
        return _snap(self.xp, residual, self._noise)

    def anchor_value(self, u: Array) -> float:
        """Return ``(gamma/2) sum_i s_i ||u_i - S_i||^2``: 0 without an anchor."""
        if self.gamma == 0.0:
            return 0.0
        return 0.5 * self.gamma * self.metric.squared_norm(u - self.anchor)

    def curvature(self, point: Array, candidate: Array, difference: Array) -> float:
        """Return ``(rho/2) sum_i s_i ||d_i W'||^2 + (gamma/2) sum_i s_i ||d_i||^2``."""
        value = (
            0.5 * self.rho * self.metric.squared_norm(difference @ self.next_weights)
        )
        if self.gamma != 0.0:
            value += 0.5 * self.gamma * self.metric.squared_norm(difference)
        return value

    @property
    def dtype(self):
        return self.next_target.dtype

    @property
    def device(self):
        return device_of(self.next_target)

    def curvature_dimension(self) -> int:
        return self.next_weights.shape[0]

    def curvature_product(self, vector: Array) -> Array:
        """Return ``(rho W' W'^T + gamma I) v``, the curvature on one row."""
        image = self.rho * (self.next_weights @ (self.next_weights.T @ vector))
        if self.gamma != 0.0:
            image = image + self.gamma * vector
        return image

    def value(self, u: Array) -> float:
        return 0.5 * self.rho * self.metric.squared_norm(
            self._residual(u)
        ) + self.anchor_value(u)

    def value_and_gradient(self, u: Array) -> tuple[float, Array]:
        residual = self._residual(u)
        value = 0.5 * self.rho * self.metric.squared_norm(residual)
        gradient = residual @ self.next_weights.T
        gradient *= self.rho
        if self.gamma != 0.0:
            gap = u - self.anchor
            value += 0.5 * self.gamma * self.metric.squared_norm(gap)
            gap *= self.gamma
            gradient += gap
        return value, gradient

    def gradient(self, u: Array) -> Array:
        gradient = self._residual(u) @ self.next_weights.T
        gradient *= self.rho
        if self.gamma != 0.0:
            gap = u - self.anchor
            gap *= self.gamma
            gradient += gap
        return gradient


def _rounding_noise(xp: Any, target: Array) -> float:
    """Return ``16 eps max|target|``, the size of a coupling residual's rounding.

    A residual ``Z - A W - b`` that is zero in exact arithmetic comes out of
    the computation as rounding noise, whose size depends on the order of the
    sums; :func:`_snap` takes the entries below this size as zeros.
    """
    if target.size == 0:
        return 0.0
    largest = max(host_floats(xp.stack([xp.max(target), -xp.min(target)])))
    return 16.0 * float(xp.finfo(target.dtype).eps) * largest


def _snap(xp: Any, residual: Array, noise: float) -> Array:
    """Set to zero, in place, the entries of a residual within ``noise`` of zero.

    A step along rounding noise would be a step in a random direction; the
    entries of size at most ``noise`` (:func:`_rounding_noise`) are taken as
    the zeros they are. ``residual`` must be an array the caller owns.
    Boolean-mask assignment is the array API standard's boolean indexing.
    """
    if residual.size == 0:
        return residual
    negligible = residual <= noise
    negligible &= residual >= -noise
    residual[negligible] = 0.0
    return residual


def _feasible_base(block: _Block, u: Array) -> Array | None:
    """Return ``P_C(u)`` when ``u`` lies in ``C`` up to rounding, else None.

    The box edges of the pre-activation step come from a round trip through
    ``sigma`` and its inverse, so a ``u^k`` on an edge can sit a rounding
    error outside the new box: it is feasible all the same. A ``u`` inside
    ``C`` is its own projection and is returned as it is.
    """
    if not block.outside(u):
        return u
    projected = block.project(u)
    xp = block.xp
    distance = float(xp.max(xp.abs(projected - u)))
    scale = 1.0 + float(xp.max(xp.abs(projected)))
    tolerance = 64.0 * float(xp.finfo(u.dtype).eps) * scale
    return projected if distance <= tolerance else None


def _extrapolate(base: Array, direction: Array, factor: float) -> Array:
    """Return ``base + factor * direction``, computed in ``direction``'s memory.

    ``direction`` must be an array the caller owns; it is overwritten.
    """
    direction *= factor
    direction += base
    return direction


def inertial_step(
    block: _Block,
    current: Array,
    previous: Array,
    inertia: tuple[float, float, float],
    step: StepSize,
    monotone: bool,
) -> tuple[Array, StepReport]:
    """Perform one triple-inertial prox-linear step on a block.

    With ``u^k = current`` and ``u^{k-1} = previous``::

        centre = u^k + p1 (u^k - u^{k-1})        first inertia
        point  = u^k + p2 (u^k - u^{k-1})        second inertia
        u+     = P_C(centre - grad f(point) / tau)
        u^{k+1} = P_C(u+ + p3 (u+ - u^k))        third inertia, re-projected

    If backtracking fails, ``u+ = P_C(u^k)``. With ``monotone=True`` and some
    inertia, :func:`safeguard` then checks the result against ``f(u^k)``.

    For the blocks whose step from ``centre = point`` is their exact
    minimiser (``exact_when_centred``: the biases and the hidden
    pre-activations), equal ``p1 = p2`` with ``p3 = 0`` give that minimiser
    whatever the momentum, which is also the plain step's result and never
    raises ``f``: the step is taken from ``u^k`` and nothing is compared.

    Parameters
    ----------
    block : block subproblem
        One of the block classes of this module.
    current, previous : array
        ``u^k`` and ``u^{k-1}``.
    inertia : tuple of float
        ``(p1, p2, p3)``.
    step : StepSize
        The block's step size, updated in place by backtracking.
    monotone : bool
        Whether to apply the safeguard.

    Returns
    -------
    new : array
        ``u^{k+1}``.
    report : StepReport
        The accepted ``tau``, the number of trials, whether the safeguard
        restarted the block, and whether no step was accepted.
    """
    p1, p2, p3 = inertia
    if block.exact_when_centred and p1 == p2 and p3 == 0.0:
        # From any centre = point the step lands on the block's minimiser over
        # C, so the inertia cannot change it, and it cannot raise f above any
        # feasible u^k: no extrapolation, and nothing for the safeguard to do.
        plus, _, trials = block.prox_linear(current, current, step)
        failed = plus is None
        new = block.project(current) if failed else plus
        return new, StepReport(step.tau, trials, False, failed)
    centre = point = current
    if p1 == p2 != 0.0:
        centre = point = _extrapolate(current, current - previous, p1)
    elif p1 != 0.0 or p2 != 0.0:
        momentum = current - previous
        if p1 != 0.0:
            centre = current + p1 * momentum
        if p2 != 0.0:
            point = current + p2 * momentum

    plus, plus_value, trials = block.prox_linear(centre, point, step)
    failed = plus is None
    if failed:
        plus, plus_value = block.project(current), None
    new = plus
    if p3 != 0.0:
        new = block.project_into(_extrapolate(plus, plus - current, p3))
    report = StepReport(step.tau, trials, False, failed)
    if not monotone or (p1 == 0.0 and p2 == 0.0 and p3 == 0.0):
        # Without inertia the step is the plain one already.
        return new, report
    new_value = plus_value if (new is plus and plus_value is not None) else None
    return safeguard(block, current, new, new_value, step, report)


def safeguard(
    block: _Block,
    current: Array,
    new: Array,
    new_value: float | None,
    step: StepSize,
    report: StepReport,
) -> tuple[Array, StepReport]:
    """Return ``new``, or the plain step from ``u^k`` when ``new`` raises ``f``.

    The monotone safeguard: an inertial update ``new`` whose block objective
    exceeds ``f(u^k)`` is redone from ``u^k`` with ``p1 = p2 = p3 = 0``. That
    plain step cannot raise ``f`` from a feasible ``u^k``; if rounding says
    otherwise, ``u^k`` is kept. When ``u^k`` is infeasible (epsilon has just
    shrunk), there is nothing feasible to compare with: the block takes the
    plain step.

    Parameters
    ----------
    block : block subproblem
        The block the step was taken on.
    current : array
        ``u^k``.
    new : array
        The inertial update ``u^{k+1}``.
    new_value : float or None
        ``f(new)`` when the step already computed it.
    step : StepSize
        The block's step size, updated in place by a plain step's search.
    report : StepReport
        The inertial step's report, extended with the restart's trials.

    Returns
    -------
    new : array
        The accepted update.
    report : StepReport
        ``report``, marked restarted when the plain step was taken.
    """
    trials = report.trials
    base = _feasible_base(block, current)
    if base is None:
        # epsilon shrank and u^k left the feasible set: there is no
        # feasible value to compare with, so take the plain step.
        plus, _, more_trials = block.prox_linear(current, current, step)
        failed = plus is None
        return (block.project(current) if failed else plus), StepReport(
            step.tau, trials + more_trials, True, failed
        )
    base_value = block.value(base)
    if new_value is None:
        new_value = block.value(new)
    if new_value <= base_value:
        return new, report
    plus, plus_value, more_trials = block.prox_linear(base, base, step)
    failed = plus is None
    new = base if failed else plus
    if not failed:
        new_value = plus_value if plus_value is not None else block.value(new)
        if new_value > base_value:
            new = base
    return new, StepReport(step.tau, trials + more_trials, True, failed)
