"""``alpha="auto"`` on larger tables that no default was chosen on.

The sweep chose ``alpha=2e-3`` for the classifier on sets where the training
rows are few for the first layer's weights (digits, MNIST-5k, the 784-column
set); on flights, 245,000 rows of 25 columns, it costs 3.3 points against
adam, and ``alpha=1e-4`` recovers most of them. ``alpha="auto"``
(:func:`sktiam._estimators.auto_alpha`) moves from the one to the other as
the rows outnumber the weights. This check fits it, ``2e-3`` and ``1e-4``
(the classifier's other settings at their defaults), and adam
(``MLPClassifier`` at its defaults), on the eight classification tables of
:data:`benchmarks.datasets.LARGE_TABLES`; and the regressor's ``"auto"``
(whose ceiling is its sweep's ``6.4e-4``), ``6.4e-4`` and ``1e-4`` against
``MLPRegressor`` on the five tables of
:data:`benchmarks.datasets.LARGE_REGRESSION_TABLES` (scored by R^2 of the
standardised target). Split seed 0 unless told, with the epoch caps of
:data:`CAPS` for every method. Last, :data:`UNDERFITTING` asks whether
TIAM's regressor trails adam on PSID7682 because it cannot fit the training
rows: it fits the regressor there with no weight decay, more rounds, the
exact A step and more epochs, and reports training and test R^2 beside
adam's. Each fit is recorded in
``benchmarks/results/large_tables.json`` with the share of the cores other
processes used meanwhile, and not run again. Run it with
``python -m benchmarks.large_tables [seed ...]`` on an otherwise idle
machine; it prints the tables of docs/defaults_sweep.md.
"""

import math
import sys
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.neural_network import MLPClassifier, MLPRegressor

from sktiam import TIAMClassifier, TIAMRegressor
from sktiam._estimators import auto_alpha

from .datasets import LARGE_REGRESSION_TABLES, LARGE_TABLES, split
from .measure import auto_alpha_ceiling, fill_records, fit_once

RESULTS = Path(__file__).resolve().parent / "results" / "large_tables.json"
HIDDEN = (100, 100)
#: Epochs every method is capped at, so that no fit takes much over a minute.
CAPS = {
    "smokeban": None,
    "nasscds": 20,
    "cpssw8": 10,
    "diamonds": 20,
    "fertility": 10,
    "hi": 30,
    "chem97": 30,
    "mplsstops": 30,
    "diamonds_price": 20,
    "cpssw8_earnings": 10,
    "slid": None,
    "computers": None,
    "psid7682": None,
}
#: One ``alpha`` for every layer: the settings the ``alpha`` columns were
#: recorded at, before the output layer had a weight decay of its own.
ONE_ALPHA = {"output_alpha_factor": 1.0}
#: Fitted on a later day than the ``defaults`` columns, one after the
#: other: the W step of 0.3.0's first defaults (``"prox-linear"``, with the
#: momentum of 0.98 and three power iterations per W step, which the
#: ``defaults`` records predate) and ``weight_step="auto"``, which takes the
#: proximal step on every table here (their rows outnumber the first
#: layer's weights).
REFITTED = {
    "prox-linear W step, refitted": {"weight_step": "prox-linear"},
    "W step by the rows": {"weight_step": "auto"},
}
#: Per task: the tables, adam's estimator, TIAM's, and the methods: adam
#: (None) and TIAM with these settings, at these values of ``alpha`` with one
#: ``alpha`` for every layer, and at its defaults.
TASKS: dict[str, tuple[dict, Any, Any, dict[str, Any]]] = {
    "classification": (
        LARGE_TABLES,
        MLPClassifier,
        TIAMClassifier,
        {
            "adam": None,
            "alpha 2e-3": {"alpha": 2e-3, **ONE_ALPHA},
            "alpha auto": {"alpha": "auto", **ONE_ALPHA},
            "alpha 1e-4": {"alpha": 1e-4, **ONE_ALPHA},
            "defaults": {},
            **REFITTED,
        },
    ),
    "regression": (
        LARGE_REGRESSION_TABLES,
        MLPRegressor,
        TIAMRegressor,
        {
            "adam": None,
            "alpha 6.4e-4": {"alpha": 6.4e-4, **ONE_ALPHA},
            "alpha auto": {"alpha": "auto", **ONE_ALPHA},
            "alpha 1e-4": {"alpha": 1e-4, **ONE_ALPHA},
            "defaults": {},
            "prox-linear W step, refitted": REFITTED["prox-linear W step, refitted"],
            "proximal, ceiling 2e-3": {"weight_step": "proximal"},
            "W step by the rows": REFITTED["W step by the rows"],
        },
    ),
}
#: ``alpha="auto"``'s ceiling for the methods that set one
#: (:func:`benchmarks.measure.auto_alpha_ceiling`). The regressor's proximal
#: W step with the classifier's ceiling was within 0.15 point of adam on
#: the sweep's five regression sets (docs/defaults_sweep.md); it is fitted
#: here beside the prox-linear step of the same day.
AUTO_ALPHA_CEILINGS = {"proximal, ceiling 2e-3": 2e-3}

# Records are keyed by method, table and seed, not by task.
assert not set(LARGE_TABLES) & set(LARGE_REGRESSION_TABLES)
#: The underfitting study's table, and TIAMRegressor's settings there, each
#: with no weight decay (so none on the output layer either, whatever its
#: factor); its records are keyed ``underfitting, <setting>``.
#: "400 epochs" also turns the stopping rule off (``n_iter_no_change=inf``),
#: so that it runs all 400.
UNDERFITTING_TABLE = "psid7682"
UNDERFITTING: dict[str, dict[str, Any]] = {
    "alpha 0": {"alpha": 0.0},
    "alpha 0, 3 rounds": {"alpha": 0.0, "batch_rounds": 3},
    "alpha 0, exact A step": {"alpha": 0.0, "activation_step": "exact"},
    "alpha 0, 3 rounds, exact A step": {
        "alpha": 0.0,
        "batch_rounds": 3,
        "activation_step": "exact",
    },
    "alpha 0, 400 epochs": {
        "alpha": 0.0,
        "max_iter": 400,
        "n_iter_no_change": np.inf,
    },
}


def _estimator(task: str, method: str, seed: int, cap: int | None) -> Any:
    _, adam, tiam, methods = TASKS[task]
    common = dict(random_state=seed, **({} if cap is None else {"max_iter": cap}))
    if method.startswith("underfitting, "):
        settings = UNDERFITTING[method.removeprefix("underfitting, ")]
        return tiam(hidden_layer_sizes=HIDDEN, **{**common, **settings})
    if methods[method] is None:
        return adam(hidden_layer_sizes=HIDDEN, **common)
    return tiam(hidden_layer_sizes=HIDDEN, **common, **methods[method])


def fit(task: str, name: str, method: str, seed: int) -> dict:
    """Fit one method on one table; return its scores, time and epochs."""
    data = split(TASKS[task][0][name], seed)
    estimator = _estimator(task, method, seed, CAPS[name])
    with auto_alpha_ceiling(type(estimator), AUTO_ALPHA_CEILINGS.get(method)):
        done = fit_once(estimator, data)
    n_rows, n_features = data.X_train.shape
    return {
        "score": float(done.estimator.score(data.X_test, data.y_test)),
        "train_score": float(done.estimator.score(data.X_train, data.y_train)),
        "time": done.wall,
        "n_iter": int(done.estimator.n_iter_),
        "rows": n_rows,
        "features": n_features,
        "others_share": done.others_share,
    }


def run(seeds: list[int]) -> dict:
    """Fit what is not yet recorded; return every record."""
    jobs = [
        (f"{method}|{name}|{seed}", partial(fit, task, name, method, seed))
        for task, (tables, _, _, methods) in TASKS.items()
        for name in tables
        for seed in seeds
        for method in methods
    ]
    jobs += [
        (
            f"underfitting, {setting}|{UNDERFITTING_TABLE}|{seed}",
            partial(
                fit, "regression", UNDERFITTING_TABLE, f"underfitting, {setting}", seed
            ),
        )
        for seed in seeds
        for setting in UNDERFITTING
    ]
    return fill_records(
        RESULTS, jobs, lambda r: f"score {r['score']:.4f}, {r['time']:.1f} s"
    )


def report(records: dict, seeds: list[int], task: str) -> str:
    """Return the mean test scores and fit times of ``task`` as Markdown."""
    tables, _, estimator, methods = TASKS[task]
    tiam = [m for m in methods if m != "adam"]
    lines = [
        "| table | training rows x columns | auto's alpha | adam | "
        + " | ".join(tiam)
        + " | defaults' fit time / adam's |",
        "|---|---:|---:|---:|" + "---:|" * len(tiam) + "---:|",
    ]
    shortfalls: dict[str, list[float]] = {m: [] for m in tiam}
    for name in tables:
        rows = [records[f"adam|{name}|{s}"] for s in seeds]
        adam = float(np.mean([r["score"] for r in rows]))
        cells = []
        for method in tiam:
            score = float(
                np.mean([records[f"{method}|{name}|{s}"]["score"] for s in seeds])
            )
            shortfalls[method].append(adam - score)
            cells.append(f"{score:.4f}")
        ratio = math.exp(
            np.mean(
                [
                    math.log(records[f"defaults|{name}|{s}"]["time"] / r["time"])
                    for s, r in zip(seeds, rows, strict=True)
                ]
            )
        )
        n_rows, n_features = rows[0]["rows"], rows[0]["features"]
        alpha = auto_alpha(
            n_rows, n_features * HIDDEN[0], estimator._auto_alpha_ceiling
        )
        lines.append(
            f"| {name} | {n_rows} x {n_features} | {alpha:.2g} | {adam:.4f} | "
            + " | ".join(cells)
            + f" | {ratio:.2f} |"
        )
    lines.append(
        "| points behind adam, largest (tables more than 1 behind) | | | | "
        + " | ".join(
            f"{100 * max(max(s), 0.0):.2f} ({sum(x > 0.01 for x in s)})"
            for s in shortfalls.values()
        )
        + " | |"
    )
    shares = [
        records[f"{method}|{name}|{seed}"]["others_share"]
        for name in tables
        for method in methods
        for seed in seeds
    ]
    lines += ["", f"Others' share of the CPU: at most {max(shares):.2f}."]
    return "\n".join(lines)


def underfitting_report(records: dict, seeds: list[int]) -> str:
    """Return the underfitting study's training and test R^2 as Markdown."""
    name = UNDERFITTING_TABLE
    methods = {
        "adam": "adam",
        "defaults": "TIAM, defaults",
        "alpha auto": "TIAM, alpha auto, one alpha",
        "alpha 1e-4": "TIAM, alpha 1e-4, one alpha",
    }
    methods |= {f"underfitting, {s}": f"TIAM, {s}" for s in UNDERFITTING}
    lines = [
        f"| {name} | training R^2 | test R^2 | epochs |",
        "|---|---:|---:|---:|",
    ]
    for key, label in methods.items():
        rows = [records[f"{key}|{name}|{seed}"] for seed in seeds]
        lines.append(
            f"| {label} | {np.mean([r['train_score'] for r in rows]):.4f} | "
            f"{np.mean([r['score'] for r in rows]):.4f} | "
            f"{np.mean([r['n_iter'] for r in rows]):.0f} |"
        )
    shares = [
        records[f"{key}|{name}|{seed}"]["others_share"]
        for key in methods
        for seed in seeds
    ]
    lines += ["", f"Others' share of the CPU: at most {max(shares):.2f}."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    seeds = [int(s) for s in (sys.argv[1:] if argv is None else argv)] or [0]
    records = run(seeds)
    for task in TASKS:
        print(f"## {task}\n\n{report(records, seeds, task)}\n")
    print(f"## underfitting\n\n{underfitting_report(records, seeds)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
