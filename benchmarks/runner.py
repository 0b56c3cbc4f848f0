"""Run the whole benchmark: every method on every dataset and seed, then the limits.

:func:`run` returns a plain dict (JSON-ready) that :mod:`benchmarks.analysis`
summarises, :mod:`benchmarks.report` writes out and :mod:`benchmarks.plots`
draws.
"""

import sys
import time
from dataclasses import asdict, dataclass, field

from .datasets import DATASETS, split
from .machine import gemm_rate, machine_info, wait_for_idle
from .measure import Timing, measure, time_to_score
from .methods import METHODS, REFERENCE_SCORE_METHOD
from .profiling import profile_fit

#: The TIAM variant whose time to adam's score is searched and which is profiled.
TIAM_DEFAULT = "tiam"


@dataclass
class Config:
    """What one benchmark run covers.

    Parameters
    ----------
    datasets : list of str
        Names from :data:`benchmarks.datasets.DATASETS`.
    seeds : list of int
        Split seeds; each is also the estimators' ``random_state``.
    methods : list of str
        Names from :data:`benchmarks.methods.METHODS`.
    max_iter : int or None
        Cap on the iterations of every fit; None keeps each estimator's
        default (and its stopping rule).
    scaling_max_iter : int
        Cap on the iterations on the synthetic scaling series, where the
        time per iteration is what is measured.
    gemm_size : int
        Side of the square matrices of the GEMM-rate measurement.
    gemm_repeats : int
        Timed products per GEMM measurement; the fastest counts.
    profile_dataset : str
        Dataset of the profiled TIAM fit.
    profile_max_iter : int
        Iterations of the profiled TIAM fit.
    idle_wait : float
        Longest wait, before each timed fit and GEMM measurement, for other
        processes to leave the cores (the machine may be shared).
    retries : int
        How many times a fit disturbed by other processes is repeated.
    quick : bool
        Whether this is the smoke run.
    """

    datasets: list[str]
    seeds: list[int]
    methods: list[str] = field(default_factory=lambda: list(METHODS))
    max_iter: int | None = None
    scaling_max_iter: int = 10
    gemm_size: int = 2048
    gemm_repeats: int = 5
    profile_dataset: str = "synthetic_10000"
    profile_max_iter: int = 30
    idle_wait: float = 120.0
    retries: int = 2
    quick: bool = False

    def cap(self, dataset: str) -> int | None:
        """Return the iteration cap of the fits on ``dataset``."""
        caps = [self.max_iter]
        if DATASETS[dataset].scaling:
            caps.append(self.scaling_max_iter)
        caps = [c for c in caps if c is not None]
        return min(caps) if caps else None


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def shaped_gemm_rate(layer_units: list[int], n_samples: int, repeats: int) -> float:
    """Return the GEMM rate on the shapes of a TIAM iteration, in flop/s.

    For each weight layer, the product ``A W`` (``n x u_{l-1}`` by
    ``u_{l-1} x u_l``) and the gradient ``A^T R`` (``u_{l-1} x n`` by
    ``n x u_l``) are timed, best of ``repeats``; the rate is their flops
    over their time.
    """
    flops, seconds = 0.0, 0.0
    for fan_in, fan_out in zip(layer_units[:-1], layer_units[1:], strict=True):
        for shape in ((n_samples, fan_in, fan_out), (fan_in, n_samples, fan_out)):
            rate = gemm_rate(*shape, repeats=repeats)
            product = 2.0 * shape[0] * shape[1] * shape[2]
            flops += product
            seconds += product / rate
    return flops / seconds


def run(config: Config) -> dict:
    """Run the benchmark described by ``config``.

    Returns
    -------
    dict
        ``config``, ``machine``, ``gemm`` (the square GEMM rate, and the
        rate on each dataset's TIAM shapes), ``runs`` (one dict of
        :class:`benchmarks.measure.Run` per method, dataset and seed),
        ``score_times`` (TIAM's iterations and seconds to adam's test score,
        per dataset and seed) and ``profile``.
    """
    started = time.perf_counter()
    machine = machine_info()
    _log(
        f"machine: {machine['cpu']}, {machine['cores']} cores, "
        f"load {machine['load_average']}"
    )
    wait_for_idle(config.idle_wait)
    peak = gemm_rate(
        config.gemm_size, config.gemm_size, config.gemm_size, config.gemm_repeats
    )
    _log(f"GEMM rate ({config.gemm_size}^3, float64): {peak / 1e9:.1f} GFlop/s")
    timing = Timing(config.idle_wait, config.retries)
    runs, score_times, shaped = [], [], {}
    for name in config.datasets:
        dataset = DATASETS[name]
        cap = config.cap(name)
        for index, seed in enumerate(config.seeds):
            data = split(dataset, seed)
            by_method = {}
            for method_name in config.methods:
                result = measure(
                    METHODS[method_name],
                    dataset.task,
                    name,
                    seed,
                    data,
                    cap,
                    trace_memory=index == 0,
                    timing=timing,
                )
                by_method[method_name] = result
                runs.append(result.to_dict())
                _log(
                    f"{name} seed {seed} {method_name}: score {result.score:.4f}, "
                    f"{result.fit_time:.2f} s, {result.n_iter} iterations"
                )
            if (
                not dataset.scaling
                and TIAM_DEFAULT in by_method
                and REFERENCE_SCORE_METHOD in by_method
            ):
                reference = by_method[REFERENCE_SCORE_METHOD]
                tiam = by_method[TIAM_DEFAULT]
                reached = time_to_score(
                    METHODS[TIAM_DEFAULT],
                    dataset.task,
                    seed,
                    data,
                    reference.score,
                    tiam.n_iter,
                    tiam,
                    timing,
                )
                score_times.append(
                    {
                        "dataset": name,
                        "seed": seed,
                        "target": reference.score,
                        "reference_fit_time": reference.fit_time,
                        "iterations": None if reached is None else reached[0],
                        "seconds": None if reached is None else reached[1],
                    }
                )
            if index == 0 and TIAM_DEFAULT in by_method:
                tiam = by_method[TIAM_DEFAULT]
                wait_for_idle(config.idle_wait)
                shaped[name] = shaped_gemm_rate(
                    tiam.layer_units, tiam.n_train, config.gemm_repeats
                )
    profile = None
    if TIAM_DEFAULT in config.methods:
        dataset = DATASETS[config.profile_dataset]
        data = split(dataset, config.seeds[0])
        estimator = METHODS[TIAM_DEFAULT].make(
            dataset.task, config.seeds[0], config.profile_max_iter
        )
        wait_for_idle(config.idle_wait)
        profile = profile_fit(estimator, data)
        profile["dataset"] = config.profile_dataset
        profile["n_train"] = int(data.X_train.shape[0])
        wait_for_idle(config.idle_wait)
        profile["shaped_gemm_rate"] = shaped_gemm_rate(
            profile["layer_units"], profile["n_train"], config.gemm_repeats
        )
    return {
        "config": asdict(config),
        "machine": machine,
        "gemm": {"square_size": config.gemm_size, "square": peak, "shaped": shaped},
        "runs": runs,
        "score_times": score_times,
        "profile": profile,
        "total_seconds": time.perf_counter() - started,
    }
