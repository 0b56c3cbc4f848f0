"""Tests of the backend seam: the numerical code takes its namespace from one place."""

import ast
import pathlib

import numpy as np
import pytest

import sktiam
from sktiam._backend import get_namespace, to_numpy

NUMERICAL_MODULES = ["_solver.py", "_blocks.py", "_activations.py", "_losses.py"]


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


def test_cpu_namespace_is_numpy():
    xp = get_namespace("cpu")
    assert xp.asarray([1.0]).__class__ is np.ndarray
    assert isinstance(to_numpy(xp.ones(3)), np.ndarray)


def test_unavailable_device_is_named():
    with pytest.raises(ValueError, match="device='cuda' is not available"):
        get_namespace("cuda")
