"""TIAMClassifier and TIAMRegressor: the scikit-learn surface of sktiam."""

from abc import ABC, abstractmethod
from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state, column_or_1d
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from ._activations import ACTIVATIONS, NON_MONOTONE_ACTIVATIONS, Activation
from ._backend import get_namespace, to_numpy
from ._losses import log_softmax, loss_for_target
from ._solver import TIAMConfig, TIAMSolver, forward


class BaseTIAM(BaseEstimator, ABC):
    """Base class for TIAM classification and regression.

    Warning: This class should not be used directly. Use the derived classes
    instead.
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(ACTIVATIONS) | set(NON_MONOTONE_ACTIVATIONS))],
        "negative_slope": [Interval(Real, 0, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "rho": [Interval(Real, 0, None, closed="neither")],
        "center_inertia": [Interval(Real, 0, 1, closed="left")],
        "gradient_inertia": [Interval(Real, 0, 1, closed="left")],
        "extrapolation_inertia": [Interval(Real, 0, 1, closed="left")],
        "monotone": ["boolean"],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "epsilon_decay": [Interval(Real, 0, 1, closed="right")],
        "epsilon_min": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
    }

    #: Maps the iteration index to ``(p1, p2, p3)``, replacing the three inertia
    #: parameters. Not a parameter: subclasses in the benchmarks set it for the
    #: Nesterov-type baseline. None keeps the inertia constant.
    _inertia_schedule = None

    @abstractmethod
    def __init__(
        self,
        hidden_layer_sizes,
        activation,
        *,
        negative_slope,
        alpha,
        rho,
        center_inertia,
        gradient_inertia,
        extrapolation_inertia,
        monotone,
        epsilon,
        epsilon_decay,
        epsilon_min,
        max_iter,
        tol,
        n_iter_no_change,
        early_stopping,
        validation_fraction,
        random_state,
        verbose,
        warm_start,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.negative_slope = negative_slope
        self.alpha = alpha
        self.rho = rho
        self.center_inertia = center_inertia
        self.gradient_inertia = gradient_inertia
        self.extrapolation_inertia = extrapolation_inertia
        self.monotone = monotone
        self.epsilon = epsilon
        self.epsilon_decay = epsilon_decay
        self.epsilon_min = epsilon_min
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start

    # -- subclass hooks --------------------------------------------------------

    @abstractmethod
    def _validate_input(self, X, y, reset: bool) -> tuple[Any, np.ndarray, str]:
        """Return validated ``X``, 2-D float targets and the target type."""

    @abstractmethod
    def _score_outputs(self, output: np.ndarray, y: np.ndarray, sample_weight) -> float:
        """Return the validation score of network outputs against encoded targets."""

    # -- fitting ---------------------------------------------------------------

    def _hidden_sizes(self) -> list[int]:
        sizes = self.hidden_layer_sizes
        if not hasattr(sizes, "__iter__"):
            sizes = [sizes]
        sizes = list(sizes)
        if any(not isinstance(s, Integral) or s < 1 for s in sizes):
            raise ValueError(
                "hidden_layer_sizes must contain positive integers only, got "
                f"{self.hidden_layer_sizes!r}."
            )
        return [int(s) for s in sizes]

    def _check_schedule(self) -> None:
        if self.epsilon_min > self.epsilon:
            raise ValueError(
                f"epsilon_min={self.epsilon_min} must not exceed "
                f"epsilon={self.epsilon}: the schedule only decreases epsilon."
            )

    def _initial_parameters(
        self, layer_units: list[int], dtype, random_state
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Glorot-uniform initialisation, as in MLPClassifier."""
        factor = 2.0 if self.activation == "logistic" else 6.0
        coefs, intercepts = [], []
        for fan_in, fan_out in zip(layer_units[:-1], layer_units[1:], strict=True):
            bound = np.sqrt(factor / (fan_in + fan_out))
            coefs.append(
                random_state.uniform(-bound, bound, (fan_in, fan_out)).astype(dtype)
            )
            intercepts.append(
                random_state.uniform(-bound, bound, fan_out).astype(dtype)
            )
        return coefs, intercepts

    def _fit(self, X, y, sample_weight=None):
        self._check_schedule()
        hidden_sizes = self._hidden_sizes()
        activation = Activation(self.activation, self.negative_slope)
        warm = self.warm_start and hasattr(self, "coefs_")
        X, targets, target_type = self._validate_input(X, y, reset=not warm)
        dtype = X.dtype
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=dtype, ensure_non_negative=True
        )
        if not np.any(sample_weight > 0):
            raise ValueError(
                "Sample weights must contain at least one non-zero number."
            )
        # A sample of weight 0 contributes nothing to F: training without it is
        # exactly training with it.
        keep = sample_weight > 0
        if not np.all(keep):
            X, targets, sample_weight = X[keep], targets[keep], sample_weight[keep]
        self._check_weighted_targets(targets)

        random_state = check_random_state(self.random_state)
        validation = None
        if self.early_stopping:
            X, targets, sample_weight, validation = self._split_validation(
                X, targets, sample_weight, target_type, random_state
            )

        n_outputs = targets.shape[1]
        layer_units = [X.shape[1], *hidden_sizes, n_outputs]
        if warm:
            self._check_warm_start(layer_units)
            coefs = [c.astype(dtype) for c in self.coefs_]
            intercepts = [b.astype(dtype) for b in self.intercepts_]
        else:
            coefs, intercepts = self._initial_parameters(
                layer_units, dtype, random_state
            )

        xp = get_namespace("cpu")
        loss = loss_for_target(target_type)
        finfo = np.finfo(dtype)
        config = TIAMConfig(
            activation=activation,
            loss=loss,
            rho=float(self.rho),
            alpha=float(self.alpha),
            inertia=(
                float(self.center_inertia),
                float(self.gradient_inertia),
                float(self.extrapolation_inertia),
            ),
            monotone=bool(self.monotone),
            epsilon=float(self.epsilon),
            epsilon_decay=float(self.epsilon_decay),
            epsilon_min=float(self.epsilon_min),
            newton_tol=float(1e-2 * np.sqrt(finfo.eps)),
            inertia_schedule=self._inertia_schedule,
        )
        solver = TIAMSolver(
            xp,
            config,
            X,
            xp.asarray(targets, dtype=dtype),
            xp.asarray(sample_weight, dtype=dtype),
            [xp.asarray(c) for c in coefs],
            [xp.asarray(b) for b in intercepts],
        )
        score = None
        if validation is not None:
            X_val, y_val, weight_val = validation

            def score(coefs, intercepts):
                output = forward(xp, activation, coefs, intercepts, X_val)
                return self._score_outputs(loss.output(xp, output), y_val, weight_val)

        result = solver.solve(
            self.max_iter, self.tol, self.n_iter_no_change, score, bool(self.verbose)
        )

        self.coefs_ = [to_numpy(c) for c in result.coefs]
        self.intercepts_ = [to_numpy(b) for b in result.intercepts]
        self.n_iter_ = result.n_iter
        self.loss_curve_ = result.loss_curve
        self.objective_curve_ = result.objective_curve
        self.diagnostics_ = result.diagnostics
        self.loss_ = result.loss_curve[-1] if result.loss_curve else np.nan
        self.best_loss_ = result.best_loss
        self.validation_scores_ = result.validation_scores
        self.best_validation_score_ = result.best_validation_score
        self.n_layers_ = len(layer_units)
        self.n_outputs_ = n_outputs
        self.out_activation_ = loss.out_activation
        return self

    def _check_weighted_targets(self, targets: np.ndarray) -> None:
        """Check the targets left after dropping zero weights; regression needs none."""

    def _split_validation(self, X, targets, sample_weight, target_type, random_state):
        n_validation = int(np.ceil(self.validation_fraction * X.shape[0]))
        if n_validation < 2 or X.shape[0] - n_validation < 1:
            raise ValueError(
                f"validation_fraction={self.validation_fraction} leaves "
                f"{n_validation} validation samples out of {X.shape[0]}; "
                "early stopping needs at least 2. Raise validation_fraction, "
                "or set early_stopping=False."
            )
        stratify = None
        if target_type in ("binary", "multiclass"):
            stratify = (
                np.argmax(targets, axis=1) if targets.shape[1] > 1 else targets[:, 0]
            )
        X, X_val, targets, y_val, sample_weight, weight_val = train_test_split(
            X,
            targets,
            sample_weight,
            random_state=random_state,
            test_size=self.validation_fraction,
            stratify=stratify,
        )
        return X, targets, sample_weight, (X_val, y_val, weight_val)

    def _check_warm_start(self, layer_units: list[int]) -> None:
        fitted = [self.coefs_[0].shape[0]] + [c.shape[1] for c in self.coefs_]
        if fitted != layer_units:
            raise ValueError(
                "warm_start=True needs the network of the previous fit: it had "
                f"layer sizes {fitted}, this fit asks for {layer_units}. Change "
                "hidden_layer_sizes back, or set warm_start=False."
            )

    # -- prediction ------------------------------------------------------------

    def _forward_output(self, X) -> np.ndarray:
        """Return the output pre-activations of the forward network for ``X``."""
        check_is_fitted(self)
        X = validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            dtype=(np.float64, np.float32),
            reset=False,
        )
        xp = get_namespace("cpu")
        activation = Activation(self.activation, self.negative_slope)
        coefs = [xp.asarray(c, dtype=X.dtype) for c in self.coefs_]
        intercepts = [xp.asarray(b, dtype=X.dtype) for b in self.intercepts_]
        return to_numpy(forward(xp, activation, coefs, intercepts, X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


_PARAMETERS_DOC = """
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100, 100)
        The ith element is the number of neurons in the ith hidden layer.

    activation : {"relu", "leaky_relu", "elu", "softplus", "tanh", "logistic", \
"identity"}, default="relu"
        Hidden-layer activation. Any monotone activation works through its
        interval preimage; non-monotone names ("gelu", "silu", ...) are
        rejected with a ValueError.

    negative_slope : float, default=0.01
        Slope of ``leaky_relu`` for negative inputs.

    alpha : float, default=1e-3
        L2 penalty ``(alpha / 2) sum ||W_l||^2``. The data terms are means over
        the samples, so ``alpha`` does not scale with ``n_samples``; it equals
        MLPClassifier's ``alpha`` divided by ``n_samples``.

    rho : float, default=0.1
        Penalty on the relaxed linear constraints ``Z_l = A_{l-1} W_l + b_l``.
        Smaller values let the auxiliary variables move further per
        iteration; larger values keep the relaxed network closer to the real
        one.

    center_inertia : float in [0, 1), default=0.8
        First inertia ``p1``: the step is centred at ``u^k + p1 (u^k - u^{k-1})``.

    gradient_inertia : float in [0, 1), default=0.8
        Second inertia ``p2``: the gradient is taken at
        ``u^k + p2 (u^k - u^{k-1})``.

    extrapolation_inertia : float in [0, 1), default=0.0
        Third inertia ``p3``: the result is extrapolated to
        ``u+ + p3 (u+ - u^k)``, then projected back onto the block's set.

    monotone : bool, default=True
        Safeguard: a block whose inertial update raises the relaxed objective
        F is redone without inertia. F then never increases within an
        iteration, nor across iterations while epsilon stays fixed.

    epsilon : float, default=100.0
        Initial half-width of the box ``|A_l - sigma(Z_l)| <= epsilon``.

    epsilon_decay : float in (0, 1], default=0.5
        Factor applied to epsilon after each iteration. The hidden layers
        learn from the layers above while epsilon shrinks, so the schedule
        matters: see ``docs/algorithm.md``.

    epsilon_min : float, default=0.03
        Smallest epsilon of the schedule.

    max_iter : int, default=200
        Maximum number of TIAM iterations (sweeps over all blocks).

    tol : float, default=1e-4
        Tolerance for the optimisation. When the training loss or the
        validation score does not improve by at least ``tol`` for
        ``n_iter_no_change`` consecutive iterations, training stops. Only
        iterations at ``epsilon_min`` count.

    n_iter_no_change : int, default=10
        Number of iterations without improvement before stopping.

    early_stopping : bool, default=False
        Whether to hold out ``validation_fraction`` of the training data and
        stop when its score stops improving. The parameters of the best
        validation score are kept.

    validation_fraction : float in (0, 1), default=0.1
        Fraction of the training data held out for early stopping.

    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation and the validation split.

    verbose : bool, default=False
        Whether to print one line per iteration: the loss, the objective F
        and epsilon.

    warm_start : bool, default=False
        Whether to start from the previous fit's weights. The network's
        layer sizes and classes must not change between fits. Each fit
        rebuilds the auxiliary variables by a forward pass and restarts the
        epsilon schedule; ``n_iter_`` and the curves describe the last fit.
"""

_ATTRIBUTES_DOC = """
    coefs_ : list of ndarray of shape (n_units_in, n_units_out)
        Weights ``W_l`` of each layer.

    intercepts_ : list of ndarray of shape (n_units_out,)
        Biases ``b_l`` of each layer.

    n_iter_ : int
        Number of iterations run.

    loss_ : float
        Training loss of the forward network after the last iteration.

    loss_curve_ : list of float
        Training loss of the forward network, with the L2 term, after each
        iteration: the quantity MLPClassifier reports.

    objective_curve_ : list of float
        The relaxed objective F after each iteration.

    best_loss_ : float or None
        Smallest training loss reached; None with early stopping.

    validation_scores_ : list of float or None
        Score on the held-out data after each iteration, with early stopping.

    best_validation_score_ : float or None
        Best validation score, with early stopping.

    diagnostics_ : dict of list
        Per-iteration record: ``epsilon``, ``max_violation`` (the largest
        ``|A_l - sigma(Z_l)|``), ``coupling_residual`` (per layer,
        ``sqrt(sum_i s_i ||Z_l,i - A_{l-1},i W_l - b_l||^2)``),
        ``weight_step_sizes`` and ``activation_step_sizes`` (the accepted
        ``tau`` per block, in the sample metric), ``backtracking_trials``,
        ``restarts`` (blocks redone by the safeguard), ``failed_steps``,
        and ``newton_iterations`` of the output prox.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when X has string column names.

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of outputs.

    out_activation_ : str
        Output activation: "softmax", "logistic" or "identity".
"""


class TIAMClassifier(ClassifierMixin, BaseTIAM):
    """Multilayer perceptron classifier trained by TIAM.

    TIAM (triple-inertial accelerated alternating minimisation) trains the
    network without backpropagation: it relaxes the layer equations, then
    sweeps over blocks of weights, biases, pre-activations and activations,
    solving each small subproblem with a triple-inertial prox-linear step.
    The loss is the cross-entropy: softmax for multiclass targets, logistic
    for binary and multilabel ones.

    Parameters
    ----------
    {parameters}
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels; for multilabel targets, the label indices.
    {attributes}
    See Also
    --------
    TIAMRegressor : The same network and solver for regression.
    sklearn.neural_network.MLPClassifier : A multilayer perceptron trained by
        backpropagation.

    References
    ----------
    C. Yan, J. Xu, Q. Wang, Z. Peng, "A Triple-Inertial Accelerated Alternating
    Optimization Method for Deep Learning Training", Neurocomputing, 2025.
    arXiv:2503.08489.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sktiam import TIAMClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(
    ...     X, y, stratify=y, random_state=0)
    >>> model = make_pipeline(StandardScaler(), TIAMClassifier(random_state=0))
    >>> model.fit(X_train, y_train).score(X_test, y_test) > 0.9
    True
    """

    def __init__(
        self,
        hidden_layer_sizes=(100, 100),
        activation="relu",
        *,
        negative_slope=0.01,
        alpha=1e-3,
        rho=0.1,
        center_inertia=0.8,
        gradient_inertia=0.8,
        extrapolation_inertia=0.0,
        monotone=True,
        epsilon=100.0,
        epsilon_decay=0.5,
        epsilon_min=0.03,
        max_iter=200,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        random_state=None,
        verbose=False,
        warm_start=False,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            negative_slope=negative_slope,
            alpha=alpha,
            rho=rho,
            center_inertia=center_inertia,
            gradient_inertia=gradient_inertia,
            extrapolation_inertia=extrapolation_inertia,
            monotone=monotone,
            epsilon=epsilon,
            epsilon_decay=epsilon_decay,
            epsilon_min=epsilon_min,
            max_iter=max_iter,
            tol=tol,
            n_iter_no_change=n_iter_no_change,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            random_state=random_state,
            verbose=verbose,
            warm_start=warm_start,
        )

    def _validate_input(self, X, y, reset):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        target_type = type_of_target(y)
        if target_type == "multiclass-multioutput":
            raise ValueError(
                "TIAMClassifier does not support multiclass-multioutput targets "
                "(several columns with more than two classes each). Fit one "
                "classifier per column, or use a multilabel indicator matrix."
            )
        if reset or not hasattr(self, "classes_"):
            binarizer = LabelBinarizer().fit(y)
            if len(binarizer.classes_) < 2:
                raise ValueError(
                    "TIAMClassifier needs samples of at least 2 classes; the "
                    f"data contain 1 class: {binarizer.classes_[0]!r}."
                )
            self._label_binarizer = binarizer
            self.classes_ = binarizer.classes_
        else:
            classes = np.unique(y) if target_type != "multilabel-indicator" else None
            if classes is not None and (
                len(classes) != len(self.classes_)
                or not np.all(np.isin(classes, self.classes_))
            ):
                raise ValueError(
                    "warm_start=True needs the classes of the previous fit "
                    f"{list(self.classes_)}; y has classes {list(classes)}."
                )
        if self._label_binarizer.y_type_ == "multilabel-indicator":
            target_type = "multilabel-indicator"
        targets = self._label_binarizer.transform(y).astype(X.dtype)
        return X, targets, target_type

    def _check_weighted_targets(self, targets):
        """Reject targets that, after dropping zero weights, hold a single class."""
        if targets.shape[1] == 1:
            present = np.unique(targets[:, 0]).size
        elif self._label_binarizer.y_type_ == "multilabel-indicator":
            return
        else:
            present = int(np.sum(np.any(targets > 0, axis=0)))
        if present < 2:
            raise ValueError(
                "TIAMClassifier needs samples of at least 2 classes with "
                "positive sample_weight; only 1 class is left."
            )

    def _score_outputs(self, output, y, sample_weight):
        if output.shape[1] == 1:
            predicted, truth = output[:, 0] > 0.5, y[:, 0] > 0.5
        elif self._label_binarizer.y_type_ == "multilabel-indicator":
            predicted, truth = output > 0.5, y > 0.5
        else:
            predicted, truth = np.argmax(output, axis=1), np.argmax(y, axis=1)
        return accuracy_score(truth, predicted, sample_weight=sample_weight)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to data X and target(s) y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data. Sparse CSR and CSC matrices are used as they are.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels, or a multilabel indicator matrix.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights. A weight of ``k`` counts as ``k``
            copies of the sample.

        Returns
        -------
        self : object
            The fitted model.
        """
        return self._fit(X, y, sample_weight)

    def _probabilities(self, X) -> np.ndarray:
        output = self._forward_output(X)
        return np.asarray(loss_for_target(self._target_type()).output(np, output))

    def _target_type(self) -> str:
        if self._label_binarizer.y_type_ == "multilabel-indicator":
            return "multilabel-indicator"
        return "binary" if len(self.classes_) == 2 else "multiclass"

    def predict(self, X):
        """Predict using the multilayer perceptron classifier.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The predicted classes.
        """
        probabilities = self._probabilities(X)
        return self._label_binarizer.inverse_transform(probabilities)

    def predict_proba(self, X):
        """Probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y_prob : ndarray of shape (n_samples, n_classes)
            The probability of each class, in the order of ``classes_``. For
            multilabel targets, the probability of each label.
        """
        probabilities = self._probabilities(X)
        if self._target_type() == "binary":
            return np.hstack([1.0 - probabilities, probabilities])
        return probabilities

    def predict_log_proba(self, X):
        """Logarithm of the probability estimates, computed without underflow.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_y_prob : ndarray of shape (n_samples, n_classes)
            The log-probability of each class, in the order of ``classes_``.
        """
        output = self._forward_output(X)
        if self._target_type() == "multiclass":
            return log_softmax(np, output)
        log_p = -np.logaddexp(0.0, -output)
        if self._target_type() == "binary":
            return np.hstack([-np.logaddexp(0.0, output), log_p])
        return log_p

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class TIAMRegressor(RegressorMixin, BaseTIAM):
    """Multilayer perceptron regressor trained by TIAM.

    The network, the relaxation and the solver are those of
    :class:`TIAMClassifier`; the loss is half the squared error, whose
    output prox has a closed form.

    Parameters
    ----------
    {parameters}
    Attributes
    ----------
    {attributes}
    See Also
    --------
    TIAMClassifier : The same network and solver for classification.
    sklearn.neural_network.MLPRegressor : A multilayer perceptron trained by
        backpropagation.

    References
    ----------
    C. Yan, J. Xu, Q. Wang, Z. Peng, "A Triple-Inertial Accelerated Alternating
    Optimization Method for Deep Learning Training", Neurocomputing, 2025.
    arXiv:2503.08489.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sktiam import TIAMRegressor
    >>> X, y = make_regression(n_samples=200, n_features=5, noise=10.0, random_state=0)
    >>> model = TIAMRegressor(random_state=0).fit(X, y)
    >>> model.predict(X[:3]).shape
    (3,)
    >>> model.score(X, y) > 0.9
    True
    """

    def __init__(
        self,
        hidden_layer_sizes=(100, 100),
        activation="relu",
        *,
        negative_slope=0.01,
        alpha=1e-3,
        rho=0.1,
        center_inertia=0.8,
        gradient_inertia=0.8,
        extrapolation_inertia=0.0,
        monotone=True,
        epsilon=100.0,
        epsilon_decay=0.5,
        epsilon_min=0.03,
        max_iter=200,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        random_state=None,
        verbose=False,
        warm_start=False,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            negative_slope=negative_slope,
            alpha=alpha,
            rho=rho,
            center_inertia=center_inertia,
            gradient_inertia=gradient_inertia,
            extrapolation_inertia=extrapolation_inertia,
            monotone=monotone,
            epsilon=epsilon,
            epsilon_decay=epsilon_decay,
            epsilon_min=epsilon_min,
            max_iter=max_iter,
            tol=tol,
            n_iter_no_change=n_iter_no_change,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            random_state=random_state,
            verbose=verbose,
            warm_start=warm_start,
        )

    def _validate_input(self, X, y, reset):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            y_numeric=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        targets = np.asarray(y, dtype=X.dtype).reshape(y.shape[0], -1)
        return X, targets, "continuous"

    def _score_outputs(self, output, y, sample_weight):
        return r2_score(y, output, sample_weight=sample_weight)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to data X and target(s) y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data. Sparse CSR and CSC matrices are used as they are.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights. A weight of ``k`` counts as ``k``
            copies of the sample.

        Returns
        -------
        self : object
            The fitted model.
        """
        return self._fit(X, y, sample_weight)

    def predict(self, X):
        """Predict using the multilayer perceptron regressor.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values.
        """
        output = self._forward_output(X)
        if self.n_outputs_ == 1:
            return output[:, 0]
        return output

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


for _estimator in (TIAMClassifier, TIAMRegressor):
    _estimator.__doc__ = _estimator.__doc__.format(
        parameters=_PARAMETERS_DOC.lstrip("\n"), attributes=_ATTRIBUTES_DOC.lstrip("\n")
    )
