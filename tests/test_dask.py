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


def test_incremental_streams_chunks_through_partial_fit_exactly():
    """dask-ml's Incremental on a cluster: 12 chunks of a dask array pass
    through partial_fit, one after the other, and give exactly the weights of
    partial_fit on the same chunks in memory, in the same order. The rows are
    shuffled within each call, the same way in both."""
    da = pytest.importorskip("dask.array")
    wrappers = pytest.importorskip("dask_ml.wrappers")
    rng = np.random.RandomState(0)
    X = rng.randn(1200, 5)
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 0.5)
    classes = np.unique(y)
    params = dict(hidden_layer_sizes=(8,), batch_size=50, random_state=0)
    with (
        threadpool_limits(1),
        distributed.LocalCluster(
            n_workers=1,
            processes=False,
            threads_per_worker=1,
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster),
    ):
        chunked_X = da.from_array(X, chunks=(100, 5))
        chunked_y = da.from_array(y, chunks=100)
        assert chunked_X.numblocks[0] == 12
        streamed = wrappers.Incremental(
            TIAMClassifier(**params), shuffle_blocks=False
        ).fit(chunked_X, chunked_y, classes=classes)
    model = streamed.estimator_
    with threadpool_limits(1):
        reference = TIAMClassifier(**params)
        for start in range(0, 1200, 100):
            reference.partial_fit(
                X[start : start + 100], y[start : start + 100], classes=classes
            )
    assert model.t_ == reference.t_ == 1200 and len(model.loss_curve_) == 12
    for got, expected in zip(
        model.coefs_ + model.intercepts_,
        reference.coefs_ + reference.intercepts_,
        strict=True,
    ):
        np.testing.assert_array_equal(got, expected)
