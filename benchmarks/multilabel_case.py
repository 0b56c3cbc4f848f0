"""A small, hard case: a multilabel network on 50 rows, where a batch is all.

``make_multilabel_classification(n_samples=50, random_state=0)`` (20
features, 5 labels), hidden layer 50, ``activation="logistic"``,
``alpha=1e-5``, ``random_state=0``, trained for :data:`EPOCHS` epochs
without early stopping. The table gives the subset accuracy on the training
rows: whether each model can fit 50 rows at all. With the default batch
size an epoch here is one batch, so a TIAM epoch is ``batch_rounds`` steps.
For TIAM at two rounds, :data:`EPOCHS` calls of ``partial_fit`` are fitted
as well; the script raises unless their weights agree with ``fit``'s to
1e-8.

Run it with ``python -m benchmarks.multilabel_case`` (a few seconds).
"""

import argparse
import warnings

import numpy as np
from sklearn.datasets import make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from sktiam import TIAMClassifier

EPOCHS = 100


def _models() -> dict:
    common = {
        "hidden_layer_sizes": (50,),
        "activation": "logistic",
        "alpha": 1e-5,
        "random_state": 0,
        "max_iter": EPOCHS,
        "tol": 0.0,
        "n_iter_no_change": EPOCHS,
    }
    return {
        "TIAM, one round (0.2.0's count)": TIAMClassifier(batch_rounds=1, **common),
        "TIAM, two rounds (the default count)": TIAMClassifier(**common),
        'TIAM, two rounds, `activation_step="cg"`': TIAMClassifier(
            activation_step="cg", **common
        ),
        'TIAM, two rounds, `activation_step="exact"`': TIAMClassifier(
            activation_step="exact", **common
        ),
        "TIAM, three rounds": TIAMClassifier(batch_rounds=3, **common),
        "TIAM, ten rounds": TIAMClassifier(batch_rounds=10, **common),
        "`MLPClassifier`, sgd, `learning_rate_init=0.2`": MLPClassifier(
            solver="sgd", learning_rate_init=0.2, **common
        ),
        "`MLPClassifier`, adam (its default learning rate)": MLPClassifier(**common),
    }


def rows() -> list[dict]:
    """Fit every model; return its name and training subset accuracy."""
    X, Y = make_multilabel_classification(n_samples=50, random_state=0)
    results = []
    models = _models()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for name, model in models.items():
            model.fit(X, Y)
            results.append({"model": name, "accuracy": float(model.score(X, Y))})
        fitted = models["TIAM, two rounds (the default count)"]
        incremental = _models()["TIAM, two rounds (the default count)"]
        # classes is required on the first call; for a multilabel target
        # the labels are Y's columns.
        for _ in range(EPOCHS):
            incremental.partial_fit(X, Y, classes=np.arange(Y.shape[1]))
    difference = max(
        float(np.max(np.abs(a - b)))
        for a, b in zip(fitted.coefs_, incremental.coefs_, strict=True)
    )
    if difference > 1e-8:
        raise RuntimeError(
            f"fit and {EPOCHS} partial_fit calls disagree: the weights differ "
            f"by up to {difference:.3g}"
        )
    results.append(
        {
            "model": f"TIAM, two rounds, {EPOCHS} `partial_fit` calls",
            "accuracy": float(incremental.score(X, Y)),
        }
    )
    return results


def table(results: list[dict]) -> str:
    """Return the results as a Markdown table."""
    lines = ["| model | subset accuracy |", "|---|---:|"]
    lines += [f"| {r['model']} | {r['accuracy']:.2f} |" for r in results]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    print(table(rows()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
