"""
Convergence: TIAM, TIAM without inertia, and backpropagation
============================================================

TIAM does not minimise the network's loss directly. It minimises a relaxed
objective F, in which every layer has its own pre-activations Z and
activations A, tied to the weights by the penalty ``rho`` and to each other by
the box ``|A - sigma(Z)| <= epsilon``. This example fits three models on the
digits and follows them iteration by iteration:

- :class:`~sktiam.TIAMClassifier` with its default inertias
  (p1 = p2 = 0.8, p3 = 0);
- the same without inertia (p1 = p2 = p3 = 0): plain proximal alternating
  minimisation;
- :class:`~sklearn.neural_network.MLPClassifier`, trained by backpropagation
  with Adam on full batches, the setting closest to TIAM's full-batch sweep.

It plots the training loss of the forward network (``loss_curve_``, which
both estimators report) and TIAM's relaxed objective (``objective_curve_``),
against the iteration and against the wall-clock time.
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
# The three models share the hidden layers and the L2 penalty. TIAM's data
# terms are means over the samples, so its ``alpha`` is MLPClassifier's
# divided by the number of samples: with ``alpha * n_train`` for
# MLPClassifier, both ``loss_curve_`` measure the same regularised loss.
# MLPClassifier gets a fixed budget of iterations (``n_iter_no_change`` equal
# to ``max_iter``) so that its curve is not cut short.
hidden, alpha, max_iter = (64, 64), 1e-3, 100
models = {
    "TIAM, p1 = p2 = 0.8 (default)": TIAMClassifier(hidden, alpha=alpha),
    "TIAM, no inertia": TIAMClassifier(
        hidden, alpha=alpha, center_inertia=0.0, gradient_inertia=0.0
    ),
    "MLPClassifier (Adam, full batch)": MLPClassifier(
        hidden,
        alpha=alpha * n_train,
        batch_size=n_train,
        n_iter_no_change=max_iter,
    ),
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
# Top row against the iteration, bottom row against the time. Left, the
# training loss of the forward network; right, TIAM's relaxed objective F
# (MLPClassifier has none).
fig, axes = plt.subplots(2, 2, figsize=(12, 8))
styles = dict(zip(models, ["C0-", "C1--", "C2-"], strict=True))
for label, model in models.items():
    iterations = np.arange(1, model.n_iter_ + 1)
    axes[0, 0].semilogy(iterations, model.loss_curve_, styles[label], label=label)
    axes[1, 0].semilogy(times[label], model.loss_curve_, styles[label], label=label)
    if isinstance(model, TIAMClassifier):
        curve = model.objective_curve_
        axes[0, 1].semilogy(iterations, curve, styles[label], label=label)
        axes[1, 1].semilogy(times[label], curve, styles[label], label=label)
for axis in axes[0]:
    axis.set_xlabel("iteration")
for axis in axes[1]:
    axis.set_xlabel("wall-clock time since the start of fit (s)")
for axis in axes[:, 0]:
    axis.set_ylabel("training loss (cross-entropy + L2)")
for axis in axes[:, 1]:
    axis.set_ylabel("relaxed objective F")
axes[0, 0].set_title("Training loss of the forward network")
axes[0, 1].set_title("TIAM's relaxed objective")
for axis in axes.flat:
    axis.legend(fontsize=8)
    axis.grid(True, which="major", alpha=0.3)
fig.tight_layout()
plt.show()

# %%
# Reading the curves
# ------------------
# While epsilon shrinks (it halves every iteration from 100 down to 0.03, so
# for the first dozen iterations), F can rise: each smaller epsilon removes
# part of the feasible set. Once epsilon has settled, the safeguard
# (``monotone=True``) keeps F from rising. The forward loss of TIAM falls
# quickly at first and then flattens well above backpropagation's:
# :doc:`/algorithm` explains that, once epsilon is small, the hidden layers
# can follow the layers above only slowly. Per iteration, a TIAM sweep costs
# a few matrix products per layer, which is more than one full-batch
# gradient step; the time axes show the difference.
