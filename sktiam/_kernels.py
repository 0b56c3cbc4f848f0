"""The elementwise and reduction kernels of the mini-batch step, per backend.

A mini-batch step (:mod:`sktiam._minibatch`) is a few matrix products and many
small operations on arrays of a batch's rows. On small batches those
operations, not the products, cost the time: each is a call into the array
library, and on a GPU a kernel launch. This module gives each such operation
three implementations with the same numbers, to rounding:

- :class:`ArrayKernels`, on the array API standard alone: the reference, and
  what array-api-strict and other namespaces run;
- :class:`NumpyKernels`, with NumPy's in-place ufuncs (``out=``) and methods,
  which spare the temporaries and the dispatch of the generic functions;
- ``CupyKernels`` (:mod:`sktiam._cupy_kernels`), which compiles each into one
  CUDA kernel.

:func:`sktiam._backend.kernels_for` picks one for a namespace. An operation
that takes an argument it may overwrite says so: only arrays the step made
itself and does not read again are handed over.
"""

import contextlib
import functools
import math
from collections.abc import Callable
from typing import Any

from ._activations import Activation, device_of
from ._losses import LogisticLoss, SoftmaxCrossEntropy

Array = Any

#: The largest move of an output pre-activation (a logit) in one Newton
#: iteration of the mini-batch output prox. A full Newton step from a badly
#: predicted row can overshoot the minimiser and oscillate.
OUTPUT_PROX_STEP_CAP = 2.5
#: Newton iterations of the output prox beyond those that the cap needs to
#: reach any minimiser (:func:`output_prox_iterations`).
OUTPUT_PROX_EXTRA_ITERATIONS = 3
#: On NumPy, where a scalar costs nothing to read, the output prox's Newton
#: loop stops early once no gradient entry exceeds this: with the row's
#: Hessian at least ``rho I``, the steps it skips would move ``Z_L`` by at
#: most about ``sqrt(K) 1e-14 / rho`` (3e-13 for ten classes at the default
#: ``rho``). On digits at the defaults five of the seven iterations reach it
#: in 90% of the batches, six in 99%. In float32 the gradient's rounding is
#: far above it, and the loop takes its full count.
NEWTON_EXIT_RESIDUAL = 1e-14
#: The first Newton iteration whose gradient is tested against
#: :data:`NEWTON_EXIT_RESIDUAL`: none of digits' batches reach it sooner.
NEWTON_EXIT_CHECK = 4
#: Power iterations per step size of an ``A_l`` step, warm-started from the
#: last vector: its curvature ``rho W' W'^T + gamma I`` moves only as the
#: weights do. One iteration per step diverged at batches of 64 on digits;
#: two held at 32.
POWER_ITERATIONS = 2
#: Power iterations per step size of a ``W_l`` step. Its curvature is the
#: batch's ``rho A^T S A + alpha I``, whose top eigenvector moves from batch
#: to batch. With momentum ``p`` the step ``W + p (W - W_prev) - grad
#: f(point) / tau`` is stable on a quadratic only while ``tau > lambda (1 +
#: 2p) / (2 (1 + p))``, 0.74 ``lambda`` at 0.95. On digits (batches of 64
#: rows of 64 features, one hidden layer of 64), two iterations from the
#: last batch's vector left ``tau`` under that bound in 13% of the first
#: layer's steps, 0.15 ``lambda`` at worst, and ``leaky_relu`` networks
#: diverged (training loss from 0.13 at epoch 4 to 0.85 at epoch 9); three
#: left it under in 6-8%, almost all first rounds on a new batch, and
#: training held for ``leaky_relu`` and ``relu`` on seeds 0-4; four, in 3%.
WEIGHT_POWER_ITERATIONS = 3
#: A step size never falls below this fraction of the last one.
STEP_SHRINK = 0.5


def output_prox_iterations(rho: float) -> int:
    """Return the Newton iterations of the mini-batch output prox at ``rho``.

    Each entry of the minimiser lies within ``1 / rho`` of ``V`` (its gradient
    ``p - y`` is in ``[-1, 1]``), so ``ceil(1 / (rho cap))`` capped steps can
    reach it from ``V``; :data:`OUTPUT_PROX_EXTRA_ITERATIONS` more converge
    where Newton's step is no longer capped. Seven at the default
    ``rho = 0.1``.
    """
    return math.ceil(1.0 / (rho * OUTPUT_PROX_STEP_CAP)) + OUTPUT_PROX_EXTRA_ITERATIONS


class ArrayKernels:
    """The operations on the array API standard alone: the reference.

    Parameters
    ----------
    xp : namespace
        The array namespace.
    """

    #: Whether a step on these kernels can be captured in a CUDA graph.
    captures = False

    def __init__(self, xp: Any) -> None:
        self.xp = xp

    def running(self) -> contextlib.AbstractContextManager:
        """Return the context an epoch of steps runs in: none here."""
        return contextlib.nullcontext()

    def matmul(
        self,
        a: Array,
        b: Array,
        transpose_a: bool = False,
        transpose_b: bool = False,
    ) -> Array:
        """Return ``op(a) @ op(b)``, ``op`` a transpose or not; ``a`` may be sparse."""
        return (a.T if transpose_a else a) @ (b.T if transpose_b else b)

    def scalar(self, value: Any, like: Array) -> Array:
        """Return ``value`` as a 0-d array of ``like``'s dtype and device."""
        return self.xp.asarray(value, dtype=like.dtype, device=device_of(like))

    def step_size(self, estimate: Array, tau: Array) -> Array:
        """Return ``max(estimate, STEP_SHRINK tau)``; NaN stays NaN."""
        return self.xp.maximum(estimate, STEP_SHRINK * tau)

    def power_estimate(
        self,
        curvature: Callable[[Array], Array],
        direction: Array,
        iterations: int = POWER_ITERATIONS,
    ) -> tuple[Array, Array]:
        """Return the power iteration's estimate of the top curvature, and its vector.

        ``iterations`` power iterations on the symmetric positive semi-definite
        map ``curvature``, from ``direction``; the estimate is the Rayleigh
        quotient of the last vector, at most the largest eigenvalue, and the
        next warm start is the last image, normalised. The vectors are
        normalised by their largest entry, not their length: the quotient
        does not depend on their scale, and a length squares the image's
        entries, which are themselves of the data's squares. With it, the
        power iteration overflowed float32 for features or regression
        targets near 1e10, at a quarter of the digits the dtype holds.
        Nothing is read back: where the curvature vanishes on the vectors (a
        batch of zeros) the estimate is 0 and the warm start is kept, so
        that no NaN enters the direction, by ``xp.where``. An overflow of
        the curvature itself makes the estimate non-finite, which the
        epoch's check reports.
        """
        xp = self.xp
        vector = direction
        for iteration in range(iterations):
            image = curvature(vector)
            largest = xp.max(xp.abs(image))
            if iteration == iterations - 1:
                break
            vector = image / xp.where(largest > 0, largest, 1.0)
        squared = self.dot(vector, vector)
        zero = (largest == 0) | (squared == 0)
        product = self.dot(vector, image)
        estimate = xp.where(zero, 0.0, product / xp.where(zero, 1.0, squared))
        keep = zero | ~xp.isfinite(largest)
        new_direction = image / xp.where(keep, 1.0, largest)
        return estimate, xp.where(keep, direction, new_direction)

    def dot(self, u: Array, v: Array) -> Array:
        """Return ``<u, v>`` of two vectors, a 0-d array."""
        return self.xp.sum(u * v)

    def total(self, a: Array) -> Array:
        """Return the sum of every entry, a 0-d array."""
        return self.xp.sum(a)

    def squared_norm(self, a: Array) -> Array:
        """Return the sum of the squares of every entry, a 0-d array."""
        return self.xp.sum(a * a)

    def column_sums(self, a: Array) -> Array:
        """Return the sums over the rows of a 2-D array."""
        return self.xp.sum(a, axis=0)

    def affine(self, inputs: Array, weights: Array, bias: Array) -> Array:
        """Return ``inputs @ weights + bias``; ``inputs`` may be sparse."""
        return inputs @ weights + bias

    def residual(
        self, inputs: Array, weights: Array, bias: Array, target: Array
    ) -> Array:
        """Return ``inputs @ weights + bias - target``, the coupling residual."""
        return inputs @ weights + bias - target

    def extrapolated_residual(
        self,
        current: Array,
        previous: Array,
        bias_change: Array,
        target: Array,
        factor: float,
    ) -> Array:
        """Return ``current - target + factor ((current - previous) - bias_change)``.

        With ``current = A W + b`` and ``previous = A W' + b'``, this is the
        coupling residual ``A (W + factor (W - W')) + b - target`` at the
        extrapolated weights, with ``bias_change = b - b'``, and no product.
        """
        if not factor:
            return current - target
        return current - target + factor * ((current - previous) - bias_change)

    def scaled_step(
        self, start: Array, gradient: Array, scale: float, tau: Array
    ) -> Array:
        """Return ``start - gradient * (scale / tau)``; may overwrite ``gradient``."""
        return start - gradient * (scale / tau)

    def clip(self, a: Array, lower: float, upper: float) -> Array:
        """Return ``a`` clipped to ``[lower, upper]``; may overwrite ``a``."""
        return self.xp.clip(a, lower, upper)

    def extrapolate(self, current: Array, previous: Array, factor: float) -> Array:
        """Return ``current + factor (current - previous)``: an inertial point."""
        return current + factor * (current - previous)

    def weight_step(
        self,
        centre: Array,
        data_gradient: Array,
        point: Array,
        coefficients: tuple[float, float, float],
        tau: Array,
        current: Array,
    ) -> Array:
        """Return the prox-linear step of a weight block and its third inertia.

        With ``(scale, alpha, p3) = coefficients``::

            plus = centre - (scale * data_gradient + alpha * point) / tau
            new  = plus + p3 (plus - current)

        ``data_gradient`` may be overwritten.
        """
        scale, alpha, p3 = coefficients
        plus = centre - (scale * data_gradient + alpha * point) / tau
        if p3:
            plus = plus + p3 * (plus - current)
        return plus

    def solve(self, matrix: Array, rows: Array) -> Array:
        """Return ``X`` with ``X matrix = rows``, for an SPD ``matrix``.

        The linear algebra extension of the array API: a factorisation, no
        explicit inverse, and nothing read back. A ``matrix`` with a
        non-finite entry (an overflow upstream) gives NaN everywhere, which
        the epoch's finiteness check reports, where LAPACK's solve can
        return finite numbers for it.
        """
        xp = self.xp
        solution = xp.linalg.solve(matrix, rows.T).T
        nan = xp.asarray(xp.nan, dtype=solution.dtype, device=device_of(solution))
        return xp.where(xp.all(xp.isfinite(matrix)), solution, nan)

    def conjugate_gradient(self, matrix: Array, rows: Array, iterations: int) -> Array:
        """Return ``iterations`` conjugate-gradient iterations on ``X matrix = rows``.

        Each row is its own system with the symmetric positive definite
        ``matrix``, solved from ``X = 0`` with its own step lengths: every
        scalar of the iteration is a column of per-row values, and nothing
        is read back. CG minimises ``(1/2) x M x^T - rows x^T`` over a
        Krylov space that grows by one dimension per iteration, so that
        objective falls at every iteration and reaches its minimum in at
        most ``matrix.shape[0]`` of them (in exact arithmetic). A row whose
        residual vanishes stops moving.
        """
        xp = self.xp
        solution = xp.zeros_like(rows)
        residual = direction = rows
        squared = xp.sum(residual * residual, axis=1, keepdims=True)
        for _ in range(iterations):
            image = self.matmul(direction, matrix)
            curvature = xp.sum(direction * image, axis=1, keepdims=True)
            positive = curvature > 0
            length = xp.where(
                positive, squared / xp.where(positive, curvature, 1.0), 0.0
            )
            solution = solution + length * direction
            residual = residual - length * image
            new_squared = xp.sum(residual * residual, axis=1, keepdims=True)
            moving = squared > 0
            ratio = xp.where(moving, new_squared / xp.where(moving, squared, 1.0), 0.0)
            direction = residual + ratio * direction
            squared = new_squared
        return solution

    def output_step(
        self, loss: Any, centre: Array, targets: Array, rho: float
    ) -> tuple[Array, Array, Array]:
        """Return the loss of each row at ``centre``, the output prox and its residual.

        The prox is closed form for the squared error; for the
        cross-entropies, :func:`output_prox_iterations` capped Newton steps
        (:meth:`sktiam._losses._NewtonProx.fixed_prox`). The losses are those
        of the forward network, whose output ``centre`` is.
        """
        xp = self.xp
        prox, residual = loss.fixed_prox(
            xp,
            centre,
            targets,
            rho,
            output_prox_iterations(rho),
            OUTPUT_PROX_STEP_CAP,
        )
        return loss.value(xp, centre, targets), prox, residual

    def penalty_prox(
        self,
        activation: Activation,
        centre: Array,
        activations: Array,
        rho: float,
        gamma: float,
        iterations: int,
    ) -> tuple[Array, Array]:
        """Return the hidden penalty prox and its residual.

        :meth:`sktiam._activations.Activation.fixed_penalty_prox`.
        """
        return activation.fixed_penalty_prox(
            self.xp, centre, activations, rho, gamma, iterations
        )


class NumpyKernels(ArrayKernels):
    """The operations with NumPy's methods and in-place ufuncs.

    Reductions are array methods and 1-D products ``u @ v``, which skip the
    dispatch of ``numpy.sum``; elementwise updates write into an array the
    step made (``out=``), where the generic code makes a temporary per
    operation. On the CPU a scalar costs nothing to read, so the step sizes
    and the power iterations' scalars are Python floats, with the generic
    code's tests written as ``if``, and the output prox's Newton loop stops
    where it has converged.
    """

    def __init__(self, xp: Any) -> None:
        import numpy
        import scipy.linalg

        super().__init__(xp)
        self.np = numpy
        self.scipy_linalg = scipy.linalg

    def scalar(self, value: Any, like: Array) -> float:
        return float(value)

    def step_size(self, estimate: float, tau: float) -> float:
        shrunk = STEP_SHRINK * tau
        if math.isnan(estimate) or math.isnan(shrunk):
            return math.nan
        return max(estimate, shrunk)

    def power_estimate(self, curvature, direction, iterations=POWER_ITERATIONS):
        # Normalised by the length, one BLAS call, where its square is
        # finite; by the largest entry where it is not (the squares of the
        # image's entries overflowed, not necessarily the image). A scalar
        # read costs nothing here, and the largest entry costs two calls.
        vector = direction
        for iteration in range(iterations):
            image = curvature(vector)
            norm = self._scale(image)
            if iteration == iterations - 1:
                break
            vector = image / norm if norm > 0 else image
        squared = float(vector @ vector)
        if norm == 0 or squared == 0:
            return 0.0, direction
        estimate = float(vector @ image) / squared
        if not math.isfinite(norm):
            return estimate, direction
        return estimate, image / norm

    def _scale(self, image: Array) -> float:
        """Return the length of ``image``, or its largest entry if that overflows."""
        norm_squared = float(image @ image)
        if math.isfinite(norm_squared):
            return math.sqrt(norm_squared)
        return float(self.np.max(self.np.abs(image)))

    def dot(self, u: Array, v: Array) -> Array:
        return u @ v

    def total(self, a: Array) -> Array:
        return a.sum()

    def squared_norm(self, a: Array) -> Array:
        return self.np.vdot(a, a)

    def column_sums(self, a: Array) -> Array:
        return a.sum(axis=0)

    def affine(self, inputs: Array, weights: Array, bias: Array) -> Array:
        out = inputs @ weights
        out += bias
        return out

    def residual(
        self, inputs: Array, weights: Array, bias: Array, target: Array
    ) -> Array:
        out = inputs @ weights
        out += bias
        out -= target
        return out

    def extrapolated_residual(self, current, previous, bias_change, target, factor):
        out = current - target
        if factor:
            change = current - previous
            change -= bias_change
            change *= factor
            out += change
        return out

    def scaled_step(self, start, gradient, scale, tau):
        gradient *= -(scale / tau)
        gradient += start
        return gradient

    def clip(self, a: Array, lower: float, upper: float) -> Array:
        # Two ufuncs: numpy.clip's Python wrapper costs more than both.
        self.np.maximum(a, lower, out=a)
        return self.np.minimum(a, upper, out=a)

    def extrapolate(self, current: Array, previous: Array, factor: float) -> Array:
        out = current - previous
        out *= factor
        out += current
        return out

    def weight_step(self, centre, data_gradient, point, coefficients, tau, current):
        scale, alpha, p3 = coefficients
        np = self.np
        data_gradient *= scale / tau
        if alpha:
            data_gradient += np.multiply(point, alpha / tau)
        plus = np.subtract(centre, data_gradient, out=data_gradient)
        if p3:
            extrapolation = plus - current
            extrapolation *= p3
            plus += extrapolation
        return plus

    def penalty_prox(self, activation, centre, activations, rho, gamma, iterations):
        if activation.name == "relu":
            return self._relu_prox(centre, activations, rho, gamma), 0.0
        return super().penalty_prox(
            activation, centre, activations, rho, gamma, iterations
        )

    def _relu_prox(self, w: Array, a: Array, rho: float, gamma: float) -> Array:
        """:meth:`Activation._piecewise_linear_prox` of relu, in two buffers.

        ``z = w`` where ``w < 0`` and ``a + k w < 0``, that is where
        ``max(a + k w, w) < 0``; elsewhere ``z = max((rho w + gamma a) /
        (rho + gamma), 0)``.
        """
        np = self.np
        positive = np.multiply(w, rho / (rho + gamma))
        threshold = np.multiply(a, gamma / (rho + gamma))
        positive += threshold
        np.maximum(positive, 0.0, out=positive)
        k = (math.sqrt(rho * (rho + gamma)) + rho) / gamma
        np.multiply(w, k, out=threshold)
        threshold += a
        np.maximum(threshold, w, out=threshold)
        return np.where(threshold < 0.0, w, positive)

    def solve(self, matrix: Array, rows: Array) -> Array:
        """:meth:`ArrayKernels.solve` by a Cholesky factor (SciPy's LAPACK).

        On one BLAS thread: the systems are a layer wide, and the threads of
        a multithreaded BLAS cost more to wake than the solve (measured on
        two cores: 3.3 ms a solve with two threads, 0.1 ms with one). A
        matrix with a non-finite entry gives NaN, as in the generic solve,
        and so does one that Cholesky finds not positive definite.
        """
        np = self.np
        if not np.isfinite(matrix).all():
            # An overflow upstream: Cholesky would return finite numbers.
            return np.full_like(rows, np.nan)
        with self._one_thread():
            try:
                factor = self.scipy_linalg.cho_factor(matrix, check_finite=False)
            except np.linalg.LinAlgError:
                # Not positive definite: rounding at a scale near overflow.
                # NaN, which the epoch's finiteness check reports.
                return np.full_like(rows, np.nan)
            return self.scipy_linalg.cho_solve(factor, rows.T, check_finite=False).T

    def _one_thread(self) -> contextlib.AbstractContextManager:
        """Return a context in which BLAS and LAPACK run on one thread."""
        return _threadpool_controller().limit(limits=1, user_api="blas")

    def conjugate_gradient(self, matrix: Array, rows: Array, iterations: int) -> Array:
        """:meth:`ArrayKernels.conjugate_gradient`, in place on four buffers."""
        np = self.np
        solution = np.zeros_like(rows)
        residual, direction = rows.copy(), rows.copy()
        squared = np.vecdot(residual, residual, axis=1)[:, None]
        step = np.empty_like(rows)
        for _ in range(iterations):
            image = direction @ matrix
            curvature = np.vecdot(direction, image, axis=1)[:, None]
            length = np.divide(
                squared, curvature, out=np.zeros_like(squared), where=curvature > 0
            )
            solution += np.multiply(direction, length, out=step)
            residual -= np.multiply(image, length, out=image)
            new_squared = np.vecdot(residual, residual, axis=1)[:, None]
            ratio = np.divide(
                new_squared, squared, out=np.zeros_like(squared), where=squared > 0
            )
            direction *= ratio
            direction += residual
            squared = new_squared
        return solution

    def output_step(self, loss, centre, targets, rho):
        iterations = output_prox_iterations(rho)
        if isinstance(loss, SoftmaxCrossEntropy):
            return self._softmax_step(centre, targets, rho, iterations)
        if isinstance(loss, LogisticLoss):
            return self._logistic_step(centre, targets, rho, iterations)
        return super().output_step(loss, centre, targets, rho)

    def _softmax_step(
        self, v: Array, y: Array, rho: float, iterations: int
    ) -> tuple[Array, Array, Array]:
        """:meth:`SoftmaxCrossEntropy.fixed_prox` and the losses, on four buffers.

        The exponentials are shifted by the row maxima of ``v`` throughout:
        no entry moves by more than the cap per iteration, so they neither
        overflow nor all underflow. The row sums are products with a vector
        of ones, which BLAS computes faster than a reduction over a short
        axis. From :data:`NEWTON_EXIT_CHECK` on, the loop stops once no
        gradient entry exceeds :data:`NEWTON_EXIT_RESIDUAL`.
        """
        np = self.np
        cap = OUTPUT_PROX_STEP_CAP
        z = v.copy()
        ones = np.ones(v.shape[1], dtype=v.dtype)
        shift = v.max(axis=1, keepdims=True)
        p, gradient, scaled, direction = (np.empty_like(v) for _ in range(4))
        scratch = scaled
        losses = None
        for iteration in range(iterations + 1):
            # p = softmax(z)
            np.subtract(z, shift, out=p)
            np.exp(p, out=p)
            sums = p @ ones
            if losses is None:
                # The loss at V: logsumexp(v) - <y, v>.
                losses = np.log(sums)
                losses += shift[:, 0]
                losses -= np.vecdot(y, v, axis=1)
            p /= sums[:, None]
            # gradient = rho (z - v) + p - y
            np.subtract(z, v, out=gradient)
            gradient *= rho
            gradient += p
            gradient -= y
            if iteration == iterations or iteration >= NEWTON_EXIT_CHECK:
                residual = np.abs(gradient, out=scratch).max()
                if iteration == iterations or residual <= NEWTON_EXIT_RESIDUAL:
                    break
            # The Newton direction, by Sherman-Morrison on D - p p^T with
            # D = diag(p + rho): D^-1 g + D^-1 p <p, D^-1 g> / (rho <1, D^-1 p>).
            np.add(p, rho, out=direction)
            np.divide(gradient, direction, out=scaled)
            np.divide(p, direction, out=direction)
            coupling = np.vecdot(p, scaled, axis=1)
            coupling /= rho * (direction @ ones)
            direction *= coupling[:, None]
            direction += scaled
            np.minimum(direction, cap, out=direction)
            np.maximum(direction, -cap, out=direction)
            z -= direction
        return losses, z, residual

    def _logistic_step(
        self, v: Array, y: Array, rho: float, iterations: int
    ) -> tuple[Array, Array, Array]:
        """:meth:`LogisticLoss.fixed_prox` and the losses, on three buffers.

        It stops early as :meth:`_softmax_step` does.
        """
        np = self.np
        cap = OUTPUT_PROX_STEP_CAP
        z = v.copy()
        p, gradient, direction = (np.empty_like(v) for _ in range(3))
        scratch = direction
        losses = None
        for iteration in range(iterations + 1):
            # p = 1 / (1 + exp(-z)) = exp(-log(1 + exp(-z))), without overflow.
            np.negative(z, out=p)
            np.logaddexp(0.0, p, out=p)
            if losses is None:
                # The loss at V: log(1 + e^v) - y v = log(1 + e^-v) + (1 - y) v.
                losses = np.subtract(1.0, y, out=direction)
                losses *= v
                losses += p
                losses = losses.sum(axis=1)
            np.negative(p, out=p)
            np.exp(p, out=p)
            np.subtract(z, v, out=gradient)
            gradient *= rho
            gradient += p
            gradient -= y
            if iteration == iterations or iteration >= NEWTON_EXIT_CHECK:
                residual = np.abs(gradient, out=scratch).max()
                if iteration == iterations or residual <= NEWTON_EXIT_RESIDUAL:
                    break
            # direction = gradient / (p (1 - p) + rho), clipped to the cap.
            np.subtract(1.0, p, out=direction)
            direction *= p
            direction += rho
            np.divide(gradient, direction, out=direction)
            np.minimum(direction, cap, out=direction)
            np.maximum(direction, -cap, out=direction)
            z -= direction
        return losses, z, residual


@functools.cache
def _threadpool_controller() -> Any:
    """Return the process's ``threadpoolctl.ThreadpoolController``, made once.

    Making one inspects every loaded library; once per process, not per fit,
    is enough: the BLAS and LAPACK it limits are NumPy's and SciPy's, loaded
    before the first solve.
    """
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()
