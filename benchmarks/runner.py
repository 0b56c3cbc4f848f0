"""Run the whole benchmark: every method on every dataset and seed, then the limits.

:func:`run` returns a plain dict (JSON-ready) that :mod:`benchmarks.analysis`
summarises, :mod:`benchmarks.report` writes out and :mod:`benchmarks.plots`
draws.
"""

import sys
import time
from dataclasses import asdict, dataclass, field

from sktiam import TIAMClassifier

from .datasets import DATASETS, split
from .machine import gemm_rate, machine_info, wait_for_idle
from .measure import Timing, measure, time_to_score
from .methods import (
    METHODS,
    MINI_BATCH_METHODS,
    REFERENCE_SCORE_METHOD,
    TIAM_DEFAULT,
    TIAM_FULL_BATCH,
)
from .profiling import profile_fit

#: Rows of a batch of the TIAM defaults.
BATCH_ROWS = TIAMClassifier().batch_size
#: The TIAM variants whose time to adam's test score is searched.
SCORE_TIME_METHODS = (TIAM_DEFAULT, TIAM_FULL_BATCH)
#: The largest datasets run only these methods, on the first seed: the
#: methods that train in batches (full-batch TIAM too on flights, for the
#: comparison of the two drivers on a large real set).
LARGE_DATASETS = {
    "flights": (*MINI_BATCH_METHODS, TIAM_FULL_BATCH),
    "synthetic_1000000": MINI_BATCH_METHODS,
}
#: Iterations (epochs, or sweeps of full-batch TIAM) of every method on the
#: largest datasets: an epoch of mini-batch TIAM over flights' 252k training
#: rows takes about 13 s on two cores, so 200 of them, and the refits of the
#: search for adam's score, would take hours. The scores there are those of
#: equally short runs of every method.
LARGE_ITERATIONS = {"flights": 10, "synthetic_1000000": 3}


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

    def methods_for(self, dataset: str) -> list[str]:
        """Return the methods that run on ``dataset``."""
        allowed = LARGE_DATASETS.get(dataset)
        return [m for m in self.methods if allowed is None or m in allowed]

    def seeds_for(self, dataset: str) -> list[int]:
        """Return the seeds of ``dataset``: the first only for the largest."""
        return self.seeds[:1] if dataset in LARGE_DATASETS else self.seeds

    def cap(self, dataset: str, method: str) -> int | None:
        """Return the iteration cap of the fits of ``method`` on ``dataset``."""
        caps = [self.max_iter]
        if DATASETS[dataset].scaling:
            caps.append(self.scaling_max_iter)
        if dataset in LARGE_ITERATIONS:
            caps.append(LARGE_ITERATIONS[dataset])
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
        for index, seed in enumerate(config.seeds_for(name)):
            data = split(dataset, seed)
            by_method = {}
            for method_name in config.methods_for(name):
                result = measure(
                    METHODS[method_name],
                    dataset.task,
                    name,
                    seed,
                    data,
                    config.cap(name, method_name),
                    trace_memory=index == 0,
                    timing=timing,
                )
                by_method[method_name] = result
                runs.append(result.to_dict())
                _log(
                    f"{name} seed {seed} {method_name}: score {result.score:.4f}, "
                    f"{result.fit_time:.2f} s, {result.n_iter} iterations"
                )
            reference = by_method.get(REFERENCE_SCORE_METHOD)
            # On the largest datasets only the defaults: the search refits
            # at up to a dozen iteration counts.
            searched = (TIAM_DEFAULT,) if name in LARGE_DATASETS else SCORE_TIME_METHODS
            for tiam_name in searched:
                tiam = by_method.get(tiam_name)
                if reference is None or tiam is None:
                    continue
                reached = time_to_score(
                    METHODS[tiam_name],
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
                        "method": tiam_name,
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
                # The products of a mini-batch step have a batch's rows.
                shaped[name] = shaped_gemm_rate(
                    tiam.layer_units, min(BATCH_ROWS, tiam.n_train), config.gemm_repeats
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
            profile["layer_units"],
            min(BATCH_ROWS, profile["n_train"]),
            config.gemm_repeats,
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
