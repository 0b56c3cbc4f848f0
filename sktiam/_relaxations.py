"""The two relaxations of the activation constraint ``A_l = sigma(Z_l)``.

TIAM relaxes the network's equations before it splits them into blocks
(docs/algorithm.md). The linear equations ``Z_l = A_{l-1} W_l + b_l`` always
become the quadratic coupling penalty ``(rho/2) ||Z_l - A_{l-1} W_l - b_l||^2``;
the activation equations are relaxed in one of two ways:

- ``"box"`` (:class:`BoxRelaxation`): the constraint
  ``|A_l - sigma(Z_l)| <= eps``, with ``eps`` shrinking on a schedule. This is
  the relaxation of mDLAM and of the TIAM paper.
- ``"penalty"`` (:class:`PenaltyRelaxation`): the quadratic term
  ``(gamma/2) ||A_l - sigma(Z_l)||^2`` added to ``F``, with an optional
  continuation that lets ``rho`` and ``gamma`` grow.

A relaxation object supplies what differs between the two: the hidden ``Z``
block, the terms of the ``A`` block, the schedule (the current ``rho``, one step of it,
whether it has settled) and its diagnostics. Everything else in the solver
is shared. The objects are registered in :data:`RELAXATIONS`, as
scikit-learn registers its activations and losses in dicts.
"""

import math
from abc import ABC, abstractmethod
from typing import Any, ClassVar

from ._activations import Activation
from ._blocks import (
    HiddenPreactivationBlock,
    PenaltyPreactivationBlock,
    SampleMetric,
)

Array = Any


class Relaxation(ABC):
    """The relaxation of ``A_l = sigma(Z_l)`` and its schedule.

    Attributes
    ----------
    rho : float
        The current coupling penalty.
    """

    name: ClassVar[str]
    rho: float

    @abstractmethod
    def start(self) -> None:
        """Put the schedule back to its first value."""

    @abstractmethod
    def advance(self) -> None:
        """Take one step of the schedule, between two iterations."""

    def restarts_at(self, iteration: int) -> bool:
        """Return whether iteration ``iteration`` (from 0) starts a new cycle."""
        return False

    @abstractmethod
    def settled(self) -> bool:
        """Return whether the schedule has reached its final value."""

    @abstractmethod
    def preactivation_block(
        self,
        xp: Any,
        activation: Activation,
        centre: Array,
        activations: Array,
        samples: SampleMetric,
    ) -> HiddenPreactivationBlock | PenaltyPreactivationBlock:
        """Return the block of a hidden ``Z_l``; ``centre`` is ``A_{l-1} W_l + b_l``."""

    @abstractmethod
    def activation_terms(
        self, xp: Any, activation: Activation, preactivations: Array
    ) -> tuple[Array | float, Array | float, Array | None, float]:
        """Return what the ``A_l`` block needs from the relaxation, given ``Z_l``.

        Returns ``(lower, upper, anchor, gamma)``: the box of ``A_l`` (or
        ``-inf`` and ``inf``), and the penalty's anchor ``sigma(Z_l)`` and
        weight (or None and 0), for :class:`~sktiam._blocks.ActivationBlock`.
        """

    @abstractmethod
    def initial_activation_step(self) -> float:
        """Return the first ``tau`` of an ``A_l`` block's backtracking."""

    @abstractmethod
    def diagnostics(self) -> dict[str, float]:
        """Return the schedule's current values, by name."""

    def summary(self) -> str:
        """Return the schedule's values for a line of verbose output."""
        return ", ".join(f"{k} = {v:.3g}" for k, v in self.diagnostics().items())


class BoxRelaxation(Relaxation):
    """The box ``|A_l - sigma(Z_l)| <= eps`` of mDLAM and the TIAM paper.

    ``eps_k = max(epsilon * decay**k, minimum)``; every ``cycle`` iterations
    the schedule restarts from ``epsilon`` (sktiam's addition; None never
    restarts). ``rho`` stays fixed.

    Parameters
    ----------
    rho : float
        The coupling penalty.
    epsilon, decay, minimum : float
        The schedule of the box's half-width.
    cycle : int or None
        Iterations per cycle.
    """

    name = "box"

    def __init__(
        self,
        rho: float,
        epsilon: float,
        decay: float,
        minimum: float,
        cycle: int | None,
    ) -> None:
        self.rho = rho
        self.initial_epsilon = epsilon
        self.decay = decay
        self.minimum = minimum
        self.cycle = cycle
        self.start()

    def start(self) -> None:
        self.epsilon = self.initial_epsilon

    def advance(self) -> None:
        """Move epsilon to ``max(decay * epsilon, minimum)``.

        The auxiliary variables are not touched here. The next hidden ``Z_l``
        step projects onto the box around the current ``A_l`` with the new,
        smaller epsilon: where ``A_l`` had moved away from ``sigma(Z_l)``,
        ``Z_l`` is pulled after it. This is how the hidden layers learn from
        the layers above: at a fixed epsilon, ``sigma(Z_l^k)`` always lies in
        that box and ``Z_l`` only follows ``A_{l-1} W_l + b_l``.
        """
        self.epsilon = max(self.epsilon * self.decay, self.minimum)

    def restarts_at(self, iteration: int) -> bool:
        return self.cycle is not None and iteration > 0 and iteration % self.cycle == 0

    def settled(self) -> bool:
        return self.decay == 1.0 or self.epsilon <= self.minimum

    def preactivation_block(self, xp, activation, centre, activations, samples):
        return HiddenPreactivationBlock(
            xp, centre, activations, activation, self.epsilon, samples, self.rho
        )

    def activation_terms(self, xp, activation, preactivations):
        lower, upper = activation.activation_box(
            xp, activation(xp, preactivations), self.epsilon
        )
        return lower, upper, None, 0.0

    def initial_activation_step(self) -> float:
        return self.rho

    def diagnostics(self) -> dict[str, float]:
        return {"epsilon": self.epsilon}


class PenaltyRelaxation(Relaxation):
    """The activation penalty ``(gamma/2) ||A_l - sigma(Z_l)||^2``.

    Continuation multiplies ``rho`` and ``gamma`` by ``growth`` after every
    iteration, until both reach ``max_growth`` times their first values; their
    ratio stays fixed. ``growth = 1`` keeps them constant.

    Parameters
    ----------
    rho : float
        The first coupling penalty.
    gamma : float
        The first activation penalty.
    growth : float
        Factor, at least 1, applied to both penalties after each iteration.
    max_growth : float
        The largest total factor.
    """

    name = "penalty"

    def __init__(
        self, rho: float, gamma: float, growth: float, max_growth: float
    ) -> None:
        self.initial_rho = rho
        self.initial_gamma = gamma
        self.growth = growth
        self.max_growth = max_growth
        self.start()

    def start(self) -> None:
        self.scale = 1.0
        self.rho, self.gamma = self.initial_rho, self.initial_gamma

    def advance(self) -> None:
        if self.growth == 1.0:
            return
        self.scale = min(self.scale * self.growth, self.max_growth)
        self.rho = self.initial_rho * self.scale
        self.gamma = self.initial_gamma * self.scale

    def settled(self) -> bool:
        return self.growth == 1.0 or self.scale >= self.max_growth

    def preactivation_block(self, xp, activation, centre, activations, samples):
        return PenaltyPreactivationBlock(
            xp, centre, samples, self.rho, activation, activations, self.gamma
        )

    def activation_terms(self, xp, activation, preactivations):
        return -math.inf, math.inf, activation(xp, preactivations), self.gamma

    def initial_activation_step(self) -> float:
        return self.rho + self.gamma

    def diagnostics(self) -> dict[str, float]:
        return {"rho": self.rho, "activation_penalty": self.gamma}


#: The relaxations by the name the estimators' ``relaxation`` parameter takes.
RELAXATIONS: dict[str, type[Relaxation]] = {
    BoxRelaxation.name: BoxRelaxation,
    PenaltyRelaxation.name: PenaltyRelaxation,
}
