"""
Diagnostics: constraint violation, coupling residuals and epsilon
=================================================================

Besides the curves that MLPClassifier also has, a fitted TIAM estimator
keeps ``diagnostics_``: a dictionary of per-iteration records of how far the
relaxed network is from the real one. This example fits a network with two
hidden layers on the digits and plots, against the iteration:

- ``epsilon``, the half-width of the box ``|A_l - sigma(Z_l)| <= epsilon``,
  and ``max_violation``, the largest ``|A_l - sigma(Z_l)|`` over the hidden
  layers, which never exceeds it by more than rounding;
- ``coupling_residual``, one value per layer: the root mean square over the
  samples of ``||Z_l - A_{l-1} W_l - b_l||``, how far each layer's
  pre-activations are from what its weights make of the layer below;
- ``backtracking_trials`` and ``restarts``, the work of each sweep.
"""

# %%
# Fit, and list what ``diagnostics_`` records.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from sktiam import TIAMClassifier

X, y = load_digits(return_X_y=True)
X = StandardScaler().fit_transform(X)
model = TIAMClassifier(hidden_layer_sizes=(64, 64), max_iter=80, random_state=0)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    model.fit(X, y)
diagnostics = model.diagnostics_
for key, values in diagnostics.items():
    print(f"{key}: {len(values)} values, last {values[-1]}")

# %%
# ``coupling_residual`` holds one list per iteration with one value per layer
# (the two hidden layers, then the output layer); as an array, column ``l``
# is layer ``l + 1``.
iterations = np.arange(1, model.n_iter_ + 1)
residuals = np.array(diagnostics["coupling_residual"])
print("coupling residuals, shape (iterations, layers):", residuals.shape)

# %%
# The plots.
fig, (box_axis, coupling_axis, work_axis) = plt.subplots(1, 3, figsize=(16, 4.8))
box_axis.semilogy(
    iterations, diagnostics["max_violation"], "C3", label=r"max $|A_l - \sigma(Z_l)|$"
)
box_axis.semilogy(iterations, diagnostics["epsilon"], "k--", label="epsilon")
box_axis.set_xlabel("iteration")
box_axis.set_ylabel("value (same units as the activations)")
box_axis.set_title("Constraint violation and epsilon")
box_axis.legend()

layer_names = [f"hidden layer {layer}" for layer in (1, 2)] + ["output layer"]
for layer, name in enumerate(layer_names):
    coupling_axis.plot(iterations, residuals[:, layer], label=name)
coupling_axis.set_yscale("symlog", linthresh=1e-3)
coupling_axis.set_xlabel("iteration")
coupling_axis.set_ylabel(r"RMS of $\|Z_l - A_{l-1} W_l - b_l\|$ (symlog scale)")
coupling_axis.set_title("Coupling residual per layer")
coupling_axis.legend()

work_axis.plot(iterations, diagnostics["backtracking_trials"], label="backtracking")
work_axis.plot(iterations, diagnostics["restarts"], label="safeguard restarts")
work_axis.set_xlabel("iteration")
work_axis.set_ylabel("count per iteration (all blocks)")
work_axis.set_title("Work per sweep")
work_axis.legend()
for axis in (box_axis, coupling_axis, work_axis):
    axis.grid(True, alpha=0.3)
fig.tight_layout()
plt.show()

# %%
# Reading the plots
# -----------------
# - The violation stays below epsilon (to rounding) at every iteration: that
#   is the constraint of the relaxed problem, and the solver keeps it. Once
#   epsilon has shrunk to a few units, the violation sits on it: the
#   constraint is active, and the activations would move further from
#   ``sigma(Z)`` if the box let them.
# - While epsilon is large, the hidden layers' coupling residuals stay at zero
#   (to rounding): with a wide box around ``A_l``, the pre-activation step
#   simply follows ``A_{l-1} W_l + b_l``, and nothing from the layers above
#   reaches the hidden layers. The output layer's residual is not zero: its
#   pre-activations are pulled towards the targets.
# - As epsilon shrinks, the box around ``A_l`` moves with what the layer above
#   needs, pulls ``Z_l`` away from ``A_{l-1} W_l + b_l``, and the hidden
#   residuals rise. Once epsilon has settled at ``epsilon_min``, they fall
#   only slowly: only the weight steps repair them, and a large residual left
#   in a hidden layer means the real network (which ``predict`` uses) differs
#   from the relaxed one the solver optimises.
# - Backtracking trials count the step-size searches of the weight and
#   activation blocks; restarts count blocks whose inertial step raised the
#   objective and were redone without inertia (``monotone=True``).
