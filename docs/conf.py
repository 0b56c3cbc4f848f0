"""Sphinx configuration for the sktiam documentation.

Build with ``pip install -e ".[docs]"`` then ``sphinx-build docs docs/_build``.
"""

import sktiam

project = "sktiam"
release = sktiam.__version__
extensions = ["sphinx.ext.autodoc", "numpydoc", "myst_parser"]
numpydoc_show_class_members = False
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
html_theme = "alabaster"
