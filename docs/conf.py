"""Sphinx configuration of the steerable documentation.

Build: ``pip install -e ".[docs]" && sphinx-build -W docs docs/_build``. With
``STEERABLE_DOCS_FAST=1`` the tutorials marked slow in :data:`SLOW_TUTORIALS` are rendered
without being executed (CI's mode); every other tutorial runs and its assertions must hold.
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the checkout's steerable, even without an install
sys.path.insert(0, str(HERE / "_ext"))

import apiref  # noqa: E402
import porting_table  # noqa: E402

import steerable  # noqa: E402

project = "steerable"
copyright = "the steerable authors"
release = version = steerable.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",  # no LaTeX needed; the pages load MathJax from its CDN when viewed
    "sphinx.ext.viewcode",
    "matplotlib.sphinxext.plot_directive",
    "sphinx_gallery.gen_gallery",
    "studypage",  # study-results and run-example, for the extension pages
]

exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "tutorials/README.rst"]
html_theme = "furo"
html_title = f"steerable {release}"

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_class_signature = "separated"
autosummary_generate = False  # the pages are written by apiref from __all__
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_attr_annotations = True
napoleon_use_ivar = True  # "Attributes:" sections as fields, so a documented property is not described twice

# figures of the Concepts page: made by the project's code at build time
plot_include_source = False
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 110)]
plot_rcparams = {"figure.autolayout": True}

# tutorials that take more than a few seconds; skipped (rendered, not run) in fast mode
SLOW_TUTORIALS = ["tut3_export_compile.py", "tut5_training.py", "tut6_torchrun.py"]
FAST = os.environ.get("STEERABLE_DOCS_FAST", "") not in ("", "0")
_run = r"/tut\d_[^/]*\.py$" if not FAST else r"/(?!(" + "|".join(map(re.escape, SLOW_TUTORIALS)) + r"))tut\d_[^/]*\.py$"

sphinx_gallery_conf = {
    "examples_dirs": "tutorials",
    "gallery_dirs": "auto_tutorials",
    "filename_pattern": _run,
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "within_subsection_order": "FileNameSortKey",
    "matplotlib_animations": False,
    "show_memory": False,
    "min_reported_time": 1,
}


# the API pages and the porting table, written before Sphinx looks for its sources
apiref.write_api(HERE / "api")
porting_table.write_porting_table(HERE / "_generated" / "porting_table.rst")


def _drop_builtin_docstrings(app, what, name, obj, options, lines) -> None:
    """A constant (``LETTER_STROKES``, a dict) has no docstring of its own: autodoc would show its
    type's (``dict.__doc__``), which is not about the constant and not valid reST."""
    if what in ("data", "attribute") and lines and getattr(type(obj), "__doc__", None) == getattr(obj, "__doc__", None):
        lines[:] = []


def setup(app) -> None:
    app.connect("autodoc-process-docstring", _drop_builtin_docstrings)
