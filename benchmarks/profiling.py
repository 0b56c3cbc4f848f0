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
from .measure import fit_once

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
def _functions(filename: str) -> dict[int, tuple[str, bool]]:
    """Map the first lines of a file's functions to their qualified names and ``@``.

    A function's first lines are its ``def`` line and its decorators' lines
    (cProfile reports one of them); the flag says whether its code holds a
    matrix product ``a @ b``.
    """
    tree = ast.parse(Path(filename).read_text(encoding="utf-8"))
    functions: dict[int, tuple[str, bool]] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                matmul = any(
                    isinstance(inner, ast.BinOp) and isinstance(inner.op, ast.MatMult)
                    for inner in ast.walk(child)
                )
                entry = (f"{prefix}{child.name}", matmul)
                functions[child.lineno] = entry
                for decorator in child.decorator_list:
                    functions[decorator.lineno] = entry
                visit(child, f"{prefix}{child.name}.")

    visit(tree, "")
    return functions


def _describe(filename: str, line: int, name: str) -> tuple[str, bool]:
    """Return a short label for a profiled function and whether it holds ``@``."""
    if filename == "~":
        return name, "matmul" in name or "dot" in name
    path = Path(filename).resolve()
    if path.is_relative_to(PACKAGE_DIRECTORY):
        qualified, matmul = _functions(str(path)).get(line, (name, False))
        return f"sktiam/{path.relative_to(PACKAGE_DIRECTORY)}:{qualified}", matmul
    parts = path.parts
    for anchor in ("site-packages", "lib"):
        if anchor in parts:
            parts = parts[parts.index(anchor) + 1 :]
            break
    return f"{'/'.join(parts)}:{name}", False


def profile_fit(estimator: Any, split: Split, top: int = 15) -> dict:
    """Fit ``estimator`` under cProfile; return its times and the costliest functions.

    Parameters
    ----------
    estimator : estimator
        An unfitted TIAM estimator; it is fitted in place.
    split : Split
        The standardised split to fit on.
    top : int, default=15
        Number of functions to keep, by own time.

    Returns
    -------
    dict
        ``wall``, ``cpu_user`` and ``cpu_system`` seconds of the profiled
        fit, ``others_share`` (of the cores, by other processes), ``n_iter``,
        ``layer_units``, ``diagnostics_trials`` (mean backtracking trials per
        iteration), ``profiled_seconds`` (the total own time cProfile
        attributes) and ``entries``, the ``top`` functions by own time as
        dicts of :class:`ProfileEntry`.
    """
    profiler = cProfile.Profile()
    profiler.enable()
    fit = fit_once(estimator, split)
    profiler.disable()
    fitted = fit.estimator
    stats = pstats.Stats(profiler).stats
    entries = []
    for (filename, line, name), (_, calls, own, _, _) in stats.items():
        label, matmul = _describe(filename, line, name)
        entries.append(ProfileEntry(label, int(calls), float(own), matmul))
    entries.sort(key=lambda entry: -entry.seconds)
    return {
        "wall": fit.wall,
        "cpu_user": fit.user,
        "cpu_system": fit.system,
        "others_share": fit.others_share,
        "n_iter": int(fitted.n_iter_),
        "layer_units": [
            int(fitted.coefs_[0].shape[0]),
            *(int(c.shape[1]) for c in fitted.coefs_),
        ],
        "diagnostics_trials": float(
            sum(fitted.diagnostics_["backtracking_trials"]) / fitted.n_iter_
        ),
        "profiled_seconds": float(sum(entry.seconds for entry in entries)),
        "entries": [entry.to_dict() for entry in entries[:top]],
    }
