"""Does dlADMM's backward-then-forward sweep order pay for full-batch TIAM?

dlADMM (Wang et al., KDD 2019) updates the blocks from the output layer down
to the input, then from the input up, in every iteration. This script runs
that order beside TIAM's forward sweep (``W_l, b_l, Z_l, A_l`` for
``l = 1..L``), both full-batch with the penalty relaxation and every other
parameter at its default, and reports, over split seeds 0-2:

- the training loss of the forward network after 25, 50 and 100 iterations;
- the iterations and seconds the forward order needs to reach the loss the
  backward-forward order reaches after 50 iterations, and the reverse;
- the test score after 100 iterations.

The backward-forward iteration costs about twice a forward one (each block
is stepped twice); the order pays only if it needs fewer than half the
iterations. The order is defined here, on a subclass of the solver; the
library keeps the forward sweep (docs/defaults_sweep.md has the numbers).
Run it with ``python -m benchmarks.sweep_order``.
"""

import time
import warnings
from unittest import mock

import numpy as np
from sklearn.exceptions import ConvergenceWarning

import sktiam._estimators
from sktiam import TIAMClassifier, TIAMRegressor
from sktiam._solver import Batch, SolverState, TIAMSolver

from .datasets import DATASETS, split

ORDER_DATASETS = ["digits", "breast_cancer", "boston", "hmda"]
SEEDS = [0, 1, 2]
ITERATIONS = 100
CHECKPOINTS = (25, 50, 100)


class BackwardForwardSolver(TIAMSolver):
    """TIAM with dlADMM's order: every block from the output down, then up."""

    def sweep(self, state: SolverState, batch: Batch) -> None:
        """Step ``Z_l, W_l, b_l, A_{l-1}`` for ``l = L..1``, then the forward sweep."""
        last = len(state.coefs) - 1
        for layer in range(last, -1, -1):
            inputs = batch.layer_input(layer)
            centre = inputs @ state.coefs[layer] + state.intercepts[layer]
            if layer == last:
                self.update_output(state, batch, centre)
            else:
                self.update_preactivation(state, batch, layer, centre)
            self.update_weights(state, batch, layer)
            means = batch.samples.input_means(inputs)
            self.update_bias(state, batch, layer, means @ state.coefs[layer])
            if layer > 0:
                self.update_activation(state, batch, layer - 1)
        super().sweep(state, batch)


def _fit(name: str, seed: int, solver: type) -> tuple[list[float], float, float]:
    """Return the loss curve, the seconds per iteration and the test score."""
    data = split(DATASETS[name], seed)
    regression = DATASETS[name].task == "regression"
    estimator = (TIAMRegressor if regression else TIAMClassifier)(
        batch_size=None,
        max_iter=ITERATIONS,
        tol=0.0,
        n_iter_no_change=10**6,
        random_state=seed,
    )
    start = time.perf_counter()
    with (
        mock.patch.object(sktiam._estimators, "TIAMSolver", solver),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(data.X_train, data.y_train)
    seconds = (time.perf_counter() - start) / estimator.n_iter_
    if estimator.n_iter_ < ITERATIONS:
        raise RuntimeError(
            f"{name}, seed {seed}: the fit stopped after {estimator.n_iter_} "
            "iterations (see its warning); the comparison needs all of them."
        )
    return estimator.loss_curve_, seconds, estimator.score(data.X_test, data.y_test)


def _reached(curve: list[float], target: float) -> int | None:
    return next((k + 1 for k, loss in enumerate(curve) if loss <= target), None)


def main() -> None:
    """Fit both orders and print the comparison as markdown."""
    print(
        "| dataset | order | loss at "
        + " / ".join(str(k) for k in CHECKPOINTS)
        + " | s/iteration | iterations to the other order's loss at 50 "
        "| test score at 100 |"
    )
    print("|---|---|---|---|---|---|")
    for name in ORDER_DATASETS:
        runs = {
            order: [_fit(name, seed, solver) for seed in SEEDS]
            for order, solver in (
                ("forward", TIAMSolver),
                ("backward-forward", BackwardForwardSolver),
            )
        }
        for order, other in (
            ("forward", "backward-forward"),
            ("backward-forward", "forward"),
        ):
            losses = np.mean([run[0] for run in runs[order]], axis=0)
            seconds = np.mean([run[1] for run in runs[order]])
            scores = np.mean([run[2] for run in runs[order]])
            reached = [
                _reached(mine[0], theirs[0][49])
                for mine, theirs in zip(runs[order], runs[other], strict=True)
            ]
            shown = ", ".join("-" if r is None else str(r) for r in reached)
            at = " / ".join(f"{losses[k - 1]:.4f}" for k in CHECKPOINTS)
            print(
                f"| {name} | {order} | {at} | {seconds:.4f} | {shown} | {scores:.4f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
