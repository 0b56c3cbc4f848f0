"""From the raw runs to the figures of the report.

The common training-loss target, defined once for every dataset and seed::

    target = L_end + TARGET_FRACTION * (L_1 - L_end)

where ``L_1`` and ``L_end`` are the first and the last value of the
``loss_curve_`` of the reference method, full-batch TIAM without inertia
(plain proximal alternating minimisation, the baseline the inertias are
meant to accelerate), on that dataset and seed. With
``TARGET_FRACTION = 0.1`` a method reaches the target when it has covered
90% of the decrease the reference achieves over its whole run. A method's
iterations to the target are the first iteration whose training loss is at
or below it; its time to the target is that iteration's timestamp (see
:mod:`benchmarks.measure`).
"""

import math

import numpy as np

from sktiam import TIAMClassifier, training_state_bytes

from .datasets import DATASETS
from .machine import tiam_flops_per_iteration, tiam_minibatch_flops_per_epoch
from .methods import (
    METHODS,
    REFERENCE_LOSS_METHOD,
    REFERENCE_SCORE_METHOD,
    TIAM_DEFAULT,
    TIAM_FULL_BATCH,
)

#: Rows of a batch of the TIAM defaults.
DEFAULT_BATCH = TIAMClassifier().batch_size

TARGET_FRACTION = 0.1
#: The ablations full-batch TIAM is compared with, and the target ratio of
#: iterations to the loss target (full-batch TIAM / ablation).
INERTIA_TARGETS = {"tiam-no-inertia": 0.5, "tiam-nesterov": 0.67}
#: Largest shortfall of TIAM's mean test score against adam's, in points.
SCORE_TOLERANCE = 0.01
#: Target slope of log(time per iteration) against log(n), and its tolerance.
SLOPE_TARGET, SLOPE_TOLERANCE = 1.0, 0.1
#: Largest ratio of the mini-batch TIAM peak memory to adam's at the largest n.
MEMORY_RATIO_TARGET = 2.0
#: The datasets on which mini-batch TIAM must reach adam's final test score in
#: at most adam's fit time.
SCORE_TIME_DATASETS = (
    "digits",
    "mnist",
    "flights",
    "synthetic_100000",
    "synthetic_1000000",
)


def mean_std(values: list[float]) -> tuple[float, float]:
    """Return the mean and the standard deviation (ddof=0); NaN when empty."""
    if not values:
        return math.nan, math.nan
    return float(np.mean(values)), float(np.std(values))


def loss_target(reference: dict) -> float:
    """Return the loss target of a dataset and seed from the reference run."""
    first, last = reference["curve_losses"][0], reference["curve_losses"][-1]
    return last + TARGET_FRACTION * (first - last)


def first_reach(run: dict, target: float) -> tuple[int, float] | None:
    """Return the iterations and seconds at which ``run`` first reaches ``target``."""
    for iteration, loss, seconds in zip(
        run["curve_iterations"],
        run["curve_losses"],
        run["curve_seconds"],
        strict=True,
    ):
        if loss <= target:
            return iteration, seconds
    return None


def geometric_mean(values: list[float]) -> float:
    """Return the geometric mean of positive values; NaN when empty."""
    return float(np.exp(np.mean(np.log(values)))) if values else math.nan


def loglog_slope(sizes: list[float], seconds: list[float]) -> float:
    """Return the least-squares slope of ``log(seconds)`` against ``log(sizes)``."""
    if len(sizes) < 2:
        return math.nan
    return float(np.polyfit(np.log(sizes), np.log(seconds), 1)[0])


def summarise(results: dict) -> dict:
    """Derive every figure of the report from the results of :func:`runner.run`.

    Returns
    -------
    dict
        ``targets`` (loss target per dataset and seed), ``rows`` (per dataset
        and method: means and standard deviations over seeds), ``physical``
        (per dataset and TIAM variant: flops, rates, fractions of the GEMM
        rate, and the peak memory over ``sktiam.training_state_bytes``),
        ``scaling`` (time per iteration against n, and the log-log slope per
        method), ``score_gap``, ``score_time``, ``inertia`` and ``memory``
        (the target figures).
    """
    runs = results["runs"]
    datasets = list(dict.fromkeys(run["dataset"] for run in runs))
    methods = list(dict.fromkeys(run["method"] for run in runs))
    by_key = {(r["dataset"], r["method"], r["seed"]): r for r in runs}
    seeds = sorted({run["seed"] for run in runs})

    targets = {}
    for dataset in datasets:
        for seed in seeds:
            reference = by_key.get((dataset, REFERENCE_LOSS_METHOD, seed))
            if reference is not None:
                targets[(dataset, seed)] = loss_target(reference)

    rows = []
    reached: dict[tuple[str, str, int], tuple[int, float] | None] = {}
    for dataset in datasets:
        for method in methods:
            group = [by_key[k] for k in sorted(by_key) if k[:2] == (dataset, method)]
            if not group:
                continue
            hits = []
            for run in group:
                target = targets.get((dataset, run["seed"]))
                hit = None if target is None else first_reach(run, target)
                reached[(dataset, method, run["seed"])] = hit
                if hit is not None:
                    hits.append(hit)
            memory = [r["peak_memory"] for r in group if r["peak_memory"] is not None]
            rows.append(
                {
                    "dataset": dataset,
                    "method": method,
                    "seeds": len(group),
                    "score": mean_std([r["score"] for r in group]),
                    "train_loss": mean_std([r["train_loss"] for r in group]),
                    "fit_time": mean_std([r["fit_time"] for r in group]),
                    "n_iter": mean_std([r["n_iter"] for r in group]),
                    "iterations_to_target": mean_std([h[0] for h in hits]),
                    "seconds_to_target": mean_std([h[1] for h in hits]),
                    "reached": len(hits),
                    "seconds_per_iteration": mean_std(
                        [r["fit_time"] / max(r["n_iter"], 1) for r in group]
                    ),
                    "peak_memory": memory[0] if memory else math.nan,
                }
            )

    return {
        "targets": {f"{d}/{s}": v for (d, s), v in targets.items()},
        "rows": rows,
        "physical": _physical(results, datasets, methods, by_key),
        "scaling": _scaling(rows),
        "score_gap": _score_gap(rows),
        "score_time": _score_time(results["score_times"]),
        "inertia": _inertia(datasets, seeds, reached),
        "memory": _memory(rows),
    }


def _physical(results: dict, datasets: list, methods: list, by_key: dict) -> list:
    """Flops, achieved rate and fractions of the GEMM rate for each TIAM run group."""
    peak = results["gemm"]["square"]
    shaped = results["gemm"]["shaped"]
    rows = []
    for dataset in datasets:
        for method in methods:
            if not METHODS[method].is_tiam:
                continue
            group = [by_key[k] for k in sorted(by_key) if k[:2] == (dataset, method)]
            if not group:
                continue
            if METHODS[method].mini_batch:
                flops = [
                    tiam_minibatch_flops_per_epoch(r["layer_units"], r["n_train"])
                    for r in group
                ]
            else:
                flops = [
                    tiam_flops_per_iteration(
                        r["layer_units"], r["n_train"], r["mean_trials"], r["safeguard"]
                    )
                    for r in group
                ]
            per_iteration = [r["fit_time"] / max(r["n_iter"], 1) for r in group]
            achieved = [f / s for f, s in zip(flops, per_iteration, strict=True)]
            kernel = [
                r["cpu_system"] / max(r["cpu_user"] + r["cpu_system"], 1e-12)
                for r in group
            ]
            rate = mean_std(achieved)
            memory = [r["peak_memory"] for r in group if r["peak_memory"] is not None]
            first = group[0]
            batch = METHODS[method].params.get("batch_size", DEFAULT_BATCH)
            rows_per_batch = None if batch is None else min(batch, first["n_train"])
            itemsize = 4 if DATASETS[dataset].scaling else 8
            estimate = training_state_bytes(
                first["n_train"], first["layer_units"], itemsize, False, rows_per_batch
            )
            rows.append(
                {
                    "dataset": dataset,
                    "method": method,
                    "n_train": group[0]["n_train"],
                    "mean_trials": mean_std([r["mean_trials"] for r in group]),
                    "mean_restarts": mean_std([r["mean_restarts"] for r in group]),
                    "flops": mean_std(flops),
                    "seconds_per_iteration": mean_std(per_iteration),
                    "achieved": rate,
                    "fraction_of_peak": rate[0] / peak,
                    "fraction_of_shaped": rate[0] / shaped[dataset]
                    if dataset in shaped
                    else math.nan,
                    "kernel_share": mean_std(kernel),
                    "memory_over_estimate": memory[0] / estimate
                    if memory
                    else math.nan,
                }
            )
    return rows


def _scaling(rows: list) -> dict:
    """Time per iteration against the training size on the scaling series."""
    series: dict[str, dict] = {}
    for row in rows:
        if not DATASETS[row["dataset"]].scaling:
            continue
        n_total = int(row["dataset"].rsplit("_", 1)[1])
        entry = series.setdefault(row["method"], {"n": [], "seconds": [], "std": []})
        entry["n"].append(n_total)
        entry["seconds"].append(row["seconds_per_iteration"][0])
        entry["std"].append(row["seconds_per_iteration"][1])
    for entry in series.values():
        entry["slope"] = loglog_slope(entry["n"], entry["seconds"])
    return series


def _score_gap(rows: list) -> list:
    """Each TIAM variant's mean test score minus adam's on every real dataset."""
    means = {(r["dataset"], r["method"]): r["score"][0] for r in rows}
    gaps = []
    for (dataset, method), tiam in means.items():
        if not METHODS[method].is_tiam or DATASETS[dataset].scaling:
            continue
        adam = means.get((dataset, REFERENCE_SCORE_METHOD))
        if adam is None:
            continue
        gaps.append(
            {
                "dataset": dataset,
                "method": method,
                "tiam": tiam,
                "adam": adam,
                "gap": tiam - adam,
                "met": tiam - adam >= -SCORE_TOLERANCE,
            }
        )
    return gaps


def _score_time(score_times: list) -> list:
    """TIAM's time to adam's test score as a multiple of adam's fit time."""
    pairs = list(dict.fromkeys((e["dataset"], e["method"]) for e in score_times))
    summary = []
    for dataset, method in pairs:
        group = [
            e for e in score_times if (e["dataset"], e["method"]) == (dataset, method)
        ]
        ratios = [
            e["seconds"] / e["reference_fit_time"]
            for e in group
            if e["seconds"] is not None
        ]
        summary.append(
            {
                "dataset": dataset,
                "method": method,
                "seeds": len(group),
                "reached": len(ratios),
                "ratio": mean_std(ratios),
                "iterations": mean_std(
                    [e["iterations"] for e in group if e["iterations"] is not None]
                ),
                "met": len(ratios) == len(group) and float(np.mean(ratios)) <= 1.0,
            }
        )
    return summary


def _inertia(datasets: list, seeds: list, reached: dict) -> list:
    """Iterations to the loss target of full-batch TIAM over each ablation's."""
    summary = []
    for dataset in datasets:
        for variant, limit in INERTIA_TARGETS.items():
            ratios, compared = [], 0
            for seed in seeds:
                if (dataset, TIAM_FULL_BATCH, seed) not in reached:
                    continue
                if (dataset, variant, seed) not in reached:
                    continue
                compared += 1
                default = reached[(dataset, TIAM_FULL_BATCH, seed)]
                other = reached[(dataset, variant, seed)]
                if default is not None and other is not None:
                    ratios.append(default[0] / other[0])
            if compared:
                summary.append(
                    {
                        "dataset": dataset,
                        "variant": variant,
                        "limit": limit,
                        "seeds": compared,
                        "both_reached": len(ratios),
                        "ratio": mean_std(ratios),
                        "met": bool(ratios)
                        and len(ratios) == compared
                        and float(np.mean(ratios)) <= limit,
                    }
                )
    return summary


def _memory(rows: list) -> list:
    """Peak memory of mini-batch TIAM over adam's, per dataset where both ran."""
    peaks = {(r["dataset"], r["method"]): r["peak_memory"] for r in rows}
    summary = []
    for (dataset, method), peak in peaks.items():
        if method != TIAM_DEFAULT:
            continue
        adam = peaks.get((dataset, REFERENCE_SCORE_METHOD))
        if adam is None or math.isnan(adam) or math.isnan(peak):
            continue
        summary.append(
            {"dataset": dataset, "tiam": peak, "adam": adam, "ratio": peak / adam}
        )
    return summary
