"""TIAMClassifier and TIAMRegressor: the scikit-learn surface of sktiam."""

import math
import sys
import warnings
from abc import ABC, abstractmethod
from numbers import Integral, Real
from typing import Any

import array_api_compat
import numpy as np
import scipy.sparse
from sklearn import get_config
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import assert_all_finite, check_random_state, column_or_1d
from sklearn.utils._param_validation import (
    Hidden,
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
)
from sklearn.utils.multiclass import (
    _check_partial_fit_first_call,
    check_classification_targets,
    type_of_target,
)
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_consistent_length,
    check_is_fitted,
    validate_data,
)

from ._activations import ACTIVATIONS, NON_MONOTONE_ACTIVATIONS, Activation, logistic
from ._backend import (
    DEVICES,
    NUMPY,
    Backend,
    array_backend,
    backend_for_device,
    input_backend,
    same_place,
    to_numpy,
)
from ._losses import log_softmax, loss_for_target
from ._memory import check_memory
from ._minibatch import ACTIVATION_STEPS, WEIGHT_STEPS
from ._relaxations import RELAXATIONS, BoxRelaxation, PenaltyRelaxation
from ._solver import (
    INERTIA_SCHEDULES,
    TIAMConfig,
    TIAMSolver,
    extend_records,
    forward,
)


class BaseTIAM(BaseEstimator, ABC):
    """Base class for TIAM classification and regression.

    Warning: This class should not be used directly. Use the derived classes
    instead.
    """

    #: ``alpha="auto"``'s value where the rows are few (:func:`auto_alpha`).
    _auto_alpha_ceiling: float
    #: Whether ``y`` may be a SciPy sparse multilabel indicator matrix.
    _sparse_multilabel: bool = False

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        # The non-monotone ones pass here, to be refused by name in _fit,
        # and are left out of the list that an unknown name is shown.
        "activation": [
            StrOptions(set(ACTIVATIONS)),
            Hidden(StrOptions(set(NON_MONOTONE_ACTIVATIONS))),
        ],
        "negative_slope": [Interval(Real, 0, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})],
        "output_alpha_factor": [Interval(Real, 0, None, closed="left")],
        "rho": [Interval(Real, 0, None, closed="neither")],
        "relaxation": [StrOptions(set(RELAXATIONS))],
        "activation_penalty": [Interval(Real, 0, None, closed="neither")],
        "penalty_growth": [Interval(Real, 1, None, closed="left")],
        "max_penalty_growth": [Interval(Real, 1, None, closed="left")],
        "center_inertia": [Interval(Real, 0, 1, closed="left")],
        "gradient_inertia": [Interval(Real, 0, 1, closed="left")],
        "extrapolation_inertia": [Interval(Real, 0, 1, closed="left")],
        "inertia_schedule": [StrOptions(set(INERTIA_SCHEDULES))],
        "activation_step": [StrOptions(set(ACTIVATION_STEPS))],
        "weight_step": [StrOptions({*WEIGHT_STEPS, "auto"})],
        "batch_rounds": [Interval(Integral, 1, None, closed="left")],
        "monotone": ["boolean"],
        "box_epsilon": [Interval(Real, 0, None, closed="neither")],
        "box_epsilon_decay": [Interval(Real, 0, 1, closed="right")],
        "box_epsilon_min": [Interval(Real, 0, None, closed="neither")],
        "box_epsilon_cycle": [Interval(Integral, 1, None, closed="left"), None],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
            None,
        ],
        "shuffle": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        # np.inf, as for MLPClassifier: never stop for lack of improvement.
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "early_stopping": ["boolean"],
        # MLPClassifier's [0, 1): 0 is refused by name with early stopping.
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "device": [StrOptions(set(DEVICES))],
    }

    @abstractmethod
    def __init__(
        self,
        hidden_layer_sizes,
        activation,
        *,
        negative_slope,
        alpha,
        output_alpha_factor,
        rho,
        relaxation,
        activation_penalty,
        penalty_growth,
        max_penalty_growth,
        center_inertia,
        gradient_inertia,
        extrapolation_inertia,
        inertia_schedule,
        activation_step,
        weight_step,
        batch_rounds,
        monotone,
        box_epsilon,
        box_epsilon_decay,
        box_epsilon_min,
        box_epsilon_cycle,
        batch_size,
        shuffle,
        max_iter,
        tol,
        n_iter_no_change,
        early_stopping,
        validation_fraction,
        random_state,
        verbose,
        warm_start,
        device,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.negative_slope = negative_slope
        self.alpha = alpha
        self.output_alpha_factor = output_alpha_factor
        self.rho = rho
        self.relaxation = relaxation
        self.activation_penalty = activation_penalty
        self.penalty_growth = penalty_growth
        self.max_penalty_growth = max_penalty_growth
        self.center_inertia = center_inertia
        self.gradient_inertia = gradient_inertia
        self.extrapolation_inertia = extrapolation_inertia
        self.inertia_schedule = inertia_schedule
        self.activation_step = activation_step
        self.weight_step = weight_step
        self.batch_rounds = batch_rounds
        self.monotone = monotone
        self.box_epsilon = box_epsilon
        self.box_epsilon_decay = box_epsilon_decay
        self.box_epsilon_min = box_epsilon_min
        self.box_epsilon_cycle = box_epsilon_cycle
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.device = device

    # -- subclass hooks --------------------------------------------------------

    @abstractmethod
    def _encode_targets(
        self, y: np.ndarray, dtype: np.dtype, reset: bool, incremental: bool
    ) -> np.ndarray:
        """Return the 2-D float targets on the host.

        ``reset`` learns the labels from ``y``; otherwise ``y`` must agree
        with the labels already known, exactly after a warm start, as a
        subset in ``partial_fit`` (``incremental``).
        """

    @abstractmethod
    def _target_type(self) -> str:
        """Return the target type the output loss is chosen by."""

    @abstractmethod
    def _score_outputs(self, output: np.ndarray, y: np.ndarray, sample_weight) -> float:
        """Return the validation score of network outputs against encoded targets."""

    # -- input -----------------------------------------------------------------

    def _validate_input(
        self, X, y, first_pass: bool, incremental: bool, source: Backend | None
    ) -> tuple[Any, np.ndarray]:
        """Return validated ``X`` and the 2-D float targets on the host.

        ``X`` stays in its namespace (``source``) or, for NumPy-like input, is
        a NumPy array or a CSR/CSC matrix. ``y`` is small and always goes to
        the host, where the labels are encoded. A first pass learns the
        features and, unless ``partial_fit`` was given ``classes``, the labels.
        """
        if X is None:
            raise ValueError(
                f"{type(self).__name__}.fit needs training data X, a 2-D array of "
                "shape (n_samples, n_features); got None."
            )
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None."
            )
        # A warm start or partial_fit continues in the dtype of the model,
        # as the parameters of MLPClassifier's stochastic solvers keep theirs.
        dtype = None if first_pass else _host_dtype(self.coefs_[0])
        X = _validate_X(self, X, source, first_pass, dtype=dtype)
        y = check_array(
            _host(y),
            accept_sparse=["csr", "csc"] if self._sparse_multilabel else False,
            ensure_2d=False,
            dtype=None,
            input_name="y",
            estimator=self,
        )
        if scipy.sparse.issparse(y) and not _is_sparse_multilabel(y):
            raise TypeError(
                "A sparse y is accepted only as a multilabel indicator matrix "
                "(two or more columns of 0 and 1); this y is "
                f"{type_of_target(y.toarray())}. Pass y.toarray() instead."
            )
        check_consistent_length(X, y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        targets = self._encode_targets(
            y, _host_dtype(X), first_pass and not incremental, incremental
        )
        return X, targets

    # -- fitting ---------------------------------------------------------------
    def _hidden_sizes(self) -> list[int]:
        sizes = self.hidden_layer_sizes
        if not hasattr(sizes, "__iter__"):
            sizes = [sizes]
        sizes = list(sizes)
        # A bool is an Integral, but (True,) is no layer size a user meant.
        if any(
            not isinstance(s, Integral) or isinstance(s, bool) or s < 1 for s in sizes
        ):
            raise InvalidParameterError(
                "hidden_layer_sizes must contain positive integers only, got "
                f"{self.hidden_layer_sizes!r}."
            )
        return [int(s) for s in sizes]

    def _check_parameters(self) -> None:
        """Check what the declared constraints cannot: names and combinations."""
        if self.activation in NON_MONOTONE_ACTIVATIONS:
            raise InvalidParameterError(
                f"activation={self.activation!r} is not monotone, so TIAM's "
                "pre-activation step has no interval preimage to project onto. "
                f"Use one of {sorted(ACTIVATIONS)}."
            )
        if self.relaxation == "box" and self.box_epsilon_min > self.box_epsilon:
            raise InvalidParameterError(
                f"box_epsilon_min={self.box_epsilon_min} must not exceed "
                f"box_epsilon={self.box_epsilon}: the box relaxation's schedule "
                "only shrinks the half-width of its box |A - sigma(Z)| <= epsilon."
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

    def _fit(self, X, y, sample_weight=None, incremental=False):
        """Validate, initialise, run the solver and store: fit and partial_fit.

        ``incremental=True`` is one pass of ``partial_fit``: it starts from
        the fitted weights and the solver state of the last call, runs one
        epoch without a stopping rule, and appends to the curves.
        """
        self._check_parameters()
        hidden_sizes = self._hidden_sizes()
        activation = Activation(self.activation, self.negative_slope)
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True.")
        first_pass = not hasattr(self, "coefs_") or (
            not self.warm_start and not incremental
        )
        kept = getattr(self, "_solver_state", None) if incremental else None
        if kept is not None and kept.relaxation.name != self.relaxation:
            raise ValueError(
                "partial_fit continues the relaxation of the previous call, "
                f"relaxation={kept.relaxation.name!r}; relaxation is now "
                f"{self.relaxation!r}. Call fit to train with another relaxation."
            )
        # Array API input under dispatch is computed on where it lives; other
        # input follows the device parameter, resolved first so that a missing
        # GPU is reported before any work.
        source = input_backend(X)
        backend = source if source is not None else backend_for_device(self.device)
        X, targets = self._validate_input(
            X, y, first_pass=first_pass, incremental=incremental, source=source
        )
        if first_pass:
            _warn_on_unscaled(X)
        target_type = self._target_type()
        dtype = _host_dtype(X)
        if sample_weight is not None:
            sample_weight = _host(sample_weight)
            _check_weight_range(sample_weight, dtype)
        sample_weight = _check_sample_weight(
            sample_weight,
            np.empty((X.shape[0], 0), dtype=dtype),
            dtype=dtype,
            ensure_non_negative=True,
        )
        if not np.any(sample_weight > 0):
            raise ValueError(
                "Sample weights must contain at least one non-zero number."
            )
        # The weights are divided by their sum, which must not overflow.
        if np.max(sample_weight) > np.finfo(dtype).max / sample_weight.size:
            raise ValueError(
                "sample_weight sums to infinity; divide the weights by a "
                "constant. The data terms use only their ratios, but alpha "
                "counts a weight of k as k rows, as MLPClassifier's does: "
                "scale alpha with them to keep the same penalty."
            )
        batch_size = self._batch_size(X.shape[0], incremental)
        # Before the first copy of the data: the state of the full data set
        # bounds that of what remains after the steps below.
        layer_units = [X.shape[1], *hidden_sizes, targets.shape[1]]
        check_memory(
            backend,
            n_samples=X.shape[0],
            layer_units=layer_units,
            itemsize=dtype.itemsize,
            inputs_copied=source is None and not backend.is_numpy,
            batch_size=batch_size,
            rounds=self.batch_rounds,
            # "auto" as the full data set resolves it: a validation split
            # can only turn the proximal step into the smaller prox-linear.
            weight_step=self._weight_step(sample_weight, layer_units),
            activation_step=self.activation_step,
        )
        # A sample of weight 0 contributes nothing to F: training without it is
        # exactly training with it.
        keep = sample_weight > 0
        if not np.all(keep):
            rows = np.flatnonzero(keep)
            X = _take_rows(X, rows, source)
            targets, sample_weight = targets[rows], sample_weight[rows]
        # Rows of one class only are trained on, as by MLPClassifier: the
        # network learns to predict that class among those of classes_.

        # One random stream: the validation split, the initial weights, then
        # the order of the rows in each epoch.
        random_state = check_random_state(self.random_state)
        validation = None
        if self.early_stopping:
            X, targets, sample_weight, validation = self._split_validation(
                X, targets, sample_weight, target_type, random_state, source
            )
        if first_pass:
            coefs, intercepts = self._initial_parameters(
                layer_units, dtype, random_state
            )
        else:
            self._check_network(layer_units, incremental)
            coefs = [to_numpy(c).astype(dtype) for c in self.coefs_]
            intercepts = [to_numpy(b).astype(dtype) for b in self.intercepts_]

        xp = backend.xp
        loss = loss_for_target(target_type)
        # alpha is MLPClassifier's: divided by the summed sample weight of a
        # batch (all rows in full batch), since the data terms are weighted
        # means over those rows. A batch's expected weight is its rows times
        # the mean weight, so that a weight of k stays k copies of a row.
        batch_rows = X.shape[0] if batch_size is None else min(batch_size, X.shape[0])
        batch_weight = batch_rows * float(np.mean(sample_weight))
        # "auto" counts rows as the weights do: a weight of k is k rows.
        alpha = (
            auto_alpha(
                float(np.sum(sample_weight)),
                layer_units[0] * layer_units[1],
                self._auto_alpha_ceiling,
            )
            if self.alpha == "auto"
            else float(self.alpha)
        )
        _check_penalty(alpha, self.output_alpha_factor, batch_rows, batch_weight, dtype)
        self.alpha_ = alpha
        # Full batch always takes the paper's step, whatever weight_step says.
        self.weight_step_ = (
            "prox-linear"
            if batch_size is None
            else self._weight_step(sample_weight, layer_units)
        )
        solver = TIAMSolver(xp, self._config(activation, loss, dtype, batch_weight))
        if incremental and hasattr(self, "_solver_state"):
            # Through the host, so that the state takes this call's dtype
            # (float32 input trains in float32) in any namespace.
            state = self._solver_state.moved(
                lambda a: backend.asarray(to_numpy(a).astype(dtype, copy=False))
            )
        else:
            state = solver.initial_state(
                [backend.asarray(c) for c in coefs],
                [backend.asarray(b) for b in intercepts],
            )
        score = None
        if validation is not None:
            X_val, y_val, weight_val = validation
            X_val = backend.asarray(X_val)

            def score(coefs, intercepts):
                output = forward(xp, activation, coefs, intercepts, X_val)
                return self._score_outputs(
                    to_numpy(loss.output(xp, output)), y_val, weight_val
                )

        # An overflow shows as a non-finite iterate or step size, which the
        # solver detects and reports with a ConvergenceWarning that says what
        # to change; NumPy's own floating-point warnings would only repeat it.
        max_iter = 1 if incremental else self.max_iter
        bar = _progress_bar(self.verbose, max_iter)
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                # The one move of the training data to the device.
                result = solver.solve(
                    state,
                    backend.asarray(X),
                    backend.asarray(targets),
                    backend.asarray(sample_weight),
                    max_iter,
                    self.tol,
                    self.n_iter_no_change,
                    score,
                    verbose=bool(self.verbose) and bar is None,
                    progress=bar,
                    batch_size=batch_size,
                    shuffle=self.shuffle,
                    random_state=random_state,
                    incremental=incremental,
                    warm=not first_pass,
                )
        finally:
            if bar is not None:
                bar.close()
        self._store(result, first_pass, source, solver)
        self.n_layers_ = len(layer_units)
        self.n_outputs_ = targets.shape[1]
        self.out_activation_ = loss.out_activation
        return self

    def _config(
        self, activation: Activation, loss: Any, dtype: np.dtype, rows: float
    ) -> TIAMConfig:
        """Return the solver's configuration from the parameters.

        ``rows`` is the summed sample weight of a batch (of all training rows
        in full batch): the solver's weight decay is ``alpha / rows``, so that
        ``alpha`` means what it means for MLPClassifier, and the output
        layer's ``alpha * output_alpha_factor / rows``.
        """
        return TIAMConfig(
            activation=activation,
            loss=loss,
            alpha=self.alpha_ / rows,
            output_alpha=self.alpha_ * self.output_alpha_factor / rows,
            inertia=(
                float(self.center_inertia),
                float(self.gradient_inertia),
                float(self.extrapolation_inertia),
            ),
            monotone=bool(self.monotone),
            newton_tol=float(1e-2 * np.sqrt(np.finfo(dtype).eps)),
            relaxation=self._relaxation(),
            inertia_schedule=self.inertia_schedule,
            activation_step=self.activation_step,
            weight_step=self.weight_step_,
            rounds=self.batch_rounds,
        )

    def _weight_step(self, sample_weight: np.ndarray, layer_units: list[int]) -> str:
        """Return the W step of these rows: ``weight_step``, resolved if ``"auto"``.

        ``"auto"`` counts rows as ``alpha="auto"`` does: a weight of k is k
        rows (:func:`auto_weight_step`).
        """
        if self.weight_step != "auto":
            return self.weight_step
        return auto_weight_step(
            float(np.sum(sample_weight)), layer_units[0] * layer_units[1]
        )

    def _batch_size(self, n_samples: int, incremental: bool) -> int | None:
        """Return the batch size of this fit: an int, or None for full batch.

        ``"auto"`` is ``min(200, n_samples)`` for the penalty relaxation, as
        in MLPClassifier. The box relaxation trains full-batch only: for it
        ``"auto"`` and the default mean full batch, and any other integer is
        an error that says to pass ``batch_size=None``. An integer above
        ``n_samples`` is clipped to it, with a warning unless it is the
        default. ``partial_fit`` always works in batches: with
        ``batch_size=None`` its data form one batch.
        """
        size = self.batch_size
        if self.relaxation == "box":
            if incremental:
                raise ValueError(
                    "partial_fit needs relaxation='penalty': the box relaxation "
                    "trains full-batch only, with fit and batch_size=None."
                )
            if size not in ("auto", None, DEFAULT_BATCH_SIZE):
                raise ValueError(
                    f"relaxation='box' trains full-batch only, and got "
                    f"batch_size={size!r}: pass batch_size=None with the box "
                    "(mini-batches are for the penalty relaxation)."
                )
            return None
        if size is None:
            return n_samples if incremental else None
        if size == "auto":
            return min(200, n_samples)
        # The default is clipped silently, as "auto" is: only a size the user
        # chose above the data is worth a word.
        if size > n_samples and size != DEFAULT_BATCH_SIZE:
            warnings.warn(
                f"Got batch_size={size}, larger than the {n_samples} samples; "
                "it is clipped to the number of samples.",
                UserWarning,
                stacklevel=5,
            )
        return min(int(size), n_samples)

    def _store(
        self, result: Any, first_pass: bool, source: Backend | None, solver: Any
    ) -> None:
        """Keep the solve's parameters, records and state on the estimator.

        The per-iteration records append across warm-started fits and
        ``partial_fit`` calls, as MLPClassifier's ``loss_curve_`` does;
        ``n_iter_`` counts the iterations of the last call and ``t_`` every
        sample seen.
        """
        # Array API input keeps the model in its namespace, as scikit-learn
        # does; everything else gets NumPy arrays, which pickle and predict
        # anywhere, whatever the device.
        keep_place = source.asarray if source is not None else to_numpy
        self.coefs_ = [keep_place(c) for c in result.coefs]
        self.intercepts_ = [keep_place(b) for b in result.intercepts]
        state = result.state
        if result.validation_scores:
            # Early stopping returned the best parameters, not the last: the
            # next call starts from them, with no momentum.
            state = solver.initial_state(result.coefs, result.intercepts)
            state.relaxation = result.state.relaxation
            state.iteration = result.state.iteration
        self._solver_state = state.moved(keep_place)
        if first_pass:
            self.loss_curve_, self.objective_curve_ = [], []
            self.diagnostics_ = {}
            self.validation_scores_ = [] if self.early_stopping else None
            self.best_loss_ = None if self.early_stopping else np.inf
            self.best_validation_score_ = -np.inf if self.early_stopping else None
            self.t_ = 0
        else:
            # A warm start may switch early stopping on or off (partial_fit
            # runs without it): the other mode's attributes describe no part
            # of this call.
            if self.early_stopping:
                self.best_loss_ = None
            else:
                self.validation_scores_ = self.best_validation_score_ = None
        self.n_iter_ = result.n_iter
        self.t_ += result.n_samples_seen
        earlier = len(self.loss_curve_)
        # NumPy floats, as MLPClassifier's (its loss_ has .item() and .dtype).
        self.loss_curve_ += [np.float64(value) for value in result.loss_curve]
        self.objective_curve_ += result.objective_curve
        # A warm start may change the batch mode or relaxation, and so the
        # keys recorded: entry i of every record stays iteration i's.
        extend_records(
            self.diagnostics_, result.diagnostics, earlier, len(result.loss_curve)
        )
        if result.kept_loss is not None:
            # The call failed before an iteration completed.
            self.loss_ = np.float64(result.kept_loss)
        else:
            self.loss_ = self.loss_curve_[-1] if self.loss_curve_ else np.nan
        if result.validation_scores is not None:
            if self.validation_scores_ is None:
                self.validation_scores_ = []
            self.validation_scores_ += result.validation_scores
            self.best_validation_score_ = max(
                self.best_validation_score_ or -np.inf, result.best_validation_score
            )
        elif result.best_loss is not None:
            self.best_loss_ = np.float64(
                min(
                    np.inf if self.best_loss_ is None else self.best_loss_,
                    result.best_loss,
                )
            )

    def _relaxation(self) -> BoxRelaxation | PenaltyRelaxation:
        """Return the relaxation object the ``relaxation`` parameter names."""
        if self.relaxation == "box":
            return BoxRelaxation(
                float(self.rho),
                float(self.box_epsilon),
                float(self.box_epsilon_decay),
                float(self.box_epsilon_min),
                self.box_epsilon_cycle,
            )
        return PenaltyRelaxation(
            float(self.rho),
            float(self.activation_penalty),
            float(self.penalty_growth),
            float(self.max_penalty_growth),
        )

    def _split_validation(
        self, X, targets, sample_weight, target_type, random_state, source
    ):
        # Rows of zero weight were dropped before the split.
        n_samples = X.shape[0]
        n_validation = int(np.ceil(self.validation_fraction * n_samples))
        if n_samples < 3:
            raise InvalidParameterError(
                f"early_stopping=True needs at least 3 samples of non-zero "
                f"weight (2 to validate on, 1 to train on); there are "
                f"{n_samples}. Set early_stopping=False."
            )
        if n_validation < 2 or n_samples - n_validation < 1:
            # The largest fraction, in thousandths, that leaves one training
            # row, and the least that gives two validation rows, if smaller.
            largest = math.floor(1000 * (n_samples - 1) / n_samples) / 1000
            least = min(math.ceil(2000 / n_samples) / 1000, largest)
        if n_validation < 2:
            raise InvalidParameterError(
                f"validation_fraction={self.validation_fraction} leaves "
                f"{n_validation} validation samples out of {n_samples} of "
                "non-zero weight; early stopping needs at least 2. Raise "
                f"validation_fraction to at least {least:g}, or set "
                "early_stopping=False."
            )
        if n_samples - n_validation < 1:
            raise InvalidParameterError(
                f"validation_fraction={self.validation_fraction} leaves no "
                f"training samples: all {n_samples} samples of non-zero weight "
                "would be validation samples. Lower validation_fraction to at "
                f"most {largest:g}, or set early_stopping=False."
            )
        stratify = None
        if target_type in ("binary", "multiclass"):
            stratify = (
                np.argmax(targets, axis=1) if targets.shape[1] > 1 else targets[:, 0]
            )
            counts = np.unique(stratify, return_counts=True)[1]
            n_training = X.shape[0] - n_validation
            if counts.min() < 2 or min(n_validation, n_training) < counts.size:
                warnings.warn(
                    "early_stopping=True holds out a validation set stratified "
                    "by class, which needs at least 2 rows of each class and "
                    f"at least {counts.size} rows (one per class) on each side; "
                    f"the smallest class has {counts.min()} row(s), and "
                    f"validation_fraction={self.validation_fraction} leaves "
                    f"{n_validation} validation and {n_training} training "
                    "rows. The validation set is drawn without stratification.",
                    UserWarning,
                    stacklevel=4,
                )
                stratify = None
        train, held_out = train_test_split(
            np.arange(X.shape[0]),
            random_state=random_state,
            test_size=self.validation_fraction,
            stratify=stratify,
        )
        validation = (
            _take_rows(X, held_out, source),
            targets[held_out],
            sample_weight[held_out],
        )
        return (
            _take_rows(X, train, source),
            targets[train],
            sample_weight[train],
            validation,
        )

    def _check_network(self, layer_units: list[int], incremental: bool) -> None:
        """Refuse to continue training a network of other layer sizes."""
        fitted = [int(self.coefs_[0].shape[0])] + [int(c.shape[1]) for c in self.coefs_]
        if fitted == layer_units:
            return
        what = (
            "partial_fit continues the network of the previous call"
            if incremental
            else "warm_start=True needs the network of the previous fit"
        )
        start_again = (
            "call fit to start again" if incremental else "set warm_start=False"
        )
        # The inputs' count was checked against n_features_in_ before.
        if fitted[1:-1] != layer_units[1:-1]:
            change = f"Change hidden_layer_sizes back, or {start_again}."
        else:
            change = (
                f"y gives {layer_units[-1]} output(s) where the previous fit "
                f"had {fitted[-1]} (the number of classes or labels, or of "
                f"target columns): pass targets of that kind, or {start_again}."
            )
        raise ValueError(
            f"{what}: it had layer sizes {fitted}, this call asks for "
            f"{layer_units}. {change}"
        )

    # -- prediction ------------------------------------------------------------

    def _forward_output(self, X, method: str) -> tuple[Any, Any, Backend | None]:
        """Return the forward network's output pre-activations for ``X``.

        Returns the output, its namespace, and the input's backend (None for
        NumPy-like input, whose output is a NumPy array).
        """
        check_is_fitted(self)
        source = input_backend(X)
        fitted = array_backend(self.coefs_[0])
        if get_config()["array_api_dispatch"] and not same_place(source, fitted):
            raise ValueError(
                f"Inputs passed to {type(self).__name__}.{method}() must use the "
                "same namespace and the same device as those passed to fit(): the "
                f"model was fitted on {_describe(fitted)}, {method} got "
                f"{_describe(source)}."
            )
        X = _validate_X(self, X, source, reset=False, fitting=False)
        activation = Activation(self.activation, self.negative_slope)
        if source is None:
            xp = NUMPY.xp
            place = to_numpy
        else:
            xp = source.xp
            place = source.asarray
        # X and the model in the wider of their dtypes, as MLPClassifier's
        # products promote them: float32 X and a float64 model give float64.
        # Cast explicitly: not every namespace promotes in products.
        coefs = [place(c) for c in self.coefs_]
        intercepts = [place(b) for b in self.intercepts_]
        dtype = xp.result_type(X.dtype, coefs[0].dtype)
        if X.dtype != dtype:
            X = X.astype(dtype) if scipy.sparse.issparse(X) else xp.astype(X, dtype)
        coefs = [xp.astype(c, dtype, copy=False) for c in coefs]
        intercepts = [xp.astype(b, dtype, copy=False) for b in intercepts]
        with np.errstate(over="ignore", invalid="ignore"):
            output = forward(xp, activation, coefs, intercepts, X)
        if not bool(xp.all(xp.isfinite(output))):
            raise ValueError(
                f"The network's output overflowed for some rows of X in {method}: "
                "their values are too large for these weights. Standardise X "
                "with the scaler used for training."
            )
        return output, xp, source

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.array_api_support = True
        return tags


class _ProgressBar:
    """A tqdm progress bar on stderr, with the loss and the schedule as its postfix."""

    def __init__(self, tqdm: Any, total: int) -> None:
        self._bar = tqdm(total=total, desc="TIAM", unit="it", file=sys.stderr)

    def __call__(self, n_iter: int, loss: float, schedule: dict) -> None:
        self._bar.set_postfix(
            loss=f"{loss:.5g}", **{k: f"{v:.3g}" for k, v in schedule.items()}
        )
        self._bar.update(n_iter - self._bar.n)

    def close(self) -> None:
        self._bar.close()


def _progress_bar(verbose: int, total: int) -> _ProgressBar | None:
    """Return a progress bar for ``verbose >= 2`` when tqdm is installed."""
    if verbose < 2:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None  # documented: the per-iteration lines instead
    return _ProgressBar(tqdm, total)


def _label_binarizer(labels: Any) -> LabelBinarizer:
    """Return a LabelBinarizer fitted on ``labels``, of one class or more."""
    return LabelBinarizer().fit(labels)


def _host(value: Any) -> Any:
    """Return array API arrays of another namespace as NumPy; others unchanged."""
    if array_backend(value) is not None:
        return to_numpy(value)
    return value


def _is_sparse_multilabel(y: Any) -> bool:
    """Return whether a sparse ``y`` is what scikit-learn calls a multilabel
    indicator matrix in its dense form, without making that form.

    A 2-D matrix of two columns or more, whose values, with the zeros not
    stored, are at most two integers. scikit-learn's ``type_of_target``
    reads only the stored values of a sparse matrix, and fails on a 1-D
    one: it calls a sparse matrix of 1 and 2 with zeros "binary", where
    its dense form is multiclass-multioutput.
    """
    if y.ndim != 2 or y.shape[1] < 2:
        return False
    values = np.unique(y.data)
    if y.nnz < y.shape[0] * y.shape[1]:
        values = np.union1d(values, [0])
    return values.size <= 2 and type_of_target(y) == "multilabel-indicator"


def _validate_X(
    estimator: BaseTIAM,
    X: Any,
    source: Backend | None,
    reset: bool,
    fitting: bool = True,
    dtype: np.dtype | None = None,
):
    """Validate ``X`` in its own namespace: float32 or float64, 2-D, finite.

    For ``fitting``, values so large that their squares overflow are
    rejected too: the solver squares them, and they would turn into
    infinities mid-fit. Prediction does not square X; it checks the
    network's output instead (:meth:`BaseTIAM._forward_output`). A
    ``dtype`` other than X's (a fitted model's, which a warm start or
    ``partial_fit`` continues in) converts X to it, after that check.
    """
    try:
        if source is None:
            X = validate_data(
                estimator,
                X,
                accept_sparse=["csr", "csc"],
                dtype=(np.float64, np.float32),
                reset=reset,
            )
        else:
            xp = source.xp
            X = validate_data(estimator, X, dtype=(xp.float64, xp.float32), reset=reset)
    except ValueError as error:
        if "could not convert" in str(error):
            raise ValueError(
                f"X must be numeric; {error}. Encode text or categorical "
                "columns first, for example with OneHotEncoder."
            ) from error
        raise
    if fitting:
        _check_magnitude(X, "X", dtype)
    if dtype is not None and _host_dtype(X) != dtype:
        if source is None:
            X = X.astype(dtype)
        else:
            X = source.xp.astype(X, getattr(source.xp, dtype.name))
    return X


#: The default ``batch_size``: the best of the sweep of the defaults.
DEFAULT_BATCH_SIZE = 64
#: The least ``alpha="auto"`` gives: MLPClassifier's default, where the rows
#: are many more than the first layer's weights (docs/defaults_sweep.md).
AUTO_ALPHA_FLOOR = 1e-4


def auto_alpha(n_samples: float, first_layer_weights: int, ceiling: float) -> float:
    """Return the weight decay of ``alpha="auto"``.

    ``ceiling`` while the training rows are at most the first layer's
    weights (inputs times first-layer units); beyond that, ``ceiling`` times
    their ratio, so that it halves as the rows double, down to
    :data:`AUTO_ALPHA_FLOOR`, MLPClassifier's default.

    Parameters
    ----------
    n_samples : float
        The training rows, each counted by its sample weight (after the
        validation split).
    first_layer_weights : int
        The entries of ``W_1``.
    ceiling : float
        The estimator's sweep's best ``alpha`` (``2e-3`` for the classifier,
        ``6.4e-4`` for the regressor): the value where rows are few.

    Returns
    -------
    alpha : float
        Between :data:`AUTO_ALPHA_FLOOR` and ``ceiling``.
    """
    return min(
        ceiling, max(AUTO_ALPHA_FLOOR, ceiling * first_layer_weights / n_samples)
    )


def auto_weight_step(n_samples: float, first_layer_weights: int) -> str:
    """Return the mini-batch ``W_l`` step of ``weight_step="auto"``.

    ``"proximal"`` where the training rows outnumber the first layer's
    weights (inputs times first-layer units), ``"prox-linear"`` elsewhere.
    The proximal step fits each batch's coupling term exactly: where the
    rows are many it learns more per epoch, and where they are few it
    fits them faster than it generalises (docs/defaults_sweep.md, "The
    W step by the rows").

    Parameters
    ----------
    n_samples, first_layer_weights
        As for :func:`auto_alpha`: the training rows, each counted by its
        sample weight, and the entries of ``W_1``.

    Returns
    -------
    weight_step : {"proximal", "prox-linear"}
    """
    return "proximal" if n_samples > first_layer_weights else "prox-linear"


#: Ratio of the largest to the smallest column range (max - min) above which
#: ``fit`` warns that X is not standardised.
SCALE_RATIO_LIMIT = 1e3


class UnscaledInputWarning(UserWarning):
    """Warning: the columns of X differ in scale by orders of magnitude.

    ``fit`` and the first ``partial_fit`` issue it when the largest range
    (maximum minus minimum) of X's non-constant columns exceeds the smallest
    by more than a factor of 1000. Every TIAM step size is set by the largest
    curvature of its block, so columns of very different scales train at
    very different speeds, and the penalties' defaults assume inputs of unit
    scale. Standardise the features, for example with
    :class:`~sklearn.preprocessing.StandardScaler` in a pipeline. The fit
    itself goes on; silence the warning with :mod:`warnings` where the
    scales are intended.

    The range, rather than the standard deviation, measures a column's
    scale, so that the one-hot columns of rare categories (range 1, small
    standard deviation) do not count as badly scaled.

    A subclass of :class:`UserWarning`.
    """


def _warn_on_unscaled(X: Any) -> None:
    """Warn once when the columns' ranges differ by more than a factor of 1e3.

    TIAM's steps treat all features alike: every step size is set by the
    largest curvature, so columns of very different scales train at very
    different speeds. Constant columns (maximum equal to minimum) are left
    out. The reductions make no copy of X.
    """
    if X.shape[0] < 2:
        return
    if scipy.sparse.issparse(X):
        spread = (X.max(axis=0).toarray() - X.min(axis=0).toarray()).ravel()
    else:
        xp = _namespace(X)
        spread = to_numpy(xp.max(X, axis=0) - xp.min(X, axis=0))
    spread = spread[spread > 0]
    if spread.size < 2:
        return
    # In Python floats: the quotient of float32 ranges can overflow float32.
    ratio = float(spread.max()) / float(spread.min())
    if ratio > SCALE_RATIO_LIMIT:
        warnings.warn(
            f"The columns of X differ in scale by a factor of {ratio:.3g} "
            f"(ranges max - min from {spread.min():.3g} to {spread.max():.3g}). "
            "TIAM's steps treat all features alike and train poorly on such "
            "data: standardise X first, for example with StandardScaler in a "
            "Pipeline.",
            UnscaledInputWarning,
            stacklevel=5,
        )


def _check_magnitude(array: Any, name: str, dtype: np.dtype | None = None) -> None:
    """Raise a ValueError if squaring ``array`` would overflow ``dtype``.

    ``dtype`` is the one the model computes in, None for the array's own:
    an array that is converted to it is checked before the conversion,
    which would otherwise overflow with NumPy's warnings.
    """
    values = array.data if scipy.sparse.issparse(array) else array
    if values.size == 0:
        return
    xp = _namespace(values)
    # max and -min rather than max(abs): no temporary copy of X.
    largest = max(float(xp.max(values)), -float(xp.min(values)))
    own = _host_dtype(values)
    dtype = own if dtype is None else dtype
    limit = float(np.sqrt(np.finfo(dtype).max))
    if largest > limit:
        converted = (
            ""
            if dtype == own
            else f" ({name} is {own.name}; the model computes in {dtype.name})"
        )
        raise ValueError(
            f"{name} contains values as large as {largest:.3g}. TIAM squares them, "
            f"which overflows {dtype.name} above {limit:.3g}{converted}. "
            f"Standardise {name} first, for example with StandardScaler."
        )


def _check_penalty(
    alpha: float,
    output_factor: float,
    batch_rows: int,
    batch_weight: float,
    dtype: np.dtype,
) -> None:
    """Raise a ValueError where ``alpha`` over a batch's weight is too large.

    The L2 term of a batch is ``alpha / (its summed sample weight)``, times
    ``output_factor`` on the output layer: a weight of k counts as k rows.
    Beyond the square root of the dtype's largest value, the penalty
    dominates any data term, and the fits that ran learned nothing (on 120
    rows, weights of 1e-200: accuracy 0.43, against 0.99 with equal
    weights); nearer the largest value the objective and its step sizes
    overflow, which the fit reported as an overflow, blaming the data's
    scale. The message names the cause: weights below 1 on average, or
    alpha itself.
    """
    largest = alpha * max(1.0, output_factor)
    if not largest:
        return
    limit = math.sqrt(float(np.finfo(dtype).max))
    penalty = largest / batch_weight if batch_weight > 0 else math.inf
    if penalty <= limit:
        return
    what = (
        f"alpha_={alpha:g} (times output_alpha_factor={output_factor:g} on the "
        "output layer)"
    )
    if batch_weight < batch_rows:
        raise ValueError(
            f"sample_weight is too small for {what}: alpha counts a weight of "
            "k as k rows, as MLPClassifier's does, and a batch of these "
            f"weights counts as {batch_weight:.3g} rows, which makes the L2 "
            f"penalty alpha / rows {penalty:.3g}, beyond what {dtype.name} "
            f"holds safely ({limit:.3g}). Multiply the weights by a constant "
            "(the data terms use only their ratios), or lower alpha."
        )
    raise ValueError(
        f"{what} over a batch of {batch_weight:.3g} rows makes the L2 penalty "
        f"alpha / rows {penalty:.3g}, beyond what {dtype.name} holds safely "
        f"({limit:.3g}). Lower alpha or output_alpha_factor."
    )


def _check_weight_range(sample_weight: Any, dtype: np.dtype) -> None:
    """Raise a ValueError for finite weights beyond ``dtype``'s range.

    They are converted to the dtype the model computes in, where they would
    turn into infinities with NumPy's overflow warnings. Weights that are
    not numbers, or not finite, are left to ``_check_sample_weight``'s
    messages.
    """
    try:
        values = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError):
        return
    finite = np.abs(values[np.isfinite(values)])
    if finite.size and float(finite.max()) > float(np.finfo(dtype).max):
        raise ValueError(
            f"sample_weight contains values as large as {float(finite.max()):.3g}, "
            f"beyond {dtype.name}, in which the model computes. Divide the "
            "weights by a constant: the data terms use only their ratios, but "
            "alpha counts a weight of k as k rows, as MLPClassifier's does, so "
            "scale alpha with them to keep the same penalty."
        )


def _namespace(array: Any) -> Any:
    """Return the array API namespace of ``array``."""
    return array_api_compat.array_namespace(array)


def _host_dtype(X: Any) -> np.dtype:
    """Return the NumPy float dtype matching the dtype of a validated ``X``."""
    if isinstance(X.dtype, np.dtype):
        return X.dtype
    name = "float32" if X.dtype == array_api_compat.array_namespace(X).float32 else None
    return np.dtype(name or "float64")


def _take_rows(X: Any, rows: np.ndarray, source: Backend | None) -> Any:
    """Return the rows ``rows`` of ``X``, in its namespace, never densified."""
    if source is None:
        return X[rows]
    xp = source.xp
    return xp.take(X, xp.asarray(rows, device=source.device), axis=0)


def _describe(backend: Backend | None) -> str:
    if backend is None:
        return "NumPy or array-like input"
    return f"{backend.name} arrays on device {backend.device}"


_PARAMETERS_DOC = """
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100, 100)
        The ith element is the number of neurons in the ith hidden layer.

    activation : {"relu", "leaky_relu", "elu", "softplus", "tanh", "logistic", \
"identity"}, default="relu"
        Hidden-layer activation. Any monotone activation works; non-monotone
        names ("gelu", "silu", ...) are rejected with a ValueError. Unlike
        MLPClassifier's, the set has no "gelu" and adds "leaky_relu", "elu"
        and "softplus".

    negative_slope : float, default=0.3
        Slope of ``leaky_relu`` for negative inputs. The box relaxation
        inverts the activation, and the inverse of the negative side has
        slope ``1 / negative_slope``: small slopes make it steep, and the box
        trains poorly with them (docs/algorithm.md).

    alpha : float or "auto", default=ALPHA_DEFAULT
        Strength of the L2 penalty of the hidden layers, on MLPClassifier's
        scale: the data terms of the objective are means over the rows of a
        batch, and the penalty is ``(alpha / (2 m)) sum_{l<L} ||W_l||^2``
        plus the output layer's ``(alpha * output_alpha_factor / (2 m))
        ||W_L||^2``, with ``m`` the batch size
        (``n_samples`` in full batch) times the mean ``sample_weight``, so
        that a weight of ``k`` counts as ``k`` copies of a row. Unlike
        MLPClassifier, the last, smaller batch of an epoch uses the batch
        size too. The weight step fits the relaxed constraints, weighted by
        ``rho``, so a given ``alpha`` does not shrink the weights as it
        would under backpropagation: the hidden layers shrink more, and
        under one ``alpha`` the output layer stays larger than adam's
        (about three times at ``alpha`` up to ``2e-3``), hence
        ``output_alpha_factor`` (docs/algorithm.md). ``"auto"``, the
        default, is a ceiling (the
        sweep's best ``alpha``: ``2e-3`` for the classifier, ``6.4e-4`` for
        the regressor) while the training rows are at most the first
        layer's weights (``n_features`` times the first hidden layer's
        units), the ceiling times ``weights / rows`` beyond, and no less
        than MLPClassifier's default ``1e-4``. TIAM needs the larger decay
        where the rows are few for the weights (digits, MNIST, ames), and
        it costs accuracy where they are many (3.3 points on 245,000
        flights, 1.6 points of R^2 on 1,500 rows of a two-input surface;
        docs/defaults_sweep.md). Rows count by their ``sample_weight``
        (weights that sum to 1 count as one row); with no hidden layer the
        "units" are the outputs; ``partial_fit`` counts the rows of each
        call, so streaming small chunks keeps the ceiling. The fitted
        ``alpha_`` gives the value used.

    output_alpha_factor : float, default=OUTPUT_FACTOR_DEFAULT
        The output layer's L2 penalty is ``alpha_`` times this factor; the
        hidden layers' is ``alpha_``. ``1.0`` is MLPClassifier's single
        penalty. The output layer's weights fit the targets of the output
        prox, which moves each output by about the loss's gradient over
        ``rho``; under one ``alpha`` they grow to about three times adam's
        norm. The defaults, 30 for the classifier and 100 for the
        regressor, come from a sweep (docs/defaults_sweep.md). On MNIST-5k
        at ``alpha=2e-3`` the classifier's brings the output layer to
        about adam's norm (at ``1e-4``, which ``"auto"`` gives large
        tables, to 2.4 times it, from 3.4) and raises what an epoch
        learns; the regressor's raises its test R^2 by 0.5 to 2 points on
        four of its five sweep sets. It applies in full batch too, and
        with no hidden layer to the one layer, which is the output layer.
        With ``alpha=0`` it has no effect.

    rho : float, default=0.1
        Penalty on the relaxed linear constraints ``Z_l = A_{l-1} W_l + b_l``.
        Smaller values let the auxiliary variables, and so the weights, move
        further per step; larger values keep the relaxed network closer to
        the real one.

    relaxation : {"penalty", "box"}, default="penalty"
        How the activation constraints ``A_l = sigma(Z_l)`` are relaxed.
        ``"penalty"`` adds ``(activation_penalty / 2) ||A_l - sigma(Z_l)||^2``
        to the objective, so that every iteration passes the signal of the
        layers above down to the hidden layers. ``"box"`` is the relaxation
        of the TIAM paper and mDLAM, ``|A_l - sigma(Z_l)| <= box_epsilon``,
        under which the hidden layers learn only while epsilon shrinks; it
        trains full-batch only. See docs/algorithm.md.

    activation_penalty : float, default=0.1
        ``gamma``, the weight of the penalty relaxation's term
        ``(gamma / 2) ||A_l - sigma(Z_l)||^2``. Ignored by the box.

    penalty_growth : float >= 1, default=1.0
        Continuation of the penalty relaxation: after each iteration (epoch)
        ``rho`` and ``activation_penalty`` are multiplied by this factor, until
        both have grown by ``max_penalty_growth``; the relaxed network then
        approaches the real one. 1 (the default) keeps them constant. In the
        sweep of the defaults 1.01 tied the fixed penalties on accuracy, at a
        third more fit time, since the stopping rule waits for the growth to
        end (docs/defaults_sweep.md).

    max_penalty_growth : float >= 1, default=100
        The largest total factor of the continuation (reached after 463
        epochs at a growth of 1.01; the schedule continues across
        ``partial_fit`` calls).

    center_inertia : float in [0, 1), default=0.98
        First inertia ``p1``: the step is centred at ``u^k + p1 (u^k - u^{k-1})``.
        On the sweep's sets 0.98 reached adam's test score in 0.92 (the
        classifier) and 0.79 (the regressor) of the time 0.95 took, with
        the same largest shortfall against adam or a smaller one
        (docs/defaults_sweep.md, "Both: the momentum at three power
        iterations").

    gradient_inertia : float in [0, 1), default=0.98
        Second inertia ``p2``: the gradient is taken at
        ``u^k + p2 (u^k - u^{k-1})``. The defaults set it to ``p1``, a
        Nesterov-type step.

    extrapolation_inertia : float in [0, 1), default=0.0
        Third inertia ``p3``: the result is extrapolated to
        ``u+ + p3 (u+ - u^k)``, then projected back onto the block's set.

    inertia_schedule : {"constant", "nesterov"}, default="constant"
        ``"constant"`` keeps the three inertias. ``"nesterov"`` replaces
        ``p1`` and ``p2`` at iteration (epoch) ``k`` by
        ``(t_k - 1) / t_{k+1}``, the FISTA sequence (0 at the first iteration,
        rising towards 1), and keeps ``extrapolation_inertia``: the
        mDLAM-type inertia, with the monotone safeguard as its restart.

    activation_step : {"prox-linear", "exact", "cg"}, default="prox-linear"
        How a mini-batch step solves each hidden layer's ``A_l`` subproblem,
        a quadratic with curvature ``rho W_{l+1} W_{l+1}^T + gamma I``.
        ``"prox-linear"`` takes one prox-linear step, the paper's;
        ``"exact"`` solves it (a width x width linear system per layer and
        batch); ``"cg"`` takes a few conjugate-gradient iterations on it,
        which solve it as well on the layers measured, without a
        factorisation. Full batch always takes the paper's step.

    weight_step : {"auto", "prox-linear", "proximal"}, default=WEIGHT_STEP_DEFAULT
        How a mini-batch step takes each ``W_l`` step. ``"prox-linear"``
        linearises the coupling term ``(rho/2) ||Z_l - A_{l-1} W_l - b_l||^2``
        and steps ``1/tau`` along its gradient, the paper's step: slow along
        the directions where the layer's inputs vary little.
        ``"proximal"`` minimises that term exactly, plus a proximal term
        ``(mu/2) ||W_l - centre||^2`` with ``mu = tau / 10``, by one
        factorisation of a system the size of the batch or of the layer's
        input, whichever is smaller: it moves further along those
        directions and learns more per epoch (our choice, not the paper's;
        docs/algorithm.md, "Mini-batch TIAM"). It fits the training rows
        faster than it generalises: on MNIST-5k a larger ``alpha`` recovers
        the test accuracy. ``"auto"`` takes ``"proximal"`` where the training
        rows (counted by their sample weights) outnumber the first layer's
        weights, where learning per epoch limits the fit more than
        overfitting does, and ``"prox-linear"`` elsewhere
        (:func:`auto_weight_step`; docs/defaults_sweep.md). Full batch
        always takes the paper's step.

    batch_rounds : int, default=ROUNDS_DEFAULT
        Rounds of a mini-batch step on each batch: after the first, the
        output, ``A_l``, ``Z_l``, ``W_l`` and ``b_l`` steps are taken again on
        the same rows, from the ``Z_l`` and ``A_l`` the last round left. The
        momentum of the weights carries from round to round and from batch
        to batch. Each round costs about what the first does. The
        classifier's 2 rounds learn more per epoch on wide data; in the
        sweep of rounds, A step and ``alpha`` they were the fastest to
        adam's score among the configurations within half a point of the
        least shortfall against adam (``activation_step="cg"`` with 2
        rounds came 0.3 point closer, at 1.8 times the time); moving the
        momentum or ``activation_penalty`` around them is measured there
        too. The regressor's sweep found no reliable gain from more rounds,
        so it keeps one (docs/defaults_sweep.md). Full batch takes one.

    monotone : bool, default=True
        Safeguard of full-batch fits: a block whose inertial update raises
        the relaxed objective F is redone without inertia. F then never
        increases within an iteration, nor across iterations while the
        schedule (epsilon, or the penalties) stays fixed. Mini-batch steps
        are not checked: each batch has an objective of its own.

    box_epsilon : float, default=100.0
        Box relaxation: initial half-width epsilon of the box
        ``|A_l - sigma(Z_l)| <= epsilon``. Unrelated to MLPClassifier's
        ``epsilon``, adam's numerical constant.

    box_epsilon_decay : float in (0, 1], default=0.5
        Box relaxation: factor applied to epsilon after each iteration.

    box_epsilon_min : float, default=0.03
        Box relaxation: smallest epsilon of the schedule.

    box_epsilon_cycle : int or None, default=50
        Box relaxation: every ``box_epsilon_cycle`` iterations, ``Z`` and ``A``
        are rebuilt by a forward pass of the current weights and the epsilon
        schedule starts again from ``box_epsilon``, so that the hidden
        layers, which learn under the box only while epsilon shrinks, learn
        again. None runs one cycle: the paper's schedule.

    batch_size : int, "auto" or None, default=64
        Rows per batch of mini-batch TIAM. ``"auto"`` is
        ``min(200, n_samples)``, MLPClassifier's default. An int larger than
        ``n_samples`` is clipped to it, with a warning unless it is the
        default, which is clipped silently, as ``"auto"`` is. The default of
        64 rows gave the best scores in the sweep of the defaults, at more
        time per epoch than 200 (docs/defaults_sweep.md). Each batch is
        lifted by a forward pass, its auxiliary variables are updated from
        the output down, and the weights take a triple-inertial step on the
        batch's objective, ``batch_rounds`` times (docs/algorithm.md). None
        trains full-batch TIAM, the paper's iteration, whose auxiliary
        variables persist for every row. The box relaxation trains
        full-batch only: with it, "auto" and 64 mean None (an explicit 64
        cannot be told from the default), and any other int is an error.

    shuffle : bool, default=True
        Whether to shuffle the rows at each epoch of mini-batch TIAM.

    max_iter : int, default=200
        Maximum number of iterations: epochs of mini-batch TIAM, sweeps over
        all blocks in full batch. Each ``fit`` runs up to ``max_iter`` of them,
        also under ``warm_start``.

    tol : float, default=1e-4
        Tolerance for the optimisation. When the training loss or the
        validation score does not improve by at least ``tol`` for
        ``n_iter_no_change`` consecutive iterations, training stops, as in
        MLPClassifier. Unlike there, the count starts only once the
        relaxation's schedule has settled: at ``box_epsilon_min`` for the
        box, at ``max_penalty_growth`` under continuation; without either
        (``penalty_growth=1``, the default) it starts at the first
        iteration.

    n_iter_no_change : int or np.inf, default=10
        Number of iterations without improvement before stopping. ``np.inf``,
        as for MLPClassifier, never stops for lack of improvement: every fit
        runs ``max_iter`` iterations and ends with a ``ConvergenceWarning``.

    early_stopping : bool, default=False
        Whether to hold out ``validation_fraction`` of the training data and
        stop when its score stops improving. The parameters of the best
        validation score are kept, whether or not the fit stopped early;
        it stops early only once the relaxation's schedule has settled (see
        ``tol``): at once at the defaults.

    validation_fraction : float in [0, 1), default=0.1
        Fraction of the training data held out for early stopping; used only
        with ``early_stopping=True``, which needs it to leave at least two
        validation rows (so 0 is refused there, and accepted otherwise). A
        classifier's held-out rows are stratified by class; where that
        cannot be done (a class of one row, or more classes than rows on
        either side), they are drawn without stratification, with a
        warning.

    random_state : int, RandomState instance or None, default=None
        Seeds the validation split, the weight initialisation and the order
        of the rows in each epoch, in that order.

    verbose : bool or int, default=False
        ``1`` (or True) prints one line per iteration, in MLPClassifier's
        style: the loss, the objective F and the schedule (epsilon, or rho
        and the activation penalty), with the constraint violation, the
        coupling residual and the weight step size. ``2`` shows a progress
        bar on stderr instead, when tqdm is installed; without tqdm it
        prints the lines.

    warm_start : bool, default=False
        Whether to start from the previous fit's weights. The network's
        layer sizes and classes must not change between fits. Each fit
        restarts the momentum, the step sizes and the schedule; the
        per-iteration records (``loss_curve_`` and the others) are appended
        to, as MLPClassifier appends its ``loss_curve_``. A warm start that
        diverges or overflows keeps the weights it started from, if their
        training loss, computed once at the start, was the lowest.

    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where the subproblem solves run, for NumPy, pandas and SciPy sparse
        input. ``"cpu"`` uses NumPy. ``"cuda"`` uses CuPy on the current GPU
        (install it with ``pip install "sktiam[gpu]"``): X and y move to the
        GPU once, at the start of ``fit``, batches are sliced there, and the
        fitted ``coefs_`` and ``intercepts_`` come back as NumPy arrays, so
        the model pickles and predicts anywhere; ``predict`` runs on the CPU.
        ``"auto"`` uses CuPy when it imports and sees a GPU, else NumPy.
        float32 input is the recommended setting on a GPU. With
        ``sklearn.set_config(array_api_dispatch=True)``, input arrays of
        another namespace (CuPy, array-api-strict, ...) are computed on in
        their own namespace and device instead, whatever ``device`` says; the
        fitted arrays and the outputs are then arrays of that namespace.
"""

_ATTRIBUTES_DOC = """
    coefs_ : list of ndarray of shape (n_units_in, n_units_out)
        Weights ``W_l`` of each layer.

    alpha_ : float
        The hidden layers' L2 penalty of the last call to ``fit`` or
        ``partial_fit``: ``alpha``, or the value ``alpha="auto"`` chose for
        its rows. The output layer's is ``alpha_ * output_alpha_factor``.

    weight_step_ : str
        The mini-batch ``W_l`` step of the last call to ``fit`` or
        ``partial_fit``: ``weight_step``, or the step ``weight_step="auto"``
        chose for its rows; ``"prox-linear"``, the paper's step, in full
        batch, which always takes it.

    intercepts_ : list of ndarray of shape (n_units_out,)
        Biases ``b_l`` of each layer.

    n_iter_ : int
        Number of iterations (epochs, or full-batch sweeps) of the last call
        to ``fit`` or ``partial_fit``, as in MLPClassifier.

    t_ : int
        Number of training samples seen, over all calls: rows times
        iterations.

    loss_ : float
        The last entry of ``loss_curve_``. Where a call failed (an overflow,
        or a warm start that diverged) before its first iteration completed,
        the training loss of the parameters it kept, computed once.

    loss_curve_ : list of float
        Training loss of the forward network, with the L2 term, for each
        iteration: the quantity MLPClassifier reports. Mini-batch epochs
        report, as MLPClassifier does, the mean over the epoch's batches of
        each batch's loss before its update, weighted by the batches' sample
        weights; full-batch iterations the loss on all rows after the sweep.

    objective_curve_ : list of float
        The relaxed objective F after each iteration. For mini-batch epochs,
        that of the epoch's last batch after its update: no auxiliary
        variable outlives its batch.

    best_loss_ : float or None
        Smallest entry of ``loss_curve_``; None with early stopping.

    validation_scores_ : list of float or None
        Score on the held-out data after each iteration, with early stopping.

    best_validation_score_ : float or None
        Best validation score, with early stopping.

    diagnostics_ : dict of list
        Per-iteration record (of the epoch's last batch, for mini-batch
        fits): the schedule (``epsilon`` for the box; ``rho`` and
        ``activation_penalty`` for the penalty), ``max_violation`` (the
        largest ``|A_l - sigma(Z_l)|``), ``coupling_residual`` (per layer,
        ``sqrt(sum_i s_i ||Z_l,i - A_{l-1},i W_l - b_l||^2)``),
        ``weight_step_sizes`` and ``activation_step_sizes`` (the last ``tau``
        per block, in the sample metric), ``backtracking_trials``,
        ``restarts`` (blocks redone by the safeguard), ``failed_steps``,
        ``newton_iterations`` of the output prox and ``prox_iterations`` of
        the hidden pre-activation prox (0 for the ReLU family, solved in
        closed form; in mini-batch, their fixed counts per round). Mini-batch
        fits also record ``output_prox_residual`` and
        ``hidden_prox_residual``: the largest gradient entry that those
        fixed counts left, over every batch and round of the epoch; above
        1e-4 a ``ConvergenceWarning`` says so. Entry ``i`` of each list
        describes iteration ``i`` of ``loss_curve_``; a key that an
        iteration does not record (one of another relaxation or batch mode,
        before or after a warm start that changed it) holds None there.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
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

    As MLPClassifier does, it fits a target of a single class, and predicts
    that class. The output is then the softmax over that one class
    (``n_outputs_`` is 1, ``out_activation_`` is "softmax"), whose
    cross-entropy is 0 whatever the network: only the L2 term is left to
    train. ``predict_proba`` returns one column of ones and
    ``predict_log_proba`` one of zeros, of shape ``(n_samples, 1)``: one
    column per entry of ``classes_``, the convention
    of scikit-learn's other classifiers (DummyClassifier,
    DecisionTreeClassifier). MLPClassifier returns two columns instead,
    ``[1 - p, p]`` with ``p`` a probability trained towards 0, which match
    neither ``classes_`` nor the certainty of the one class. Likewise, when
    the rows of positive ``sample_weight`` hold one class of several, the
    model trains on them, as MLPClassifier does, and predicts that class.
    A multilabel indicator ``y`` may be a SciPy sparse matrix, as in
    MLPClassifier: ``predict`` then returns a sparse matrix too.

    Parameters
    ----------
    {parameters}
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, one or more; for multilabel targets, the label indices.
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

    #: ``alpha="auto"``'s value where the rows are few: the classifier's
    #: sweep's best ``alpha`` (docs/defaults_sweep.md).
    _auto_alpha_ceiling = 2e-3
    # As MLPClassifier: predict then returns a sparse matrix too.
    _sparse_multilabel = True

    def __init__(
        self,
        hidden_layer_sizes=(100, 100),
        activation="relu",
        *,
        negative_slope=0.3,
        alpha="auto",
        output_alpha_factor=30.0,
        rho=0.1,
        relaxation="penalty",
        activation_penalty=0.1,
        penalty_growth=1.0,
        max_penalty_growth=100.0,
        center_inertia=0.98,
        gradient_inertia=0.98,
        extrapolation_inertia=0.0,
        inertia_schedule="constant",
        activation_step="prox-linear",
        weight_step="prox-linear",
        batch_rounds=2,
        monotone=True,
        box_epsilon=100.0,
        box_epsilon_decay=0.5,
        box_epsilon_min=0.03,
        box_epsilon_cycle=50,
        batch_size=DEFAULT_BATCH_SIZE,
        shuffle=True,
        max_iter=200,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        random_state=None,
        verbose=False,
        warm_start=False,
        device="cpu",
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            negative_slope=negative_slope,
            alpha=alpha,
            output_alpha_factor=output_alpha_factor,
            rho=rho,
            relaxation=relaxation,
            activation_penalty=activation_penalty,
            penalty_growth=penalty_growth,
            max_penalty_growth=max_penalty_growth,
            center_inertia=center_inertia,
            gradient_inertia=gradient_inertia,
            extrapolation_inertia=extrapolation_inertia,
            inertia_schedule=inertia_schedule,
            activation_step=activation_step,
            weight_step=weight_step,
            batch_rounds=batch_rounds,
            monotone=monotone,
            box_epsilon=box_epsilon,
            box_epsilon_decay=box_epsilon_decay,
            box_epsilon_min=box_epsilon_min,
            box_epsilon_cycle=box_epsilon_cycle,
            batch_size=batch_size,
            shuffle=shuffle,
            max_iter=max_iter,
            tol=tol,
            n_iter_no_change=n_iter_no_change,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            random_state=random_state,
            verbose=verbose,
            warm_start=warm_start,
            device=device,
        )

    def _encode_targets(self, y, dtype, reset, incremental):
        check_classification_targets(y)
        target_type = type_of_target(y)
        if target_type == "multiclass-multioutput":
            raise ValueError(
                "TIAMClassifier does not support multiclass-multioutput targets "
                "(several columns of labels, other than a multilabel indicator "
                "matrix of 0 and 1). Fit one classifier per column, or encode "
                "two-class columns as 0 and 1, a multilabel indicator matrix."
            )
        if reset or not hasattr(self, "classes_"):
            self._label_binarizer = _label_binarizer(y)
            self.classes_ = self._label_binarizer.classes_
        elif (target_type == "multilabel-indicator") != (
            self._label_binarizer.y_type_ == "multilabel-indicator"
        ):
            kinds = {True: "multilabel", False: "single-label"}
            previous = self._label_binarizer.y_type_ == "multilabel-indicator"
            what = (
                "partial_fit continues the model of the previous call"
                if incremental
                else "warm_start=True needs the targets of the previous fit"
            )
            raise ValueError(
                f"{what}, which were {kinds[previous]}; y is "
                f"{kinds[not previous]}. Pass {kinds[previous]} targets, or "
                + (
                    "call fit to start again."
                    if incremental
                    else "set warm_start=False."
                )
            )
        elif target_type == "multilabel-indicator":
            if y.shape[1] != len(self.classes_):
                what = (
                    "partial_fit continues the model of the previous call"
                    if incremental
                    else "warm_start=True needs the labels of the previous fit"
                )
                raise ValueError(
                    f"{what}, which had {len(self.classes_)} label columns; "
                    f"y has {y.shape[1]}."
                )
        else:
            classes = np.unique(y)
            if incremental:
                unknown = np.setdiff1d(classes, self.classes_)
                if unknown.size:
                    raise ValueError(
                        "`y` has classes not in `self.classes_`. `self.classes_` "
                        f"has {self.classes_}. 'y' has {classes}."
                    )
            elif len(classes) != len(self.classes_) or not np.all(
                np.isin(classes, self.classes_)
            ):
                raise ValueError(
                    "warm_start=True needs the classes of the previous fit "
                    f"{self.classes_.tolist()}; y has classes {classes.tolist()}."
                )
        targets = self._label_binarizer.transform(y).astype(dtype)
        if len(self.classes_) == 1:
            # LabelBinarizer encodes a lone class as its negative label, 0.
            # The softmax over one output needs the one-hot row, 1: with it
            # the cross-entropy is 0 and its gradient p - y vanishes, where
            # with 0 the loss would be the output itself, unbounded below.
            targets = np.ones_like(targets)
        return targets

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

        y : {array-like, sparse matrix} of shape (n_samples,) or (n_samples, n_outputs)
            Class labels, of one class or more, or a multilabel indicator
            matrix, dense or sparse.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights. A weight of ``k`` counts as ``k``
            copies of the sample, as in MLPClassifier: the L2 penalty,
            ``alpha="auto"`` and ``weight_step="auto"`` read the weights'
            sum as the number of rows. Weights scaled to sum to 1 act as one
            row, and make a given ``alpha`` ``n_samples`` times stronger;
            weights with a mean of 1 keep the penalty of unweighted rows.

        Returns
        -------
        self : object
            The fitted model.
        """
        return self._fit(X, y, sample_weight)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Update the model with one pass over the given data, in batches.

        Each call continues the weights, the inertias' momentum, the step
        sizes and the penalties' schedule of the previous call (or of
        ``fit``). The relaxation and its penalties are those of the first
        call, as ``MLPClassifier``'s optimiser keeps its settings: to change
        ``relaxation``, ``rho``, ``activation_penalty`` or ``penalty_growth``,
        call ``fit``. So is the dtype: ``X`` is converted to that of the
        model, as the parameters of MLPClassifier's stochastic solvers keep
        theirs.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : {array-like, sparse matrix} of shape (n_samples,) or (n_samples, n_outputs)
            Class labels, or a multilabel indicator matrix, dense or sparse.

        classes : array-like of shape (n_classes,), default=None
            Every class of the whole training set, one or more (a single
            class is fitted as by ``fit``). Required on the first call
            and optional on the others, where it must not change; ``y`` need
            not hold all of them. Ignored for multilabel targets, whose
            labels are the columns of ``y``.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights, counted as in ``fit``: a weight of
            ``k`` is ``k`` copies of the sample.

        Returns
        -------
        self : object
            The updated model.
        """
        if classes is not None:
            # Classes live on the host, as fit's do, whatever y's namespace.
            classes = _host(classes)
        if _check_partial_fit_first_call(self, classes):
            labels = y if type_of_target(y).startswith("multilabel") else classes
            self._label_binarizer = _label_binarizer(labels)
            self.classes_ = self._label_binarizer.classes_
        return self._fit(X, y, sample_weight, incremental=True)

    def _probabilities(self, X, method: str) -> tuple[Any, Any, Backend | None]:
        output, xp, source = self._forward_output(X, method)
        loss = loss_for_target(self._target_type())
        return loss.output(xp, output), xp, source

    def _target_type(self) -> str:
        if self._label_binarizer.y_type_ == "multilabel-indicator":
            return "multilabel-indicator"
        # One class is the softmax over one output: its probability is
        # exactly 1 and its log-probability exactly 0, whatever the network.
        return "binary" if len(self.classes_) == 2 else "multiclass"

    def predict(self, X):
        """Predict using the multilayer perceptron classifier.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : {ndarray, sparse matrix} of shape (n_samples,) or (n_samples, n_classes)
            The predicted classes: a SciPy sparse matrix where the model was
            fitted on a sparse multilabel ``y``, as in MLPClassifier. Under
            array API dispatch, in X's namespace and on its device, except
            for labels that are not numbers or booleans (strings, objects),
            which stay a NumPy array, and sparse ones, which stay SciPy's.
        """
        probabilities, _, source = self._probabilities(X, "predict")
        # Labels are decoded on the host, where classes_ lives; numeric and
        # boolean labels go back to the input's namespace, strings and other
        # objects, which array namespaces do not hold, stay NumPy arrays, and
        # sparse ones SciPy's.
        labels = self._label_binarizer.inverse_transform(to_numpy(probabilities))
        if (
            source is None
            or scipy.sparse.issparse(labels)
            or labels.dtype.kind not in "biuf"
        ):
            return labels
        return source.asarray(labels)

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
            multilabel targets, the probability of each label. For a single
            class, one column of ones, where MLPClassifier returns two
            columns (see the class's description).

        Notes
        -----
        Every probability is computed from the output directly, to full
        relative precision however small: the softmax as the exponential of
        the log-softmax, and for binary targets the negative class as the
        logistic of ``-z``, not as ``1 - p``. MLPClassifier computes
        ``1 - p``, whose rounding error is that of ``p``, near 1: in float32
        it is a multiple of 5.96e-8, float32's spacing just below 1, so that
        probabilities under 1e-6 keep one or two significant digits, and
        the float32 and float64 models disagree by tens of percent there.
        """
        output, xp, _ = self._forward_output(X, "predict_proba")
        target_type = self._target_type()
        if target_type == "binary":
            return xp.concat([logistic(xp, -output), logistic(xp, output)], axis=1)
        return loss_for_target(target_type).output(xp, output)

    def predict_log_proba(self, X):
        """Logarithm of the probability estimates, computed without underflow.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_y_prob : ndarray of shape (n_samples, n_classes)
            The log-probability of each class, in the order of ``classes_``;
            one column of zeros for a single class.

        Notes
        -----
        Computed from the output directly, as the log-softmax or the
        log-sigmoid (of ``z`` and of ``-z`` for binary targets), not as the
        logarithm of ``predict_proba`` as MLPClassifier does: it stays finite
        and exact where a probability underflows to 0.
        """
        output, xp, _ = self._forward_output(X, "predict_log_proba")
        if self._target_type() == "multiclass":
            return log_softmax(xp, output)
        zero = xp.zeros_like(output)
        log_p = -xp.logaddexp(zero, -output)
        if self._target_type() == "binary":
            return xp.concat([-xp.logaddexp(zero, output), log_p], axis=1)
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

    #: ``alpha="auto"``'s value where the rows are few: the regressor's
    #: sweep's best ``alpha`` (docs/defaults_sweep.md).
    _auto_alpha_ceiling = 6.4e-4

    def __init__(
        self,
        hidden_layer_sizes=(100, 100),
        activation="relu",
        *,
        negative_slope=0.3,
        alpha="auto",
        output_alpha_factor=100.0,
        rho=0.1,
        relaxation="penalty",
        activation_penalty=0.1,
        penalty_growth=1.0,
        max_penalty_growth=100.0,
        center_inertia=0.98,
        gradient_inertia=0.98,
        extrapolation_inertia=0.0,
        inertia_schedule="constant",
        activation_step="prox-linear",
        weight_step="auto",
        batch_rounds=1,
        monotone=True,
        box_epsilon=100.0,
        box_epsilon_decay=0.5,
        box_epsilon_min=0.03,
        box_epsilon_cycle=50,
        batch_size=DEFAULT_BATCH_SIZE,
        shuffle=True,
        max_iter=200,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        random_state=None,
        verbose=False,
        warm_start=False,
        device="cpu",
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            negative_slope=negative_slope,
            alpha=alpha,
            output_alpha_factor=output_alpha_factor,
            rho=rho,
            relaxation=relaxation,
            activation_penalty=activation_penalty,
            penalty_growth=penalty_growth,
            max_penalty_growth=max_penalty_growth,
            center_inertia=center_inertia,
            gradient_inertia=gradient_inertia,
            extrapolation_inertia=extrapolation_inertia,
            inertia_schedule=inertia_schedule,
            activation_step=activation_step,
            weight_step=weight_step,
            batch_rounds=batch_rounds,
            monotone=monotone,
            box_epsilon=box_epsilon,
            box_epsilon_decay=box_epsilon_decay,
            box_epsilon_min=box_epsilon_min,
            box_epsilon_cycle=box_epsilon_cycle,
            batch_size=batch_size,
            shuffle=shuffle,
            max_iter=max_iter,
            tol=tol,
            n_iter_no_change=n_iter_no_change,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            random_state=random_state,
            verbose=verbose,
            warm_start=warm_start,
            device=device,
        )

    def _target_type(self) -> str:
        return "continuous"

    def _encode_targets(self, y, dtype, reset, incremental):
        if y.dtype.kind in "mMSU":
            # NumPy converts these to floats, but the model would predict
            # floats on a scale the user never gave (nanoseconds since 1970,
            # or the digits of text).
            raise ValueError(
                f"TIAMRegressor needs numeric targets; y has dtype {y.dtype}. "
                "Convert it to numbers first (for dates, for example, the "
                "days since a reference date)."
            )
        if y.dtype.kind not in "biuf":
            try:
                y = y.astype(np.float64)
            except (TypeError, ValueError) as error:
                raise ValueError(
                    f"TIAMRegressor needs numeric targets; y has dtype {y.dtype}."
                ) from error
        assert_all_finite(y, input_name="y")
        # Before the conversion, which the check keeps from overflowing.
        _check_magnitude(y, "y", dtype)
        return np.asarray(y, dtype=dtype).reshape(y.shape[0], -1)

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
            copies of the sample, as in MLPClassifier: the L2 penalty,
            ``alpha="auto"`` and ``weight_step="auto"`` read the weights'
            sum as the number of rows. Weights scaled to sum to 1 act as one
            row, and make a given ``alpha`` ``n_samples`` times stronger;
            weights with a mean of 1 keep the penalty of unweighted rows.

        Returns
        -------
        self : object
            The fitted model.
        """
        return self._fit(X, y, sample_weight)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with one pass over the given data, in batches.

        Each call continues the weights, the inertias' momentum, the step
        sizes and the penalties' schedule of the previous call (or of
        ``fit``). The relaxation and its penalties are those of the first
        call, as ``MLPClassifier``'s optimiser keeps its settings: to change
        ``relaxation``, ``rho``, ``activation_penalty`` or ``penalty_growth``,
        call ``fit``. So is the dtype: ``X`` is converted to that of the
        model, as the parameters of MLPClassifier's stochastic solvers keep
        theirs.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights, counted as in ``fit``: a weight of
            ``k`` is ``k`` copies of the sample.

        Returns
        -------
        self : object
            The updated model.
        """
        return self._fit(X, y, sample_weight, incremental=True)

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
        output, _, _ = self._forward_output(X, "predict")
        if self.n_outputs_ == 1:
            return output[:, 0]
        return output

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


for _estimator in (TIAMClassifier, TIAMRegressor):
    _defaults = _estimator().get_params()
    _estimator.__doc__ = _estimator.__doc__.format(
        parameters=_PARAMETERS_DOC.lstrip()
        .replace("ALPHA_DEFAULT", repr(_defaults["alpha"]))
        .replace("ROUNDS_DEFAULT", repr(_defaults["batch_rounds"]))
        .replace("OUTPUT_FACTOR_DEFAULT", repr(_defaults["output_alpha_factor"]))
        .replace("WEIGHT_STEP_DEFAULT", repr(_defaults["weight_step"])),
        attributes=_ATTRIBUTES_DOC.lstrip(),
    )
