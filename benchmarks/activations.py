"""Which activation to choose: digits test accuracy for each one.

Fits ``TIAMClassifier`` on digits (the benchmark's split, seeds 0-2) with
each supported activation, under the penalty relaxation at the defaults and
under the box at the settings it was tuned with (full batch, a weight decay
of 1e-3 on the objective of means, inertias 0.8, 0.8, 0), and prints the
mean test accuracy, the three scores and the mean fit time as markdown.
docs/user_guide/activations.rst records its output. Run it with
``python -m benchmarks.activations``.
"""

import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sktiam import TIAMClassifier

from .datasets import DATASETS, split

SEEDS = (0, 1, 2)
ROWS = [
    ("relu", {}),
    ("leaky_relu", {}),
    ("leaky_relu", {"negative_slope": 0.01}),
    ("elu", {}),
    ("softplus", {}),
    ("tanh", {}),
    ("logistic", {}),
    ("identity", {}),
]


def _box(n_train: int) -> dict:
    return {
        "relaxation": "box",
        "batch_size": None,
        "alpha": 1e-3 * n_train,
        "center_inertia": 0.8,
        "gradient_inertia": 0.8,
    }


def main() -> None:
    """Print the table."""
    print("| activation | penalty (defaults) | box (tuned) |")
    print("|---|---|---|")
    for name, extra in ROWS:
        cells = []
        for relaxation in ("penalty", "box"):
            scores, times = [], []
            for seed in SEEDS:
                data = split(DATASETS["digits"], seed)
                setting = _box(len(data.y_train)) if relaxation == "box" else {}
                model = TIAMClassifier(
                    activation=name, random_state=seed, **extra, **setting
                )
                start = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    model.fit(data.X_train, data.y_train)
                times.append(time.perf_counter() - start)
                scores.append(model.score(data.X_test, data.y_test))
            each = ", ".join(f"{s:.3f}" for s in scores)
            cells.append(f"{np.mean(scores):.3f} ({each}; {np.mean(times):.1f} s)")
        label = name + "".join(f", {k}={v}" for k, v in extra.items())
        print(f"| `{label}` | {cells[0]} | {cells[1]} |", flush=True)


if __name__ == "__main__":
    main()
