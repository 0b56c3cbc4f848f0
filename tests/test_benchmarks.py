"""The benchmark runner's smoke run writes its table, report and figures."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib", reason="the benchmarks need the 'bench' extra")
pytest.importorskip("mlxtend", reason="the benchmarks need the 'bench' extra")

REPOSITORY = Path(__file__).resolve().parent.parent
QUICK_DATASETS = ["wine", "diabetes", "synthetic_1000", "synthetic_10000"]
METHODS = [
    "mlp-adam",
    "mlp-lbfgs",
    "mlp-sgd",
    "tiam",
    "tiam-no-inertia",
    "tiam-nesterov",
]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_quick_run_writes_table_report_and_figures(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--out", str(tmp_path)],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr

    # The table on stdout has one row per dataset and method.
    rows = [line for line in completed.stdout.splitlines() if line.startswith("| ")]
    table = {tuple(cell.strip() for cell in row.split("|")[1:3]) for row in rows[1:]}
    assert table == {(d, m) for d in QUICK_DATASETS for m in METHODS}

    report = (tmp_path / "BENCHMARKS.md").read_text(encoding="utf-8")
    for heading in (
        "## Machine",
        "## Results",
        "## The four target figures",
        "## The physical limit",
        "## Where a TIAM iteration spends its time",
    ):
        assert heading in report
    for row in rows:
        assert row in report

    figures = [f"loss_{d}.png" for d in QUICK_DATASETS] + ["scaling.png"]
    for name in figures:
        path = tmp_path / name
        assert path.read_bytes()[:8] == PNG_SIGNATURE, name
        assert f"]({name})" in report

    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    runs = results["results"]["runs"]
    assert len(runs) == len(QUICK_DATASETS) * len(METHODS)
    for run in runs:
        assert run["n_iter"] >= 1
        assert len(run["curve_losses"]) == len(run["curve_seconds"]) >= 1
        assert run["fit_time"] > 0
