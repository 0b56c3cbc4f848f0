"""A grid search run on a Dask cluster gives the results of the sequential run."""

import warnings

import joblib
import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from threadpoolctl import threadpool_limits

from sktiam import TIAMClassifier

distributed = pytest.importorskip("dask.distributed")


def _grid_search() -> GridSearchCV:
    return GridSearchCV(
        TIAMClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0),
        {"rho": [0.03, 0.3], "center_inertia": [0.0, 0.8]},
        cv=3,
    )


def test_dask_grid_search_matches_sequential():
    """Two worker processes on loopback: same best_params_ and mean test scores.

    Dask's workers run BLAS on one thread; the sequential run does too, so
    that the two compute exactly the same sums.
    """
    X, y = make_classification(
        n_samples=90, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with threadpool_limits(1):
            sequential = _grid_search().fit(X, y)
        with (
            distributed.LocalCluster(
                n_workers=2,
                processes=True,
                threads_per_worker=1,
                host="127.0.0.1",
                dashboard_address=None,
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            workers = set(client.scheduler_info()["workers"])
            with (
                distributed.get_task_stream(client) as tasks,
                joblib.parallel_backend("dask"),
            ):
                on_dask = _grid_search().fit(X, y)

    # The fits ran on the cluster's workers, not in this process.
    assert tasks.data
    assert {task["worker"] for task in tasks.data} <= workers
    scores = sequential.cv_results_["mean_test_score"]
    assert len(set(scores)) > 1, "the candidates must differ for the test to mean much"
    assert on_dask.best_params_ == sequential.best_params_
    np.testing.assert_array_equal(on_dask.cv_results_["mean_test_score"], scores)
