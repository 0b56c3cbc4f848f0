"""Learning per epoch and per second: TIAM's steps against adam, at three batch sizes.

For digits, MNIST-5k and the 24,000 x 784 synthetic set (their benchmark
splits, seed 0), hidden layers (100, 100), at batches of 64, 256 and 1024
rows: after each epoch, the forward network's cross-entropy on the whole
training part and the test accuracy, with the seconds of training so far
(the clock stops while they are measured), for

- adam: ``MLPClassifier(batch_size=...)``, one epoch per ``fit`` with
  ``warm_start=True`` and ``max_iter=1``, for :data:`ADAM_EPOCHS` epochs;
- TIAM with the settings of :data:`STEPS` (the step of 0.2.0: one
  prox-linear round, ``alpha=6.4e-4``; the defaults with one ``alpha`` for
  every layer; the defaults at 0.2.0's momentum of 0.95; the defaults),
  for up to :data:`TIAM_EPOCHS` epochs.

The table gives each method's loss and accuracy at epoch 10, and the
seconds TIAM takes to reach adam's epoch-10 training loss and adam's
epoch-10 test accuracy (a dash where it does not within its epochs),
against adam's seconds for its 10 epochs. Run it with
``python -m benchmarks.learning_table`` on an idle machine; it writes
``benchmarks/results/learning_table.json``.
"""

import json
import time
import warnings
from pathlib import Path

from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.neural_network import MLPClassifier

from sktiam import TIAMClassifier

from .datasets import DATASETS, split
from .machine import cpu_ticks, others_share_between
from .measure import probed_fit
from .methods import MOMENTUM_095

RESULTS = Path(__file__).resolve().parent / "results" / "learning_table.json"
SETS = ("digits", "mnist", "synthetic_784")
BATCH_SIZES = (64, 256, 1024)
ADAM_EPOCHS = 10
TIAM_EPOCHS = 30
#: TIAM's settings: 0.2.0's step, the defaults before the output layer had a
#: weight decay of its own (two rounds, ``alpha="auto"``, one ``alpha`` for
#: every layer), the defaults before the momentum of 0.98, and today's
#: defaults.
STEPS = {
    "0.2.0 step": {
        "batch_rounds": 1,
        "alpha": 6.4e-4,
        "output_alpha_factor": 1.0,
        **MOMENTUM_095,
    },
    "one alpha": {
        "batch_rounds": 2,
        "alpha": "auto",
        "output_alpha_factor": 1.0,
        **MOMENTUM_095,
    },
    "momentum 0.95": MOMENTUM_095,
    "defaults": {},
}


def _measure(data, model):
    """Return the training loss and test accuracy of a fitted classifier."""
    loss = log_loss(
        data.y_train, model.predict_proba(data.X_train), labels=model.classes_
    )
    return float(loss), float(model.score(data.X_test, data.y_test))


def adam_curve(data, batch_size: int) -> list:
    model = MLPClassifier(
        (100, 100),
        batch_size=batch_size,
        max_iter=1,
        warm_start=True,
        tol=0.0,
        random_state=0,
    )
    curve, elapsed = [], 0.0
    for _ in range(ADAM_EPOCHS):
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(data.X_train, data.y_train)
        elapsed += time.perf_counter() - start
        curve.append((elapsed, _measure(data, model)))
    return curve


def tiam_curve(data, batch_size: int, params: dict) -> list:
    model = TIAMClassifier(
        batch_size=batch_size,
        max_iter=TIAM_EPOCHS,
        tol=0.0,
        random_state=0,
        **params,
    )
    _, curve = probed_fit(
        model, data.X_train, data.y_train, lambda m: _measure(data, m)
    )
    return curve


def run() -> dict:
    records = {}
    for dataset in SETS:
        data = split(DATASETS[dataset], 0)
        for batch_size in BATCH_SIZES:
            ticks = cpu_ticks()
            row = {"adam": adam_curve(data, batch_size)}
            for name, params in STEPS.items():
                row[name] = tiam_curve(data, batch_size, params)
            row["others_share"] = others_share_between(ticks, cpu_ticks())
            records[f"{dataset}|{batch_size}"] = row
            print(
                dataset,
                batch_size,
                {
                    k: v[min(9, len(v) - 1)]
                    for k, v in row.items()
                    if k != "others_share"
                },
                flush=True,
            )
            RESULTS.parent.mkdir(parents=True, exist_ok=True)
            RESULTS.write_text(json.dumps(records, indent=1))
    return records


def _reached(curve: list, index: int, target: float, above: bool) -> str:
    for seconds, values in curve:
        value = values[index]
        if (value >= target) if above else (value <= target):
            return f"{seconds:.2f}"
    return "-"


def table(records: dict, steps: dict | None = None) -> str:
    """Return ``records`` as a Markdown table; ``steps`` defaults to :data:`STEPS`."""
    steps = STEPS if steps is None else steps
    lines = [
        "| set | batch | adam loss, acc (ep. 10) | adam s | "
        + " | ".join(
            f"{n}: loss, acc (ep. 10) | s to adam's loss | s to adam's acc"
            for n in steps
        )
        + " |",
        "|---|---:|---|---:|" + "---|---:|---:|" * len(steps),
    ]
    for key, row in records.items():
        dataset, batch_size = key.split("|")
        seconds, (loss, accuracy) = row["adam"][ADAM_EPOCHS - 1]
        cells = [dataset, batch_size, f"{loss:.4f}, {accuracy:.4f}", f"{seconds:.2f}"]
        for name in steps:
            curve = row[name]
            _, (tiam_loss, tiam_accuracy) = curve[min(9, len(curve) - 1)]
            cells += [
                f"{tiam_loss:.4f}, {tiam_accuracy:.4f}",
                _reached(curve, 0, loss, above=False),
                _reached(curve, 1, accuracy, above=True),
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(run()))
