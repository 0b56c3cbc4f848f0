"""The same seed gives the same model, in this process and in another, and the
model survives pickle and joblib. The pickle's size and clone are tested with
the rest of the scikit-learn surface, in test_estimators.py."""

import io
import pickle
import subprocess
import sys
import warnings

import joblib
import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

from sktiam import TIAMClassifier, TIAMRegressor

PARAMS = dict(hidden_layer_sizes=(10, 7), max_iter=15)

FIT_IN_A_SUBPROCESS = """
import sys, warnings
import numpy as np
from sklearn.datasets import make_classification
from sktiam import TIAMClassifier
warnings.simplefilter("ignore")
X, y = make_classification(n_samples=150, n_features=6, n_classes=3,
                           n_informative=4, random_state=0)
model = TIAMClassifier(hidden_layer_sizes=(10, 7), max_iter=15,
                       random_state=int(sys.argv[1])).fit(X, y)
np.savez(sys.stdout.buffer, *model.coefs_, *model.intercepts_)
"""


def _data(n_samples=150):
    return make_classification(
        n_samples=n_samples,
        n_features=6,
        n_classes=3,
        n_informative=4,
        random_state=0,
    )


def _fit(Estimator=TIAMClassifier, seed=0, n_samples=150):
    X, y = _data(n_samples)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return Estimator(random_state=seed, **PARAMS).fit(X, y)


def _parameters(model):
    return model.coefs_ + model.intercepts_


@pytest.mark.parametrize("Estimator", [TIAMClassifier, TIAMRegressor])
def test_same_seed_gives_bitwise_identical_parameters(Estimator):
    first, second = _fit(Estimator), _fit(Estimator)
    for a, b in zip(_parameters(first), _parameters(second), strict=True):
        assert a.tobytes() == b.tobytes()


def test_same_seed_in_another_process_gives_the_same_parameters():
    completed = subprocess.run(
        [sys.executable, "-c", FIT_IN_A_SUBPROCESS, "0"],
        capture_output=True,
        check=True,
        timeout=120,
    )
    arrays = np.load(io.BytesIO(completed.stdout))
    theirs = [arrays[f"arr_{i}"] for i in range(len(arrays.files))]
    ours = _parameters(_fit())
    assert len(theirs) == len(ours)
    for a, b in zip(ours, theirs, strict=True):
        assert a.tobytes() == b.tobytes()


def test_another_seed_gives_other_parameters():
    for a, b in zip(_parameters(_fit(seed=0)), _parameters(_fit(seed=1)), strict=True):
        assert not np.array_equal(a, b)


@pytest.mark.parametrize(
    "dumps, loads",
    [
        (pickle.dumps, pickle.loads),
        (
            lambda model: (joblib.dump(model, buffer := io.BytesIO()), buffer)[1],
            lambda buffer: joblib.load(io.BytesIO(buffer.getvalue())),
        ),
    ],
    ids=["pickle", "joblib"],
)
def test_round_trips_predict_identically(dumps, loads):
    model = _fit()
    X, _ = _data()
    restored = loads(dumps(model))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))
