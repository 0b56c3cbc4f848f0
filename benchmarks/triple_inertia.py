"""Do three distinct inertias help? The triple-inertia study.

The TIAM paper's claim is that the three inertias of its step (p1 centres
the step, p2 places the gradient, p3 extrapolates the result) help beyond a
single momentum. This script sweeps p1, p2 and p3 independently over
{0, 0.3, 0.6, 0.9} with the penalty relaxation at fixed penalties
(``penalty_growth=1``, so that every iteration works on one objective, as in
the paper's analysis) and every other parameter at its default, and asks
whether any combination with p1 != p2 or p3 > 0 beats
the best single momentum (p1 = p2, p3 = 0).

Two settings, each on digits and boston, split seeds 0-2:

- full batch (``batch_size=None``), 100 iterations with the stopping rule
  off: the paper's iteration, under the monotone safeguard;
- mini-batch (the defaults), 20 epochs with the stopping rule off.

For each combination it reports the forward network's training loss at the
end (log-loss on digits, half the squared error on boston's standardised
target; the optimisation the inertias are meant to speed up) and the test
score, as means over seeds. It then times the cost of an iteration on the
general path (p1 != p2 or p3 > 0) against the single-momentum path, whose
bias and hidden pre-activation steps are exact minimisers that need no
extrapolation and no safeguard comparison.

Run it with ``python -m benchmarks.triple_inertia``; docs/triple_inertia.md
records its output.
"""

import itertools
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss

from sktiam import TIAMClassifier, TIAMRegressor

from .datasets import DATASETS, split

VALUES = (0.0, 0.3, 0.6, 0.9)
STUDY_DATASETS = ("digits", "boston")
SEEDS = (0, 1, 2)
SETTINGS = {
    "full batch, 100 iterations": {"batch_size": None, "max_iter": 100},
    "mini-batch, 20 epochs": {"max_iter": 20},
}


def _fit(name: str, seed: int, inertia: tuple, setting: dict) -> tuple[float, float]:
    """Return the training loss and the test score of one fit."""
    data = split(DATASETS[name], seed)
    regression = DATASETS[name].task == "regression"
    model = (TIAMRegressor if regression else TIAMClassifier)(
        center_inertia=inertia[0],
        gradient_inertia=inertia[1],
        extrapolation_inertia=inertia[2],
        penalty_growth=1.0,
        tol=0.0,
        n_iter_no_change=10**6,
        random_state=seed,
        **setting,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(data.X_train, data.y_train)
    if regression:
        loss = 0.5 * float(np.mean((model.predict(data.X_train) - data.y_train) ** 2))
    else:
        loss = float(log_loss(data.y_train, model.predict_proba(data.X_train)))
    return loss, float(model.score(data.X_test, data.y_test))


def study(setting: dict) -> dict:
    """Return ``{inertia: {dataset: (loss, score)}}``, means over the seeds."""
    results = {}
    for inertia in itertools.product(VALUES, repeat=3):
        results[inertia] = {}
        for name in STUDY_DATASETS:
            fits = [_fit(name, seed, inertia, setting) for seed in SEEDS]
            results[inertia][name] = tuple(np.mean(fits, axis=0))
    return results


def _single(inertia: tuple) -> bool:
    return inertia[0] == inertia[1] and inertia[2] == 0.0


def print_study(title: str, results: dict) -> None:
    """Print the full table and the verdict of one setting."""
    print(f"\n### {title}\n")
    names = " | ".join(f"{n} loss | {n} score" for n in STUDY_DATASETS)
    print(f"| p1, p2, p3 | {names} |")
    print("|---|" + "---|" * (2 * len(STUDY_DATASETS)))
    for inertia, per_dataset in results.items():
        cells = " | ".join(
            f"{loss:.4f} | {score:.4f}" for loss, score in per_dataset.values()
        )
        mark = " (single)" if _single(inertia) else ""
        print(f"| {inertia}{mark} | {cells} |")
    print()
    for name in STUDY_DATASETS:
        single = min(
            (i for i in results if _single(i)), key=lambda i: results[i][name][0]
        )
        best = min(results, key=lambda i: results[i][name][0])
        ratio = results[best][name][0] / results[single][name][0]
        top = max(results, key=lambda i: results[i][name][1])
        top_single = max(
            (i for i in results if _single(i)), key=lambda i: results[i][name][1]
        )
        print(
            f"- {name}, by test score: best single momentum {top_single} "
            f"{results[top_single][name][1]:.4f}; best overall {top} "
            f"{results[top][name][1]:.4f}."
        )
        print(
            f"- {name}: best single momentum {single}, loss "
            f"{results[single][name][0]:.4f}, score {results[single][name][1]:.4f}; "
            f"best overall {best}, loss {results[best][name][0]:.4f} "
            f"({ratio:.2f} of it), score {results[best][name][1]:.4f}."
        )


def time_paths(repeats: int = 3) -> None:
    """Print the seconds per iteration of the two paths on digits, both drivers."""
    data = split(DATASETS["digits"], 0)
    print("\n### Cost per iteration, digits\n")
    print("| driver | inertia | path | seconds / iteration (best of 3) |")
    print("|---|---|---|---|")
    paths = (
        ((0.6, 0.6, 0.0), "single momentum"),
        ((0.6, 0.3, 0.0), "general (p1 != p2)"),
        ((0.6, 0.6, 0.3), "general (p3 > 0)"),
    )
    drivers = (("full batch", {"batch_size": None}, 50), ("mini-batch", {}, 20))
    for (driver, batching, iterations), (inertia, path) in itertools.product(
        drivers, paths
    ):
        best = np.inf
        for _ in range(repeats):
            model = TIAMClassifier(
                **batching,
                center_inertia=inertia[0],
                gradient_inertia=inertia[1],
                extrapolation_inertia=inertia[2],
                max_iter=iterations,
                penalty_growth=1.0,
                tol=0.0,
                n_iter_no_change=10**6,
                random_state=0,
            )
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(data.X_train, data.y_train)
            best = min(best, (time.perf_counter() - start) / model.n_iter_)
        print(f"| {driver} | {inertia} | {path} | {best:.4f} |", flush=True)


def main() -> None:
    """Run both settings, then the timing, and print them as markdown."""
    for title, setting in SETTINGS.items():
        print_study(title, study(setting))
    time_paths()


if __name__ == "__main__":
    main()
