"""GPU check: CuPy against NumPy, the CUDA graph, host reads, and timings.

Runnable on its own, from the repository root or anywhere sktiam imports::

    python benchmarks/gpu_check.py [--out DIR] [--quick]

It fits TIAMClassifier with ``hidden_layer_sizes=(100, 100)`` on synthetic
data with 784 features and 10 classes, and checks, each check on its own so
that one failure does not hide the others:

1. ``kernels``: every fused CUDA kernel and the direct cuBLAS products against
   the generic array-API kernels, on the same CuPy arrays, in float64;
2. ``agreement``: ``device="cuda"`` against ``device="cpu"`` after 5
   iterations in float64, mini-batch and full batch: the relative difference
   of every weight matrix below 1e-8;
3. ``graph``: the mini-batch fit with the step captured in a CUDA graph
   against the same fit uncaptured, in float64: below 1e-12;
4. ``host reads``: with the generic kernels and with the fused ones, the
   arrays that come back to the host (``cupy.ndarray.get`` counted) during
   fits at the real batch size (64 rows) and at 256: none of
   a batch's rows, and as many with four times the batches; the check is
   shown to fail by a fit that reads one value back per batch;
5. ``timings``: seconds per epoch at batches of 64, 256, 1024 and 4096 on
   60,000 rows, for TIAM on the GPU (float32), TIAM on the CPU, and, when
   ``torch`` imports, torch's adam with the same network on the same card
   and data; seconds per full-batch iteration at 60,000 and 1,000,000 rows;
6. ``learning``: on the benchmark's 24,000 x 784 set, the training loss and
   test accuracy after each of 10 epochs and the seconds, for TIAM's steps
   and torch's adam, at batches of 64, 256 and 1024.

The fused CUDA kernels and the CUDA graph of the step are experimental, off
unless the environment variable ``SKTIAM_CUDA_KERNELS`` is ``"1"``
(:data:`sktiam._backend.CUDA_KERNELS_VARIABLE`); the script turns them on
where it checks or times them. Seconds per epoch are
``(t(k + 1) - t(1)) / k``, from fits of ``k + 1`` and 1
epochs, so that validation and the move to the GPU are not counted; a fit of
the same shape runs first, untimed, to compile kernels and fill memory
pools. Results go to ``gpu_check.json`` in ``--out``, and the tables are
printed last. The whole run is meant to take under eight minutes on an H200.
Without CuPy or a GPU it says so, runs the CPU columns only, and fails none
of the GPU checks.
"""

import argparse
import contextlib
import json
import os
import sys
import time
import traceback
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sktiam import TIAMClassifier  # noqa: E402
from sktiam._backend import gpu_available  # noqa: E402

N_FEATURES = 784
N_CLASSES = 10
HIDDEN = (100, 100)
BATCH_SIZES = (64, 256, 1024, 4096)
#: The steps compared in the learning check: the 0.2.0 step (one alpha for
#: every layer), and 0.3.0's (with the classifier's default output decay).
STEPS = {
    "0.2.0 step": {
        "batch_rounds": 1,
        "activation_step": "prox-linear",
        "alpha": 6.4e-4,
        "output_alpha_factor": 1.0,
    },
    "2 rounds, alpha 2e-3": {"batch_rounds": 2, "alpha": 2e-3},
    "cg, 2 rounds, alpha 2e-3": {
        "batch_rounds": 2,
        "activation_step": "cg",
        "alpha": 2e-3,
    },
}
#: The steps timed per epoch: one round (the fast step) and two.
TIMED_STEPS = {
    "1 round": {"batch_rounds": 1, "activation_step": "prox-linear"},
    "2 rounds": {"batch_rounds": 2, "activation_step": "prox-linear"},
}


def _data(n_samples: int, dtype: type, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Return standard normal rows whose class is a linear function's argmax."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, N_FEATURES), dtype=np.float32)
    projection = rng.standard_normal((N_FEATURES, N_CLASSES), dtype=np.float32)
    y = np.argmax(X @ projection + 0.5 * rng.standard_normal((n_samples, N_CLASSES)), 1)
    return X.astype(dtype), y


def _fit(device: str, X, y, n_iter: int, **params) -> TIAMClassifier:
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


@contextlib.contextmanager
def fused_kernels(enabled: bool = True):
    """Turn the experimental fused kernels and CUDA graph on, for a block."""
    from sktiam._backend import CUDA_KERNELS_VARIABLE

    previous = os.environ.get(CUDA_KERNELS_VARIABLE)
    os.environ[CUDA_KERNELS_VARIABLE] = "1" if enabled else "0"
    try:
        yield
    finally:
        if previous is None:
            del os.environ[CUDA_KERNELS_VARIABLE]
        else:
            os.environ[CUDA_KERNELS_VARIABLE] = previous


def _synchronise() -> None:
    if gpu_available():
        import cupy

        cupy.cuda.Device().synchronize()


def _timed(function, *args, **kwargs) -> float:
    _synchronise()
    start = time.perf_counter()
    function(*args, **kwargs)
    _synchronise()
    return time.perf_counter() - start


def per_epoch(device: str, X, y, epochs: int, **params) -> float:
    """Return ``(t(epochs + 1) - t(1)) / epochs`` of TIAM fits on ``device``."""
    warm = max(4096, 2 * (params.get("batch_size") or 0))
    _fit(device, X[:warm], y[:warm], 1, **params)
    single = min(_timed(_fit, device, X, y, 1, **params) for _ in range(2))
    several = _timed(_fit, device, X, y, epochs + 1, **params)
    return (several - single) / epochs


def _relative(got: list, expected: list) -> float:
    return max(
        float(np.linalg.norm(g - e) / max(np.linalg.norm(e), 1e-300))
        for g, e in zip(got, expected, strict=True)
    )


# -- checks ---------------------------------------------------------------------


def check_kernels() -> dict:
    """The fused kernels and direct GEMMs against the generic kernels, float64."""
    import array_api_compat.cupy as xp
    import cupy

    from sktiam._activations import Activation
    from sktiam._cupy_kernels import CupyKernels
    from sktiam._kernels import ArrayKernels
    from sktiam._losses import LogisticLoss, SoftmaxCrossEntropy

    fused, generic = CupyKernels(xp), ArrayKernels(xp)
    rng = cupy.random.default_rng(0)

    def normal(*shape):
        return rng.standard_normal(shape, dtype=cupy.float64)

    a, b, c = normal(64, 100), normal(100, 30), normal(64, 30)
    bias, vector, tau = normal(30), normal(100), cupy.asarray(2.5)
    results = {}

    def record(name, got, expected):
        if not isinstance(got, tuple):
            got, expected = (got,), (expected,)
        results[name] = _relative(
            [cupy.asnumpy(g) for g in got], [cupy.asnumpy(e) for e in expected]
        )

    record("matmul", fused.matmul(a, b), a @ b)
    record("matmul a^T", fused.matmul(a, c, transpose_a=True), a.T @ c)
    record("matmul b^T", fused.matmul(c, b, transpose_b=True), c @ b.T)
    column = normal(30)
    record("matmul column", fused.matmul(b, column), b @ column)
    record("matmul row", fused.matmul(vector, b), vector @ b)
    record("dot", fused.dot(vector, vector), vector @ vector)
    record("affine", fused.affine(a, b, bias), generic.affine(a, b, bias))
    record("residual", fused.residual(a, b, bias, c), generic.residual(a, b, bias, c))
    gradient = normal(64, 30)
    record(
        "scaled_step",
        fused.scaled_step(c, gradient.copy(), 0.3, tau),
        generic.scaled_step(c, gradient, 0.3, tau),
    )
    record(
        "extrapolate",
        fused.extrapolate(b, b * 0.9, 0.95),
        generic.extrapolate(b, b * 0.9, 0.95),
    )
    point, current = normal(100, 30), normal(100, 30)
    coefficients = (0.1 / 64, 1e-5, 0.2)
    record(
        "weight_step",
        fused.weight_step(b, point.copy(), current, coefficients, tau, current),
        generic.weight_step(b, point, current, coefficients, tau, current),
    )
    w, target = normal(64, 100), normal(64, 100)
    record(
        "relu_prox",
        fused.penalty_prox(Activation("relu"), w, target, 0.1, 0.1, 6)[0],
        generic.penalty_prox(Activation("relu"), w, target, 0.1, 0.1, 6)[0],
    )
    logits = 4 * normal(64, 10)
    onehot = cupy.eye(10)[rng.integers(0, 10, 64)]
    labels = (rng.random((64, 10)) < 0.3).astype(cupy.float64)
    for name, loss, targets in (
        ("softmax_step", SoftmaxCrossEntropy(), onehot),
        ("logistic_step", LogisticLoss(), labels),
    ):
        got = fused.output_step(loss, logits, targets, 0.1)
        expected = generic.output_step(loss, logits, targets, 0.1)
        # The losses and the prox, relatively; the residual, near 0, absolutely.
        record(name, got[:2], expected[:2])
        results[f"{name} residuals"] = (float(got[2]), float(expected[2]))
        if not abs(float(got[2]) - float(expected[2])) < 1e-10:
            raise AssertionError(f"{name}'s residual: {results[name + ' residuals']}")
    failed = {
        k: v for k, v in results.items() if not isinstance(v, tuple) and not v < 1e-12
    }
    if failed:
        raise AssertionError(f"kernels differ from the generic ones: {failed}")
    return results


def check_agreement(n_samples: int) -> dict:
    """CuPy against NumPy after 5 float64 iterations, in each driver."""
    X, y = _data(n_samples, np.float64)
    results = {}
    for driver, params in {
        "mini-batch": {},
        "full batch": {"batch_size": None},
    }.items():
        cpu = _fit("cpu", X, y, 5, **params)
        gpu = _fit("cuda", X, y, 5, **params)
        results[driver] = _relative(gpu.coefs_, cpu.coefs_)
    if not all(v < 1e-8 for v in results.values()):
        raise AssertionError(f"CuPy and NumPy disagree: {results}")
    return results


def check_graph(n_samples: int) -> dict:
    """The captured step against the uncaptured one, float64, 3 epochs."""
    from sktiam import _cupy_kernels

    X, y = _data(n_samples, np.float64)
    with warnings.catch_warnings(record=True) as caught, fused_kernels():
        warnings.simplefilter("always")
        captured = _fit("cuda", X, y, 3)
    refused = [str(w.message) for w in caught if "CUDA graph" in str(w.message)]
    _cupy_kernels.CupyKernels.captures = False
    try:
        with fused_kernels():
            plain = _fit("cuda", X, y, 3)
    finally:
        _cupy_kernels.CupyKernels.captures = True
    generic = _fit("cuda", X, y, 3)
    difference = _relative(captured.coefs_, plain.coefs_)
    result = {
        "relative_difference": difference,
        "fused_against_generic": _relative(plain.coefs_, generic.coefs_),
        "capture_refused": refused,
    }
    if refused:
        raise AssertionError(f"the capture was refused: {refused}")
    if not difference < 1e-12:
        raise AssertionError(f"captured and uncaptured steps differ: {difference}")
    return result


def _gets(n_samples: int, batch_size: int, read_per_batch: bool = False) -> tuple:
    """Count the arrays that come back during a 2-epoch fit; and batch-sized ones."""
    import cupy

    from sktiam import _cupy_kernels, _minibatch

    X, y = _data(n_samples, np.float32)
    shapes = []
    original = cupy.ndarray.get

    def counted(self, *args, **kwargs):
        shapes.append(self.shape)
        return original(self, *args, **kwargs)

    step = _minibatch.MiniBatchStep.__call__

    def reading(self, parameters, steps, rows):
        outputs = step(self, parameters, steps, rows)
        outputs[2].preactivations[0].get()  # one batch-sized read
        return outputs

    cupy.ndarray.get = counted
    if read_per_batch:
        _minibatch.MiniBatchStep.__call__ = reading
        _cupy_kernels.CupyKernels.captures = False
    try:
        _fit("cuda", X, y, 2, batch_size=batch_size)
    finally:
        cupy.ndarray.get = original
        _minibatch.MiniBatchStep.__call__ = step
        _cupy_kernels.CupyKernels.captures = True
    return len(shapes), sum(1 for s in shapes if s and s[0] == batch_size)


def check_host_reads(n_samples: int, fused: bool) -> dict:
    """No batch comes back, at the real batch size; reads do not grow with batches."""
    with fused_kernels(fused):
        small_total, small_batches = _gets(n_samples, 64)
        large_total, large_batches = _gets(n_samples, 256)
        injected_total, injected_batches = _gets(n_samples, 64, read_per_batch=True)
    result = {
        "arrays_back_at_64": small_total,
        "batch_arrays_back_at_64": small_batches,
        "arrays_back_at_256": large_total,
        "injected_read_caught": injected_batches,
    }
    if small_batches or large_batches or small_total != large_total:
        raise AssertionError(f"batches come back to the host: {result}")
    if not injected_batches:
        raise AssertionError(f"the check cannot fail: {result}")
    return result


# -- timings ----------------------------------------------------------------------


def torch_adam_epoch(X, y, batch_size: int, epochs: int = 3) -> float:
    """Return torch adam's seconds per epoch on the GPU, same network, same data."""
    import torch

    device = torch.device("cuda")
    inputs = torch.as_tensor(X, device=device)
    targets = torch.as_tensor(y, device=device)
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(N_FEATURES, HIDDEN[0]),
        torch.nn.ReLU(),
        torch.nn.Linear(HIDDEN[0], HIDDEN[1]),
        torch.nn.ReLU(),
        torch.nn.Linear(HIDDEN[1], N_CLASSES),
    ).to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss = torch.nn.CrossEntropyLoss()

    def epoch():
        order = torch.randperm(inputs.shape[0], device=device)
        for start in range(0, inputs.shape[0], batch_size):
            rows = order[start : start + batch_size]
            optimiser.zero_grad(set_to_none=True)
            loss(model(inputs[rows]), targets[rows]).backward()
            optimiser.step()

    epoch()  # warm-up
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(epochs):
        epoch()
    torch.cuda.synchronize()
    return (time.perf_counter() - start) / epochs


def timings(n_samples: int, sizes: tuple, gpu: bool, torch_ok: bool) -> list[dict]:
    """Seconds per epoch for each batch size, and per full-batch iteration."""
    X, y = _data(n_samples, np.float32)
    rows = []
    for batch_size in sizes:
        epochs = 3 if batch_size <= 256 else 5
        adam = torch_adam_epoch(X, y, batch_size) if torch_ok else None
        for name, step in TIMED_STEPS.items():
            row = {"what": f"epoch, batch {batch_size}, {name}", "n": n_samples}
            row["tiam_cpu"] = per_epoch("cpu", X, y, 1, batch_size=batch_size, **step)
            if gpu:
                row["tiam_gpu"] = per_epoch(
                    "cuda", X, y, epochs, batch_size=batch_size, **step
                )
                with fused_kernels():
                    row["tiam_gpu_fused"] = per_epoch(
                        "cuda", X, y, epochs, batch_size=batch_size, **step
                    )
            row["torch_adam_gpu"] = adam
            rows.append(row)
            print(row, flush=True)
    for n in (n_samples, 1_000_000):
        if n > n_samples and not gpu:
            continue
        Xn, yn = (X, y) if n == n_samples else _data(n, np.float32, seed=1)
        row = {"what": "full-batch iteration", "n": n}
        if n == n_samples:
            row["tiam_cpu"] = per_epoch("cpu", Xn, yn, 1, batch_size=None)
        if gpu:
            row["tiam_gpu"] = per_epoch("cuda", Xn, yn, 3, batch_size=None)
        rows.append(row)
        print(row, flush=True)
    return rows


def learning(torch_ok: bool, sizes: tuple, epochs: int) -> list[dict]:
    """Training loss, test accuracy and seconds after each epoch, on the GPU.

    On the benchmark's 24,000 x 784 set (split seed 0), for TIAM's steps of
    :data:`STEPS` and torch's adam: the loss is the forward network's
    cross-entropy on the whole training part, taken with the clock stopped.
    """
    from sklearn.metrics import log_loss

    from benchmarks.datasets import DATASETS, split
    from benchmarks.measure import probed_fit

    data = split(DATASETS["synthetic_784"], 0)
    X, Xt = data.X_train.astype(np.float32), data.X_test.astype(np.float32)
    y, yt = data.y_train, data.y_test

    def probe(model):
        loss = log_loss(y, model.predict_proba(X), labels=model.classes_)
        return float(loss), float(model.score(Xt, yt))

    rows = []
    for batch_size in sizes:
        for name, params in STEPS.items():
            model = TIAMClassifier(
                hidden_layer_sizes=HIDDEN,
                max_iter=epochs,
                tol=0.0,
                random_state=0,
                device="cuda",
                batch_size=batch_size,
                **params,
            )
            _fit("cuda", X[:4096], y[:4096], 1, batch_size=batch_size, **params)
            _, curve = probed_fit(model, X, y, probe)
            rows.append({"method": name, "batch": batch_size, "curve": curve})
            print(rows[-1]["method"], batch_size, curve[-1], flush=True)
        if torch_ok:
            curve = _torch_curve(X, y, Xt, yt, batch_size, epochs)
            rows.append({"method": "torch adam", "batch": batch_size, "curve": curve})
            print("torch adam", batch_size, curve[-1], flush=True)
    return rows


def _torch_curve(X, y, Xt, yt, batch_size: int, epochs: int) -> list:
    import torch

    device = torch.device("cuda")
    inputs, targets = (
        torch.as_tensor(X, device=device),
        torch.as_tensor(y, device=device),
    )
    test = torch.as_tensor(Xt, device=device)
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(N_FEATURES, HIDDEN[0]),
        torch.nn.ReLU(),
        torch.nn.Linear(HIDDEN[0], HIDDEN[1]),
        torch.nn.ReLU(),
        torch.nn.Linear(HIDDEN[1], N_CLASSES),
    ).to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss = torch.nn.CrossEntropyLoss()
    curve, elapsed = [], 0.0
    for _ in range(epochs):
        torch.cuda.synchronize()
        start = time.perf_counter()
        order = torch.randperm(inputs.shape[0], device=device)
        for s in range(0, inputs.shape[0], batch_size):
            rows = order[s : s + batch_size]
            optimiser.zero_grad(set_to_none=True)
            loss(model(inputs[rows]), targets[rows]).backward()
            optimiser.step()
        torch.cuda.synchronize()
        elapsed += time.perf_counter() - start
        with torch.no_grad():
            train = float(loss(model(inputs), targets))
            accuracy = float((model(test).argmax(1).cpu().numpy() == yt).mean())
        curve.append((elapsed, (train, accuracy)))
    return curve


# -- main ---------------------------------------------------------------------------


def _stage(results: dict, out: Path, name: str, function, *args) -> None:
    start = time.perf_counter()
    try:
        results[name] = {"ok": True, "result": function(*args)}
    except Exception as error:  # every check reports, whatever fails
        results[name] = {
            "ok": False,
            "error": f"{type(error).__name__}: {error}",
            "traceback": traceback.format_exc(),
        }
    results[name]["seconds"] = time.perf_counter() - start
    # Written after every stage: a run stopped at its time limit keeps these.
    out.mkdir(parents=True, exist_ok=True)
    (out / "gpu_check.json").write_text(json.dumps(results, indent=1, default=str))
    print(
        f"[{name}] {results[name]['ok']} in {results[name]['seconds']:.1f} s:",
        results[name].get("result", results[name].get("error")),
        flush=True,
    )


def _table(results: dict) -> str:
    lines = [
        "| what | n | TIAM GPU s | TIAM GPU fused s | TIAM CPU s "
        "| torch adam GPU s | GPU / torch | CPU / GPU |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in results.get("timings", {}).get("result") or []:
        gpu, cpu = row.get("tiam_gpu"), row.get("tiam_cpu")
        fused, torch = row.get("tiam_gpu_fused"), row.get("torch_adam_gpu")
        best = min((v for v in (gpu, fused) if v is not None), default=None)
        fmt = lambda v: "" if v is None else f"{v:.4f}"  # noqa: E731
        ratio = "" if best is None or torch is None else f"{best / torch:.2f}"
        speedup = "" if best is None or cpu is None else f"{cpu / best:.1f}x"
        cells = [row["what"], row["n"], fmt(gpu), fmt(fused), fmt(cpu), fmt(torch)]
        lines.append("| " + " | ".join(str(c) for c in [*cells, ratio, speedup]) + " |")
    learning_rows = results.get("learning", {}).get("result") or []
    if learning_rows:
        lines += [
            "",
            "| 24,000 x 784 | batch | train loss, epoch 10 | test accuracy | seconds |",
            "|---|---:|---:|---:|---:|",
        ]
        for row in learning_rows:
            seconds, (loss, accuracy) = row["curve"][-1]
            lines.append(
                f"| {row['method']} | {row['batch']} | {loss:.4f} | {accuracy:.4f} "
                f"| {seconds:.2f} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=".", help="folder for gpu_check.json")
    parser.add_argument(
        "--quick", action="store_true", help="small sizes, to try the script"
    )
    args = parser.parse_args(argv)
    gpu = gpu_available()
    try:
        import torch

        torch_ok = gpu and torch.cuda.is_available()
    except ImportError:
        torch_ok = False
    results: dict = {"gpu": gpu, "torch": torch_ok, "cpu_count": os.cpu_count()}
    if gpu:
        import cupy

        results["device"] = cupy.cuda.runtime.getDeviceProperties(0)["name"].decode()
        results["cupy"] = cupy.__version__
    print(results, flush=True)
    out = Path(args.out)
    n = 2_000 if args.quick else 60_000
    if gpu:
        _stage(results, out, "kernels", check_kernels)
        _stage(
            results, out, "agreement", check_agreement, 2_000 if args.quick else 10_000
        )
        _stage(results, out, "graph", check_graph, 2_000 if args.quick else 10_000)
        for fused in (False, True):
            _stage(
                results,
                out,
                f"host reads{', fused' if fused else ''}",
                check_host_reads,
                2_000 if args.quick else 20_000,
                fused,
            )
    sizes = (64, 256) if args.quick else BATCH_SIZES
    _stage(results, out, "timings", timings, n, sizes, gpu, torch_ok)
    if gpu:
        _stage(results, out, "learning", learning, torch_ok, (64, 256, 1024), 10)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / "gpu_check.json").write_text(
        json.dumps(results, indent=1, default=str)
    )
    print()
    print(_table(results))
    failed = [
        k for k, v in results.items() if isinstance(v, dict) and not v.get("ok", True)
    ]
    print("failed:", failed or "none")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
