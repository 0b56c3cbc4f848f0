"""The proximal W step (``weight_step="proximal"``) against the prox-linear one.

The learning table's measurement (:mod:`benchmarks.learning_table`) at
batches of 64 rows, on digits, MNIST-5k and the 24,000 x 784 synthetic set
(split seed 0): after each epoch, the forward network's training
cross-entropy and the test accuracy, with the seconds of training so far,
for adam and for TIAM with the settings of :data:`STEPS`: the defaults, the
defaults with the proximal W step, and that step with a larger ``alpha``
(its fits reach a given training loss sooner than they generalise; the
``alpha`` of the classifier's ``"auto"`` on these sets is ``2e-3``).

Then each setting's whole fit with the default stopping rule, against
adam's (``MLPClassifier``, hidden layers (100, 100), its default batch
size), on split seed 0, with the epoch caps of the sweep
(:data:`benchmarks.sweep_step.CAPS`): test score, epochs and seconds.

Run it with ``python -m benchmarks.proximal_step`` on an idle machine (about
15 minutes on two cores); it writes ``benchmarks/results/proximal_step.json``
and prints both tables.
"""

import json
from pathlib import Path

from sklearn.neural_network import MLPClassifier

from sktiam import TIAMClassifier

from .datasets import DATASETS, split
from .learning_table import ADAM_EPOCHS, adam_curve, table, tiam_curve
from .machine import cpu_ticks, others_share_between
from .measure import fit_once
from .sweep_step import CAPS

RESULTS = Path(__file__).resolve().parent / "results" / "proximal_step.json"
SETS = ("digits", "mnist", "synthetic_784")
BATCH_SIZE = 64
STEPS = {
    "defaults": {},
    "proximal W step": {"weight_step": "proximal"},
    "proximal, alpha 1e-2": {"weight_step": "proximal", "alpha": 1e-2},
}


def _whole_fit(model, data) -> dict:
    """Fit ``model`` once, timed (:func:`benchmarks.measure.fit_once`)."""
    done = fit_once(model, data)
    return {
        "score": float(model.score(data.X_test, data.y_test)),
        "n_iter": int(model.n_iter_),
        "time": done.wall,
        "others_share": done.others_share,
    }


def run() -> dict:
    """Measure every set; return the records, also written to :data:`RESULTS`."""
    records: dict = {"learning": {}, "fits": {}}
    for dataset in SETS:
        data = split(DATASETS[dataset], 0)
        ticks = cpu_ticks()
        row = {"adam": adam_curve(data, BATCH_SIZE)}
        for name, params in STEPS.items():
            row[name] = tiam_curve(data, BATCH_SIZE, params)
        row["others_share"] = others_share_between(ticks, cpu_ticks())
        records["learning"][f"{dataset}|{BATCH_SIZE}"] = row
        cap = {} if dataset not in CAPS else {"max_iter": CAPS[dataset]}
        common = dict(hidden_layer_sizes=(100, 100), random_state=0, **cap)
        fits = {"adam": _whole_fit(MLPClassifier(**common), data)}
        for name, params in STEPS.items():
            fits[name] = _whole_fit(TIAMClassifier(**common, **params), data)
        records["fits"][dataset] = fits
        print(dataset, {k: v["score"] for k, v in fits.items()}, flush=True)
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(records, indent=1))
    return records


def fits_table(records: dict) -> str:
    """Return the whole fits as a Markdown table: score, epochs, time / adam's."""
    names = ["adam", *STEPS]
    lines = [
        "| set | " + " | ".join(f"{n}: score, epochs, s" for n in names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for dataset, fits in records["fits"].items():
        cells = [dataset]
        for name in names:
            fit = fits[name]
            cells.append(f"{fit['score']:.4f}, {fit['n_iter']}, {fit['time']:.1f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    records = run()
    print(table(records["learning"], STEPS))
    print(f"(adam's columns: its {ADAM_EPOCHS} epochs)")
    print(fits_table(records))
