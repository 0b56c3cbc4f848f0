"""The stopping rule's tolerance: what TIAM's fit time buys after adam's score.

TIAM reaches adam's test score in less than adam's fit time, and then its
stopping rule, MLPClassifier's, keeps it training (BENCHMARKS.md). This
study measures what that training buys. TIAMClassifier and TIAMRegressor at
their defaults but ``alpha`` are fitted on the sweep's thirteen sets
(:data:`benchmarks.sweep_step.SWEEP_DATASETS`, split seeds 0-2, the same
epoch caps) with ``n_iter_no_change=inf``, so that every fit runs to
``max_iter``. After each epoch the fit's training loss (``loss_curve_``), its
test score and the seconds so far are recorded (the clock stops while the
score is taken). Adam (``MLPClassifier`` / ``MLPRegressor`` at their
defaults) is fitted in the same run, on the same splits. The classifier is
fitted at ``alpha=2e-3`` and the regressor at ``alpha=6.4e-4``, their
defaults when the records were made; ``"auto"``, today's, is the same on
every set but flights (classification) and sincos and CPS1988 (regression).

The stopping rule is then applied to each recorded loss curve, for each
``tol`` and ``n_iter_no_change`` of :data:`GRID`: :func:`stopping_epoch` gives
the epoch where a fit with them stops, exactly as the estimators do (a fit is
deterministic, and its first epochs do not depend on when it stops), and
with it that fit's test score and seconds. :func:`check` compares the rule at
the defaults with real fits. Run it with ``python -m benchmarks.stopping`` on
an otherwise idle machine; it writes ``benchmarks/results/stopping.json``
(fits already recorded there are not run again) and prints the tables of
docs/defaults_sweep.md's section on the stopping rule. Each fit's time goes to
the standard error as it ends.
"""

import json
import math
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.neural_network import MLPClassifier, MLPRegressor

from sktiam import TIAMClassifier, TIAMRegressor

from .datasets import DATASETS, split
from .machine import cpu_ticks, others_share_between
from .measure import fill_records, fit_once, probed_fit
from .methods import MOMENTUM_095
from .sweep_step import CAPS, SWEEP_DATASETS

RESULTS = Path(__file__).resolve().parent / "results" / "stopping.json"
SEEDS = (0, 1, 2)
#: The ``(tol, n_iter_no_change)`` pairs applied to the recorded curves; the
#: first is the estimators' default, MLPClassifier's.
GRID = [
    (1e-4, 10),
    (3e-4, 10),
    (1e-3, 10),
    (3e-3, 10),
    (1e-4, 5),
    (1e-3, 5),
]


def stopping_epoch(losses: list[float], tol: float, n_iter_no_change: int) -> int:
    """Return the number of epochs a fit with this rule runs, given its losses.

    The rule of the estimators and of MLPClassifier: after each epoch, the
    count of epochs without improvement rises unless the loss is at most
    the lowest so far minus ``tol``, where it returns to zero; the fit
    stops after the epoch where the count exceeds ``n_iter_no_change``, or
    after the last epoch recorded.
    """
    best, count = math.inf, 0
    for epoch, loss in enumerate(losses, start=1):
        count = 0 if loss <= best - tol else count + 1
        best = min(best, loss)
        if count > n_iter_no_change:
            return epoch
    return len(losses)


def _models(task: str, seed: int, max_iter: int | None) -> tuple[Any, Any]:
    cap = {} if max_iter is None else {"max_iter": max_iter}
    common = dict(hidden_layer_sizes=(100, 100), random_state=seed, **cap)
    # The estimators' defaults when the records were made.
    if task == "classification":
        tiam = TIAMClassifier(
            alpha=2e-3,
            batch_rounds=2,
            output_alpha_factor=1.0,
            **MOMENTUM_095,
            **common,
        )
        return MLPClassifier(**common), tiam
    tiam = TIAMRegressor(
        alpha=6.4e-4,
        batch_rounds=1,
        output_alpha_factor=1.0,
        **MOMENTUM_095,
        **common,
    )
    return MLPRegressor(**common), tiam


def fit_pair(dataset: str, seed: int) -> dict:
    """Fit adam, then TIAM to ``max_iter``; return both fits' records."""
    data = split(DATASETS[dataset], seed)
    adam, tiam = _models(DATASETS[dataset].task, seed, CAPS.get(dataset))
    ticks = cpu_ticks()
    adam_time = fit_once(adam, data).wall
    tiam.set_params(n_iter_no_change=np.inf)
    wall, curve = probed_fit(
        tiam,
        data.X_train,
        data.y_train,
        lambda probe: float(probe.score(data.X_test, data.y_test)),
    )
    return {
        "adam": {
            "score": float(adam.score(data.X_test, data.y_test)),
            "time": adam_time,
            "n_iter": int(adam.n_iter_),
        },
        "tiam": {
            "time": wall,
            "seconds": [elapsed for elapsed, _ in curve],
            "scores": [score for _, score in curve],
            "losses": [float(loss) for loss in tiam.loss_curve_],
        },
        "others_share": others_share_between(ticks, cpu_ticks()),
    }


def run(datasets: list[str], seeds: tuple[int, ...] = SEEDS) -> dict:
    """Fit what is not yet recorded; return every record."""
    jobs = [
        (f"{dataset}|{seed}", partial(fit_pair, dataset, seed))
        for dataset in datasets
        for seed in seeds
    ]
    return fill_records(
        RESULTS,
        jobs,
        lambda r: f"TIAM {r['tiam']['time']:.2f} s, adam {r['adam']['time']:.2f} s",
    )


def stopped(record: dict, tol: float, n_iter_no_change: int) -> dict:
    """Return the epochs, seconds and test score of a fit stopped by the rule."""
    tiam = record["tiam"]
    epochs = stopping_epoch(tiam["losses"], tol, n_iter_no_change)
    return {
        "epochs": epochs,
        "time": tiam["seconds"][epochs - 1],
        "score": tiam["scores"][epochs - 1],
    }


def summary(records: dict, datasets: list[str], seeds=SEEDS) -> list[dict]:
    """Return, for each rule of :data:`GRID`, its fit times and scores against adam.

    ``time_ratio`` is the geometric mean, over datasets and seeds, of the
    stopped fit's seconds over adam's fit time; ``shortfalls`` holds, per
    dataset, adam's mean test score minus the stopped fits' (over the
    seeds), and ``change`` the stopped fits' mean score minus the default
    rule's.
    """
    rows = []
    default = GRID[0]
    for tol, patience in GRID:
        ratios, epochs, shortfalls, change = [], [], {}, {}
        for dataset in datasets:
            runs = [records[f"{dataset}|{seed}"] for seed in seeds]
            fits = [stopped(r, tol, patience) for r in runs]
            base = [stopped(r, *default) for r in runs]
            for r, fit in zip(runs, fits, strict=True):
                ratios.append(fit["time"] / r["adam"]["time"])
                epochs.append(fit["epochs"])
            score = float(np.mean([f["score"] for f in fits]))
            adam = float(np.mean([r["adam"]["score"] for r in runs]))
            shortfalls[dataset] = adam - score
            change[dataset] = score - float(np.mean([f["score"] for f in base]))
        rows.append(
            {
                "tol": tol,
                "n_iter_no_change": patience,
                "time_ratio": math.exp(float(np.mean(np.log(ratios)))),
                "epochs": math.exp(float(np.mean(np.log(epochs)))),
                "shortfalls": shortfalls,
                "change": change,
            }
        )
    return rows


def check(records: dict, datasets: list[str], seeds=SEEDS) -> list[str]:
    """Return where the rule at the defaults differs from the sweep's real fits.

    The sweep (``benchmarks/results/sweep_step.json``) fitted the defaults
    with their own stopping rule; each of its epoch counts must equal
    :func:`stopping_epoch` on this run's loss curve of the same split and
    seed. The keys without a sweep record are skipped.
    """
    from .sweep_step import RESULTS as SWEEP

    sweep = json.loads(SWEEP.read_text()) if SWEEP.exists() else {}
    names = {"classification": "2 rounds, alpha 2e-3", "regression": "0.2.0"}
    differ = []
    for dataset in datasets:
        for seed in seeds:
            real = sweep.get(f"{names[DATASETS[dataset].task]}|{dataset}|{seed}")
            if real is None:
                continue
            simulated = stopped(records[f"{dataset}|{seed}"], *GRID[0])["epochs"]
            if simulated != real["n_iter"]:
                differ.append(f"{dataset}|{seed}: {simulated} against {real['n_iter']}")
    return differ


def report(records: dict, datasets: list[str]) -> str:
    """Return the rules' fit times and scores as Markdown."""
    rows = summary(records, datasets)
    lines = [
        "| tol | n_iter_no_change | fit time / adam's (geo. mean) "
        "| epochs (geo. mean) | largest shortfall | where | largest loss "
        "against the default rule |",
        "|---:|---:|---:|---:|---:|---|---:|",
    ]
    for row in rows:
        where = max(row["shortfalls"], key=row["shortfalls"].get)
        worst = min(row["change"].values())
        lines.append(
            f"| {row['tol']:g} | {row['n_iter_no_change']} "
            f"| {row['time_ratio']:.2f} | {row['epochs']:.0f} "
            f"| {max(row['shortfalls'][where], 0.0):.4f} | {where} "
            f"| {max(0.0, -worst):.4f} |"
        )
    lines += [
        "",
        "| dataset | adam | "
        + " | ".join(f"{r['tol']:g}, {r['n_iter_no_change']}" for r in rows)
        + " |",
        "|---|---:|" + "---:|" * len(rows),
    ]
    for dataset in datasets:
        adam = np.mean([records[f"{dataset}|{s}"]["adam"]["score"] for s in SEEDS])
        cells = " | ".join(f"{adam - r['shortfalls'][dataset]:.4f}" for r in rows)
        lines.append(f"| {dataset} | {adam:.4f} | {cells} |")
    shares = [records[f"{d}|{s}"]["others_share"] for d in datasets for s in SEEDS]
    lines += ["", f"Others' share of the CPU: at most {max(shares):.2f}."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    for task in ("classification", "regression"):
        datasets = [d for d in SWEEP_DATASETS if DATASETS[d].task == task]
        records = run(datasets)
        differ = check(records, datasets)
        print(f"## {task}\n")
        print(report(records, datasets))
        print(
            "\nThe rule at the defaults against the sweep's real fits: "
            + ("the same epochs on every split." if not differ else "; ".join(differ))
            + "\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
