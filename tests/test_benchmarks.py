"""The benchmark runner's smoke run writes its table, report and figures."""

import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

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


def _run(module: str, *arguments: str) -> subprocess.CompletedProcess:
    """Run ``python -m module arguments`` from the repository root."""
    return subprocess.run(
        [sys.executable, "-m", module, *arguments],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_quick_run_writes_table_report_and_figures(tmp_path):
    completed = _run("benchmarks", "--quick", "--out", str(tmp_path))
    assert completed.returncode == 0, completed.stderr

    # The table of test scores on stdout: one row per dataset, one column per
    # method, every cell a score.
    rows = [line for line in completed.stdout.splitlines() if line.startswith("| ")]
    header = [cell.strip() for cell in rows[0].split("|")[1:-1]]
    assert header == ["dataset"] + [SHORT[m] for m in METHODS]
    # rows[0] is the header; the rule under it ("|---|") does not start "| ".
    cells = {row.split("|")[1].strip(): row.split("|")[2:-1] for row in rows[1:]}
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
    completed = _run("benchmarks", "--quick", "--out", str(tmp_path))
    assert completed.returncode != 0
    assert "holds the results of a full run" in completed.stderr
    assert json.loads((tmp_path / "results.json").read_text()) == saved


def _part(folder: Path, datasets: list[str], seeds: list[int], seconds: float) -> dict:
    """Write a part's results.json, with one fit record per dataset."""
    results = {
        "config": {
            "datasets": datasets,
            "seeds": seeds,
            "methods": METHODS,
            "max_iter": None,
            "scaling_max_iter": 10,
            "quick": False,
        },
        "machine": {"cpu": folder.name},
        "gemm": {"square": 1.0, "shaped": {d: float(len(d)) for d in datasets}},
        "runs": [{"dataset": d, "method": "mlp-adam"} for d in datasets],
        "score_times": [{"dataset": d} for d in datasets],
        "profile": {"dataset": folder.name},
        "total_seconds": seconds,
        "command": f"python -m benchmarks --datasets {' '.join(datasets)}",
    }
    folder.mkdir()
    (folder / "results.json").write_text(json.dumps({"results": results}))
    return results


def _merge(*folders: Path) -> subprocess.CompletedProcess:
    return _run("benchmarks.merge", *map(str, folders))


def test_merge_joins_parts_in_order_and_refuses_mismatched_ones(tmp_path):
    first = _part(tmp_path / "a", ["wine", "digits"], [0, 1], 10.0)
    second = _part(tmp_path / "b", ["flights"], [0, 1], 5.5)
    assert _merge(tmp_path / "out", tmp_path / "a", tmp_path / "b").returncode == 0
    merged = json.loads((tmp_path / "out" / "results.json").read_text())["results"]
    assert merged["config"]["datasets"] == ["wine", "digits", "flights"]
    assert merged["runs"] == first["runs"] + second["runs"]
    assert merged["score_times"] == first["score_times"] + second["score_times"]
    assert merged["gemm"]["shaped"] == {"wine": 4.0, "digits": 6.0, "flights": 7.0}
    assert merged["total_seconds"] == 15.5
    # The machine and the profile are the first part's.
    assert merged["machine"] == {"cpu": "a"}
    assert merged["profile"] == {"dataset": "a"}
    assert [p["datasets"] for p in merged["parts"]] == [["wine", "digits"], ["flights"]]

    _part(tmp_path / "c", ["boston"], [0], 1.0)
    refused = _merge(tmp_path / "out2", tmp_path / "a", tmp_path / "c")
    assert refused.returncode != 0
    assert "differ in seeds" in refused.stderr
    refused = _merge(tmp_path / "out3", tmp_path / "a", tmp_path / "a")
    assert refused.returncode != 0
    assert "Two parts ran the datasets" in refused.stderr
    assert not (tmp_path / "out2").exists() and not (tmp_path / "out3").exists()


def _sweep_records(scores: dict[str, float], times: dict[str, float]) -> dict:
    """Records of one dataset and seed: adam at 0.9 in 1 s, each name's final score."""
    records = {"adam|d|0": {"score": 0.9, "time": 1.0}}
    for name, score in scores.items():
        # The curve reaches adam's score only if the final score does.
        curve = [[times[name], score]]
        records[f"{name}|d|0"] = {"score": score, "time": times[name], "curve": curve}
    return records


def test_sweep_ranks_by_time_within_the_shortfall_constraint_and_its_tie():
    from benchmarks.sweep_step import summary

    # Two meet the one-point constraint: the faster wins, whatever its shortfall.
    records = _sweep_records(
        {"slow": 0.9, "fast": 0.895, "short": 0.85},
        {"slow": 2.0, "fast": 0.5, "short": 0.1},
    )
    ranked = [
        r["name"] for r in summary(records, ["slow", "fast", "short"], [0], ["d"])
    ]
    assert ranked == ["fast", "slow", "short"]
    # None meets it: shortfalls within half a point of the least tie, by time;
    # the rest follow by shortfall.
    records = _sweep_records(
        {"least": 0.87, "near": 0.866, "far": 0.86, "farther": 0.80},
        {"least": 2.0, "near": 1.0, "far": 0.2, "farther": 0.1},
    )
    names = ["least", "near", "far", "farther"]
    ranked = [r["name"] for r in summary(records, names, [0], ["d"])]
    assert ranked == ["near", "least", "far", "farther"]


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_sweep_configurations_keep_the_defaults_their_records_were_made_at(task):
    from benchmarks.sweep_step import _estimator

    # 0.2.0's defaults, written out: one round of the prox-linear step at
    # alpha 6.4e-4 and one alpha for every layer, whatever the estimators'
    # defaults are today.
    baseline = _estimator("0.2.0", task, 0, None).get_params()
    assert (baseline["batch_rounds"], baseline["activation_step"]) == (1, "prox-linear")
    assert baseline["alpha"] == 6.4e-4
    assert baseline["output_alpha_factor"] == 1.0
    auto = _estimator("0.2.0, alpha auto", task, 0, None).get_params()
    assert (auto["batch_rounds"], auto["alpha"]) == (1, "auto")
    assert auto["output_alpha_factor"] == 1.0
    chosen = _estimator("2 rounds, alpha auto", task, 0, None).get_params()
    assert (chosen["batch_rounds"], chosen["alpha"]) == (2, "auto")
    assert chosen["output_alpha_factor"] == 1.0
    assert _estimator("3 rounds", task, 0, None).get_params()["alpha"] == 6.4e-4
    output = _estimator("2 rounds, alpha auto, output x30", task, 0, None)
    assert output.get_params()["output_alpha_factor"] == 30


def test_weight_power_iterations_sets_the_w_steps_count_and_restores_it():
    """Fits under the benchmark's switch take its count of power iterations
    per W step: three are the estimators' own, two give other weights; the
    count is restored on leaving, also after an error."""
    from sklearn.datasets import make_classification

    import sktiam._minibatch as minibatch
    from benchmarks.measure import weight_power_iterations
    from sktiam import TIAMClassifier

    X, y = make_classification(n_samples=200, n_features=30, random_state=0)

    def fit():
        return TIAMClassifier(
            hidden_layer_sizes=(8,),
            batch_size=32,
            max_iter=3,
            tol=0.0,
            random_state=0,
        ).fit(X, y)

    plain = fit()
    with weight_power_iterations(2):
        assert minibatch.WEIGHT_POWER_ITERATIONS == 2
        two = fit()
    with weight_power_iterations(3):
        three = fit()
    with pytest.raises(RuntimeError), weight_power_iterations(5):
        raise RuntimeError
    assert minibatch.WEIGHT_POWER_ITERATIONS == 3
    np.testing.assert_array_equal(three.coefs_[0], plain.coefs_[0])
    assert not np.array_equal(two.coefs_[0], plain.coefs_[0])


def test_the_power_stage_changes_only_the_w_steps_power_iterations():
    from benchmarks import sweep_step

    for task, base in sweep_step.POWER_BASES.items():
        names = list(sweep_step.POWER[task])
        assert [sweep_step.WEIGHT_POWER_COUNTS.get(n, 2) for n in names] == [2, 3]
        for name in names:
            assert sweep_step.CONFIGS[name] == sweep_step.CONFIGS[base]
    assert sweep_step.BASELINE_POWER_ITERATIONS == 2
    assert base not in sweep_step.WEIGHT_POWER_COUNTS


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_the_momentum_stage_moves_only_the_first_two_inertias(task):
    from benchmarks import sweep_step
    from sktiam import TIAMClassifier, TIAMRegressor

    estimator = TIAMClassifier if task == "classification" else TIAMRegressor
    defaults = estimator(hidden_layer_sizes=(100, 100), random_state=0)
    control, moved = (
        sweep_step._estimator(name, task, 0, None).get_params()
        for name in sweep_step.MOMENTUM[task]
    )
    # 0.98 became both estimators' default; the regressor's weight step
    # became "auto" after it (the rows stage).
    expected = defaults.get_params()
    if task == "regression":
        assert moved["weight_step"] == "prox-linear"
        expected["weight_step"] = "prox-linear"
    assert moved == expected
    changed = {k for k in moved if moved[k] != control[k]}
    assert changed == {"center_inertia", "gradient_inertia"}
    assert control["center_inertia"] == control["gradient_inertia"] == 0.95
    assert moved["center_inertia"] == moved["gradient_inertia"] == 0.98
    for name in sweep_step.MOMENTUM[task]:
        assert sweep_step.WEIGHT_POWER_COUNTS[name] == 3


def test_epoch_costed_times_count_epochs_at_the_base_configurations_cost():
    from benchmarks.sweep_step import epoch_costed

    # adam: 2 s. The base: 10 epochs in 10 s, so 1 s per epoch. "early"
    # reaches adam's score at its third epoch and stops at its eighth,
    # whatever its own (drifted) seconds; "never" does not reach it.
    curve = [[9.0, 0.5], [9.5, 0.8], [9.9, 0.91], [12.0, 0.92]]
    records = {
        "adam|d|0": {"score": 0.9, "time": 2.0},
        "base|d|0": {"score": 0.9, "time": 10.0, "n_iter": 10, "curve": []},
        "early|d|0": {"score": 0.92, "time": 30.0, "n_iter": 8, "curve": curve},
        "never|d|0": {"score": 0.8, "time": 1.0, "n_iter": 5, "curve": curve[:2]},
    }
    rows = epoch_costed(records, ["early", "never"], "base", [0], ["d"])
    early, never = rows
    assert (early["time_ratio"], early["whole_ratio"], early["never"]) == (
        pytest.approx(3 / 2),
        pytest.approx(8 / 2),
        0,
    )
    assert (never["time_ratio"], never["whole_ratio"], never["never"]) == (
        pytest.approx(5 / 2),
        pytest.approx(5 / 2),
        1,
    )


def test_the_output_stage_fits_every_factor_and_pins_one_alpha_elsewhere():
    from benchmarks import learning_table, stopping, sweep_step, weight_decay

    assert {"output", "rounds"} <= sweep_step.CONFIRM_ALL
    # Only the output stage's configurations share their base's epoch cost.
    assert sweep_step.EPOCH_COSTED == {"output"}
    rounds = [c["batch_rounds"] for c in sweep_step.ROUNDS.values()]
    assert rounds == [1, 2, 3]
    assert all(c["output_alpha_factor"] == 100 for c in sweep_step.ROUNDS.values())
    for task, (base, variations) in sweep_step.VARIATIONS["output"].items():
        names = list(variations)
        factors = [sweep_step.CONFIGS[n]["output_alpha_factor"] for n in names]
        assert factors[0] == 1 and len(factors) == 3, task
        # The control at factor 1 is the base configuration, and the base's
        # records were made with one alpha (BASELINE_PARAMS).
        assert sweep_step.CONFIGS[base] == {
            k: v
            for k, v in sweep_step.CONFIGS[names[0]].items()
            if k != "output_alpha_factor"
        }
        assert sweep_step.BASELINE_PARAMS["output_alpha_factor"] == 1.0
    for task in ("classification", "regression"):
        assert stopping._models(task, 0, None)[1].output_alpha_factor == 1.0
    assert learning_table.STEPS["0.2.0 step"]["output_alpha_factor"] == 1.0
    assert learning_table.STEPS["one alpha"]["output_alpha_factor"] == 1.0
    models = weight_decay._models(2e-3)
    assert models["TIAM, 2 rounds"].output_alpha_factor == 1.0


def test_the_around_stage_confirms_what_ranks_above_the_chosen_one():
    from benchmarks.sweep_step import ranked_above

    # By the rule above: "near" (tied, faster) ranks above "least", which
    # ranks above "far" and "farther".
    records = _sweep_records(
        {"least": 0.87, "near": 0.866, "far": 0.86, "farther": 0.80},
        {"least": 2.0, "near": 1.0, "far": 0.2, "farther": 0.1},
    )
    names = ["farther", "far", "least", "near"]
    assert ranked_above(records, names, "least", ["d"]) == ["near", "least"]
    assert ranked_above(records, names, "near", ["d"]) == ["near"]
    assert ranked_above(records, names, "farther", ["d"]) == [
        "near",
        "least",
        "far",
        "farther",
    ]


@pytest.mark.parametrize(("tol", "patience"), [(3e-3, 10), (1e-3, 3), (3e-2, 2)])
def test_the_stopping_study_stops_where_the_estimator_does(tol, patience):
    # The study applies the rule to the loss curve of a fit run to max_iter;
    # a real fit with the rule must stop at the same epoch.
    from sklearn.datasets import make_regression

    from benchmarks.stopping import stopping_epoch
    from sktiam import TIAMRegressor

    X, y = make_regression(n_samples=120, n_features=5, noise=5.0, random_state=0)
    y = y / y.std()
    params = dict(hidden_layer_sizes=(10,), max_iter=80, random_state=0)
    full = TIAMRegressor(n_iter_no_change=np.inf, **params)
    with pytest.warns(ConvergenceWarning):
        full.fit(X, y)
    stopped = TIAMRegressor(tol=tol, n_iter_no_change=patience, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        stopped.fit(X, y)
    assert stopped.n_iter_ < 80
    assert stopping_epoch(full.loss_curve_, tol, patience) == stopped.n_iter_
    assert stopped.loss_curve_ == full.loss_curve_[: stopped.n_iter_]


def test_the_stopping_rule_counts_epochs_without_an_improvement_of_tol():
    from benchmarks.stopping import stopping_epoch

    # Improvements of 0.5, then 1e-3 each epoch: below tol = 1e-2 they count.
    losses = [1.0, 0.5] + [0.5 - 1e-3 * k for k in range(1, 10)]
    assert stopping_epoch(losses, 1e-2, 3) == 6
    assert stopping_epoch(losses, 1e-4, 3) == len(losses)
    # A rise counts too; a new low by more than tol resets the count.
    assert stopping_epoch([1.0, 1.1, 1.2, 0.8, 0.9, 0.95, 0.99], 0.0, 2) == 7
    assert stopping_epoch([1.0, 1.1, 1.2, 1.3, 0.8], 0.0, 2) == 4


def test_fill_records_runs_only_what_is_not_recorded_and_saves_each(tmp_path):
    from benchmarks.measure import fill_records

    path = tmp_path / "records.json"
    path.write_text(json.dumps({"a": {"value": 1}}))
    calls = []

    def job(value):
        def run():
            calls.append(value)
            return {"value": value}

        return run

    records = fill_records(
        path, [("a", job(10)), ("b", job(2))], lambda r: str(r["value"])
    )
    assert calls == [2]
    assert records == {"a": {"value": 1}, "b": {"value": 2}}
    assert json.loads(path.read_text()) == records


def test_large_tables_fits_each_setting_of_the_underfitting_study():
    from benchmarks.large_tables import _estimator

    longest = _estimator("regression", "underfitting, alpha 0, 400 epochs", 0, None)
    params = longest.get_params()
    assert (params["alpha"], params["max_iter"]) == (0.0, 400)
    assert params["n_iter_no_change"] == np.inf
    both = _estimator(
        "regression", "underfitting, alpha 0, 3 rounds, exact A step", 0, None
    ).get_params()
    assert (both["alpha"], both["batch_rounds"], both["activation_step"]) == (
        0.0,
        3,
        "exact",
    )
    capped = _estimator("regression", "alpha 1e-4", 0, 20).get_params()
    assert (capped["alpha"], capped["max_iter"]) == (1e-4, 20)
    # The alpha columns were recorded with one alpha for every layer.
    assert capped["output_alpha_factor"] == 1.0
    for task in ("classification", "regression"):
        auto = _estimator(task, "alpha auto", 0, None).get_params()
        assert (auto["alpha"], auto["output_alpha_factor"]) == ("auto", 1.0)
        defaults = _estimator(task, "defaults", 0, None)
        assert (
            defaults.get_params()
            == type(defaults)(
                hidden_layer_sizes=(100, 100), random_state=0
            ).get_params()
        )


def test_large_tables_docs_show_the_reports_of_the_committed_records():
    from benchmarks.large_tables import RESULTS, report, underfitting_report

    records = json.loads(RESULTS.read_text())
    root = Path(__file__).resolve().parents[1]
    for page in ("docs/defaults_sweep.md", "benchmarks/notes.md"):
        lines = {line.strip() for line in (root / page).read_text().splitlines()}
        reports = [report(records, [0], "regression")]
        reports.append(underfitting_report(records, [0]))
        if page == "docs/defaults_sweep.md":
            reports.append(report(records, [0], "classification"))
        for text in reports:
            missing = [x for x in text.splitlines() if x and x.strip() not in lines]
            assert not missing, (page, missing)


def test_auto_alpha_ceiling_sets_the_alpha_a_fit_resolves_and_restores_it():
    from benchmarks.measure import auto_alpha_ceiling
    from sktiam import TIAMClassifier, TIAMRegressor

    # 30 rows of 4 columns, 4 * 10 = 40 first-layer weights: under the rows'
    # count the rule gives the ceiling itself.
    X = np.random.RandomState(0).normal(size=(30, 4))
    y = X[:, 0]
    model = TIAMRegressor(hidden_layer_sizes=(10,), max_iter=1, random_state=0)
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    assert model.alpha_ == 6.4e-4
    with auto_alpha_ceiling(TIAMRegressor, 2e-3), pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    assert model.alpha_ == 2e-3
    assert TIAMClassifier._auto_alpha_ceiling == 2e-3
    with pytest.raises(RuntimeError), auto_alpha_ceiling(TIAMRegressor, 1.0):
        raise RuntimeError
    with auto_alpha_ceiling(TIAMRegressor, None):
        assert TIAMRegressor._auto_alpha_ceiling == 6.4e-4
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    assert model.alpha_ == 6.4e-4


def test_the_ceiling_stage_changes_only_the_ceiling():
    from benchmarks import sweep_step

    base = sweep_step.PROXIMAL_BASES["regression"]
    for name in sweep_step.CEILING:
        step = name.split(", alpha ceiling")[0]
        assert step in (f"{base}, proximal W step", f"{base}, prox-linear W step")
        assert sweep_step.CONFIGS[name] == sweep_step.CONFIGS[step]
        assert sweep_step.AUTO_ALPHA_CEILINGS[name] in (2e-3, 6.4e-3)
    assert sweep_step.CEILING_BASE not in sweep_step.AUTO_ALPHA_CEILINGS


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_the_rows_stage_changes_only_the_weight_step(task):
    from benchmarks import sweep_step
    from sktiam import TIAMClassifier, TIAMRegressor

    base = sweep_step.PROXIMAL_BASES[task]
    (name,) = sweep_step.ROWS[task]
    control = sweep_step._estimator(base, task, 0, None).get_params()
    rows = sweep_step._estimator(name, task, 0, None).get_params()
    assert {k for k in rows if rows[k] != control[k]} == {"weight_step"}
    assert (control["weight_step"], rows["weight_step"]) == ("prox-linear", "auto")
    estimator = TIAMClassifier if task == "classification" else TIAMRegressor
    defaults = estimator(hidden_layer_sizes=(100, 100), random_state=0).get_params()
    # The regressor took it as its default; the classifier kept its control.
    assert defaults == (rows if task == "regression" else control)


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_the_activation_stage_changes_only_the_a_step_of_the_defaults(task):
    from benchmarks import sweep_step
    from sktiam import TIAMClassifier, TIAMRegressor

    control, exact = (
        sweep_step._estimator(name, task, 0, None).get_params()
        for name in sweep_step.ACTIVATION[task]
    )
    estimator = TIAMClassifier if task == "classification" else TIAMRegressor
    defaults = estimator(hidden_layer_sizes=(100, 100), random_state=0).get_params()
    assert control == defaults
    assert {k for k in exact if exact[k] != control[k]} == {"activation_step"}
    assert exact["activation_step"] == "exact"
    base = sweep_step.ACTIVATION_BASES[task]
    assert sweep_step._estimator(base, task, 0, None).get_params() == defaults
    for name in sweep_step.ACTIVATION[task]:
        assert sweep_step.WEIGHT_POWER_COUNTS[name] == 3


@pytest.mark.parametrize("rounds", [1, 2, 3])
def test_the_mini_batch_flop_count_is_the_products_a_step_makes(rounds):
    """Every product of a batch step counted as it is made, by kernels that
    count: the flops that grow with the batch's rows are those of
    ``tiam_minibatch_flops_per_epoch``, per row."""
    from benchmarks.machine import tiam_minibatch_flops_per_epoch
    from sktiam._activations import Activation
    from sktiam._kernels import NumpyKernels
    from sktiam._losses import SoftmaxCrossEntropy
    from sktiam._minibatch import MiniBatchStep, Parameters, Rows, StepSizes

    def flops(a, b):
        # Two per multiply-add; ``a`` may be a vector, ``b`` a vector.
        rows = a.shape[0] if a.ndim == 2 else 1
        return 2 * rows * a.shape[-1] * (b.shape[1] if b.ndim == 2 else 1)

    class Counting(NumpyKernels):
        count = 0

        def matmul(self, a, b, transpose_a=False, transpose_b=False):
            self.count += flops(a.T if transpose_a else a, b.T if transpose_b else b)
            return super().matmul(a, b, transpose_a, transpose_b)

        def affine(self, inputs, weights, bias):
            self.count += flops(inputs, weights)
            return super().affine(inputs, weights, bias)

        def residual(self, inputs, weights, bias, target):
            self.count += flops(inputs, weights)
            return super().residual(inputs, weights, bias, target)

    units = [13, 11, 7, 5]
    rng = np.random.RandomState(0)
    coefs = tuple(rng.randn(a, b) for a, b in zip(units[:-1], units[1:], strict=True))
    intercepts = tuple(rng.randn(b) for b in units[1:])
    previous = tuple(c + 0.1 * rng.randn(*c.shape) for c in coefs)
    parameters = Parameters(coefs, intercepts, previous, intercepts)
    steps = StepSizes(
        (1.0,) * 3,
        tuple(np.ones(a) for a in units[:-1]),
        (1.0,) * 2,
        tuple(np.ones(a) for a in units[1:-1]),
    )
    counts = []
    for n_rows in (20, 50):
        kernels = Counting(np)
        step = MiniBatchStep(
            np,
            Activation("relu"),
            SoftmaxCrossEntropy(),
            0.1,
            0.1,
            1e-3,
            (0.9, 0.9, 0.0),
            kernels,
            rounds=rounds,
        )
        targets = np.eye(units[-1])[rng.randint(0, units[-1], n_rows)]
        step(parameters, steps, Rows(rng.randn(n_rows, units[0]), targets, None))
        counts.append(kernels.count)
    per_row = (counts[1] - counts[0]) / 30
    assert per_row == tiam_minibatch_flops_per_epoch(units, 1, rounds=rounds)
