"""The TIAM solver: state, block order, inertia, safeguards and stopping.

:class:`TIAMSolver` implements the sweep of docs/algorithm.md. One iteration is a
Gauss-Seidel sweep ``W_l -> b_l -> Z_l -> A_l`` for ``l = 1..L`` (no ``A_L``);
each block takes the triple-inertial step of :func:`sktiam._blocks.inertial_step`.

The phases are methods, in the manner of scikit-learn's Newton solver:
:meth:`setup` builds the training state from a forward pass,
:meth:`update_weights`, :meth:`update_bias`, :meth:`update_preactivation`,
:meth:`update_output` and :meth:`update_activation` are the blocks,
:meth:`tighten_epsilon` applies the epsilon schedule, :meth:`iterate` is one
sweep, :meth:`check_convergence` is the stopping rule and :meth:`solve` is a
short loop over them.

All arrays come from the namespace ``xp`` handed to the solver.
"""

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sklearn.exceptions import ConvergenceWarning

from ._activations import Activation
from ._blocks import (
    ActivationBlock,
    BiasBlock,
    HiddenPreactivationBlock,
    NonFiniteError,
    OutputBlock,
    SampleMetric,
    StepSize,
    WeightBlock,
    inertial_step,
)

Array = Any


@dataclass
class TIAMConfig:
    """Hyperparameters of the TIAM iteration.

    Parameters
    ----------
    activation : Activation
        Hidden-layer activation.
    loss : loss object
        Output loss from :mod:`sktiam._losses`.
    rho : float
        Penalty on the linear constraints ``Z_l = A_{l-1} W_l + b_l``.
    alpha : float
        L2 penalty ``(alpha/2) sum ||W_l||^2``.
    inertia : tuple of float
        ``(p1, p2, p3)``: centre, gradient point and extrapolation inertia.
    monotone : bool
        Safeguard: redo a block without inertia when its update raises F.
    epsilon, epsilon_decay, epsilon_min : float
        The schedule ``eps_k = max(epsilon * epsilon_decay**k, epsilon_min)``.
    newton_tol : float
        Gradient tolerance of the output prox.
    inertia_schedule : callable or None, default=None
        Maps the iteration index ``k`` (from 0) to the ``(p1, p2, p3)`` of
        that iteration, replacing ``inertia``. Used by the benchmarks for the
        Nesterov-type baseline; None keeps ``inertia`` constant.
    epsilon_cycle : int or None, default=None
        Every ``epsilon_cycle`` iterations, rebuild ``Z_l`` and ``A_l`` by a
        forward pass of the current weights and restart the epsilon schedule
        (:meth:`TIAMSolver.restart`). None never restarts.
    """

    activation: Activation
    loss: Any
    rho: float
    alpha: float
    inertia: tuple[float, float, float]
    monotone: bool
    epsilon: float
    epsilon_decay: float
    epsilon_min: float
    newton_tol: float
    inertia_schedule: Callable[[int], tuple[float, float, float]] | None = None
    epsilon_cycle: int | None = None

    def inertia_at(self, iteration: int) -> tuple[float, float, float]:
        """Return ``(p1, p2, p3)`` for iteration ``iteration`` (from 0)."""
        if self.inertia_schedule is None:
            return self.inertia
        return self.inertia_schedule(iteration)


@dataclass
class SolveResult:
    """The outcome of :meth:`TIAMSolver.solve`."""

    coefs: list[Array]
    intercepts: list[Array]
    n_iter: int
    loss_curve: list[float]
    objective_curve: list[float]
    validation_scores: list[float] | None
    best_loss: float | None
    best_validation_score: float | None
    diagnostics: dict[str, list] = field(default_factory=dict)


class TIAMSolver:
    """Triple-inertial accelerated alternating minimisation of a relaxed MLP.

    Minimises, over ``W_l, b_l, Z_l`` (l = 1..L) and ``A_l`` (l = 1..L-1)::

        F = sum_i s_i R(Z_L,i; Y_i)
            + (rho/2) sum_l sum_i s_i ||Z_l,i - A_{l-1},i W_l - b_l||^2
            + (alpha/2) sum_l ||W_l||^2
        subject to |A_l - sigma(Z_l)| <= eps   (elementwise)

    with ``A_0 = X`` and ``s`` the normalised sample weights, by sweeping the
    blocks in the order ``W_l, b_l, Z_l, A_l`` with triple-inertial
    prox-linear steps.

    Parameters
    ----------
    xp : namespace
        Array namespace for every computation.
    config : TIAMConfig
        Hyperparameters.
    inputs : array or sparse matrix of shape (n_samples, n_features)
        ``X``.
    targets : array of shape (n_samples, n_outputs)
        ``Y``: one-hot, 0/1 indicators or real values.
    sample_weight : array of shape (n_samples,)
        Positive weights; they are normalised to sum to 1.
    coefs, intercepts : list of array
        Initial ``W_l`` and ``b_l``.
    """

    def __init__(
        self,
        xp: Any,
        config: TIAMConfig,
        inputs: Array,
        targets: Array,
        sample_weight: Array,
        coefs: list[Array],
        intercepts: list[Array],
    ) -> None:
        self.xp = xp
        self.config = config
        self.inputs = inputs
        self.targets = targets
        self.samples = SampleMetric(
            xp, xp.reshape(sample_weight / xp.sum(sample_weight), (-1, 1))
        )
        self.coefs = list(coefs)
        self.intercepts = list(intercepts)
        self.n_layers = len(coefs)
        self.setup()

    # -- state -----------------------------------------------------------------

    def setup(self) -> None:
        """Build ``Z_l`` and ``A_l`` by a forward pass, and the step sizes.

        The forward pass satisfies every constraint exactly, so the start is
        feasible for any epsilon. The previous iterates equal the current
        ones: the first iteration has no momentum.
        """
        config = self.config
        self.epsilon = config.epsilon
        self.inertia = config.inertia_at(0)
        self.preactivations: list[Array] = []
        self.activations: list[Array] = []
        layer_input = self.inputs
        for layer in range(self.n_layers):
            z = layer_input @ self.coefs[layer] + self.intercepts[layer]
            self.preactivations.append(z)
            if layer < self.n_layers - 1:
                layer_input = config.activation(self.xp, z)
                self.activations.append(layer_input)
        self.previous_coefs = list(self.coefs)
        self.previous_intercepts = list(self.intercepts)
        self.previous_preactivations = list(self.preactivations)
        self.previous_activations = list(self.activations)
        start = config.rho + config.alpha
        self.weight_steps = [StepSize(start) for _ in range(self.n_layers)]
        self.activation_steps = [StepSize(config.rho) for _ in range(self.n_layers - 1)]
        self.bias_step = StepSize(config.rho, adaptive=False)
        self.preactivation_step = StepSize(config.rho, adaptive=False)
        self._coupling = [0.0] * self.n_layers
        self._output_loss = 0.0
        self._reports: list = []
        self._newton_iterations = 0
        self._input_product: tuple[Array, Array] | None = None

    def restart(self) -> None:
        """Start a new cycle from the current weights: the state of :meth:`setup`.

        ``Z_l`` and ``A_l`` are rebuilt by a forward pass, so the relaxed
        network becomes the real one again and every coupling residual is
        zero; epsilon, the momentum and the step sizes start afresh. The
        hidden layers learn from the layers above while epsilon shrinks
        (docs/algorithm.md), and a restart lets them learn again, now from
        trained upper layers.
        """
        self.setup()

    def _layer_input(self, layer: int) -> Array:
        return self.inputs if layer == 0 else self.activations[layer - 1]

    # -- blocks ----------------------------------------------------------------

    def update_weights(self, layer: int) -> WeightBlock:
        """Take the triple-inertial step on ``W_l``; return its block for reuse."""
        config = self.config
        block = WeightBlock(
            self.xp,
            self._layer_input(layer),
            self.preactivations[layer],
            self.intercepts[layer],
            self.samples,
            config.rho,
            config.alpha,
        )
        if layer == 0 and self._input_product is not None:
            block.remember(*self._input_product)
        new, report = inertial_step(
            block,
            self.coefs[layer],
            self.previous_coefs[layer],
            self.inertia,
            self.weight_steps[layer],
            config.monotone,
        )
        self.previous_coefs[layer] = self.coefs[layer]
        self.coefs[layer] = new
        self._reports.append(report)
        return block

    def update_bias(self, layer: int, product: Array) -> None:
        """Take the triple-inertial step on ``b_l`` with ``tau = rho``.

        ``product`` is ``A_{l-1} W_l`` at the new ``W_l``.
        """
        config = self.config
        block = BiasBlock(
            self.xp, product, self.preactivations[layer], self.samples, config.rho
        )
        new, report = inertial_step(
            block,
            self.intercepts[layer],
            self.previous_intercepts[layer],
            self.inertia,
            self.bias_step,
            config.monotone,
        )
        self.previous_intercepts[layer] = self.intercepts[layer]
        self.intercepts[layer] = new
        self._reports.append(report)

    def update_preactivation(self, layer: int, centre: Array) -> None:
        """Take the triple-inertial step on a hidden ``Z_l``: a clip, ``tau = rho``.

        ``centre`` is ``V = A_{l-1} W_l + b_l`` at the new ``W_l, b_l``.
        """
        config = self.config
        block = HiddenPreactivationBlock(
            self.xp,
            centre,
            self.activations[layer],
            config.activation,
            self.epsilon,
            self.samples,
            config.rho,
        )
        new, report = inertial_step(
            block,
            self.preactivations[layer],
            self.previous_preactivations[layer],
            self.inertia,
            self.preactivation_step,
            config.monotone,
        )
        self.previous_preactivations[layer] = self.preactivations[layer]
        self.preactivations[layer] = new
        self._coupling[layer] = block.value(new)
        self._reports.append(report)

    def update_output(self, centre: Array) -> None:
        """Take the output step on ``Z_L``: the loss's prox at ``V``, then inertia."""
        config = self.config
        layer = self.n_layers - 1
        block = OutputBlock(
            self.xp,
            centre,
            self.targets,
            config.loss,
            self.samples,
            config.rho,
            config.newton_tol,
        )
        new, report = inertial_step(
            block,
            self.preactivations[layer],
            self.previous_preactivations[layer],
            self.inertia,
            self.preactivation_step,
            config.monotone,
        )
        self.previous_preactivations[layer] = self.preactivations[layer]
        self.preactivations[layer] = new
        xp = self.xp
        self._output_loss = self.samples.mean(config.loss.value(xp, new, self.targets))
        self._coupling[layer] = (
            0.5 * config.rho * self.samples.squared_norm(new - centre)
        )
        self._newton_iterations = block.newton_iterations
        self._reports.append(report)

    def _activation_block(self, layer: int, epsilon: float) -> ActivationBlock:
        activation = self.config.activation
        lower, upper = activation.activation_box(
            self.xp, activation(self.xp, self.preactivations[layer]), epsilon
        )
        return ActivationBlock(
            self.xp,
            self.coefs[layer + 1],
            self.intercepts[layer + 1],
            self.preactivations[layer + 1],
            lower,
            upper,
            self.samples,
            self.config.rho,
        )

    def update_activation(self, layer: int) -> None:
        """Take the projected triple-inertial step on ``A_l``, with backtracking."""
        config = self.config
        block = self._activation_block(layer, self.epsilon)
        new, report = inertial_step(
            block,
            self.activations[layer],
            self.previous_activations[layer],
            self.inertia,
            self.activation_steps[layer],
            config.monotone,
        )
        self.previous_activations[layer] = self.activations[layer]
        self.activations[layer] = new
        self._reports.append(report)

    # -- schedule, sweep and measures ------------------------------------------

    def tighten_epsilon(self) -> None:
        """Move epsilon to ``max(epsilon_decay * epsilon, epsilon_min)``.

        The auxiliary variables are not touched here. The next hidden ``Z_l``
        step projects onto the box around the current ``A_l`` with the new,
        smaller epsilon: where ``A_l`` had moved away from ``sigma(Z_l)``,
        ``Z_l`` is pulled after it. This is how the hidden layers learn from
        the layers above: at a fixed epsilon, ``sigma(Z_l^k)`` always lies in
        that box and ``Z_l`` only follows ``A_{l-1} W_l + b_l``. Shrinking the
        feasible set can raise F, so the monotone safeguard holds within an
        iteration, and across iterations while epsilon stays fixed.
        """
        config = self.config
        self.epsilon = max(self.epsilon * config.epsilon_decay, config.epsilon_min)

    def iterate(self) -> None:
        """Sweep every block once: ``W_l, b_l, Z_l, A_l`` for ``l = 1..L``."""
        self._reports = []
        last = self.n_layers - 1
        for layer in range(self.n_layers):
            weight_block = self.update_weights(layer)
            product = weight_block.product(self.coefs[layer])
            if layer == 0:
                # X is fixed: the next sweep's first W step and the forward
                # pass reuse this product instead of computing it again.
                self._input_product = (self.coefs[0], product)
            self.update_bias(layer, product)
            centre = product + self.intercepts[layer]
            if layer == last:
                self.update_output(centre)
            else:
                self.update_preactivation(layer, centre)
                self.update_activation(layer)

    def objective(self) -> float:
        """Return F at the current iterate, from the terms the sweep computed."""
        return self._output_loss + sum(self._coupling) + self._regularisation()

    def forward_loss(self) -> float:
        """Return the training loss of the real forward network, with the L2 term."""
        xp = self.xp
        known, product = self._input_product or (None, None)
        output = forward(
            xp,
            self.config.activation,
            self.coefs,
            self.intercepts,
            self.inputs,
            first_product=product if known is self.coefs[0] else None,
        )
        data = self.samples.mean(self.config.loss.value(xp, output, self.targets))
        return data + self._regularisation()

    def _regularisation(self) -> float:
        """Return ``(alpha/2) sum_l ||W_l||^2``."""
        xp = self.xp
        return 0.5 * self.config.alpha * sum(float(xp.sum(w**2)) for w in self.coefs)

    def max_violation(self) -> float:
        """Return ``max_l max |A_l - sigma(Z_l)|`` over the hidden layers."""
        xp = self.xp
        violation = 0.0
        for z, a in zip(self.preactivations[:-1], self.activations, strict=True):
            gap = self.config.activation.apply_into(xp, xp.asarray(z, copy=True))
            gap -= a
            violation = max(violation, float(xp.max(gap)), -float(xp.min(gap)))
        return violation

    def diagnostics(self) -> dict[str, Any]:
        """Return this iteration's diagnostics."""
        return {
            "epsilon": self.epsilon,
            "max_violation": self.max_violation(),
            "coupling_residual": [
                math.sqrt(2.0 * c / self.config.rho) for c in self._coupling
            ],
            "weight_step_sizes": [s.tau for s in self.weight_steps],
            "activation_step_sizes": [s.tau for s in self.activation_steps],
            "backtracking_trials": sum(r.trials for r in self._reports),
            "restarts": sum(r.restarted for r in self._reports),
            "failed_steps": sum(r.failed for r in self._reports),
            "newton_iterations": self._newton_iterations,
        }

    def parameters(self) -> tuple[list[Array], list[Array]]:
        """Return copies of the current ``W_l`` and ``b_l``."""
        return _copies(self.xp, self.coefs), _copies(self.xp, self.intercepts)

    def is_finite(self) -> bool:
        """Return whether every variable and every step size is finite.

        An infinite step size is how an overflow shows before the iterates
        are hit: a curvature that overflows makes ``tau`` infinite, and the
        block would stop moving without saying why.
        """
        xp = self.xp
        arrays = self.coefs + self.intercepts + self.preactivations + self.activations
        steps = self.weight_steps + self.activation_steps
        return all(math.isfinite(step.tau) for step in steps) and all(
            bool(xp.all(xp.isfinite(a))) for a in arrays
        )

    # -- loop ------------------------------------------------------------------

    def solve(
        self,
        max_iter: int,
        tol: float,
        n_iter_no_change: int,
        validation_score: Callable[[list[Array], list[Array]], float] | None = None,
        verbose: bool = False,
        progress: Callable[[int, float, float], None] | None = None,
    ) -> SolveResult:
        """Iterate until the stopping rule holds or ``max_iter`` is reached.

        The stopping rule is MLPClassifier's: training stops when the
        training loss (or, with ``validation_score``, the validation score)
        has not improved by ``tol`` for ``n_iter_no_change`` consecutive
        iterations. With a validation score, the parameters of the best
        validation score are returned. ``verbose`` prints a line per
        iteration; ``progress``, if given, is called after each iteration
        with the iteration count, the training loss and epsilon.

        Nothing is lost when training goes wrong. A non-finite iterate stops
        training, and a ``KeyboardInterrupt`` does too; the parameters of the
        last completed iteration (or of the best validation score) are
        returned, and a :class:`~sklearn.exceptions.ConvergenceWarning` says
        what happened.
        """
        self._start(validation_score is not None)
        try:
            for iteration in range(max_iter):
                if self._advance(
                    iteration,
                    tol,
                    n_iter_no_change,
                    validation_score,
                    verbose,
                    progress,
                ):
                    break
            else:
                warnings.warn(
                    f"TIAM: Maximum iterations ({max_iter}) reached and the "
                    "optimization hasn't converged yet.",
                    ConvergenceWarning,
                    stacklevel=2,
                )
        except KeyboardInterrupt:
            # The interrupted sweep updated some blocks and not others: go
            # back to the parameters of the last completed iteration.
            self.coefs, self.intercepts = self._good
            kept = "best validation score" if self._scores is not None else "last"
            warnings.warn(
                f"TIAM: training interrupted by the user after {self._n_iter} "
                f"iteration(s); the model keeps the parameters of the {kept} "
                "completed iteration.",
                ConvergenceWarning,
                stacklevel=2,
            )
        self._warn_unconverged_prox()
        return self._result()

    def _start(self, validating: bool) -> None:
        """Reset the records of a solve."""
        self._loss_curve: list[float] = []
        self._objective_curve: list[float] = []
        self._scores: list[float] | None = [] if validating else None
        self._diagnostics: dict[str, list] = {}
        self._best_loss = math.inf
        self._best_score = -math.inf
        self._reference = math.inf
        self._no_improvement = 0
        self._n_iter = 0
        self._good = self.parameters()
        self._best = self._good

    def _advance(
        self,
        iteration: int,
        tol: float,
        n_iter_no_change: int,
        validation_score: Callable[[list[Array], list[Array]], float] | None,
        verbose: bool,
        progress: Callable[[int, float, float], None] | None,
    ) -> bool:
        """Run iteration ``iteration`` (from 0) and record it; True means stop."""
        every = self.config.epsilon_cycle
        if every is not None and iteration > 0 and iteration % every == 0:
            self.restart()
        elif iteration > 0:
            self.tighten_epsilon()
        self.inertia = self.config.inertia_at(iteration)
        try:
            self.iterate()
            loss = self.forward_loss()
            objective = self.objective()
            finite = (
                math.isfinite(loss) and math.isfinite(objective) and self.is_finite()
            )
        except NonFiniteError:
            finite = False
        if not finite:
            self.coefs, self.intercepts = self._good
            warnings.warn(
                "TIAM produced a non-finite value (an overflow) at iteration "
                f"{iteration + 1} and stopped; the model keeps the parameters of "
                f"iteration {iteration}. Standardise the features and the "
                "targets, or lower rho.",
                ConvergenceWarning,
                stacklevel=3,
            )
            return True
        self._n_iter = iteration + 1
        self._good = self.parameters()
        self._loss_curve.append(loss)
        self._objective_curve.append(objective)
        record = self.diagnostics()
        for key, value in record.items():
            self._diagnostics.setdefault(key, []).append(value)
        score = None
        if validation_score is not None:
            score = validation_score(self.coefs, self.intercepts)
            self._scores.append(score)
            if score > self._best_score:
                self._best = self._good
        if verbose:
            self._print(loss, objective, record, score)
        if progress is not None:
            progress(self._n_iter, loss, self.epsilon)
        if self.check_convergence(loss, score, tol, n_iter_no_change):
            if verbose:
                what = "Validation score" if score is not None else "Training loss"
                print(
                    f"{what} did not improve more than tol={tol} for "
                    f"{n_iter_no_change} consecutive iterations. Stopping."
                )
            return True
        return False

    def _print(
        self, loss: float, objective: float, record: dict, score: float | None
    ) -> None:
        line = (
            f"Iteration {self._n_iter}, loss = {loss:.8f}, "
            f"objective = {objective:.8f}, epsilon = {self.epsilon:.3g}, "
            f"violation = {record['max_violation']:.3g}, "
            f"coupling = {max(record['coupling_residual']):.3g}, "
            f"tau(W) = {max(record['weight_step_sizes']):.3g}"
        )
        if score is not None:
            line += f", validation score = {score:.6f}"
        print(line)

    def _warn_unconverged_prox(self) -> None:
        newton_limit = getattr(self.config.loss, "max_iter", math.inf)
        unconverged = sum(
            n >= newton_limit for n in self._diagnostics.get("newton_iterations", [])
        )
        if unconverged:
            warnings.warn(
                f"TIAM: the output prox did not reach its tolerance in "
                f"{unconverged} iteration(s); check the targets and rho.",
                ConvergenceWarning,
                stacklevel=3,
            )

    def _result(self) -> SolveResult:
        validating = self._scores is not None
        coefs, intercepts = self._best if validating and self._scores else self._good
        return SolveResult(
            coefs=_copies(self.xp, coefs),
            intercepts=_copies(self.xp, intercepts),
            n_iter=self._n_iter,
            loss_curve=self._loss_curve,
            objective_curve=self._objective_curve,
            validation_scores=self._scores,
            best_loss=None if validating else self._best_loss,
            best_validation_score=self._best_score if validating else None,
            diagnostics=self._diagnostics,
        )

    def check_convergence(
        self, loss: float, score: float | None, tol: float, n_iter_no_change: int
    ) -> bool:
        """Update the best values and the no-improvement count; True means stop.

        The best loss and score are tracked from the first iteration. The
        stopping rule, MLPClassifier's, starts only once the epsilon schedule
        has settled, and compares with the best value since then: while
        epsilon shrinks, the relaxed network is still moving towards the real
        one, and its forward loss need not improve.
        """
        value = -score if score is not None else loss
        if score is not None:
            self._best_score = max(self._best_score, score)
        else:
            self._best_loss = min(self._best_loss, loss)
        if not self._schedule_settled():
            return False
        if value <= self._reference - tol:
            self._no_improvement = 0
        else:
            self._no_improvement += 1
        self._reference = min(self._reference, value)
        return self._no_improvement > n_iter_no_change

    def _schedule_settled(self) -> bool:
        config = self.config
        return config.epsilon_decay == 1.0 or self.epsilon <= config.epsilon_min


def _copies(xp: Any, arrays: list[Array]) -> list[Array]:
    """Return copies of ``arrays`` that later iterations cannot change."""
    return [xp.asarray(a, copy=True) for a in arrays]


def forward(
    xp: Any,
    activation: Activation,
    coefs: list[Array],
    intercepts: list[Array],
    inputs: Array,
    first_product: Array | None = None,
) -> Array:
    """Return the network output ``sigma(... sigma(X W_1 + b_1) ...) W_L + b_L``.

    The real network, with no auxiliary variables: what prediction uses.
    ``first_product``, if given, is ``X W_1``, already computed.
    """
    hidden = inputs
    last = len(coefs) - 1
    for layer, (w, b) in enumerate(zip(coefs, intercepts, strict=True)):
        if layer == 0 and first_product is not None:
            hidden = first_product + b
        else:
            hidden = hidden @ w
            hidden += b
        if layer < last:
            hidden = activation.apply_into(xp, hidden)
    return hidden
