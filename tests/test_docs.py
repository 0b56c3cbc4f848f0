"""The documentation builds with warnings as errors, and documents the whole API.

The build test needs the ``docs`` extra and skips without it. It builds a copy
of ``docs/`` and ``examples/`` in a temporary folder, so that the generated
pages and the gallery never land in the working tree.
"""

import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import ConvergenceWarning

from sktiam import TIAMClassifier, TIAMRegressor

ROOT = Path(__file__).resolve().parent.parent
BUILD_TIMEOUT_S = 900


def _fitted_attributes(Estimator) -> set[str]:
    """Return the public attributes of a fit on a DataFrame, in scikit-learn's
    sense: names ending in one underscore, not starting with one."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(30, 3)), columns=["a", "b", "c"])
    y = rng.integers(0, 3, size=30) if Estimator is TIAMClassifier else X["a"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = Estimator(hidden_layer_sizes=(4,), max_iter=2).fit(X, y)
    return {
        name for name in vars(model) if name.endswith("_") and not name.startswith("_")
    }


@pytest.mark.parametrize(
    "Estimator",
    [
        TIAMClassifier,
        TIAMRegressor,
    ],
)
def test_docstring_documents_every_fitted_attribute(Estimator):
    docscrape = pytest.importorskip("numpydoc.docscrape")
    documented = {
        entry.name
        for entry in docscrape.NumpyDocString(Estimator.__doc__)["Attributes"]
    }
    assert _fitted_attributes(Estimator) <= documented


@pytest.fixture(scope="module")
def built_docs(tmp_path_factory) -> Path:
    """Build the HTML documentation with -W; return the output folder."""
    for module in (
        "sphinx",
        "numpydoc",
        "myst_parser",
        "pydata_sphinx_theme",
        "sphinx_gallery",
        "matplotlib",
        "dask.distributed",
    ):
        pytest.importorskip(module, reason="the docs extra is not installed")
    source = tmp_path_factory.mktemp("docs-source")
    shutil.copytree(
        ROOT / "docs",
        source / "docs",
        ignore=shutil.ignore_patterns(
            "_build", "generated", "auto_examples", "sg_execution_times.rst"
        ),
    )
    shutil.copytree(ROOT / "examples", source / "examples")
    # The benchmarks page includes the committed report and its figures.
    shutil.copy(ROOT / "BENCHMARKS.md", source / "BENCHMARKS.md")
    shutil.copytree(
        ROOT / "benchmarks" / "results",
        source / "benchmarks" / "results",
        ignore=shutil.ignore_patterns("*.json"),
    )
    output = source / "docs" / "_build" / "html"
    command = [
        sys.executable,
        "-m",
        "sphinx",
        "-W",
        "--keep-going",
        "-b",
        "html",
        str(source / "docs"),
        str(output),
    ]
    build = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert build.returncode == 0, build.stdout[-5000:] + build.stderr[-10000:]
    return output


def test_docs_build_with_warnings_as_errors(built_docs):
    for page in ("index", "getting_started", "api", "changelog", "citing"):
        assert (built_docs / f"{page}.html").is_file()
    assert (built_docs / "user_guide" / "scaling_out.html").is_file()


def test_benchmarks_page_shows_the_committed_report_and_its_figures(built_docs):
    page = (built_docs / "benchmarks.html").read_text(encoding="utf-8")
    report = (ROOT / "BENCHMARKS.md").read_text(encoding="utf-8")
    for heading in ("TIAM against adam", "The physical limit"):
        assert heading in report and heading in page
    figures = sorted((ROOT / "benchmarks" / "results").glob("*.png"))
    assert figures
    for figure in figures:
        assert f"benchmarks/results/{figure.name}" in report
        assert (built_docs / "_images" / figure.name).is_file()
        assert figure.name in page


MATH_PAGES = ["user_guide/hyperparameters", "user_guide/alternating_minimisation"]


@pytest.mark.parametrize("page", MATH_PAGES)
def test_math_pages_load_mathjax_from_the_build_not_a_network(built_docs, page):
    """Equations render offline: the page's MathJax script is the copy in the
    build's _static folder, and no script comes from another host."""
    html = (built_docs / f"{page}.html").read_text(encoding="utf-8")
    assert "\\(" in html or "math notranslate" in html, "no math on this page"
    scripts = re.findall(r"<script[^>]*\bsrc=\"([^\"]+)\"", html)
    assert scripts
    assert not [src for src in scripts if re.match(r"(https?:)?//", src)]
    mathjax = [src for src in scripts if "mathjax" in src.lower()]
    assert mathjax == ["../_static/mathjax/tex-chtml.js"]
    assert (built_docs / "_static" / "mathjax" / "tex-chtml.js").is_file()
    fonts = built_docs / "_static" / "mathjax" / "output" / "chtml" / "fonts"
    assert any(fonts.rglob("*.woff"))


def test_every_example_runs_and_draws(built_docs):
    """Each example has its page and at least one figure."""
    examples = sorted(path.stem for path in (ROOT / "examples").glob("plot_*.py"))
    assert examples
    images = {path.name for path in (built_docs / "_images").glob("*.png")}
    for example in examples:
        assert (built_docs / "auto_examples" / f"{example}.html").is_file()
        assert f"sphx_glr_{example}_001.png" in images, example


@pytest.mark.parametrize("Estimator", [TIAMClassifier, TIAMRegressor])
def test_api_pages_document_every_parameter_and_attribute(built_docs, Estimator):
    page = (built_docs / "generated" / f"sktiam.{Estimator.__name__}.html").read_text()
    names = set(Estimator().get_params()) | _fitted_attributes(Estimator)
    missing = {name for name in names if f"<strong>{name}</strong>" not in page}
    assert not missing


def test_exception_is_documented(built_docs):
    page = (
        built_docs / "generated" / "sktiam.InsufficientMemoryError.html"
    ).read_text()
    assert "MemoryError" in page and "ValueError" in page
    page = (built_docs / "generated" / "sktiam.UnscaledInputWarning.html").read_text()
    assert "UserWarning" in page and "StandardScaler" in page
