"""The name table of the "Porting from escnn" page, computed from the live packages.

``tests/porting/escnn_api.json`` holds escnn 1.0.11's public names and signatures, per package.
:func:`porting_rows` looks each name up in the matching ``steerable`` package and compares the
parameter names; :func:`porting_rst` renders the table. The page is regenerated at every build,
so it says what the installed code provides, not what someone remembered.
"""
from __future__ import annotations

import importlib
import inspect
import json
from pathlib import Path
from typing import NamedTuple

API_JSON = Path(__file__).resolve().parents[2] / "tests" / "porting" / "escnn_api.json"


class Row(NamedTuple):
    package: str
    name: str
    status: str  # "same parameters", "different parameters", "present", "missing"
    note: str


def _params(obj: object) -> list[str] | None:
    """Parameter names of ``obj``'s signature (``self`` dropped), or ``None`` when it has none."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    return [p for p in sig.parameters if p != "self"]


def porting_rows(api_json: Path = API_JSON) -> list[Row]:
    """One :class:`Row` per escnn public name, in the file's order."""
    data = json.loads(Path(api_json).read_text())
    rows = []
    for package, entry in data.items():
        try:
            mod = importlib.import_module(f"steerable.{package}")
        except ImportError:
            rows += [Row(package, n, "missing", f"no steerable.{package}") for n in entry["names"]]
            continue
        for name in entry["names"]:
            if not hasattr(mod, name):
                rows.append(Row(package, name, "missing", ""))
                continue
            theirs = [p[0] for p in entry["signatures"].get(name, [])]
            ours = _params(getattr(mod, name))
            if ours is None or name not in entry["signatures"]:
                rows.append(Row(package, name, "present", ""))
            elif ours[: len(theirs)] == theirs:
                extra = ours[len(theirs):]
                rows.append(Row(package, name, "same parameters", f"adds {', '.join(extra)}" if extra else ""))
            else:
                rows.append(Row(package, name, "different parameters", f"escnn ({', '.join(theirs)}); steerable ({', '.join(ours)})"))
    return rows


def porting_rst(rows: list[Row]) -> str:
    """The summary line and one ``list-table`` per package."""
    present = sum(r.status != "missing" for r in rows)
    out = [f"steerable provides **{present} of {len(rows)}** escnn 1.0.11 public names "
           f"({sum(r.status == 'same parameters' for r in rows)} with escnn's parameters in escnn's order).", ""]
    for package in dict.fromkeys(r.package for r in rows):
        sub = [r for r in rows if r.package == package]
        title = f"``escnn.{package}`` ({sum(r.status != 'missing' for r in sub)} / {len(sub)})"
        out += [title, "~" * len(title), "", ".. list-table::", "   :header-rows: 1", "   :widths: 30 20 50", "",
                "   * - name", "     - in steerable", "     - note"]
        for r in sub:
            out += [f"   * - ``{r.name}``", f"     - {r.status}", f"     - {r.note}" if r.note else "     -"]
        out.append("")
    return "\n".join(out) + "\n"


def write_porting_table(path: Path) -> None:
    """Write the table to ``path`` when its text changed."""
    text = porting_rst(porting_rows())
    if not path.exists() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
