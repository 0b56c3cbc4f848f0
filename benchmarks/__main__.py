"""``python -m benchmarks``: run the benchmark, print the table, write the report.

Writes into ``--out`` one loss figure per dataset, the scaling figure and
``results.json``, and writes the report to ``--report``. A full run defaults
to ``benchmarks/results`` and ``BENCHMARKS.md`` at the top of the repository,
the committed results. ``--quick`` is a smoke run of a few seconds (two small
datasets and two sizes of the scaling series, one seed, four iterations per
fit) and writes into ``benchmarks/results-quick`` (not committed), so that it
never overwrites a full run's results; a run of either kind refuses to write
into a folder that holds the other kind's results. ``--from-results``
rewrites the report and the figures from ``OUT/results.json`` without
running anything.

The report of a full run ends with ``benchmarks/notes.md``, the reading of
the results written by hand.
"""

import argparse
import json
import sys
from pathlib import Path

from .analysis import summarise
from .datasets import DATASETS
from .plots import plot_losses, plot_scaling
from .report import main_table, write_report
from .runner import Config, run

REPOSITORY = Path(__file__).resolve().parent.parent
NOTES = Path(__file__).resolve().parent / "notes.md"
QUICK_DATASETS = ["wine", "diabetes", "synthetic_1000", "synthetic_10000"]
QUICK_ITERATIONS = 4


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """Return the parsed command line."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="TIAM against scikit-learn's MLPs; writes BENCHMARKS.md.",
    )
    parser.add_argument(
        "--datasets",
        nargs="+",
        choices=list(DATASETS),
        metavar="NAME",
        help=f"datasets to run (default: all): {', '.join(DATASETS)}",
    )
    parser.add_argument(
        "--seeds",
        nargs="+",
        type=int,
        metavar="SEED",
        help="split seeds, also the random_state of every estimator "
        "(default: 0 1 2; 0 with --quick)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run: {', '.join(QUICK_DATASETS)}, one seed, "
        f"{QUICK_ITERATIONS} iterations per fit",
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="folder for the figures and results.json (default: benchmarks/results, "
        "or benchmarks/results-quick with --quick)",
    )
    parser.add_argument(
        "--from-results",
        action="store_true",
        help="rewrite the report and figures from OUT/results.json; run nothing",
    )
    parser.add_argument(
        "--report",
        type=Path,
        metavar="FILE",
        help="where to write the report (default: BENCHMARKS.md at the top of "
        "the repository; OUT/BENCHMARKS.md with --quick)",
    )
    return parser.parse_args(argv)


def make_config(arguments: argparse.Namespace) -> Config:
    """Return the run configuration for the command line."""
    if arguments.quick:
        return Config(
            datasets=arguments.datasets or QUICK_DATASETS,
            seeds=arguments.seeds or [0],
            max_iter=QUICK_ITERATIONS,
            scaling_max_iter=QUICK_ITERATIONS,
            gemm_size=256,
            gemm_repeats=2,
            profile_dataset="wine",
            profile_max_iter=QUICK_ITERATIONS,
            idle_wait=0.0,
            retries=0,
            quick=True,
        )
    return Config(
        datasets=arguments.datasets or list(DATASETS),
        seeds=arguments.seeds or [0, 1, 2],
    )


def write_outputs(results: dict, out: Path, report_path: Path, notes: str) -> None:
    """Write the figures, results.json and the report; print the table."""
    summary = summarise(results)
    figures = []
    for dataset in results["config"]["datasets"]:
        runs = [r for r in results["runs"] if r["dataset"] == dataset]
        targets = [
            v for k, v in summary["targets"].items() if k.rsplit("/", 1)[0] == dataset
        ]
        target = sum(targets) / len(targets) if targets else float("nan")
        figures.append(plot_losses(dataset, runs, target, out / f"loss_{dataset}.png"))
    if summary["scaling"]:
        figures.append(plot_scaling(summary["scaling"], out / "scaling.png"))
    with open(out / "results.json", "w", encoding="utf-8") as handle:
        json.dump({"results": results, "summary": summary}, handle, indent=1)
    write_report(results, summary, figures, report_path, notes)
    print(main_table(summary["rows"]))
    print(f"\nReport: {report_path}\nFigures and results.json: {out}")


def _refuse_mixing(out: Path, quick: bool) -> None:
    """Refuse to overwrite the results of the other kind of run in ``out``."""
    saved = out / "results.json"
    if not saved.exists():
        return
    with open(saved, encoding="utf-8") as handle:
        was_quick = json.load(handle)["results"]["config"]["quick"]
    if was_quick != quick:
        kinds = ("a full run", "a quick run")
        raise SystemExit(
            f"{out} holds the results of {kinds[was_quick]}; this is "
            f"{kinds[quick]}. Choose another folder with --out."
        )


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark, or reread its results, and write its outputs."""
    arguments = parse_arguments(argv)
    default = "results-quick" if arguments.quick else "results"
    out = (arguments.out or REPOSITORY / "benchmarks" / default).resolve()
    if not arguments.from_results:
        _refuse_mixing(out, arguments.quick)
    out.mkdir(parents=True, exist_ok=True)
    if arguments.from_results:
        with open(out / "results.json", encoding="utf-8") as handle:
            results = json.load(handle)["results"]
    else:
        results = run(make_config(arguments))
        results["command"] = "python -m benchmarks" + "".join(
            f" {a}" for a in (argv if argv is not None else sys.argv[1:])
        )
    quick = results["config"]["quick"]
    report_path = arguments.report or (
        out / "BENCHMARKS.md" if quick else REPOSITORY / "BENCHMARKS.md"
    )
    notes = NOTES.read_text(encoding="utf-8") if NOTES.exists() and not quick else ""
    write_outputs(results, out, report_path.resolve(), notes)


if __name__ == "__main__":
    main()
