"""
Distributed hyperparameter search on Dask
=========================================

Every candidate of a :class:`~sklearn.model_selection.GridSearchCV` and every
cross-validation fold is an independent fit, and scikit-learn runs them
through joblib. Dask's joblib backend sends those fits to the workers of a
Dask cluster. This example starts a cluster on this machine, with two worker
processes, and checks that the distributed search gives the same result as
the sequential one.

It needs the ``dask`` extra: ``pip install -e ".[dask]"``.
"""

# %%
# A small search: 600 images of the digits, 6 candidates, 3 folds, 18 fits.
import time
import warnings

import joblib
import matplotlib.pyplot as plt
import numpy as np
from dask.distributed import Client, LocalCluster
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktiam import TIAMClassifier, training_state_bytes

X, y = load_digits(return_X_y=True)
X, y = X[:600], y[:600]
search = GridSearchCV(
    make_pipeline(
        StandardScaler(),
        TIAMClassifier(hidden_layer_sizes=(32,), max_iter=30, random_state=0),
    ),
    {
        "tiamclassifier__rho": [0.03, 0.1, 0.3],
        "tiamclassifier__activation_penalty": [0.1, 0.3],
    },
    cv=3,
)

# %%
# Memory per worker
# -----------------
# Each worker thread runs one fit at a time. ``training_state_bytes`` is the
# estimate that ``fit`` checks before it allocates (see :ref:`memory`). With
# the default mini-batches of 64 rows it grows by a few numbers per sample;
# a full-batch fit (``batch_size=None``) keeps the pre-activations and
# activations of every sample, so its memory grows with the data. For one
# training fold of this search (400 samples, 64 features, 32 hidden units,
# 10 classes, in float64) both are tiny; for a million samples and two
# hidden layers of 512 units the full-batch one is not. (The ``__name__``
# guard is explained below.)
if __name__ == "__main__":
    for n_samples, layers, itemsize in [
        (400, [64, 32, 10], 8),
        (1_000_000, [64, 512, 512, 10], 8),
        (1_000_000, [64, 512, 512, 10], 4),
    ]:
        mini_batch = training_state_bytes(
            n_samples, layers, itemsize, False, batch_size=min(64, n_samples)
        )
        full_batch = training_state_bytes(n_samples, layers, itemsize, False)
        print(
            f"{n_samples:>9} samples, layers {layers}, float{8 * itemsize}: "
            f"mini-batch {mini_batch / 2**30:7.3f} GiB, "
            f"full batch {full_batch / 2**30:7.3f} GiB"
        )

# %%
# A worker needs room for as many fits as it has threads: give it one thread
# and a ``memory_limit`` above that estimate, plus its share of the data and
# its own footprint.
#
# Why the ``__name__`` guards
# ---------------------------
# Dask starts its worker processes with the ``spawn`` method, which imports
# the main script again in each of them. Code that runs work or starts
# processes must therefore sit under ``if __name__ == "__main__":``, or each
# worker would run it too.
#
# The search, sequential and on the cluster
# -----------------------------------------
# The sequential run first, for reference.
if __name__ == "__main__":
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        search.fit(X, y)
        sequential_time = time.perf_counter() - start
    sequential = search.cv_results_["mean_test_score"]
    sequential_best = search.best_params_

# %%
# A local cluster of two worker processes, one thread each, on the loopback
# interface. ``joblib.parallel_backend("dask")`` sends every fit of the search
# to the cluster; a cluster elsewhere is used the same way, with
# ``Client("tcp://scheduler-address:8786")``. The workers unpickle the
# estimator, so sktiam must be installed where they run. scikit-learn passes
# the warnings filters of this process on to each fit, wherever it runs.
if __name__ == "__main__":
    with (
        LocalCluster(
            n_workers=2,
            processes=True,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
            memory_limit="2GiB",
        ) as cluster,
        Client(cluster) as client,
    ):
        print(client)
        with joblib.parallel_backend("dask"), warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            start = time.perf_counter()
            search.fit(X, y)
            distributed_time = time.perf_counter() - start
    distributed = search.cv_results_["mean_test_score"]
    print(
        f"sequential: {sequential_time:.1f} s, on two Dask workers: "
        f"{distributed_time:.1f} s (including the transfers)"
    )
    print("same best parameters:", search.best_params_ == sequential_best)
    print("same mean test scores:", np.array_equal(distributed, sequential))

# %%
# The two runs agree candidate by candidate: TIAM is deterministic for a given
# ``random_state``, and where a fit runs does not change it.
if __name__ == "__main__":
    labels = [
        f"rho={params['tiamclassifier__rho']}\n"
        f"gamma={params['tiamclassifier__activation_penalty']}"
        for params in search.cv_results_["params"]
    ]
    positions = np.arange(len(labels))
    fig, axis = plt.subplots(figsize=(9, 4.5))
    axis.bar(positions - 0.2, sequential, 0.4, label="sequential")
    axis.bar(positions + 0.2, distributed, 0.4, label="two Dask workers")
    axis.set_xticks(positions, labels)
    axis.set_ylim(0.5, 1.0)
    axis.set_xlabel("candidate: rho and activation_penalty (gamma)")
    axis.set_ylabel("mean cross-validated accuracy")
    axis.set_title("GridSearchCV over TIAMClassifier: sequential against Dask")
    axis.legend(loc="upper left", ncols=2)
    fig.tight_layout()
    plt.show()
