"""Tests of the backend seam: one place chooses the namespace and the device."""

import ast
import pathlib
import sys
import types

import array_api_compat.numpy
import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.utils._param_validation import InvalidParameterError

import sktiam
from sktiam import TIAMClassifier, TIAMRegressor
from sktiam._backend import (
    NUMPY,
    backend_for_device,
    clip_into,
    gpu_available,
    to_numpy,
)

NUMERICAL_MODULES = ["_solver.py", "_blocks.py", "_activations.py", "_losses.py"]
SMALL = dict(hidden_layer_sizes=(6,), max_iter=5, random_state=0)


@pytest.mark.parametrize("module", NUMERICAL_MODULES)
def test_numerical_code_imports_no_array_library(module):
    source = pathlib.Path(sktiam.__file__).with_name(module).read_text()
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported.add(node.module.split(".")[0])
    assert not imported & {"numpy", "scipy", "cupy"}


def test_cpu_backend_computes_with_numpy():
    backend = backend_for_device("cpu")
    assert backend is NUMPY
    assert type(backend.xp.ones(3)) is np.ndarray
    assert isinstance(to_numpy(backend.xp.ones(3)), np.ndarray)


def test_unknown_device_is_an_invalid_parameter():
    X, y = make_classification(n_samples=30, random_state=0)
    with pytest.raises(InvalidParameterError, match="'device' parameter"):
        TIAMClassifier(device="gpu", **SMALL).fit(X, y)


def test_cuda_without_cupy_says_how_to_install_it(monkeypatch):
    # A None entry in sys.modules makes "import cupy" fail, as it does where
    # CuPy is not installed.
    monkeypatch.setitem(sys.modules, "cupy", None)
    X, y = make_classification(n_samples=30, random_state=0)
    with pytest.raises(
        ImportError, match=r'pip install "sktiam\[gpu\]", or pip install -e "\.\[gpu\]"'
    ):
        TIAMClassifier(device="cuda", **SMALL).fit(X, y)


def _fake_cupy(count=None, error=None) -> types.ModuleType:
    """A stand-in for CuPy whose runtime reports ``count`` GPUs or raises."""

    def get_device_count():
        if error is not None:
            raise error
        return count

    module = types.ModuleType("cupy")
    module.cuda = types.SimpleNamespace(
        runtime=types.SimpleNamespace(getDeviceCount=get_device_count)
    )
    return module


@pytest.mark.parametrize(
    "fake, message",
    [
        (_fake_cupy(count=0), "no GPU is visible"),
        (
            _fake_cupy(error=RuntimeError("cudaErrorNoDevice")),
            "sees no usable GPU",
        ),
    ],
)
def test_cupy_without_a_gpu_says_so(monkeypatch, fake, message):
    monkeypatch.setitem(sys.modules, "cupy", fake)
    X, y = make_classification(n_samples=30, random_state=0)
    with pytest.raises(RuntimeError, match=message):
        TIAMClassifier(device="cuda", **SMALL).fit(X, y)


def test_auto_without_a_gpu_computes_on_the_cpu(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", _fake_cupy(count=0))
    X, y = make_classification(n_samples=40, random_state=0)
    auto = TIAMRegressor(device="auto", **SMALL).fit(X, y)
    cpu = TIAMRegressor(device="cpu", **SMALL).fit(X, y)
    auto_params, cpu_params = (
        auto.coefs_ + auto.intercepts_,
        cpu.coefs_ + cpu.intercepts_,
    )
    for a, b in zip(auto_params, cpu_params, strict=True):
        assert type(a) is np.ndarray
        np.testing.assert_array_equal(a, b)


@pytest.mark.skipif(not gpu_available(), reason="needs CuPy and a visible GPU")
@pytest.mark.parametrize("Estimator", [TIAMClassifier, TIAMRegressor])
def test_cuda_fit_equals_the_cpu_fit_and_stores_numpy(Estimator):
    X, y = make_classification(
        n_samples=200, n_features=20, n_informative=5, n_classes=3, random_state=0
    )
    params = dict(hidden_layer_sizes=(16, 16), max_iter=5, random_state=0)
    cpu = Estimator(device="cpu", **params).fit(X, y)
    gpu = Estimator(device="cuda", **params).fit(X, y)
    gpu_params, cpu_params = gpu.coefs_ + gpu.intercepts_, cpu.coefs_ + cpu.intercepts_
    for a, b in zip(gpu_params, cpu_params, strict=True):
        assert type(a) is np.ndarray
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)
    prediction = gpu.predict(X)
    assert type(prediction) is np.ndarray
    np.testing.assert_allclose(prediction, cpu.predict(X), rtol=1e-8, atol=1e-10)


def test_clip_into_clips_numpy_in_place_and_other_namespaces_into_a_copy():
    rng = np.random.RandomState(0)
    values = rng.randn(6, 3)
    lower, upper = -0.5 * np.abs(rng.randn(6, 3)), np.full((6, 3), 0.4)
    expected = np.minimum(np.maximum(values, lower), upper)
    owned = values.copy()
    clipped = clip_into(array_api_compat.numpy, owned, lower, upper)
    assert clipped is owned
    np.testing.assert_array_equal(clipped, expected)
    strict = pytest.importorskip("array_api_strict")
    given = strict.asarray(values)
    result = clip_into(strict, given, strict.asarray(lower), strict.asarray(upper))
    np.testing.assert_array_equal(np.asarray(result), expected)
    np.testing.assert_array_equal(np.asarray(given), values)
