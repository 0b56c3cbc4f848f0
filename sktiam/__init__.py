"""sktiam: scikit-learn multilayer perceptrons trained by TIAM.

TIAM is triple-inertial accelerated alternating minimisation (Yan, Xu, Wang,
Peng, Neurocomputing 2025): a gradient-free, matrix-inversion-free training
method that splits the network into small block subproblems.
"""

from ._estimators import TIAMClassifier, TIAMRegressor, UnscaledInputWarning
from ._memory import InsufficientMemoryError, training_state_bytes

__version__ = "0.3.0"

__all__ = [
    "InsufficientMemoryError",
    "TIAMClassifier",
    "TIAMRegressor",
    "UnscaledInputWarning",
    "__version__",
    "training_state_bytes",
]
