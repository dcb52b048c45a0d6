"""Reproductions of papers' claims, one module per study, run as ``steerable study NAME``.

Each study module defines ``TITLE`` (one line) and ``run(out, quick=False, seeds=None, log=print) -> dict``
(``seeds=None``: the study's own default), which writes ``report.md``, ``metrics.json`` and PNG figures into
``out`` with :class:`~steerable.studies.report.Report` and returns the metrics.  :data:`STUDIES` maps a study's name to its module;
a new study is one more line there.
"""
from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["STUDIES", "load_study"]

#: A study's name -> the module that runs it.
STUDIES: dict[str, str] = {
    "lattice": "steerable.studies.lattice",
    "pac-bayes": "steerable.studies.pac_bayes",
    "cryoem": "steerable.studies.cryoem",
    "sheaf": "steerable.studies.sheaf",
    "learned-equivariance": "steerable.studies.learned_equivariance",
    "mobilenet": "steerable.studies.mobilenet",
    "implicit-kernels": "steerable.studies.implicit_kernels",
    "adaptive-fourier": "steerable.studies.adaptive_fourier",
}


def load_study(name: str) -> ModuleType:
    """The module of study ``name`` (imported on demand, so listing studies stays cheap)."""
    if name not in STUDIES:
        raise ValueError(f"unknown study {name!r}; known studies: {', '.join(sorted(STUDIES))}")
    return importlib.import_module(STUDIES[name])
