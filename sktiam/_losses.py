"""Output losses R(Z; Y) and their row-wise proximal solvers.

The output pre-activation step (block ``Z_L`` of docs/algorithm.md) is the
proximal map of the loss at ``V = A_{L-1} W_L + b_L``::

    prox(V) = argmin_Z  R(Z; Y) + (rho / 2) ||Z - V||^2 .

The problem separates over rows (samples), and for the softmax over nothing
smaller; for the squared error and the logistic loss it separates over
entries. The squared error has a closed form. The two cross-entropies are
solved to a gradient tolerance by damped Newton steps, vectorised over rows:
the softmax Hessian ``diag(p) - p p^T + rho I`` is a diagonal plus a rank-one
term, so its Newton direction has a closed form (Sherman-Morrison) and no
matrix is formed or inverted.

Every function takes the array namespace ``xp`` as its first argument.
"""

from abc import ABC, abstractmethod
from typing import Any

from ._activations import device_of, logistic

Array = Any

# Armijo constant and the largest number of step halvings per Newton step.
_ARMIJO = 1e-4
_MAX_HALVINGS = 40


def log_softmax(xp: Any, z: Array) -> Array:
    """Return ``z - logsumexp(z)`` row by row, shifted by the row maximum."""
    shifted = z - xp.max(z, axis=1, keepdims=True)
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=1, keepdims=True))


class SquaredLoss:
    """Half the squared error, ``R(z; y) = ||z - y||^2 / 2`` per row."""

    name = "squared_error"
    out_activation = "identity"

    def value(self, xp: Any, z: Array, y: Array) -> Array:
        """Return the loss of each row, shape ``(n_samples,)``."""
        return 0.5 * xp.sum((z - y) ** 2, axis=1)

    def output(self, xp: Any, z: Array) -> Array:
        """Return the network's output for pre-activations ``z``."""
        return z

    def prox(
        self, xp: Any, v: Array, y: Array, rho: float, start: Array, tol: float
    ) -> tuple[Array, int]:
        """Return ``argmin_Z R(Z; Y) + (rho/2)||Z - V||^2 = (Y + rho V) / (1 + rho)``.

        ``start`` and ``tol`` are unused: the minimiser is exact. The second
        return value is the number of inner iterations, 0.
        """
        return (y + rho * v) / (1.0 + rho), 0

    def fixed_prox(
        self, xp: Any, v: Array, y: Array, rho: float, iterations: int, cap: float
    ) -> tuple[Array, Array]:
        """Return the exact prox and a residual of 0; ``iterations``, ``cap`` unused."""
        residual = xp.zeros((), dtype=v.dtype, device=device_of(v))
        return (y + rho * v) / (1.0 + rho), residual


class _NewtonProx(ABC):
    """Damped Newton for a strongly convex, row-separable prox problem.

    Subclasses give the row objective, its gradient and the Newton direction.
    Each row takes full Newton steps, halved until Armijo's condition holds,
    until the largest gradient entry is below ``tol``. From the warm start the
    objective of every row never increases.
    """

    max_iter = 100

    @abstractmethod
    def value(self, xp: Any, z: Array, y: Array) -> Array:
        """Return the loss of each row, shape ``(n_samples,)``."""

    def _evaluate(
        self, xp: Any, z: Array, v: Array, y: Array, rho: float
    ) -> tuple[Array, Any]:
        """Return the row objective and what its gradient can reuse."""
        shift = z - v
        return self.value(xp, z, y) + 0.5 * rho * xp.sum(shift * shift, axis=1), None

    @abstractmethod
    def _gradient_and_direction(
        self, xp: Any, z: Array, v: Array, y: Array, rho: float, cache: Any
    ) -> tuple[Array, Array]:
        """Return the row objective's gradient and its Newton direction.

        ``cache`` is what :meth:`_evaluate` returned at ``z``.
        """

    @abstractmethod
    def _cache(self, xp: Any, z: Array) -> Any:
        """Return what :meth:`_gradient_and_direction` reuses at ``z``."""

    @staticmethod
    def _capped(xp: Any, direction: Array, cap: float) -> Array:
        """Return the Newton direction with each entry clipped to ``[-cap, cap]``."""
        return xp.clip(direction, -cap, cap)

    def fixed_prox(
        self, xp: Any, v: Array, y: Array, rho: float, iterations: int, cap: float
    ) -> tuple[Array, Array]:
        """Return the prox after ``iterations`` capped Newton steps, and the residual.

        The mini-batch output step: a fixed number of Newton steps from
        ``z = V``, each clipped so that no entry moves by more than ``cap``,
        with no test read back from the arrays: the work and the result do
        not depend on a host decision. The residual, the
        largest entry of the gradient at the result, is a 0-d array.

        Parameters
        ----------
        xp : namespace
            The array namespace.
        v : array of shape (n_samples, n_outputs)
            The centre ``V = A_{L-1} W_L + b_L``, also the start.
        y : array of shape (n_samples, n_outputs)
            Targets.
        rho : float
            The penalty.
        iterations : int
            Newton steps to take.
        cap : float
            The largest move of an entry in one step.

        Returns
        -------
        z : array of shape (n_samples, n_outputs)
            The approximate minimiser.
        residual : 0-d array
            ``max |grad|`` at ``z``.
        """
        z = v
        for _ in range(iterations):
            _, direction = self._gradient_and_direction(
                xp, z, v, y, rho, self._cache(xp, z)
            )
            z = z - self._capped(xp, direction, cap)
        gradient, _ = self._gradient_and_direction(xp, z, v, y, rho, self._cache(xp, z))
        return z, xp.max(xp.abs(gradient))

    def prox(
        self, xp: Any, v: Array, y: Array, rho: float, start: Array, tol: float
    ) -> tuple[Array, int]:
        """Return ``argmin_Z R(Z; Y) + (rho/2)||Z - V||^2`` and the Newton count.

        Parameters
        ----------
        xp : namespace
            The array namespace.
        v : array of shape (n_samples, n_outputs)
            The centre ``V = A_{L-1} W_L + b_L``.
        y : array of shape (n_samples, n_outputs)
            Targets: one-hot rows (softmax) or 0/1 entries (logistic).
        rho : float
            The penalty, also the strong convexity modulus.
        start : array of shape (n_samples, n_outputs)
            Warm start, usually the current ``Z_L``.
        tol : float
            Stop when every entry of the gradient is below ``tol`` in absolute
            value.

        Returns
        -------
        z : array of shape (n_samples, n_outputs)
            The minimiser.
        n_iter : int
            Newton iterations taken.
        """
        z = start
        objective, cache = self._evaluate(xp, z, v, y, rho)
        eps = float(xp.finfo(z.dtype).eps)
        for n_iter in range(self.max_iter):
            gradient, direction = self._gradient_and_direction(xp, z, v, y, rho, cache)
            if float(xp.max(xp.abs(gradient))) <= tol:
                return z, n_iter
            decrease = xp.sum(gradient * direction, axis=1)
            # Rounding slack, so that steps that change the objective by less
            # than its rounding error are taken rather than halved forever. The
            # loss is a difference of terms as large as the entries of z.
            slack = 8.0 * eps * (xp.abs(objective) + xp.sum(xp.abs(z), axis=1))
            bound = objective + slack
            trial = z - direction
            trial_objective, trial_cache = self._evaluate(xp, trial, v, y, rho)
            if bool(xp.all(trial_objective <= bound - _ARMIJO * decrease)):
                # The full step suits every row: the usual case near the
                # solution, with nothing to halve.
                z, objective, cache = trial, trial_objective, trial_cache
                continue
            z, objective = self._halve(
                xp,
                (z, v, y, rho),
                direction,
                decrease,
                (objective, bound),
                (trial, trial_objective),
            )
            cache = self._evaluate(xp, z, v, y, rho)[1]
        return z, self.max_iter

    def _halve(
        self,
        xp: Any,
        problem: tuple[Array, Array, Array, float],
        direction: Array,
        decrease: Array,
        values: tuple[Array, Array],
        full_step: tuple[Array, Array],
    ) -> tuple[Array, Array]:
        """Return the rows' Armijo steps, halving where the full step failed.

        ``problem`` is ``(z, v, y, rho)``, ``values`` the row objectives at
        ``z`` with and without the rounding slack, ``full_step`` the full
        Newton step and its objectives. A row keeps the first step of
        ``1, 1/2, 1/4, ...`` that satisfies
        ``f(z - t d) <= f(z) - c t <g, d> + slack``, or ``z`` after
        :data:`_MAX_HALVINGS` halvings.
        """
        z, v, y, rho = problem
        objective, bound = values
        trial, trial_objective = full_step
        accepted = trial_objective <= bound - _ARMIJO * decrease
        candidate = xp.where(accepted[:, None], trial, z)
        candidate_objective = xp.where(accepted, trial_objective, objective)
        step = xp.ones_like(objective)
        step = xp.where(accepted, step, 0.5 * step)
        for _ in range(_MAX_HALVINGS - 1):
            trial = z - step[:, None] * direction
            trial_objective, _ = self._evaluate(xp, trial, v, y, rho)
            newly = (~accepted) & (trial_objective <= bound - _ARMIJO * step * decrease)
            candidate = xp.where(newly[:, None], trial, candidate)
            candidate_objective = xp.where(newly, trial_objective, candidate_objective)
            accepted = accepted | newly
            if bool(xp.all(accepted)):
                break
            step = xp.where(accepted, step, 0.5 * step)
        return candidate, candidate_objective


class SoftmaxCrossEntropy(_NewtonProx):
    """Multinomial cross-entropy, ``R(z; y) = logsumexp(z) - <y, z>`` per row."""

    name = "log_loss"
    out_activation = "softmax"

    def value(self, xp: Any, z: Array, y: Array) -> Array:
        """Return the loss of each row, shape ``(n_samples,)``."""
        return -xp.sum(y * log_softmax(xp, z), axis=1)

    def output(self, xp: Any, z: Array) -> Array:
        """Return the class probabilities for pre-activations ``z``."""
        return xp.exp(log_softmax(xp, z))

    def _cache(self, xp: Any, z: Array) -> Array:
        """The log-probabilities, for the gradient."""
        return log_softmax(xp, z)

    def _evaluate(self, xp, z, v, y, rho):
        """The objective, and the log-probabilities for the gradient."""
        log_p = log_softmax(xp, z)
        shift = z - v
        objective = 0.5 * rho * xp.sum(shift * shift, axis=1)
        objective -= xp.sum(y * log_p, axis=1)
        return objective, log_p

    def _gradient_and_direction(
        self, xp: Any, z: Array, v: Array, y: Array, rho: float, cache: Any
    ) -> tuple[Array, Array]:
        p = xp.exp(cache)
        gradient = rho * (z - v)
        gradient += p
        gradient -= y
        # Hessian H = D - p p^T with D = diag(p + rho). Sherman-Morrison:
        # H^-1 g = D^-1 g + D^-1 p (p^T D^-1 g) / (1 - p^T D^-1 p), where
        # 1 - p^T D^-1 p = sum(p * rho / (p + rho)) > 0 because sum(p) = 1.
        scaled_p = p / (p + rho)
        scaled_gradient = gradient / (p + rho)
        denominator = rho * xp.sum(scaled_p, axis=1, keepdims=True)
        coupling = xp.sum(p * scaled_gradient, axis=1, keepdims=True) / denominator
        scaled_p *= coupling
        scaled_p += scaled_gradient
        return gradient, scaled_p


class LogisticLoss(_NewtonProx):
    """Logistic loss per output, ``R(z; y) = sum_j log(1 + e^{z_j}) - y_j z_j``.

    Used for binary targets (one output) and multilabel indicator targets.
    """

    name = "log_loss"
    out_activation = "logistic"

    def value(self, xp: Any, z: Array, y: Array) -> Array:
        """Return the loss of each row, shape ``(n_samples,)``."""
        return xp.sum(xp.logaddexp(xp.zeros_like(z), z) - y * z, axis=1)

    def output(self, xp: Any, z: Array) -> Array:
        """Return the probability of each output for pre-activations ``z``."""
        return logistic(xp, z)

    def _cache(self, xp: Any, z: Array) -> None:
        """Nothing: the gradient is entrywise."""
        return None

    def _gradient_and_direction(
        self, xp: Any, z: Array, v: Array, y: Array, rho: float, cache: Any
    ) -> tuple[Array, Array]:
        p = logistic(xp, z)
        gradient = p - y + rho * (z - v)
        return gradient, gradient / (p * (1.0 - p) + rho)


def loss_for_target(
    target_type: str,
) -> SquaredLoss | SoftmaxCrossEntropy | LogisticLoss:
    """Return the output loss for a target type of ``type_of_target``.

    Parameters
    ----------
    target_type : {"continuous", "binary", "multiclass", "multilabel-indicator"}
        ``"continuous"`` covers single- and multi-output regression.

    Returns
    -------
    loss : SquaredLoss, SoftmaxCrossEntropy or LogisticLoss
    """
    if target_type == "continuous":
        return SquaredLoss()
    if target_type == "multiclass":
        return SoftmaxCrossEntropy()
    return LogisticLoss()
