"""The cost of a mini-batch epoch against adam's, and the flops that bound it.

For digits, MNIST-5k and the 24,000 x 784 synthetic set (their benchmark
splits, seed 0), in float64 on this machine's CPU:

- seconds per epoch at batches of 64 rows of TIAMClassifier, with one round
  of the prox-linear step (the step of 0.2.0, made fast), one round of the
  exact and of the conjugate-gradient A step, and with the defaults, and of
  ``MLPClassifier(batch_size=64)`` (adam), all with hidden
  layers (100, 100): ``(t(k + 1) - t(1)) / k`` from fits of ``k + 1`` and 1
  epochs, so that validation and initialisation are not counted, each
  TIAM step's right after adam's, five times: the medians of the seconds
  and of the pairs' ratios (:func:`per_epoch`);
- the median ratio of TIAM's epoch to adam's, and its range over the
  pairs, beside the ratio of their matrix
  products' flops (:func:`benchmarks.machine.tiam_minibatch_flops_per_epoch`
  per round, ``2 n (2 S_W + S_A)`` for a forward and backward pass), so that
  what is left above the flop ratio shows;
- digits' whole default fit against adam's default fit (batches of 200,
  its own stopping rule), as a user would run them.

Every figure is recorded with the share of the cores other processes used
meanwhile. Run it with ``python -m benchmarks.step_cost`` on an idle machine;
it writes ``benchmarks/results/step_cost.json`` and prints a Markdown table.
``--default-fits`` measures only digits' default fits again, after a change
of the defaults that leaves the cost of an epoch as it was.
"""

import argparse
import json
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from sktiam import TIAMClassifier
from sktiam._minibatch import CG_ITERATIONS

from .datasets import DATASETS, split
from .machine import cpu_ticks, others_share_between, tiam_minibatch_flops_per_epoch

RESULTS = Path(__file__).resolve().parent / "results" / "step_cost.json"
SETS = {"digits": 10, "mnist": 4, "synthetic_784": 2}
HIDDEN = (100, 100)
BATCH = 64
STEPS = {
    "one round": {"batch_rounds": 1, "activation_step": "prox-linear"},
    "exact, one round": {"batch_rounds": 1, "activation_step": "exact"},
    "cg, one round": {"batch_rounds": 1, "activation_step": "cg"},
    "defaults": {},
}


def _models(name: str, epochs: int) -> Any:
    if name == "adam":
        return MLPClassifier(
            HIDDEN, batch_size=BATCH, max_iter=epochs, tol=0.0, random_state=0
        )
    return TIAMClassifier(
        hidden_layer_sizes=HIDDEN,
        max_iter=epochs,
        tol=0.0,
        random_state=0,
        **STEPS[name],
    )


def _seconds(name: str, X: Any, y: Any, epochs: int) -> float:
    model = _models(name, epochs)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    return time.perf_counter() - start


#: Repetitions of each pair of fits (adam's, then a TIAM step's).
REPETITIONS = 5


def _epoch_seconds(name: str, X: Any, y: Any, epochs: int) -> float:
    """Return ``(t(epochs + 1) - t(1)) / epochs`` of one model, measured once."""
    single = _seconds(name, X, y, 1)
    return (_seconds(name, X, y, epochs + 1) - single) / epochs


def per_epoch(names: list[str], X: Any, y: Any, epochs: int) -> dict[str, Any]:
    """Return each TIAM step's seconds per epoch and its ratio to adam's.

    Each of :data:`REPETITIONS` repetitions measures adam's epoch and then
    each step's, adam's again before each: the ratio of a pair is taken a few
    seconds apart, and the machine's speed, which swung by up to 1.7 times
    between runs and by about as much within one, reaches both alike. The
    records are the medians over the repetitions, of the seconds and of
    the pairs' ratios, with the ratios' range.
    """
    for name in ["adam", *names]:
        _seconds(name, X[:500], y[:500], 1)
    seconds: dict[str, list[float]] = {name: [] for name in ["adam", *names]}
    ratios: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(REPETITIONS):
        for name in names:
            adam = _epoch_seconds("adam", X, y, epochs)
            tiam = _epoch_seconds(name, X, y, epochs)
            seconds["adam"].append(adam)
            seconds[name].append(tiam)
            ratios[name].append(tiam / adam)
    row: dict[str, Any] = {name: float(np.median(v)) for name, v in seconds.items()}
    row["ratio"] = {name: float(np.median(v)) for name, v in ratios.items()}
    row["ratio_range"] = {name: [min(v), max(v)] for name, v in ratios.items()}
    return row


def flop_ratio(layer_units: list[int], step: dict) -> float:
    """Return TIAM's products' flops per epoch over adam's, for ``step``."""
    defaults = TIAMClassifier().get_params()
    rounds = step.get("batch_rounds", defaults["batch_rounds"])
    activation_step = step.get("activation_step", defaults["activation_step"])
    tiam = tiam_minibatch_flops_per_epoch(layer_units, 1, rounds=rounds)
    hidden = list(zip(layer_units[1:-1], layer_units[2:], strict=True))
    if activation_step == "cg":
        tiam += rounds * CG_ITERATIONS * 2.0 * sum(u * u for u, _ in hidden)
    if activation_step == "exact":
        # Per row: the Gram matrix W W^T and its Cholesky factor once per batch,
        # and the two triangular solves.
        per_batch = sum(2.0 * u * u * v + u**3 / 3.0 for u, v in hidden)
        tiam += rounds * (per_batch / BATCH + sum(4.0 * u * u for u, _ in hidden))
    sizes = [a * b for a, b in zip(layer_units[:-1], layer_units[1:], strict=True)]
    adam = 2.0 * (2 * sum(sizes) + sum(sizes[1:]))
    return tiam / adam


def run() -> dict:
    """Measure every set; return the records."""
    records: dict = {"sets": {}}
    for dataset, epochs in SETS.items():
        data = split(DATASETS[dataset], 0)
        X, y = data.X_train.astype(np.float64), data.y_train
        units = [X.shape[1], *HIDDEN, len(np.unique(y))]
        ticks = cpu_ticks()
        row = per_epoch(list(STEPS), X, y, epochs)
        row["others_share"] = others_share_between(ticks, cpu_ticks())
        row["flop_ratio"] = {
            name: flop_ratio(units, step) for name, step in STEPS.items()
        }
        records["sets"][dataset] = row
        print(dataset, row, flush=True)
    records["digits_default_fit"] = default_fits()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(records, indent=1))
    return records


def default_fits() -> dict:
    """Fit adam and TIAM at their defaults on digits; return time, epochs, score."""
    data = split(DATASETS["digits"], 0)
    ticks = cpu_ticks()
    fits = {}
    for name, model in (
        ("adam", MLPClassifier(HIDDEN, random_state=0)),
        ("defaults", TIAMClassifier(random_state=0)),
    ):
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(data.X_train, data.y_train)
        fits[name] = {
            "seconds": time.perf_counter() - start,
            "n_iter": int(model.n_iter_),
            "score": float(model.score(data.X_test, data.y_test)),
        }
    fits["others_share"] = others_share_between(ticks, cpu_ticks())
    return fits


def table(records: dict) -> str:
    """Return the per-epoch table as Markdown."""
    lines = [
        "| set | adam s/epoch | "
        + " | ".join(f"TIAM {n} s/epoch | ratio | flop ratio" for n in STEPS)
        + " | others' share |",
        "|---|---:|" + "---:|---:|---:|" * len(STEPS) + "---:|",
    ]
    for dataset, row in records["sets"].items():
        cells = [f"{row['adam']:.4f}"]
        for name in STEPS:
            low, high = row["ratio_range"][name]
            cells += [
                f"{row[name]:.4f}",
                f"{row['ratio'][name]:.2f} ({low:.2f}-{high:.2f})",
                f"{row['flop_ratio'][name]:.2f}",
            ]
        cells.append(f"{row['others_share']:.2f}")
        lines.append(f"| {dataset} | " + " | ".join(cells) + " |")
    fits = records["digits_default_fit"]
    lines += [
        "",
        f"digits, default fits: TIAM {fits['defaults']['seconds']:.2f} s "
        f"({fits['defaults']['n_iter']} epochs, test {fits['defaults']['score']:.4f})"
        f", adam {fits['adam']['seconds']:.2f} s ({fits['adam']['n_iter']} epochs, "
        f"test {fits['adam']['score']:.4f}): "
        f"{fits['defaults']['seconds'] / fits['adam']['seconds']:.2f} times; "
        f"others' share {fits['others_share']:.2f}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--default-fits",
        action="store_true",
        help="measure digits' default fits again, keeping the recorded epochs",
    )
    args = parser.parse_args(argv)
    if args.default_fits:
        records = json.loads(RESULTS.read_text())
        records["digits_default_fit"] = default_fits()
        RESULTS.write_text(json.dumps(records, indent=1))
    else:
        records = run()
    print(table(records))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
