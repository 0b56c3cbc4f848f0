"""Mini-batch TIAM: the batch step as one function of arrays, and its epochs.

:class:`MiniBatchStep` is the step of docs/algorithm.md's "Mini-batch TIAM"
section. Like an optax update, it maps arrays to arrays: the weights with
their momentum (:class:`Parameters`), the step sizes' state
(:class:`StepSizes`) and a batch of rows (:class:`Rows`) go in; their new
values, the batch's auxiliary variables and its loss come out. It reads
nothing back to the host: every scalar it computes, the step sizes
included, stays a 0-d array, and every safeguard is an ``xp.where``. On a GPU
a read is a synchronisation, so an epoch of steps runs without one, and
:class:`MiniBatchEpochs` reads the epoch's figures back once, at its end.

The full-batch iteration keeps the block objects of :mod:`sktiam._blocks`,
with backtracking and the monotone safeguard: that is the paper's iteration,
on one fixed objective. A mini-batch step needs none of them: each batch has
an objective of its own, the step sizes come from power iterations, and the
loss is read once per epoch.
"""

from typing import Any, NamedTuple

from sklearn.utils import gen_batches

from ._activations import HIDDEN_PROX_ITERATIONS, Activation, device_of
from ._backend import host_floats, kernels_for
from ._kernels import (
    WEIGHT_POWER_ITERATIONS,
    ArrayKernels,
    output_prox_iterations,
)
from ._losses import SquaredLoss

Array = Any

#: The largest inner residual (the largest entry of the output prox's
#: gradient, the hidden prox's ``|phi'|``) an epoch may leave before a
#: warning. The solution is then within ``1e-4 / rho`` of the exact prox;
#: the defaults leave at most 2.3e-6 on the benchmark's sets
#: (docs/algorithm.md, "Mini-batch TIAM").
PROX_RESIDUAL_TOLERANCE = 1e-4
#: Values of the estimators' ``activation_step`` parameter.
ACTIVATION_STEPS = ("prox-linear", "exact", "cg")
#: Conjugate-gradient iterations of ``activation_step="cg"``.
CG_ITERATIONS = 5
#: Values of the estimators' ``weight_step`` parameter.
WEIGHT_STEPS = ("prox-linear", "proximal")
#: ``weight_step="proximal"``'s proximal weight ``mu`` as a fraction of the
#: prox-linear step's ``tau``: ``mu = tau * PROXIMAL_WEIGHT_FRACTION``. On
#: an eigenvector of the data term's curvature with eigenvalue ``s``, the
#: step moves ``s / (s + mu)`` of the way to the data term's minimiser
#: where the prox-linear step moves ``s / tau``: 0.91 against 1 at the top,
#: 0.5 against 0.09 at a tenth of it. The fraction was chosen from 1, 1/3,
#: 1/10, 1/30 and 1/100 by the epoch-10 training loss and test accuracy
#: on digits and MNIST-5k (docs/algorithm.md, "Mini-batch TIAM").
PROXIMAL_WEIGHT_FRACTION = 0.1


class Parameters(NamedTuple):
    """``W_l`` and ``b_l``, and their values before the last step (the momentum)."""

    coefs: tuple[Array, ...]
    intercepts: tuple[Array, ...]
    previous_coefs: tuple[Array, ...]
    previous_intercepts: tuple[Array, ...]


class StepSizes(NamedTuple):
    """The state of the step sizes of the ``W_l`` and ``A_l`` steps.

    Each ``tau`` is a 0-d array; each direction is the last vector of its
    power iteration, the warm start of the next.
    """

    weight_taus: tuple[Array, ...]
    weight_directions: tuple[Array, ...]
    activation_taus: tuple[Array, ...]
    activation_directions: tuple[Array, ...]


class Rows(NamedTuple):
    """A batch: its inputs, targets and normalised sample weights.

    ``weights`` is None when all the rows weigh the same (each then counts
    ``1 / n_rows``), else the weights divided by their sum, of shape
    ``(n_rows, 1)``.
    """

    inputs: Array
    targets: Array
    weights: Array | None


class Auxiliaries(NamedTuple):
    """A batch's ``Z_l`` (l = 1..L) and ``A_l`` (l = 1..L-1) after its step."""

    preactivations: tuple[Array, ...]
    activations: tuple[Array, ...]


class BatchReport(NamedTuple):
    """What a step reports, as 0-d arrays.

    ``loss`` is the forward network's loss on the batch before the step,
    with the L2 term; the residuals are the largest gradient entry the
    output prox left and the largest ``|phi'|`` the hidden prox left.
    """

    loss: Array
    output_residual: Array
    hidden_residual: Array


class MiniBatchStep:
    """One mini-batch TIAM step, on the objective of one batch of rows.

    With ``s_i`` the batch's normalised sample weights::

        F_B = sum_i s_i R(Z_L,i; Y_i)
              + (rho/2) sum_l sum_i s_i ||Z_l,i - A_{l-1},i W_l - b_l||^2
              + (gamma/2) sum_{l<L} sum_i s_i ||A_l,i - sigma(Z_l,i)||^2
              + (alpha/2) sum_{l<L} ||W_l||^2 + (alpha_L/2) ||W_L||^2

    :meth:`__call__` takes the step of docs/algorithm.md:

    1. lift: ``V_l = A_{l-1} W_l + b_l``, ``A_l = sigma(V_l)``, ``Z_l = V_l``;
    2. a round (:meth:`round`): the auxiliaries from the output down (the
       output prox on ``Z_L`` at ``V_L``, then for ``l = L-1..1`` the
       ``A_l`` step and the penalty prox on ``Z_l`` at ``V_l``), then the
       triple-inertial steps on ``W_l`` and ``b_l``, ``l = 1..L``, with
       ``u^{k-1}`` the value before the last step;
    3. ``rounds - 1`` more rounds on the same rows, from the ``Z_l`` and
       ``A_l`` the last round left, with the centres
       ``V_l = A_{l-1} W_l + b_l`` recomputed from them and the new
       weights.

    Parameters
    ----------
    xp : namespace
        The array namespace.
    activation : Activation
        The hidden activation ``sigma``.
    loss : loss object
        The output loss of :mod:`sktiam._losses`.
    rho, gamma : float
        The coupling and activation penalties.
    alpha : float
        The weight decay of the objective (the estimators' ``alpha`` over the
        batch's rows).
    inertia : tuple of float
        ``(p1, p2, p3)``.
    kernels : ArrayKernels or None, default=None
        The implementation of the elementwise operations and reductions;
        None takes the fastest for ``xp`` (:func:`sktiam._backend.kernels_for`).
    activation_step : {"prox-linear", "exact", "cg"}, default="prox-linear"
        How the ``A_l`` subproblem is solved (:meth:`update_activation`).
    weight_step : {"prox-linear", "proximal"}, default="prox-linear"
        How the ``W_l`` step treats the data term (:meth:`update_weights`).
    cg_iterations : int, default=5
        Conjugate-gradient iterations of ``activation_step="cg"``.
    rounds : int, default=1
        Rounds per batch.
    output_alpha : float or None, default=None
        The output layer's weight decay ``alpha_L``; None is ``alpha``.
    """

    def __init__(
        self,
        xp: Any,
        activation: Activation,
        loss: Any,
        rho: float,
        gamma: float,
        alpha: float,
        inertia: tuple[float, float, float],
        kernels: ArrayKernels | None = None,
        activation_step: str = "prox-linear",
        cg_iterations: int = 5,
        rounds: int = 1,
        output_alpha: float | None = None,
        weight_step: str = "prox-linear",
    ) -> None:
        self.xp = xp
        self.kernels = kernels_for(xp) if kernels is None else kernels
        self.activation = activation
        self.loss = loss
        self.rho = rho
        self.gamma = gamma
        self.alpha = alpha
        self.inertia = inertia
        self.activation_step = activation_step
        self.weight_step = weight_step
        self.cg_iterations = cg_iterations
        self.rounds = rounds
        self.output_alpha = alpha if output_alpha is None else output_alpha

    def __call__(
        self, parameters: Parameters, steps: StepSizes, rows: Rows
    ) -> tuple[Parameters, StepSizes, Auxiliaries, BatchReport]:
        """Take the step on one batch; return the new state, Z and A, and the report.

        The report's loss is the forward network's loss on the batch before
        the step, with the L2 term; its residuals are the largest of the
        rounds'.
        """
        xp = self.xp
        centres, lifted = self.lift(parameters, rows)
        auxiliaries = Auxiliaries(tuple(centres), tuple(lifted))
        loss = output_residual = hidden_residual = None
        earlier = None
        for round_index in range(self.rounds):
            if round_index:
                earlier = centres[0]
                centres = self.centres(parameters, rows, auxiliaries.activations)
            parameters, steps, auxiliaries, report = self.round(
                parameters, steps, rows, centres, auxiliaries, earlier
            )
            if loss is None:
                loss = report.loss + self.regularisation(parameters.previous_coefs)
                output_residual = report.output_residual
                hidden_residual = report.hidden_residual
            else:
                output_residual = xp.maximum(output_residual, report.output_residual)
                hidden_residual = xp.maximum(hidden_residual, report.hidden_residual)
        return (
            parameters,
            steps,
            auxiliaries,
            BatchReport(loss, output_residual, hidden_residual),
        )

    def round(
        self,
        parameters: Parameters,
        steps: StepSizes,
        rows: Rows,
        centres: list[Array],
        auxiliaries: Auxiliaries,
        earlier: Array | None = None,
    ) -> tuple[Parameters, StepSizes, Auxiliaries, BatchReport]:
        """Take one round on a batch: the auxiliaries from the top down, then W, b.

        ``centres`` are ``V_l = A_{l-1} W_l + b_l`` at the current weights
        and auxiliaries. ``earlier`` is None in the first round, whose
        auxiliaries are the lift's, where ``A_l = sigma(Z_l)`` exactly; in
        a later round it is the last round's ``V_1 = X W_1' + b_1'``, at the
        weights of the momentum (:meth:`update_weights`). The report's loss
        is the data term of the loss at ``V_L``, the forward network's in
        the first round.
        """
        lifted = earlier is None
        xp = self.xp
        coefs, intercepts = parameters.coefs, parameters.intercepts
        last = len(coefs) - 1
        preactivations = list(auxiliaries.preactivations)
        activations = list(auxiliaries.activations)
        losses, preactivations[last], output_residual = self.update_output(
            centres[last], rows.targets
        )
        activation_taus = list(steps.activation_taus)
        activation_directions = list(steps.activation_directions)
        hidden_residual = xp.zeros(
            (), dtype=centres[last].dtype, device=device_of(centres[last])
        )
        for layer in range(last - 1, -1, -1):
            anchor = None if lifted else self.activation(xp, preactivations[layer])
            (
                activations[layer],
                activation_taus[layer],
                activation_directions[layer],
            ) = self.update_activation(
                parameters,
                layer,
                activations[layer],
                centres[layer + 1] - preactivations[layer + 1],
                anchor,
                activation_taus[layer],
                activation_directions[layer],
            )
            preactivations[layer], residual = self.update_preactivation(
                centres[layer], activations[layer]
            )
            hidden_residual = xp.maximum(hidden_residual, residual)
        new_coefs, new_intercepts = [], []
        weight_taus = list(steps.weight_taus)
        weight_directions = list(steps.weight_directions)
        for layer in range(last + 1):
            inputs = rows.inputs if layer == 0 else activations[layer - 1]
            coef, weight_taus[layer], weight_directions[layer] = self.update_weights(
                parameters,
                layer,
                inputs,
                preactivations[layer],
                rows,
                weight_taus[layer],
                weight_directions[layer],
                None if layer or lifted else (centres[0], earlier),
            )
            new_coefs.append(coef)
            new_intercepts.append(
                self.update_bias(
                    parameters, layer, inputs, preactivations[layer], coef, rows
                )
            )
        return (
            Parameters(tuple(new_coefs), tuple(new_intercepts), coefs, intercepts),
            StepSizes(
                tuple(weight_taus),
                tuple(weight_directions),
                tuple(activation_taus),
                tuple(activation_directions),
            ),
            Auxiliaries(tuple(preactivations), tuple(activations)),
            BatchReport(self.mean(rows, losses), output_residual, hidden_residual),
        )

    # -- the phases, each a function of arrays ----------------------------------

    def lift(
        self, parameters: Parameters, rows: Rows
    ) -> tuple[list[Array], list[Array]]:
        """Return ``V_l = A_{l-1} W_l + b_l`` and ``A_l = sigma(V_l)``, a forward pass.

        Every coupling residual of the lifted point is zero and every
        ``A_l = sigma(Z_l)``: the start of the auxiliaries' steps.
        """
        centres, activations = [], []
        layer_input = rows.inputs
        last = len(parameters.coefs) - 1
        for layer, (w, b) in enumerate(
            zip(parameters.coefs, parameters.intercepts, strict=True)
        ):
            centre = self.kernels.affine(layer_input, w, b)
            centres.append(centre)
            if layer < last:
                layer_input = self.activation(self.xp, centre)
                activations.append(layer_input)
        return centres, activations

    def centres(
        self, parameters: Parameters, rows: Rows, activations: tuple[Array, ...]
    ) -> list[Array]:
        """Return ``V_l = A_{l-1} W_l + b_l`` at the current weights and ``A_l``."""
        return [
            self.kernels.affine(
                rows.inputs if layer == 0 else activations[layer - 1], w, b
            )
            for layer, (w, b) in enumerate(
                zip(parameters.coefs, parameters.intercepts, strict=True)
            )
        ]

    def update_output(
        self, centre: Array, targets: Array
    ) -> tuple[Array, Array, Array]:
        """Return the rows' losses at ``V_L``, ``Z_L = prox(V_L)`` and its residual.

        ``V_L`` is the forward network's output, so the losses are its loss
        on the batch before the step. The prox is closed form for the
        squared error; for the cross-entropies, a fixed number of capped
        Newton steps (:meth:`sktiam._kernels.ArrayKernels.output_step`).
        """
        return self.kernels.output_step(self.loss, centre, targets, self.rho)

    def update_activation(
        self,
        parameters: Parameters,
        layer: int,
        activations: Array,
        residual: Array,
        anchor: Array | None,
        tau: Array,
        direction: Array,
    ) -> tuple[Array, Array, Array]:
        """Return the step on ``A_l``, and the step size's tau and vector.

        ``f(A) = (rho/2) sum_i s_i ||Z'_i - A_i W' - b'||^2
        + (gamma/2) sum_i s_i ||A_i - sigma(Z_l,i)||^2`` with ``W', b', Z'``
        of layer ``l + 1``, a quadratic with curvature
        ``M = rho W' W'^T + gamma I`` on each row. Its gradient at the
        current ``A`` is ``G = rho R W'^T + gamma (A - sigma(Z_l))`` with
        ``residual`` ``R = A W' + b' - Z'``; ``anchor`` is ``sigma(Z_l)``,
        or None where ``A = sigma(Z_l)`` (after a lift) and the ``gamma``
        term vanishes. By ``activation_step``:

        - ``"prox-linear"``: ``A - G / tau``, ``tau = max(lambda, tau_old / 2)``
          with ``lambda`` the power iteration's estimate of the largest
          eigenvalue of ``M`` (the paper's step), projected onto the closed
          range of ``sigma`` where that range is bounded
          (:attr:`Activation.closed_range`): the prox-linear step of the
          subproblem restricted to the values ``A = sigma(Z)`` can take.
          Without it, one step of a narrow logistic network moved 60% of
          its ``A`` outside ``[0, 1]``, and the next layer's weights were
          fitted to inputs the network never produces: training went
          backwards;
        - ``"exact"``: ``A - G M^{-1}``, the minimiser;
        - ``"cg"``: ``A - D`` with ``D`` ``cg_iterations`` conjugate-gradient
          iterations on ``D M = G`` from ``D = 0``, row by row.

        The last two leave ``tau`` and the vector as they are.
        """
        kernels = self.kernels
        following = parameters.coefs[layer + 1]
        rho, gamma = self.rho, self.gamma
        # G / rho, so that the prox-linear step scales once.
        gradient = kernels.matmul(residual, following, transpose_b=True)
        if anchor is not None:
            gradient = gradient + (gamma / rho) * (activations - anchor)
        if self.activation_step == "prox-linear":

            def curvature(vector: Array) -> Array:
                image = kernels.matmul(following, vector, transpose_a=True)
                return rho * kernels.matmul(following, image) + gamma * vector

            estimate, direction = kernels.power_estimate(curvature, direction)
            tau = kernels.step_size(estimate, tau)
            new = kernels.scaled_step(activations, gradient, rho, tau)
            bounds = self.activation.closed_range
            if bounds is not None:
                # The projected step, onto the range A = sigma(Z) can take.
                new = kernels.clip(new, *bounds)
            return new, tau, direction
        # M / rho = W' W'^T + (gamma / rho) I: solving with it takes G / rho.
        xp = self.xp
        scaled = kernels.matmul(following, following, transpose_b=True)
        scaled = scaled + (gamma / rho) * xp.eye(
            scaled.shape[0], dtype=scaled.dtype, device=device_of(scaled)
        )
        if self.activation_step == "exact":
            change = kernels.solve(scaled, gradient)
        else:
            change = kernels.conjugate_gradient(scaled, gradient, self.cg_iterations)
        return activations - change, tau, direction

    def update_preactivation(
        self, centre: Array, activations: Array
    ) -> tuple[Array, Array]:
        """Return the penalty prox on a hidden ``Z_l`` at ``V_l``, and its residual.

        ``Z_l = argmin_z (rho/2)(z - V_l)^2 + (gamma/2)(A_l - sigma(z))^2``,
        elementwise, with the new ``A_l``: closed form for the ReLU family,
        :data:`HIDDEN_PROX_ITERATIONS` bracketed Newton steps otherwise
        (:meth:`Activation.fixed_penalty_prox`).
        """
        return self.kernels.penalty_prox(
            self.activation,
            centre,
            activations,
            self.rho,
            self.gamma,
            HIDDEN_PROX_ITERATIONS,
        )

    def update_weights(
        self,
        parameters: Parameters,
        layer: int,
        inputs: Array,
        preactivations: Array,
        rows: Rows,
        tau: Array,
        direction: Array,
        products: tuple[Array, Array] | None = None,
    ) -> tuple[Array, Array, Array]:
        """Return the triple-inertial step on ``W_l``, its tau and vector.

        ``f(W) = (rho/2) sum_i s_i ||Z_i - A_i W - b||^2 + (alpha/2) ||W||^2``
        with ``A = A_{l-1}`` (``X`` for the first layer), ``Z = Z_l``,
        ``b = b_l`` and ``alpha`` the output's ``alpha_L`` for ``l = L``::

            centre = W + p1 (W - W_prev)          first inertia
            point  = W + p2 (W - W_prev)          second inertia
            W+     = centre - grad f(point) / tau
            W_new  = W+ + p3 (W+ - W)             third inertia

        ``grad f(W) = rho A^T S (A W + b - Z) + alpha W`` and
        ``tau = max(lambda, tau_old / 2)``, ``lambda`` the estimate of the
        largest eigenvalue of ``rho A^T S A + alpha I`` by
        :data:`~sktiam._kernels.WEIGHT_POWER_ITERATIONS` power iterations.
        With ``weight_step="proximal"`` the data term's gradient is
        preconditioned instead (:meth:`proximal_weights`).

        ``products`` is None, or ``(V, V')`` with ``V = A W + b`` and
        ``V' = A W_prev + b_prev``, the same rows' products at the weights
        and at those of the momentum (the first layer in a round after the
        first, whose ``A = X`` the last round multiplied by ``W_prev``).
        The residual at the gradient point then needs no product with
        ``A``: ``A point + b - Z = V - Z + p2 ((V - V') - (b - b_prev))``.
        """
        kernels = self.kernels
        p1, p2, p3 = self.inertia
        coef, previous = parameters.coefs[layer], parameters.previous_coefs[layer]
        centre = kernels.extrapolate(coef, previous, p1) if p1 else coef
        if p2 == p1:
            point = centre
        else:
            point = kernels.extrapolate(coef, previous, p2) if p2 else coef
        bias = parameters.intercepts[layer]
        if products is None:
            residual = kernels.residual(inputs, point, bias, preactivations)
        else:
            residual = kernels.extrapolated_residual(
                *products,
                bias - parameters.previous_intercepts[layer],
                preactivations,
                p2,
            )
        rho = self.rho
        alpha = self.output_alpha if layer == len(parameters.coefs) - 1 else self.alpha
        # rho A^T S R = rho_S A^T (w R): with equal weights, w = 1 and
        # rho_S = rho / n_rows, applied to the (small) product rather than R.
        weighted_rho = rho if rows.weights is not None else rho / residual.shape[0]

        def curvature(vector: Array) -> Array:
            image = self.weighted_product(rows, inputs, kernels.matmul(inputs, vector))
            return weighted_rho * image + alpha * vector

        estimate, direction = kernels.power_estimate(
            curvature, direction, WEIGHT_POWER_ITERATIONS
        )
        tau = kernels.step_size(estimate, tau)
        if self.weight_step == "proximal":
            new = self.proximal_weights(
                coef, centre, point, inputs, residual, rows, alpha, tau
            )
            return new, tau, direction
        new = kernels.weight_step(
            centre,
            self.weighted_product(rows, inputs, residual),
            point,
            (weighted_rho, alpha, p3),
            tau,
            coef,
        )
        return new, tau, direction

    def proximal_weights(
        self,
        coef: Array,
        centre: Array,
        point: Array,
        inputs: Array,
        residual: Array,
        rows: Rows,
        alpha: float,
        tau: Array,
    ) -> Array:
        """Return ``weight_step="proximal"``'s ``W_l``: a preconditioned step.

        With ``R = A point + b - Z`` and ``mu = PROXIMAL_WEIGHT_FRACTION tau``::

            W+    = centre - (rho A^T S A + mu I)^-1 rho A^T S R - (alpha/tau) point
            W_new = W+ + p3 (W+ - W)

        Where the centre and the gradient point coincide (``p1 = p2``, the
        default), ``W+`` is the exact minimiser of the data term plus
        ``(mu/2) ||W - centre||^2``, with the weight decay linearised as in
        the prox-linear step: a proximal step on the data term, which is
        not linearised. Its system is solved in the smaller of its
        two spaces: with no more rows than columns of ``A``, by
        ``(rho A^T S A + mu I)^-1 rho A^T S = A^T S^(1/2) (S^(1/2) A A^T
        S^(1/2) + (mu/rho) I)^-1 S^(1/2)``, a rows x rows system; otherwise
        the columns x columns one. Both are positive definite (``mu > 0``)
        and solved by a factorisation (:meth:`ArrayKernels.solve`).
        """
        xp, kernels = self.xp, self.kernels
        shift = (PROXIMAL_WEIGHT_FRACTION / self.rho) * tau
        n_rows, n_columns = residual.shape[0], coef.shape[0]
        weights = rows.weights
        if n_rows <= n_columns:
            gram = _dense(kernels.matmul(inputs, inputs, transpose_b=True))
            eye = xp.eye(n_rows, dtype=residual.dtype, device=device_of(residual))
            if weights is None:
                # S = I / n: A^T (A A^T / n + c I)^-1 R / n = A^T (A A^T + n c I)^-1 R.
                solved = _solve_right(kernels, gram + (n_rows * shift) * eye, residual)
            else:
                root = xp.sqrt(weights)
                system = root * gram * xp.reshape(root, (1, -1)) + shift * eye
                solved = root * _solve_right(kernels, system, root * residual)
            change = kernels.matmul(inputs, solved, transpose_a=True)
        else:
            inputs = _dense(inputs)
            eye = xp.eye(n_columns, dtype=residual.dtype, device=device_of(residual))
            system = self.weighted_product(rows, inputs, inputs)
            rhs = self.weighted_product(rows, inputs, residual)
            if weights is None:
                system, rhs = system / n_rows, rhs / n_rows
            change = _solve_right(kernels, system + shift * eye, rhs)
        new = centre - change
        if alpha:
            new = new - (alpha / tau) * point
        p3 = self.inertia[2]
        if p3:
            new = new + p3 * (new - coef)
        return new

    def update_bias(
        self,
        parameters: Parameters,
        layer: int,
        inputs: Array,
        preactivations: Array,
        coef: Array,
        rows: Rows,
    ) -> Array:
        """Return the triple-inertial step on ``b_l`` with ``tau = rho``.

        ``f(b) = (rho/2) ||b - c||^2`` plus a constant, with
        ``c = sum_i s_i (Z_i - A_i W)`` at the new ``W``: the gradient's
        Lipschitz constant is ``rho`` exactly. With ``p1 = p2`` and
        ``p3 = 0`` the step from ``centre = point`` is the minimiser ``c``,
        whatever the momentum.
        """
        p1, p2, p3 = self.inertia
        offset = self.column_means(rows, preactivations)
        offset = offset - self.kernels.matmul(self.input_means(rows, inputs), coef)
        if p1 == p2 and not p3:
            return offset
        bias = parameters.intercepts[layer]
        momentum = bias - parameters.previous_intercepts[layer]
        centre = bias + p1 * momentum
        point = bias + p2 * momentum
        plus = centre - (point - offset)
        if p3:
            plus = plus + p3 * (plus - bias)
        return plus

    # -- sums over the batch's rows ----------------------------------------------

    def mean(self, rows: Rows, values: Array) -> Array:
        """Return ``sum_i s_i v_i`` for ``v`` of shape (n_rows,), a 0-d array."""
        if rows.weights is None:
            return self.kernels.total(values) / values.shape[0]
        return self.kernels.dot(rows.weights[:, 0], values)

    def column_means(self, rows: Rows, a: Array) -> Array:
        """Return ``sum_i s_i a_i``, of shape (d,), for ``a`` of shape (n_rows, d)."""
        if rows.weights is None:
            return self.kernels.column_sums(a) / a.shape[0]
        return self.kernels.column_sums(rows.weights * a)

    def input_means(self, rows: Rows, inputs: Array) -> Array:
        """Return ``sum_i s_i x_i``; ``inputs`` may be a sparse matrix."""
        if hasattr(inputs, "tocsr"):
            weights = rows.weights
            if weights is None:
                xp = self.xp
                n_rows = inputs.shape[0]
                weights = xp.full(
                    (n_rows, 1),
                    1.0 / n_rows,
                    dtype=rows.targets.dtype,
                    device=device_of(rows.targets),
                )
            return self.kernels.matmul(inputs, weights[:, 0], transpose_a=True)
        return self.column_means(rows, inputs)

    def weighted_product(self, rows: Rows, inputs: Array, a: Array) -> Array:
        """Return ``inputs^T S a``, ``S = diag(s)``, up to the factor of equal weights.

        With equal weights ``S`` is ``I / n_rows``, and the product is
        ``inputs^T a``: the caller applies ``1 / n_rows`` where it is cheapest.
        ``inputs`` may be sparse.
        """
        if rows.weights is None:
            return self.kernels.matmul(inputs, a, transpose_a=True)
        weights = rows.weights if a.ndim == 2 else rows.weights[:, 0]
        return self.kernels.matmul(inputs, weights * a, transpose_a=True)

    def regularisation(self, coefs: tuple[Array, ...]) -> Array:
        """Return ``(alpha/2) sum_{l<L} ||W_l||^2 + (alpha_L/2) ||W_L||^2``, 0-d."""
        squares = [self.kernels.squared_norm(coef) for coef in coefs]
        if self.output_alpha == self.alpha:
            total = squares[0]
            for square in squares[1:]:
                total = total + square
            return 0.5 * self.alpha * total
        output = 0.5 * self.output_alpha * squares[-1]
        for square in squares[:-1]:
            output = output + 0.5 * self.alpha * square
        return output

    def objective_terms(
        self, parameters: Parameters, auxiliaries: Auxiliaries, rows: Rows
    ) -> dict[str, Array | list[Array]]:
        """Return the batch's ``F_B`` and its parts after the step, as 0-d arrays.

        ``objective`` is ``F_B``, ``coupling`` the coupling term of each layer,
        ``violation`` the largest ``|A_l - sigma(Z_l)|``.
        """
        xp = self.xp
        preactivations, activations = auxiliaries
        last = len(parameters.coefs) - 1
        objective = self.mean(
            rows, self.loss.value(xp, preactivations[last], rows.targets)
        )
        objective = objective + self.regularisation(parameters.coefs)
        coupling = []
        violation = xp.zeros(
            (), dtype=preactivations[last].dtype, device=device_of(preactivations[last])
        )
        for layer, (w, b) in enumerate(
            zip(parameters.coefs, parameters.intercepts, strict=True)
        ):
            inputs = rows.inputs if layer == 0 else activations[layer - 1]
            residual = self.kernels.residual(inputs, w, b, preactivations[layer])
            term = 0.5 * self.rho * self.mean(rows, xp.sum(residual**2, axis=1))
            coupling.append(term)
            objective = objective + term
            if layer < last:
                gap = self.activation(xp, preactivations[layer]) - activations[layer]
                objective = objective + 0.5 * self.gamma * self.mean(
                    rows, xp.sum(gap**2, axis=1)
                )
                violation = xp.maximum(violation, xp.max(xp.abs(gap)))
        return {"objective": objective, "coupling": coupling, "violation": violation}


class EpochOutcome(NamedTuple):
    """What an epoch tells the solver, on the host.

    ``loss`` is the epoch's mean batch loss, ``objective`` the last batch's
    ``F_B`` after its step, ``finite`` whether every weight, step size and
    loss stayed finite, and ``record`` the epoch's diagnostics.
    """

    loss: float
    objective: float
    finite: bool
    record: dict[str, Any]


class MiniBatchEpochs:
    """The mini-batch driver: an iteration is an epoch of :class:`MiniBatchStep`.

    The rows are visited in batches of ``gen_batches(n, batch_size)``, in a
    new random order each epoch when ``random_state`` is given. The order is
    drawn on the host, where the random state lives, and moved to the
    device once per epoch; the batches are then sliced where the data are.
    Between an epoch's first and last batch nothing comes back to the host:
    the batch losses and the inner residuals are summed and maximised on the
    device, and read once, with the diagnostics, at the epoch's end.

    Parameters
    ----------
    solver : TIAMSolver
        The solver whose configuration the steps take.
    inputs, targets, sample_weight : arrays
        The training rows, on the device (``inputs`` may be sparse).
    batch_size : int
        Rows per batch.
    random_state : numpy.random.RandomState or None
        Shuffles the rows at each epoch; None keeps their order.
    """

    def __init__(
        self,
        solver: Any,
        inputs: Array,
        targets: Array,
        sample_weight: Array,
        batch_size: int,
        random_state: Any,
    ) -> None:
        self.solver = solver
        self.xp = solver.xp
        if getattr(inputs, "format", None) == "csc":
            # Rows are sliced once per batch: from CSC that reads every
            # nonzero, from CSR only the batch's.
            inputs = inputs.tocsr()
        self.inputs, self.targets, self.sample_weight = inputs, targets, sample_weight
        self.kernels = kernels_for(self.xp)
        self._graph = self._graph_key = None
        self.batch_size = batch_size
        self.random_state = random_state
        self.n_samples = int(inputs.shape[0])
        # Known once: equal weights are equal in every batch.
        xp = self.xp
        self.equal = bool(xp.all(sample_weight == sample_weight[0]))

    def start(self, state: Any) -> None:
        """Check the relaxation, and put the step sizes' state on the device.

        A lifted batch satisfies the box exactly, and at its width the hidden
        ``Z_l`` step keeps the lifted values: the box relaxation sends no
        signal down through batches. Only the penalty relaxation does.
        """
        if state.relaxation.name != "penalty":
            raise ValueError(
                "Mini-batch TIAM needs relaxation='penalty'; the box relaxation "
                "trains full-batch only (batch_size=None)."
            )
        xp = self.xp
        dtype, device = self.targets.dtype, device_of(self.targets)
        for step, size in zip(
            state.weight_steps + state.activation_steps,
            [c.shape[0] for c in state.coefs] + [c.shape[0] for c in state.coefs[1:]],
            strict=True,
        ):
            step.tau = self.kernels.scalar(step.tau, self.targets)
            if step.direction is None:
                step.direction = xp.ones(size, dtype=dtype, device=device)
            else:
                step.direction = xp.asarray(step.direction, dtype=dtype, device=device)

    def epoch(self, state: Any) -> EpochOutcome:
        """Visit every batch once; return the epoch's loss, F and diagnostics.

        The loss is the mean, weighted by the batches' sample weights, of each
        batch's loss before its step (MLPClassifier's epoch loss). F and the
        diagnostics describe the epoch's last batch after its step. The
        state takes the new values only when every one of them is finite:
        otherwise it keeps the epoch's start.
        """
        relaxation = state.relaxation
        step = self._step(relaxation)
        with self.kernels.running():
            parameters, steps, values = self._batches(state, step)
        loss, total, objective, violation, output_left, hidden_left, ok = values[:7]
        n_layers = len(state.coefs)
        coupling = values[7 : 7 + n_layers]
        tau_values = values[7 + n_layers :]
        if ok:
            self._keep(state, parameters, steps, copy=step is not self._plain)
        config = self.solver.config
        smooth = config.activation._spec.slopes is None
        record = {
            **relaxation.diagnostics(),
            "max_violation": violation,
            "coupling_residual": [
                (2.0 * max(c, 0.0) / relaxation.rho) ** 0.5 for c in coupling
            ],
            "weight_step_sizes": tau_values[:n_layers],
            "activation_step_sizes": tau_values[n_layers:],
            "backtracking_trials": 0,
            "restarts": 0,
            "failed_steps": 0,
            "newton_iterations": (
                0
                if isinstance(config.loss, SquaredLoss)
                else output_prox_iterations(relaxation.rho)
            ),
            "prox_iterations": 2 * HIDDEN_PROX_ITERATIONS if smooth else 0,
            "output_prox_residual": output_left,
            "hidden_prox_residual": hidden_left,
        }
        return EpochOutcome(loss / total, objective, bool(ok), record)

    def loss(self, state: Any) -> float:
        """Return the forward network's training loss at the state, with the L2 term.

        The sample-weighted mean of the rows' losses, which an epoch's loss
        estimates (:meth:`epoch`), computed a batch at a time
        (:meth:`TIAMSolver.batched_loss`).
        """
        return self.solver.batched_loss(
            state, self.inputs, self.targets, self.sample_weight, self.batch_size
        )

    def _step(self, relaxation: Any) -> Any:
        """Return this epoch's step: captured in a CUDA graph where it can be.

        A graph fixes the penalties and inertias of its step: it is kept
        while they stay the same (no continuation, constant inertia).
        """
        config = self.solver.config
        self._plain = MiniBatchStep(
            self.xp,
            config.activation,
            config.loss,
            relaxation.rho,
            relaxation.gamma,
            config.alpha,
            self.solver.inertia,
            self.kernels,
            activation_step=config.activation_step,
            cg_iterations=CG_ITERATIONS,
            rounds=config.rounds,
            output_alpha=config.output_alpha,
            weight_step=config.weight_step,
        )
        # Sparse products (cuSPARSE) and the factorisations of the exact A
        # step and the proximal W step (cuSOLVER) cannot be captured.
        if (
            not self.kernels.captures
            or hasattr(self.inputs, "tocsr")
            or config.activation_step == "exact"
            or config.weight_step == "proximal"
        ):
            return self._plain
        key = (relaxation.rho, relaxation.gamma, self.solver.inertia)
        if self._graph is None or self._graph_key != key:
            self._graph, self._graph_key = self.kernels.graph(self._plain), key
        return self._graph

    def _batches(self, state: Any, step: Any) -> tuple[Parameters, StepSizes, list]:
        """Run ``step`` on every batch; return the new state and the epoch's figures.

        The figures, read in one transfer at the end, are the summed loss and
        weight, the last batch's F and largest violation, the largest inner
        residuals, whether everything stayed finite, the coupling terms and
        the step sizes.
        """
        xp = self.xp
        parameters = Parameters(
            tuple(state.coefs),
            tuple(state.intercepts),
            tuple(state.previous_coefs),
            tuple(state.previous_intercepts),
        )
        steps = StepSizes(
            tuple(s.tau for s in state.weight_steps),
            tuple(s.direction for s in state.weight_steps),
            tuple(s.tau for s in state.activation_steps),
            tuple(s.direction for s in state.activation_steps),
        )
        order = None
        if self.random_state is not None:
            order = xp.asarray(
                self.random_state.permutation(self.n_samples),
                device=device_of(self.targets),
            )
        dtype = self.targets.dtype
        loss_total = xp.zeros((), dtype=dtype, device=device_of(self.targets))
        weight_total = 0.0 if self.equal else xp.zeros_like(loss_total)
        output_residual = hidden_residual = xp.zeros_like(loss_total)
        rows = auxiliaries = None
        for batch in gen_batches(self.n_samples, self.batch_size):
            # Let the last batch's arrays go before the next one is sliced.
            rows = auxiliaries = None
            indices = batch if order is None else order[batch]
            weights = take_rows(xp, self.sample_weight, indices)
            if self.equal:
                batch_weight = batch.stop - batch.start
                normalised = None
            else:
                batch_weight = xp.sum(weights)
                normalised = xp.reshape(weights / batch_weight, (-1, 1))
            rows = Rows(
                take_rows(xp, self.inputs, indices),
                take_rows(xp, self.targets, indices),
                normalised,
            )
            parameters, steps, auxiliaries, report = step(parameters, steps, rows)
            loss_total = loss_total + batch_weight * report.loss
            weight_total = weight_total + batch_weight
            output_residual = xp.maximum(output_residual, report.output_residual)
            hidden_residual = xp.maximum(hidden_residual, report.hidden_residual)
        terms = self._plain.objective_terms(parameters, auxiliaries, rows)
        taus = steps.weight_taus + steps.activation_taus
        finite = xp.all(
            xp.isfinite(xp.stack([loss_total, terms["objective"], *taus]))
        ) & _all_finite(xp, parameters.coefs + parameters.intercepts)
        # The one read of the epoch.
        values = host_floats(
            xp.stack(
                [
                    loss_total,
                    xp.asarray(weight_total, dtype=dtype, device=device_of(loss_total)),
                    terms["objective"],
                    terms["violation"],
                    output_residual,
                    hidden_residual,
                    xp.astype(finite, dtype),
                    *terms["coupling"],
                    *taus,
                ]
            )
        )
        return parameters, steps, values

    def _keep(
        self, state: Any, parameters: Parameters, steps: StepSizes, copy: bool
    ) -> None:
        """Write an epoch's final values into the solver state.

        ``copy`` copies them first: a graph's outputs are its buffers, which
        its next launch overwrites, and the state must keep the epoch's end
        in case the next epoch fails.
        """
        xp = self.xp

        def own(value: Any) -> Any:
            if copy and not isinstance(value, float):
                return xp.asarray(value, copy=True)
            return value

        state.coefs = [own(a) for a in parameters.coefs]
        state.intercepts = [own(a) for a in parameters.intercepts]
        state.previous_coefs = [own(a) for a in parameters.previous_coefs]
        state.previous_intercepts = [own(a) for a in parameters.previous_intercepts]
        for step, tau, direction in zip(
            state.weight_steps + state.activation_steps,
            steps.weight_taus + steps.activation_taus,
            steps.weight_directions + steps.activation_directions,
            strict=True,
        ):
            step.tau, step.direction = own(tau), own(direction)


def _dense(a: Any) -> Any:
    """Return ``a`` as a dense array: a SciPy or CuPy sparse matrix is converted."""
    return a.toarray() if hasattr(a, "toarray") else a


def _solve_right(kernels: ArrayKernels, matrix: Array, rhs: Array) -> Array:
    """Return ``matrix^-1 rhs`` for a symmetric positive definite ``matrix``."""
    return kernels.solve(matrix, rhs.T).T


def _all_finite(xp: Any, arrays: tuple[Array, ...]) -> Array:
    """Return whether every entry of every array is finite, as a 0-d array."""
    flags = [xp.all(xp.isfinite(a)) for a in arrays]
    return xp.all(xp.stack(flags))


def take_rows(xp: Any, array: Array, rows: Any) -> Array:
    """Return the rows ``rows`` (a slice or an index array) of ``array``.

    Slices are views (``array[rows, ...]``: the array API standard does not
    index a 2-D array by one slice); index arrays gather, in the array's
    own namespace and on its device. SciPy and CuPy sparse matrices index
    their rows directly.
    """
    if hasattr(array, "tocsr"):
        return array[rows]
    if isinstance(rows, slice):
        return array[rows, ...]
    return xp.take(array, rows, axis=0)
