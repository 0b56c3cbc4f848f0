"""The GPU kernels' arithmetic, checked on the CPU.

The CUDA source of the fused kernels (``sktiam/_cuda_source.py``) also
compiles as C++, one loop iteration per CUDA thread. Compiled so and called
through ctypes, each kernel must compute what the generic kernels compute:
the same test a GPU would run, without one. Skipped without a C++ compiler.
"""

import ctypes
import shutil
import subprocess

import array_api_compat.numpy as xp
import numpy as np
import pytest

from sktiam._activations import Activation
from sktiam._cuda_source import KERNEL_NAMES, source
from sktiam._kernels import OUTPUT_PROX_STEP_CAP, ArrayKernels, output_prox_iterations
from sktiam._losses import LogisticLoss, SoftmaxCrossEntropy

COMPILER = shutil.which("c++") or shutil.which("g++")
pytestmark = pytest.mark.skipif(COMPILER is None, reason="needs a C++ compiler")
GENERIC = ArrayKernels(xp)
RHO, GAMMA = 0.1, 0.1


@pytest.fixture(scope="module", params=["double", "float"])
def compiled(request, tmp_path_factory):
    """The kernels compiled for the CPU, with their dtype."""
    real = request.param
    directory = tmp_path_factory.mktemp(real)
    path = directory / "kernels.cpp"
    path.write_text(source(real, cuda=False))
    library = directory / "kernels.so"
    subprocess.run(
        [COMPILER, "-O2", "-shared", "-fPIC", str(path), "-o", str(library)],
        check=True,
    )
    dtype = np.float64 if real == "double" else np.float32
    return ctypes.CDLL(str(library)), dtype


def _call(compiled, name, *args):
    """Call kernel ``name``: arrays by pointer, Python ints as long long,
    NumPy int32 as int, floats in the kernels' real type."""
    library, dtype = compiled
    real = ctypes.c_double if dtype == np.float64 else ctypes.c_float
    converted = []
    for a in args:
        if isinstance(a, np.ndarray):
            assert a.dtype == dtype and a.flags.c_contiguous
            converted.append(ctypes.c_void_p(a.ctypes.data))
        elif isinstance(a, np.int32):
            converted.append(ctypes.c_int(int(a)))
        elif isinstance(a, int):
            converted.append(ctypes.c_longlong(a))
        else:
            converted.append(real(a))
    getattr(library, name)(*converted)


def _tolerance(compiled):
    return 1e-12 if compiled[1] == np.float64 else 2e-5


def test_every_kernel_is_exported(compiled):
    library, _ = compiled
    for name in KERNEL_NAMES:
        assert hasattr(library, name)


def test_affine_kernels(compiled):
    dtype = compiled[1]
    rng = np.random.RandomState(0)
    product, bias, target = (
        rng.randn(7, 5).astype(dtype),
        rng.randn(5).astype(dtype),
        rng.randn(7, 5).astype(dtype),
    )
    out = product.copy()
    _call(compiled, "add_bias", out, bias, 7, 5)
    np.testing.assert_allclose(out, product + bias, rtol=_tolerance(compiled))
    out = product.copy()
    _call(compiled, "residual", out, bias, target, 7, 5)
    np.testing.assert_allclose(
        out, product + bias - target, rtol=_tolerance(compiled), atol=1e-6
    )


def test_step_kernels(compiled):
    dtype = compiled[1]
    rng = np.random.RandomState(1)
    start, gradient, previous, point = (rng.randn(6, 4).astype(dtype) for _ in "abcd")
    tau = np.array(2.5, dtype=dtype)
    tolerance = dict(rtol=_tolerance(compiled), atol=1e-6)

    out = gradient.copy()
    _call(compiled, "scaled_step", out, start, tau, 0.3, out.size)
    np.testing.assert_allclose(
        out, GENERIC.scaled_step(start, gradient, 0.3, tau), **tolerance
    )

    out = np.empty_like(start)
    _call(compiled, "extrapolate", start, previous, out, 0.95, out.size)
    np.testing.assert_allclose(
        out, GENERIC.extrapolate(start, previous, 0.95), **tolerance
    )

    for coefficients in ((0.1 / 64, 1e-5, 0.0), (0.1 / 64, 0.0, 0.3)):
        out = gradient.copy()
        _call(
            compiled,
            "weight_step",
            out,
            start,
            point,
            previous,
            tau,
            *coefficients,
            out.size,
        )
        np.testing.assert_allclose(
            out,
            GENERIC.weight_step(start, gradient, point, coefficients, tau, previous),
            **tolerance,
        )


def test_relu_prox_kernel(compiled):
    dtype = compiled[1]
    rng = np.random.RandomState(2)
    w = (2 * rng.randn(40, 30)).astype(dtype)
    a = np.maximum(w, 0) + rng.randn(40, 30).astype(dtype)
    out = np.empty_like(w)
    k = (np.sqrt(RHO * (RHO + GAMMA)) + RHO) / GAMMA
    _call(compiled, "relu_prox", w, a, out, RHO, GAMMA, k, out.size)
    expected, _ = GENERIC.penalty_prox(Activation("relu"), w, a, RHO, GAMMA, 0)
    np.testing.assert_allclose(out, expected, rtol=_tolerance(compiled), atol=1e-6)


@pytest.mark.parametrize("loss", [SoftmaxCrossEntropy(), LogisticLoss()])
def test_output_step_kernels(compiled, loss):
    """The one-thread-per-row softmax prox and the one-thread-per-entry
    logistic prox, against the generic vectorised Newton."""
    dtype = compiled[1]
    rng = np.random.RandomState(3)
    v = (4 * rng.randn(50, 10)).astype(dtype)
    if isinstance(loss, SoftmaxCrossEntropy):
        y = np.eye(10, dtype=dtype)[rng.randint(10, size=50)]
        name, shape = "softmax_step", (50,)
    else:
        y = (rng.rand(50, 10) < 0.3).astype(dtype)
        name, shape = "logistic_step", (50, 10)
    z = np.empty_like(v)
    losses, residuals = np.empty(shape, dtype), np.empty(shape, dtype)
    iterations = np.int32(output_prox_iterations(RHO))
    sizes = (50, 10) if name == "softmax_step" else (v.size,)
    _call(
        compiled,
        name,
        v,
        y,
        z,
        losses,
        residuals,
        *sizes,
        RHO,
        iterations,
        OUTPUT_PROX_STEP_CAP,
    )
    expected_losses, expected_z, expected_residual = GENERIC.output_step(
        loss, v.astype(np.float64), y.astype(np.float64), RHO
    )
    if losses.ndim == 2:
        losses = losses.sum(axis=1)
    tolerance = dict(
        rtol=_tolerance(compiled) * 10, atol=1e-4 if dtype == np.float32 else 1e-11
    )
    np.testing.assert_allclose(losses, expected_losses, **tolerance)
    np.testing.assert_allclose(z, expected_z, **tolerance)
    if dtype == np.float64:
        np.testing.assert_allclose(residuals.max(), expected_residual, atol=1e-13)
