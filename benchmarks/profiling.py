"""Profile one TIAM fit with cProfile and separate the matrix products from the rest.

cProfile sees Python functions and NumPy's C functions, but a product written
``a @ b`` is not a call of its own: its time counts as the own time
("tottime") of the function whose code holds it. So each profiled function of
sktiam is marked by whether its code holds a ``@`` (found by parsing the
source). The functions without one, and NumPy's own functions, are work
other than matrix products: the targets for making an iteration cheaper.
"""

import ast
import cProfile
import pstats
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

import sktiam

from .datasets import Split
from .measure import timed_fit

PACKAGE_DIRECTORY = Path(sktiam.__file__).resolve().parent


@dataclass
class ProfileEntry:
    """One function of the profile: its own time, and whether it holds ``@``."""

    function: str
    calls: int
    seconds: float
    matmul: bool

    def to_dict(self) -> dict:
        """Return the entry as a JSON-ready dict."""
        return asdict(self)


@cache
def _functions_with_matmul(filename: str) -> frozenset[int]:
    """Return the first lines (def and decorators) of functions that hold ``@``."""
    tree = ast.parse(Path(filename).read_text(encoding="utf-8"))
    lines = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if any(
            isinstance(inner, ast.BinOp) and isinstance(inner.op, ast.MatMult)
            for inner in ast.walk(node)
        ):
            lines.add(node.lineno)
            lines.update(decorator.lineno for decorator in node.decorator_list)
    return frozenset(lines)


def _describe(filename: str, line: int, name: str) -> tuple[str, bool]:
    """Return a short label for a profiled function and whether it holds ``@``."""
    if filename == "~":
        return name, "matmul" in name or "dot" in name
    path = Path(filename).resolve()
    if path.is_relative_to(PACKAGE_DIRECTORY):
        label = f"sktiam/{path.relative_to(PACKAGE_DIRECTORY)}:{line}({name})"
        return label, line in _functions_with_matmul(str(path))
    parts = path.parts
    for anchor in ("site-packages", "lib"):
        if anchor in parts:
            parts = parts[parts.index(anchor) + 1 :]
            break
    return f"{'/'.join(parts)}:{line}({name})", False


def profile_fit(estimator: Any, split: Split, top: int = 15) -> dict:
    """Fit ``estimator`` under cProfile; return its times and the costliest functions.

    Parameters
    ----------
    estimator : estimator
        An unfitted TIAM estimator.
    split : Split
        The standardised split to fit on.
    top : int, default=15
        Number of functions to keep, by own time.

    Returns
    -------
    dict
        ``wall``, ``cpu_user`` and ``cpu_system`` seconds of the profiled
        fit, ``n_iter``, ``profiled_seconds`` (the total own time cProfile
        attributes) and ``entries``, the ``top`` functions by own time as
        dicts of :class:`ProfileEntry`.
    """
    profiler = cProfile.Profile()
    profiler.enable()
    estimator, wall, user, system = timed_fit(estimator, split)
    profiler.disable()
    stats = pstats.Stats(profiler).stats
    entries = []
    for (filename, line, name), (_, calls, own, _, _) in stats.items():
        label, matmul = _describe(filename, line, name)
        entries.append(ProfileEntry(label, int(calls), float(own), matmul))
    entries.sort(key=lambda entry: -entry.seconds)
    return {
        "wall": wall,
        "cpu_user": user,
        "cpu_system": system,
        "n_iter": int(estimator.n_iter_),
        "profiled_seconds": float(sum(entry.seconds for entry in entries)),
        "entries": [entry.to_dict() for entry in entries[:top]],
    }
