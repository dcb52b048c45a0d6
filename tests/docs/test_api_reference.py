"""The API reference documents exactly each public package's ``__all__``, and the porting table
says what the live packages provide; checked without building Sphinx, through the same
functions ``docs/conf.py`` calls."""
from __future__ import annotations

import importlib
import pkgutil
import re
import sys
from pathlib import Path

import pytest

import steerable

DOCS = Path(__file__).resolve().parents[2] / "docs"
sys.path.insert(0, str(DOCS / "_ext"))

import apiref  # noqa: E402
import porting_table  # noqa: E402

DIRECTIVE = re.compile(r"^\.\. (autoclass|autofunction|autoexception|autodata|automodule):: (\S+)", re.M)


def _subpackages() -> list[str]:
    return sorted(i.name for i in pkgutil.iter_modules(steerable.__path__, "steerable.") if i.ispkg)


def test_every_subpackage_with_public_names_has_a_page() -> None:
    pages = apiref.public_packages()
    for name in _subpackages():
        mod = importlib.import_module(name)
        if name in apiref.SKIP:
            continue
        assert hasattr(mod, "__all__"), f"{name} has no __all__, so the API reference cannot list its public names"
        assert name in pages
    # the core and the applications present today, by name, so an empty walk cannot pass
    assert {"steerable.group", "steerable.gspaces", "steerable.kernels", "steerable.nn"} <= set(pages)


@pytest.mark.parametrize("package", apiref.public_packages())
def test_page_documents_exactly_all(package: str) -> None:
    text = apiref.api_pages()[package]
    mod = importlib.import_module(package)
    documented = []
    for kind, target in DIRECTIVE.findall(text):
        if kind == "automodule" and target == package:
            continue  # the page's own module docstring
        if kind == "automodule":
            # a submodule listed in __all__ (nn.init) is documented under its own dotted name
            name = next(n for n in mod.__all__ if getattr(mod, n).__name__ == target)
        else:
            assert target.startswith(package + "."), target
            name = target[len(package) + 1:]
        documented.append(name)
    assert documented == list(mod.__all__)
    # the summary table lists the same names
    table = re.search(r"\.\. autosummary::\n   :nosignatures:\n\n((?:   \S+\n)+)", text)
    assert table is not None and table.group(1).split() == list(mod.__all__)


def test_reexported_objects_are_indexed_once() -> None:
    pages = apiref.api_pages()
    indexed: dict[int, str] = {}
    for package, text in pages.items():
        mod = importlib.import_module(package)
        blocks = re.split(r"\n(?=\.\. auto)", text)
        for block in blocks:
            m = DIRECTIVE.match(block)
            if not m or m.group(1) in ("autodata",) or m.group(2) == package:
                continue
            name = m.group(2)[len(package) + 1:] if m.group(1) != "automodule" else None
            obj = getattr(mod, name) if name else importlib.import_module(m.group(2))
            if ":no-index:" not in block:
                assert id(obj) not in indexed, f"{m.group(2)} is indexed twice (also in {indexed.get(id(obj))})"
                indexed[id(obj)] = package


def test_undefined_name_in_all_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import steerable.kernels as k

    monkeypatch.setattr(k, "__all__", [*k.__all__, "NoSuchName"])
    with pytest.raises(ValueError, match="NoSuchName"):
        apiref.documented_names("steerable.kernels")


def test_porting_table_follows_the_live_packages() -> None:
    rows = porting_table.porting_rows()
    by_key = {(r.package, r.name): r for r in rows}
    # a name steerable provides with escnn's parameters, and one it provides with others
    assert by_key[("gspaces", "rot2dOnR2")].status == "same parameters"
    assert by_key[("nn", "MaxPoolChannels")].status == "different parameters"  # typed on purpose
    for r in rows:
        mod = importlib.import_module(f"steerable.{r.package}")
        assert (r.status == "missing") == (not hasattr(mod, r.name)), r
    text = porting_table.porting_rst(rows)
    assert text.count("   * - ``") == len(rows)


def test_porting_table_sees_a_removed_name(monkeypatch: pytest.MonkeyPatch) -> None:
    import steerable.gspaces as gs

    monkeypatch.delattr(gs, "rot2dOnR2")
    row = next(r for r in porting_table.porting_rows() if r.name == "rot2dOnR2")
    assert row.status == "missing"
