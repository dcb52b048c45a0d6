"""A small report writer shared by the studies: Markdown text and tables, PNG figures and a metrics JSON.

Example:
    >>> import tempfile, pathlib
    >>> rep = Report(pathlib.Path(tempfile.mkdtemp()), "Demo")
    >>> rep.table([{"method": "a", "score": 1.23456}], ["method", "score"])
    >>> rep.metrics["answer"] = 42
    >>> path = rep.write()
    >>> sorted(p.name for p in path.parent.iterdir())
    ['metrics.json', 'report.md']
"""
from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import Any, Callable, Sequence

__all__ = ["Report", "format_value"]


def format_value(v: Any, digits: int = 4) -> str:
    """A table cell: floats to ``digits`` significant digits (``nan`` as ``–``), everything else ``str``."""
    if isinstance(v, float):
        if math.isnan(v):
            return "–"
        return f"{v:.{digits}g}"
    return str(v)


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, float) and not math.isfinite(v):
        return None  # JSON has no nan/inf
    if hasattr(v, "item") and callable(v.item):  # numpy / torch scalars
        return _jsonable(v.item())
    return v


class Report:
    """Collects a study's Markdown, figures and metrics; :meth:`write` puts them into ``out``.

    Args:
        out: output directory (created).
        title: the report's first heading.
    """

    def __init__(self, out: str | os.PathLike[str], title: str) -> None:
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.lines: list[str] = [f"# {title}", ""]
        self.metrics: dict[str, Any] = {}

    def section(self, title: str) -> None:
        self.lines += [f"## {title}", ""]

    def text(self, markdown: str) -> None:
        self.lines += [markdown.rstrip(), ""]

    def table(self, rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None, digits: int = 4) -> None:
        """A Markdown table of ``rows`` (dicts) with the given column order (default: the first row's keys)."""
        if not rows:
            return
        cols = list(columns) if columns is not None else list(rows[0])
        self.lines.append("| " + " | ".join(cols) + " |")
        self.lines.append("|" + "|".join("---" for _ in cols) + "|")
        for r in rows:
            self.lines.append("| " + " | ".join(format_value(r.get(c, ""), digits) for c in cols) + " |")
        self.lines.append("")

    def figure(self, fig: Any, name: str, caption: str = "") -> Path:
        """Save a matplotlib figure as ``out/name.png`` (and close it) and reference it from the report."""
        import matplotlib.pyplot as plt

        path = self.out / f"{name}.png"
        fig.savefig(path, dpi=120, bbox_inches="tight")
        plt.close(fig)
        self.lines += [f"![{caption or name}]({path.name})", ""]
        if caption:
            self.lines += [f"*{caption}*", ""]
        return path

    def write(self) -> Path:
        """Write ``report.md`` and ``metrics.json``; returns the report's path."""
        (self.out / "metrics.json").write_text(json.dumps(_jsonable(self.metrics), indent=2) + "\n")
        path = self.out / "report.md"
        path.write_text("\n".join(self.lines).rstrip() + "\n")
        return path

    def finish(self, checks: Sequence[dict[str, Any]], t_start: float, log: Callable[[str], Any] = print,
               note: str = "") -> dict[str, Any]:
        """The closing of every study: the table of targets (``target, value, met``), the run time
        since ``t_start`` (``time.perf_counter()``) with an optional ``note``, then :meth:`write`;
        returns the metrics."""
        self.table(checks, ["target", "value", "met"])
        self.metrics["targets"] = list(checks)
        self.metrics["seconds"] = time.perf_counter() - t_start
        self.text(f"Total run time {self.metrics['seconds']:.1f} s{note}.")
        path = self.write()
        log(f"report: {path}  ({self.metrics['seconds']:.1f} s)")
        return self.metrics
