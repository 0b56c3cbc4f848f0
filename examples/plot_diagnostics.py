"""
Diagnostics: the relaxation's residuals, and continuation
=========================================================

Besides the curves that MLPClassifier also has, a fitted TIAM estimator
keeps ``diagnostics_``: a dictionary of per-iteration records of how far the
relaxed network is from the real one. This example fits a network with two
hidden layers on the digits, full batch, twice: with the penalties fixed
(the default) and with continuation, ``penalty_growth=1.05``, which makes
``rho`` and ``activation_penalty`` grow by 5% an iteration. It plots, against
the iteration:

- ``max_violation``, the largest ``|A_l - sigma(Z_l)|`` over the hidden
  layers;
- ``coupling_residual``, one value per layer: the root mean square over the
  samples of ``||Z_l - A_{l-1} W_l - b_l||``, how far each layer's
  pre-activations are from what its weights make of the layer below;
- the training loss of the real network.
"""

# %%
# Fit both, and list what ``diagnostics_`` records.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from sktiam import TIAMClassifier

X, y = load_digits(return_X_y=True)
X = StandardScaler().fit_transform(X)
runs = {
    "penalties fixed": {},
    "continuation (growth 1.05)": {"penalty_growth": 1.05, "max_penalty_growth": 1e3},
}
models = {}
for name, params in runs.items():
    model = TIAMClassifier(
        hidden_layer_sizes=(64, 64),
        batch_size=None,
        max_iter=120,
        tol=0.0,
        random_state=0,
        **params,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        models[name] = model.fit(X, y)
for key, values in models["penalties fixed"].diagnostics_.items():
    print(f"{key}: {len(values)} values, last {values[-1]}")

# %%
# ``coupling_residual`` holds one list per iteration with one value per layer
# (the two hidden layers, then the output layer); as an array, column ``l``
# is layer ``l + 1``.
fig, axes = plt.subplots(1, 3, figsize=(13, 4.2))
for style, (name, model) in zip(("-", "--"), models.items(), strict=True):
    diagnostics = model.diagnostics_
    iterations = np.arange(1, model.n_iter_ + 1)
    residuals = np.array(diagnostics["coupling_residual"])
    axes[0].semilogy(iterations, diagnostics["max_violation"], style, label=name)
    for layer in range(residuals.shape[1]):
        label = f"layer {layer + 1}, {name}"
        axes[1].semilogy(iterations, residuals[:, layer], style, label=label)
    axes[2].semilogy(iterations, model.loss_curve_, style, label=name)
axes[0].set_title(r"max $|A_l - \sigma(Z_l)|$")
axes[1].set_title("coupling residual per layer")
axes[2].set_title("training loss (real network)")
for axis in axes:
    axis.set_xlabel("iteration")
    axis.grid(True, alpha=0.3)
    axis.legend(fontsize=7)
fig.tight_layout()
plt.show()

# %%
# The penalties at the end, and the scores on the training data:
for name, model in models.items():
    last = model.diagnostics_
    print(
        f"{name}: rho = {last['rho'][-1]:.3g}, "
        f"activation_penalty = {last['activation_penalty'][-1]:.3g}, "
        f"max violation = {last['max_violation'][-1]:.2e}, "
        f"training accuracy = {model.score(X, y):.4f}"
    )

# %%
# Reading the plots
# -----------------
# - With the penalties fixed, the relaxed network stays some distance from
#   the real one: the residuals settle where the penalties balance the loss.
#   That distance is what ``rho`` and ``activation_penalty`` set.
# - Under continuation the penalties grow, and the violation and the
#   coupling residuals fall towards zero: the relaxed network becomes the
#   real one, which is what ``predict`` uses.
# - The price is in the training loss: a growing penalty holds the
#   auxiliary variables closer to what the weights compute, so each
#   iteration moves the weights less. The defaults leave the penalties fixed;
#   the sweep of the defaults measured continuation (see the page on how the
#   defaults were chosen).
