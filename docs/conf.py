"""Sphinx configuration for the sktiam documentation.

Build with ``pip install -e ".[docs]"``, then, from the repository root::

    sphinx-build -W --keep-going -b html docs docs/_build/html

The gallery runs every ``examples/plot_*.py`` script during the build.
"""

from sphinx_gallery.sorting import ExplicitOrder

import sktiam

project = "sktiam"
author = "the sktiam developers"
copyright = "the sktiam developers"
release = sktiam.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    # MathJax from the sphinx-mathjax-offline package, copied into the
    # build's _static: the equations render without a network.
    "sphinx-mathjax-offline",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]
templates_path = ["_templates"]

autosummary_generate = True
numpydoc_show_class_members = False
# Every public method and class must document each parameter it takes, and no
# more: a missing or stale entry fails the build (numpydoc's validation
# turns it into a warning, and -W into an error).
numpydoc_validation_checks = {"PR01", "PR02"}
numpydoc_validation_exclude = {
    # Inherited from scikit-learn, documented there.
    r"\.set_params$",
    r"\.set_fit_request$",
    r"\.set_score_request$",
    r"\.get_metadata_routing$",
}

html_theme = "pydata_sphinx_theme"
html_title = f"sktiam {release}"
html_theme_options = {
    "navbar_end": ["theme-switcher", "navbar-icon-links"],
    "secondary_sidebar_items": ["page-toc"],
    "show_toc_level": 2,
    # Every top-level page in the top bar, the benchmarks included, rather
    # than the last ones under a "More" menu.
    "header_links_before_dropdown": 10,
}
# Pages without sub-pages get no left sidebar: an empty "Section Navigation"
# would only narrow them.
html_sidebars = {
    page: []
    for page in (
        "getting_started",
        "api",
        "algorithm",
        "defaults_sweep",
        "triple_inertia",
        "benchmarks",
        "changelog",
        "contributing",
        "citing",
    )
}
html_static_path = ["_static"]
html_css_files = ["sktiam.css"]

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": "/plot_",
    "backreferences_dir": "generated/backreferences",
    "doc_module": ("sktiam",),
    "within_subsection_order": ExplicitOrder(
        [
            "plot_quick_start.py",
            "plot_relaxations.py",
            "plot_mini_batch.py",
            "plot_batch_rounds.py",
            "plot_grid_search.py",
            "plot_convergence.py",
            "plot_activations.py",
            "plot_regression.py",
            "plot_diagnostics.py",
            "plot_dask_search.py",
        ]
    ),
    "abort_on_example_error": True,
    "download_all_examples": False,
    "image_scrapers": ("matplotlib",),
    "matplotlib_animations": False,
    "min_reported_time": 1,
    "reset_modules": ("matplotlib",),
}
