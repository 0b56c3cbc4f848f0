"""What ``alpha`` does to TIAM's weights, against adam's, on MNIST-5k.

The study behind the 0.3.0 defaults' weight decay (docs/algorithm.md, "Weight
decay under the relaxation"). At each ``alpha``, ``TIAMClassifier`` (one round
and the default two, batches of 64) and ``MLPClassifier`` (adam, batches of
64) train hidden layers (100, 100) for :data:`EPOCHS` epochs on the
benchmark's MNIST-5k split (seed 0, scaled), without early stopping; TIAM
with one ``alpha`` for every layer, and with two rounds at the default
``output_alpha_factor`` (the output layer's decay that many times the
hidden layers'). The
table gives each layer's Frobenius norm, the forward network's training
cross-entropy and the test accuracy: so a training loss can be compared with
the test accuracy it buys, and the shrinkage of each layer with adam's at the
same ``alpha``.

Run it with ``python -m benchmarks.weight_decay`` (about two minutes on two
cores).
"""

import argparse
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.neural_network import MLPClassifier

from sktiam import TIAMClassifier

from .datasets import DATASETS, split

ALPHAS = (1e-4, 6.4e-4, 2e-3, 6.4e-3, 2e-2)
EPOCHS = 20
BATCH = 64
#: The classifier's default ``output_alpha_factor``: the output layer's
#: weight decay over the hidden layers'.
OUTPUT_FACTOR = TIAMClassifier().output_alpha_factor


def _models(alpha: float) -> dict:
    common = {"hidden_layer_sizes": (100, 100), "alpha": alpha, "random_state": 0}
    stop = {"max_iter": EPOCHS, "tol": 0.0, "n_iter_no_change": EPOCHS}
    return {
        "TIAM, 1 round": TIAMClassifier(
            batch_rounds=1, batch_size=BATCH, output_alpha_factor=1.0, **common, **stop
        ),
        "TIAM, 2 rounds": TIAMClassifier(
            batch_rounds=2, batch_size=BATCH, output_alpha_factor=1.0, **common, **stop
        ),
        f"TIAM, 2 rounds, output x{OUTPUT_FACTOR:g}": TIAMClassifier(
            batch_rounds=2,
            batch_size=BATCH,
            output_alpha_factor=OUTPUT_FACTOR,
            **common,
            **stop,
        ),
        "adam": MLPClassifier(batch_size=BATCH, **common, **stop),
    }


def rows(alphas: tuple[float, ...] = ALPHAS) -> list[dict]:
    """Fit every model at every ``alpha``; return one row of results per fit."""
    data = split(DATASETS["mnist"], seed=0)
    X_train, X_test, y_train, y_test = (
        data.X_train,
        data.X_test,
        data.y_train,
        data.y_test,
    )
    results = []
    for alpha in alphas:
        for name, model in _models(alpha).items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(X_train, y_train)
            results.append(
                {
                    "alpha": alpha,
                    "model": name,
                    "norms": [float(np.linalg.norm(w)) for w in model.coefs_],
                    "loss": float(log_loss(y_train, model.predict_proba(X_train))),
                    "test": float(model.score(X_test, y_test)),
                }
            )
    return results


def table(results: list[dict]) -> str:
    """Return the results as a Markdown table."""
    lines = [
        "| alpha | model | ‖W1‖ | ‖W2‖ | ‖W3‖ (output) "
        "| training loss | test accuracy |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        norms = " | ".join(f"{n:.1f}" for n in r["norms"])
        lines.append(
            f"| {r['alpha']:g} | {r['model']} | {norms} | {r['loss']:.4f} "
            f"| {r['test']:.4f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one alpha")
    args = parser.parse_args(argv)
    print(table(rows(ALPHAS[2:3] if args.quick else ALPHAS)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
