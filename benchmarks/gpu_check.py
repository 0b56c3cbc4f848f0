"""GPU check: CuPy agrees with NumPy, and the seconds per iteration on each.

Runnable on its own, from the repository root or anywhere sktiam imports::

    python benchmarks/gpu_check.py [--sizes 10000 60000 200000]

It fits TIAMClassifier with ``hidden_layer_sizes=(100, 100)`` on synthetic
data with 784 features and 10 classes, in both drivers (full batch,
``batch_size=None``, and mini-batch, the defaults), then:

1. asserts that ``device="cuda"`` and ``device="cpu"`` agree after 5
   iterations (epochs) in float64: the relative difference of every weight
   matrix, ``||W_gpu - W_cpu|| / ||W_cpu||``, is below 1e-8, in each driver;
2. asserts that a mini-batch fit on the GPU slices its batches on the device:
   no batch of ``X`` comes back to the host (CuPy's ``get`` is counted while
   it runs);
3. prints a table of seconds per iteration (epoch) for each n, in float32 and
   float64, CPU against GPU, with the ratio, for each driver.

Seconds per iteration are ``(t(k + 1) - t(1)) / k``: the time of a fit of
``k + 1`` iterations minus that of a 1-iteration fit, so that validation, the
move to the GPU and the forward pass that builds the state are not counted.
On the GPU a 1-iteration fit of the same size runs first, untimed, so that
CuPy's memory pool and kernel cache are filled; each time is the best of two.
Without CuPy or a visible GPU it says so, skips the agreement check, and
measures the CPU column only.
"""

import argparse
import os
import sys
import time
import warnings

import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sktiam import TIAMClassifier  # noqa: E402
from sktiam._backend import gpu_available  # noqa: E402

N_FEATURES = 784
N_CLASSES = 10
HIDDEN = (100, 100)


def _data(n_samples: int, dtype: type) -> tuple[np.ndarray, np.ndarray]:
    X, y = make_classification(
        n_samples=n_samples,
        n_features=N_FEATURES,
        n_informative=60,
        n_classes=N_CLASSES,
        random_state=0,
    )
    return X.astype(dtype), y


#: The two drivers: the keyword arguments that choose them.
DRIVERS = {"full batch": {"batch_size": None}, "mini-batch": {}}


def _fit(
    device: str, X: np.ndarray, y: np.ndarray, n_iter: int, **params
) -> TIAMClassifier:
    model = TIAMClassifier(
        hidden_layer_sizes=HIDDEN,
        max_iter=n_iter,
        tol=0.0,
        random_state=0,
        device=device,
        **params,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


def _synchronise(device: str) -> None:
    if device == "cuda":
        import cupy

        cupy.cuda.Device().synchronize()


def _timed_fit(
    device: str, X: np.ndarray, y: np.ndarray, n_iter: int, **params
) -> float:
    _synchronise(device)
    start = time.perf_counter()
    model = _fit(device, X, y, n_iter, **params)
    _synchronise(device)
    elapsed = time.perf_counter() - start
    if model.n_iter_ != n_iter:
        raise RuntimeError(f"expected {n_iter} iterations, the fit ran {model.n_iter_}")
    return elapsed


def seconds_per_iteration(
    device: str, X: np.ndarray, y: np.ndarray, n_iter: int, **params
) -> float:
    """Return ``(t(n_iter + 1) - t(1)) / n_iter`` for a fit on ``device``."""
    if device == "cuda":
        _fit(device, X, y, 1, **params)  # warm-up: memory pool and kernels
        single = min(_timed_fit(device, X, y, 1, **params) for _ in range(2))
        several = min(_timed_fit(device, X, y, n_iter + 1, **params) for _ in range(2))
    else:
        _fit(device, X[:500], y[:500], 1, **params)  # warm-up: imports
        single = _timed_fit(device, X, y, 1, **params)
        several = _timed_fit(device, X, y, n_iter + 1, **params)
    return (several - single) / n_iter


def check_agreement(n_samples: int = 10_000) -> float:
    """Assert that CuPy and NumPy agree after 5 float64 iterations, per driver.

    Returns the largest relative difference of the weight matrices.
    """
    X, y = _data(n_samples, np.float64)
    worst = 0.0
    for driver, params in DRIVERS.items():
        cpu = _fit("cpu", X, y, 5, **params)
        gpu = _fit("cuda", X, y, 5, **params)
        difference = max(
            float(np.linalg.norm(g - c) / np.linalg.norm(c))
            for g, c in zip(gpu.coefs_, cpu.coefs_, strict=True)
        )
        print(
            f"agreement after 5 iterations, {driver}, float64, n={n_samples}: "
            f"largest relative difference of coefs = {difference:.2e} "
            "(must be < 1e-8)"
        )
        if not difference < 1e-8:
            raise AssertionError(
                f"CuPy and NumPy disagree in {driver}: {difference:.2e} >= 1e-8"
            )
        worst = max(worst, difference)
    return worst


def check_batches_stay_on_the_device(n_samples: int = 20_000) -> int:
    """Assert that a mini-batch fit on the GPU copies no batch to the host.

    Counts the calls of ``cupy.ndarray.get`` during a fit of 2 epochs whose
    batches have 200 rows: the fitted weights come back (``coefs_`` and
    ``intercepts_``, and the state kept for ``partial_fit``), but no array of
    a batch's rows may. Returns the number of arrays that came back.
    """
    import cupy

    X, y = _data(n_samples, np.float32)
    shapes = []
    original = cupy.ndarray.get

    def counted(self, *args, **kwargs):
        shapes.append(self.shape)
        return original(self, *args, **kwargs)

    cupy.ndarray.get = counted
    try:
        _fit("cuda", X, y, 2)
    finally:
        cupy.ndarray.get = original
    batch_arrays = [shape for shape in shapes if shape and shape[0] == 200]
    print(
        f"mini-batch on the GPU, n={n_samples}: {len(shapes)} arrays came back "
        f"to the host, {len(batch_arrays)} of them a batch's rows (must be 0)"
    )
    if batch_arrays:
        raise AssertionError(f"batches came back to the host: {batch_arrays[:3]}")
    return len(shapes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[10_000, 60_000, 200_000]
    )
    parser.add_argument(
        "--iterations", type=int, default=3, help="timed iterations per CPU fit"
    )
    parser.add_argument(
        "--gpu-iterations", type=int, default=20, help="timed iterations per GPU fit"
    )
    args = parser.parse_args(argv)

    gpu = gpu_available()
    if gpu:
        import cupy

        name = cupy.cuda.runtime.getDeviceProperties(0)["name"].decode()
        print(f"GPU: {name}, CuPy {cupy.__version__}")
        check_agreement()
        check_batches_stay_on_the_device()
    else:
        print(
            "No GPU: CuPy is not installed or sees no device. The agreement "
            "check is skipped and only the CPU column is measured."
        )
    print(f"CPU: {os.cpu_count()} logical cores, NumPy {np.__version__}")
    print()
    header = "| driver | n | dtype | CPU s/iter | GPU s/iter | CPU / GPU |"
    print(header)
    print("|---|---:|---|---:|---:|---:|")
    for driver, params in DRIVERS.items():
        for n_samples in args.sizes:
            for dtype in (np.float32, np.float64):
                X, y = _data(n_samples, dtype)
                cpu = seconds_per_iteration("cpu", X, y, args.iterations, **params)
                if gpu:
                    cuda = seconds_per_iteration(
                        "cuda", X, y, args.gpu_iterations, **params
                    )
                    gpu_cell, ratio = f"{cuda:.4f}", f"{cpu / cuda:.1f}x"
                else:
                    gpu_cell, ratio = "no GPU", "n/a"
                print(
                    f"| {driver} | {n_samples} | {np.dtype(dtype).name} | "
                    f"{cpu:.4f} | {gpu_cell} | {ratio} |",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
