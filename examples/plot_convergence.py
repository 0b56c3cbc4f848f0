"""
Convergence: mini-batch and full-batch TIAM, inertia, and backpropagation
=========================================================================

TIAM does not minimise the network's loss directly. It minimises a relaxed
objective F, in which every layer has its own pre-activations Z and
activations A, tied to the weights and to each other by two penalties. This
example fits four models on the digits and follows them iteration by
iteration:

- :class:`~sktiam.TIAMClassifier` with its defaults: mini-batches of 64 rows,
  two rounds of steps on each, an iteration is an epoch;
- the same in full batch (``batch_size=None``), an iteration is a sweep over
  all blocks and rows;
- full batch again without inertia (p1 = p2 = p3 = 0): plain proximal
  alternating minimisation;
- :class:`~sklearn.neural_network.MLPClassifier`, trained by backpropagation
  with adam on its default mini-batches of 200.

It plots the training loss of the forward network (``loss_curve_``, which
both estimators report), against the iteration and against the wall-clock
time.
"""

# %%
# Data: the digits, standardised, three quarters for training.
import io
import time
import warnings
from contextlib import redirect_stdout

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from sktiam import TIAMClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
n_train = X_train.shape[0]

# %%
# Timing each iteration
# ---------------------
# Neither estimator takes a callback, but with ``verbose`` both print one line
# per iteration, each beginning with ``Iteration``. Stamping those lines with
# the clock gives the time at which each iteration ended, counted from the
# start of ``fit``.


class IterationClock(io.TextIOBase):
    """A text stream that records the time at which each iteration is printed."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.times: list[float] = []

    def write(self, text: str) -> int:
        if text.startswith("Iteration"):
            self.times.append(time.perf_counter() - self.start)
        return len(text)


def fit_timed(model):
    """Fit ``model`` on the training data; return the seconds of each iteration."""
    clock = IterationClock()
    with redirect_stdout(clock), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    return np.array(clock.times)


# %%
# The models share the hidden layers, and TIAM's ``alpha`` has
# MLPClassifier's scale; MLPClassifier gets a
# fixed budget of iterations (``n_iter_no_change`` equal to ``max_iter``) so
# that its curve is not cut short.
hidden, max_iter = (64, 64), 60
models = {
    "TIAM, mini-batch (default)": TIAMClassifier(hidden),
    "TIAM, full batch": TIAMClassifier(hidden, batch_size=None),
    "TIAM, full batch, no inertia": TIAMClassifier(
        hidden,
        batch_size=None,
        center_inertia=0.0,
        gradient_inertia=0.0,
    ),
    "MLPClassifier (adam)": MLPClassifier(hidden, n_iter_no_change=max_iter),
}
times = {}
for label, model in models.items():
    model.set_params(max_iter=max_iter, random_state=0, verbose=True)
    times[label] = fit_timed(model)
    print(
        f"{label}: {model.n_iter_} iterations in {times[label][-1]:.2f} s, "
        f"final training loss {model.loss_curve_[-1]:.4f}, "
        f"test accuracy {model.score(X_test, y_test):.4f}"
    )

# %%
# The curves
# ----------
# Left against the iteration, right against the time. The loss of the batch
# methods is the mean of their batch losses over each epoch.
fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
styles = dict(zip(models, ["C3-", "C0-", "C0--", "C2-"], strict=True))
for label, model in models.items():
    iterations = np.arange(1, model.n_iter_ + 1)
    axes[0].semilogy(iterations, model.loss_curve_, styles[label], label=label)
    axes[1].semilogy(times[label], model.loss_curve_, styles[label], label=label)
axes[0].set_xlabel("iteration (epoch, or full-batch sweep)")
axes[1].set_xlabel("wall-clock time since the start of fit (s)")
for axis in axes:
    axis.set_ylabel("training loss (cross-entropy + L2)")
    axis.legend(fontsize=8)
    axis.grid(True, which="major", alpha=0.3)
fig.tight_layout()
plt.show()

# %%
# Reading the curves
# ------------------
# Per iteration, adam steps its weights once per batch of 200, seven times
# an epoch here, mini-batch TIAM twice per batch of 64 (two rounds, the
# classifier's default), 44 times an epoch, and full-batch TIAM once: the
# mini-batch curves fall furthest.
# Full-batch TIAM with its inertias falls faster than without. An epoch of
# mini-batch TIAM costs more than one of adam: each round makes a few more
# matrix products, and more small array calls, which on data this small
# cost more than the products (the benchmarks measure both).
