"""The methods of the benchmark, all with hidden layers (100, 100) and relu.

- ``mlp-adam``, ``mlp-lbfgs``, ``mlp-sgd``: scikit-learn's MLPClassifier /
  MLPRegressor with that solver and every other parameter at its default.
- ``tiam-minibatch``: TIAMClassifier / TIAMRegressor with the defaults:
  mini-batch TIAM (batches of 64 rows), penalty relaxation.
- ``tiam-full-batch``: the defaults with ``batch_size=None``, fixed
  penalties (``penalty_growth=1``) and ``alpha`` 1e-5 times the training
  rows: full-batch TIAM, the paper's iteration, with the penalty
  relaxation, at the settings the sweep of the defaults found best for it.
- ``tiam-box``: the paper's relaxation, ``relaxation="box"`` (full batch),
  at the settings the first release's sweep found best for it.
- ``tiam-no-inertia``: full-batch TIAM with all three inertias 0, plain
  proximal alternating minimisation (DLAM-like).
- ``tiam-nesterov``: full-batch TIAM with ``inertia_schedule="nesterov"``:
  p1 = p2 = (t_k - 1) / t_{k+1} with the FISTA sequence, p3 = 0, and the
  monotone safeguard as the restart (mDLAM-like).
"""

from dataclasses import dataclass
from typing import Any

from sklearn.neural_network import MLPClassifier, MLPRegressor

from sktiam import TIAMClassifier, TIAMRegressor

HIDDEN_LAYER_SIZES = (100, 100)
ACTIVATION = "relu"


@dataclass(frozen=True)
class Method:
    """One benchmarked method.

    Parameters
    ----------
    name : str
        Name used in the tables and on the command line.
    label : str
        Longer name for the plots.
    classifier, regressor : type
        Estimator classes for the two tasks.
    params : dict
        Parameters beyond ``hidden_layer_sizes``, ``activation`` and
        ``random_state``.
    """

    name: str
    label: str
    classifier: type
    regressor: type
    params: dict

    @property
    def is_tiam(self) -> bool:
        """Whether the method is one of the TIAM variants."""
        return issubclass(self.classifier, TIAMClassifier)

    @property
    def mini_batch(self) -> bool:
        """Whether the method trains in batches (an iteration is an epoch)."""
        if self.is_tiam:
            default = TIAMClassifier().batch_size
            return self.params.get("batch_size", default) is not None
        return self.params.get("solver") in ("adam", "sgd")

    def make(
        self,
        task: str,
        seed: int,
        max_iter: int | None = None,
        n_train: int | None = None,
    ) -> Any:
        """Return an unfitted estimator for ``task``.

        Parameters
        ----------
        task : {"classification", "regression"}
            Chooses the classifier or the regressor.
        seed : int
            ``random_state`` of the estimator.
        max_iter : int or None, default=None
            Cap on the iterations (epochs for adam and sgd); None keeps the
            estimator's default.
        n_train : int or None, default=None
            Training rows; needed by a method whose ``params`` give
            ``alpha_per_row``, whose ``alpha`` is that times ``n_train``.

        Returns
        -------
        estimator
            The configured estimator.
        """
        estimator = self.classifier if task == "classification" else self.regressor
        params = dict(self.params)
        if "alpha_per_row" in params:
            if n_train is None:
                raise ValueError(f"{self.name} needs n_train for its alpha.")
            params["alpha"] = params.pop("alpha_per_row") * n_train
        if max_iter is not None:
            params["max_iter"] = max_iter
        return estimator(
            hidden_layer_sizes=HIDDEN_LAYER_SIZES,
            activation=ACTIVATION,
            random_state=seed,
            **params,
        )


#: The first two inertias of the defaults before 0.98 (0.2.0's, and 0.3.0's
#: until its last change): the benchmarks whose records stand for those
#: defaults pin them.
MOMENTUM_095 = {"center_inertia": 0.95, "gradient_inertia": 0.95}
NO_INERTIA = {
    "center_inertia": 0.0,
    "gradient_inertia": 0.0,
    "extrapolation_inertia": 0.0,
}
#: Full-batch TIAM as the sweep of the defaults measured it: fixed penalties,
#: a momentum of 0.95, and a weight decay of 1e-5 on the objective whose
#: data terms are means over the rows. ``alpha`` follows MLPClassifier's
#: scale, divided by the rows (all of them in full batch), so it is 1e-5
#: times the training rows.
FULL_BATCH = {
    "batch_size": None,
    "penalty_growth": 1.0,
    "alpha_per_row": 1e-5,
    **MOMENTUM_095,
}
#: The box relaxation's best settings in the first release's sweep (weight
#: decay 1e-3 on the objective of means, so ``alpha`` 1e-3 times the rows).
BOX = {
    "relaxation": "box",
    "batch_size": None,
    "alpha_per_row": 1e-3,
    "center_inertia": 0.8,
    "gradient_inertia": 0.8,
}

METHODS: dict[str, Method] = {
    method.name: method
    for method in [
        Method(
            "mlp-adam", "MLP, adam", MLPClassifier, MLPRegressor, {"solver": "adam"}
        ),
        Method(
            "mlp-lbfgs", "MLP, lbfgs", MLPClassifier, MLPRegressor, {"solver": "lbfgs"}
        ),
        Method("mlp-sgd", "MLP, sgd", MLPClassifier, MLPRegressor, {"solver": "sgd"}),
        Method(
            "tiam-minibatch",
            "TIAM, defaults (mini-batch)",
            TIAMClassifier,
            TIAMRegressor,
            {},
        ),
        Method(
            "tiam-full-batch",
            "TIAM, full batch",
            TIAMClassifier,
            TIAMRegressor,
            FULL_BATCH,
        ),
        Method(
            "tiam-box",
            "TIAM, box relaxation (paper)",
            TIAMClassifier,
            TIAMRegressor,
            BOX,
        ),
        Method(
            "tiam-no-inertia",
            "TIAM, full batch, no inertia (DLAM-like)",
            TIAMClassifier,
            TIAMRegressor,
            {**FULL_BATCH, **NO_INERTIA},
        ),
        Method(
            "tiam-nesterov",
            "TIAM, full batch, Nesterov inertia + restart (mDLAM-like)",
            TIAMClassifier,
            TIAMRegressor,
            {**FULL_BATCH, "inertia_schedule": "nesterov"},
        ),
    ]
}

#: The TIAM defaults, and the full-batch TIAM the inertia ablations vary.
TIAM_DEFAULT = "tiam-minibatch"
TIAM_FULL_BATCH = "tiam-full-batch"
#: Methods that train in batches: the only ones the largest sizes run.
MINI_BATCH_METHODS = ("mlp-adam", "mlp-sgd", TIAM_DEFAULT)
#: The method whose accuracy and fit time TIAM is measured against.
REFERENCE_SCORE_METHOD = "mlp-adam"
#: The method whose loss curve defines the loss target of each dataset and seed.
REFERENCE_LOSS_METHOD = "tiam-no-inertia"
