"""The machine: its description, its GEMM rate, and the flops of a TIAM iteration.

The physical limit of a TIAM iteration is the time its matrix products take
at the machine's GEMM rate. :func:`gemm_rate` measures that rate with NumPy;
:func:`tiam_flops_per_iteration` counts the products of one iteration from
the layer shapes, following the code of ``sktiam/_blocks.py`` and
``sktiam/_solver.py``.
"""

import os
import platform
import time
from importlib import metadata

import numpy as np
from threadpoolctl import threadpool_info

import sktiam
from sktiam._kernels import WEIGHT_POWER_ITERATIONS

#: Libraries whose versions the report records.
LIBRARIES = ("sktiam", "numpy", "scipy", "scikit-learn", "matplotlib", "mlxtend")
#: Share of all cores used by other processes below which the machine is idle.
IDLE_THRESHOLD = 0.1
#: Environment variables that limit the BLAS and OpenMP threads.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def cpu_model() -> str:
    """Return the CPU model name from ``/proc/cpuinfo``, or the platform's."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict:
    """Return the CPU, cores, load, BLAS and library versions of this run.

    Returns
    -------
    dict
        ``cpu``, ``cores`` (usable by this process), ``load_average`` (1, 5
        and 15 minutes, at the call), ``blas`` (one string per BLAS or OpenMP
        library loaded, with its thread count), ``thread_limits`` (the
        environment variables that are set), ``python`` and ``versions``.
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    blas = [
        f"{pool.get('internal_api')} {pool.get('version')} "
        f"({pool.get('num_threads')} threads)"
        for pool in threadpool_info()
    ]
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    # The module's own version: an editable install's metadata keeps the
    # version it was installed at.
    versions["sktiam"] = sktiam.__version__
    return {
        "cpu": cpu_model(),
        "cores": cores,
        "load_average": list(os.getloadavg()),
        "blas": blas,
        "thread_limits": [
            f"{k}={os.environ[k]}" for k in THREAD_VARIABLES if k in os.environ
        ],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
    }


def cpu_ticks() -> tuple[int, int, int] | None:
    """Return the machine's busy and total CPU ticks and this process's ticks.

    From ``/proc/stat`` and ``/proc/self/stat``; None where they do not exist.
    """
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
        with open("/proc/self/stat", encoding="ascii") as own:
            own_fields = own.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    idle = fields[3] + fields[4]
    total = sum(fields[:8])
    return total - idle, total, int(own_fields[11]) + int(own_fields[12])


def others_share_between(
    before: tuple[int, int, int] | None, after: tuple[int, int, int] | None
) -> float:
    """Return the share of all cores used by other processes between two readings.

    The readings are :func:`cpu_ticks` results; what the machine spent beyond
    this process's own ticks is other work. NaN without ``/proc``.
    """
    if before is None or after is None or after[1] == before[1]:
        return float("nan")
    busy = (after[0] - before[0]) - (after[2] - before[2])
    return max(busy, 0) / (after[1] - before[1])


def wait_for_idle(
    max_seconds: float, threshold: float = IDLE_THRESHOLD
) -> tuple[float, float]:
    """Wait until other processes use less than ``threshold`` of the cores.

    Parameters
    ----------
    max_seconds : float
        Longest wait; 0 measures once and does not wait.
    threshold : float, default=IDLE_THRESHOLD
        Share of all cores below which the machine counts as idle.

    Returns
    -------
    share : float
        The last measured share of the cores used by other processes.
    waited : float
        Seconds waited.
    """
    start = time.perf_counter()
    while True:
        before = cpu_ticks()
        time.sleep(0.2)
        share = others_share_between(before, cpu_ticks())
        if not share >= threshold or time.perf_counter() - start >= max_seconds:
            return share, time.perf_counter() - start
        time.sleep(0.8)


def _best_time(function, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def gemm_rate(rows: int, inner: int, columns: int, repeats: int = 5) -> float:
    """Return the best rate, in flop/s, of a float64 product ``rows x inner x columns``.

    The product is ``(rows x inner) @ (inner x columns)``.

    One product counts ``2 rows inner columns`` flops. The operands are
    random and allocated once; the result of each product is a new array, as
    in the library.

    Parameters
    ----------
    rows, inner, columns : int
        Shapes of the product.
    repeats : int, default=5
        Number of timed products; the fastest counts.

    Returns
    -------
    float
        Flops per second of the fastest product.
    """
    generator = np.random.default_rng(0)
    left = generator.standard_normal((rows, inner))
    right = generator.standard_normal((inner, columns))
    left @ right
    seconds = _best_time(lambda: left @ right, repeats)
    return 2.0 * rows * inner * columns / seconds


def tiam_flops_per_iteration(
    layer_units: list[int],
    n_samples: int,
    mean_trials: float,
    safeguard: bool,
) -> float:
    """Count the flops of the matrix products in one TIAM iteration.

    With layer widths ``u_0 .. u_L`` (input, hidden, output), ``L`` weight
    layers, ``S_W = sum_{l=1..L} u_{l-1} u_l`` and
    ``S_A = sum_{l=2..L} u_{l-1} u_l``::

        flops = 2 n [(4 + m + t) S_W + (2 + m + t) S_A - (1 + m) u_0 u_1]
                + 12 n sum_{l=1..L} u_{l-1}

    - ``W_l`` block, per layer: ``A_{l-1} W`` at the gradient point, its
      gradient ``A_{l-1}^T (...)``, ``A_{l-1} W`` at the accepted ``W`` (the
      bias and ``Z_l`` steps reuse it), and one more for the forward pass of
      ``loss_curve_``: 4 products of ``2 n u_{l-1} u_l`` flops. Each
      backtracking trial adds ``A_{l-1} D``; the safeguard's comparison adds
      ``A_{l-1} W^k``. The power iteration takes 3 pairs of matrix-vector
      products, ``12 n u_{l-1}`` flops. For the first layer, whose input
      ``X`` is fixed, the solver keeps ``X W_1`` of the accepted ``W_1``: the
      forward pass and the next sweep's safeguard reuse it, so the first
      layer does ``1 + m`` products fewer.
    - ``A_l`` block (hidden layers): ``A W'`` at the gradient point and the
      gradient ``R W'^T`` (2 products of ``2 n u_l u_{l+1}``), one per trial,
      one for the safeguard's comparison. Its power iteration does not
      depend on ``n`` and is left out, as are the element-wise operations.
    - ``m`` is 1 when the safeguard compares (``monotone=True`` with some
      inertia), else 0. ``t`` is the mean number of trials per backtracking
      block: the ``2L`` fixed-step blocks (``b_l``, hidden ``Z_l``, ``Z_L``)
      report one trial each, so ``t = (T - 2L) / (2L - 1)`` with ``T`` the
      mean of ``diagnostics_["backtracking_trials"]``.
    - A block redone by the safeguard recomputes its gradient (one or two
      more products); these are not counted, so the count is a lower bound
      by at most two products per restart.

    Parameters
    ----------
    layer_units : list of int
        ``[u_0, ..., u_L]``.
    n_samples : int
        Training samples ``n``.
    mean_trials : float
        ``T``, the mean number of trials per iteration over all blocks.
    safeguard : bool
        Whether the safeguard comparison runs (``m = 1``).

    Returns
    -------
    float
        Flops of one iteration's matrix products.
    """
    n_layers = len(layer_units) - 1
    weight_sizes = [
        a * b for a, b in zip(layer_units[:-1], layer_units[1:], strict=True)
    ]
    s_w = sum(weight_sizes)
    s_a = sum(weight_sizes[1:])
    trials = max(mean_trials - 2 * n_layers, 0.0) / (2 * n_layers - 1)
    m = 1.0 if safeguard else 0.0
    products = (4.0 + m + trials) * s_w + (2.0 + m + trials) * s_a
    products -= (1.0 + m) * weight_sizes[0]
    return 2.0 * n_samples * products + 12.0 * n_samples * sum(layer_units[:-1])


def tiam_minibatch_flops_per_epoch(
    layer_units: list[int],
    n_samples: int,
    power_iterations: int = WEIGHT_POWER_ITERATIONS,
    rounds: int = 1,
) -> float:
    """Count the flops of the matrix products in one mini-batch TIAM epoch.

    Per row, with ``S_W`` and ``S_A`` as in :func:`tiam_flops_per_iteration`,
    ``k`` the power iterations per ``W_l`` step and ``r`` rounds per batch::

        flops = 2 n (r (3 S_W + S_A) - (r - 1) u_0 u_1) + 4 r k n sum_{l=1..L} u_{l-1}

    - the lift, a forward pass: ``A_{l-1} W_l`` for every layer (``S_W``);
    - each hidden ``A_l`` step: its residual is the lifted ``Z_{l+1}`` minus
      the updated one, so only the gradient ``R W'^T`` is a product
      (``S_A``);
    - each ``W_l`` step: ``A_{l-1} W`` at the gradient point and the gradient
      ``A_{l-1}^T R`` (``2 S_W``); its step size comes from ``k`` power
      iterations of two matrix-vector products each, ``4 k n u_{l-1}``
      (:data:`sktiam._kernels.WEIGHT_POWER_ITERATIONS`, 3; it was 2 when the
      step-cost records before it were made). The bias steps need only
      column means;
    - a round after the first recomputes the centres in place of the lift
      (``S_W``), but its first ``W_1`` step needs no product at the gradient
      point: ``X`` times the weights and times those of the momentum are the
      centres of this round and of the last (``- u_0 u_1``).

    The ``A_l`` steps' power iterations, on ``W' W'^T``, do not depend on
    ``n`` and are left out, as are the element-wise operations.

    Parameters
    ----------
    layer_units : list of int
        ``[u_0, ..., u_L]``.
    n_samples : int
        Training samples ``n``: the rows of all batches.
    power_iterations : int, default=WEIGHT_POWER_ITERATIONS
        Power iterations per ``W_l`` step.
    rounds : int, default=1
        Rounds per batch (``batch_rounds``).

    Returns
    -------
    float
        Flops of one epoch's matrix products.
    """
    weight_sizes = [
        a * b for a, b in zip(layer_units[:-1], layer_units[1:], strict=True)
    ]
    s_w, s_a = sum(weight_sizes), sum(weight_sizes[1:])
    power = 4.0 * rounds * power_iterations * n_samples * sum(layer_units[:-1])
    products = rounds * (3 * s_w + s_a) - (rounds - 1) * weight_sizes[0]
    return 2.0 * n_samples * products + power
