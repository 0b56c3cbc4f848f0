"""Sweep rho, the inertia and the epsilon schedule on the public datasets.

This is how the defaults of TIAMClassifier and TIAMRegressor were chosen.
Each configuration is fitted on digits, breast_cancer, wine (test accuracy)
and diabetes (test R^2, target standardised), each with a fixed 75/25 split
(stratified for classification) and a StandardScaler fitted on the training
part. All other parameters keep their defaults.

Stage 1 fits the whole grid on the split of seed 0. Stage 2 refits the four
configurations with the best mean score on the splits of seeds 1 and 2 as
well (``random_state`` follows the split seed) and reports the mean over the
three splits; the defaults are the best of stage 2. Stage 3 then tries the
epsilon cycle (``epsilon_cycle``) on top of those defaults, over the same
three splits. The script prints the tables as markdown; its output is
recorded in docs/defaults_sweep.md.

Run it with ``python benchmarks/sweep_defaults.py`` (about 20 minutes on two
cores), or one stage with ``--stage 3``.
"""

import argparse
import itertools
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
RHOS = [0.1, 0.3, 1.0]
ALPHAS = [1e-3]
SCHEDULES = [(100.0, 0.5, 1e-3), (100.0, 0.5, 0.03)]
INERTIAS = [(0.0, 0.0, 0.0), (0.3, 0.3, 0.3), (0.5, 0.5, 0.0), (0.8, 0.8, 0.0)]
CONFIRM_SEEDS = [0, 1, 2]
N_CONFIRMED = 4
CYCLES = [None, 40, 50, 67, 100]


def split(name, seed):
    """Return the standardised 75/25 split of a dataset."""
    loader, estimator = DATASETS[name]
    X, y = loader(return_X_y=True)
    stratify = y if estimator is TIAMClassifier else None
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=stratify, random_state=seed
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    if estimator is TIAMRegressor:
        mean, std = y_train.mean(), y_train.std()
        y_train, y_test = (y_train - mean) / std, (y_test - mean) / std
    return X_train, X_test, y_train, y_test


def scores(config, splits, seed, **extra):
    """Return the test score of one configuration on every dataset."""
    rho, alpha, (epsilon, decay, epsilon_min), inertia = config
    result = []
    for name, (_, estimator) in DATASETS.items():
        X_train, X_test, y_train, y_test = splits[name]
        model = estimator(
            rho=rho,
            alpha=alpha,
            epsilon=epsilon,
            epsilon_decay=decay,
            epsilon_min=epsilon_min,
            center_inertia=inertia[0],
            gradient_inertia=inertia[1],
            extrapolation_inertia=inertia[2],
            random_state=seed,
            **extra,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X_train, y_train)
        result.append(model.score(X_test, y_test))
    return result


def describe(config):
    """Return the first table cells of a configuration."""
    rho, alpha, (epsilon, decay, epsilon_min), inertia = config
    return f"| {rho} | {alpha:g} | {epsilon:g}, {decay}, {epsilon_min:g} | {inertia} |"


def stage_three() -> None:
    """Try the epsilon cycle on top of the defaults, over the three splits."""
    header = " | ".join(DATASETS)
    print(f"Stage 3: epsilon_cycle, mean over split seeds {CONFIRM_SEEDS}\n")
    print(f"| epsilon_cycle | {header} | mean | digits per seed |")
    print("|---|" + "---|" * (len(DATASETS) + 2))
    splits = {seed: {n: split(n, seed) for n in DATASETS} for seed in CONFIRM_SEEDS}
    defaults = (0.1, 1e-3, (100.0, 0.5, 0.03), (0.8, 0.8, 0.0))
    for cycle in CYCLES:
        results = [
            scores(defaults, splits[seed], seed, epsilon_cycle=cycle)
            for seed in CONFIRM_SEEDS
        ]
        means = np.mean(results, axis=0)
        cells = " | ".join(f"{s:.4f}" for s in means)
        digits = ", ".join(f"{r[0]:.4f}" for r in results)
        print(f"| {cycle} | {cells} | {np.mean(means):.4f} | {digits} |", flush=True)


def main() -> None:
    """Run the stages and print their tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", type=int, choices=[1, 3], default=None)
    stage = parser.parse_args().stage
    if stage == 3:
        stage_three()
        return
    stages_one_and_two()
    if stage is None:
        print()
        stage_three()


def stages_one_and_two() -> None:
    """Run stages 1 and 2 and print their tables."""
    header = " | ".join(DATASETS)
    columns = "|---|---|---|---|" + "---|" * (len(DATASETS) + 1)
    print("Stage 1: split seed 0\n")
    print(f"| rho | alpha | epsilon, decay, min | p1, p2, p3 | {header} | mean |")
    print(columns)
    first_splits = {name: split(name, CONFIRM_SEEDS[0]) for name in DATASETS}
    stage_one = {}
    for config in itertools.product(RHOS, ALPHAS, SCHEDULES, INERTIAS):
        result = scores(config, first_splits, CONFIRM_SEEDS[0])
        stage_one[config] = result
        cells = " | ".join(f"{s:.4f}" for s in result)
        print(f"{describe(config)} {cells} | {np.mean(result):.4f} |", flush=True)

    best = sorted(stage_one, key=lambda c: -np.mean(stage_one[c]))[:N_CONFIRMED]
    print(f"\nStage 2: mean over split seeds {CONFIRM_SEEDS}\n")
    print(f"| rho | alpha | epsilon, decay, min | p1, p2, p3 | {header} | mean |")
    print(columns)
    later_splits = {
        seed: {name: split(name, seed) for name in DATASETS}
        for seed in CONFIRM_SEEDS[1:]
    }
    for config in best:
        results = [stage_one[config]] + [
            scores(config, later_splits[seed], seed) for seed in CONFIRM_SEEDS[1:]
        ]
        means = np.mean(results, axis=0)
        cells = " | ".join(f"{s:.4f}" for s in means)
        print(f"{describe(config)} {cells} | {np.mean(means):.4f} |", flush=True)


if __name__ == "__main__":
    main()
