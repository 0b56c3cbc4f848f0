"""
How TIAM trains: the loss, the relaxed objective and the epsilon schedule
=========================================================================

TIAM does not minimise the network's loss directly. It minimises a relaxed
objective F, in which every layer has its own pre-activations Z and
activations A, tied to the weights by a penalty ``rho`` and to each other by
the box ``|A - sigma(Z)| <= epsilon``. This example fits TIAMClassifier on
the digits data and plots, per iteration:

- the training loss of the real forward network (``loss_curve_``), which is
  what MLPClassifier reports;
- the relaxed objective F (``objective_curve_``);
- epsilon and the largest constraint violation ``max |A - sigma(Z)|``
  (``diagnostics_``), which never exceeds it.

It compares the default (inertia p1 = p2 = 0.8) with plain proximal
alternating minimisation (no inertia), both with the monotone safeguard on.
Run it with ``python examples/plot_convergence.py``; it needs matplotlib
and writes ``convergence.png``.
"""

import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sktiam import TIAMClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

runs = {
    "p1 = p2 = 0.8 (default)": {},
    "no inertia": dict(center_inertia=0.0, gradient_inertia=0.0),
}
fig, axes = plt.subplots(1, 3, figsize=(14, 4))
for label, params in runs.items():
    model = TIAMClassifier(random_state=0, max_iter=150, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    print(f"{label}: test accuracy {model.score(X_test, y_test):.4f}")
    axes[0].semilogy(model.loss_curve_, label=label)
    axes[1].semilogy(model.objective_curve_, label=label)
    axes[2].semilogy(model.diagnostics_["max_violation"], label=f"violation, {label}")
axes[2].semilogy(model.diagnostics_["epsilon"], "k--", label="epsilon")
axes[0].set_title("training loss of the forward network")
axes[1].set_title("relaxed objective F")
axes[2].set_title("max |A - sigma(Z)| and epsilon")
for axis in axes:
    axis.set_xlabel("iteration")
    axis.legend(fontsize=8)
fig.tight_layout()
fig.savefig("convergence.png", dpi=100)
print("wrote convergence.png")
