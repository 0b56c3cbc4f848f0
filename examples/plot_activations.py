"""
The ReLU family compared: relu, leaky_relu, elu, softplus
=========================================================

TIAM needs, for each hidden activation ``sigma``, the set of pre-activations
whose outputs lie in an interval: that set is the box the pre-activation
step projects onto. For a monotone ``sigma`` it is an interval, so the step
is a clip. This example trains the same network on the digits with the four
monotone members of the ReLU family that sktiam supports, under two epsilon
schedules, and compares their training loss and test accuracy.
"""

# %%
# The four activations. ``leaky_relu`` takes its slope for negative inputs from
# the ``negative_slope`` parameter (0.01 by default; 0.1 here, to make it
# visible). ``elu`` is ``exp(z) - 1`` below zero, ``softplus`` is
# ``log(1 + exp(z))``.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sktiam import TIAMClassifier

negative_slope = 0.1
z = np.linspace(-3, 3, 301)
functions = {
    "relu": np.maximum(z, 0),
    "leaky_relu": np.where(z > 0, z, negative_slope * z),
    "elu": np.where(z > 0, z, np.expm1(np.minimum(z, 0))),
    "softplus": np.logaddexp(0, z),
}

# %%
# The data: the digits, standardised, a quarter held out.
X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

# %%
# One model per activation and schedule, everything else equal. The default
# schedule starts at ``epsilon=100`` and halves it every iteration down to
# ``epsilon_min=0.03``; the other keeps epsilon at 0.03 from the start.
schedules = {
    "default schedule (100 to 0.03)": {},
    "epsilon fixed at 0.03": {"epsilon": 0.03},
}
models = {}
for schedule, params in schedules.items():
    for name in functions:
        model = TIAMClassifier(
            hidden_layer_sizes=(64,),
            activation=name,
            negative_slope=negative_slope,
            max_iter=100,
            random_state=0,
            **params,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X_train, y_train)
        models[schedule, name] = model
        print(
            f"{schedule:>31}, {name:>10}: {model.n_iter_:3d} iterations, "
            f"test accuracy {model.score(X_test, y_test):.4f}, "
            f"final training loss {model.loss_:.4g}, first-layer coupling "
            f"residual {model.diagnostics_['coupling_residual'][-1][0]:.3g}"
        )

# %%
# Top, the activations and the test accuracy. Bottom, the training loss per
# iteration under each schedule.
fig, axes = plt.subplots(2, 2, figsize=(12, 8))
(shape_axis, score_axis), loss_axes = axes
for name, values in functions.items():
    shape_axis.plot(z, values, label=name)
shape_axis.set_xlabel("pre-activation z")
shape_axis.set_ylabel("sigma(z)")
shape_axis.set_title("The activations")
for loss_axis, schedule in zip(loss_axes, schedules, strict=True):
    for name in functions:
        model = models[schedule, name]
        loss_axis.semilogy(range(1, model.n_iter_ + 1), model.loss_curve_, label=name)
    loss_axis.set_xlabel("iteration")
    loss_axis.set_ylabel("training loss (cross-entropy + L2)")
    loss_axis.set_title(f"Training loss, {schedule}")
width = 0.4
positions = np.arange(len(functions))
for offset, schedule in zip((-width / 2, width / 2), schedules, strict=True):
    accuracies = [models[schedule, name].score(X_test, y_test) for name in functions]
    bars = score_axis.bar(positions + offset, accuracies, width, label=schedule)
    score_axis.bar_label(bars, fmt="%.2f", fontsize=8)
score_axis.set_xticks(positions, list(functions))
score_axis.set_ylim(0, 1.25)
score_axis.set_ylabel("test accuracy")
score_axis.set_title("Test accuracy")
score_axis.legend(fontsize=8, loc="upper center", ncols=2)
for axis in (shape_axis, *loss_axes):
    axis.legend(fontsize=8)
    axis.grid(True, alpha=0.3)
fig.tight_layout()
plt.show()

# %%
# What goes wrong with the default schedule
# -----------------------------------------
# With relu, both schedules train. With the other three, the default schedule
# stops after a couple of dozen iterations with a training loss far above
# relu's and a huge coupling residual in the first layer. The cause is the
# relaxation at large epsilon: the activation step keeps ``A`` within
# epsilon of ``sigma(Z)``, so while epsilon is large, ``A`` can move below
# the values that ``sigma`` takes often, or ever (``sigma`` never goes below
# 0 for softplus, nor -1 for elu). When epsilon has shrunk, the
# pre-activation step must find ``z`` with ``sigma(z)`` within epsilon of that
# ``A``, and that ``z`` is very far down the flat side: ``A / 0.1`` for
# leaky_relu, and for softplus and elu the box is empty, so ``Z`` goes to the
# edge of what floating point can invert. relu escapes, because all of its
# flat side maps to ``z <= 0``. Starting the schedule at a small epsilon
# keeps ``A`` close to ``sigma(Z)`` throughout, and then all four train.
#
# Why only monotone activations
# -----------------------------
# The pre-activation step needs the set ``{z : A - epsilon <= sigma(z) <= A +
# epsilon}``. For a non-decreasing ``sigma`` that set is one interval, and
# projecting onto it is a clip. For a non-monotone activation such as GELU or
# SiLU it can be two disjoint intervals, and the projection is no longer a
# clip. sktiam refuses those names:
try:
    TIAMClassifier(activation="gelu").fit(X_train[:20], y_train[:20])
except ValueError as error:
    print(error)
