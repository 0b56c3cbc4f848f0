"""Sweep rho, the inertia and the epsilon schedule on the public datasets.

This is how the defaults of TIAMClassifier and TIAMRegressor were chosen.
Each configuration is fitted on digits, breast_cancer, wine (test accuracy)
and diabetes (test R^2, target standardised), each with a fixed 75/25 split
(stratified for classification) and a StandardScaler fitted on the training
part. All other parameters keep their defaults. The script prints a markdown
table; its output is recorded in docs/defaults_sweep.md.

Run it with ``python benchmarks/sweep_defaults.py`` (about 20 minutes on two
cores).
"""

import itertools
import time
import warnings

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sktiam import TIAMClassifier, TIAMRegressor

DATASETS = {
    "digits": (load_digits, TIAMClassifier),
    "breast_cancer": (load_breast_cancer, TIAMClassifier),
    "wine": (load_wine, TIAMClassifier),
    "diabetes": (load_diabetes, TIAMRegressor),
}
RHOS = [0.03, 0.1, 0.3]
ALPHAS = [0.0, 1e-3]
SCHEDULES = [(100.0, 0.5), (10.0, 0.8)]
INERTIAS = [(0.0, 0.0, 0.0), (0.3, 0.3, 0.3), (0.5, 0.5, 0.0)]
SEED = 0


def split(name):
    """Return the standardised 75/25 split of a dataset."""
    loader, estimator = DATASETS[name]
    X, y = loader(return_X_y=True)
    stratify = y if estimator is TIAMClassifier else None
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=stratify, random_state=SEED
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    if estimator is TIAMRegressor:
        mean, std = y_train.mean(), y_train.std()
        y_train, y_test = (y_train - mean) / std, (y_test - mean) / std
    return X_train, X_test, y_train, y_test


def main() -> None:
    """Fit every configuration on every dataset and print the table."""
    splits = {name: split(name) for name in DATASETS}
    header = " | ".join(DATASETS)
    print(
        "| rho | alpha | epsilon, decay | inertia (p1, p2, p3) | "
        f"{header} | mean | seconds |"
    )
    print("|---|---|---|---|" + "---|" * (len(DATASETS) + 2))
    grid = itertools.product(RHOS, ALPHAS, SCHEDULES, INERTIAS)
    for rho, alpha, (epsilon, decay), inertia in grid:
        scores, start = [], time.perf_counter()
        for name, (_, estimator) in DATASETS.items():
            X_train, X_test, y_train, y_test = splits[name]
            model = estimator(
                rho=rho,
                alpha=alpha,
                epsilon=epsilon,
                epsilon_decay=decay,
                center_inertia=inertia[0],
                gradient_inertia=inertia[1],
                extrapolation_inertia=inertia[2],
                random_state=SEED,
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(X_train, y_train)
            scores.append(model.score(X_test, y_test))
        elapsed = time.perf_counter() - start
        cells = " | ".join(f"{s:.4f}" for s in scores)
        print(
            f"| {rho} | {alpha:g} | {epsilon:g}, {decay} | {inertia} | {cells} | "
            f"{np.mean(scores):.4f} | {elapsed:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
