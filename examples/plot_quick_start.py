"""
Quick start: a TIAM classifier on the digits
============================================

Fit :class:`~sktiam.TIAMClassifier` like any scikit-learn classifier: here in
a pipeline behind a :class:`~sklearn.preprocessing.StandardScaler`, on the
8 x 8 images of handwritten digits that ship with scikit-learn. TIAM trains
the network without backpropagation; the fitted model is an ordinary
multilayer perceptron, and ``predict`` is its forward pass.
"""

# %%
# The data: 1797 images of 64 pixels, ten classes. A quarter is held out.
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktiam import TIAMClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)

# %%
# One hidden layer of 64 units and at most 100 iterations keep the fit to a
# second or two. Each iteration is an epoch: one pass over the shuffled
# training rows in batches of 64, each batch two rounds of steps on every
# block of the network (``batch_rounds=2``, the classifier's default). When
# ``max_iter`` stops the fit before the stopping rule does, scikit-learn's
# usual :class:`~sklearn.exceptions.ConvergenceWarning` is raised; we silence
# it here because the budget is deliberate.
model = make_pipeline(
    StandardScaler(),
    TIAMClassifier(hidden_layer_sizes=(64,), max_iter=100, random_state=0),
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    model.fit(X_train, y_train)
tiam = model[-1]
print(f"test accuracy: {model.score(X_test, y_test):.3f}")
print(f"iterations: {tiam.n_iter_}, final training loss: {tiam.loss_:.3f}")

# %%
# The fitted network is a plain perceptron: ``coefs_`` and ``intercepts_``
# hold its weights and biases, as in
# :class:`~sklearn.neural_network.MLPClassifier`.
print([coef.shape for coef in tiam.coefs_])

# %%
# Left, the training loss of the network after each iteration
# (``loss_curve_``). Right, where the errors on the test set fall.
fig, (loss_axis, matrix_axis) = plt.subplots(1, 2, figsize=(11, 4.5))
loss_axis.semilogy(range(1, tiam.n_iter_ + 1), tiam.loss_curve_)
loss_axis.set_xlabel("iteration")
loss_axis.set_ylabel("training loss (cross-entropy + L2)")
loss_axis.set_title("Training loss per iteration")
ConfusionMatrixDisplay.from_estimator(
    model, X_test, y_test, ax=matrix_axis, colorbar=False
)
matrix_axis.set_title("Test set: true against predicted digit")
fig.tight_layout()
plt.show()
