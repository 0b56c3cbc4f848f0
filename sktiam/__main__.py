"""``python -m sktiam``: TIAM against MLPClassifier on the digits data.

Both train the same hidden layers on scikit-learn's bundled digits data
(75/25 stratified split, standardised); the table gives test accuracy, fit
time and the iterations of each fit side by side. Both train in mini-batches
(TIAM of 64 rows, adam of 200), so an iteration is an epoch for both.
"""

import time
import warnings

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from sktiam import TIAMClassifier

HIDDEN_LAYER_SIZES = (100, 100)
SEED = 0


def main() -> None:
    """Train both models and print the comparison table."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=SEED
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

    models = {
        "TIAMClassifier": TIAMClassifier(
            hidden_layer_sizes=HIDDEN_LAYER_SIZES, random_state=SEED
        ),
        "MLPClassifier (adam)": MLPClassifier(
            hidden_layer_sizes=HIDDEN_LAYER_SIZES, random_state=SEED
        ),
    }
    print(
        f"digits: {X_train.shape[0]} training and {X_test.shape[0]} test samples, "
        f"{X.shape[1]} features, hidden layers {HIDDEN_LAYER_SIZES}\n"
    )
    header = ("model", "test accuracy", "fit time (s)", "iterations")
    print(f"{header[0]:<22} {header[1]:>13} {header[2]:>13} {header[3]:>12}")
    for name, model in models.items():
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X_train, y_train)
        elapsed = time.perf_counter() - start
        accuracy = model.score(X_test, y_test)
        unit = "sweeps" if getattr(model, "batch_size", "auto") is None else "epochs"
        iterations = f"{model.n_iter_} {unit}"
        print(f"{name:<22} {accuracy:>13.4f} {elapsed:>13.2f} {iterations:>12}")


if __name__ == "__main__":
    main()
