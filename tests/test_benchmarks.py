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
    "tiam-minibatch",
    "tiam-full-batch",
    "tiam-box",
    "tiam-no-inertia",
    "tiam-nesterov",
]
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

    # The table of test scores on stdout: one row per dataset, one column per
    # method, every cell a score.
    rows = [line for line in completed.stdout.splitlines() if line.startswith("| ")]
    header = [cell.strip() for cell in rows[0].split("|")[1:-1]]
    assert header == ["dataset"] + [SHORT[m] for m in METHODS]
    cells = {row.split("|")[1].strip(): row.split("|")[2:-1] for row in rows[2:]}
    assert set(cells) == set(QUICK_DATASETS)
    for scores in cells.values():
        assert len(scores) == len(METHODS)
        assert all(-10 < float(score) <= 1 for score in scores)

    report = (tmp_path / "BENCHMARKS.md").read_text(encoding="utf-8")
    for heading in (
        "## TIAM against adam",
        "## Results",
        "## The physical limit",
        "## Where a TIAM epoch spends its time",
        "## Machine",
        "## What is measured",
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


def test_quick_run_refuses_to_overwrite_a_full_runs_results(tmp_path):
    """The committed results of a full run survive a smoke run."""
    saved = {"results": {"config": {"quick": False}}}
    (tmp_path / "results.json").write_text(json.dumps(saved), encoding="utf-8")
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--out", str(tmp_path)],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode != 0
    assert "holds the results of a full run" in completed.stderr
    assert json.loads((tmp_path / "results.json").read_text()) == saved
