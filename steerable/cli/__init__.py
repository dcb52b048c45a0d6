"""Command line interface (``steerable``, ``python -m steerable``)."""
from .main import build_parser, main

__all__ = ["main", "build_parser"]
