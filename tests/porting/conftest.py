"""The porting programs import ``escnn``: this fixture resolves that name to steerable for one test."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

import steerable
import steerable.group
import steerable.gspaces
import steerable.kernels
import steerable.nn
import steerable.nn.init

PROGRAMS = Path(__file__).parent / "programs"
collect_ignore = ["programs"]  # escnn-importing sources, loaded by the fixture, not collected


@pytest.fixture
def escnn_alias(monkeypatch: pytest.MonkeyPatch):
    """Make ``import escnn`` (and its four subpackages) give steerable's, then load a program by name."""
    for name, module in {
        "escnn": steerable, "escnn.group": steerable.group, "escnn.gspaces": steerable.gspaces,
        "escnn.kernels": steerable.kernels, "escnn.nn": steerable.nn, "escnn.nn.init": steerable.nn.init,
    }.items():
        monkeypatch.setitem(sys.modules, name, module)

    def load(program: str) -> ModuleType:
        spec = importlib.util.spec_from_file_location(f"porting_{program}", PROGRAMS / f"{program}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load
