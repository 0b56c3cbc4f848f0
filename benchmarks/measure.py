"""Fitting, timing and measuring one method on one split.

What is measured, and how:

- ``fit_time``: wall-clock seconds of ``fit`` (``time.perf_counter``), with
  the CPU seconds of the process in user and kernel mode over the same fit
  (``resource.getrusage``; they include every BLAS thread).
- The loss curve: ``loss_curve_``, the training loss with each method's L2
  term, after each iteration (an epoch for adam and sgd, a sweep over all
  blocks for TIAM). The timestamp of iteration ``k`` is
  ``fit_time * k / n_iter_``: the fit time spread evenly over the
  iterations, without a callback. ``MLPClassifier(solver="lbfgs")`` keeps no
  ``loss_curve_``; its curve comes from refits with ``max_iter = k`` on a
  grid of ``k``, each refit's final ``loss_`` and its own wall time. The
  refits follow the same path as the full fit: the solvers are
  deterministic given ``random_state``.
- ``peak_memory``: the peak of the memory traced by ``tracemalloc`` during a
  separate fit capped at :data:`MEMORY_ITERATIONS` iterations, above what was
  allocated before it. NumPy reports its array buffers to ``tracemalloc``;
  BLAS work space is not traced. The timed fit runs without the tracing
  overhead. adam, sgd and TIAM allocate their working set in the first
  iteration, and scipy's L-BFGS-B allocates the work space of its whole
  history before the first, so the cap does not lower the peak.
"""

import json
import resource
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss

from .datasets import Split
from .machine import IDLE_THRESHOLD, cpu_ticks, others_share_between, wait_for_idle
from .methods import Method

#: Iterations of the separate fit whose memory is traced.
MEMORY_ITERATIONS = 3
#: Iteration counts of the refits that trace a curve without ``loss_curve_``,
#: and of the search for the time TIAM needs to reach a score.
ITERATION_GRID = (1, 2, 3, 4, 6, 8, 11, 16, 23, 32, 45, 64, 91, 128, 181, 256)


@dataclass
class Run:
    """The measurements of one method on one dataset and seed.

    ``curve_iterations``, ``curve_losses`` and ``curve_seconds`` hold the
    training loss after each listed iteration and the seconds it took to get
    there. ``others_share`` is the share of all cores that other processes
    used during the timed fit, and ``waited`` the seconds spent before it
    waiting for the machine to be idle. The remaining fields are described in
    the module docstring and in BENCHMARKS.md.
    """

    dataset: str
    method: str
    seed: int
    n_train: int
    layer_units: list[int]
    score: float
    train_loss: float
    fit_time: float
    cpu_user: float
    cpu_system: float
    n_iter: int
    curve_iterations: list[int]
    curve_losses: list[float]
    curve_seconds: list[float]
    peak_memory: float | None = None
    mean_trials: float | None = None
    mean_restarts: float | None = None
    safeguard: bool | None = None
    others_share: float | None = None
    waited: float = 0.0

    @property
    def seconds_per_iteration(self) -> float:
        """Return ``fit_time / n_iter``."""
        return self.fit_time / max(self.n_iter, 1)

    def to_dict(self) -> dict:
        """Return the run as a JSON-ready dict."""
        return asdict(self)


@dataclass
class Fit:
    """A fitted estimator, the seconds its fit took, and the machine's state.

    ``others_share`` is the share of all cores that other processes used
    during the fit; ``waited`` the seconds spent waiting for the machine to be
    idle, before it and before any repeats.
    """

    estimator: Any
    wall: float
    user: float
    system: float
    others_share: float
    waited: float = 0.0


@dataclass(frozen=True)
class Timing:
    """How timed fits deal with a shared machine.

    Parameters
    ----------
    idle_wait : float, default=0.0
        Longest wait, before each timed fit, for other processes to leave
        the cores.
    retries : int, default=0
        How many times a fit disturbed by other processes is repeated.
    """

    idle_wait: float = 0.0
    retries: int = 0


def fit_once(estimator: Any, split: Split) -> Fit:
    """Fit ``estimator`` once, timed, with no wait and no repeat."""
    ticks = cpu_ticks()
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(split.X_train, split.y_train)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    return Fit(
        estimator,
        wall,
        after.ru_utime - before.ru_utime,
        after.ru_stime - before.ru_stime,
        others_share_between(ticks, cpu_ticks()),
    )


def fill_records(
    path: Path,
    jobs: Iterable[tuple[str, Callable[[], dict]]],
    describe: Callable[[dict], str],
) -> dict:
    """Run the jobs whose keys ``path`` does not record yet; return every record.

    Each new record is written to ``path`` (JSON) as soon as it is made, so
    that an interrupted run keeps what it did, and described on the
    standard error as ``key: describe(record)``.
    """
    records = json.loads(path.read_text()) if path.exists() else {}
    for key, job in jobs:
        if key in records:
            continue
        records[key] = job()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(records, indent=1))
        print(f"{key}: {describe(records[key])}", file=sys.stderr, flush=True)
    return records


def timed_fit(estimator: Any, split: Split, timing: Timing = Timing()) -> Fit:
    """Fit a clone of ``estimator`` on the training part, timed, on an idle machine.

    Waits up to ``timing.idle_wait`` seconds for other processes to leave the
    cores (:func:`benchmarks.machine.wait_for_idle`), then times ``fit``:
    wall seconds, the user and system CPU seconds of this process, and the
    share of the cores other processes used meanwhile. When that share is
    above :data:`benchmarks.machine.IDLE_THRESHOLD`, the fit is repeated, up
    to ``timing.retries`` times, and the least disturbed one is kept: the
    estimators are deterministic given ``random_state``, so only the timing
    differs. ConvergenceWarnings are silenced: the benchmark caps iterations
    on purpose, and the curves show whether a method converged.
    """
    best, waited = None, 0.0
    for _ in range(timing.retries + 1):
        waited += wait_for_idle(timing.idle_wait)[1]
        fit = fit_once(clone(estimator), split)
        if best is None or fit.others_share < best.others_share:
            best = fit
        if not best.others_share > IDLE_THRESHOLD:
            break
    best.waited = waited
    return best


def traced_peak_memory(estimator: Any, split: Split) -> float:
    """Return the ``tracemalloc`` peak, in bytes, during ``estimator.fit``."""
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    baseline, _ = tracemalloc.get_traced_memory()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(split.X_train, split.y_train)
    _, peak = tracemalloc.get_traced_memory()
    if not was_tracing:
        tracemalloc.stop()
    return float(peak - baseline)


def _rows(split: Split) -> int:
    return int(split.X_train.shape[0])


def _grid_below(n_iter: int) -> list[int]:
    return [k for k in ITERATION_GRID if k < n_iter]


def _refit_curve(
    method: Method, task: str, seed: int, split: Split, n_iter: int, timing: Timing
) -> tuple[list[int], list[float], list[float]]:
    """Trace the loss of a solver without ``loss_curve_`` by refits on the grid."""
    iterations, losses, seconds = [], [], []
    for k in _grid_below(n_iter):
        fit = timed_fit(
            method.make(task, seed, max_iter=k, n_train=_rows(split)), split, timing
        )
        iterations.append(int(fit.estimator.n_iter_))
        losses.append(float(fit.estimator.loss_))
        seconds.append(fit.wall)
    return iterations, losses, seconds


def measure(
    method: Method,
    task: str,
    dataset: str,
    seed: int,
    split: Split,
    max_iter: int | None,
    trace_memory: bool,
    timing: Timing = Timing(),
) -> Run:
    """Fit one method on one split and return its measurements.

    Parameters
    ----------
    method : Method
        The method.
    task : {"classification", "regression"}
        The dataset's task.
    dataset : str
        The dataset's name, recorded in the run.
    seed : int
        Split seed and ``random_state``.
    split : Split
        The standardised split.
    max_iter : int or None
        Cap on the iterations; None keeps the estimator's default.
    trace_memory : bool
        Whether to measure the peak memory in a separate, capped fit.
    timing : Timing, default=Timing()
        How timed fits deal with a shared machine.

    Returns
    -------
    Run
        The measurements.
    """
    fit = timed_fit(
        method.make(task, seed, max_iter, n_train=_rows(split)), split, timing
    )
    estimator, wall = fit.estimator, fit.wall
    n_iter = int(estimator.n_iter_)
    if hasattr(estimator, "loss_curve_"):
        losses = [float(v) for v in estimator.loss_curve_]
        iterations = list(range(1, len(losses) + 1))
        seconds = [wall * k / n_iter for k in iterations]
    else:
        iterations, losses, seconds = _refit_curve(
            method, task, seed, split, n_iter, timing
        )
        iterations.append(n_iter)
        losses.append(float(estimator.loss_))
        seconds.append(wall)
    run = Run(
        dataset=dataset,
        method=method.name,
        seed=seed,
        n_train=int(split.X_train.shape[0]),
        layer_units=network_widths(estimator),
        score=float(estimator.score(split.X_test, split.y_test)),
        train_loss=training_loss(estimator, task, split),
        fit_time=wall,
        cpu_user=fit.user,
        cpu_system=fit.system,
        n_iter=n_iter,
        curve_iterations=iterations,
        curve_losses=losses,
        curve_seconds=seconds,
        others_share=fit.others_share,
        waited=fit.waited,
    )
    if method.is_tiam:
        diagnostics = estimator.diagnostics_
        run.mean_trials = float(np.mean(diagnostics["backtracking_trials"]))
        run.mean_restarts = float(np.mean(diagnostics["restarts"]))
        inertia = (
            estimator.center_inertia,
            estimator.gradient_inertia,
            estimator.extrapolation_inertia,
        )
        scheduled = estimator.inertia_schedule != "constant"
        # Mini-batch steps are never compared with the safeguard.
        run.safeguard = bool(
            estimator.monotone and not method.mini_batch and (scheduled or any(inertia))
        )
    if trace_memory:
        capped = max_iter if max_iter is not None else MEMORY_ITERATIONS
        capped = min(capped, MEMORY_ITERATIONS)
        run.peak_memory = traced_peak_memory(
            method.make(task, seed, capped, n_train=_rows(split)), split
        )
    return run


def training_loss(estimator: Any, task: str, split: Split) -> float:
    """Return the fitted network's loss on the training part, without L2 term.

    The forward network's own loss, the same for every method whatever its
    L2 term: the log-loss of ``predict_proba``, or half the mean squared
    error. With ``loss_curve_`` of a mini-batch method it differs: that one
    averages losses taken during the epoch, at changing weights.
    """
    if task == "classification":
        probabilities = estimator.predict_proba(split.X_train)
        return float(log_loss(split.y_train, probabilities))
    residual = estimator.predict(split.X_train) - split.y_train
    return 0.5 * float(np.mean(residual**2))


def network_widths(estimator: Any) -> list[int]:
    """Return the layer widths, input to output, of a fitted MLP or TIAM model."""
    coefs = estimator.coefs_
    return [int(coefs[0].shape[0]), *(int(c.shape[1]) for c in coefs)]


def time_to_score(
    method: Method,
    task: str,
    seed: int,
    split: Split,
    target: float,
    n_iter: int,
    final: Run,
    timing: Timing = Timing(),
) -> tuple[int, float] | None:
    """Return the iterations and wall seconds a method needs to reach a test score.

    Refits with ``max_iter = k`` for ``k`` on :data:`ITERATION_GRID` below
    ``n_iter``, in increasing order, then the full fit ``final``; the answer
    is the first that scores at least ``target`` on the test part, with the
    wall time of that refit (it starts from scratch, so its wall time is the
    time to get there). From ``k = 2`` on, the grid overstates the
    iterations by at most a factor 1.5. When ``final`` itself scores below
    ``target`` the answer is None without refits: a score that an earlier
    iteration reached and the fit then lost is not searched for (the refits
    would cost three full fits).

    Parameters
    ----------
    method : Method
        The method to refit.
    task : {"classification", "regression"}
        The dataset's task.
    seed : int
        Split seed and ``random_state``.
    split : Split
        The standardised split.
    target : float
        The test score to reach.
    n_iter : int
        Iterations of the full fit.
    final : Run
        The full fit, used as the last grid point.
    timing : Timing, default=Timing()
        How the refits deal with a shared machine.

    Returns
    -------
    tuple of (int, float) or None
        ``(iterations, seconds)``, or None when no fit reaches ``target``.
    """
    if final.score < target:
        return None
    for k in _grid_below(n_iter):
        fit = timed_fit(
            method.make(task, seed, max_iter=k, n_train=_rows(split)), split, timing
        )
        if fit.estimator.score(split.X_test, split.y_test) >= target:
            return int(fit.estimator.n_iter_), fit.wall
    return final.n_iter, final.fit_time


@contextmanager
def weight_power_iterations(count: int) -> Iterator[None]:
    """Take ``count`` power iterations per mini-batch ``W_l`` step meanwhile.

    The mini-batch step reads :data:`sktiam._kernels.WEIGHT_POWER_ITERATIONS`
    through the private module :mod:`sktiam._minibatch`, at each step; this
    sets that name there and restores it on leaving, so that a study can
    refit configurations recorded before it went from two to three.
    Measurement instrumentation, as :func:`probed_fit` is.
    """
    import sktiam._minibatch as minibatch_module

    saved = minibatch_module.WEIGHT_POWER_ITERATIONS
    minibatch_module.WEIGHT_POWER_ITERATIONS = count
    try:
        yield
    finally:
        minibatch_module.WEIGHT_POWER_ITERATIONS = saved


@contextmanager
def auto_alpha_ceiling(estimator: type, ceiling: float | None) -> Iterator[None]:
    """Give ``estimator``'s ``alpha="auto"`` the ceiling ``ceiling`` meanwhile.

    The ceiling is a class attribute of each estimator (the classifier's
    ``2e-3``, the regressor's ``6.4e-4``), read at each fit; this sets it and
    restores it on leaving, so that a study can fit a ceiling other than the
    estimator's. None leaves it as it is. Measurement instrumentation, as
    :func:`weight_power_iterations` is.
    """
    saved = estimator._auto_alpha_ceiling
    if ceiling is not None:
        estimator._auto_alpha_ceiling = ceiling
    try:
        yield
    finally:
        estimator._auto_alpha_ceiling = saved


def probed_fit(model: Any, X: Any, y: Any, probe: Any) -> tuple[float, list]:
    """Fit a TIAM estimator, calling ``probe(model)`` after every iteration.

    Before each call the model holds the solver's current weights, so that
    it predicts as the fit stands; the clock stops meanwhile. Returns the
    wall seconds of the fit without the probes, and a list of
    ``(seconds so far, probe's value)``. Measurement instrumentation: it
    wraps the solver's private ``_advance`` for the duration of the fit.
    """
    import sktiam._solver as solver_module
    from sktiam._backend import to_numpy

    curve: list[tuple[float, Any]] = []
    clock = {"start": 0.0, "probing": 0.0}
    advance = solver_module.TIAMSolver._advance

    def probed(solver, state, *args, **kwargs):
        state = advance(solver, state, *args, **kwargs)
        if solver._n_iter == len(curve) + 1:
            paused = time.perf_counter()
            elapsed = paused - clock["start"] - clock["probing"]
            model.coefs_ = [to_numpy(c) for c in state.coefs]
            model.intercepts_ = [to_numpy(b) for b in state.intercepts]
            model.n_outputs_ = model.coefs_[-1].shape[1]
            curve.append((elapsed, probe(model)))
            clock["probing"] += time.perf_counter() - paused
        return state

    solver_module.TIAMSolver._advance = probed
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clock["start"] = time.perf_counter()
            model.fit(X, y)
            wall = time.perf_counter() - clock["start"] - clock["probing"]
    finally:
        solver_module.TIAMSolver._advance = advance
    return wall, curve
